/*-------------------------------------------------------------------------
 *
 * result_writer.c
 *	  Writing a window's rows to its result table: one statement per kind
 *	  of write per batch, rows found by what they are, not where they lie.
 *
 * A row already in the table is found by its identity: its group key, its
 * bounds as last written and, for count windows, its window_seq, among the
 * rows that are not closed (_sw_open).  Never by a physical position kept
 * from an earlier transaction: VACUUM FULL, CLUSTER or pg_repack may move
 * every row between two batches.  The index create_window builds on the
 * identity serves these lookups; each returns the row's ctid, which the
 * same statement then writes through (append_row_lookup).
 *
 * Each kind of write (delete, update, mark, insert) queued during a batch
 * runs as one statement over unnest() of a column of values per
 * parameter.  A NULL group key never equals anything under its type's
 * equality operator, so rows with one go through a second, NULL-safe
 * statement.  A column whose type has no array type (an array itself:
 * avg(int4)'s int8[] state, an array group key) travels as text, its
 * type's output (with extra_float_digits pinned, so floats come back
 * exact), and is cast back in the statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/nodeFuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "window_internal.h"

/* A row waiting in a RowBatch: its parameters, identity first. */
typedef struct PendingRow
{
	Datum	   *values;
	bool	   *isnull;
} PendingRow;

static const int expected_rc[SW_WRITE_KINDS] = {
	[SW_WRITE_DELETE] = SPI_OK_DELETE,
	[SW_WRITE_UPDATE] = SPI_OK_UPDATE,
	[SW_WRITE_MARK] = SPI_OK_UPDATE,
	[SW_WRITE_INSERT] = SPI_OK_INSERT,
};

/* Columns of identity: the group keys, window_start, window_end, [window_seq]. */
static int
identity_columns(SwWindow *w)
{
	return w->ngroup + 2 + (w->kind == SW_KIND_COUNT ? 1 : 0);
}

/*
 * A batch for parameters of these types; a type without an array type is
 * passed as text.
 */
static RowBatch *
batch_new(SwWindow *w, SwWriteKind kind, int ncols, const Oid *types)
{
	RowBatch   *b = MemoryContextAllocZero(w->cxt, sizeof(RowBatch));

	b->kind = kind;
	b->ncols = ncols;
	b->types = MemoryContextAlloc(w->cxt, sizeof(Oid) * ncols);
	b->typlen = MemoryContextAlloc(w->cxt, sizeof(int16) * ncols);
	b->typbyval = MemoryContextAlloc(w->cxt, sizeof(bool) * ncols);
	b->typalign = MemoryContextAlloc(w->cxt, sizeof(char) * ncols);
	b->astext = MemoryContextAllocZero(w->cxt, sizeof(FmgrInfo *) * ncols);
	for (int i = 0; i < ncols; i++)
	{
		b->types[i] = types[i];
		if (!OidIsValid(get_array_type(types[i])))
		{
			Oid			output;
			bool		varlena;

			getTypeOutputInfo(types[i], &output, &varlena);
			b->astext[i] = MemoryContextAlloc(w->cxt, sizeof(FmgrInfo));
			fmgr_info_cxt(output, b->astext[i], w->cxt);
			b->types[i] = TEXTOID;
		}
		get_typlenbyvalalign(b->types[i], &b->typlen[i], &b->typbyval[i], &b->typalign[i]);
	}
	return b;
}

/*
 * "(SELECT ...) AS u": the pending rows, column i from parameter i, as u.cI.
 * Without ordinality the arrays are unnested in the select list, in
 * lockstep, one value per call; unnest() in FROM would first copy every
 * row into a tuplestore (12 % of a count window's time).
 */
static void
append_source(StringInfo sql, RowBatch *b, const Oid *types, bool ordinality)
{
	if (!ordinality)
	{
		appendStringInfoString(sql, "(SELECT ");
		for (int i = 0; i < b->ncols; i++)
		{
			appendStringInfo(sql, "%spg_catalog.unnest($%d)", i > 0 ? ", " : "", i + 1);
			if (b->astext[i])
				appendStringInfo(sql, "::%s",
								 format_type_extended(types[i], -1, FORMAT_TYPE_FORCE_QUALIFY));
			appendStringInfo(sql, " AS c%d", i + 1);
		}
		appendStringInfoString(sql, ") AS u");
		return;
	}
	/* numbered rows: only the key lookups of count windows, a few per batch */
	appendStringInfoString(sql, "(SELECT v.ord");
	for (int i = 0; i < b->ncols; i++)
	{
		appendStringInfo(sql, ", v.c%d", i + 1);
		if (b->astext[i])
			appendStringInfo(sql, "::%s AS c%d",
							 format_type_extended(types[i], -1, FORMAT_TYPE_FORCE_QUALIFY), i + 1);
	}
	appendStringInfoString(sql, " FROM ROWS FROM (");
	for (int i = 1; i <= b->ncols; i++)
		appendStringInfo(sql, "%spg_catalog.unnest($%d)", i > 1 ? ", " : "", i);
	appendStringInfoString(sql, ") WITH ORDINALITY AS v(");
	for (int i = 1; i <= b->ncols; i++)
		appendStringInfo(sql, "c%d, ", i);
	appendStringInfoString(sql, "ord)) AS u");
}

/* "OPERATOR(schema.name)": an operator named so no search_path can divert it. */
static char *
operator_sql(Oid opr)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opr));
	Form_pg_operator form;
	char	   *sql;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opr);
	form = (Form_pg_operator) GETSTRUCT(tup);
	sql = psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(form->oprnamespace)),
				   NameStr(form->oprname));
	ReleaseSysCache(tup);
	return sql;
}

/*
 * "r.k1 = u.c1 AND ...": the group keys of alias r against u's first columns,
 * each with its type's default equality operator, named with its schema,
 * under the key's collation; NULL-safe adds "OR both are NULL".  Returns
 * the number of u's columns used.  With no keys, "true".
 */
static int
append_key_match(StringInfo sql, SwWindow *w, SwDefinition *def, bool nullsafe,
				 const char *r)
{
	ListCell   *lc;
	int			c = 1;

	if (def->group_names == NIL)
		appendStringInfoString(sql, "true");
	foreach(lc, def->group_names)
	{
		int			i = foreach_current_index(lc);
		const char *col = quote_identifier(strVal(lfirst(lc)));
		TypeCacheEntry *tc = lookup_type_cache(w->gtype[i]->type_id, TYPECACHE_EQ_OPR);
		char	   *op;
		char	   *coll = "";

		if (!OidIsValid(tc->eq_opr))
			elog(ERROR, "type %s has no equality operator", format_type_be(tc->type_id));
		op = operator_sql(tc->eq_opr);
		if (OidIsValid(w->gcoll[i]))
			coll = psprintf(" COLLATE %s", generate_collation_name(w->gcoll[i]));
		if (i > 0)
			appendStringInfoString(sql, " AND ");
		if (nullsafe)
			appendStringInfo(sql, "(%s.%s %s u.c%d%s OR (%s.%s IS NULL AND u.c%d IS NULL))",
							 r, col, op, c, coll, r, col, c);
		else
			appendStringInfo(sql, "%s.%s %s u.c%d%s", r, col, op, c, coll);
		c++;
	}
	return c - 1;
}

/*
 * ", LATERAL (SELECT r.ctid ... ) AS x WHERE t.ctid = x.tid": the row of
 * each of u's rows, found by its identity (r._sw_open, the keys, the
 * bounds as last written, [window_seq]) against u's first columns, then
 * written through its ctid within the statement.  The lateral subquery
 * (kept apart by OFFSET 0) can only be the inner side of a nested loop
 * over u, so each pending row probes the identity index whatever the
 * planner believes about the table: joined on the identity directly, with
 * statistics that said few rows were open (taken when most were closed),
 * it scanned the table's open rows on the outside and u once for each of
 * them, 80 s for a batch of 5,000 rows among 55,000 open ones.
 */
static void
append_row_lookup(StringInfo sql, SwWindow *w, SwDefinition *def, bool nullsafe)
{
	int			c;

	appendStringInfo(sql, ", LATERAL (SELECT r.ctid AS tid FROM %s r WHERE r._sw_open AND ",
					 w->result_sql);
	c = append_key_match(sql, w, def, nullsafe, "r") + 1;
	appendStringInfo(sql, " AND r.window_start OPERATOR(pg_catalog.=) u.c%d", c++);
	appendStringInfo(sql, " AND r.window_end OPERATOR(pg_catalog.=) u.c%d", c++);
	if (w->kind == SW_KIND_COUNT)
		appendStringInfo(sql, " AND r.window_seq OPERATOR(pg_catalog.=) u.c%d", c++);
	appendStringInfoString(sql, " OFFSET 0) AS x WHERE t.ctid OPERATOR(pg_catalog.=) x.tid");
}

/*
 * Prepare b's statement, to be planned again at each run with the batch's
 * arrays as constants (CURSOR_OPT_CUSTOM_PLAN), so with the table's current
 * size.  A plan kept from when the result table was nearly empty put the
 * table outside a nested loop and rescanned the batch's rows for each of
 * its rows, which turned quadratic as the table grew: a 10-million-event
 * run fell behind by a million events.
 */
static void
batch_prepare(RowBatch *b)
{
	Oid		   *argtypes = palloc(sizeof(Oid) * b->ncols);

	for (int i = 0; i < b->ncols; i++)
		argtypes[i] = get_array_type(b->types[i]);
	b->plan = SPI_prepare_cursor(b->sql, b->ncols, argtypes, CURSOR_OPT_CUSTOM_PLAN);
	if (b->plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", b->sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(b->plan) != 0)
		elog(ERROR, "could not keep plan");
}

/*
 * The columns written after the group keys, with their types, in the order
 * sw_row_write passes them.
 */
static int
written_columns(SwWindow *w, SwDefinition *def, StringInfo cols, Oid *types)
{
	int			j = 0;

	appendStringInfoString(cols, "window_start, window_end");
	types[j++] = TIMESTAMPTZOID;
	types[j++] = TIMESTAMPTZOID;
	for (int i = 0; i < w->nout; i++)
	{
		appendStringInfo(cols, ", %s", quote_identifier(strVal(list_nth(def->agg_names, i))));
		types[j++] = w->outtypes[i];
	}
	appendStringInfoString(cols, ", is_final, revision");
	types[j++] = BOOLOID;
	types[j++] = INT4OID;
	if (w->kind == SW_KIND_COUNT)
	{
		appendStringInfoString(cols, ", window_seq, is_complete");
		types[j++] = INT8OID;
		types[j++] = BOOLOID;
	}
	appendStringInfoString(cols, ", _sw_open");
	types[j++] = BOOLOID;
	for (int i = 0; i < w->naggs; i++)
	{
		appendStringInfo(cols, ", _sw_state_%d", i + 1);
		types[j++] = w->aggs[i].storetype;
	}
	if (w->kind == SW_KIND_COUNT)
	{
		appendStringInfoString(cols, ", _sw_events, _sw_first");
		types[j++] = INT8OID;
		types[j++] = TIMESTAMPTZOID;
	}
	return j;
}

/* "u.cFIRST, u.cFIRST+1, ...", n of them */
static void
append_params(StringInfo sql, int first, int n)
{
	for (int i = 0; i < n; i++)
		appendStringInfo(sql, "%su.c%d", i > 0 ? ", " : "", first + i);
}

/* Is one of the group key's values NULL?  (Then the NULL-safe statement.) */
static bool
key_has_null(SwWindow *w, const bool *nulls)
{
	for (int i = 0; i < w->ngroup; i++)
		if (nulls[i])
			return true;
	return false;
}

/* The types of the group keys, into types; returns how many. */
static int
key_types(SwDefinition *def, Oid *types)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, def->group_exprs)
		types[n++] = exprType(lfirst(lc));
	return n;
}

/* The statement of one kind of write, strict or NULL-safe. */
static RowBatch *
prepare_write(SwWindow *w, SwDefinition *def, SwWriteKind kind, bool nullsafe)
{
	int			nid = identity_columns(w);
	Oid		   *types = palloc(sizeof(Oid) * (nid + w->nout + w->naggs + 16));
	StringInfoData cols;
	StringInfoData sql;
	RowBatch   *b;
	int			n = 0;
	ListCell   *lc;

	/* parameters: the identity (the keys only, to insert), then the values */
	n = key_types(def, types);
	if (kind != SW_WRITE_INSERT)
	{
		types[n++] = TIMESTAMPTZOID;
		types[n++] = TIMESTAMPTZOID;
		if (w->kind == SW_KIND_COUNT)
			types[n++] = INT8OID;
	}
	initStringInfo(&cols);
	if (kind == SW_WRITE_INSERT || kind == SW_WRITE_UPDATE)
		n += written_columns(w, def, &cols, types + n);
	else if (kind == SW_WRITE_MARK)
	{
		types[n++] = BOOLOID;	/* is_final */
		types[n++] = BOOLOID;	/* _sw_open */
	}
	b = batch_new(w, kind, n, types);

	initStringInfo(&sql);
	switch (kind)
	{
		case SW_WRITE_INSERT:
			appendStringInfo(&sql, "INSERT INTO %s (", w->result_sql);
			foreach(lc, def->group_names)
				appendStringInfo(&sql, "%s, ", quote_identifier(strVal(lfirst(lc))));
			appendStringInfo(&sql, "%s) SELECT * FROM ", cols.data);
			append_source(&sql, b, types, false);
			break;
		case SW_WRITE_UPDATE:
			appendStringInfo(&sql, "UPDATE %s t SET (%s) = ROW(", w->result_sql, cols.data);
			append_params(&sql, nid + 1, n - nid);
			appendStringInfoString(&sql, ") FROM ");
			append_source(&sql, b, types, false);
			break;
		case SW_WRITE_MARK:
			appendStringInfo(&sql, "UPDATE %s t SET is_final = u.c%d, _sw_open = u.c%d",
							 w->result_sql, nid + 1, nid + 2);
			for (int i = 0; i < w->naggs; i++)
				appendStringInfo(&sql, ", _sw_state_%d = CASE WHEN u.c%d THEN t._sw_state_%d END",
								 i + 1, nid + 2, i + 1);
			appendStringInfoString(&sql, " FROM ");
			append_source(&sql, b, types, false);
			break;
		case SW_WRITE_DELETE:
			appendStringInfo(&sql, "DELETE FROM %s t USING ", w->result_sql);
			append_source(&sql, b, types, false);
			break;
		case SW_READ_LAST_SEQ:
			elog(ERROR, "not a write");
	}
	if (kind != SW_WRITE_INSERT)
		append_row_lookup(&sql, w, def, nullsafe);
	b->sql = MemoryContextStrdup(w->cxt, sql.data);
	batch_prepare(b);
	return b;
}

/*
 * Count windows: the last window_seq of each key (in u, numbered by
 * ordinality), for keys with no window in memory.  One probe per key of
 * the index create_window builds on (keys, window_seq).
 */
static RowBatch *
prepare_last_seq(SwWindow *w, SwDefinition *def, bool nullsafe)
{
	Oid		   *types = palloc(sizeof(Oid) * Max(w->ngroup, 1));
	StringInfoData sql;
	RowBatch   *b;
	int			n = key_types(def, types);

	b = batch_new(w, SW_READ_LAST_SEQ, n, types);
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT u.ord, (SELECT t.window_seq FROM %s t WHERE ",
					 w->result_sql);
	append_key_match(&sql, w, def, nullsafe, "t");
	appendStringInfoString(&sql, " ORDER BY t.window_seq DESC LIMIT 1) FROM ");
	if (n == 0)
		appendStringInfoString(&sql, "(SELECT 1::pg_catalog.int8 AS ord) AS u");
	else
		append_source(&sql, b, types, true);
	b->sql = MemoryContextStrdup(w->cxt, sql.data);
	batch_prepare(b);
	return b;
}

/* Prepare every write of the window (as its owner, inside SPI). */
void
sw_writer_prepare(SwWindow *w, SwDefinition *def)
{
	if (w->kind == SW_KIND_COUNT)
	{
		w->last_seq[0] = prepare_last_seq(w, def, false);
		w->last_seq[1] = w->ngroup == 0 ? w->last_seq[0] :
			prepare_last_seq(w, def, true);
	}
	for (int k = 0; k < SW_WRITE_KINDS; k++)
	{
		w->writes[k][0] = prepare_write(w, def, k, false);
		/* an insert has no identity to match; with no keys, neither NULLs */
		w->writes[k][1] = (k == SW_WRITE_INSERT || w->ngroup == 0) ? w->writes[k][0] :
			prepare_write(w, def, k, true);
	}
}

/* The plans of a strict statement and its NULL-safe twin (maybe the same). */
static void
free_pair(RowBatch *pair[2])
{
	for (int v = 0; v < 2; v++)
		if (pair[v] && pair[v]->plan && (v == 0 || pair[1] != pair[0]))
			SPI_freeplan(pair[v]->plan);
}

void
sw_writer_free(SwWindow *w)
{
	for (int k = 0; k < SW_WRITE_KINDS; k++)
		free_pair(w->writes[k]);
	free_pair(w->last_seq);
}

/*
 * Queue a write of row: values (nvalues of them) are what follows the
 * identity, as prepare_write orders them.  The row's identity is taken
 * now; from here on it is the row as this write leaves it.
 */
void
sw_writer_queue(SwWindow *w, SwWriteKind kind, OpenRow *row,
				const Datum *values, const bool *isnull, int nvalues)
{
	RowBatch   *b = w->writes[kind][key_has_null(w, row->key.nulls) ? 1 : 0];
	PendingRow *pr;
	MemoryContext old = MemoryContextSwitchTo(w->batch_cxt);
	int			j = 0;

	pr = palloc(sizeof(PendingRow));
	pr->values = palloc(sizeof(Datum) * b->ncols);
	pr->isnull = palloc(sizeof(bool) * b->ncols);
	for (int i = 0; i < w->ngroup; i++)
	{
		pr->values[j] = row->key.keys[i];
		pr->isnull[j++] = row->key.nulls[i];
	}
	if (kind != SW_WRITE_INSERT)
	{
		pr->values[j] = TimestampTzGetDatum(row->stored_start);
		pr->isnull[j++] = false;
		pr->values[j] = TimestampTzGetDatum(row->stored_end);
		pr->isnull[j++] = false;
		if (w->kind == SW_KIND_COUNT)
		{
			pr->values[j] = Int64GetDatum(row->seq);
			pr->isnull[j++] = false;
		}
	}
	Assert(j + nvalues == b->ncols);
	for (int i = 0; i < nvalues; i++)
	{
		pr->values[j] = values[i];
		pr->isnull[j++] = isnull[i];
	}
	b->pending = lappend(b->pending, pr);
	b->npending++;
	MemoryContextSwitchTo(old);

	if (kind != SW_WRITE_DELETE)
	{
		row->stored_start = row->key.start;
		row->stored_end = row->end;
		row->exists = true;
	}
}

static void
check_written(SwWindow *w, RowBatch *b, int rc, uint64 expected)
{
	if (rc != expected_rc[b->kind] || SPI_processed != expected)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("result rows of window \"%s\" were changed by someone else", w->name),
				 errdetail("A write meant for " UINT64_FORMAT " rows that are not closed yet found " UINT64_FORMAT ".",
						   expected, SPI_processed),
				 errhint("Result tables are written by stream_windows only; drop the window with sw.drop_window and create it again.")));
}

/*
 * A column of the pending rows as one array parameter; a column passed as
 * text gets its values' text form, with every digit of a float.
 */
static Datum
column_array(RowBatch *b, int c, Datum *col, bool *colnull)
{
	int			dims[1] = {b->npending};
	int			lbs[1] = {1};
	int			r = 0;
	ListCell   *lc;
	int			nest = -1;

	if (b->astext[c])
	{
		nest = NewGUCNestLevel();
		(void) set_config_option("extra_float_digits", "3", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
	foreach(lc, b->pending)
	{
		PendingRow *pr = lfirst(lc);

		colnull[r] = pr->isnull[c];
		col[r] = pr->values[c];
		if (b->astext[c] && !colnull[r])
			col[r] = CStringGetTextDatum(OutputFunctionCall(b->astext[c], col[r]));
		r++;
	}
	if (nest >= 0)
		AtEOXact_GUC(true, nest);
	return PointerGetDatum(construct_md_array(col, colnull, 1, dims, lbs, b->types[c],
											  b->typlen[c], b->typbyval[c], b->typalign[c]));
}

/*
 * Run b's statement over its pending rows, which it then forgets.
 *
 * It is planned as index probes: a nested loop over the pending rows with
 * an index scan inside, the other joins, sequential scans and
 * materialisation turned off, index scans and nested loops on (whatever
 * the owner's or the server's settings).  Left to its cost model, the
 * planner sorted or hashed the whole result table to meet a batch of a
 * few thousand rows once the table outgrew the batch, so every batch cost
 * time in proportion to the table (a session window over 100,000 keys
 * slowed with every row it added).  Where no index serves (a DBA dropped
 * it), the planner still finds a plan: a scan of the table for each
 * pending row.
 */
static int
batch_execute(RowBatch *b, bool read_only)
{
	static const char *const probe_only[][2] = {
		{"enable_seqscan", "off"}, {"enable_hashjoin", "off"},
		{"enable_mergejoin", "off"}, {"enable_material", "off"},
		{"enable_memoize", "off"},
		{"enable_indexscan", "on"}, {"enable_nestloop", "on"},
	};
	Datum	   *params = palloc(sizeof(Datum) * Max(b->ncols, 1));
	Datum	   *col = palloc(sizeof(Datum) * b->npending);
	bool	   *colnull = palloc(sizeof(bool) * b->npending);
	int			nest;
	int			rc;

	for (int c = 0; c < b->ncols; c++)
		params[c] = column_array(b, c, col, colnull);
	b->pending = NIL;
	b->npending = 0;
	nest = NewGUCNestLevel();
	for (size_t i = 0; i < lengthof(probe_only); i++)
		(void) set_config_option(probe_only[i][0], probe_only[i][1], PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_plan(b->plan, params, NULL, read_only, 0);
	AtEOXact_GUC(true, nest);
	return rc;
}

static void
batch_flush(SwWindow *w, RowBatch *b)
{
	uint64		expected = b->npending;

	if (b->npending == 0)
		return;
	check_written(w, b, batch_execute(b, false), expected);
}

/*
 * Count windows: last[i] = the greatest window_seq of keys[i] in the result
 * table, -1 if it has none (inside SPI, as the owner).
 */
void
sw_writer_last_seqs(SwWindow *w, int n, OpenRowKey *keys, int64 *last)
{
	int		   *which = palloc(sizeof(int) * Max(n, 1));
	MemoryContext old = MemoryContextSwitchTo(w->batch_cxt);

	for (int v = 0; v < (w->ngroup > 0 ? 2 : 1); v++)
	{
		RowBatch   *b = w->last_seq[v];
		int			m = 0;

		for (int i = 0; i < n; i++)
		{
			PendingRow *pr;

			if (key_has_null(w, keys[i].nulls) != (v == 1))
				continue;
			pr = palloc(sizeof(PendingRow));
			pr->values = keys[i].keys;
			pr->isnull = keys[i].nulls;
			b->pending = lappend(b->pending, pr);
			b->npending++;
			which[m++] = i;
		}
		if (m == 0)
			continue;
		/* (with no keys there is one key, and u is one row) */
		if (batch_execute(b, true) != SPI_OK_SELECT || SPI_processed != (uint64) m)
			elog(ERROR, "could not read the last window_seq of window \"%s\"", w->name);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			bool		isnull;
			int64		ord = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
			Datum		seq = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);

			if (ord < 1 || ord > m)
				elog(ERROR, "unexpected row in the last window_seq of window \"%s\"", w->name);
			last[which[ord - 1]] = isnull ? -1 : DatumGetInt64(seq);
		}
	}
	MemoryContextSwitchTo(old);
}

/*
 * Run what was queued: rows absorbed into another go first, new rows last,
 * so that no statement meets a row another one has yet to move.
 */
void
sw_writer_flush(SwWindow *w)
{
	for (int k = 0; k < SW_WRITE_KINDS; k++)
	{
		batch_flush(w, w->writes[k][0]);
		if (w->writes[k][1] != w->writes[k][0])
			batch_flush(w, w->writes[k][1]);
	}
}
