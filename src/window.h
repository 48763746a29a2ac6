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
	List	   *analyzed;		/* the fragments as analyzed, before planning
								 * inlined SQL functions: for dependencies
								 * only, not stored */
} SwDefinition;

extern char *sw_definition_to_string(SwDefinition *def);

/*
 * Record that a result table depends on what its definition uses (the
 * staging table's columns, functions, operators, types): window_admin.c.
 */
extern void sw_record_window_dependencies(Oid result, Oid staging, SwDefinition *def);

/* The definition analyzed again from its SQL fragments (window_admin.c). */
extern SwDefinition *sw_analyze_definition_text(Oid staging, const char *aggregates,
												const char *group_by,
												const char *event_time,
												const char *filter);
extern SwDefinition *sw_definition_from_string(const char *str);

/* All windows of one source, as the worker (or a backfill) runs them. */
typedef struct SwEngine SwEngine;

/* Who loads an engine, and so what happens to a window that may not run. */
typedef enum SwLoadMode
{
	SW_LOAD_WORKER,				/* the source's worker: such a window is suspended */
	SW_LOAD_BACKFILL,			/* sw.create_window: ERROR; it starts at offset 0 */
	SW_LOAD_RESUME				/* sw.resume_window: ERROR */
} SwLoadMode;

/*
 * Load the running windows of a source (inside a transaction);
 * only_window, when not 0, loads just that window.  Allocated in cxt.
 */
extern SwEngine *sw_engine_load(int source_id, int only_window, Oid staging,
								SwLoadMode mode, MemoryContext cxt);
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

/*
 * What the worker knows of the partitions (see window_engine.c): drained[p]
 * when partition p's position has reached the broker's high watermark.
 */
extern void sw_engine_partitions(SwEngine *e, int npartitions, const bool *drained,
								 TimestampTz now);

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
 * The same events, applied with each window's errors kept to itself
 * (window_isolation.c): an event that fails in a window's code is skipped
 * by that window and recorded in sw.window_errors; a window whose batch
 * cannot be written is suspended.  Ends the batch of every window (no
 * sw_engine_end_batch after it).  For a batch that failed as a whole, run
 * again from its start in a fresh transaction with a freshly loaded
 * engine.
 */
extern void sw_engine_apply_isolated(SwEngine *e, const SwEvent *events, int nevents,
									 TimestampTz now, SwLoadMode mode);

/*
 * A chunk applied and written (like sw_engine_apply + sw_engine_end_batch),
 * falling back to sw_engine_apply_isolated when that fails: for backfill
 * and resume, which write a chunk at a time.
 */
extern void sw_engine_apply_chunk(SwEngine *e, const SwEvent *events, int nevents,
								  TimestampTz now, SwLoadMode mode);

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
