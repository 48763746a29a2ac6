/*-------------------------------------------------------------------------
 *
 * window_due.c
 *	  The open rows of a window ordered by the watermark at which they next
 *	  change: a binary min-heap whose rows know their place in it.
 *
 * A row not final yet changes when W reaches its window_end (it becomes
 * final), a final row when W reaches window_end + allowed_lateness (it
 * closes), a count window with a timeout when W reaches its first event's
 * time + timeout.  When the watermark moves, the engine takes rows from
 * the top of the heap while their due time is at or below W, instead of
 * visiting every open row: the cost follows the rows that change, not the
 * rows that are open.  A row's due time changes when it is written (a
 * session extended, a row made final), and it leaves the heap when it is
 * freed; so the heap holds each open row at most once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "window_internal.h"

static void
put(SwWindow *w, int pos, OpenRow *row)
{
	w->due[pos] = row;
	row->due_pos = pos;
}

static void
sift_up(SwWindow *w, int pos)
{
	OpenRow    *row = w->due[pos];

	while (pos > 0)
	{
		int			parent = (pos - 1) / 2;

		if (w->due[parent]->due <= row->due)
			break;
		put(w, pos, w->due[parent]);
		pos = parent;
	}
	put(w, pos, row);
}

static void
sift_down(SwWindow *w, int pos)
{
	OpenRow    *row = w->due[pos];

	for (;;)
	{
		int			child = 2 * pos + 1;

		if (child >= w->ndue)
			break;
		if (child + 1 < w->ndue && w->due[child + 1]->due < w->due[child]->due)
			child++;
		if (row->due <= w->due[child]->due)
			break;
		put(w, pos, w->due[child]);
		pos = child;
	}
	put(w, pos, row);
}

void
sw_due_remove(SwWindow *w, OpenRow *row)
{
	int			pos = row->due_pos;
	OpenRow    *last;

	if (pos < 0)
		return;
	row->due_pos = -1;
	last = w->due[--w->ndue];
	if (last == row)
		return;
	put(w, pos, last);
	sift_down(w, pos);
	sift_up(w, last->due_pos);
}

void
sw_due_update(SwWindow *w, OpenRow *row)
{
	TimestampTz due;

	if (!sw_row_due(w, row, &due))
	{
		sw_due_remove(w, row);
		return;
	}
	if (row->due_pos >= 0)
	{
		TimestampTz old = row->due;

		row->due = due;
		if (due < old)
			sift_up(w, row->due_pos);
		else if (due > old)
			sift_down(w, row->due_pos);
		return;
	}
	if (w->ndue == w->maxdue)
	{
		w->maxdue = Max(64, w->maxdue * 2);
		w->due = w->due ? repalloc(w->due, sizeof(OpenRow *) * w->maxdue) :
			MemoryContextAlloc(w->cxt, sizeof(OpenRow *) * w->maxdue);
	}
	row->due = due;
	put(w, w->ndue++, row);
	sift_up(w, row->due_pos);
}

OpenRow *
sw_due_next(SwWindow *w)
{
	if (w->ndue == 0 || !w->has_wm || w->due[0]->due > w->wm)
		return NULL;
	return w->due[0];
}
