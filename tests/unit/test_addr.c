/*
 * test_addr.c -- unit tests for IPv4/IPv6 parse, format, mask, prefix match
 *
 * DESCRIPTION
 *	Table-driven cases ({ name, input, want }, reported as "got X, want
 *	Y") for addr_parse() (valid and malformed text, IPv4-mapped
 *	folding, length-delimited input), addr_format() round trips,
 *	addr_parse_prefix() and addr_format_prefix(), addr_mask() at every
 *	IPv4 length and at the IPv6 lengths that matter, and
 *	addr_in_prefix() including family mismatches. Expected bytes are
 *	written by hand, never computed by the module. Every input is
 *	copied into a heap block of exactly its length (no NUL), so ASan
 *	reports any read past <len>.
 *
 *	glibc's inet_pton(3) refuses IPv4 octets with a leading zero
 *	("01.2.3.4", "1.2.3.04"): they could be read as octal elsewhere. The
 *	cases below pin that down, since addr_parse() inherits it.
 *
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* exact_copy - <len> bytes of <s> in a heap block of exactly that size */
static char *
exact_copy(const char *s, size_t len)
{
	char *p = malloc(len > 0 ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

/* parse_exact - addr_parse() on an exact heap copy of <s>/<len> */
static int
parse_exact(const char *s, size_t len, struct addr *a)
{
	char *p = exact_copy(s, len);
	int rc = addr_parse(p, len, a);

	free(p);
	return rc;
}

/* parse_prefix_exact - addr_parse_prefix() on an exact heap copy */
static int
parse_prefix_exact(const char *s, size_t len, struct addr *a, unsigned *plen)
{
	char *p = exact_copy(s, len);
	int rc = addr_parse_prefix(p, len, a, plen);

	free(p);
	return rc;
}

/* must_parse - <s> must parse; its address */
static struct addr
must_parse(const char *s)
{
	struct addr a;

	if (addr_parse(s, strlen(s), &a) != 0) {
		print_error("addr_parse(\"%s\"): got -1, want 0\n", s);
		fail();
	}
	return a;
}

/* hex - <n> bytes as "xx xx ..." into <buf> (3 * n + 1 bytes) */
static const char *
hex(const uint8_t *b, size_t n, char *buf)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		sprintf(buf + 3 * i, i + 1 < n ? "%02x " : "%02x", b[i]);
	return buf;
}

/* same_addr - family and all 16 bytes equal */
static int
same_addr(const struct addr *a, const struct addr *b)
{
	return a->family == b->family &&
	    memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

struct parse_case {
	const char *name;
	const char *input;
	size_t len; /* 0: strlen(input) */
	uint8_t family;
	uint8_t bytes[16];
};

static const struct parse_case parse_ok_cases[] = {
    {"v4 documentation address", "192.0.2.1", 0, ADDR_V4, {192, 0, 2, 1}},
    {"v4 all zeros", "0.0.0.0", 0, ADDR_V4, {0, 0, 0, 0}},
    {"v4 all ones", "255.255.255.255", 0, ADDR_V4, {255, 255, 255, 255}},
    {"v4 zero octets are not leading zeros", "10.0.0.1", 0, ADDR_V4,
        {10, 0, 0, 1}},
    {"v4 only len bytes are read", "192.0.2.1garbage", 9, ADDR_V4,
        {192, 0, 2, 1}},
    {"v6 compressed", "2001:db8::1", 0, ADDR_V6,
        {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}},
    {"v6 full form with leading zeros",
        "2001:0db8:0000:0000:0000:0000:0000:0001", 0, ADDR_V6,
        {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}},
    {"v6 upper case hex", "2001:DB8::A", 0, ADDR_V6,
        {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a}},
    {"v6 unspecified", "::", 0, ADDR_V6, {0}},
    {"v6 loopback", "::1", 0, ADDR_V6,
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {"v6 all ones", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, ADDR_V6,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff}},
    {"v6 link-local", "fe80::1:2", 0, ADDR_V6,
        {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x02}},
    {"v6 every group", "2001:db8:1:2:3:4:5:6", 0, ADDR_V6,
        {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6}},
    {"v6 embedded v4 (compatible, not mapped) stays v6", "::192.0.2.1", 0,
        ADDR_V6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1}},
    {"v4-mapped folds to v4", "::ffff:192.0.2.1", 0, ADDR_V4, {192, 0, 2, 1}},
    {"v4-mapped in hex folds to v4", "::ffff:c000:201", 0, ADDR_V4,
        {192, 0, 2, 1}},
    {"v4-mapped upper case folds to v4", "::FFFF:192.0.2.1", 0, ADDR_V4,
        {192, 0, 2, 1}},
    {"v4-mapped full form folds to v4", "0:0:0:0:0:ffff:192.0.2.1", 0, ADDR_V4,
        {192, 0, 2, 1}},
    {"v4-mapped zero folds to v4", "::ffff:0.0.0.0", 0, ADDR_V4, {0, 0, 0, 0}},
    {"::fffe: is not the mapped prefix", "::fffe:192.0.2.1", 0, ADDR_V6,
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 192, 0, 2, 1}},
    {"v6 only len bytes are read", "2001:db8::1/64", 11, ADDR_V6,
        {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}},
};

/* test_addr_parse_valid - family and bytes as written by hand */
static void
test_addr_parse_valid(void **state)
{
	char got[64], want[64];
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(parse_ok_cases); i++) {
		const struct parse_case *c = &parse_ok_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->input);
		struct addr a;
		int rc;

		memset(&a, 0xaa, sizeof(a));
		rc = parse_exact(c->input, len, &a);
		if (rc != 0) {
			print_error("%s: \"%s\": got rc %d, want 0\n", c->name,
			    c->input, rc);
			bad++;
			continue;
		}
		if (a.family != c->family ||
		    memcmp(a.bytes, c->bytes, 16) != 0) {
			print_error("%s: got v%u [%s], want v%u [%s]\n",
			    c->name, a.family, hex(a.bytes, 16, got), c->family,
			    hex(c->bytes, 16, want));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

struct bad_case {
	const char *name;
	const char *input;
	size_t len; /* 0: strlen(input) */
};

static const struct bad_case parse_bad_cases[] = {
    {"empty", "", 0},
    {"three octets", "1.2.3", 0},
    {"octet over 255", "1.2.3.256", 0},
    {"leading zero octet (inet_pton refuses it)", "01.2.3.4", 0},
    {"two leading zeros", "001.2.3.4", 0},
    {"leading zero in the last octet", "1.2.3.04", 0},
    {"five octets", "1.2.3.4.5", 0},
    {"empty octet", "1..2.3", 0},
    {"trailing dot", "1.2.3.4.", 0},
    {"hex octet", "0x1.2.3.4", 0},
    {"single number", "3232235777", 0},
    {"leading space", " 192.0.2.1", 0},
    {"trailing space", "192.0.2.1 ", 0},
    {"inner space", "192.0.2. 1", 0},
    {"trailing tab", "192.0.2.1\t", 0},
    {"trailing newline", "192.0.2.1\n", 0},
    {"NUL after a v4 address", "192.0.2.1\0", 10},
    {"NUL inside a v4 address", "192.0\0.2.1", 10},
    {"NUL after a v6 address", "::1\0", 4},
    {"NUL inside a v6 address", "2001:db8::\0001", 12},
    {"v4 cut short by len", "192.0.2.1", 7},
    {"v6 two double colons", "1::2::3", 0},
    {"v6 nine groups", "1:2:3:4:5:6:7:8:9", 0},
    {"v6 seven groups", "1:2:3:4:5:6:7", 0},
    {"v6 group of five digits", "12345::1", 0},
    {"v6 bad hex digit", "2001:db8::g", 0},
    {"v6 trailing colon", "2001:db8:", 0},
    {"v6 triple colon", "2001:db8:::1", 0},
    {"v6 in brackets", "[2001:db8::1]", 0},
    {"v6 with zone id", "fe80::1%eth0", 0},
    {"v6 with prefix", "2001:db8::/32", 0},
    {"v6 with leading space", " ::1", 0},
    {"v4 with port", "192.0.2.1:80", 0},
    {"v4 with prefix", "192.0.2.0/24", 0},
    {"colon only", ":", 0},
    {"word", "localhost", 0},
};

/* test_addr_parse_invalid - every malformed form gives -1 */
static void
test_addr_parse_invalid(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(parse_bad_cases); i++) {
		const struct bad_case *c = &parse_bad_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->input);
		struct addr a;
		int rc;

		rc = parse_exact(c->input, len, &a);
		if (rc != -1) {
			print_error("%s: got rc %d, want -1\n", c->name, rc);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* test_addr_parse_long_input - 63, 64 and 1000 bytes are refused safely */
/*
 * test_addr_parse_v4_agrees_with_inet_pton - addr_parse() reads IPv4 by
 * hand; on every string of up to 7 bytes over an alphabet of digits,
 * dots and a few others, and on 200,000 random dotted strings, it must
 * accept exactly what inet_pton(AF_INET) accepts, with the same bytes.
 */
static void
test_addr_parse_v4_agrees_with_inet_pton(void **state)
{
	static const char alpha[] = "0129.5 a";
	char buf[32];
	struct addr a;
	uint8_t want[4];
	uint64_t x = 88172645463325252ULL;
	size_t len, i, n, bad = 0;

	(void)state;
	for (len = 1; len <= 7; len++) {
		size_t total = 1, k;

		for (i = 0; i < len; i++)
			total *= sizeof(alpha) - 1;
		for (k = 0; k < total; k++) {
			size_t v = k;

			for (i = 0; i < len; i++) {
				buf[i] = alpha[v % (sizeof(alpha) - 1)];
				v /= sizeof(alpha) - 1;
			}
			buf[len] = '\0';
			if (strchr(buf, ':') != NULL)
				continue;
			n = inet_pton(AF_INET, buf, want) == 1;
			if ((addr_parse(buf, len, &a) == 0) != n ||
			    (n && memcmp(a.bytes, want, 4) != 0)) {
				if (bad++ < 5)
					print_error("\"%s\": disagrees\n", buf);
			}
		}
	}
	for (i = 0; i < 200000; i++) {
		int o;

		len = 0;
		for (o = 0; o < 4; o++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    "%s%s%u", o ? "." : "", x % 7 == 0 ? "0" : "",
			    (unsigned)(x >> 8) % 300);
		}
		n = inet_pton(AF_INET, buf, want) == 1;
		if ((addr_parse(buf, len, &a) == 0) != n ||
		    (n &&
		        (a.family != ADDR_V4 ||
		            memcmp(a.bytes, want, 4) != 0))) {
			if (bad++ < 5)
				print_error("\"%s\": disagrees\n", buf);
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_addr_parse_long_input(void **state)
{
	static const size_t lens[] = {45, 46, 63, 64, 65, 1000};
	char *buf;
	size_t i, j;
	struct addr a;

	(void)state;
	/* The longest valid text is 45 bytes, so nothing longer parses. */
	assert_int_equal(
	    parse_exact(
	        "0000:0000:0000:0000:0000:ffff:255.255.255.255", 45, &a),
	    0);
	assert_int_equal(a.family, ADDR_V4);
	for (i = 0; i < NELEM(lens); i++) {
		buf = malloc(lens[i]);
		assert_non_null(buf);
		/* "0000:0000:...": digits and colons, never a valid form */
		memset(buf, '0', lens[i]);
		for (j = 4; j < lens[i]; j += 5)
			buf[j] = ':';
		if (addr_parse(buf, lens[i], &a) != -1) {
			print_error("%zu bytes: got 0, want -1\n", lens[i]);
			fail();
		}
		/* A valid address followed by padding is still too long. */
		memset(buf, ' ', lens[i]);
		memcpy(buf, "::1", 3);
		assert_int_equal(addr_parse(buf, lens[i], &a), -1);
		free(buf);
	}
}

struct format_case {
	const char *input;
	const char *want;
};

static const struct format_case format_cases[] = {
    {"192.0.2.1", "192.0.2.1"},
    {"0.0.0.0", "0.0.0.0"},
    {"255.255.255.255", "255.255.255.255"},
    {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
    {"2001:db8::1", "2001:db8::1"},
    {"2001:DB8::A", "2001:db8::a"},
    {"::", "::"},
    {"::1", "::1"},
    {"2001:db8::", "2001:db8::"},
    {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
    {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
    {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
    {"fe80:0::1:2", "fe80::1:2"},
    {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"},
    {"::ffff:192.0.2.1", "192.0.2.1"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
};

/* test_addr_format_round_trip - canonical text, and it parses back */
static void
test_addr_format_round_trip(void **state)
{
	char buf[ADDR_TEXT_MAX];
	size_t i, n, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(format_cases); i++) {
		const struct format_case *c = &format_cases[i];
		struct addr a = must_parse(c->input), b;

		n = addr_format(&a, buf, sizeof(buf));
		if (n != strlen(c->want) || strcmp(buf, c->want) != 0) {
			print_error("format \"%s\": got \"%s\" (%zu), want "
			            "\"%s\"\n",
			    c->input, buf, n, c->want);
			bad++;
			continue;
		}
		if (addr_parse(buf, n, &b) != 0 || !same_addr(&a, &b)) {
			print_error(
			    "\"%s\" does not parse back to itself\n", buf);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* test_addr_format_small_buffer - 0 and an empty string when it won't fit */
static void
test_addr_format_small_buffer(void **state)
{
	struct addr a = must_parse("2001:db8::1");
	char buf[ADDR_TEXT_MAX];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(addr_format(&a, buf, 11), 0);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(addr_format(&a, buf, 12), 11);
	assert_string_equal(buf, "2001:db8::1");
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(addr_format(&a, buf, 0), 0);
	assert_int_equal(buf[0], 'X'); /* size 0: nothing written */
	assert_int_equal(addr_format(&a, buf, 1), 0);
	assert_int_equal(buf[0], '\0');

	a = must_parse("255.255.255.255");
	assert_int_equal(addr_format(&a, buf, 15), 0);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(addr_format(&a, buf, 16), 15);
	assert_string_equal(buf, "255.255.255.255");
}

struct prefix_case {
	const char *name;
	const char *input;
	size_t len; /* 0: strlen(input) */
	int want_rc;
	uint8_t want_family;
	unsigned want_plen;
	const char *want_text; /* addr_format_prefix() of the result */
};

static const struct prefix_case prefix_cases[] = {
    {"bare v4 gets /32", "192.0.2.7", 0, 0, ADDR_V4, 32, "192.0.2.7"},
    {"v4 /32 explicit", "192.0.2.7/32", 0, 0, ADDR_V4, 32, "192.0.2.7"},
    {"v4 /24", "192.0.2.0/24", 0, 0, ADDR_V4, 24, "192.0.2.0/24"},
    {"v4 /0", "0.0.0.0/0", 0, 0, ADDR_V4, 0, "0.0.0.0/0"},
    {"v4 /8", "10.0.0.0/8", 0, 0, ADDR_V4, 8, "10.0.0.0/8"},
    {"v4 /31", "192.0.2.6/31", 0, 0, ADDR_V4, 31, "192.0.2.6/31"},
    {"v4 /25 upper half", "192.0.2.128/25", 0, 0, ADDR_V4, 25,
        "192.0.2.128/25"},
    {"v4 length with a leading zero", "192.0.2.0/024", 0, 0, ADDR_V4, 24,
        "192.0.2.0/24"},
    {"v4 only len bytes are read", "10.0.0.0/8xx", 10, 0, ADDR_V4, 8,
        "10.0.0.0/8"},
    {"bare v6 gets /128", "2001:db8::1", 0, 0, ADDR_V6, 128, "2001:db8::1"},
    {"v6 /128 explicit", "2001:db8::1/128", 0, 0, ADDR_V6, 128, "2001:db8::1"},
    {"v6 /0", "::/0", 0, 0, ADDR_V6, 0, "::/0"},
    {"v6 /32", "2001:db8::/32", 0, 0, ADDR_V6, 32, "2001:db8::/32"},
    {"v6 /48", "2001:db8:1::/48", 0, 0, ADDR_V6, 48, "2001:db8:1::/48"},
    {"v6 /64", "2001:db8:1:2::/64", 0, 0, ADDR_V6, 64, "2001:db8:1:2::/64"},
    {"v6 /33", "2001:db8:8000::/33", 0, 0, ADDR_V6, 33, "2001:db8:8000::/33"},
    {"v6 /127", "2001:db8::2/127", 0, 0, ADDR_V6, 127, "2001:db8::2/127"},
    {"bare v4-mapped folds to v4 /32", "::ffff:192.0.2.1", 0, 0, ADDR_V4, 32,
        "192.0.2.1"},
    {"empty", "", 0, -1, 0, 0, NULL},
    {"slash only", "/", 0, -1, 0, 0, NULL},
    {"no address", "/24", 0, -1, 0, 0, NULL},
    {"bad address", "192.0.2/24", 0, -1, 0, 0, NULL},
    {"v4 /33 is too long", "192.0.2.0/33", 0, -1, 0, 0, NULL},
    {"v4 /100", "192.0.2.0/100", 0, -1, 0, 0, NULL},
    {"v6 /129 is too long", "2001:db8::/129", 0, -1, 0, 0, NULL},
    {"v6 /1000", "::/1000", 0, -1, 0, 0, NULL},
    {"huge length", "10.0.0.0/99999999999", 0, -1, 0, 0, NULL},
    {"v4 host bits set", "192.0.2.1/24", 0, -1, 0, 0, NULL},
    {"v4 host bit set in /31", "192.0.2.7/31", 0, -1, 0, 0, NULL},
    {"v4 /0 with an address", "192.0.2.0/0", 0, -1, 0, 0, NULL},
    {"v6 host bits set", "2001:db8::1/64", 0, -1, 0, 0, NULL},
    {"v6 host bits set in /32", "2001:db8:1::/32", 0, -1, 0, 0, NULL},
    {"empty length", "192.0.2.0/", 0, -1, 0, 0, NULL},
    {"garbage after the length", "192.0.2.0/24x", 0, -1, 0, 0, NULL},
    {"letters as length", "192.0.2.0/x", 0, -1, 0, 0, NULL},
    {"negative length", "192.0.2.0/-1", 0, -1, 0, 0, NULL},
    {"plus sign", "192.0.2.0/+8", 0, -1, 0, 0, NULL},
    {"space before the length", "192.0.2.0/ 24", 0, -1, 0, 0, NULL},
    {"space after the length", "192.0.2.0/24 ", 0, -1, 0, 0, NULL},
    {"space before the slash", "192.0.2.0 /24", 0, -1, 0, 0, NULL},
    {"two slashes", "192.0.2.0/24/24", 0, -1, 0, 0, NULL},
    {"NUL in the length", "10.0.0.0/8\0", 11, -1, 0, 0, NULL},
    {"length cut off by len", "192.0.2.0/24", 10, -1, 0, 0, NULL},
};

/* test_addr_parse_prefix - bare, /0, lengths, host bits, garbage */
static void
test_addr_parse_prefix(void **state)
{
	char buf[ADDR_TEXT_MAX];
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(prefix_cases); i++) {
		const struct prefix_case *c = &prefix_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->input);
		struct addr net, back;
		unsigned plen = 999, plen2 = 999;
		int rc;

		rc = parse_prefix_exact(c->input, len, &net, &plen);
		if (rc != c->want_rc) {
			print_error("%s: \"%.*s\": got rc %d, want %d\n",
			    c->name, (int)len, c->input, rc, c->want_rc);
			bad++;
			continue;
		}
		if (rc != 0)
			continue;
		addr_format_prefix(&net, plen, buf, sizeof(buf));
		if (net.family != c->want_family || plen != c->want_plen ||
		    strcmp(buf, c->want_text) != 0) {
			print_error("%s: got v%u \"%s\" plen %u, want v%u "
			            "\"%s\" plen %u\n",
			    c->name, net.family, buf, plen, c->want_family,
			    c->want_text, c->want_plen);
			bad++;
			continue;
		}
		/* The printed prefix parses back to the same one. */
		if (addr_parse_prefix(buf, strlen(buf), &back, &plen2) != 0 ||
		    !same_addr(&net, &back) || plen2 != plen) {
			print_error(
			    "%s: \"%s\" does not parse back\n", c->name, buf);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* test_addr_parse_prefix_bytes_by_hand - network bytes of a few prefixes */
static void
test_addr_parse_prefix_bytes_by_hand(void **state)
{
	static const uint8_t v4[16] = {198, 51, 100, 0};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
	struct addr net;
	unsigned plen;

	(void)state;
	assert_int_equal(
	    addr_parse_prefix("198.51.100.0/24", 15, &net, &plen), 0);
	assert_int_equal(net.family, ADDR_V4);
	assert_int_equal(plen, 24);
	assert_memory_equal(net.bytes, v4, 16);
	assert_int_equal(
	    addr_parse_prefix("2001:db8:1::/48", 15, &net, &plen), 0);
	assert_int_equal(net.family, ADDR_V6);
	assert_int_equal(plen, 48);
	assert_memory_equal(net.bytes, v6, 16);
}

/*
 * test_addr_parse_prefix_mapped_length_counts_mapping_bits - a regression test.
 * In "::ffff:a.b.c.d/LEN" the length is an IPv6 length: it counts the 96
 * mapping bits that folding to IPv4 removes, as policy_parse.c does, so
 * ::ffff:192.0.2.0/120 is 192.0.2.0/24 and ::ffff:10.0.0.0/8 is refused.
 */
static void
test_addr_parse_prefix_mapped_length_counts_mapping_bits(void **state)
{
	static const struct prefix_case cases[] = {
	    {"mapped /120 is v4 /24", "::ffff:192.0.2.0/120", 0, 0, ADDR_V4, 24,
	        "192.0.2.0/24"},
	    {"mapped /104 is v4 /8", "::ffff:10.0.0.0/104", 0, 0, ADDR_V4, 8,
	        "10.0.0.0/8"},
	    {"mapped /128 is v4 /32", "::ffff:192.0.2.1/128", 0, 0, ADDR_V4, 32,
	        "192.0.2.1"},
	    {"mapped /96 is v4 /0", "::ffff:0.0.0.0/96", 0, 0, ADDR_V4, 0,
	        "0.0.0.0/0"},
	    {"mapped /24 is shorter than the mapping", "::ffff:192.0.2.0/24", 0,
	        -1, 0, 0, NULL},
	    {"mapped /8 is shorter than the mapping", "::ffff:10.0.0.0/8", 0,
	        -1, 0, 0, NULL},
	};
	char buf[ADDR_TEXT_MAX];
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		const struct prefix_case *c = &cases[i];
		struct addr net;
		unsigned plen = 999;
		int rc;

		rc = addr_parse_prefix(c->input, strlen(c->input), &net, &plen);
		if (rc != c->want_rc) {
			if (rc == 0)
				addr_format_prefix(
				    &net, plen, buf, sizeof(buf));
			print_error(
			    "%s: \"%s\": got rc %d%s%s, want rc %d%s%s\n",
			    c->name, c->input, rc, rc == 0 ? " " : "",
			    rc == 0 ? buf : "", c->want_rc,
			    c->want_text != NULL ? " " : "",
			    c->want_text != NULL ? c->want_text : "");
			bad++;
			continue;
		}
		if (rc != 0)
			continue;
		addr_format_prefix(&net, plen, buf, sizeof(buf));
		if (net.family != c->want_family || plen != c->want_plen ||
		    strcmp(buf, c->want_text) != 0) {
			print_error("%s: got \"%s\" plen %u, want \"%s\" plen "
			            "%u\n",
			    c->name, buf, plen, c->want_text, c->want_plen);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* Every IPv4 length applied to 255.255.255.255, written out by hand. */
static const uint8_t v4_masks[33][4] = {
    {0x00, 0x00, 0x00, 0x00}, /* /0 */
    {0x80, 0x00, 0x00, 0x00}, /* /1 */
    {0xc0, 0x00, 0x00, 0x00}, /* /2 */
    {0xe0, 0x00, 0x00, 0x00}, /* /3 */
    {0xf0, 0x00, 0x00, 0x00}, /* /4 */
    {0xf8, 0x00, 0x00, 0x00}, /* /5 */
    {0xfc, 0x00, 0x00, 0x00}, /* /6 */
    {0xfe, 0x00, 0x00, 0x00}, /* /7 */
    {0xff, 0x00, 0x00, 0x00}, /* /8 */
    {0xff, 0x80, 0x00, 0x00}, /* /9 */
    {0xff, 0xc0, 0x00, 0x00}, /* /10 */
    {0xff, 0xe0, 0x00, 0x00}, /* /11 */
    {0xff, 0xf0, 0x00, 0x00}, /* /12 */
    {0xff, 0xf8, 0x00, 0x00}, /* /13 */
    {0xff, 0xfc, 0x00, 0x00}, /* /14 */
    {0xff, 0xfe, 0x00, 0x00}, /* /15 */
    {0xff, 0xff, 0x00, 0x00}, /* /16 */
    {0xff, 0xff, 0x80, 0x00}, /* /17 */
    {0xff, 0xff, 0xc0, 0x00}, /* /18 */
    {0xff, 0xff, 0xe0, 0x00}, /* /19 */
    {0xff, 0xff, 0xf0, 0x00}, /* /20 */
    {0xff, 0xff, 0xf8, 0x00}, /* /21 */
    {0xff, 0xff, 0xfc, 0x00}, /* /22 */
    {0xff, 0xff, 0xfe, 0x00}, /* /23 */
    {0xff, 0xff, 0xff, 0x00}, /* /24 */
    {0xff, 0xff, 0xff, 0x80}, /* /25 */
    {0xff, 0xff, 0xff, 0xc0}, /* /26 */
    {0xff, 0xff, 0xff, 0xe0}, /* /27 */
    {0xff, 0xff, 0xff, 0xf0}, /* /28 */
    {0xff, 0xff, 0xff, 0xf8}, /* /29 */
    {0xff, 0xff, 0xff, 0xfc}, /* /30 */
    {0xff, 0xff, 0xff, 0xfe}, /* /31 */
    {0xff, 0xff, 0xff, 0xff}, /* /32 */
};

/* test_addr_mask_v4_every_length - /0 .. /32, then clamping past 32 */
static void
test_addr_mask_v4_every_length(void **state)
{
	static const uint8_t zero[12];
	static const unsigned past[] = {33, 64, 128, 1000, 0xffffffffu};
	char got[64], want[64];
	unsigned plen;
	size_t i, bad = 0;

	(void)state;
	for (plen = 0; plen <= 32; plen++) {
		struct addr a = must_parse("255.255.255.255");

		addr_mask(&a, plen);
		if (a.family != ADDR_V4 ||
		    memcmp(a.bytes, v4_masks[plen], 4) != 0 ||
		    memcmp(a.bytes + 4, zero, 12) != 0) {
			print_error("/%u: got [%s], want [%s]\n", plen,
			    hex(a.bytes, 16, got),
			    hex(v4_masks[plen], 4, want));
			bad++;
		}
	}
	for (i = 0; i < NELEM(past); i++) {
		struct addr a = must_parse("255.255.255.255");

		addr_mask(&a, past[i]);
		if (memcmp(a.bytes, v4_masks[32], 4) != 0 ||
		    memcmp(a.bytes + 4, zero, 12) != 0) {
			print_error("/%u: got [%s], want ff ff ff ff\n",
			    past[i], hex(a.bytes, 16, got));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

struct mask_case {
	const char *input;
	unsigned plen;
	uint8_t want[16];
};

static const struct mask_case mask_cases[] = {
    /* 203.0.113.77 = cb 00 71 4d */
    {"203.0.113.77", 0, {0, 0, 0, 0}},
    {"203.0.113.77", 12, {203, 0, 0, 0}},
    {"203.0.113.77", 20, {203, 0, 112, 0}},
    {"203.0.113.77", 27, {203, 0, 113, 64}},
    {"203.0.113.77", 30, {203, 0, 113, 76}},
    {"203.0.113.77", 32, {203, 0, 113, 77}},
    /* all-ones IPv6 */
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, {0}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, {0x80}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 7, {0xfe}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 8, {0xff}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 9, {0xff, 0x80}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 17, {0xff, 0xff, 0x80}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 32, {0xff, 0xff, 0xff, 0xff}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 33,
        {0xff, 0xff, 0xff, 0xff, 0x80}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 47,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 48,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 56,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 63,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 64,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 100,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xf0}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 127,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xfe}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 129,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff}},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 4096,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff}},
    /* 2001:db8:1:2:3:4:5:6 */
    {"2001:db8:1:2:3:4:5:6", 32, {0x20, 0x01, 0x0d, 0xb8}},
    {"2001:db8:1:2:3:4:5:6", 48, {0x20, 0x01, 0x0d, 0xb8, 0, 1}},
    {"2001:db8:1:2:3:4:5:6", 64, {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2}},
    {"2001:db8:1:2:3:4:5:6", 80, {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3}},
    {"2001:db8:1:2:3:4:5:6", 126,
        {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 4}},
    {"2001:db8:1:2:3:4:5:6", 127,
        {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6}},
};

/* test_addr_mask_selected_lengths - v4 and v6 masks against hand bytes */
static void
test_addr_mask_selected_lengths(void **state)
{
	char got[64], want[64];
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(mask_cases); i++) {
		const struct mask_case *c = &mask_cases[i];
		struct addr a = must_parse(c->input);
		uint8_t family = a.family;

		addr_mask(&a, c->plen);
		if (a.family != family || memcmp(a.bytes, c->want, 16) != 0) {
			print_error("%s/%u: got [%s], want [%s]\n", c->input,
			    c->plen, hex(a.bytes, 16, got),
			    hex(c->want, 16, want));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

struct in_case {
	const char *name;
	const char *addr;
	const char *net;
	unsigned plen;
	int want;
};

static const struct in_case in_cases[] = {
    {"v4 inside /24", "192.0.2.77", "192.0.2.0", 24, 1},
    {"v4 first of /24", "192.0.2.0", "192.0.2.0", 24, 1},
    {"v4 last of /24", "192.0.2.255", "192.0.2.0", 24, 1},
    {"v4 next /24", "192.0.3.0", "192.0.2.0", 24, 0},
    {"v4 previous /24", "192.0.1.255", "192.0.2.0", 24, 0},
    {"v4 /0 holds every v4 address", "198.51.100.7", "0.0.0.0", 0, 1},
    {"v4 /0 holds 255.255.255.255", "255.255.255.255", "0.0.0.0", 0, 1},
    {"v4 /32 exact", "192.0.2.7", "192.0.2.7", 32, 1},
    {"v4 /32 neighbour", "192.0.2.8", "192.0.2.7", 32, 0},
    {"v4 /8 last", "10.255.255.255", "10.0.0.0", 8, 1},
    {"v4 /8 next", "11.0.0.0", "10.0.0.0", 8, 0},
    {"v4 /31 pair", "192.0.2.7", "192.0.2.6", 31, 1},
    {"v4 /31 outside", "192.0.2.8", "192.0.2.6", 31, 0},
    {"v4 length past 32 is clamped", "192.0.2.7", "192.0.2.7", 40, 1},
    {"v4-mapped address in a v4 net", "::ffff:192.0.2.7", "192.0.2.0", 24, 1},
    {"v4 address vs v6 ::/0 (family mismatch)", "192.0.2.7", "::", 0, 0},
    {"v6 address vs v4 0.0.0.0/0 (family mismatch)", "2001:db8::1", "0.0.0.0",
        0, 0},
    {"v4 0.0.0.0 vs v6 :: /128 (family mismatch)", "0.0.0.0", "::", 128, 0},
    {"v6 inside /32", "2001:db8:ffff::1", "2001:db8::", 32, 1},
    {"v6 outside /32", "2001:db9::", "2001:db8::", 32, 0},
    {"v6 /0 holds every v6 address", "fe80::1", "::", 0, 1},
    {"v6 /64 last", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::", 64,
        1},
    {"v6 /64 next", "2001:db8:1:3::", "2001:db8:1:2::", 64, 0},
    {"v6 /33 lower half", "2001:db8:7fff:ffff::", "2001:db8::", 33, 1},
    {"v6 /33 upper half", "2001:db8:8000::", "2001:db8::", 33, 0},
    {"v6 /128 exact", "::1", "::1", 128, 1},
    {"v6 /128 neighbour", "::2", "::1", 128, 0},
    {"v6 length past 128 is clamped", "::1", "::1", 200, 1},
};

/* test_addr_in_prefix - boundaries, /0, /32, /128, family mismatch */
static void
test_addr_in_prefix(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(in_cases); i++) {
		const struct in_case *c = &in_cases[i];
		struct addr a = must_parse(c->addr), net = must_parse(c->net);
		int got = addr_in_prefix(&a, &net, c->plen);

		if (got != c->want) {
			print_error("%s: %s in %s/%u: got %d, want %d\n",
			    c->name, c->addr, c->net, c->plen, got, c->want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

struct fmtp_case {
	const char *addr;
	unsigned plen;
	const char *want;
};

static const struct fmtp_case fmtp_cases[] = {
    {"192.0.2.0", 24, "192.0.2.0/24"},
    {"192.0.2.7", 32, "192.0.2.7"},
    {"192.0.2.7", 40, "192.0.2.7"},
    {"0.0.0.0", 0, "0.0.0.0/0"},
    {"10.0.0.0", 8, "10.0.0.0/8"},
    {"2001:db8::", 32, "2001:db8::/32"},
    {"2001:db8::1", 128, "2001:db8::1"},
    {"::", 0, "::/0"},
    {"2001:db8:1:2::", 64, "2001:db8:1:2::/64"},
    {"2001:db8:1::", 48, "2001:db8:1::/48"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 127,
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"},
};

/* test_addr_format_prefix - "/LEN" only below the full length */
static void
test_addr_format_prefix(void **state)
{
	char buf[ADDR_TEXT_MAX];
	size_t i, n, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(fmtp_cases); i++) {
		const struct fmtp_case *c = &fmtp_cases[i];
		struct addr a = must_parse(c->addr);

		n = addr_format_prefix(&a, c->plen, buf, sizeof(buf));
		if (n != strlen(c->want) || strcmp(buf, c->want) != 0) {
			print_error("%s plen %u: got \"%s\" (%zu), want "
			            "\"%s\"\n",
			    c->addr, c->plen, buf, n, c->want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* test_addr_format_prefix_small_buffer - address or suffix does not fit */
static void
test_addr_format_prefix_small_buffer(void **state)
{
	struct addr a = must_parse("192.0.2.0");
	char buf[ADDR_TEXT_MAX];
	size_t size;

	(void)state;
	/* "192.0.2.0/24" is 12 bytes. */
	for (size = 1; size <= 12; size++) {
		memset(buf, 'X', sizeof(buf));
		if (addr_format_prefix(&a, 24, buf, size) != 0 ||
		    buf[0] != '\0') {
			print_error("size %zu: got \"%.*s\", want \"\" and 0\n",
			    size, (int)size, buf);
			fail();
		}
	}
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(addr_format_prefix(&a, 24, buf, 0), 0);
	assert_int_equal(buf[0], 'X');
	assert_int_equal(addr_format_prefix(&a, 24, buf, 13), 12);
	assert_string_equal(buf, "192.0.2.0/24");
	/* Full length: no suffix, so 10 bytes are enough. */
	assert_int_equal(addr_format_prefix(&a, 32, buf, 10), 9);
	assert_string_equal(buf, "192.0.2.0");
}

/* test_addr_bits - 32 for IPv4 (mapped included), 128 for IPv6 */
static void
test_addr_bits(void **state)
{
	struct addr a;

	(void)state;
	a = must_parse("192.0.2.1");
	assert_int_equal(addr_bits(&a), 32);
	a = must_parse("::ffff:192.0.2.1");
	assert_int_equal(addr_bits(&a), 32);
	a = must_parse("::");
	assert_int_equal(addr_bits(&a), 128);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_parse_valid),
	    cmocka_unit_test(test_addr_parse_invalid),
	    cmocka_unit_test(test_addr_parse_long_input),
	    cmocka_unit_test(test_addr_parse_v4_agrees_with_inet_pton),
	    cmocka_unit_test(test_addr_format_round_trip),
	    cmocka_unit_test(test_addr_format_small_buffer),
	    cmocka_unit_test(test_addr_parse_prefix),
	    cmocka_unit_test(test_addr_parse_prefix_bytes_by_hand),
	    cmocka_unit_test(
	        test_addr_parse_prefix_mapped_length_counts_mapping_bits),
	    cmocka_unit_test(test_addr_mask_v4_every_length),
	    cmocka_unit_test(test_addr_mask_selected_lengths),
	    cmocka_unit_test(test_addr_in_prefix),
	    cmocka_unit_test(test_addr_format_prefix),
	    cmocka_unit_test(test_addr_format_prefix_small_buffer),
	    cmocka_unit_test(test_addr_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
