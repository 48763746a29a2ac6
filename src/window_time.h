/*-------------------------------------------------------------------------
 *
 * window_time.h
 *	  Window arithmetic shared by the ad-hoc functions and the window engine.
 *
 * Every window kind reduces to microsecond arithmetic on timestamps: sizes,
 * slides, gaps and timeouts are fixed durations (a day is 24 hours), and
 * window boundaries are aligned to an origin with floor division.  Keeping
 * the formulas here, in one place, is what makes a batch query with
 * sw.tumble/sw.hop reproduce what the continuous windows hold.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SW_WINDOW_TIME_H
#define SW_WINDOW_TIME_H

#include "datatype/timestamp.h"

/*
 * Validate a window duration argument and return it in microseconds.
 * "what" names the argument in messages ("size", "slide", "gap", "timeout").
 * Raises an ERROR for NULL-free but invalid values: months or years in the
 * interval, a non-positive duration, or overflow.
 */
extern int64 sw_duration_usecs(const Interval *span, const char *what);

/* Reject infinite timestamps with a clear ERROR; "what" names the argument. */
extern void sw_check_finite(TimestampTz ts, const char *what);

/* Floor division for a positive divisor. */
extern int64 sw_floor_div(int64 num, int64 den);

/*
 * Start of the tumbling window of size "size" (usecs) aligned to "origin"
 * that contains "ts": origin + floor((ts - origin) / size) * size.
 */
extern TimestampTz sw_tumble_start(TimestampTz ts, int64 size,
								   TimestampTz origin);

/*
 * The sliding windows [origin + k*slide, origin + k*slide + size) that
 * contain "ts" are those with *first_k <= k <= *last_k (none when
 * *first_k > *last_k, possible when slide > size).
 */
extern void sw_hop_range(TimestampTz ts, int64 size, int64 slide,
						 TimestampTz origin, int64 *first_k, int64 *last_k);

/* origin + k * slide, with overflow checking. */
extern int64 sw_gcd_usecs(int64 a, int64 b);
extern TimestampTz sw_hop_start(TimestampTz origin, int64 k, int64 slide);

/* ts + span, with overflow checking (window ends, session ends). */
extern TimestampTz sw_time_add(TimestampTz ts, int64 span);

#endif							/* SW_WINDOW_TIME_H */
