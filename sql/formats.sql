--
-- Message formats.  sw._parse_payload(staging, format, payload) parses one
-- Kafka payload for a staging table as the source worker does and shows
-- the user columns as a row literal, or 'ERROR: <text>' for a bad message
-- (what sw.dead_letters.error would say).
--
-- Offset-less timestamps are read as UTC whatever the session's TimeZone
-- (the worker runs with TimeZone = 'UTC'; _parse_payload does the same for
-- the call).  This session's zone is New York, so that the difference
-- shows: 12:00 UTC prints as 07:00-05.
--
-- The test runs in a database of its own, so that it is UTF8 whatever the
-- cluster's default encoding.
SELECT current_database() AS regress_db \gset
CREATE DATABASE sw_formats ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'
	TEMPLATE template0;
\c sw_formats
CREATE EXTENSION stream_windows;
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'America/New_York';

-- staging-like tables: the four Kafka columns, then the user columns
CREATE TABLE fmt_web (
	kafka_partition int, kafka_offset bigint,
	kafka_timestamp timestamptz, kafka_key text,
	url text, ip inet, ms int, event_time timestamptz,
	headers jsonb, ok boolean, amount numeric, code varchar(5)
);
CREATE TABLE fmt_csv (
	kafka_partition int, kafka_offset bigint,
	kafka_timestamp timestamptz, kafka_key text,
	url text, ip inet, ms int, event_time timestamptz, note text, code varchar(5)
);
CREATE TABLE fmt_text (
	kafka_partition int, kafka_offset bigint,
	kafka_timestamp timestamptz, kafka_key text,
	payload text
);
CREATE TABLE fmt_raw (
	kafka_partition int, kafka_offset bigint,
	kafka_timestamp timestamptz, kafka_key text,
	payload jsonb
);

CREATE FUNCTION j(payload text) RETURNS text LANGUAGE sql
AS $$ SELECT sw._parse_payload('fmt_web', 'json', convert_to(payload, 'UTF8')) $$;
CREATE FUNCTION c(payload text) RETURNS text LANGUAGE sql
AS $$ SELECT sw._parse_payload('fmt_csv', 'csv', convert_to(payload, 'UTF8')) $$;

--
-- json
--
-- a good message
SELECT j('{"url": "/cart", "ip": "10.0.0.1", "ms": 42,
  "event_time": "2025-11-25T12:00:00.123Z", "headers": {"accept": "*/*"},
  "ok": true, "amount": 12.50, "code": "GET"}');
-- objects and arrays into text and jsonb: the payload's bytes for text
SELECT j('{"url": {"a": [1, 2],  "b" : "x"}, "headers": [1, {"c": null}]}');
-- an object or array into another type
SELECT j('{"ms": {"a": 1}}');
SELECT j('{"ip": [1]}');
-- numbers, true and false: their text through the input function
SELECT j('{"url": 42, "ms": -7, "amount": 1.5e3, "ok": false, "code": true}');
SELECT j('{"ms": 1.5}');
SELECT j('{"ok": "yes"}');
-- a number into timestamptz is epoch milliseconds, exact to the microsecond
SELECT j('{"event_time": 1764072000123}');
SELECT j('{"event_time": 1764072000123.456}');
SELECT j('{"event_time": 1.764072000123456E12}');
SELECT j('{"event_time": -1}');
SELECT j('{"event_time": 0.0005}');
SELECT j('{"event_time": 1e300}');
-- ISO-8601 strings: with Z, with an offset, without one (UTC)
SELECT j('{"event_time": "2025-11-25T12:00:00Z"}');
SELECT j('{"event_time": "2025-11-25T14:00:00+02:00"}');
SELECT j('{"event_time": "2025-11-25 10:30:00-0130"}');
SELECT j('{"event_time": "2025-11-25T12:00:00"}');
-- forms that timestamptz_in reads (also as UTC without an offset)
SELECT j('{"event_time": "2025-11-25 12:00:00.1234567"}');
SELECT j('{"event_time": "Nov 25 2025 12:00"}');
SELECT j('{"event_time": "2024-02-29T23:59:59.999999Z"}');
SELECT j('{"event_time": "2025-02-29T00:00:00Z"}');
-- missing fields and JSON null are NULL; unknown fields are ignored;
-- names match exactly; the last of duplicate keys wins
SELECT j('{}');
SELECT j('{"url": null, "ms": 1}');
SELECT j('{"URL": "/x", "extra": {"deep": [1, 2, {"url": "/no"}]}, "ms": 2}');
SELECT j('{"ms": 1, "ms": 2, "url": "/a", "url": null}');
SELECT j(E' \n{ "url" : "/a" ,\t"ms" : 3 }\n ');
-- escapes in strings and in names
SELECT j('{"url": "caf\u00e9 \"q\" a\\b \/x\tz"}');
SELECT j('{"url": "line1\nline2"}');
SELECT j('{"u\u0072l": "/escaped-name", "code": "\u00e9t\u00e9"}');
SELECT j('{"url": "\ud83d\ude00"}');
SELECT j('{"url": "\ud83d"}');
SELECT j('{"url": "\ude00"}');
SELECT j('{"url": "a\u0000b"}');
-- values the column type rejects
SELECT j('{"ip": "not-an-ip"}');
SELECT j('{"ms": "abc"}');
SELECT j('{"ms": 99999999999}');
SELECT j('{"code": "toolong"}');
SELECT j('{"code": "12345"}');
SELECT j('{"headers": "{\"a\": 1}"}');
SELECT j('{"headers": "{bad"}');
-- payloads that are not a JSON object
SELECT j('{"url": "/a"');
SELECT j('{"url": x}');
SELECT j('{"url": "/a",}');
SELECT j('{"url": "/a"} {}');
SELECT j('[{"url": "/a"}]');
SELECT j('"/a"');
SELECT j('42');
SELECT j('null');
SELECT j('');
SELECT j('   ');
-- bytes that are not valid UTF-8
SELECT sw._parse_payload('fmt_web', 'json', '\xff'::bytea);
SELECT sw._parse_payload('fmt_web', 'json', '\x7b2275726c223a22ff227d'::bytea);
SELECT sw._parse_payload('fmt_web', 'json', '\x7b7d00'::bytea);
-- the session's TimeZone is left as it was
SHOW TimeZone;

--
-- json without columns: the payload as jsonb
--
SELECT sw._parse_payload('fmt_raw', 'json', convert_to('{"b": [true, null], "a": 1}', 'UTF8'));
SELECT sw._parse_payload('fmt_raw', 'json', convert_to('42', 'UTF8'));
SELECT sw._parse_payload('fmt_raw', 'json', convert_to('{"a": 1', 'UTF8'));
SELECT sw._parse_payload('fmt_raw', 'json', convert_to('{"a": x}', 'UTF8'));
SELECT sw._parse_payload('fmt_raw', 'json', '\x'::bytea);

--
-- csv: fields by position
--
SELECT c('/a,10.0.0.1,42,2025-11-25T12:00:00Z,hello,GET');
-- quotes: commas, "" and line breaks inside, an empty quoted field
SELECT c('"/a,b",10.0.0.1,42,2025-11-25 12:00:00+02,"say ""hi""' || E'\n' || 'there",""');
-- empty unquoted fields are NULL, "" is the empty string
SELECT c('/a,,,,"",');
SELECT c(',,,,,');
-- one trailing line break is ignored
SELECT c(E'/a,10.0.0.1,1,,x,y\n');
SELECT c(E'/a,10.0.0.1,1,,x,y\r\n');
-- wrong field counts
SELECT c('/a,10.0.0.1,42,2025-11-25T12:00:00Z,hello');
SELECT c('/a,10.0.0.1,42,2025-11-25T12:00:00Z,hello,GET,extra');
SELECT c('');
SELECT c(E'/a,10.0.0.1,1,,x,y\n/b,10.0.0.2,2,,x,y');
-- bad quoting
SELECT c('"/a,10.0.0.1,42,,x,y');
SELECT c('/a,10.0.0.1,42,,"x"y,z');
SELECT c('/a,10.0.0.1,42,,x"y,z');
-- values the column type rejects
SELECT c('/a,not-an-ip,42,,x,y');
SELECT c('/a,10.0.0.1,"",,x,y');
SELECT c('/a,10.0.0.1,abc,,x,y');
SELECT c('/a,10.0.0.1,1,,x,"toolong"');
SELECT c('/a,10.0.0.1,1,1764072000123,x,y');
SELECT sw._parse_payload('fmt_csv', 'csv', '\x2f61ff2c2c2c2c2c'::bytea);

--
-- text: the payload as it is
--
SELECT sw._parse_payload('fmt_text', 'text', convert_to('not {json}, "quoted", é', 'UTF8'));
SELECT sw._parse_payload('fmt_text', 'text', '\x'::bytea);
SELECT sw._parse_payload('fmt_text', 'text', '\x61ff'::bytea);

--
-- format names and tables that do not fit
--
SELECT sw._parse_payload('fmt_web', 'xml', '\x'::bytea);
SELECT sw._parse_payload('fmt_web', 'JSON', convert_to('{"ms": 5}', 'UTF8'));
SELECT sw._parse_payload('fmt_web', 'text', '\x'::bytea);
SELECT sw._parse_payload('fmt_csv', 'text', '\x'::bytea);
CREATE TABLE fmt_plain (id int, payload text);
SELECT sw._parse_payload('fmt_plain', 'text', '\x'::bytea);
CREATE TABLE fmt_nouser (
	kafka_partition int, kafka_offset bigint,
	kafka_timestamp timestamptz, kafka_key text
);
SELECT sw._parse_payload('fmt_nouser', 'json', '\x'::bytea);
CREATE DOMAIN fmt_port AS int CHECK (VALUE BETWEEN 1 AND 65535);
CREATE TABLE fmt_domain (
	kafka_partition int, kafka_offset bigint,
	kafka_timestamp timestamptz, kafka_key text,
	port fmt_port
);
SELECT sw._parse_payload('fmt_domain', 'json', '\x'::bytea);
CREATE TYPE fmt_pair AS (a int, b int);
CREATE TABLE fmt_composite (
	kafka_partition int, kafka_offset bigint,
	kafka_timestamp timestamptz, kafka_key text,
	pairs fmt_pair[]
);
SELECT sw._parse_payload('fmt_composite', 'json', '\x'::bytea);
-- dropped columns are skipped
ALTER TABLE fmt_csv DROP COLUMN note;
SELECT c('/a,10.0.0.1,1,,y');

\c :regress_db
DROP DATABASE sw_formats;
