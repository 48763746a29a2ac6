# 020_windows_tumbling_sliding.pl — continuous tumbling and sliding windows
# against SPEC.md "Continuous windows":
#   (a) the Lambda check: once every row is final, each window equals a batch
#       query over the staging table with sw.tumble / sw.hop (EXCEPT both
#       ways), for tumbling, sliding, slide > size, odd slides and origins,
#       an event-time expression, the default event time (Kafka timestamp),
#       expressions over aggregates, and a group key whose equal values have
#       different images (1.0, 1.00);
#   (b) the result table's columns and their order (and those of sw.windows,
#       sw.watermarks, sw.late_events); users may index and grant it;
#   (c) rows appear with the first event (not final) and update live;
#   (d) backfill (what is staged is applied, in partition offset order) and
#       backfill => false (starts at next_offset);
#   (e) user-defined aggregates, internal states with serial/deserial, user
#       functions in filter and group_by give the batch query's results;
#   (f) sw.drop_window and sw.drop_source (refused without cascade).
# Events carry explicit event times (2026-11-25, UTC), one partition.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use SwTest;

my $broker = SwTest::Broker->start(
	topics => [ 'web:1', 'live:1', 'bf:1', 'bforder:1' ]);
my $bs = $broker->bootstrap;
my $node = SwTest::node('windows', conf => "timezone = 'UTC'\n");
my $T0_MS = 1795608000000;    # 2026-11-25 12:00:00 UTC, epoch ms

# JSON lines from [host, ms, 'HH:MM:SS' (2026-11-25, UTC)].
sub lines
{
	return join('', map {
		qq({"host":"$_->[0]","ms":$_->[1],"t":"2026-11-25T$_->[2]Z"}\n)
	} @_);
}

sub produce
{
	my ($topic, @events) = @_;
	$broker->produce($topic, input => lines(@events), args => [ '-p', 0 ]);
}

sub applied { return SwTest::applied($node, @_); }

sub sql { return $node->safe_psql('postgres', $_[0]); }

# SQL giving "rows of (a EXCEPT ALL b) rows of (b EXCEPT ALL a)": "0 0" when equal.
sub diff_count
{
	my ($a, $b) = @_;
	return qq{
		SELECT (SELECT count(*) FROM (($a) EXCEPT ALL ($b)) d1) || ' ' ||
			   (SELECT count(*) FROM (($b) EXCEPT ALL ($a)) d2)};
}

# ---------------------------------------------------------------------------
# Windows over the web source, created before any event: the live path.
# ---------------------------------------------------------------------------
sql(qq{SELECT sw.create_source('web', '$bs', 'web',
	columns => 'host text, url text, ms int, ip inet, event_time timestamptz')});

my $AGGS = 'count(*) AS n, sum(ms) AS total, avg(ms) AS avg_ms, min(ms) AS min_ms, max(ms) AS max_ms';
my %win = (
	t_1m => { kind => 'tumbling', size => '1 minute',
		batch => q{sw.tumble(e.event_time, '1 minute')} },
	t_7m => { kind => 'tumbling', size => '7 minutes', origin => '2026-11-25 12:03:30+00',
		batch => q{sw.tumble(e.event_time, '7 minutes', '2026-11-25 12:03:30+00')} },
	s_10m => { kind => 'sliding', size => '10 minutes', slide => '1 minute',
		batch => q{sw.hop(e.event_time, '10 minutes', '1 minute')} },
	s_gap => { kind => 'sliding', size => '1 minute', slide => '3 minutes',
		batch => q{sw.hop(e.event_time, '1 minute', '3 minutes')} },
	s_odd => { kind => 'sliding', size => '5 minutes', slide => '2 minutes',
		origin => '2026-11-25 12:00:45+00',
		batch => q{sw.hop(e.event_time, '5 minutes', '2 minutes', '2026-11-25 12:00:45+00')} },
	# event time: an expression, and the default (the Kafka timestamp)
	t_expr => { kind => 'tumbling', size => '2 minutes', et => q{event_time - interval '90 seconds'},
		batch => q{sw.tumble(e.event_time - interval '90 seconds', '2 minutes')} },
	t_kts => { kind => 'tumbling', size => '100 milliseconds', et => 'kafka_timestamp',
		batch => q{sw.tumble(e.kafka_timestamp, '100 milliseconds')} },
);
$win{$_}{et} //= 'event_time' for keys %win;
for my $name (sort keys %win)
{
	my $w = $win{$name};
	my $extra = '';
	$extra .= ", slide => '$w->{slide}'" if $w->{slide};
	$extra .= ", origin => '$w->{origin}'" if $w->{origin};
	$extra .= ", event_time => \$\$$w->{et}\$\$" if $w->{et} ne 'kafka_timestamp';
	sql(qq{SELECT sw.create_window('$name', 'web', '$w->{kind}', '$AGGS', group_by => 'host',
		size => '$w->{size}'$extra)});
}

# (e) user-defined aggregates and functions
sql(q{
CREATE FUNCTION sq_acc(int8, int8) RETURNS int8 LANGUAGE sql IMMUTABLE STRICT
	AS 'SELECT $1 + $2 * $2';
CREATE AGGREGATE sumsq(int8) (SFUNC = sq_acc, STYPE = int8, COMBINEFUNC = int8pl, INITCOND = '0');
}
. SwTest::ms_summary_sql() . q{
CREATE FUNCTION is_slow(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 >= 50';
CREATE FUNCTION path_of(text) RETURNS text LANGUAGE sql IMMUTABLE
	AS $$SELECT split_part($1, '?', 1)$$;
});
my $UDF_AGGS = 'sumsq(ms) AS sq, ms_summary(ms) AS summary, avg(ms::numeric) AS avg_num, '
  . 'sum(ms::numeric) AS sum_num, sum(ms::int8) AS sum_i8, stddev_samp(ms) AS sd, '
  . 'bit_or(ms) AS bits, bool_and(ms < 40) AS all_fast, max(url) AS max_url';
sql(qq{SELECT sw.create_window('udf_w', 'web', 'tumbling', '$UDF_AGGS',
	group_by => 'path_of(url) AS path, host', filter => 'NOT is_slow(ms)',
	event_time => 'event_time', size => '2 minutes')});

# a group key whose equal values have different images (numeric scale):
# 1.0 and 1.00 are one group, as in GROUP BY
sql(q{SELECT sw.create_window('scale_w', 'web', 'tumbling', 'count(*) AS n, sum(ms) AS total',
	group_by => 'CASE WHEN ms % 2 = 0 THEN 1.0 ELSE 1.00 END AS k, host',
	event_time => 'event_time', size => '2 minutes')});

# expressions over aggregates (not named by SPEC.md, which PostgreSQL users
# expect from a select list), the same aggregate twice
sql(q{SELECT sw.create_window('agg_expr', 'web', 'sliding',
	'round(avg(ms), 2) AS avg2, max(ms) - min(ms) AS spread, sum(ms) AS total, sum(ms) * 2 AS total2, '
	|| 'sum(ms)::numeric / count(*) AS mean, count(*) AS n',
	group_by => 'host', event_time => 'event_time', size => '3 minutes', slide => '1 minute')});

# an aggregate without a combine function is refused, nothing created
my ($rc, $out, $err) = $node->psql('postgres', q{
	SELECT sw.create_window('no_combine', 'web', 'tumbling', 'string_agg(url, '','') AS urls',
		event_time => 'event_time', size => '1 minute')});
ok($rc != 0 && $err =~ /combine/, 'string_agg (no combine function in PG 15) is refused')
  or diag($err);
is(sql(q{SELECT to_regclass('no_combine') IS NULL, count(*) FROM sw.windows WHERE name = 'no_combine'}),
	't|0', 'and nothing is created for it');

# (b) the result table's columns, in the order of the contract
is(sql(q{SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = 't_1m'::regclass AND attnum > 0 AND NOT attisdropped
	AND attname NOT LIKE '\_sw%'}),
	'host text, window_start timestamp with time zone, window_end timestamp with time zone, '
	  . 'n bigint, total bigint, avg_ms numeric, min_ms integer, max_ms integer, '
	  . 'is_final boolean, revision integer',
	'tumbling result: group keys, window_start, window_end, aggregates, is_final, revision');
is(sql(q{SELECT string_agg(attname, ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = 'udf_w'::regclass AND attnum > 0 AND NOT attisdropped
	AND attname NOT LIKE '\_sw%'}),
	'path, host, window_start, window_end, sq, summary, avg_num, sum_num, sum_i8, sd, bits, '
	  . 'all_fast, max_url, is_final, revision',
	'two group keys (one an expression AS path), then the bounds, aggregates, is_final, revision');
for my $t ('t_1m', 's_10m', 'udf_w')
{
	is(sql(qq{SELECT count(*) FROM pg_attribute a WHERE attrelid = '$t'::regclass AND attnum > 0
		AND NOT attisdropped AND attnum > (SELECT attnum FROM pg_attribute
			WHERE attrelid = '$t'::regclass AND attname = 'revision')
		AND attname NOT LIKE '\\_sw%'}),
		'0', "$t: every column after revision begins with _sw");
}
is(sql(q{SELECT relpersistence FROM pg_class WHERE oid = 't_1m'::regclass}), 'p',
	'the result table is a logged table');
# users may index and grant result tables: a unique index on the key also
# proves that the engine never writes a second row for a key and window
sql(q{CREATE UNIQUE INDEX t_1m_key ON t_1m (host, window_start);
	CREATE UNIQUE INDEX s_10m_key ON s_10m (host, window_start);
	CREATE ROLE reader LOGIN; GRANT SELECT ON t_1m TO reader});
my %cols = (
	'sw.windows' => 'name, source_name, kind, aggregates, group_by, event_time, filter, size, slide, gap, '
	  . 'count, timeout, origin, watermark_delay, allowed_lateness, idle_timeout, backfill, watermark, '
	  . 'open_windows, final_windows, late_merged, late_dropped, null_time_skipped, updated_at, state, last_error, errors, owner',
	'sw.watermarks' => 'window_name, kafka_partition, max_event_time, watermark, idle',
	'sw.late_events' => 'window_name, kafka_partition, kafka_offset, event_time, watermark, recorded_at');
for my $rel (sort keys %cols)
{
	is(sql(qq{SELECT string_agg(attname, ', ' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = '$rel'::regclass AND attnum > 0 AND NOT attisdropped}),
		$cols{$rel}, "$rel: columns and their order");
}
is(sql(q{SELECT string_agg(name || ':' || kind || ':' || size || ':' || coalesce(slide::text, '-')
	|| ':' || origin || ':' || event_time || ':' || coalesce(group_by, '-'), ' ' ORDER BY name)
	FROM sw.windows WHERE name IN ('s_odd', 't_1m')}),
	's_odd:sliding:00:05:00:00:02:00:2026-11-25 12:00:45+00:event_time:host '
	  . 't_1m:tumbling:00:01:00:-:1970-01-01 00:00:00+00:event_time:host',
	'sw.windows shows the parameters');

# ---------------------------------------------------------------------------
# (a) the Lambda check over 3,000 generated events, in order
# ---------------------------------------------------------------------------
$broker->produce('web', args => [ '--generate', 'web', '--count', 3000,
	'--start-ms', $T0_MS + 7_250, '--step-ms', 450, '--out-of-order-pct', 0,
	'--malformed-pct', 0, '-p', 0 ]);
applied('web', '3000', 'all 3,000 web events applied');
is(sql('SELECT count(*), count(event_time), min(event_time), max(event_time) FROM web'),
	'3000|3000|2026-11-25 12:00:07.25+00|2026-11-25 12:22:36.8+00',
	'staging holds the generated events');

# before the watermark is advanced: W = the last event time (one partition,
# no delay), and exactly the rows with window_end <= W are final
for my $name (sort keys %win)
{
	is(sql(qq{SELECT watermark = (SELECT max($win{$name}{et}) FROM web) FROM sw.windows WHERE name = '$name'}),
		't', "$name: W is the max event time");
	is(sql(qq{SELECT count(*) FILTER (WHERE is_final <> (window_end <= (SELECT watermark FROM sw.windows
		WHERE name = '$name'))) || ' ' || (count(*) > 0) FROM $name}),
		'0 true', "$name: rows are final exactly when W >= window_end");
}

for my $name (sort keys %win, 'udf_w', 'agg_expr')
{
	sql(qq{SELECT sw.advance_watermark('$name', '2100-01-01 00:00:00+00')});
}
for my $name (sort keys %win, 'udf_w', 'agg_expr')
{
	SwTest::poll($node, qq{SELECT watermark FROM sw.windows WHERE name = '$name'},
		'2100-01-01 00:00:00+00', "$name: sw.advance_watermark raises W");
	SwTest::poll($node, qq{SELECT bool_and(is_final) FROM $name}, 't',
		"$name: every row is final");
}

for my $name (sort keys %win)
{
	my $batch = qq{SELECT e.host, w.window_start, w.window_end, count(*), sum(e.ms),
		avg(e.ms), min(e.ms), max(e.ms) FROM web e, $win{$name}{batch} w GROUP BY 1, 2, 3};
	my $res = qq{SELECT host, window_start, window_end, n, total, avg_ms, min_ms, max_ms FROM $name};
	is(sql(diff_count($res, $batch)), '0 0', "$name equals the batch query over staging (EXCEPT both ways)");
	is(sql(qq{SELECT count(*) || ' ' || count(DISTINCT (host, window_start))
		|| ' ' || bool_and(window_end - window_start = '$win{$name}{size}')
		|| ' ' || max(revision) FROM $name}),
		sql(qq{SELECT count(*) || ' ' || count(*) || ' true 0' FROM ($batch) b}),
		"$name: one row per key and window, of the window's size, revision 0");
	is(sql(qq{SELECT open_windows || ' ' || final_windows || ' ' || late_merged || ' '
		|| late_dropped || ' ' || null_time_skipped FROM sw.windows WHERE name = '$name'}),
		sql(qq{SELECT '0 ' || count(*) || ' 0 0 0' FROM $name}),
		"$name: counters (open, final, merged, dropped, null time)");
}
is($node->safe_psql('postgres', 'SELECT sum(n) FROM t_1m', extra_params => [ '-U', 'reader' ]),
	'3000', 'a role granted SELECT reads the result table');
# sanity on the sizes of what was compared
is(sql(q{SELECT (SELECT count(*) FROM t_1m), (SELECT count(*) FROM s_10m) > 8 * 30,
	(SELECT sum(n) FROM t_1m), (SELECT sum(n) FROM t_7m), (SELECT sum(n) FROM s_10m),
	(SELECT sum(n) FROM s_gap) < 3000 / 2}),
	'184|t|3000|3000|30000|t',
	'every event in one tumbling window, ten 10-minute windows, and s_gap skips the gaps');

is(sql(diff_count(q{SELECT host, window_start, window_end, avg2, spread, total, total2, mean, n FROM agg_expr},
	q{SELECT e.host, w.window_start, w.window_end, round(avg(e.ms), 2), max(e.ms) - min(e.ms), sum(e.ms),
		sum(e.ms) * 2, sum(e.ms)::numeric / count(*), count(*)
	  FROM web e, sw.hop(e.event_time, '3 minutes', '1 minute') w GROUP BY 1, 2, 3})), '0 0',
	'agg_expr (expressions over aggregates) equals the batch query');

is(sql(diff_count(q{SELECT k, host, window_start, window_end, n, total FROM scale_w},
	q{SELECT CASE WHEN e.ms % 2 = 0 THEN 1.0 ELSE 1.00 END, e.host, w.window_start, w.window_end,
		count(*), sum(e.ms) FROM web e, sw.tumble(e.event_time, '2 minutes') w GROUP BY 1, 2, 3, 4})), '0 0',
	'scale_w (1.0 and 1.00 one group) equals the batch query');
is(sql(q{SELECT count(*) = count(DISTINCT (host, window_start)), sum(n) = (SELECT count(*) FROM web) FROM scale_w}),
	't|t', 'scale_w: one row per host and window, every event counted');

# (e) user-defined aggregate, internal states, UDFs in filter and group_by
{
	my $batch = q{SELECT path_of(e.url), e.host, w.window_start, w.window_end, sumsq(e.ms),
		ms_summary(e.ms), avg(e.ms::numeric), sum(e.ms::numeric), sum(e.ms::int8),
		stddev_samp(e.ms), bit_or(e.ms), bool_and(e.ms < 40), max(e.url)
		FROM web e, sw.tumble(e.event_time, '2 minutes') w WHERE NOT is_slow(e.ms) GROUP BY 1, 2, 3, 4};
	my $res = q{SELECT path, host, window_start, window_end, sq, summary, avg_num, sum_num, sum_i8,
		sd, bits, all_fast, max_url FROM udf_w};
	is(sql(diff_count($res, $batch)), '0 0',
		'udf_w (user aggregate, serial/deserial states, UDF filter and key) equals the batch query');
	is(sql(q{SELECT count(*) > 100, bool_and(sq > 0), sum((split_part(summary, '/', 1))::int),
		(SELECT count(*) FROM web WHERE ms < 50) FROM udf_w}),
		sql(q{SELECT 't|t|' || count(*) || '|' || count(*) FROM web WHERE ms < 50}),
		'udf_w: the filter kept exactly the fast events');
}

# ---------------------------------------------------------------------------
# (c) rows appear with the first event and update as events arrive
# ---------------------------------------------------------------------------
sql(qq{SELECT sw.create_source('live', '$bs', 'live', columns => 'host text, ms int, t timestamptz')});
for my $name ('live_t', 'live_t2')
{
	sql(qq{SELECT sw.create_window('$name', 'live', 'tumbling', 'count(*) AS n, sum(ms) AS total',
		group_by => 'host', event_time => 't', size => '1 minute')});
}
my $LIVE = q{SELECT string_agg(host || ' ' || to_char(window_start, 'HH24:MI') || '-'
	|| to_char(window_end, 'HH24:MI') || ' ' || n || ' ' || total || ' ' || is_final || ' ' || revision,
	', ' ORDER BY window_start, host) FROM live_t};
is(sql($LIVE), '', 'no rows before any event');
produce('live', [ 'a', 1, '12:00:10' ]);
SwTest::poll($node, $LIVE, 'a 12:00-12:01 1 1 false 0', 'a row appears with the first event, not final');
produce('live', [ 'a', 2, '12:00:20' ]);
SwTest::poll($node, $LIVE, 'a 12:00-12:01 2 3 false 0', 'the row is updated by the next event');
produce('live', [ 'b', 4, '12:00:30' ]);
SwTest::poll($node, $LIVE, 'a 12:00-12:01 2 3 false 0, b 12:00-12:01 1 4 false 0',
	'another key has a row of its own');
produce('live', [ 'a', 8, '12:00:59.999999' ]);
SwTest::poll($node, $LIVE, 'a 12:00-12:01 3 11 false 0, b 12:00-12:01 1 4 false 0',
	'W = 12:00:59.999999 < window_end: still not final');
produce('live', [ 'a', 16, '12:01:00' ]);
SwTest::poll($node, $LIVE,
	'a 12:00-12:01 3 11 true 0, b 12:00-12:01 1 4 true 0, a 12:01-12:02 1 16 false 0',
	'W = window_end makes the rows final; an event at the end opens the next window');
is(sql(q{SELECT open_windows || ' ' || final_windows || ' ' || watermark FROM sw.windows WHERE name = 'live_t'}),
	'1 2 2026-11-25 12:01:00+00', 'sw.windows counts open and final rows');
# a late event (allowed_lateness 0: a final row is closed)
produce('live', [ 'b', 32, '12:00:40' ]);
applied('live', '6', 'the late event is applied');
is(sql($LIVE), 'a 12:00-12:01 3 11 true 0, b 12:00-12:01 1 4 true 0, a 12:01-12:02 1 16 false 0',
	'an event for a closed window changes nothing');
is(sql(q{SELECT window_name, kafka_partition, kafka_offset, event_time, watermark FROM sw.late_events
	WHERE window_name = 'live_t'}),
	'live_t|0|5|2026-11-25 12:00:40+00|2026-11-25 12:01:00+00', 'and is recorded in sw.late_events');

# ---------------------------------------------------------------------------
# (d) backfill
# ---------------------------------------------------------------------------
sql(qq{SELECT sw.create_source('bf', '$bs', 'bf', columns => 'host text, ms int, t timestamptz')});
sub hms { my $s = shift; return sprintf('%02d:%02d:%02d', 12 + int($s / 3600), int($s / 60) % 60, $s % 60); }
my @bf = map { [ ('x', 'y', 'z')[$_ % 3], $_, hms($_ * 3) ] } 0 .. 99;
produce('bf', @bf);
applied('bf', '100', '100 events staged before any window');
sql(q{SELECT sw.create_window('bf_all', 'bf', 'tumbling', 'count(*) AS n, sum(ms) AS total',
	group_by => 'host', event_time => 't', size => '1 minute')});
my $BF_BATCH = q{SELECT e.host, w.window_start, w.window_end, count(*), sum(e.ms)
	FROM bf e, sw.tumble(e.t, '1 minute') w %s GROUP BY 1, 2, 3};
is(sql(diff_count('SELECT host, window_start, window_end, n, total FROM bf_all', sprintf($BF_BATCH, ''))),
	'0 0', 'backfill: right after sw.create_window the window holds every staged event');
is(sql(q{SELECT sum(n), watermark FROM bf_all, sw.windows WHERE name = 'bf_all' GROUP BY 2}),
	'100|2026-11-25 12:04:57+00', 'backfill: 100 events, W from the staged events');
sql(q{SELECT sw.create_window('bf_new', 'bf', 'tumbling', 'count(*) AS n, sum(ms) AS total',
	group_by => 'host', event_time => 't', size => '1 minute', backfill => false)});
is(sql('SELECT count(*) FROM bf_new'), '0', 'backfill => false: nothing of what was staged');
my @bf2 = map { [ ('x', 'y', 'z')[$_ % 3], $_, hms($_ * 3) ] } 100 .. 149;
produce('bf', @bf2);
applied('bf', '150', '50 more events applied');
is(sql(diff_count('SELECT host, window_start, window_end, n, total FROM bf_new',
	sprintf($BF_BATCH, 'WHERE e.kafka_offset >= 100'))),
	'0 0', 'backfill => false: the window starts at the next_offset it was created at');
is(sql(diff_count('SELECT host, window_start, window_end, n, total FROM bf_all', sprintf($BF_BATCH, ''))),
	'0 0', 'backfill: and carries on live afterwards');
is(sql(q{SELECT (SELECT sum(n) FROM bf_all), (SELECT sum(n) FROM bf_new)}), '150|50',
	'150 and 50 events');

# backfill applies a partition in offset order (not Kafka timestamp order):
# offset 0 has a later Kafka timestamp than offset 1, so a window whose
# event time comes from the payload must judge offset 1 against W = offset
# 0's time, as the live path does: its window [12:00, 12:01) is closed.
sql(qq{SELECT sw.create_source('bforder', '$bs', 'bforder', columns => 'host text, ms int, t timestamptz')});
$broker->produce('bforder', input => lines([ 'a', 1, '12:05:00' ]),
	args => [ '-p', 0, '--timestamp-ms', $T0_MS + 3_600_000 ]);
$broker->produce('bforder', input => lines([ 'a', 2, '12:00:00' ]),
	args => [ '-p', 0, '--timestamp-ms', $T0_MS ]);
applied('bforder', '2', 'two events staged, Kafka timestamps decreasing');
sql(q{SELECT sw.create_window('bforder_w', 'bforder', 'tumbling', 'count(*) AS n',
	event_time => 't', size => '1 minute')});
is(sql(q{SELECT string_agg(to_char(window_start, 'HH24:MI') || ' ' || n, ', ' ORDER BY window_start)
	FROM bforder_w}),
	'12:05 1', 'backfill judges offset 1 after offset 0: no row for the closed window [12:00, 12:01)');
is(sql(q{SELECT kafka_partition || ' ' || kafka_offset || ' ' || event_time || ' ' || watermark
	FROM sw.late_events WHERE window_name = 'bforder_w'}),
	'0 1 2026-11-25 12:00:00+00 2026-11-25 12:05:00+00',
	'backfill records offset 1 as late, against W = 12:05');

# ---------------------------------------------------------------------------
# (f) dropping windows and sources
# ---------------------------------------------------------------------------
is(sql(q{SELECT (SELECT count(*) FROM sw.windows WHERE name = 'live_t'),
	(SELECT count(*) FROM sw.watermarks WHERE window_name = 'live_t') > 0,
	(SELECT count(*) FROM sw.late_events WHERE window_name = 'live_t')}),
	'1|t|1', 'live_t has its catalog rows and a late event');
sql(q{SELECT sw.drop_window('live_t')});
is(sql(q{SELECT to_regclass('live_t') IS NULL,
	(SELECT count(*) FROM sw.windows WHERE name = 'live_t'),
	(SELECT count(*) FROM sw.watermarks WHERE window_name = 'live_t'),
	(SELECT count(*) FROM sw.late_events WHERE window_name = 'live_t')}),
	't|0|0|0', 'sw.drop_window removes the result table, sw.windows, sw.watermarks and late events');
is(sql(q{SELECT count(*) FROM sw.late_events WHERE window_name = 'live_t2'}), '1',
	'the other window of the source keeps its late events');
produce('live', [ 'c', 64, '12:01:30' ]);
SwTest::poll($node, q{SELECT n FROM live_t2 WHERE host = 'c'}, '1',
	'the remaining window carries on after the drop');

($rc, $out, $err) = $node->psql('postgres', q{SELECT sw.drop_source('live')});
ok($rc != 0 && $err =~ /live_t2/, 'sw.drop_source without cascade refuses while windows exist')
  or diag($err);
is(sql(q{SELECT to_regclass('live') IS NOT NULL, to_regclass('live_t2') IS NOT NULL,
	(SELECT count(*) FROM sw.sources WHERE name = 'live'),
	(SELECT count(*) FROM sw.windows WHERE source_name = 'live')}),
	't|t|1|1', 'and drops nothing');
sql(q{SELECT sw.drop_source('live', cascade => true)});
is(sql(q{SELECT to_regclass('live') IS NULL, to_regclass('live_t2') IS NULL,
	(SELECT count(*) FROM sw.sources WHERE name = 'live'),
	(SELECT count(*) FROM sw.windows WHERE source_name = 'live' OR name = 'live_t2'),
	(SELECT count(*) FROM sw.watermarks WHERE window_name = 'live_t2'),
	(SELECT count(*) FROM sw.late_events WHERE window_name = 'live_t2')}),
	't|t|0|0|0|0', 'with cascade => true the source and its windows are gone');
is(sql(q{SELECT count(*) FROM sw.windows}), '13', 'the windows of other sources remain');
produce('web', [ 'shop.example.com', 5, '12:30:00' ]);
applied('web', '3001', 'other sources carry on');

$node->stop;
$broker->stop;
done_testing();
