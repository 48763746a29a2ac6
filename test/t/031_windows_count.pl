# 031_windows_count.pl — continuous count windows (kind 'count', count 3,
# per ip) against SPEC.md "Semantics" (Count, Watermark) and "Guarantees".
# Events carry explicit event times (2026-11-25, UTC), one partition where
# order matters:
#   (a) the result table's columns (… revision, window_seq, is_complete,
#       then only _sw*);
#   (b) windows of 3 events in arrival order: final and complete at the
#       3rd, window_start/window_end the least/greatest event time (events
#       out of order), window_seq 0, 1, 2 … per key, keys interleaved; very
#       old events are never dropped; NULL event times skipped and counted;
#       in one batch and one event per batch;
#   (c) timeout: an incomplete window becomes final with is_complete = false
#       once W reaches its first-arrived event time + timeout (W moved by
#       another key, or by sw.advance_watermark); the key's next event opens
#       the next window; each event is judged against W before it;
#   (d) an out-of-order stream with timeouts against an oracle of the rules;
#   (e) the Lambda check: without timeout the result equals the batch query
#       with sw.count_window(3) OVER (PARTITION BY ip ORDER BY
#       kafka_partition, kafka_offset) over staging (keys on 3 partitions);
#   (h) bad definitions;
#   (i) keys ever seen cost no memory: a key without an open window waits
#       among at most 10,000 idle keys, then leaves memory; when it comes
#       back its window_seq numbers on, from memory or from the result
#       table (20,000 keys more leave the window's memory as it was);
#   (f) a restart (pg_ctl restart) continues window_seq and keeps an open
#       window's events, aggregates and first event time (a cluster of its
#       own, so that a failure there leaves the other sections alone);
#   (g) exactly once under kill -9 of the worker mid-stream (idem).
use strict;
use warnings;
use List::Util qw(min max);
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(
	topics => [ 'cA:1', 'cB:1', 'ctA:1', 'ctB:1', 'cor:1', 'cg:3', 'cr:1', 'ceo:4', 'ck:1' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('counts', conf => "timezone = 'UTC'\nsw.batch_size = 500\n");
my $T0_MS = 1795608000000;    # 2026-11-25 12:00:00 UTC, epoch ms
my %IP = (a => '10.0.0.1', b => '10.0.0.2', c => '10.0.0.3', d => '10.0.0.4');

sub sql { return $node->safe_psql('postgres', $_[0]); }

# One JSON line per event [ip letter, ms, 'HH:MM:SS[.ffffff]' | 'null'].
sub line
{
	my ($ip, $ms, $t) = @{ $_[0] };
	return qq({"ip":"$IP{$ip}","ms":$ms,"t":null}\n) if $t eq 'null';
	return qq({"ip":"$IP{$ip}","ms":$ms,"t":"2026-11-25T${t}Z"}\n);
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
	sql(qq{SELECT sw.create_source('$name', '$bs', '$name', columns => 'ip inet, ms int, t timestamptz')});
}

# The rows as "ip window_seq start-end n total [F|o][c|i] revision", ordered.
sub rows
{
	my ($win) = @_;
	return sql(qq{SELECT string_agg(host(ip) || ' ' || window_seq || ' ' || hms(window_start) || '-'
		|| hms(window_end) || ' ' || n || ' ' || total || ' ' || CASE WHEN is_final THEN 'F' ELSE 'o' END
		|| CASE WHEN is_complete THEN 'c' ELSE 'i' END || ' ' || revision, ', ' ORDER BY ip, window_seq)
		FROM $win});
}

sub counters
{
	my ($win) = @_;
	return sql(qq{SELECT 'W=' || coalesce(hms(watermark), '-') || ' open=' || open_windows
		|| ' final=' || final_windows || ' merged=' || late_merged || ' dropped=' || late_dropped
		|| ' null=' || null_time_skipped || ' late_events='
		|| (SELECT count(*) FROM sw.late_events WHERE window_name = '$win')
		FROM sw.windows WHERE name = '$win'});
}

# SQL giving "rows of (a EXCEPT ALL b) rows of (b EXCEPT ALL a)": "0 0" when equal.
sub diff_count
{
	my ($a, $b) = @_;
	return qq{
		SELECT (SELECT count(*) FROM (($a) EXCEPT ALL ($b)) d1) || ' ' ||
			   (SELECT count(*) FROM (($b) EXCEPT ALL ($a)) d2)};
}

sub setup
{
	sql(q{
CREATE FUNCTION hms(timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
	AS $$SELECT regexp_replace(to_char($1, 'HH24:MI:SS.US'), '\.000000$', '')$$;
}
. SwTest::ms_summary_sql() . q{
});
}
setup();
my $AGGS = 'count(*) AS n, sum(ms) AS total, min(ms) AS lo, max(ms) AS hi, avg(ms) AS avg_ms, '
  . 'ms_summary(ms) AS summary';
my $RES_COLS = 'ip, window_seq, window_start, window_end, n, total, lo, hi, avg_ms, summary, is_complete';

# The batch side: count windows of ip by sw.count_window(3) in arrival order.
sub batch_counts
{
	my ($staging) = @_;
	return qq{SELECT ip, seq, min(t), max(t), count(*), sum(ms), min(ms), max(ms), avg(ms), ms_summary(ms),
		count(*) = 3 FROM (SELECT ip, t, ms, sw.count_window(3) OVER (PARTITION BY ip
			ORDER BY kafka_partition, kafka_offset) AS seq FROM $staging WHERE t IS NOT NULL) c
		GROUP BY ip, seq};
}

# ---------------------------------------------------------------------------
# (b) count 3, no timeout.  Each ms is a power of two: total names the events.
# ---------------------------------------------------------------------------
my @cnt = (
	[ [ 'a', 1, '12:00:10' ], '10.0.0.1 0 12:00:10-12:00:10 1 1 oi 0' ],
	# earlier than the first: window_start moves back
	[ [ 'a', 2, '12:00:05' ], '10.0.0.1 0 12:00:05-12:00:10 2 3 oi 0' ],
	[ [ 'b', 4, '12:00:20' ], '10.0.0.1 0 12:00:05-12:00:10 2 3 oi 0, 10.0.0.2 0 12:00:20-12:00:20 1 4 oi 0' ],
	# the 3rd event of a: final and complete
	[ [ 'a', 8, '12:00:30' ], '10.0.0.1 0 12:00:05-12:00:30 3 11 Fc 0, 10.0.0.2 0 12:00:20-12:00:20 1 4 oi 0' ],
	# an hour behind W: never late, it opens a's window 1
	[ [ 'a', 16, '11:00:00' ],
		'10.0.0.1 0 12:00:05-12:00:30 3 11 Fc 0, 10.0.0.1 1 11:00:00-11:00:00 1 16 oi 0, '
		  . '10.0.0.2 0 12:00:20-12:00:20 1 4 oi 0' ],
	[ [ 'b', 32, '12:00:01' ],
		'10.0.0.1 0 12:00:05-12:00:30 3 11 Fc 0, 10.0.0.1 1 11:00:00-11:00:00 1 16 oi 0, '
		  . '10.0.0.2 0 12:00:01-12:00:20 2 36 oi 0' ],
	[ [ 'a', 1000, 'null' ], undef ],    # NULL event time: skipped, not counted
	[ [ 'a', 64, '13:00:00' ],
		'10.0.0.1 0 12:00:05-12:00:30 3 11 Fc 0, 10.0.0.1 1 11:00:00-13:00:00 2 80 oi 0, '
		  . '10.0.0.2 0 12:00:01-12:00:20 2 36 oi 0' ],
	[ [ 'b', 128, '12:00:02' ],
		'10.0.0.1 0 12:00:05-12:00:30 3 11 Fc 0, 10.0.0.1 1 11:00:00-13:00:00 2 80 oi 0, '
		  . '10.0.0.2 0 12:00:01-12:00:20 3 164 Fc 0' ],
	[ [ 'a', 256, '10:00:00' ],
		'10.0.0.1 0 12:00:05-12:00:30 3 11 Fc 0, 10.0.0.1 1 10:00:00-13:00:00 3 336 Fc 0, '
		  . '10.0.0.2 0 12:00:01-12:00:20 3 164 Fc 0' ],
	[ [ 'a', 512, '12:00:00' ],
		'10.0.0.1 0 12:00:05-12:00:30 3 11 Fc 0, 10.0.0.1 1 10:00:00-13:00:00 3 336 Fc 0, '
		  . '10.0.0.1 2 12:00:00-12:00:00 1 512 oi 0, 10.0.0.2 0 12:00:01-12:00:20 3 164 Fc 0' ],
	# a new key whose first event is three hours behind W
	[ [ 'c', 1024, '09:00:00' ],
		'10.0.0.1 0 12:00:05-12:00:30 3 11 Fc 0, 10.0.0.1 1 10:00:00-13:00:00 3 336 Fc 0, '
		  . '10.0.0.1 2 12:00:00-12:00:00 1 512 oi 0, 10.0.0.2 0 12:00:01-12:00:20 3 164 Fc 0, '
		  . '10.0.0.3 0 09:00:00-09:00:00 1 1024 oi 0' ],
);

for my $mode ('cA', 'cB')
{
	my $what = $mode eq 'cA' ? 'count 3, one batch' : 'count 3, one event per batch';
	source($mode);
	sql(qq{SELECT sw.create_window('${mode}_w', '$mode', 'count', '$AGGS', group_by => 'ip',
		event_time => 't', count => 3)});
	if ($mode eq 'cA')
	{
		produce($mode, map { $_->[0] } @cnt);
		applied($mode, scalar(@cnt), "$what: all events applied");
	}
	else
	{
		my $i = 0;
		for my $s (@cnt)
		{
			produce($mode, $s->[0]);
			$i++;
			applied($mode, $i, "$what: event $i applied");
			is(rows("${mode}_w"), $s->[1], "$what: rows after event $i ($s->[0][0] $s->[0][2])")
			  if defined $s->[1];
		}
	}
	is(rows("${mode}_w"), $cnt[-1][1], "$what: windows, bounds, window_seq per key");
	is(counters("${mode}_w"), 'W=13:00:00 open=2 final=3 merged=0 dropped=0 null=1 late_events=0',
		"$what: counters: nothing late (events hours behind W included), one NULL time");
	is(sql(qq{SELECT string_agg(host(ip) || ' ' || window_seq || ' ' || lo || ' ' || hi || ' '
		|| round(avg_ms, 2) || ' ' || summary, ', ' ORDER BY ip, window_seq) FROM ${mode}_w}),
		'10.0.0.1 0 1 8 3.67 3/11/8, 10.0.0.1 1 16 256 112.00 3/336/256, 10.0.0.1 2 512 512 512.00 1/512/512, '
		  . '10.0.0.2 0 4 128 54.67 3/164/128, 10.0.0.3 0 1024 1024 1024.00 1/1024/1024',
		"$what: min, max, avg and a user aggregate (COMBINEFUNC) per window");
	is(sql(diff_count("SELECT $RES_COLS FROM ${mode}_w", batch_counts($mode))), '0 0',
		"$what: the Lambda check against sw.count_window(3) over staging");
	# the watermark does not finalize an incomplete window without timeout
	sql(qq{SELECT sw.advance_watermark('${mode}_w', '2100-01-01 00:00:00+00')});
	SwTest::poll($node, qq{SELECT hms(watermark) FROM sw.windows WHERE name = '${mode}_w'}, '00:00:00',
		"$what: sw.advance_watermark raises W");
	is(rows("${mode}_w"), $cnt[-1][1], "$what: without timeout the incomplete windows stay open whatever W");
}

# ---------------------------------------------------------------------------
# (a) columns
# ---------------------------------------------------------------------------
is(sql(q{SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = 'cA_w'::regclass AND attnum > 0 AND NOT attisdropped
	AND attnum <= (SELECT attnum FROM pg_attribute WHERE attrelid = 'cA_w'::regclass AND attname = 'is_complete')}),
	'ip inet, window_start timestamp with time zone, window_end timestamp with time zone, n bigint, '
	  . 'total bigint, lo integer, hi integer, avg_ms numeric, summary text, is_final boolean, '
	  . 'revision integer, window_seq bigint, is_complete boolean',
	'count result: group keys, window_start, window_end, aggregates, is_final, revision, window_seq, is_complete');
is(sql(q{SELECT count(*) FROM pg_attribute WHERE attrelid = 'cA_w'::regclass AND attnum > 0
	AND NOT attisdropped AND attname NOT LIKE '\_sw%' AND attnum > (SELECT attnum FROM pg_attribute
		WHERE attrelid = 'cA_w'::regclass AND attname = 'is_complete')}),
	'0', 'count result: every column after is_complete begins with _sw');
is(sql(q{SELECT relpersistence FROM pg_class WHERE oid = 'cA_w'::regclass}), 'p',
	'count result: a logged table');

# ---------------------------------------------------------------------------
# (c) timeout 1 minute (delay 0): W = the greatest event time so far
# ---------------------------------------------------------------------------
my @to = (
	[ [ 'a', 1, '12:00:00' ], '10.0.0.1 0 12:00:00-12:00:00 1 1 oi 0' ],
	[ [ 'a', 2, '12:00:20' ], '10.0.0.1 0 12:00:00-12:00:20 2 3 oi 0' ],
	# W = 12:00:59.999999: 1 us short of a's deadline 12:01:00
	[ [ 'b', 4, '12:00:59.999999' ],
		'10.0.0.1 0 12:00:00-12:00:20 2 3 oi 0, 10.0.0.2 0 12:00:59.999999-12:00:59.999999 1 4 oi 0' ],
	# W = 12:01:00 = a's first event + 1 min: final, incomplete (b moved W)
	[ [ 'b', 8, '12:01:00' ],
		'10.0.0.1 0 12:00:00-12:00:20 2 3 Fi 0, 10.0.0.2 0 12:00:59.999999-12:01:00 2 12 oi 0' ],
	# a's next event opens window 1, though its time is before window 0's deadline
	[ [ 'a', 16, '12:00:40' ],
		'10.0.0.1 0 12:00:00-12:00:20 2 3 Fi 0, 10.0.0.1 1 12:00:40-12:00:40 1 16 oi 0, '
		  . '10.0.0.2 0 12:00:59.999999-12:01:00 2 12 oi 0' ],
	# judged against W = 12:01 before it: joins window 1 (deadline 12:01:40);
	# then W = 12:05 times out a's window 1 and b's window 0
	[ [ 'a', 32, '12:05:00' ],
		'10.0.0.1 0 12:00:00-12:00:20 2 3 Fi 0, 10.0.0.1 1 12:00:40-12:05:00 2 48 Fi 0, '
		  . '10.0.0.2 0 12:00:59.999999-12:01:00 2 12 Fi 0' ],
	[ [ 'b', 64, '12:05:01' ],
		'10.0.0.1 0 12:00:00-12:00:20 2 3 Fi 0, 10.0.0.1 1 12:00:40-12:05:00 2 48 Fi 0, '
		  . '10.0.0.2 0 12:00:59.999999-12:01:00 2 12 Fi 0, 10.0.0.2 1 12:05:01-12:05:01 1 64 oi 0' ],
	[ [ 'b', 128, '12:05:02' ], undef ],
	# complete before its timeout
	[ [ 'b', 256, '12:05:03' ],
		'10.0.0.1 0 12:00:00-12:00:20 2 3 Fi 0, 10.0.0.1 1 12:00:40-12:05:00 2 48 Fi 0, '
		  . '10.0.0.2 0 12:00:59.999999-12:01:00 2 12 Fi 0, 10.0.0.2 1 12:05:01-12:05:03 3 448 Fc 0' ],
	# an hour behind W: not dropped; its window's deadline (11:01) is already
	# behind W, so it is final (incomplete) at once, and the next event of
	# the key opens another window
	[ [ 'a', 512, '11:00:00' ],
		'10.0.0.1 0 12:00:00-12:00:20 2 3 Fi 0, 10.0.0.1 1 12:00:40-12:05:00 2 48 Fi 0, '
		  . '10.0.0.1 2 11:00:00-11:00:00 1 512 Fi 0, 10.0.0.2 0 12:00:59.999999-12:01:00 2 12 Fi 0, '
		  . '10.0.0.2 1 12:05:01-12:05:03 3 448 Fc 0' ],
	[ [ 'a', 1024, '11:00:01' ],
		'10.0.0.1 0 12:00:00-12:00:20 2 3 Fi 0, 10.0.0.1 1 12:00:40-12:05:00 2 48 Fi 0, '
		  . '10.0.0.1 2 11:00:00-11:00:00 1 512 Fi 0, 10.0.0.1 3 11:00:01-11:00:01 1 1024 Fi 0, '
		  . '10.0.0.2 0 12:00:59.999999-12:01:00 2 12 Fi 0, 10.0.0.2 1 12:05:01-12:05:03 3 448 Fc 0' ],
	[ [ 'a', 1000, 'null' ], undef ],
	[ [ 'c', 2048, '12:05:30' ],
		'10.0.0.1 0 12:00:00-12:00:20 2 3 Fi 0, 10.0.0.1 1 12:00:40-12:05:00 2 48 Fi 0, '
		  . '10.0.0.1 2 11:00:00-11:00:00 1 512 Fi 0, 10.0.0.1 3 11:00:01-11:00:01 1 1024 Fi 0, '
		  . '10.0.0.2 0 12:00:59.999999-12:01:00 2 12 Fi 0, 10.0.0.2 1 12:05:01-12:05:03 3 448 Fc 0, '
		  . '10.0.0.3 0 12:05:30-12:05:30 1 2048 oi 0' ],
);
my $TO_ROWS = $to[-1][1];

for my $mode ('ctA', 'ctB')
{
	my $what = $mode eq 'ctA' ? 'timeout, one batch' : 'timeout, one event per batch';
	source($mode);
	sql(qq{SELECT sw.create_window('${mode}_w', '$mode', 'count', '$AGGS', group_by => 'ip',
		event_time => 't', count => 3, timeout => '1 minute')});
	if ($mode eq 'ctA')
	{
		produce($mode, map { $_->[0] } @to);
		applied($mode, scalar(@to), "$what: all events applied");
	}
	else
	{
		my $i = 0;
		for my $s (@to)
		{
			produce($mode, $s->[0]);
			$i++;
			applied($mode, $i, "$what: event $i applied");
			is(rows("${mode}_w"), $s->[1], "$what: rows after event $i ($s->[0][0] $s->[0][2])")
			  if defined $s->[1];
		}
	}
	is(rows("${mode}_w"), $TO_ROWS, "$what: windows final by count or by timeout");
	is(counters("${mode}_w"), 'W=12:05:30 open=1 final=6 merged=0 dropped=0 null=1 late_events=0',
		"$what: counters: nothing late, one NULL time");
	is(sql(qq{SELECT count(*) || ' ' || count(*) FILTER (WHERE (w.n, w.total, w.lo, w.hi, w.avg_ms, w.summary)
		= (SELECT count(*), sum(e.ms), min(e.ms), max(e.ms), avg(e.ms), ms_summary(e.ms)
			FROM $mode e WHERE e.ip = w.ip AND e.t BETWEEN w.window_start AND w.window_end)) FROM ${mode}_w w}),
		'7 7', "$what: every window's aggregates are those of its events");
}
# sw.advance_watermark times out c's window within about a second, without events
sql(q{SELECT sw.advance_watermark('ctB_w', '2026-11-25 12:06:30+00')});
SwTest::poll($node, q{SELECT string_agg(window_seq || ' ' || is_final || ' ' || is_complete, ', ')
	FROM ctB_w WHERE ip = '10.0.0.3'}, '0 true false',
	'timeout: sw.advance_watermark to first event + timeout makes the window final, incomplete');
produce('ctB', [ 'c', 4096, '12:05:31' ]);
applied('ctB', scalar(@to) + 1, 'timeout: an event after the advance applied');
is(sql(q{SELECT string_agg(window_seq || ' ' || hms(window_start) || ' ' || n || ' ' || is_final || ' '
	|| is_complete, ', ' ORDER BY window_seq) FROM ctB_w WHERE ip = '10.0.0.3'}),
	'0 12:05:30 1 true false, 1 12:05:31 1 false false',
	'timeout: the next event opens window 1 (its deadline 12:06:31 is after W = 12:06:30)');
is(counters('ctB_w'), 'W=12:06:30 open=1 final=7 merged=0 dropped=0 null=1 late_events=0',
	'timeout: counters after the advance');

# ---------------------------------------------------------------------------
# (d) 2,000 events, 6 ips, 250 ms apart, 20 % of them 1 to 90 s behind, 2 %
# with a NULL time; count 4, timeout 20 s, delay 2 s; against the rules.
# ---------------------------------------------------------------------------
source('cor');
sql(qq{SELECT sw.create_window('cor_w', 'cor', 'count', 'count(*) AS n, sum(ms) AS total', group_by => 'ip',
	event_time => 't', count => 4, timeout => '20 seconds', watermark_delay => '2 seconds')});
my @cev;
{
	my $seed = 5;
	my $rand = sub { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed / 2147483648; };
	my $input = '';
	for my $k (0 .. 1999)
	{
		my $t = 100_000 + $k * 250;
		$t -= 1_000 + int($rand->() * 89_000) if $rand->() < 0.2;
		my $ip = '10.0.2.' . (1 + int($rand->() * 6));
		my $ms = 1 + int($rand->() * 1000);
		if ($rand->() < 0.02)
		{
			push @cev, [ $k, $ip, $ms, undef ];
			$input .= qq({"ip":"$ip","ms":$ms}\n);
			next;
		}
		push @cev, [ $k, $ip, $ms, $t ];
		my ($s, $f) = (int($t / 1000), $t % 1000);
		$input .= sprintf(qq({"ip":"%s","ms":%d,"t":"2026-11-25T%02d:%02d:%02d.%03dZ"}\n),
			$ip, $ms, 12 + int($s / 3600), int($s / 60) % 60, $s % 60, $f);
	}
	$broker->produce('cor', input => $input, args => [ '-p', 0 ]);
}
applied('cor', '2000', 'oracle: 2,000 events applied');
{
	# one event at a time: a window timed out before the event (W >= first +
	# timeout) is final; the event opens a window if the key has none; the
	# n-th event completes it; then W = max(W, max t - delay)
	my ($n, $tau, $delay) = (4, 20_000, 2_000);
	my (%open, %next, @done, $W, $maxt);
	my $nulls = 0;
	for my $e (@cev)
	{
		my ($off, $ip, $ms, $t) = @$e;
		if (!defined $t) { $nulls++; next; }
		my $o = $open{$ip};
		if ($o && defined $W && $W >= $o->{first} + $tau)
		{
			push @done, $o;
			$o = undef;
		}
		if (!$o)
		{
			my $seq = $next{$ip} // 0;
			$next{$ip} = $seq + 1;
			$o = { ip => $ip, seq => $seq, first => $t, start => $t, end => $t, n => 0, total => 0 };
		}
		$o->{n}++;
		$o->{total} += $ms;
		$o->{start} = min($o->{start}, $t);
		$o->{end} = max($o->{end}, $t);
		if ($o->{n} == $n) { push @done, $o; delete $open{$ip}; }
		else { $open{$ip} = $o; }
		$maxt = $t if !defined $maxt || $t > $maxt;
		$W = $maxt - $delay if !defined $W || $maxt - $delay > $W;
	}
	push @done, values %open;
	my @oracle = sort map {
		join(' ', $_->{ip}, $_->{seq}, $_->{start}, $_->{end}, $_->{n}, $_->{total},
			($_->{n} == $n || $W >= $_->{first} + $tau) ? 't' : 'f', $_->{n} == $n ? 't' : 'f')
	} @done;
	my @rows = sort split /\n/, sql(qq{SELECT host(ip) || ' ' || window_seq || ' '
		|| ((extract(epoch FROM window_start) * 1000)::bigint - $T0_MS) || ' '
		|| ((extract(epoch FROM window_end) * 1000)::bigint - $T0_MS) || ' ' || n || ' ' || total || ' '
		|| CASE WHEN is_final THEN 't' ELSE 'f' END || ' ' || CASE WHEN is_complete THEN 't' ELSE 'f' END
		FROM cor_w});
	is_deeply(\@rows, \@oracle, 'oracle: windows, bounds, aggregates, is_final and is_complete equal the rules');
	my $timed_out = grep { / t f$/ } @oracle;
	my $complete = grep { / t t$/ } @oracle;
	ok($timed_out > 20 && $complete > 50 && (grep { / f f$/ } @oracle),
		"oracle: the comparison covers timed-out ($timed_out), complete ($complete) and open windows");
	is(counters('cor_w'), sprintf('W=%s open=%d final=%d merged=0 dropped=0 null=%d late_events=0',
			sql(qq{SELECT hms(timestamptz 'epoch' + interval '1 millisecond' * ($T0_MS + $W))}),
			scalar(grep { / f f$/ } @oracle), scalar(grep { / t .$/ } @oracle), $nulls),
		'oracle: W and counters (nothing dropped, NULL times counted)');
}

# ---------------------------------------------------------------------------
# (e) the Lambda check: 3,000 events keyed by ip over 3 partitions (every
# ip in one partition, as Kafka's partitioner by key does), 40 ips, event
# times in no order, 1 % with a NULL time; count 3, no timeout.
# ---------------------------------------------------------------------------
source('cg');
sql(qq{SELECT sw.create_window('cg_w', 'cg', 'count', '$AGGS', group_by => 'ip', event_time => 't', count => 3)});
{
	my $seed = 3;
	my $rand = sub { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed / 2147483648; };
	my $input = '';
	for my $k (0 .. 2999)
	{
		my $ip = '10.0.3.' . (1 + int($rand->() * 40));
		my $ms = 1 + int($rand->() * 500);
		my $t = int($rand->() * 3_600_000);
		my ($s, $f) = (int($t / 1000), $t % 1000);
		$input .= $rand->() < 0.01 ? qq($ip|{"ip":"$ip","ms":$ms,"t":null}\n)
		  : sprintf(qq(%s|{"ip":"%s","ms":%d,"t":"2026-11-25T%02d:%02d:%02d.%03dZ"}\n),
			$ip, $ip, $ms, 12 + int($s / 3600), int($s / 60) % 60, $s % 60, $f);
	}
	$broker->produce('cg', input => $input, args => [ '-K', '|' ]);
}
applied('cg', '3000', 'Lambda: 3,000 events applied');
is(sql(q{SELECT (SELECT count(DISTINCT kafka_partition) FROM cg) || ' ' || bool_and(np = 1)
	FROM (SELECT count(DISTINCT kafka_partition) AS np FROM cg GROUP BY ip) s}),
	'3 true',
	'Lambda: the events are on 3 partitions, each ip on one');
is(sql(diff_count("SELECT $RES_COLS FROM cg_w", batch_counts('cg'))), '0 0',
	'Lambda: equal to sw.count_window(3) OVER (PARTITION BY ip ORDER BY kafka_partition, kafka_offset)');
is(sql(q{SELECT count(*) FILTER (WHERE is_final <> is_complete) || ' ' || max(revision) || ' '
	|| count(*) FILTER (WHERE NOT is_complete) || ' ' || count(DISTINCT ip) || ' ' || sum(n)
	|| ' ' || bool_and(window_seq < (SELECT count(*) FROM cg_w c WHERE c.ip = w.ip))
	FROM cg_w w}),
	'0 0 ' . sql(q{SELECT count(DISTINCT ip) FILTER (WHERE n % 3 <> 0) || ' 40 ' || sum(n) FROM
		(SELECT ip, count(t) AS n FROM cg GROUP BY ip) s}) . ' true',
	'Lambda: final exactly when complete, revision 0, one incomplete window per ip with a remainder, '
	  . 'every timed event counted, window_seq gapless');
is(sql(q{SELECT null_time_skipped = (SELECT count(*) FROM cg WHERE t IS NULL) AND null_time_skipped > 0
	FROM sw.windows WHERE name = 'cg_w'}), 't', 'Lambda: the NULL event times are counted in null_time_skipped');

# ---------------------------------------------------------------------------
# (h) bad definitions
# ---------------------------------------------------------------------------
for my $bad (
	[ 'count => 0', qr/count/, 'count 0' ],
	[ 'count => -1', qr/count/, 'count -1' ],
	[ '', qr/count/, 'no count' ],
	[ q{count => 3, gap => '1 minute'}, qr/gap/, 'gap on a count window' ],
	[ q{count => 3, size => '1 minute'}, qr/size/, 'size on a count window' ],
	[ q{count => 3, slide => '1 minute'}, qr/slide/, 'slide on a count window' ],
	[ q{count => 3, timeout => '0'}, qr/timeout/, 'timeout 0' ],
	[ q{count => 3, timeout => '-1 minute'}, qr/timeout/, 'a negative timeout' ],
	[ q{count => 3, timeout => '1 month'}, qr/timeout/, 'a timeout of variable length (months)' ])
{
	my ($args, $re, $what) = @$bad;
	my $comma = $args eq '' ? '' : ', ';
	my ($rc, $out, $err) = $node->psql('postgres', qq{\\set VERBOSITY verbose
		SELECT sw.create_window('bad_c', 'cA', 'count', 'count(*) AS n', group_by => 'ip',
			event_time => 't'$comma$args)});
	ok($rc != 0 && $err =~ /ERROR:  22023: .*$re/ && $err =~ /DETAIL:  / && $err =~ /HINT:  /,
		"$what: ERROR 22023 naming it, with DETAIL and HINT") or diag($err);
}
is(sql(q{SELECT to_regclass('bad_c') IS NULL, count(*) FROM sw.windows WHERE name = 'bad_c'}), 't|0',
	'bad definitions create nothing');
is(sql(q{SELECT kind || ' ' || count || ' ' || coalesce(timeout::text, '-') || ' ' || coalesce(gap::text, '-')
	|| ' ' || coalesce(size::text, '-') FROM sw.windows WHERE name IN ('cA_w', 'ctA_w') ORDER BY name}),
	"count 3 - - -\ncount 3 00:01:00 - -", 'sw.windows shows the count parameters');
# (i) keys ever seen cost no memory.  Count windows of one event per key
# n: each closes at once, and its key waits among the 10,000 idle keys
# (SW_IDLE_KEYS) that remember their next window_seq.  The window's memory
# (its context and its hash of keys, from pg_log_backend_memory_contexts)
# after 12,000 keys (the idle keys full) and after 32,000 must be the same
# size.  Then the first 2,000 keys, long forgotten, come back and number on
# (window_seq 1), read from the result table in one statement a batch; and
# so do the last 2,000, remembered.
sql(qq{SELECT sw.create_source('ck', '$bs', 'ck', columns => 'n int')});
sql(q{SELECT sw.create_window('ck_w', 'ck', 'count', 'count(*) AS c', group_by => 'n', count => 1)});
sub keys_lines { my ($from, $to) = @_; return join('', map { qq({"n":$_}\n) } $from .. $to); }
sub window_memory
{
	my $pid = SwTest::worker_pid($node, 'ck');
	my $offset = -s $node->logfile;
	sql("SELECT pg_log_backend_memory_contexts($pid)");
	$node->wait_for_log(qr/stream_windows open keys: \d+ total/, $offset);
	my $log = slurp_file($node->logfile, $offset);
	my $total = 0;
	$total += $1 while $log =~ /(?:stream_windows window|stream_windows open keys): (\d+) total/g;
	return $total;
}
$broker->produce('ck', input => keys_lines(0, 11999), args => [ '-p', 0 ]);
applied('ck', 12000, '(i) 12,000 keys applied');
my $mem_before = window_memory();
$broker->produce('ck', input => keys_lines(12000, 31999), args => [ '-p', 0 ]);
applied('ck', 32000, '(i) 20,000 keys more applied');
my $mem_after = window_memory();
cmp_ok($mem_before, '>', 0, "(i) the window's memory is in the log");
cmp_ok($mem_after, '<', $mem_before + 64 * 1024,
	"(i) 20,000 keys seen leave no memory behind ($mem_before then $mem_after bytes)");
$broker->produce('ck', input => keys_lines(0, 1999) . keys_lines(30000, 31999), args => [ '-p', 0 ]);
applied('ck', 36000, '(i) the first and the last keys again');
is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE window_seq = 1 AND (n < 2000 OR n >= 30000))
	|| ' ' || max(window_seq) || ' ' || count(DISTINCT (n, window_seq)) || ' ' || bool_and(is_final AND c = 1)
	FROM ck_w}),
	'36000 4000 1 36000 true', '(i) keys that came back number on, forgotten or remembered');

$node->stop;

# Worker crashes (other than our own kill -9) in the server log.
sub crashes
{
	return join("\n", grep { /was terminated by signal (?!9:)\d+/ } split /\n/, slurp_file($node->logfile));
}

# ---------------------------------------------------------------------------
# (f) a restart (pg_ctl restart) continues window_seq and keeps open
# windows: their events, aggregates and first event time.  A cluster of
# its own: the other sections do not depend on it.
# ---------------------------------------------------------------------------
$node = SwTest::node('counts_restart', conf => "timezone = 'UTC'\n");
setup();
my $CR_AGGS = 'count(*) AS n, sum(ms) AS total, min(ms) AS lo, max(ms) AS hi';
source('cr');
sql(qq{SELECT sw.create_window('cr_w', 'cr', 'count', '$CR_AGGS', group_by => 'ip', event_time => 't',
	count => 3)});
sql(qq{SELECT sw.create_window('cr_t', 'cr', 'count', '$CR_AGGS', group_by => 'ip', event_time => 't',
	count => 3, timeout => '10 minutes')});
produce('cr', [ 'a', 1, '12:00:00' ], [ 'a', 2, '12:00:10' ], [ 'a', 4, '12:00:20' ],
	[ 'a', 8, '12:00:30' ], [ 'a', 16, '12:00:40' ], [ 'b', 32, '12:00:30' ],
	[ 'c', 64, '12:00:50' ], [ 'c', 128, '12:00:55' ], [ 'c', 256, '12:00:56' ]);
applied('cr', '9', 'restart: 9 events applied');
my $CR_BEFORE = '10.0.0.1 0 12:00:00-12:00:20 3 7 Fc 0, 10.0.0.1 1 12:00:30-12:00:40 2 24 oi 0, '
  . '10.0.0.2 0 12:00:30-12:00:30 1 32 oi 0, 10.0.0.3 0 12:00:50-12:00:56 3 448 Fc 0';
is(rows('cr_w'), $CR_BEFORE, 'restart: windows before the restart');
is(rows('cr_t'), $CR_BEFORE, 'restart: the same with a timeout of 10 minutes');
$node->restart;
is(rows('cr_w') . ' / ' . rows('cr_t'), "$CR_BEFORE / $CR_BEFORE", 'restart: nothing changed by the restart');
produce('cr', [ 'a', 512, '12:01:00' ], [ 'a', 1024, '12:01:10' ], [ 'c', 2048, '12:01:20' ]);
applied('cr', '12', 'restart: 3 events after the restart applied');
my $CR_AFTER = '10.0.0.1 0 12:00:00-12:00:20 3 7 Fc 0, 10.0.0.1 1 12:00:30-12:01:00 3 536 Fc 0, '
  . '10.0.0.1 2 12:01:10-12:01:10 1 1024 oi 0, 10.0.0.2 0 12:00:30-12:00:30 1 32 oi 0, '
  . '10.0.0.3 0 12:00:50-12:00:56 3 448 Fc 0, 10.0.0.3 1 12:01:20-12:01:20 1 2048 oi 0';
is(rows('cr_w'), $CR_AFTER,
	'restart: a\'s open window (2 events) completes with 1 more (count 3, sum 536); window_seq goes on (a 2, c 1)');
is(rows('cr_t'), $CR_AFTER, 'restart: the same with a timeout');
is(sql(q{SELECT lo || ' ' || hi FROM cr_w WHERE ip = '10.0.0.1' AND window_seq = 1}), '8 512',
	'restart: min and max of the window span the restart');
# b's window (first event 12:00:30) times out at W = 12:10:30, not before:
# its first event time survived the restart
produce('cr', [ 'd', 4096, '12:10:29.999999' ]);
applied('cr', '13', 'restart: an event moving W to 12:10:29.999999 applied');
is(sql(q{SELECT is_final || ' ' || is_complete FROM cr_t WHERE ip = '10.0.0.2'}), 'false false',
	'restart: 1 us before its deadline b\'s window is open');
produce('cr', [ 'd', 8192, '12:10:30' ]);
applied('cr', '14', 'restart: an event moving W to 12:10:30 applied');
is(sql(q{SELECT string_agg(host(ip) || ' ' || window_seq || ' ' || is_final || ' ' || is_complete, ', '
	ORDER BY ip, window_seq) FROM cr_t WHERE NOT is_complete}),
	'10.0.0.1 2 false false, 10.0.0.2 0 true false, 10.0.0.3 1 false false, 10.0.0.4 0 false false',
	'restart: at W = 12:10:30 b\'s window times out (the others are younger)');
is(sql(q{SELECT is_final FROM cr_w WHERE ip = '10.0.0.2'}), 'f', 'restart: without timeout it stays open');
is(counters('cr_w'), 'W=12:10:30 open=4 final=3 merged=0 dropped=0 null=0 late_events=0',
	'restart: counters of cr_w');
is(counters('cr_t'), 'W=12:10:30 open=3 final=4 merged=0 dropped=0 null=0 late_events=0',
	'restart: counters of cr_t');
is(sql(diff_count(q{SELECT ip, window_seq, window_start, window_end, n, total, lo, hi, is_complete FROM cr_w},
	q{SELECT ip, seq, min(t), max(t), count(*), sum(ms), min(ms), max(ms), count(*) = 3
	  FROM (SELECT ip, t, ms, sw.count_window(3) OVER (PARTITION BY ip ORDER BY kafka_partition, kafka_offset)
			AS seq FROM cr) c GROUP BY ip, seq})), '0 0',
	'restart: cr_w equals the batch query with sw.count_window');
is(crashes(), '', 'restart: no worker crashed');

# the same across a restart with aggregates whose states are passed by
# reference (avg, a user aggregate): created now, backfilled from staging
sql(qq{SELECT sw.create_window('cr_x', 'cr', 'count', '$AGGS', group_by => 'ip', event_time => 't', count => 3)});
is(rows('cr_x'), "$CR_AFTER, 10.0.0.4 0 12:10:29.999999-12:10:30 2 12288 oi 0",
	'restart, by-reference states: the backfilled windows');
$node->restart;
produce('cr', [ 'a', 16384, '12:11:00' ]);
# (a server that crashes under psql makes the polling die: that is a failure too)
my $up = eval { applied('cr', '15', 'restart, by-reference states: an event after the restart applied') };
fail("restart, by-reference states: an event after the restart applied (the server went away: $@)")
  unless defined $up;
if ($up)
{
	is(sql(q{SELECT n || ' ' || total || ' ' || round(avg_ms, 1) || ' ' || summary FROM cr_x
		WHERE ip = '10.0.0.1' AND window_seq = 2}), '2 17408 8704.0 2/17408/16384',
		'restart, by-reference states: a\'s open window goes on with count, sum, avg and the user aggregate');
}
is(crashes(), '', 'restart, by-reference states: no worker crashed');
$node->stop('immediate');

# ---------------------------------------------------------------------------
# (g) exactly once: 20,000 events keyed by ip (300 ips) over 4 partitions,
# paced; the worker is killed with kill -9 mid-stream (a cluster crash that
# truncates staging).  A cluster of its own.
# ---------------------------------------------------------------------------
$node = SwTest::node('counts_eo', conf => "timezone = 'UTC'\nsw.batch_size = 500\n");
setup();
source('ceo');
sql(qq{SELECT sw.create_window('ceo_w', 'ceo', 'count', '$CR_AGGS', group_by => 'ip', event_time => 't',
	count => 3)});
my $EO_N = 20_000;
my $eo_input = '';
{
	my $seed = 13;
	my $rand = sub { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed / 2147483648; };
	for my $k (0 .. $EO_N - 1)
	{
		my $ip = '10.1.' . int($k % 2) . '.' . (1 + int($rand->() * 150));
		my $t = 10 * $k - int($rand->() * 5_000);
		$t = 0 if $t < 0;
		my ($s, $f) = (int($t / 1000), $t % 1000);
		$eo_input .= sprintf(qq(%s|{"ip":"%s","ms":%d,"t":"2026-11-25T%02d:%02d:%02d.%03dZ"}\n),
			$ip, $ip, 1 + $k % 101, 13 + int($s / 3600), int($s / 60) % 60, $s % 60, $f);
	}
}
my $producer = $broker->produce_lines_async('ceo', input => $eo_input, args => [ '-K', '|', '--rate', 4000 ]);
SwTest::poll($node, 'SELECT coalesce(sum(n), 0) > 3000 FROM ceo_w', 't', 'exactly once: windows under way');
my $pid = SwTest::worker_pid($node, 'ceo');
ok(kill('KILL', $pid), "exactly once: kill -9 of worker $pid");
SwTest::poll($node, 'SELECT 1', '1', 'exactly once: the cluster is back after crash recovery', 120);
ok($producer->wait, 'exactly once: the producer delivered every event');
SwTest::poll($node, q{SELECT sum(next_offset) FROM sw.source_partitions WHERE source_name = 'ceo'}, $EO_N,
	'exactly once: next_offset reaches every produced event', 120);
SwTest::poll($node, q{SELECT bool_and(state = 'running') FROM sw.sources}, 't',
	'exactly once: done refetching', 120);
like(slurp_file($node->logfile), qr/source "ceo": restaging partition \d+ from offset/,
	'exactly once: the worker read truncated staging rows again');
is(sql(q{SELECT count(*) || ' ' || count(DISTINCT (kafka_partition, kafka_offset)) FROM ceo}),
	"$EO_N $EO_N", 'exactly once: staging holds every event once again');
is(sql('SELECT sum(n) FROM ceo_w'), $EO_N, 'exactly once: sum of counts = events produced');
is(sql(diff_count(q{SELECT ip, window_seq, window_start, window_end, n, total, lo, hi, is_complete FROM ceo_w},
	q{SELECT ip, seq, min(t), max(t), count(*), sum(ms), min(ms), max(ms), count(*) = 3
	  FROM (SELECT ip, t, ms, sw.count_window(3) OVER (PARTITION BY ip ORDER BY kafka_partition, kafka_offset)
			AS seq FROM ceo) c GROUP BY ip, seq})), '0 0',
	'exactly once: equal to the batch query with sw.count_window over the refetched staging table');
is(sql(q{SELECT count(*) - count(DISTINCT (ip, window_seq)) || ' ' || count(*) FILTER (WHERE NOT is_complete)
	|| ' ' || count(DISTINCT ip) || ' ' || bool_and(is_final = is_complete) FROM ceo_w}),
	'0 ' . sql(q{SELECT count(*) FILTER (WHERE n % 3 <> 0) || ' ' || count(*) || ' true'
		FROM (SELECT ip, count(*) AS n FROM ceo GROUP BY ip) s}),
	'exactly once: one row per ip and window_seq, at most one incomplete window per ip');
is(sql(q{SELECT (SELECT count(DISTINCT kafka_partition) FROM ceo) || ' ' || bool_and(np = 1)
	FROM (SELECT count(DISTINCT kafka_partition) AS np FROM ceo GROUP BY ip) s}), '4 true',
	'exactly once: 4 partitions, each ip on one');
is(sql(q{SELECT late_dropped || ' ' || null_time_skipped || ' ' || open_windows || ' '
	|| (final_windows + open_windows = (SELECT count(*) FROM ceo_w)) FROM sw.windows WHERE name = 'ceo_w'}),
	'0 0 ' . sql(q{SELECT count(*) FROM ceo_w WHERE NOT is_final}) . ' true',
	'exactly once: nothing dropped or skipped; counters match the table');
is(crashes(), '', 'exactly once: no worker crashed but the one killed');

$node->stop;
$broker->stop;
done_testing();
