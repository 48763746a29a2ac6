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
