/*-------------------------------------------------------------------------
 *
 * adhoc_planner.c
 *	  sw.tumble in FROM at the cost of a scalar expression.
 *
 * sw.tumble returns one composite value, so in FROM (FROM events e,
 * sw.tumble(e.ts, '1 minute') w, the form the README teaches) PostgreSQL
 * runs it as a Function Scan: for every row of the table it is joined to, a
 * tuplestore is filled and read back, which costs several times the
 * arithmetic.  This planner hook rewrites each FROM item that is exactly
 * sw.tumble(ts, size, origin) into the LATERAL subquery
 *
 *	  (SELECT sw._tumble_start(ts, size, origin) AS window_start,
 *			  sw._tumble_end(ts, size, origin) AS window_end)
 *
 * which the planner pulls up into the outer query: the bounds become
 * expressions over the outer row, computed only where they are used.  The
 * scalar functions share window_time.c with sw.tumble, so values and
 * errors are the same.  Left alone: WITH ORDINALITY, arguments with
 * volatile functions or subqueries (they would be evaluated twice), and a
 * caller without EXECUTE on sw.tumble (the executor then refuses as
 * usual).  Only plans change: views and rules keep what was written.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/planner.h"
#include "parser/parse_func.h"
#include "rewrite/rewriteManip.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "adhoc_planner.h"
#include "compat.h"

static planner_hook_type prev_planner_hook = NULL;

/* Is funcid one of this library's C functions, with C symbol symbol? */
bool
sw_adhoc_is_ours(Oid funcid, const char *symbol)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	bool		ours = false;

	if (!HeapTupleIsValid(tup))
		return false;
	if (((Form_pg_proc) GETSTRUCT(tup))->prolang == ClanguageId)
	{
		bool		isnull;
		Datum		src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
		Datum		bin;

		if (!isnull && strcmp(TextDatumGetCString(src), symbol) == 0)
		{
			bin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
			ours = !isnull && strstr(TextDatumGetCString(bin), "stream_windows") != NULL;
		}
	}
	ReleaseSysCache(tup);
	return ours;
}

/* sw.<name>(timestamptz, interval, timestamptz), if it is ours; else InvalidOid. */
Oid
sw_adhoc_scalar_function(Oid nspid, const char *name, const char *symbol)
{
	Oid			argtypes[3] = {TIMESTAMPTZOID, INTERVALOID, TIMESTAMPTZOID};
	Oid			funcid;

	funcid = LookupFuncName(list_make2(makeString(get_namespace_name(nspid)),
									   makeString(pstrdup(name))),
							3, argtypes, true);
	return OidIsValid(funcid) && sw_adhoc_is_ours(funcid, symbol) ? funcid : InvalidOid;
}

/*
 * The call of a FROM item that is exactly one call of this library's C
 * function symbol (no WITH ORDINALITY, no column definitions), or NULL.
 */
FuncExpr *
sw_adhoc_from_call(RangeTblEntry *rte, const char *symbol)
{
	RangeTblFunction *rtf;

	if (rte->rtekind != RTE_FUNCTION || rte->funcordinality ||
		list_length(rte->functions) != 1)
		return NULL;
	rtf = linitial_node(RangeTblFunction, rte->functions);
	if (!IsA(rtf->funcexpr, FuncExpr) || rtf->funccolnames != NIL ||
		!sw_adhoc_is_ours(((FuncExpr *) rtf->funcexpr)->funcid, symbol))
		return NULL;
	return (FuncExpr *) rtf->funcexpr;
}

/* The call sw.tumble(...) of a FROM item that can be rewritten, or NULL. */
static FuncExpr *
tumble_call(RangeTblEntry *rte)
{
	FuncExpr   *fe = sw_adhoc_from_call(rte, "sw_tumble");

	if (fe == NULL || fe->funcretset ||
		contain_volatile_functions((Node *) fe->args) ||
		checkExprHasSubLink((Node *) fe->args) ||
		sw_proc_aclcheck(fe->funcid, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		return NULL;
	return fe;
}

/* The call's arguments with the defaults the parser left out (origin). */
List *
sw_adhoc_args_with_defaults(FuncExpr *fe)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fe->funcid));
	List	   *args;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fe->funcid);
	args = expand_function_arguments(copyObject(fe->args), false, fe->funcresulttype, tup);
	ReleaseSysCache(tup);
	return args;
}

static void
rewrite_rte(RangeTblEntry *rte)
{
	FuncExpr   *fe = tumble_call(rte);
	Oid			nsp;
	Oid			start_fn,
				end_fn;
	List	   *args;
	Query	   *sub;

	if (fe == NULL)
		return;
	args = sw_adhoc_args_with_defaults(fe);
	if (list_length(args) != 3)
		return;
	nsp = get_func_namespace(fe->funcid);
	start_fn = sw_adhoc_scalar_function(nsp, "_tumble_start", "sw_tumble_lower");
	end_fn = sw_adhoc_scalar_function(nsp, "_tumble_end", "sw_tumble_upper");
	if (!OidIsValid(start_fn) || !OidIsValid(end_fn))
		return;					/* an older version's catalog */

	/* the arguments move one query level down */
	IncrementVarSublevelsUp((Node *) args, 1, 0);
	sub = makeNode(Query);
	sub->commandType = CMD_SELECT;
	sub->querySource = QSRC_ORIGINAL;
	sub->canSetTag = true;
	sub->jointree = makeFromExpr(NIL, NULL);
	sub->targetList =
		list_make2(makeTargetEntry((Expr *) makeFuncExpr(start_fn, TIMESTAMPTZOID, args,
														 InvalidOid, InvalidOid,
														 COERCE_EXPLICIT_CALL),
								   1, pstrdup("window_start"), false),
				   makeTargetEntry((Expr *) makeFuncExpr(end_fn, TIMESTAMPTZOID,
														 copyObject(args), InvalidOid,
														 InvalidOid, COERCE_EXPLICIT_CALL),
								   2, pstrdup("window_end"), false));
	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = sub;
	rte->functions = NIL;
	rte->lateral = true;
	elog(DEBUG1, "stream_windows: sw.tumble in FROM planned as a LATERAL subquery");
}

static bool
rewrite_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;
		ListCell   *lc;

		sw_adhoc_rewrite_panes(q);
		foreach(lc, q->rtable)
			rewrite_rte(lfirst_node(RangeTblEntry, lc));
		return query_tree_walker(q, rewrite_walker, context, 0);
	}
	return expression_tree_walker(node, rewrite_walker, context);
}

static PlannedStmt *
sw_planner(Query *parse, const char *query_string, int cursorOptions,
		   ParamListInfo boundParams)
{
	rewrite_walker((Node *) parse, NULL);
	if (prev_planner_hook)
		return prev_planner_hook(parse, query_string, cursorOptions, boundParams);
	return standard_planner(parse, query_string, cursorOptions, boundParams);
}

void
sw_adhoc_planner_init(void)
{
	prev_planner_hook = planner_hook;
	planner_hook = sw_planner;
}
