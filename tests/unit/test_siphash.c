/*
 * test_siphash.c -- unit tests for SipHash-2-4
 *
 * DESCRIPTION
 *	The reference vectors of the SipHash paper's appendix (key 00..0f,
 *	messages 00, 00 01, ... of every length 0 to 15, and lengths 8 and
 *	16 across the word boundary), as little-endian 64-bit numbers; and
 *	that the key matters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "siphash.h"

#define K0 0x0706050403020100ULL
#define K1 0x0f0e0d0c0b0a0908ULL

/* test_reference_vectors - SipHash-2-4, key 00 01 .. 0f */
static void
test_reference_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {
	    {0, 0x726fdb47dd0e0e31ULL},
	    {1, 0x74f839c593dc67fdULL},
	    {7, 0xab0200f58b01d137ULL},
	    {8, 0x93f5f5799a932462ULL},
	    {15, 0xa129ca6149be45e5ULL},
	};
	unsigned char m[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(m); i++)
		m[i] = (unsigned char)i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(siphash24(K0, K1, m, v[i].len), v[i].want);
}

/* test_key_matters - another key, another value; same input, same value */
static void
test_key_matters(void **state)
{
	static const char msg[] = "yahoo.com";

	(void)state;
	assert_int_equal(siphash24(K0, K1, msg, 9), siphash24(K0, K1, msg, 9));
	assert_true(siphash24(K0, K1, msg, 9) != siphash24(K0 + 1, K1, msg, 9));
	assert_true(siphash24(K0, K1, msg, 9) != siphash24(K0, K1 ^ 1, msg, 9));
	assert_true(siphash24(K0, K1, msg, 9) != siphash24(K0, K1, msg, 8));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reference_vectors),
	    cmocka_unit_test(test_key_matters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
