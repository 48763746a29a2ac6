/*-------------------------------------------------------------------------
 *
 * window_internal.h
 *	  The window engine's inner structures, shared by the engine
 *	  (window_engine.c), the store of open rows (open_rows.c) and their due
 *	  heap (window_due.c), the writer of result rows (result_writer.c) and
 *	  the window kinds (window_hop.c, window_session.c, window_count.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_WINDOW_INTERNAL_H
#define SW_WINDOW_INTERNAL_H

#include "executor/spi.h"
#include "lib/ilist.h"
#include "nodes/execnodes.h"
#include "utils/hsearch.h"
#include "utils/typcache.h"

#include "window.h"
#include "window_agg.h"

typedef struct PartState
{
	int64		start_offset;	/* events below it predate the window */
	bool		seen;			/* delivered an event with a time */
	TimestampTz max_t;
	TimestampTz last_at;		/* worker clock of the last such event */
	bool		idle;
	bool		dirty;
	bool		drained;		/* no event yet, and none left below the broker's
								 * high watermark (sw_engine_partitions) */
	TimestampTz known_at;		/* worker clock when first known without an event */
} PartState;

/* The kinds of write, in the order a batch runs them; then the one read. */
typedef enum SwWriteKind
{
	SW_WRITE_DELETE,			/* a session absorbed into another */
	SW_WRITE_UPDATE,			/* new aggregates */
	SW_WRITE_MARK,				/* made final or closed by the watermark */
	SW_WRITE_INSERT,
	SW_READ_LAST_SEQ			/* count windows: keys' last window_seq */
} SwWriteKind;
#define SW_WRITE_KINDS 4		/* the writes: the kinds before the read */

typedef struct OpenRowKey
{
	TimestampTz start;
	Datum	   *keys;
	bool	   *nulls;
} OpenRowKey;

typedef struct OpenRow
{
	OpenRowKey	key;			/* hash key: must be first */
	TimestampTz end;
	bool		exists;			/* in the result table */
	TimestampTz stored_start;	/* its bounds there: with the key and */
	TimestampTz stored_end;		/* window_seq, what finds it (result_writer.c) */
	bool		is_final;
	int32		revision;
	TimestampTz due;			/* when W next changes it (window_due.c) */
	int			due_pos;		/* its place in the due heap, -1: none */
	Datum	   *stored;			/* partial aggregates as stored */
	bool	   *stored_null;
	/* count windows */
	int64		seq;			/* window_seq */
	int64		nevents;
	TimestampTz first_t;		/* event time of its first-arrived event */
	bool		complete;
	/* sessions and counts live in a KeyEntry, not in the rows hash */
	struct KeyEntry *entry;
	/* this batch */
	bool		touched;
	bool		bfull;			/* bstate holds the whole state, stored included */
	bool		dead;			/* absorbed into another row: deleted */
	Datum	   *bstate;
	bool	   *bnull;
	int32		rev_incr;
	struct OpenRow *next_touched;
} OpenRow;

typedef struct LateEvent
{
	int			partition;
	int64		offset;
	TimestampTz t;
	TimestampTz wm;
	struct LateEvent *next;
} LateEvent;

typedef struct SwWindow
{
	int			id;
	char	   *name;
	Oid			result;			/* the result table */
	char	   *result_sql;		/* quoted, qualified result table */
	Oid			owner;			/* the result table's owner: runs the window */
	char	   *search_path;	/* the owner's, when the window was created */
	Oid			staging;		/* the source's staging table */
	bool		suspended;		/* out of the engine until reloaded */
	SwLoadMode	load_mode;		/* who runs it: the worker suspends, others ERROR */
	int64		nrows;			/* rows in memory (not closed) */
	int32		cur_partition;	/* the event being applied, for its errors */
	int64		cur_offset;
	SwWindowKind kind;
	int64		size;
	int64		slide;
	int64		delay;
	int64		lateness;
	int64		idle_timeout;	/* 0: none */
	int64		gap;			/* session */
	int64		count_n;		/* count */
	int64		timeout;		/* count, 0: none */
	TimestampTz origin;

	ExprState  *event_time;
	ExprState  *filter;
	int			ngroup;
	ExprState **group;
	TypeCacheEntry **gtype;
	Oid		   *gcoll;
	int			naggs;
	SwAggregate *aggs;
	bool	   *arg_evaluated;	/* per aggregate, for the current event */
	bool	   *arg_skip;
	SwAggContext *actx;
	int			nout;			/* result columns computed from the aggregates */
	ExprState **outputs;
	Oid		   *outtypes;
	ExprContext *outcontext;	/* its params are the aggregates' results */
	EState	   *estate;
	ExprContext *econtext;

	MemoryContext cxt;			/* open rows, for the window's life */
	MemoryContext batch_cxt;	/* partial aggregates of this batch */
	HTAB	   *rows;			/* tumbling, sliding: by (start, key) */
	int64		pane;			/* sliding: width of the panes its events are
								 * aggregated in (window_panes.c), or 0 */
	HTAB	   *panes;			/* this batch's SwPane, in batch_cxt, or NULL */
	bool		careful;		/* applied event by event (window_isolation.c):
								 * no panes, each event's errors its own */
	HTAB	   *keyidx;			/* session, count: by key */
	OpenRow    *touched;
	LateEvent  *late;
	Datum	   *keybuf;
	bool	   *keynulls;

	int			nparts;
	PartState  *parts;
	bool		has_wm;
	TimestampTz wm;
	int			wm_part;		/* the partition that decides W; -1: unknown */
	bool		state_dirty;
	bool		swept;			/* rows checked against wm since it moved */
	OpenRow   **due;			/* open rows by due time: a min-heap */
	int			ndue;
	int			maxdue;
	int64		open_windows;
	int64		final_windows;
	int64		late_merged;
	int64		late_dropped;
	int64		null_skipped;

	/* the writes of a batch, by kind: strict, and for NULL keys (result_writer.c) */
	struct RowBatch *writes[SW_WRITE_KINDS][2];
	/* count windows: the read of keys' last window_seq, strict and NULL-safe */
	struct RowBatch *last_seq[2];
	List	   *seq_unknown;	/* KeyEntry: keys whose next window_seq is
								 * relative until read (this batch) */
	dlist_head	idle_keys;		/* count windows: KeyEntry without rows that
								 * still knows its next window_seq, oldest
								 * first, at most SW_IDLE_KEYS of them */
	int			nidle;
} SwWindow;

typedef struct RowBatch
{
	SwWriteKind kind;
	char	   *sql;
	SPIPlanPtr	plan;
	FmgrInfo  **astext;			/* per column: its output function when it
								 * travels as text (no array type), else NULL */
	int			ncols;
	Oid		   *types;
	int16	   *typlen;
	bool	   *typbyval;
	char	   *typalign;
	List	   *pending;		/* PendingRow, this batch */
	int			npending;
} RowBatch;

/* A group key's open rows: sessions, or a count window and its sequence. */
typedef struct KeyEntry
{
	OpenRowKey	key;			/* hash key (start unused): must be first */
	int			nrows;
	int			maxrows;
	OpenRow   **rows;
	int64		next_seq;		/* count windows: the next window_seq, relative
								 * to the key's last one in the result table
								 * until seq_known */
	bool		seq_known;
	bool		seq_queued;		/* in the window's seq_unknown list */
	bool		idle;			/* in the window's idle_keys */
	dlist_node	idle_node;
} KeyEntry;

/*
 * Count windows keep this many keys without an open window in memory, with
 * their next window_seq, so that a key coming back soon numbers on without
 * reading the result table; older ones are forgotten (about 200 bytes a
 * key: memory stays bounded whatever the number of keys seen).
 */
#define SW_IDLE_KEYS	10000

/*
 * A sliding window's partial aggregates of one pane (gcd(size, slide) wide)
 * and group key over the current batch, combined into the pane's windows
 * at the end of the batch (window_panes.c).
 */
typedef struct SwPane
{
	OpenRowKey	key;			/* hash key (start: the pane's): must be first */
	uint32		keyhash;		/* sw_keys_hash of the key */
	Datum	   *state;			/* per aggregate, in batch_cxt */
	bool	   *null;
} SwPane;

/* open_rows.c: the store of open rows */
extern void sw_rows_create(SwWindow *w);
/* keyhash: sw_keys_hash of keys, computed once for all of an event's windows */
extern uint32 sw_keys_hash(SwWindow *w, Datum *keys, bool *nulls);
extern OpenRow *sw_row_lookup(SwWindow *w, TimestampTz start, TimestampTz end,
							  Datum *keys, bool *nulls, uint32 keyhash);
extern SwPane *sw_pane_lookup(SwWindow *w, TimestampTz start, Datum *keys,
							  bool *nulls, uint32 keyhash, bool *found);
extern KeyEntry *sw_key_entry(SwWindow *w, Datum *keys, bool *nulls);
extern OpenRow *sw_row_new(SwWindow *w, KeyEntry *entry, TimestampTz start,
						   TimestampTz end);
extern void sw_row_detach(KeyEntry *entry, OpenRow *row);
extern void sw_row_free(SwWindow *w, OpenRow *row);

/* window_engine.c, for the window kinds */
extern bool sw_is_closed(SwWindow *w, TimestampTz end);
extern bool sw_row_due(SwWindow *w, OpenRow *row, TimestampTz *due);
extern bool sw_close_at(SwWindow *w, TimestampTz end, TimestampTz *limit);
extern bool sw_is_final_at(SwWindow *w, TimestampTz end);
extern void sw_row_touch(SwWindow *w, OpenRow *row);
extern void sw_row_advance(SwWindow *w, OpenRow *row, bool *evaluated, bool *skip);
extern void sw_states_advance(SwWindow *w, Datum *states, bool *nulls,
							  bool *evaluated, bool *skip);
extern void sw_row_touch_partial(SwWindow *w, OpenRow *row);
extern void sw_row_accumulate(SwWindow *w, OpenRow *row, bool *evaluated, bool *skip);
extern void sw_row_absorb(SwWindow *w, OpenRow *into, OpenRow *row);
extern void sw_row_late(SwWindow *w, int partition, int64 offset, TimestampTz t);
extern void sw_row_write(SwWindow *w, OpenRow *row);

/* window_panes.c: sliding windows aggregate their events per pane */
extern int64 sw_pane_width(SwWindow *w);
extern void sw_pane_accumulate(SwWindow *w, TimestampTz t, uint32 keyhash,
							   bool *evaluated, bool *skip);
extern void sw_panes_fold(SwWindow *w);

/* window_engine.c, for window_isolation.c */
extern int	sw_engine_nwindows(SwEngine *e);
extern SwWindow *sw_engine_window(SwEngine *e, int i);
extern SwWindow *sw_engine_reload_window(SwEngine *e, int i, SwLoadMode mode);
extern void sw_window_check_event(SwWindow *w, const SwEvent *ev);
extern void sw_window_apply_event(SwWindow *w, const SwEvent *ev, TimestampTz now);
extern void sw_window_end_batch(SwWindow *w, TimestampTz now);
extern void sw_window_check_size(SwWindow *w);
extern void sw_window_suspend(SwWindow *w, const char *why);

/* window_isolation.c, for the engine */
extern ErrorData *sw_subxact_run(void (*fn) (void *arg), void *arg);
extern void sw_engine_end_window_guarded(SwEngine *e, int i, TimestampTz now);

/* result_writer.c */
extern void sw_writer_prepare(SwWindow *w, SwDefinition *def);
extern void sw_writer_queue(SwWindow *w, SwWriteKind kind, OpenRow *row,
							const Datum *values, const bool *isnull, int nvalues);
extern void sw_writer_flush(SwWindow *w);
extern void sw_writer_last_seqs(SwWindow *w, int n, OpenRowKey *keys, int64 *last);
extern void sw_writer_free(SwWindow *w);

/* window_due.c */
extern void sw_due_update(SwWindow *w, OpenRow *row);
extern void sw_due_remove(SwWindow *w, OpenRow *row);
extern OpenRow *sw_due_next(SwWindow *w);

/* window_hop.c */
extern void sw_hop_assign(SwWindow *w, TimestampTz t, int partition, int64 offset,
						  bool *evaluated, bool *skip);

/* window_session.c */
extern void sw_session_assign(SwWindow *w, TimestampTz t, int partition, int64 offset,
							  bool *evaluated, bool *skip);
/* window_count.c */
extern void sw_count_number(SwWindow *w);
extern void sw_count_assign(SwWindow *w, TimestampTz t, int partition, int64 offset,
							bool *evaluated, bool *skip);
extern bool sw_count_final(SwWindow *w, OpenRow *row);
extern bool sw_count_timed_out(SwWindow *w, OpenRow *row);
extern bool sw_count_deadline(SwWindow *w, OpenRow *row, TimestampTz *deadline);

#endif							/* SW_WINDOW_INTERNAL_H */
