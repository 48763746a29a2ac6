/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Defines every configuration parameter of stream_windows.
 *
 * sw.database names the database whose sources the background workers
 * serve; it can only be set at server start, like the workers themselves.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "compat.h"
#include "guc.h"

char	   *sw_database = NULL;

void
sw_guc_init(void)
{
	DefineCustomStringVariable("sw.database",
							   "Database in which stream_windows background workers run.",
							   NULL,
							   &sw_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	MarkGUCPrefixReserved("sw");
}
