/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared memory: the launcher's latch and one status slot per worker,
 *	  and the SQL functions that read them for the status views.
 *
 * A slot belongs to a source (by id) from the first start of its worker
 * until the source is dropped, so that last_error outlives the worker that
 * set it.  Each slot has its own spinlock; readers copy a slot under the
 * lock and format it afterwards.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "guc.h"
#include "privilege.h"
#include "shmem.h"

SwShared   *sw_shared = NULL;

static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif

PG_FUNCTION_INFO_V1(sw_worker_status);
PG_FUNCTION_INFO_V1(sw_partition_status);

static Size
shared_size(void)
{
	return add_size(offsetof(SwShared, slots),
					mul_size(sizeof(SwWorkerSlot), sw_max_workers));
}

static void
shmem_request(void)
{
#if PG_VERSION_NUM >= 150000
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
#endif
	RequestAddinShmemSpace(shared_size());
}

static void
shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	sw_shared = ShmemInitStruct("stream_windows", shared_size(), &found);
	if (!found)
	{
		memset(sw_shared, 0, shared_size());
		SpinLockInit(&sw_shared->mutex);
		sw_shared->nslots = sw_max_workers;
		for (int i = 0; i < sw_shared->nslots; i++)
			SpinLockInit(&sw_shared->slots[i].mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
sw_shmem_init(void)
{
#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
#else
	shmem_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}

SwWorkerSlot *
sw_slot_acquire(int source_id)
{
	SwWorkerSlot *free_slot = NULL;

	SpinLockAcquire(&sw_shared->mutex);
	for (int i = 0; i < sw_shared->nslots; i++)
	{
		SwWorkerSlot *slot = &sw_shared->slots[i];

		if (slot->source_id == source_id)
		{
			SpinLockRelease(&sw_shared->mutex);
			return slot;
		}
		if (slot->source_id == 0 && free_slot == NULL)
			free_slot = slot;
	}
	if (free_slot)
	{
		SpinLockAcquire(&free_slot->mutex);
		free_slot->source_id = source_id;
		free_slot->dropped = false;
		free_slot->owner = InvalidOid;
		free_slot->staging = InvalidOid;
		free_slot->pid = 0;
		free_slot->state = SW_STATE_STARTING;
		free_slot->messages = 0;
		free_slot->bytes = 0;
		free_slot->last_message_at = 0;
		free_slot->last_error[0] = '\0';
		free_slot->npartitions = 0;
		for (int p = 0; p < SW_MAX_PARTITIONS; p++)
			free_slot->high_watermark[p] = -1;
		SpinLockRelease(&free_slot->mutex);
	}
	SpinLockRelease(&sw_shared->mutex);
	return free_slot;
}

void
sw_slot_release(int source_id)
{
	if (sw_shared == NULL)
		return;
	SpinLockAcquire(&sw_shared->mutex);
	for (int i = 0; i < sw_shared->nslots; i++)
	{
		SwWorkerSlot *slot = &sw_shared->slots[i];

		if (slot->source_id != source_id)
			continue;
		/* a worker still running frees the slot itself, as it exits */
		SpinLockAcquire(&slot->mutex);
		if (slot->pid == 0)
			slot->source_id = 0;
		else
			slot->dropped = true;
		SpinLockRelease(&slot->mutex);
	}
	SpinLockRelease(&sw_shared->mutex);
}

void
sw_slot_exit(SwWorkerSlot *slot, int source_id, bool clean)
{
	SpinLockAcquire(&sw_shared->mutex);
	SpinLockAcquire(&slot->mutex);
	if (slot->source_id == source_id && slot->pid == MyProcPid)
	{
		slot->pid = 0;
		slot->clean_exit = clean;
		if (slot->dropped)
			slot->source_id = 0;
	}
	SpinLockRelease(&slot->mutex);
	SpinLockRelease(&sw_shared->mutex);
}

/* The slot of source_id, its mutex held; NULL (no lock) if it has none. */
static SwWorkerSlot *
lock_slot_of(int source_id)
{
	if (sw_shared == NULL)
		return NULL;
	for (int i = 0; i < sw_shared->nslots; i++)
	{
		SwWorkerSlot *slot = &sw_shared->slots[i];

		SpinLockAcquire(&slot->mutex);
		if (slot->source_id == source_id)
			return slot;
		SpinLockRelease(&slot->mutex);
	}
	return NULL;
}

/*
 * Note that the source's worker is being stopped on request, so that its
 * exit (by SIGTERM, not clean) does not delay the next start as a failure
 * would: a source resumed before its old worker is gone starts again at
 * once.  Returns the worker's pid, 0 if none runs.
 */
pid_t
sw_slot_request_stop(int source_id)
{
	SwWorkerSlot *slot = lock_slot_of(source_id);
	pid_t		pid = 0;

	if (slot == NULL)
		return 0;
	if (slot->pid != 0)
	{
		slot->stop_requested = true;
		pid = slot->pid;
	}
	SpinLockRelease(&slot->mutex);
	return pid;
}

pid_t
sw_slot_pid(int source_id)
{
	SwWorkerSlot *slot = lock_slot_of(source_id);
	pid_t		pid;

	if (slot == NULL)
		return 0;
	pid = slot->pid;
	SpinLockRelease(&slot->mutex);
	return pid;
}

bool
sw_slot_take_clean_exit(int source_id)
{
	SwWorkerSlot *slot = lock_slot_of(source_id);
	bool		clean;

	if (slot == NULL)
		return false;
	clean = slot->clean_exit || slot->stop_requested;
	slot->clean_exit = false;
	slot->stop_requested = false;
	SpinLockRelease(&slot->mutex);
	return clean;
}

void
sw_slot_set_state(SwWorkerSlot *slot, SwWorkerState state, const char *error)
{
	SpinLockAcquire(&slot->mutex);
	slot->state = state;
	if (error)
		strlcpy(slot->last_error, error, SW_ERROR_LEN);
	SpinLockRelease(&slot->mutex);
}

void
sw_slot_set_owner(SwWorkerSlot *slot, Oid owner, Oid staging)
{
	SpinLockAcquire(&slot->mutex);
	slot->owner = owner;
	slot->staging = staging;
	SpinLockRelease(&slot->mutex);
}

void
sw_wake_launcher(void)
{
	Latch	   *latch;

	if (sw_shared == NULL)
		return;
	SpinLockAcquire(&sw_shared->mutex);
	latch = sw_shared->launcher_latch;
	SpinLockRelease(&sw_shared->mutex);
	if (latch)
		SetLatch(latch);
}

static const char *
state_name(SwWorkerState state)
{
	switch (state)
	{
		case SW_STATE_STARTING:
			return "starting";
		case SW_STATE_RUNNING:
			return "running";
		case SW_STATE_REFETCHING:
			return "refetching";
		case SW_STATE_ERROR:
			return "error";
	}
	return "unknown";
}

/* sw._worker_status(): one row per slot in use */
Datum
sw_worker_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	if (sw_shared == NULL)
		return (Datum) 0;

	for (int i = 0; i < sw_shared->nslots; i++)
	{
		SwWorkerSlot *slot = &sw_shared->slots[i];
		SwWorkerSlot copy;
		Datum		values[7];
		bool		nulls[7] = {0};

		SpinLockAcquire(&slot->mutex);
		memcpy(&copy, slot, offsetof(SwWorkerSlot, high_watermark));
		SpinLockRelease(&slot->mutex);
		if (copy.source_id == 0 || !sw_priv_may_see(copy.owner, copy.staging))
			continue;

		values[0] = Int32GetDatum(copy.source_id);
		values[1] = Int32GetDatum(copy.pid);
		nulls[1] = (copy.pid == 0);
		values[2] = CStringGetTextDatum(copy.pid == 0 &&
										copy.state != SW_STATE_ERROR ?
										"starting" : state_name(copy.state));
		values[3] = Int64GetDatum(copy.messages);
		values[4] = Int64GetDatum(copy.bytes);
		values[5] = CStringGetTextDatum(copy.last_error);
		nulls[5] = (copy.last_error[0] == '\0');
		values[6] = TimestampTzGetDatum(copy.last_message_at);
		nulls[6] = (copy.last_message_at == 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* sw._partition_status(): the last high watermark each worker saw */
Datum
sw_partition_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	if (sw_shared == NULL)
		return (Datum) 0;

	for (int i = 0; i < sw_shared->nslots; i++)
	{
		SwWorkerSlot *slot = &sw_shared->slots[i];
		int			source_id;
		Oid			owner;
		Oid			staging;
		int			n;
		int64		hw[SW_MAX_PARTITIONS];

		SpinLockAcquire(&slot->mutex);
		source_id = slot->source_id;
		owner = slot->owner;
		staging = slot->staging;
		n = slot->npartitions;
		memcpy(hw, slot->high_watermark, sizeof(int64) * n);
		SpinLockRelease(&slot->mutex);
		if (source_id != 0 && !sw_priv_may_see(owner, staging))
			continue;

		for (int p = 0; source_id != 0 && p < n; p++)
		{
			Datum		values[3];
			bool		nulls[3] = {0};

			values[0] = Int32GetDatum(source_id);
			values[1] = Int32GetDatum(p);
			values[2] = Int64GetDatum(hw[p]);
			nulls[2] = (hw[p] < 0);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
