/*-------------------------------------------------------------------------
 *
 * adhoc_planner.h
 *	  The planner hook that runs sw.tumble in FROM as scalar expressions
 *	  and aggregates sw.hop in FROM per pane.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_ADHOC_PLANNER_H
#define SW_ADHOC_PLANNER_H

#include "nodes/parsenodes.h"
#include "nodes/primnodes.h"

/* Install the hook (from _PG_init, preloaded or not). */
extern void sw_adhoc_planner_init(void);

/* Shared by the rewrites of adhoc_planner.c and adhoc_panes.c */
extern bool sw_adhoc_is_ours(Oid funcid, const char *symbol);
extern Oid	sw_adhoc_scalar_function(Oid nspid, const char *name, const char *symbol);
extern List *sw_adhoc_args_with_defaults(FuncExpr *fe);
extern FuncExpr *sw_adhoc_from_call(RangeTblEntry *rte, const char *symbol);

/* adhoc_panes.c: aggregate sw.hop in FROM per slide, then per window */
extern bool sw_adhoc_rewrite_panes(Query *q);

#endif							/* SW_ADHOC_PLANNER_H */
