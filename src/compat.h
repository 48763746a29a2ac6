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

/* names: a soft-error context argument since PostgreSQL 16 */
#if PG_VERSION_NUM >= 160000
#define sw_qualified_name_list(s) stringToQualifiedNameList((s), NULL)
#else
#define sw_qualified_name_list(s) stringToQualifiedNameList(s)
#endif

/* ACL checks by object class since PostgreSQL 16 */
#if PG_VERSION_NUM >= 160000
#define sw_namespace_aclcheck(nsp, role, mode) \
	object_aclcheck(NamespaceRelationId, (nsp), (role), (mode))
#define sw_proc_aclcheck(proc, role, mode) \
	object_aclcheck(ProcedureRelationId, (proc), (role), (mode))
#else
#define sw_namespace_aclcheck(nsp, role, mode) pg_namespace_aclcheck((nsp), (role), (mode))
#define sw_proc_aclcheck(proc, role, mode) pg_proc_aclcheck((proc), (role), (mode))
#endif

#endif							/* SW_COMPAT_H */
