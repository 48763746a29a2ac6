/*-------------------------------------------------------------------------
 *
 * privilege.c
 *	  Running code as another role, safely: the one place that switches
 *	  the user.
 *
 * The extension runs code on several roles' behalf in one process: a
 * source worker connects as the source's owner, writes the extension's own
 * tables (which no user may write) as the bootstrap superuser, and runs
 * each window's expressions, functions and writes as the window's owner.
 * Every switch follows the pattern of REFRESH MATERIALIZED VIEW:
 *
 *	- SetUserIdAndSecContext with SECURITY_RESTRICTED_OPERATION, so the
 *	  code run cannot SET ROLE, create temporary objects or otherwise
 *	  escape the role it runs as;
 *	- a GUC nest level with search_path set (pinned to pg_catalog, pg_temp
 *	  for the extension's own statements, or the window's creation-time
 *	  path for a window's code), rolled back at the end, so no operator,
 *	  function or setting of another role can reach the statements that
 *	  follow.
 *
 * The state lives in the caller's SwPrivState, not in globals: nested
 * switches restore exactly what they saved, and an error between begin
 * and end is cleaned up by the (sub)transaction abort, which restores
 * both the user and the GUC nest level by itself.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "access/htup_details.h"
#include "catalog/pg_class.h"

#include "privilege.h"

static void
priv_begin(SwPrivState *s, Oid role, const char *search_path)
{
	GetUserIdAndSecContext(&s->saved_user, &s->saved_ctx);
	SetUserIdAndSecContext(role, s->saved_ctx | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	s->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path",
							 search_path ? search_path : SW_PINNED_SEARCH_PATH,
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
}

void
sw_priv_begin_catalog(SwPrivState *s)
{
	priv_begin(s, BOOTSTRAP_SUPERUSERID, NULL);
}

void
sw_priv_begin_role(SwPrivState *s, Oid role, const char *search_path)
{
	Assert(OidIsValid(role));
	priv_begin(s, role, search_path);
}

void
sw_priv_end(SwPrivState *s)
{
	/* false: undo every setting changed inside, not only the saved ones */
	AtEOXact_GUC(false, s->nestlevel);
	SetUserIdAndSecContext(s->saved_user, s->saved_ctx);
}

/* The pg_class row of a relation, copied; NULL if it no longer exists. */
static Form_pg_class
class_row(Oid relid, FormData_pg_class *buf)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

	if (!HeapTupleIsValid(tup))
		return NULL;
	memcpy(buf, GETSTRUCT(tup), sizeof(FormData_pg_class));
	ReleaseSysCache(tup);
	return buf;
}

Oid
sw_relation_owner(Oid relid)
{
	FormData_pg_class buf;
	Form_pg_class c = class_row(relid, &buf);

	return c ? c->relowner : InvalidOid;
}

Oid
sw_effective_owner(Oid relid, Oid recorded)
{
	Oid			owner = sw_relation_owner(relid);

	return OidIsValid(owner) ? owner : recorded;
}

bool
sw_priv_acts_as(Oid role)
{
	return superuser() || (OidIsValid(role) && has_privs_of_role(GetUserId(), role));
}

void
sw_priv_check_owner(const char *kind, const char *name, Oid owner, const char *action)
{
	char	   *role = GetUserNameFromId(owner, true);

	if (sw_priv_acts_as(owner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for %s \"%s\"", kind, name),
			 errdetail("Only the owner of the %s (role \"%s\"), members of that role and superusers may %s.",
					   kind, role ? role : "?", action),
			 errhint("Ask the owner, or a superuser, to %s.", action)));
}

bool
sw_priv_may_see(Oid owner, Oid relid)
{
	bool		missing = false;

	if (sw_priv_acts_as(owner) ||
		has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS))
		return true;
	return OidIsValid(relid) &&
		pg_class_aclcheck_ext(relid, GetUserId(), ACL_SELECT, &missing) == ACLCHECK_OK &&
		!missing;
}
