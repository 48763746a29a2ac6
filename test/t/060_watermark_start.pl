# 060_watermark_start.pl — a backlog over many partitions loses nothing to
# lateness because of fetch order (SPEC.md "Semantics", Watermark: a
# partition that has not delivered an event holds W while it may still
# deliver one; an empty partition never stalls W):
#   (a) 32 partitions preloaded with 400 events each, 100 ms apart (one
#       message set spans more than watermark_delay), a source started from
#       earliest with a tumbling and a sliding window (delay 5 s): every
#       event is counted, none is late; three times, since fetch order
#       varies;
#   (b) an empty partition next to busy ones: windows still become final,
#       and sw.watermarks shows the empty partition with watermark NULL;
#   (c) a window created over staged events (backfill) takes the
#       partitions merged by Kafka timestamp, each in offset order.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $P = 32;
my $PER = 400;
my $broker = SwTest::Broker->start(topics => [ "backlog:$P", 'gap:3', 'merge:2' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('wm_start', conf => "timezone = 'UTC'\n");

sub sql { return $node->safe_psql('postgres', $_[0]); }

my $T0 = 1795608000;    # 2026-11-25 12:00:00 UTC
sub at
{
	my ($ms) = @_;
	my ($s, $m, $h) = gmtime($T0 + int($ms / 1000));
	return sprintf('2026-11-25T%02d:%02d:%02d.%03dZ', $h, $m, $s, $ms % 1000);
}

# message i goes to partition i % P: each partition in event-time order
my $input = join('', map { sprintf(qq({"n": %d, "t": "%s"}\n), $_, at(int($_ / $P) * 100)) }
	0 .. $P * $PER - 1);
$broker->produce('backlog', input => $input, args => [ '--partitions', $P ]);
my $N = $P * $PER;

for my $run (1 .. 3)
{
	sql(qq{SELECT sw.create_source('bl$run', '$bs', 'backlog', columns => 'n int, t timestamptz');
		SELECT sw.pause_source('bl$run');});
	sql(qq{SELECT sw.create_window('bl${run}_tum', 'bl$run', 'tumbling', 'count(*) AS c',
			event_time => 't', size => '10 seconds', watermark_delay => '5 seconds');
		SELECT sw.create_window('bl${run}_sli', 'bl$run', 'sliding', 'count(*) AS c',
			event_time => 't', size => '20 seconds', slide => '10 seconds', watermark_delay => '5 seconds');
		SELECT sw.resume_source('bl$run');});
	SwTest::applied($node, "bl$run", $N, "(a) run $run: the backlog is applied");
	is(sql(qq{SELECT (SELECT sum(c) FROM bl${run}_tum) || ' ' || (SELECT sum(c) FROM bl${run}_sli)}),
		"$N " . (2 * $N), "(a) run $run: every event counted, in every window it belongs to");
	is(sql(qq{SELECT coalesce(sum(late_dropped), 0) FROM sw.windows WHERE source_name = 'bl$run'}), '0',
		"(a) run $run: no event late");
	is(sql(qq{SELECT count(*) FROM sw.late_events WHERE window_name LIKE 'bl${run}_%'}), '0',
		"(a) run $run: sw.late_events is empty");
	SwTest::poll($node, qq{SELECT count(*) > 0 FROM bl${run}_tum WHERE is_final}, 't',
		"(a) run $run: and windows become final");
	sql(qq{SELECT sw.drop_source('bl$run', cascade => true)});
}

# --- (b) an empty partition next to busy ones
sql(qq{SELECT sw.create_source('gap', '$bs', 'gap', columns => 'n int, t timestamptz');
	SELECT sw.create_window('gap_w', 'gap', 'tumbling', 'count(*) AS c', event_time => 't',
		size => '10 seconds');});
# partitions 0 and 1 only
$broker->produce('gap', input => join('', map { sprintf(qq({"n": %d, "t": "%s"}\n), $_, at($_ * 1000)) } 0 .. 59),
	args => [ '--partitions', 2 ]);
SwTest::applied($node, 'gap', 60, '(b) events of two partitions applied');
SwTest::poll($node, q{SELECT count(*) FROM gap_w WHERE is_final}, '5',
	'(b) the empty third partition does not stall W: five windows are final');
is(sql(q{SELECT string_agg(kafka_partition || ':' || coalesce(watermark::text, 'NULL'), ' ' ORDER BY kafka_partition)
	FROM sw.watermarks WHERE window_name = 'gap_w' AND kafka_partition = 2}), '2:NULL',
	'(b) sw.watermarks shows the empty partition with watermark NULL');

# --- (c) a backfill merges the partitions by Kafka timestamp, each in offset
# order: a row waits behind a later timestamp before it in its partition.
# Staged, by offset: partition 0 at 30 s then 5 s, partition 1 at 20 s.  The
# merge takes 1:20 (0's head is at 30 s), 0:30 (W = min(20, 30) = 20 s), then
# 0:5, whose window [0, 10) is closed: late.  Sorted by timestamp alone, or a
# partition after the other, 0:5 would come while W is still held back.
sql(qq{SELECT sw.create_source('bf', '$bs', 'merge', columns => 'n int')});
for my $m ([ 0, 30, 1 ], [ 0, 5, 2 ], [ 1, 20, 3 ])
{
	my ($part, $s, $n) = @$m;
	$broker->produce('merge', input => qq({"n": $n}\n),
		args => [ '-p', $part, '--timestamp-ms', ($T0 + $s) * 1000 ]);
}
SwTest::applied($node, 'bf', 3, '(c) three events staged');
sql(q{SELECT sw.pause_source('bf');
	SELECT sw.create_window('bf_w', 'bf', 'tumbling', 'count(*) AS c, sum(n) AS s', size => '10 seconds')});
is(sql(q{SELECT string_agg(kafka_partition || ':' || kafka_offset, ' ') FROM sw.late_events
	WHERE window_name = 'bf_w'}), '0:1', '(c) the backfill found the event behind a later one late');
is(sql(q{SELECT string_agg(extract(second FROM window_start)::int || ':' || c || ':' || s, ' ' ORDER BY window_start)
	FROM bf_w}), '20:1:3 30:1:1', '(c) and applied the others');

done_testing();
