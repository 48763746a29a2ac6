/* stream_windows--0.1.sql: install script */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION stream_windows" to load this file. \quit

-- Everyone may use the ad-hoc functions; administration functions added
-- below are restricted one by one.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

--
-- Ad-hoc windows over any table (the batch side).  Same formulas as the
-- continuous windows; see docs/semantics.md.
--

CREATE TYPE @extschema@.window_bounds AS (
	window_start timestamptz,
	window_end timestamptz
);
COMMENT ON TYPE @extschema@.window_bounds IS
	'Bounds [window_start, window_end) of one window';

CREATE FUNCTION @extschema@.tumble(
	ts timestamptz,
	size interval,
	origin timestamptz DEFAULT '1970-01-01 00:00:00+00')
RETURNS @extschema@.window_bounds
AS 'MODULE_PATHNAME', 'sw_tumble'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tumble(timestamptz, interval, timestamptz) IS
	'The tumbling window of the given size, aligned to origin, that contains ts';

CREATE FUNCTION @extschema@.hop(
	ts timestamptz,
	size interval,
	slide interval,
	origin timestamptz DEFAULT '1970-01-01 00:00:00+00')
RETURNS SETOF @extschema@.window_bounds
AS 'MODULE_PATHNAME', 'sw_hop'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 4;
COMMENT ON FUNCTION @extschema@.hop(timestamptz, interval, interval, timestamptz) IS
	'Every sliding window of the given size and slide, aligned to origin, that contains ts, ascending';

CREATE FUNCTION @extschema@.session_start(ts timestamptz, gap interval)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'sw_session_start'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.session_start(timestamptz, interval) IS
	'Window function: start of the row''s session; a session ends where ts - previous ts > gap';

CREATE FUNCTION @extschema@.count_window(n int)
RETURNS bigint
AS 'MODULE_PATHNAME', 'sw_count_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.count_window(int) IS
	'Window function: the row''s 0-based count-window number, n rows per window';

--
-- Kafka sources (see docs/architecture.md).  Only superusers and members of
-- stream_windows_admin may create or administer them.
--
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
				   WHERE rolname = 'stream_windows_admin') THEN
		CREATE ROLE stream_windows_admin NOLOGIN;
	END IF;
END
$$;

-- One row per source: its definition.  Runtime figures live in shared
-- memory (sw._worker_status()), so that the views never wait on a worker.
CREATE TABLE @extschema@.source (
	id			serial PRIMARY KEY,
	name		text NOT NULL UNIQUE,
	staging		oid NOT NULL UNIQUE,
	brokers		text NOT NULL,
	topic		text NOT NULL,
	format		text NOT NULL,
	columns		text,
	start_from	text NOT NULL,
	options		jsonb NOT NULL,
	retention	interval NOT NULL,
	owner		oid NOT NULL,
	paused		boolean NOT NULL DEFAULT false,
	windows_version int NOT NULL DEFAULT 0,	-- bumped when its windows change
	created_at	timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- Per partition: every offset below next_offset has been applied (staged,
-- or recorded in dead_letters).  staged_from is the lowest offset that
-- retention has not yet removed from staging; after crash recovery empties
-- the staging table, [staged_from, next_offset) is read again from Kafka.
-- Updated in the same transaction as the rows it describes.
CREATE TABLE @extschema@.source_offset (
	source_id		int NOT NULL REFERENCES @extschema@.source (id) ON DELETE CASCADE,
	kafka_partition	int NOT NULL,
	next_offset		bigint NOT NULL,
	staged_from		bigint NOT NULL,
	PRIMARY KEY (source_id, kafka_partition)
);

CREATE TABLE @extschema@.dead_letters (
	source_name		text NOT NULL,
	kafka_partition	int NOT NULL,
	kafka_offset	bigint NOT NULL,
	kafka_offset_end bigint,
	kafka_key		text,
	payload			bytea,
	error			text NOT NULL,
	recorded_at		timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON @extschema@.dead_letters (source_name, kafka_partition, kafka_offset);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.source', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.source_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.source_offset', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.dead_letters', '');

REVOKE ALL ON @extschema@.source, @extschema@.source_offset FROM PUBLIC;
REVOKE ALL ON @extschema@.dead_letters FROM PUBLIC;
GRANT SELECT, DELETE ON @extschema@.dead_letters TO stream_windows_admin;

CREATE FUNCTION @extschema@.create_source(
	name		text,
	brokers		text,
	topic		text,
	format		text DEFAULT 'json',
	columns		text DEFAULT NULL,
	start_from	text DEFAULT 'earliest',
	options		jsonb DEFAULT '{}',
	retention	interval DEFAULT '1 hour')
RETURNS regclass
AS 'MODULE_PATHNAME', 'sw_create_source'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.pause_source(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'sw_pause_source'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.resume_source(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'sw_resume_source'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.reset_source(name text, start_from text)
RETURNS void
AS 'MODULE_PATHNAME', 'sw_reset_source'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.drop_source(name text, "cascade" boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'sw_drop_source'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

-- EXECUTE stays granted to PUBLIC: the functions themselves admit only
-- superusers and members of stream_windows_admin, and tell everyone else
-- why (with a hint) rather than failing on a bare permission check.

-- Runtime figures from shared memory: never blocks on a worker or broker.
CREATE FUNCTION @extschema@._worker_status(
	OUT source_id int, OUT pid int, OUT state text, OUT messages bigint,
	OUT bytes bigint, OUT last_error text, OUT last_message_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sw_worker_status'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION @extschema@._partition_status(
	OUT source_id int, OUT kafka_partition int, OUT high_watermark bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'sw_partition_status'
LANGUAGE C STRICT VOLATILE;

-- librdkafka properties whose values are secrets: shown only to superusers.
CREATE FUNCTION @extschema@._mask_options(options jsonb)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
			THEN options
		ELSE (SELECT coalesce(jsonb_object_agg(key,
				CASE WHEN key ILIKE '%password%' OR key ILIKE '%secret%'
						  OR key LIKE 'ssl.key.%' OR key ILIKE '%oauthbearer%'
					 THEN '"********"'::jsonb ELSE value END), '{}'::jsonb)
			  FROM jsonb_each(options))
	END
$$;

CREATE VIEW @extschema@.sources AS
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
		WHERE d.source_name = s.name) AS dead_letters,
	   w.last_error,
	   w.last_message_at,
	   @extschema@._mask_options(s.options) AS options
FROM @extschema@.source s
LEFT JOIN @extschema@._worker_status() w ON w.source_id = s.id;

CREATE VIEW @extschema@.source_partitions AS
SELECT s.name AS source_name,
	   o.kafka_partition,
	   o.next_offset,
	   p.high_watermark,
	   GREATEST(p.high_watermark - o.next_offset, 0) AS lag
FROM @extschema@.source s
JOIN @extschema@.source_offset o ON o.source_id = s.id
LEFT JOIN @extschema@._partition_status() p
	   ON p.source_id = s.id AND p.kafka_partition = o.kafka_partition;

GRANT SELECT ON @extschema@.sources, @extschema@.source_partitions TO PUBLIC;

--
-- Continuous windows (see docs/architecture.md and docs/semantics.md).
--

CREATE TABLE @extschema@.window (
	id				serial PRIMARY KEY,
	name			text NOT NULL UNIQUE,
	result			oid NOT NULL UNIQUE,
	source_id		int NOT NULL REFERENCES @extschema@.source (id),
	kind			text NOT NULL,
	aggregates		text NOT NULL,
	group_by		text,
	event_time		text NOT NULL,
	filter			text,
	size			interval,
	slide			interval,
	gap				interval,
	count			int,
	timeout			interval,
	origin			timestamptz NOT NULL,
	watermark_delay	interval NOT NULL,
	allowed_lateness interval NOT NULL,
	idle_timeout	interval,
	backfill		boolean NOT NULL,
	owner			oid NOT NULL,
	definition		text NOT NULL,	-- the analyzed expressions (nodeToString)
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- Updated in the same transaction as the offsets whose events moved it.
CREATE TABLE @extschema@.window_state (
	window_id		int PRIMARY KEY REFERENCES @extschema@.window (id) ON DELETE CASCADE,
	watermark		timestamptz,
	requested_watermark timestamptz,	-- sw.advance_watermark
	open_windows	bigint NOT NULL DEFAULT 0,
	final_windows	bigint NOT NULL DEFAULT 0,
	late_merged		bigint NOT NULL DEFAULT 0,
	late_dropped	bigint NOT NULL DEFAULT 0,
	null_time_skipped bigint NOT NULL DEFAULT 0,
	updated_at		timestamptz
);

CREATE TABLE @extschema@.window_partition (
	window_id		int NOT NULL REFERENCES @extschema@.window (id) ON DELETE CASCADE,
	kafka_partition	int NOT NULL,
	start_offset	bigint NOT NULL,	-- events below it predate the window
	max_event_time	timestamptz,
	last_event_at	timestamptz,		-- worker clock, for idle_timeout
	idle			boolean NOT NULL DEFAULT false,
	PRIMARY KEY (window_id, kafka_partition)
);

CREATE TABLE @extschema@.late_events (
	window_name		text NOT NULL,
	kafka_partition	int NOT NULL,
	kafka_offset	bigint NOT NULL,
	event_time		timestamptz NOT NULL,
	watermark		timestamptz NOT NULL,
	recorded_at		timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON @extschema@.late_events (window_name, recorded_at);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.window', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.window_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.window_state', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.window_partition', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.late_events', '');
REVOKE ALL ON @extschema@.window, @extschema@.window_state,
	@extschema@.window_partition FROM PUBLIC;
REVOKE ALL ON @extschema@.late_events FROM PUBLIC;
GRANT SELECT ON @extschema@.late_events TO PUBLIC;

CREATE FUNCTION @extschema@.create_window(
	name			text,
	source			text,
	kind			text,
	aggregates		text,
	group_by		text DEFAULT NULL,
	event_time		text DEFAULT 'kafka_timestamp',
	filter			text DEFAULT NULL,
	size			interval DEFAULT NULL,
	slide			interval DEFAULT NULL,
	gap				interval DEFAULT NULL,
	count			int DEFAULT NULL,
	timeout			interval DEFAULT NULL,
	origin			timestamptz DEFAULT '1970-01-01 00:00:00+00',
	watermark_delay	interval DEFAULT '0',
	allowed_lateness interval DEFAULT '0',
	idle_timeout	interval DEFAULT NULL,
	backfill		boolean DEFAULT true)
RETURNS regclass
AS 'MODULE_PATHNAME', 'sw_create_window'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.drop_window(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'sw_drop_window'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.advance_watermark(name text, ts timestamptz)
RETURNS void
AS 'MODULE_PATHNAME', 'sw_advance_watermark'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE VIEW @extschema@.windows AS
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
	   st.updated_at
FROM @extschema@.window w
JOIN @extschema@.source s ON s.id = w.source_id
JOIN @extschema@.window_state st ON st.window_id = w.id;

CREATE VIEW @extschema@.watermarks AS
SELECT w.name AS window_name,
	   p.kafka_partition,
	   p.max_event_time,
	   p.max_event_time - w.watermark_delay AS watermark,
	   p.idle
FROM @extschema@.window w
JOIN @extschema@.window_partition p ON p.window_id = w.id;

GRANT SELECT ON @extschema@.windows, @extschema@.watermarks TO PUBLIC;

-- Test hook for the message formats (internal; see src/formats.c).
CREATE FUNCTION @extschema@._parse_payload(staging regclass, format text, payload bytea)
RETURNS text
AS 'MODULE_PATHNAME', 'sw_parse_payload'
LANGUAGE C STRICT;
