/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Defines every configuration parameter of stream_windows.
 *
 * sw.database and sw.max_workers size and place the background workers,
 * so they can only be set at server start; the rest take effect on reload.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"
#include "utils/memutils.h"
#include "miscadmin.h"

#include "compat.h"
#include "guc.h"

char	   *sw_database = NULL;
int			sw_max_workers = 8;
int			sw_max_message_bytes = 1024 * 1024;
int			sw_batch_size = 10000;
int			sw_restart_delay_ms = 1000;
int			sw_expression_timeout_ms = 5000;
int			sw_max_open_rows = 10000000;
int			sw_max_windows_per_event = 1000;
int			sw_max_aggregates = 100;

static void
define_postmaster_settings(void)
{
	DefineCustomStringVariable("sw.database",
							   "Database in which stream_windows background workers run.",
							   NULL,
							   &sw_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("sw.max_workers",
							"Maximum number of sources consuming at once (one worker each).",
							"Also needs room in max_worker_processes.",
							&sw_max_workers,
							8, 1, 1024,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);
}

void
sw_guc_init(void)
{
	/*
	 * Loaded without shared_preload_libraries (a plain CREATE EXTENSION), the
	 * library may not define settings that only server start can set; there
	 * are no workers then either, and the functions that need them say so.
	 */
	if (process_shared_preload_libraries_in_progress)
		define_postmaster_settings();

	DefineCustomIntVariable("sw.max_message_bytes",
							"Largest Kafka message payload that is ingested; larger ones become dead letters.",
							NULL,
							&sw_max_message_bytes,
							1024 * 1024, 1, MaxAllocSize / 2,
							PGC_SIGHUP,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sw.batch_size",
							"Most Kafka messages a source worker applies in one transaction.",
							NULL,
							&sw_batch_size,
							10000, 1, 1000000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sw.restart_delay",
							"Delay before a failed source worker is started again; doubles on repeated failures, up to a minute.",
							NULL,
							&sw_restart_delay_ms,
							1000, 10, 60000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sw.expression_timeout",
							"Longest a window's code may run on one event in a worker; past it the event is skipped by that window.",
							"0 turns the limit off.",
							&sw_expression_timeout_ms,
							5000, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sw.max_open_rows",
							"Most rows a window may hold that are not closed yet; past it the window is suspended.",
							NULL,
							&sw_max_open_rows,
							10000000, 1, INT_MAX,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sw.max_windows_per_event",
							"Most sliding windows one event may fall in (size / slide), checked when a window is created.",
							NULL,
							&sw_max_windows_per_event,
							1000, 1, INT_MAX,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("sw.max_aggregates",
							"Most aggregate calls a window may compute, checked when it is created.",
							NULL,
							&sw_max_aggregates,
							100, 1, 10000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("sw");
}
