/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Shims for differences between the PostgreSQL versions we support
 *	  (13 to 17; developed against 15).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_COMPAT_H
#define SW_COMPAT_H

#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* tid datums: fmgr macros of PostgreSQL 16, plain pointers before */
#if PG_VERSION_NUM < 160000
#define DatumGetItemPointer(X)	((ItemPointer) DatumGetPointer(X))
#define ItemPointerGetDatum(X)	PointerGetDatum(X)
#endif

#endif							/* SW_COMPAT_H */
