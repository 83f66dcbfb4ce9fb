/*
 * test_wallclock.c -- a log's local times to epochs (milter/wallclock.c),
 * under POSIX TZ rules (no tz database needed): UTC, Central Europe, New
 * York, a zone with a 30-minute change (Lord Howe's rule), and a made-up
 * one whose 10-minute change falls inside one kept window.
 */
#define _DEFAULT_SOURCE /* timegm, tm_gmtoff */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "wallclock.h"

#define CET "CET-1CEST,M3.5.0,M10.5.0/3"
#define NYC "EST5EDT,M3.2.0,M11.1.0"
#define LHI "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"
/* made up: a 10-minute change at 02:03, inside a 15-minute window */
#define ODD "<XST>-1<XDT>-1:10,M3.5.0/2:03,M10.5.0/3:03"

/* zone - switch to POSIX TZ rule <tz> */
static void
zone(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

/* naive - "YYYY-MM-DD HH:MM:SS" read as UTC, as the log parser does */
static int64_t
naive(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(s, "%Y-%m-%d %H:%M:%S", &tm));
	return (int64_t)timegm(&tm);
}

/* test_utc_is_identity - under UTC a naive time is the epoch */
static void
test_utc_is_identity(void **state)
{
	struct wallclock w;

	(void)state;
	zone("UTC0");
	wallclock_init(&w);
	for (int64_t t = naive("2015-03-01 00:00:00");
	     t < naive("2015-12-01 00:00:00"); t += 3337)
		assert_int_equal(wallclock_epoch(&w, t), t);
	assert_int_equal(wallclock_once(12345), 12345);
}

/* A wall-clock time of the log and the UTC time it is. */
struct reading {
	const char *wall, *utc;
};

/*
 * check_stream - under POSIX TZ rule <tz>, the <n> times of <r> read in
 * turn as one fresh stream must come back as their UTC times
 */
static void
check_stream(const char *tz, const struct reading *r, size_t n)
{
	struct wallclock w;

	zone(tz);
	wallclock_init(&w);
	for (size_t i = 0; i < n; i++) {
		int64_t got = wallclock_epoch(&w, naive(r[i].wall));

		if (got != naive(r[i].utc))
			fail_msg("%s %s: %+lld s off %s UTC", tz, r[i].wall,
			    (long long)(got - naive(r[i].utc)), r[i].utc);
	}
}

#define CHECK_STREAM(tz, r) check_stream(tz, r, sizeof(r) / sizeof(r[0]))

/* test_offsets - winter and summer, east and west of Greenwich */
static void
test_offsets(void **state)
{
	static const struct reading cet[] = {
	    {"2021-12-13 10:22:33", "2021-12-13 09:22:33"},
	    {"2021-07-01 12:00:00", "2021-07-01 10:00:00"},
	};
	static const struct reading nyc[] = {
	    {"2021-12-13 10:22:33", "2021-12-13 15:22:33"},
	    {"2021-07-01 12:00:00", "2021-07-01 16:00:00"},
	};

	(void)state;
	CHECK_STREAM(CET, cet);
	CHECK_STREAM(NYC, nyc);
}

/*
 * test_skipped_hour - where summer time starts (CET: 02:00 -> 03:00 on
 * 2021-03-28), 02:30 never happened: read with winter's offset
 */
static void
test_skipped_hour(void **state)
{
	static const struct reading r[] = {
	    {"2021-03-28 01:59:59", "2021-03-28 00:59:59"},
	    {"2021-03-28 02:30:00", "2021-03-28 01:30:00"},
	    {"2021-03-28 03:00:00", "2021-03-28 01:00:00"},
	};

	(void)state;
	CHECK_STREAM(CET, r);
	assert_int_equal(wallclock_once(naive("2021-03-28 02:30:00")),
	    naive("2021-03-28 01:30:00"));
}

/*
 * test_repeated_hour - where summer time ends (CET: 03:00 -> 02:00 on
 * 2021-10-31), 02:00-03:00 happens twice; a log in order moves through
 * both, a line a little out of order stays with its neighbours, and a
 * quiet log's next line in the second pass, a little before the last
 * one on the clock, is read as the second pass; alone, or first in a
 * stream, a time takes the earlier reading
 */
static void
test_repeated_hour(void **state)
{
	static const struct reading seq[] = {
	    {"2021-10-31 01:59:00", "2021-10-30 23:59:00"},
	    {"2021-10-31 02:10:00", "2021-10-31 00:10:00"}, /* summer */
	    {"2021-10-31 02:59:59", "2021-10-31 00:59:59"},
	    {"2021-10-31 02:59:58", "2021-10-31 00:59:58"}, /* 1 s back */
	    {"2021-10-31 02:00:05", "2021-10-31 01:00:05"}, /* winter */
	    {"2021-10-31 02:00:01", "2021-10-31 01:00:01"}, /* 4 s back */
	    {"2021-10-31 02:40:00", "2021-10-31 01:40:00"},
	    {"2021-10-31 03:10:00", "2021-10-31 02:10:00"},
	};
	static const struct reading quiet[] = {
	    {"2021-10-31 02:05:00", "2021-10-31 00:05:00"}, /* summer */
	    {"2021-10-31 02:04:30", "2021-10-31 00:04:30"}, /* 30 s back */
	    {"2021-10-31 02:01:00", "2021-10-31 01:01:00"}, /* winter */
	};
	static const struct reading first[] = {
	    {"2021-10-31 02:30:00", "2021-10-31 00:30:00"},
	};

	(void)state;
	CHECK_STREAM(CET, seq);
	CHECK_STREAM(CET, quiet);
	CHECK_STREAM(CET, first);
	assert_int_equal(wallclock_once(naive("2021-10-31 02:30:00")),
	    naive("2021-10-31 00:30:00"));
}

/* local_naive - the local time of epoch <t>, read as UTC */
static int64_t
local_naive(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	assert_non_null(localtime_r(&tt, &tm));
	return (int64_t)timegm(&tm);
}

/*
 * check_against_localtime - every <step> s of a year, in order: a time
 * the clock showed must come back as an epoch whose localtime_r() shows
 * it; any other must be one the clock skipped (no epoch within two hours
 * shows it, minute by minute), read with the offset in force before
 */
static void
check_against_localtime(const char *tz, int64_t step)
{
	struct wallclock w;
	int64_t from = naive("2021-01-01 00:00:00");
	int64_t to = naive("2022-01-01 00:00:00");
	size_t skipped = 0;

	zone(tz);
	wallclock_init(&w);
	for (int64_t n = from; n < to; n += step) {
		int64_t got = wallclock_epoch(&w, n), before;

		if (local_naive(got) == n)
			continue;
		for (int64_t t = got - 7200; t <= got + 7200; t += 60)
			if (local_naive(t) == n)
				fail_msg(
				    "%s: naive %lld came back as %lld, but "
				    "%lld shows it",
				    tz, (long long)n, (long long)got,
				    (long long)t);
		before = local_naive(got - 7200) - (got - 7200);
		assert_int_equal(got, n - before);
		skipped++;
	}
	/* Not more than an hour is skipped in a year. */
	assert_true(skipped <= (size_t)(3600 / step + 1));
}

/* test_a_year_against_localtime - five zones, minute by minute */
static void
test_a_year_against_localtime(void **state)
{
	(void)state;
	check_against_localtime(CET, 60);
	check_against_localtime(NYC, 60);
	check_against_localtime(LHI, 60);
	check_against_localtime(ODD, 60);
	check_against_localtime("UTC0", 60);
}

/* test_far_times - a year localtime_r() cannot hold comes back as is */
static void
test_far_times(void **state)
{
	struct wallclock w;

	(void)state;
	zone(CET);
	wallclock_init(&w);
	assert_int_equal(wallclock_epoch(&w, INT64_MAX), INT64_MAX);
	assert_int_equal(wallclock_epoch(&w, INT64_MIN), INT64_MIN);
	assert_int_equal(wallclock_once(INT64_MAX - 5), INT64_MAX - 5);
	/* and the stream goes on */
	assert_int_equal(wallclock_epoch(&w, naive("2021-12-13 10:22:33")),
	    naive("2021-12-13 09:22:33"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utc_is_identity),
	    cmocka_unit_test(test_offsets),
	    cmocka_unit_test(test_skipped_hour),
	    cmocka_unit_test(test_repeated_hour),
	    cmocka_unit_test(test_a_year_against_localtime),
	    cmocka_unit_test(test_far_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
