/*-------------------------------------------------------------------------
 *
 * window.h
 *	  Continuous windows: the definition create_window analyzes, and the
 *	  engine a source worker runs for every window of its source.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_WINDOW_H
#define SW_WINDOW_H

#include "datatype/timestamp.h"
#include "executor/tuptable.h"
#include "nodes/pg_list.h"

typedef enum SwWindowKind
{
	SW_KIND_TUMBLING,
	SW_KIND_SLIDING,
	SW_KIND_SESSION,
	SW_KIND_COUNT
} SwWindowKind;

/* The analyzed fragments of a definition (stored with nodeToString). */
typedef struct SwDefinition
{
	Node	   *event_time;		/* timestamptz expression */
	Node	   *filter;			/* boolean expression, or NULL */
	List	   *group_exprs;
	List	   *group_names;	/* String nodes */
	List	   *aggs;			/* Aggref nodes, each computed once */
	List	   *outputs;		/* result columns: expressions over the
								 * aggregates, each Aggref replaced by a
								 * PARAM_EXEC Param numbered like aggs */
	List	   *agg_names;		/* String nodes, one per output */
} SwDefinition;

extern char *sw_definition_to_string(SwDefinition *def);
extern SwDefinition *sw_definition_from_string(const char *str);

/* All windows of one source, as the worker (or a backfill) runs them. */
typedef struct SwEngine SwEngine;

/*
 * Load the windows of a source (inside a transaction); only_window, when
 * not 0, loads just that window (backfill).  Allocated in cxt.  A window
 * whose owner may not read staging any more is suspended (see
 * sw_engine_check_access); for only_window that is an ERROR.
 */
extern SwEngine *sw_engine_load(int source_id, int only_window, Oid staging,
								MemoryContext cxt);
/* Release what outlives the engine's memory context (its kept plans). */
extern void sw_engine_free(SwEngine *e);
extern bool sw_engine_empty(SwEngine *e);
extern int	sw_engine_version(SwEngine *e);

/*
 * At the start of a batch and on every tick: suspend (state 'error', in
 * this transaction) every window whose owner may no longer read the
 * staging table, or to which row-level security on it now applies.  True
 * when a result table changed owner (or went): reload the engine.
 */
extern bool sw_engine_check_access(SwEngine *e);

/* One staged event. */
typedef struct SwEvent
{
	TupleTableSlot *slot;
	int32		partition;
	int64		offset;
} SwEvent;

/*
 * Staged events, in partition offset order; now is the worker's clock.
 * Each window takes all of them in one turn, as its owner.
 */
extern void sw_engine_apply(SwEngine *e, const SwEvent *events, int nevents,
							TimestampTz now);

/* Write what the batch changed (result rows, watermarks, counters). */
extern void sw_engine_end_batch(SwEngine *e, TimestampTz now);

/*
 * Between batches (at least once a second): idle partitions and
 * sw.advance_watermark requests.  Runs its own transaction when needed.
 */
extern void sw_engine_tick(SwEngine *e, TimestampTz now);

/* The version of the source's window set, read with a lock that orders it after create_window/drop_window. */
extern int	sw_windows_version_lock(int source_id);

/* Drop a window, its result table and its late events (sw.drop_source too). */
extern void sw_drop_window_by_id(int id, int source_id, Oid result, const char *name);

#endif							/* SW_WINDOW_H */
