/*-------------------------------------------------------------------------
 *
 * window_agg.c
 *	  Running any combinable aggregate by hand: transition, combine,
 *	  serialize, deserialize and final functions of pg_aggregate.
 *
 * A window keeps one partial aggregate per result row and merges late
 * events into it, so it needs what PostgreSQL's parallel aggregation
 * needs: a combine function, and for states of type internal a serial and
 * a deserial function to store the state in the result table.  This file
 * follows the rules of nodeAgg.c for strict transition and combine
 * functions, NULL initial values and pass-by-reference states.
 *
 * Aggregate support functions are called with an AggState of ours as their
 * context, holding what fmgr.h's aggregate API reads of it:
 * AggCheckCallContext() finds the aggregate context (curaggcontext),
 * AggGetAggref() the Aggref being computed (curpertrans while a
 * transition, combine, serial or deserial function runs, curperagg while
 * the final function runs), AggGetTempMemoryContext() a scratch context
 * reset before each call, AggStateIsShared() false (the state is stored
 * serialized before it is finalized).  Only aggregates with a combine
 * function are accepted, which excludes the ordered-set aggregates that
 * need more of the executor's aggregate state.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/nodeAgg.h"
#include "nodes/makefuncs.h"
#include "parser/parse_agg.h"
#include "utils/builtins.h"
#include "utils/regproc.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "window_agg.h"

static HeapTuple
aggregate_tuple(Oid aggfnoid)
{
	HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggfnoid));

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for aggregate %u", aggfnoid);
	return tup;
}

static void
reject(Aggref *aggref, const char *why, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("aggregate %s cannot be used in a window",
					format_procedure(aggref->aggfnoid)),
			 errdetail("%s", why),
			 errhint("%s", hint)));
}

void
sw_agg_check(Aggref *aggref)
{
	HeapTuple	tup;
	Form_pg_aggregate form;

	if (aggref->aggdistinct != NIL)
		reject(aggref, "DISTINCT inside an aggregate cannot be combined from partial results.",
			   "Count distinct values in a query over the result table, or use an aggregate that keeps a set.");
	if (aggref->aggorder != NIL)
		reject(aggref, "ORDER BY inside an aggregate cannot be combined from partial results.",
			   "Remove ORDER BY from the aggregate call.");
	if (aggref->aggfilter != NULL)
		reject(aggref, "FILTER on an aggregate is not supported in windows.",
			   "Use the window's filter, or a CASE expression in the aggregate's argument.");
	if (aggref->aggkind != AGGKIND_NORMAL)
		reject(aggref, "Ordered-set and hypothetical-set aggregates cannot be combined from partial results.",
			   "Use an aggregate that has a combine function.");

	tup = aggregate_tuple(aggref->aggfnoid);
	form = (Form_pg_aggregate) GETSTRUCT(tup);
	if (!OidIsValid(form->aggcombinefn))
	{
		ReleaseSysCache(tup);
		reject(aggref, "It has no combine function, so late events cannot be merged into a result row.",
			   "Use an aggregate created with COMBINEFUNC, or add one with CREATE AGGREGATE.");
	}
	if (form->aggtranstype == INTERNALOID &&
		(!OidIsValid(form->aggserialfn) || !OidIsValid(form->aggdeserialfn)))
	{
		ReleaseSysCache(tup);
		reject(aggref, "Its state has type internal but no serial and deserial functions, so it cannot be stored.",
			   "Create the aggregate with SERIALFUNC and DESERIALFUNC.");
	}
	ReleaseSysCache(tup);
}

static FunctionCallInfo
make_fcinfo(FmgrInfo *flinfo, int nargs, Oid collation, SwAggContext *actx)
{
	FunctionCallInfo fcinfo = palloc0(SizeForFunctionCallInfo(nargs));

	InitFunctionCallInfoData(*fcinfo, flinfo, nargs, collation,
							 (Node *) actx->aggstate, NULL);
	return fcinfo;
}

SwAggContext *
sw_agg_context_create(MemoryContext aggcontext)
{
	SwAggContext *actx = palloc0(sizeof(SwAggContext));

	actx->aggstate = makeNode(AggState);
	actx->econtext = makeNode(ExprContext);
	actx->econtext->ecxt_per_tuple_memory = aggcontext;
	actx->econtext->ecxt_per_query_memory = aggcontext;
	actx->aggstate->curaggcontext = actx->econtext;
	actx->tmpcontext = makeNode(ExprContext);
	actx->tmpcontext->ecxt_per_tuple_memory =
		AllocSetContextCreate(CurrentMemoryContext, "stream_windows aggregate scratch",
							  ALLOCSET_SMALL_SIZES);
	actx->aggstate->tmpcontext = actx->tmpcontext;
	return actx;
}

/* The aggregate state's view while one of agg's support functions runs. */
static void
calling(SwAggregate *agg, SwAggContext *actx, bool final)
{
	AggState   *as = actx->aggstate;

	MemoryContextReset(actx->tmpcontext->ecxt_per_tuple_memory);
	as->curpertrans = final ? NULL : agg->pertrans;
	as->curperagg = final ? agg->peragg : NULL;
	as->pertrans = agg->pertrans;
}

void
sw_agg_context_switch(SwAggContext *actx, MemoryContext aggcontext)
{
	actx->econtext->ecxt_per_tuple_memory = aggcontext;
	actx->econtext->ecxt_per_query_memory = aggcontext;
}

/*
 * Call expressions for the support functions, as nodeAgg.c builds them:
 * a polymorphic transition, combine or final function (a user aggregate
 * over anyelement, PostgreSQL 16's array_agg) learns its actual argument
 * types from them (get_fn_expr_argtype).
 */
static void
set_call_exprs(SwAggregate *agg, Aggref *aggref, Form_pg_aggregate form,
			   Oid *inputtypes, int ninputs)
{
	Expr	   *transexpr;
	Expr	   *combineexpr;

	build_aggregate_transfn_expr(inputtypes, ninputs, 0, aggref->aggvariadic,
								 agg->transtype, aggref->inputcollid, form->aggtransfn,
								 InvalidOid, &transexpr, NULL);
	fmgr_info_set_expr((Node *) transexpr, &agg->transfn);
	/* the combine function is called like a transition function over states */
	build_aggregate_transfn_expr(&agg->transtype, 1, 0, false, agg->transtype,
								 aggref->inputcollid, form->aggcombinefn, InvalidOid,
								 &combineexpr, NULL);
	fmgr_info_set_expr((Node *) combineexpr, &agg->combinefn);
}

void
sw_agg_prepare(SwAggregate *agg, Aggref *aggref, SwAggContext *actx, EState *estate)
{
	HeapTuple	tup;
	Form_pg_aggregate form;
	Oid			inputtypes[FUNC_MAX_ARGS];
	int			ninputs;
	Datum		textinit;
	bool		initnull;
	ListCell   *lc;
	int			i = 0;

	sw_agg_check(aggref);
	tup = aggregate_tuple(aggref->aggfnoid);
	form = (Form_pg_aggregate) GETSTRUCT(tup);

	agg->pertrans = palloc0(sizeof(AggStatePerTransData));
	agg->pertrans->aggref = aggref;
	agg->pertrans->aggshared = false;
	agg->peragg = palloc0(sizeof(AggStatePerAggData));
	agg->peragg->aggref = aggref;
	agg->peragg->transno = 0;

	agg->aggfnoid = aggref->aggfnoid;
	ninputs = get_aggregate_argtypes(aggref, inputtypes);
	agg->nargs = ninputs;
	agg->args = palloc0(sizeof(ExprState *) * Max(ninputs, 1));
	foreach(lc, aggref->args)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		agg->args[i++] = ExecInitExpr(tle->expr, NULL);
	}
	agg->transtype = resolve_aggregate_transtype(aggref->aggfnoid, form->aggtranstype,
												 inputtypes, ninputs);
	get_typlenbyval(agg->transtype, &agg->transtyplen, &agg->transtypbyval);
	agg->internal_state = (agg->transtype == INTERNALOID);
	agg->storetype = agg->internal_state ? BYTEAOID : agg->transtype;
	agg->resulttype = aggref->aggtype;
	agg->resulttypmod = -1;
	agg->finalmodify = form->aggfinalmodify;

	textinit = SysCacheGetAttr(AGGFNOID, tup, Anum_pg_aggregate_agginitval, &initnull);
	agg->initval_isnull = initnull;
	if (!initnull)
	{
		Oid			typinput,
					typioparam;

		getTypeInputInfo(agg->transtype, &typinput, &typioparam);
		agg->initval = OidInputFunctionCall(typinput, TextDatumGetCString(textinit),
											typioparam, -1);
	}

	fmgr_info(form->aggtransfn, &agg->transfn);
	fmgr_info(form->aggcombinefn, &agg->combinefn);
	set_call_exprs(agg, aggref, form, inputtypes, ninputs);
	agg->transfn_strict = agg->transfn.fn_strict;
	agg->combinefn_strict = agg->combinefn.fn_strict;
	agg->trans_fcinfo = make_fcinfo(&agg->transfn, ninputs + 1, aggref->inputcollid, actx);
	agg->combine_fcinfo = make_fcinfo(&agg->combinefn, 2, aggref->inputcollid, actx);
	agg->has_final = OidIsValid(form->aggfinalfn);
	if (agg->has_final)
	{
		fmgr_info(form->aggfinalfn, &agg->finalfn);
		agg->finalfn_strict = agg->finalfn.fn_strict;
		agg->nfinalargs = form->aggfinalextra ? ninputs + 1 : 1;
		{
			Expr	   *finalexpr;

			build_aggregate_finalfn_expr(inputtypes, agg->nfinalargs, agg->transtype,
										 aggref->aggtype, aggref->inputcollid,
										 form->aggfinalfn, &finalexpr);
			fmgr_info_set_expr((Node *) finalexpr, &agg->finalfn);
		}
		agg->final_fcinfo = make_fcinfo(&agg->finalfn, agg->nfinalargs,
										aggref->inputcollid, actx);
	}
	if (agg->internal_state)
	{
		Expr	   *serialexpr;
		Expr	   *deserialexpr;

		fmgr_info(form->aggserialfn, &agg->serialfn);
		fmgr_info(form->aggdeserialfn, &agg->deserialfn);
		build_aggregate_serialfn_expr(form->aggserialfn, &serialexpr);
		fmgr_info_set_expr((Node *) serialexpr, &agg->serialfn);
		build_aggregate_deserialfn_expr(form->aggdeserialfn, &deserialexpr);
		fmgr_info_set_expr((Node *) deserialexpr, &agg->deserialfn);
		agg->serial_fcinfo = make_fcinfo(&agg->serialfn, 1, InvalidOid, actx);
		agg->deserial_fcinfo = make_fcinfo(&agg->deserialfn, 2, InvalidOid, actx);
	}
	ReleaseSysCache(tup);
}

void
sw_agg_init(SwAggregate *agg, SwAggContext *actx, Datum *state, bool *isnull)
{
	MemoryContext old;

	*isnull = agg->initval_isnull;
	if (agg->initval_isnull)
	{
		*state = (Datum) 0;
		return;
	}
	old = MemoryContextSwitchTo(actx->econtext->ecxt_per_tuple_memory);
	*state = datumCopy(agg->initval, agg->transtypbyval, agg->transtyplen);
	MemoryContextSwitchTo(old);
}

/* keep a by-reference, non-internal result in aggcontext (nodeAgg's rule) */
static Datum
keep_state(SwAggregate *agg, SwAggContext *actx, Datum newval, bool newnull,
		   Datum oldval, bool oldnull)
{
	if (agg->transtypbyval || agg->internal_state ||
		DatumGetPointer(newval) == DatumGetPointer(oldval))
		return newval;
	if (!newnull)
	{
		MemoryContext old = MemoryContextSwitchTo(actx->econtext->ecxt_per_tuple_memory);

		newval = datumCopy(newval, agg->transtypbyval, agg->transtyplen);
		MemoryContextSwitchTo(old);
	}
	if (!oldnull)
		pfree(DatumGetPointer(oldval));
	return newval;
}

bool
sw_agg_eval_args(SwAggregate *agg, ExprContext *econtext)
{
	FunctionCallInfo fcinfo = agg->trans_fcinfo;

	for (int i = 0; i < agg->nargs; i++)
	{
		fcinfo->args[i + 1].value = ExecEvalExpr(agg->args[i], econtext,
												 &fcinfo->args[i + 1].isnull);
		if (agg->transfn_strict && fcinfo->args[i + 1].isnull)
			return false;		/* strict: rows with a NULL input are skipped */
	}
	return true;
}

void
sw_agg_advance(SwAggregate *agg, SwAggContext *actx, Datum *state, bool *isnull)
{
	FunctionCallInfo fcinfo = agg->trans_fcinfo;
	Datum		result;

	if (agg->transfn_strict && *isnull)
	{
		/* the first non-NULL input becomes the state */
		MemoryContext old = MemoryContextSwitchTo(actx->econtext->ecxt_per_tuple_memory);

		*state = datumCopy(fcinfo->args[1].value, agg->transtypbyval, agg->transtyplen);
		*isnull = false;
		MemoryContextSwitchTo(old);
		return;
	}
	fcinfo->args[0].value = *state;
	fcinfo->args[0].isnull = *isnull;
	fcinfo->isnull = false;
	calling(agg, actx, false);
	result = FunctionCallInvoke(fcinfo);
	*state = keep_state(agg, actx, result, fcinfo->isnull, *state, *isnull);
	*isnull = fcinfo->isnull;
}

void
sw_agg_combine(SwAggregate *agg, SwAggContext *actx, Datum *state1, bool *isnull1,
			   Datum state2, bool isnull2)
{
	FunctionCallInfo fcinfo = agg->combine_fcinfo;
	Datum		result;

	if (agg->combinefn_strict)
	{
		if (isnull2)
			return;
		if (*isnull1)
		{
			*state1 = state2;	/* both live in aggcontext */
			*isnull1 = false;
			return;
		}
	}
	fcinfo->args[0].value = *state1;
	fcinfo->args[0].isnull = *isnull1;
	fcinfo->args[1].value = state2;
	fcinfo->args[1].isnull = isnull2;
	fcinfo->isnull = false;
	calling(agg, actx, false);
	result = FunctionCallInvoke(fcinfo);
	*state1 = keep_state(agg, actx, result, fcinfo->isnull, *state1, *isnull1);
	*isnull1 = fcinfo->isnull;
}

/*
 * As sw_agg_combine, for a state2 that stays with its owner and may be
 * combined into other states too (a pane's, window_panes.c): never taken
 * over as state1, always copied.
 */
void
sw_agg_combine_copy(SwAggregate *agg, SwAggContext *actx, Datum *state1, bool *isnull1,
					Datum state2, bool isnull2)
{
	if (agg->combinefn_strict && *isnull1 && !isnull2)
	{
		MemoryContext old = MemoryContextSwitchTo(actx->econtext->ecxt_per_tuple_memory);

		Assert(!agg->internal_state);	/* their combine functions are not strict */
		*state1 = datumCopy(state2, agg->transtypbyval, agg->transtyplen);
		*isnull1 = false;
		MemoryContextSwitchTo(old);
		return;
	}
	sw_agg_combine(agg, actx, state1, isnull1, state2, isnull2);
}

Datum
sw_agg_serialize(SwAggregate *agg, SwAggContext *actx, Datum state, bool isnull)
{
	FunctionCallInfo fcinfo = agg->serial_fcinfo;
	Datum		result;

	if (isnull)
		return (Datum) 0;
	if (!agg->internal_state)
		return datumCopy(state, agg->transtypbyval, agg->transtyplen);
	fcinfo->args[0].value = state;
	fcinfo->args[0].isnull = false;
	fcinfo->isnull = false;
	calling(agg, actx, false);
	result = FunctionCallInvoke(fcinfo);
	if (fcinfo->isnull)
		elog(ERROR, "serial function of aggregate %u returned NULL", agg->aggfnoid);
	return datumCopy(result, false, -1);
}

Datum
sw_agg_deserialize(SwAggregate *agg, SwAggContext *actx, Datum stored, bool isnull)
{
	FunctionCallInfo fcinfo = agg->deserial_fcinfo;
	MemoryContext old;
	Datum		result;

	if (isnull)
		return (Datum) 0;
	old = MemoryContextSwitchTo(actx->econtext->ecxt_per_tuple_memory);
	if (!agg->internal_state)
		result = datumCopy(stored, agg->transtypbyval, agg->transtyplen);
	else
	{
		fcinfo->args[0].value = stored;
		fcinfo->args[0].isnull = false;
		fcinfo->args[1].value = PointerGetDatum(NULL);
		fcinfo->args[1].isnull = false;
		fcinfo->isnull = false;
		calling(agg, actx, false);
		result = FunctionCallInvoke(fcinfo);
	}
	MemoryContextSwitchTo(old);
	return result;
}

Datum
sw_agg_finalize(SwAggregate *agg, SwAggContext *actx, Datum state, bool isnull,
				bool *resultnull)
{
	FunctionCallInfo fcinfo = agg->final_fcinfo;
	Datum		result;

	if (!agg->has_final)
	{
		*resultnull = isnull;
		return state;
	}
	/* like nodeAgg: a strict final function with any NULL argument gives NULL */
	if (agg->finalfn_strict && (isnull || agg->nfinalargs > 1))
	{
		*resultnull = true;
		return (Datum) 0;
	}
	fcinfo->args[0].value = state;
	fcinfo->args[0].isnull = isnull;
	for (int i = 1; i < agg->nfinalargs; i++)
	{
		fcinfo->args[i].value = (Datum) 0;
		fcinfo->args[i].isnull = true;
	}
	fcinfo->isnull = false;
	calling(agg, actx, true);
	result = FunctionCallInvoke(fcinfo);
	*resultnull = fcinfo->isnull;
	return result;
}
