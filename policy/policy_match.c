/*
 * policy_match.c -- names of actions and scopes, pattern matching
 *
 * DESCRIPTION
 *	policy_domain_match() and policy_list_match() say whether a rule's
 *	pattern applies to a recipient domain or a list, and how specific the
 *	match is, so that the evaluator can pick the most specific rule:
 *
 *	    domain  exact name      1000 + length
 *	            "*.suffix"      1 + length of the suffix
 *	            "*"             0
 *	    list    exact name      1000 + length
 *	            any other glob  number of literal characters
 *
 *	A literal character is one outside a bracket expression that is not
 *	'*' or '?'; "\x" counts as one. Patterns are at most
 *	POLICY_PATTERN_MAX bytes, so a glob or suffix score stays below 1000.
 *	Pure and thread-safe.
 * DIAGNOSTICS
 *	-1 means "no match"; a NULL argument never matches.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* FNM_CASEFOLD */
#endif
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define SCORE_EXACT 1000

/* action_name - see policy.h; "?" for a value outside the enum */
const char *
action_name(enum action a)
{
	static const char *const names[ACT_COUNT] = {
	    "accept", "defer", "hold", "reject", "discard"};

	return (unsigned)a < ACT_COUNT ? names[a] : "?";
}

/* spf_result_word - see policy.h */
const char *
spf_result_word(enum spf_result r)
{
	static const char *const names[SPF_RES_COUNT] = {"none", "neutral",
	    "pass", "fail", "softfail", "temperror", "permerror"};

	return (unsigned)r < SPF_RES_COUNT ? names[r] : "?";
}

/* scope_name - see policy.h; "?" for a value outside the enum */
const char *
scope_name(enum scope s)
{
	static const char *const names[SCOPE_COUNT] = {
	    "ip", "subnet", "domain", "list"};

	return (unsigned)s < SCOPE_COUNT ? names[s] : "?";
}

/* eq_nocase - ASCII case-insensitive comparison of <n> bytes */
static int
eq_nocase(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

/*
 * policy_domain_match - see policy.h. Comparison ignores ASCII case, so a
 * caller that forgot to lower-case still gets the right answer.
 * O(length of <domain>).
 */
int
policy_domain_match(const char *pat, const char *domain)
{
	size_t plen, dlen;

	if (pat == NULL || domain == NULL)
		return -1;
	if (strcmp(pat, "*") == 0)
		return 0;
	plen = strlen(pat);
	dlen = strlen(domain);
	if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
		/*
		 * Compare ".suffix" with the end of <domain>, and require at
		 * least one byte before it: "*.example.org" must not match
		 * ".example.org" or "example.org".
		 */
		if (dlen < plen ||
		    !eq_nocase(domain + dlen - (plen - 1), pat + 1, plen - 1))
			return -1;
		return 1 + (int)(plen - 2);
	}
	if (plen != dlen || !eq_nocase(pat, domain, plen))
		return -1;
	return SCORE_EXACT + (int)plen;
}

/* is_glob - 1 when <pat> holds an fnmatch(3) special character */
static int
is_glob(const char *pat)
{
	return strpbrk(pat, "*?[\\") != NULL;
}

/* literals - the number of literal characters of glob <pat> */
static int
literals(const char *pat)
{
	const char *p = pat, *q;
	int n = 0;

	while (*p != '\0') {
		switch (*p) {
		case '*':
		case '?':
			p++;
			break;
		case '\\':
			p += p[1] != '\0' ? 2 : 1;
			n++;
			break;
		case '[':
			/*
			 * Skip a complete bracket expression; fnmatch(3) takes
			 * a '[' without its ']' literally, and so do we. A ']'
			 * first (after an optional '!' or '^') is a member.
			 */
			q = p + 1;
			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q != '\0' && *q != ']')
				q++;
			if (*q == ']') {
				p = q + 1;
			} else {
				p++;
				n++;
			}
			break;
		default:
			p++;
			n++;
			break;
		}
	}
	return n;
}

/* list_score - the score of <pat> against the whole string <list> */
static int
list_score(const char *pat, const char *list)
{
	size_t plen;

	if (!is_glob(pat)) {
		plen = strlen(pat);
		if (plen != strlen(list) || !eq_nocase(pat, list, plen))
			return -1;
		return SCORE_EXACT + (int)plen;
	}
	if (fnmatch(pat, list, FNM_CASEFOLD) != 0)
		return -1;
	return literals(pat);
}

/*
 * policy_list_match - see policy.h. For "name@host" the better of the
 * scores against the whole name and against "name" wins. May allocate
 * a copy of "name" when it is long; on allocation failure only the whole
 * name is tried. O(pattern length x name length) at worst (fnmatch).
 */
int
policy_list_match(const char *pat, const char *list)
{
	const char *at;
	char small[256], *name;
	size_t n;
	int best, s;

	if (pat == NULL || list == NULL)
		return -1;
	/* "*" matches any name with no literal byte: score 0, no fnmatch. */
	if (pat[0] == '*' && pat[1] == '\0')
		return 0;
	best = list_score(pat, list);
	if ((at = strchr(list, '@')) == NULL)
		return best;
	n = (size_t)(at - list);
	name = n < sizeof(small) ? small : malloc(n + 1);
	if (name == NULL)
		return best;
	memcpy(name, list, n);
	name[n] = '\0';
	s = list_score(pat, name);
	if (name != small)
		free(name);
	return s > best ? s : best;
}
