/*-------------------------------------------------------------------------
 *
 * window_panes.c
 *	  Sliding windows aggregate each event once, in its pane, and combine
 *	  the panes into their windows at the end of the batch.
 *
 * An event of a sliding window lies in size/slide windows; feeding it to
 * each of their rows costs a lookup and a transition call per window and
 * aggregate.  Panes are gcd(size, slide) wide on the windows' grid, so the
 * windows holding an event are exactly the windows holding the start of
 * its pane (as for sw.hop in a query, adhoc_panes.c).  When none of an
 * event's windows is final yet (the usual case: W has not reached the end
 * of the earliest one), nothing about it depends on which windows it
 * reaches but their rows' states, and it is accumulated into the batch's
 * partial state of its (pane, group key); sw_panes_fold combines each pane
 * into its windows' rows before they are written.  An event with a final
 * or closed window (a late one) takes the per-window path of window_hop.c,
 * which counts revisions and drops.
 *
 * Combining reorders a row's inputs, so panes are used only when every
 * aggregate gives the same result in any order: count, sum and avg over
 * integers and numeric, min, max, bool_and, bool_or, every, bit_and,
 * bit_or and bit_xor (built-in ones only; sum and avg over floating point
 * would round differently).  And not in careful mode (window_isolation.c),
 * where an error must be traced to the event that raised it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_namespace.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"

#include "window_internal.h"
#include "window_time.h"

/* Does aggfnoid give the same result whatever the order of its inputs? */
static bool
order_free(Oid aggfnoid)
{
	char	   *name;
	bool		result;

	switch (aggfnoid)
	{
		case F_COUNT_:
		case F_COUNT_ANY:
		case F_SUM_INT2:
		case F_SUM_INT4:
		case F_SUM_INT8:
		case F_SUM_NUMERIC:
		case F_AVG_INT2:
		case F_AVG_INT4:
		case F_AVG_INT8:
		case F_AVG_NUMERIC:
		case F_BOOL_AND:
		case F_BOOL_OR:
		case F_EVERY:
		case F_BIT_AND_INT2:
		case F_BIT_AND_INT4:
		case F_BIT_AND_INT8:
		case F_BIT_OR_INT2:
		case F_BIT_OR_INT4:
		case F_BIT_OR_INT8:
		case F_BIT_XOR_INT2:
		case F_BIT_XOR_INT4:
		case F_BIT_XOR_INT8:
			return true;
	}
	/* min and max over any built-in type */
	if (aggfnoid >= FirstGenbkiObjectId ||
		get_func_namespace(aggfnoid) != PG_CATALOG_NAMESPACE)
		return false;
	name = get_func_name(aggfnoid);
	result = name != NULL && (strcmp(name, "min") == 0 || strcmp(name, "max") == 0);
	if (name)
		pfree(name);
	return result;
}

/* The pane width of window w, or 0 when its events go to each window. */
int64
sw_pane_width(SwWindow *w)
{
	if (w->kind != SW_KIND_SLIDING || w->slide >= w->size)
		return 0;				/* one window an event at most */
	for (int i = 0; i < w->naggs; i++)
		if (!order_free(w->aggs[i].aggfnoid))
			return 0;
	return sw_gcd_usecs(w->size, w->slide);
}

/*
 * Feed the current event (time t, group key in w->keybuf) into its pane;
 * the caller has checked that none of its windows is final.
 */
void
sw_pane_accumulate(SwWindow *w, TimestampTz t, uint32 keyhash,
				   bool *evaluated, bool *skip)
{
	bool		found;
	SwPane	   *pane = sw_pane_lookup(w, sw_tumble_start(t, w->pane, w->origin),
									  w->keybuf, w->keynulls, keyhash, &found);

	if (!found)
	{
		for (int i = 0; i < w->naggs; i++)
			sw_agg_init(&w->aggs[i], w->actx, &pane->state[i], &pane->null[i]);
	}
	sw_states_advance(w, pane->state, pane->null, evaluated, skip);
}

/* Combine every pane of the batch into the rows of its windows. */
void
sw_panes_fold(SwWindow *w)
{
	HASH_SEQ_STATUS seq;
	SwPane	   *pane;

	if (w->panes == NULL)
		return;
	hash_seq_init(&seq, w->panes);
	while ((pane = hash_seq_search(&seq)) != NULL)
	{
		int64		k,
					last_k;

		sw_hop_range(pane->key.start, w->size, w->slide, w->origin, &k, &last_k);
		for (; k <= last_k; k++)
		{
			TimestampTz start = sw_hop_start(w->origin, k, w->slide);
			OpenRow    *row = sw_row_lookup(w, start, sw_time_add(start, w->size),
											pane->key.keys, pane->key.nulls,
											pane->keyhash);

			sw_row_touch_partial(w, row);
			for (int i = 0; i < w->naggs; i++)
				sw_agg_combine_copy(&w->aggs[i], w->actx, &row->bstate[i], &row->bnull[i],
									pane->state[i], pane->null[i]);
		}
	}
	w->panes = NULL;			/* its memory goes with the batch's */
}
