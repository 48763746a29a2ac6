/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The static background worker that starts and stops source workers.
 *
 * Registered from _PG_init, it connects to sw.database and, once a second
 * or whenever an administration function commits and sets its latch,
 * compares sw.source with the workers it has started: it starts one
 * dynamic background worker per active source (up to sw.max_workers),
 * stops the workers of paused and dropped sources, and restarts a worker
 * that died, after sw.restart_delay, doubled for every quick failure in a
 * row (up to a minute).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "guc.h"
#include "launcher.h"
#include "privilege.h"
#include "shmem.h"
#include "source_worker.h"

#define LAUNCHER_NAP_MS		1000
#define MAX_RESTART_DELAY_MS 60000
#define QUICK_FAILURE_MS	10000

typedef struct LaunchedWorker
{
	int			source_id;		/* hash key */
	BackgroundWorkerHandle *handle;
	TimestampTz started_at;
	TimestampTz next_start;		/* not before this */
	int			delay_ms;		/* current restart delay */
	bool		seen;			/* still in sw.source this round */
	bool		stopping;		/* terminated because its source was paused */
} LaunchedWorker;

typedef struct WantedSource
{
	int			id;
	Oid			owner;
	bool		paused;
} WantedSource;

static HTAB *launched = NULL;

void
sw_launcher_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 1;	/* terminated, it comes back by itself */
	strlcpy(worker.bgw_library_name, "stream_windows", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "sw_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "stream_windows launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "stream_windows launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/* The active sources, read in a short transaction; NIL without the extension. */
static List *
read_sources(void)
{
	List	   *result = NIL;
	MemoryContext caller = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "reading sw.source");

	if (OidIsValid(get_extension_oid("stream_windows", true)))
	{
		/* after a restore the tables' OIDs are new: find them by name */
		if (catalog_extension_current())
			catalog_resolve_relations();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		/* a source runs as its staging table's owner */
		if (SPI_execute("SELECT s.id, coalesce(c.relowner, s.owner), s.paused"
						"  FROM sw.source s LEFT JOIN pg_catalog.pg_class c"
						"    ON c.oid OPERATOR(pg_catalog.=) s.staging",
						true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read sw.source");
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			WantedSource *s = MemoryContextAlloc(caller, sizeof(WantedSource));
			bool		isnull;
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			MemoryContext old;

			s->id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
			s->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
			s->paused = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
			old = MemoryContextSwitchTo(caller);
			result = lappend(result, s);
			MemoryContextSwitchTo(old);
		}
		SPI_finish();
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

static void
start_worker(LaunchedWorker *lw, WantedSource *s)
{
	BackgroundWorker worker;
	SwWorkerArgs args = {MyDatabaseId, s->owner};
	TimestampTz now = GetCurrentTimestamp();
	MemoryContext old;
	bool		registered;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "stream_windows", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "sw_source_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "stream_windows source %d", s->id);
	strlcpy(worker.bgw_type, "stream_windows source", BGW_MAXLEN);
	worker.bgw_main_arg = Int32GetDatum(s->id);
	memcpy(worker.bgw_extra, &args, sizeof(args));
	worker.bgw_notify_pid = MyProcPid;

	old = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&worker, &lw->handle);
	MemoryContextSwitchTo(old);
	if (!registered)
	{
		ereport(WARNING,
				(errmsg("could not start a worker for stream_windows source %d", s->id),
				 errhint("Raise max_worker_processes.")));
		lw->handle = NULL;
		lw->next_start = TimestampTzPlusMilliseconds(now, sw_restart_delay_ms);
		return;
	}
	elog(DEBUG1, "stream_windows launcher: started worker for source %d", s->id);
	lw->started_at = now;
	lw->stopping = false;
}

/* Work out when a stopped worker may start again. */
static void
schedule_restart(LaunchedWorker *lw)
{
	TimestampTz now = GetCurrentTimestamp();

	if (lw->handle == NULL)
		return;					/* never started, or already scheduled */
	pfree(lw->handle);
	lw->handle = NULL;
	if (sw_slot_take_clean_exit(lw->source_id) || lw->stopping)
		lw->delay_ms = 0;		/* stopped on request: start again at once */
	else if (TimestampDifferenceExceeds(lw->started_at, now, QUICK_FAILURE_MS))
		lw->delay_ms = sw_restart_delay_ms;
	else
		lw->delay_ms = Min(Max(lw->delay_ms * 2, sw_restart_delay_ms),
						   MAX_RESTART_DELAY_MS);
	lw->next_start = TimestampTzPlusMilliseconds(now, lw->delay_ms);
}

static bool
worker_running(LaunchedWorker *lw)
{
	pid_t		pid;

	return lw->handle != NULL &&
		GetBackgroundWorkerPid(lw->handle, &pid) != BGWH_STOPPED;
}

/*
 * A worker this launcher did not start (an earlier launcher did, before it
 * was terminated) that still runs: it is left alone, not started twice.
 */
static bool
adopted_worker_running(int source_id)
{
	pid_t		pid = sw_slot_pid(source_id);

	return pid != 0 && kill(pid, 0) == 0;
}

static void
reconcile(List *sources)
{
	HASH_SEQ_STATUS seq;
	LaunchedWorker *lw;
	ListCell   *lc;
	int			running = 0;

	hash_seq_init(&seq, launched);
	while ((lw = hash_seq_search(&seq)) != NULL)
	{
		lw->seen = false;
		if (worker_running(lw))
			running++;
	}

	foreach(lc, sources)
	{
		WantedSource *s = lfirst(lc);
		bool		found;

		lw = hash_search(launched, &s->id, HASH_ENTER, &found);
		if (!found)
		{
			lw->handle = NULL;
			lw->next_start = 0;
			lw->delay_ms = 0;
			lw->stopping = false;
		}
		lw->seen = true;
		if (s->paused)
		{
			if (worker_running(lw))
			{
				lw->stopping = true;
				TerminateBackgroundWorker(lw->handle);
			}
			else if (adopted_worker_running(s->id))
			{
				pid_t		pid = sw_slot_request_stop(s->id);

				if (pid != 0)	/* (kill(0) would signal our process group) */
					(void) kill(pid, SIGTERM);
			}
			else if (lw->handle)
			{
				/* resuming starts at once, whatever came before */
				pfree(lw->handle);
				lw->handle = NULL;
				lw->delay_ms = 0;
				lw->next_start = 0;
			}
			continue;
		}
		if (worker_running(lw) || adopted_worker_running(s->id))
			continue;
		schedule_restart(lw);
		if (running < sw_max_workers && GetCurrentTimestamp() >= lw->next_start)
		{
			start_worker(lw, s);
			running++;
		}
	}

	/* sources that were dropped */
	hash_seq_init(&seq, launched);
	while ((lw = hash_seq_search(&seq)) != NULL)
	{
		if (lw->seen)
			continue;
		if (lw->handle)
		{
			TerminateBackgroundWorker(lw->handle);
			pfree(lw->handle);
		}
		hash_search(launched, &lw->source_id, HASH_REMOVE, NULL);
	}
}

void
sw_launcher_main(Datum main_arg)
{
	HASHCTL		ctl;
	MemoryContext loop_cxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	/* exit code 1 on SIGTERM: the postmaster starts the launcher again */
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	SpinLockAcquire(&sw_shared->mutex);
	sw_shared->launcher_latch = MyLatch;
	SpinLockRelease(&sw_shared->mutex);

	BackgroundWorkerInitializeConnection(sw_database, NULL, 0);
	pgstat_report_appname("stream_windows launcher");
	/* the launcher is a superuser: nothing a user creates may reach its SQL */
	SetConfigOption("search_path", SW_PINNED_SEARCH_PATH, PGC_SUSET, PGC_S_OVERRIDE);

	ctl.keysize = sizeof(int);
	ctl.entrysize = sizeof(LaunchedWorker);
	launched = hash_create("stream_windows launched workers", 64, &ctl,
						   HASH_ELEM | HASH_BLOBS);
	loop_cxt = AllocSetContextCreate(TopMemoryContext, "stream_windows launcher loop",
									 ALLOCSET_DEFAULT_SIZES);

	while (!ShutdownRequestPending)
	{
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		old = MemoryContextSwitchTo(loop_cxt);
		reconcile(read_sources());
		MemoryContextSwitchTo(old);
		MemoryContextReset(loop_cxt);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 LAUNCHER_NAP_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}

	SpinLockAcquire(&sw_shared->mutex);
	sw_shared->launcher_latch = NULL;
	SpinLockRelease(&sw_shared->mutex);
	proc_exit(0);
}
