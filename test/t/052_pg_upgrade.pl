# 052_pg_upgrade.pl — pg_upgrade of a cluster with sources and windows
# (SPEC.md "Trust", "DBA operations").  Debian 12 ships one PostgreSQL
# major that runs here (15), so this upgrades 15 to a new 15 cluster: the
# same tool, the same binary-upgrade restore of the schema, the same copy
# of the data files (UNLOGGED staging tables included), and a cluster with
# a new system identifier, in which the launcher finds the tables again by
# name and each window is analyzed again from its SQL text.  The new
# cluster preloads stream_windows during the upgrade: no worker may start
# while pg_upgrade restores the schema.  Ingest continues from the
# upgraded offsets, windows merge late events into upgraded rows.
use strict;
use warnings;
use Cwd;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => ['up:2']);
my $bs = $broker->bootstrap;
my $old = SwTest::node('upg_old', conf => "timezone = 'UTC'\n");

sub produce
{
	my ($from, $to) = @_;
	$broker->produce('up', input => join('', map {
		sprintf(qq({"n": %d, "t": "2026-11-25T12:%02d:%02dZ"}\n), $_, int($_ / 60) % 60, $_ % 60)
	} $from .. $to), args => [ '--partitions', 2 ]);
}

$old->safe_psql('postgres', qq{
	CREATE ROLE bob LOGIN IN ROLE stream_windows_admin;
	CREATE SCHEMA app AUTHORIZATION bob;
	CREATE FUNCTION app.is_even(n int) RETURNS boolean LANGUAGE sql IMMUTABLE
		AS \$\$ SELECT n % 2 = 0 \$\$;
	ALTER FUNCTION app.is_even(int) OWNER TO bob;
	SET ROLE bob; SET search_path = app, public;
	SELECT sw.create_source('app.up', '$bs', 'up', columns => 'n int, t timestamptz');
	SELECT sw.create_window('app.evens', 'app.up', 'tumbling', 'count(*) AS c, sum(n) AS s',
		event_time => 't', size => '1 minute', filter => 'is_even(n)', allowed_lateness => '1 day');
	SELECT sw.create_window('app.runs', 'app.up', 'session', 'count(*) AS c, sum(n) AS s',
		event_time => 't', gap => '10 seconds', allowed_lateness => '1 day');});
produce(0, 99);
SwTest::applied($old, 'app.up', 100, 'old cluster: 100 events applied');
my $old_sysid = $old->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
$old->stop;

my $new = PostgreSQL::Test::Cluster->new('upg_new');
$new->init;
$new->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'stream_windows'
sw.database = 'postgres'
sw.restart_delay = '200ms'
max_worker_processes = 16
timezone = 'UTC'
});
my $bindir = $old->config_data('--bindir');
my $cwd = getcwd();
chdir(PostgreSQL::Test::Utils::tempdir());    # pg_upgrade writes its logs here
command_ok([ "$bindir/pg_upgrade", '--no-sync', '-d', $old->data_dir, '-D', $new->data_dir,
		'-b', $bindir, '-B', $bindir, '-s', $new->host, '-p', $old->port, '-P', $new->port ],
	'pg_upgrade of a cluster with sources and windows');
chdir($cwd);
$new->start;
isnt($new->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()'), $old_sysid,
	'the upgraded cluster is another system');
is($new->safe_psql('postgres', q{SELECT count(*) FROM app.up}), '100', 'the UNLOGGED staging table came along');
SwTest::poll($new, q{SELECT name || ' ' || state || ' ' || owner FROM sw.sources}, 'app.up running bob',
	'the source runs again, as its owner');

# late events for the first minute, sessions extended, and new ones
produce(100, 179);
produce(0, 9);
SwTest::applied($new, 'app.up', 190, 'ingest continues from the upgraded offsets');
is($new->safe_psql('postgres', q{SELECT count(*) || ' ' || count(DISTINCT (kafka_partition, kafka_offset)) FROM app.up}),
	'190 190', 'nothing read twice');
# expected: evens of 0..179 plus the evens of 0..9 again
my ($c, $s) = (0, 0);
for my $n ((0 .. 179), (0 .. 9)) { next if $n % 2; $c++; $s += $n; }
SwTest::poll($new, q{SELECT sum(c) || '/' || sum(s) FROM app.evens}, "$c/$s",
	'the tumbling window with a user function merges exactly');
is($new->safe_psql('postgres', q{SELECT count(*) FROM (SELECT window_start FROM app.evens GROUP BY 1 HAVING count(*) > 1) d}),
	'0', 'one row per minute');
my $all = 0;
$all += $_ for (0 .. 179), (0 .. 9);
SwTest::poll($new, q{SELECT sum(c) || '/' || sum(s) || '/' || count(*) FROM app.runs}, "190/$all/1",
	'the session went on across the upgrade as one row');
SwTest::check_windows_moved($new, 'app.evens=running app.runs=running', 'upgraded cluster');

done_testing();
