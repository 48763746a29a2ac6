/*-------------------------------------------------------------------------
 *
 * window_engine.c
 *	  The window engine: runs every continuous window of a source over the
 *	  events of a batch, inside the batch's transaction.
 *
 * Design.  The result table is the durable state; in memory the engine
 * keeps only the rows that are not yet closed ("open rows": bounded by open
 * windows, not by events), each with its stored partial aggregates.  For
 * each event, in partition offset order:
 *
 *	1. evaluate the event time; NULL (or infinite) → skipped and counted;
 *	2. if the filter passes, assign the event to its windows (tumbling: one,
 *	   sliding: every window that contains it) and, per window, judge it
 *	   against the watermark W as it stood before the event: a closed
 *	   window (window_end + allowed_lateness <= W) drops it into
 *	   sw.late_events; otherwise it is accumulated into the row's partial
 *	   aggregate for this batch, and counts as a revision when the row is
 *	   final at that moment (W >= window_end);
 *	3. raise the partition's max event time and re-evaluate W (the minimum
 *	   over active partitions, minus watermark_delay; never decreasing).
 *
 * At the end of the batch every touched row is written once: its stored
 * state is combined with the batch's partial (combine function), finalized
 * for the user columns and serialized back into the _sw_state columns.
 * Rows the new W makes final or closed are marked; closed rows leave
 * memory and never change again.  Watermarks and counters go to
 * sw.window_state / sw.window_partition in the same transaction, so
 * together with the source's offsets everything is exactly once.
 *
 * A window kind is its assigner and its rule for final and closed rows
 * (the table kinds[]): tumbling and sliding windows (window_hop.c),
 * sessions (window_session.c), counts (window_count.c), all over the same
 * store of open rows (open_rows.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/catversion.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/readfuncs.h"
#include "optimizer/optimizer.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "access/xact.h"
#include "utils/rls.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "privilege.h"
#include "source_lock.h"
#include "compat.h"
#include "window.h"
#include "window_agg.h"
#include "window_internal.h"
#include "window_time.h"
#include "watchdog.h"
#include "guc.h"

struct SwEngine
{
	int			source_id;
	int			version;
	Oid			staging;
	MemoryContext cxt;
	int			nwindows;
	SwWindow  **windows;
};

/* ------------------------------------------------------------------------
 * Definitions
 * ------------------------------------------------------------------------
 */

char *
sw_definition_to_string(SwDefinition *def)
{
	List	   *l = list_make5(def->event_time, def->filter,
							   def->group_exprs, def->group_names, def->aggs);

	l = lappend(l, def->agg_names);
	l = lappend(l, def->outputs);
	return nodeToString(l);
}

SwDefinition *
sw_definition_from_string(const char *str)
{
	List	   *l = (List *) stringToNode(str);
	SwDefinition *def = palloc0(sizeof(SwDefinition));

	def->event_time = list_nth(l, 0);
	def->filter = list_nth(l, 1);
	def->group_exprs = list_nth(l, 2);
	def->group_names = list_nth(l, 3);
	def->aggs = list_nth(l, 4);
	def->agg_names = list_nth(l, 5);
	def->outputs = list_nth(l, 6);
	return def;
}

/* ------------------------------------------------------------------------
 * Watermarks
 * ------------------------------------------------------------------------
 */

static TimestampTz
minus_delay(SwWindow *w, TimestampTz t)
{
	TimestampTz r;

	if (pg_sub_s64_overflow(t, w->delay, &r))
		return DT_NOBEGIN;
	return r;
}

/* W >= end: a window ending at end is final */
bool
sw_is_final_at(SwWindow *w, TimestampTz end)
{
	return w->has_wm && w->wm >= end;
}

/* The W at which a window ending at end closes; false if never (overflow). */
bool
sw_close_at(SwWindow *w, TimestampTz end, TimestampTz *limit)
{
	return !pg_add_s64_overflow(end, w->lateness, limit);
}

/* end + lateness <= W: the row never changes again */
bool
sw_is_closed(SwWindow *w, TimestampTz end)
{
	TimestampTz limit;

	return w->has_wm && sw_close_at(w, end, &limit) && limit <= w->wm;
}

/*
 * W again from every partition; w->wm_part becomes the partition that
 * decides it (the one with the least W_p, or one holding W back), the
 * only one whose next event can move W (window_apply).
 */
static void
recompute_watermark(SwWindow *w)
{
	bool		any = false;
	TimestampTz min = 0;

	w->wm_part = -1;
	for (int p = 0; p < w->nparts; p++)
	{
		PartState  *ps = &w->parts[p];
		TimestampTz wp;

		/*
		 * A partition with no event yet holds W for as long as it may still
		 * deliver one: until it is known empty up to the broker's high
		 * watermark, or idle_timeout has made it inactive.
		 */
		if (!ps->seen && !ps->drained && !ps->idle)
		{
			w->wm_part = p;
			return;
		}
		if (!ps->seen || ps->idle)
			continue;
		wp = minus_delay(w, ps->max_t);
		if (!any || wp < min)
		{
			min = wp;
			w->wm_part = p;
		}
		any = true;
	}
	if (any && (!w->has_wm || min > w->wm))
	{
		w->wm = min;
		w->has_wm = true;
		w->state_dirty = true;
		w->swept = false;
	}
}

static void
ensure_partition(SwWindow *w, int p)
{
	if (p < w->nparts)
		return;
	w->parts = repalloc(w->parts, sizeof(PartState) * (p + 1));
	memset(&w->parts[w->nparts], 0, sizeof(PartState) * (p + 1 - w->nparts));
	w->nparts = p + 1;
}

/* ------------------------------------------------------------------------
 * Applying one event
 * ------------------------------------------------------------------------
 */

/*
 * Give a row its batch state.  Tumbling and sliding rows start from the
 * aggregates' initial values and are combined with the stored state at the
 * end of the batch (full = false); sessions and count windows, which merge
 * and move, carry their whole state from the first touch (full = true).
 */
static void
row_touch(SwWindow *w, OpenRow *row, bool full)
{
	if (row->touched)
	{
		if (full && !row->bfull && row->exists)
		{
			/* fold the stored state in now */
			for (int i = 0; i < w->naggs; i++)
			{
				Datum		st = sw_agg_deserialize(&w->aggs[i], w->actx,
													row->stored[i], row->stored_null[i]);
				bool		stnull = row->stored_null[i];

				sw_agg_combine(&w->aggs[i], w->actx, &st, &stnull,
							   row->bstate[i], row->bnull[i]);
				row->bstate[i] = st;
				row->bnull[i] = stnull;
			}
		}
		row->bfull = row->bfull || full;
		return;
	}
	row->touched = true;
	row->bfull = full;
	row->rev_incr = 0;
	row->bstate = MemoryContextAlloc(w->batch_cxt, sizeof(Datum) * Max(w->naggs, 1));
	row->bnull = MemoryContextAlloc(w->batch_cxt, sizeof(bool) * Max(w->naggs, 1));
	for (int i = 0; i < w->naggs; i++)
	{
		if (full && row->exists)
		{
			row->bstate[i] = sw_agg_deserialize(&w->aggs[i], w->actx,
												row->stored[i], row->stored_null[i]);
			row->bnull[i] = row->stored_null[i];
		}
		else
			sw_agg_init(&w->aggs[i], w->actx, &row->bstate[i], &row->bnull[i]);
	}
	row->next_touched = w->touched;
	w->touched = row;
}

void
sw_row_touch(SwWindow *w, OpenRow *row)
{
	row_touch(w, row, true);
}

/* A row's batch state from the aggregates' initial values (tumbling, sliding) */
void
sw_row_touch_partial(SwWindow *w, OpenRow *row)
{
	row_touch(w, row, false);
}

/* Feed the current event into partial states (a touched row's, a pane's). */
void
sw_states_advance(SwWindow *w, Datum *states, bool *nulls, bool *evaluated, bool *skip)
{
	for (int i = 0; i < w->naggs; i++)
	{
		/* arguments are evaluated once per event, whatever its windows */
		if (!evaluated[i])
		{
			skip[i] = !sw_agg_eval_args(&w->aggs[i], w->econtext);
			evaluated[i] = true;
		}
		if (!skip[i])
			sw_agg_advance(&w->aggs[i], w->actx, &states[i], &nulls[i]);
	}
}

/* Feed the current event into a touched row. */
void
sw_row_advance(SwWindow *w, OpenRow *row, bool *evaluated, bool *skip)
{
	sw_states_advance(w, row->bstate, row->bnull, evaluated, skip);
}

void
sw_row_accumulate(SwWindow *w, OpenRow *row, bool *evaluated, bool *skip)
{
	row_touch(w, row, false);
	sw_row_advance(w, row, evaluated, skip);
}

/*
 * Merge row into into (sessions): states combined, row deleted from the
 * result table at the end of the batch.
 */
void
sw_row_absorb(SwWindow *w, OpenRow *into, OpenRow *row)
{
	row_touch(w, into, true);
	row_touch(w, row, true);
	for (int i = 0; i < w->naggs; i++)
		sw_agg_combine(&w->aggs[i], w->actx, &into->bstate[i], &into->bnull[i],
					   row->bstate[i], row->bnull[i]);
	if (row->exists)
	{
		sw_writer_queue(w, SW_WRITE_DELETE, row, NULL, NULL, 0);
		if (row->is_final)
			w->final_windows--;
		else
			w->open_windows--;
		w->state_dirty = true;
	}
	row->dead = true;
	if (row->entry)
		sw_row_detach(row->entry, row);
}

void
sw_row_late(SwWindow *w, int partition, int64 offset, TimestampTz t)
{
	LateEvent  *le = MemoryContextAlloc(w->batch_cxt, sizeof(LateEvent));

	le->partition = partition;
	le->offset = offset;
	le->t = t;
	le->wm = w->wm;
	le->next = w->late;
	w->late = le;
	w->late_dropped++;
	w->state_dirty = true;
}

/*
 * What a kind adds to the engine: its assigner (the open rows an event
 * goes to), and when its rows are final and closed.
 */
typedef struct SwKind
{
	void		(*assign) (SwWindow *w, TimestampTz t, int partition, int64 offset,
						   bool *evaluated, bool *skip);
	bool		(*final) (SwWindow *w, OpenRow *row);
	bool		(*closed) (SwWindow *w, OpenRow *row);
	/* the W at which the row next changes; false if it never will */
	bool		(*due) (SwWindow *w, OpenRow *row, TimestampTz *due);
} SwKind;

/* windows with fixed bounds: final at W >= window_end, closed after lateness */
static bool
bounds_final(SwWindow *w, OpenRow *row)
{
	return sw_is_final_at(w, row->end);
}

static bool
bounds_closed(SwWindow *w, OpenRow *row)
{
	return sw_is_closed(w, row->end);
}

/* ... so it changes at window_end, then at window_end + allowed_lateness */
static bool
bounds_due(SwWindow *w, OpenRow *row, TimestampTz *due)
{
	if (!row->is_final)
	{
		*due = row->end;
		return true;
	}
	return sw_close_at(w, row->end, due);
}

static const SwKind kinds[] = {
	[SW_KIND_TUMBLING] = {sw_hop_assign, bounds_final, bounds_closed, bounds_due},
	[SW_KIND_SLIDING] = {sw_hop_assign, bounds_final, bounds_closed, bounds_due},
	[SW_KIND_SESSION] = {sw_session_assign, bounds_final, bounds_closed, bounds_due},
	[SW_KIND_COUNT] = {sw_count_assign, sw_count_final, sw_count_final, sw_count_deadline},
};

/* When W next changes row, by its kind (for the due heap, window_due.c). */
bool
sw_row_due(SwWindow *w, OpenRow *row, TimestampTz *due)
{
	return kinds[w->kind].due(w, row, due);
}

/* The windows of an event: its group key, then its kind's assigner. */
static void
assign_windows(SwWindow *w, TimestampTz t, int partition, int64 offset)
{
	memset(w->arg_evaluated, false, sizeof(bool) * w->naggs);
	for (int i = 0; i < w->ngroup; i++)
		w->keybuf[i] = ExecEvalExpr(w->group[i], w->econtext, &w->keynulls[i]);
	kinds[w->kind].assign(w, t, partition, offset, w->arg_evaluated, w->arg_skip);
}

/*
 * An event time whose windows would reach past the ends of timestamptz
 * (year 294276, 4714 BC) cannot be windowed; such events are skipped and
 * counted like NULL times, instead of stopping the source.
 */
static bool
event_time_usable(SwWindow *w, TimestampTz t)
{
	int64		span = 0;
	int64		diff;
	TimestampTz lo,
				hi;

	if (pg_add_s64_overflow(span, Max(Max(w->size, w->slide), w->gap), &span) ||
		pg_add_s64_overflow(span, w->lateness, &span) ||
		pg_add_s64_overflow(span, w->timeout, &span) ||
		pg_add_s64_overflow(MIN_TIMESTAMP, span, &lo) ||
		pg_sub_s64_overflow(END_TIMESTAMP, span, &hi) ||
		pg_sub_s64_overflow(t, w->origin, &diff))
		return false;
	return t > lo && t < hi;
}

static bool event_time_usable(SwWindow *w, TimestampTz t);

static void
window_apply(SwWindow *w, TupleTableSlot *slot, int partition, int64 offset,
			 TimestampTz now)
{
	ExprContext *ec = w->econtext;
	PartState  *ps;
	bool		isnull;
	TimestampTz t;
	MemoryContext old;

	ensure_partition(w, partition);
	ps = &w->parts[partition];
	if (offset < ps->start_offset)
		return;
	w->cur_partition = partition;	/* whose error it is, if one comes */
	w->cur_offset = offset;
	sw_watchdog_progress();
	/* expressions and transition calls leave their garbage per event */
	old = MemoryContextSwitchTo(ec->ecxt_per_tuple_memory);
	ec->ecxt_scantuple = slot;
	t = DatumGetTimestampTz(ExecEvalExpr(w->event_time, ec, &isnull));
	if (isnull || TIMESTAMP_NOT_FINITE(t) || !event_time_usable(w, t))
	{
		w->null_skipped++;
		w->state_dirty = true;
		MemoryContextSwitchTo(old);
		ResetExprContext(ec);
		return;
	}
	if (w->filter == NULL ||
		(DatumGetBool(ExecEvalExpr(w->filter, ec, &isnull)) && !isnull))
		assign_windows(w, t, partition, offset);
	MemoryContextSwitchTo(old);
	ResetExprContext(ec);

	/*
	 * Then the watermark moves: only a partition that joins, or the one
	 * that decided W, can move it.
	 */
	if (!ps->seen || ps->idle || (t > ps->max_t && partition == w->wm_part) ||
		w->wm_part < 0)
	{
		if (!ps->seen || t > ps->max_t)
			ps->max_t = t;
		ps->seen = true;
		ps->idle = false;
		recompute_watermark(w);
	}
	else if (t > ps->max_t)
		ps->max_t = t;
	ps->last_at = now;
	ps->dirty = true;
}

void
sw_engine_apply(SwEngine *e, const SwEvent *events, int nevents, TimestampTz now)
{
	for (int i = 0; i < e->nwindows; i++)
	{
		SwWindow   *w = e->windows[i];
		MemoryContext old;
		SwPrivState ps;

		if (w->suspended)
			continue;
		/* user expressions run as the window's owner, with its search_path */
		old = MemoryContextSwitchTo(w->batch_cxt);
		sw_priv_begin_role(&ps, w->owner, w->search_path);
		sw_watchdog_begin();
		for (int k = 0; k < nevents; k++)
			window_apply(w, events[k].slot, events[k].partition, events[k].offset, now);
		sw_watchdog_end();
		sw_priv_end(&ps);
		MemoryContextSwitchTo(old);
		sw_window_check_size(w);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * What the worker knows of the source's partitions: drained[p] is true when
 * partition p has nothing left to deliver below the broker's high
 * watermark (its position reached it).  A partition that has delivered no
 * event holds each window's W until it is drained (or idle), so a backlog
 * read partition by partition loses nothing to fetch order.
 */
void
sw_engine_partitions(SwEngine *e, int npartitions, const bool *drained, TimestampTz now)
{
	for (int i = 0; e != NULL && i < e->nwindows; i++)
	{
		SwWindow   *w = e->windows[i];

		if (w->suspended || npartitions == 0)
			continue;
		ensure_partition(w, npartitions - 1);
		for (int p = 0; p < npartitions; p++)
		{
			PartState  *ps = &w->parts[p];

			if (ps->seen)
				continue;
			if (ps->known_at == 0)
			{
				ps->known_at = now;
				ps->dirty = true;	/* shown in sw.watermarks, watermark NULL */
			}
			ps->drained = drained[p];
		}
		recompute_watermark(w);
	}
}

/* Apply one event to one window (careful mode), as its owner. */
void
sw_window_apply_event(SwWindow *w, const SwEvent *ev, TimestampTz now)
{
	MemoryContext old = MemoryContextSwitchTo(w->batch_cxt);

	w->careful = true;
	window_apply(w, ev->slot, ev->partition, ev->offset, now);
	w->careful = false;
	MemoryContextSwitchTo(old);
}

/*
 * Evaluate what a window computes from an event without changing any
 * state: event time, filter, group keys, aggregate arguments.  An error
 * here is the event's, and skips it for this window alone.
 */
void
sw_window_check_event(SwWindow *w, const SwEvent *ev)
{
	ExprContext *ec = w->econtext;
	MemoryContext old = MemoryContextSwitchTo(ec->ecxt_per_tuple_memory);
	bool		isnull;
	TimestampTz t;

	w->cur_partition = ev->partition;
	w->cur_offset = ev->offset;
	sw_watchdog_progress();
	ec->ecxt_scantuple = ev->slot;
	t = DatumGetTimestampTz(ExecEvalExpr(w->event_time, ec, &isnull));
	if (!isnull && !TIMESTAMP_NOT_FINITE(t) && event_time_usable(w, t) &&
		(w->filter == NULL || (DatumGetBool(ExecEvalExpr(w->filter, ec, &isnull)) && !isnull)))
	{
		for (int i = 0; i < w->ngroup; i++)
			(void) ExecEvalExpr(w->group[i], ec, &isnull);
		for (int i = 0; i < w->naggs; i++)
			(void) sw_agg_eval_args(&w->aggs[i], ec);
	}
	MemoryContextSwitchTo(old);
	ResetExprContext(ec);
}

/* Suspend a window that holds more rows in memory than sw.max_open_rows. */
void
sw_window_check_size(SwWindow *w)
{
	if (!w->suspended && w->nrows > sw_max_open_rows && w->load_mode != SW_LOAD_WORKER)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("window \"%s\" would hold more than sw.max_open_rows (%d) rows that are not closed",
						w->name, sw_max_open_rows),
				 errdetail("Taking up the staged events needs " INT64_FORMAT " rows in memory.", w->nrows),
				 errhint("Use a coarser group key, a smaller allowed_lateness, or ask a superuser to raise sw.max_open_rows.")));
	if (!w->suspended && w->nrows > sw_max_open_rows)
		sw_window_suspend(w, psprintf("window \"%s\" holds %lld rows that are not closed yet, more than sw.max_open_rows (%d)",
									  w->name, (long long) w->nrows, sw_max_open_rows));
}

/* ------------------------------------------------------------------------
 * End of a batch: writing rows, marking final and closed rows
 * ------------------------------------------------------------------------
 */

static void
count_finality(SwWindow *w, OpenRow *row, bool final)
{
	if (!row->exists)
	{
		if (final)
			w->final_windows++;
		else
			w->open_windows++;
	}
	else if (final != row->is_final)
	{
		/* a session extended past the watermark opens again */
		w->open_windows += final ? -1 : 1;
		w->final_windows += final ? 1 : -1;
	}
	row->is_final = final;
	w->state_dirty = true;
}

/* Final and closed, by kind: count windows finish by count or timeout. */
static bool
row_final(SwWindow *w, OpenRow *row)
{
	return kinds[w->kind].final(w, row);
}

static bool
row_closed(SwWindow *w, OpenRow *row)
{
	return kinds[w->kind].closed(w, row);
}

/*
 * Combine, finalize, serialize and queue the write of one touched row.
 * Values, in the order result_writer.c writes them: window_start,
 * window_end, the outputs, is_final, revision, [window_seq, is_complete],
 * _sw_open, the states, [_sw_events, _sw_first].
 */
void
sw_row_write(SwWindow *w, OpenRow *row)
{
	int			nv = 2 + w->nout + 5 + w->naggs + 2;
	Datum	   *v = palloc(sizeof(Datum) * nv);
	bool	   *n = palloc0(sizeof(bool) * nv);
	bool		final = row_final(w, row);
	bool		closed = row_closed(w, row);
	bool		count = (w->kind == SW_KIND_COUNT);
	bool		existed = row->exists;
	Datum	   *newstored = palloc(sizeof(Datum) * Max(w->naggs, 1));
	ParamExecData *params = w->outcontext->ecxt_param_exec_vals;
	int			j = 0;

	v[j++] = TimestampTzGetDatum(row->key.start);
	v[j++] = TimestampTzGetDatum(row->end);
	for (int i = 0; i < w->naggs; i++)
	{
		SwAggregate *agg = &w->aggs[i];
		Datum		st = row->bstate[i];
		bool		stnull = row->bnull[i];

		if (row->exists && !row->bfull)
		{
			Datum		old = sw_agg_deserialize(agg, w->actx, row->stored[i],
												 row->stored_null[i]);
			bool		oldnull = row->stored_null[i];

			sw_agg_combine(agg, w->actx, &old, &oldnull, st, stnull);
			st = old;
			stnull = oldnull;
		}
		/* serialize first: a final function may scribble on the state */
		newstored[i] = stnull ? (Datum) 0 : sw_agg_serialize(agg, w->actx, st, false);
		row->bnull[i] = stnull;
		params[i].value = sw_agg_finalize(agg, w->actx, st, stnull, &params[i].isnull);
	}
	for (int i = 0; i < w->nout; i++)
	{
		v[j] = ExecEvalExpr(w->outputs[i], w->outcontext, &n[j]);
		j++;
	}
	count_finality(w, row, final);
	row->revision += row->rev_incr;
	row->rev_incr = 0;
	v[j++] = BoolGetDatum(final);
	v[j++] = Int32GetDatum(row->revision);
	if (count)
	{
		v[j++] = Int64GetDatum(row->seq);
		v[j++] = BoolGetDatum(row->complete);
	}
	v[j++] = BoolGetDatum(!closed);
	for (int i = 0; i < w->naggs; i++)
	{
		v[j] = newstored[i];
		n[j++] = closed || row->bnull[i];
	}
	if (count)
	{
		v[j++] = Int64GetDatum(row->nevents);
		v[j++] = TimestampTzGetDatum(row->first_t);
	}
	sw_writer_queue(w, existed ? SW_WRITE_UPDATE : SW_WRITE_INSERT, row, v, n, j);
	sw_due_update(w, row);

	/* keep the new stored states for the next batch */
	for (int i = 0; i < w->naggs; i++)
	{
		SwAggregate *agg = &w->aggs[i];
		bool		byval = agg->internal_state ? false : agg->transtypbyval;
		int16		len = agg->internal_state ? -1 : agg->transtyplen;
		MemoryContext old;

		if (!row->stored_null[i] && !byval)
			pfree(DatumGetPointer(row->stored[i]));
		row->stored_null[i] = row->bnull[i];
		old = MemoryContextSwitchTo(w->cxt);
		row->stored[i] = row->bnull[i] ? (Datum) 0 : datumCopy(newstored[i], byval, len);
		MemoryContextSwitchTo(old);
	}
}

/* Mark a row the watermark made final or closed (its aggregates unchanged). */
static void
mark_row(SwWindow *w, OpenRow *row, bool final, bool closed)
{
	Datum		v[2] = {BoolGetDatum(final), BoolGetDatum(!closed)};
	bool		n[2] = {false, false};

	count_finality(w, row, final);
	sw_writer_queue(w, SW_WRITE_MARK, row, v, n, 2);
	sw_due_update(w, row);
}

/*
 * Mark the rows the watermark made final or closed, taken from the top of
 * the due heap (window_due.c); closed rows leave memory.
 */
static void
sweep_rows(SwWindow *w)
{
	List	   *closed_rows = NIL;
	ListCell   *lc;
	OpenRow    *row;
	uint32		swept = 0;

	if (w->swept || !w->has_wm)
		return;
	while ((row = sw_due_next(w)) != NULL)
	{
		bool		final = row_final(w, row);
		bool		closed = row_closed(w, row);

		if ((++swept & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		sw_due_remove(w, row);
		if (!row->exists)
			continue;			/* written, and scheduled, with its batch */
		if (final != row->is_final || closed)
		{
			if (w->kind == SW_KIND_COUNT)
			{
				/* a timed-out count window: its is_complete stays false */
				row_touch(w, row, true);
				sw_row_write(w, row);
				row->touched = false;
				w->touched = NULL;	/* the touched list is done with */
			}
			else
				mark_row(w, row, final, closed);
		}
		if (closed)
		{
			sw_due_remove(w, row);	/* the write scheduled it again */
			closed_rows = lappend(closed_rows, row);
			continue;
		}
		sw_due_update(w, row);
		/* never taken twice in one sweep (a due time W already passed) */
		if (row->due_pos >= 0 && row->due <= w->wm)
			sw_due_remove(w, row);
	}
	/* the rows are written before closed ones leave memory */
	sw_writer_flush(w);
	foreach(lc, closed_rows)
	{
		row = lfirst(lc);
		sw_row_free(w, row);
	}
	w->swept = true;
}

static void
persist_state(SwWindow *w, TimestampTz now)
{
	CatalogWindowSave ws = {0};
	int			n = 0;

	ws.window_id = w->id;
	ws.window_name = w->name;
	for (LateEvent *le = w->late; le; le = le->next)
		n++;
	ws.late_partition = palloc(sizeof(Datum) * Max(n, 1));
	ws.late_offset = palloc(sizeof(Datum) * Max(n, 1));
	ws.late_time = palloc(sizeof(Datum) * Max(n, 1));
	ws.late_watermark = palloc(sizeof(Datum) * Max(n, 1));
	for (LateEvent *le = w->late; le; le = le->next)
	{
		ws.late_partition[ws.nlate] = Int32GetDatum(le->partition);
		ws.late_offset[ws.nlate] = Int64GetDatum(le->offset);
		ws.late_time[ws.nlate] = TimestampTzGetDatum(le->t);
		ws.late_watermark[ws.nlate++] = TimestampTzGetDatum(le->wm);
	}
	w->late = NULL;

	ws.part = palloc(sizeof(Datum) * Max(w->nparts, 1));
	ws.start_offset = palloc(sizeof(Datum) * Max(w->nparts, 1));
	ws.max_time = palloc(sizeof(Datum) * Max(w->nparts, 1));
	ws.last_at = palloc(sizeof(Datum) * Max(w->nparts, 1));
	ws.time_null = palloc(sizeof(bool) * Max(w->nparts, 1));
	ws.idle = palloc(sizeof(Datum) * Max(w->nparts, 1));
	for (int p = 0; p < w->nparts; p++)
	{
		PartState  *ps = &w->parts[p];

		if (!ps->dirty)
			continue;
		ws.part[ws.nparts] = Int32GetDatum(p);
		ws.start_offset[ws.nparts] = Int64GetDatum(ps->start_offset);
		ws.max_time[ws.nparts] = TimestampTzGetDatum(ps->max_t);
		ws.last_at[ws.nparts] = TimestampTzGetDatum(ps->last_at);
		ws.time_null[ws.nparts] = !ps->seen;
		ws.idle[ws.nparts++] = BoolGetDatum(ps->idle);
		ps->dirty = false;
	}

	ws.state_dirty = w->state_dirty;
	ws.has_watermark = w->has_wm;
	ws.watermark = w->wm;
	ws.counters[0] = w->open_windows;
	ws.counters[1] = w->final_windows;
	ws.counters[2] = w->late_merged;
	ws.counters[3] = w->late_dropped;
	ws.counters[4] = w->null_skipped;
	ws.now = now;
	catalog_save_window(&ws);
	w->state_dirty = false;
}

void
sw_window_end_batch(SwWindow *w, TimestampTz now)
{
	SwPrivState ps;
	MemoryContext old = MemoryContextSwitchTo(w->batch_cxt);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/*
	 * Combine, final and serial functions and the writes: the owner's.  Not
	 * watched by sw.expression_timeout: a write may wait on a lock, and no
	 * single event is to blame for it.
	 */
	sw_priv_begin_role(&ps, w->owner, w->search_path);
	sw_panes_fold(w);
	if (w->kind == SW_KIND_COUNT)
		sw_count_number(w);
	for (OpenRow *row = w->touched; row; row = row->next_touched)
		if (!row->dead)
			sw_row_write(w, row);
	sw_writer_flush(w);
	for (OpenRow *row = w->touched, *next; row; row = next)
	{
		next = row->next_touched;
		row->touched = false;
		if (row->dead || row_closed(w, row))
			sw_row_free(w, row);
	}
	w->touched = NULL;
	sweep_rows(w);
	sw_priv_end(&ps);
	SPI_finish();

	persist_state(w, now);
	MemoryContextSwitchTo(old);
	MemoryContextReset(w->batch_cxt);
}

void
sw_engine_end_batch(SwEngine *e, TimestampTz now)
{
	for (int i = 0; i < e->nwindows; i++)
		if (!e->windows[i]->suspended)
			sw_window_end_batch(e->windows[i], now);
}

/* ------------------------------------------------------------------------
 * Between batches: idle partitions, sw.advance_watermark
 * ------------------------------------------------------------------------
 */

static void
requested_watermark_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	SwEngine   *e = arg;
	bool		isnull;
	int			id = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
	TimestampTz req = DatumGetTimestampTz(heap_getattr(tup, 2, desc, &isnull));

	for (int i = 0; i < e->nwindows; i++)
	{
		SwWindow   *w = e->windows[i];

		if (w->id == id && (!w->has_wm || req > w->wm))
		{
			w->wm = req;
			w->has_wm = true;
			w->state_dirty = true;
			w->swept = false;
		}
	}
}

void
sw_engine_tick(SwEngine *e, TimestampTz now)
{
	static CatalogPlan plan = {
		"SELECT st.window_id, st.requested_watermark"
		"  FROM sw.window_state st JOIN sw.window w"
		"    ON w.id OPERATOR(pg_catalog.=) st.window_id"
		" WHERE w.source_id OPERATOR(pg_catalog.=) $1"
		"   AND st.requested_watermark IS NOT NULL",
		1, {INT4OID}
	};
	Datum		v[1] = {Int32GetDatum(e->source_id)};

	if (e->nwindows == 0)
		return;
	(void) catalog_run_plan(&plan, v, NULL, SPI_OK_SELECT, requested_watermark_row, e);

	for (int i = 0; i < e->nwindows; i++)
	{
		SwWindow   *w = e->windows[i];

		if (w->idle_timeout > 0)
		{
			bool		changed = false;

			for (int p = 0; p < w->nparts; p++)
			{
				PartState  *ps = &w->parts[p];

				if (!ps->idle &&
					((ps->seen && now - ps->last_at > w->idle_timeout) ||
					 (!ps->seen && ps->known_at != 0 && now - ps->known_at > w->idle_timeout)))
				{
					ps->idle = true;
					ps->dirty = true;
					changed = true;
				}
			}
			if (changed)
			{
				recompute_watermark(w);
				w->state_dirty = true;
			}
		}
		if (!w->suspended && (!w->swept || w->state_dirty))
			sw_engine_end_window_guarded(e, i, now);
	}
}

/* ------------------------------------------------------------------------
 * Loading the windows of a source
 * ------------------------------------------------------------------------
 */

/*
 * A value read back from the result table, with nothing left in TOAST: the
 * engine keeps it across transactions, and a rewrite of the table (VACUUM
 * FULL, CLUSTER) would leave a TOAST pointer pointing nowhere.
 */
static Datum
detoasted(Datum d, bool isnull, int16 typlen)
{
	if (isnull || typlen != -1)
		return d;
	return PointerGetDatum(PG_DETOAST_DATUM_COPY(d));
}

/* The rows that are not closed yet, back into memory. */
static void
load_open_rows(SwWindow *w, SwDefinition *def)
{
	StringInfoData sql;
	ListCell   *lc;
	bool		count = (w->kind == SW_KIND_COUNT);
	int			first_state = 5 + w->ngroup + (count ? 3 : 0);

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT window_start, window_end, is_final, revision");
	foreach(lc, def->group_names)
		appendStringInfo(&sql, ", %s", quote_identifier(strVal(lfirst(lc))));
	if (count)
		appendStringInfoString(&sql, ", window_seq, _sw_events, _sw_first");
	for (int i = 0; i < w->naggs; i++)
		appendStringInfo(&sql, ", _sw_state_%d", i + 1);
	appendStringInfo(&sql, " FROM %s WHERE _sw_open", w->result_sql);
	if (SPI_execute(sql.data, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read open rows of window \"%s\"", w->name);

	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		TimestampTz start = DatumGetTimestampTz(SPI_getbinval(tup, desc, 1, &isnull));
		TimestampTz end = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &isnull));
		OpenRow    *row;

		for (int i = 0; i < w->ngroup; i++)
		{
			/* two statements: isnull is set by the call */
			Datum		d = SPI_getbinval(tup, desc, 5 + i, &w->keynulls[i]);

			w->keybuf[i] = detoasted(d, w->keynulls[i], w->gtype[i]->typlen);
		}
		if (w->rows)
			row = sw_row_lookup(w, start, end, w->keybuf, w->keynulls,
									sw_keys_hash(w, w->keybuf, w->keynulls));
		else
			row = sw_row_new(w, sw_key_entry(w, w->keybuf, w->keynulls), start, end);
		row->exists = true;
		row->stored_start = start;
		row->stored_end = end;
		row->is_final = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		row->revision = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		if (count)
		{
			row->seq = DatumGetInt64(SPI_getbinval(tup, desc, 5 + w->ngroup, &isnull));
			row->nevents = DatumGetInt64(SPI_getbinval(tup, desc, 6 + w->ngroup, &isnull));
			row->first_t = DatumGetTimestampTz(SPI_getbinval(tup, desc, 7 + w->ngroup, &isnull));
			/* a key's open window is its last one */
			row->entry->next_seq = row->seq + 1;
			row->entry->seq_known = true;
		}
		sw_due_update(w, row);
		for (int i = 0; i < w->naggs; i++)
		{
			SwAggregate *agg = &w->aggs[i];
			Datum		d = SPI_getbinval(tup, desc, first_state + i, &row->stored_null[i]);
			MemoryContext old;

			d = detoasted(d, row->stored_null[i], agg->internal_state ? -1 : agg->transtyplen);
			old = MemoryContextSwitchTo(w->cxt);

			row->stored[i] = row->stored_null[i] ? (Datum) 0 :
				datumCopy(d, agg->internal_state ? false : agg->transtypbyval,
						  agg->internal_state ? -1 : agg->transtyplen);
			MemoryContextSwitchTo(old);
		}
	}
}

static void
partition_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	SwWindow   *w = arg;
	bool		isnull;
	int			p = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
	PartState  *ps;
	MemoryContext old = MemoryContextSwitchTo(w->cxt);

	ensure_partition(w, p);
	MemoryContextSwitchTo(old);
	ps = &w->parts[p];
	ps->start_offset = DatumGetInt64(heap_getattr(tup, 2, desc, &isnull));
	ps->max_t = DatumGetTimestampTz(heap_getattr(tup, 3, desc, &isnull));
	ps->seen = !isnull;
	ps->last_at = DatumGetTimestampTz(heap_getattr(tup, 4, desc, &isnull));
	ps->idle = DatumGetBool(heap_getattr(tup, 5, desc, &isnull));
}

static void
load_partitions(SwWindow *w)
{
	Oid			types[1] = {INT4OID};
	Datum		v[1] = {Int32GetDatum(w->id)};

	(void) catalog_run(InvalidOid,
					   "SELECT kafka_partition, start_offset, max_event_time, last_event_at, idle"
					   "  FROM sw.window_partition WHERE window_id OPERATOR(pg_catalog.=) $1",
					   1, types, v, NULL, SPI_OK_SELECT, partition_row, w);
}

/* Column col (1-based) of a catalog row, as a string, an int64, a Datum. */
static char *
row_string(HeapTuple tup, TupleDesc desc, int col)
{
	return SPI_getvalue(tup, desc, col);
}

static int64
row_int64_or(HeapTuple tup, TupleDesc desc, int col, int64 dflt)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, col, desc, &isnull);

	return isnull ? dflt : DatumGetInt64(d);
}

/*
 * Can the window go on?  Its owner must still be able to read the staging
 * table, and without row-level security (which the engine, reading events
 * as they are staged, could not apply).  NULL if so, else why not.
 */
static char *
window_access_problem(SwWindow *w)
{
	bool		missing = false;

	if (pg_class_aclcheck_ext(w->staging, w->owner, ACL_SELECT, &missing) != ACLCHECK_OK ||
		missing)
		return psprintf("role \"%s\" may no longer read the staging table of window \"%s\"",
						GetUserNameFromId(w->owner, false), w->name);
	if (check_enable_rls(w->staging, w->owner, true) == RLS_ENABLED)
		return psprintf("row-level security applies to role \"%s\" on the staging table of window \"%s\"",
						GetUserNameFromId(w->owner, false), w->name);
	return NULL;
}

/*
 * Take a window out of the engine, recording why, in this transaction.
 * It has applied every event below the source's stored next_offset (a
 * batch's events are written only when the batch ends, and a suspended
 * window's never are): that is where sw.resume_window takes it up.
 */
void
sw_window_suspend(SwWindow *w, const char *why)
{
	ereport(WARNING,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("window \"%s\" is suspended", w->name),
			 errdetail("%s", why),
			 errhint("Fix the cause, then resume it with sw.resume_window('%s').", w->name)));
	catalog_suspend_window(w->id, why);
	w->suspended = true;
}

bool
sw_engine_check_access(SwEngine *e)
{
	for (int i = 0; i < e->nwindows; i++)
	{
		SwWindow   *w = e->windows[i];
		char	   *why;

		if (w->suspended)
			return true;		/* its memory goes with a reload */
		/* no rewrite (VACUUM FULL, CLUSTER) of the table until this commits */
		LockRelationOid(w->result, RowExclusiveLock);
		if (sw_relation_owner(w->result) != w->owner)
			return true;		/* owner changed, or table dropped: reload */
		if ((why = window_access_problem(w)) != NULL)
			sw_window_suspend(w, why);
	}
	return false;
}

/*
 * The analyzed definition as stored, unless it was stored by another
 * catalog version (0: by stream_windows 0.1) or its relations had to be
 * found again by name (NULL: after a dump and restore or pg_upgrade,
 * catalog_resolve_relations): then the SQL text is analyzed again, as the
 * owner with the search_path of the window's creation, and stored.
 */
static SwDefinition *
window_definition(SwWindow *w, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	Datum		cv = heap_getattr(tup, 27, desc, &isnull);
	SwDefinition *def;
	SwPrivState ps;
	Oid			types[3] = {INT4OID, TEXTOID, INT4OID};
	Datum		v[3];

	if (!isnull && DatumGetInt32(cv) == CATALOG_VERSION_NO)
		return sw_definition_from_string(row_string(tup, desc, 12));
	ereport(LOG,
			(errmsg("stream_windows: analyzing window \"%s\" again from its SQL text", w->name)));
	sw_priv_begin_role(&ps, w->owner, w->search_path);
	def = sw_analyze_definition_text(w->staging, row_string(tup, desc, 23),
									 row_string(tup, desc, 24), row_string(tup, desc, 25),
									 row_string(tup, desc, 26));
	sw_priv_end(&ps);
	/*
	 * NULL: its tables were found again in another database (a restore or
	 * pg_upgrade), which carried no pg_depend rows of ours: record them.
	 */
	if (isnull)
		sw_record_window_dependencies(w->result, w->staging, def);
	v[0] = Int32GetDatum(w->id);
	v[1] = CStringGetTextDatum(sw_definition_to_string(def));
	v[2] = Int32GetDatum(CATALOG_VERSION_NO);
	catalog_exec("UPDATE sw.window SET definition = $2, catversion = $3"
				 " WHERE id OPERATOR(pg_catalog.=) $1", 3, types, v, SPI_OK_UPDATE);
	return def;
}

/* Build one window from its catalog row (see sw_engine_load for the columns). */
static SwWindow *
build_window(HeapTuple tup, TupleDesc desc, Oid staging, MemoryContext cxt)
{
	SwWindow   *w = MemoryContextAllocZero(cxt, sizeof(SwWindow));
	MemoryContext old;
	SwDefinition *def;
	bool		isnull;
	Oid			result;
	SwPrivState ps;
	char	   *kind;
	int			i;
	ListCell   *lc;

	w->cxt = AllocSetContextCreate(cxt, "stream_windows window", ALLOCSET_DEFAULT_SIZES);
	w->batch_cxt = AllocSetContextCreate(cxt, "stream_windows window batch",
										 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(w->cxt);
	w->id = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
	w->name = pstrdup(row_string(tup, desc, 2));
	result = DatumGetObjectId(heap_getattr(tup, 3, desc, &isnull));
	w->owner = sw_relation_owner(result);
	if (!OidIsValid(w->owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("result table of window \"%s\" no longer exists", w->name),
				 errdetail("It was dropped without sw.drop_window."),
				 errhint("Drop the window with sw.drop_window.")));
	w->staging = staging;
	w->result = result;
	w->result_sql = quote_qualified_identifier(get_namespace_name(get_rel_namespace(result)),
											   get_rel_name(result));
	w->search_path = row_string(tup, desc, 22);
	if (w->search_path == NULL)
		w->search_path = SW_PINNED_SEARCH_PATH;
	kind = row_string(tup, desc, 5);
	w->kind = strcmp(kind, "sliding") == 0 ? SW_KIND_SLIDING :
		strcmp(kind, "session") == 0 ? SW_KIND_SESSION :
		strcmp(kind, "count") == 0 ? SW_KIND_COUNT : SW_KIND_TUMBLING;
	w->size = row_int64_or(tup, desc, 6, 0);
	w->slide = row_int64_or(tup, desc, 7, w->size);
	if (w->kind == SW_KIND_TUMBLING)
		w->slide = w->size;
	w->origin = DatumGetTimestampTz(heap_getattr(tup, 8, desc, &isnull));
	w->delay = row_int64_or(tup, desc, 9, 0);
	w->lateness = row_int64_or(tup, desc, 10, 0);
	w->idle_timeout = row_int64_or(tup, desc, 11, 0);
	def = window_definition(w, tup, desc);
	w->wm = DatumGetTimestampTz(heap_getattr(tup, 13, desc, &isnull));
	w->has_wm = !isnull;
	w->open_windows = row_int64_or(tup, desc, 14, 0);
	w->final_windows = row_int64_or(tup, desc, 15, 0);
	w->late_merged = row_int64_or(tup, desc, 16, 0);
	w->late_dropped = row_int64_or(tup, desc, 17, 0);
	w->null_skipped = row_int64_or(tup, desc, 18, 0);
	w->gap = row_int64_or(tup, desc, 19, 0);
	w->count_n = row_int64_or(tup, desc, 20, 0);
	w->timeout = row_int64_or(tup, desc, 21, 0);
	w->swept = true;

	/* expressions: initialized as the owner, whose EXECUTE rights count */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(w->cxt);	/* SPI_connect left its own */
	sw_priv_begin_role(&ps, w->owner, w->search_path);
	w->estate = CreateExecutorState();
	w->econtext = CreateExprContext(w->estate);
	w->event_time = ExecInitExpr((Expr *) def->event_time, NULL);
	w->filter = def->filter ? ExecInitExpr((Expr *) def->filter, NULL) : NULL;
	w->ngroup = list_length(def->group_exprs);
	w->group = palloc(sizeof(ExprState *) * Max(w->ngroup, 1));
	w->gtype = palloc(sizeof(TypeCacheEntry *) * Max(w->ngroup, 1));
	w->gcoll = palloc(sizeof(Oid) * Max(w->ngroup, 1));
	w->keybuf = palloc(sizeof(Datum) * Max(w->ngroup, 1));
	w->keynulls = palloc(sizeof(bool) * Max(w->ngroup, 1));
	i = 0;
	foreach(lc, def->group_exprs)
	{
		Node	   *e = lfirst(lc);

		w->group[i] = ExecInitExpr((Expr *) e, NULL);
		w->gtype[i] = lookup_type_cache(exprType(e),
										TYPECACHE_HASH_PROC_FINFO | TYPECACHE_EQ_OPR_FINFO);
		w->gcoll[i] = exprCollation(e);
		i++;
	}
	w->naggs = list_length(def->aggs);
	w->aggs = palloc0(sizeof(SwAggregate) * w->naggs);
	w->arg_evaluated = palloc0(sizeof(bool) * Max(w->naggs, 1));
	w->arg_skip = palloc0(sizeof(bool) * Max(w->naggs, 1));
	w->actx = sw_agg_context_create(w->batch_cxt);
	i = 0;
	foreach(lc, def->aggs)
	{
		Aggref	   *aggref = lfirst_node(Aggref, lc);

		if (sw_proc_aclcheck(aggref->aggfnoid, w->owner, ACL_EXECUTE) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_AGGREGATE, get_func_name(aggref->aggfnoid));
		sw_agg_prepare(&w->aggs[i++], aggref, w->actx, w->estate);
	}
	w->nout = list_length(def->outputs);
	w->outputs = palloc(sizeof(ExprState *) * Max(w->nout, 1));
	w->outtypes = palloc(sizeof(Oid) * Max(w->nout, 1));
	w->outcontext = CreateExprContext(w->estate);
	w->outcontext->ecxt_param_exec_vals = palloc0(sizeof(ParamExecData) * Max(w->naggs, 1));
	i = 0;
	foreach(lc, def->outputs)
	{
		w->outtypes[i] = exprType(lfirst(lc));
		w->outputs[i++] = ExecInitExpr((Expr *) lfirst(lc), NULL);
	}

	sw_rows_create(w);
	w->pane = sw_pane_width(w);
	w->parts = palloc0(sizeof(PartState));
	w->wm_part = -1;
	w->nparts = 0;

	sw_writer_prepare(w, def);
	load_open_rows(w, def);
	sw_priv_end(&ps);
	SPI_finish();
	load_partitions(w);
	MemoryContextSwitchTo(old);
	return w;
}

typedef struct WindowRows
{
	List	   *rows;			/* HeapTuple copies */
	TupleDesc	desc;
} WindowRows;

static void
window_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	WindowRows *wr = arg;

	if (wr->desc == NULL)
		wr->desc = CreateTupleDescCopy(desc);
	wr->rows = lappend(wr->rows, heap_copytuple(tup));
}

/* The catalog rows of a source's running windows (or of one of them). */
static WindowRows
window_rows(int source_id, int only_window)
{
	static CatalogPlan plan = {
		"SELECT w.id, w.name, w.result, w.owner, w.kind,"
		" (extract(epoch FROM w.size) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8,"
		" (extract(epoch FROM w.slide) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8,"
		" w.origin,"
		" (extract(epoch FROM w.watermark_delay) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8,"
		" (extract(epoch FROM w.allowed_lateness) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8,"
		" (extract(epoch FROM w.idle_timeout) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8,"
		" w.definition, st.watermark, st.open_windows, st.final_windows,"
		" st.late_merged, st.late_dropped, st.null_time_skipped,"
		" (extract(epoch FROM w.gap) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8,"
		" w.count::pg_catalog.int8,"
		" (extract(epoch FROM w.timeout) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8,"
		" w.search_path, w.aggregates, w.group_by, w.event_time, w.filter, w.catversion"
		"  FROM sw.window w JOIN sw.window_state st ON st.window_id OPERATOR(pg_catalog.=) w.id"
		" WHERE w.source_id OPERATOR(pg_catalog.=) $1"
		"   AND ($2 OPERATOR(pg_catalog.=) 0 OR w.id OPERATOR(pg_catalog.=) $2)"
		"   AND st.state OPERATOR(pg_catalog.=) 'running'"
		" ORDER BY w.id",
		2, {INT4OID, INT4OID}
	};
	Datum		v[2] = {Int32GetDatum(source_id), Int32GetDatum(only_window)};
	WindowRows	wr = {NIL, NULL};

	(void) catalog_run_plan(&plan, v, NULL, SPI_OK_SELECT, window_row, &wr);
	return wr;
}

/*
 * In the worker, a window that cannot be loaded (its result table dropped
 * by hand, its stored state unreadable) is suspended, not the source:
 * build_window runs in a subtransaction.
 */
typedef struct BuildArgs
{
	HeapTuple	tup;
	TupleDesc	desc;
	SwEngine   *e;
	SwWindow   *w;
} BuildArgs;

static void
build_one(void *arg)
{
	BuildArgs  *ba = arg;

	ba->w = build_window(ba->tup, ba->desc, ba->e->staging, ba->e->cxt);
}

static SwWindow *
build_window_guarded(HeapTuple tup, TupleDesc desc, SwEngine *e)
{
	BuildArgs	ba = {tup, desc, e, NULL};
	ErrorData  *edata = sw_subxact_run(build_one, &ba);
	bool		isnull;

	if (edata == NULL)
		return ba.w;
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		ReThrowError(edata);
	catalog_suspend_window(DatumGetInt32(heap_getattr(tup, 1, desc, &isnull)),
						   psprintf("could not load window \"%s\": %s",
									SPI_getvalue(tup, desc, 2), edata->message));
	return NULL;
}

/* Build a window and check that it may run; NULL when it may not. */
static SwWindow *
load_window(SwEngine *e, HeapTuple tup, TupleDesc desc, SwLoadMode mode)
{
	SwWindow   *w;
	char	   *why;

	if (mode == SW_LOAD_WORKER)
		w = build_window_guarded(tup, desc, e);
	else
		w = build_window(tup, desc, e->staging, e->cxt);
	if (w == NULL)
		return NULL;
	w->load_mode = mode;
	/* a backfill applies what was staged before the window existed */
	if (mode == SW_LOAD_BACKFILL)
		for (int p = 0; p < w->nparts; p++)
			w->parts[p].start_offset = 0;
	if ((why = window_access_problem(w)) != NULL)
	{
		if (mode != SW_LOAD_WORKER)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("window \"%s\" cannot read its source", w->name),
					 errdetail("%s.", why)));
		sw_window_suspend(w, why);
	}
	return w;
}

SwEngine *
sw_engine_load(int source_id, int only_window, Oid staging, SwLoadMode mode,
			   MemoryContext cxt)
{
	SwEngine   *e = MemoryContextAllocZero(cxt, sizeof(SwEngine));
	MemoryContext old = MemoryContextSwitchTo(cxt);
	WindowRows	wr;
	ListCell   *lc;

	e->source_id = source_id;
	e->staging = staging;
	e->cxt = cxt;
	wr = window_rows(source_id, only_window);
	e->windows = MemoryContextAllocZero(cxt, sizeof(SwWindow *) * Max(list_length(wr.rows), 1));
	foreach(lc, wr.rows)
	{
		SwWindow   *w = load_window(e, (HeapTuple) lfirst(lc), wr.desc, mode);

		if (w != NULL)
			e->windows[e->nwindows++] = w;
	}
	MemoryContextSwitchTo(old);
	return e;
}

/* Kept plans live outside our memory contexts. */
static void
free_window(SwWindow *w)
{
	sw_writer_free(w);
}

/*
 * Window i again as the catalog and its result table have it: what it had
 * written, without what the current batch did to it in memory.  The window
 * may come back suspended (or not at all: dropped meanwhile).
 */
SwWindow *
sw_engine_reload_window(SwEngine *e, int i, SwLoadMode mode)
{
	SwWindow   *w = e->windows[i];
	MemoryContext old = MemoryContextSwitchTo(e->cxt);
	WindowRows	wr = window_rows(e->source_id, w->id);
	SwWindow   *fresh;

	free_window(w);
	MemoryContextDelete(w->cxt);
	MemoryContextDelete(w->batch_cxt);
	fresh = wr.rows == NIL ? NULL : load_window(e, linitial(wr.rows), wr.desc, mode);
	MemoryContextSwitchTo(old);
	if (fresh == NULL)
	{
		/* gone: keep a placeholder that does nothing */
		fresh = MemoryContextAllocZero(e->cxt, sizeof(SwWindow));
		fresh->suspended = true;
	}
	e->windows[i] = fresh;
	return fresh;
}

int
sw_engine_nwindows(SwEngine *e)
{
	return e == NULL ? 0 : e->nwindows;
}

SwWindow *
sw_engine_window(SwEngine *e, int i)
{
	return e->windows[i];
}

void
sw_engine_free(SwEngine *e)
{
	if (e == NULL)
		return;
	for (int i = 0; i < e->nwindows; i++)
		free_window(e->windows[i]);
}

bool
sw_engine_empty(SwEngine *e)
{
	return e == NULL || e->nwindows == 0;
}

int
sw_engine_version(SwEngine *e)
{
	return e->version;
}

static void
version_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;

	*(int *) arg = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
}

int
sw_windows_version_lock(int source_id)
{
	/* once per batch: parsed and planned once per worker */
	static CatalogPlan plan = {
		"SELECT windows_version FROM sw.source WHERE id OPERATOR(pg_catalog.=) $1",
		1, {INT4OID}
	};
	Datum		v[1] = {Int32GetDatum(source_id)};
	int			version = -1;

	/* after a create/drop/resume of a window in flight; before the next */
	sw_source_lock_windows(source_id, ShareLock);
	(void) catalog_run_plan(&plan, v, NULL, SPI_OK_SELECT, version_row, &version);
	return version;
}
