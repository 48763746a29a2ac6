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

#include "datatype/timestamp.h"

#include "kafka.h"

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
	SwKafkaOptions options;
} SourceDef;

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
/* Retention: delete staged rows below below[p] and raise staged_from, in one pass. */
extern void catalog_retain(Oid staging, int source_id, int npartitions, const int64 *below);
/* Raise staged_from (retention, dead-letter ranges). */
extern void catalog_raise_staged_from(int source_id, int partition, int64 offset);

extern void catalog_dead_letter(const char *source_name, int partition,
								int64 offset, int64 offset_end,
								const char *key, int keylen,
								const char *payload, size_t len,
								const char *error);

/* Highest kafka_offset staged per partition; -1 where none. */
extern void catalog_staged_max(Oid staging, int npartitions, int64 *max_offset);

/* One statement on the extension's own tables, as the superuser; ERROR unless it gives expected. */
extern void catalog_exec(const char *sql, int nargs, Oid *types, Datum *values, int expected);

/* Run SQL as the bootstrap superuser (the extension's own tables). */
extern void catalog_begin_superuser(void);
extern void catalog_end_superuser(void);

#endif							/* SW_CATALOG_H */
