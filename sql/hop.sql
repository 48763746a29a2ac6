--
-- sw.hop: every window [origin + k*slide, origin + k*slide + size) that
-- contains ts, ascending
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- size 10 minutes, slide 5 minutes: two windows per event
SELECT * FROM sw.hop('2026-11-25 12:07:00+00', '10 minutes', '5 minutes');

-- on a boundary: start inclusive, end exclusive
SELECT * FROM sw.hop('2026-11-25 12:05:00+00', '10 minutes', '5 minutes');

-- size 1 hour every 5 minutes: twelve windows, ascending
SELECT count(*), min(window_start), max(window_start),
       bool_and(window_end - window_start = '1 hour') AS all_one_hour
FROM sw.hop('2026-11-25 12:07:00+00', '1 hour', '5 minutes');
SELECT array_agg(window_start ORDER BY ord) = array_agg(window_start ORDER BY window_start) AS ascending
FROM sw.hop('2026-11-25 12:07:00+00', '1 hour', '5 minutes') WITH ORDINALITY h(window_start, window_end, ord);

-- slide > size: gaps between windows; a ts in a gap has no window
SELECT * FROM sw.hop('2026-11-25 12:00:30+00', '1 minute', '5 minutes');
SELECT count(*) AS in_gap FROM sw.hop('2026-11-25 12:03:00+00', '1 minute', '5 minutes');

-- slide = size is tumbling
SELECT count(*) AS disagreements
FROM web_events e, sw.hop(e.event_time, '1 minute', '1 minute') h
WHERE (h.window_start, h.window_end) IS DISTINCT FROM
      ((sw.tumble(e.event_time, '1 minute')).window_start,
       (sw.tumble(e.event_time, '1 minute')).window_end);

-- floor before the origin
SELECT * FROM sw.hop('1969-12-31 23:59:59+00', '2 seconds', '1 second');
SELECT * FROM sw.hop('2026-11-25 11:59:00+00', '10 minutes', '5 minutes', '2026-11-25 12:02:00+00');

-- hits per host in sliding windows, matched by a hand-written join
SELECT e.host, h.window_start, count(*) AS hits
FROM web_events e, sw.hop(e.event_time, '10 minutes', '5 minutes') h
GROUP BY 1, 2
ORDER BY 1, 2;

WITH hopped AS (
  SELECT e.id, h.window_start
  FROM web_events e, sw.hop(e.event_time, '10 minutes', '5 minutes', '2026-01-01 00:00:01+00') h
), joined AS (
  SELECT e.id, s AS window_start
  FROM web_events e,
       generate_series(date_bin('5 minutes', e.event_time, '2026-01-01 00:00:01+00') - interval '5 minutes',
                       e.event_time, interval '5 minutes') s
  WHERE e.event_time >= s AND e.event_time < s + interval '10 minutes'
)
SELECT (SELECT count(*) FROM hopped) AS hopped,
       (SELECT count(*) FROM (TABLE hopped EXCEPT TABLE joined) x) AS only_hop,
       (SELECT count(*) FROM (TABLE joined EXCEPT TABLE hopped) y) AS only_join;

-- TimeZone does not change results
SET TimeZone = 'Pacific/Chatham';
SELECT extract(epoch FROM window_start) AS start_epoch
FROM sw.hop('2026-11-25 12:07:00+00', '1 day', '12 hours');
SET TimeZone = 'UTC';
SELECT extract(epoch FROM window_start) AS start_epoch
FROM sw.hop('2026-11-25 12:07:00+00', '1 day', '12 hours');

-- NULL in: no rows
SELECT count(*) FROM sw.hop(NULL, '1 minute', '1 minute');
SELECT count(*) FROM sw.hop(now(), NULL, '1 minute');
SELECT count(*) FROM sw.hop(now(), '1 minute', NULL);

-- bad arguments
SELECT * FROM sw.hop('2026-11-25 12:00:00+00', '0', '1 minute');
SELECT * FROM sw.hop('2026-11-25 12:00:00+00', '1 minute', '0');
SELECT * FROM sw.hop('2026-11-25 12:00:00+00', '1 minute', '-5 seconds');
SELECT * FROM sw.hop('2026-11-25 12:00:00+00', '1 mon', '1 day');
SELECT * FROM sw.hop('2026-11-25 12:00:00+00', '30 days', '1 year');
SELECT * FROM sw.hop('infinity', '1 minute', '1 minute');
