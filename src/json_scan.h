/*-------------------------------------------------------------------------
 *
 * json_scan.h
 *	  A single-pass scanner for the payload sources see most: one JSON
 *	  object whose top-level fields are reported by name and value span.
 *
 * It accepts a subset of what PostgreSQL's own parser (pg_parse_json)
 * accepts and, on what it accepts, reports exactly the fields that parser
 * would.  Whenever it is not sure (any syntax error, nesting deeper than
 * it tracks, a payload that is not an object) it answers JSON_SCAN_UNSURE
 * and the caller runs pg_parse_json, which stays the reference and words
 * the error.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_JSON_SCAN_H
#define SW_JSON_SCAN_H

#include "common/jsonapi.h"

/* More containers open at once (the object included) make the scan unsure */
#define JSON_SCAN_MAX_DEPTH		64

typedef enum JsonScanResult
{
	JSON_SCAN_OK,				/* a valid JSON object; every field reported */
	JSON_SCAN_UNSURE			/* ask pg_parse_json */
} JsonScanResult;

/*
 * One top-level field, in payload order (a later duplicate comes later).
 * name/namelen: the name's contents between its quotes, still escaped when
 * name_escaped.  kind/value/valuelen: the value's first token type and its
 * whole text as pg_parse_json's tokens delimit it: a string with its
 * quotes, an object or array from its opening to its closing bracket.
 */
typedef void (*JsonScanField) (void *arg,
							   const char *name, int namelen, bool name_escaped,
							   JsonTokenType kind,
							   const char *value, int valuelen);

/* On JSON_SCAN_OK, *ascii says whether every byte of payload is below 0x80. */
extern JsonScanResult json_scan_object(const char *payload, size_t len,
									   JsonScanField field, void *arg, bool *ascii);

#endif							/* SW_JSON_SCAN_H */
