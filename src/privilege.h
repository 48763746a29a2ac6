/*-------------------------------------------------------------------------
 *
 * privilege.h
 *	  Running code as another role, safely: the one place that switches
 *	  the user (see privilege.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_PRIVILEGE_H
#define SW_PRIVILEGE_H

/* What a switch saved; restored by sw_priv_end (or by an abort). */
typedef struct SwPrivState
{
	Oid			saved_user;
	int			saved_ctx;
	int			nestlevel;
} SwPrivState;

/* The search_path of every statement the extension builds itself. */
#define SW_PINNED_SEARCH_PATH "pg_catalog, pg_temp"

/*
 * Run as the bootstrap superuser, for statements on the extension's own
 * tables only: restricted, search_path pinned.  Used by catalog.c alone.
 */
extern void sw_priv_begin_catalog(SwPrivState *s);

/*
 * Run as role (a source's or a window's owner): restricted, in a GUC nest
 * level with search_path set to search_path (NULL: pinned).  Whatever the
 * code run in between changes with set_config() is undone by sw_priv_end.
 */
extern void sw_priv_begin_role(SwPrivState *s, Oid role, const char *search_path);

extern void sw_priv_end(SwPrivState *s);

/* The role that owns a relation; InvalidOid if it no longer exists. */
extern Oid	sw_relation_owner(Oid relid);

/* A source's or window's owner: its table's, else (table gone) the one recorded. */
extern Oid	sw_effective_owner(Oid relid, Oid recorded);

/*
 * ERROR 42501 ("permission denied for <kind> "<name>"") unless the current
 * user may act as owner; action says what, e.g. "drop it".
 */
extern void sw_priv_check_owner(const char *kind, const char *name, Oid owner,
								const char *action);

/* May the current user act as role (is it, a member with its privileges, or superuser)? */
extern bool sw_priv_acts_as(Oid role);

/* May the current user read the rows of views about an object of role owning relid? */
extern bool sw_priv_may_see(Oid owner, Oid relid);

#endif							/* SW_PRIVILEGE_H */
