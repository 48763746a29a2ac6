/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  Reading and writing the extension's own tables (sw.source,
 *	  sw.source_offset, sw.dead_letters) from the workers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_CATALOG_H
#define SW_CATALOG_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"

#include "kafka.h"

/* The extension version whose SQL objects this library serves. */
#define SW_EXTENSION_VERSION "0.2"

typedef struct SourceDef
{
	int			id;
	char	   *name;
	Oid			staging;
	char	   *brokers;
	char	   *topic;
	char	   *format;
	char	   *start_from;
	int64		retention_usecs;
	bool		paused;
	Oid			owner;			/* the staging table's owner */
	SwKafkaOptions options;
} SourceDef;

/* Called for each row of a result, in the caller's memory context. */
typedef void (*CatalogRowFn) (void *arg, HeapTuple tup, TupleDesc desc);

/* A statement prepared once per process, on first use (see catalog_run_plan). */
typedef struct CatalogPlan
{
	const char *sql;
	int			nargs;
	Oid			types[8];
	void	   *plan;			/* SPIPlanPtr, kept */
} CatalogPlan;

/*
 * Run one statement: as the bootstrap superuser on the extension's own
 * tables when role is InvalidOid, else as role (a staging or result table's
 * owner).  Restricted, search_path pinned; ERROR unless SPI returns
 * expected.  Returns the number of rows processed.
 */
extern uint64 catalog_run(Oid role, const char *sql, int nargs, Oid *types,
						  Datum *values, const char *nulls, int expected,
						  CatalogRowFn fn, void *arg);
/* The same for a kept plan on the extension's own tables. */
extern uint64 catalog_run_plan(CatalogPlan *plan, Datum *values, const char *nulls,
							   int expected, CatalogRowFn fn, void *arg);

/* All of these run inside a transaction, with SPI managed here. */
extern SourceDef *catalog_load_source(int source_id);

/* next_offset and staged_from per partition; -1 where no row exists yet */
extern void catalog_load_offsets(int source_id, int npartitions,
								 int64 *next_offset, int64 *staged_from);
extern void catalog_insert_offset(int source_id, int partition, int64 offset);

/*
 * Move next_offset from old to new for several partitions in one
 * statement; ERROR if another session changed any of them.
 */
extern void catalog_advance_offsets(int source_id, int n, const int *partitions,
									const int64 *old_offsets, const int64 *new_offsets);
/*
 * Retention: delete the staged rows below below[p] (as owner) that lie in
 * blocks [from_block, to_block) of the staging table, in one pass; and
 * raise staged_from to below if asked.
 */
extern void catalog_retain(Oid staging, Oid owner, int source_id, int npartitions,
						   const int64 *below, BlockNumber from_block,
						   BlockNumber to_block, bool raise_staged_from);
/* Raise staged_from (retention, dead-letter ranges). */
extern void catalog_raise_staged_from(int source_id, int partition, int64 offset);

extern void catalog_dead_letter(const char *source_name, int partition,
								int64 offset, int64 offset_end,
								const char *key, int keylen,
								const char *payload, size_t len,
								const char *error);

/*
 * The dead letters of one batch, written by catalog_dead_letters in one
 * statement: per message its partition, offset, key (or NULL), payload and
 * error, all as Datums (key and payload may be NULL).
 */
typedef struct CatalogDeadLetters
{
	int			n;
	int			max;
	Datum	   *partition;
	Datum	   *offset;
	Datum	   *key;
	bool	   *key_null;
	Datum	   *payload;
	bool	   *payload_null;
	Datum	   *error;
} CatalogDeadLetters;

extern void catalog_dead_letters_add(CatalogDeadLetters *dl, int partition, int64 offset,
									 const char *key, int keylen,
									 const char *payload, size_t len, const char *error);
extern void catalog_dead_letters(const char *source_name, CatalogDeadLetters *dl);

/* Highest kafka_offset staged per partition; -1 where none. */
extern void catalog_staged_max(Oid staging, Oid owner, int npartitions, int64 *max_offset);

/* catalog_run on the extension's own tables, without nulls or rows. */
extern void catalog_exec(const char *sql, int nargs, Oid *types, Datum *values, int expected);

/* Arrays as parameters of the statements above and of other SPI calls */
extern Datum catalog_int4_array(int n, const int *values);
extern Datum catalog_int8_array(int n, const int64 *values);

/* What a window's batch changed besides its result rows (Datum arrays). */
typedef struct CatalogWindowSave
{
	int			window_id;
	const char *window_name;
	/* late events: int4, int8, timestamptz, timestamptz */
	int			nlate;
	Datum	   *late_partition;
	Datum	   *late_offset;
	Datum	   *late_time;
	Datum	   *late_watermark;
	/* partitions whose state moved: int4, int8, timestamptz, timestamptz, bool */
	int			nparts;
	Datum	   *part;
	Datum	   *start_offset;
	Datum	   *max_time;
	Datum	   *last_at;
	bool	   *time_null;		/* no event with a time yet */
	Datum	   *idle;
	/* counters: open, final, late merged, late dropped, null-time skipped */
	bool		state_dirty;
	bool		has_watermark;
	TimestampTz watermark;
	int64		counters[5];
	TimestampTz now;
} CatalogWindowSave;

extern void catalog_save_window(const CatalogWindowSave *ws);

/* A window suspended: state 'error', why, and its resume_from per partition. */
extern void catalog_suspend_window(int window_id, const char *why);

/* Events a window skipped: offset_ends[i] < 0 for one event, else a range. */
extern void catalog_window_errors(const char *window_name, int n, const int *partitions,
								  const int64 *offsets, const int64 *offset_ends,
								  char *const *errors);

/* A CatalogRowFn storing column 1 as text (NULL if null) into *(char **) arg. */
extern void catalog_row_text(void *arg, HeapTuple tup, TupleDesc desc);

/* A CatalogRowFn storing column 1 (int4) into *(int *) arg. */
extern void catalog_row_int4(void *arg, HeapTuple tup, TupleDesc desc);

/*
 * The row of sw.<table> named name, or else (no row has that name) whose
 * relation column relcol is what name resolves to for the caller.
 */
extern void catalog_find_by_name(const char *table, const char *relcol,
								 const char *columns, const char *name,
								 CatalogRowFn fn, void *arg);

/* This database, as rows of sw.source and sw.window record where they were made. */
extern char *catalog_home(void);

/*
 * Stored staging/result table OIDs, names and owners brought in line with
 * the database (after pg_dump and pg_restore the OIDs are new).
 */
extern void catalog_resolve_relations(void);

/* Is the installed extension version the one this library serves? */
extern bool catalog_extension_current(void);

/* ERROR, with a hint to ALTER EXTENSION ... UPDATE, unless the installed version is ours. */
extern void catalog_check_extension_version(void);

/* What a name resolves to in the caller's search_path (to_regclass), or InvalidOid. */
extern Oid	sw_resolve_relation(const char *name);

#endif							/* SW_CATALOG_H */
