/*-------------------------------------------------------------------------
 *
 * source_worker.c
 *	  The background worker that consumes one source's topic into its
 *	  UNLOGGED staging table, exactly once.
 *
 * Design.  Kafka is the durable log; the worker keeps no state of its own
 * that matters after it exits.  For each partition, sw.source_offset holds
 * next_offset: every message below it has been applied (staged, or recorded
 * in sw.dead_letters).  A batch of messages, the dead letters among them and
 * the new next_offset values commit in one transaction, so a crash at any
 * point leaves the offsets describing exactly what committed.
 *
 * Crash recovery empties UNLOGGED tables but not sw.source_offset.  At
 * start the worker compares the highest offset still staged per partition
 * with staged_from (the lowest offset retention has kept) and next_offset:
 * if staging lost rows, it seeks back and reads [restage_from, next_offset)
 * again ("refetching"): those messages are staged again but not re-applied
 * (no dead letters recorded twice, no next_offset change; later the window
 * engine skips them too), and then it carries on past next_offset as
 * usual.
 *
 * Any PostgreSQL error aborts the batch and ends the worker (its message
 * goes to sw.sources.last_error); the launcher starts it again, and it
 * resumes from the stored offsets.  Broker trouble is not an error of the
 * worker: librdkafka reconnects by itself while state shows "error".
 *
 * The worker never holds a transaction open while it waits on Kafka: it
 * waits on its latch and a pipe that librdkafka writes to when messages
 * arrive, then takes what has been fetched without blocking.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/bufmgr.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "formats.h"
#include "guc.h"
#include "kafka.h"
#include "kafka_options.h"
#include "privilege.h"
#include "shmem.h"
#include "source_worker.h"
#include "source_lock.h"
#include "staging.h"
#include "watchdog.h"
#include "window.h"

#define BROKER_TIMEOUT_MS	5000
#define RETENTION_SAMPLES	64
#define RETENTION_EVERY_MS	5000
#define RETENTION_MIN_BLOCKS 1024	/* swept by one retention run at least (8 MB) */
#define STATUS_EVERY_MS		500
#define WINDOW_TICK_MS		250		/* idle partitions, sw.advance_watermark */
#define ISOLATED_BATCHES	8		/* after a failed batch, run this many window by window */

typedef struct PartitionState
{
	int64		position;		/* next offset to read from Kafka */
	int64		committed;		/* next_offset as stored */
	int64		pending;		/* next_offset once this batch commits */
	int64		restage_until;	/* below this, messages are only restaged */
	int64		staged_from;	/* as stored */
	bool		out_of_range;	/* broker said position is gone */
} PartitionState;

typedef struct RetentionSample
{
	TimestampTz at;
	int64	   *next_offset;	/* per partition */
} RetentionSample;

typedef struct SourceWorker
{
	SourceDef  *def;
	SwWorkerSlot *slot;
	SwKafka    *kafka;
	SwFormat   *format;
	StagingWriter *staging;		/* slots of the columns format was prepared for */
	int			npartitions;
	PartitionState *parts;
	MemoryContext batch_cxt;
	rd_kafka_message_t **msgs;
	int			msgs_size;
	bool		refetching;
	const char *broker_error;	/* current broker trouble, or NULL */
	char		broker_error_buf[SW_ERROR_LEN];
	RetentionSample samples[RETENTION_SAMPLES];
	int			nsamples;
	int			next_sample;
	TimestampTz last_retention;
	bool		sweeping;		/* a retention sweep is under way: */
	BlockNumber sweep_block;	/* where its next run starts */
	int64	   *sweep_below;	/* the offsets below which it deletes */
	TimestampTz last_status;
	TimestampTz last_tick;
	TimestampTz last_metadata;
	SwEngine   *engine;			/* the source's windows */
	SwEvent		events[STAGING_CHUNK_ROWS];	/* staged, not yet applied to them */
	int			nevents;
	int			windows_version;
	MemoryContext engine_cxt;
	TimestampTz batch_now;		/* the worker's clock for this batch */
	bool		isolated;		/* this transaction keeps window errors apart */
	CatalogDeadLetters dead;	/* this transaction's bad messages, in batch_cxt */
	int			isolated_batches;	/* batches left to run that way */
} SourceWorker;

static SwWorkerSlot *my_slot = NULL;

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------
 */

static void
begin_xact(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/* where the worker allocates outside transactions; reset every loop */
static MemoryContext loop_cxt = NULL;

static void
commit_xact(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextSwitchTo(loop_cxt);
}

static TimestampTz
kafka_time_to_timestamptz(int64 epoch_ms)
{
	return (TimestampTz) (epoch_ms * 1000 -
						  (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
}

/* SIGHUP: the configuration file again, at once (also between busy batches). */
static void
reload_config_if_asked(void)
{
	if (!ConfigReloadPending)
		return;
	ConfigReloadPending = false;
	ProcessConfigFile(PGC_SIGHUP);
	sw_watchdog_reschedule();
}

/* Wait on the latch (and Kafka's pipe) for at most timeout_ms. */
static void
worker_wait(SourceWorker *w, long timeout_ms)
{
	int			events = WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH;

	if (w->kafka)
		(void) WaitLatchOrSocket(MyLatch, events | WL_SOCKET_READABLE,
								 kafka_wait_fd(w->kafka), timeout_ms,
								 PG_WAIT_EXTENSION);
	else
		(void) WaitLatch(MyLatch, events, timeout_ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	if (w->kafka)
		kafka_drain_wait_fd(w->kafka);
	CHECK_FOR_INTERRUPTS();
	reload_config_if_asked();
}

static void
set_broker_error(SourceWorker *w, const char *error)
{
	strlcpy(w->broker_error_buf, error, sizeof(w->broker_error_buf));
	w->broker_error = w->broker_error_buf;
	sw_slot_set_state(w->slot, SW_STATE_ERROR, error);
	elog(DEBUG1, "stream_windows source \"%s\": %s", w->def->name, error);
}

static void
set_running_state(SourceWorker *w)
{
	sw_slot_set_state(w->slot, w->refetching ? SW_STATE_REFETCHING : SW_STATE_RUNNING,
					  NULL);
}

/* ------------------------------------------------------------------------
 * Start-up: partitions and offsets
 * ------------------------------------------------------------------------
 */

/* Retry a broker call until it succeeds, showing the error meanwhile. */
static void
wait_for_partitions(SourceWorker *w)
{
	char	   *error;

	while (!kafka_partition_count(w->kafka, BROKER_TIMEOUT_MS, &w->npartitions, &error))
	{
		set_broker_error(w, error);
		worker_wait(w, 1000);
		if (ShutdownRequestPending)
			proc_exit(0);
	}
}

/* The absolute offset where a partition new to this source starts. */
static int64
resolve_start(SourceWorker *w, int partition, const char *start)
{
	char	   *error = NULL;
	int64		low,
				high,
				offset;

	for (;;)
	{
		if (kafka_query_watermarks(w->kafka, partition, BROKER_TIMEOUT_MS,
								   &low, &high, &error))
		{
			if (strcmp(start, "earliest") == 0)
				return low;
			if (strcmp(start, "latest") == 0)
				return high;
			{
				TimestampTz ts = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
																		 CStringGetDatum(start),
																		 ObjectIdGetDatum(InvalidOid),
																		 Int32GetDatum(-1)));
				int64		ms = (ts / 1000) +
				(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;

				if (kafka_offset_for_time(w->kafka, partition, ms, BROKER_TIMEOUT_MS,
										  &offset, &error))
					return offset < 0 ? high : offset;
			}
		}
		set_broker_error(w, error);
		worker_wait(w, 1000);
		if (ShutdownRequestPending)
			proc_exit(0);
	}
}

static void
load_offsets(SourceWorker *w)
{
	int			n = w->npartitions;
	int64	   *next = palloc(sizeof(int64) * n);
	int64	   *staged_from = palloc(sizeof(int64) * n);
	int64	   *staged_max = palloc(sizeof(int64) * n);
	int64	   *fresh = palloc(sizeof(int64) * n);
	bool		any_fresh = false;
	bool		known = false;

	begin_xact("loading offsets");
	catalog_load_offsets(w->def->id, n, next, staged_from);
	commit_xact();

	/*
	 * Partitions new to this source: start_from, resolved outside a
	 * transaction.  A partition added to the topic later starts at its
	 * earliest offset, so that nothing in it is skipped.
	 */
	for (int p = 0; p < n; p++)
		if (next[p] >= 0)
			known = true;
	for (int p = 0; p < n; p++)
	{
		fresh[p] = -1;
		if (next[p] < 0)
		{
			fresh[p] = resolve_start(w, p, known ? "earliest" : w->def->start_from);
			any_fresh = true;
		}
	}

	begin_xact("storing start offsets");
	for (int p = 0; any_fresh && p < n; p++)
		if (fresh[p] >= 0)
		{
			catalog_insert_offset(w->def->id, p, fresh[p]);
			next[p] = staged_from[p] = fresh[p];
		}
	catalog_staged_max(w->def->staging, w->def->owner, n, staged_max);
	commit_xact();

	w->parts = MemoryContextAllocZero(TopMemoryContext, sizeof(PartitionState) * n);
	w->refetching = false;
	for (int p = 0; p < n; p++)
	{
		PartitionState *ps = &w->parts[p];

		ps->committed = ps->pending = ps->restage_until = next[p];
		ps->staged_from = staged_from[p];
		/* what crash recovery (or anyone) removed from staging is read again */
		ps->position = Min(Max(staged_from[p], staged_max[p] + 1), next[p]);
		if (ps->position < next[p])
		{
			w->refetching = true;
			elog(LOG, "stream_windows source \"%s\": restaging partition %d from offset "
				 INT64_FORMAT " to " INT64_FORMAT,
				 w->def->name, p, ps->position, next[p]);
		}
	}
}

static void
assign_positions(SourceWorker *w)
{
	int64	   *offsets = palloc(sizeof(int64) * w->npartitions);

	for (int p = 0; p < w->npartitions; p++)
		offsets[p] = w->parts[p].position;
	kafka_assign(w->kafka, w->npartitions, offsets);
	pfree(offsets);
}

/* ------------------------------------------------------------------------
 * The batch
 * ------------------------------------------------------------------------
 */

/* Why a message cannot be staged before it is even parsed, or NULL. */
static char *
message_precheck(rd_kafka_message_t *msg)
{
	if (msg->key && pg_verifymbstr(msg->key, (int) msg->key_len, true) == false)
		return pstrdup("message key is not valid in the database encoding");
	if (msg->payload == NULL)
		return pstrdup("message has no payload");
	if (msg->len > (size_t) sw_max_message_bytes)
		return psprintf("payload of %zu bytes exceeds sw.max_message_bytes (%d bytes)",
						msg->len, sw_max_message_bytes);
	return NULL;
}

/*
 * Tell the windows which partitions have nothing left to deliver: their
 * position (next offset to apply, pending or committed) has reached the
 * high watermark the broker last reported.  An unknown high watermark
 * (not fetched yet) is not drained.
 */
static void
report_partitions(SourceWorker *w, bool pending)
{
	bool	   *drained;

	if (sw_engine_empty(w->engine))
		return;
	drained = palloc(sizeof(bool) * Max(w->npartitions, 1));
	for (int p = 0; p < w->npartitions; p++)
	{
		int64		hw = kafka_cached_high_watermark(w->kafka, p);
		int64		pos = pending ? w->parts[p].pending : w->parts[p].committed;

		drained[p] = hw >= 0 && pos >= hw;
	}
	sw_engine_partitions(w->engine, w->npartitions, drained,
						 pending ? w->batch_now : GetCurrentTimestamp());
}

/* The windows take the buffered events, then staging writes them. */
static void
flush_chunk(SourceWorker *w, StagingWriter *sw)
{
	if (w->isolated)
		sw_engine_apply_isolated(w->engine, w->events, w->nevents, w->batch_now,
								 SW_LOAD_WORKER);
	else if (w->nevents > 0)
		sw_engine_apply(w->engine, w->events, w->nevents, w->batch_now);
	w->nevents = 0;
	staging_flush(sw);
}

static void
ingest_message(SourceWorker *w, StagingWriter *sw, rd_kafka_message_t *msg,
			   bool restage_only)
{
	char	   *error = message_precheck(msg);
	Datum	   *values;
	bool	   *nulls;

	if (error == NULL)
	{
		staging_next_row(sw, &values, &nulls);
		if (formats_parse(w->format, msg->payload, msg->len, values, nulls, &error))
		{
			rd_kafka_timestamp_type_t tstype;
			int64		ms = rd_kafka_message_timestamp(msg, &tstype);

			TupleTableSlot *slot;

			slot = staging_add_row(sw, msg->partition, msg->offset,
								   ms < 0 ? DT_NOBEGIN : kafka_time_to_timestamptz(ms),
								   msg->key, (int) msg->key_len);
			if (!restage_only)
			{
				SwEvent    *ev = &w->events[w->nevents++];

				ev->slot = slot;
				ev->partition = msg->partition;
				ev->offset = msg->offset;
			}
			if (staging_full(sw))
				flush_chunk(w, sw);
			return;
		}
	}
	if (!restage_only)
		catalog_dead_letters_add(&w->dead, msg->partition, msg->offset,
								 msg->key, (int) msg->key_len,
								 msg->payload, msg->len, error);
}

static void
message_error(SourceWorker *w, rd_kafka_message_t *msg)
{
	if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		return;
	if ((msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
		 msg->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) &&
		msg->partition >= 0 && msg->partition < w->npartitions)
	{
		w->parts[msg->partition].out_of_range = true;
		return;
	}
	set_broker_error(w, kafka_scrub_secrets(rd_kafka_message_errstr(msg), &w->def->options));
}

/*
 * The worker runs as the staging table's owner.  Ownership moved (ALTER
 * TABLE ... OWNER TO, REASSIGN OWNED): stop, and the launcher starts the
 * worker again as the new owner.
 */
static void
check_staging_owner(SourceWorker *w)
{
	Oid			owner = sw_relation_owner(w->def->staging);

	if (owner == GetUserId() || !OidIsValid(owner))
		return;					/* a dropped table is staging_begin's to report */
	ereport(LOG,
			(errmsg("stream_windows source \"%s\": its staging table changed owner; restarting as the new owner",
					w->def->name)));
	proc_exit(0);
}

/*
 * Inside a transaction: make sure the engine runs the source's current
 * windows.  The version is read under a row lock that create_window and
 * drop_window also take, so a batch never misses a window created during
 * it, nor writes to one dropped.
 */
static void
refresh_windows(SourceWorker *w)
{
	int			version = sw_windows_version_lock(w->def->id);

	check_staging_owner(w);
	/* also suspends windows whose owners may no longer read staging */
	if (w->engine != NULL && version == w->windows_version &&
		!sw_engine_check_access(w->engine))
		return;
	sw_engine_free(w->engine);
	w->engine = NULL;
	MemoryContextReset(w->engine_cxt);
	w->engine = sw_engine_load(w->def->id, 0, w->def->staging, SW_LOAD_WORKER,
							   w->engine_cxt);
	w->windows_version = version;
	elog(DEBUG1, "stream_windows source \"%s\": windows loaded (version %d)",
		 w->def->name, version);
}

/*
 * Every few seconds ask the broker for the topic's metadata: a broker that
 * answers again ends the "error" state, and partitions added to the topic
 * make the worker start over (cleanly: the launcher starts it again at
 * once) to consume them too.
 */
static void
check_metadata(SourceWorker *w, TimestampTz now)
{
	int			count;
	char	   *error;

	if (!TimestampDifferenceExceeds(w->last_metadata, now,
									w->broker_error ? 2000 : 10000))
		return;
	w->last_metadata = now;
	if (!kafka_partition_count(w->kafka, 1000, &count, &error))
	{
		set_broker_error(w, error);
		return;
	}
	if (w->broker_error)
	{
		w->broker_error = NULL;
		set_running_state(w);
	}
	if (count > w->npartitions)
	{
		ereport(LOG,
				(errmsg("stream_windows source \"%s\": topic \"%s\" has %d partitions now, was %d; restarting to consume them",
						w->def->name, w->def->topic, count, w->npartitions)));
		proc_exit(0);
	}
}

/*
 * Four times a second, with or without events: idle partitions and
 * requested watermarks (sw.advance_watermark acts within a second).
 */
static void
tick_windows(SourceWorker *w, TimestampTz now)
{
	if (!TimestampDifferenceExceeds(w->last_tick, now, WINDOW_TICK_MS))
		return;
	w->last_tick = now;
	begin_xact("window tick");
	refresh_windows(w);
	report_partitions(w, false);
	sw_engine_tick(w->engine, now);
	commit_xact();
}

/*
 * Messages [from, to) of the batch in one transaction: staged, applied to
 * the windows, offsets advanced.  isolated: each window's errors kept to
 * itself (window_isolation.c); then to - from is at most one chunk.
 */
static void
process_messages(SourceWorker *w, int from, int to, bool isolated)
{
	StagingWriter *sw;
	int64		bytes = 0;
	int			applied = 0;

	begin_xact(isolated ? "ingesting a batch, window by window" : "ingesting a batch");
	refresh_windows(w);
	MemoryContextSwitchTo(w->batch_cxt);
	w->batch_now = GetCurrentTimestamp();
	w->isolated = isolated;
	memset(&w->dead, 0, sizeof(w->dead));	/* batch_cxt was reset */
	report_partitions(w, false);
	sw = w->staging;
	staging_begin(sw, w->def->staging);
	for (int i = from; i < to; i++)
	{
		rd_kafka_message_t *msg = w->msgs[i];
		PartitionState *ps;

		if (msg->err)
		{
			message_error(w, msg);
			continue;
		}
		if (msg->partition < 0 || msg->partition >= w->npartitions)
			continue;
		ps = &w->parts[msg->partition];
		if (msg->offset < ps->position)
			continue;			/* delivered again after a re-assignment */
		ps->position = msg->offset + 1;
		ingest_message(w, sw, msg, msg->offset < ps->restage_until);
		if (msg->offset >= ps->restage_until)
		{
			ps->pending = msg->offset + 1;
			applied++;
			bytes += msg->len;
		}
		if ((i & 255) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			reload_config_if_asked();	/* within a second, whatever the load */
		}
	}
	flush_chunk(w, sw);
	staging_end(sw);
	catalog_dead_letters(w->def->name, &w->dead);
	if (!isolated)
	{
		report_partitions(w, true);
		sw_engine_end_batch(w->engine, w->batch_now);
	}
	{
		int			n = 0;
		int		   *parts = palloc(sizeof(int) * w->npartitions);
		int64	   *olds = palloc(sizeof(int64) * w->npartitions);
		int64	   *news = palloc(sizeof(int64) * w->npartitions);

		for (int p = 0; p < w->npartitions; p++)
			if (w->parts[p].pending != w->parts[p].committed)
			{
				parts[n] = p;
				olds[n] = w->parts[p].committed;
				news[n++] = w->parts[p].pending;
			}
		catalog_advance_offsets(w->def->id, n, parts, olds, news);
	}
	commit_xact();
	pgstat_report_stat(false);	/* lets autovacuum see the staging table */

	for (int p = 0; p < w->npartitions; p++)
		w->parts[p].committed = w->parts[p].pending;
	if (applied > 0)
	{
		SpinLockAcquire(&w->slot->mutex);
		w->slot->messages += applied;
		w->slot->bytes += bytes;
		w->slot->last_message_at = GetCurrentTimestamp();
		SpinLockRelease(&w->slot->mutex);
	}
	MemoryContextReset(w->batch_cxt);
}

/*
 * A batch: in one transaction as long as nothing fails.  When something
 * does, the transaction is rolled back, everything the worker and the
 * engine hold about it is set back to where the batch began, and the batch
 * runs again a chunk at a time with each window's errors kept to itself
 * (and so do the next few batches).  An error that is not a window's
 * (staging, the catalog) fails that way too, and ends the worker as
 * before.
 */
static void
process_batch(SourceWorker *w, int n)
{
	int64	   *positions = palloc(sizeof(int64) * w->npartitions);
	volatile bool failed = false;
	MemoryContext cxt = CurrentMemoryContext;

	if (w->isolated_batches == 0)
	{
		for (int p = 0; p < w->npartitions; p++)
			positions[p] = w->parts[p].position;
		PG_TRY();
		{
			process_messages(w, 0, n, false);
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			AbortCurrentTransaction();
			staging_abandon(w->staging);
			ereport(LOG,
					(errmsg("stream_windows source \"%s\": a batch failed (%s); applying it again window by window",
							w->def->name, edata->message)));
			FreeErrorData(edata);
			failed = true;
		}
		PG_END_TRY();
		MemoryContextSwitchTo(cxt);
		if (!failed)
			return;
		for (int p = 0; p < w->npartitions; p++)
			w->parts[p].position = positions[p], w->parts[p].pending = w->parts[p].committed;
		w->nevents = 0;
		w->windows_version = -1;	/* the engine's memory went with the batch */
		MemoryContextReset(w->batch_cxt);
		w->isolated_batches = ISOLATED_BATCHES;
	}
	else
		w->isolated_batches--;
	for (int from = 0; from < n; from += STAGING_CHUNK_ROWS)
		process_messages(w, from, Min(n, from + STAGING_CHUNK_ROWS), true);
}

/*
 * Partitions whose position the broker no longer has (retention passed).
 * Messages below next_offset were applied already: only their restaging
 * is lost.  Unapplied ones are recorded in sw.dead_letters as one range
 * with a NULL payload, and next_offset moves past them.
 */
static void
handle_out_of_range(SourceWorker *w)
{
	bool		any = false;

	for (int p = 0; p < w->npartitions; p++)
	{
		PartitionState *ps = &w->parts[p];
		int64		low,
					high;
		char	   *error;

		if (!ps->out_of_range)
			continue;
		if (!kafka_query_watermarks(w->kafka, p, BROKER_TIMEOUT_MS, &low, &high, &error))
		{
			set_broker_error(w, error);
			continue;			/* try again on the next error */
		}
		ps->out_of_range = false;
		any = true;
		if (ps->position >= low)
		{
			set_broker_error(w, psprintf("offset " INT64_FORMAT " of partition %d is beyond the end of the partition (" INT64_FORMAT ")",
										 ps->position, p, high));
			continue;
		}
		if (ps->committed < low)
		{
			begin_xact("recording unreadable offsets");
			catalog_dead_letter(w->def->name, p, ps->committed, low - 1, NULL, 0, NULL, 0,
								"offsets no longer available from the broker (retention passed)");
			catalog_advance_offsets(w->def->id, 1, &p, &ps->committed, &low);
			catalog_raise_staged_from(w->def->id, p, low);
			commit_xact();
			ps->committed = ps->pending = low;
			ps->staged_from = Max(ps->staged_from, low);
		}
		ps->restage_until = Max(ps->restage_until, ps->committed);
		ps->position = low;
	}
	if (any)
		assign_positions(w);
}

/* ------------------------------------------------------------------------
 * Retention and status
 * ------------------------------------------------------------------------
 */

static void
retention_sample(SourceWorker *w, TimestampTz now)
{
	RetentionSample *s;
	int64		interval_ms = Max(1000, w->def->retention_usecs / 1000 / (RETENTION_SAMPLES / 2));
	RetentionSample *last = w->nsamples ?
		&w->samples[(w->next_sample + RETENTION_SAMPLES - 1) % RETENTION_SAMPLES] : NULL;

	if (last && !TimestampDifferenceExceeds(last->at, now, (int) interval_ms))
		return;
	s = &w->samples[w->next_sample];
	if (s->next_offset == NULL)
		s->next_offset = MemoryContextAlloc(TopMemoryContext,
											sizeof(int64) * w->npartitions);
	s->at = now;
	for (int p = 0; p < w->npartitions; p++)
		s->next_offset[p] = w->parts[p].committed;
	w->next_sample = (w->next_sample + 1) % RETENTION_SAMPLES;
	w->nsamples = Min(w->nsamples + 1, RETENTION_SAMPLES);
}

/*
 * The offsets below which staged rows are older than retention (those the
 * worker had committed retention ago), into below; false if no partition
 * has any such row left.
 */
static bool
retention_cut(SourceWorker *w, TimestampTz now, int64 *below)
{
	TimestampTz horizon = now - w->def->retention_usecs;
	RetentionSample *cut = NULL;
	bool		any = false;

	for (int i = 0; i < w->nsamples; i++)
	{
		RetentionSample *s = &w->samples[i];

		if (s->at <= horizon && (cut == NULL || s->at > cut->at))
			cut = s;
	}
	if (cut == NULL)
		return false;
	for (int p = 0; p < w->npartitions; p++)
	{
		below[p] = Max(Min(cut->next_offset[p], w->parts[p].committed),
					   w->parts[p].staged_from);
		any = any || below[p] > w->parts[p].staged_from;
	}
	return any;
}

/*
 * Delete staged rows older than retention.  A sweep deletes the rows below
 * the cut it started with, a range of blocks per run (a TID range scan),
 * so that no run reads the whole table: the first run covers at least
 * RETENTION_MIN_BLOCKS, and enough of the table that the sweep ends
 * within about a quarter of the retention.  staged_from, below which
 * catch-up and restaging take rows as gone, is raised when the sweep
 * starts: the rows below it that are still there are deleted by the end
 * of the sweep.  A row inserted behind the sweep (into space VACUUM freed)
 * is newer than the cut, so no run has to look back.
 */
static void
apply_retention(SourceWorker *w, TimestampTz now)
{
	Relation	rel;
	BlockNumber nblocks;
	BlockNumber span;
	BlockNumber to;
	int64		runs;
	bool		starting = !w->sweeping;

	if (w->refetching ||
		!TimestampDifferenceExceeds(w->last_retention, now, RETENTION_EVERY_MS))
		return;
	w->last_retention = now;
	if (w->sweep_below == NULL)
		w->sweep_below = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * w->npartitions);
	if (starting && !retention_cut(w, now, w->sweep_below))
		return;

	begin_xact("applying retention");
	rel = try_table_open(w->def->staging, AccessShareLock);
	nblocks = rel ? RelationGetNumberOfBlocks(rel) : 0;
	if (rel)
		table_close(rel, AccessShareLock);
	if (starting || w->sweep_block >= nblocks)
		w->sweep_block = 0;
	runs = Max(1, w->def->retention_usecs / 1000 / 4 / RETENTION_EVERY_MS);
	span = (BlockNumber) Max(RETENTION_MIN_BLOCKS, (nblocks + runs - 1) / runs);
	to = nblocks - w->sweep_block <= span ? nblocks : w->sweep_block + span;
	catalog_retain(w->def->staging, w->def->owner, w->def->id, w->npartitions,
				   w->sweep_below, w->sweep_block, to == nblocks ? InvalidBlockNumber : to,
				   starting);
	commit_xact();
	pgstat_report_stat(false);
	elog(DEBUG1, "stream_windows source \"%s\": retention swept blocks %u to %u of %u",
		 w->def->name, w->sweep_block, to, nblocks);
	if (starting)
		for (int p = 0; p < w->npartitions; p++)
			w->parts[p].staged_from = Max(w->parts[p].staged_from, w->sweep_below[p]);
	w->sweeping = (to < nblocks);
	w->sweep_block = to;
}

static void
publish_status(SourceWorker *w, TimestampTz now)
{
	int			n = Min(w->npartitions, SW_MAX_PARTITIONS);
	int64		hw[SW_MAX_PARTITIONS];

	if (!TimestampDifferenceExceeds(w->last_status, now, STATUS_EVERY_MS))
		return;
	w->last_status = now;
	/*
	 * librdkafka's cached high watermark can lag what was already consumed:
	 * the partition holds at least every offset the worker applied.
	 */
	for (int p = 0; p < n; p++)
	{
		hw[p] = kafka_cached_high_watermark(w->kafka, p);
		if (hw[p] >= 0 || w->parts[p].committed > 0)
			hw[p] = Max(hw[p], Max(w->parts[p].committed, w->parts[p].position));
	}
	SpinLockAcquire(&w->slot->mutex);
	w->slot->npartitions = n;
	for (int p = 0; p < n; p++)
		if (hw[p] >= 0)
			w->slot->high_watermark[p] = hw[p];
		else if (w->slot->high_watermark[p] < 0)
			w->slot->high_watermark[p] = -1;
	SpinLockRelease(&w->slot->mutex);
}

static void
update_refetching(SourceWorker *w)
{
	bool		refetching = false;

	if (!w->refetching)
		return;
	for (int p = 0; p < w->npartitions; p++)
		if (w->parts[p].position < w->parts[p].restage_until)
			refetching = true;
	if (!refetching)
	{
		w->refetching = false;
		elog(LOG, "stream_windows source \"%s\": restaging done", w->def->name);
		if (w->broker_error == NULL)
			set_running_state(w);
	}
}

/* ------------------------------------------------------------------------
 * Main
 * ------------------------------------------------------------------------
 */

static void
run(SourceWorker *w, int source_id)
{
	Relation	rel;
	bool		owner_is_superuser;

	MemoryContext old;

	begin_xact("loading source");
	catalog_check_extension_version();
	old = MemoryContextSwitchTo(TopMemoryContext);
	w->def = catalog_load_source(source_id);
	MemoryContextSwitchTo(old);
	if (w->def == NULL || w->def->paused)
	{
		commit_xact();
		proc_exit(0);			/* dropped or paused meanwhile */
	}
	rel = try_table_open(w->def->staging, AccessShareLock);
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("staging table of source \"%s\" no longer exists", w->def->name),
				 errdetail("It was dropped without sw.drop_source."),
				 errhint("Drop the source with sw.drop_source('%s') and create it again.", w->def->name)));
	check_staging_owner(w);
	sw_slot_set_owner(w->slot, w->def->owner, w->def->staging);
	owner_is_superuser = superuser();
	w->format = formats_prepare(rel, formats_kind_from_name(w->def->format),
								TopMemoryContext);
	w->staging = staging_create(RelationGetDescr(rel), TopMemoryContext);
	table_close(rel, AccessShareLock);
	commit_xact();

	old = MemoryContextSwitchTo(TopMemoryContext);

	/* checked at creation; again here, for the role the worker runs as */
	kafka_refuse_unsafe_options(&w->def->options, owner_is_superuser);
	w->kafka = kafka_open(w->def->brokers, w->def->topic, &w->def->options,
						  psprintf("stream_windows-%d", source_id));
	wait_for_partitions(w);
	load_offsets(w);
	w->msgs_size = sw_batch_size;
	w->msgs = MemoryContextAlloc(TopMemoryContext,
								 sizeof(rd_kafka_message_t *) * w->msgs_size);
	MemoryContextSwitchTo(old);
	assign_positions(w);
	set_running_state(w);

	while (!ShutdownRequestPending)
	{
		const char *error = kafka_poll_events(w->kafka);
		int			max = sw_batch_size;
		int			n;
		TimestampTz now;

		MemoryContextReset(loop_cxt);
		if (error)
			set_broker_error(w, error);
		if (max > w->msgs_size)
		{
			/* sw.batch_size grew on reload (repalloc keeps its context) */
			w->msgs = repalloc(w->msgs, sizeof(rd_kafka_message_t *) * max);
			w->msgs_size = max;
		}
		n = kafka_consume(w->kafka, w->msgs, max);
		if (n > 0)
		{
			bool		had_error = w->broker_error != NULL;

			w->broker_error = NULL;
			process_batch(w, n);
			for (int i = 0; i < n; i++)
				rd_kafka_message_destroy(w->msgs[i]);
			if (had_error && w->broker_error == NULL)
				set_running_state(w);
			handle_out_of_range(w);
			update_refetching(w);
		}
		now = GetCurrentTimestamp();
		retention_sample(w, now);
		apply_retention(w, now);
		publish_status(w, now);
		tick_windows(w, now);
		check_metadata(w, now);
		if (n < max)
			worker_wait(w, sw_engine_empty(w->engine) ? 1000 : WINDOW_TICK_MS);
		else
		{
			CHECK_FOR_INTERRUPTS();
			reload_config_if_asked();
		}
	}
}

static void
release_slot(int code, Datum arg)
{
	if (my_slot)
		sw_slot_exit(my_slot, DatumGetInt32(arg), code == 0);
}

void
sw_source_worker_main(Datum main_arg)
{
	int			source_id = DatumGetInt32(main_arg);
	SwWorkerArgs args;
	SourceWorker *w;
	bool		locked;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	/* stop at once, mid-batch too: the batch's transaction is rolled back */
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.database, args.owner, 0);

	/* timestamps without an offset are read as UTC, whatever the server's TimeZone */
	SetConfigOption("TimeZone", "UTC", PGC_SUSET, PGC_S_OVERRIDE);
	sw_watchdog_start();
	pgstat_report_appname(psprintf("stream_windows source %d", source_id));

	/* exactly one worker per source, whatever happens to the launcher */
	StartTransactionCommand();
	locked = sw_source_lock_worker(source_id);
	CommitTransactionCommand();
	if (!locked)
	{
		ereport(LOG,
				(errmsg("stream_windows source %d already has a worker; this one exits", source_id)));
		proc_exit(1);
	}
	my_slot = sw_slot_acquire(source_id);
	if (my_slot == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("no free stream_windows worker slot for source %d", source_id),
				 errhint("Raise sw.max_workers.")));
	SpinLockAcquire(&my_slot->mutex);
	my_slot->pid = MyProcPid;
	my_slot->stop_requested = false;
	my_slot->state = SW_STATE_STARTING;
	SpinLockRelease(&my_slot->mutex);
	before_shmem_exit(release_slot, Int32GetDatum(source_id));

	w = MemoryContextAllocZero(TopMemoryContext, sizeof(SourceWorker));
	w->slot = my_slot;
	w->batch_cxt = AllocSetContextCreate(TopMemoryContext, "stream_windows batch",
										 ALLOCSET_DEFAULT_SIZES);
	w->engine_cxt = AllocSetContextCreate(TopMemoryContext, "stream_windows engine",
										  ALLOCSET_DEFAULT_SIZES);
	loop_cxt = AllocSetContextCreate(TopMemoryContext, "stream_windows loop",
									 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(loop_cxt);
	PG_TRY();
	{
		run(w, source_id);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		/* what to do about it belongs in last_error too */
		sw_slot_set_state(my_slot, SW_STATE_ERROR,
						  edata->hint ? psprintf("%s (%s)", edata->message, edata->hint) :
						  edata->message);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (w->kafka)
		kafka_close(w->kafka);
	proc_exit(0);
}
