/*
 * test_policy.c -- unit tests for the policy file parser, printer, matcher
 *
 * DESCRIPTION
 *	Table-driven cases ({ name, input, want }, reported as "got X, want
 *	Y") for every rule form, action, ban, IPv6 prefixes, comments, blank
 *	lines and CRLF; every error message with its exact file:line:col
 *	text; golden files under TEST_DATA_DIR/policy (NN-name.in with either
 *	NN-name.ok, the canonical print, or NN-name.err, the exact messages);
 *	print -> parse round trips; domain and list matching and their
 *	specificity order; and a robustness pass that feeds every prefix of
 *	a valid file and a few thousand deterministic random mutations to
 *	policy_parse() (meant to run under ASan/UBSan).
 *	Expected values are written by hand, never computed by the module.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must name the tests/data directory"
#endif
#define POLICY_DIR TEST_DATA_DIR "/policy"

/* A valid file that uses every rule form, comments, tabs and a CRLF. */
static const char valid_text[] = "# robustness seed\n"
                                 "allow ip 192.0.2.0/24   # v4 prefix\n"
                                 "allow ip 2001:db8::/32\r\n"
                                 "allow domain example.org\n"
                                 "\n"
                                 "allow list private-*\n"
                                 "limit ip 5/12h hold ban 24h\n"
                                 "\tlimit subnet 20/12h hold\n"
                                 "limit domain yahoo.com 100/1h defer\n"
                                 "limit domain *.edu 30/1h reject ban 90s\n"
                                 "limit domain * 50/1h discard\n"
                                 "limit list * 200/1h accept\n"
                                 "limit list announce 20/1h hold\n";

/* join_errors - the messages of <e>, each followed by a newline */
static char *
join_errors(const struct policy_errors *e)
{
	size_t i, len = 1, off = 0;
	char *s;

	for (i = 0; i < e->n; i++)
		len += strlen(e->v[i].msg) + 1;
	s = malloc(len);
	assert_non_null(s);
	for (i = 0; i < e->n; i++) {
		size_t n = strlen(e->v[i].msg);

		memcpy(s + off, e->v[i].msg, n);
		off += n;
		s[off++] = '\n';
	}
	s[off] = '\0';
	return s;
}

/*
 * run - parse <len> bytes of <in> as file <name>; returns a new string, the
 * canonical print on success or the joined errors on failure, and sets
 * <*rc> to policy_parse()'s result.
 */
static char *
run(const char *in, size_t len, const char *name, int *rc)
{
	struct policy_errors errs = {0};
	struct policy *p = (struct policy *)0x1;
	char *out;

	*rc = policy_parse(in, len, name, &p, &errs);
	if (*rc == 0) {
		assert_non_null(p);
		assert_int_equal(errs.n, 0);
		out = policy_print(p);
		assert_non_null(out);
	} else {
		assert_int_equal(*rc, -1);
		assert_null(p);
		assert_true(errs.n >= 1);
		out = join_errors(&errs);
	}
	policy_free(p);
	policy_errors_free(&errs);
	assert_null(errs.v);
	assert_int_equal(errs.n, 0);
	return out;
}

/* rule_eq - 1 when two rules are equal apart from their line number */
static int
rule_eq(const struct policy_rule *a, const struct policy_rule *b)
{
	if (a->allow != b->allow || a->scope != b->scope ||
	    a->count != b->count || a->window_s != b->window_s ||
	    a->action != b->action || a->ban_s != b->ban_s ||
	    a->plen != b->plen || a->net.family != b->net.family ||
	    memcmp(a->net.bytes, b->net.bytes, sizeof(a->net.bytes)) != 0)
		return 0;
	if (a->pattern == NULL || b->pattern == NULL)
		return a->pattern == b->pattern;
	return strcmp(a->pattern, b->pattern) == 0;
}

/*
 * check_round_trip - <p> prints, the print parses to an equal policy, and
 * printing that gives the same text again.
 */
static void
check_round_trip(const char *what, const struct policy *p)
{
	struct policy_errors errs = {0};
	struct policy *q = NULL;
	char *t1, *t2;
	size_t i;
	int s;

	t1 = policy_print(p);
	assert_non_null(t1);
	if (policy_parse(t1, strlen(t1), "print", &q, &errs) != 0) {
		print_error("%s: print does not parse: got %s\n", what,
		    errs.n > 0 ? errs.v[0].msg : "?");
		fail();
	}
	assert_int_equal(q->nrules, p->nrules);
	for (i = 0; i < p->nrules; i++) {
		if (!rule_eq(&p->rules[i], &q->rules[i])) {
			print_error(
			    "%s: rule %zu differs after round trip\n", what, i);
			fail();
		}
	}
	for (s = 0; s < SCOPE_COUNT; s++) {
		assert_int_equal(q->max_count[s], p->max_count[s]);
		assert_int_equal(q->max_window_s[s], p->max_window_s[s]);
		assert_int_equal(q->max_ban_s[s], p->max_ban_s[s]);
	}
	t2 = policy_print(q);
	assert_non_null(t2);
	if (strcmp(t1, t2) != 0) {
		print_error(
		    "%s: print is not a fixed point: got\n%s\nwant\n%s\n", what,
		    t2, t1);
		fail();
	}
	free(t1);
	free(t2);
	policy_free(q);
	policy_errors_free(&errs);
}

/* check_text_round_trip - parse <in> (which must be valid), round trip */
static void
check_text_round_trip(const char *what, const char *in, size_t len)
{
	struct policy *p = NULL;

	assert_int_equal(policy_parse(in, len, what, &p, NULL), 0);
	check_round_trip(what, p);
	policy_free(p);
}

struct str_case {
	const char *name;
	const char *input;
	const char *want;
};

static const struct str_case ok_cases[] = {
    {"allow ip v4 prefix", "allow ip 192.0.2.0/24\n",
        "allow ip 192.0.2.0/24\n"},
    {"allow ip v4 host drops /32", "allow ip 192.0.2.7/32",
        "allow ip 192.0.2.7\n"},
    {"allow ip v4 any", "allow ip 0.0.0.0/0", "allow ip 0.0.0.0/0\n"},
    {"allow ip v6 prefix", "allow ip 2001:db8::/32",
        "allow ip 2001:db8::/32\n"},
    {"allow ip v6 /48", "allow ip 2001:0db8:0001::/48",
        "allow ip 2001:db8:1::/48\n"},
    {"allow ip v6 host", "allow ip 2001:db8::1", "allow ip 2001:db8::1\n"},
    {"allow ip v6 /128 drops the length", "allow ip 2001:db8::1/128",
        "allow ip 2001:db8::1\n"},
    {"allow ip v6 upper case", "allow ip 2001:DB8::A/128",
        "allow ip 2001:db8::a\n"},
    {"allow ip v6 any", "allow ip ::/0", "allow ip ::/0\n"},
    {"allow ip v4-mapped host folds to v4", "allow ip ::ffff:192.0.2.1",
        "allow ip 192.0.2.1\n"},
    {"allow ip v4-mapped prefix folds to v4", "allow ip ::ffff:192.0.2.0/120",
        "allow ip 192.0.2.0/24\n"},
    {"allow domain exact", "allow domain example.org",
        "allow domain example.org\n"},
    {"allow domain suffix", "allow domain *.example.org",
        "allow domain *.example.org\n"},
    {"allow domain any", "allow domain *", "allow domain *\n"},
    {"allow domain lower-cased", "allow domain ExAmPle.ORG",
        "allow domain example.org\n"},
    {"allow domain digits and hyphens", "allow domain 1-2.x-y.example",
        "allow domain 1-2.x-y.example\n"},
    {"allow list exact", "allow list announce", "allow list announce\n"},
    {"allow list glob", "allow list private-*", "allow list private-*\n"},
    {"allow list mailman 3 name", "allow list Team@Lists.Example.org",
        "allow list team@lists.example.org\n"},
    {"allow list hash inside token", "allow list a#b # comment",
        "allow list a#b\n"},
    {"limit ip", "limit ip 5/12h hold", "limit ip 5/12h hold\n"},
    {"limit ip ban 24h prints 1d", "limit ip 5/12h hold ban 24h",
        "limit ip 5/12h hold ban 1d\n"},
    {"limit subnet", "limit subnet 20/12h hold", "limit subnet 20/12h hold\n"},
    {"limit domain exact", "limit domain yahoo.com 100/1h defer",
        "limit domain yahoo.com 100/1h defer\n"},
    {"limit domain suffix", "limit domain *.edu 30/1h defer",
        "limit domain *.edu 30/1h defer\n"},
    {"limit domain any", "limit domain * 50/1h defer",
        "limit domain * 50/1h defer\n"},
    {"limit list any", "limit list * 200/1h hold",
        "limit list * 200/1h hold\n"},
    {"limit list exact with ban", "limit list announce 20/1h hold ban 2h",
        "limit list announce 20/1h hold ban 2h\n"},
    {"action accept", "limit ip 1/1s accept", "limit ip 1/1s accept\n"},
    {"action defer", "limit ip 1/1s defer", "limit ip 1/1s defer\n"},
    {"action hold", "limit ip 1/1s hold", "limit ip 1/1s hold\n"},
    {"action reject", "limit ip 1/1s reject", "limit ip 1/1s reject\n"},
    {"action discard", "limit ip 1/1s discard", "limit ip 1/1s discard\n"},
    {"durations use the largest exact unit",
        "limit ip 1/60s hold ban 120m\nlimit ip 1/90s hold ban 36h\n"
        "limit ip 1/86400s hold ban 1440m\n",
        "limit ip 1/1m hold ban 2h\nlimit ip 1/90s hold ban 36h\n"
        "limit ip 1/1d hold ban 1d\n"},
    {"leading zeros", "limit ip 007/0012h hold ban 01d",
        "limit ip 7/12h hold ban 1d\n"},
    {"bounds",
        "limit ip 0/1s accept ban 1s\nlimit ip 100000/366d hold "
        "ban 366d",
        "limit ip 0/1s accept ban 1s\nlimit ip 100000/366d hold ban "
        "366d\n"},
    {"comments and blank lines",
        "# head\n\n   \n\t\n  # indented\nlimit ip 5/1h hold # tail\n#\n",
        "limit ip 5/1h hold\n"},
    {"comment right after the last token's space", "limit ip 5/1h hold #tail",
        "limit ip 5/1h hold\n"},
    {"tabs and runs of spaces", "\tlimit \t ip\t\t5/1h   hold  \t",
        "limit ip 5/1h hold\n"},
    {"CRLF line endings",
        "allow ip 192.0.2.0/24\r\n\r\nlimit ip 5/1h hold # c\r\n",
        "allow ip 192.0.2.0/24\nlimit ip 5/1h hold\n"},
    {"CR on the last line without newline", "limit ip 5/1h hold\r",
        "limit ip 5/1h hold\n"},
    {"no newline at end", "allow domain a.b\nlimit ip 5/1h hold",
        "allow domain a.b\nlimit ip 5/1h hold\n"},
    {"file order is kept",
        "limit list * 1/1h hold\nallow ip 10.0.0.0/8\nlimit ip 2/1h "
        "defer\n",
        "limit list * 1/1h hold\nallow ip 10.0.0.0/8\nlimit ip 2/1h "
        "defer\n"},
    {"empty file", "", ""},
    {"only comments", "# a\n# b", ""},
};

/* test_policy_parse_rule_forms - every form prints as written by hand */
static void
test_policy_parse_rule_forms(void **state)
{
	size_t i, bad = 0;
	char *got;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct str_case *c = &ok_cases[i];

		got = run(c->input, strlen(c->input), "t", &rc);
		if (rc != 0 || strcmp(got, c->want) != 0) {
			print_error("%s: got \"%s\" (rc %d), want \"%s\"\n",
			    c->name, got, rc, c->want);
			bad++;
		} else {
			check_text_round_trip(
			    c->name, c->input, strlen(c->input));
		}
		free(got);
	}
	assert_int_equal(bad, 0);
}

static const struct str_case err_cases[] = {
    {"unknown keyword", "limt ip 5/12h hold",
        "t:1:1: unknown keyword \"limt\" (want allow, limit or spf)\n"},
    {"keyword case", "LIMIT ip 5/12h hold",
        "t:1:1: unknown keyword \"LIMIT\" (want allow, limit or spf; keywords "
        "are lower-case)\n"},
    {"unknown action", "limit ip 5/12h holdd",
        "t:1:16: unknown action \"holdd\" (want accept, defer, hold, "
        "reject or discard)\n"},
    {"bad rate unit", "\n\nlimit ip 5/12x hold",
        "t:3:10: bad rate \"5/12x\": want N/DURATION with a unit s, m, h "
        "or d\n"},
    {"rate without unit", "limit ip 5/12 hold",
        "t:1:10: bad rate \"5/12\": want N/DURATION with a unit s, m, h "
        "or d\n"},
    {"rate count too big", "limit ip 100001/1h hold",
        "t:1:10: bad rate \"100001/1h\": N must be 0..100000\n"},
    {"rate count overflows", "limit ip 99999999999999999999999/1h hold",
        "t:1:10: bad rate \"99999999999999999999999/1h\": N must be "
        "0..100000\n"},
    {"window zero", "limit ip 5/0h hold",
        "t:1:10: bad rate \"5/0h\": window must be 1s..366d\n"},
    {"window too long", "limit ip 5/8785h hold",
        "t:1:10: bad rate \"5/8785h\": window must be 1s..366d\n"},
    {"window overflows", "limit ip 5/99999999999999999999d hold",
        "t:1:10: bad rate \"5/99999999999999999999d\": window must be "
        "1s..366d\n"},
    {"missing rate", "limit subnet",
        "t:1:13: missing rate after \"limit subnet\" (want N/DURATION, "
        "e.g. 5/12h)\n"},
    {"missing action", "limit ip 5/1h   # c",
        "t:1:14: missing action after rate (want accept, defer, hold, "
        "reject or discard)\n"},
    {"missing ban duration", "limit ip 5/1h hold ban",
        "t:1:23: missing duration after \"ban\" (want N with a unit s, m, "
        "h or d)\n"},
    {"bad ban duration", "limit ip 5/1h hold ban forever",
        "t:1:24: bad ban duration \"forever\": want N with a unit s, m, h "
        "or d\n"},
    {"ban too long", "limit ip 5/1h hold ban 367d",
        "t:1:24: bad ban duration \"367d\": must be 1s..366d\n"},
    {"ban zero", "limit ip 5/1h hold ban 0m",
        "t:1:24: bad ban duration \"0m\": must be 1s..366d\n"},
    {"extra after action", "limit ip 5/1h hold now",
        "t:1:20: unexpected \"now\" after action (want \"ban DURATION\" or "
        "end of rule)\n"},
    {"extra after ban", "limit ip 5/1h hold ban 1h now",
        "t:1:27: unexpected \"now\" after end of rule\n"},
    {"extra after allow", "allow domain a.org b.org",
        "t:1:20: unexpected \"b.org\" after end of rule\n"},
    {"missing scope", "allow   ",
        "t:1:6: missing scope after \"allow\" (want ip, domain or list)\n"},
    {"unknown scope", "limit domains * 1/1h hold",
        "t:1:7: unknown scope \"domains\" (want ip, subnet, domain or "
        "list)\n"},
    {"scope case", "limit IP 1/1h hold",
        "t:1:7: unknown scope \"IP\" (want ip, subnet, domain or list; "
        "keywords are lower-case)\n"},
    {"allow subnet", "allow subnet 10.0.0.0/8",
        "t:1:7: \"allow subnet\" is not a rule (use \"allow ip "
        "PREFIX\")\n"},
    {"missing address", "allow ip # none",
        "t:1:9: missing address after \"allow ip\" (want an IPv4 or IPv6 "
        "address or prefix)\n"},
    {"bad address", "allow ip 192.0.2",
        "t:1:10: bad address \"192.0.2\": want an IPv4 or IPv6 address or "
        "prefix\n"},
    {"bad v6 address", "allow ip 2001:db8:::1",
        "t:1:10: bad address \"2001:db8:::1\": want an IPv4 or IPv6 "
        "address or prefix\n"},
    {"v4 host bits", "allow ip 192.0.2.1/24",
        "t:1:10: bad prefix \"192.0.2.1/24\": host bits are set (did you "
        "mean 192.0.2.0/24?)\n"},
    {"v6 host bits", "allow ip 2001:db8::1/32",
        "t:1:10: bad prefix \"2001:db8::1/32\": host bits are set (did "
        "you mean 2001:db8::/32?)\n"},
    {"v4 prefix too long", "allow ip 10.0.0.0/33",
        "t:1:10: bad prefix length in \"10.0.0.0/33\": want 0..32 for "
        "IPv4\n"},
    {"v6 prefix not a number", "allow ip ::/x",
        "t:1:10: bad prefix length in \"::/x\": want 0..128 for IPv6\n"},
    {"v4-mapped prefix too short", "allow ip ::ffff:0.0.0.0/95",
        "t:1:10: bad prefix length in \"::ffff:0.0.0.0/95\": want 96..128 "
        "for IPv4-mapped IPv6\n"},
    {"missing domain pattern", "allow domain",
        "t:1:13: missing pattern after \"allow domain\"\n"},
    {"domain bad character", "allow domain ex_ample.org",
        "t:1:14: bad domain pattern \"ex_ample.org\": invalid character "
        "'_' (want letters, digits, '-' and '.')\n"},
    {"domain empty label", "allow domain example..org",
        "t:1:14: bad domain pattern \"example..org\": empty label\n"},
    {"domain trailing dot", "allow domain example.org.",
        "t:1:14: bad domain pattern \"example.org.\": empty label\n"},
    {"domain star inside", "limit domain mail.*.org 1/1h hold",
        "t:1:14: bad domain pattern \"mail.*.org\": '*' may only be the "
        "whole pattern or lead \"*.suffix\"\n"},
    {"domain star without dot", "allow domain *example.org",
        "t:1:14: bad domain pattern \"*example.org\": '*' may only be the "
        "whole pattern or lead \"*.suffix\"\n"},
    {"domain empty suffix", "allow domain *.",
        "t:1:14: bad domain pattern \"*.\": empty suffix after \"*.\"\n"},
    {"domain missing before rate", "limit domain 50/1h defer",
        "t:1:14: missing domain pattern before rate \"50/1h\"\n"},
    {"list missing before rate", "limit list 50/1h defer",
        "t:1:12: missing list pattern before rate \"50/1h\"\n"},
    {"list control byte", "allow list a\x01z",
        "t:1:12: bad list pattern \"a\\x01z\": invalid byte 0x01 (want "
        "printable characters)\n"},
    {"list quote and backslash are escaped", "allow list a\"b\\\x7f",
        "t:1:12: bad list pattern \"a\\\"b\\\\\\x7f\": invalid byte 0x7f "
        "(want printable characters)\n"},
    {"address given to limit ip", "limit ip 10.0.0.0/8 5/1h hold",
        "t:1:10: bad rate \"10.0.0.0/8\": want N/DURATION with a unit s, "
        "m, h or d (\"limit ip\" and \"limit subnet\" take no address)\n"},
    {"hash glued to a token is not a comment", "limit ip 5/1h hold#x",
        "t:1:15: unknown action \"hold#x\" (want accept, defer, hold, "
        "reject or discard)\n"},
    {"stray CR inside a line", "limit ip 5/1h\r hold",
        "t:1:10: bad rate \"5/1h\\x0d\": want N/DURATION with a unit s, m, "
        "h or d\n"},
    {"one error per line, every line",
        "limt a b\nlimit ip 5/1h hold\nallow ip x y z\nlimit ip 5/1h h "
        "ban x\n",
        "t:1:1: unknown keyword \"limt\" (want allow, limit or spf)\n"
        "t:3:10: bad address \"x\": want an IPv4 or IPv6 address or "
        "prefix\n"
        "t:4:15: unknown action \"h\" (want accept, defer, hold, reject "
        "or discard)\n"},
    {"errors after CRLF lines keep their columns",
        "allow ip 10.0.0.0/8\r\nlimit ip 5/1h hold ban 0s\r\n",
        "t:2:24: bad ban duration \"0s\": must be 1s..366d\n"},
};

/* test_policy_parse_errors - every message, exactly */
static void
test_policy_parse_errors(void **state)
{
	size_t i, bad = 0;
	char *got;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct str_case *c = &err_cases[i];

		got = run(c->input, strlen(c->input), "t", &rc);
		if (rc != -1 || strcmp(got, c->want) != 0) {
			print_error("%s: got \"%s\" (rc %d), want \"%s\"\n",
			    c->name, got, rc, c->want);
			bad++;
		}
		free(got);
	}
	assert_int_equal(bad, 0);
}

/* test_policy_parse_error_fields - line and col match the message */
static void
test_policy_parse_error_fields(void **state)
{
	static const char in[] = "\n  limit ip 5/1h holdd\nallow ip\n";
	struct policy_errors errs = {0};
	struct policy *p = NULL;

	(void)state;
	assert_int_equal(policy_parse(in, sizeof(in) - 1, "f", &p, &errs), -1);
	assert_null(p);
	assert_int_equal(errs.n, 2);
	assert_int_equal(errs.v[0].line, 2);
	assert_int_equal(errs.v[0].col, 17);
	assert_string_equal(errs.v[0].msg,
	    "f:2:17: unknown action \"holdd\" (want accept, defer, hold, "
	    "reject or discard)");
	assert_int_equal(errs.v[1].line, 3);
	assert_int_equal(errs.v[1].col, 9);
	/* errs is appended to, not reset. */
	assert_int_equal(policy_parse("x", 1, "g", &p, &errs), -1);
	assert_int_equal(errs.n, 3);
	assert_string_equal(errs.v[2].msg,
	    "g:1:1: unknown keyword \"x\" (want allow, limit or spf)");
	policy_errors_free(&errs);
	assert_int_equal(errs.n, 0);
	assert_int_equal(errs.cap, 0);
	assert_null(errs.v);
	policy_errors_free(&errs);
	policy_errors_free(NULL);
}

/* test_policy_parse_nul_and_long_lines - binary and oversized input */
static void
test_policy_parse_nul_and_long_lines(void **state)
{
	static const char nul[] = "limit ip 5/1h hold\nlimit ip 5\0/1h hold\n"
	                          "# comment \0 too\nlimit ip 5/1h hold\n";
	char *buf, *got;
	size_t len = 4096 + 1 + 4097 + 1 + 5000;
	int rc;

	(void)state;
	got = run(nul, sizeof(nul) - 1, "n", &rc);
	assert_int_equal(rc, -1);
	assert_string_equal(got,
	    "n:2:11: NUL byte in line (a policy file is text)\n"
	    "n:3:11: NUL byte in line (a policy file is text)\n");
	free(got);

	/* 4096 bytes is fine; 4097 and 5000 are not. */
	buf = malloc(len);
	assert_non_null(buf);
	memset(buf, ' ', len);
	memcpy(buf, "limit ip 5/1h hold", 18);
	buf[4096] = '\n';
	memcpy(buf + 4097, "limit ip 5/1h hold", 18);
	buf[4097 + 4097] = '\n';
	got = run(buf, len, "l", &rc);
	assert_int_equal(rc, -1);
	assert_string_equal(got,
	    "l:2:4097: line too long (4097 bytes, max 4096)\n"
	    "l:3:4097: line too long (5000 bytes, max 4096)\n");
	free(got);

	/* A CR before the newline does not count towards the limit. */
	memset(buf, ' ', 4096);
	memcpy(buf, "limit ip 5/1h hold", 18);
	memcpy(buf + 4096, "\r\n", 2);
	got = run(buf, 4098, "l", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(got, "limit ip 5/1h hold\n");
	free(got);

	/* A NUL past the limit: the length is the first problem. */
	memset(buf, ' ', len);
	buf[4500] = '\0';
	got = run(buf, 5000, "l", &rc);
	assert_int_equal(rc, -1);
	assert_string_equal(
	    got, "l:1:4097: line too long (5000 bytes, max 4096)\n");
	free(got);
	free(buf);
}

/* test_policy_parse_fifty_errors - 50 bad lines give exactly 50 messages */
static void
test_policy_parse_fifty_errors(void **state)
{
	struct policy_errors errs = {0};
	struct policy *p = NULL;
	char *buf, want[64];
	size_t i, off = 0, cap = 50 * 64;

	(void)state;
	buf = malloc(cap);
	assert_non_null(buf);
	for (i = 0; i < 50; i++)
		off += (size_t)snprintf(buf + off, cap - off,
		    "limit ip 5/1h hold\nlimit ip 5/1h hodl x y z\n");
	assert_int_equal(policy_parse(buf, off, "fifty", &p, &errs), -1);
	assert_null(p);
	assert_int_equal(errs.n, 50);
	for (i = 0; i < 50; i++) {
		assert_int_equal(errs.v[i].line, 2 * i + 2);
		snprintf(want, sizeof(want), "fifty:%zu:15: unknown action",
		    2 * i + 2);
		assert_memory_equal(errs.v[i].msg, want, strlen(want));
	}
	policy_errors_free(&errs);

	/* The verdict without a list. */
	assert_int_equal(policy_parse(buf, off, "fifty", &p, NULL), -1);
	assert_null(p);
	assert_int_equal(policy_parse(buf, 19, "fifty", &p, NULL), 0);
	assert_non_null(p);
	assert_int_equal(p->nrules, 1);
	policy_free(p);
	free(buf);
}

/* test_policy_parse_fields - the struct, against hand-written data */
static void
test_policy_parse_fields(void **state)
{
	static const struct policy_rule want[] = {
	    {1, 1, SCOPE_IP, NULL, {ADDR_V4, {192, 0, 2, 0}}, 24, 0, 0,
	        ACT_ACCEPT, 0},
	    {2, 1, SCOPE_DOMAIN, (char *)"example.org", {0, {0}}, 0, 0, 0,
	        ACT_ACCEPT, 0},
	    {3, 1, SCOPE_LIST, (char *)"private-*", {0, {0}}, 0, 0, 0,
	        ACT_ACCEPT, 0},
	    {4, 0, SCOPE_IP, NULL, {0, {0}}, 0, 5, 43200, ACT_HOLD, 86400},
	    {5, 0, SCOPE_SUBNET, NULL, {0, {0}}, 0, 20, 43200, ACT_HOLD, 0},
	    {6, 0, SCOPE_DOMAIN, (char *)"yahoo.com", {0, {0}}, 0, 100, 3600,
	        ACT_DEFER, 0},
	    {7, 0, SCOPE_DOMAIN, (char *)"*.edu", {0, {0}}, 0, 30, 3600,
	        ACT_DEFER, 0},
	    {8, 0, SCOPE_DOMAIN, (char *)"*", {0, {0}}, 0, 50, 3600, ACT_DEFER,
	        0},
	    {9, 0, SCOPE_LIST, (char *)"*", {0, {0}}, 0, 200, 3600, ACT_HOLD,
	        0},
	    {10, 0, SCOPE_LIST, (char *)"announce", {0, {0}}, 0, 20, 3600,
	        ACT_HOLD, 0},
	    {12, 1, SCOPE_IP, NULL,
	        {ADDR_V6,
	            {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	                1}},
	        128, 0, 0, ACT_ACCEPT, 0},
	    {13, 0, SCOPE_LIST, (char *)"x@y.org", {0, {0}}, 0, 0, 1,
	        ACT_DISCARD, 90},
	};
	static const uint32_t max_count[SCOPE_COUNT] = {5, 20, 100, 200};
	static const uint32_t max_window[SCOPE_COUNT] = {
	    43200, 43200, 3600, 3600};
	static const uint32_t max_ban[SCOPE_COUNT] = {86400, 0, 0, 90};
	static const char in[] =
	    "allow ip 192.0.2.0/24          # IPv4 or IPv6 address or prefix\n"
	    "allow domain example.org       # exact, *.suffix, or *\n"
	    "allow list private-*           # exact or fnmatch glob\n"
	    "limit ip 5/12h hold ban 24h\n"
	    "limit subnet 20/12h hold\n"
	    "limit domain yahoo.com 100/1h defer\n"
	    "limit domain *.edu 30/1h defer\n"
	    "limit domain * 50/1h defer\n"
	    "limit list * 200/1h hold\n"
	    "limit list announce 20/1h hold\n"
	    "\n"
	    "allow ip 2001:DB8::1\n"
	    "limit list X@Y.org 0/1s discard ban 90s\n";
	struct policy *p = NULL;
	size_t i;
	int s;

	(void)state;
	assert_int_equal(policy_parse(in, sizeof(in) - 1, "f", &p, NULL), 0);
	assert_int_equal(p->nrules, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *g = &p->rules[i], *w = &want[i];

		if (g->line != w->line || !rule_eq(g, w)) {
			print_error("rule %zu: got line %u allow %d scope %d "
			            "pattern %s count %u window %u action %d "
			            "ban %u plen %u, want line %u\n",
			    i, g->line, g->allow, (int)g->scope,
			    g->pattern ? g->pattern : "(null)", g->count,
			    g->window_s, (int)g->action, g->ban_s, g->plen,
			    w->line);
			fail();
		}
	}
	for (s = 0; s < SCOPE_COUNT; s++) {
		assert_int_equal(p->max_count[s], max_count[s]);
		assert_int_equal(p->max_window_s[s], max_window[s]);
		assert_int_equal(p->max_ban_s[s], max_ban[s]);
	}
	policy_free(p);
	policy_free(NULL);
}

/* test_policy_print_by_hand - a policy built by hand prints as expected */
static void
test_policy_print_by_hand(void **state)
{
	struct policy_rule rules[] = {
	    {0, 1, SCOPE_IP, NULL,
	        {ADDR_V6,
	            {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	                1}},
	        128, 0, 0, ACT_ACCEPT, 0},
	    {0, 1, SCOPE_IP, NULL, {ADDR_V4, {198, 51, 100, 0}}, 22, 0, 0,
	        ACT_ACCEPT, 0},
	    {0, 0, SCOPE_IP, NULL, {0, {0}}, 0, 5, 43200, ACT_HOLD, 86400},
	    {0, 0, SCOPE_DOMAIN, (char *)"*", {0, {0}}, 0, 50, 3600, ACT_DEFER,
	        0},
	    {0, 0, SCOPE_LIST, (char *)"announce", {0, {0}}, 0, 20, 5400,
	        ACT_REJECT, 61},
	};
	struct policy p = {0};
	char buf[64], *got;

	(void)state;
	p.rules = rules;
	p.nrules = sizeof(rules) / sizeof(rules[0]);
	got = policy_print(&p);
	assert_non_null(got);
	assert_string_equal(got,
	    "allow ip 2001:db8::1\n"
	    "allow ip 198.51.100.0/22\n"
	    "limit ip 5/12h hold ban 1d\n"
	    "limit domain * 50/1h defer\n"
	    "limit list announce 20/90m reject ban 61s\n");
	free(got);

	assert_int_equal(policy_rule_format(&rules[2], buf, sizeof(buf)), 26);
	assert_string_equal(buf, "limit ip 5/12h hold ban 1d");
	assert_int_equal(policy_rule_format(&rules[2], buf, 27), 26);
	assert_int_equal(policy_rule_format(&rules[2], buf, 26), 0);
	assert_string_equal(buf, "");
	assert_int_equal(policy_rule_format(&rules[2], buf, 0), 0);

	/* Rules the parser cannot produce have no canonical text. */
	rules[3].pattern = NULL;
	assert_int_equal(policy_rule_format(&rules[3], buf, sizeof(buf)), 0);
	assert_null(policy_print(&p));
	rules[3].pattern = (char *)"*";
	rules[2].action = (enum action)ACT_COUNT;
	assert_int_equal(policy_rule_format(&rules[2], buf, sizeof(buf)), 0);

	p.nrules = 0;
	got = policy_print(&p);
	assert_non_null(got);
	assert_string_equal(got, "");
	free(got);
}

/* read_file - the whole of <path>, or NULL when it does not exist */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, r;
	char *buf;

	if (f == NULL)
		return NULL;
	buf = malloc(cap + 1);
	assert_non_null(buf);
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* cmp_str - qsort() comparison of string pointers */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * test_policy_golden_files - each NN-name.in has exactly one of .ok (its
 * canonical print, then a round trip) or .err (its exact messages).
 */
static void
test_policy_golden_files(void **state)
{
	char *names[256], path[1024], *in, *ok, *errtext, *got;
	size_t nnames = 0, i, len, oklen, errlen, nok = 0, nerr = 0, bad = 0;
	struct dirent *de;
	DIR *d;
	int rc;

	(void)state;
	d = opendir(POLICY_DIR);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 3 && strcmp(de->d_name + n - 3, ".in") == 0) {
			assert_true(nnames < sizeof(names) / sizeof(names[0]));
			names[nnames] = strdup(de->d_name);
			assert_non_null(names[nnames]);
			nnames++;
		}
	}
	closedir(d);
	qsort(names, nnames, sizeof(names[0]), cmp_str);
	for (i = 0; i < nnames; i++) {
		size_t stem = strlen(names[i]) - 3;

		snprintf(path, sizeof(path), "%s/%s", POLICY_DIR, names[i]);
		in = read_file(path, &len);
		assert_non_null(in);
		snprintf(path, sizeof(path), "%s/%.*s.ok", POLICY_DIR,
		    (int)stem, names[i]);
		ok = read_file(path, &oklen);
		snprintf(path, sizeof(path), "%s/%.*s.err", POLICY_DIR,
		    (int)stem, names[i]);
		errtext = read_file(path, &errlen);
		if ((ok == NULL) == (errtext == NULL)) {
			print_error("%s: got %s, want exactly one of .ok and "
			            ".err\n",
			    names[i], ok ? "both" : "neither");
			fail();
		}
		got = run(in, len, names[i], &rc);
		if (ok != NULL && (rc != 0 || strcmp(got, ok) != 0)) {
			print_error(
			    "%s: got\n%s\nwant (.ok)\n%s\n", names[i], got, ok);
			bad++;
		} else if (errtext != NULL &&
		    (rc != -1 || strcmp(got, errtext) != 0)) {
			print_error("%s: got\n%s\nwant (.err)\n%s\n", names[i],
			    got, errtext);
			bad++;
		}
		if (ok != NULL && rc == 0) {
			check_text_round_trip(names[i], in, len);
			nok++;
		} else {
			nerr++;
		}
		free(got);
		free(in);
		free(ok);
		free(errtext);
		free(names[i]);
	}
	assert_int_equal(bad, 0);
	assert_true(nok >= 9);
	assert_true(nerr >= 3);
}

/* test_policy_golden_fifty - the 50-error golden file has 50 messages */
static void
test_policy_golden_fifty(void **state)
{
	struct policy_errors errs = {0};
	struct policy *p = NULL;
	size_t len;
	char *in = read_file(POLICY_DIR "/11-fifty-errors.in", &len);

	(void)state;
	assert_non_null(in);
	assert_int_equal(policy_parse(in, len, "x", &p, &errs), -1);
	assert_int_equal(errs.n, 50);
	policy_errors_free(&errs);
	free(in);
}

/* test_policy_example_print - the grammar example's canonical text */
static void
test_policy_example_print(void **state)
{
	size_t len;
	char *in = read_file(POLICY_DIR "/01-basic.in", &len), *got;
	int rc;

	(void)state;
	assert_non_null(in);
	got = run(in, len, "01-basic.in", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(got,
	    "allow ip 192.0.2.0/24\n"
	    "allow domain example.org\n"
	    "allow list private-*\n"
	    "limit ip 5/12h hold ban 1d\n"
	    "limit subnet 20/12h hold\n"
	    "limit domain yahoo.com 100/1h defer\n"
	    "limit domain *.edu 30/1h defer\n"
	    "limit domain * 50/1h defer\n"
	    "limit list * 200/1h hold\n"
	    "limit list announce 20/1h hold\n");
	free(got);
	free(in);
}

/* test_policy_names - action_name() and scope_name() */
static void
test_policy_names(void **state)
{
	(void)state;
	assert_string_equal(action_name(ACT_ACCEPT), "accept");
	assert_string_equal(action_name(ACT_DEFER), "defer");
	assert_string_equal(action_name(ACT_HOLD), "hold");
	assert_string_equal(action_name(ACT_REJECT), "reject");
	assert_string_equal(action_name(ACT_DISCARD), "discard");
	assert_string_equal(action_name((enum action)ACT_COUNT), "?");
	assert_string_equal(scope_name(SCOPE_IP), "ip");
	assert_string_equal(scope_name(SCOPE_SUBNET), "subnet");
	assert_string_equal(scope_name(SCOPE_DOMAIN), "domain");
	assert_string_equal(scope_name(SCOPE_LIST), "list");
	assert_string_equal(scope_name((enum scope)SCOPE_COUNT), "?");
}

struct match_case {
	const char *pat;
	const char *name;
	int want;
};

static const struct match_case domain_cases[] = {
    {"*", "example.org", 0},
    {"*", "localhost", 0},
    {"*.example.org", "a.example.org", 12},
    {"*.example.org", "a.b.example.org", 12},
    {"*.example.org", "example.org", -1},
    {"*.example.org", ".example.org", -1},
    {"*.example.org", "aexample.org", -1},
    {"*.example.org", "example.org.evil", -1},
    {"*.org", "example.org", 4},
    {"*.edu", "mit.edu", 4},
    {"example.org", "example.org", 1011},
    {"example.org", "www.example.org", -1},
    {"example.org", "example.or", -1},
    {"yahoo.com", "yahoo.com", 1009},
    {"yahoo.com", "YAHOO.com", 1009},
    {"*.example.org", "A.EXAMPLE.ORG", 12},
    {NULL, "example.org", -1},
    {"*", NULL, -1},
};

/* test_policy_domain_match - scores written by hand */
static void
test_policy_domain_match(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(domain_cases) / sizeof(domain_cases[0]); i++) {
		const struct match_case *c = &domain_cases[i];
		int got = policy_domain_match(c->pat, c->name);

		if (got != c->want) {
			print_error("domain %s vs %s: got %d, want %d\n",
			    c->pat ? c->pat : "(null)",
			    c->name ? c->name : "(null)", got, c->want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static const struct match_case list_cases[] = {
    {"announce", "announce", 1008},
    {"announce", "ANNOUNCE", 1008},
    {"announce", "announce@lists.example.org", 1008},
    {"announce@lists.example.org", "announce@lists.example.org", 1026},
    {"announce@lists.example.org", "announce", -1},
    {"announce", "announcements", -1},
    {"announce", "team@announce", -1},
    {"*", "anything", 0},
    {"*", "", 0},
    {"private-*", "private-staff", 8},
    {"private-*", "PRIVATE-Staff", 8},
    {"private-*", "private-staff@lists.example.org", 8},
    {"private-*", "public", -1},
    {"a?c", "abc", 2},
    {"[ab]x", "bx", 1},
    {"[!ab]x", "bx", -1},
    {"[]]x", "]x", 1},
    {"a\\*", "a*", 2},
    {"[abc", "[abc", 4},
    {"*@lists.example.org", "announce@lists.example.org", 18},
    {"*@lists.example.org", "announce", -1},
    {"ann*", "announce@host", 3},
    {NULL, "x", -1},
    {"x", NULL, -1},
};

/* test_policy_list_match - scores written by hand */
static void
test_policy_list_match(void **state)
{
	char *longname;
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct match_case *c = &list_cases[i];
		int got = policy_list_match(c->pat, c->name);

		if (got != c->want) {
			print_error("list %s vs %s: got %d, want %d\n",
			    c->pat ? c->pat : "(null)",
			    c->name ? c->name : "(null)", got, c->want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);

	/* A local part longer than the on-stack copy. */
	longname = malloc(1000);
	assert_non_null(longname);
	memset(longname, 'x', 998);
	longname[996] = '@';
	longname[998] = '\0';
	assert_int_equal(policy_list_match("xx*", longname), 2);
	longname[0] = 'y';
	assert_int_equal(policy_list_match("y*@x*", longname), 3);
	memset(longname, 'x', 996);
	assert_int_equal(policy_list_match("x*x", longname), 2);
	free(longname);
}

/* best_rule - the most specific limit rule of <scope> for <name>, or -1 */
static int
best_rule(const struct policy *p, enum scope scope, const char *name)
{
	int best = -1, best_score = -1, s;
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->allow || r->scope != scope)
			continue;
		s = scope == SCOPE_DOMAIN
		    ? policy_domain_match(r->pattern, name)
		    : policy_list_match(r->pattern, name);
		if (s > best_score) {
			best_score = s;
			best = (int)r->line;
		}
	}
	return best;
}

/* test_policy_specificity - exact > longer suffix > shorter suffix > * */
static void
test_policy_specificity(void **state)
{
	static const char *const order[] = {"*", "*.edu", "*.example.edu",
	    "*.cs.example.edu", "mail.cs.example.edu"};
	static const char in[] = "limit domain * 50/1h defer\n"
	                         "limit domain *.edu 30/1h defer\n"
	                         "limit domain *.example.edu 20/1h defer\n"
	                         "limit domain yahoo.com 100/1h defer\n"
	                         "limit list * 200/1h hold\n"
	                         "limit list ann* 50/1h hold\n"
	                         "limit list announce 20/1h hold\n"
	                         "limit list *@lists.example.org 10/1h hold\n";
	static const struct {
		enum scope scope;
		const char *name;
		int want_line;
	} picks[] = {
	    {SCOPE_DOMAIN, "gmail.com", 1},
	    {SCOPE_DOMAIN, "mit.edu", 2},
	    {SCOPE_DOMAIN, "cs.example.edu", 3},
	    {SCOPE_DOMAIN, "example.edu", 2},
	    {SCOPE_DOMAIN, "yahoo.com", 4},
	    {SCOPE_DOMAIN, "mail.yahoo.com", 1},
	    {SCOPE_LIST, "team", 5},
	    {SCOPE_LIST, "announcements", 6},
	    {SCOPE_LIST, "announce", 7},
	    {SCOPE_LIST, "announce@lists.example.org", 7},
	    {SCOPE_LIST, "team@lists.example.org", 8},
	};
	struct policy *p = NULL;
	size_t i;
	int prev = -2, s;

	(void)state;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		s = policy_domain_match(order[i], "mail.cs.example.edu");
		if (s <= prev) {
			print_error("%s: got %d, want more than %d\n", order[i],
			    s, prev);
			fail();
		}
		prev = s;
	}
	assert_true(policy_list_match("announce", "announce") >
	    policy_list_match("announce*", "announce"));
	assert_true(policy_list_match("announce*", "announce") >
	    policy_list_match("a*", "announce"));
	assert_true(policy_list_match("a*", "announce") >
	    policy_list_match("*", "announce"));

	assert_int_equal(policy_parse(in, sizeof(in) - 1, "s", &p, NULL), 0);
	for (i = 0; i < sizeof(picks) / sizeof(picks[0]); i++) {
		int got = best_rule(p, picks[i].scope, picks[i].name);

		if (got != picks[i].want_line) {
			print_error("%s: got rule on line %d, want line %d\n",
			    picks[i].name, got, picks[i].want_line);
			fail();
		}
	}
	policy_free(p);
}

/*
 * check_any - <len> bytes of <in> (in an exact-size heap copy, so ASan sees
 * over-reads) either parse, and then round trip, or fail with at least one
 * error, at most one per line, in line order, each naming the file.
 */
static int
check_any(const char *in, size_t len)
{
	struct policy_errors errs = {0};
	struct policy *p = (struct policy *)0x1;
	char *copy = malloc(len ? len : 1);
	size_t i, lines = 1;
	int rc;

	assert_non_null(copy);
	memcpy(copy, in, len);
	for (i = 0; i < len; i++)
		lines += in[i] == '\n';
	rc = policy_parse(copy, len, "fuzz", &p, &errs);
	if (rc == 0) {
		assert_non_null(p);
		assert_int_equal(errs.n, 0);
		assert_true(p->nrules <= lines);
		check_round_trip("fuzz", p);
		policy_free(p);
	} else {
		assert_int_equal(rc, -1);
		assert_null(p);
		assert_true(errs.n >= 1);
		for (i = 0; i < errs.n; i++) {
			assert_true(errs.v[i].line >= 1);
			assert_true(errs.v[i].line <= lines);
			assert_true(errs.v[i].col >= 1);
			assert_true(errs.v[i].col <= 4097);
			assert_memory_equal(errs.v[i].msg, "fuzz:", 5);
			if (i > 0)
				assert_true(
				    errs.v[i].line > errs.v[i - 1].line);
		}
	}
	policy_errors_free(&errs);
	free(copy);
	return rc;
}

/* test_policy_parse_truncated - every prefix of a valid file */
static void
test_policy_parse_truncated(void **state)
{
	size_t len;

	(void)state;
	for (len = 0; len <= sizeof(valid_text) - 1; len++)
		check_any(valid_text, len);
}

/* rnd - xorshift64*: deterministic, so a failure reproduces */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* test_policy_parse_mutations - a few thousand random byte mutations */
static void
test_policy_parse_mutations(void **state)
{
	static const char interesting[] = "\0\n\r\t #/*.:@0159abdhms-\xff";
	char buf[sizeof(valid_text) + 64];
	uint64_t seed = 0x5eed5eed12345678ULL;
	size_t len, iter, k, pos, nok = 0;

	(void)state;
	for (iter = 0; iter < 4000; iter++) {
		size_t nmut = 1 + rnd(&seed) % 4;

		len = sizeof(valid_text) - 1;
		memcpy(buf, valid_text, len);
		for (k = 0; k < nmut; k++) {
			uint64_t r = rnd(&seed);
			char c = (r >> 8) % 2
			    ? interesting[(r >> 16) % (sizeof(interesting) - 1)]
			    : (char)(r >> 24);

			pos = (size_t)((r >> 32) % (len + 1));
			switch (r % 3) {
			case 0: /* replace */
				if (pos < len)
					buf[pos] = c;
				break;
			case 1: /* insert */
				if (len < sizeof(buf)) {
					memmove(buf + pos + 1, buf + pos,
					    len - pos);
					buf[pos] = c;
					len++;
				}
				break;
			default: /* delete */
				if (pos < len) {
					memmove(buf + pos, buf + pos + 1,
					    len - pos - 1);
					len--;
				}
				break;
			}
		}
		if (check_any(buf, len) == 0)
			nok++;
	}
	/* Both outcomes must have been exercised. */
	assert_true(nok > 0);
	assert_true(nok < 4000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_parse_rule_forms),
	    cmocka_unit_test(test_policy_parse_errors),
	    cmocka_unit_test(test_policy_parse_error_fields),
	    cmocka_unit_test(test_policy_parse_nul_and_long_lines),
	    cmocka_unit_test(test_policy_parse_fifty_errors),
	    cmocka_unit_test(test_policy_parse_fields),
	    cmocka_unit_test(test_policy_print_by_hand),
	    cmocka_unit_test(test_policy_golden_files),
	    cmocka_unit_test(test_policy_golden_fifty),
	    cmocka_unit_test(test_policy_example_print),
	    cmocka_unit_test(test_policy_names),
	    cmocka_unit_test(test_policy_domain_match),
	    cmocka_unit_test(test_policy_list_match),
	    cmocka_unit_test(test_policy_specificity),
	    cmocka_unit_test(test_policy_parse_truncated),
	    cmocka_unit_test(test_policy_parse_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
