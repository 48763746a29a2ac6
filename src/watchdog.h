/*-------------------------------------------------------------------------
 *
 * watchdog.h
 *	  sw.expression_timeout: a window's code that runs too long on one
 *	  event is cancelled (see watchdog.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_WATCHDOG_H
#define SW_WATCHDOG_H

/* Bumped for every event a window's code starts on (cheap: no clock read). */
extern volatile uint64 sw_watchdog_counter;

#define sw_watchdog_progress() (sw_watchdog_counter++)

/* In a worker, once connected: start the periodic check. */
extern void sw_watchdog_start(void);
/* After a configuration reload: follow sw.expression_timeout. */
extern void sw_watchdog_reschedule(void);

/* Around a window's turn: only then is its code watched. */
extern void sw_watchdog_begin(void);
extern void sw_watchdog_end(void);

/* Did the watchdog cancel the code that just failed?  Clears the flag. */
extern bool sw_watchdog_take_fired(void);

#endif							/* SW_WATCHDOG_H */
