/*-------------------------------------------------------------------------
 *
 * staging.c
 *	  Batched inserts into a source's UNLOGGED staging table.
 *
 * Rows are collected in virtual tuple slots and written with
 * table_multi_insert, a page at a time, the way COPY FROM writes them;
 * indexes a user added to the staging table are maintained as COPY does.
 * Triggers on a staging table are not fired.
 *
 * The slots live as long as the worker: they are made once, on a copy of
 * the descriptor the parser was prepared for (not reference-counted, so no
 * resource owner tracks them), and reused by every transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "staging.h"

struct StagingWriter
{
	/* for the worker's life: slots of the prepared descriptor */
	TupleDesc	prepared;		/* not reference-counted: no resource owner */
	MemoryContext slot_cxt;
	int			nslots;
	TupleTableSlot *slots[STAGING_CHUNK_ROWS];	/* virtual: the rows as filled */
	TupleTableSlot *tuples[STAGING_CHUNK_ROWS]; /* heap tuples: as inserted */
	int			nused;

	/* for one transaction, between staging_begin and staging_end */
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	BulkInsertState bistate;
	CommandId	cid;
};

/* Do the columns still have the types the parser was prepared for? */
static bool
same_columns(TupleDesc a, TupleDesc b)
{
	if (a->natts != b->natts)
		return false;
	for (int i = 0; i < a->natts; i++)
	{
		Form_pg_attribute x = TupleDescAttr(a, i);
		Form_pg_attribute y = TupleDescAttr(b, i);

		if (x->attisdropped != y->attisdropped ||
			(!x->attisdropped && (x->atttypid != y->atttypid || x->atttypmod != y->atttypmod)))
			return false;
	}
	return true;
}

StagingWriter *
staging_create(TupleDesc prepared, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	StagingWriter *w = palloc0(sizeof(StagingWriter));

	w->prepared = CreateTupleDescCopy(prepared);
	w->slot_cxt = AllocSetContextCreate(cxt, "stream_windows staging slots",
										ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(old);
	return w;
}

void
staging_begin(StagingWriter *w, Oid relid)
{
	Assert(w->rel == NULL && w->nused == 0);
	w->rel = try_table_open(relid, RowExclusiveLock);
	if (w->rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("staging table with OID %u no longer exists", relid),
				 errdetail("It was dropped without sw.drop_source."),
				 errhint("Drop the source with sw.drop_source and create it again.")));
	/* an ALTER TABLE since the worker started: never stage old datums */
	if (!same_columns(w->prepared, RelationGetDescr(w->rel)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("staging table \"%s\" was altered while its source was running",
						RelationGetRelationName(w->rel)),
				 errdetail("Its columns are no longer those the worker prepared to fill."),
				 errhint("The worker starts again with the table as it is now. If the columns no longer suit the source's format, drop the source and create it again.")));
	w->estate = CreateExecutorState();
	w->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(w->rri, w->rel, 1, NULL, 0);
	ExecOpenIndices(w->rri, false);
	w->bistate = GetBulkInsertState();
	w->cid = GetCurrentCommandId(true);
}

Relation
staging_relation(StagingWriter *w)
{
	return w->rel;
}

void
staging_next_row(StagingWriter *w, Datum **values, bool **nulls)
{
	TupleTableSlot *slot;

	if (w->nused == w->nslots)
	{
		MemoryContext old = MemoryContextSwitchTo(w->slot_cxt);

		w->slots[w->nslots] = MakeSingleTupleTableSlot(w->prepared, &TTSOpsVirtual);
		w->tuples[w->nslots++] = MakeSingleTupleTableSlot(w->prepared, &TTSOpsHeapTuple);
		MemoryContextSwitchTo(old);
	}
	slot = w->slots[w->nused];
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	*values = slot->tts_values;
	*nulls = slot->tts_isnull;
}

bool
staging_full(StagingWriter *w)
{
	return w->nused == STAGING_CHUNK_ROWS;
}

void
staging_flush(StagingWriter *w)
{
	if (w->nused == 0)
		return;

	/*
	 * Each row formed once, into a slot that owns it: heap_multi_insert
	 * takes it as it is, where from a virtual slot it would first copy the
	 * values into the slot and then form the tuple from the copy.
	 */
	for (int i = 0; i < w->nused; i++)
		ExecStoreHeapTuple(heap_form_tuple(w->prepared, w->slots[i]->tts_values,
										   w->slots[i]->tts_isnull),
						   w->tuples[i], true);
	table_multi_insert(w->rel, w->tuples, w->nused, w->cid, 0, w->bistate);
	if (w->rri->ri_NumIndices > 0)
	{
		for (int i = 0; i < w->nused; i++)
		{
			List	   *conflicts;

#if PG_VERSION_NUM >= 160000
			conflicts = ExecInsertIndexTuples(w->rri, w->tuples[i], w->estate,
											  false, false, NULL, NIL, false);
#else
			conflicts = ExecInsertIndexTuples(w->rri, w->tuples[i], w->estate,
											  false, false, NULL, NIL);
#endif
			list_free(conflicts);
		}
	}
	/* the tuples live in the caller's memory, which goes before the slots */
	for (int i = 0; i < w->nused; i++)
		ExecClearTuple(w->tuples[i]);
	w->nused = 0;
}

TupleTableSlot *
staging_add_row(StagingWriter *w, int32 partition, int64 offset,
				TimestampTz timestamp, const char *key, int keylen)
{
	TupleTableSlot *slot = w->slots[w->nused];

	slot->tts_values[STAGING_ATT_PARTITION] = Int32GetDatum(partition);
	slot->tts_isnull[STAGING_ATT_PARTITION] = false;
	slot->tts_values[STAGING_ATT_OFFSET] = Int64GetDatum(offset);
	slot->tts_isnull[STAGING_ATT_OFFSET] = false;
	slot->tts_values[STAGING_ATT_TIMESTAMP] = TimestampTzGetDatum(timestamp);
	slot->tts_isnull[STAGING_ATT_TIMESTAMP] = (timestamp == DT_NOBEGIN);
	if (key != NULL)
	{
		slot->tts_values[STAGING_ATT_KEY] =
			PointerGetDatum(cstring_to_text_with_len(key, keylen));
		slot->tts_isnull[STAGING_ATT_KEY] = false;
	}
	ExecStoreVirtualTuple(slot);
	w->nused++;
	return slot;				/* its values stay valid until staging_flush */
}

void
staging_end(StagingWriter *w)
{
	staging_flush(w);
	FreeBulkInsertState(w->bistate);
	ExecCloseIndices(w->rri);
	FreeExecutorState(w->estate);
	table_close(w->rel, NoLock);
	w->rel = NULL;
}

/*
 * After a failed transaction: forget the rows buffered (their datums went
 * with the transaction's memory) and the table (closed by the abort).
 */
void
staging_abandon(StagingWriter *w)
{
	for (int i = 0; i < w->nused; i++)
	{
		ExecClearTuple(w->slots[i]);
		ExecClearTuple(w->tuples[i]);
	}
	w->nused = 0;
	w->rel = NULL;
}
