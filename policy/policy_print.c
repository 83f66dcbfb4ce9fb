/*
 * policy_print.c -- canonical text of a policy
 *
 * DESCRIPTION
 *	policy_rule_format() writes one rule, policy_print() the whole policy,
 *	in the one canonical form policy_parse() reads back to an equal
 *	policy: keywords in grammar order, single spaces, addresses as
 *	addr_format_prefix() writes them (no "/32" or "/128"), durations in
 *	their largest exact unit ("24h" prints as "1d"), no comments.
 *	print -> parse -> print is therefore a fixed point.
 *	Pure: allocation only; thread-safe on a shared read-only policy.
 * DIAGNOSTICS
 *	A rule that policy_parse() could not have produced (a NULL pattern,
 *	an unknown scope, action or address family) has no canonical text:
 *	policy_rule_format() returns 0 and policy_print() NULL for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "numparse.h"
#include "policy.h"

/* rule_text - snprintf()-style: the length the rule needs, or -1 */
static int
rule_text(const struct policy_rule *r, char *buf, size_t size)
{
	char net[ADDR_TEXT_MAX], win[32], ban[32] = "";
	const char *pat = "", *sep = "";

	if ((unsigned)r->scope >= SCOPE_COUNT)
		return -1;
	if (r->scope == SCOPE_DOMAIN || r->scope == SCOPE_LIST) {
		if (r->pattern == NULL)
			return -1;
		pat = r->pattern;
		sep = " ";
	}
	if (r->allow) {
		if (r->scope == SCOPE_SUBNET)
			return -1;
		if (r->scope == SCOPE_IP) {
			if (r->net.family != ADDR_V4 &&
			    r->net.family != ADDR_V6)
				return -1;
			if (addr_format_prefix(
			        &r->net, r->plen, net, sizeof(net)) == 0)
				return -1;
			pat = net;
		}
		return snprintf(
		    buf, size, "allow %s %s", scope_name(r->scope), pat);
	}
	if ((unsigned)r->action >= ACT_COUNT ||
	    num_format_duration(r->window_s, win, sizeof(win)) == 0)
		return -1;
	if (r->ban_s != 0 &&
	    num_format_duration(r->ban_s, ban, sizeof(ban)) == 0)
		return -1;
	return snprintf(buf, size, "limit %s%s%s %lu/%s %s%s%s",
	    scope_name(r->scope), sep, pat, (unsigned long)r->count, win,
	    action_name(r->action), r->ban_s != 0 ? " ban " : "", ban);
}

/*
 * policy_rule_format - see policy.h. <buf> holds an empty string after a
 * failure when <size> > 0. Borrows <r>.
 */
size_t
policy_rule_format(const struct policy_rule *r, char *buf, size_t size)
{
	int n = rule_text(r, buf, size);

	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

/*
 * policy_print - see policy.h. Also returns NULL when a rule has no
 * canonical text (see DIAGNOSTICS). Borrows <p>; O(total text length).
 */
char *
policy_print(const struct policy *p)
{
	size_t i, total = 1, off = 0;
	char *s;
	int n;

	for (i = 0; i < p->nrules; i++) {
		if ((n = rule_text(&p->rules[i], NULL, 0)) < 0)
			return NULL;
		total += (size_t)n + 1;
	}
	/* "spf temperror discard\n" and the like: 32 bytes each at most. */
	total += SPF_RES_COUNT * 32;
	if ((s = malloc(total)) == NULL)
		return NULL;
	for (i = 0; i < p->nrules; i++) {
		n = rule_text(&p->rules[i], s + off, total - off);
		off += (size_t)n;
		s[off++] = '\n';
	}
	/* SPF rules after the others, in the order of the results. */
	for (i = 0; i < SPF_RES_COUNT; i++)
		if (p->spf[i].set)
			off += (size_t)snprintf(s + off, total - off,
			    "spf %s %s\n", spf_result_word((enum spf_result)i),
			    action_name(p->spf[i].action));
	s[off] = '\0';
	return s;
}
