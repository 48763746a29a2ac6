/*-------------------------------------------------------------------------
 *
 * source_worker.h
 *	  The background worker that consumes one source's topic.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_SOURCE_WORKER_H
#define SW_SOURCE_WORKER_H

#include "postgres.h"

/* What the launcher hands a source worker in bgw_extra. */
typedef struct SwWorkerArgs
{
	Oid			database;
	Oid			owner;
} SwWorkerArgs;

extern PGDLLEXPORT void sw_source_worker_main(Datum main_arg);

#endif							/* SW_SOURCE_WORKER_H */
