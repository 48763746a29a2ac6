/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Every statement the extension runs on its own tables, and the few it
 *	  runs on a staging table as its owner.
 *
 * No user may write sw.source, sw.source_offset, sw.dead_letters or the
 * window catalogs; the workers (which run as a source's owner) and the SQL
 * functions (which run as their caller) reach them through catalog_run and
 * catalog_run_plan only, which switch to the bootstrap superuser the way
 * privilege.c allows it: restricted, with search_path pinned to
 * pg_catalog, pg_temp.  The SQL is written for that path as well: every
 * table, function and operator is schema-qualified, every identifier built
 * into a statement is quoted.  Grep for catalog_run to audit every
 * privileged statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_authid.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "commands/dbcommands.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "compat.h"
#include "privilege.h"

/* memory context of the caller, where results are copied */
static MemoryContext caller_cxt;

static void
spi_begin(SwPrivState *ps, Oid role)
{
	caller_cxt = CurrentMemoryContext;
	if (OidIsValid(role))
		sw_priv_begin_role(ps, role, NULL);
	else
		sw_priv_begin_catalog(ps);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

static void
spi_end(SwPrivState *ps)
{
	SPI_finish();
	sw_priv_end(ps);
}

static void
spi_check(int rc, const char *sql, int expected)
{
	if (rc != expected)
		elog(ERROR, "SPI failed (%s) on: %s", SPI_result_code_string(rc), sql);
}

static void
spi_exec(const char *sql, int nargs, Oid *types, Datum *values, int expected)
{
	spi_check(SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0),
			  sql, expected);
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

/* Hand each row of the last result to fn, in the caller's memory context. */
static uint64
spi_rows(CatalogRowFn fn, void *arg)
{
	uint64		n = SPI_processed;
	SPITupleTable *rows = SPI_tuptable;

	if (fn != NULL && rows != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(caller_cxt);

		for (uint64 i = 0; i < n; i++)
			fn(arg, rows->vals[i], rows->tupdesc);
		MemoryContextSwitchTo(old);
	}
	return n;
}

uint64
catalog_run(Oid role, const char *sql, int nargs, Oid *types, Datum *values,
			const char *nulls, int expected, CatalogRowFn fn, void *arg)
{
	SwPrivState ps;
	uint64		n;

	spi_begin(&ps, role);
	spi_check(SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0),
			  sql, expected);
	n = spi_rows(fn, arg);
	spi_end(&ps);
	return n;
}

/* Execute a kept plan inside spi_begin/spi_end, preparing it on first use. */
static void
plan_exec(CatalogPlan *plan, Datum *values, const char *nulls, int expected)
{
	if (plan->plan == NULL)
	{
		/* prepared under the pinned search_path, which replanning keeps */
		SPIPlanPtr	p = SPI_prepare(plan->sql, plan->nargs, plan->types);

		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "could not prepare \"%s\": %s", plan->sql,
				 SPI_result_code_string(SPI_result));
		plan->plan = p;
	}
	spi_check(SPI_execute_plan((SPIPlanPtr) plan->plan, values, nulls, false, 0),
			  plan->sql, expected);
}

uint64
catalog_run_plan(CatalogPlan *plan, Datum *values, const char *nulls,
				 int expected, CatalogRowFn fn, void *arg)
{
	SwPrivState ps;
	uint64		n;

	spi_begin(&ps, InvalidOid);
	plan_exec(plan, values, nulls, expected);
	n = spi_rows(fn, arg);
	spi_end(&ps);
	return n;
}

void
catalog_exec(const char *sql, int nargs, Oid *types, Datum *values, int expected)
{
	(void) catalog_run(InvalidOid, sql, nargs, types, values, NULL, expected, NULL, NULL);
}

SourceDef *
catalog_load_source(int source_id)
{
	SourceDef  *def = MemoryContextAllocZero(CurrentMemoryContext, sizeof(SourceDef));
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(source_id)};
	SwPrivState ps;
	int			n;

	spi_begin(&ps, InvalidOid);
	spi_exec("SELECT name, staging, brokers, topic, format, start_from,"
			 "       (extract(epoch FROM retention) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8,"
			 "       paused"
			 "  FROM sw.source WHERE id OPERATOR(pg_catalog.=) $1",
			 1, types, values, SPI_OK_SELECT);
	if (SPI_processed != 1)
	{
		spi_end(&ps);
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

	spi_exec("SELECT o.key, o.value OPERATOR(pg_catalog.#>>) '{}'::pg_catalog.text[]"
			 "  FROM sw.source s, pg_catalog.jsonb_each(s.options) o"
			 " WHERE s.id OPERATOR(pg_catalog.=) $1 ORDER BY 1",
			 1, types, values, SPI_OK_SELECT);
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
	spi_end(&ps);
	def->owner = sw_relation_owner(def->staging);
	return def;
}

void
catalog_load_offsets(int source_id, int npartitions, int64 *next_offset,
					 int64 *staged_from)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(source_id)};
	SwPrivState ps;

	for (int p = 0; p < npartitions; p++)
		next_offset[p] = staged_from[p] = -1;
	spi_begin(&ps, InvalidOid);
	spi_exec("SELECT kafka_partition, next_offset, staged_from"
			 "  FROM sw.source_offset WHERE source_id OPERATOR(pg_catalog.=) $1",
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
	spi_end(&ps);
}

void
catalog_insert_offset(int source_id, int partition, int64 offset)
{
	Oid			types[3] = {INT4OID, INT4OID, INT8OID};
	Datum		values[3] = {Int32GetDatum(source_id), Int32GetDatum(partition),
	Int64GetDatum(offset)};

	catalog_exec("INSERT INTO sw.source_offset (source_id, kafka_partition, next_offset, staged_from)"
				 " VALUES ($1, $2, $3, $3)", 3, types, values, SPI_OK_INSERT);
}

static char *qualified_name(Oid relid);

static Datum array_of(int n, const Datum *values, const bool *nulls, Oid type);

/* An int8[] of values (for a parameter) */
Datum
catalog_int8_array(int n, const int64 *values)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(values[i]);
	return array_of(n, d, NULL, INT8OID);
}

/* An int4[] of values (for a parameter) */
Datum
catalog_int4_array(int n, const int *values)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int32GetDatum(values[i]);
	return array_of(n, d, NULL, INT4OID);
}

void
catalog_advance_offsets(int source_id, int n, const int *partitions,
						const int64 *old_offsets, const int64 *new_offsets)
{
	static CatalogPlan plan = {
		"UPDATE sw.source_offset o SET next_offset = u.new_offset"
		"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4))"
		"       AS u(kafka_partition, old_offset, new_offset)"
		" WHERE o.source_id OPERATOR(pg_catalog.=) $1"
		"   AND o.kafka_partition OPERATOR(pg_catalog.=) u.kafka_partition"
		"   AND o.next_offset OPERATOR(pg_catalog.=) u.old_offset",
		4, {INT4OID, INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}
	};
	Datum		values[4];

	if (n == 0)
		return;
	values[0] = Int32GetDatum(source_id);
	values[1] = catalog_int4_array(n, partitions);
	values[2] = catalog_int8_array(n, old_offsets);
	values[3] = catalog_int8_array(n, new_offsets);
	if (catalog_run_plan(&plan, values, NULL, SPI_OK_UPDATE, NULL, NULL) != (uint64) n)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("offsets of source %d changed while its worker was consuming it",
						source_id),
				 errdetail("The source was reset or dropped; the worker starts again from the stored offsets.")));
}

void
catalog_retain(Oid staging, Oid owner, int source_id, int npartitions, const int64 *below,
			   BlockNumber from_block, BlockNumber to_block, bool raise_staged_from)
{
	Oid			types[4] = {INT4OID, INT8ARRAYOID, TIDOID, TIDOID};
	Datum		values[4];
	ItemPointerData from_tid;
	ItemPointerData to_tid;

	ItemPointerSet(&from_tid, from_block, 0);
	ItemPointerSet(&to_tid, to_block, 0);
	values[0] = Int32GetDatum(source_id);
	values[1] = catalog_int8_array(npartitions, below);
	values[2] = ItemPointerGetDatum(&from_tid);
	values[3] = ItemPointerGetDatum(&to_tid);
	/* one pass over these blocks (a TID range scan), as the owner */
	(void) catalog_run(owner,
					   psprintf("DELETE FROM %s WHERE ctid OPERATOR(pg_catalog.>=) $2"
								"   AND ctid OPERATOR(pg_catalog.<) $3"
								"   AND kafka_offset OPERATOR(pg_catalog.<)"
								" ($1::pg_catalog.int8[])[kafka_partition OPERATOR(pg_catalog.+) 1]",
								qualified_name(staging)),
					   3, &types[1], &values[1], NULL, SPI_OK_DELETE, NULL, NULL);
	if (raise_staged_from)
		catalog_exec("UPDATE sw.source_offset o SET staged_from = u.below"
					 "  FROM pg_catalog.unnest($2) WITH ORDINALITY AS u(below, p)"
					 " WHERE o.source_id OPERATOR(pg_catalog.=) $1"
					 "   AND o.kafka_partition OPERATOR(pg_catalog.=) (u.p OPERATOR(pg_catalog.-) 1)"
					 "   AND o.staged_from OPERATOR(pg_catalog.<) u.below",
					 2, types, values, SPI_OK_UPDATE);
}

void
catalog_raise_staged_from(int source_id, int partition, int64 offset)
{
	Oid			types[3] = {INT4OID, INT4OID, INT8OID};
	Datum		values[3] = {Int32GetDatum(source_id), Int32GetDatum(partition),
	Int64GetDatum(offset)};

	catalog_exec("UPDATE sw.source_offset SET staged_from = $3"
				 " WHERE source_id OPERATOR(pg_catalog.=) $1"
				 "   AND kafka_partition OPERATOR(pg_catalog.=) $2"
				 "   AND staged_from OPERATOR(pg_catalog.<) $3",
				 3, types, values, SPI_OK_UPDATE);
}

/* A message's payload as a bytea datum; (Datum) 0 for none. */
static Datum
payload_bytea(const char *payload, size_t len)
{
	bytea	   *raw;

	if (payload == NULL)
		return (Datum) 0;
	raw = palloc(VARHDRSZ + len);
	SET_VARSIZE(raw, VARHDRSZ + len);
	memcpy(VARDATA(raw), payload, len);
	return PointerGetDatum(raw);
}

void
catalog_dead_letter(const char *source_name, int partition, int64 offset,
					int64 offset_end, const char *key, int keylen,
					const char *payload, size_t len, const char *error)
{
	Oid			types[7] = {TEXTOID, INT4OID, INT8OID, INT8OID, TEXTOID, BYTEAOID, TEXTOID};
	Datum		values[7];
	char		nulls[7] = "       ";

	values[0] = CStringGetTextDatum(source_name);
	values[1] = Int32GetDatum(partition);
	values[2] = Int64GetDatum(offset);
	values[3] = Int64GetDatum(offset_end);
	nulls[3] = offset_end < 0 ? 'n' : ' ';
	values[4] = key ? PointerGetDatum(cstring_to_text_with_len(key, keylen)) : (Datum) 0;
	nulls[4] = key ? ' ' : 'n';
	values[5] = payload_bytea(payload, len);
	nulls[5] = payload ? ' ' : 'n';
	values[6] = CStringGetTextDatum(error);

	(void) catalog_run(InvalidOid,
					   "INSERT INTO sw.dead_letters (source_name, kafka_partition,"
					   " kafka_offset, kafka_offset_end, kafka_key, payload, error)"
					   " VALUES ($1, $2, $3, $4, $5, $6, $7)",
					   7, types, values, nulls, SPI_OK_INSERT, NULL, NULL);
}

/* An array of max elements with the first n of p's (p NULL when n is 0). */
static void *
grown(void *p, int n, int max, Size elem)
{
	return n > 0 ? repalloc(p, elem * max) : palloc(elem * max);
}

/* Queue one bad message (in CurrentMemoryContext). */
void
catalog_dead_letters_add(CatalogDeadLetters *dl, int partition, int64 offset,
						 const char *key, int keylen,
						 const char *payload, size_t len, const char *error)
{
	if (dl->n == dl->max)
	{
		int			max = Max(16, dl->max * 2);

		dl->partition = grown(dl->partition, dl->max, max, sizeof(Datum));
		dl->offset = grown(dl->offset, dl->max, max, sizeof(Datum));
		dl->key = grown(dl->key, dl->max, max, sizeof(Datum));
		dl->key_null = grown(dl->key_null, dl->max, max, sizeof(bool));
		dl->payload = grown(dl->payload, dl->max, max, sizeof(Datum));
		dl->payload_null = grown(dl->payload_null, dl->max, max, sizeof(bool));
		dl->error = grown(dl->error, dl->max, max, sizeof(Datum));
		dl->max = max;
	}
	dl->partition[dl->n] = Int32GetDatum(partition);
	dl->offset[dl->n] = Int64GetDatum(offset);
	dl->key_null[dl->n] = (key == NULL);
	dl->key[dl->n] = key ? PointerGetDatum(cstring_to_text_with_len(key, keylen)) : (Datum) 0;
	dl->payload[dl->n] = payload_bytea(payload, len);
	dl->payload_null[dl->n] = (payload == NULL);
	dl->error[dl->n] = CStringGetTextDatum(error);
	dl->n++;
}

/* Write a batch's dead letters, one statement for all of them. */
void
catalog_dead_letters(const char *source_name, CatalogDeadLetters *dl)
{
	Oid			types[6] = {TEXTOID, INT4ARRAYOID, INT8ARRAYOID, TEXTARRAYOID,
	BYTEAARRAYOID, TEXTARRAYOID};
	Datum		values[6];

	if (dl->n == 0)
		return;
	values[0] = CStringGetTextDatum(source_name);
	values[1] = array_of(dl->n, dl->partition, NULL, INT4OID);
	values[2] = array_of(dl->n, dl->offset, NULL, INT8OID);
	values[3] = array_of(dl->n, dl->key, dl->key_null, TEXTOID);
	values[4] = array_of(dl->n, dl->payload, dl->payload_null, BYTEAOID);
	values[5] = array_of(dl->n, dl->error, NULL, TEXTOID);
	catalog_exec("INSERT INTO sw.dead_letters (source_name, kafka_partition,"
				 " kafka_offset, kafka_key, payload, error)"
				 " SELECT $1, u.p, u.o, u.k, u.b, u.e FROM ROWS FROM"
				 " (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4),"
				 "  pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u(p, o, k, b, e)",
				 6, types, values, SPI_OK_INSERT);
	dl->n = 0;
}

static char *
qualified_name(Oid relid)
{
	char	   *name = get_rel_name(relid);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u no longer exists", relid),
				 errdetail("It was dropped without stream_windows' own functions."),
				 errhint("Drop the source or window with sw.drop_source or sw.drop_window.")));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), name);
}

typedef struct StagedMax
{
	int			npartitions;
	int64	   *max_offset;
} StagedMax;

static void
staged_max_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	StagedMax  *sm = arg;
	bool		isnull;
	int			p = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
	Datum		max = heap_getattr(tup, 2, desc, &isnull);

	if (p >= 0 && p < sm->npartitions && !isnull)
		sm->max_offset[p] = DatumGetInt64(max);
}

void
catalog_staged_max(Oid staging, Oid owner, int npartitions, int64 *max_offset)
{
	StagedMax	sm = {npartitions, max_offset};

	for (int p = 0; p < npartitions; p++)
		max_offset[p] = -1;
	/* as the owner: reading the staging table is the owner's business */
	(void) catalog_run(owner,
					   psprintf("SELECT kafka_partition, pg_catalog.max(kafka_offset) FROM %s GROUP BY 1",
								qualified_name(staging)),
					   0, NULL, NULL, NULL, SPI_OK_SELECT, staged_max_row, &sm);
}

static Datum
array_of(int n, const Datum *values, const bool *nulls, Oid type)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array((Datum *) values, (bool *) nulls, 1, dims, lbs,
											  type, typlen, typbyval, typalign));
}

/*
 * What a window's batch changed besides its result rows, in one switch and
 * at most three statements: its late events, the partitions whose
 * watermark state moved, and its counters.
 */
void
catalog_save_window(const CatalogWindowSave *ws)
{
	static CatalogPlan late_plan = {
		"INSERT INTO sw.late_events (window_name, kafka_partition, kafka_offset,"
		" event_time, watermark)"
		" SELECT $1, u.p, u.o, u.t, u.w FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
		" pg_catalog.unnest($4), pg_catalog.unnest($5)) AS u(p, o, t, w)",
		5, {TEXTOID, INT4ARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID}
	};
	static CatalogPlan part_plan = {
		"INSERT INTO sw.window_partition (window_id, kafka_partition, start_offset,"
		" max_event_time, last_event_at, idle)"
		" SELECT $1, u.p, u.s, u.m, u.l, u.i FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
		" pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u(p, s, m, l, i)"
		" ON CONFLICT (window_id, kafka_partition) DO UPDATE"
		" SET max_event_time = EXCLUDED.max_event_time,"
		" last_event_at = EXCLUDED.last_event_at, idle = EXCLUDED.idle",
		6, {INT4OID, INT4ARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, BOOLARRAYOID}
	};
	static CatalogPlan state_plan = {
		"UPDATE sw.window_state SET watermark = $2, open_windows = $3,"
		" final_windows = $4, late_merged = $5, late_dropped = $6,"
		" null_time_skipped = $7, updated_at = $8"
		" WHERE window_id OPERATOR(pg_catalog.=) $1",
		8, {INT4OID, TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID}
	};
	SwPrivState ps;
	Datum		v[8];

	if (ws->nlate == 0 && ws->nparts == 0 && !ws->state_dirty)
		return;
	spi_begin(&ps, InvalidOid);
	if (ws->nlate > 0)
	{
		v[0] = CStringGetTextDatum(ws->window_name);
		v[1] = array_of(ws->nlate, ws->late_partition, NULL, INT4OID);
		v[2] = array_of(ws->nlate, ws->late_offset, NULL, INT8OID);
		v[3] = array_of(ws->nlate, ws->late_time, NULL, TIMESTAMPTZOID);
		v[4] = array_of(ws->nlate, ws->late_watermark, NULL, TIMESTAMPTZOID);
		plan_exec(&late_plan, v, NULL, SPI_OK_INSERT);
	}
	if (ws->nparts > 0)
	{
		v[0] = Int32GetDatum(ws->window_id);
		v[1] = array_of(ws->nparts, ws->part, NULL, INT4OID);
		v[2] = array_of(ws->nparts, ws->start_offset, NULL, INT8OID);
		v[3] = array_of(ws->nparts, ws->max_time, ws->time_null, TIMESTAMPTZOID);
		v[4] = array_of(ws->nparts, ws->last_at, ws->time_null, TIMESTAMPTZOID);
		v[5] = array_of(ws->nparts, ws->idle, NULL, BOOLOID);
		plan_exec(&part_plan, v, NULL, SPI_OK_INSERT);
	}
	if (ws->state_dirty)
	{
		v[0] = Int32GetDatum(ws->window_id);
		v[1] = TimestampTzGetDatum(ws->watermark);
		for (int i = 0; i < 5; i++)
			v[2 + i] = Int64GetDatum(ws->counters[i]);
		v[7] = TimestampTzGetDatum(ws->now);
		plan_exec(&state_plan, v, ws->has_watermark ? NULL : " n      ", SPI_OK_UPDATE);
	}
	spi_end(&ps);
}

/*
 * The relation a name resolves to in the caller's search_path, as the
 * caller (like to_regclass); InvalidOid when there is none or the name is
 * not a valid qualified name.
 */
Oid
sw_resolve_relation(const char *name)
{
	List	   *names = sw_qualified_name_list(name);

	return RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
}

/* A CatalogRowFn: the first column as text, in the caller's context, into *(char **) arg. */
void
catalog_row_text(void *arg, HeapTuple tup, TupleDesc desc)
{
	*(char **) arg = SPI_getvalue(tup, desc, 1);
}

/* A CatalogRowFn: the first column of the (last) row, an int4, into *(int *) arg. */
void
catalog_row_int4(void *arg, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;

	*(int *) arg = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
}

/*
 * The row of one of the extension's tables (sw.source, sw.window) whose
 * name is name or else, when no row has that name, whose relation (the
 * column relcol: staging, result) is the one name resolves to in the
 * caller's search_path: at most one.  columns is the select list.
 */
void
catalog_find_by_name(const char *table, const char *relcol, const char *columns,
					 const char *name, CatalogRowFn fn, void *arg)
{
	Oid			types[1] = {TEXTOID};
	Datum		v[1] = {CStringGetTextDatum(name)};
	Oid			relid;

	if (catalog_run(InvalidOid,
					psprintf("SELECT %s FROM sw.%s WHERE name OPERATOR(pg_catalog.=) $1",
							 columns, table),
					1, types, v, NULL, SPI_OK_SELECT, fn, arg) > 0)
		return;
	/* no such name: the relation it resolves to, as the caller sees it */
	relid = sw_resolve_relation(name);
	if (!OidIsValid(relid))
		return;
	types[0] = OIDOID;
	v[0] = ObjectIdGetDatum(relid);
	(void) catalog_run(InvalidOid,
					   psprintf("SELECT %s FROM sw.%s WHERE %s OPERATOR(pg_catalog.=) $1",
								columns, table, relcol),
					   1, types, v, NULL, SPI_OK_SELECT, fn, arg);
}

/*
 * Suspend a window: state 'error' with the reason, and where it stands per
 * partition (resume_from): every event below the source's stored
 * next_offset, which the current batch has not moved yet.
 */
void
catalog_suspend_window(int window_id, const char *why)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		v[2] = {Int32GetDatum(window_id), CStringGetTextDatum(why)};

	catalog_exec("UPDATE sw.window_state SET state = 'error', last_error = $2"
				 " WHERE window_id OPERATOR(pg_catalog.=) $1",
				 2, types, v, SPI_OK_UPDATE);
	catalog_exec("INSERT INTO sw.window_partition (window_id, kafka_partition, start_offset, resume_from)"
				 " SELECT $1, o.kafka_partition, 0, o.next_offset"
				 "   FROM sw.source_offset o JOIN sw.window w"
				 "     ON w.source_id OPERATOR(pg_catalog.=) o.source_id"
				 "  WHERE w.id OPERATOR(pg_catalog.=) $1"
				 " ON CONFLICT (window_id, kafka_partition) DO UPDATE"
				 " SET resume_from = EXCLUDED.resume_from",
				 1, types, v, SPI_OK_INSERT);
}

/*
 * Events a window skipped (offset_end < 0: a single event, else a range),
 * in the current transaction: exactly once with the batch.
 */
void
catalog_window_errors(const char *window_name, int n, const int *partitions,
					  const int64 *offsets, const int64 *offset_ends,
					  char *const *errors)
{
	static CatalogPlan plan = {
		"INSERT INTO sw.window_errors (window_name, kafka_partition, kafka_offset,"
		" kafka_offset_end, error)"
		" SELECT $1, u.p, u.o, u.e, u.m FROM ROWS FROM (pg_catalog.unnest($2),"
		" pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5)) AS u(p, o, e, m)",
		5, {TEXTOID, INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID}
	};
	Datum	   *p = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *o = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *e = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *enull = palloc(sizeof(bool) * Max(n, 1));
	Datum	   *m = palloc(sizeof(Datum) * Max(n, 1));
	Datum		v[5];

	if (n == 0)
		return;
	for (int i = 0; i < n; i++)
	{
		p[i] = Int32GetDatum(partitions[i]);
		o[i] = Int64GetDatum(offsets[i]);
		e[i] = Int64GetDatum(offset_ends[i]);
		enull[i] = offset_ends[i] < 0;
		m[i] = CStringGetTextDatum(errors[i]);
	}
	v[0] = CStringGetTextDatum(window_name);
	v[1] = array_of(n, p, NULL, INT4OID);
	v[2] = array_of(n, o, NULL, INT8OID);
	v[3] = array_of(n, e, enull, INT8OID);
	v[4] = array_of(n, m, NULL, TEXTOID);
	(void) catalog_run_plan(&plan, v, NULL, SPI_OK_INSERT, NULL, NULL);
}

/*
 * The library serves the SQL objects of one extension version: after the
 * library was replaced, the workers wait for ALTER EXTENSION ... UPDATE
 * instead of failing on a catalog they do not know.
 */
static char *
extension_version(void)
{
	char	   *version = NULL;

	(void) catalog_run(InvalidOid,
					   "SELECT extversion FROM pg_catalog.pg_extension"
					   " WHERE extname OPERATOR(pg_catalog.=) 'stream_windows'",
					   0, NULL, NULL, NULL, SPI_OK_SELECT, catalog_row_text, &version);
	return version;
}

bool
catalog_extension_current(void)
{
	char	   *version = extension_version();

	return version != NULL && strcmp(version, SW_EXTENSION_VERSION) == 0;
}

void
catalog_check_extension_version(void)
{
	char	   *version = extension_version();

	if (version != NULL && strcmp(version, SW_EXTENSION_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stream_windows library %s cannot run the extension's version %s objects",
						SW_EXTENSION_VERSION, version),
				 errhint("Run ALTER EXTENSION stream_windows UPDATE in database \"%s\".",
						 get_database_name(MyDatabaseId))));
}

/* ------------------------------------------------------------------------
 * After a dump and restore: relations found again by name
 * ------------------------------------------------------------------------
 */

typedef struct RelRef
{
	int			id;
	Oid			relid;
	char	   *name;			/* as stored: schema.table, quoted */
	char	   *home;			/* the database it was made in */
} RelRef;

static void
relref_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	List	  **list = arg;
	RelRef	   *r = palloc(sizeof(RelRef));
	bool		isnull;

	r->id = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
	r->relid = DatumGetObjectId(heap_getattr(tup, 2, desc, &isnull));
	r->name = SPI_getvalue(tup, desc, 3);
	r->home = SPI_getvalue(tup, desc, 4);
	*list = lappend(*list, r);
}

/* This database, as stored in a row's home: "system identifier:database OID". */
char *
catalog_home(void)
{
	return psprintf(UINT64_FORMAT ":%u", GetSystemIdentifier(), MyDatabaseId);
}

static char *
relation_qualified_name(Oid relid)
{
	char	   *rel = get_rel_name(relid);

	return rel ? quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), rel) : NULL;
}

/*
 * Which relation a stored (OID, name) pair means now.  Same cluster: the
 * OID, whose name is the stored one (or, renamed, a new one: *renamed).
 * After pg_dump and pg_restore into another database the OIDs are new:
 * the relation is found by its name.
 */
static Oid
resolve_relation(Oid relid, const char *name, bool restored, bool *renamed)
{
	char	   *current = relation_qualified_name(relid);
	Oid			byname = InvalidOid;

	*renamed = false;
	if (current != NULL && name != NULL && strcmp(current, name) == 0)
		return relid;

	/*
	 * Only in another database than the row was made in: in its own, a
	 * table of that name made after the original was dropped by hand is
	 * somebody else's, not the source's or window's.
	 */
	if (name != NULL && restored)
		byname = RangeVarGetRelid(makeRangeVarFromNameList(sw_qualified_name_list(name)),
								  NoLock, true);
	if (OidIsValid(byname))
		return byname;
	*renamed = (current != NULL);
	return relid;
}

/*
 * Bring the stored staging and result tables (their OIDs, names and owners)
 * in line with what the database holds, for sources and windows alike; a
 * window whose relations had to be found by name is analyzed again from its
 * SQL text when it is next loaded (catversion NULL).  Cheap when nothing
 * moved: one syscache lookup per relation.
 */
void
catalog_resolve_relations(void)
{
	static const char *const what[2][4] = {
		{"source", "staging", "staging_name", "UPDATE sw.window SET catversion = NULL WHERE source_id OPERATOR(pg_catalog.=) $1"},
		{"window", "result", "result_name", "UPDATE sw.window SET catversion = NULL WHERE id OPERATOR(pg_catalog.=) $1"},
	};

	char	   *home = catalog_home();

	for (int k = 0; k < 2; k++)
	{
		List	   *refs = NIL;
		ListCell   *lc;

		(void) catalog_run(InvalidOid,
						   psprintf("SELECT id, %s, %s, home FROM sw.%s", what[k][1], what[k][2], what[k][0]),
						   0, NULL, NULL, NULL, SPI_OK_SELECT, relref_row, &refs);
		foreach(lc, refs)
		{
			RelRef	   *r = lfirst(lc);
			bool		restored = r->home == NULL || strcmp(r->home, home) != 0;
			bool		renamed;
			Oid			relid = resolve_relation(r->relid, r->name, restored, &renamed);
			Oid			types[5] = {INT4OID, OIDOID, OIDOID, TEXTOID, TEXTOID};
			Datum		v[5];

			Oid			owner;

			if (relid == r->relid && !renamed && !restored)
				continue;
			owner = sw_relation_owner(relid);
			if (!OidIsValid(owner))
				continue;		/* gone, and nothing of its name: left as it is */
			v[0] = Int32GetDatum(r->id);
			v[1] = ObjectIdGetDatum(relid);
			v[2] = ObjectIdGetDatum(owner);
			v[3] = CStringGetTextDatum(relation_qualified_name(relid));
			v[4] = CStringGetTextDatum(home);
			catalog_exec(psprintf("UPDATE sw.%s SET %s = $2, owner = $3, %s = $4, home = $5"
								  " WHERE id OPERATOR(pg_catalog.=) $1",
								  what[k][0], what[k][1], what[k][2]),
						 5, types, v, SPI_OK_UPDATE);
			if (relid != r->relid || restored)
			{
				ereport(LOG,
						(errmsg("stream_windows: %s \"%s\" found again by the name of its table (OID %u, was %u)",
								what[k][0], r->name, relid, r->relid)));
				catalog_exec(what[k][3], 1, types, v, SPI_OK_UPDATE);
			}
		}
	}
}
