/*
 * test_spf.c -- SPF checks (milter/spf.c) over libspf2's in-memory zone
 *
 * No network: every name resolves from the records added here; any other
 * name does not exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "spf.h"

#define NOW 1000000

static struct spf *
zone(void)
{
	char err[200];
	struct spf *s;

	s = spf_new_zone(600, 64, 5000, err, sizeof(err));
	assert_non_null(s);
	return s;
}

static void
add(struct spf *s, const char *name, const char *type, const char *data)
{
	char err[200];

	assert_int_equal(
	    spf_zone_add(s, name, type, SPF_ZONE_OK, data, err, sizeof(err)),
	    0);
}

static void
add_status(
    struct spf *s, const char *name, const char *type, enum spf_zone_status st)
{
	char err[200];

	assert_int_equal(
	    spf_zone_add(s, name, type, st, NULL, err, sizeof(err)), 0);
}

static enum spf_result
check(struct spf *s, const char *ip, const char *helo, const char *from,
    char *why, size_t whylen)
{
	struct addr a;

	assert_int_equal(addr_parse(ip, strlen(ip), &a), 0);
	return spf_check(s, &a, helo, from, NOW, why, whylen, NULL);
}

/* The result for <ip> sending as <from>, the reason discarded. */
static enum spf_result
result(struct spf *s, const char *ip, const char *from)
{
	char why[300];

	return check(s, ip, "mx.sender.test", from, why, sizeof(why));
}

static void
test_basic_results(void **state)
{
	struct spf *s = zone();

	(void)state;
	add(s, "pass.test", "TXT", "v=spf1 ip4:192.0.2.0/24 -all");
	add(s, "soft.test", "TXT", "v=spf1 ip4:192.0.2.1 ~all");
	add(s, "neutral.test", "TXT", "v=spf1 ?all");
	add(s, "a.test", "TXT", "v=spf1 a mx -all");
	add(s, "a.test", "A", "198.51.100.7");
	add(s, "a.test", "MX", "mail.a.test");
	add(s, "mail.a.test", "A", "198.51.100.25");
	assert_int_equal(result(s, "192.0.2.9", "u@pass.test"), SPF_RES_PASS);
	assert_int_equal(result(s, "203.0.113.9", "u@pass.test"), SPF_RES_FAIL);
	assert_int_equal(
	    result(s, "203.0.113.9", "u@soft.test"), SPF_RES_SOFTFAIL);
	assert_int_equal(result(s, "192.0.2.1", "u@soft.test"), SPF_RES_PASS);
	assert_int_equal(
	    result(s, "203.0.113.9", "u@neutral.test"), SPF_RES_NEUTRAL);
	assert_int_equal(result(s, "198.51.100.7", "u@a.test"), SPF_RES_PASS);
	assert_int_equal(result(s, "198.51.100.25", "u@a.test"), SPF_RES_PASS);
	assert_int_equal(result(s, "198.51.100.26", "u@a.test"), SPF_RES_FAIL);
	/* No record, no domain at all. */
	add(s, "norecord.test", "A", "192.0.2.50");
	assert_int_equal(
	    result(s, "192.0.2.9", "u@norecord.test"), SPF_RES_NONE);
	assert_int_equal(
	    result(s, "192.0.2.9", "u@nxdomain.test"), SPF_RES_NONE);
	spf_free(s);
}

static void
test_fail_explanation(void **state)
{
	struct spf *s = zone();
	char why[300];

	(void)state;
	add(s, "exp.test", "TXT", "v=spf1 -all exp=why.exp.test");
	add(s, "why.exp.test", "TXT", "%{i} may not send for %{d}");
	assert_int_equal(
	    check(s, "203.0.113.5", "h.test", "bob@exp.test", why, sizeof(why)),
	    SPF_RES_FAIL);
	/* libspf2 puts the expanded explanation into its SMTP comment. */
	assert_non_null(strstr(why, "203.0.113.5"));
	spf_free(s);
}

static void
test_errors(void **state)
{
	struct spf *s = zone();
	char why[300];

	(void)state;
	add(s, "syntax.test", "TXT", "v=spf1 ip4:300.1.2.3 -all");
	add(s, "unknown.test", "TXT", "v=spf1 frobnicate:x -all");
	add(s, "two.test", "TXT", "v=spf1 -all");
	add(s, "two.test", "TXT", "v=spf1 +all");
	add_status(s, "servfail.test", "TXT", SPF_ZONE_SERVFAIL);
	add(s, "inctemp.test", "TXT", "v=spf1 include:servfail.test -all");
	add(s, "incnone.test", "TXT", "v=spf1 include:norec.test -all");
	add(s, "norec.test", "A", "192.0.2.1");
	assert_int_equal(
	    result(s, "192.0.2.9", "u@syntax.test"), SPF_RES_PERMERROR);
	assert_int_equal(
	    result(s, "192.0.2.9", "u@unknown.test"), SPF_RES_PERMERROR);
	/* Two records: permerror (RFC 7208 4.5). */
	assert_int_equal(
	    result(s, "192.0.2.9", "u@two.test"), SPF_RES_PERMERROR);
	assert_int_equal(check(s, "192.0.2.9", "h.test", "u@servfail.test", why,
	                     sizeof(why)),
	    SPF_RES_TEMPERROR);
	assert_int_equal(
	    result(s, "192.0.2.9", "u@inctemp.test"), SPF_RES_TEMPERROR);
	/* include: of a domain without a record is a permerror. */
	assert_int_equal(
	    result(s, "192.0.2.9", "u@incnone.test"), SPF_RES_PERMERROR);
	spf_free(s);
}

static void
test_include_redirect(void **state)
{
	struct spf *s = zone();

	(void)state;
	add(s, "inc.test", "TXT", "v=spf1 include:_spf.inc.test -all");
	add(s, "_spf.inc.test", "TXT",
	    "v=spf1 include:_spf2.inc.test ip4:192.0.2.10 -all");
	add(s, "_spf2.inc.test", "TXT", "v=spf1 ip6:2001:db8::/32 -all");
	add(s, "red.test", "TXT", "v=spf1 redirect=_spf.red.test");
	add(s, "_spf.red.test", "TXT", "v=spf1 ip4:198.51.100.0/24 ~all");
	assert_int_equal(result(s, "192.0.2.10", "u@inc.test"), SPF_RES_PASS);
	assert_int_equal(result(s, "2001:db8::5", "u@inc.test"), SPF_RES_PASS);
	/* A fail inside an include is no match: the outer -all decides. */
	assert_int_equal(result(s, "192.0.2.11", "u@inc.test"), SPF_RES_FAIL);
	assert_int_equal(result(s, "198.51.100.3", "u@red.test"), SPF_RES_PASS);
	assert_int_equal(
	    result(s, "203.0.113.3", "u@red.test"), SPF_RES_SOFTFAIL);
	spf_free(s);
}

static void
test_macros(void **state)
{
	struct spf *s = zone();

	(void)state;
	/* exists: with the client's address reversed and the local part. */
	add(s, "mac.test", "TXT",
	    "v=spf1 exists:%{ir}.%{l}.allow.mac.test -all");
	add(s, "7.100.51.198.bob.allow.mac.test", "A", "127.0.0.2");
	assert_int_equal(
	    result(s, "198.51.100.7", "bob@mac.test"), SPF_RES_PASS);
	assert_int_equal(
	    result(s, "198.51.100.8", "bob@mac.test"), SPF_RES_FAIL);
	/* %{d} and %{o} in an include target. */
	add(s, "macd.test", "TXT", "v=spf1 include:_s.%{d} -all");
	add(s, "_s.macd.test", "TXT", "v=spf1 ip4:192.0.2.77 -all");
	assert_int_equal(result(s, "192.0.2.77", "x@macd.test"), SPF_RES_PASS);
	spf_free(s);
}

static void
test_void_lookups(void **state)
{
	struct spf *s = zone();

	(void)state;
	/* Two void lookups are allowed, the third is a permerror. */
	add(s, "void2.test", "TXT",
	    "v=spf1 a:nx1.void2.test a:nx2.void2.test ip4:192.0.2.1 -all");
	add(s, "void3.test", "TXT",
	    "v=spf1 a:nx1.void3.test a:nx2.void3.test a:nx3.void3.test "
	    "ip4:192.0.2.1 -all");
	add(s, "voidmx.test", "TXT",
	    "v=spf1 mx:nx1.voidmx.test mx:nx2.voidmx.test "
	    "exists:nx3.voidmx.test ip4:192.0.2.1 -all");
	assert_int_equal(result(s, "192.0.2.1", "u@void2.test"), SPF_RES_PASS);
	assert_int_equal(
	    result(s, "192.0.2.1", "u@void3.test"), SPF_RES_PERMERROR);
	assert_int_equal(
	    result(s, "192.0.2.1", "u@voidmx.test"), SPF_RES_PERMERROR);
	spf_free(s);
}

static void
test_loops_and_chains(void **state)
{
	struct spf *s = zone();
	char name[64], rec[128];
	int i;

	(void)state;
	/* include loop and redirect loop end at the 10-lookup limit. */
	add(s, "loop.test", "TXT", "v=spf1 include:loop.test -all");
	add(s, "rloop.test", "TXT", "v=spf1 redirect=rloop.test");
	add(s, "ping.test", "TXT", "v=spf1 include:pong.test -all");
	add(s, "pong.test", "TXT", "v=spf1 include:ping.test -all");
	assert_int_equal(
	    result(s, "192.0.2.1", "u@loop.test"), SPF_RES_PERMERROR);
	assert_int_equal(
	    result(s, "192.0.2.1", "u@rloop.test"), SPF_RES_PERMERROR);
	assert_int_equal(
	    result(s, "192.0.2.1", "u@ping.test"), SPF_RES_PERMERROR);
	/*
	 * A chain of includes: c0 -> c1 -> ... -> c9 (9 includes), c9 holds
	 * the address: within the limit. d0 -> ... -> d10 (11 includes):
	 * past it.
	 */
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "c%d.chain.test", i);
		snprintf(rec, sizeof(rec), "v=spf1 include:c%d.chain.test -all",
		    i + 1);
		add(s, name, "TXT", rec);
	}
	add(s, "c9.chain.test", "TXT", "v=spf1 ip4:192.0.2.99 -all");
	for (i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "d%d.chain.test", i);
		snprintf(rec, sizeof(rec), "v=spf1 include:d%d.chain.test -all",
		    i + 1);
		add(s, name, "TXT", rec);
	}
	add(s, "d11.chain.test", "TXT", "v=spf1 ip4:192.0.2.99 -all");
	assert_int_equal(
	    result(s, "192.0.2.99", "u@c0.chain.test"), SPF_RES_PASS);
	assert_int_equal(
	    result(s, "192.0.2.99", "u@d0.chain.test"), SPF_RES_PERMERROR);
	spf_free(s);
}

static void
test_identities(void **state)
{
	struct spf *s = zone();
	char why[300];

	(void)state;
	add(s, "helo.test", "TXT", "v=spf1 ip4:192.0.2.5 -all");
	/* Null sender: the HELO identity. */
	assert_int_equal(
	    check(s, "192.0.2.5", "helo.test", "", why, sizeof(why)),
	    SPF_RES_PASS);
	assert_int_equal(
	    check(s, "192.0.2.6", "helo.test", "", why, sizeof(why)),
	    SPF_RES_FAIL);
	/* Null sender and no usable HELO; a sender without a domain. */
	assert_int_equal(
	    check(s, "192.0.2.5", "", "", why, sizeof(why)), SPF_RES_NONE);
	assert_non_null(strstr(why, "HELO"));
	assert_int_equal(
	    check(s, "192.0.2.5", "[192.0.2.5]", "", why, sizeof(why)),
	    SPF_RES_NONE);
	assert_int_equal(
	    check(s, "192.0.2.5", "helo.test", "nodomain", why, sizeof(why)),
	    SPF_RES_NONE);
	assert_non_null(strstr(why, "no domain"));
	assert_int_equal(
	    check(s, "192.0.2.5", "helo.test", "u@", why, sizeof(why)),
	    SPF_RES_NONE);
	assert_int_equal(
	    check(s, "192.0.2.5", "helo.test", "u@bad..test", why, sizeof(why)),
	    SPF_RES_NONE);
	assert_int_equal(check(s, "192.0.2.5", "helo.test",
	                     "u@bad\x01\"domain.test", why, sizeof(why)),
	    SPF_RES_NONE);
	/* Case does not matter. */
	assert_int_equal(result(s, "192.0.2.5", "U@HELO.Test"), SPF_RES_PASS);
	spf_free(s);
}

static void
test_ipv6(void **state)
{
	struct spf *s = zone();

	(void)state;
	add(s, "six.test", "TXT", "v=spf1 ip6:2001:db8:1::/48 a -all");
	add(s, "six.test", "AAAA", "2001:db8:2::25");
	assert_int_equal(
	    result(s, "2001:db8:1::7", "u@six.test"), SPF_RES_PASS);
	assert_int_equal(
	    result(s, "2001:db8:2::25", "u@six.test"), SPF_RES_PASS);
	assert_int_equal(
	    result(s, "2001:db8:3::1", "u@six.test"), SPF_RES_FAIL);
	/* An IPv4 client never matches an ip6 mechanism. */
	assert_int_equal(result(s, "192.0.2.1", "u@six.test"), SPF_RES_FAIL);
	spf_free(s);
}

static void
test_hostile_records(void **state)
{
	struct spf *s = zone();
	char big[600], why[300];
	size_t i;

	(void)state;
	/* A long record of nonsense, control bytes, a huge macro. */
	memset(big, 0, sizeof(big));
	memcpy(big, "v=spf1 ", 7);
	for (i = 7; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + i % 26);
	add(s, "big.test", "TXT", big);
	add(s, "ctl.test", "TXT", "v=spf1 ip4:192.0.2.1\x01\x7f -all");
	add(s, "mac.test", "TXT",
	    "v=spf1 exists:%{l}%{l}%{l}%{l}%{l}%{l}%{l}%{l}.x.test -all");
	add(s, "badmac.test", "TXT", "v=spf1 exists:%{z}.x.test -all");
	add(s, "exp.test", "TXT", "v=spf1 -all exp=e.exp.test");
	add(s, "e.exp.test", "TXT", "bad\r\nheader: x %{i}");
	assert_int_equal(
	    result(s, "192.0.2.1", "u@big.test"), SPF_RES_PERMERROR);
	assert_int_equal(
	    result(s, "192.0.2.1", "u@ctl.test"), SPF_RES_PERMERROR);
	assert_true(
	    result(s, "192.0.2.1",
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	        "aaaa@mac.test") != SPF_RES_PASS);
	assert_int_equal(
	    result(s, "192.0.2.1", "u@badmac.test"), SPF_RES_PERMERROR);
	assert_int_equal(
	    check(s, "192.0.2.1", "h.test", "u@exp.test", why, sizeof(why)),
	    SPF_RES_FAIL);
	/* Whatever the explanation said, the reason is one printable line. */
	for (i = 0; why[i] != '\0'; i++)
		assert_true(why[i] >= ' ' && why[i] <= '~');
	spf_free(s);
}

static void
test_cache(void **state)
{
	char err[200], why[300];
	int cached = -1;
	struct spf *s;
	struct addr a;

	(void)state;
	s = spf_new_zone(60, 16, 5000, err, sizeof(err));
	assert_non_null(s);
	add(s, "c.test", "TXT", "v=spf1 ip4:192.0.2.1 -all");
	assert_int_equal(addr_parse("192.0.2.1", 9, &a), 0);
	assert_int_equal(
	    spf_check(s, &a, "h", "u@c.test", 100, why, sizeof(why), &cached),
	    SPF_RES_PASS);
	assert_int_equal(cached, 0);
	/* Same client and domain, another local part: from the cache. */
	assert_int_equal(
	    spf_check(s, &a, "h", "v@C.test", 150, why, sizeof(why), &cached),
	    SPF_RES_PASS);
	assert_int_equal(cached, 1);
	/* Expired: asked again. */
	assert_int_equal(
	    spf_check(s, &a, "h", "u@c.test", 161, why, sizeof(why), &cached),
	    SPF_RES_PASS);
	assert_int_equal(cached, 0);
	/* Another client: its own entry. */
	assert_int_equal(addr_parse("192.0.2.2", 9, &a), 0);
	assert_int_equal(
	    spf_check(s, &a, "h", "u@c.test", 162, why, sizeof(why), &cached),
	    SPF_RES_FAIL);
	assert_int_equal(cached, 0);
	spf_free(s);
	/* ttl 0: no cache at all. */
	s = spf_new_zone(0, 16, 5000, err, sizeof(err));
	assert_non_null(s);
	add(s, "c.test", "TXT", "v=spf1 ip4:192.0.2.1 -all");
	assert_int_equal(
	    spf_check(s, &a, "h", "u@c.test", 1, why, sizeof(why), &cached),
	    SPF_RES_FAIL);
	assert_int_equal(
	    spf_check(s, &a, "h", "u@c.test", 1, why, sizeof(why), &cached),
	    SPF_RES_FAIL);
	assert_int_equal(cached, 0);
	spf_free(s);
}

static void
test_zone_api(void **state)
{
	char err[200];
	struct spf *s = zone(), *r;

	(void)state;
	assert_int_equal(spf_zone_add(s, "x.test", "HINFO", SPF_ZONE_OK, "x",
	                     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "type"));
	assert_int_equal(spf_zone_add(s, "x.test", "TXT", SPF_ZONE_NXDOMAIN,
	                     "x", err, sizeof(err)),
	    -1);
	spf_free(s);
	r = spf_new(60, 16, 1000, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(spf_zone_add(r, "x.test", "TXT", SPF_ZONE_OK,
	                     "v=spf1 -all", err, sizeof(err)),
	    -1);
	spf_free(r);
	spf_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_results),
	    cmocka_unit_test(test_fail_explanation),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_include_redirect),
	    cmocka_unit_test(test_macros),
	    cmocka_unit_test(test_void_lookups),
	    cmocka_unit_test(test_loops_and_chains),
	    cmocka_unit_test(test_identities),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_hostile_records),
	    cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_zone_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
