# 050_upgrade.pl — ALTER EXTENSION stream_windows UPDATE from every
# released version keeps sources, windows, offsets and results (SPEC.md
# "Trust", "DBA operations").
#
# test/check.sh builds each released version (test/releases) into a
# private PostgreSQL installation and names them in SW_RELEASES
# ("0.1=/path/to/usr/lib/postgresql/15 ...").  For each: a cluster runs
# that version's library, with a source and windows of several kinds fed
# by the embedded broker; it stops, starts again on the current library,
# is updated with ALTER EXTENSION ... UPDATE, and must go on exactly:
# offsets continue (nothing read twice), results go on accumulating, an
# event for a final window is still merged into its row.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my %releases = map { split /=/, $_, 2 } split ' ', ($ENV{SW_RELEASES} // '');
plan skip_all => 'no released version was built (SW_RELEASES is empty: run through test/check.sh)'
  unless %releases;

my $current = $ENV{PG_INSTALL_PATH} // '/usr/lib/postgresql/15';
my $broker = SwTest::Broker->start(topics => [ map { "up$_:2" } 0 .. 9 ]);
my $bs = $broker->bootstrap;
my $T0_MS = 1795608000000;    # 2026-11-25 12:00:00 UTC

# JSON events: n, and an event time i seconds after T0 (2 partitions)
sub events
{
	my ($from, $to, $secs) = @_;
	return join('', map {
		my $t = $T0_MS / 1000 + ($secs ? $secs->($_) : $_);
		my ($s, $m, $h) = gmtime($t);
		sprintf(qq({"n": %d, "ip": "10.0.0.%d", "t": "2026-11-25T%02d:%02d:%02dZ"}\n), $_, $_ % 7, $h, $m, $s)
	} $from .. $to);
}

my $k = 0;
for my $version (sort keys %releases)
{
	my $topic = 'up' . $k++;
	my $node = SwTest::node("upgrade_$version", install_path => $releases{$version},
		extension => 0, conf => "timezone = 'UTC'\n");
	my $sql = sub { return $node->safe_psql('postgres', $_[0]); };
	$sql->("CREATE EXTENSION stream_windows VERSION '$version'");
	is($sql->(q{SELECT extversion FROM pg_extension WHERE extname = 'stream_windows'}), $version,
		"$version: installed from its own scripts and library");
	$sql->(qq{SELECT sw.create_source('src', '$bs', '$topic', columns => 'n int, ip text, t timestamptz');
		SELECT sw.create_window('tum', 'src', 'tumbling', 'count(*) AS c, sum(n) AS s',
			event_time => 't', size => '1 minute', allowed_lateness => '1 hour');
		SELECT sw.create_window('ses', 'src', 'session', 'count(*) AS c', group_by => 'ip',
			event_time => 't', gap => '10 seconds');
		SELECT sw.create_window('cnt', 'src', 'count', 'count(*) AS c, sum(n) AS s', count => 5);});
	$broker->produce($topic, input => events(0, 199), args => [ '--partitions', 2 ]);
	SwTest::applied($node, 'src', 200, "$version: 200 events applied before the update");
	my $before = $sql->(q{SELECT sum(c) || '/' || sum(s) FROM tum});
	is($before, '200/19900', "$version: the tumbling window counted them");

	# the new library, then the update
	$node->stop;
	$node->{_install_path} = $current;
	$node->start;
	$sql->('ALTER EXTENSION stream_windows UPDATE');
	is($sql->(q{SELECT extversion FROM pg_extension WHERE extname = 'stream_windows'}),
		$sql->(q{SELECT default_version FROM pg_available_extensions WHERE name = 'stream_windows'}),
		"$version: updated to the current version");
	is($sql->(q{SELECT string_agg(name || '=' || state || '/' || owner, ' ' ORDER BY name) FROM sw.windows}),
		'cnt=running/postgres ses=running/postgres tum=running/postgres',
		"$version: the windows are there and running, with their owner");
	is($sql->(q{SELECT string_agg(c.relname || ':' || pg_get_indexdef(i.indexrelid), ' ' ORDER BY c.relname)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		WHERE c.relname IN ('tum', 'ses', 'cnt') AND pg_get_indexdef(i.indexrelid) ~ 'window_start|window_seq'}),
		'cnt:CREATE INDEX cnt_window_seq_idx ON public.cnt USING btree (window_seq)'
		. ' ses:CREATE INDEX ses_window_start_ip_idx ON public.ses USING btree (window_start, ip) WHERE _sw_open'
		. ' tum:CREATE INDEX tum_window_start_idx ON public.tum USING btree (window_start) WHERE _sw_open',
		"$version: the update indexed each result table on its rows' identity (count windows: window_seq)");

	# offsets continue, results accumulate, a late event is merged
	$broker->produce($topic, input => events(200, 399), args => [ '--partitions', 2 ]);
	SwTest::applied($node, 'src', 400, "$version: ingest goes on from the stored offsets");
	is($sql->(q{SELECT count(*) || ' ' || count(DISTINCT (kafka_partition, kafka_offset)) FROM src}),
		'400 400', "$version: nothing read twice");
	SwTest::poll($node, q{SELECT sum(c) || '/' || sum(s) FROM tum}, '400/79800',
		"$version: the tumbling window goes on exactly");
	SwTest::poll($node, q{SELECT sum(c) + (SELECT late_dropped FROM sw.windows WHERE name = 'ses') FROM ses},
		'400', "$version: the sessions count every event (or record it late)");
	SwTest::poll($node, q{SELECT sum(c) || '/' || sum(s) || '/' || max(window_seq) FROM cnt},
		'400/79800/' . (400 / 5 - 1), "$version: the count windows number on");
	# an event of the first minute, long final: merged into its row, one more revision
	my $rev = $sql->(q{SELECT revision FROM tum WHERE window_start = '2026-11-25 12:00:00+00'});
	$broker->produce($topic, input => events(1000, 1000, sub { 5 }), args => [ '-p', 0 ]);
	SwTest::applied($node, 'src', 401, "$version: a late event applied");
	is($sql->(q{SELECT c || '/' || revision || '/' || is_final FROM tum
		WHERE window_start = '2026-11-25 12:00:00+00'}), '61/' . ($rev + 1) . '/true',
		"$version: merged into its final row after the update");
	is($sql->(q{SELECT count(*) FROM sw.window_errors}), '0', "$version: no window errors");
	$node->stop;
}

done_testing();
