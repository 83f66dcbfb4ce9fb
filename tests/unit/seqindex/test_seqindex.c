/*
 * test_seqindex.c -- unit tests for the hash index over a ring
 *
 * DESCRIPTION
 *	Hand-written cases (empty, chains newest first, shared buckets,
 *	records the ring overwrote) and a model check: for random puts over a
 *	small hash space, the index's walk, filtered by the full hash, gives
 *	exactly what a newest-first scan of the ring's live records gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "seqindex.h"

/* walk - the records of hash <h> (full hash compared against <hashes>),
 * newest first, into <out>; their number */
static size_t
walk(const struct seqindex *x, const uint64_t *hashes, uint64_t h,
    uint64_t total, int64_t *out, size_t max)
{
	size_t n = 0;
	int64_t s;

	for (s = seqindex_first(x, h, total); s >= 0;
	     s = seqindex_next(x, s, total)) {
		assert_true((uint64_t)s < total);
		if (hashes[s] == h && n < max)
			out[n++] = s;
	}
	return n;
}

/* test_empty - nothing put, nothing found */
static void
test_empty(void **state)
{
	struct seqindex *x = seqindex_new(8);

	(void)state;
	assert_non_null(x);
	assert_int_equal(seqindex_first(x, 42, 0), -1);
	assert_int_equal(seqindex_next(x, -1, 0), -1);
	seqindex_free(x);
	seqindex_free(NULL);
}

/* test_chain_newest_first - records of one hash come back newest first,
 * other hashes in the same bucket are skipped by the caller's compare */
static void
test_chain_newest_first(void **state)
{
	struct seqindex *x = seqindex_new(16);
	/* 7 and 7 + 2^40 share every bucket of a table this small */
	uint64_t hashes[6] = {7, 9, 7, 7ULL + (1ULL << 40), 9, 7};
	int64_t got[8];
	uint64_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		seqindex_put(x, i, hashes[i]);
	assert_int_equal(walk(x, hashes, 7, 6, got, 8), 3);
	assert_int_equal(got[0], 5);
	assert_int_equal(got[1], 2);
	assert_int_equal(got[2], 0);
	assert_int_equal(walk(x, hashes, 9, 6, got, 8), 2);
	assert_int_equal(got[0], 4);
	assert_int_equal(got[1], 1);
	assert_int_equal(walk(x, hashes, 7ULL + (1ULL << 40), 6, got, 8), 1);
	assert_int_equal(got[0], 3);
	assert_int_equal(walk(x, hashes, 11, 6, got, 8), 0);
	seqindex_free(x);
}

/* test_overwritten_records_end_the_chain - a ring of 4: only the newest
 * four records are found */
static void
test_overwritten_records_end_the_chain(void **state)
{
	struct seqindex *x = seqindex_new(4);
	uint64_t hashes[10];
	int64_t got[10];
	uint64_t i;

	(void)state;
	for (i = 0; i < 10; i++) {
		hashes[i] = 5;
		seqindex_put(x, i, 5);
	}
	assert_int_equal(walk(x, hashes, 5, 10, got, 10), 4);
	assert_int_equal(got[0], 9);
	assert_int_equal(got[3], 6);
	/* A hash last put long ago is gone, though its bucket link stays. */
	seqindex_free(x);
	x = seqindex_new(4);
	hashes[0] = 1;
	seqindex_put(x, 0, 1);
	for (i = 1; i < 10; i++) {
		hashes[i] = 2;
		seqindex_put(x, i, 2);
	}
	assert_int_equal(walk(x, hashes, 1, 10, got, 10), 0);
	assert_int_equal(seqindex_first(x, 1, 10), -1);
	seqindex_free(x);
}

/* test_model - random puts over 20 hashes into a ring of 64, checked
 * after every put against a scan of the live records */
static void
test_model(void **state)
{
	enum { SLOTS = 64, PUTS = 5000, HASHES = 20 };
	struct seqindex *x = seqindex_new(SLOTS);
	static uint64_t hashes[PUTS];
	int64_t got[SLOTS + 1];
	uint64_t total, h, s;
	size_t n, want;
	unsigned seed = 12345;

	(void)state;
	for (total = 0; total < PUTS;) {
		seed = seed * 1103515245u + 12345u;
		/* spread over the 64-bit range, few distinct values */
		hashes[total] = ((uint64_t)((seed >> 16) % HASHES) << 33) |
		    ((seed >> 16) % HASHES);
		seqindex_put(x, total, hashes[total]);
		total++;
		for (h = 0; h < HASHES; h++) {
			uint64_t hv = (h << 33) | h;

			n = walk(x, hashes, hv, total, got, SLOTS + 1);
			want = 0;
			for (s = total; s-- > 0 && total - s <= SLOTS;) {
				if (hashes[s] != hv)
					continue;
				assert_true(want < n);
				assert_int_equal(got[want], (int64_t)s);
				want++;
			}
			assert_int_equal(n, want);
		}
	}
	seqindex_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_chain_newest_first),
	    cmocka_unit_test(test_overwritten_records_end_the_chain),
	    cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
