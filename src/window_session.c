/*-------------------------------------------------------------------------
 *
 * window_session.c
 *	  Session windows: an assigner with a merge step.
 *
 * Per group key, each event spans [t, t + gap).  It joins every session of
 * its key that is not closed and overlaps or touches its span (so two
 * events exactly gap apart share a session); if it touches several, they
 * merge into one: the partial aggregates combine, the merged row keeps the
 * earliest start and the latest end, replaces the rows it absorbed (they
 * are deleted) and starts from the largest of their revisions, plus one if
 * any of them was final at that moment.  An event touching no open session
 * starts one, unless its own span is already closed (t + gap + allowed
 * lateness <= W): then it is dropped into sw.late_events.  A merged
 * session is final again only once W reaches its new end.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "window_internal.h"
#include "window_time.h"

void
sw_session_assign(SwWindow *w, TimestampTz t, int partition, int64 offset,
				  bool *evaluated, bool *skip)
{
	TimestampTz span_end = sw_time_add(t, w->gap);
	KeyEntry   *entry = sw_key_entry(w, w->keybuf, w->keynulls);
	OpenRow    *target = NULL;
	int32		max_revision = 0;
	bool		any_final = false;

	/* every open session of the key that overlaps or touches [t, t + gap) */
	for (int i = entry->nrows - 1; i >= 0; i--)
	{
		OpenRow    *row = entry->rows[i];

		if (sw_is_closed(w, row->end) || row->key.start > span_end || t > row->end)
			continue;
		max_revision = Max(max_revision, row->revision + row->rev_incr);
		if (sw_is_final_at(w, row->end))
			any_final = true;
		if (target == NULL)
		{
			target = row;
			sw_row_touch(w, target);
			continue;
		}
		/* entry->rows[i] is removed by the absorption: i stays valid */
		target->key.start = Min(target->key.start, row->key.start);
		target->end = Max(target->end, row->end);
		sw_row_absorb(w, target, row);
	}

	if (target == NULL)
	{
		if (sw_is_closed(w, span_end))
		{
			sw_row_late(w, partition, offset, t);
			return;
		}
		target = sw_row_new(w, entry, t, span_end);
		sw_row_touch(w, target);
		if (sw_is_final_at(w, span_end))
		{
			target->rev_incr++; /* created already final */
			w->late_merged++;
			w->state_dirty = true;
		}
	}
	else
	{
		target->key.start = Min(target->key.start, t);
		target->end = Max(target->end, span_end);
		target->revision = max_revision + (any_final ? 1 : 0);
		target->rev_incr = 0;
		if (any_final)
		{
			w->late_merged++;
			w->state_dirty = true;
		}
	}
	sw_row_advance(w, target, evaluated, skip);
}
