# 051_dump_restore.pl — pg_dump and pg_restore of a database with sources
# and windows into a fresh cluster (SPEC.md "Trust", "DBA operations"):
# the restored sources and windows work afterwards.  In the new cluster the
# staging and result tables, and the user function a window calls, have
# other OIDs: the launcher finds the tables again by name, and each window
# is analyzed again from its SQL text as its owner.  Ingest continues from
# the dumped offsets (nothing read twice), the windows go on exactly.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => ['dr:2']);
my $bs = $broker->bootstrap;
my $old = SwTest::node('dump_old', conf => "timezone = 'UTC'\n");

sub produce
{
	my ($from, $to) = @_;
	$broker->produce('dr', input => join('', map {
		sprintf(qq({"n": %d, "t": "2026-11-25T12:%02d:%02dZ"}\n), $_, int($_ / 60) % 60, $_ % 60)
	} $from .. $to), args => [ '--partitions', 2 ]);
}

# The events go to both partitions in turn, and the windows keep rows open
# for a day: a partition that is still empty when the other's events are
# fetched does not hold W (SPEC.md, "Watermark"), and its events, produced
# a moment later, are then late; here they merge instead.
$old->safe_psql('postgres', q{
	CREATE ROLE alice LOGIN IN ROLE stream_windows_admin;
	CREATE SCHEMA app AUTHORIZATION alice;
	CREATE FUNCTION app.is_even(n int) RETURNS boolean LANGUAGE sql IMMUTABLE
		AS $$ SELECT n % 2 = 0 $$;
	ALTER FUNCTION app.is_even(int) OWNER TO alice;});
$old->safe_psql('postgres', qq{SET ROLE alice; SET search_path = app, public;
	SELECT sw.create_source('app.ev', '$bs', 'dr', columns => 'n int, t timestamptz');
	SELECT sw.create_window('app.evens', 'app.ev', 'tumbling', 'count(*) AS c, sum(n) AS s',
		event_time => 't', size => '1 minute', filter => 'is_even(n)',
		allowed_lateness => '1 day');
	SELECT sw.create_window('app.fives', 'app.ev', 'count', 'count(*) AS c, sum(n) AS s', count => 5);});
produce(0, 99);
SwTest::applied($old, 'app.ev', 100, 'old cluster: 100 events applied');
$old->safe_psql('postgres', 'SELECT sw.pause_source(\'app.ev\')');
SwTest::poll($old, q{SELECT pid IS NULL FROM sw.sources}, 't', 'old cluster: source paused for the dump');
$old->safe_psql('postgres', 'SELECT sw.resume_source(\'app.ev\')');

my $dump = PostgreSQL::Test::Utils::tempdir() . '/db.dump';
$old->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $old->connstr('postgres') ],
	'pg_dump of the database');
$old->stop;

my $new = SwTest::node('dump_new', extension => 0, conf => "timezone = 'UTC'\n");
# roles are global (pg_dumpall --globals-only); other objects first, so
# that the restored ones get other OIDs than in the old cluster
$new->safe_psql('postgres', q{
	CREATE ROLE alice LOGIN;
	CREATE TABLE filler (x int); CREATE TABLE filler2 (x int);
	CREATE FUNCTION filler_f() RETURNS int LANGUAGE sql AS 'SELECT 1';
	CREATE FUNCTION filler_g() RETURNS int LANGUAGE sql AS 'SELECT 2';});
$new->command_ok([ 'pg_restore', '--no-comments', '-d', $new->connstr('postgres'), $dump ],
	'pg_restore into a fresh cluster');
$new->safe_psql('postgres', 'GRANT stream_windows_admin TO alice');
isnt($new->safe_psql('postgres', q{SELECT staging FROM sw.source}),
	$new->safe_psql('postgres', q{SELECT 'app.ev'::regclass::oid}),
	'the dumped catalog names the old OID of the staging table');

SwTest::poll($new, q{SELECT staging = 'app.ev'::regclass FROM sw.source}, 't',
	'the launcher found the staging table again by name');
SwTest::poll($new, q{SELECT name || ' ' || state || ' ' || owner FROM sw.sources}, 'app.ev running alice',
	'the source runs again, as its owner');
produce(100, 149);
SwTest::applied($new, 'app.ev', 150, 'ingest continues from the dumped offsets');
is($new->safe_psql('postgres', q{SELECT count(*) || ' ' || count(DISTINCT (kafka_partition, kafka_offset)) FROM app.ev}),
	'150 150', 'nothing read twice');
SwTest::poll($new, q{SELECT sum(c) || '/' || sum(s) FROM app.evens}, '75/5550',
	'the window with a user function goes on exactly');
SwTest::poll($new, q{SELECT sum(c) || '/' || sum(s) || '/' || max(window_seq) FROM app.fives}, '150/11175/29',
	'the count window goes on exactly');
SwTest::check_windows_moved($new, 'app.evens=running app.fives=running', 'restored cluster');

done_testing();
