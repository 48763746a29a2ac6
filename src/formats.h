/*-------------------------------------------------------------------------
 *
 * formats.h
 *	  Message formats: one Kafka payload (json, csv or text) to the typed
 *	  user columns of a staging table.
 *
 * A staging table's attributes are kafka_partition, kafka_offset,
 * kafka_timestamp and kafka_key (attribute numbers 1 to 4), then the user
 * columns.  formats_prepare() looks everything up once per staging table;
 * formats_parse() then fills the user columns of one message with no
 * catalog access, and reports a bad message as an error string (for
 * sw.dead_letters) instead of raising it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_FORMATS_H
#define SW_FORMATS_H

#include "utils/palloc.h"
#include "utils/relcache.h"

typedef struct SwFormat SwFormat;	/* opaque, one per staging table */

typedef enum SwFormatKind
{
	SW_FORMAT_JSON,
	SW_FORMAT_CSV,
	SW_FORMAT_TEXT
} SwFormatKind;

/*
 * Parse 'json' | 'csv' | 'text' (case-insensitively); ERROR
 * (ERRCODE_INVALID_PARAMETER_VALUE, with a hint listing the three) otherwise.
 */
extern SwFormatKind formats_kind_from_name(const char *name);

/*
 * Prepare a parser for the user columns of 'staging' (attno 5..natts),
 * allocated in cxt.  ERROR if the columns don't fit the format: text needs
 * exactly one user column "payload text"; json with exactly one user column
 * "payload jsonb" is the raw-jsonb mode (the whole payload in that column).
 */
extern SwFormat *formats_prepare(Relation staging, SwFormatKind kind,
								 MemoryContext cxt);

/*
 * Fill values[i]/nulls[i] for i = 4 .. natts-1 (0-based attribute index, as
 * in the tuple descriptor; dropped attributes get NULL) from the payload.
 * Returns true on success.  On a bad message returns false and sets *error
 * to a palloc'd message (in CurrentMemoryContext); it never throws for bad
 * payload content (it does rethrow out-of-memory, query cancel and the
 * like).  Values are allocated in CurrentMemoryContext.
 *
 * Timestamps without a UTC offset that are not in plain ISO-8601 form go
 * through timestamptz_in, which reads them in the session's TimeZone: the
 * caller must run with TimeZone = 'UTC' (the source worker does).
 */
extern bool formats_parse(SwFormat *fmt, const char *payload, size_t len,
						  Datum *values, bool *nulls, char **error);

#endif							/* SW_FORMATS_H */
