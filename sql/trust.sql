--
-- Trust: who runs what, and who may act (docs: SPEC "Trust", part "Who
-- runs what").  Every part is an attack made from the caller's backend:
--
--   1. operators and functions planted in a schema of an unprivileged role,
--      put first in search_path, then every sw.* function and every view
--      and table of sw used: no planted code may ever run as a superuser
--      (each trap prints "TRAP <what> user=<current_user> super=<t|f>");
--      and the original attack, COPY TO PROGRAM from a planted operator
--   2. librdkafka properties that load code, run programs or name files on
--      the server are superuser-only; secrets are masked by an allowlist
--   3. columns => '...' cannot smuggle table clauses into CREATE TABLE
--   4. sources and windows belong to their creator: nobody else administers
--      them, and only who may read their tables sees their rows
--   5. internal functions are not executable by PUBLIC
--   6. row-level security on a staging table is never bypassed by a window
--
-- No broker is needed: the sources point at a closed port.  Their state
-- and last_error are never shown (they depend on the workers' timing).
--
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';

-- the outcome of a statement: 'ok', or its SQLSTATE and whether its hint
-- matches a pattern (messages are not part of the contract, SQLSTATEs are)
CREATE FUNCTION pg_temp.outcome(sql text, hint_pattern text DEFAULT '')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	state text;
	hint text;
BEGIN
	EXECUTE sql;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, hint = PG_EXCEPTION_HINT;
	RETURN state || CASE WHEN hint <> '' AND hint ~* hint_pattern
						 THEN ', with a hint' ELSE '' END;
END
$$;

-- what the current role sees of every table and view of sw: a row count,
-- or the SQLSTATE of the refusal (written so that no trap can catch it)
CREATE FUNCTION pg_temp.rows_seen(OUT relation text, OUT seen text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
DECLARE
	r record;
	n bigint;
BEGIN
	FOR r IN SELECT c.relname::text AS relname FROM pg_catalog.pg_class c
			 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'sw'::pg_catalog.regnamespace
			   AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,v,p}'::"char"[])
			 ORDER BY c.relname::text COLLATE "C"
	LOOP
		relation := r.relname;
		BEGIN
			EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM sw.%I', r.relname) INTO n;
			seen := pg_catalog.format('%s rows', n);
		EXCEPTION WHEN OTHERS THEN
			seen := SQLSTATE;
		END;
		RETURN NEXT;
	END LOOP;
END
$$;

CREATE ROLE sw_hostile;					-- no grants at all
CREATE ROLE sw_a1 LOGIN IN ROLE stream_windows_admin;
CREATE ROLE sw_a2 LOGIN IN ROLE stream_windows_admin;
CREATE ROLE sw_reader;
CREATE ROLE sw_stats IN ROLE pg_read_all_stats;
CREATE SCHEMA trust_s;
GRANT USAGE, CREATE ON SCHEMA trust_s TO sw_a1, sw_a2;
GRANT USAGE ON SCHEMA trust_s TO sw_reader;

-- a superuser's source and window, with a dead letter and a late event
SELECT sw.create_source('su_src', '127.0.0.1:1', 'su', columns => 'a int, t timestamptz');
SELECT sw.create_window('su_w', 'su_src', 'tumbling', 'count(*) AS n',
	event_time => 't', size => '1 minute');
INSERT INTO sw.dead_letters (source_name, kafka_partition, kafka_offset, payload, error)
VALUES ('su_src', 0, 3, 'not json', 'invalid JSON');
INSERT INTO sw.late_events (window_name, kafka_partition, kafka_offset, event_time, watermark)
VALUES ('su_w', 0, 7, '2026-11-25 12:00:00+00', '2026-11-25 12:05:00+00');

--
-- 1. Traps
--
CREATE SCHEMA trap AUTHORIZATION sw_hostile;
SET ROLE sw_hostile;
CREATE FUNCTION trap.report(what text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RAISE WARNING 'TRAP % user=% super=%', what, current_user,
		(SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
END
$$;
-- operators: each reports, then returns what pg_catalog's would
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT * FROM (VALUES
		('eq', '=', 'text', 'text', 'boolean', 'texteq(a, b)'),
		('eq', '=', 'name', 'name', 'boolean', 'nameeq(a, b)'),
		('eq', '=', 'name', 'text', 'boolean', 'nameeqtext(a, b)'),
		('eq', '=', 'text', 'name', 'boolean', 'texteqname(a, b)'),
		('eq', '=', 'int4', 'int4', 'boolean', 'int4eq(a, b)'),
		('eq', '=', 'int8', 'int8', 'boolean', 'int8eq(a, b)'),
		('eq', '=', 'int4', 'int8', 'boolean', 'int48eq(a, b)'),
		('eq', '=', 'int8', 'int4', 'boolean', 'int84eq(a, b)'),
		('eq', '=', 'oid', 'oid', 'boolean', 'oideq(a, b)'),
		('eq', '=', 'oid', 'regclass', 'boolean', 'oideq(a, b::oid)'),
		('eq', '=', 'oid', 'regrole', 'boolean', 'oideq(a, b::oid)'),
		('eq', '=', 'bool', 'bool', 'boolean', 'booleq(a, b)'),
		('eq', '=', 'timestamptz', 'timestamptz', 'boolean', 'timestamptz_eq(a, b)'),
		('ne', '<>', 'text', 'text', 'boolean', 'textne(a, b)'),
		('ne', '<>', 'int4', 'int4', 'boolean', 'int4ne(a, b)'),
		('ne', '<>', 'int8', 'int8', 'boolean', 'int8ne(a, b)'),
		('ne', '<>', 'oid', 'oid', 'boolean', 'oidne(a, b)'),
		('lt', '<', 'int4', 'int4', 'boolean', 'int4lt(a, b)'),
		('lt', '<', 'int8', 'int8', 'boolean', 'int8lt(a, b)'),
		('lt', '<', 'timestamptz', 'timestamptz', 'boolean', 'timestamptz_lt(a, b)'),
		('le', '<=', 'int4', 'int4', 'boolean', 'int4le(a, b)'),
		('le', '<=', 'int8', 'int8', 'boolean', 'int8le(a, b)'),
		('le', '<=', 'timestamptz', 'timestamptz', 'boolean', 'timestamptz_le(a, b)'),
		('gt', '>', 'int4', 'int4', 'boolean', 'int4gt(a, b)'),
		('gt', '>', 'int8', 'int8', 'boolean', 'int8gt(a, b)'),
		('gt', '>', 'timestamptz', 'timestamptz', 'boolean', 'timestamptz_gt(a, b)'),
		('ge', '>=', 'int4', 'int4', 'boolean', 'int4ge(a, b)'),
		('ge', '>=', 'int8', 'int8', 'boolean', 'int8ge(a, b)'),
		('ge', '>=', 'timestamptz', 'timestamptz', 'boolean', 'timestamptz_ge(a, b)'),
		('pl', '+', 'int4', 'int4', 'int4', 'int4pl(a, b)'),
		('pl', '+', 'int8', 'int8', 'int8', 'int8pl(a, b)'),
		('pl', '+', 'timestamptz', 'interval', 'timestamptz', 'timestamptz_pl_interval(a, b)'),
		('mi', '-', 'int4', 'int4', 'int4', 'int4mi(a, b)'),
		('mi', '-', 'int8', 'int8', 'int8', 'int8mi(a, b)'),
		('mi', '-', 'timestamptz', 'interval', 'timestamptz', 'timestamptz_mi_interval(a, b)'),
		('mi', '-', 'timestamptz', 'timestamptz', 'interval', 'timestamptz_mi(a, b)'),
		('like', '~~', 'text', 'text', 'boolean', 'textlike(a, b)'),
		('ilike', '~~*', 'text', 'text', 'boolean', 'texticlike(a, b)'),
		('cat', '||', 'text', 'text', 'text', 'textcat(a, b)')
	) AS v(word, op, l, r, ret, real) LOOP
		EXECUTE format('CREATE FUNCTION trap.%I(a %s, b %s) RETURNS %s LANGUAGE plpgsql'
					   ' SET search_path = pg_catalog, pg_temp AS %L',
					   r.word || '_' || r.l || '_' || r.r, r.l, r.r, r.ret,
					   format('BEGIN PERFORM trap.report(%L); RETURN pg_catalog.%s; END',
							  r.op || '(' || r.l || ',' || r.r || ')', r.real));
		EXECUTE format('CREATE OPERATOR trap.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = trap.%I)',
					   r.op, r.l, r.r, r.word || '_' || r.l || '_' || r.r);
	END LOOP;
END
$$;
-- functions, the same way
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT * FROM (VALUES
		('to_regclass', 'text', 'regclass', '$1'),
		('to_regrole', 'text', 'regrole', '$1'),
		('now', '', 'timestamptz', ''),
		('pg_has_role', 'name, text', 'boolean', '$1, $2'),
		('pg_has_role', 'oid, text', 'boolean', '$1, $2'),
		('pg_has_role', 'name, name, text', 'boolean', '$1, $2, $3'),
		('pg_has_role', 'name, oid, text', 'boolean', '$1, $2, $3'),
		('pg_has_role', 'oid, name, text', 'boolean', '$1, $2, $3'),
		('pg_has_role', 'oid, oid, text', 'boolean', '$1, $2, $3'),
		('has_table_privilege', 'text, text', 'boolean', '$1, $2'),
		('has_table_privilege', 'oid, text', 'boolean', '$1, $2'),
		('has_table_privilege', 'name, text, text', 'boolean', '$1, $2, $3'),
		('has_table_privilege', 'name, oid, text', 'boolean', '$1, $2, $3'),
		('has_table_privilege', 'oid, text, text', 'boolean', '$1, $2, $3'),
		('has_table_privilege', 'oid, oid, text', 'boolean', '$1, $2, $3'),
		('has_schema_privilege', 'text, text', 'boolean', '$1, $2'),
		('has_schema_privilege', 'oid, text', 'boolean', '$1, $2'),
		('has_schema_privilege', 'oid, oid, text', 'boolean', '$1, $2, $3'),
		('row_security_active', 'oid', 'boolean', '$1'),
		('row_security_active', 'text', 'boolean', '$1'),
		('pg_get_userbyid', 'oid', 'name', '$1'),
		('pg_table_is_visible', 'oid', 'boolean', '$1'),
		('format_type', 'oid, int4', 'text', '$1, $2'),
		('current_setting', 'text', 'text', '$1'),
		('set_config', 'text, text, boolean', 'text', '$1, $2, $3'),
		('quote_ident', 'text', 'text', '$1'),
		('lower', 'text', 'text', '$1')
	) AS v(name, args, ret, params) LOOP
		EXECUTE format('CREATE FUNCTION trap.%I(%s) RETURNS %s LANGUAGE plpgsql'
					   ' SET search_path = pg_catalog, pg_temp AS %L',
					   r.name, r.args, r.ret,
					   format('BEGIN PERFORM trap.report(%L); RETURN pg_catalog.%I(%s); END',
							  r.name || '(' || r.args || ')', r.name, r.params));
	END LOOP;
END
$$;
CREATE FUNCTION trap.jsonb_each(from_json jsonb, OUT key text, OUT value jsonb)
RETURNS SETOF record LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM trap.report('jsonb_each(jsonb)');
	RETURN QUERY SELECT * FROM pg_catalog.jsonb_each(from_json);
END
$$;
CREATE FUNCTION trap.count_step(n bigint) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM trap.report('count(*)');
	RETURN n + 1;
END
$$;
CREATE AGGREGATE trap.count(*) (SFUNC = trap.count_step, STYPE = bigint, INITCOND = '0');
RESET ROLE;

\set VERBOSITY terse
-- the traps work: in sw_hostile's own statements they run, as sw_hostile
SET ROLE sw_hostile;
SET search_path = trap, pg_catalog;
SELECT 1 = 1 AS trapped, to_regclass('pg_class') AS also_trapped;

-- as sw_hostile: every function of sw, every view and table of sw.
-- Nothing may print super=t.
SELECT sw.create_source('trap.h_src', '127.0.0.1:1', 'h', columns => 'a int');
SELECT sw.create_source('public.h_src', '127.0.0.1:1', 'h', columns => 'a int',
	options => '{"client.id": "h", "sasl.password": "pw"}');
SELECT sw.pause_source('su_src');
SELECT sw.resume_source('su_src');
SELECT sw.reset_source('su_src', 'earliest');
SELECT sw.drop_source('su_src');
SELECT sw.drop_source('public.su_src', cascade => true);
SELECT sw.pause_source('nope');
SELECT sw.drop_source('nope');
SELECT sw.create_window('trap.h_w', 'su_src', 'tumbling', 'pg_catalog.count(*) AS n',
	event_time => 't', size => '1 minute');
SELECT sw.create_window('trap.h_w', 'public.su_src', 'tumbling', 'pg_catalog.count(*) AS n',
	size => '1 minute');
SELECT sw.create_window('trap.h_w', 'nope', 'tumbling', 'pg_catalog.count(*) AS n',
	size => '1 minute');
SELECT sw.drop_window('su_w');
SELECT sw.drop_window('public.su_w');
SELECT sw.advance_watermark('su_w', '2026-11-25 12:00:00+00');
SELECT sw.drop_window('nope');
SELECT sw.advance_watermark('nope', '2026-11-25 12:00:00+00');
SELECT sw.tumble('2026-11-25 12:00:05+00', '1 minute');
SELECT * FROM sw.hop('2026-11-25 12:00:05+00', '2 minutes', '1 minute');
SELECT t, sw.session_start(t, '5 minutes') OVER (ORDER BY t),
	   sw.count_window(2) OVER (ORDER BY t)
FROM (VALUES (timestamptz '2026-11-25 12:00:00+00'), ('2026-11-25 12:10:00+00')) v(t);
SELECT sw._parse_payload('public.su_src', 'json', '{"a": 1}');
SELECT pg_catalog.count(*) FROM sw._worker_status();
SELECT pg_catalog.count(*) FROM sw._partition_status();
SELECT sw._mask_options('{"client.id": "c", "sasl.password": "pw"}');
SELECT * FROM sw.sources;
SELECT * FROM sw.source_partitions;
SELECT * FROM sw.windows;
SELECT * FROM sw.watermarks;
SELECT source_name, kafka_partition, kafka_offset FROM sw.dead_letters;
SELECT window_name, kafka_partition, kafka_offset FROM sw.late_events;
SELECT window_name, kafka_partition, kafka_offset FROM sw.window_errors;
SELECT * FROM pg_temp.rows_seen();
DELETE FROM sw.dead_letters;
DELETE FROM sw.late_events;
RESET search_path;
RESET ROLE;
SELECT name, paused FROM sw.source ORDER BY name;
SELECT name, requested_watermark FROM sw.window w JOIN sw.window_state s ON s.window_id = w.id;

-- as an admin, on its own source and window, with the traps first in
-- search_path: nothing of the extension's may run the traps as a superuser
-- (the window's own expressions are pg_catalog's, written out)
SET ROLE sw_a1;
SET search_path = trap, pg_catalog;
SELECT sw.create_source('trust_s.a1_trapped', '127.0.0.1:1', 'a1', columns => 'a int, t timestamptz',
	options => '{"client.id": "a1", "sasl.password": "pw"}');
SELECT sw.pause_source('trust_s.a1_trapped');
SELECT sw.resume_source('trust_s.a1_trapped');
SELECT sw.reset_source('trust_s.a1_trapped', 'earliest');
RESET search_path;
RESET ROLE;
-- two staged events, for the backfill of the window below
INSERT INTO sw.source_offset (source_id, kafka_partition, next_offset, staged_from)
SELECT id, 0, 2, 0 FROM sw.source WHERE name = 'trust_s.a1_trapped';
INSERT INTO trust_s.a1_trapped (kafka_partition, kafka_offset, kafka_timestamp, a, t)
VALUES (0, 0, '2026-11-25 13:00:00+00', 1, '2026-11-25 12:00:05+00'),
	   (0, 1, '2026-11-25 13:00:01+00', 2, '2026-11-25 12:01:10+00');
SET ROLE sw_a1;
SET search_path = trap, pg_catalog;
SELECT sw.create_window('trust_s.a1_trapped_w', 'trust_s.a1_trapped', 'tumbling',
	'pg_catalog.count(*) AS n, pg_catalog.sum(a) AS total', event_time => 't', size => '1 minute');
SELECT window_start, window_end, n, total, is_final, revision
FROM trust_s.a1_trapped_w ORDER BY window_start;
SELECT sw.advance_watermark('trust_s.a1_trapped_w', '2026-11-25 12:00:00+00');
SELECT sw.advance_watermark('a1_trapped_w', '2026-11-25 12:00:00+00');
SELECT name, topic, brokers, format, options, owner FROM sw.sources ORDER BY name;
SELECT source_name, kafka_partition, next_offset FROM sw.source_partitions ORDER BY source_name;
SELECT name, source_name, kind, state, errors, owner FROM sw.windows ORDER BY name;
SELECT window_name, kafka_partition, max_event_time, watermark, idle FROM sw.watermarks ORDER BY window_name;
SELECT source_name, kafka_partition, kafka_offset FROM sw.dead_letters;
SELECT window_name, kafka_partition, kafka_offset FROM sw.late_events;
SELECT window_name, kafka_partition, kafka_offset FROM sw.window_errors;
RESET search_path;
RESET ROLE;
-- another admin, same search_path, on a1's source and window
SET ROLE sw_a2;
SET search_path = trap, pg_catalog;
SELECT sw.pause_source('trust_s.a1_trapped');
SELECT sw.resume_source('trust_s.a1_trapped');
SELECT sw.reset_source('trust_s.a1_trapped', 'latest');
SELECT sw.drop_source('trust_s.a1_trapped', cascade => true);
SELECT sw.advance_watermark('trust_s.a1_trapped_w', '2026-11-25 13:00:00+00');
SELECT sw.drop_window('trust_s.a1_trapped_w');
SELECT sw.create_window('trust_s.a2_w', 'trust_s.a1_trapped', 'tumbling',
	'pg_catalog.count(*) AS n', size => '1 minute');
SELECT * FROM sw.sources;
SELECT * FROM sw.windows;
RESET search_path;
RESET ROLE;
SELECT s.name, s.paused, s.start_from, pg_get_userbyid(s.owner) AS owner,
	   (SELECT count(*) FROM sw.source_offset o WHERE o.source_id = s.id) AS offsets,
	   (SELECT count(*) FROM trust_s.a1_trapped) AS staged
FROM sw.source s WHERE s.name = 'trust_s.a1_trapped';
SELECT w.name, s.requested_watermark FROM sw.window w JOIN sw.window_state s ON s.window_id = w.id
WHERE w.name LIKE 'trust_s.%' ORDER BY w.name;
-- the owner drops them, with the traps in place
SET ROLE sw_a1;
SET search_path = trap, pg_catalog;
SELECT sw.drop_window('trust_s.a1_trapped_w');
SELECT sw.drop_source('trust_s.a1_trapped');
RESET search_path;
RESET ROLE;
SELECT count(*) AS a1_trapped_left FROM sw.source WHERE name LIKE 'trust_s.a1_trapped%';

-- the original attack: an operator =(oid, regclass) that runs a program,
-- planted by a role that may not run programs, and a lookup by name
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; rm -f /tmp/sw_pwned_regress';
SET ROLE sw_hostile;
CREATE OR REPLACE FUNCTION trap.eq_oid_regclass(a oid, b regclass) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; touch /tmp/sw_pwned_regress';
	RETURN a OPERATOR(pg_catalog.=) b::oid;
END
$$;
SET search_path = trap, pg_catalog;
SELECT sw.drop_window('x');
RESET search_path;
RESET ROLE;
SELECT pg_stat_file('/tmp/sw_pwned_regress', true) IS NULL AS not_pwned;
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; rm -f /tmp/sw_pwned_regress';
\set VERBOSITY default

--
-- 2. Kafka options that load code, run programs or name files on the
--    server: superuser-only (42501, hint: the *.pem properties)
--
SET ROLE sw_a1;
\set VERBOSITY sqlstate
SELECT sw.create_source('trust_s.o1', '127.0.0.1:1', 'o',
	options => '{"plugin.library.paths": "/nonexistent/sw_plugin.so"}');
SELECT sw.create_source('trust_s.o2', '127.0.0.1:1', 'o',
	options => '{"sasl.kerberos.kinit.cmd": "/bin/true"}');
SELECT sw.create_source('trust_s.o3', '127.0.0.1:1', 'o',
	options => '{"sasl.kerberos.keytab": "/etc/krb5.keytab"}');
SELECT sw.create_source('trust_s.o4', '127.0.0.1:1', 'o',
	options => '{"ssl.engine.location": "/tmp/no_such_engine.so"}');
SELECT sw.create_source('trust_s.o5', '127.0.0.1:1', 'o',
	options => '{"ssl.ca.location": "/etc/ssl/certs/ca-certificates.crt"}');
SELECT sw.create_source('trust_s.o6', '127.0.0.1:1', 'o',
	options => '{"ssl.keystore.location": "/etc/ssl/private/keystore.p12"}');
SELECT sw.create_source('trust_s.o7', '127.0.0.1:1', 'o',
	options => '{"debug": "all"}');
SELECT sw.create_source('trust_s.o8', '127.0.0.1:1', 'o',
	options => '{"ssl.key.location": "/etc/ssl/private/key.pem"}');
SELECT sw.create_source('trust_s.o9', '127.0.0.1:1', 'o',
	options => '{"ssl.certificate.location": "/etc/ssl/certs/cert.pem"}');
SELECT sw.create_source('trust_s.o10', '127.0.0.1:1', 'o',
	options => '{"client.id": "fine", "ssl.crl.location": "/etc/ssl/crl.pem"}');
SELECT sw.create_source('trust_s.o11', '127.0.0.1:1', 'o',
	options => '{"ssl.providers": "default"}');
SELECT sw.create_source('trust_s.o12', '127.0.0.1:1', 'o',
	options => '{"ssl.engine.id": "dynamic"}');
\set VERBOSITY default
SELECT pg_temp.outcome($$SELECT sw.create_source('trust_s.o13', '127.0.0.1:1', 'o',
	options => '{"ssl.ca.location": "/etc/ssl/certs/ca-certificates.crt"}')$$, 'pem');
RESET ROLE;
SELECT count(*) AS created FROM sw.source WHERE name LIKE 'trust_s.o%';
SELECT count(*) AS created FROM pg_class WHERE relnamespace = 'trust_s'::regnamespace AND relname ~ '^o[0-9]+$';
-- a superuser may set them, where librdkafka accepts them
BEGIN;
SELECT sw.create_source('trust_s.su_opts', '127.0.0.1:1', 'o',
	options => '{"sasl.kerberos.kinit.cmd": "/bin/true", "sasl.kerberos.keytab": "/etc/krb5.keytab",
				 "ssl.ca.location": "/etc/ssl/certs/ca-certificates.crt",
				 "ssl.keystore.location": "/etc/ssl/private/keystore.p12",
				 "ssl.key.location": "/etc/ssl/private/key.pem", "ssl.engine.location": "/nonexistent/engine.so",
				 "ssl.providers": "default", "ssl.engine.id": "dynamic", "debug": "all"}');
ROLLBACK;
-- (librdkafka loads plugin.library.paths at once: a missing library is its error)
SELECT pg_temp.outcome($$SELECT sw.create_source('trust_s.su_plugin', '127.0.0.1:1', 'o',
	options => '{"plugin.library.paths": "/nonexistent/sw_plugin.so"}')$$);

-- secrets: a non-superuser (even the source's owner) sees only the values
-- of properties known not to be secret; a superuser sees all
SET ROLE sw_a1;
SELECT sw.create_source('trust_s.a1_secrets', '127.0.0.1:1', 's',
	options => '{"sasl.password": "hunter2", "ssl.key.password": "kpw", "ssl.key.pem": "KEY",
				 "sasl.oauthbearer.config": "principal=admin", "client.id": "harmless"}');
SELECT options FROM sw.sources WHERE name = 'trust_s.a1_secrets';
RESET ROLE;
SET ROLE sw_stats;
SELECT options FROM sw.sources WHERE name = 'trust_s.a1_secrets';
RESET ROLE;
SELECT options FROM sw.sources WHERE name = 'trust_s.a1_secrets';
SET ROLE sw_a1;
SELECT sw.drop_source('trust_s.a1_secrets');
RESET ROLE;

--
-- 3. columns defines columns and nothing else: no clause after the list
--
-- (the columns are written into CREATE TABLE ... (<kafka columns>, <columns>):
-- a clause that ends with an open parenthesis, or with a comment, fits)
SET ROLE sw_a1;
CREATE UNLOGGED TABLE trust_s.parent ();
SELECT pg_temp.outcome($$SELECT sw.create_source('trust_s.c1', '127.0.0.1:1', 'c',
	columns => 'a int) INHERITS (trust_s.parent')$$);
SELECT pg_temp.outcome($$SELECT sw.create_source('trust_s.c2', '127.0.0.1:1', 'c',
	columns => 'a int) TABLESPACE pg_default')$$);
SELECT pg_temp.outcome($$SELECT sw.create_source('trust_s.c3', '127.0.0.1:1', 'c',
	columns => 'a int) TABLESPACE pg_default --')$$);
SELECT pg_temp.outcome($$SELECT sw.create_source('trust_s.c4', '127.0.0.1:1', 'c',
	columns => 'a int) USING heap')$$);
SELECT pg_temp.outcome($$SELECT sw.create_source('trust_s.c5', '127.0.0.1:1', 'c',
	columns => 'a int) USING heap --')$$);
SELECT pg_temp.outcome($$SELECT sw.create_source('trust_s.c6', '127.0.0.1:1', 'c',
	columns => 'a int) WITH (fillfactor=10)')$$);
SELECT pg_temp.outcome($$SELECT sw.create_source('trust_s.c7', '127.0.0.1:1', 'c',
	columns => 'a int) WITH (fillfactor=10')$$);
SELECT pg_temp.outcome($$SELECT sw.create_source('trust_s.c8', '127.0.0.1:1', 'c',
	columns => 'a int) PARTITION BY RANGE (a')$$);
RESET ROLE;
SELECT count(*) AS created FROM sw.source WHERE name ~ '^trust_s\.c[0-9]$';
SELECT count(*) AS created FROM pg_class WHERE relnamespace = 'trust_s'::regnamespace AND relname ~ '^c[0-9]$';
SELECT count(*) AS children FROM pg_inherits WHERE inhparent = 'trust_s.parent'::regclass;

--
-- 4. A source and a window belong to the role that created them
--
SET ROLE sw_a1;
SELECT sw.create_source('trust_s.a1_src', '127.0.0.1:1', 'a1', columns => 'host text, t timestamptz');
RESET ROLE;
SELECT name, owner FROM sw.sources WHERE name = 'trust_s.a1_src';
SELECT pg_get_userbyid(relowner) AS staging_owner FROM pg_class WHERE oid = 'trust_s.a1_src'::regclass;

-- reset's TRUNCATE runs as the source's owner, whoever calls it: a trigger
-- of the owner's never runs as a superuser
SET ROLE sw_a1;
CREATE FUNCTION trust_s.on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE WARNING 'TRAP truncate trigger user=% super=%', current_user,
		(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user);
	RETURN NULL;
END
$$;
CREATE TRIGGER on_truncate BEFORE TRUNCATE ON trust_s.a1_src
	FOR EACH STATEMENT EXECUTE FUNCTION trust_s.on_truncate();
SELECT sw.reset_source('trust_s.a1_src', 'earliest');
RESET ROLE;
SELECT sw.reset_source('trust_s.a1_src', 'earliest');

-- staged events, an offset and a dead letter
INSERT INTO sw.source_offset (source_id, kafka_partition, next_offset, staged_from)
SELECT id, 0, 3, 0 FROM sw.source WHERE name = 'trust_s.a1_src';
INSERT INTO trust_s.a1_src (kafka_partition, kafka_offset, kafka_timestamp, host, t)
VALUES (0, 0, '2026-11-25 13:00:00+00', 'a.example', '2026-11-25 12:00:05+00'),
	   (0, 1, '2026-11-25 13:00:01+00', 'b.example', '2026-11-25 12:01:10+00');
INSERT INTO sw.dead_letters (source_name, kafka_partition, kafka_offset, payload, error)
VALUES ('trust_s.a1_src', 0, 2, 'not json', 'invalid JSON');

-- another admin may not administer it (42501), and nothing changes
SET ROLE sw_a1;
SELECT sw.pause_source('trust_s.a1_src');
SET ROLE sw_a2;
\set VERBOSITY sqlstate
SELECT sw.resume_source('trust_s.a1_src');
SELECT sw.pause_source('trust_s.a1_src');
SELECT sw.reset_source('trust_s.a1_src', 'latest');
SELECT sw.drop_source('trust_s.a1_src');
SELECT sw.drop_source('trust_s.a1_src', cascade => true);
DELETE FROM sw.dead_letters WHERE source_name = 'trust_s.a1_src';
\set VERBOSITY default
RESET ROLE;
SELECT s.name, s.paused, s.start_from,
	   (SELECT count(*) FROM sw.source_offset o WHERE o.source_id = s.id) AS offsets,
	   (SELECT count(*) FROM trust_s.a1_src) AS staged,
	   (SELECT count(*) FROM sw.dead_letters d WHERE d.source_name = s.name) AS dead_letters
FROM sw.source s WHERE s.name = 'trust_s.a1_src';
SET ROLE sw_a1;
SELECT sw.resume_source('trust_s.a1_src');
RESET ROLE;
SELECT name, paused FROM sw.source WHERE name = 'trust_s.a1_src';

-- who sees the source: its owner, superusers, pg_read_all_stats, and who
-- may SELECT the staging table; nobody else
SET ROLE sw_reader;
SELECT name, topic, format, dead_letters, owner FROM sw.sources ORDER BY name;
SELECT source_name, kafka_partition, next_offset FROM sw.source_partitions ORDER BY source_name;
SELECT source_name, kafka_partition, kafka_offset FROM sw.dead_letters ORDER BY source_name;
SET ROLE sw_a2;
SELECT name, topic, format, dead_letters, owner FROM sw.sources ORDER BY name;
SELECT source_name, kafka_partition, next_offset FROM sw.source_partitions ORDER BY source_name;
SELECT source_name, kafka_partition, kafka_offset FROM sw.dead_letters ORDER BY source_name;
SET ROLE sw_a1;
SELECT name, topic, format, dead_letters, owner FROM sw.sources ORDER BY name;
SELECT source_name, kafka_partition, next_offset FROM sw.source_partitions ORDER BY source_name;
SELECT source_name, kafka_partition, kafka_offset FROM sw.dead_letters ORDER BY source_name;
SET ROLE sw_stats;
SELECT name, topic, format, dead_letters FROM sw.sources ORDER BY name;
SELECT source_name, kafka_partition, next_offset FROM sw.source_partitions ORDER BY source_name;
SELECT source_name, kafka_partition, kafka_offset FROM sw.dead_letters ORDER BY source_name;
SET ROLE sw_a1;
GRANT SELECT ON trust_s.a1_src TO sw_reader;
SET ROLE sw_reader;
SELECT name, topic, format, dead_letters, owner FROM sw.sources ORDER BY name;
SELECT source_name, kafka_partition, next_offset FROM sw.source_partitions ORDER BY source_name;
SELECT source_name, kafka_partition, kafka_offset FROM sw.dead_letters ORDER BY source_name;
RESET ROLE;

-- a window: its owner is its creator, who owns its result table
SET ROLE sw_a1;
SELECT sw.create_window('trust_s.a1_w', 'trust_s.a1_src', 'tumbling', 'count(*) AS hits',
	group_by => 'host', event_time => 't', size => '1 minute');
RESET ROLE;
SELECT name, source_name, state, errors, owner FROM sw.windows WHERE name = 'trust_s.a1_w';
SELECT pg_get_userbyid(relowner) AS result_owner FROM pg_class WHERE oid = 'trust_s.a1_w'::regclass;
INSERT INTO sw.late_events (window_name, kafka_partition, kafka_offset, event_time, watermark)
VALUES ('trust_s.a1_w', 0, 9, '2026-11-25 11:00:00+00', '2026-11-25 12:00:00+00');

-- who sees the window: who may SELECT the result table (reading the
-- staging table is not enough)
SET ROLE sw_reader;
SELECT name, source_name, state, errors, owner FROM sw.windows ORDER BY name;
SELECT window_name, kafka_partition, watermark, idle FROM sw.watermarks ORDER BY window_name;
SELECT window_name, kafka_partition, kafka_offset FROM sw.late_events ORDER BY window_name;
SELECT window_name, kafka_partition, kafka_offset FROM sw.window_errors ORDER BY window_name;
SET ROLE sw_a1;
GRANT SELECT ON trust_s.a1_w TO sw_reader;
SET ROLE sw_reader;
SELECT name, source_name, state, errors, owner FROM sw.windows ORDER BY name;
SELECT window_name, kafka_partition, watermark, idle FROM sw.watermarks ORDER BY window_name;
SELECT window_name, kafka_partition, kafka_offset FROM sw.late_events ORDER BY window_name;
SELECT window_name, kafka_partition, kafka_offset FROM sw.window_errors ORDER BY window_name;
RESET ROLE;

-- only its owner drops it or moves its watermark (42501), and nothing changes
\set VERBOSITY sqlstate
SET ROLE sw_a2;
SELECT sw.drop_window('trust_s.a1_w');
SELECT sw.advance_watermark('trust_s.a1_w', '2026-11-25 13:00:00+00');
SET ROLE sw_reader;
SELECT sw.drop_window('trust_s.a1_w');
SELECT sw.advance_watermark('trust_s.a1_w', '2026-11-25 13:00:00+00');
SET ROLE sw_hostile;
SELECT sw.drop_window('trust_s.a1_w');
SELECT sw.advance_watermark('trust_s.a1_w', '2026-11-25 13:00:00+00');
\set VERBOSITY default
RESET ROLE;
SELECT w.name, s.requested_watermark, to_regclass('trust_s.a1_w') AS result_table
FROM sw.window w JOIN sw.window_state s ON s.window_id = w.id WHERE w.name = 'trust_s.a1_w';

--
-- 5. Internal functions: sw._parse_payload is not for PUBLIC
--
SET ROLE sw_hostile;
\set VERBOSITY sqlstate
SELECT sw._parse_payload('public.su_src', 'json', '{"a": 1}');
\set VERBOSITY default
RESET ROLE;
-- every function of sw (part 1 calls each of them), and whether a role
-- with no grants may execute it
SELECT p.oid::regprocedure::text AS function,
	   has_function_privilege('sw_hostile', p.oid, 'EXECUTE') AS public_may_execute
FROM pg_proc p WHERE p.pronamespace = 'sw'::regnamespace
ORDER BY p.oid::regprocedure::text COLLATE "C";

--
-- 6. Row-level security on a staging table: a window of a role it applies
--    to is refused (0A000, with a hint), nothing is created
--
SET ROLE sw_a1;
ALTER TABLE trust_s.a1_src ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_a ON trust_s.a1_src FOR SELECT USING (host = 'a.example');
RESET ROLE;
GRANT CREATE ON SCHEMA trust_s TO sw_reader;
SET ROLE sw_reader;
SELECT count(*) AS rows_reader_may_see FROM trust_s.a1_src;
SELECT pg_temp.outcome($$SELECT sw.create_window('trust_s.reader_w', 'trust_s.a1_src', 'tumbling',
	'count(*) AS hits', event_time => 't', size => '1 minute')$$, '.');
RESET ROLE;
SELECT count(*) AS windows FROM sw.window WHERE name = 'trust_s.reader_w';
SELECT to_regclass('trust_s.reader_w') AS result_table;
-- the owner, to whom the policy does not apply, still may
SET ROLE sw_a1;
SELECT sw.create_window('trust_s.a1_w2', 'trust_s.a1_src', 'tumbling', 'count(*) AS hits',
	event_time => 't', size => '1 minute');
SELECT window_start, hits FROM trust_s.a1_w2 ORDER BY window_start;
RESET ROLE;

--
-- Clean up
--
SET ROLE sw_a1;
SELECT sw.drop_source('trust_s.a1_src', cascade => true);
RESET ROLE;
SELECT sw.drop_source('su_src', cascade => true);
SELECT count(*) AS sources FROM sw.source;
SELECT count(*) AS windows FROM sw.window;
DROP SCHEMA trap CASCADE;
DROP SCHEMA trust_s CASCADE;
DROP ROLE sw_hostile;
DROP ROLE sw_a1;
DROP ROLE sw_a2;
DROP ROLE sw_reader;
DROP ROLE sw_stats;
