/*
 * test_khash.c -- unit tests for the keyed hashes of log strings
 *
 * DESCRIPTION
 *	khash_lower2() folds ASCII letters only, keeps its two parts apart
 *	(the NUL between them), is never 0, hashes inputs longer than its
 *	512-byte buffer whole (a change in any byte of a 3,000-byte input,
 *	either side of each chunk border, changes it) and depends on the key:
 *	two tables' keys give different hashes. Checked against SipHash-2-4
 *	of the folded bytes for a short input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "khash.h"
#include "siphash.h"

static void
test_khash_folds_ascii_only_and_keeps_parts_apart(void **state)
{
	struct khash k;
	const uint8_t want[] = "mylist\0bob@example.org";

	(void)state;
	khash_init(&k);
	assert_true(khash_lower2(&k, "MyList", 6, "Bob@Example.ORG", 15) ==
	    khash_lower2(&k, "mylist", 6, "bob@example.org", 15));
	assert_true(khash_lower2(&k, "mylist", 6, "bob@example.org", 15) ==
	    siphash24(k.k0, k.k1, want, sizeof(want) - 1));
	/* Latin-1 bytes are not letters to fold. */
	assert_true(khash_lower2(&k, "", 0, "\xc9", 1) !=
	    khash_lower2(&k, "", 0, "\xe9", 1));
	assert_true(khash_lower2(&k, "ab", 2, "c", 1) !=
	    khash_lower2(&k, "a", 1, "bc", 2));
	assert_true(khash_lower2(&k, "", 0, "", 0) != 0);
}

static void
test_khash_long_inputs_whole(void **state)
{
	static char buf[3000];
	static const size_t at[] = {
	    0, 1, 510, 511, 512, 513, 1023, 1024, 1025, 2047, 2999};
	struct khash k;
	uint64_t base;
	size_t i;

	(void)state;
	khash_init(&k);
	memset(buf, 'x', sizeof(buf));
	base = khash_lower2(&k, "list", 4, buf, sizeof(buf));
	assert_true(base == khash_lower2(&k, "LIST", 4, buf, sizeof(buf)));
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		buf[at[i]] = 'y';
		if (khash_lower2(&k, "list", 4, buf, sizeof(buf)) == base)
			fail_msg("a change at byte %zu went unseen", at[i]);
		buf[at[i]] = 'x';
	}
	/* One byte more or less is another input. */
	assert_true(base != khash_lower2(&k, "list", 4, buf, sizeof(buf) - 1));
}

static void
test_khash_depends_on_the_key(void **state)
{
	struct khash a, b;

	(void)state;
	khash_init(&a);
	khash_init(&b);
	assert_true(a.k0 != b.k0 || a.k1 != b.k1);
	assert_true(khash_lower2(&a, "l", 1, "x@y.z", 5) !=
	    khash_lower2(&b, "l", 1, "x@y.z", 5));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_khash_folds_ascii_only_and_keeps_parts_apart),
	    cmocka_unit_test(test_khash_long_inputs_whole),
	    cmocka_unit_test(test_khash_depends_on_the_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
