/*-------------------------------------------------------------------------
 *
 * staging.h
 *	  Batched inserts into a source's UNLOGGED staging table.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_STAGING_H
#define SW_STAGING_H

#include "datatype/timestamp.h"
#include "executor/tuptable.h"
#include "utils/relcache.h"

/* The four Kafka columns that lead every staging table (0-based attributes). */
#define STAGING_ATT_PARTITION	0
#define STAGING_ATT_OFFSET		1
#define STAGING_ATT_TIMESTAMP	2
#define STAGING_ATT_KEY			3
#define STAGING_USER_ATT0		4

/* Rows buffered before they are written, a page or so at a time. */
#define STAGING_CHUNK_ROWS		1000

typedef struct StagingWriter StagingWriter;

/*
 * A writer for the worker's life, in cxt, for a staging table with the
 * columns of prepared (the descriptor the parser was prepared for).
 */
extern StagingWriter *staging_create(TupleDesc prepared, MemoryContext cxt);

/*
 * Open the staging table for this transaction; row datums are allocated by
 * the caller, in memory that lasts until staging_end.  ERROR when the table
 * is gone, or when its columns are no longer those prepared.
 */
extern void staging_begin(StagingWriter *w, Oid relid);
extern Relation staging_relation(StagingWriter *w);

/*
 * The values/nulls arrays (one entry per attribute) of the next row; the
 * caller fills the user columns (STAGING_USER_ATT0 onwards), then calls
 * staging_add_row with the Kafka columns.
 */
extern void staging_next_row(StagingWriter *w, Datum **values, bool **nulls);
extern TupleTableSlot *staging_add_row(StagingWriter *w, int32 partition, int64 offset,
									   TimestampTz timestamp, const char *key, int keylen);

/*
 * Rows stay buffered, their slots valid, until staging_flush writes them;
 * the caller flushes once staging_full says the buffer is full.
 */
extern bool staging_full(StagingWriter *w);
extern void staging_flush(StagingWriter *w);

/* Insert what is buffered and close the table (end of the batch). */
extern void staging_end(StagingWriter *w);

/* The transaction failed: drop what is buffered, the table is closed. */
extern void staging_abandon(StagingWriter *w);

#endif							/* SW_STAGING_H */
