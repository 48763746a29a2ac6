/*-------------------------------------------------------------------------
 *
 * window_agg.h
 *	  Running any combinable aggregate by hand: transition, combine,
 *	  serialize, deserialize and final functions of pg_aggregate.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_WINDOW_AGG_H
#define SW_WINDOW_AGG_H

#include "fmgr.h"
#include "nodes/execnodes.h"
#include "nodes/primnodes.h"

typedef struct SwAggregate
{
	Oid			aggfnoid;
	int			nargs;			/* inputs to the transition function */
	ExprState **args;			/* their expressions (over the staging row) */
	Oid			transtype;
	int16		transtyplen;
	bool		transtypbyval;
	bool		internal_state;	/* transtype internal: stored serialized */
	Oid			storetype;		/* column type of the stored state */
	Datum		initval;
	bool		initval_isnull;
	bool		transfn_strict;
	bool		combinefn_strict;
	bool		finalfn_strict;
	bool		has_final;
	int			nfinalargs;
	char		finalmodify;
	Oid			resulttype;
	int32		resulttypmod;
	FmgrInfo	transfn;
	FmgrInfo	combinefn;
	FmgrInfo	finalfn;
	FmgrInfo	serialfn;
	FmgrInfo	deserialfn;
	FunctionCallInfo trans_fcinfo;
	FunctionCallInfo combine_fcinfo;
	FunctionCallInfo final_fcinfo;
	FunctionCallInfo serial_fcinfo;
	FunctionCallInfo deserial_fcinfo;
	/* what AggGetAggref() and AggStateIsShared() read while it is called */
	struct AggStatePerTransData *pertrans;
	struct AggStatePerAggData *peragg;
} SwAggregate;

/* The context aggregate support functions see (AggCheckCallContext). */
typedef struct SwAggContext
{
	AggState   *aggstate;		/* what the support functions may ask of it */
	ExprContext *econtext;		/* its per-tuple memory is the aggcontext */
	ExprContext *tmpcontext;	/* AggGetTempMemoryContext(): scratch */
} SwAggContext;

/*
 * Check an aggregate call from a window definition; ERROR (with the
 * aggregate's name) for one that cannot run in a window: no combine
 * function, an internal state without serial/deserial functions, DISTINCT,
 * ORDER BY, FILTER, ordered-set or hypothetical aggregates.
 */
extern void sw_agg_check(Aggref *aggref);

/* Look everything up and build the call frames, in CurrentMemoryContext. */
extern void sw_agg_prepare(SwAggregate *agg, Aggref *aggref, SwAggContext *actx,
						   EState *estate);

extern SwAggContext *sw_agg_context_create(MemoryContext aggcontext);
extern void sw_agg_context_switch(SwAggContext *actx, MemoryContext aggcontext);

/* A fresh transition state (the aggregate's initial value), in aggcontext. */
extern void sw_agg_init(SwAggregate *agg, SwAggContext *actx,
						Datum *state, bool *isnull);

/*
 * Evaluate the aggregate's arguments over the row in econtext; false when
 * a strict transition function skips the row (a NULL input).
 */
extern bool sw_agg_eval_args(SwAggregate *agg, ExprContext *econtext);

/* Feed the row whose arguments sw_agg_eval_args evaluated last. */
extern void sw_agg_advance(SwAggregate *agg, SwAggContext *actx,
						   Datum *state, bool *isnull);

/* state1 := combine(state1, state2), both in aggcontext. */
extern void sw_agg_combine(SwAggregate *agg, SwAggContext *actx,
						   Datum *state1, bool *isnull1,
						   Datum state2, bool isnull2);
extern void sw_agg_combine_copy(SwAggregate *agg, SwAggContext *actx,
								Datum *state1, bool *isnull1,
								Datum state2, bool isnull2);

/* The stored form of a state (bytea for internal states), in CurrentMemoryContext. */
extern Datum sw_agg_serialize(SwAggregate *agg, SwAggContext *actx,
							  Datum state, bool isnull);
/* A state from its stored form, in aggcontext. */
extern Datum sw_agg_deserialize(SwAggregate *agg, SwAggContext *actx,
								Datum stored, bool isnull);

/* The aggregate's result; may scribble on an internal state. */
extern Datum sw_agg_finalize(SwAggregate *agg, SwAggContext *actx,
							 Datum state, bool isnull, bool *resultnull);

#endif							/* SW_WINDOW_AGG_H */
