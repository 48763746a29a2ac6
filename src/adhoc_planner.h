/*-------------------------------------------------------------------------
 *
 * adhoc_planner.h
 *	  The planner hook that runs sw.tumble in FROM as scalar expressions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_ADHOC_PLANNER_H
#define SW_ADHOC_PLANNER_H

/* Install the hook (from _PG_init, preloaded or not). */
extern void sw_adhoc_planner_init(void);

#endif							/* SW_ADHOC_PLANNER_H */
