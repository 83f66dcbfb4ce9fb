/*
 * policy.h -- the policy file: grammar, parse, canonical print, matching
 *
 * DESCRIPTION
 *	A policy is an ordered list of allow and limit rules (grammar in
 *	README.md, section "Policy file", and subgate.policy(5)):
 *
 *	    allow ip 192.0.2.0/24          allow domain example.org
 *	    allow list private-*           limit ip 5/12h hold ban 24h
 *	    limit subnet 20/12h hold       limit domain *.edu 30/1h defer
 *	    limit list announce 20/1h hold
 *
 *	policy_parse() reads a buffer, collects every error as
 *	"file:line:col: message" and rejects the whole file on any error.
 *	policy_print() writes the canonical text, which parses back to an equal
 *	policy. A parsed policy is immutable; share it read-only across
 *	threads.
 *	Pure: allocation only, no I/O, no clock, no logging.
 * DIAGNOSTICS
 *	-1 from policy_parse() with <errs> filled; errs->n counts the errors.
 */
#ifndef SUBGATE_POLICY_H
#define SUBGATE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Severity order: a larger value wins when several limits trip. */
enum action {
	ACT_ACCEPT = 0, /* count and log only */
	ACT_DEFER,      /* 4xx: Mailman retries */
	ACT_HOLD,       /* quarantine (Postfix hold queue) */
	ACT_REJECT,     /* 5xx */
	ACT_DISCARD     /* accept and drop */
};
#define ACT_COUNT 5

enum scope {
	SCOPE_IP = 0, /* requests per origin address (IPv4 /32, IPv6 /64) */
	SCOPE_SUBNET, /* requests per origin network (IPv4 /24, IPv6 /48) */
	SCOPE_DOMAIN, /* confirmations delivered per recipient domain */
	SCOPE_LIST    /* requests per list */
};
#define SCOPE_COUNT 4

/* SPF results, as RFC 7208 names them. */
enum spf_result {
	SPF_RES_NONE = 0,
	SPF_RES_NEUTRAL,
	SPF_RES_PASS,
	SPF_RES_FAIL,
	SPF_RES_SOFTFAIL,
	SPF_RES_TEMPERROR,
	SPF_RES_PERMERROR
};
#define SPF_RES_COUNT 7

#define POLICY_MAX_COUNT 100000u /* N in N/W */
#define POLICY_MAX_WINDOW_S (366u * 86400u)
#define POLICY_MAX_BAN_S (366u * 86400u)
#define POLICY_PATTERN_MAX 255

struct policy_rule {
	unsigned line;    /* 1-based line in the source */
	int allow;        /* 1: allow rule, 0: limit rule */
	enum scope scope; /* allow ip uses SCOPE_IP */
	/*
	 * Domain or list pattern (allow/limit domain, allow/limit list),
	 * lower-cased; NULL for ip and subnet rules.
	 */
	char *pattern;
	struct addr net; /* allow ip: the network */
	unsigned plen;
	/* limit rules only: */
	uint32_t count; /* N: the (N+1)-th event inside <window_s> trips */
	uint32_t window_s;
	enum action action;
	uint32_t ban_s; /* 0: no ban */
};

/*
 * "spf RESULT ACTION": what a subscription requested by mail whose SMTP
 * sender got RESULT gets. reject, discard and defer act on the request
 * itself at SMTP; hold holds its confirmation; accept only counts.
 */
struct policy_spf {
	int set; /* a rule exists for this result */
	unsigned line;
	enum action action;
};

struct policy {
	struct policy_rule *rules;
	size_t nrules;
	struct policy_spf spf[SPF_RES_COUNT]; /* indexed by enum spf_result */
	/* Per scope, the largest N and W among its limit rules (0 if none). */
	uint32_t max_count[SCOPE_COUNT];
	uint32_t max_window_s[SCOPE_COUNT];
	uint32_t max_ban_s[SCOPE_COUNT];
};

struct policy_error {
	unsigned line, col;
	char *msg; /* "file:line:col: message", owned */
};

struct policy_errors {
	struct policy_error *v;
	size_t n, cap;
};

/*
 * policy_parse - parse <len> bytes at <buf>; <name> is the file name used in
 * messages. On success returns 0 and a new policy in <*out> (free with
 * policy_free()). On any error returns -1, <*out> is NULL and every error
 * found is appended to <errs> (which the caller frees with
 * policy_errors_free()). An empty buffer is a valid empty policy. NUL bytes
 * are errors. <errs> may be NULL when the caller only wants the verdict.
 * On allocation failure returns -1 with an "out of memory" error if it fit.
 */
int policy_parse(const char *buf, size_t len, const char *name,
    struct policy **out, struct policy_errors *errs);

/* policy_free - release <p>; NULL is a no-op. */
void policy_free(struct policy *p);

/* policy_errors_free - release the messages in <e> and zero it. */
void policy_errors_free(struct policy_errors *e);

/*
 * policy_print - the canonical text of <p>: one rule per line in file order,
 * single spaces, durations in their largest exact unit, no comments.
 * Returns a new NUL-terminated string the caller frees, or NULL on
 * allocation failure.
 */
char *policy_print(const struct policy *p);

/*
 * policy_rule_format - one rule in canonical form into <buf> (no newline).
 * Returns the length, or 0 when <size> is too small.
 */
size_t policy_rule_format(const struct policy_rule *r, char *buf, size_t size);

/* spf_result_word - "none", "neutral", "pass", "fail", "softfail",
 * "temperror", "permerror" ("?" outside the enum). */
const char *spf_result_word(enum spf_result r);

/* action_name / scope_name - "accept", "defer", ...; "ip", "subnet", ... */
const char *action_name(enum action a);
const char *scope_name(enum scope s);

/*
 * policy_domain_match - how specifically domain pattern <pat> matches
 * <domain> (both lower-case): -1 no match; for "*" 0; for "*.suffix"
 * 1 + length of the suffix; for an exact name 1000 + its length. A
 * "*.example.org" pattern matches sub.example.org but not example.org.
 */
int policy_domain_match(const char *pat, const char *domain);

/*
 * policy_list_match - the same for list patterns (fnmatch(3) globs, case
 * folded): -1 no match; an exact name 1000 + length; a glob the number of
 * its literal characters. A list named "name@host" (Mailman 3) also matches
 * a pattern written for "name" alone.
 */
int policy_list_match(const char *pat, const char *list);

#endif
