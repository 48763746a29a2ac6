/*-------------------------------------------------------------------------
 *
 * window_hop.c
 *	  Tumbling and sliding windows: an event goes to every window
 *	  [start, start + size) that holds its time, starts aligned to the
 *	  origin every slide (a tumbling window is a sliding one whose slide is
 *	  its size).
 *
 * Each window is judged against the watermark as it stood before the
 * event: a closed window (window_end + allowed_lateness <= W) drops it
 * into sw.late_events; otherwise it is accumulated into the row's partial
 * aggregate for this batch, and counts as a revision when the row is
 * final at that moment (W >= window_end).  A sliding window's event whose
 * windows are all still open goes to its pane instead (window_panes.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "window_internal.h"
#include "window_time.h"

void
sw_hop_assign(SwWindow *w, TimestampTz t, int partition, int64 offset,
			  bool *evaluated, bool *skip)
{
	int64		k,
				last_k;
	uint32		keyhash = sw_keys_hash(w, w->keybuf, w->keynulls);

	sw_hop_range(t, w->size, w->slide, w->origin, &k, &last_k);
	/* none of its windows final (the earliest ends first): to its pane */
	if (w->pane > 0 && !w->careful && k <= last_k &&
		!sw_is_final_at(w, sw_time_add(sw_hop_start(w->origin, k, w->slide), w->size)))
	{
		sw_pane_accumulate(w, t, keyhash, evaluated, skip);
		return;
	}
	for (; k <= last_k; k++)
	{
		TimestampTz start = sw_hop_start(w->origin, k, w->slide);
		TimestampTz end = sw_time_add(start, w->size);
		OpenRow    *row;

		if (sw_is_closed(w, end))
		{
			sw_row_late(w, partition, offset, t);
			continue;
		}
		row = sw_row_lookup(w, start, end, w->keybuf, w->keynulls, keyhash);
		sw_row_accumulate(w, row, evaluated, skip);
		if (w->has_wm && w->wm >= end)
		{
			row->rev_incr++;	/* merged into a final row */
			w->late_merged++;
			w->state_dirty = true;
		}
	}
}
