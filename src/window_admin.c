/*-------------------------------------------------------------------------
 *
 * window_admin.c
 *	  SQL functions that define continuous windows: sw.create_window,
 *	  sw.drop_window and sw.advance_watermark.
 *
 * The SQL fragments of a definition (aggregates, group_by, event_time,
 * filter) are parsed and analyzed against the staging table, as the
 * calling user, and then checked structurally: each must be exactly what
 * it claims (a select list over that one table, a boolean condition), so a
 * fragment cannot smuggle in other tables or statements.  The analyzed
 * expressions are stored (nodeToString), so the worker runs exactly what
 * was checked, with OIDs already resolved.
 *
 * Creating, dropping or resuming a window bumps sw.source.windows_version
 * under a lock of the source's window set that every batch of the source's
 * worker takes too (source_lock.c): a batch in flight finishes first, and
 * the next batch sees the new set of windows.
 * With backfill, the rows already staged are applied in the same
 * transaction, so the window starts exactly where the source stands.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/catversion.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rls.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "compat.h"
#include "guc.h"
#include "privilege.h"
#include "source_lock.h"
#include "staging.h"
#include "window.h"
#include "window_agg.h"
#include "window_time.h"

PG_FUNCTION_INFO_V1(sw_create_window);
PG_FUNCTION_INFO_V1(sw_drop_window);
PG_FUNCTION_INFO_V1(sw_advance_watermark);
PG_FUNCTION_INFO_V1(sw_resume_window);

/* ------------------------------------------------------------------------
 * Arguments
 * ------------------------------------------------------------------------
 */

typedef struct WindowArgs
{
	char	   *name;
	char	   *source;
	char	   *kind;
	SwWindowKind kindval;
	char	   *aggregates;
	char	   *group_by;
	char	   *event_time;
	char	   *filter;
	Interval   *size;
	Interval   *slide;
	Interval   *gap;
	bool		has_count;
	int32		count;
	Interval   *timeout;
	TimestampTz origin;
	Interval   *delay;
	Interval   *lateness;
	Interval   *idle_timeout;
	bool		backfill;
} WindowArgs;

static char *
text_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

static Interval *
interval_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : PG_GETARG_INTERVAL_P(n);
}

static void
require(const char *value, const char *argname, const char *hint)
{
	if (value == NULL || value[0] == '\0')
		ereport(ERROR,
				(errcode(value ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be %s", argname, value ? "empty" : "null"),
				 errdetail("sw.create_window needs its %s argument.", argname),
				 errhint("%s", hint)));
}

/* An argument that this kind of window does not take. */
static void
forbid(bool given, const char *argname, const char *kind, const char *for_kinds)
{
	if (given)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be used with a %s window", argname, kind),
				 errdetail("%s applies to %s windows only.", argname, for_kinds),
				 errhint("Leave %s out.", argname)));
}

static void
need(bool given, const char *argname, const char *kind, const char *example)
{
	if (!given)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a %s window needs %s", kind, argname),
				 errdetail("%s is NULL.", argname),
				 errhint("For example %s.", example)));
}

/* A non-negative fixed duration (watermark_delay, allowed_lateness). */
static void
check_nonnegative(Interval *v, const char *argname)
{
	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", argname),
				 errdetail("Give '0' for none."),
				 errhint("For example %s => '5 seconds'.", argname)));
	if (v->month != 0 || v->day < 0 || v->time < 0 ||
		(v->day > 0 && v->time < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a fixed duration of zero or more", argname),
				 errdetail("Months and years have no fixed length, and time does not run backwards."),
				 errhint("For example %s => '5 seconds'.", argname)));
}

static void
read_args(FunctionCallInfo fcinfo, WindowArgs *a)
{
	memset(a, 0, sizeof(*a));
	a->name = text_arg(fcinfo, 0);
	a->source = text_arg(fcinfo, 1);
	a->kind = text_arg(fcinfo, 2);
	a->aggregates = text_arg(fcinfo, 3);
	a->group_by = text_arg(fcinfo, 4);
	a->event_time = text_arg(fcinfo, 5);
	a->filter = text_arg(fcinfo, 6);
	a->size = interval_arg(fcinfo, 7);
	a->slide = interval_arg(fcinfo, 8);
	a->gap = interval_arg(fcinfo, 9);
	a->has_count = !PG_ARGISNULL(10);
	a->count = a->has_count ? PG_GETARG_INT32(10) : 0;
	a->timeout = interval_arg(fcinfo, 11);
	a->origin = PG_ARGISNULL(12) ? 0 : PG_GETARG_TIMESTAMPTZ(12);
	a->delay = interval_arg(fcinfo, 13);
	a->lateness = interval_arg(fcinfo, 14);
	a->idle_timeout = interval_arg(fcinfo, 15);
	a->backfill = PG_ARGISNULL(16) ? true : PG_GETARG_BOOL(16);

	require(a->name, "name", "Give the result table's name, for example 'hits_per_minute'.");
	require(a->source, "source", "Give the name of a source, as listed in sw.sources.");
	require(a->kind, "kind", "Valid kinds are 'tumbling', 'sliding', 'session' and 'count'.");
	require(a->aggregates, "aggregates", "For example aggregates => 'count(*) AS hits, avg(ms) AS avg_ms'.");
	require(a->event_time, "event_time", "Give a timestamptz column or expression, for example 'event_time'.");
	if (PG_ARGISNULL(12))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("origin must not be null"),
				 errdetail("Windows are aligned to an origin."),
				 errhint("Leave origin out for the default, 1970-01-01 00:00:00+00.")));
	sw_check_finite(a->origin, "window origin");
	check_nonnegative(a->delay, "watermark_delay");
	check_nonnegative(a->lateness, "allowed_lateness");
	if (a->idle_timeout)
		(void) sw_duration_usecs(a->idle_timeout, "idle_timeout");

	if (strcmp(a->kind, "tumbling") == 0)
		a->kindval = SW_KIND_TUMBLING;
	else if (strcmp(a->kind, "sliding") == 0)
		a->kindval = SW_KIND_SLIDING;
	else if (strcmp(a->kind, "session") == 0)
		a->kindval = SW_KIND_SESSION;
	else if (strcmp(a->kind, "count") == 0)
		a->kindval = SW_KIND_COUNT;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized window kind \"%s\"", a->kind),
				 errdetail("A window is tumbling, sliding, session or count."),
				 errhint("Valid kinds are 'tumbling', 'sliding', 'session' and 'count'.")));

	switch (a->kindval)
	{
		case SW_KIND_TUMBLING:
		case SW_KIND_SLIDING:
			need(a->size != NULL, "size", a->kind, "size => '1 minute'");
			(void) sw_duration_usecs(a->size, "size");
			if (a->kindval == SW_KIND_SLIDING)
			{
				int64		size,
							slide,
							per_event;

				need(a->slide != NULL, "slide", a->kind, "slide => '5 minutes'");
				slide = sw_duration_usecs(a->slide, "slide");
				size = sw_duration_usecs(a->size, "size");
				per_event = size / slide + (size % slide != 0);
				if (per_event > sw_max_windows_per_event)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("a sliding window may put an event in at most %d windows",
									sw_max_windows_per_event),
							 errdetail("With size %s and slide %s, each event falls in " INT64_FORMAT " windows.",
									   DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(a->size))),
									   DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(a->slide))),
									   per_event),
							 errhint("Use a longer slide, or ask a superuser to raise sw.max_windows_per_event.")));
			}
			else
				forbid(a->slide != NULL, "slide", a->kind, "sliding");
			forbid(a->gap != NULL, "gap", a->kind, "session");
			forbid(a->has_count, "count", a->kind, "count");
			forbid(a->timeout != NULL, "timeout", a->kind, "count");
			break;
		case SW_KIND_SESSION:
			need(a->gap != NULL, "gap", a->kind, "gap => '5 minutes'");
			(void) sw_duration_usecs(a->gap, "gap");
			forbid(a->size != NULL, "size", a->kind, "tumbling and sliding");
			forbid(a->slide != NULL, "slide", a->kind, "sliding");
			forbid(a->has_count, "count", a->kind, "count");
			forbid(a->timeout != NULL, "timeout", a->kind, "count");
			break;
		case SW_KIND_COUNT:
			need(a->has_count, "count", a->kind, "count => 3");
			if (a->count < 1)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("count window size must be at least 1"),
						 errdetail("The count given is %d.", a->count),
						 errhint("Give the number of events per window, for example count => 3.")));
			if (a->timeout)
				(void) sw_duration_usecs(a->timeout, "timeout");
			forbid(a->size != NULL, "size", a->kind, "tumbling and sliding");
			forbid(a->slide != NULL, "slide", a->kind, "sliding");
			forbid(a->gap != NULL, "gap", a->kind, "session");
			break;
	}
}

/* ------------------------------------------------------------------------
 * Analyzing the SQL fragments
 * ------------------------------------------------------------------------
 */

typedef struct FragmentContext
{
	const char *what;
	const char *text;
} FragmentContext;

static void
fragment_error_context(void *arg)
{
	FragmentContext *fc = arg;

	errcontext("window %s: %s", fc->what, fc->text);
}

static void
bad_fragment(const char *what, const char *text, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s \"%s\"", what, text),
			 errdetail("%s", why),
			 errhint("Write %s as SQL over the columns of the source's staging table.", what)));
}

/* SELECT <select_list> FROM <staging> [WHERE <where>], analyzed and checked */
static Query *
analyze_fragment(Oid staging, const char *what, const char *text,
				 const char *select_list, const char *where)
{
	char	   *sql = psprintf("SELECT %s FROM %s%s%s", select_list,
							   quote_qualified_identifier(get_namespace_name(get_rel_namespace(staging)),
														  get_rel_name(staging)),
							   where ? " WHERE " : "", where ? where : "");
	FragmentContext fc = {what, text};
	ErrorContextCallback errcb;
	List	   *raw;
	Query	   *q;
	RangeTblEntry *rte;

	errcb.callback = fragment_error_context;
	errcb.arg = &fc;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	if (list_length(raw) != 1 || !IsA(linitial_node(RawStmt, raw)->stmt, SelectStmt))
		bad_fragment(what, text, "It is not a single SQL fragment.");
	q = parse_analyze_fixedparams(linitial_node(RawStmt, raw), sql, NULL, 0, NULL);
	error_context_stack = errcb.previous;

	if (q->commandType != CMD_SELECT || list_length(q->rtable) != 1 ||
		q->cteList != NIL || q->setOperations != NULL || q->sortClause != NIL ||
		q->groupClause != NIL || q->havingQual != NULL || q->limitCount != NULL ||
		q->limitOffset != NULL || q->distinctClause != NIL || q->windowClause != NIL ||
		q->rowMarks != NIL || q->groupingSets != NIL)
		bad_fragment(what, text, "It reads more than the staging table, or adds clauses of its own.");
	rte = linitial_node(RangeTblEntry, q->rtable);
	if (rte->rtekind != RTE_RELATION || rte->relid != staging)
		bad_fragment(what, text, "It reads more than the staging table.");
	if (q->hasSubLinks)
		bad_fragment(what, text, "Subqueries are not supported in window definitions.");
	if (q->hasTargetSRFs)
		bad_fragment(what, text, "Set-returning functions are not supported in window definitions.");
	if (q->hasWindowFuncs)
		bad_fragment(what, text, "Window functions are not supported in window definitions.");
	if (!where && q->jointree->quals != NULL)
		bad_fragment(what, text, "It adds a WHERE clause of its own.");
	return q;
}

static List *
planned_exprs(List *tlist, List **names, List **raw, const char *what, const char *text)
{
	List	   *exprs = NIL;
	ListCell   *lc;

	foreach(lc, tlist)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (contain_agg_clause((Node *) tle->expr))
			bad_fragment(what, text, "Aggregates belong in aggregates, not here.");
		*raw = lappend(*raw, copyObject(tle->expr));
		exprs = lappend(exprs, expression_planner(tle->expr));
		*names = lappend(*names, makeString(pstrdup(tle->resname ? tle->resname : "?column?")));
	}
	return exprs;
}

/* Each Aggref becomes a PARAM_EXEC Param numbered by its place in *aggs. */
typedef struct AggrefCollector
{
	List	   *aggs;
} AggrefCollector;

static Node *
replace_aggrefs(Node *node, AggrefCollector *c)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Aggref))
	{
		Aggref	   *aggref = (Aggref *) node;
		Param	   *param = makeNode(Param);

		sw_agg_check(aggref);
		param->paramkind = PARAM_EXEC;
		param->paramid = list_length(c->aggs);
		param->paramtype = aggref->aggtype;
		param->paramtypmod = -1;
		param->paramcollid = aggref->aggcollid;
		param->location = aggref->location;
		c->aggs = lappend(c->aggs, expression_planner((Expr *) aggref));
		return (Node *) param;
	}
	return expression_tree_mutator(node, replace_aggrefs, (void *) c);
}

/*
 * The aggregates fragment: each item is an expression over aggregate calls
 * (count(*), round(avg(ms)), max(ms) - min(ms)); no column outside one.
 */
static void
analyze_aggregates(SwDefinition *def, Query *q, const char *text)
{
	AggrefCollector c = {NIL};
	ListCell   *lc;

	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Node	   *out;

		if (!contain_agg_clause((Node *) tle->expr))
			bad_fragment("aggregates", text,
						 "Each item must call an aggregate, such as count(*), avg(ms) or round(avg(ms)).");
		def->analyzed = lappend(def->analyzed, copyObject(tle->expr));
		out = replace_aggrefs((Node *) tle->expr, &c);
		if (contain_var_clause(out))
			bad_fragment("aggregates", text,
						 "A column is used outside an aggregate call; group by it instead.");
		def->outputs = lappend(def->outputs, expression_planner((Expr *) out));
		def->agg_names = lappend(def->agg_names,
								 makeString(pstrdup(tle->resname ? tle->resname : "?column?")));
	}
	def->aggs = c.aggs;
}

static const char *const reserved_columns[] = {
	"window_start", "window_end", "is_final", "revision", "window_seq", "is_complete"
};

static void
check_column_names(List *names)
{
	ListCell   *lc,
			   *lc2;

	foreach(lc, names)
	{
		const char *n = strVal(lfirst(lc));

		for (size_t i = 0; i < lengthof(reserved_columns); i++)
			if (strcmp(n, reserved_columns[i]) == 0 || strncmp(n, "_sw", 3) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column name \"%s\" is reserved in a result table", n),
						 errdetail("Result tables have columns window_start, window_end, is_final, revision (and window_seq, is_complete for count windows), and internal columns whose names begin with _sw."),
						 errhint("Give the expression another name with AS.")));
		foreach(lc2, names)
			if (lc2 != lc && strcmp(n, strVal(lfirst(lc2))) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column name \"%s\" appears more than once in the window's result", n),
						 errdetail("Group keys and aggregates become columns of the result table."),
						 errhint("Give them distinct names with AS.")));
	}
}

static SwDefinition *
analyze_definition(Oid staging, WindowArgs *a)
{
	SwDefinition *def = palloc0(sizeof(SwDefinition));
	Query	   *q;
	ListCell   *lc;

	q = analyze_fragment(staging, "event_time", a->event_time, a->event_time, NULL);
	if (list_length(q->targetList) != 1)
		bad_fragment("event_time", a->event_time, "It must be one expression.");
	def->event_time = (Node *) linitial_node(TargetEntry, q->targetList)->expr;
	if (exprType(def->event_time) != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("event_time must be of type timestamp with time zone"),
				 errdetail("\"%s\" is of type %s.", a->event_time,
						   format_type_be(exprType(def->event_time))),
				 errhint("Convert it, for example event_time => 'ts AT TIME ZONE ''UTC''' for a timestamp in UTC.")));
	if (contain_agg_clause(def->event_time))
		bad_fragment("event_time", a->event_time, "Aggregates belong in aggregates, not here.");
	def->analyzed = lappend(def->analyzed, copyObject(def->event_time));
	def->event_time = (Node *) expression_planner((Expr *) def->event_time);

	if (a->filter)
	{
		q = analyze_fragment(staging, "filter", a->filter, "1", a->filter);
		if (q->hasAggs)
			bad_fragment("filter", a->filter, "Aggregates belong in aggregates, not here.");
		def->analyzed = lappend(def->analyzed, copyObject(q->jointree->quals));
		def->filter = (Node *) expression_planner((Expr *) q->jointree->quals);
	}

	if (a->group_by)
	{
		q = analyze_fragment(staging, "group_by", a->group_by, a->group_by, NULL);
		def->group_exprs = planned_exprs(q->targetList, &def->group_names, &def->analyzed,
										 "group_by", a->group_by);
		foreach(lc, def->group_exprs)
		{
			Oid			t = exprType(lfirst(lc));
			TypeCacheEntry *tc = lookup_type_cache(t, TYPECACHE_HASH_PROC | TYPECACHE_EQ_OPR);

			if (!OidIsValid(tc->hash_proc) || !OidIsValid(tc->eq_opr))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_FUNCTION),
						 errmsg("cannot group by a value of type %s", format_type_be(t)),
						 errdetail("Group keys need a hash function and an equality operator."),
						 errhint("Group by a cast, for example payload::text.")));
		}
	}

	q = analyze_fragment(staging, "aggregates", a->aggregates, a->aggregates, NULL);
	analyze_aggregates(def, q, a->aggregates);
	if (list_length(def->aggs) > sw_max_aggregates)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a window may compute at most %d aggregate calls", sw_max_aggregates),
				 errdetail("\"%s\" calls %d aggregates.", a->aggregates, list_length(def->aggs)),
				 errhint("Split it into several windows, or ask a superuser to raise sw.max_aggregates.")));
	check_column_names(list_concat_copy(def->group_names, def->agg_names));
	return def;
}

/*
 * A window's definition analyzed again from its SQL text, as the caller
 * (the engine runs it as the window's owner, with its search_path): after
 * a dump and restore, or a new major version, the stored analysis may name
 * objects by OIDs that are no longer theirs.
 */
SwDefinition *
sw_analyze_definition_text(Oid staging, const char *aggregates, const char *group_by,
						   const char *event_time, const char *filter)
{
	WindowArgs	a;

	memset(&a, 0, sizeof(a));
	a.aggregates = (char *) aggregates;
	a.group_by = (char *) group_by;
	a.event_time = (char *) event_time;
	a.filter = (char *) filter;
	return analyze_definition(staging, &a);
}

/* ------------------------------------------------------------------------
 * The result table
 * ------------------------------------------------------------------------
 */

static char *
type_sql(Oid type, int32 typmod, Oid collation)
{
	char	   *t = format_type_with_typemod(type, typmod);

	if (OidIsValid(collation) && collation != DEFAULT_COLLATION_OID &&
		collation != get_typcollation(type))
		t = psprintf("%s COLLATE %s", t, generate_collation_name(collation));
	return t;
}

/*
 * The index the engine finds open rows by (result_writer.c): window_start,
 * the group keys whose types have a default btree operator class; only
 * rows not closed yet (the engine reads them back after a restart too).
 * Open rows of one key never share a window_start, and leaving window_end
 * out lets a session extended forward stay a HOT update.  Count windows
 * are found by key and window_seq instead, among all their rows: the same
 * index gives a key's last window_seq when the key comes back after its
 * windows left memory (window_count.c), and a row that closes updates no
 * indexed column.
 */
static char *
identity_index_sql(const char *qname, SwDefinition *def, SwWindowKind kind)
{
	StringInfoData sql;
	ListCell   *lc,
			   *lc2;
	bool		count = (kind == SW_KIND_COUNT);
	const char *sep = count ? "" : ", ";

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE INDEX ON %s (%s", qname, count ? "" : "window_start");
	forboth(lc, def->group_exprs, lc2, def->group_names)
		if (OidIsValid(GetDefaultOpClass(exprType(lfirst(lc)), BTREE_AM_OID)))
		{
			appendStringInfo(&sql, "%s%s", sep, quote_identifier(strVal(lfirst(lc2))));
			sep = ", ";
		}
	if (count)
		appendStringInfo(&sql, "%swindow_seq)", sep);
	else
		appendStringInfoString(&sql, ") WHERE _sw_open");
	return sql.data;
}

static Oid
create_result_table(RangeVar *rv, SwDefinition *def, SwWindowKind kind)
{
	StringInfoData sql;
	ListCell   *lc,
			   *lc2;
	int			i = 0;
	char	   *qname = quote_qualified_identifier(rv->schemaname, rv->relname);

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (", qname);
	forboth(lc, def->group_exprs, lc2, def->group_names)
		appendStringInfo(&sql, "%s %s, ", quote_identifier(strVal(lfirst(lc2))),
						 type_sql(exprType(lfirst(lc)), exprTypmod(lfirst(lc)),
								  exprCollation(lfirst(lc))));
	appendStringInfoString(&sql, "window_start timestamptz NOT NULL, window_end timestamptz NOT NULL");
	forboth(lc, def->outputs, lc2, def->agg_names)
		appendStringInfo(&sql, ", %s %s", quote_identifier(strVal(lfirst(lc2))),
						 type_sql(exprType(lfirst(lc)), exprTypmod(lfirst(lc)),
								  exprCollation(lfirst(lc))));
	appendStringInfoString(&sql, ", is_final boolean NOT NULL, revision int NOT NULL");
	if (kind == SW_KIND_COUNT)
		appendStringInfoString(&sql, ", window_seq bigint NOT NULL, is_complete boolean NOT NULL");
	appendStringInfoString(&sql, ", _sw_open boolean NOT NULL");
	foreach(lc, def->aggs)
	{
		Aggref	   *aggref = lfirst_node(Aggref, lc);
		SwAggregate agg;
		SwAggContext *actx = sw_agg_context_create(CurrentMemoryContext);

		sw_agg_prepare(&agg, aggref, actx, NULL);
		appendStringInfo(&sql, ", _sw_state_%d %s", ++i, format_type_be(agg.storetype));
	}
	if (kind == SW_KIND_COUNT)
		appendStringInfoString(&sql, ", _sw_events bigint, _sw_first timestamptz");
	appendStringInfoString(&sql, ")");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql.data, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not create the result table");
	if (SPI_execute(identity_index_sql(qname, def, kind), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not index the result table");
	SPI_finish();
	return RangeVarGetRelid(rv, NoLock, false);
}

/*
 * The result table depends on what its definition uses: the staging
 * table's columns, functions, aggregates, operators and types.  Dropping
 * one of them then fails (or, with CASCADE, drops the result table)
 * instead of breaking the worker.
 */
void
sw_record_window_dependencies(Oid result, Oid staging, SwDefinition *def)
{
	ObjectAddress self;
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	List	   *rtable;
	List	   *exprs = list_make2(def->event_time, def->filter);

	ObjectAddressSet(self, RelationRelationId, result);
	rte->rtekind = RTE_RELATION;
	rte->relid = staging;
	rte->relkind = RELKIND_RELATION;
	rte->rellockmode = AccessShareLock;
	rtable = list_make1(rte);
	exprs = list_concat(exprs, def->group_exprs);
	exprs = list_concat(exprs, def->aggs);
	exprs = list_concat(exprs, def->outputs);
	exprs = list_concat(exprs, def->analyzed);
	recordDependencyOnExpr(&self, (Node *) exprs, rtable, DEPENDENCY_NORMAL);
}

/* ------------------------------------------------------------------------
 * Catalog rows
 * ------------------------------------------------------------------------
 */

typedef struct SourceInfo
{
	int			id;
	Oid			staging;
} SourceInfo;

static void
source_info_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	SourceInfo *src = arg;
	bool		isnull;

	src->id = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
	src->staging = DatumGetObjectId(heap_getattr(tup, 2, desc, &isnull));
}

/*
 * Find the source (by name, or else by the staging table the name resolves
 * to for the caller: catalog_find_by_name) and lock its row, ordering this
 * after a batch in flight and before the next one, bumping its
 * windows_version.
 */
static SourceInfo
lock_source(const char *name, bool by_id, int id)
{
	SourceInfo	src = {0};
	Oid			types[1] = {INT4OID};
	Datum		v[1];

	if (!by_id)
	{
		SourceInfo	found = {0};

		catalog_find_by_name("source", "staging", "id, staging", name, source_info_row, &found);
		id = found.id;
	}
	v[0] = Int32GetDatum(id);
	(void) catalog_run(InvalidOid,
					   "UPDATE sw.source SET windows_version = windows_version OPERATOR(pg_catalog.+) 1"
					   " WHERE id OPERATOR(pg_catalog.=) $1 RETURNING id, staging",
					   1, types, v, NULL, SPI_OK_UPDATE_RETURNING, source_info_row, &src);
	/* a batch in flight ends first; the next one sees this change */
	if (src.id != 0)
		sw_source_lock_windows(src.id, ExclusiveLock);
	if (src.id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source \"%s\" does not exist", name),
				 errdetail("A window reads the events of a source created with sw.create_source."),
				 errhint("The sources are listed in sw.sources.")));
	return src;
}

static int
insert_window(WindowArgs *a, SourceInfo src, Oid result, SwDefinition *def)
{
	Oid			types[24] = {TEXTOID, OIDOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		TEXTOID, INTERVALOID, INTERVALOID, INTERVALOID, INT4OID, INTERVALOID,
		TIMESTAMPTZOID, INTERVALOID, INTERVALOID, INTERVALOID, BOOLOID, TEXTOID, OIDOID, TEXTOID,
	TEXTOID, INT4OID, TEXTOID};
	Datum		v[24];
	char		n[25] = "                        ";
	int			id = 0;

	v[0] = CStringGetTextDatum(a->name);
	v[1] = ObjectIdGetDatum(result);
	v[2] = Int32GetDatum(src.id);
	v[3] = CStringGetTextDatum(a->kind);
	v[4] = CStringGetTextDatum(a->aggregates);
	v[5] = a->group_by ? CStringGetTextDatum(a->group_by) : 0;
	n[5] = a->group_by ? ' ' : 'n';
	v[6] = CStringGetTextDatum(a->event_time);
	v[7] = a->filter ? CStringGetTextDatum(a->filter) : 0;
	n[7] = a->filter ? ' ' : 'n';
	v[8] = IntervalPGetDatum(a->size);
	n[8] = a->size ? ' ' : 'n';
	v[9] = IntervalPGetDatum(a->slide);
	n[9] = a->slide ? ' ' : 'n';
	v[10] = IntervalPGetDatum(a->gap);
	n[10] = a->gap ? ' ' : 'n';
	v[11] = Int32GetDatum(a->count);
	n[11] = a->has_count ? ' ' : 'n';
	v[12] = IntervalPGetDatum(a->timeout);
	n[12] = a->timeout ? ' ' : 'n';
	v[13] = TimestampTzGetDatum(a->origin);
	v[14] = IntervalPGetDatum(a->delay);
	v[15] = IntervalPGetDatum(a->lateness);
	v[16] = IntervalPGetDatum(a->idle_timeout);
	n[16] = a->idle_timeout ? ' ' : 'n';
	v[17] = BoolGetDatum(a->backfill);
	v[18] = CStringGetTextDatum(sw_definition_to_string(def));
	v[19] = ObjectIdGetDatum(GetUserId());	/* the caller: the owner */
	/* the owner's code runs with the search_path it was written for */
	v[20] = CStringGetTextDatum(namespace_search_path);
	/* after a dump and restore: the table by name, the analysis redone */
	v[21] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(get_rel_namespace(result)),
															get_rel_name(result)));
	v[22] = Int32GetDatum(CATALOG_VERSION_NO);
	v[23] = CStringGetTextDatum(catalog_home());

	(void) catalog_run(InvalidOid,
					   "INSERT INTO sw.window (name, result, source_id, kind, aggregates,"
					   " group_by, event_time, filter, size, slide, gap, count, timeout,"
					   " origin, watermark_delay, allowed_lateness, idle_timeout, backfill,"
					   " definition, owner, search_path, result_name, catversion, home)"
					   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
					   " $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) RETURNING id",
					   24, types, v, n, SPI_OK_INSERT_RETURNING, catalog_row_int4, &id);
	v[0] = Int32GetDatum(id);
	v[1] = Int32GetDatum(src.id);
	types[0] = INT4OID;
	types[1] = INT4OID;
	catalog_exec("INSERT INTO sw.window_state (window_id) VALUES ($1)",
				 1, types, v, SPI_OK_INSERT);
	/* events below the source's next_offset were there before the window */
	catalog_exec("INSERT INTO sw.window_partition (window_id, kafka_partition, start_offset)"
				 " SELECT $1, kafka_partition, next_offset FROM sw.source_offset"
				 " WHERE source_id OPERATOR(pg_catalog.=) $2",
				 2, types, v, SPI_OK_INSERT);
	return id;
}

/* Per partition: the staged offsets [from, to) a window has to take up. */
typedef struct CatchUpRange
{
	int			n;
	int			partition[1024];
	int64		from[1024];
	int64		to[1024];
	int64		staged_from[1024];
} CatchUpRange;

static void
range_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	CatchUpRange *r = arg;
	bool		isnull;

	if (r->n >= (int) lengthof(r->partition))
		elog(ERROR, "too many partitions to catch up");
	r->partition[r->n] = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
	r->from[r->n] = DatumGetInt64(heap_getattr(tup, 2, desc, &isnull));
	r->to[r->n] = DatumGetInt64(heap_getattr(tup, 3, desc, &isnull));
	r->staged_from[r->n++] = DatumGetInt64(heap_getattr(tup, 4, desc, &isnull));
}

/*
 * Rows a catch-up applies at a time.  Each chunk ends like a worker's batch:
 * its rows are written and the window's state (sw.window_state, a
 * sw.window_partition row per partition it moved) is saved, in a
 * subtransaction.  All chunks share one transaction, so each save updates
 * the same catalog rows again and walks every version the earlier chunks
 * left (none can be pruned before the commit): with chunks of 1,000 rows,
 * a backfill of 500,000 events over 64 partitions spent 44% of its 18 s
 * saving.  Ten times fewer saves make that walk a hundred times shorter.
 */
#define CATCH_UP_CHUNK_ROWS	10000

/* Staged rows waiting for the windows, a chunk at a time. */
typedef struct BackfillChunk
{
	SwEngine   *engine;
	MemoryContext cxt;			/* the rows' copies */
	TupleTableSlot *slots[CATCH_UP_CHUNK_ROWS];
	SwEvent		events[CATCH_UP_CHUNK_ROWS];
	int			n;
	TimestampTz now;
	SwLoadMode	mode;
} BackfillChunk;

static void
chunk_apply(BackfillChunk *c)
{
	sw_engine_apply_chunk(c->engine, c->events, c->n, c->now, c->mode);
	for (int i = 0; i < c->n; i++)
		ExecClearTuple(c->slots[i]);
	c->n = 0;
	MemoryContextReset(c->cxt);
}

static void
chunk_add(BackfillChunk *c, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	MemoryContext old = MemoryContextSwitchTo(c->cxt);
	SwEvent    *ev = &c->events[c->n];

	ev->slot = c->slots[c->n++];
	ExecStoreHeapTuple(heap_copytuple(tup), ev->slot, false);
	ev->partition = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
	ev->offset = DatumGetInt64(heap_getattr(tup, 2, desc, &isnull));
	MemoryContextSwitchTo(old);
	if (c->n == CATCH_UP_CHUNK_ROWS)
		chunk_apply(c);
}

static void
int64_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, 1, desc, &isnull);

	*(int64 *) arg = isnull ? 0 : DatumGetInt64(d);
}

/*
 * Every offset of [max(from, staged_from), to) of partition i must have
 * been read from staging, or be a dead letter.  After a crash, until the
 * worker has staged its rows again, staging lacks some: then a window
 * taking them up would miss events, so nothing is done.
 */
static void
check_complete(SourceInfo src, CatchUpRange *range, int i, int64 nread)
{
	int64		lo = Max(range->from[i], range->staged_from[i]);
	int64		dead = 0;
	Oid			types[4] = {INT4OID, INT4OID, INT8OID, INT8OID};
	Datum		v[4];

	if (range->to[i] <= lo)
		return;
	v[0] = Int32GetDatum(src.id);
	v[1] = Int32GetDatum(range->partition[i]);
	v[2] = Int64GetDatum(lo);
	v[3] = Int64GetDatum(range->to[i]);
	(void) catalog_run(InvalidOid,
					   "SELECT pg_catalog.sum(LEAST(coalesce(d.kafka_offset_end, d.kafka_offset),"
					   "                            $4 OPERATOR(pg_catalog.-) 1)"
					   "       OPERATOR(pg_catalog.-) GREATEST(d.kafka_offset, $3) OPERATOR(pg_catalog.+) 1)"
					   "       ::pg_catalog.int8"
					   "  FROM sw.dead_letters d JOIN sw.source s"
					   "    ON s.name OPERATOR(pg_catalog.=) d.source_name"
					   " WHERE s.id OPERATOR(pg_catalog.=) $1"
					   "   AND d.kafka_partition OPERATOR(pg_catalog.=) $2"
					   "   AND d.kafka_offset OPERATOR(pg_catalog.<) $4"
					   "   AND coalesce(d.kafka_offset_end, d.kafka_offset) OPERATOR(pg_catalog.>=) $3",
					   4, types, v, NULL, SPI_OK_SELECT, int64_row, &dead);
	if (nread + dead != range->to[i] - lo)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("staging table of the source lacks events of partition %d", range->partition[i]),
				 errdetail("Offsets " INT64_FORMAT " to " INT64_FORMAT " should be staged, but " INT64_FORMAT " of them are neither staged nor dead letters.",
						   lo, range->to[i] - 1, range->to[i] - lo - nread - dead),
				 errhint("After a crash the source's worker stages them again: try again once sw.sources.state is 'running'.")));
}

/*
 * One cursor over the staged rows of every range, in the order catch_up
 * applies them: each partition in offset order, the partitions merged by
 * Kafka timestamp.  Merging the partitions' heads (take the head with the
 * least timestamp, the first partition on ties) gives the order of the
 * rows sorted by the greatest timestamp of their partition up to them,
 * then the partition's place among the ranges, then the offset: a row
 * waits behind a later timestamp before it in its partition exactly as
 * behind a head.  So one scan of the staging table and a sort, where a
 * cursor per partition scanned the whole table once for each (a backfill
 * of 500,000 events over 64 partitions took 18 s).  A NULL timestamp
 * counts as -infinity.  Operators and functions are named with their
 * schema.
 */
static Portal
open_catch_up_cursor(const char *staging, CatchUpRange *range)
{
	Oid			types[3] = {INT4ARRAYOID, INT8ARRAYOID, INT8ARRAYOID};
	int64	   *lo = palloc(sizeof(int64) * Max(range->n, 1));
	Datum		args[3];

	for (int i = 0; i < range->n; i++)
		lo[i] = Max(range->from[i], range->staged_from[i]);
	args[0] = catalog_int4_array(range->n, range->partition);
	args[1] = catalog_int8_array(range->n, lo);
	args[2] = catalog_int8_array(range->n, range->to);
	return SPI_cursor_open_with_args(NULL,
									 psprintf("SELECT s.* FROM %s s JOIN ROWS FROM (pg_catalog.unnest($1),"
											  " pg_catalog.unnest($2), pg_catalog.unnest($3))"
											  " WITH ORDINALITY AS r(p, lo, hi, i)"
											  " ON s.kafka_partition OPERATOR(pg_catalog.=) r.p"
											  " AND s.kafka_offset OPERATOR(pg_catalog.>=) r.lo"
											  " AND s.kafka_offset OPERATOR(pg_catalog.<) r.hi"
											  " ORDER BY pg_catalog.max(COALESCE(s.kafka_timestamp,"
											  " '-infinity'::pg_catalog.timestamptz))"
											  " OVER (PARTITION BY r.i ORDER BY s.kafka_offset"
											  " ROWS UNBOUNDED PRECEDING), r.i, s.kafka_offset",
											  staging),
									 3, types, args, NULL, false, 0);
}

/* The place of a row's partition among the ranges (they hold each once). */
static int
range_index(CatchUpRange *range, int partition)
{
	for (int i = 0; i < range->n; i++)
		if (range->partition[i] == partition)
			return i;
	elog(ERROR, "staged row of partition %d outside the ranges to catch up", partition);
	return -1;
}

/*
 * Apply what the source has staged in [from, to) per partition to a window:
 * each partition in offset order, as the worker would have, and the
 * partitions merged by Kafka timestamp, the best stand-in for the order in
 * which they arrived.  The staging table is read as the caller, the
 * window's owner; a chunk at a time is applied and written, with errors
 * of single events skipped and recorded.
 */
static void
catch_up(int window_id, SourceInfo src, CatchUpRange *range, SwLoadMode mode)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "stream_windows catch-up",
											  ALLOCSET_DEFAULT_SIZES);
	Relation	rel = table_open(src.staging, AccessShareLock);
	BackfillChunk *chunk = palloc0(sizeof(BackfillChunk));
	char	   *staging = quote_qualified_identifier(get_namespace_name(get_rel_namespace(src.staging)),
													 get_rel_name(src.staging));
	Portal		portal;
	int64	   *nread;
	int			last = -1;

	chunk->engine = sw_engine_load(src.id, window_id, src.staging, mode, cxt);
	chunk->cxt = AllocSetContextCreate(cxt, "stream_windows catch-up rows",
									   ALLOCSET_DEFAULT_SIZES);
	chunk->now = GetCurrentTimestamp();
	chunk->mode = mode;
	for (int i = 0; i < CATCH_UP_CHUNK_ROWS; i++)
		chunk->slots[i] = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nread = palloc0(sizeof(int64) * Max(range->n, 1));
	portal = open_catch_up_cursor(staging, range);
	for (;;)
	{
		SPITupleTable *rows;

		SPI_cursor_fetch(portal, true, 1000);
		rows = SPI_tuptable;
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < rows->numvals; r++)
		{
			HeapTuple	tup = rows->vals[r];
			bool		isnull;
			int			partition = DatumGetInt32(heap_getattr(tup, 1, rows->tupdesc, &isnull));

			/* the partition's place, looked up again when it changes */
			if (last < 0 || range->partition[last] != partition)
				last = range_index(range, partition);
			nread[last]++;
			chunk_add(chunk, tup, rows->tupdesc);
			CHECK_FOR_INTERRUPTS();
		}
		SPI_freetuptable(rows);
	}
	if (chunk->n > 0)
		chunk_apply(chunk);
	for (int i = 0; i < range->n; i++)
		check_complete(src, range, i, nread[i]);
	SPI_cursor_close(portal);
	SPI_finish();
	sw_engine_end_batch(chunk->engine, chunk->now);
	sw_engine_free(chunk->engine);
	for (int i = 0; i < CATCH_UP_CHUNK_ROWS; i++)
		ExecDropSingleTupleTableSlot(chunk->slots[i]);
	table_close(rel, AccessShareLock);
	MemoryContextDelete(cxt);
}

/* What retention removed from staging before a window could take it up. */
static void
record_lost_ranges(const char *window_name, CatchUpRange *range)
{
	int			n = 0;
	int		   *partitions = palloc(sizeof(int) * Max(range->n, 1));
	int64	   *offsets = palloc(sizeof(int64) * Max(range->n, 1));
	int64	   *ends = palloc(sizeof(int64) * Max(range->n, 1));
	char	  **errors = palloc(sizeof(char *) * Max(range->n, 1));

	for (int i = 0; i < range->n; i++)
	{
		int64		end = Min(range->staged_from[i], range->to[i]) - 1;

		if (range->from[i] > end)
			continue;
		partitions[n] = range->partition[i];
		offsets[n] = range->from[i];
		ends[n] = end;
		errors[n++] = "removed from the staging table by retention while the window was suspended";
	}
	catalog_window_errors(window_name, n, partitions, offsets, ends, errors);
}

/* A new window: everything the source has staged below its next_offset. */
static void
backfill(int window_id, SourceInfo src)
{
	Oid			types[1] = {INT4OID};
	Datum		v[1] = {Int32GetDatum(src.id)};
	CatchUpRange *range = palloc0(sizeof(CatchUpRange));

	(void) catalog_run(InvalidOid,
					   "SELECT kafka_partition, 0::pg_catalog.int8, next_offset, staged_from"
					   "  FROM sw.source_offset"
					   " WHERE source_id OPERATOR(pg_catalog.=) $1 ORDER BY kafka_partition",
					   1, types, v, NULL, SPI_OK_SELECT, range_row, range);
	catch_up(window_id, src, range, SW_LOAD_BACKFILL);
}

/* ------------------------------------------------------------------------
 * The SQL functions
 * ------------------------------------------------------------------------
 */

Datum
sw_create_window(PG_FUNCTION_ARGS)
{
	WindowArgs	a;
	SourceInfo	src;
	SwDefinition *def;
	RangeVar   *rv;
	Oid			result;
	int			window_id;

	read_args(fcinfo, &a);
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("sw.create_window cannot run in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errdetail("A new window starts exactly where its source stands, which a transaction snapshot taken earlier cannot see."),
				 errhint("Create windows in a READ COMMITTED transaction.")));
	src = lock_source(a.source, false, 0);
	if (pg_class_aclcheck(src.staging, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read source \"%s\"", a.source),
				 errdetail("A window's owner must be able to read the source's staging table."),
				 errhint("Ask its owner to GRANT SELECT ON %s TO %s.",
						 get_rel_name(src.staging), GetUserNameFromId(GetUserId(), false))));
	if (check_enable_rls(src.staging, InvalidOid, true) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot create a window over source \"%s\": row-level security applies to its staging table",
						a.source),
				 errdetail("A window sees every event of its source as it is staged, so row-level security policies could not be applied to it."),
				 errhint("Ask the owner of the source to create the window, or to exempt role %s from the policies (BYPASSRLS).",
						 GetUserNameFromId(GetUserId(), false))));
	def = analyze_definition(src.staging, &a);

	rv = makeRangeVarFromNameList(sw_qualified_name_list(a.name));
	if (rv->schemaname == NULL)
		rv->schemaname = get_namespace_name(RangeVarGetCreationNamespace(rv));
	result = create_result_table(rv, def, a.kindval);
	sw_record_window_dependencies(result, src.staging, def);
	window_id = insert_window(&a, src, result, def);
	CommandCounterIncrement();
	if (a.backfill)
		backfill(window_id, src);
	else
	{
		/* still load it once: expressions and plans are checked now */
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "stream_windows check",
												  ALLOCSET_DEFAULT_SIZES);

		sw_engine_free(sw_engine_load(src.id, window_id, src.staging, SW_LOAD_BACKFILL, cxt));
		MemoryContextDelete(cxt);
	}
	PG_RETURN_OID(result);
}

typedef struct WindowRef
{
	int			id;
	int			source_id;
	Oid			result;
	Oid			owner;			/* the result table's, else as recorded */
	char	   *name;
} WindowRef;

static void
window_ref_row(void *arg, HeapTuple tup, TupleDesc desc)
{
	WindowRef  *ref = arg;
	bool		isnull;

	ref->id = DatumGetInt32(heap_getattr(tup, 1, desc, &isnull));
	ref->source_id = DatumGetInt32(heap_getattr(tup, 2, desc, &isnull));
	ref->result = DatumGetObjectId(heap_getattr(tup, 3, desc, &isnull));
	ref->owner = DatumGetObjectId(heap_getattr(tup, 4, desc, &isnull));
	ref->name = TextDatumGetCString(heap_getattr(tup, 5, desc, &isnull));
}

/*
 * A window by its name, or else by the result table the name resolves to
 * in the caller's search_path: exactly one, which the caller may
 * administer (action: "drop it", "advance its watermark").
 */
static WindowRef
lookup_window(const char *name, const char *action)
{
	WindowRef	ref = {0};

	catalog_find_by_name("window", "result", "id, source_id, result, owner, name", name,
						 window_ref_row, &ref);
	if (ref.id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("window \"%s\" does not exist", name),
				 errdetail("A window is named after its result table, as given to sw.create_window."),
				 errhint("The windows are listed in sw.windows.")));
	ref.owner = sw_effective_owner(ref.result, ref.owner);
	sw_priv_check_owner("window", ref.name, ref.owner, action);
	return ref;
}

/* Drop a window and everything it made; also used by sw.drop_source. */
void
sw_drop_window_by_id(int id, int source_id, Oid result, const char *name)
{
	Oid			types[2] = {INT4OID, TEXTOID};
	Datum		v[2] = {Int32GetDatum(id), CStringGetTextDatum(name)};

	(void) lock_source(NULL, true, source_id);
	catalog_exec("DELETE FROM sw.window WHERE id OPERATOR(pg_catalog.=) $1",
				 1, types, v, SPI_OK_DELETE);
	catalog_exec("DELETE FROM sw.late_events WHERE window_name OPERATOR(pg_catalog.=) $2",
				 2, types, v, SPI_OK_DELETE);
	catalog_exec("DELETE FROM sw.window_errors WHERE window_name OPERATOR(pg_catalog.=) $2",
				 2, types, v, SPI_OK_DELETE);
	/* as its owner: the result table's triggers are the owner's code */
	if (get_rel_name(result) != NULL)
		(void) catalog_run(sw_relation_owner(result),
						   psprintf("DROP TABLE %s",
									quote_qualified_identifier(get_namespace_name(get_rel_namespace(result)),
															   get_rel_name(result))),
						   0, NULL, NULL, NULL, SPI_OK_UTILITY, NULL, NULL);
}

Datum
sw_drop_window(PG_FUNCTION_ARGS)
{
	char	   *name;
	WindowRef	ref;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name must not be null"),
				 errdetail("sw.drop_window needs the window's name."),
				 errhint("The windows are listed in sw.windows.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ref = lookup_window(name, "drop it");
	sw_drop_window_by_id(ref.id, ref.source_id, ref.result, ref.name);
	PG_RETURN_VOID();
}

Datum
sw_advance_watermark(PG_FUNCTION_ARGS)
{
	char	   *name;
	WindowRef	ref;
	Oid			types[2] = {INT4OID, TIMESTAMPTZOID};
	Datum		v[2];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", PG_ARGISNULL(0) ? "name" : "ts"),
				 errdetail("sw.advance_watermark raises a window's watermark to a time."),
				 errhint("For example sw.advance_watermark('hits', now()).")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	sw_check_finite(PG_GETARG_TIMESTAMPTZ(1), "watermark");
	ref = lookup_window(name, "advance its watermark");
	v[0] = Int32GetDatum(ref.id);
	v[1] = PG_GETARG_DATUM(1);
	catalog_exec("UPDATE sw.window_state SET requested_watermark ="
				 " GREATEST(requested_watermark, $2) WHERE window_id OPERATOR(pg_catalog.=) $1",
				 2, types, v, SPI_OK_UPDATE);
	PG_RETURN_VOID();
}


/*
 * sw.resume_window(name): a suspended window takes up the events it missed
 * from the staging table (what retention removed meanwhile is recorded in
 * sw.window_errors, one range per partition) and runs again.  Like a
 * backfill, in the caller's transaction, ordered after any batch in
 * flight.
 */
Datum
sw_resume_window(PG_FUNCTION_ARGS)
{
	char	   *name;
	WindowRef	ref;
	SourceInfo	src;
	char	   *state = NULL;
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		v[2];
	CatchUpRange *range = palloc0(sizeof(CatchUpRange));

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name must not be null"),
				 errdetail("sw.resume_window needs the window's name."),
				 errhint("The suspended windows are those with state 'error' in sw.windows.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("sw.resume_window cannot run in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errdetail("A window takes up exactly where its source stands, which a transaction snapshot taken earlier cannot see."),
				 errhint("Resume windows in a READ COMMITTED transaction.")));
	ref = lookup_window(name, "resume it");
	src = lock_source(NULL, true, ref.source_id);
	v[0] = Int32GetDatum(ref.id);
	v[1] = Int32GetDatum(ref.source_id);
	(void) catalog_run(InvalidOid,
					   "SELECT state FROM sw.window_state WHERE window_id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
					   1, types, v, NULL, SPI_OK_SELECT, catalog_row_text, &state);
	if (state == NULL || strcmp(state, "error") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("window \"%s\" is not suspended", ref.name),
				 errdetail("Its state is \"%s\".", state ? state : "unknown"),
				 errhint("Only windows whose state in sw.windows is 'error' are resumed.")));
	catalog_exec("UPDATE sw.window_state SET state = 'running', last_error = NULL"
				 " WHERE window_id OPERATOR(pg_catalog.=) $1",
				 1, types, v, SPI_OK_UPDATE);

	/* where it stopped, per partition, and where the source stands */
	(void) catalog_run(InvalidOid,
					   "SELECT o.kafka_partition, coalesce(p.resume_from, 0), o.next_offset, o.staged_from"
					   "  FROM sw.source_offset o LEFT JOIN sw.window_partition p"
					   "    ON p.window_id OPERATOR(pg_catalog.=) $1"
					   "   AND p.kafka_partition OPERATOR(pg_catalog.=) o.kafka_partition"
					   " WHERE o.source_id OPERATOR(pg_catalog.=) $2 ORDER BY 1",
					   2, types, v, NULL, SPI_OK_SELECT, range_row, range);
	record_lost_ranges(ref.name, range);
	CommandCounterIncrement();
	catch_up(ref.id, src, range, SW_LOAD_RESUME);
	CommandCounterIncrement();
	state = NULL;
	(void) catalog_run(InvalidOid,
					   "SELECT last_error FROM sw.window_state"
					   " WHERE window_id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) 'error'",
					   1, types, v, NULL, SPI_OK_SELECT, catalog_row_text, &state);
	if (state != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("window \"%s\" could not be resumed", ref.name),
				 errdetail("%s", state)));
	PG_RETURN_VOID();
}
