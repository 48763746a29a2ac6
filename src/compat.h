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

#endif							/* SW_COMPAT_H */
