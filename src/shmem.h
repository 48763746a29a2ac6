/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  Shared memory: the launcher's latch and one status slot per worker.
 *
 * Workers publish their figures here after every batch; the views
 * sw.sources and sw.source_partitions read them without waiting on any
 * worker or broker.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_SHMEM_H
#define SW_SHMEM_H

#include "storage/latch.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#define SW_MAX_PARTITIONS	256		/* per source, for high watermarks */
#define SW_ERROR_LEN		512

typedef enum SwWorkerState
{
	SW_STATE_STARTING,
	SW_STATE_RUNNING,
	SW_STATE_REFETCHING,
	SW_STATE_ERROR
} SwWorkerState;

typedef struct SwWorkerSlot
{
	slock_t		mutex;
	int			source_id;		/* 0: free */
	Oid			owner;			/* the worker's role; InvalidOid: not known yet */
	Oid			staging;		/* who may read it may see this slot */
	pid_t		pid;			/* 0: no worker running */
	SwWorkerState state;
	bool		clean_exit;		/* the last worker stopped on request */
	bool		stop_requested;	/* it was sent SIGTERM on request (pause,
								 * drop): its exit is no failure either */
	bool		dropped;		/* the source is gone: free once its worker is */
	int64		messages;
	int64		bytes;
	TimestampTz last_message_at;	/* 0: none yet */
	char		last_error[SW_ERROR_LEN];
	int			npartitions;
	int64		high_watermark[SW_MAX_PARTITIONS];	/* -1: unknown */
} SwWorkerSlot;

typedef struct SwShared
{
	slock_t		mutex;
	Latch	   *launcher_latch;
	int			nslots;
	SwWorkerSlot slots[FLEXIBLE_ARRAY_MEMBER];
} SwShared;

extern SwShared *sw_shared;

extern void sw_shmem_init(void);

/* claim (or find again) the slot of a source; NULL when all are taken */
extern SwWorkerSlot *sw_slot_acquire(int source_id);
/* forget a dropped source's slot (once its worker, if any, has exited) */
extern void sw_slot_release(int source_id);
/* the worker of source_id exits: its pid goes, and a dropped source's slot */
extern void sw_slot_exit(SwWorkerSlot *slot, int source_id, bool clean);
/* pid of the worker of a source, 0 if none */
extern pid_t sw_slot_pid(int source_id);
extern void sw_slot_set_state(SwWorkerSlot *slot, SwWorkerState state,
							  const char *error);
extern void sw_slot_set_owner(SwWorkerSlot *slot, Oid owner, Oid staging);
extern void sw_wake_launcher(void);
/* did the source's last worker stop on request (not fail)? clears the flag */
extern bool sw_slot_take_clean_exit(int source_id);
extern pid_t sw_slot_request_stop(int source_id);

#endif							/* SW_SHMEM_H */
