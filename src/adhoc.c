/*-------------------------------------------------------------------------
 *
 * adhoc.c
 *	  Ad-hoc windows over any table: sw.tumble, sw.hop, sw.session_start
 *	  and sw.count_window.
 *
 * These are the batch side of the product.  They use the same formulas
 * (window_time.c) as the continuous windows, so a GROUP BY over a staging
 * table reproduces what a continuous window holds once it is final.
 *
 * sw.tumble returns one sw.window_bounds value (not a set), so it can stand
 * in the select list, in GROUP BY, or in FROM as a one-row table.  sw.hop is
 * a value-per-call set-returning function.  sw.session_start and
 * sw.count_window are window functions (CREATE FUNCTION ... WINDOW) that
 * keep their running state in the partition's local memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "windowapi.h"

#include "window_time.h"

PG_FUNCTION_INFO_V1(sw_tumble);
PG_FUNCTION_INFO_V1(sw_tumble_lower);
PG_FUNCTION_INFO_V1(sw_tumble_upper);
PG_FUNCTION_INFO_V1(sw_hop);
PG_FUNCTION_INFO_V1(sw_session_start);
PG_FUNCTION_INFO_V1(sw_count_window);

/*
 * The blessed tuple descriptor of sw.window_bounds, kept for the backend's
 * life and keyed by the type's OID (which changes if the extension is
 * created again).  Cheaper than a lookup per call, and unlike fn_extra it
 * does not collide with the set-returning-function protocol's use of it.
 */
static TupleDesc
window_bounds_desc(FunctionCallInfo fcinfo)
{
	static Oid	cached_type = InvalidOid;
	static TupleDesc cached_desc = NULL;
	Oid			rettype = get_fn_expr_rettype(fcinfo->flinfo);

	if (rettype != cached_type || cached_desc == NULL)
	{
		TupleDesc	desc;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		old = MemoryContextSwitchTo(TopMemoryContext);
		if (cached_desc)
			FreeTupleDesc(cached_desc);
		cached_desc = BlessTupleDesc(CreateTupleDescCopy(desc));
		MemoryContextSwitchTo(old);
		cached_type = rettype;
	}
	return cached_desc;
}

static Datum
window_bounds_datum(TupleDesc desc, TimestampTz start, TimestampTz end)
{
	Datum		values[2];
	bool		nulls[2] = {false, false};

	values[0] = TimestampTzGetDatum(start);
	values[1] = TimestampTzGetDatum(end);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

/*
 * sw.tumble(ts timestamptz, size interval, origin timestamptz)
 *		RETURNS sw.window_bounds
 */
Datum
sw_tumble(PG_FUNCTION_ARGS)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);
	int64		size = sw_duration_usecs(PG_GETARG_INTERVAL_P(1), "size");
	TimestampTz origin = PG_GETARG_TIMESTAMPTZ(2);
	TimestampTz start;

	sw_check_finite(ts, "event time");
	sw_check_finite(origin, "window origin");
	start = sw_tumble_start(ts, size, origin);
	PG_RETURN_DATUM(window_bounds_datum(window_bounds_desc(fcinfo),
										start, sw_time_add(start, size)));
}

/*
 * sw._tumble_start and sw._tumble_end(ts, size, origin): the two bounds of
 * sw.tumble as scalars, which the planner hook (adhoc_planner.c) puts in
 * place of sw.tumble in FROM.  Same checks, same errors.
 */
static TimestampTz
tumble_start_of(FunctionCallInfo fcinfo, int64 *size)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz origin = PG_GETARG_TIMESTAMPTZ(2);

	*size = sw_duration_usecs(PG_GETARG_INTERVAL_P(1), "size");
	sw_check_finite(ts, "event time");
	sw_check_finite(origin, "window origin");
	return sw_tumble_start(ts, *size, origin);
}

Datum
sw_tumble_lower(PG_FUNCTION_ARGS)
{
	int64		size;

	PG_RETURN_TIMESTAMPTZ(tumble_start_of(fcinfo, &size));
}

Datum
sw_tumble_upper(PG_FUNCTION_ARGS)
{
	int64		size;
	TimestampTz start = tumble_start_of(fcinfo, &size);

	PG_RETURN_TIMESTAMPTZ(sw_time_add(start, size));
}

typedef struct HopState
{
	int64		next_k;			/* next window to return */
	int64		last_k;			/* last window containing ts */
	int64		size;
	int64		slide;
	TimestampTz origin;
} HopState;

static void
hop_begin(FunctionCallInfo fcinfo, HopState *state)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);

	state->size = sw_duration_usecs(PG_GETARG_INTERVAL_P(1), "size");
	state->slide = sw_duration_usecs(PG_GETARG_INTERVAL_P(2), "slide");
	state->origin = PG_GETARG_TIMESTAMPTZ(3);
	sw_check_finite(ts, "event time");
	sw_check_finite(state->origin, "window origin");
	sw_hop_range(ts, state->size, state->slide, state->origin,
				 &state->next_k, &state->last_k);
}

/*
 * In FROM (where the executor prefers a materialized result), put every
 * window straight into the caller's tuplestore: no composite datum is
 * formed and taken apart again per window.
 */
static Datum
hop_materialize(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HopState	state;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	hop_begin(fcinfo, &state);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (; state.next_k <= state.last_k; state.next_k++)
	{
		TimestampTz start = sw_hop_start(state.origin, state.next_k, state.slide);

		CHECK_FOR_INTERRUPTS();
		values[0] = TimestampTzGetDatum(start);
		values[1] = TimestampTzGetDatum(sw_time_add(start, state.size));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * sw.hop(ts timestamptz, size interval, slide interval, origin timestamptz)
 *		RETURNS SETOF sw.window_bounds, ascending by window_start
 *
 * In the select list a window per call (no tuplestore at all); in FROM,
 * materialized.
 */
Datum
sw_hop(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	FuncCallContext *funcctx;
	HopState   *state;

	if (rsinfo != NULL && (rsinfo->allowedModes & SFRM_Materialize_Preferred) &&
		(rsinfo->allowedModes & SFRM_Materialize))
		return hop_materialize(fcinfo);

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		state = palloc(sizeof(HopState));
		hop_begin(fcinfo, state);
		funcctx->user_fctx = state;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	state = (HopState *) funcctx->user_fctx;
	if (state->next_k <= state->last_k)
	{
		TimestampTz start = sw_hop_start(state->origin, state->next_k,
										 state->slide);

		state->next_k++;
		SRF_RETURN_NEXT(funcctx,
						window_bounds_datum(window_bounds_desc(fcinfo), start,
											sw_time_add(start, state->size)));
	}
	SRF_RETURN_DONE(funcctx);
}

/* ts - prev > gap, where a difference too large for int64 exceeds any gap */
static bool
session_gap_exceeded(TimestampTz prev, TimestampTz ts, int64 gap)
{
	int64		diff;

	return pg_sub_s64_overflow(ts, prev, &diff) || diff > gap;
}

typedef struct SessionState
{
	bool		started;		/* seen a non-NULL timestamp yet? */
	TimestampTz prev_ts;		/* timestamp of the previous non-NULL row */
	TimestampTz start;			/* start of the current session */
} SessionState;

/*
 * sw.session_start(ts timestamptz, gap interval) OVER (... ORDER BY ts)
 *
 * A new session begins when ts - previous ts > gap, so rows exactly gap
 * apart share a session.  Rows with a NULL ts get NULL and do not touch the
 * session.  The window must deliver rows in ascending ts order; anything
 * else is reported rather than silently giving wrong sessions.
 */
Datum
sw_session_start(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	SessionState *state;
	bool		isnull;
	TimestampTz ts;
	Datum		gap_datum;
	int64		gap;

	state = (SessionState *) WinGetPartitionLocalMemory(winobj,
														sizeof(SessionState));
	/* only the current row is read: let the tuplestore drop older rows */
	WinSetMarkPosition(winobj, WinGetCurrentPosition(winobj));

	/* the gap is checked on every row, even one with a NULL time */
	gap_datum = WinGetFuncArgCurrent(winobj, 1, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	gap = sw_duration_usecs(DatumGetIntervalP(gap_datum), "gap");
	ts = DatumGetTimestampTz(WinGetFuncArgCurrent(winobj, 0, &isnull));
	if (isnull)
		PG_RETURN_NULL();
	sw_check_finite(ts, "event time");

	if (state->started && ts < state->prev_ts)
		ereport(ERROR,
				(errcode(ERRCODE_WINDOWING_ERROR),
				 errmsg("sw.session_start requires rows in ascending order of their timestamp"),
				 errdetail("A row with timestamp %s follows a row with timestamp %s.",
						   pstrdup(timestamptz_to_str(ts)),
						   pstrdup(timestamptz_to_str(state->prev_ts))),
				 errhint("Order the window by the same timestamp, for example OVER (PARTITION BY ip ORDER BY event_time).")));

	if (!state->started || session_gap_exceeded(state->prev_ts, ts, gap))
		state->start = ts;
	state->started = true;
	state->prev_ts = ts;
	PG_RETURN_TIMESTAMPTZ(state->start);
}

/*
 * sw.count_window(n int) OVER (...): the row's 0-based count-window number,
 * n rows per window in the window's row order.
 */
Datum
sw_count_window(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	bool		isnull;
	int32		n;

	WinSetMarkPosition(winobj, WinGetCurrentPosition(winobj));
	n = DatumGetInt32(WinGetFuncArgCurrent(winobj, 0, &isnull));
	if (isnull)
		PG_RETURN_NULL();
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("count window size must be at least 1"),
				 errdetail("The size given is %d.", n),
				 errhint("Give the number of rows per window, for example sw.count_window(3).")));
	PG_RETURN_INT64(WinGetCurrentPosition(winobj) / n);
}
