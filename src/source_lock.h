/*-------------------------------------------------------------------------
 *
 * source_lock.h
 *	  Heavyweight locks per source: one worker at a time, and batches
 *	  ordered against changes to the source's windows.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_SOURCE_LOCK_H
#define SW_SOURCE_LOCK_H

#include "storage/lockdefs.h"

/*
 * The worker's lock on its source, for the worker's life (a session
 * lock).  false when another worker of the source holds it.
 */
extern bool sw_source_lock_worker(int source_id);

/*
 * The source's window set, until the end of the transaction: a batch takes
 * it in ShareLock, create/drop/resume of a window in ExclusiveLock, so
 * each waits for the other and a batch sees the windows as they are.
 */
extern void sw_source_lock_windows(int source_id, LOCKMODE mode);

#endif							/* SW_SOURCE_LOCK_H */
