/*-------------------------------------------------------------------------
 *
 * source_lock.c
 *	  Heavyweight locks per source: one worker at a time, and batches
 *	  ordered against changes to the source's windows.
 *
 * Both are lock manager locks on tags of their own (advisory tags whose
 * fourth field no SQL-level advisory lock uses), so they show in pg_locks,
 * are released when their holder exits or its transaction ends, and cost
 * no transaction id, WAL or page write: a batch once took a FOR SHARE row
 * lock on sw.source instead, several times a second per source.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/lock.h"

#include "source_lock.h"

#define SW_LOCK_FIELD4	0x5357	/* "SW": not 1 or 2, pg_advisory_lock's */
#define SW_LOCK_WORKER	0
#define SW_LOCK_WINDOWS	1

static void
source_tag(LOCKTAG *tag, int source_id, int what)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, (uint32) source_id, (uint32) what,
						 SW_LOCK_FIELD4);
}

bool
sw_source_lock_worker(int source_id)
{
	LOCKTAG		tag;

	source_tag(&tag, source_id, SW_LOCK_WORKER);
	return LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL;
}

void
sw_source_lock_windows(int source_id, LOCKMODE mode)
{
	LOCKTAG		tag;

	source_tag(&tag, source_id, SW_LOCK_WINDOWS);
	(void) LockAcquire(&tag, mode, false, false);
}
