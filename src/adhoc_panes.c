/*-------------------------------------------------------------------------
 *
 * adhoc_panes.c
 *	  GROUP BY over sw.hop in FROM, aggregated once per pane.
 *
 * FROM events e, sw.hop(e.ts, size, slide) h ... GROUP BY h.window_start
 * joins every row to size/slide windows and then groups all of those rows;
 * the grouping, not the windows, is what costs.  Like Flink's sliding
 * windows, this rewrite aggregates each row once, in its pane, and then
 * combines panes into windows.  Panes are gcd(size, slide) wide on the
 * windows' grid, so every window is a union of whole panes, and the windows
 * containing a row are exactly the windows containing the start of its pane:
 *
 *	  SELECT k, h.window_start, agg(x)
 *	  FROM <from items>, sw.hop(ts, size, slide, origin) h
 *	  WHERE <qual> GROUP BY k, h.window_start
 *
 * is planned as
 *
 *	  SELECT p.k, h.window_start, combine(p.partial)
 *	  FROM (SELECT k, sw._tumble_start(ts, <pane>, origin) AS pane_start,
 *				   agg(x) AS partial
 *			FROM <from items> WHERE <qual> GROUP BY k, pane_start) sw_panes p,
 *		   sw.hop(p.pane_start, size, slide, origin) h
 *	  GROUP BY p.k, h.window_start
 *
 * Aggregates combined: count (its partial counts summed), sum over integers
 * and numeric (summed again, same result type), and every aggregate that
 * starts from NULL, has no final function and combines with its own
 * transition function (min, max, bool_and, bool_or, bit_and, ...), except
 * over floating point, whose last digits would depend on the order.  Any
 * other aggregate, DISTINCT or ORDER BY inside one, window functions,
 * grouping sets, sublinks, volatile functions, a size, slide or origin that
 * is not a constant, or a column used outside the grouping keys leaves the
 * query as written: results never depend on whether it applies.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_oper.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/acl.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "adhoc_planner.h"
#include "compat.h"
#include "window_time.h"

/* Range table of the rewritten query: the panes, then sw.hop over them */
#define PANES_RTI	1
#define HOP_RTI		2

typedef struct PaneRewrite
{
	Query	   *q;				/* the query being rewritten */
	int			hop_rti;		/* its sw.hop item */
	Oid			hop_fn;			/* and the function it calls */
	List	   *hop_args;		/* (ts, size, slide, origin) */
	List	   *keys;			/* inner entries of the keys that move down */
	List	   *inner_tlist;	/* keys, pane_start, partial aggregates */
	List	   *inner_groups;	/* GROUP BY of the panes */
	bool		failed;			/* something the rewrite cannot keep */
} PaneRewrite;

/* Nothing in q that the rewrite cannot carry over? */
static bool
query_shape_fits(Query *q)
{
	return q->commandType == CMD_SELECT && q->utilityStmt == NULL &&
		(q->hasAggs || q->groupClause != NIL) &&
		q->setOperations == NULL && q->groupingSets == NIL &&
		!q->hasWindowFuncs && !q->hasTargetSRFs && !q->hasSubLinks &&
		!q->hasModifyingCTE && !q->hasForUpdate && q->rowMarks == NIL &&
		q->constraintDeps == NIL;
}

/* Nothing volatile that the rewrite would evaluate a different number of times */
static bool
nothing_volatile(Query *q, List *hop_args)
{
	return !contain_volatile_functions((Node *) q->targetList) &&
		!contain_volatile_functions(q->havingQual) &&
		!contain_volatile_functions(q->jointree->quals) &&
		!contain_volatile_functions(linitial(hop_args));
}

/* A non-null constant interval that is a fixed, positive duration, in usecs */
static bool
const_duration(Node *arg, int64 *usecs)
{
	Interval   *span;

	if (!IsA(arg, Const) || ((Const *) arg)->constisnull ||
		((Const *) arg)->consttype != INTERVALOID)
		return false;
	span = DatumGetIntervalP(((Const *) arg)->constvalue);
	if (span->month != 0 ||
		pg_mul_s64_overflow((int64) span->day, USECS_PER_DAY, usecs) ||
		pg_add_s64_overflow(*usecs, span->time, usecs))
		return false;
	return *usecs > 0;
}

/* The pane width of sw.hop(ts, size, slide, origin), or 0 if not constant */
static int64
pane_usecs(List *args)
{
	int64		size,
				slide;
	Node	   *origin = lfourth(args);

	if (!const_duration(lsecond(args), &size) ||
		!const_duration(lthird(args), &slide) ||
		!IsA(origin, Const) || ((Const *) origin)->constisnull ||
		TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(((Const *) origin)->constvalue)))
		return 0;
	return sw_gcd_usecs(size, slide);
}

/* The top-level FROM item of q that is a call of our sw.hop, or 0 */
static int
hop_item(Query *q, FuncExpr **call)
{
	ListCell   *lc;
	int			found = 0;

	foreach(lc, q->jointree->fromlist)
	{
		RangeTblRef *rtr = lfirst(lc);
		FuncExpr   *fe;

		if (!IsA(rtr, RangeTblRef) ||
			(fe = sw_adhoc_from_call(rt_fetch(rtr->rtindex, q->rtable), "sw_hop")) == NULL)
			continue;
		if (found != 0)
			return 0;			/* two of them: leave the query alone */
		found = rtr->rtindex;
		*call = fe;
	}
	return found;
}

/* Does node use, at this query level, a range table entry other than rti? */
static bool
uses_other_than(Node *node, int *rti)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varlevelsup == 0 && ((Var *) node)->varno != *rti;
	return expression_tree_walker(node, uses_other_than, rti);
}

static TargetEntry *
add_inner_column(PaneRewrite *pr, Expr *expr, const char *name)
{
	TargetEntry *tle = makeTargetEntry(expr, list_length(pr->inner_tlist) + 1,
									   pstrdup(name), false);

	pr->inner_tlist = lappend(pr->inner_tlist, tle);
	return tle;
}

static Var *
inner_var(TargetEntry *tle)
{
	return makeVar(PANES_RTI, tle->resno, exprType((Node *) tle->expr),
				   exprTypmod((Node *) tle->expr),
				   exprCollation((Node *) tle->expr), 0);
}

/*
 * Sort the grouping expressions: those over sw.hop alone stay above, those
 * over the other items move into the panes (grouped the same way there).
 */
static bool
split_grouping(PaneRewrite *pr)
{
	ListCell   *lc;

	foreach(lc, pr->q->groupClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		Node	   *expr = (Node *) get_sortgroupclause_expr(sgc, pr->q->targetList);
		TargetEntry *tle;

		if (rangeTableEntry_used(expr, pr->hop_rti, 0))
		{
			if (uses_other_than(expr, &pr->hop_rti))
				return false;
			continue;
		}
		if (!contain_vars_of_level(expr, 0))
			continue;
		tle = add_inner_column(pr, (Expr *) copyObject(expr), "key");
		tle->ressortgroupref = tle->resno;
		sgc = copyObject(sgc);
		sgc->tleSortGroupRef = tle->resno;
		pr->keys = lappend(pr->keys, tle);
		pr->inner_groups = lappend(pr->inner_groups, sgc);
	}
	return true;
}

/* The panes' start column, sw._tumble_start(ts, pane, origin), grouped */
static bool
add_pane_column(PaneRewrite *pr, int64 pane)
{
	Oid			fn;
	Interval   *span = palloc0(sizeof(Interval));
	List	   *args;
	TargetEntry *tle;
	SortGroupClause *sgc = makeNode(SortGroupClause);

	fn = sw_adhoc_scalar_function(get_func_namespace(pr->hop_fn),
								  "_tumble_start", "sw_tumble_lower");
	if (!OidIsValid(fn) ||
		sw_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		return false;
	span->time = pane;
	args = list_make3(copyObject(linitial(pr->hop_args)),
					  makeConst(INTERVALOID, -1, InvalidOid, sizeof(Interval),
								IntervalPGetDatum(span), false, false),
					  copyObject(lfourth(pr->hop_args)));
	tle = add_inner_column(pr, (Expr *) makeFuncExpr(fn, TIMESTAMPTZOID, args,
													 InvalidOid, InvalidOid,
													 COERCE_EXPLICIT_CALL),
						   "pane_start");
	tle->ressortgroupref = tle->resno;
	sgc->tleSortGroupRef = tle->resno;
	get_sort_group_operators(TIMESTAMPTZOID, true, true, false,
							 &sgc->sortop, &sgc->eqop, NULL, &sgc->hashable);
	pr->inner_groups = lappend(pr->inner_groups, sgc);
	return true;
}

/* min, max, bool_and and the like: agg(agg(x) per pane) = agg(x) */
static bool
combines_with_itself(Aggref *agg)
{
	HeapTuple	tup;
	Form_pg_aggregate form;
	bool		initnull;
	bool		ok;

	if (list_length(agg->args) != 1 ||
		agg->aggtype != linitial_oid(agg->aggargtypes) ||
		agg->aggtype == FLOAT4OID || agg->aggtype == FLOAT8OID)
		return false;
	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(agg->aggfnoid));
	if (!HeapTupleIsValid(tup))
		return false;
	form = (Form_pg_aggregate) GETSTRUCT(tup);
	(void) SysCacheGetAttr(AGGFNOID, tup, Anum_pg_aggregate_agginitval, &initnull);
	ok = form->aggkind == AGGKIND_NORMAL && !OidIsValid(form->aggfinalfn) &&
		OidIsValid(form->aggcombinefn) && form->aggcombinefn == form->aggtransfn &&
		initnull && func_strict(form->aggtransfn);
	ReleaseSysCache(tup);
	return ok;
}

/* aggfn(arg), a plain aggregate over one column of the panes */
static Aggref *
make_aggref(Oid aggfn, Oid type, Var *arg)
{
	Aggref	   *agg = makeNode(Aggref);

	agg->aggfnoid = aggfn;
	agg->aggtype = type;
	agg->aggargtypes = list_make1_oid(arg->vartype);
	agg->args = list_make1(makeTargetEntry((Expr *) arg, 1, NULL, false));
	agg->aggkind = AGGKIND_NORMAL;
	agg->aggsplit = AGGSPLIT_SIMPLE;
	agg->aggno = -1;
	agg->aggtransno = -1;
	agg->location = -1;
	return agg;
}

/* sum(bigint partials), which is numeric, cast back to bigint */
static Node *
sum_as_bigint(Var *partial)
{
	return (Node *) makeFuncExpr(F_INT8_NUMERIC, INT8OID,
								 list_make1(make_aggref(F_SUM_INT8, NUMERICOID, partial)),
								 InvalidOid, InvalidOid, COERCE_EXPLICIT_CAST);
}

static Node *
coalesce_zero(Node *count)
{
	CoalesceExpr *c = makeNode(CoalesceExpr);

	c->coalescetype = INT8OID;
	c->args = list_make2(count, makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
										  Int64GetDatum(0), false, FLOAT8PASSBYVAL));
	c->location = -1;
	return (Node *) c;
}

/*
 * The aggregate above that combines agg's partial results, agg itself
 * moving into the panes; NULL if agg cannot be split.
 */
static Node *
combine_aggregate(PaneRewrite *pr, Aggref *agg)
{
	Var		   *partial;
	Aggref	   *outer;

	if (agg->agglevelsup != 0 || agg->aggkind != AGGKIND_NORMAL ||
		agg->aggdistinct != NIL || agg->aggorder != NIL ||
		agg->aggdirectargs != NIL || rangeTableEntry_used((Node *) agg, pr->hop_rti, 0))
		return NULL;
	switch (agg->aggfnoid)
	{
		case F_COUNT_:
		case F_COUNT_ANY:
			/* sum(partial)::bigint, and 0 where there was no row at all */
			partial = inner_var(add_inner_column(pr, (Expr *) copyObject(agg), "partial"));
			return (Node *) coalesce_zero(sum_as_bigint(partial));
		case F_SUM_INT2:
		case F_SUM_INT4:
			partial = inner_var(add_inner_column(pr, (Expr *) copyObject(agg), "partial"));
			return sum_as_bigint(partial);
		case F_SUM_INT8:
		case F_SUM_NUMERIC:
			partial = inner_var(add_inner_column(pr, (Expr *) copyObject(agg), "partial"));
			return (Node *) make_aggref(F_SUM_NUMERIC, NUMERICOID, partial);
		default:
			if (!combines_with_itself(agg))
				return NULL;
			partial = inner_var(add_inner_column(pr, (Expr *) copyObject(agg), "partial"));
			outer = make_aggref(agg->aggfnoid, agg->aggtype, partial);
			outer->aggcollid = agg->aggcollid;
			outer->inputcollid = agg->inputcollid;
			return (Node *) outer;
	}
}

/*
 * An expression of the select list or HAVING, as it reads above the panes:
 * grouping keys become pane columns, aggregates combine partial ones,
 * sw.hop's columns stay; any other column fails the rewrite.
 */
static Node *
outer_mutator(Node *node, PaneRewrite *pr)
{
	ListCell   *lc;

	if (node == NULL || pr->failed)
		return node;
	foreach(lc, pr->keys)
	{
		TargetEntry *key = lfirst(lc);

		if (equal(node, key->expr))
			return (Node *) inner_var(key);
	}
	if (IsA(node, Aggref))
	{
		Node	   *combined = combine_aggregate(pr, (Aggref *) node);

		if (combined == NULL)
			pr->failed = true;
		return combined;
	}
	if (IsA(node, Var) && ((Var *) node)->varlevelsup == 0)
	{
		Var		   *var = copyObject((Var *) node);

		if (var->varno != pr->hop_rti)
			pr->failed = true;
		var->varno = HOP_RTI;
		var->varnosyn = HOP_RTI;
		return (Node *) var;
	}
	return expression_tree_mutator(node, outer_mutator, pr);
}

/*
 * The panes: q's FROM items but sw.hop, its WHERE, grouped by keys and
 * pane; NULL if they refer to sw.hop.  q itself is left as it was.
 */
static Query *
panes_query(PaneRewrite *pr)
{
	Query	   *q = pr->q;
	Query	   *inner = makeNode(Query);
	RangeTblEntry *hole = makeNode(RangeTblEntry);
	ListCell   *lc;

	inner->commandType = CMD_SELECT;
	inner->querySource = QSRC_ORIGINAL;
	inner->canSetTag = true;
	inner->cteList = q->cteList;
	inner->hasRecursive = q->hasRecursive;
	inner->hasRowSecurity = q->hasRowSecurity;
	inner->hasAggs = false;
	foreach(lc, pr->inner_tlist)
		inner->hasAggs |= IsA(((TargetEntry *) lfirst(lc))->expr, Aggref);
	inner->targetList = pr->inner_tlist;
	inner->groupClause = pr->inner_groups;
#if PG_VERSION_NUM >= 160000
	inner->rteperminfos = q->rteperminfos;
#endif

	/* sw.hop's place in the range table stays, as an unused empty item */
	inner->rtable = list_copy(q->rtable);
	hole->rtekind = RTE_RESULT;
	hole->eref = copyObject(rt_fetch(pr->hop_rti, q->rtable)->eref);
	list_nth_cell(inner->rtable, pr->hop_rti - 1)->ptr_value = hole;
	inner->jointree = copyObject(q->jointree);
	foreach(lc, inner->jointree->fromlist)
	{
		RangeTblRef *rtr = lfirst(lc);

		if (IsA(rtr, RangeTblRef) && rtr->rtindex == pr->hop_rti)
		{
			inner->jointree->fromlist =
				foreach_delete_current(inner->jointree->fromlist, lc);
			break;
		}
	}

	/* nothing below may refer to sw.hop (its arguments, a LATERAL item) */
	if (rangeTableEntry_used((Node *) inner, pr->hop_rti, 0))
		return NULL;
	/* it is one level further from any query it refers to */
	IncrementVarSublevelsUp((Node *) inner, 1, 1);
	return inner;
}

static RangeTblEntry *
panes_rte(Query *inner)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	List	   *colnames = NIL;
	ListCell   *lc;

	foreach(lc, inner->targetList)
		colnames = lappend(colnames,
						   makeString(pstrdup(((TargetEntry *) lfirst(lc))->resname)));
	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = inner;
	rte->eref = makeAlias("sw_panes", colnames);
	rte->inFromCl = true;
	return rte;
}

/* sw.hop(p.pane_start, size, slide, origin), lateral to the panes */
static RangeTblEntry *
hop_over_panes_rte(PaneRewrite *pr, AttrNumber pane_attno)
{
	RangeTblEntry *rte = copyObject(rt_fetch(pr->hop_rti, pr->q->rtable));
	RangeTblFunction *rtf = linitial_node(RangeTblFunction, rte->functions);
	FuncExpr   *call = (FuncExpr *) rtf->funcexpr;

	call->args = list_copy_tail(pr->hop_args, 1);
	call->args = lcons(makeVar(PANES_RTI, pane_attno, TIMESTAMPTZOID, -1, InvalidOid, 0),
					   call->args);
	rte->lateral = true;
	return rte;
}

/*
 * Rewrite q in place into its per-pane form, if it is a GROUP BY over
 * sw.hop in FROM that can be; true if it was.
 */
bool
sw_adhoc_rewrite_panes(Query *q)
{
	PaneRewrite pr = {0};
	FuncExpr   *call = NULL;
	int64		pane;
	AttrNumber	pane_attno;
	List	   *tlist = NIL;
	Node	   *having;
	Query	   *inner;
	ListCell   *lc;

	if (!query_shape_fits(q) || (pr.hop_rti = hop_item(q, &call)) == 0)
		return false;
	pr.q = q;
	pr.hop_fn = call->funcid;
	pr.hop_args = sw_adhoc_args_with_defaults(call);
	if (list_length(pr.hop_args) != 4 ||
		(pane = pane_usecs(pr.hop_args)) == 0 ||
		!nothing_volatile(q, pr.hop_args) ||
		sw_proc_aclcheck(pr.hop_fn, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK ||
		!split_grouping(&pr) || !add_pane_column(&pr, pane))
		return false;
	pane_attno = list_length(pr.inner_tlist);

	foreach(lc, q->targetList)
	{
		TargetEntry *tle = flatCopyTargetEntry(lfirst(lc));

		tle->expr = (Expr *) outer_mutator((Node *) tle->expr, &pr);
		tlist = lappend(tlist, tle);
	}
	having = outer_mutator(q->havingQual, &pr);
	if (pr.failed)
		return false;

	if ((inner = panes_query(&pr)) == NULL)
		return false;
	q->rtable = list_make2(panes_rte(inner), hop_over_panes_rte(&pr, pane_attno));
	q->jointree = makeFromExpr(list_make2(makeNode(RangeTblRef),
										  makeNode(RangeTblRef)), NULL);
	linitial_node(RangeTblRef, q->jointree->fromlist)->rtindex = PANES_RTI;
	lsecond_node(RangeTblRef, q->jointree->fromlist)->rtindex = HOP_RTI;
	q->targetList = tlist;
	q->havingQual = having;
	q->cteList = NIL;
	q->hasRecursive = false;
#if PG_VERSION_NUM >= 160000
	q->rteperminfos = NIL;
#endif
	elog(DEBUG1, "stream_windows: sw.hop in FROM aggregated per pane of " INT64_FORMAT " us", pane);
	return true;
}
