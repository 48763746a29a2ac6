# 030_windows_session.pl — continuous session windows (kind 'session', per
# ip) against SPEC.md "Semantics" (Session, Watermark, Firing, Lateness,
# "Sessions and lateness") and "Guarantees".  Events carry explicit event
# times (2026-11-25, UTC), one partition where order matters:
#   (a) on time: a session grows by an event within gap; two events exactly
#       gap apart share one; 1 us more than gap starts another; an event
#       bridging two sessions merges them into one row (the other row is
#       deleted, count/sum/min/max/avg and a user aggregate combined); keys
#       never mix; NULL event times are skipped and counted;
#   (b) lateness: a late event within allowed_lateness extends a final
#       session (revision + 1, open again while its new end is past W, final
#       again once W passes it); a late bridge merges two final sessions
#       (revision = max + 1); closed sessions never merge (an event touching
#       only a closed session starts its own, or is dropped when its own span
#       is closed: t + gap + L <= W); an old event against a session still
#       open joins it; beyond lateness -> sw.late_events; the sw.windows
#       counters; each in one batch and one event per batch (with a
#       restart in the middle: sessions, revisions, W come back);
#   (c) keys on two partitions: W = min W_p holds sessions open;
#   (d) an out-of-order stream with drops and late merges against an
#       independent oracle of the SPEC rules (three parameter sets);
#   (e) the Lambda check: with no late event the result equals the batch
#       query with sw.session_start over the staging table;
#   (f) exactly once under kill -9 of the worker mid-stream, sessions
#       merging across the crash;
#   (g) the result table's columns; bad definitions.
use strict;
use warnings;
use List::Util qw(min max);
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(
	topics => [ 'onA:1', 'onB:1', 'lateA:1', 'lateB:1', 'part:2', 'ooo:1', 'seo:4' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('sessions', conf => "timezone = 'UTC'\nsw.batch_size = 500\n");
my $T0_MS = 1795608000000;    # 2026-11-25 12:00:00 UTC, epoch ms
my %IP = (a => '10.0.0.1', b => '10.0.0.2', c => '10.0.0.3');

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
	my ($topic, $p, @events) = @_;
	$broker->produce($topic, input => join('', map { line($_) } @events), args => [ '-p', $p ]);
}

sub applied { return SwTest::applied($node, @_); }

sub source
{
	my ($name) = @_;
	sql(qq{SELECT sw.create_source('$name', '$bs', '$name', columns => 'ip inet, ms int, t timestamptz')});
}

# The rows as "ip start-end n total F|o revision", ordered (times HH:MI:SS[.US]).
sub rows
{
	my ($win) = @_;
	return sql(qq{SELECT string_agg(host(ip) || ' ' || hms(window_start) || '-' || hms(window_end)
		|| ' ' || n || ' ' || total || ' ' || CASE WHEN is_final THEN 'F' ELSE 'o' END || ' ' || revision,
		', ' ORDER BY ip, window_start) FROM $win});
}

sub late
{
	my ($win) = @_;
	return sql(qq{SELECT string_agg(kafka_partition || ':' || kafka_offset || ' ' || hms(event_time)
		|| ' W=' || hms(watermark), ', ' ORDER BY kafka_offset, recorded_at)
		FROM sw.late_events WHERE window_name = '$win'});
}

sub counters
{
	my ($win) = @_;
	return sql(qq{SELECT 'W=' || coalesce(hms(watermark), '-') || ' open=' || open_windows
		|| ' final=' || final_windows || ' merged=' || late_merged || ' dropped=' || late_dropped
		|| ' null=' || null_time_skipped FROM sw.windows WHERE name = '$win'});
}

# SQL giving "rows of (a EXCEPT ALL b) rows of (b EXCEPT ALL a)": "0 0" when equal.
sub diff_count
{
	my ($a, $b) = @_;
	return qq{
		SELECT (SELECT count(*) FROM (($a) EXCEPT ALL ($b)) d1) || ' ' ||
			   (SELECT count(*) FROM (($b) EXCEPT ALL ($a)) d2)};
}

# HH:MI:SS, with .US only when not whole seconds; a user aggregate with a
# combine function (count/sum/max of ms), as in 020.
sql(q{
CREATE FUNCTION hms(timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
	AS $$SELECT regexp_replace(to_char($1, 'HH24:MI:SS.US'), '\.000000$', '')$$;
}
. SwTest::ms_summary_sql() . q{
});
my $AGGS = 'count(*) AS n, sum(ms) AS total, min(ms) AS lo, max(ms) AS hi, avg(ms) AS avg_ms, '
  . 'ms_summary(ms) AS summary, avg(ms::numeric) AS avg_num';

# The batch side: sessions of ip by sw.session_start over the staging table.
sub batch_sessions
{
	my ($staging, $gap, $where) = @_;
	$where //= 'true';
	return qq{SELECT ip, min(t) AS window_start, max(t) + interval '$gap' AS window_end, count(*), sum(ms),
		min(ms), max(ms), avg(ms), ms_summary(ms), avg(ms::numeric)
		FROM (SELECT ip, t, ms, sw.session_start(t, '$gap') OVER (PARTITION BY ip ORDER BY t) AS ss
			  FROM $staging WHERE t IS NOT NULL AND $where) s
		GROUP BY ip, ss};
}
my $RES_COLS = 'ip, window_start, window_end, n, total, lo, hi, avg_ms, summary, avg_num';

# ---------------------------------------------------------------------------
# (a) on time: gap 5 minutes, watermark_delay 30 minutes (W = max t - 30
# min keeps every session open), allowed_lateness 0.  Each ms is a power of
# two, so total names the events of a session.
# ---------------------------------------------------------------------------
my @on = (
	[ [ 'a', 1, '12:00:00' ], '10.0.0.1 12:00:00-12:05:00 1 1 o 0' ],
	# within gap: the session grows to the last t + gap
	[ [ 'a', 2, '12:03:00' ], '10.0.0.1 12:00:00-12:08:00 2 3 o 0' ],
	# exactly gap after the last event (spans touch): the same session
	[ [ 'a', 4, '12:08:00' ], '10.0.0.1 12:00:00-12:13:00 3 7 o 0' ],
	# 1 us more than gap: a new session
	[ [ 'a', 8, '12:13:00.000001' ],
		'10.0.0.1 12:00:00-12:13:00 3 7 o 0, 10.0.0.1 12:13:00.000001-12:18:00.000001 1 8 o 0' ],
	# another key never joins a's sessions, though its span overlaps them
	[ [ 'b', 16, '12:02:00' ],
		'10.0.0.1 12:00:00-12:13:00 3 7 o 0, 10.0.0.1 12:13:00.000001-12:18:00.000001 1 8 o 0, '
		  . '10.0.0.2 12:02:00-12:07:00 1 16 o 0' ],
	[ [ 'a', 32, '12:30:00' ],
		'10.0.0.1 12:00:00-12:13:00 3 7 o 0, 10.0.0.1 12:13:00.000001-12:18:00.000001 1 8 o 0, '
		  . '10.0.0.1 12:30:00-12:35:00 1 32 o 0, 10.0.0.2 12:02:00-12:07:00 1 16 o 0' ],
	# out of order, on time, touching nothing: a session of its own
	[ [ 'a', 64, '12:24:00' ],
		'10.0.0.1 12:00:00-12:13:00 3 7 o 0, 10.0.0.1 12:13:00.000001-12:18:00.000001 1 8 o 0, '
		  . '10.0.0.1 12:24:00-12:29:00 1 64 o 0, 10.0.0.1 12:30:00-12:35:00 1 32 o 0, '
		  . '10.0.0.2 12:02:00-12:07:00 1 16 o 0' ],
	# [12:25, 12:30) overlaps [12:24, 12:29) and touches [12:30, 12:35): one row
	[ [ 'a', 128, '12:25:00' ],
		'10.0.0.1 12:00:00-12:13:00 3 7 o 0, 10.0.0.1 12:13:00.000001-12:18:00.000001 1 8 o 0, '
		  . '10.0.0.1 12:24:00-12:35:00 3 224 o 0, 10.0.0.2 12:02:00-12:07:00 1 16 o 0' ],
	# [12:13, 12:18) touches [12:00, 12:13) and overlaps the next: one row
	[ [ 'a', 256, '12:13:00' ],
		'10.0.0.1 12:00:00-12:18:00.000001 5 271 o 0, 10.0.0.1 12:24:00-12:35:00 3 224 o 0, '
		  . '10.0.0.2 12:02:00-12:07:00 1 16 o 0' ],
	[ [ 'b', 1000, 'null' ], undef ],    # NULL event time: skipped, counted
	[ [ 'b', 512, '12:07:00' ],
		'10.0.0.1 12:00:00-12:18:00.000001 5 271 o 0, 10.0.0.1 12:24:00-12:35:00 3 224 o 0, '
		  . '10.0.0.2 12:02:00-12:12:00 2 528 o 0' ],
);

for my $mode ('onA', 'onB')
{
	my $what = $mode eq 'onA' ? 'on time, one batch' : 'on time, one event per batch';
	source($mode);
	sql(qq{SELECT sw.create_window('${mode}_w', '$mode', 'session', '$AGGS', group_by => 'ip',
		event_time => 't', gap => '5 minutes', watermark_delay => '30 minutes')});
	if ($mode eq 'onA')
	{
		produce($mode, 0, map { $_->[0] } @on);
		applied($mode, scalar(@on), "$what: all events applied");
	}
	else
	{
		my $i = 0;
		for my $s (@on)
		{
			produce($mode, 0, $s->[0]);
			$i++;
			applied($mode, $i, "$what: event $i applied");
			is(rows("${mode}_w"), $s->[1], "$what: rows after event $i ($s->[0][0] $s->[0][2])")
			  if defined $s->[1];
			# open sessions come back from the result table: the bridges of
			# events 8 and 9 merge rows loaded after the restart
			if ($i == 7)
			{
				$node->restart;
				is(rows("${mode}_w"), $s->[1], "$what: rows unchanged by a restart after event $i");
			}
		}
	}
	is(rows("${mode}_w"), $on[-1][1], "$what: sessions (extended, touching, split, bridged)");
	is(counters("${mode}_w"), 'W=12:00:00 open=3 final=0 merged=0 dropped=0 null=1',
		"$what: counters (W = 12:30 - 30 min, nothing late, one NULL time)");
	# aggregates of the open rows: those of their events in staging
	is(sql(diff_count("SELECT $RES_COLS FROM ${mode}_w", batch_sessions($mode, '5 minutes'))), '0 0',
		"$what: count, sum, min, max, avg, ms_summary, avg(numeric) combined as over the session's events");
	is(sql(qq{SELECT string_agg(host(ip) || ' ' || lo || ' ' || hi || ' ' || round(avg_ms, 2) || ' '
		|| summary, ', ' ORDER BY ip, window_start) FROM ${mode}_w}),
		'10.0.0.1 1 256 54.20 5/271/256, 10.0.0.1 32 128 74.67 3/224/128, 10.0.0.2 16 512 264.00 2/528/512',
		"$what: the merged aggregates, spelled out");
	is(late("${mode}_w"), '', "$what: nothing in sw.late_events");
	# the watermark reaches the ends: final, revision 0, nothing else changes
	sql(qq{SELECT sw.advance_watermark('${mode}_w', '2026-11-25 13:00:00+00')});
	SwTest::poll($node, qq{SELECT bool_and(is_final) || ' ' || max(revision) || ' ' || count(*) FROM ${mode}_w},
		'true 0 3', "$what: after sw.advance_watermark every session is final, revision 0");
	is(sql(diff_count("SELECT $RES_COLS FROM ${mode}_w", batch_sessions($mode, '5 minutes'))), '0 0',
		"$what: the Lambda check: equal to the batch query with sw.session_start");
	is(counters("${mode}_w"), 'W=13:00:00 open=0 final=3 merged=0 dropped=0 null=1',
		"$what: counters once final");
}

# ---------------------------------------------------------------------------
# (b) lateness: gap 5 minutes, delay 0, allowed_lateness 30 minutes.
# 10.0.0.3 (c) moves W; 10.0.0.1 (a) sends late events.
# ---------------------------------------------------------------------------
my @late = (
	[ [ 'a', 1, '12:00:00' ], '10.0.0.1 12:00:00-12:05:00 1 1 o 0' ],
	# W = 12:06 >= 12:05: a's session is final (closed only at 12:35)
	[ [ 'c', 2, '12:06:00' ], '10.0.0.1 12:00:00-12:05:00 1 1 F 0, 10.0.0.3 12:06:00-12:11:00 1 2 o 0' ],
	# late, within lateness: merged, revision 1; its new end 12:08 > W: open again
	[ [ 'a', 4, '12:03:00' ], '10.0.0.1 12:00:00-12:08:00 2 5 o 1, 10.0.0.3 12:06:00-12:11:00 1 2 o 0' ],
	# W = 12:08 passes the new end: final again, revision kept
	[ [ 'c', 8, '12:08:00' ], '10.0.0.1 12:00:00-12:08:00 2 5 F 1, 10.0.0.3 12:06:00-12:13:00 2 10 o 0' ],
	[ [ 'a', 16, '12:09:00' ],
		'10.0.0.1 12:00:00-12:08:00 2 5 F 1, 10.0.0.1 12:09:00-12:14:00 1 16 o 0, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 o 0' ],
	[ [ 'c', 32, '12:14:00' ],
		'10.0.0.1 12:00:00-12:08:00 2 5 F 1, 10.0.0.1 12:09:00-12:14:00 1 16 F 0, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:19:00 1 32 o 0' ],
	[ [ 'a', 64, '12:12:00' ],
		'10.0.0.1 12:00:00-12:08:00 2 5 F 1, 10.0.0.1 12:09:00-12:17:00 2 80 o 1, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:19:00 1 32 o 0' ],
	[ [ 'c', 128, '12:17:00' ],
		'10.0.0.1 12:00:00-12:08:00 2 5 F 1, 10.0.0.1 12:09:00-12:17:00 2 80 F 1, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:22:00 2 160 o 0' ],
	[ [ 'a', 256, '12:16:00' ],
		'10.0.0.1 12:00:00-12:08:00 2 5 F 1, 10.0.0.1 12:09:00-12:21:00 3 336 o 2, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:22:00 2 160 o 0' ],
	[ [ 'c', 512, '12:21:00' ],
		'10.0.0.1 12:00:00-12:08:00 2 5 F 1, 10.0.0.1 12:09:00-12:21:00 3 336 F 2, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:26:00 3 672 o 0' ],
	# a late bridge: [12:05, 12:10) touches both final sessions (revisions 1
	# and 2): one row, revision max(1, 2) + 1 = 3, final (W = 12:21 = its end)
	[ [ 'a', 1024, '12:05:00' ],
		'10.0.0.1 12:00:00-12:21:00 6 1365 F 3, 10.0.0.3 12:06:00-12:13:00 2 10 F 0, '
		  . '10.0.0.3 12:14:00-12:26:00 3 672 o 0' ],
	# W = 12:52: a's session is closed (12:21 + 30 min <= W); so is c's first
	# (12:13 + 30 min), c's second is final
	[ [ 'c', 2048, '12:52:00' ],
		'10.0.0.1 12:00:00-12:21:00 6 1365 F 3, 10.0.0.3 12:06:00-12:13:00 2 10 F 0, '
		  . '10.0.0.3 12:14:00-12:26:00 3 672 F 0, '
		  . '10.0.0.3 12:52:00-12:57:00 1 2048 o 0' ],
	# touches only the closed session: no merge; its own span [12:20, 12:25)
	# is not closed (12:55 > W): a session of its own, created final, revision 1
	[ [ 'a', 4096, '12:20:00' ],
		'10.0.0.1 12:00:00-12:21:00 6 1365 F 3, 10.0.0.1 12:20:00-12:25:00 1 4096 F 1, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:26:00 3 672 F 0, '
		  . '10.0.0.3 12:52:00-12:57:00 1 2048 o 0' ],
	# touches the closed session (at 12:21) and the new one: joins the new one only
	[ [ 'a', 8192, '12:21:00' ],
		'10.0.0.1 12:00:00-12:21:00 6 1365 F 3, 10.0.0.1 12:20:00-12:26:00 2 12288 F 2, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:26:00 3 672 F 0, '
		  . '10.0.0.3 12:52:00-12:57:00 1 2048 o 0' ],
	# its own span is closed exactly (12:22 + 30 min = W), but it overlaps a
	# session still open: lateness is judged on the merged session, it joins
	[ [ 'a', 16384, '12:17:00' ],
		'10.0.0.1 12:00:00-12:21:00 6 1365 F 3, 10.0.0.1 12:17:00-12:26:00 3 28672 F 3, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:26:00 3 672 F 0, '
		  . '10.0.0.3 12:52:00-12:57:00 1 2048 o 0' ],
	# inside the closed session, 1 us short of touching the open one: dropped
	[ [ 'a', 32768, '12:11:59.999999' ], undef ],
	# touching the open one at 12:17: joins it
	[ [ 'a', 65536, '12:12:00' ],
		'10.0.0.1 12:00:00-12:21:00 6 1365 F 3, 10.0.0.1 12:12:00-12:26:00 4 94208 F 4, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:26:00 3 672 F 0, '
		  . '10.0.0.3 12:52:00-12:57:00 1 2048 o 0' ],
	# far beyond lateness: dropped
	[ [ 'a', 131072, '11:00:00' ], undef ],
	[ [ 'a', 1000, 'null' ], undef ],
	# c's final, not closed session takes a late event: revision 1
	[ [ 'c', 262144, '12:20:00' ],
		'10.0.0.1 12:00:00-12:21:00 6 1365 F 3, 10.0.0.1 12:12:00-12:26:00 4 94208 F 4, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, '
		  . '10.0.0.3 12:14:00-12:26:00 4 262816 F 1, 10.0.0.3 12:52:00-12:57:00 1 2048 o 0' ],
	# W = 13:00 closes both a sessions and c's second one
	[ [ 'c', 524288, '13:00:00' ],
		'10.0.0.1 12:00:00-12:21:00 6 1365 F 3, 10.0.0.1 12:12:00-12:26:00 4 94208 F 4, '
		  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:26:00 4 262816 F 1, '
		  . '10.0.0.3 12:52:00-12:57:00 1 2048 F 0, '
		  . '10.0.0.3 13:00:00-13:05:00 1 524288 o 0' ],
	# touches only a closed session, its own span closed exactly (12:30 + 30 min = W): dropped
	[ [ 'a', 1048576, '12:25:00' ], undef ],
);
my $LATE_ROWS = '10.0.0.1 12:00:00-12:21:00 6 1365 F 3, 10.0.0.1 12:12:00-12:26:00 4 94208 F 4, '
  . '10.0.0.3 12:06:00-12:13:00 2 10 F 0, 10.0.0.3 12:14:00-12:26:00 4 262816 F 1, '
  . '10.0.0.3 12:52:00-12:57:00 1 2048 F 0, '
  . '10.0.0.3 13:00:00-13:05:00 1 524288 o 0';
my $LATE_EVENTS = '0:15 12:11:59.999999 W=12:52:00, 0:17 11:00:00 W=12:52:00, 0:21 12:25:00 W=13:00:00';
# merged: events 3, 7, 9, 11, 13, 14, 15, 17, 20 changed or created a final row
my $LATE_COUNTERS = 'W=13:00:00 open=1 final=5 merged=9 dropped=3 null=1';

for my $mode ('lateA', 'lateB')
{
	my $what = $mode eq 'lateA' ? 'lateness, one batch' : 'lateness, one event per batch';
	source($mode);
	sql(qq{SELECT sw.create_window('${mode}_w', '$mode', 'session', '$AGGS', group_by => 'ip',
		event_time => 't', gap => '5 minutes', allowed_lateness => '30 minutes')});
	if ($mode eq 'lateA')
	{
		produce($mode, 0, map { $_->[0] } @late);
		applied($mode, scalar(@late), "$what: all events applied");
	}
	else
	{
		my $i = 0;
		for my $s (@late)
		{
			produce($mode, 0, $s->[0]);
			$i++;
			applied($mode, $i, "$what: event $i applied");
			is(rows("${mode}_w"), $s->[1], "$what: rows after event $i ($s->[0][0] $s->[0][2])")
			  if defined $s->[1];
			# a's session closed at W = 12:52, kept to compare; a restart then:
			# final sessions and their revisions come back from the result
			# table, closed ones never merge again
			if ($i == 12)
			{
				sql(qq{CREATE TABLE ${mode}_closed AS SELECT * FROM ${mode}_w WHERE ip = '10.0.0.1'});
				$node->restart;
				is(rows("${mode}_w"), $s->[1], "$what: rows unchanged by a restart after event $i");
				is(counters("${mode}_w"), 'W=12:52:00 open=1 final=3 merged=4 dropped=0 null=0',
					"$what: W and counters kept by the restart");
			}
		}
		is(sql(qq{SELECT count(*) FROM ${mode}_closed c JOIN ${mode}_w w USING ($RES_COLS, is_final, revision)}),
			'1', "$what: the closed session never changed (events 13 to 22 touched it)");
	}
	is(rows("${mode}_w"), $LATE_ROWS, "$what: final sessions and revisions");
	is(late("${mode}_w"), $LATE_EVENTS, "$what: sw.late_events (partition, offset, event time, W it met)");
	is(counters("${mode}_w"), $LATE_COUNTERS, "$what: sw.windows watermark and counters");
	is(sql(qq{SELECT count(*) FILTER (WHERE is_final) || ' ' || count(*) FILTER (WHERE NOT is_final)
		FROM ${mode}_w}), '5 1', "$what: the counters agree with the table");
	# every aggregate combined through the late merges: the accepted events of
	# each row are those of its ip in [start, end - gap] (the two a rows overlap
	# in time: a's events up to offset 11 are in the first, later ones in the second)
	is(sql(qq{SELECT count(*) || ' ' || count(*) FILTER (WHERE (r.n, r.total, r.lo, r.hi, r.avg_ms, r.summary, r.avg_num)
		= (SELECT count(*), sum(e.ms), min(e.ms), max(e.ms), avg(e.ms), ms_summary(e.ms), avg(e.ms::numeric)
		   FROM $mode e WHERE e.ip = r.ip AND e.t BETWEEN r.window_start AND r.window_end - interval '5 minutes'
		   AND e.kafka_offset NOT IN (SELECT kafka_offset FROM sw.late_events WHERE window_name = '${mode}_w')
		   AND (host(r.ip) <> '10.0.0.1' OR (r.window_start = '2026-11-25 12:00:00+00') = (e.kafka_offset < 12))))
		FROM ${mode}_w r}), '6 6',
		"$what: count, sum, min, max, avg, ms_summary, avg(numeric) of every row as over its events");
}

# ---------------------------------------------------------------------------
# (c) keys on two partitions (a on 0, b on 1): W = min W_p
# ---------------------------------------------------------------------------
source('part');
sql(qq{SELECT sw.create_window('part_w', 'part', 'session', 'count(*) AS n, sum(ms) AS total',
	group_by => 'ip', event_time => 't', gap => '5 minutes')});
my $PW = q{SELECT hms(watermark) FROM sw.windows WHERE name = 'part_w'};
my $PWP = q{SELECT string_agg(kafka_partition || ' ' || hms(watermark), ', ' ORDER BY kafka_partition)
	FROM sw.watermarks WHERE window_name = 'part_w'};
my $n = 0;
for my $s (
	[ 1, [ 'b', 1, '12:00:00' ], '10.0.0.2 12:00:00-12:05:00 1 1 o 0', '12:00:00' ],
	[ 0, [ 'a', 2, '12:01:00' ], '10.0.0.1 12:01:00-12:06:00 1 2 o 0, 10.0.0.2 12:00:00-12:05:00 1 1 o 0',
		'12:00:00' ],
	# p0 runs ahead; p1 holds W at 12:00
	[ 0, [ 'a', 4, '12:20:00' ],
		'10.0.0.1 12:01:00-12:06:00 1 2 o 0, 10.0.0.1 12:20:00-12:25:00 1 4 o 0, '
		  . '10.0.0.2 12:00:00-12:05:00 1 1 o 0', '12:00:00' ],
	# on time against W = 12:00 (it would be dropped against W_p0 = 12:20)
	[ 0, [ 'a', 8, '12:04:00' ],
		'10.0.0.1 12:01:00-12:09:00 2 10 o 0, 10.0.0.1 12:20:00-12:25:00 1 4 o 0, '
		  . '10.0.0.2 12:00:00-12:05:00 1 1 o 0', '12:00:00' ],
	# p1 moves: W = min(12:20, 12:10) = 12:10 closes [12:00, 12:05) and [12:01, 12:09)
	[ 1, [ 'b', 16, '12:10:00' ],
		'10.0.0.1 12:01:00-12:09:00 2 10 F 0, 10.0.0.1 12:20:00-12:25:00 1 4 o 0, '
		  . '10.0.0.2 12:00:00-12:05:00 1 1 F 0, 10.0.0.2 12:10:00-12:15:00 1 16 o 0', '12:10:00' ],
	# touches only the closed [12:01, 12:09): a new session (not final: 12:12 > W)
	[ 0, [ 'a', 32, '12:07:00' ],
		'10.0.0.1 12:01:00-12:09:00 2 10 F 0, 10.0.0.1 12:07:00-12:12:00 1 32 o 0, '
		  . '10.0.0.1 12:20:00-12:25:00 1 4 o 0, 10.0.0.2 12:00:00-12:05:00 1 1 F 0, '
		  . '10.0.0.2 12:10:00-12:15:00 1 16 o 0', '12:10:00' ],
	# W = min(12:20, 12:30) = 12:20
	[ 1, [ 'b', 64, '12:30:00' ],
		'10.0.0.1 12:01:00-12:09:00 2 10 F 0, 10.0.0.1 12:07:00-12:12:00 1 32 F 0, '
		  . '10.0.0.1 12:20:00-12:25:00 1 4 o 0, 10.0.0.2 12:00:00-12:05:00 1 1 F 0, '
		  . '10.0.0.2 12:10:00-12:15:00 1 16 F 0, 10.0.0.2 12:30:00-12:35:00 1 64 o 0', '12:20:00' ])
{
	my ($p, $ev, $rows, $w) = @$s;
	produce('part', $p, $ev);
	$n++;
	applied('part', $n, "two partitions: event $n (p$p $ev->[0] $ev->[2]) applied");
	is(rows('part_w'), $rows, "two partitions: rows after p$p $ev->[0] $ev->[2]");
	# (an empty partition holds W until the worker knows it is empty: a
	# report at the end of the batch or on the next tick)
	SwTest::poll($node, $PW, $w, "two partitions: W = $w after p$p $ev->[0] $ev->[2]");
}
is(sql($PWP), '0 12:20:00, 1 12:30:00', 'two partitions: sw.watermarks shows each W_p');
is(counters('part_w'), 'W=12:20:00 open=2 final=4 merged=0 dropped=0 null=0', 'two partitions: counters');
is(late('part_w'), '', 'two partitions: nothing dropped');

# ---------------------------------------------------------------------------
# (d), (e) 3,000 events, 8 ips, 300 ms apart, 15 % of them 1 to 60 s
# behind; deterministic.  Three windows with drops and late merges against
# an oracle of the SPEC rules; one (delay 61 s > any disorder: never late)
# against the batch query.
# ---------------------------------------------------------------------------
source('ooo');
my %oo = (
	oo_0 => { gap => 3_000, delay => 0, lateness => 0 },
	oo_1 => { gap => 3_000, delay => 2_000, lateness => 15_000 },
	oo_2 => { gap => 2_000, delay => 1_000, lateness => 30_000 },
	oo_lambda => { gap => 3_000, delay => 61_000, lateness => 0 },
);
for my $name (sort keys %oo)
{
	my $w = $oo{$name};
	sql(qq{SELECT sw.create_window('$name', 'ooo', 'session', '$AGGS', group_by => 'ip', event_time => 't',
		gap => '$w->{gap} milliseconds', watermark_delay => '$w->{delay} milliseconds',
		allowed_lateness => '$w->{lateness} milliseconds')});
}
my @ev;    # [offset, ip, ms, t in ms after 12:00 or undef]
{
	my $seed = 7;
	my $rand = sub { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed / 2147483648; };
	my $input = '';
	for my $k (0 .. 2999)
	{
		my $t = 70_000 + $k * 300;
		$t -= 1_000 + int($rand->() * 59_000) if $rand->() < 0.15;
		my $ip = '10.0.1.' . (1 + int($rand->() * 8));
		my $ms = 1 + int($rand->() * 200);
		# a few NULL event times
		if ($k % 500 == 250)
		{
			push @ev, [ $k, $ip, $ms, undef ];
			$input .= qq({"ip":"$ip","ms":$ms,"t":null}\n);
			next;
		}
		push @ev, [ $k, $ip, $ms, $t ];
		my ($s, $f) = (int($t / 1000), $t % 1000);
		$input .= sprintf(qq({"ip":"%s","ms":%d,"t":"2026-11-25T%02d:%02d:%02d.%03dZ"}\n),
			$ip, $ms, 12 + int($s / 3600), int($s / 60) % 60, $s % 60, $f);
	}
	$broker->produce('ooo', input => $input, args => [ '-p', 0 ]);
}
applied('ooo', '3000', 'out of order: 3,000 events applied');

# The SPEC rules, one event at a time: an event joins every session of its ip
# that is not closed (end + L <= W) and overlaps or touches [t, t + gap); if
# none, it starts one unless t + gap + L <= W (dropped); the merged row has
# the largest revision, + 1 if any merged session was final (W >= end) or it
# is created final; then W = max(W, max t - delay).
sub session_oracle
{
	my ($gap, $delay, $L) = @_;
	my (%sess, $W, $maxt, @late);
	my $merged = 0;
	for my $e (@ev)
	{
		my ($off, $ip, $ms, $t) = @$e;
		next unless defined $t;
		my (@touch, @keep);
		for my $s (@{ $sess{$ip} // [] })
		{
			my $closed = defined $W && $s->{end} + $L <= $W;
			if (!$closed && $s->{start} <= $t + $gap && $t <= $s->{end}) { push @touch, $s; }
			else { push @keep, $s; }
		}
		if (!@touch && defined $W && $t + $gap + $L <= $W)
		{
			push @late, "$off $t $W";
		}
		else
		{
			my $m = { start => $t, end => $t + $gap, n => 1, total => $ms, rev => 0 };
			my $final = defined $W && $W >= $t + $gap && !@touch;
			for my $s (@touch)
			{
				$m->{start} = min($m->{start}, $s->{start});
				$m->{end} = max($m->{end}, $s->{end});
				$m->{n} += $s->{n};
				$m->{total} += $s->{total};
				$m->{rev} = max($m->{rev}, $s->{rev});
				$final ||= defined $W && $W >= $s->{end};
			}
			if ($final) { $m->{rev}++; $merged++; }
			push @keep, $m;
		}
		$sess{$ip} = \@keep;
		$maxt = $t if !defined $maxt || $t > $maxt;
		$W = $maxt - $delay if !defined $W || $maxt - $delay > $W;
	}
	my @rows;
	for my $ip (keys %sess)
	{
		push @rows, map { join(' ', $ip, $_->{start}, $_->{end}, $_->{n}, $_->{total},
			($W >= $_->{end} ? 't' : 'f'), $_->{rev}) } @{ $sess{$ip} };
	}
	return ([ sort @rows ], [ sort @late ], $merged);
}

my $MS = sub { "(extract(epoch FROM $_[0]) * 1000)::bigint - $T0_MS" };
for my $name (grep { $_ ne 'oo_lambda' } sort keys %oo)
{
	my $w = $oo{$name};
	my ($orows, $olate, $omerged) = session_oracle($w->{gap}, $w->{delay}, $w->{lateness});
	my @rows = sort split /\n/, sql(qq{SELECT host(ip) || ' ' || (${\ $MS->('window_start')}) || ' '
		|| (${\ $MS->('window_end')}) || ' ' || n || ' ' || total || ' '
		|| CASE WHEN is_final THEN 't' ELSE 'f' END || ' ' || revision FROM $name});
	is_deeply(\@rows, $orows, "$name: sessions, aggregates, is_final and revisions equal the oracle");
	my @late = sort split /\n/, sql(qq{SELECT DISTINCT kafka_offset || ' ' || (${\ $MS->('event_time')}) || ' '
		|| (${\ $MS->('watermark')}) FROM sw.late_events WHERE window_name = '$name'});
	is_deeply(\@late, $olate, "$name: sw.late_events holds exactly the dropped events, with the W they met");
	ok(@$orows > 50 && @$olate > 20 && ($w->{lateness} == 0 || $omerged > 10)
		  && (grep { / f \d+$/ } @$orows) && ($w->{lateness} == 0 || grep { / [1-9]\d*$/ } @$orows),
		sprintf("$name: the comparison covers many sessions (%d), drops (%d), late merges (%d)",
			scalar(@$orows), scalar(@$olate), $omerged));
	is(sql(qq{SELECT open_windows || ' ' || final_windows || ' ' || late_merged || ' ' || late_dropped
		|| ' ' || null_time_skipped FROM sw.windows WHERE name = '$name'}),
		sql(qq{SELECT count(*) FILTER (WHERE NOT is_final) || ' ' || count(*) FILTER (WHERE is_final)
			FROM $name}) . ' ' . $omerged . ' ' . scalar(@$olate) . ' 6',
		"$name: counters: open and final as in the table, merged and dropped as the oracle, 6 NULL times");
}

# (e) the Lambda check
{
	my ($orows, $olate, $omerged) = session_oracle(3_000, 61_000, 0);
	is(scalar(@$olate) . ' ' . $omerged, '0 0', 'oo_lambda: by the oracle no event is late (delay 61 s > any disorder)');
	sql(q{SELECT sw.advance_watermark('oo_lambda', '2100-01-01 00:00:00+00')});
	SwTest::poll($node, q{SELECT bool_and(is_final) FROM oo_lambda}, 't', 'oo_lambda: every session final');
	is(sql(diff_count("SELECT $RES_COLS FROM oo_lambda", batch_sessions('ooo', '3 seconds'))), '0 0',
		'oo_lambda: equals the batch query with sw.session_start over staging (EXCEPT both ways)');
	# bridges happened: sessions whose events did not arrive in time order
	is(sql(q{SELECT count(*) > 100, sum(n), max(revision), (SELECT late_dropped || ' ' || late_merged
		FROM sw.windows WHERE name = 'oo_lambda') FROM oo_lambda}),
		't|2994|0|0 0', 'oo_lambda: many sessions, every event with a time counted once, no late event');
	my %open;
	my $bridges = 0;
	# sessions in arrival order that a later event joined together
	for my $e (grep { defined $_->[3] } @ev)
	{
		my ($off, $ip, $ms, $t) = @$e;
		my @s = @{ $open{$ip} // [] };
		my @touch = grep { $_->[0] <= $t + 3_000 && $t <= $_->[1] } @s;
		my @keep = grep { !($_->[0] <= $t + 3_000 && $t <= $_->[1]) } @s;
		$bridges++ if @touch > 1;
		push @keep, [ min($t, map { $_->[0] } @touch), max($t + 3_000, map { $_->[1] } @touch) ];
		$open{$ip} = \@keep;
	}
	ok($bridges > 5, "oo_lambda: the stream has events bridging two sessions ($bridges)");
}

# ---------------------------------------------------------------------------
# (g) columns; bad definitions
# ---------------------------------------------------------------------------
is(sql(q{SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = 'onA_w'::regclass AND attnum > 0 AND NOT attisdropped
	AND attnum <= (SELECT attnum FROM pg_attribute WHERE attrelid = 'onA_w'::regclass AND attname = 'revision')}),
	'ip inet, window_start timestamp with time zone, window_end timestamp with time zone, n bigint, '
	  . 'total bigint, lo integer, hi integer, avg_ms numeric, summary text, avg_num numeric, '
	  . 'is_final boolean, revision integer',
	'session result: group keys, window_start, window_end, aggregates, is_final, revision');
is(sql(q{SELECT count(*) FROM pg_attribute WHERE attrelid = 'onA_w'::regclass AND attnum > 0
	AND NOT attisdropped AND attname NOT LIKE '\_sw%' AND attnum > (SELECT attnum FROM pg_attribute
		WHERE attrelid = 'onA_w'::regclass AND attname = 'revision')}),
	'0', 'session result: every column after revision begins with _sw');
is(sql(q{SELECT kind || ' ' || gap || ' ' || coalesce(size::text, '-') || ' ' || coalesce(count::text, '-')
	|| ' ' || coalesce(timeout::text, '-') || ' ' || group_by || ' ' || allowed_lateness
	FROM sw.windows WHERE name = 'lateA_w'}),
	'session 00:05:00 - - - ip 00:30:00', 'sw.windows shows the session parameters');

for my $bad (
	[ q{gap => '0'}, qr/gap/, 'gap 0' ],
	[ q{gap => '-1 minute'}, qr/gap/, 'a negative gap' ],
	[ q{gap => '1 month'}, qr/gap/, 'a gap of variable length (months)' ],
	[ '', qr/gap/, 'no gap' ],
	[ q{gap => '5 minutes', timeout => '1 minute'}, qr/timeout/, 'timeout on a session window' ],
	[ q{gap => '5 minutes', size => '1 minute'}, qr/size/, 'size on a session window' ],
	[ q{gap => '5 minutes', count => 3}, qr/count/, 'count on a session window' ])
{
	my ($args, $re, $what) = @$bad;
	my $comma = $args eq '' ? '' : ', ';
	my ($rc, $out, $err) = $node->psql('postgres', qq{\\set VERBOSITY verbose
		SELECT sw.create_window('bad_s', 'part', 'session', 'count(*) AS n', group_by => 'ip',
			event_time => 't'$comma$args)});
	ok($rc != 0 && $err =~ /ERROR:  22023: .*$re/ && $err =~ /DETAIL:  / && $err =~ /HINT:  /,
		"$what: ERROR 22023 naming it, with DETAIL and HINT") or diag($err);
}
is(sql(q{SELECT to_regclass('bad_s') IS NULL, count(*) FROM sw.windows WHERE name = 'bad_s'}), 't|0',
	'bad definitions create nothing');

# ---------------------------------------------------------------------------
# (f) exactly once: 16,000 events over 4 partitions, 200 ips, paced; 10 %
# of them up to 2 s behind, watermark_delay 3 s (so none is late); the
# worker is killed with kill -9 mid-stream (a cluster crash that truncates
# staging).
# ---------------------------------------------------------------------------
source('seo');
sql(qq{SELECT sw.create_window('seo_w', 'seo', 'session', '$AGGS', group_by => 'ip', event_time => 't',
	gap => '1 second', watermark_delay => '3 seconds')});
my $EO_N = 16_000;
my $eo_input = '';
{
	my $seed = 11;
	my $rand = sub { $seed = ($seed * 1103515245 + 12345) % 2147483648; return $seed / 2147483648; };
	for my $k (0 .. $EO_N - 1)
	{
		my $t = 5 * $k;
		$t -= int($rand->() * 2_000) if $rand->() < 0.10 && $t >= 2_000;
		my $ip = '10.1.0.' . (1 + int($rand->() * 200));
		my ($s, $f) = (int($t / 1000), $t % 1000);
		$eo_input .= sprintf(qq({"ip":"%s","ms":%d,"t":"2026-11-25T%02d:%02d:%02d.%03dZ"}\n),
			$ip, 1 + $k % 97, 13 + int($s / 3600), int($s / 60) % 60, $s % 60, $f);
	}
}
my $producer = $broker->produce_lines_async('seo', input => $eo_input,
	args => [ '--partitions', 4, '--rate', 4000 ]);
SwTest::poll($node, 'SELECT coalesce(sum(n), 0) > 3000 FROM seo_w', 't', 'exactly once: sessions under way');
my $pid = SwTest::worker_pid($node, 'seo');
ok(kill('KILL', $pid), "exactly once: kill -9 of worker $pid");
SwTest::poll($node, 'SELECT 1', '1', 'exactly once: the cluster is back after crash recovery', 120);
ok($producer->wait, 'exactly once: the producer delivered every event');
SwTest::poll($node, q{SELECT sum(next_offset) FROM sw.source_partitions WHERE source_name = 'seo'}, $EO_N,
	'exactly once: next_offset reaches every produced event', 120);
SwTest::poll($node, q{SELECT bool_and(state = 'running') FROM sw.sources}, 't',
	'exactly once: every source done refetching', 120);
like(slurp_file($node->logfile), qr/source "seo": restaging partition \d+ from offset/,
	'exactly once: the worker read truncated staging rows again');
is(sql(q{SELECT count(*) || ' ' || count(DISTINCT (kafka_partition, kafka_offset)) FROM seo}),
	"$EO_N $EO_N", 'exactly once: staging holds every event once again');
sql(q{SELECT sw.advance_watermark('seo_w', '2100-01-01 00:00:00+00')});
SwTest::poll($node, q{SELECT bool_and(is_final) FROM seo_w}, 't', 'exactly once: every session final');
is(sql('SELECT sum(n) FROM seo_w'), $EO_N, 'exactly once: sum of counts = events produced');
is(sql(q{SELECT late_dropped || ' ' || late_merged || ' ' || null_time_skipped || ' ' || open_windows || ' '
	|| (final_windows = (SELECT count(*) FROM seo_w)) FROM sw.windows WHERE name = 'seo_w'}),
	'0 0 0 0 true', 'exactly once: nothing late or skipped; counters match the table');
is(sql(diff_count("SELECT $RES_COLS FROM seo_w", batch_sessions('seo', '1 second'))), '0 0',
	'exactly once: equal to the batch query over the refetched staging table');
is(sql(q{SELECT count(*) > 1000, count(*) - count(DISTINCT (ip, window_start)) FROM seo_w}), 't|0',
	'exactly once: many sessions, one row per ip and start');
# the stale staging of the other sources came back too: their Lambda checks still hold
is(sql(diff_count("SELECT $RES_COLS FROM oo_lambda", batch_sessions('ooo', '3 seconds'))), '0 0',
	'after the crash: oo_lambda still equals the batch query over its refetched staging');

$node->stop;
$broker->stop;
done_testing();
