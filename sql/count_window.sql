--
-- sw.count_window(n) OVER (...): the row's 0-based count-window number,
-- n rows per window in the window's row order
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

SELECT id, sw.count_window(3) OVER (ORDER BY id) FROM web_events ORDER BY id;

-- per key, in event order; ties broken by the ORDER BY
SELECT ip, id, event_time,
       sw.count_window(2) OVER (PARTITION BY ip ORDER BY event_time, id) AS window_seq
FROM web_events
WHERE event_time IS NOT NULL
ORDER BY ip, event_time, id;

-- a 3-step funnel per ip: windows and whether they are complete
SELECT ip, window_seq, count(*) = 3 AS is_complete, min(event_time) AS window_start,
       max(event_time) AS window_end
FROM (SELECT ip, event_time, sw.count_window(3) OVER (PARTITION BY ip ORDER BY event_time, id) AS window_seq
      FROM web_events WHERE event_time IS NOT NULL) c
GROUP BY ip, window_seq
ORDER BY ip, window_seq;

-- n = 1: every row its own window
SELECT array_agg(w ORDER BY g) FROM (SELECT g, sw.count_window(1) OVER (ORDER BY g) w FROM generate_series(1, 5) g) s;

-- large partitions
SELECT max(w), count(*) FILTER (WHERE w = 0)
FROM (SELECT sw.count_window(1000) OVER (ORDER BY g) w FROM generate_series(1, 100000) g) s;

-- NULL n: NULL
SELECT sw.count_window(NULL) OVER (ORDER BY id) FROM web_events WHERE id = 1;

-- bad n
SELECT sw.count_window(0) OVER (ORDER BY id) FROM web_events;
SELECT sw.count_window(-3) OVER (ORDER BY id) FROM web_events;
