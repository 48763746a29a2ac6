/*-------------------------------------------------------------------------
 *
 * window_count.c
 *	  Count windows: every n events of a group key, in arrival order.
 *
 * Window window_seq = k of a key holds its events k*n + 1 ... (k + 1)*n,
 * taken in partition offset order; window_start and window_end are the
 * least and greatest event time in it.  A window is final and complete at
 * its n-th event.  With a timeout, an incomplete window becomes final with
 * is_complete = false once the watermark reaches the event time of its
 * first-arrived event plus the timeout, and the key's next event opens the
 * next window.  Count windows are never late: no event is dropped.
 *
 * A key has at most one open window, held in its KeyEntry together with
 * the next window_seq, which a restart reads back from the result table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"

#include "window_internal.h"

/* The W at which row times out; false if never (no timeout, complete). */
bool
sw_count_deadline(SwWindow *w, OpenRow *row, TimestampTz *deadline)
{
	return w->timeout > 0 && !row->complete &&
		!pg_add_s64_overflow(row->first_t, w->timeout, deadline);
}

bool
sw_count_timed_out(SwWindow *w, OpenRow *row)
{
	TimestampTz deadline;

	return w->has_wm && sw_count_deadline(w, row, &deadline) && w->wm >= deadline;
}

/* A count window is final (and closed) when complete or timed out. */
bool
sw_count_final(SwWindow *w, OpenRow *row)
{
	return row->complete || sw_count_timed_out(w, row);
}

void
sw_count_assign(SwWindow *w, TimestampTz t, int partition, int64 offset,
				bool *evaluated, bool *skip)
{
	KeyEntry   *entry = sw_key_entry(w, w->keybuf, w->keynulls);
	OpenRow    *row = entry->nrows > 0 ? entry->rows[0] : NULL;

	if (row != NULL && sw_count_timed_out(w, row))
	{
		/* it timed out before this event: written final, incomplete */
		sw_row_touch(w, row);
		sw_row_detach(entry, row);
		row = NULL;
	}
	if (row == NULL)
	{
		row = sw_row_new(w, entry, t, t);
		row->seq = entry->next_seq++;
		row->first_t = t;
	}
	sw_row_touch(w, row);
	sw_row_advance(w, row, evaluated, skip);
	row->nevents++;
	row->key.start = Min(row->key.start, t);
	row->end = Max(row->end, t);
	if (row->nevents >= w->count_n)
	{
		row->complete = true;
		sw_row_detach(entry, row);
	}
}
