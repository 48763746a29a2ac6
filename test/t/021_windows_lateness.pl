# 021_windows_lateness.pl — firing, allowed lateness and late merges,
# against SPEC.md "Semantics" (Watermark, Firing, Lateness), one partition
# and explicit event times (2026-11-25, UTC), so every outcome is exact:
#   - a row is final when W >= window_end, closed when window_end + L <= W;
#   - a late event for a final, not closed window is merged (revision + 1,
#     aggregates combined) or creates the row (revision 1);
#   - an event for a closed window goes to sw.late_events and changes nothing;
#   - the sw.windows counters, NULL event times;
#   - the same sequence applied in one batch and one event per batch;
#   - the worked example of docs/semantics.md;
#   - watermark_delay keeps a window open until an event delay past its end;
#   - sliding windows judge each of an event's windows on its own;
#   - an out-of-order generated stream against an independent SQL oracle
#     (W before each event = max earlier event time - delay).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(
	topics => [ 'lateA:1', 'lateB:1', 'doc:1', 'delay:1', 'slide:1', 'filt:1', 'ooo:1' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('lateness', conf => "timezone = 'UTC'\n");
my $T0_MS = 1795608000000;    # 2026-11-25 12:00:00 UTC, epoch ms

sub sql { return $node->safe_psql('postgres', $_[0]); }

# One JSON line per event [host, ms, 'HH:MM:SS[.ffffff]' | undef (no t) | 'null'].
sub line
{
	my ($host, $ms, $t) = @{ $_[0] };
	return qq({"host":"$host","ms":$ms}\n) unless defined $t;
	return qq({"host":"$host","ms":$ms,"t":null}\n) if $t eq 'null';
	return qq({"host":"$host","ms":$ms,"t":"2026-11-25T${t}Z"}\n);
}

sub produce
{
	my ($topic, @events) = @_;
	$broker->produce($topic, input => join('', map { line($_) } @events), args => [ '-p', 0 ]);
}

sub applied { return SwTest::applied($node, @_); }

sub source
{
	my ($name) = @_;
	sql(qq{SELECT sw.create_source('$name', '$bs', '$name', columns => 'host text, ms int, t timestamptz')});
}

# The result rows as "start-end n total is_final revision", ordered.
sub rows
{
	my ($win) = @_;
	return sql(qq{SELECT string_agg(to_char(window_start, 'HH24:MI:SS') || '-' || to_char(window_end, 'HH24:MI:SS')
		|| ' ' || n || ' ' || total || ' ' || CASE WHEN is_final THEN 'F' ELSE 'o' END || ' ' || revision,
		', ' ORDER BY window_start) FROM $win});
}

sub late
{
	my ($win) = @_;
	return sql(qq{SELECT string_agg(kafka_partition || ':' || kafka_offset || ' ' || to_char(event_time, 'HH24:MI:SS')
		|| ' W=' || to_char(watermark, 'HH24:MI:SS'), ', ' ORDER BY kafka_offset, recorded_at)
		FROM sw.late_events WHERE window_name = '$win'});
}

sub counters
{
	my ($win) = @_;
	return sql(qq{SELECT 'W=' || coalesce(to_char(watermark, 'HH24:MI:SS.US'), '-') || ' open=' || open_windows
		|| ' final=' || final_windows || ' merged=' || late_merged || ' dropped=' || late_dropped
		|| ' null=' || null_time_skipped FROM sw.windows WHERE name = '$win'});
}

# ---------------------------------------------------------------------------
# Tumbling, 1 minute, watermark_delay 0, allowed_lateness 2 minutes.
# Each step: event [host, ms, t] and the rows expected after it.
# ---------------------------------------------------------------------------
my @steps = (
	[ [ 'a', 1, '12:00:10' ], '12:00:00-12:01:00 1 1 o 0' ],
	[ [ 'a', 2, '12:00:30' ], '12:00:00-12:01:00 2 3 o 0' ],
	# W = 12:01:00 = window_end: [12:00, 12:01) is final
	[ [ 'a', 4, '12:01:00' ], '12:00:00-12:01:00 2 3 F 0, 12:01:00-12:02:00 1 4 o 0' ],
	# final, not closed (12:01 + 2 min > W): merged, revision 1
	[ [ 'a', 8, '12:00:50' ], '12:00:00-12:01:00 3 11 F 1, 12:01:00-12:02:00 1 4 o 0' ],
	# W = 12:03:30: [12:01, 12:02) final; [12:00, 12:01) closed (12:03 <= W)
	[ [ 'a', 16, '12:03:30' ],
		'12:00:00-12:01:00 3 11 F 1, 12:01:00-12:02:00 1 4 F 0, 12:03:00-12:04:00 1 16 o 0' ],
	# [12:02, 12:03) has no row, final and not closed: created final, revision 1
	[ [ 'a', 32, '12:02:15' ],
		'12:00:00-12:01:00 3 11 F 1, 12:01:00-12:02:00 1 4 F 0, 12:02:00-12:03:00 1 32 F 1, '
		  . '12:03:00-12:04:00 1 16 o 0' ],
	# closed: dropped, nothing changes
	[ [ 'a', 64, '12:00:59' ],
		'12:00:00-12:01:00 3 11 F 1, 12:01:00-12:02:00 1 4 F 0, 12:02:00-12:03:00 1 32 F 1, '
		  . '12:03:00-12:04:00 1 16 o 0' ],
	[ [ 'a', 128, '12:01:45' ],
		'12:00:00-12:01:00 3 11 F 1, 12:01:00-12:02:00 2 132 F 1, 12:02:00-12:03:00 1 32 F 1, '
		  . '12:03:00-12:04:00 1 16 o 0' ],
	# W = 12:04:00: [12:03, 12:04) final; [12:01, 12:02) closed (12:04 <= W)
	[ [ 'a', 256, '12:04:00' ],
		'12:00:00-12:01:00 3 11 F 1, 12:01:00-12:02:00 2 132 F 1, 12:02:00-12:03:00 1 32 F 1, '
		  . '12:03:00-12:04:00 1 16 F 0, 12:04:00-12:05:00 1 256 o 0' ],
	[ [ 'a', 512, '12:01:10' ], undef ],    # closed: dropped
	[ [ 'a', 1000, undef ], undef ],        # no event time: skipped
	[ [ 'a', 1000, 'null' ], undef ],       # NULL event time: skipped
	[ [ 'a', 1024, '12:00:30' ], undef ],   # closed: dropped
	[ [ 'a', 2048, '12:01:30' ], undef ],   # closed exactly (12:02 + 2 min = W): dropped
	# final, not closed (12:03 + 2 min > W): merged again, revision 2
	[ [ 'a', 4096, '12:02:45' ],
		'12:00:00-12:01:00 3 11 F 1, 12:01:00-12:02:00 2 132 F 1, 12:02:00-12:03:00 2 4128 F 2, '
		  . '12:03:00-12:04:00 1 16 F 0, 12:04:00-12:05:00 1 256 o 0' ],
);
my $FINAL_ROWS = $steps[-1][1];
my $FINAL_LATE = '0:6 12:00:59 W=12:03:30, 0:9 12:01:10 W=12:04:00, 0:12 12:00:30 W=12:04:00, '
  . '0:13 12:01:30 W=12:04:00';
my $FINAL_COUNTERS = 'W=12:04:00.000000 open=1 final=4 merged=4 dropped=4 null=2';

for my $mode ('lateA', 'lateB')
{
	my $what = $mode eq 'lateA' ? 'one batch' : 'one event per batch';
	source($mode);
	sql(qq{SELECT sw.create_window('${mode}_w', '$mode', 'tumbling', 'count(*) AS n, sum(ms) AS total',
		event_time => 't', size => '1 minute', allowed_lateness => '2 minutes')});
	# more aggregates, merged the same way: internal states, expressions
	sql(qq{SELECT sw.create_window('${mode}_x', '$mode', 'tumbling',
		'avg(ms::numeric) AS a, stddev_pop(ms) AS sd, max(ms) - min(ms) AS spread, round(avg(ms), 1) AS r',
		event_time => 't', size => '1 minute', allowed_lateness => '2 minutes')});
	if ($mode eq 'lateA')
	{
		produce($mode, map { $_->[0] } @steps);
		applied($mode, scalar(@steps), "$what: all events applied");
	}
	else
	{
		my $i = 0;
		for my $s (@steps)
		{
			produce($mode, $s->[0]);
			$i++;
			applied($mode, $i, "$what: event $i applied");
			is(rows("${mode}_w"), $s->[1], "$what: rows after event $i ($s->[0][2])")
			  if defined $s->[1];
			# the rows closed by event 9 (W = 12:04:00), kept to compare
			sql(qq{CREATE TABLE ${mode}_closed AS SELECT * FROM ${mode}_w
				WHERE window_end <= '2026-11-25 12:02:00+00'}) if $i == 9;
		}
		is(sql(qq{SELECT count(*) FROM ${mode}_closed c JOIN ${mode}_w w USING (window_start, window_end,
			n, total, is_final, revision) WHERE w.is_final}),
			'2', "$what: closed rows never changed after they were closed (events 10 to 15 included)");
	}
	is(rows("${mode}_w"), $FINAL_ROWS, "$what: final rows and revisions");
	is(sql(qq{SELECT (SELECT count(*) FROM ((SELECT window_start, a, sd, spread, r, is_final, revision FROM ${mode}_x)
		EXCEPT ALL (SELECT window_start, a, sd, spread, r, is_final, revision FROM ${mode}_x x2 JOIN
			(SELECT w.window_start, avg(ms::numeric) AS a, stddev_pop(ms) AS sd, max(ms) - min(ms) AS spread,
					round(avg(ms), 1) AS r
			 FROM $mode e, sw.tumble(e.t, '1 minute') w WHERE e.t IS NOT NULL AND e.kafka_offset NOT IN
				(SELECT kafka_offset FROM sw.late_events WHERE window_name = '${mode}_w') GROUP BY 1) b
			USING (window_start, a, sd, spread, r))) d) || ' ' || (SELECT count(*) FROM ${mode}_x)
		|| ' ' || (SELECT string_agg(revision::text, ' ' ORDER BY window_start) FROM ${mode}_x)}),
		'0 5 1 1 2 0 0',
		"$what: internal states and expressions over aggregates merged like the batch query over accepted events");
	is(late("${mode}_w"), $FINAL_LATE, "$what: sw.late_events (partition, offset, event time, W it met)");
	is(counters("${mode}_w"), $FINAL_COUNTERS,
		"$what: sw.windows watermark and counters (merged, dropped, final, open, null time)");
	is(sql(qq{SELECT count(*) FILTER (WHERE is_final) || ' ' || count(*) FILTER (WHERE NOT is_final)
		FROM ${mode}_w}), '4 1', "$what: the counters agree with the table");
	is(sql(qq{SELECT kafka_partition || ' ' || max_event_time || ' ' || watermark || ' ' || idle
		FROM sw.watermarks WHERE window_name = '${mode}_w'}),
		'0 2026-11-25 12:04:00+00 2026-11-25 12:04:00+00 false',
		"$what: sw.watermarks (NULL event times do not count)");
}

# ---------------------------------------------------------------------------
# The worked example of docs/semantics.md (delay 10 s, lateness 30 s)
# ---------------------------------------------------------------------------
source('doc');
sql(q{SELECT sw.create_window('doc_w', 'doc', 'tumbling', 'count(*) AS n, sum(ms) AS total',
	event_time => 't', size => '1 minute', watermark_delay => '10 seconds',
	allowed_lateness => '30 seconds')});
produce('doc', map { [ 'a', 1, $_ ] }
	qw(12:00:05 12:00:40 12:01:20 12:00:50 12:03:20 12:02:40 12:00:59 12:01:55 12:03:45));
applied('doc', '9', 'worked example: 9 events applied');
is(rows('doc_w'),
	'12:00:00-12:01:00 3 3 F 1, 12:01:00-12:02:00 1 1 F 0, 12:02:00-12:03:00 1 1 F 1, '
	  . '12:03:00-12:04:00 2 2 o 0',
	'worked example: the result table of docs/semantics.md');
is(late('doc_w'), '0:6 12:00:59 W=12:03:10, 0:7 12:01:55 W=12:03:10',
	'worked example: offsets 6 and 7 dropped against W = 12:03:10');
is(counters('doc_w'), 'W=12:03:35.000000 open=1 final=3 merged=2 dropped=2 null=0',
	'worked example: W = 12:03:35 and the counters');

# ---------------------------------------------------------------------------
# watermark_delay 30 s: a window stays open until an event 30 s past its end
# ---------------------------------------------------------------------------
source('delay');
sql(q{SELECT sw.create_window('delay_w', 'delay', 'tumbling', 'count(*) AS n, sum(ms) AS total',
	event_time => 't', size => '1 minute', watermark_delay => '30 seconds')});
my $i = 0;
for my $s ([ '12:00:10', '12:00:00-12:01:00 1 1 o 0', 'W=11:59:40.000000' ],
	[ '12:01:20', '12:00:00-12:01:00 1 1 o 0, 12:01:00-12:02:00 1 1 o 0', 'W=12:00:50.000000' ],
	[ '12:01:29.999999', '12:00:00-12:01:00 1 1 o 0, 12:01:00-12:02:00 2 2 o 0', 'W=12:00:59.999999' ],
	[ '12:01:30', '12:00:00-12:01:00 1 1 F 0, 12:01:00-12:02:00 3 3 o 0', 'W=12:01:00.000000' ],
	# W = 12:01:00: an event of [12:00, 12:01) is now late (lateness 0: closed)
	[ '12:00:59', '12:00:00-12:01:00 1 1 F 0, 12:01:00-12:02:00 3 3 o 0', 'W=12:01:00.000000' ])
{
	produce('delay', [ 'a', 1, $s->[0] ]);
	$i++;
	applied('delay', $i, "delay 30 s: event $i applied");
	is(rows('delay_w'), $s->[1], "delay 30 s: rows after an event at $s->[0]");
	is((split / /, counters('delay_w'))[0], $s->[2], "delay 30 s: W = max t - 30 s after $s->[0]");
}
is(sql(q{SELECT max_event_time || ' ' || watermark FROM sw.watermarks WHERE window_name = 'delay_w'}),
	'2026-11-25 12:01:30+00 2026-11-25 12:01:00+00', 'delay 30 s: sw.watermarks shows max t and max t - delay');
is(late('delay_w'), '0:4 12:00:59 W=12:01:00', 'delay 30 s: the event behind W is dropped');

# ---------------------------------------------------------------------------
# Sliding (size 2 min, slide 1 min, delay 0, lateness 1 min): each of an
# event's windows is judged on its own
# ---------------------------------------------------------------------------
source('slide');
sql(q{SELECT sw.create_window('slide_w', 'slide', 'sliding', 'count(*) AS n, sum(ms) AS total',
	event_time => 't', size => '2 minutes', slide => '1 minute', allowed_lateness => '1 minute')});
produce('slide', [ 'a', 1, '12:00:10' ], [ 'a', 2, '12:02:40' ]);
applied('slide', '2', 'sliding: first two events applied');
is(rows('slide_w'),
	'11:59:00-12:01:00 1 1 F 0, 12:00:00-12:02:00 1 1 F 0, 12:01:00-12:03:00 1 2 o 0, 12:02:00-12:04:00 1 2 o 0',
	'sliding: W = 12:02:40 makes the two first windows final');
# [11:59, 12:01) is closed (12:02 <= W), [12:00, 12:02) is not (12:03 > W)
produce('slide', [ 'a', 4, '12:00:50' ]);
applied('slide', '3', 'sliding: a late event applied');
is(rows('slide_w'),
	'11:59:00-12:01:00 1 1 F 0, 12:00:00-12:02:00 2 5 F 1, 12:01:00-12:03:00 1 2 o 0, 12:02:00-12:04:00 1 2 o 0',
	'sliding: the late event is dropped from the closed window and merged into the final one');
is(late('slide_w'), '0:2 12:00:50 W=12:02:40', 'sliding: and recorded once in sw.late_events');
produce('slide', [ 'a', 8, '12:01:10' ]);
applied('slide', '4', 'sliding: another event applied');
is(rows('slide_w'),
	'11:59:00-12:01:00 1 1 F 0, 12:00:00-12:02:00 3 13 F 2, 12:01:00-12:03:00 2 10 o 0, 12:02:00-12:04:00 1 2 o 0',
	'sliding: one event merged into a final window (revision 2) and added to an open one (revision 0)');
is(counters('slide_w'), 'W=12:02:40.000000 open=2 final=2 merged=2 dropped=1 null=0',
	'sliding: counters');

# ---------------------------------------------------------------------------
# Events that fail the filter still move W; a NULL group key is a key
# ---------------------------------------------------------------------------
source('filt');
sql(q{SELECT sw.create_window('filt_w', 'filt', 'tumbling', 'count(*) AS n, sum(ms) AS total',
	group_by => 'host', filter => $$host IS DISTINCT FROM 'skip'$$, event_time => 't',
	size => '1 minute')});
$broker->produce('filt', input => qq({"ms":1,"t":"2026-11-25T12:00:05Z"}\n), args => [ '-p', 0 ]);
produce('filt', [ 'a', 2, '12:00:10' ], [ 'skip', 4, '12:01:30' ]);
applied('filt', '3', 'filter: three events applied');
is(sql(q{SELECT string_agg(coalesce(host, 'NULL') || ' ' || to_char(window_start, 'HH24:MI') || ' ' || n
	|| ' ' || total || ' ' || is_final, ', ' ORDER BY host NULLS FIRST) FROM filt_w}),
	'NULL 12:00 1 1 true, a 12:00 1 2 true',
	'filter: the filtered-out event at 12:01:30 has no row but moves W (rows final); NULL host is a key');
is((split / /, counters('filt_w'))[0], 'W=12:01:30.000000', 'filter: W = 12:01:30');
produce('filt', [ 'a', 8, '12:00:20' ], [ 'skip', 16, '12:00:30' ]);
applied('filt', '5', 'filter: two more events applied');
is(late('filt_w'), '0:3 12:00:20 W=12:01:30', 'filter: a late event that passes the filter is dropped and recorded');

# ---------------------------------------------------------------------------
# An out-of-order stream against an oracle computed from staging alone:
# W before an event = (max event time of the earlier events) - delay; an
# event is dropped from a window with window_end + L <= W, merged with a
# revision when W >= window_end; a row is final when the last W >= its end.
# ---------------------------------------------------------------------------
source('ooo');
my %oo = (
	oo_t0 => { kind => 'tumbling', size => '1 minute', delay => '0', lateness => '0',
		assign => q{sw.tumble(e.t, '1 minute')} },
	oo_t1 => { kind => 'tumbling', size => '1 minute', delay => '5 seconds', lateness => '20 seconds',
		assign => q{sw.tumble(e.t, '1 minute')} },
	oo_s => { kind => 'sliding', size => '2 minutes', slide => '30 seconds', delay => '0',
		lateness => '15 seconds', assign => q{sw.hop(e.t, '2 minutes', '30 seconds')} },
	oo_s2 => { kind => 'sliding', size => '100 seconds', slide => '45 seconds', delay => '3 seconds',
		lateness => '40 seconds', origin => '2026-11-25 12:00:07+00',
		assign => q{sw.hop(e.t, '100 seconds', '45 seconds', '2026-11-25 12:00:07+00')} },
	oo_g => { kind => 'sliding', size => '30 seconds', slide => '50 seconds', delay => '0',
		lateness => '10 seconds', assign => q{sw.hop(e.t, '30 seconds', '50 seconds')} },
);
for my $name (sort keys %oo)
{
	my $w = $oo{$name};
	my $slide = $w->{slide} ? ", slide => '$w->{slide}'" : '';
	$slide .= ", origin => '$w->{origin}'" if $w->{origin};
	sql(qq{SELECT sw.create_window('$name', 'ooo', '$w->{kind}', 'count(*) AS n, sum(ms) AS total',
		group_by => 'host', event_time => 't', size => '$w->{size}'$slide,
		watermark_delay => '$w->{delay}', allowed_lateness => '$w->{lateness}')});
}
# 4,000 events, 150 ms apart, 15 % of them 1 to 120 s behind (as the web
# generator's --out-of-order-pct does), five hosts; deterministic.
{
	my @hosts = map { "h$_" } 1 .. 5;
	my $seed = 42;
	my $rand = sub { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed / 2147483648; };
	my $input = '';
	for my $k (0 .. 3999)
	{
		my $ms_t = 123_000 + $k * 150;    # from 12:02:03, so never before 12:00
		$ms_t -= 1_000 + int($rand->() * 119_000) if $rand->() < 0.15;
		my $host = $hosts[ int($rand->() * 5) ];
		my $ms = 1 + int($rand->() * 200);
		my ($s, $f) = (int($ms_t / 1000), $ms_t % 1000);
		my $t = sprintf('%02d:%02d:%02d.%03d', 12 + int($s / 3600), int($s / 60) % 60, $s % 60, $f);
		$input .= qq({"host":"$host","ms":$ms,"t":"2026-11-25T${t}Z"}\n);
	}
	$broker->produce('ooo', input => $input, args => [ '-p', 0 ]);
}
applied('ooo', '4000', 'out of order: 4,000 events applied');
for my $name (sort keys %oo)
{
	my $w = $oo{$name};
	my $ev = qq{WITH ev AS (
			SELECT e.kafka_offset, e.host, e.ms, e.t,
				   max(e.t) OVER (ORDER BY e.kafka_offset ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
				   - interval '$w->{delay}' AS wb
			FROM ooo e),
		pw AS (SELECT e.*, w.window_start, w.window_end FROM ev e, $w->{assign} w),
		wf AS (SELECT max(t) - interval '$w->{delay}' AS wf FROM ooo)};
	my $oracle = qq{$ev
		SELECT host, window_start, window_end, count(*) AS n, sum(ms) AS total,
			   (SELECT wf FROM wf) >= window_end AS is_final,
			   (count(*) FILTER (WHERE wb >= window_end))::int AS revision
		FROM pw WHERE wb IS NULL OR window_end + interval '$w->{lateness}' > wb
		GROUP BY 1, 2, 3};
	my $res = qq{SELECT host, window_start, window_end, n, total, is_final, revision FROM $name};
	is(sql(qq{SELECT (SELECT count(*) FROM (($res) EXCEPT ALL ($oracle)) a) || ' ' ||
		(SELECT count(*) FROM (($oracle) EXCEPT ALL ($res)) b)}), '0 0',
		"$name: rows, aggregates, is_final and revisions equal the oracle");
	is(sql(qq{SELECT count(*) > 50, sum(revision) > 0, bool_or(is_final), bool_or(NOT is_final) FROM $name}),
		$w->{lateness} eq '0' ? 't|f|t|t' : 't|t|t|t',
		"$name: the comparison covers many rows, final and open rows (and revisions when L > 0)");
	my $oracle_late = qq{$ev
		SELECT DISTINCT 0, kafka_offset, t, wb FROM pw
		WHERE wb IS NOT NULL AND window_end + interval '$w->{lateness}' <= wb};
	my $late = qq{SELECT DISTINCT kafka_partition, kafka_offset, event_time, watermark
		FROM sw.late_events WHERE window_name = '$name'};
	is(sql(qq{SELECT (SELECT count(*) FROM (($late) EXCEPT ($oracle_late)) a) || ' ' ||
		(SELECT count(*) FROM (($oracle_late) EXCEPT ($late)) b) || ' ' ||
		((SELECT count(*) FROM ($late) c) > 20)}), '0 0 true',
		"$name: sw.late_events holds exactly the dropped events, each with the W it met");
	is(sql(qq{SELECT open_windows || ' ' || final_windows FROM sw.windows WHERE name = '$name'}),
		sql(qq{SELECT count(*) FILTER (WHERE NOT is_final) || ' ' || count(*) FILTER (WHERE is_final)
			FROM $name}), "$name: open_windows and final_windows agree with the table");
	if ($w->{kind} eq 'tumbling')
	{
		is(sql(qq{SELECT late_merged || ' ' || late_dropped FROM sw.windows WHERE name = '$name'}),
			sql(qq{SELECT (SELECT sum(revision) FROM $name) || ' ' ||
				(SELECT count(*) FROM sw.late_events WHERE window_name = '$name')}),
			"$name: late_merged = sum of revisions, late_dropped = late events");
	}
}

$node->stop;
$broker->stop;
done_testing();
