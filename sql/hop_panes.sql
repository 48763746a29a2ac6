--
-- GROUP BY over sw.hop in FROM is planned per pane (gcd of size and slide)
-- and combined into windows.  Every query is checked against the same query
-- written with sw.hop in the select list, which is never rewritten: the
-- results must be the same rows, whether the rewrite applies or not.
--
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE TABLE pane_events AS
SELECT g AS id,
       (ARRAY['b.example', 'a.example', 'B.example', NULL])[g % 4 + 1] AS host,
       CASE WHEN g % 11 = 0 THEN NULL ELSE (g % 7 - 3)::int2 END AS i2,
       (g % 13 - 6) * 1000003 AS i4,
       CASE WHEN g % 9 = 0 THEN NULL ELSE (g::int8 * 4000000007) % 9000000000000000000 END AS i8,
       (g % 17 - 8) / 3.0 AS num,
       (g % 5) / 4.0::float8 AS f8,
       g % 3 <> 0 AS flag,
       CASE WHEN g % 29 = 0 THEN NULL
            ELSE '2026-11-25 12:00:00+00'::timestamptz + (g * 7919 % 5400) * interval '1.37 seconds' END AS ts
FROM generate_series(1, 3000) g;

-- aggregates of one's own: one that combines with its own step, one that
-- starts from a value (combining it would add the start once per pane)
CREATE AGGREGATE my_max(int4) (sfunc = int4larger, stype = int4, combinefunc = int4larger);
CREATE AGGREGATE my_sum100(int4) (sfunc = int4pl, stype = int4, combinefunc = int4pl, initcond = '100');

-- q1 written both ways: with sw.hop in FROM and in the select list
CREATE FUNCTION pane_diff(q_from text, q_list text, OUT rows bigint, OUT only_from bigint, OUT only_list bigint)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT count(*) FROM (%s) a', q_from) INTO rows;
  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) d', q_from, q_list) INTO only_from;
  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) d', q_list, q_from) INTO only_list;
END $$;

-- Does the plan of q aggregate per pane?
CREATE FUNCTION per_pane(q text) RETURNS bool LANGUAGE plpgsql AS $$
DECLARE line text; found bool := false;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF, VERBOSE) ' || q LOOP
    found := found OR line LIKE '%sw._tumble_start%';
  END LOOP;
  RETURN found;
END $$;

-- the README's form, and what it is planned as
EXPLAIN (COSTS OFF)
SELECT e.host, h.window_start, h.window_end, count(*)
FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h
GROUP BY 1, 2, 3;

SELECT per_pane(f) AS per_pane, (pane_diff(f, l)).*
FROM (VALUES
 -- every aggregate that is combined, NULLs in each
 ($$SELECT e.host, h.window_start, h.window_end, count(*), count(e.i2), sum(e.i2), sum(e.i4),
           sum(e.i8), sum(e.num), min(e.host), max(e.ts), bool_and(e.flag), bool_or(e.flag),
           bit_or(e.i4), min(e.num)
    FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1, 2, 3$$,
  $$SELECT x.host, (x.h).window_start, (x.h).window_end, count(*), count(x.i2), sum(x.i2), sum(x.i4),
           sum(x.i8), sum(x.num), min(x.host), max(x.ts), bool_and(x.flag), bool_or(x.flag),
           bit_or(x.i4), min(x.num)
    FROM (SELECT e.*, sw.hop(e.ts, '10 minutes', '5 minutes') AS h FROM pane_events e) x GROUP BY 1, 2, 3$$),
 -- FILTER, HAVING on an aggregate not selected, a key expression, WHERE
 ($$SELECT upper(e.host) || '!', h.window_start, count(*) FILTER (WHERE e.flag), max(e.i4) FILTER (WHERE e.i2 > 0)
    FROM pane_events e, sw.hop(e.ts, '1 hour', '20 minutes') h
    WHERE e.id % 5 <> 0 GROUP BY upper(e.host), h.window_start HAVING sum(e.i2) > 3$$,
  $$SELECT upper(x.host) || '!', (x.h).window_start, count(*) FILTER (WHERE x.flag), max(x.i4) FILTER (WHERE x.i2 > 0)
    FROM (SELECT e.*, sw.hop(e.ts, '1 hour', '20 minutes') AS h FROM pane_events e) x
    WHERE x.id % 5 <> 0 GROUP BY upper(x.host), (x.h).window_start HAVING sum(x.i2) > 3$$),
 -- size not a multiple of slide (panes of one minute), and an origin
 ($$SELECT h.window_start, count(*), sum(e.i4) FROM pane_events e,
           sw.hop(e.ts, '7 minutes', '3 minutes', '2026-11-25 12:00:30+00') h GROUP BY 1$$,
  $$SELECT (x.h).window_start, count(*), sum(x.i4) FROM (SELECT e.*,
           sw.hop(e.ts, '7 minutes', '3 minutes', '2026-11-25 12:00:30+00') AS h FROM pane_events e) x GROUP BY 1$$),
 -- slide longer than size: rows in the gaps belong to no window
 ($$SELECT h.window_start, h.window_end, count(*) FROM pane_events e, sw.hop(e.ts, '1 minute', '5 minutes') h GROUP BY 1, 2$$,
  $$SELECT (x.h).window_start, (x.h).window_end, count(*) FROM (SELECT e.*, sw.hop(e.ts, '1 minute', '5 minutes') AS h FROM pane_events e) x GROUP BY 1, 2$$),
 -- no GROUP BY: every row counted once per window
 ($$SELECT count(*), sum(e.i8), min(e.ts) FROM pane_events e, sw.hop(e.ts, '1 day', '90 minutes') h$$,
  $$SELECT count(*), sum(x.i8), min(x.ts) FROM (SELECT e.*, sw.hop(e.ts, '1 day', '90 minutes') AS h FROM pane_events e) x$$),
 -- no GROUP BY and no row at all: one row, counts 0
 ($$SELECT count(*), count(e.i2), sum(e.i4), max(e.host) FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h WHERE e.id < 0$$,
  $$SELECT count(*), count(x.i2), sum(x.i4), max(x.host) FROM (SELECT e.*, sw.hop(e.ts, '10 minutes', '5 minutes') AS h FROM pane_events e WHERE e.id < 0) x$$),
 -- a join and a CTE below, an ORDER BY on an aggregate above
 ($$WITH hosts AS (SELECT DISTINCT host FROM pane_events WHERE host IS NOT NULL)
    SELECT d.host, h.window_start, count(*) FROM pane_events e JOIN hosts d ON d.host = e.host,
           sw.hop(e.ts, '30 minutes', '10 minutes') h GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2$$,
  $$WITH hosts AS (SELECT DISTINCT host FROM pane_events WHERE host IS NOT NULL)
    SELECT x.host, (x.h).window_start, count(*) FROM (SELECT d.host, sw.hop(e.ts, '30 minutes', '10 minutes') AS h
           FROM pane_events e JOIN hosts d ON d.host = e.host) x GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2$$),
 -- a timestamp without time zone, cast as sw.hop's argument
 ($$SELECT h.window_start, count(*) FROM pane_events e, sw.hop((e.ts AT TIME ZONE 'Asia/Kolkata')::timestamp, '1 hour', '15 minutes') h GROUP BY 1$$,
  $$SELECT (x.h).window_start, count(*) FROM (SELECT sw.hop((e.ts AT TIME ZONE 'Asia/Kolkata')::timestamp, '1 hour', '15 minutes') AS h FROM pane_events e) x GROUP BY 1$$),
 -- left as written: avg, a float sum, DISTINCT
 ($$SELECT h.window_start, avg(e.i4), count(*) FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1$$,
  $$SELECT (x.h).window_start, avg(x.i4), count(*) FROM (SELECT e.*, sw.hop(e.ts, '10 minutes', '5 minutes') AS h FROM pane_events e) x GROUP BY 1$$),
 ($$SELECT h.window_start, sum(e.f8) FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1$$,
  $$SELECT (x.h).window_start, sum(x.f8) FROM (SELECT e.*, sw.hop(e.ts, '10 minutes', '5 minutes') AS h FROM pane_events e) x GROUP BY 1$$),
 ($$SELECT h.window_start, count(DISTINCT e.host) FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1$$,
  $$SELECT (x.h).window_start, count(DISTINCT x.host) FROM (SELECT e.*, sw.hop(e.ts, '10 minutes', '5 minutes') AS h FROM pane_events e) x GROUP BY 1$$),
 -- an aggregate over sw.hop's own columns
 ($$SELECT e.host, min(h.window_start), count(*) FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1$$,
  $$SELECT x.host, min((x.h).window_start), count(*) FROM (SELECT e.*, sw.hop(e.ts, '10 minutes', '5 minutes') AS h FROM pane_events e) x GROUP BY 1$$),
 -- aggregates of one's own: combined, and left as written
 ($$SELECT h.window_start, my_max(e.i4) FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1$$,
  $$SELECT (x.h).window_start, my_max(x.i4) FROM (SELECT e.*, sw.hop(e.ts, '10 minutes', '5 minutes') AS h FROM pane_events e) x GROUP BY 1$$),
 ($$SELECT h.window_start, my_sum100(e.i4) FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1$$,
  $$SELECT (x.h).window_start, my_sum100(x.i4) FROM (SELECT e.*, sw.hop(e.ts, '10 minutes', '5 minutes') AS h FROM pane_events e) x GROUP BY 1$$),
 -- a size taken from a column: no constant pane
 ($$SELECT h.window_start, count(*) FROM pane_events e, sw.hop(e.ts, make_interval(mins => 10 + (e.id % 2)), '5 minutes') h GROUP BY 1$$,
  $$SELECT (x.h).window_start, count(*) FROM (SELECT sw.hop(e.ts, make_interval(mins => 10 + (e.id % 2)), '5 minutes') AS h FROM pane_events e) x GROUP BY 1$$),
 -- a LATERAL item below that reads sw.hop's columns
 ($$SELECT h.window_start, count(*), sum(l.n) FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h,
           LATERAL (SELECT extract(minute FROM h.window_start)::int AS n) l GROUP BY 1$$,
  $$SELECT (x.h).window_start, count(*), sum(extract(minute FROM (x.h).window_start)::int) FROM (SELECT sw.hop(e.ts, '10 minutes', '5 minutes') AS h FROM pane_events e) x GROUP BY 1$$)
) AS t(f, l);

-- a grouping key over sw.hop and the table together stays as written
SELECT per_pane($$SELECT h.window_start + e.id * interval '1 s', count(*)
  FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1$$) AS per_pane;
-- a window function above the grouping stays as written
SELECT per_pane($$SELECT h.window_start, rank() OVER (ORDER BY count(*))
  FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1$$) AS per_pane;

-- errors are the same either way
SELECT h.window_start, count(*) FROM (VALUES ('infinity'::timestamptz)) e(ts),
       sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1;
SELECT h.window_start, count(*) FROM pane_events e, sw.hop(e.ts, '1 mon', '5 minutes') h GROUP BY 1;

-- a view keeps what was written; its plans aggregate per pane
CREATE VIEW pane_view AS
SELECT e.host, h.window_start, count(*) AS n
FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1, 2;
SELECT pg_get_viewdef('pane_view'::regclass) LIKE '%sw.hop(e.ts%' AS view_text_kept,
       per_pane('SELECT * FROM pane_view') AS per_pane;

-- a correlated use inside a LATERAL subquery of another query
SELECT per_pane(q) AS per_pane, (pane_diff(q, l)).*
FROM (VALUES ($$SELECT d.host, s.* FROM (VALUES ('a.example'), ('b.example')) d(host),
  LATERAL (SELECT h.window_start, count(*) AS n FROM pane_events e, sw.hop(e.ts, '1 hour', '30 minutes') h
           WHERE e.host = d.host GROUP BY 1) s$$,
  $$SELECT d.host, s.* FROM (VALUES ('a.example'), ('b.example')) d(host),
  LATERAL (SELECT (x.h).window_start, count(*) AS n FROM (SELECT sw.hop(e.ts, '1 hour', '30 minutes') AS h
           FROM pane_events e WHERE e.host = d.host) x GROUP BY 1) s$$)) t(q, l);

-- a role without EXECUTE on sw.hop is refused as before
CREATE ROLE hop_denied;
GRANT SELECT ON pane_events TO hop_denied;
REVOKE EXECUTE ON FUNCTION sw.hop(timestamptz, interval, interval, timestamptz) FROM PUBLIC;
SET ROLE hop_denied;
SELECT h.window_start, count(*) FROM pane_events e, sw.hop(e.ts, '10 minutes', '5 minutes') h GROUP BY 1;
RESET ROLE;
GRANT EXECUTE ON FUNCTION sw.hop(timestamptz, interval, interval, timestamptz) TO PUBLIC;
DROP OWNED BY hop_denied;
DROP ROLE hop_denied;

DROP VIEW pane_view;
DROP AGGREGATE my_max(int4);
DROP AGGREGATE my_sum100(int4);
DROP FUNCTION pane_diff(text, text);
DROP FUNCTION per_pane(text);
DROP TABLE pane_events;
