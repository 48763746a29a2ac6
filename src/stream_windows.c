/*-------------------------------------------------------------------------
 *
 * stream_windows.c
 *	  Module entry point: PG_MODULE_MAGIC and _PG_init.
 *
 * The library is meant to be loaded with shared_preload_libraries, so that
 * its background workers can be registered at server start.  Loaded any
 * other way (a plain CREATE EXTENSION in a session), the ad-hoc window
 * functions still work; only the Kafka side needs the preload.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "adhoc_planner.h"
#include "guc.h"
#include "launcher.h"
#include "shmem.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	sw_guc_init();
	sw_adhoc_planner_init();

	if (!process_shared_preload_libraries_in_progress)
		return;

	sw_shmem_init();
	/* pg_upgrade restores the schema into a server started with -b: no workers */
	if (!IsBinaryUpgrade)
		sw_launcher_register();
}
