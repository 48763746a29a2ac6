/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Reading and writing the extension's own tables from the workers.
 *
 * A source worker runs as the source's owner, who may not touch
 * sw.source_offset or sw.dead_letters directly; these functions switch to
 * the bootstrap superuser for the extension's own tables only, the way
 * PostgreSQL's own maintenance code uses SetUserIdAndSecContext.  Every
 * identifier built into SQL is quoted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "catalog.h"

static Oid	saved_userid;
static int	saved_secctx;
static int	superuser_depth = 0;

/*
 * An error between begin and end leaves the switch half done; the abort
 * restores the user itself (AbortTransaction), and this resets the count.
 */
static void
reset_on_abort(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		superuser_depth = 0;
}

static void
reset_on_subabort(SubXactEvent event, SubTransactionId mySubid,
				  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		superuser_depth = 0;
}

void
catalog_begin_superuser(void)
{
	static bool callbacks_registered = false;

	if (!callbacks_registered)
	{
		RegisterXactCallback(reset_on_abort, NULL);
		RegisterSubXactCallback(reset_on_subabort, NULL);
		callbacks_registered = true;
	}
	if (superuser_depth++ == 0)
	{
		GetUserIdAndSecContext(&saved_userid, &saved_secctx);
		SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
							   saved_secctx | SECURITY_LOCAL_USERID_CHANGE);
	}
}

void
catalog_end_superuser(void)
{
	if (--superuser_depth == 0)
		SetUserIdAndSecContext(saved_userid, saved_secctx);
}

/* memory context of the caller, where results are copied */
static MemoryContext caller_cxt;

static void
spi_begin(void)
{
	caller_cxt = CurrentMemoryContext;
	catalog_begin_superuser();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

static void
spi_end(void)
{
	SPI_finish();
	catalog_end_superuser();
}

static void
spi_exec(const char *sql, int nargs, Oid *types, Datum *values, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, NULL,
										   false, 0);

	if (rc != expected)
		elog(ERROR, "SPI failed (%d) on: %s", rc, sql);
}

/* column col (1-based) of row as a string in the caller's context */
static char *
spi_text(int row, int col)
{
	char	   *v = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);

	return v ? MemoryContextStrdup(caller_cxt, v) : NULL;
}

static int64
spi_int64(int row, int col, int64 if_null)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
								  col, &isnull);

	return isnull ? if_null : DatumGetInt64(d);
}

void
catalog_exec(const char *sql, int nargs, Oid *types, Datum *values, int expected)
{
	spi_begin();
	spi_exec(sql, nargs, types, values, expected);
	spi_end();
}

SourceDef *
catalog_load_source(int source_id)
{
	SourceDef  *def = MemoryContextAllocZero(CurrentMemoryContext, sizeof(SourceDef));
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(source_id)};
	int			n;

	spi_begin();
	spi_exec("SELECT name, staging, brokers, topic, format, start_from,"
			 "       (extract(epoch FROM retention) * 1000000)::bigint, paused"
			 "  FROM sw.source WHERE id = $1", 1, types, values, SPI_OK_SELECT);
	if (SPI_processed != 1)
	{
		spi_end();
		pfree(def);
		return NULL;
	}
	def->id = source_id;
	def->name = spi_text(0, 1);
	def->staging = (Oid) strtoul(spi_text(0, 2), NULL, 10);
	def->brokers = spi_text(0, 3);
	def->topic = spi_text(0, 4);
	def->format = spi_text(0, 5);
	def->start_from = spi_text(0, 6);
	def->retention_usecs = spi_int64(0, 7, 0);
	def->paused = strcmp(spi_text(0, 8), "t") == 0;

	spi_exec("SELECT key, value #>> '{}' FROM sw.source, jsonb_each(options)"
			 " WHERE id = $1 ORDER BY key", 1, types, values, SPI_OK_SELECT);
	n = (int) SPI_processed;
	def->options.count = n;
	def->options.keys = MemoryContextAlloc(caller_cxt, sizeof(char *) * (n + 1));
	def->options.values = MemoryContextAlloc(caller_cxt, sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		def->options.keys[i] = spi_text(i, 1);
		def->options.values[i] = spi_text(i, 2);
		if (def->options.values[i] == NULL)
			def->options.values[i] = "";
	}
	spi_end();
	return def;
}

void
catalog_load_offsets(int source_id, int npartitions, int64 *next_offset,
					 int64 *staged_from)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(source_id)};

	for (int p = 0; p < npartitions; p++)
		next_offset[p] = staged_from[p] = -1;
	spi_begin();
	spi_exec("SELECT kafka_partition, next_offset, staged_from"
			 "  FROM sw.source_offset WHERE source_id = $1",
			 1, types, values, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int			p = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
													SPI_tuptable->tupdesc, 1, &isnull));

		if (p < 0 || p >= npartitions)
			continue;			/* a partition the topic no longer has */
		next_offset[p] = spi_int64(i, 2, -1);
		staged_from[p] = spi_int64(i, 3, -1);
	}
	spi_end();
}

void
catalog_insert_offset(int source_id, int partition, int64 offset)
{
	Oid			types[3] = {INT4OID, INT4OID, INT8OID};
	Datum		values[3] = {Int32GetDatum(source_id), Int32GetDatum(partition),
	Int64GetDatum(offset)};

	spi_begin();
	spi_exec("INSERT INTO sw.source_offset (source_id, kafka_partition, next_offset, staged_from)"
			 " VALUES ($1, $2, $3, $3)", 3, types, values, SPI_OK_INSERT);
	spi_end();
}

static char *qualified_name(Oid relid);

static Datum
int8_array(int n, const int64 *values)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, true, TYPALIGN_DOUBLE));
}

static Datum
int4_array(int n, const int *values)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int32GetDatum(values[i]);
	return PointerGetDatum(construct_array(d, n, INT4OID, 4, true, TYPALIGN_INT));
}

void
catalog_advance_offsets(int source_id, int n, const int *partitions,
						const int64 *old_offsets, const int64 *new_offsets)
{
	Oid			types[4] = {INT4OID, INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID};
	Datum		values[4];

	if (n == 0)
		return;
	values[0] = Int32GetDatum(source_id);
	values[1] = int4_array(n, partitions);
	values[2] = int8_array(n, old_offsets);
	values[3] = int8_array(n, new_offsets);
	spi_begin();
	spi_exec("UPDATE sw.source_offset o SET next_offset = u.new_offset"
			 "  FROM unnest($2, $3, $4) AS u(kafka_partition, old_offset, new_offset)"
			 " WHERE o.source_id = $1 AND o.kafka_partition = u.kafka_partition"
			 "   AND o.next_offset = u.old_offset",
			 4, types, values, SPI_OK_UPDATE);
	if (SPI_processed != (uint64) n)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("offsets of source %d changed while its worker was consuming it",
						source_id),
				 errdetail("The source was reset or dropped; the worker starts again from the stored offsets.")));
	spi_end();
}

void
catalog_retain(Oid staging, int source_id, int npartitions, const int64 *below)
{
	Oid			types[2] = {INT4OID, INT8ARRAYOID};
	Datum		values[2];

	values[0] = Int32GetDatum(source_id);
	values[1] = int8_array(npartitions, below);
	/* one pass over staging, whatever the number of partitions */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	spi_exec(psprintf("DELETE FROM %s WHERE kafka_offset < ($1::bigint[])[kafka_partition + 1]",
					  qualified_name(staging)), 1, &types[1], &values[1], SPI_OK_DELETE);
	SPI_finish();
	spi_begin();
	spi_exec("UPDATE sw.source_offset o SET staged_from = u.below"
			 "  FROM unnest($2) WITH ORDINALITY AS u(below, p)"
			 " WHERE o.source_id = $1 AND o.kafka_partition = u.p - 1 AND o.staged_from < u.below",
			 2, types, values, SPI_OK_UPDATE);
	spi_end();
}

void
catalog_raise_staged_from(int source_id, int partition, int64 offset)
{
	Oid			types[3] = {INT4OID, INT4OID, INT8OID};
	Datum		values[3] = {Int32GetDatum(source_id), Int32GetDatum(partition),
	Int64GetDatum(offset)};

	spi_begin();
	spi_exec("UPDATE sw.source_offset SET staged_from = $3"
			 " WHERE source_id = $1 AND kafka_partition = $2 AND staged_from < $3",
			 3, types, values, SPI_OK_UPDATE);
	spi_end();
}

void
catalog_dead_letter(const char *source_name, int partition, int64 offset,
					int64 offset_end, const char *key, int keylen,
					const char *payload, size_t len, const char *error)
{
	Oid			types[7] = {TEXTOID, INT4OID, INT8OID, INT8OID, TEXTOID, BYTEAOID, TEXTOID};
	Datum		values[7];
	char		nulls[7] = "       ";
	bytea	   *raw = NULL;

	values[0] = CStringGetTextDatum(source_name);
	values[1] = Int32GetDatum(partition);
	values[2] = Int64GetDatum(offset);
	values[3] = Int64GetDatum(offset_end);
	nulls[3] = offset_end < 0 ? 'n' : ' ';
	values[4] = key ? PointerGetDatum(cstring_to_text_with_len(key, keylen)) : (Datum) 0;
	nulls[4] = key ? ' ' : 'n';
	if (payload)
	{
		raw = palloc(VARHDRSZ + len);
		SET_VARSIZE(raw, VARHDRSZ + len);
		memcpy(VARDATA(raw), payload, len);
	}
	values[5] = PointerGetDatum(raw);
	nulls[5] = payload ? ' ' : 'n';
	values[6] = CStringGetTextDatum(error);

	spi_begin();
	if (SPI_execute_with_args("INSERT INTO sw.dead_letters (source_name, kafka_partition,"
							  " kafka_offset, kafka_offset_end, kafka_key, payload, error)"
							  " VALUES ($1, $2, $3, $4, $5, $6, $7)",
							  7, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record dead letter");
	spi_end();
}

static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

void
catalog_staged_max(Oid staging, int npartitions, int64 *max_offset)
{
	for (int p = 0; p < npartitions; p++)
		max_offset[p] = -1;
	/* as the owner: reading the staging table is the owner's business */
	caller_cxt = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	spi_exec(psprintf("SELECT kafka_partition, max(kafka_offset) FROM %s GROUP BY 1",
					  qualified_name(staging)), 0, NULL, NULL, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int			p = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
													SPI_tuptable->tupdesc, 1, &isnull));

		if (p >= 0 && p < npartitions)
			max_offset[p] = spi_int64(i, 2, -1);
	}
	SPI_finish();
}

