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
 * A key's windows of this batch are held in its KeyEntry (at most one of
 * them open) together with the next window_seq.  A key whose last window
 * closed waits among the window's idle keys (at most SW_IDLE_KEYS, the
 * oldest leaves first) and numbers on from memory if it comes back before
 * it leaves: keys ever seen cost nothing but that bounded list.  When a
 * forgotten key comes back, its window_seq numbers on from the greatest
 * one in the result table: its windows are counted from zero during the
 * batch and shifted once that greatest one has been read, one statement
 * for all such keys of the batch, before the batch's rows are written
 * (sw_count_number).
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

/* The key's open window: the one neither complete nor timed out, or NULL. */
static OpenRow *
open_window(SwWindow *w, KeyEntry *entry)
{
	for (int i = entry->nrows - 1; i >= 0; i--)
	{
		OpenRow    *row = entry->rows[i];

		if (row->complete)
			continue;
		if (sw_count_timed_out(w, row))
		{
			/* it timed out before this event: written final, incomplete */
			sw_row_touch(w, row);
			continue;
		}
		return row;
	}
	return NULL;
}

void
sw_count_assign(SwWindow *w, TimestampTz t, int partition, int64 offset,
				bool *evaluated, bool *skip)
{
	KeyEntry   *entry = sw_key_entry(w, w->keybuf, w->keynulls);
	OpenRow    *row = open_window(w, entry);

	if (row == NULL)
	{
		row = sw_row_new(w, entry, t, t);
		row->seq = entry->next_seq++;
		row->first_t = t;
		if (!entry->seq_known && !entry->seq_queued)
		{
			MemoryContext old = MemoryContextSwitchTo(w->batch_cxt);

			w->seq_unknown = lappend(w->seq_unknown, entry);
			entry->seq_queued = true;
			MemoryContextSwitchTo(old);
		}
	}
	sw_row_touch(w, row);
	sw_row_advance(w, row, evaluated, skip);
	row->nevents++;
	row->key.start = Min(row->key.start, t);
	row->end = Max(row->end, t);
	if (row->nevents >= w->count_n)
		row->complete = true;
}

/*
 * Before the batch's rows are written (inside SPI, as the window's owner):
 * the windows of keys that came back number on from their last window_seq
 * in the result table.
 */
void
sw_count_number(SwWindow *w)
{
	int			n = list_length(w->seq_unknown);
	OpenRowKey *keys;
	int64	   *last;
	ListCell   *lc;

	if (n == 0)
		return;
	keys = palloc(sizeof(OpenRowKey) * n);
	last = palloc(sizeof(int64) * n);
	foreach(lc, w->seq_unknown)
		keys[foreach_current_index(lc)] = ((KeyEntry *) lfirst(lc))->key;
	sw_writer_last_seqs(w, n, keys, last);
	foreach(lc, w->seq_unknown)
	{
		KeyEntry   *entry = lfirst(lc);
		int64		base = last[foreach_current_index(lc)] + 1;

		/* every window of the key in memory was opened in this batch */
		for (int i = 0; i < entry->nrows; i++)
			entry->rows[i]->seq += base;
		entry->next_seq += base;
		entry->seq_known = true;
		entry->seq_queued = false;
	}
	w->seq_unknown = NIL;		/* (in batch_cxt) */
}
