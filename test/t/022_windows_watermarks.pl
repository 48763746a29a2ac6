# 022_windows_watermarks.pl — watermarks over two partitions, against
# SPEC.md "Semantics" (Watermark) and sw.advance_watermark:
#   - W_p = max event time of partition p - watermark_delay (sw.watermarks);
#   - W = min W_p over ACTIVE partitions (active once it delivered an event),
#     never decreasing (sw.windows.watermark);
#   - idle_timeout: a silent partition stops holding W back, sw.watermarks
#     shows it idle, W is re-evaluated without new events (the tick), and an
#     event from a partition back from idleness is judged against W;
#   - sw.advance_watermark raises W within about a second, finalizes rows,
#     and never lowers W.
# Events carry explicit event times (2026-11-25, UTC).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use SwTest;

my $broker = SwTest::Broker->start(topics => [ 'wm:2', 'tick:2' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('watermarks', conf => "timezone = 'UTC'\n");

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub lines
{
	return join('', map { qq({"host":"$_->[0]","ms":$_->[1],"t":"2026-11-25T$_->[2]Z"}\n) } @_);
}

sub produce
{
	my ($topic, $p, @events) = @_;
	$broker->produce($topic, input => lines(@events), args => [ '-p', $p ]);
}

sub offsets
{
	my ($source, $expected, $what) = @_;
	return SwTest::poll($node, qq{SELECT string_agg(next_offset::text, ' ' ORDER BY kafka_partition)
		FROM sw.source_partitions WHERE source_name = '$source'}, $expected, $what);
}

sub W
{
	return qq{SELECT coalesce(to_char(watermark, 'HH24:MI:SS'), '-') FROM sw.windows WHERE name = '$_[0]'};
}

# sw.watermarks of the partitions that delivered an event
sub WP
{
	return qq{SELECT string_agg(kafka_partition || ' ' || to_char(max_event_time, 'HH24:MI:SS') || ' '
		|| to_char(watermark, 'HH24:MI:SS') || ' ' || idle, ', ' ORDER BY kafka_partition)
		FROM sw.watermarks WHERE window_name = '$_[0]' AND max_event_time IS NOT NULL};
}

sub rows
{
	return sql(qq{SELECT string_agg(to_char(window_start, 'HH24:MI') || ' ' || n || ' ' || total
		|| ' ' || CASE WHEN is_final THEN 'F' ELSE 'o' END, ', ' ORDER BY window_start) FROM $_[0]});
}

sub late
{
	return sql(qq{SELECT string_agg(kafka_partition || ':' || kafka_offset || ' ' || to_char(event_time, 'HH24:MI:SS')
		|| ' W=' || to_char(watermark, 'HH24:MI:SS'), ', ' ORDER BY recorded_at, kafka_partition, kafka_offset)
		FROM sw.late_events WHERE window_name = '$_[0]'});
}

sql(qq{SELECT sw.create_source('wm', '$bs', 'wm', columns => 'host text, ms int, t timestamptz')});
offsets('wm', '0 0', 'the source knows both partitions');
for my $name ('wm_hold', 'wm_idle')
{
	my $idle = $name eq 'wm_idle' ? ", idle_timeout => '1 second'" : '';
	sql(qq{SELECT sw.create_window('$name', 'wm', 'tumbling', 'count(*) AS n, sum(ms) AS total',
		event_time => 't', size => '1 minute', watermark_delay => '5 seconds'$idle)});
}
is(sql(W('wm_hold')) . ' ' . sql(W('wm_idle')), '- -', 'no event yet: no watermark');
is(sql(WP('wm_hold')), '', 'no partition has a max event time yet');

# 1. only partition 0 is active: W follows it
produce('wm', 0, [ 'a', 1, '12:00:10' ], [ 'a', 2, '12:00:40' ]);
offsets('wm', '2 0', 'p0: two events applied');
is(sql(W('wm_hold')), '12:00:35', 'only p0 active: W = W_p0 = 12:00:40 - 5 s');
is(sql(W('wm_idle')), '12:00:35', 'the same with idle_timeout');
is(sql(WP('wm_hold')), '0 12:00:40 12:00:35 false', 'sw.watermarks: p0 max t, W_p0, not idle; p1 not active');
is(rows('wm_hold'), '12:00 2 3 o', 'the row is open');

# p1 delivers only an event without event time and a bad message: neither
# makes it active (else its missing W_p1 would hold W back below)
$broker->produce('wm', input => qq({"host":"b","ms":0}\nnot json\n), args => [ '-p', 1 ]);
offsets('wm', '2 2', 'p1: an event without event time and a dead letter applied');
is(sql(q{SELECT count(*) FROM sw.dead_letters WHERE source_name = 'wm'}), '1', 'the bad message is a dead letter');
is(sql(q{SELECT null_time_skipped FROM sw.windows WHERE name = 'wm_hold'}), '1', 'the NULL event time is counted');
is(sql(WP('wm_hold')), '0 12:00:40 12:00:35 false', 'p1 has no max event time');

produce('wm', 0, [ 'a', 4, '12:01:30' ]);
offsets('wm', '3 2', 'p0: third event applied');
is(sql(W('wm_hold')) . ' ' . sql(W('wm_idle')), '12:01:25 12:01:25', 'p1 is not active: W follows p0 to 12:01:25');
is(rows('wm_hold'), '12:00 2 3 F, 12:01 1 4 o', 'W >= 12:01 makes [12:00, 12:01) final');

# 2. partition 1 delivers an older event: now in the min, but W holds
produce('wm', 1, [ 'b', 8, '12:01:05' ]);
offsets('wm', '3 3', 'p1: first event applied');
is(sql(W('wm_hold')), '12:01:25', 'p1 active with W_p1 = 12:01:00 < W: W does not decrease');
is(sql(W('wm_idle')), '12:01:25', 'the same with idle_timeout');
is(sql(WP('wm_hold')), '0 12:01:30 12:01:25 false, 1 12:01:05 12:01:00 false',
	'sw.watermarks: both partitions with their own W_p');
is(rows('wm_hold'), '12:00 2 3 F, 12:01 2 12 o', 'the p1 event is counted (its window is open)');

# 3. p1 falls silent while p0 goes on (20 events, 5 a second)
my $p0 = $broker->produce_async('wm', input => lines(map {
	[ 'a', 16, sprintf('12:%02d:%02d', 3 + int($_ * 6 / 60), ($_ * 6) % 60) ] } 0 .. 19),
	args => [ '-p', 0, '--rate', 5 ]);
ok($p0->wait, 'p0: a paced stream of 20 events delivered');
offsets('wm', '23 3', 'p0: the stream is applied');
is(sql(W('wm_hold')), '12:01:25', 'without idle_timeout silent p1 holds W back (min is W_p1 = 12:01:00)');
is(rows('wm_hold'), '12:00 2 3 F, 12:01 2 12 o, 12:03 10 160 o, 12:04 10 160 o',
	'without idle_timeout: later windows stay open');
is(sql(WP('wm_hold')), '0 12:04:54 12:04:49 false, 1 12:01:05 12:01:00 false',
	'without idle_timeout no partition is idle');
SwTest::poll($node, W('wm_idle'), '12:04:49', 'with idle_timeout 1 s W follows p0 alone: W_p0 = 12:04:54 - 5 s');
is(rows('wm_idle'), '12:00 2 3 F, 12:01 2 12 F, 12:03 10 160 F, 12:04 10 160 o',
	'with idle_timeout the windows before W are final');
SwTest::poll($node, WP('wm_idle'), '0 12:04:54 12:04:49 true, 1 12:01:05 12:01:00 true',
	'sw.watermarks: silent partitions are idle');
is(sql(W('wm_idle')), '12:04:49', 'with no active partition W holds');

# 4. p1 comes back from idleness: its event is judged against W
produce('wm', 1, [ 'b', 32, '12:01:40' ]);
offsets('wm', '23 4', 'p1: an event after idleness applied');
is(late('wm_idle'), '1:3 12:01:40 W=12:04:49',
	'with idle_timeout: dropped, [12:01, 12:02) is closed at W = 12:04:49');
is(rows('wm_idle'), '12:00 2 3 F, 12:01 2 12 F, 12:03 10 160 F, 12:04 10 160 o', 'and nothing changed');
is(sql(W('wm_idle')), '12:04:49', 'W does not decrease when p1 is active again');
is(sql(q{SELECT to_char(max_event_time, 'HH24:MI:SS') FROM sw.watermarks
	WHERE window_name = 'wm_idle' AND kafka_partition = 1}), '12:01:40', 'p1 delivered its event');
is(late('wm_hold'), '', 'without idle_timeout: the same event is not late');
is(rows('wm_hold'), '12:00 2 3 F, 12:01 3 44 o, 12:03 10 160 o, 12:04 10 160 o', 'it is counted');
is(sql(W('wm_hold')), '12:01:35', 'and W rises to min(W_p0, W_p1) = 12:01:35');

# 5. sw.advance_watermark
my $t0 = time;
sql(q{SELECT sw.advance_watermark('wm_hold', '2026-11-25 12:03:00+00')});
SwTest::poll($node, W('wm_hold'), '12:03:00', 'sw.advance_watermark raises W within about a second', 3);
note(sprintf('advance_watermark took effect after %.2f s', time - $t0));
is(rows('wm_hold'), '12:00 2 3 F, 12:01 3 44 F, 12:03 10 160 o, 12:04 10 160 o',
	'and makes the rows before W final');
is(sql(q{SELECT open_windows || ' ' || final_windows FROM sw.windows WHERE name = 'wm_hold'}), '2 2',
	'sw.windows counts them');
sql(q{SELECT sw.advance_watermark('wm_hold', '2026-11-25 12:02:00+00')});
sql(q{SELECT sw.advance_watermark('wm_idle', '2026-11-25 12:10:00+00')});
SwTest::poll($node, W('wm_idle'), '12:10:00', 'a later request for another window is applied');
is(sql(W('wm_hold')), '12:03:00', 'an earlier requested watermark does not lower W');
SwTest::poll($node, q{SELECT bool_and(is_final) FROM wm_idle}, 't', 'advanced past every window: all final');

# 6. after the advance, events still judged against W, which never decreases
produce('wm', 1, [ 'b', 64, '12:02:30' ]);
offsets('wm', '23 5', 'p1: an event behind the advanced W applied');
is(late('wm_hold'), '1:4 12:02:30 W=12:03:00', 'it is dropped against W = 12:03:00 (window closed)');
is(sql(W('wm_hold')), '12:03:00', 'W does not fall back to min(W_p) = 12:02:25');
produce('wm', 0, [ 'a', 128, '12:05:30' ]);
produce('wm', 1, [ 'b', 128, '12:05:20' ]);
offsets('wm', '24 6', 'both partitions move on');
is(sql(W('wm_hold')), '12:05:15', 'W follows min(W_p0, W_p1) = 12:05:15 again');
is(rows('wm_hold'), '12:00 2 3 F, 12:01 3 44 F, 12:03 10 160 F, 12:04 10 160 F, 12:05 2 256 o',
	'rows final up to W');
is(sql(WP('wm_hold')), '0 12:05:30 12:05:25 false, 1 12:05:20 12:05:15 false', 'sw.watermarks');

# 7. a restart keeps W and the partitions' maxima
$node->restart;
is(sql(W('wm_hold')) . ' / ' . sql(WP('wm_hold')),
	'12:05:15 / 0 12:05:30 12:05:25 false, 1 12:05:20 12:05:15 false', 'after a restart: W and sw.watermarks kept');
produce('wm', 1, [ 'b', 256, '12:04:30' ]);
offsets('wm', '24 7', 'p1: an event after the restart applied');
is((split /, /, late('wm_hold'))[-1], '1:6 12:04:30 W=12:05:15',
	'after a restart an event is judged against the W from before it ([12:04, 12:05) closed)');
is(sql(W('wm_hold')), '12:05:15', 'and W holds');

# 8. sw.advance_watermark while the broker is down (the end of a replay)
$broker->down;
sql(q{SELECT sw.advance_watermark('wm_hold', '2026-11-25 12:30:00+00')});
SwTest::poll($node, W('wm_hold'), '12:30:00', 'sw.advance_watermark works while the broker is down', 5);
SwTest::poll($node, q{SELECT bool_and(is_final) FROM wm_hold}, 't', 'and finalizes every row');
$broker->up;
produce('wm', 0, [ 'a', 512, '12:29:00' ], [ 'a', 512, '12:31:00' ]);
offsets('wm', '26 7', 'p0: ingest resumes after the outage');
is(sql(q{SELECT string_agg(to_char(window_start, 'HH24:MI') || ' ' || n || ' ' || is_final, ', ' ORDER BY window_start)
	FROM wm_hold WHERE window_start >= '2026-11-25 12:29:00+00'}), '12:31 1 false',
	'events are judged against the advanced W: 12:29 dropped, 12:31 counted');

# ---------------------------------------------------------------------------
# The tick: a partition that falls silent releases W without any new event.
# p1 delivers once, then p0 streams for about 3 s and stops. p1 turns idle
# (4 s) while p0 is still active: only the once-a-second re-evaluation can
# then raise W to W_p0; later p0 turns idle too and W holds.
# ---------------------------------------------------------------------------
sql(qq{SELECT sw.create_source('tick', '$bs', 'tick', columns => 'host text, ms int, t timestamptz')});
offsets('tick', '0 0', 'tick: the source knows both partitions');
sql(q{SELECT sw.create_window('tick_w', 'tick', 'tumbling', 'count(*) AS n, sum(ms) AS total',
	event_time => 't', size => '1 minute', idle_timeout => '4 seconds')});
produce('tick', 1, [ 'b', 1, '12:00:10' ]);
offsets('tick', '0 1', 'tick: p1 delivered one event');
$p0 = $broker->produce_async('tick', input => lines(map { [ 'a', 2, sprintf('12:01:%02d', $_ * 4) ] } 0 .. 12),
	args => [ '-p', 0, '--rate', 4 ]);
ok($p0->wait, 'tick: p0 stream delivered');
offsets('tick', '13 1', 'tick: every event applied');
SwTest::poll($node, W('tick_w'), '12:01:48',
	'the silent p1 releases W on its own: W = W_p0 = 12:01:48, with no event after it');
SwTest::poll($node, WP('tick_w'), '0 12:01:48 12:01:48 true, 1 12:00:10 12:00:10 true',
	'both partitions idle in the end');
is(rows('tick_w'), '12:00 1 1 F, 12:01 13 26 o', 'the row of p1 became final through the release');

$node->stop;
$broker->stop;
done_testing();
