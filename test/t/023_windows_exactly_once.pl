# 023_windows_exactly_once.pl — SPEC.md "Guarantees", exactly once for
# windows: a tumbling and a sliding count(*) per host window run while a
# paced producer sends 40,000 events over 4 partitions; the worker is
# killed with kill -9 (a cluster crash that truncates staging) in the middle
# of the first half, and the cluster is stopped with -m immediate in the
# middle of the second.  Afterwards every event is counted exactly once in
# the tumbling window (and size/slide times in the sliding one), and both
# windows equal a batch query over staging, which crash recovery refilled.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 'eo:4', 'rs:1' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('exactly_once', conf => "timezone = 'UTC'\nsw.batch_size = 500\n");
my $T0_MS = 1795608000000;    # 2026-11-25 12:00:00 UTC, epoch ms
my $HALF = 20_000;
my $STEP_MS = 10;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(qq{SELECT sw.create_source('eo', '$bs', 'eo',
	columns => 'host text, url text, ms int, event_time timestamptz')});
sql(q{SELECT sw.create_window('eo_tumble', 'eo', 'tumbling', 'count(*) AS n, sum(ms) AS total',
	group_by => 'host', event_time => 'event_time', size => '1 minute',
	allowed_lateness => '2 minutes')});
sql(q{SELECT sw.create_window('eo_slide', 'eo', 'sliding', 'count(*) AS n, sum(ms) AS total',
	group_by => 'host', event_time => 'event_time', size => '1 minute', slide => '20 seconds',
	allowed_lateness => '2 minutes')});

# A window whose final rows take late merges across crashes and restarts:
# their partial aggregates (internal states with serial/deserial included)
# come back from the result table.
sql(qq{SELECT sw.create_source('rs', '$bs', 'rs', columns => 'host text, ms int, t timestamptz')});
sql(q{SELECT sw.create_window('rs_w', 'rs', 'tumbling',
	'count(*) AS n, sum(ms) AS total, avg(ms::numeric) AS avg_n, stddev_samp(ms) AS sd, '
	|| 'sum(ms::int8) AS s8, avg(ms) AS avg_i, max(host) AS mh',
	event_time => 't', size => '1 minute', allowed_lateness => '10 minutes')});
my $rs_n = 0;
sub rs_event
{
	my ($host, $ms, $t) = @_;
	$broker->produce('rs', input => qq({"host":"$host","ms":$ms,"t":"2026-11-25T${t}Z"}\n),
		args => [ '-p', 0 ]);
	$rs_n++;
	SwTest::poll($node, q{SELECT next_offset FROM sw.source_partitions WHERE source_name = 'rs'},
		$rs_n, "rs: event $rs_n applied");
}
my $RS_BATCH = q{SELECT w.window_start, count(*), sum(e.ms), avg(e.ms::numeric), stddev_samp(e.ms),
	sum(e.ms::int8), avg(e.ms), max(e.host) FROM rs e, sw.tumble(e.t, '1 minute') w GROUP BY 1};
my $RS_RES = q{SELECT window_start, n, total, avg_n, sd, s8, avg_i, mh FROM rs_w};
sub rs_check
{
	my ($rev, $what) = @_;
	is(sql(qq{SELECT (SELECT count(*) FROM (($RS_RES) EXCEPT ALL ($RS_BATCH)) a) || ' ' ||
		(SELECT count(*) FROM (($RS_BATCH) EXCEPT ALL ($RS_RES)) b)}), '0 0',
		"rs: $what: aggregates equal the batch query over staging");
	is(sql(q{SELECT string_agg(to_char(window_start, 'HH24:MI') || ' ' || n || ' ' || is_final || ' '
		|| revision, ', ' ORDER BY window_start) FROM rs_w}), "12:00 $rev, 12:01 1 false 0",
		"rs: $what: rows and revisions");
}
rs_event('a', 1, '12:00:10');
rs_event('b', 2, '12:00:20');
rs_event('c', 4, '12:01:30');
rs_check('2 true 0', 'before any crash');

sub stream
{
	my ($start_ms) = @_;
	return $broker->produce_async('eo', args => [ '--generate', 'web', '--count', $HALF,
		'--start-ms', $start_ms, '--step-ms', $STEP_MS, '--out-of-order-pct', 0,
		'--malformed-pct', 0, '--partitions', 4, '--rate', 4000 ]);
}

# kill -9 of the worker in the middle of the first half
my $producer = stream($T0_MS + 500);
SwTest::poll($node, 'SELECT coalesce(sum(n), 0) > 3000 FROM eo_tumble', 't', 'windows under way');
# two windows created while events flow: with backfill (every offset of each
# partition, once) and without (a gapless suffix of each partition)
for my $w ([ 'eo_mid', 'true' ], [ 'eo_new', 'false' ])
{
	sql(qq{SELECT sw.create_window('$w->[0]', 'eo', 'tumbling',
		'count(*) AS n, min(kafka_offset) AS lo, max(kafka_offset) AS hi, sum(kafka_offset) AS so',
		group_by => 'kafka_partition', event_time => 'event_time', size => '1 hour',
		allowed_lateness => '2 minutes', backfill => $w->[1])});
}
my $pid = SwTest::worker_pid($node, 'eo');
ok(kill('KILL', $pid), "kill -9 of worker $pid");
SwTest::poll($node, 'SELECT 1', '1', 'the cluster is back after crash recovery', 120);
ok($producer->wait, 'the producer delivered the first half');
SwTest::poll($node, q{SELECT sum(next_offset) FROM sw.source_partitions WHERE source_name = 'eo'}, $HALF,
	'after kill -9: next_offset reaches every produced event', 120);
SwTest::poll($node, q{SELECT string_agg(state, ' ') FROM sw.sources}, 'running running', 'after kill -9: done refetching', 120);
is(sql('SELECT sum(n) FROM eo_tumble'), $HALF, 'after kill -9: the tumbling window counted each event once');
is(sql('SELECT sum(n) FROM eo_slide'), 3 * $HALF, 'after kill -9: the sliding window counted each event 3 times');

# immediate shutdown in the middle of the second half
$producer = stream($T0_MS + 500 + $HALF * $STEP_MS);
SwTest::poll($node, 'SELECT sum(n) > 25000 FROM eo_tumble', 't', 'windows under way again');
$node->stop('immediate');
$node->start;
ok($producer->wait, 'the producer delivered the second half');
SwTest::poll($node, q{SELECT sum(next_offset) FROM sw.source_partitions WHERE source_name = 'eo'}, 2 * $HALF,
	'after immediate shutdown: next_offset reaches every produced event', 120);
SwTest::poll($node, q{SELECT string_agg(state, ' ') FROM sw.sources}, 'running running',
	'after immediate shutdown: done refetching', 120);
my $log = slurp_file($node->logfile);
like($log, qr/restaging partition \d+ from offset/, 'the worker read truncated staging rows again');

is(sql(q{SELECT count(*) || ' ' || count(DISTINCT (kafka_partition, kafka_offset)) FROM eo}),
	"40000 40000", 'staging holds every event exactly once');

# late merges into a final row that was kept across the two crashes
SwTest::poll($node, q{SELECT count(*) FROM rs}, '3', 'rs: staging refilled after the crashes');
rs_event('d', 8, '12:00:30');
rs_check('3 true 1', 'a late merge after kill -9 and an immediate shutdown');
$node->restart;
rs_event('a', 16, '12:00:40');
rs_check('4 true 2', 'a late merge after a clean restart');
rs_event('e', 32, '12:00:50');
rs_check('5 true 3', 'and another one');
is(sql(q{SELECT open_windows || ' ' || final_windows || ' ' || late_merged || ' ' || late_dropped
	FROM sw.windows WHERE name = 'rs_w'}), '1 1 3 0', 'rs: counters kept across crashes and restarts');

# close every window
sql(q{SELECT sw.advance_watermark('eo_tumble', '2100-01-01 00:00:00+00')});
sql(q{SELECT sw.advance_watermark('eo_slide', '2100-01-01 00:00:00+00')});
for my $w ('eo_tumble', 'eo_slide')
{
	SwTest::poll($node, qq{SELECT bool_and(is_final) FROM $w}, 't', "$w: every row final");
	is(sql(qq{SELECT late_dropped || ' ' || late_merged || ' ' || null_time_skipped || ' ' || open_windows
		|| ' ' || (final_windows = (SELECT count(*) FROM $w)) FROM sw.windows WHERE name = '$w'}),
		'0 0 0 0 true', "$w: no late, merged or skipped events; counters match the table");
	is(sql(qq{SELECT count(*) - count(DISTINCT (host, window_start)) FROM $w}), '0',
		"$w: one row per key and window");
}
is(sql(q{SELECT count(*) || ' ' || bool_and(m.n = o.next_offset AND m.lo = 0 AND m.hi = o.next_offset - 1
		AND m.so = o.next_offset * (o.next_offset - 1) / 2)
	FROM eo_mid m JOIN sw.source_partitions o ON o.source_name = 'eo' AND o.kafka_partition = m.kafka_partition}),
	'4 true', 'created mid-stream with backfill: every offset of every partition counted once');
is(sql(q{SELECT count(*) || ' ' || bool_and(m.n = m.hi - m.lo + 1 AND m.hi = o.next_offset - 1
		AND m.so = (m.lo + m.hi) * m.n / 2) || ' ' || bool_or(m.lo > 0)
	FROM eo_new m JOIN sw.source_partitions o ON o.source_name = 'eo' AND o.kafka_partition = m.kafka_partition}),
	'4 true true', 'created mid-stream without backfill: a gapless suffix of every partition, counted once');
is(sql('SELECT sum(n) FROM eo_tumble'), 2 * $HALF,
	'tumbling: sum(count) equals exactly the number of events produced');
is(sql('SELECT sum(n) FROM eo_slide'), 3 * 2 * $HALF,
	'sliding (size 3 x slide): sum(count) equals 3 x the events produced');
for my $w ([ 'eo_tumble', q{sw.tumble(e.event_time, '1 minute')} ],
	[ 'eo_slide', q{sw.hop(e.event_time, '1 minute', '20 seconds')} ])
{
	my $batch = qq{SELECT e.host, w.window_start, w.window_end, count(*), sum(e.ms)
		FROM eo e, $w->[1] w GROUP BY 1, 2, 3};
	my $res = qq{SELECT host, window_start, window_end, n, total FROM $w->[0]};
	is(sql(qq{SELECT (SELECT count(*) FROM (($res) EXCEPT ALL ($batch)) a) || ' ' ||
		(SELECT count(*) FROM (($batch) EXCEPT ALL ($res)) b)}), '0 0',
		"$w->[0] equals the batch query over staging");
}

$node->stop;
$broker->stop;
done_testing();
