/*-------------------------------------------------------------------------
 *
 * window_time.c
 *	  Window arithmetic shared by the ad-hoc functions and the window engine.
 *
 * All arithmetic is on int64 microseconds since the PostgreSQL epoch, so
 * results never depend on the session's TimeZone.  Every operation that can
 * overflow is checked and reported as "timestamp out of range", the way
 * PostgreSQL's own timestamp arithmetic reports it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "window_time.h"

static void
report_timestamp_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("timestamp out of range"),
			 errdetail("A window boundary falls outside the range of timestamptz."),
			 errhint("Use event times and an origin well inside the range of timestamptz.")));
}

static char *
interval_text(const Interval *span)
{
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   IntervalPGetDatum(span)));
}

int64
sw_duration_usecs(const Interval *span, const char *what)
{
	int64		usecs;

	if (span->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window %s \"%s\" is not a fixed duration",
						what, interval_text(span)),
				 errdetail("Months and years have no fixed length; a window %s must be a fixed duration, where a day counts as 24 hours.",
						   what),
				 errhint("Express the %s in days, hours, minutes or seconds, for example '30 days'.",
						 what)));

	if (pg_mul_s64_overflow((int64) span->day, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, span->time, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("window %s \"%s\" is out of range",
						what, interval_text(span)),
				 errdetail("A window %s must fit in 64-bit microseconds (about 292,000 years).",
						   what),
				 errhint("Give a shorter %s.", what)));

	if (usecs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window %s must be positive", what),
				 errdetail("The %s given is \"%s\".", what, interval_text(span)),
				 errhint("Give a %s of at least one microsecond, for example '1 minute'.",
						 what)));
	return usecs;
}

void
sw_check_finite(TimestampTz ts, const char *what)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s cannot be infinite", what),
				 errdetail("An infinite timestamp belongs to no window."),
				 errhint("Filter out infinite timestamps, for example WHERE isfinite(event_time).")));
}

int64
sw_floor_div(int64 num, int64 den)
{
	int64		q = num / den;

	Assert(den > 0);
	if ((num % den) != 0 && num < 0)
		q--;
	return q;
}

/* a - b, reporting overflow */
static int64
time_diff(TimestampTz a, TimestampTz b)
{
	int64		d;

	if (pg_sub_s64_overflow(a, b, &d))
		report_timestamp_overflow();
	return d;
}

TimestampTz
sw_time_add(TimestampTz ts, int64 span)
{
	TimestampTz r;

	if (pg_add_s64_overflow(ts, span, &r) || !IS_VALID_TIMESTAMP(r))
		report_timestamp_overflow();
	return r;
}

/*
 * The greatest common divisor of two positive durations: the width of the
 * panes that tile every window of a size and slide (adhoc_panes.c,
 * window_panes.c).
 */
int64
sw_gcd_usecs(int64 a, int64 b)
{
	while (b != 0)
	{
		int64		r = a % b;

		a = b;
		b = r;
	}
	return a;
}

TimestampTz
sw_hop_start(TimestampTz origin, int64 k, int64 slide)
{
	int64		off;

	if (pg_mul_s64_overflow(k, slide, &off))
		report_timestamp_overflow();
	return sw_time_add(origin, off);
}

TimestampTz
sw_tumble_start(TimestampTz ts, int64 size, TimestampTz origin)
{
	return sw_hop_start(origin, sw_floor_div(time_diff(ts, origin), size), size);
}

void
sw_hop_range(TimestampTz ts, int64 size, int64 slide, TimestampTz origin,
			 int64 *first_k, int64 *last_k)
{
	int64		rel = time_diff(ts, origin);
	int64		rel_end;

	/* k*slide <= rel  and  rel < k*slide + size  <=>  rel - size < k*slide */
	*last_k = sw_floor_div(rel, slide);
	if (pg_sub_s64_overflow(rel, size, &rel_end))
		report_timestamp_overflow();
	*first_k = sw_floor_div(rel_end, slide) + 1;
}
