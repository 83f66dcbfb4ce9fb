/*
 * policy_parse.c -- policy file lexer and parser
 *
 * DESCRIPTION
 *	policy_parse() turns a buffer into a struct policy (grammar in
 *	policy.h). Each line is split into tokens at spaces and tabs; a '#'
 *	that starts a token starts a comment that runs to the end of the line
 *	(a '#' inside a token is part of it). One trailing '\r' per line is
 *	dropped, so CRLF files parse. Each line is then parsed as one rule by
 *	a small recursive-descent step per token position.
 *
 *	Every bad line yields exactly one error (its first), so a typo cannot
 *	cascade, and parsing goes on so that one run shows every bad line.
 *	Any error rejects the whole file.
 * DIAGNOSTICS
 *	Messages are "name:line:col: message" with 1-based line and byte
 *	columns; the column is the start of the offending token, or the
 *	column just past the last token of the line when a token is missing.
 *	Tokens quoted in messages are escaped (\xHH for bytes outside
 *	printable ASCII) and cut at ERR_TOKEN_MAX bytes, so a message is
 *	safe to log.
 * LIMITS
 *	Lines are limited to POLICY_LINE_MAX bytes (not counting the line
 *	end); patterns to POLICY_PATTERN_MAX bytes. The number of rules and
 *	errors is limited by memory only.
 * SECURITY
 *	The input is untrusted: no byte is read past <len>, nothing assumes
 *	NUL termination, and every number is range-checked before use.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "numparse.h"
#include "policy.h"

#define POLICY_LINE_MAX 4096
#define TOK_MAX 8 /* the longest rule has 7 tokens; the 8th is extra */
#define ERR_TOKEN_MAX 64
#define ERR_MSG_MAX 512
#define QUOTE_MAX (ERR_TOKEN_MAX * 4 + 8)

#define WANT_ACTIONS "accept, defer, hold, reject or discard"
#define WANT_UNIT "with a unit s, m, h or d"

struct tok {
	const char *s;
	size_t len;
	unsigned col;
};

struct line {
	unsigned lineno;
	struct tok tok[TOK_MAX];
	size_t ntok;      /* tokens stored, at most TOK_MAX */
	unsigned end_col; /* column just past the line's last token */
};

struct parser {
	const char *name;
	struct policy_errors *errs; /* may be NULL */
	size_t nerr;
	int oom;
	struct policy *p;
	size_t cap;
};

/* is_print - printable ASCII other than space */
static int
is_print(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* lower - ASCII tolower(), independent of the locale */
static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* tok_is - 1 when <t> is exactly the word <w> */
static int
tok_is(const struct tok *t, const char *w)
{
	size_t n = strlen(w);

	return t->len == n && memcmp(t->s, w, n) == 0;
}

/* tok_is_nocase - 1 when <t> equals <w> apart from ASCII case */
static int
tok_is_nocase(const struct tok *t, const char *w)
{
	size_t i, n = strlen(w);

	if (t->len != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower(t->s[i]) != w[i])
			return 0;
	return 1;
}

/* quote - <t> as an escaped, length-capped C string into <buf> */
static const char *
quote(const struct tok *t, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < t->len && o + 8 < size; i++) {
		unsigned char c = (unsigned char)t->s[i];

		if (i == ERR_TOKEN_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (is_print(c)) {
			buf[o++] = (char)c;
		} else {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		}
	}
	buf[o] = '\0';
	return buf;
}

/* byte_name - "'c'" for a printable byte, else "byte 0xHH" */
static const char *
byte_name(unsigned char c, char *buf, size_t size)
{
	if (is_print(c))
		snprintf(buf, size, "character '%c'", c);
	else
		snprintf(buf, size, "byte 0x%02x", c);
	return buf;
}

/* err_push - append one formatted message to the caller's list */
static void
err_push(struct parser *ps, unsigned line, unsigned col, const char *msg)
{
	struct policy_errors *e = ps->errs;
	char *s;
	int n;

	ps->nerr++;
	if (e == NULL)
		return;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct policy_error *v;

		if (cap > SIZE_MAX / sizeof(*v) ||
		    (v = realloc(e->v, cap * sizeof(*v))) == NULL) {
			ps->oom = 1;
			return;
		}
		e->v = v;
		e->cap = cap;
	}
	n = snprintf(NULL, 0, "%s:%u:%u: %s", ps->name, line, col, msg);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL) {
		ps->oom = 1;
		return;
	}
	snprintf(s, (size_t)n + 1, "%s:%u:%u: %s", ps->name, line, col, msg);
	e->v[e->n].line = line;
	e->v[e->n].col = col;
	e->v[e->n].msg = s;
	e->n++;
}

/* err - report a problem at <line>:<col> */
static void __attribute__((format(printf, 4, 5)))
err(struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_push(ps, line, col, msg);
}

/* case_hint - a hint when <t> is a keyword of <words> in the wrong case */
static const char *
case_hint(const struct tok *t, const char *const *words)
{
	for (; *words != NULL; words++)
		if (tok_is_nocase(t, *words))
			return "; keywords are lower-case";
	return "";
}

/* split - cut the line <s>/<len> into tokens; stop at a comment */
static void
split(const char *s, size_t len, struct line *ln)
{
	size_t i = 0, start;

	ln->ntok = 0;
	ln->end_col = 1;
	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t') {
			i++;
			continue;
		}
		if (s[i] == '#')
			break;
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		if (ln->ntok < TOK_MAX) {
			ln->tok[ln->ntok].s = s + start;
			ln->tok[ln->ntok].len = i - start;
			ln->tok[ln->ntok].col = (unsigned)start + 1;
			ln->ntok++;
		}
		ln->end_col = (unsigned)i + 1;
	}
}

/* digits - 1 when <s>/<len> is a non-empty run of decimal digits */
static int
digits(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* duration_syntax - 1 when <s>/<len> looks like digits + s/m/h/d */
static int
duration_syntax(const char *s, size_t len)
{
	return len >= 2 && memchr("smhd", s[len - 1], 4) != NULL &&
	    digits(s, len - 1);
}

/* rate_syntax - 1 when <t> looks like N/DURATION, whatever the range */
static int
rate_syntax(const struct tok *t)
{
	const char *slash = memchr(t->s, '/', t->len);
	size_t n;

	if (slash == NULL)
		return 0;
	n = (size_t)(slash - t->s);
	return digits(t->s, n) && duration_syntax(slash + 1, t->len - n - 1);
}

/* parse_rate - N/DURATION into <r> */
static int
parse_rate(struct parser *ps, const struct line *ln, const struct tok *t,
    struct policy_rule *r)
{
	const char *slash = memchr(t->s, '/', t->len);
	char q[QUOTE_MAX], maxw[32];
	uint64_t count, window;
	struct addr a;
	unsigned plen;
	size_t n;

	if (!rate_syntax(t)) {
		const char *hint = "";

		if (addr_parse_prefix(t->s, t->len, &a, &plen) == 0)
			hint = " (\"limit ip\" and \"limit subnet\" take no "
			       "address)";
		err(ps, ln->lineno, t->col,
		    "bad rate \"%s\": want N/DURATION " WANT_UNIT "%s",
		    quote(t, q, sizeof(q)), hint);
		return -1;
	}
	n = (size_t)(slash - t->s);
	if (num_parse_u64(t->s, n, 0, POLICY_MAX_COUNT, &count) != 0) {
		err(ps, ln->lineno, t->col, "bad rate \"%s\": N must be 0..%u",
		    quote(t, q, sizeof(q)), POLICY_MAX_COUNT);
		return -1;
	}
	if (num_parse_duration(slash + 1, t->len - n - 1, 1,
	        POLICY_MAX_WINDOW_S, &window) != 0) {
		num_format_duration(POLICY_MAX_WINDOW_S, maxw, sizeof(maxw));
		err(ps, ln->lineno, t->col,
		    "bad rate \"%s\": window must be 1s..%s",
		    quote(t, q, sizeof(q)), maxw);
		return -1;
	}
	r->count = (uint32_t)count;
	r->window_s = (uint32_t)window;
	return 0;
}

/* parse_action - one of the action names into <r> */
static int
parse_action(struct parser *ps, const struct line *ln, const struct tok *t,
    struct policy_rule *r)
{
	static const char *const words[] = {
	    "accept", "defer", "hold", "reject", "discard", NULL};
	char q[QUOTE_MAX];
	int a;

	for (a = 0; a < ACT_COUNT; a++) {
		if (tok_is(t, action_name((enum action)a))) {
			r->action = (enum action)a;
			return 0;
		}
	}
	err(ps, ln->lineno, t->col,
	    "unknown action \"%s\" (want " WANT_ACTIONS "%s)",
	    quote(t, q, sizeof(q)), case_hint(t, words));
	return -1;
}

/* parse_ban - the DURATION of "ban DURATION" into <r> */
static int
parse_ban(struct parser *ps, const struct line *ln, const struct tok *t,
    struct policy_rule *r)
{
	char q[QUOTE_MAX], maxb[32];
	uint64_t ban;

	if (!duration_syntax(t->s, t->len)) {
		err(ps, ln->lineno, t->col,
		    "bad ban duration \"%s\": want N " WANT_UNIT,
		    quote(t, q, sizeof(q)));
		return -1;
	}
	if (num_parse_duration(t->s, t->len, 1, POLICY_MAX_BAN_S, &ban) != 0) {
		num_format_duration(POLICY_MAX_BAN_S, maxb, sizeof(maxb));
		err(ps, ln->lineno, t->col,
		    "bad ban duration \"%s\": must be 1s..%s",
		    quote(t, q, sizeof(q)), maxb);
		return -1;
	}
	r->ban_s = (uint32_t)ban;
	return 0;
}

/*
 * parse_net - ADDR or ADDR/LEN into <r>. This repeats the checks of
 * addr_parse_prefix() one by one so that each failure gets its own
 * message, and suggests the masked network when host bits are set.
 */
static int
parse_net(struct parser *ps, const struct line *ln, const struct tok *t,
    struct policy_rule *r)
{
	const char *slash = memchr(t->s, '/', t->len);
	size_t n, alen = slash != NULL ? (size_t)(slash - t->s) : t->len;
	char q[QUOTE_MAX], fix[ADDR_TEXT_MAX];
	const char *fam;
	struct addr net, masked;
	uint64_t plen, bits, lo = 0;

	if (addr_parse(t->s, alen, &net) != 0) {
		err(ps, ln->lineno, t->col,
		    "bad address \"%s\": want an IPv4 or IPv6 address or "
		    "prefix",
		    quote(t, q, sizeof(q)));
		return -1;
	}
	bits = addr_bits(&net);
	fam = net.family == ADDR_V4 ? "IPv4" : "IPv6";
	if (net.family == ADDR_V4 && memchr(t->s, ':', alen) != NULL) {
		/*
		 * ::ffff:a.b.c.d folds to IPv4 (addr.h); its prefix length
		 * counts the 96 mapping bits, which folding removes.
		 */
		lo = 96;
		fam = "IPv4-mapped IPv6";
	}
	plen = bits + lo;
	n = slash != NULL ? t->len - alen - 1 : 0;
	if (slash != NULL &&
	    num_parse_u64(slash + 1, n, lo, bits + lo, &plen) != 0) {
		err(ps, ln->lineno, t->col,
		    "bad prefix length in \"%s\": want %u..%u for %s",
		    quote(t, q, sizeof(q)), (unsigned)lo, (unsigned)(bits + lo),
		    fam);
		return -1;
	}
	plen -= lo;
	masked = net;
	addr_mask(&masked, (unsigned)plen);
	if (memcmp(masked.bytes, net.bytes, sizeof(net.bytes)) != 0) {
		addr_format_prefix(&masked, (unsigned)plen, fix, sizeof(fix));
		err(ps, ln->lineno, t->col,
		    "bad prefix \"%s\": host bits are set (did you mean %s?)",
		    quote(t, q, sizeof(q)), fix);
		return -1;
	}
	r->net = net;
	r->plen = (unsigned)plen;
	return 0;
}

/* check_domain - why <t> is not a domain pattern, or NULL when it is one */
static const char *
check_domain(const struct tok *t, char *why, size_t size)
{
	const char *s = t->s;
	size_t i, len = t->len;
	char b[32];

	if (len > POLICY_PATTERN_MAX) {
		snprintf(why, size, "longer than %d bytes", POLICY_PATTERN_MAX);
		return why;
	}
	if (len == 1 && s[0] == '*')
		return NULL;
	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return "empty suffix after \"*.\"";
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '*')
			return "'*' may only be the whole pattern or lead "
			       "\"*.suffix\"";
		if (c == '.') {
			if (i == 0 || i + 1 == len || s[i + 1] == '.')
				return "empty label";
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '-')) {
			snprintf(why, size,
			    "invalid %s (want letters, digits, '-' and '.')",
			    byte_name((unsigned char)c, b, sizeof(b)));
			return why;
		}
	}
	return NULL;
}

/* check_list - why <t> is not a list pattern, or NULL when it is one */
static const char *
check_list(const struct tok *t, char *why, size_t size)
{
	size_t i;
	char b[32];

	if (t->len > POLICY_PATTERN_MAX) {
		snprintf(why, size, "longer than %d bytes", POLICY_PATTERN_MAX);
		return why;
	}
	for (i = 0; i < t->len; i++) {
		if (!is_print((unsigned char)t->s[i])) {
			snprintf(why, size,
			    "invalid %s (want printable characters)",
			    byte_name((unsigned char)t->s[i], b, sizeof(b)));
			return why;
		}
	}
	return NULL;
}

/* parse_pattern - a domain or list pattern into <r>, lower-cased */
static int
parse_pattern(struct parser *ps, const struct line *ln, const struct tok *t,
    struct policy_rule *r)
{
	char q[QUOTE_MAX], whybuf[128];
	const char *why;
	size_t i;

	if (r->scope == SCOPE_DOMAIN)
		why = check_domain(t, whybuf, sizeof(whybuf));
	else
		why = check_list(t, whybuf, sizeof(whybuf));
	if (why != NULL) {
		err(ps, ln->lineno, t->col, "bad %s pattern \"%s\": %s",
		    scope_name(r->scope), quote(t, q, sizeof(q)), why);
		return -1;
	}
	if ((r->pattern = malloc(t->len + 1)) == NULL) {
		ps->oom = 1;
		return -1;
	}
	for (i = 0; i < t->len; i++)
		r->pattern[i] = lower(t->s[i]);
	r->pattern[t->len] = '\0';
	return 0;
}

/* parse_scope - the word after "allow" or "limit" into <r> */
static int
parse_scope(struct parser *ps, const struct line *ln, struct policy_rule *r)
{
	static const char *const words[] = {
	    "ip", "subnet", "domain", "list", NULL};
	const char *kw = r->allow ? "allow" : "limit";
	const char *want =
	    r->allow ? "ip, domain or list" : "ip, subnet, domain or list";
	const struct tok *t = &ln->tok[1];
	char q[QUOTE_MAX];
	int s;

	if (ln->ntok < 2) {
		err(ps, ln->lineno, ln->end_col,
		    "missing scope after \"%s\" (want %s)", kw, want);
		return -1;
	}
	for (s = 0; s < SCOPE_COUNT; s++) {
		if (tok_is(t, scope_name((enum scope)s))) {
			r->scope = (enum scope)s;
			if (r->allow && r->scope == SCOPE_SUBNET) {
				err(ps, ln->lineno, t->col,
				    "\"allow subnet\" is not a rule (use "
				    "\"allow ip PREFIX\")");
				return -1;
			}
			return 0;
		}
	}
	err(ps, ln->lineno, t->col, "unknown scope \"%s\" (want %s%s)",
	    quote(t, q, sizeof(q)), want, case_hint(t, words));
	return -1;
}

/* parse_end - no token may follow position <i> */
static int
parse_end(struct parser *ps, const struct line *ln, size_t i, const char *after)
{
	char q[QUOTE_MAX];

	if (ln->ntok <= i)
		return 0;
	err(ps, ln->lineno, ln->tok[i].col, "unexpected \"%s\" after %s",
	    quote(&ln->tok[i], q, sizeof(q)), after);
	return -1;
}

/* parse_allow - the rest of "allow SCOPE TARGET" */
static int
parse_allow(struct parser *ps, const struct line *ln, struct policy_rule *r)
{
	if (ln->ntok < 3) {
		if (r->scope == SCOPE_IP)
			err(ps, ln->lineno, ln->end_col,
			    "missing address after \"allow ip\" (want an IPv4 "
			    "or IPv6 address or prefix)");
		else
			err(ps, ln->lineno, ln->end_col,
			    "missing pattern after \"allow %s\"",
			    scope_name(r->scope));
		return -1;
	}
	if (r->scope == SCOPE_IP) {
		if (parse_net(ps, ln, &ln->tok[2], r) != 0)
			return -1;
	} else if (parse_pattern(ps, ln, &ln->tok[2], r) != 0)
		return -1;
	return parse_end(ps, ln, 3, "end of rule");
}

/* parse_limit - the rest of "limit SCOPE [PATTERN] RATE ACTION [ban DUR]" */
static int
parse_limit(struct parser *ps, const struct line *ln, struct policy_rule *r)
{
	char q[QUOTE_MAX];
	size_t i = 2;

	if (r->scope == SCOPE_DOMAIN || r->scope == SCOPE_LIST) {
		if (ln->ntok < 3) {
			err(ps, ln->lineno, ln->end_col,
			    "missing pattern after \"limit %s\"",
			    scope_name(r->scope));
			return -1;
		}
		/* "limit domain 50/1h defer": say what is really wrong. */
		if (rate_syntax(&ln->tok[2]) &&
		    (ln->ntok == 3 || !rate_syntax(&ln->tok[3]))) {
			err(ps, ln->lineno, ln->tok[2].col,
			    "missing %s pattern before rate \"%s\"",
			    scope_name(r->scope),
			    quote(&ln->tok[2], q, sizeof(q)));
			return -1;
		}
		if (parse_pattern(ps, ln, &ln->tok[2], r) != 0)
			return -1;
		i = 3;
	}
	if (ln->ntok <= i) {
		err(ps, ln->lineno, ln->end_col,
		    "missing rate after \"limit %s\" (want N/DURATION, e.g. "
		    "5/12h)",
		    scope_name(r->scope));
		return -1;
	}
	if (parse_rate(ps, ln, &ln->tok[i++], r) != 0)
		return -1;
	if (ln->ntok <= i) {
		err(ps, ln->lineno, ln->end_col,
		    "missing action after rate (want " WANT_ACTIONS ")");
		return -1;
	}
	if (parse_action(ps, ln, &ln->tok[i++], r) != 0)
		return -1;
	if (ln->ntok <= i)
		return 0;
	if (!tok_is(&ln->tok[i], "ban"))
		return parse_end(
		    ps, ln, i, "action (want \"ban DURATION\" or end of rule)");
	if (ln->ntok <= ++i) {
		err(ps, ln->lineno, ln->end_col,
		    "missing duration after \"ban\" (want N " WANT_UNIT ")");
		return -1;
	}
	if (parse_ban(ps, ln, &ln->tok[i++], r) != 0)
		return -1;
	return parse_end(ps, ln, i, "end of rule");
}

/* parse_spf - "spf RESULT ACTION" into the policy's SPF table */
static int
parse_spf(struct parser *ps, const struct line *ln)
{
	struct policy_rule r;
	char q[QUOTE_MAX];
	int res;

	if (ln->ntok < 3) {
		err(ps, ln->lineno, ln->end_col,
		    "want \"spf RESULT ACTION\" (RESULT: none, neutral, pass, "
		    "fail, softfail, temperror or permerror)");
		return -1;
	}
	for (res = 0; res < SPF_RES_COUNT; res++)
		if (tok_is(&ln->tok[1], spf_result_word((enum spf_result)res)))
			break;
	if (res == SPF_RES_COUNT) {
		err(ps, ln->lineno, ln->tok[1].col,
		    "unknown SPF result \"%s\" (want none, neutral, pass, "
		    "fail, softfail, temperror or permerror)",
		    quote(&ln->tok[1], q, sizeof(q)));
		return -1;
	}
	memset(&r, 0, sizeof(r));
	if (parse_action(ps, ln, &ln->tok[2], &r) != 0 ||
	    parse_end(ps, ln, 3, "end of rule") != 0)
		return -1;
	if (ps->p->spf[res].set) {
		err(ps, ln->lineno, ln->tok[1].col,
		    "spf %s already set on line %u", spf_result_word(res),
		    ps->p->spf[res].line);
		return -1;
	}
	ps->p->spf[res].set = 1;
	ps->p->spf[res].line = ln->lineno;
	ps->p->spf[res].action = r.action;
	return 0;
}

/* parse_line - one tokenised line into <r>; 1 rule, 0 nothing, -1 error */
static int
parse_line(struct parser *ps, const struct line *ln, struct policy_rule *r)
{
	static const char *const words[] = {"allow", "limit", "spf", NULL};
	const struct tok *t = &ln->tok[0];
	char q[QUOTE_MAX];
	int rc;

	if (ln->ntok == 0)
		return 0;
	memset(r, 0, sizeof(*r));
	r->line = ln->lineno;
	if (tok_is(t, "spf"))
		return parse_spf(ps, ln) == 0 ? 0 : -1;
	if (tok_is(t, "allow"))
		r->allow = 1;
	else if (!tok_is(t, "limit")) {
		err(ps, ln->lineno, t->col,
		    "unknown keyword \"%s\" (want allow, limit or spf%s)",
		    quote(t, q, sizeof(q)), case_hint(t, words));
		return -1;
	}
	if (parse_scope(ps, ln, r) != 0)
		return -1;
	rc = r->allow ? parse_allow(ps, ln, r) : parse_limit(ps, ln, r);
	if (rc != 0) {
		free(r->pattern);
		r->pattern = NULL;
		return -1;
	}
	return 1;
}

/* add_rule - append <r> (taking its pattern) to the policy */
static int
add_rule(struct parser *ps, const struct policy_rule *r)
{
	struct policy *p = ps->p;

	if (p->nrules == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 16;
		struct policy_rule *v;

		if (cap > SIZE_MAX / sizeof(*v) ||
		    (v = realloc(p->rules, cap * sizeof(*v))) == NULL)
			return -1;
		p->rules = v;
		ps->cap = cap;
	}
	p->rules[p->nrules++] = *r;
	if (!r->allow) {
		if (r->count > p->max_count[r->scope])
			p->max_count[r->scope] = r->count;
		if (r->window_s > p->max_window_s[r->scope])
			p->max_window_s[r->scope] = r->window_s;
		if (r->ban_s > p->max_ban_s[r->scope])
			p->max_ban_s[r->scope] = r->ban_s;
	}
	return 0;
}

/* check_bytes - report a NUL byte or an overlong line; -1 if one was */
static int
check_bytes(struct parser *ps, unsigned lineno, const char *s, size_t len)
{
	const char *nul = memchr(s, '\0', len);

	if (nul != NULL && (size_t)(nul - s) < POLICY_LINE_MAX) {
		err(ps, lineno, (unsigned)(nul - s) + 1,
		    "NUL byte in line (a policy file is text)");
		return -1;
	}
	if (len > POLICY_LINE_MAX) {
		err(ps, lineno, POLICY_LINE_MAX + 1,
		    "line too long (%zu bytes, max %d)", len, POLICY_LINE_MAX);
		return -1;
	}
	return 0;
}

/*
 * policy_parse - see policy.h. Runs in O(len) time plus the rule and error
 * lists; reentrant (all state is on the stack or in the results).
 */
int
policy_parse(const char *buf, size_t len, const char *name, struct policy **out,
    struct policy_errors *errs)
{
	struct parser ps;
	struct policy_rule r;
	struct line ln;
	size_t pos = 0;
	unsigned lineno = 0;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.name = name != NULL ? name : "policy";
	ps.errs = errs;
	if ((ps.p = calloc(1, sizeof(*ps.p))) == NULL) {
		err(&ps, 1, 1, "out of memory");
		return -1;
	}
	while (pos < len && !ps.oom) {
		const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;

		pos += n + (nl != NULL);
		if (lineno < UINT_MAX)
			lineno++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (check_bytes(&ps, lineno, s, n) != 0)
			continue;
		split(s, n, &ln);
		ln.lineno = lineno;
		memset(&r, 0, sizeof(r));
		if (parse_line(&ps, &ln, &r) != 1)
			continue;
		if (ps.nerr != 0) {
			/* The file is rejected already: only errors matter now.
			 */
			free(r.pattern);
		} else if (add_rule(&ps, &r) != 0) {
			free(r.pattern);
			ps.oom = 1;
		}
	}
	if (ps.oom) {
		/* A failed allocation stopped the parse; say so if it fits. */
		err(&ps, lineno, 1, "out of memory");
	}
	if (ps.nerr != 0 || ps.oom) {
		policy_free(ps.p);
		return -1;
	}
	*out = ps.p;
	return 0;
}

/* policy_free - see policy.h */
void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nrules; i++)
		free(p->rules[i].pattern);
	free(p->rules);
	free(p);
}

/* policy_errors_free - see policy.h */
void
policy_errors_free(struct policy_errors *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		free(e->v[i].msg);
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}
