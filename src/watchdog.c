/*-------------------------------------------------------------------------
 *
 * watchdog.c
 *	  sw.expression_timeout: a window's code that runs too long on one
 *	  event is cancelled, and the event is skipped by that window.
 *
 * A timer per event would cost two system calls for every event of every
 * window.  Instead the engine bumps a counter as it starts each event
 * (sw_watchdog_progress, a plain increment), and a periodic timer, every
 * quarter of the timeout, looks whether the counter moved since it last
 * looked while a window's code was running.  When it has not moved for
 * the whole timeout, the code has spent at least that long on one event:
 * the timer asks for a query cancel, which the code's next
 * CHECK_FOR_INTERRUPTS raises as an ERROR ("canceling statement ..."),
 * and the engine's error isolation turns that into the event's error for
 * that window.  So the limit is enforced within 1.25 times the timeout, and
 * never before it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "guc.h"
#include "watchdog.h"

volatile uint64 sw_watchdog_counter = 0;

static TimeoutId watchdog_timeout;
static bool started = false;
static int	period_ms = 0;
static volatile sig_atomic_t watching = false;
static volatile sig_atomic_t fired = false;
static uint64 seen_counter = 0;
static int	stale_ms = 0;

/* Signal context: flags only. */
static void
watchdog_tick(void)
{
	if (!watching || sw_expression_timeout_ms <= 0)
	{
		stale_ms = 0;
		return;
	}
	if (sw_watchdog_counter != seen_counter)
	{
		seen_counter = sw_watchdog_counter;
		stale_ms = 0;
		return;
	}
	stale_ms += period_ms;
	if (stale_ms >= sw_expression_timeout_ms && !fired)
	{
		fired = true;
		QueryCancelPending = true;
		InterruptPending = true;
		SetLatch(MyLatch);
	}
}

void
sw_watchdog_reschedule(void)
{
	int			period;

	if (!started)
		return;
	period = sw_expression_timeout_ms <= 0 ? 1000 :
		Max(10, sw_expression_timeout_ms / 4);
	if (period == period_ms)
		return;
	period_ms = period;
	stale_ms = 0;
	enable_timeout_every(watchdog_timeout,
						 TimestampTzPlusMilliseconds(GetCurrentTimestamp(), period),
						 period);
}

void
sw_watchdog_start(void)
{
	watchdog_timeout = RegisterTimeout(USER_TIMEOUT, watchdog_tick);
	started = true;
	sw_watchdog_reschedule();
}

void
sw_watchdog_begin(void)
{
	seen_counter = sw_watchdog_counter;
	stale_ms = 0;
	fired = false;				/* a cancel of an earlier turn is history */
	watching = true;
}

void
sw_watchdog_end(void)
{
	watching = false;
}

bool
sw_watchdog_take_fired(void)
{
	bool		was = fired;

	fired = false;
	return was;
}
