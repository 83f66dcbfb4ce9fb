/*
 * logline.c -- Mailman subscribe-log records: join physical lines, parse
 *
 * DESCRIPTION
 *	See logline.h for the API. This file implements, by hand and in one
 *	pass per field, the regular expressions of the Mailman notes
 *	(mailman.md 1.4; message part, after the prefix):
 *
 *	pending   ^(\S+): pending (.*<[^<>\s]+>|[^\s<>]+)  (.*)$
 *	new       ^(\S+): new( \(digest\))? (.*<[^<>\s]+>|[^\s<>,]+), (.*)$
 *	deleted   ^(\S+): deleted (.*?)(?:; (.*))?$
 *	changed   ^(\S+): changed member address from (\S+) to (\S+)$
 *	auto-unsub ^(\S+): (\S+) auto-unsubscribed \[reason: (\w+(?: value)?)\]$
 *	MM3 held  ^(\S+@\S+): held (un)?subscription request from (\S+)$
 *	MM3       ^deque: do_confirm_verify$ (then traceback lines)
 *
 *	"." matches every byte including '\n' (a joined record keeps the raw
 *	newline of a real name); "\s" is the ASCII set " \t\n\v\f\r" and "\w"
 *	is [A-Za-z0-9_], as in Mailman's Python 2 without re.UNICODE. The
 *	"(.*<...>" alternative is greedy: the LAST "<addr>" that is followed by
 *	the separator wins, as a backtracking regex engine would choose.
 *
 *	Decisions the regexes leave open:
 *	- One '\r' at the very end of a record is ignored (CRLF files).
 *	  Others are data: a "\r\n" inside a joined name stays in the name.
 *	- Only "pending" and "new" records are read whole (a real name may
 *	  hold a raw newline). Every other kind, and the "deque:" test, reads
 *	  the first physical line only (less a '\r' before its '\n'):
 *	  continuation lines there are Mailman 3 tracebacks, REST access or
 *	  gunicorn lines that were joined to the record, never data.
 *	- The prefix time is read as UTC; months are the English C-locale
 *	  abbreviations. A prefix of the right shape whose values are
 *	  impossible (Feb 30, 24:00:00, :61, an unknown month, a year before
 *	  1970, a PID above UINT32_MAX) is LOGLINE_BADDATE. Second 60 (a leap
 *	  second as strftime(3) may print it) is accepted.
 *	- A kind is recognised by its keyword ("LIST: pending", "LIST: new",
 *	  "LIST: deleted", "LIST: changed member address from", "LIST: ADDR
 *	  auto-unsubscribed", "LIST: held subscription request from", ...)
 *	  followed by a space or the end of the line. After that, fields
 *	  that do not match are LOGLINE_MALFORMED, never LOGLINE_OTHER.
 *	- Every member address must hold an '@' with a non-empty local part
 *	  and domain (split at the last '@'); the domain is lower-cased
 *	  (ASCII only), the local part kept.
 *	- REMOTE_CHAIN needs at least one ',' and every element (spaces
 *	  around it trimmed) must be an IP literal; "unknown, 10.0.0.2" is
 *	  REMOTE_OTHER. REMOTE_MAIL is "LOCAL@DOMAIN" with no white space and
 *	  no ','.
 *	Pure: no I/O, no clock, no global state but constant tables.
 * DIAGNOSTICS
 *	logline_parse() returns an enum logline_result. On anything but
 *	LOGLINE_OK the event kind is LOGEV_OTHER and its strings are empty;
 *	time and pid are set whenever the prefix was read.
 * LIMITS
 *	Parsing is O(record length). logjoin keeps at most LOGJOIN_MAX bytes
 *	of a record and two buffers of at most that size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "logline.h"

/* logline_ws - \s of Python 2 "re" without re.UNICODE: " \t\n\v\f\r" */
static inline int
logline_ws(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* logline_digit - [0-9] */
static inline int
logline_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* logline_word - \w without re.UNICODE: [A-Za-z0-9_] */
static inline int
logline_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    logline_digit(c) || c == '_';
}

/* Length of the fixed part "Mon DD HH:MM:SS YYYY (". */
#define LL_FIXED 22

/* Outcome of logline_scan_prefix() besides a length. */
#define LL_PREFIX_NONE 0
#define LL_PREFIX_BAD ((size_t)-1)

/*
 * logline_days_from_civil - days since 1970-01-01 of a proleptic Gregorian
 * date; <m> is 1..12 (H. Hinnant's days_from_civil algorithm).
 */
static int64_t
logline_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* logline_mdays - days in month <m> (1..12) of year <y> */
static unsigned
logline_mdays(unsigned y, unsigned m)
{
	static const unsigned char mdays[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* logline_2d - the value of two ASCII digits at <p> */
static unsigned
logline_2d(const char *p)
{
	return (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
}

/*
 * logline_scan_prefix - match the strict prefix. Returns its length,
 * LL_PREFIX_NONE when the shape is wrong or LL_PREFIX_BAD when the shape
 * is right and a value impossible.
 */
static size_t
logline_scan_prefix(const char *s, size_t len, int64_t *time, uint32_t *pid)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned mon, day, hh, mm, ss, year;
	uint64_t p;
	size_t i;

	/* The shape "Aaa 99 99:99:99 9999 (": A upper, a lower, 9 digit. */
#define LL_UP(c) ((unsigned char)((c) - 'A') < 26)
#define LL_LO(c) ((unsigned char)((c) - 'a') < 26)
#define LL_DG(c) ((unsigned char)((c) - '0') < 10)
	if (len < LL_FIXED + 3)
		return LL_PREFIX_NONE;
	if (!(LL_UP(u[0]) && LL_LO(u[1]) && LL_LO(u[2]) && u[3] == ' ' &&
	        LL_DG(u[4]) && LL_DG(u[5]) && u[6] == ' ' && LL_DG(u[7]) &&
	        LL_DG(u[8]) && u[9] == ':' && LL_DG(u[10]) && LL_DG(u[11]) &&
	        u[12] == ':' && LL_DG(u[13]) && LL_DG(u[14]) && u[15] == ' ' &&
	        LL_DG(u[16]) && LL_DG(u[17]) && LL_DG(u[18]) && LL_DG(u[19]) &&
	        u[20] == ' ' && u[21] == '('))
		return LL_PREFIX_NONE;
#undef LL_UP
#undef LL_LO
#undef LL_DG

	/*
	 * "(\d+) ": read every digit even past UINT32_MAX, so that an
	 * oversized PID is an impossible value, not a shape error.
	 */
	p = 0;
	for (i = LL_FIXED; i < len && logline_digit(s[i]); i++)
		if (p <= UINT32_MAX)
			p = p * 10 + (uint64_t)(s[i] - '0');
	if (i == LL_FIXED || len - i < 2 || s[i] != ')' || s[i + 1] != ' ')
		return LL_PREFIX_NONE;

	/* The month: its three bytes as one number. */
	switch ((uint32_t)u[0] << 16 | (uint32_t)u[1] << 8 | u[2]) {
#define LL_MON(a, b, c, n)                                                     \
	case (uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (c):                   \
		mon = (n);                                                     \
		break;
		LL_MON('J', 'a', 'n', 1)
		LL_MON('F', 'e', 'b', 2)
		LL_MON('M', 'a', 'r', 3)
		LL_MON('A', 'p', 'r', 4)
		LL_MON('M', 'a', 'y', 5)
		LL_MON('J', 'u', 'n', 6)
		LL_MON('J', 'u', 'l', 7)
		LL_MON('A', 'u', 'g', 8)
		LL_MON('S', 'e', 'p', 9)
		LL_MON('O', 'c', 't', 10)
		LL_MON('N', 'o', 'v', 11)
		LL_MON('D', 'e', 'c', 12)
#undef LL_MON
	default:
		mon = 13; /* no month */
		break;
	}
	day = logline_2d(s + 4);
	hh = logline_2d(s + 7);
	mm = logline_2d(s + 10);
	ss = logline_2d(s + 13);
	year = logline_2d(s + 16) * 100 + logline_2d(s + 18);
	if (mon > 12 || year < 1970 || day < 1 ||
	    day > logline_mdays(year, mon) || hh > 23 || mm > 59 || ss > 60 ||
	    p > UINT32_MAX)
		return LL_PREFIX_BAD;
	*time = logline_days_from_civil(year, mon, day) * 86400 +
	    (int64_t)(hh * 3600 + mm * 60 + ss);
	*pid = (uint32_t)p;
	return i + 2;
}

/*
 * logline_prefix - see logline.h. Impossible values (see the file header)
 * return 0 like a wrong shape. <*time> and <*pid> are untouched then.
 */
size_t
logline_prefix(const char *line, size_t len, int64_t *time, uint32_t *pid)
{
	size_t n = logline_scan_prefix(line, len, time, pid);

	return n == LL_PREFIX_BAD ? 0 : n;
}

/* logline_kw - 1 when <s>/<n> starts with <kw> then a space or the end */
static int
logline_kw(const char *s, size_t n, const char *kw, size_t kwlen)
{
	return n >= kwlen && memcmp(s, kw, kwlen) == 0 &&
	    (n == kwlen || s[kwlen] == ' ');
}

#define LL_KW(s, n, lit) logline_kw((s), (n), (lit), sizeof(lit) - 1)

/* logline_has_ws - 1 when <s>/<n> holds a \s byte */
static int
logline_has_ws(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (logline_ws(s[i]))
			return 1;
	return 0;
}

/* logline_token - length of the leading run of non-\s bytes */
static size_t
logline_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && !logline_ws(s[i]); i++)
		;
	return i;
}

/*
 * logline_addr - check and copy the member address <s>/<n> into <dst>
 * (LOGEV_ADDR_MAX bytes), lower-casing the domain after the last '@'.
 */
static enum logline_result
logline_addr(const char *s, size_t n, char *dst)
{
	size_t at, i;

	if (n >= LOGEV_ADDR_MAX)
		return LOGLINE_TOOLONG;
	for (at = n; at > 0 && s[at - 1] != '@'; at--)
		;
	/* <at> is one past the last '@', or 0 when there is none. */
	if (at < 2 || at == n)
		return LOGLINE_MALFORMED;
	memcpy(dst, s, at);
	for (i = at; i < n; i++) {
		char c = s[i];

		dst[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	dst[n] = '\0';
	return LOGLINE_OK;
}

/* logline_list - copy the list name <s>/<n> into <dst> */
static enum logline_result
logline_list(const char *s, size_t n, char *dst)
{
	if (n >= LOGEV_LIST_MAX)
		return LOGLINE_TOOLONG;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return LOGLINE_OK;
}

/* logline_is_ip - 1 when all of <s>/<n> is one IPv4 or IPv6 literal */
static int
logline_is_ip(const char *s, size_t n)
{
	struct addr a;

	return addr_parse(s, n, &a) == 0;
}

/* logline_is_chain - 1 for "IP, IP[, IP...]" (spaces around ',' free) */
static int
logline_is_chain(const char *s, size_t n)
{
	const char *end = s + n, *comma;
	size_t b, e;

	for (;;) {
		comma = memchr(s, ',', (size_t)(end - s));
		e = comma != NULL ? (size_t)(comma - s) : (size_t)(end - s);
		for (b = 0; b < e && s[b] == ' '; b++)
			;
		while (e > b && s[e - 1] == ' ')
			e--;
		if (!logline_is_ip(s + b, e - b))
			return 0;
		if (comma == NULL)
			return 1;
		s = comma + 1;
	}
}

/*
 * logline_remote_kind - classify the remote of a pending record; an IP
 * literal is parsed into <ip>
 */
static enum logev_remote
logline_remote_kind(const char *s, size_t n, struct addr *ip)
{
	static const char unid[] = "unidentified origin";
	const char *at;

	if (n == sizeof(unid) - 1 && memcmp(s, unid, n) == 0)
		return REMOTE_UNIDENTIFIED;
	/* An IP literal never holds ',' or '@', so the tests are disjoint. */
	if (memchr(s, ',', n) != NULL)
		return logline_is_chain(s, n) ? REMOTE_CHAIN : REMOTE_OTHER;
	if ((at = memchr(s, '@', n)) != NULL) {
		if (logline_has_ws(s, n))
			return REMOTE_OTHER;
		/* Split at the last '@', as logline_addr() does. */
		for (at = s + n; at[-1] != '@'; at--)
			;
		return at - s >= 2 && at < s + n ? REMOTE_MAIL : REMOTE_OTHER;
	}
	return addr_parse(s, n, ip) == 0 ? REMOTE_IP : REMOTE_OTHER;
}

/*
 * logline_who - split "WHO" + <sep> + "REST" following the Mailman regex
 * (.*<[^<>\s]+>|[^\s<>EXTRA]+)SEP(.*), <sep> being two bytes and <extra>
 * one more byte the bare alternative refuses (0 for none). On a match set
 * the address, the name (text before '<' less one trailing space) and the
 * rest, and return 1; else 0.
 */
static int
logline_who(const char *s, size_t n, const char sep[2], char extra,
    struct logspan *addr, struct logspan *name, struct logspan *rest)
{
	size_t j, k, i;

	/*
	 * Greedy ".*": walking back from the end, the first '>' + SEP preceded
	 * by a non-empty run of [^<>\s] and a '<' is the longest ".*". Each
	 * backward run stops at a '<', '>' or \s, so runs never overlap and
	 * the walk is linear.
	 */
	for (j = n >= 3 && memchr(s, '>', n) != NULL ? n - 3 : 0; j >= 2; j--) {
		if (s[j] != '>' || s[j + 1] != sep[0] || s[j + 2] != sep[1])
			continue;
		for (k = j; k > 0; k--) {
			char c = s[k - 1];

			if (c == '<' || c == '>' || logline_ws(c))
				break;
		}
		/* s[k..j) is the run; s[k - 1] stopped it. */
		if (k == j || k == 0 || s[k - 1] != '<')
			continue;
		addr->p = s + k;
		addr->len = j - k;
		name->p = s;
		name->len = k - 1;
		if (name->len > 0 && s[name->len - 1] == ' ')
			name->len--;
		rest->p = s + j + 3;
		rest->len = n - j - 3;
		return 1;
	}

	/* The bare alternative: a maximal run, then SEP. */
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '<' || c == '>' || logline_ws(c) ||
		    (extra != '\0' && c == extra))
			break;
	}
	if (i == 0 || n - i < 2 || s[i] != sep[0] || s[i + 1] != sep[1])
		return 0;
	addr->p = s;
	addr->len = i;
	name->p = NULL;
	name->len = 0;
	rest->p = s + i + 2;
	rest->len = n - i - 2;
	return 1;
}

/* logline_pending - "WHO  REMOTE" after "LIST: pending " */
static enum logline_result
logline_pending(const char *s, size_t n, struct logev *ev)
{
	struct logspan addr;
	enum logline_result r;
	const char *nl;

	if (!logline_who(s, n, "  ", '\0', &addr, &ev->name, &ev->remote) ||
	    ev->remote.len == 0)
		return LOGLINE_MALFORMED;
	if ((r = logline_addr(addr.p, addr.len, ev->addr)) != LOGLINE_OK)
		return r;
	/*
	 * The remote ends with its line: Mailman never writes a newline into
	 * it (it is an HTTP header value or an envelope address), so lines
	 * joined after it are not Mailman's and do not change the origin.
	 */
	nl = memchr(ev->remote.p, '\n', ev->remote.len);
	if (nl != NULL)
		ev->remote.len = (size_t)(nl - ev->remote.p);
	if (ev->remote.len == 0)
		return LOGLINE_MALFORMED;
	ev->remote_kind =
	    logline_remote_kind(ev->remote.p, ev->remote.len, &ev->remote_ip);
	return LOGLINE_OK;
}

/* logline_new - "[ (digest)] WHO, WHENCE" after "LIST: new" */
static enum logline_result
logline_new(const char *s, size_t n, struct logev *ev)
{
	static const char dig[] = " (digest) ";
	struct logspan addr;
	int ok = 0;

	/*
	 * The optional group is greedy: try " (digest)" first and fall back
	 * to reading it as part of WHO, as the regex engine would.
	 */
	if (n >= sizeof(dig) - 1 && memcmp(s, dig, sizeof(dig) - 1) == 0) {
		ok = logline_who(s + sizeof(dig) - 1, n - (sizeof(dig) - 1),
		    ", ", ',', &addr, &ev->name, &ev->remote);
		ev->digest = ok;
	}
	if (!ok) {
		if (n < 1 || s[0] != ' ')
			return LOGLINE_MALFORMED;
		if (!logline_who(
		        s + 1, n - 1, ", ", ',', &addr, &ev->name, &ev->remote))
			return LOGLINE_MALFORMED;
	}
	return logline_addr(addr.p, addr.len, ev->addr);
}

/* logline_deleted - "ADDR[; WHENCE]" after "LIST: deleted " */
static enum logline_result
logline_deleted(const char *s, size_t n, struct logev *ev)
{
	size_t i;

	/* Lazy "(.*?)": the address ends at the first "; ". */
	for (i = 0; i + 1 < n; i++)
		if (s[i] == ';' && s[i + 1] == ' ')
			break;
	if (i + 1 < n) {
		ev->remote.p = s + i + 2;
		ev->remote.len = n - i - 2;
	} else {
		i = n;
	}
	if (logline_has_ws(s, i))
		return LOGLINE_MALFORMED;
	return logline_addr(s, i, ev->addr);
}

/* logline_changed - "A to B" after "LIST: changed member address from " */
static enum logline_result
logline_changed(const char *s, size_t n, struct logev *ev)
{
	size_t a = logline_token(s, n), b;
	enum logline_result r;

	if (a == 0 || n - a < 5 || memcmp(s + a, " to ", 4) != 0)
		return LOGLINE_MALFORMED;
	b = logline_token(s + a + 4, n - a - 4);
	if (b == 0 || a + 4 + b != n)
		return LOGLINE_MALFORMED;
	if ((r = logline_addr(s, a, ev->addr)) != LOGLINE_OK)
		return r;
	return logline_addr(s + a + 4, b, ev->addr2);
}

/* logline_autounsub - "[reason: R]" after "LIST: ADDR auto-unsubscribed" */
static enum logline_result
logline_autounsub(
    const char *addr, size_t alen, const char *s, size_t n, struct logev *ev)
{
	static const char lead[] = " [reason: ";
	static const char value[] = " value";
	size_t i, w;

	if (n < sizeof(lead) - 1 + 2 ||
	    memcmp(s, lead, sizeof(lead) - 1) != 0 || s[n - 1] != ']')
		return LOGLINE_MALFORMED;
	s += sizeof(lead) - 1;
	n -= sizeof(lead) - 1 + 1;
	for (w = 0; w < n && logline_word(s[w]); w++)
		;
	i = w;
	if (i < n && n - i == sizeof(value) - 1 &&
	    memcmp(s + i, value, sizeof(value) - 1) == 0)
		i = n;
	if (w == 0 || i != n)
		return LOGLINE_MALFORMED;
	ev->remote.p = s;
	ev->remote.len = n;
	return logline_addr(addr, alen, ev->addr);
}

/* logline_held - "(\S+)$" after "LIST@DOM: held ... request from " */
static enum logline_result
logline_held(
    const char *list, size_t llen, const char *s, size_t n, struct logev *ev)
{
	const char *at;

	/* \S+@\S+: an '@' past the first byte, and a byte after it. */
	at = llen > 1 ? memchr(list + 1, '@', llen - 1) : NULL;
	if (at == NULL || at == list + llen - 1)
		return LOGLINE_MALFORMED;
	if (n == 0 || logline_token(s, n) != n)
		return LOGLINE_MALFORMED;
	return logline_addr(s, n, ev->addr);
}

/*
 * logline_rest - the bytes of <r>/<rn> after a keyword of <kwlen> bytes
 * that logline_kw() accepted, and after the space that follows it if any.
 */
static void
logline_rest(const char *r, size_t rn, size_t kwlen, const char **s, size_t *n)
{
	size_t skip = rn > kwlen ? kwlen + 1 : kwlen;

	*s = r + skip;
	*n = rn - skip;
}

/*
 * logline_kind - dispatch the message <m>/<n> on its keyword. Sets
 * ev->kind on a recognised keyword, fills the fields and returns
 * LOGLINE_OK, LOGLINE_OTHER or an error.
 *
 * Only "pending" and "new" read past the first physical line: their real
 * name may hold a raw newline. No other kind can hold one, so for them a
 * continuation line is foreign text (a Mailman 3 traceback, REST access
 * or gunicorn line appended to the record) and is ignored.
 */
static enum logline_result
logline_kind(const char *m, size_t n, struct logev *ev)
{
	static const char p_pending[] = "pending";
	static const char p_new[] = "new";
	static const char p_deleted[] = "deleted";
	static const char p_changed[] = "changed member address from";
	static const char p_hsub[] = "held subscription request from";
	static const char p_hunsub[] = "held unsubscription request from";
	static const char p_auto[] = " auto-unsubscribed";
	static const char p_confirm[] = "deque: do_confirm_verify";
	const char *r, *s, *nl;
	size_t fl, tok, rn, rfl, sn, t2;
	enum logline_result res;

	/* The first physical line, less the '\r' of a CRLF file. */
	if ((nl = memchr(m, '\n', n)) != NULL) {
		fl = (size_t)(nl - m);
		if (fl > 0 && m[fl - 1] == '\r')
			fl--;
	} else {
		fl = n;
	}

	if (fl == sizeof(p_confirm) - 1 &&
	    memcmp(m, p_confirm, sizeof(p_confirm) - 1) == 0) {
		ev->kind = LOGEV_CONFIRM_SENT;
		return LOGLINE_OK;
	}

	/* "(\S+): ": the first token ends in ':' and a space follows. */
	tok = logline_token(m, fl);
	if (tok < 2 || tok == fl || m[tok] != ' ' || m[tok - 1] != ':')
		return LOGLINE_OTHER;
	r = m + tok + 1;
	rn = n - tok - 1;
	rfl = fl - tok - 1;

	if (LL_KW(r, rfl, p_pending)) {
		ev->kind = LOGEV_PENDING;
		if (rfl == sizeof(p_pending) - 1)
			return LOGLINE_MALFORMED;
		res = logline_pending(
		    r + sizeof(p_pending), rn - sizeof(p_pending), ev);
	} else if (LL_KW(r, rfl, p_new)) {
		/* " (digest)" starts with the space: logline_new() reads it. */
		ev->kind = LOGEV_NEW;
		res = logline_new(
		    r + sizeof(p_new) - 1, rn - (sizeof(p_new) - 1), ev);
	} else if (LL_KW(r, rfl, p_deleted)) {
		ev->kind = LOGEV_DELETED;
		logline_rest(r, rfl, sizeof(p_deleted) - 1, &s, &sn);
		res = logline_deleted(s, sn, ev);
	} else if (LL_KW(r, rfl, p_changed)) {
		ev->kind = LOGEV_CHANGED;
		logline_rest(r, rfl, sizeof(p_changed) - 1, &s, &sn);
		res = logline_changed(s, sn, ev);
	} else if (LL_KW(r, rfl, p_hsub)) {
		ev->kind = LOGEV_HELD_SUB;
		logline_rest(r, rfl, sizeof(p_hsub) - 1, &s, &sn);
		res = logline_held(m, tok - 1, s, sn, ev);
	} else if (LL_KW(r, rfl, p_hunsub)) {
		ev->kind = LOGEV_HELD_UNSUB;
		logline_rest(r, rfl, sizeof(p_hunsub) - 1, &s, &sn);
		res = logline_held(m, tok - 1, s, sn, ev);
	} else {
		t2 = logline_token(r, rfl);
		if (t2 == 0 || !LL_KW(r + t2, rfl - t2, p_auto))
			return LOGLINE_OTHER;
		ev->kind = LOGEV_AUTOUNSUB;
		res = logline_autounsub(r, t2, r + t2 + sizeof(p_auto) - 1,
		    rfl - t2 - (sizeof(p_auto) - 1), ev);
	}
	if (res != LOGLINE_OK)
		return res;
	return logline_list(m, tok - 1, ev->list);
}

/*
 * logline_parse - see logline.h. A NUL byte anywhere is checked first
 * (LOGLINE_NUL), then the prefix (LOGLINE_NOPREFIX, LOGLINE_BADDATE),
 * then the message. One trailing '\r' is ignored. Runs in O(<len>).
 */
/* logline_reset - <ev> as an unparsed record: LOGEV_OTHER, empty */
static void
logline_reset(struct logev *ev)
{
	ev->kind = LOGEV_OTHER;
	ev->digest = 0;
	ev->list[0] = '\0';
	ev->addr[0] = '\0';
	ev->addr2[0] = '\0';
	ev->name.p = NULL;
	ev->name.len = 0;
	ev->remote.p = NULL;
	ev->remote.len = 0;
	ev->remote_kind = REMOTE_NONE;
	memset(&ev->remote_ip, 0, sizeof(ev->remote_ip));
}

/*
 * logline_body - the message of <rec>/<len> after its prefix of <pl>
 * bytes (time and PID already in <ev>)
 */
static enum logline_result
logline_body(const char *rec, size_t len, size_t pl, struct logev *ev)
{
	enum logline_result r;

	if (len > pl && rec[len - 1] == '\r')
		len--;
	r = logline_kind(rec + pl, len - pl, ev);
	if (r != LOGLINE_OK) {
		/* Leave nothing half-filled for a caller that ignores <r>. */
		logline_reset(ev);
	}
	return r;
}

enum logline_result
logline_parse(const char *rec, size_t len, struct logev *ev)
{
	size_t pl;

	logline_reset(ev);
	ev->time = 0;
	ev->pid = 0;
	if (memchr(rec, '\0', len) != NULL)
		return LOGLINE_NUL;
	pl = logline_scan_prefix(rec, len, &ev->time, &ev->pid);
	if (pl == LL_PREFIX_NONE)
		return LOGLINE_NOPREFIX;
	if (pl == LL_PREFIX_BAD)
		return LOGLINE_BADDATE;
	return logline_body(rec, len, pl, ev);
}

enum logline_result
logline_parse_rec(const struct logrec *rec, struct logev *ev)
{
	if (!rec->prefixed || rec->plen == 0)
		return logline_parse(rec->p, rec->len, ev);
	logline_reset(ev);
	ev->time = 0;
	ev->pid = 0;
	if (memchr(rec->p, '\0', rec->len) != NULL)
		return LOGLINE_NUL;
	ev->time = rec->time;
	ev->pid = rec->pid;
	return logline_body(rec->p, rec->len, rec->plen, ev);
}

const char *
logline_strerror(enum logline_result r)
{
	switch (r) {
	case LOGLINE_OK:
		return "subscription record";
	case LOGLINE_OTHER:
		return "not a subscription record";
	case LOGLINE_NOPREFIX:
		return "no Mailman log prefix";
	case LOGLINE_BADDATE:
		return "impossible date or PID in prefix";
	case LOGLINE_NUL:
		return "NUL byte in record";
	case LOGLINE_MALFORMED:
		return "malformed subscription record";
	case LOGLINE_TOOLONG:
		return "address or list name too long";
	}
	return "unknown logline result";
}

void
logjoin_init(struct logjoin *j)
{
	memset(j, 0, sizeof(*j));
}

/*
 * logjoin_reserve - make buf[<b>] hold at least <need> bytes (<need> is at
 * most LOGJOIN_MAX). Returns 0 or -1 with the buffer unchanged.
 */
static int
logjoin_reserve(struct logjoin *j, int b, size_t need)
{
	size_t cap = j->cap[b];
	char *p;

	if (need <= cap && j->buf[b] != NULL)
		return 0;
	if (cap < 256)
		cap = 256;
	while (cap < need)
		cap *= 2;
	if (cap > LOGJOIN_MAX)
		cap = LOGJOIN_MAX;
	if ((p = realloc(j->buf[b], cap)) == NULL)
		return -1;
	j->buf[b] = p;
	j->cap[b] = cap;
	return 0;
}

/* logjoin_room - bytes of <want> that still fit into the record */
static size_t
logjoin_room(size_t have, size_t want)
{
	return want < LOGJOIN_MAX - have ? want : LOGJOIN_MAX - have;
}

/*
 * logjoin_start - begin a record in buf[<b>] with <line>/<len>. Returns 0
 * or -1 (allocation failure; nothing changed).
 */
static int
logjoin_start(struct logjoin *j, int b, const char *line, size_t len,
    size_t plen, int64_t t, uint32_t pid)
{
	size_t n = logjoin_room(0, len);

	if (logjoin_reserve(j, b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(j->buf[b], line, n);
	j->cur = b;
	j->len = n;
	j->have = 1;
	j->building.p = NULL;
	j->building.len = 0;
	j->building.lineno = j->lineno;
	j->building.nlines = 1;
	j->building.prefixed = plen > 0;
	j->building.truncated = n < len;
	j->building.plen = plen;
	j->building.time = t;
	j->building.pid = pid;
	return 0;
}

/*
 * logjoin_push - see logline.h. A line is prefixed when logline_prefix()
 * accepts it. lineno counts every physical line pushed, even one lost to
 * an allocation failure, so later records keep their true line numbers.
 * Amortised O(<len>).
 */
int
logjoin_push(
    struct logjoin *j, const char *line, size_t len, struct logrec *out)
{
	struct logrec done;
	size_t donelen, room, n;
	int64_t t = 0;
	uint32_t pid = 0;
	size_t plen;
	int old;

	j->lineno++;
	if ((plen = logline_prefix(line, len, &t, &pid)) > 0) {
		if (!j->have)
			return logjoin_start(
			    j, j->cur, line, len, plen, t, pid);
		/*
		 * Build the new record in the other buffer first: on failure
		 * the old one is still being built and only this line is lost.
		 */
		done = j->building;
		donelen = j->len;
		old = j->cur;
		if (logjoin_start(j, !old, line, len, plen, t, pid) == -1)
			return -1;
		*out = done;
		out->p = j->buf[old];
		out->len = donelen;
		return 1;
	}

	if (!j->have)
		return logjoin_start(j, j->cur, line, len, 0, 0, 0);
	/* '\n' + line, as much of it as fits. */
	room = LOGJOIN_MAX - j->len;
	n = room == 0 ? 0 : 1 + (len < room - 1 ? len : room - 1);
	if (logjoin_reserve(j, j->cur, j->len + n) == -1)
		return -1;
	if (n > 0) {
		j->buf[j->cur][j->len] = '\n';
		if (n > 1)
			memcpy(j->buf[j->cur] + j->len + 1, line, n - 1);
		j->len += n;
	}
	if (n == 0 || n - 1 < len)
		j->building.truncated = 1;
	j->building.nlines++;
	return 0;
}

int
logjoin_flush(struct logjoin *j, struct logrec *out)
{
	if (!j->have)
		return 0;
	*out = j->building;
	out->p = j->buf[j->cur];
	out->len = j->len;
	j->have = 0;
	j->len = 0;
	/* The next record goes to the other buffer; <out> stays valid. */
	j->cur = !j->cur;
	return 1;
}

void
logjoin_free(struct logjoin *j)
{
	free(j->buf[0]);
	free(j->buf[1]);
	logjoin_init(j);
}
