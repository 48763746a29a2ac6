/*-------------------------------------------------------------------------
 *
 * sw_test_agg.c
 *	  A C aggregate for the tests that uses all of fmgr's aggregate API:
 *	  AggCheckCallContext, AggGetAggref and AggGetTempMemoryContext.
 *
 * Windows call aggregate support functions with an AggState of their own
 * (src/window_agg.c); a C aggregate that asks it for its Aggref or its
 * scratch context must get them, not crash the server.  sw_test_sum(int4)
 * sums its argument in a state of type internal (with combine, serial and
 * deserial functions, as windows require); every support function checks
 * the API's answers and raises an error if one is missing, and the final
 * function reports how many arguments its Aggref has.  Built by
 * test/tools.mk, loaded by path by the TAP tests; never installed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

typedef struct TestSumState
{
	int64		sum;
} TestSumState;

/* The aggregate context, after checking every part of the API. */
static MemoryContext
checked_context(FunctionCallInfo fcinfo, const char *who)
{
	MemoryContext aggcontext;
	MemoryContext scratch;
	Aggref	   *aggref;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called outside an aggregate", who);
	aggref = AggGetAggref(fcinfo);
	if (aggref == NULL || !IsA(aggref, Aggref))
		elog(ERROR, "%s: AggGetAggref gave no Aggref", who);
	scratch = AggGetTempMemoryContext(fcinfo);
	if (scratch == NULL)
		elog(ERROR, "%s: AggGetTempMemoryContext gave no context", who);
	/* the scratch context takes allocations and is reset by the caller */
	(void) MemoryContextAlloc(scratch, 1024);
	return aggcontext;
}

static TestSumState *
new_state(MemoryContext aggcontext)
{
	return (TestSumState *) MemoryContextAllocZero(aggcontext, sizeof(TestSumState));
}

PG_FUNCTION_INFO_V1(sw_test_sum_trans);
Datum
sw_test_sum_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = checked_context(fcinfo, "sw_test_sum_trans");
	TestSumState *state = PG_ARGISNULL(0) ? new_state(aggcontext) :
		(TestSumState *) PG_GETARG_POINTER(0);

	if (!PG_ARGISNULL(1))
		state->sum += PG_GETARG_INT32(1);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(sw_test_sum_combine);
Datum
sw_test_sum_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = checked_context(fcinfo, "sw_test_sum_combine");
	TestSumState *result = new_state(aggcontext);

	if (!PG_ARGISNULL(0))
		result->sum += ((TestSumState *) PG_GETARG_POINTER(0))->sum;
	if (!PG_ARGISNULL(1))
		result->sum += ((TestSumState *) PG_GETARG_POINTER(1))->sum;
	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(sw_test_sum_serial);
Datum
sw_test_sum_serial(PG_FUNCTION_ARGS)
{
	TestSumState *state = (TestSumState *) PG_GETARG_POINTER(0);
	bytea	   *result = (bytea *) palloc(VARHDRSZ + sizeof(int64));

	(void) checked_context(fcinfo, "sw_test_sum_serial");
	SET_VARSIZE(result, VARHDRSZ + sizeof(int64));
	memcpy(VARDATA(result), &state->sum, sizeof(int64));
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(sw_test_sum_deserial);
Datum
sw_test_sum_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = checked_context(fcinfo, "sw_test_sum_deserial");
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	TestSumState *state = new_state(aggcontext);

	if (VARSIZE_ANY_EXHDR(data) != sizeof(int64))
		elog(ERROR, "sw_test_sum_deserial: bad state");
	memcpy(&state->sum, VARDATA_ANY(data), sizeof(int64));
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(sw_test_sum_final);
Datum
sw_test_sum_final(PG_FUNCTION_ARGS)
{
	Aggref	   *aggref;
	int64		sum = PG_ARGISNULL(0) ? 0 : ((TestSumState *) PG_GETARG_POINTER(0))->sum;

	(void) checked_context(fcinfo, "sw_test_sum_final");
	aggref = AggGetAggref(fcinfo);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf(INT64_FORMAT "/%d args", sum,
											  list_length(aggref->args))));
}
