/*
 * test_numparse.c -- unit tests for bounded number and duration parsing
 *
 * DESCRIPTION
 *	Table-driven cases ({ name, input, want }, reported as "got X, want
 *	Y") for num_parse_u64() (the uint64 limits and one past them, empty,
 *	signs, spaces, NUL, caller bounds), num_parse_duration() (each unit,
 *	missing and bad units, overflow of N * unit, bounds) and
 *	num_format_duration() (largest exact unit, small buffers), plus
 *	format -> parse round trips. Expected values are written by hand.
 *	Every input is copied into a heap block of exactly its length (no
 *	NUL), so ASan reports any read past <len>.
 *
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "numparse.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL 0x5a5a5a5a5a5a5a5aULL

/* u64_exact - num_parse_u64() on an exact heap copy of <s>/<len> */
static int
u64_exact(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	char *p = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(p);
	memcpy(p, s, len);
	rc = num_parse_u64(p, len, min, max, out);
	free(p);
	return rc;
}

/* duration_exact - num_parse_duration() on an exact heap copy */
static int
duration_exact(
    const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	char *p = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(p);
	memcpy(p, s, len);
	rc = num_parse_duration(p, len, min, max, out);
	free(p);
	return rc;
}

struct num_case {
	const char *name;
	const char *input;
	size_t len; /* 0: strlen(input) */
	uint64_t min, max;
	int want_rc;
	uint64_t want; /* when want_rc is 0 */
};

static const struct num_case u64_cases[] = {
    {"zero", "0", 0, 0, UINT64_MAX, 0, 0},
    {"one", "1", 0, 0, UINT64_MAX, 0, 1},
    {"leading zeros", "007", 0, 0, UINT64_MAX, 0, 7},
    {"all zeros", "0000", 0, 0, UINT64_MAX, 0, 0},
    {"uint32 max", "4294967295", 0, 0, UINT64_MAX, 0, 4294967295ULL},
    {"uint32 max + 1", "4294967296", 0, 0, UINT64_MAX, 0, 4294967296ULL},
    {"uint64 max", "18446744073709551615", 0, 0, UINT64_MAX, 0,
        18446744073709551615ULL},
    {"uint64 max - 1", "18446744073709551614", 0, 0, UINT64_MAX, 0,
        18446744073709551614ULL},
    {"len cuts 21 bytes to 20", "018446744073709551615", 20, 0, UINT64_MAX, 0,
        1844674407370955161ULL},
    {"19 nines", "9999999999999999999", 0, 0, UINT64_MAX, 0,
        9999999999999999999ULL},
    {"only len bytes are read", "12345", 3, 0, UINT64_MAX, 0, 123},
    {"at min", "5", 0, 5, 10, 0, 5},
    {"at max", "10", 0, 5, 10, 0, 10},
    {"min equals max", "7", 0, 7, 7, 0, 7},
    {"uint64 max within max bound", "18446744073709551615", 0,
        18446744073709551615ULL, UINT64_MAX, 0, 18446744073709551615ULL},
    {"uint64 max + 1 overflows", "18446744073709551616", 0, 0, UINT64_MAX, -1,
        0},
    {"uint64 max + 5 overflows", "18446744073709551620", 0, 0, UINT64_MAX, -1,
        0},
    {"20 nines overflow", "99999999999999999999", 0, 0, UINT64_MAX, -1, 0},
    {"10 * uint64 max overflows", "184467440737095516150", 0, 0, UINT64_MAX, -1,
        0},
    {"23 digits overflow", "99999999999999999999999", 0, 0, UINT64_MAX, -1, 0},
    {"empty", "", 0, 0, UINT64_MAX, -1, 0},
    {"minus sign", "-1", 0, 0, UINT64_MAX, -1, 0},
    {"minus zero", "-0", 0, 0, UINT64_MAX, -1, 0},
    {"plus sign", "+1", 0, 0, UINT64_MAX, -1, 0},
    {"sign only", "-", 0, 0, UINT64_MAX, -1, 0},
    {"leading space", " 1", 0, 0, UINT64_MAX, -1, 0},
    {"trailing space", "1 ", 0, 0, UINT64_MAX, -1, 0},
    {"inner space", "1 2", 0, 0, UINT64_MAX, -1, 0},
    {"tab", "\t1", 0, 0, UINT64_MAX, -1, 0},
    {"trailing newline", "1\n", 0, 0, UINT64_MAX, -1, 0},
    {"trailing letter", "1x", 0, 0, UINT64_MAX, -1, 0},
    {"decimal point", "1.0", 0, 0, UINT64_MAX, -1, 0},
    {"hex", "0x10", 0, 0, UINT64_MAX, -1, 0},
    {"exponent", "1e3", 0, 0, UINT64_MAX, -1, 0},
    {"digit separator", "1_000", 0, 0, UINT64_MAX, -1, 0},
    {"trailing NUL", "1\0", 2, 0, UINT64_MAX, -1, 0},
    {"inner NUL", "1\0002", 3, 0, UINT64_MAX, -1, 0},
    {"below min", "4", 0, 5, 10, -1, 0},
    {"above max", "11", 0, 5, 10, -1, 0},
    {"zero below min 1", "0", 0, 1, UINT64_MAX, -1, 0},
    {"uint64 max above max uint64 max - 1", "18446744073709551615", 0, 0,
        18446744073709551614ULL, -1, 0},
};

/* test_num_parse_u64 - limits, overflow, empty, signs, spaces, bounds */
static void
test_num_parse_u64(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(u64_cases); i++) {
		const struct num_case *c = &u64_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->input);
		uint64_t got = SENTINEL;
		int rc;

		rc = u64_exact(c->input, len, c->min, c->max, &got);
		if (rc != c->want_rc) {
			print_error("%s: \"%.*s\": got rc %d, want %d\n",
			    c->name, (int)len, c->input, rc, c->want_rc);
			bad++;
		} else if (rc == 0 && got != c->want) {
			print_error("%s: got %llu, want %llu\n", c->name,
			    (unsigned long long)got,
			    (unsigned long long)c->want);
			bad++;
		} else if (rc != 0 && got != SENTINEL) {
			print_error("%s: failed but wrote %llu, want <out> "
			            "untouched\n",
			    c->name, (unsigned long long)got);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/*
 * test_num_parse_u64_long_zero_padded - a regression test.
 * Zero padding of any length is accepted: only the value counts.
 */
static void
test_num_parse_u64_long_zero_padded(void **state)
{
	static const struct num_case cases[] = {
	    {"21 bytes, value 1", "000000000000000000001", 0, 0, UINT64_MAX, 0,
	        1},
	    {"uint64 max with one leading zero", "018446744073709551615", 0, 0,
	        UINT64_MAX, 0, 18446744073709551615ULL},
	    {"40 bytes, value 5", "0000000000000000000000000000000000000005", 0,
	        0, 10, 0, 5},
	};
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		const struct num_case *c = &cases[i];
		uint64_t got = SENTINEL;
		int rc;

		rc = num_parse_u64(
		    c->input, strlen(c->input), c->min, c->max, &got);
		if (rc != 0 || got != c->want) {
			print_error("%s: \"%s\": got rc %d value %llu, want rc "
			            "0 value %llu\n",
			    c->name, c->input, rc, (unsigned long long)got,
			    (unsigned long long)c->want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static const struct num_case duration_cases[] = {
    {"seconds", "30s", 0, 0, UINT64_MAX, 0, 30},
    {"minutes", "5m", 0, 0, UINT64_MAX, 0, 300},
    {"hours", "12h", 0, 0, UINT64_MAX, 0, 43200},
    {"days", "5d", 0, 0, UINT64_MAX, 0, 432000},
    {"one day", "1d", 0, 0, UINT64_MAX, 0, 86400},
    {"zero seconds", "0s", 0, 0, UINT64_MAX, 0, 0},
    {"zero days", "0d", 0, 0, UINT64_MAX, 0, 0},
    {"leading zeros", "0012h", 0, 0, UINT64_MAX, 0, 43200},
    {"90 seconds stay seconds", "90s", 0, 0, UINT64_MAX, 0, 90},
    {"1440 minutes", "1440m", 0, 0, UINT64_MAX, 0, 86400},
    {"366 days", "366d", 0, 0, UINT64_MAX, 0, 31622400},
    {"uint64 max seconds", "18446744073709551615s", 0, 0, UINT64_MAX, 0,
        18446744073709551615ULL},
    {"largest whole days", "213503982334601d", 0, 0, UINT64_MAX, 0,
        18446744073709526400ULL},
    {"largest whole hours", "5124095576030431h", 0, 0, UINT64_MAX, 0,
        18446744073709551600ULL},
    {"largest whole minutes", "307445734561825860m", 0, 0, UINT64_MAX, 0,
        18446744073709551600ULL},
    {"only len bytes are read", "5mjunk", 2, 0, UINT64_MAX, 0, 300},
    {"at min", "1s", 0, 1, 31622400, 0, 1},
    {"at max", "366d", 0, 1, 31622400, 0, 31622400},
    {"max in another unit", "8784h", 0, 1, 31622400, 0, 31622400},
    {"one past the largest whole days", "213503982334602d", 0, 0, UINT64_MAX,
        -1, 0},
    {"one past the largest whole hours", "5124095576030432h", 0, 0, UINT64_MAX,
        -1, 0},
    {"days overflow", "999999999999999999d", 0, 0, UINT64_MAX, -1, 0},
    {"seconds overflow", "18446744073709551616s", 0, 0, UINT64_MAX, -1, 0},
    {"minutes overflow", "999999999999999999m", 0, 0, UINT64_MAX, -1, 0},
    {"below min", "0m", 0, 1, 31622400, -1, 0},
    {"above max", "367d", 0, 1, 31622400, -1, 0},
    {"one second above max", "31622401s", 0, 1, 31622400, -1, 0},
    {"empty", "", 0, 0, UINT64_MAX, -1, 0},
    {"missing unit", "5", 0, 0, UINT64_MAX, -1, 0},
    {"missing unit, many digits", "86400", 0, 0, UINT64_MAX, -1, 0},
    {"unit only", "s", 0, 0, UINT64_MAX, -1, 0},
    {"bad unit", "5x", 0, 0, UINT64_MAX, -1, 0},
    {"weeks are not a unit", "1w", 0, 0, UINT64_MAX, -1, 0},
    {"upper-case unit", "5S", 0, 0, UINT64_MAX, -1, 0},
    {"upper-case day", "5D", 0, 0, UINT64_MAX, -1, 0},
    {"two-letter unit", "5ms", 0, 0, UINT64_MAX, -1, 0},
    {"two units", "1h30m", 0, 0, UINT64_MAX, -1, 0},
    {"space before unit", "5 s", 0, 0, UINT64_MAX, -1, 0},
    {"leading space", " 5s", 0, 0, UINT64_MAX, -1, 0},
    {"trailing space", "5s ", 0, 0, UINT64_MAX, -1, 0},
    {"minus sign", "-5s", 0, 0, UINT64_MAX, -1, 0},
    {"plus sign", "+5s", 0, 0, UINT64_MAX, -1, 0},
    {"fraction", "1.5h", 0, 0, UINT64_MAX, -1, 0},
    {"unit first", "h5", 0, 0, UINT64_MAX, -1, 0},
    {"NUL before unit", "5\0s", 3, 0, UINT64_MAX, -1, 0},
    {"NUL after unit", "5s\0", 3, 0, UINT64_MAX, -1, 0},
};

/* test_num_parse_duration - units, missing/bad unit, overflow, bounds */
static void
test_num_parse_duration(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(duration_cases); i++) {
		const struct num_case *c = &duration_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->input);
		uint64_t got = SENTINEL;
		int rc;

		rc = duration_exact(c->input, len, c->min, c->max, &got);
		if (rc != c->want_rc) {
			print_error("%s: \"%.*s\": got rc %d, want %d\n",
			    c->name, (int)len, c->input, rc, c->want_rc);
			bad++;
		} else if (rc == 0 && got != c->want) {
			print_error("%s: got %llu, want %llu\n", c->name,
			    (unsigned long long)got,
			    (unsigned long long)c->want);
			bad++;
		} else if (rc != 0 && got != SENTINEL) {
			print_error("%s: failed but wrote %llu, want <out> "
			            "untouched\n",
			    c->name, (unsigned long long)got);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

struct fmt_case {
	uint64_t secs;
	const char *want;
};

static const struct fmt_case fmt_cases[] = {
    {86400, "1d"},
    {90, "90s"},
    {3600, "1h"},
    {0, "0s"},
    {7200, "2h"},
    {86401, "86401s"},
    {1, "1s"},
    {59, "59s"},
    {60, "1m"},
    {120, "2m"},
    {5400, "90m"},
    {43200, "12h"},
    {129600, "36h"},
    {172800, "2d"},
    {31622400, "366d"},
    {86460, "1441m"},
    {90000, "25h"},
    {18446744073709526400ULL, "213503982334601d"},
    {18446744073709551600ULL, "5124095576030431h"},
    {18446744073709551615ULL, "18446744073709551615s"},
};

/* test_num_format_duration - the largest unit that divides exactly */
static void
test_num_format_duration(void **state)
{
	char buf[32];
	size_t i, n, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(fmt_cases); i++) {
		const struct fmt_case *c = &fmt_cases[i];

		memset(buf, 'X', sizeof(buf));
		n = num_format_duration(c->secs, buf, sizeof(buf));
		if (n != strlen(c->want) || strcmp(buf, c->want) != 0) {
			print_error("%llu: got \"%s\" (%zu), want \"%s\"\n",
			    (unsigned long long)c->secs, buf, n, c->want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* test_num_format_duration_small_buffer - 0 when text + NUL won't fit */
static void
test_num_format_duration_small_buffer(void **state)
{
	char buf[32];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(num_format_duration(86400, buf, 0), 0);
	assert_int_equal(buf[0], 'X');
	assert_int_equal(num_format_duration(86400, buf, 1), 0);
	assert_int_equal(num_format_duration(86400, buf, 2), 0);
	assert_int_equal(num_format_duration(86400, buf, 3), 2);
	assert_string_equal(buf, "1d");
	assert_int_equal(num_format_duration(86401, buf, 6), 0);
	assert_int_equal(num_format_duration(86401, buf, 7), 6);
	assert_string_equal(buf, "86401s");
	/* 21 digits + unit + NUL */
	assert_int_equal(num_format_duration(UINT64_MAX, buf, 21), 0);
	assert_int_equal(num_format_duration(UINT64_MAX, buf, 22), 21);
	assert_string_equal(buf, "18446744073709551615s");
}

/* test_num_duration_round_trip - parse(format(x)) == x */
static void
test_num_duration_round_trip(void **state)
{
	static const uint64_t secs[] = {0, 1, 59, 60, 61, 3599, 3600, 3660,
	    86399, 86400, 86401, 90000, 31622400, 4294967295ULL,
	    18446744073709526400ULL, 18446744073709551600ULL, UINT64_MAX};
	char buf[32];
	uint64_t got = 0, x = 1;
	size_t i, n;

	(void)state;
	for (i = 0; i < NELEM(secs) + 2000; i++) {
		uint64_t v;

		if (i < NELEM(secs)) {
			v = secs[i];
		} else {
			/* xorshift64: deterministic spread of values */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v = i % 2 ? x : x % 1000000 * (i % 3 ? 60 : 3600);
		}
		n = num_format_duration(v, buf, sizeof(buf));
		assert_true(n > 0);
		if (num_parse_duration(buf, n, 0, UINT64_MAX, &got) != 0 ||
		    got != v) {
			print_error("%llu: \"%s\" parses back as %llu\n",
			    (unsigned long long)v, buf,
			    (unsigned long long)got);
			fail();
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_num_parse_u64),
	    cmocka_unit_test(test_num_parse_u64_long_zero_padded),
	    cmocka_unit_test(test_num_parse_duration),
	    cmocka_unit_test(test_num_format_duration),
	    cmocka_unit_test(test_num_format_duration_small_buffer),
	    cmocka_unit_test(test_num_duration_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
