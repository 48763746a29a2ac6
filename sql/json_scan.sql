--
-- The JSON scanner (src/json_scan.c) against PostgreSQL's own parser.
--
-- A source reads JSON payloads with a single-pass scanner and falls back to
-- pg_parse_json whenever the scanner is unsure.  sw._parse_payload runs
-- both on every payload the scanner accepts and raises an internal error if
-- pg_parse_json rejects it or finds any column's value somewhere else; so
-- every row below is a comparison, and a result shows what the worker
-- would stage (or the dead letter's error).
--
-- Own database: the payloads are UTF8 whatever the cluster's encoding.
SELECT current_database() AS regress_db \gset
CREATE DATABASE sw_json_scan ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'
	TEMPLATE template0;
\c sw_json_scan
CREATE EXTENSION stream_windows;

CREATE TABLE scan_t (
	kafka_partition int, kafka_offset bigint,
	kafka_timestamp timestamptz, kafka_key text,
	url text, ms int, x text, y jsonb, ok boolean, amount numeric
);
CREATE FUNCTION j(payload text) RETURNS text LANGUAGE sql
AS $$ SELECT sw._parse_payload('scan_t', 'json', convert_to(payload, 'UTF8')) $$;

-- whitespace, empty objects, what is not an object
SELECT p, j(p) FROM (VALUES
	('  {"ms":1}  '), (E'{\t"ms"\n:\r1 }'), (E'{"ms":1}\n'), ('{}'), ('{ }'),
	(''), (' '), ('[]'), ('"ms"'), ('42'), ('null'), (E'{"ms":1}\f')
) AS t(p);

-- structure: every way to get it wrong once
SELECT p, j(p) FROM (VALUES
	('{'), ('{"ms"'), ('{"ms":'), ('{"ms":1'), ('{"ms":1,}'), ('{,"ms":1}'),
	('{"ms" 1}'), ('{"ms":1 "url":"x"}'), ('{"ms":1}}'), ('{"ms":1}x'),
	('{"ms":1} {"ms":2}'), ('{ms:1}'), ('{''ms'':1}'), ('{"ms"::1}'),
	('{"x":[1,2,]}'), ('{"x":[1 2]}'), ('{"x":{"a" 1}}'), ('{"x":{1:2}}'),
	('{"x":[}'), ('{"x":{]}'), ('{"x":[[[]]]}'), ('{"x":[,1]}'),
	('{"x":{"a":1,}}'), ('{"x":{"a":{"b":{}}}, "ms": 3}'), ('{"x":[[],{}], "ms": 4}')
) AS t(p);

-- strings: escapes in names and values, surrogates, control characters
SELECT p, j(p) FROM (VALUES
	('{"m\u0073": 5}'), ('{"u\"rl": "x"}'), ('{"url\\": 1}'), ('{"\u0075rl": "named"}'),
	('{"url": "a\"b\\c\/d\b\f\n\r\t"}'), ('{"url": "\u00e9\u20AC"}'),
	('{"url": "\ud83d\ude00"}'), ('{"url": "\ud83d"}'), ('{"url": "\ude00"}'),
	('{"url": "\ud83d\ud83d"}'), ('{"x": "\ud800", "ms": 1}'), ('{"url": "\u0000"}'),
	('{"x": "\u0000", "ms": 2}'), ('{"url": "\x"}'), ('{"url": "\u12"}'),
	('{"url": "\u12G4"}'), ('{"url": "\"}'), ('{"url": "abc'),
	(E'{"url": "a\tb"}'), (E'{"x": "a\nb", "ms": 3}'), (E'{"url": "\x01"}'),
	('{"url": "é ü €"}'), ('{"é": 1, "ms": 6}'), ('{"\ud800x": 1}')
) AS t(p);

-- a quote or backslash at every offset around an 8-byte boundary
SELECT n, j('{"url": "' || repeat('a', n) || '\"' || repeat('b', n) || '", "ms": ' || n || '}'),
	j('{"url": "' || repeat('a', n) || '\\' || '", "x": "' || repeat('c', n) || '"}')
FROM generate_series(0, 17) AS n;

-- and around the 16-byte blocks: each kind of escape (one crossing a block's
-- end, one invalid), a control byte and a byte above 0x7F at every offset
SELECT n, j('{"url": "' || repeat('a', n) || '\u0041' || repeat('b', 40 - n) || '", "ms": ' || n || '}'),
	j('{"url": "' || repeat('a', n) || '\n\"\\' || repeat('b', n) || '\/"}'),
	j('{"url": "' || repeat('a', n) || chr(1) || 'b", "ms": ' || n || '}'),
	j('{"url": "' || repeat('a', n) || 'é' || repeat('b', n) || '\"", "ms": ' || n || '}'),
	j('{"url": "' || repeat('a', n) || '\u00G1"}'), j('{"url": "' || repeat('a', n) || '\')
FROM generate_series(0, 40) AS n;

-- numbers at the edges, literals
SELECT p, j(p) FROM (VALUES
	('{"ms": -0}'), ('{"ms": 01}'), ('{"ms": 1.}'), ('{"ms": .5}'), ('{"ms": 1e}'),
	('{"ms": 1e+}'), ('{"ms": 2147483647}'), ('{"ms": 2147483648}'),
	('{"ms": -2147483648}'), ('{"ms": 1.5}'), ('{"amount": 1E40}'),
	('{"amount": -0.000e-5}'), ('{"amount": 1.0e+2}'), ('{"ms": 12abc}'),
	('{"ms": 1_0}'), ('{"ms": -}'), ('{"ms": +1}'), ('{"ms": 1.2.3}'),
	('{"ms": 0x10}'), ('{"ms": 1é}'), ('{"ms": 1 }'), ('{"ms":1,"url":2}'),
	('{"ok": true}'), ('{"ok": tru}'), ('{"ok": truex}'), ('{"ok": TRUE}'),
	('{"ok": null}'), ('{"ok": nul}'), ('{"ok": false}'), ('{"ok":false}'),
	('{"ok": true_}'), ('{"ok": trueé}'), ('{"ok": [true, false, null]}'),
	('{"x": [true, false, null]}'), ('{"x": truefalse}')
) AS t(p);

-- duplicate keys: the last one wins, also after a nested one of that name
SELECT p, j(p) FROM (VALUES
	('{"ms": 1, "ms": 2}'), ('{"ms": 1, "x": {"ms": 3}, "ms": null}'),
	('{"ms": 1, "m\u0073": 7}'), ('{"y": {"a": 1}, "y": [2]}')
) AS t(p);

-- nesting: the scanner tracks 64 containers, pg_parse_json many more
SELECT d, split_part(j('{"x": ' || repeat('[', d) || repeat(']', d) || ', "ms": ' || d || '}'), ',', 2) AS ms,
	j('{"y": ' || repeat('{"a":', d) || '1' || repeat('}', d) || '}') LIKE '(,,,"{""a"": %' AS y_read
FROM (VALUES (1), (62), (63), (64), (65), (1000)) AS t(d);
SELECT j('{"x": ' || repeat('[', 100000) || repeat(']', 99999) || ', "ms": 1}');

-- many fields; after an escaped name fields wait for the encoding check,
-- and more than 256 waiting send the payload to pg_parse_json
SELECT j('{' || string_agg('"f' || i || '": ' || i, ', ') || ', "ms": 300}')
FROM generate_series(1, 300) AS i;
SELECT j('{"\u0066": 0, ' || string_agg('"f' || i || '": ' || i, ', ') || ', "ms": 301}')
FROM generate_series(1, 300) AS i;
-- the encoding is checked before any field's name is read: a bad name
-- escape and a byte that is not UTF-8 give the encoding's error, as before
SELECT sw._parse_payload('scan_t', 'json',
	convert_to('{"\ud800": 1, "x": "', 'UTF8') || '\xff'::bytea || convert_to('"}', 'UTF8'));
SELECT sw._parse_payload('scan_t', 'json',
	convert_to('{"url": "ok", "x": "', 'UTF8') || '\xc3'::bytea || convert_to('"}', 'UTF8'));
SELECT sw._parse_payload('scan_t', 'json', convert_to('{"url": "', 'UTF8') || '\x00'::bytea || convert_to('"}', 'UTF8'));

-- Randomly damaged payloads: about one or two characters of real events
-- replaced by JSON's punctuation, digits, letters and spaces.  Every one is
-- compared; both the valid and the invalid side must be well covered.
SELECT setseed(0.42);
CREATE TEMP TABLE damaged AS
WITH templates(t) AS (VALUES
	('{"url": "/products/17", "ms": 42, "x": "{\"ua\":\"Chrome/131\",\"os\":\"Linux\"}", "ok": true, "amount": -12.5e1}'),
	('{"y": {"lang": "de", "dnt": [1, 2.5, null]}, "ms": 7, "url": "a\\b\u00e9", "ok": false}'),
	(E'{ "ms" : 0 ,\n "x" : [ [ ], { } , "" ] , "amount" : 3E-2 , "url" : "" }')
), chars(c) AS (
	SELECT '{}[],:"\\ 0123456789-+.eEtrufalsn/x' || E'\t\n' AS c
)
SELECT i, t AS original, p
FROM generate_series(1, 3000) AS i,
	LATERAL (SELECT t FROM templates OFFSET (i % 3) LIMIT 1) AS tt,
	LATERAL (
		-- (i in the subquery keeps the planner from memoizing it per template)
		SELECT string_agg(CASE WHEN random() < 1.5 / length(t) + 0 * i
							   THEN substr((SELECT c FROM chars), 1 + floor(random() * 37)::int, 1)
							   ELSE ch END, '' ORDER BY k) AS p
		FROM unnest(string_to_array(t, NULL)) WITH ORDINALITY AS u(ch, k)
	) AS damage;
SELECT count(*) AS compared,
	count(*) FILTER (WHERE r NOT LIKE 'ERROR:%') > 300 AS many_valid,
	count(*) FILTER (WHERE r LIKE 'ERROR:%') > 300 AS many_invalid,
	count(DISTINCT p) > 2000 AS distinct_payloads,
	count(*) FILTER (WHERE p <> original) > 2000 AS most_damaged
FROM (SELECT p, original, j(p) AS r FROM damaged) AS s;

\c :regress_db
DROP DATABASE sw_json_scan;
