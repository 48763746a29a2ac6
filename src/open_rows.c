/*-------------------------------------------------------------------------
 *
 * open_rows.c
 *	  The open rows of a window: the rows not closed yet, kept in memory
 *	  between batches, found by window and group key.
 *
 * Tumbling and sliding windows keep their rows in a hash on
 * (window_start, group key); sessions and count windows keep a hash on the
 * group key whose entries hold the key's open rows (and a count window's
 * next window_seq).  Both hash keys with the key types' own hash and
 * equality functions (a window's grouping is its types' equality), and
 * copy keys and stored states into the window's memory.  A sliding
 * window's panes of the current batch (window_panes.c) are hashed the same
 * way, in the batch's memory.  The engine
 * (window_engine.c) and the kinds (window_session.c, window_count.c) use
 * this store; it calls neither.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "window_internal.h"

static SwWindow *hashing = NULL;	/* the window whose rows are hashed now */

static inline uint32
start_hash(TimestampTz start)
{
	return hash_bytes_uint32((uint32) start) ^
		hash_bytes_uint32((uint32) ((uint64) start >> 32));
}

/*
 * A row's hash combines its start's with its group key's, so that an event
 * hashes its key once for all its windows (sw_keys_hash, sw_row_lookup).
 */
uint32
sw_keys_hash(SwWindow *w, Datum *keys, bool *nulls)
{
	uint32		h = 0;

	for (int i = 0; i < w->ngroup; i++)
	{
		uint32		kh = 0;

		if (!nulls[i])
			kh = DatumGetUInt32(FunctionCall1Coll(&w->gtype[i]->hash_proc_finfo,
												  w->gcoll[i], keys[i]));
		h = hash_combine(h, kh);
	}
	return h;
}

static uint32
row_hash(const void *key, Size keysize)
{
	const OpenRowKey *k = key;

	return hash_combine(start_hash(k->start), sw_keys_hash(hashing, k->keys, k->nulls));
}

/*
 * Identical images are equal under any equality a grouping can use (a hash
 * opclass's equality is reflexive), so a match costs a comparison of bytes
 * and the type's equality function runs only when they differ.  Compressed
 * or external values are left to the function.
 */
static inline bool
same_image(Datum a, Datum b, TypeCacheEntry *type)
{
	if (type->typbyval)
		return a == b;
	if (type->typlen > 0)
		return memcmp(DatumGetPointer(a), DatumGetPointer(b), type->typlen) == 0;
	if (type->typlen == -1)
	{
		struct varlena *va = (struct varlena *) DatumGetPointer(a);
		struct varlena *vb = (struct varlena *) DatumGetPointer(b);

		if (VARATT_IS_EXTERNAL(va) || VARATT_IS_COMPRESSED(va) ||
			VARATT_IS_EXTERNAL(vb) || VARATT_IS_COMPRESSED(vb))
			return false;
		return VARSIZE_ANY_EXHDR(va) == VARSIZE_ANY_EXHDR(vb) &&
			memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), VARSIZE_ANY_EXHDR(va)) == 0;
	}
	return false;
}

static int
row_match(const void *key1, const void *key2, Size keysize)
{
	const OpenRowKey *a = key1;
	const OpenRowKey *b = key2;

	if (a->start != b->start)
		return 1;
	for (int i = 0; i < hashing->ngroup; i++)
	{
		if (a->nulls[i] != b->nulls[i])
			return 1;
		if (!a->nulls[i] &&
			!same_image(a->keys[i], b->keys[i], hashing->gtype[i]) &&
			!DatumGetBool(FunctionCall2Coll(&hashing->gtype[i]->eq_opr_finfo,
											hashing->gcoll[i], a->keys[i], b->keys[i])))
			return 1;
	}
	return 0;
}

/* A long-lived copy of a (transient) key, in CurrentMemoryContext. */
static void
copy_key(SwWindow *w, OpenRowKey *dst, TimestampTz start, Datum *keys, bool *nulls)
{
	dst->start = start;
	dst->keys = palloc(sizeof(Datum) * Max(w->ngroup, 1));
	dst->nulls = palloc(sizeof(bool) * Max(w->ngroup, 1));
	for (int i = 0; i < w->ngroup; i++)
	{
		dst->nulls[i] = nulls[i];
		dst->keys[i] = nulls[i] ? (Datum) 0 :
			datumCopy(keys[i], w->gtype[i]->typbyval, w->gtype[i]->typlen);
	}
}

/* An empty hash of entries that start with an OpenRowKey, in cxt */
static HTAB *
keyed_hash_create(const char *name, Size entrysize, MemoryContext cxt)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(OpenRowKey);
	ctl.entrysize = entrysize;
	ctl.hash = row_hash;
	ctl.match = row_match;
	ctl.hcxt = cxt;
	return hash_create(name, 256, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* A new open row's key, bounds and empty stored state, in w->cxt. */
static void
row_init(SwWindow *w, OpenRow *row, TimestampTz start, TimestampTz end,
		 Datum *keys, bool *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(w->cxt);

	copy_key(w, &row->key, start, keys, nulls);
	row->end = end;
	row->exists = false;
	row->is_final = false;
	row->revision = 0;
	row->stored = palloc0(sizeof(Datum) * Max(w->naggs, 1));
	row->stored_null = palloc(sizeof(bool) * Max(w->naggs, 1));
	memset(row->stored_null, true, sizeof(bool) * Max(w->naggs, 1));
	row->seq = 0;
	row->nevents = 0;
	row->first_t = start;
	row->complete = false;
	row->entry = NULL;
	row->touched = false;
	row->bfull = false;
	row->dead = false;
	row->due_pos = -1;
	w->nrows++;
	MemoryContextSwitchTo(old);
}

OpenRow *
sw_row_lookup(SwWindow *w, TimestampTz start, TimestampTz end, Datum *keys, bool *nulls,
			  uint32 keyhash)
{
	OpenRowKey	key = {start, keys, nulls};
	OpenRow    *row;
	bool		found;

	hashing = w;
	row = hash_search_with_hash_value(w->rows, &key,
									  hash_combine(start_hash(start), keyhash),
									  HASH_ENTER, &found);
	if (!found)
	{
		/* the hash copied our transient key: point it at long-lived copies */
		row_init(w, row, start, end, keys, nulls);
	}
	return row;
}

/* A sliding window's pane of this batch, created empty (*found false). */
SwPane *
sw_pane_lookup(SwWindow *w, TimestampTz start, Datum *keys, bool *nulls,
			   uint32 keyhash, bool *found)
{
	OpenRowKey	key = {start, keys, nulls};
	SwPane	   *pane;

	hashing = w;
	if (w->panes == NULL)
		w->panes = keyed_hash_create("stream_windows panes", sizeof(SwPane), w->batch_cxt);
	pane = hash_search_with_hash_value(w->panes, &key,
									   hash_combine(start_hash(start), keyhash),
									   HASH_ENTER, found);
	if (!*found)
	{
		MemoryContext old = MemoryContextSwitchTo(w->batch_cxt);

		copy_key(w, &pane->key, start, keys, nulls);
		pane->keyhash = keyhash;
		pane->state = palloc(sizeof(Datum) * Max(w->naggs, 1));
		pane->null = palloc(sizeof(bool) * Max(w->naggs, 1));
		MemoryContextSwitchTo(old);
	}
	return pane;
}

/* The open rows of one group key (sessions, count windows). */
KeyEntry *
sw_key_entry(SwWindow *w, Datum *keys, bool *nulls)
{
	OpenRowKey	key = {0, keys, nulls};
	KeyEntry   *e;
	bool		found;

	hashing = w;
	e = hash_search(w->keyidx, &key, HASH_ENTER, &found);
	if (found && e->idle)
	{
		dlist_delete(&e->idle_node);
		e->idle = false;
		w->nidle--;
	}
	if (!found)
	{
		MemoryContext old = MemoryContextSwitchTo(w->cxt);

		copy_key(w, &e->key, 0, keys, nulls);
		e->nrows = 0;
		e->maxrows = 2;
		e->rows = palloc(sizeof(OpenRow *) * e->maxrows);
		e->next_seq = 0;
		e->seq_known = false;
		e->seq_queued = false;
		e->idle = false;
		MemoryContextSwitchTo(old);
	}
	return e;
}

OpenRow *
sw_row_new(SwWindow *w, KeyEntry *entry, TimestampTz start, TimestampTz end)
{
	OpenRow    *row = MemoryContextAllocZero(w->cxt, sizeof(OpenRow));

	row_init(w, row, start, end, entry->key.keys, entry->key.nulls);
	if (entry->nrows == entry->maxrows)
	{
		entry->maxrows *= 2;
		entry->rows = repalloc(entry->rows, sizeof(OpenRow *) * entry->maxrows);
	}
	entry->rows[entry->nrows++] = row;
	row->entry = entry;
	return row;
}

void
sw_row_detach(KeyEntry *entry, OpenRow *row)
{
	for (int i = 0; i < entry->nrows; i++)
		if (entry->rows[i] == row)
		{
			entry->rows[i] = entry->rows[--entry->nrows];
			break;
		}
	row->entry = NULL;
}

/* The stored states of a row, which live in w->cxt. */
static void
free_stored(SwWindow *w, OpenRow *row)
{
	for (int i = 0; i < w->naggs; i++)
		if (!row->stored_null[i] && !(w->aggs[i].internal_state ? false :
									   w->aggs[i].transtypbyval))
			pfree(DatumGetPointer(row->stored[i]));
	pfree(row->stored);
	pfree(row->stored_null);
}

/* A copied group key (rows and key entries), which lives in w->cxt. */
static void
free_key(SwWindow *w, OpenRowKey key)
{
	for (int i = 0; i < w->ngroup; i++)
		if (!key.nulls[i] && !w->gtype[i]->typbyval)
			pfree(DatumGetPointer(key.keys[i]));
	pfree(key.keys);
	pfree(key.nulls);
}

/* A key without rows leaves memory. */
static void
key_forget(SwWindow *w, KeyEntry *entry)
{
	OpenRowKey	key = entry->key;

	pfree(entry->rows);
	hashing = w;
	hash_search(w->keyidx, &key, HASH_REMOVE, NULL);
	free_key(w, key);
}

/*
 * A key whose last row left: a session key is forgotten; a count window's
 * waits among the idle keys, knowing its next window_seq, until the
 * SW_IDLE_KEYS keys that went idle after it push it out.  (Forgotten, it
 * reads its last window_seq back from the result table when it returns.)
 */
static void
key_idle(SwWindow *w, KeyEntry *entry)
{
	if (w->kind != SW_KIND_COUNT || !entry->seq_known)
	{
		key_forget(w, entry);
		return;
	}
	dlist_push_tail(&w->idle_keys, &entry->idle_node);
	entry->idle = true;
	if (++w->nidle > SW_IDLE_KEYS)
	{
		KeyEntry   *oldest = dlist_container(KeyEntry, idle_node,
											 dlist_pop_head_node(&w->idle_keys));

		oldest->idle = false;
		w->nidle--;
		key_forget(w, oldest);
	}
}

/* Free a row of a KeyEntry (never in the rows hash). */
static void
keyed_row_free(SwWindow *w, OpenRow *row)
{
	KeyEntry   *entry = row->entry;

	sw_due_remove(w, row);
	if (entry)
	{
		sw_row_detach(entry, row);
		if (entry->nrows == 0)
			key_idle(w, entry);
	}
	free_stored(w, row);
	free_key(w, row->key);
	pfree(row);
	w->nrows--;
}

static void
row_forget(SwWindow *w, OpenRow *row)
{
	OpenRowKey	key = row->key;

	sw_due_remove(w, row);
	free_stored(w, row);
	hashing = w;
	hash_search(w->rows, &key, HASH_REMOVE, NULL);
	free_key(w, key);
	w->nrows--;
}

/* A row leaves memory: out of its hash (or key entry) and the due heap. */
void
sw_row_free(SwWindow *w, OpenRow *row)
{
	if (w->rows)
		row_forget(w, row);
	else
		keyed_row_free(w, row);
}

/* The window's empty hash of open rows (or of keys, sessions and counts). */
void
sw_rows_create(SwWindow *w)
{
	dlist_init(&w->idle_keys);
	w->nidle = 0;
	if (w->kind == SW_KIND_SESSION || w->kind == SW_KIND_COUNT)
		w->keyidx = keyed_hash_create("stream_windows open keys", sizeof(KeyEntry), w->cxt);
	else
		w->rows = keyed_hash_create("stream_windows open rows", sizeof(OpenRow), w->cxt);
}
