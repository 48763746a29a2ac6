/* stream_windows--0.1--0.2.sql: from 0.1 to 0.2 (also run by CREATE EXTENSION) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION stream_windows UPDATE TO '0.2'" to load this file. \quit

--
-- Trust I: who runs what, who sees what (docs/security.md).
--
-- A source's owner is its staging table's owner, a window's owner its
-- result table's owner: the views show them, and everything the extension
-- does for a source or window runs as that role.  Rows of the views and of
-- the extension's tables are shown to a role only for sources and windows
-- it may read (or whose owner's privileges it has), and to superusers and
-- members of pg_read_all_stats.
--

-- The search_path a window's code runs with: the creator's, at creation.
ALTER TABLE @extschema@.window ADD COLUMN search_path text;
UPDATE @extschema@.window SET search_path = '"$user", public';

-- A window that cannot go on is suspended ('error', with the reason).
ALTER TABLE @extschema@.window_state
	ADD COLUMN state text NOT NULL DEFAULT 'running'
		CHECK (state OPERATOR(pg_catalog.=) ANY (ARRAY['running', 'error'])),
	ADD COLUMN last_error text;

-- Events a window had to skip (one row per event, or a range).
CREATE TABLE @extschema@.window_errors (
	window_name		text NOT NULL,
	kafka_partition	int NOT NULL,
	kafka_offset	bigint NOT NULL,
	kafka_offset_end bigint,
	error			text NOT NULL,
	recorded_at		timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON @extschema@.window_errors (window_name, recorded_at);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.window_errors', '');
REVOKE ALL ON @extschema@.window_errors FROM PUBLIC;

-- The sources and windows the current role may see (internal).
CREATE VIEW @extschema@._visible_source WITH (security_barrier) AS
SELECT s.id, s.name, coalesce(c.relowner, s.owner) AS owner, s.staging
FROM @extschema@.source s
LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.staging
WHERE pg_catalog.pg_has_role(coalesce(c.relowner, s.owner), 'USAGE')
   OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')
   OR (c.oid IS NOT NULL AND pg_catalog.has_table_privilege(c.oid, 'SELECT'));

CREATE VIEW @extschema@._visible_window WITH (security_barrier) AS
SELECT w.id, w.name, coalesce(c.relowner, w.owner) AS owner, w.result
FROM @extschema@.window w
LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) w.result
WHERE pg_catalog.pg_has_role(coalesce(c.relowner, w.owner), 'USAGE')
   OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')
   OR (c.oid IS NOT NULL AND pg_catalog.has_table_privilege(c.oid, 'SELECT'));

GRANT SELECT ON @extschema@._visible_source, @extschema@._visible_window TO PUBLIC;

-- Secrets are masked by an allowlist of properties known not to be secret
-- (src/kafka_options.c); superusers see every value.
CREATE OR REPLACE FUNCTION @extschema@._mask_options(options jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'sw_mask_options'
LANGUAGE C STABLE STRICT;

CREATE OR REPLACE VIEW @extschema@.sources WITH (security_barrier) AS
SELECT s.name,
	   s.topic,
	   s.brokers,
	   s.format,
	   CASE WHEN s.paused THEN 'paused'
			ELSE coalesce(w.state, 'starting') END AS state,
	   w.pid,
	   coalesce(w.messages, 0) AS messages,
	   coalesce(w.bytes, 0) AS bytes,
	   (SELECT pg_catalog.count(*) FROM @extschema@.dead_letters d
		WHERE d.source_name OPERATOR(pg_catalog.=) s.name) AS dead_letters,
	   w.last_error,
	   w.last_message_at,
	   @extschema@._mask_options(s.options) AS options,
	   pg_catalog.pg_get_userbyid(v.owner) AS owner
FROM @extschema@.source s
JOIN @extschema@._visible_source v ON v.id OPERATOR(pg_catalog.=) s.id
LEFT JOIN @extschema@._worker_status() w ON w.source_id OPERATOR(pg_catalog.=) s.id;

CREATE OR REPLACE VIEW @extschema@.source_partitions WITH (security_barrier) AS
SELECT s.name AS source_name,
	   o.kafka_partition,
	   o.next_offset,
	   p.high_watermark,
	   GREATEST(p.high_watermark OPERATOR(pg_catalog.-) o.next_offset, 0) AS lag
FROM @extschema@._visible_source s
JOIN @extschema@.source_offset o ON o.source_id OPERATOR(pg_catalog.=) s.id
LEFT JOIN @extschema@._partition_status() p
	   ON p.source_id OPERATOR(pg_catalog.=) s.id
	  AND p.kafka_partition OPERATOR(pg_catalog.=) o.kafka_partition;

CREATE OR REPLACE VIEW @extschema@.windows WITH (security_barrier) AS
SELECT w.name,
	   s.name AS source_name,
	   w.kind,
	   w.aggregates,
	   w.group_by,
	   w.event_time,
	   w.filter,
	   w.size,
	   w.slide,
	   w.gap,
	   w.count,
	   w.timeout,
	   w.origin,
	   w.watermark_delay,
	   w.allowed_lateness,
	   w.idle_timeout,
	   w.backfill,
	   st.watermark,
	   st.open_windows,
	   st.final_windows,
	   st.late_merged,
	   st.late_dropped,
	   st.null_time_skipped,
	   st.updated_at,
	   st.state,
	   st.last_error,
	   (SELECT pg_catalog.count(*) FROM @extschema@.window_errors e
		WHERE e.window_name OPERATOR(pg_catalog.=) w.name) AS errors,
	   pg_catalog.pg_get_userbyid(v.owner) AS owner
FROM @extschema@.window w
JOIN @extschema@._visible_window v ON v.id OPERATOR(pg_catalog.=) w.id
JOIN @extschema@.source s ON s.id OPERATOR(pg_catalog.=) w.source_id
JOIN @extschema@.window_state st ON st.window_id OPERATOR(pg_catalog.=) w.id;

CREATE OR REPLACE VIEW @extschema@.watermarks WITH (security_barrier) AS
SELECT w.name AS window_name,
	   p.kafka_partition,
	   p.max_event_time,
	   p.max_event_time OPERATOR(pg_catalog.-) w.watermark_delay AS watermark,
	   p.idle
FROM @extschema@.window w
JOIN @extschema@._visible_window v ON v.id OPERATOR(pg_catalog.=) w.id
JOIN @extschema@.window_partition p ON p.window_id OPERATOR(pg_catalog.=) w.id;

-- The extension's tables that users read: row-level security shows each
-- role its own sources' and windows' rows (superusers bypass it).
ALTER TABLE @extschema@.dead_letters ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON @extschema@.dead_letters FOR SELECT
	USING (source_name OPERATOR(pg_catalog.=) ANY
		   (ARRAY(SELECT v.name FROM @extschema@._visible_source v)));
CREATE POLICY owner_deletes ON @extschema@.dead_letters FOR DELETE
	USING (source_name OPERATOR(pg_catalog.=) ANY
		   (ARRAY(SELECT v.name FROM @extschema@._visible_source v
				  WHERE pg_catalog.pg_has_role(v.owner, 'USAGE'))));
GRANT SELECT ON @extschema@.dead_letters TO PUBLIC;

ALTER TABLE @extschema@.late_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON @extschema@.late_events FOR SELECT
	USING (window_name OPERATOR(pg_catalog.=) ANY
		   (ARRAY(SELECT v.name FROM @extschema@._visible_window v)));

ALTER TABLE @extschema@.window_errors ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON @extschema@.window_errors FOR SELECT
	USING (window_name OPERATOR(pg_catalog.=) ANY
		   (ARRAY(SELECT v.name FROM @extschema@._visible_window v)));
GRANT SELECT ON @extschema@.window_errors TO PUBLIC;

-- Internal test hook: not for everyone.
REVOKE EXECUTE ON FUNCTION @extschema@._parse_payload(regclass, text, bytea) FROM PUBLIC;

--
-- Trust II: one bad event, window or user never stops a source.
--

-- Where a suspended window takes up again, per partition.
ALTER TABLE @extschema@.window_partition ADD COLUMN resume_from bigint;

CREATE FUNCTION @extschema@.resume_window(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'sw_resume_window'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

--
-- Trust III: definitions and relations that survive a dump and restore.
--

-- The staging and result tables by name as well (their OIDs change with a
-- restore), and the catalog version a window's analysis was stored under.
ALTER TABLE @extschema@.source ADD COLUMN staging_name text;
UPDATE @extschema@.source s SET staging_name = pg_catalog.format('%I.%I', n.nspname, c.relname)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE c.oid OPERATOR(pg_catalog.=) s.staging;
ALTER TABLE @extschema@.window ADD COLUMN result_name text, ADD COLUMN catversion int;
-- 0: analyzed by 0.1, in this database: analyzed again when next loaded,
-- its dependencies already recorded (NULL would record them again)
UPDATE @extschema@.window SET catversion = 0;
UPDATE @extschema@.window w SET result_name = pg_catalog.format('%I.%I', n.nspname, c.relname)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE c.oid OPERATOR(pg_catalog.=) w.result;

-- Which database a row was made in ("system identifier:database OID"): only
-- in another one (a restore) are its tables looked up again by name.
ALTER TABLE @extschema@.source ADD COLUMN home text;
ALTER TABLE @extschema@.window ADD COLUMN home text;
WITH here AS (
	SELECT (SELECT system_identifier FROM pg_catalog.pg_control_system())::text
		OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||)
		(SELECT oid FROM pg_catalog.pg_database
		  WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())::text AS home),
sources AS (UPDATE @extschema@.source SET home = here.home FROM here)
UPDATE @extschema@.window SET home = here.home FROM here;

-- Open result rows are found by their window and key, no longer by ctid:
-- index each result table on that identity (window_start, the group keys,
-- which are the columns before window_start, and window_seq).  Only keys of
-- built-in types are indexed here, so that the update, run by a superuser,
-- calls no comparison function a user wrote; a window created by 0.2
-- indexes every key with a default btree operator class.
DO $$
DECLARE
	w record;
	cols text;
BEGIN
	FOR w IN SELECT win.result, win.kind FROM @extschema@.window win
			  WHERE EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) win.result)
	LOOP
		SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
		  INTO cols
		  FROM pg_catalog.pg_attribute a
		 WHERE a.attrelid OPERATOR(pg_catalog.=) w.result AND a.attnum OPERATOR(pg_catalog.>) 0
		   AND NOT a.attisdropped
		   AND a.attnum OPERATOR(pg_catalog.<) (SELECT s.attnum FROM pg_catalog.pg_attribute s
				 WHERE s.attrelid OPERATOR(pg_catalog.=) w.result
				   AND s.attname OPERATOR(pg_catalog.=) 'window_start')
		   AND a.atttypid OPERATOR(pg_catalog.<) 16384
		   AND EXISTS (SELECT FROM pg_catalog.pg_opclass o
						 JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) o.opcmethod
						WHERE am.amname OPERATOR(pg_catalog.=) 'btree' AND o.opcdefault
						  AND (o.opcintype OPERATOR(pg_catalog.=) a.atttypid
							   OR EXISTS (SELECT FROM pg_catalog.pg_cast k
										   WHERE k.castsource OPERATOR(pg_catalog.=) a.atttypid
											 AND k.casttarget OPERATOR(pg_catalog.=) o.opcintype
											 AND k.castmethod OPERATOR(pg_catalog.=) 'b')));
		IF w.kind OPERATOR(pg_catalog.=) 'count' THEN
			-- by key and window_seq, among all rows: also a key's last window_seq
			EXECUTE pg_catalog.format('CREATE INDEX ON %s (%swindow_seq)',
									  w.result::pg_catalog.regclass,
									  CASE WHEN cols IS NULL THEN '' ELSE cols OPERATOR(pg_catalog.||) ', ' END);
		ELSE
			EXECUTE pg_catalog.format('CREATE INDEX ON %s (window_start%s) WHERE _sw_open',
									  w.result::pg_catalog.regclass,
									  CASE WHEN cols IS NULL THEN '' ELSE ', ' OPERATOR(pg_catalog.||) cols END);
		END IF;
	END LOOP;
END
$$;

--
-- Performance: sw.tumble in FROM is planned as two scalar expressions (a
-- planner hook puts these in its place; same values, same errors).
--
CREATE FUNCTION @extschema@._tumble_start(ts timestamptz, size interval,
	origin timestamptz DEFAULT '1970-01-01 00:00:00+00')
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'sw_tumble_lower'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@._tumble_end(ts timestamptz, size interval,
	origin timestamptz DEFAULT '1970-01-01 00:00:00+00')
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'sw_tumble_upper'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
