/*-------------------------------------------------------------------------
 *
 * window_isolation.c
 *	  Applying a batch so that one window's errors stay with that window:
 *	  a failing event is skipped and recorded, a window that cannot be
 *	  written is suspended, and the source and its other windows go on.
 *
 * The common path (sw_engine_apply, sw_engine_end_batch) pays nothing for
 * this: a batch runs as one transaction, and only when it fails does the
 * worker roll it back and run it again through here, from a freshly
 * loaded engine, a chunk of at most STAGING_CHUNK_ROWS events per
 * transaction.  Here each window takes the chunk on its own:
 *
 *	1. Every event is evaluated (event time, filter, group keys, aggregate
 *	   arguments) in a subtransaction of its own, without touching any
 *	   state: an error is that event's, for that window.
 *	2. The other events are applied and the window's rows written in one
 *	   subtransaction.  An error while an event is applied (a transition
 *	   or combine function, an overflow, sw.expression_timeout) is that
 *	   event's too: the subtransaction is rolled back, the window is loaded
 *	   again from what it had written, and the chunk is applied again
 *	   without that event.  An error while the rows are written (a
 *	   constraint, a trigger, a revoked privilege) is the window's: it is
 *	   suspended where it stood before the chunk.
 *
 * The skipped events go to sw.window_errors in the chunk's transaction,
 * with the offsets that cover them: exactly once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "catalog.h"
#include "guc.h"
#include "privilege.h"
#include "watchdog.h"
#include "window_internal.h"

/*
 * Run fn(arg) in a subtransaction.  NULL when it succeeded; else what it
 * raised (in the caller's memory context), the subtransaction rolled back
 * and the caller's memory context and resource owner restored.
 */
ErrorData *
sw_subxact_run(void (*fn) (void *arg), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		sw_watchdog_end();
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return edata;
}

/* The events a window skipped in this chunk. */
typedef struct SkippedEvents
{
	int			n;
	bool	   *skipped;		/* by index into the chunk */
	int		   *partition;
	int64	   *offset;
	int64	   *offset_end;
	char	  **error;
} SkippedEvents;

/*
 * The message an error leaves in sw.window_errors.  A cancel that is not
 * the watchdog's (pg_cancel_backend of the worker) is nobody's event: it
 * goes on up, as the batch's error.
 */
static char *
error_text(ErrorData *edata)
{
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
	{
		if (!sw_watchdog_take_fired())
			ReThrowError(edata);
		return psprintf("canceled: the window's code ran longer than sw.expression_timeout (%d ms) on this event",
						sw_expression_timeout_ms);
	}
	return pstrdup(edata->message);
}

static void
skip_event(SkippedEvents *se, const SwEvent *events, int k, char *error)
{
	se->skipped[k] = true;
	se->partition[se->n] = events[k].partition;
	se->offset[se->n] = events[k].offset;
	se->offset_end[se->n] = -1;
	se->error[se->n++] = error;
}

/* Step 1: what each event computes, each in a subtransaction. */
typedef struct CheckArgs
{
	SwWindow   *w;
	const SwEvent *ev;
} CheckArgs;

static void
check_one(void *arg)
{
	CheckArgs  *ca = arg;

	sw_watchdog_begin();
	sw_window_check_event(ca->w, ca->ev);
	sw_watchdog_end();
}

static void
check_events(SwWindow *w, const SwEvent *events, int n, SkippedEvents *se)
{
	SwPrivState ps;

	sw_priv_begin_role(&ps, w->owner, w->search_path);
	for (int k = 0; k < n; k++)
	{
		CheckArgs	ca = {w, &events[k]};
		ErrorData  *edata = sw_subxact_run(check_one, &ca);

		if (edata != NULL)
		{
			skip_event(se, events, k, error_text(edata));
			FreeErrorData(edata);
		}
		CHECK_FOR_INTERRUPTS();
	}
	sw_priv_end(&ps);
}

/* The index of the event a window was applying, or -1. */
static int
failing_event(SwWindow *w, const SwEvent *events, int n, SkippedEvents *se)
{
	for (int k = 0; k < n; k++)
		if (!se->skipped[k] && events[k].partition == w->cur_partition &&
			events[k].offset == w->cur_offset)
			return k;
	return -1;
}

/*
 * Step 2: apply the events that passed and write the rows, in one
 * subtransaction.  Returns NULL when done, else the error; *event is the
 * index of the event being applied when it came, or -1 (writing).
 */
typedef struct ApplyArgs
{
	SwWindow   *w;
	const SwEvent *events;
	int			n;
	SkippedEvents *se;
	TimestampTz now;
	bool		applying;		/* the error came while events were applied */
} ApplyArgs;

static void
apply_all(void *arg)
{
	ApplyArgs  *aa = arg;
	SwPrivState ps;

	sw_priv_begin_role(&ps, aa->w->owner, aa->w->search_path);
	aa->applying = true;
	sw_watchdog_begin();
	for (int k = 0; k < aa->n; k++)
		if (!aa->se->skipped[k])
			sw_window_apply_event(aa->w, &aa->events[k], aa->now);
	sw_watchdog_end();
	aa->applying = false;
	sw_priv_end(&ps);
	sw_window_check_size(aa->w);
	if (!aa->w->suspended)
		sw_window_end_batch(aa->w, aa->now);
}

static ErrorData *
apply_and_write(SwWindow *w, const SwEvent *events, int n, SkippedEvents *se,
				TimestampTz now, int *event)
{
	ApplyArgs	aa = {w, events, n, se, now, false};
	ErrorData  *edata = sw_subxact_run(apply_all, &aa);

	*event = (edata != NULL && aa.applying) ? failing_event(w, events, n, se) : -1;
	return edata;
}

static void
isolate_window(SwEngine *e, int i, const SwEvent *events, int n, TimestampTz now,
			   SwLoadMode mode)
{
	SwWindow   *w = sw_engine_window(e, i);
	SkippedEvents se = {0};

	se.skipped = palloc0(sizeof(bool) * n);
	se.partition = palloc(sizeof(int) * n);
	se.offset = palloc(sizeof(int64) * n);
	se.offset_end = palloc(sizeof(int64) * n);
	se.error = palloc(sizeof(char *) * n);

	check_events(w, events, n, &se);
	for (;;)
	{
		int			k;
		ErrorData  *edata = apply_and_write(w, events, n, &se, now, &k);

		if (edata == NULL)
			break;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED && k < 0)
			(void) error_text(edata);	/* not the watchdog's: rethrown */
		/* what the window did in memory is undone: load it again */
		w = sw_engine_reload_window(e, i, mode);
		if (w->suspended)
			return;
		if (k >= 0)
		{
			skip_event(&se, events, k, error_text(edata));
			continue;
		}
		if (mode != SW_LOAD_WORKER && edata->sqlerrcode == ERRCODE_PROGRAM_LIMIT_EXCEEDED)
			ReThrowError(edata);	/* sw.max_open_rows: says so itself */
		if (mode != SW_LOAD_WORKER)
			ereport(ERROR,
					(errcode(edata->sqlerrcode),
					 errmsg("could not write the results of window \"%s\": %s",
							w->name, edata->message),
					 edata->detail ? errdetail("%s", edata->detail) : 0,
					 errhint("Fix the cause (a constraint, trigger or privilege of the result table, or an error in an aggregate's final function or an expression over aggregates), then try again.")));
		sw_window_suspend(w, psprintf("could not write the results of window \"%s\": %s",
									  w->name, edata->message));
		return;
	}
	if (!w->suspended)
		catalog_window_errors(w->name, se.n, se.partition, se.offset, se.offset_end,
							  se.error);
}

void
sw_engine_apply_isolated(SwEngine *e, const SwEvent *events, int nevents,
						 TimestampTz now, SwLoadMode mode)
{
	for (int i = 0; i < sw_engine_nwindows(e); i++)
	{
		if (sw_engine_window(e, i)->suspended)
			continue;
		isolate_window(e, i, events, nevents, now, mode);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * A chunk applied and written at once, in a subtransaction; when that
 * fails, again window by window with their errors kept apart.  For the
 * callers that write a chunk at a time anyway (backfill, resume).
 */
typedef struct ChunkArgs
{
	SwEngine   *e;
	const SwEvent *events;
	int			n;
	TimestampTz now;
} ChunkArgs;

static void
apply_chunk_at_once(void *arg)
{
	ChunkArgs  *ca = arg;

	sw_engine_apply(ca->e, ca->events, ca->n, ca->now);
	sw_engine_end_batch(ca->e, ca->now);
}

void
sw_engine_apply_chunk(SwEngine *e, const SwEvent *events, int nevents,
					  TimestampTz now, SwLoadMode mode)
{
	ChunkArgs	ca = {e, events, nevents, now};
	ErrorData  *edata = sw_subxact_run(apply_chunk_at_once, &ca);

	if (edata == NULL)
		return;
	FreeErrorData(edata);
	for (int i = 0; i < sw_engine_nwindows(e); i++)
		if (!sw_engine_window(e, i)->suspended)
			(void) sw_engine_reload_window(e, i, mode);
	sw_engine_apply_isolated(e, events, nevents, now, mode);
}

/*
 * Between batches (the tick): a window's rows that the watermark made
 * final are written in a subtransaction; a window that cannot be written
 * is suspended, not the source.
 */
typedef struct EndArgs
{
	SwWindow   *w;
	TimestampTz now;
} EndArgs;

static void
end_one(void *arg)
{
	EndArgs    *ea = arg;

	sw_window_end_batch(ea->w, ea->now);
}

void
sw_engine_end_window_guarded(SwEngine *e, int i, TimestampTz now)
{
	EndArgs		ea = {sw_engine_window(e, i), now};
	ErrorData  *edata = sw_subxact_run(end_one, &ea);
	SwWindow   *w;

	if (edata == NULL)
		return;
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		ReThrowError(edata);
	w = sw_engine_reload_window(e, i, SW_LOAD_WORKER);
	if (!w->suspended)
		sw_window_suspend(w, psprintf("could not write the results of window \"%s\": %s",
									  w->name, edata->message));
}
