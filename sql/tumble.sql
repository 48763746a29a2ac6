--
-- sw.tumble: window_start = origin + floor((ts - origin) / size) * size
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- the composite in the select list
SELECT sw.tumble('2026-11-25 12:00:30+00', '1 minute');
SELECT (sw.tumble('2026-11-25 12:00:30+00', '1 minute')).*;

-- boundaries: start is inclusive, end exclusive
SELECT ts, w.window_start, w.window_end
FROM (VALUES ('2026-11-25 12:00:00+00'::timestamptz),
             ('2026-11-25 12:00:59.999999+00'),
             ('2026-11-25 12:01:00+00')) v(ts),
     sw.tumble(v.ts, '1 minute') w
ORDER BY ts;

-- as a one-row table in FROM, grouped: hits per host per minute
SELECT e.host, w.window_start, w.window_end, count(*) AS hits
FROM web_events e, sw.tumble(e.event_time, '1 minute') w
WHERE e.event_time IS NOT NULL
GROUP BY e.host, w.window_start, w.window_end
ORDER BY e.host, w.window_start;

-- in GROUP BY directly
SELECT sw.tumble(event_time, '5 minutes') AS w, count(*)
FROM web_events
WHERE event_time IS NOT NULL
GROUP BY 1
ORDER BY 1;

-- agrees with date_bin for times after the origin
SELECT count(*) AS disagreements
FROM web_events
WHERE (sw.tumble(event_time, '7 minutes 3 seconds', '2026-01-01 00:00:00+00')).window_start
      IS DISTINCT FROM date_bin('7 minutes 3 seconds', event_time, '2026-01-01 00:00:00+00')
  AND event_time IS NOT NULL;

-- floor, not truncation, before the origin
SELECT (sw.tumble('2026-11-25 11:59:59+00', '1 hour', '2026-11-25 12:00:00+00')).*;
SELECT (sw.tumble('1969-12-31 23:59:59.999999+00', '1 day')).*;
SELECT (sw.tumble('1969-12-31 00:00:00+00', '1 day')).*;
SELECT (sw.tumble('1900-01-01 00:00:00.5+00', '1 second')).*;

-- an origin that is not a multiple of the size, in the future
SELECT (sw.tumble('2026-11-25 12:00:00+00', '10 minutes', '2030-01-01 00:03:00+00')).*;

-- a day counts as 24 hours, also across a DST change in the session zone
SET TimeZone = 'Europe/Berlin';
SELECT (sw.tumble('2026-03-29 12:00:00+02', '1 day')).*;
SELECT w.window_end - w.window_start AS span
FROM sw.tumble('2026-03-29 12:00:00+02', '1 day') w;

-- results do not depend on TimeZone: the same instants in three zones
CREATE TEMP TABLE tz_results (zone text, ts timestamptz, ws timestamptz, we timestamptz);
SET TimeZone = 'UTC';
INSERT INTO tz_results SELECT 'UTC', event_time, (sw.tumble(event_time, '1 day')).* FROM web_events;
SET TimeZone = 'America/St_Johns';
INSERT INTO tz_results SELECT 'St_Johns', event_time, (sw.tumble(event_time, '1 day')).* FROM web_events;
SET TimeZone = 'Asia/Kathmandu';
INSERT INTO tz_results SELECT 'Kathmandu', event_time, (sw.tumble(event_time, '1 day')).* FROM web_events;
SET TimeZone = 'UTC';
SELECT count(DISTINCT (ts, ws, we)) AS distinct_results, count(*) AS rows
FROM tz_results WHERE ts IS NOT NULL;
SELECT DISTINCT ws FROM tz_results ORDER BY ws;

-- microsecond sizes
SELECT (sw.tumble('2026-11-25 12:00:00.000007+00', '3 microseconds')).*;

-- NULL in, NULL out
SELECT sw.tumble(NULL, '1 minute') IS NULL AS null_ts,
       sw.tumble(now(), NULL) IS NULL AS null_size,
       sw.tumble(now(), '1 minute', NULL) IS NULL AS null_origin;
SELECT count(*) AS rows, count(w.window_start) AS non_null
FROM web_events e, sw.tumble(e.event_time, '1 minute') w;

-- bad arguments
SELECT sw.tumble('2026-11-25 12:00:00+00', '0 seconds');
SELECT sw.tumble('2026-11-25 12:00:00+00', '-1 minute');
SELECT sw.tumble('2026-11-25 12:00:00+00', '1 month');
SELECT sw.tumble('2026-11-25 12:00:00+00', '1 year');
SELECT sw.tumble('2026-11-25 12:00:00+00', '1 day -24 hours');
SELECT sw.tumble('infinity', '1 minute');
SELECT sw.tumble('2026-11-25 12:00:00+00', '1 minute', '-infinity');
SELECT sw.tumble('294276-12-31 23:59:59+00', '1 day');

-- In FROM, sw.tumble is planned as two scalar expressions of the outer row
-- (adhoc_planner.c): no Function Scan, and the same rows as the Function
-- Scan that WITH ORDINALITY keeps
EXPLAIN (COSTS OFF)
SELECT e.host, w.window_start, count(*)
FROM web_events e, sw.tumble(e.event_time, '1 minute') w
GROUP BY 1, 2;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE (w.window_start, w.window_end) IS NOT DISTINCT FROM (o.window_start, o.window_end)) AS same
FROM web_events e, sw.tumble(e.event_time, '1 minute') w,
     sw.tumble(e.event_time, '1 minute') WITH ORDINALITY o;
-- whole-row references and column aliases as before; NULL in, NULLs out
SELECT w, a, b FROM (VALUES ('2026-11-25 12:00:07+00'::timestamptz), (NULL)) v(t),
     sw.tumble(v.t, '1 minute') AS w(a, b) ORDER BY a;
-- errors as before, from the scalar form
SELECT * FROM (VALUES ('infinity'::timestamptz)) v(t), sw.tumble(v.t, '1 minute') w;
SELECT * FROM (VALUES (now())) v(t), sw.tumble(v.t, '1 month') w;
-- volatile arguments keep the Function Scan (they would be evaluated twice)
EXPLAIN (COSTS OFF)
SELECT w.window_start FROM sw.tumble(clock_timestamp(), '1 minute') w;
-- a role without EXECUTE on sw.tumble is refused in FROM too
CREATE ROLE tumble_denied;
REVOKE EXECUTE ON FUNCTION sw.tumble(timestamptz, interval, timestamptz) FROM PUBLIC;
SET ROLE tumble_denied;
SELECT w.window_start FROM (VALUES (now())) v(t), sw.tumble(v.t, '1 minute') w;
RESET ROLE;
GRANT EXECUTE ON FUNCTION sw.tumble(timestamptz, interval, timestamptz) TO PUBLIC;
DROP ROLE tumble_denied;
