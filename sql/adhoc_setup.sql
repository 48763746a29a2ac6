--
-- Shared fixtures for the ad-hoc window tests: a table of web-request events
-- shaped like the HTTP interceptor's.  Times are written with explicit
-- offsets so that the data does not depend on the session's TimeZone.
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE TABLE web_events (
	id         int PRIMARY KEY,
	url        text,
	referrer   text,
	user_agent text,
	headers    jsonb,
	host       text,
	ip         inet,
	event_time timestamptz
);

INSERT INTO web_events VALUES
 (1,  '/',        NULL,  'curl/8', '{"accept":"*/*"}', 'a.example', '10.0.0.1', '2026-11-25 12:00:00+00'),
 (2,  '/login',   '/',   'curl/8', '{}',               'a.example', '10.0.0.1', '2026-11-25 12:00:59.999999+00'),
 (3,  '/cart',    '/',   'ff/120', '{}',               'a.example', '10.0.0.2', '2026-11-25 12:01:00+00'),
 (4,  '/',        NULL,  'ff/120', '{}',               'b.example', '10.0.0.2', '2026-11-25 12:01:30+00'),
 (5,  '/pay',     '/cart','ff/120','{}',               'a.example', '10.0.0.2', '2026-11-25 12:06:00+00'),
 (6,  '/',        NULL,  'curl/8', '{}',               'b.example', '10.0.0.1', '2026-11-25 12:11:00+00'),
 (7,  '/late',    NULL,  'curl/8', '{}',               'b.example', '10.0.0.3', '2026-11-25 11:59:59+00'),
 (8,  '/nulltime',NULL,  'curl/8', '{}',               'b.example', '10.0.0.3', NULL);

SELECT count(*) AS events FROM web_events;
