-- test/demo/web_events.sql — generated web-request events shaped like the
-- HTTP interceptor's: :events of them over about an hour, in visits of a
-- few pages each by one of 300 visitors, about 2% of them out of order.
CREATE EXTENSION IF NOT EXISTS stream_windows;
SET TimeZone = 'UTC';
SELECT setseed(0.42);

CREATE TABLE web_events AS
WITH visits AS (
	SELECT v, (random() * 299)::int AS visitor, random() AS r
	FROM generate_series(0, (:events - 1) / 6) v
)
SELECT g AS id,
       (ARRAY['/', '/products', '/products/42', '/cart', '/checkout', '/login',
              '/search?q=kafka', '/docs', '/pricing', '/about'])[1 + ((g % 6) * 3 + visitor) % 10] AS url,
       (ARRAY[NULL, 'https://www.google.com/', 'https://news.ycombinator.com/',
              'https://shop.example/'])[1 + visitor % 4] AS referrer,
       (ARRAY['Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
              'Mozilla/5.0 (Macintosh) Safari/605.1.15',
              'curl/8.5.0'])[1 + visitor % 3] AS user_agent,
       jsonb_build_object('accept', 'text/html', 'x-request-id', md5(g::text)) AS headers,
       (ARRAY['shop.example', 'api.example', 'docs.example'])[1 + (visitor + g) % 3] AS host,
       ('10.0.' || visitor / 100 || '.' || visitor % 100)::inet AS ip,
       timestamptz '2026-11-25 12:00:00+00'
         + (v * 6 * 3600.0 / :events) * interval '1 second'
         + (g % 6) * interval '20 seconds'
         - CASE WHEN r < 0.02 THEN interval '90 seconds' ELSE interval '0' END AS event_time
FROM generate_series(0, :events - 1) g
JOIN visits ON v = g / 6;
