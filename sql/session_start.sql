--
-- sw.session_start(ts, gap) OVER (PARTITION BY ... ORDER BY ts):
-- a new session begins when ts - previous ts > gap
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE TEMP TABLE clicks (ip text, ts timestamptz);
INSERT INTO clicks VALUES
 ('10.0.0.1', '2026-11-25 12:00:00+00'),
 ('10.0.0.1', '2026-11-25 12:04:00+00'),   -- 4 min later: same session
 ('10.0.0.1', '2026-11-25 12:09:00+00'),   -- exactly 5 min later: touching, same session
 ('10.0.0.1', '2026-11-25 12:14:00.000001+00'), -- 1 us over the gap: new session
 ('10.0.0.1', '2026-11-25 12:14:00.000001+00'), -- a tie: same session
 ('10.0.0.2', '2026-11-25 12:01:00+00'),
 ('10.0.0.2', NULL),                        -- NULL time: NULL, does not break sessions
 ('10.0.0.2', '2026-11-25 12:30:00+00');

SELECT ip, ts, sw.session_start(ts, '5 minutes') OVER (PARTITION BY ip ORDER BY ts)
FROM clicks
ORDER BY ip, ts NULLS LAST;

-- sessions per ip: the usual grouping query
SELECT ip, session_start, count(*) AS clicks, max(ts) + interval '5 minutes' AS session_end
FROM (SELECT ip, ts, sw.session_start(ts, '5 minutes') OVER (PARTITION BY ip ORDER BY ts)
      FROM clicks WHERE ts IS NOT NULL) s
GROUP BY ip, session_start
ORDER BY ip, session_start;

-- the web events: visitor sessions per ip with a 5 minute gap
SELECT ip, session_start, count(*) AS hits
FROM (SELECT ip, event_time,
             sw.session_start(event_time, '5 minutes') OVER (PARTITION BY ip ORDER BY event_time)
      FROM web_events WHERE event_time IS NOT NULL) s
GROUP BY 1, 2 ORDER BY 1, 2;

-- a day counts as 24 hours whatever the zone
SET TimeZone = 'Europe/Berlin';
SELECT ts, sw.session_start(ts, '1 day') OVER (ORDER BY ts)
FROM (VALUES ('2026-03-28 12:00:00+01'::timestamptz), ('2026-03-29 12:00:00+02'),
             ('2026-03-30 12:00:00+02')) v(ts)
ORDER BY ts;
SET TimeZone = 'UTC';

-- NULL gap: NULL
SELECT sw.session_start(ts, NULL) OVER (ORDER BY ts) FROM clicks WHERE ip = '10.0.0.2' AND ts IS NOT NULL;

-- rows not in ascending ts order are an error, not silently wrong sessions
SELECT sw.session_start(ts, '5 minutes') OVER (PARTITION BY ip ORDER BY ts DESC) FROM clicks;

-- bad gaps, also on rows whose time is NULL
SELECT sw.session_start(NULL, '0') OVER ();
SELECT sw.session_start(ts, '0') OVER (ORDER BY ts) FROM clicks;
SELECT sw.session_start(ts, '-1 minute') OVER (ORDER BY ts) FROM clicks;
SELECT sw.session_start(ts, '1 month') OVER (ORDER BY ts) FROM clicks;
SELECT sw.session_start('infinity'::timestamptz, '1 minute') OVER ();

-- it is a window function
SELECT sw.session_start(now(), '1 minute');
