--
-- sw.create_window, sw.drop_window, sw.advance_watermark: argument checks
-- (nothing is created by a bad call), what a definition may contain, the
-- result tables, the views, privileges, and sw.drop_source with windows.
-- No broker is needed: the source points at a closed port, so its worker
-- never delivers an event, watermarks stay NULL and counters 0.
--
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
CREATE TEMP TABLE rels_before AS SELECT oid FROM pg_class;

SELECT sw.create_source('clicks', '127.0.0.1:1', 'clicks',
	columns => 'host text, url text, ms int, t timestamptz, lt timestamp, pos point, payload jsonb');

-- required arguments
SELECT sw.create_window(NULL, 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('w', NULL, 'tumbling', 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('w', '', 'tumbling', 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('w', 'clicks', NULL, 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('w', 'clicks', '', 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', NULL, size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', '', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', event_time => NULL, size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', event_time => '', size => '1 minute');
SELECT sw.create_window('w', 'nope', 'tumbling', 'count(*) AS hits', size => '1 minute');

-- kinds and their parameters
SELECT sw.create_window('w', 'clicks', 'hopping', 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'Tumbling', 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'session', 'count(*) AS hits');
SELECT sw.create_window('w', 'clicks', 'session', 'count(*) AS hits', gap => '0');
SELECT sw.create_window('w', 'clicks', 'session', 'count(*) AS hits', gap => '1 month');
SELECT sw.create_window('w', 'clicks', 'session', 'count(*) AS hits', gap => '5 minutes', size => '5 minutes');
SELECT sw.create_window('w', 'clicks', 'session', 'count(*) AS hits', gap => '5 minutes', timeout => '1 minute');
SELECT sw.create_window('w', 'clicks', 'count', 'count(*) AS hits');
SELECT sw.create_window('w', 'clicks', 'count', 'count(*) AS hits', count => 0);
SELECT sw.create_window('w', 'clicks', 'count', 'count(*) AS hits', count => 3, timeout => '0');
SELECT sw.create_window('w', 'clicks', 'count', 'count(*) AS hits', count => 3, gap => '5 minutes');
SELECT sw.create_window('w', 'clicks', 'count', 'count(*) AS hits', count => 3, slide => '5 minutes');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '0');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '-1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 month');
SELECT sw.create_window('w', 'clicks', 'sliding', 'count(*) AS hits', slide => '1 minute');
SELECT sw.create_window('w', 'clicks', 'sliding', 'count(*) AS hits', size => '1 hour');
SELECT sw.create_window('w', 'clicks', 'sliding', 'count(*) AS hits', size => '1 hour', slide => '0');
SELECT sw.create_window('w', 'clicks', 'sliding', 'count(*) AS hits', size => '1 hour', slide => '1 year');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', slide => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', gap => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', count => 10);
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', timeout => '1 minute');
SELECT sw.create_window('w', 'clicks', 'sliding', 'count(*) AS hits', size => '1 hour', slide => '5 minutes', gap => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', origin => NULL);
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', origin => 'infinity');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', watermark_delay => NULL);
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', watermark_delay => '-1 second');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', watermark_delay => '1 month');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', allowed_lateness => NULL);
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', allowed_lateness => '-1 second');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', allowed_lateness => '1 year');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', idle_timeout => '0');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute', idle_timeout => '1 month');

-- aggregates that cannot be combined from partial states
CREATE AGGREGATE my_sum_nocombine(int) (SFUNC = int4pl, STYPE = int, INITCOND = '0');
CREATE AGGREGATE my_avg_noserial(numeric) (SFUNC = numeric_avg_accum, STYPE = internal,
	COMBINEFUNC = numeric_avg_combine, FINALFUNC = numeric_avg);
SELECT sw.create_window('w', 'clicks', 'tumbling', 'string_agg(url, '','') AS urls', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'array_agg(ms) AS all_ms', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'json_agg(url) AS urls', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'xmlagg(xmlelement(name u, url)) AS urls', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'my_sum_nocombine(ms) AS s', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'my_avg_noserial(ms) AS a', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(DISTINCT host) AS hosts', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'sum(ms ORDER BY ms) AS s', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) FILTER (WHERE ms > 100) AS slow', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'rank(100) WITHIN GROUP (ORDER BY ms) AS r', size => '1 minute');

-- what each fragment may contain
SELECT sw.create_window('w', 'clicks', 'tumbling', 'ms + 1 AS x', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) + ms AS x', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'host, count(*) AS hits', group_by => 'host', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', group_by => 'count(*)', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', filter => 'count(*) > 1', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', event_time => 'max(t)', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'sum(nope) AS s', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', group_by => 'nope', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', event_time => 'nope', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', filter => 'nope > 1', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', event_time => 'ms', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', event_time => 'lt', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', event_time => 't, kafka_timestamp', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', filter => 'ms', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', filter => 'ms > (SELECT 1)', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', group_by => '(SELECT 1) AS one', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', event_time => '(SELECT now())', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', group_by => 'generate_series(1, 2) AS n', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', filter => 'generate_series(1, 2) > 1', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', group_by => 'row_number() OVER () AS n', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) OVER () AS hits', size => '1 minute');
-- fragments that try to escape their place in the statement
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) FROM pg_class --', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*); DROP TABLE x', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) FROM clicks; DROP TABLE clicks; SELECT 1', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', filter => 'true) OR (true', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', filter => 'true UNION SELECT 1', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', filter => 'true GROUP BY host', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', group_by => 'host FROM clicks, pg_class --', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', event_time => 't FROM clicks WHERE ms > 0 --', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', event_time => 'now() --', size => '1 minute');
-- group keys need hashing
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', group_by => 'pos', size => '1 minute');
-- result column names
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', group_by => 'host AS window_start', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS revision', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS is_complete', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'count', 'count(*) AS window_seq', count => 3);
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS _sw_x', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*), count(ms)', size => '1 minute');
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS host', group_by => 'host', size => '1 minute');
-- the result table's name
CREATE TABLE taken (a int);
SELECT sw.create_window('taken', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('clicks', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('no_schema.w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute');
SELECT sw.create_window('bad name', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute');
-- the caller must be able to read the staging table, and create the result table
CREATE ROLE sw_nosel;
SET ROLE sw_nosel;
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute');
RESET ROLE;
GRANT SELECT ON clicks TO sw_nosel;
SET ROLE sw_nosel;
SELECT sw.create_window('w', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute');
RESET ROLE;
DROP OWNED BY sw_nosel;
DROP ROLE sw_nosel;

-- none of the above created anything: the only new relations are the
-- source's staging table and the table created above
SELECT count(*) AS windows FROM sw.window;
SELECT count(*) AS states FROM sw.window_state;
SELECT count(*) AS partitions FROM sw.window_partition;
SELECT relname AS new_relations FROM pg_class
WHERE oid NOT IN (SELECT oid FROM rels_before) AND relnamespace NOT IN (pg_my_temp_schema(), 'pg_toast'::regnamespace)
ORDER BY relname;

-- good definitions, with user functions and aggregates
CREATE FUNCTION is_slow(ms int) RETURNS boolean LANGUAGE sql IMMUTABLE
	AS 'SELECT ms > 1000';
CREATE FUNCTION site(url text) RETURNS text LANGUAGE plpgsql IMMUTABLE
	AS 'BEGIN RETURN split_part(url, ''/'', 2); END';
CREATE AGGREGATE my_max(int) (SFUNC = int4larger, STYPE = int, COMBINEFUNC = int4larger);
CREATE AGGREGATE my_avg(numeric) (SFUNC = numeric_avg_accum, STYPE = internal,
	COMBINEFUNC = numeric_avg_combine, SERIALFUNC = numeric_avg_serialize,
	DESERIALFUNC = numeric_avg_deserialize, FINALFUNC = numeric_avg);
SELECT sw.create_window('hits_per_minute', 'clicks', 'tumbling',
	'count(*) AS hits, round(avg(ms), 1) AS avg_ms, max(ms) - min(ms) AS ms_range, my_max(ms) AS my_max_ms, my_avg(ms) AS my_avg_ms, sum(ms), bool_or(is_slow(ms)) AS any_slow',
	group_by => 'host, site(url) AS site',
	event_time => 't',
	filter => 'NOT is_slow(ms)',
	size => '1 minute',
	watermark_delay => '5 seconds',
	allowed_lateness => '1 minute',
	idle_timeout => '30 seconds');
CREATE SCHEMA results;
SELECT sw.create_window('results.peak_use', 'public.clicks', 'sliding',
	'count(*) AS hits, max(ms) AS max_ms',
	group_by => 'lower(host) AS h',
	size => '1 hour', slide => '5 minutes',
	origin => '2026-01-01 00:00:00+00',
	backfill => false);
SELECT sw.create_window('"Totals"', 'clicks', 'tumbling', 'count(*)',
	group_by => 'kafka_key COLLATE "C" AS key, url::varchar(20) AS short_url', size => '1 day');
SELECT sw.create_window('visits', 'clicks', 'session', 'count(*) AS hits, max(t) - min(t) AS length',
	group_by => 'host', event_time => 't', gap => '30 minutes', allowed_lateness => '10 minutes');
SELECT sw.create_window('funnel', 'clicks', 'count', 'count(*) AS steps, sum(ms) AS total_ms',
	group_by => 'host', event_time => 't', count => 3, timeout => '10 minutes');
-- taken now
SELECT sw.create_window('hits_per_minute', 'clicks', 'tumbling', 'count(*) AS hits', size => '1 minute');

\d hits_per_minute
\d "Totals"
SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
FROM pg_attribute a
WHERE a.attrelid = 'results.peak_use'::regclass AND a.attnum > 0
ORDER BY a.attnum;
SELECT pg_get_userbyid(relowner) = current_user AS owned_by_creator
FROM pg_class WHERE oid = 'results.peak_use'::regclass;
\d visits
\d funnel
\x on
SELECT * FROM sw.windows ORDER BY name;
\x off
SELECT * FROM sw.watermarks;
SELECT * FROM sw.late_events;

-- sw.advance_watermark
SELECT sw.advance_watermark(NULL, '2026-11-25 12:00:00+00');
SELECT sw.advance_watermark('hits_per_minute', NULL);
SELECT sw.advance_watermark('nope', '2026-11-25 12:00:00+00');
SELECT sw.advance_watermark('hits_per_minute', 'infinity');
SELECT sw.advance_watermark('hits_per_minute', '-infinity');
SELECT sw.advance_watermark('hits_per_minute', '2026-11-25 12:00:00+00');
SELECT sw.advance_watermark('results.peak_use', '2026-11-25 12:00:00+00');
-- the worker applies it; without a broker no worker gets that far
SELECT name, watermark, open_windows, final_windows FROM sw.windows ORDER BY name;

-- privileges: any role that may read the staging table creates windows,
-- and owns their result tables; only a window's owner administers it
CREATE ROLE sw_analyst;
CREATE ROLE sw_other;
GRANT SELECT ON clicks TO sw_analyst;
GRANT CREATE ON SCHEMA public TO sw_analyst;
SET ROLE sw_analyst;
SELECT sw.create_window('analyst_hits', 'clicks', 'tumbling', 'count(*) AS hits',
	group_by => 'host', event_time => 't', size => '10 minutes');
SELECT count(*) FROM analyst_hits;
RESET ROLE;
SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'analyst_hits';
SET ROLE sw_other;
SELECT count(*) FROM analyst_hits;
\set VERBOSITY terse
SELECT sw.drop_window('analyst_hits');
SELECT sw.advance_watermark('analyst_hits', '2026-11-25 12:00:00+00');
SELECT sw.drop_window('hits_per_minute');
SELECT sw.advance_watermark('hits_per_minute', '2026-11-25 12:00:00+00');
\set VERBOSITY default
RESET ROLE;

-- sw.drop_window
SELECT sw.drop_window(NULL);
SELECT sw.drop_window('nope');
SELECT sw.drop_window('public.hits_per_minute');
SELECT sw.drop_window('hits_per_minute');
SELECT name FROM sw.windows ORDER BY name;
SELECT to_regclass('hits_per_minute') AS result_table;

-- backfill: a new window first applies what its source has staged, below
-- next_offset, in (kafka_timestamp, kafka_partition, kafka_offset) order.
-- With no broker, events are staged here by hand as a worker stages them:
-- rows in the staging table and the partition's next_offset.  These are
-- the events of the worked example in docs/semantics.md, in arrival order,
-- then a NULL and an infinite event time, and a row at next_offset (not
-- applied yet, so not backfilled).
SELECT sw.create_source('replay', '127.0.0.1:1', 'replay', columns => 'host text, t timestamptz');
INSERT INTO sw.source_offset (source_id, kafka_partition, next_offset, staged_from)
SELECT id, 0, 11, 0 FROM sw.source WHERE name = 'replay';
INSERT INTO replay (kafka_partition, kafka_offset, kafka_timestamp, host, t)
SELECT 0, o, timestamptz '2026-11-25 13:00:00+00' + o * interval '1 second', 'a.example', t
FROM (VALUES (0, timestamptz '2026-11-25 12:00:05+00'), (1, '2026-11-25 12:00:40+00'),
             (2, '2026-11-25 12:01:20+00'), (3, '2026-11-25 12:00:50+00'),
             (4, '2026-11-25 12:03:20+00'), (5, '2026-11-25 12:02:40+00'),
             (6, '2026-11-25 12:00:59+00'), (7, '2026-11-25 12:01:55+00'),
             (8, '2026-11-25 12:03:45+00'), (9, NULL), (10, 'infinity'),
             (11, '2026-11-25 12:09:00+00')) v(o, t);
SELECT sw.create_window('replay_hits', 'replay', 'tumbling', 'count(*) AS hits',
	event_time => 't', size => '1 minute',
	watermark_delay => '10 seconds', allowed_lateness => '30 seconds');
SELECT sw.create_window('replay_sliding', 'replay', 'sliding', 'count(*) AS hits',
	event_time => 't', size => '2 minutes', slide => '1 minute',
	watermark_delay => '10 seconds', allowed_lateness => '30 seconds');
SELECT sw.create_window('replay_new', 'replay', 'tumbling', 'count(*) AS hits',
	event_time => 't', size => '1 minute', backfill => false);
SELECT * FROM replay_hits ORDER BY window_start;
SELECT window_start, window_end, hits, is_final, revision, _sw_open FROM replay_sliding ORDER BY window_start;
SELECT count(*) FROM replay_new;
SELECT name, watermark, open_windows, final_windows, late_merged, late_dropped, null_time_skipped
FROM sw.windows WHERE source_name = 'replay' ORDER BY name;
SELECT * FROM sw.watermarks WHERE window_name LIKE 'replay%' ORDER BY window_name;
SELECT window_name, kafka_partition, kafka_offset, event_time, watermark
FROM sw.late_events ORDER BY window_name, kafka_offset, event_time;
SELECT sw.drop_window('replay_sliding');
SELECT window_name, count(*) FROM sw.late_events GROUP BY window_name;
-- a window's expressions run as its owner, never as the superuser, and
-- the owner administers its window
GRANT SELECT ON replay TO sw_analyst;
SET ROLE sw_analyst;
SELECT sw.create_window('who_ran', 'replay', 'tumbling', 'count(*) AS n',
	group_by => 'current_user::text AS who', event_time => 't', size => '1 hour');
SELECT who, sum(n) FROM who_ran GROUP BY who;
RESET ROLE;
SELECT pg_get_userbyid(owner) FROM sw.window WHERE name = 'who_ran';
-- an aggregate the owner may not execute is refused
CREATE FUNCTION secret_sum_step(int8, int4) RETURNS int8 LANGUAGE sql IMMUTABLE
	AS 'SELECT $1 + $2';
CREATE AGGREGATE secret_sum(int4) (SFUNC = secret_sum_step, STYPE = int8,
	INITCOND = '0', COMBINEFUNC = int8pl);
REVOKE EXECUTE ON FUNCTION secret_sum(int4) FROM PUBLIC;
SET ROLE sw_analyst;
SELECT sw.create_window('secret_w', 'replay', 'tumbling', 'secret_sum(1) AS s',
	event_time => 't', size => '1 hour');
SELECT sw.drop_window('who_ran');
RESET ROLE;
DROP AGGREGATE secret_sum(int4);
DROP FUNCTION secret_sum_step(int8, int4);
-- what a definition uses cannot be dropped from under it
CREATE FUNCTION host_domain(h text) RETURNS text LANGUAGE plpgsql IMMUTABLE
	AS $$BEGIN RETURN split_part(h, '.', 2); END$$;
-- (an inlinable SQL function too: the planner inlines it into the
-- definition, the dependency is on what was written)
CREATE FUNCTION is_local(h text) RETURNS boolean LANGUAGE sql IMMUTABLE
	AS $$ SELECT h LIKE '%.local' $$;
SELECT sw.create_window('by_domain', 'replay', 'tumbling', 'count(*) AS n',
	group_by => 'host_domain(host) AS domain', event_time => 't', size => '1 hour',
	filter => 'NOT is_local(host)');
\set VERBOSITY terse
DROP FUNCTION host_domain(text);
DROP FUNCTION is_local(text);
ALTER TABLE replay DROP COLUMN host;
\set VERBOSITY default
SELECT sw.drop_window('by_domain');
DROP FUNCTION host_domain(text);
DROP FUNCTION is_local(text);
-- a window cannot start in a REPEATABLE READ transaction
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT sw.create_window('rr_w', 'replay', 'tumbling', 'count(*) AS n',
	event_time => 't', size => '1 hour');
ROLLBACK;
-- sessions: the example of docs/semantics.md (one key, gap 5 minutes,
-- allowed lateness 5 minutes): merges, a session extended past the
-- watermark, a session that does not merge with a closed one, a drop
SELECT sw.create_source('replay_sessions', '127.0.0.1:1', 'replay_sessions',
	columns => 'host text, t timestamptz');
INSERT INTO sw.source_offset (source_id, kafka_partition, next_offset, staged_from)
SELECT id, 0, 7, 0 FROM sw.source WHERE name = 'replay_sessions';
INSERT INTO replay_sessions (kafka_partition, kafka_offset, kafka_timestamp, host, t)
SELECT 0, o, timestamptz '2026-11-25 13:00:00+00' + o * interval '1 second', 'a.example', t
FROM (VALUES (0, timestamptz '2026-11-25 12:00:00+00'), (1, '2026-11-25 12:02:00+00'),
             (2, '2026-11-25 12:10:00+00'), (3, '2026-11-25 12:06:00+00'),
             (4, '2026-11-25 12:20:00+00'), (5, '2026-11-25 12:14:00+00'),
             (6, '2026-11-25 12:08:00+00')) v(o, t);
SELECT sw.create_window('sessions', 'replay_sessions', 'session', 'count(*) AS hits',
	group_by => 'host', event_time => 't', gap => '5 minutes', allowed_lateness => '5 minutes');
SELECT host, window_start, window_end, hits, is_final, revision, _sw_open FROM sessions ORDER BY window_start;
-- counts: two events per host, with a one-minute timeout
SELECT sw.create_source('replay_counts', '127.0.0.1:1', 'replay_counts',
	columns => 'host text, t timestamptz');
INSERT INTO sw.source_offset (source_id, kafka_partition, next_offset, staged_from)
SELECT id, 0, 7, 0 FROM sw.source WHERE name = 'replay_counts';
INSERT INTO replay_counts (kafka_partition, kafka_offset, kafka_timestamp, host, t)
SELECT 0, o, timestamptz '2026-11-25 13:00:00+00' + o * interval '1 second', h, t
FROM (VALUES (0, 'a.example', timestamptz '2026-11-25 12:00:00+00'),
             (1, 'a.example', '2026-11-25 12:00:30+00'), (2, 'a.example', '2026-11-25 12:01:00+00'),
             (3, 'b.example', '2026-11-25 12:01:10+00'), (4, 'b.example', '2026-11-25 12:03:00+00'),
             (5, 'a.example', '2026-11-25 12:02:30+00'), (6, 'a.example', NULL)) v(o, h, t);
SELECT sw.create_window('counts', 'replay_counts', 'count', 'count(*) AS hits',
	group_by => 'host', event_time => 't', count => 2, timeout => '1 minute');
SELECT host, window_seq, window_start, window_end, hits, is_final, is_complete, revision, _sw_open
FROM counts ORDER BY host, window_seq;
SELECT name, watermark, open_windows, final_windows, late_merged, late_dropped, null_time_skipped
FROM sw.windows WHERE name IN ('sessions', 'counts') ORDER BY name;
SELECT window_name, kafka_partition, kafka_offset, event_time, watermark
FROM sw.late_events WHERE window_name IN ('sessions', 'counts');
SELECT sw.drop_source('replay_sessions', cascade => true);
SELECT sw.drop_source('replay_counts', cascade => true);
SELECT sw.drop_source('replay', cascade => true);

-- sw.drop_source: refused while windows exist, unless cascade
SELECT sw.drop_source('clicks');
SELECT sw.drop_source('clicks', cascade => true);
SELECT count(*) AS windows FROM sw.window;
SELECT count(*) AS states FROM sw.window_state;
SELECT count(*) AS partitions FROM sw.window_partition;
SELECT count(*) AS sources FROM sw.source;
SELECT count(*) AS late_events FROM sw.late_events;
SELECT relname AS new_relations FROM pg_class
WHERE oid NOT IN (SELECT oid FROM rels_before) AND relnamespace NOT IN (pg_my_temp_schema(), 'pg_toast'::regnamespace)
ORDER BY relname;

DROP SCHEMA results;
DROP TABLE taken;
DROP AGGREGATE my_sum_nocombine(int);
DROP AGGREGATE my_avg_noserial(numeric);
DROP AGGREGATE my_max(int);
DROP AGGREGATE my_avg(numeric);
DROP FUNCTION is_slow(int);
DROP FUNCTION site(text);
REVOKE CREATE ON SCHEMA public FROM sw_analyst;
DROP ROLE sw_analyst;
DROP ROLE sw_other;
