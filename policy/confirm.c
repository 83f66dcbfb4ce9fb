/*
 * confirm.c -- recognise Mailman's subscription confirmations
 *
 * DESCRIPTION
 *	See confirm.h. Everything is decided from bounded copies of the few
 *	headers that matter and from the first CONFIRM_BODY_MAX bytes of the
 *	body, so a hostile message costs at most a copy of those.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "confirm.h"

/* lower - ASCII lower case */
static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* is_space - white space in headers and bodies */
static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* copy - a bounded, NUL-terminated copy of <n> bytes; <src> may lie inside
 * <dst> (trim_copy() trims in place) */
static void
copy(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memmove(dst, src, n);
	dst[n] = '\0';
}

/* trim_copy - copy <s> without leading and trailing white space */
static void
trim_copy(char *dst, size_t size, const char *s)
{
	size_t n;

	while (is_space((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	copy(dst, size, s, n);
}

/* ci_eq - ASCII case-insensitive equality */
static int
ci_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* ci_find - the first case-insensitive occurrence of <needle> in <hay> */
static const char *
ci_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++) {
		size_t i;

		for (i = 0; i < n && hay[i] != '\0' &&
		     lower((unsigned char)hay[i]) ==
		         lower((unsigned char)needle[i]);
		     i++)
			;
		if (i == n)
			return hay;
	}
	return NULL;
}

/* is_hex40 - exactly 40 hex digits at <s> (followed by <end>) */
static int
is_hex40(const char *s, size_t n)
{
	size_t i;

	if (n != 40)
		return 0;
	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (lower((unsigned char)s[i]) >= 'a' &&
		            lower((unsigned char)s[i]) <= 'f')))
			return 0;
	return 1;
}

/* set_cookie - store a 40-hex cookie in lower case */
static void
set_cookie(struct confirm *c, const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++)
		c->cookie[i] = (char)lower((unsigned char)s[i]);
	c->cookie[40] = '\0';
}

/*
 * extract_addr - the address of an address header: the last <...> or the
 * first token; lower-cased domain, local part as written.
 */
static void
extract_addr(const char *v, char *out, size_t size)
{
	const char *lt = strrchr(v, '<'), *s, *e;
	size_t n;

	if (lt != NULL && (e = strchr(lt, '>')) != NULL) {
		s = lt + 1;
	} else {
		s = v;
		while (is_space((unsigned char)*s))
			s++;
		for (e = s;
		     *e != '\0' && !is_space((unsigned char)*e) && *e != ',';
		     e++)
			;
	}
	n = (size_t)(e - s);
	copy(out, size, s, n);
	if ((lt = strrchr(out, '@')) != NULL)
		for (lt++; *lt != '\0'; lt++)
			*(char *)(uintptr_t)lt =
			    (char)lower((unsigned char)*lt);
}

/* local_part - length of the part of <addr> before its last '@' */
static size_t
local_len(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? (size_t)(at - addr) : strlen(addr);
}

/*
 * verp_cookie - "LIST-confirm+COOKIE@HOST": set the cookie and the list
 * (the part before "-confirm+"), return 1.
 */
static int
verp_cookie(const char *addr, struct confirm *c, char *list, size_t size)
{
	size_t ll = local_len(addr);
	const char *plus;

	if (ll < 10 + 40 || addr[ll] != '@')
		return 0;
	plus = addr + ll - 41;
	if (*plus != '+' || !is_hex40(plus + 1, 40) || plus - addr < 9 ||
	    memcmp(plus - 8, "-confirm", 8) != 0)
		return 0;
	set_cookie(c, plus + 1);
	copy(list, size, addr, (size_t)(plus - 8 - addr));
	return 1;
}

/* subject_cookie - "confirm COOKIE" (nothing else): set the cookie */
static int
subject_cookie(const char *subj, struct confirm *c)
{
	const char *s = subj, *h;
	size_t n;

	while (is_space((unsigned char)*s))
		s++;
	if (strncmp(s, "confirm", 7) != 0 || !is_space((unsigned char)s[7]))
		return 0;
	for (h = s + 7; is_space((unsigned char)*h); h++)
		;
	for (n = 0; h[n] != '\0' && !is_space((unsigned char)h[n]); n++)
		;
	if (!is_hex40(h, n))
		return 0;
	for (s = h + n; *s != '\0'; s++)
		if (!is_space((unsigned char)*s))
			return 0;
	set_cookie(c, h);
	return 1;
}

int
confirm_init(struct confirm_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->body = malloc(CONFIRM_BODY_MAX + 1);
	m->text = malloc(CONFIRM_BODY_MAX + 1);
	if (m->body == NULL || m->text == NULL) {
		confirm_free(m);
		return -1;
	}
	return 0;
}

void
confirm_reset(struct confirm_msg *m)
{
	char *body = m->body, *text = m->text;

	memset(m, 0, sizeof(*m));
	m->body = body;
	m->text = text;
}

void
confirm_free(struct confirm_msg *m)
{
	free(m->body);
	free(m->text);
	m->body = m->text = NULL;
}

const char *
confirm_kind_name(enum confirm_kind k)
{
	static const char *const names[] = {
	    "none", "join", "leave", "invite", "unknown"};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

enum confirm_stage
confirm_envfrom(struct confirm_msg *m, const char *addr)
{
	char a[CONFIRM_ADDR_MAX];
	size_t ll;
	const char *b;

	extract_addr(addr, a, sizeof(a));
	copy(m->envfrom, sizeof(m->envfrom), a, strlen(a));
	ll = local_len(a);
	a[ll] = '\0';
	/* LIST-bounces, or VERP'd LIST-bounces+user=domain */
	if ((b = ci_find(a, "-bounces")) == NULL || b == a ||
	    (b[8] != '\0' && b[8] != '+'))
		return m->stage = CONFIRM_NO;
	return m->stage = CONFIRM_MAYBE;
}

enum confirm_stage
confirm_rcpt(struct confirm_msg *m, const char *addr)
{
	const char *at;
	size_t i;

	if (m->stage == CONFIRM_NO)
		return CONFIRM_NO;
	if (++m->nrcpt > 1)
		return m->stage = CONFIRM_NO;
	extract_addr(addr, m->c.rcpt, sizeof(m->c.rcpt));
	at = strrchr(m->c.rcpt, '@');
	copy(m->c.domain, sizeof(m->c.domain), at != NULL ? at + 1 : "",
	    at != NULL ? strlen(at + 1) : 0);
	for (i = 0; m->c.domain[i] != '\0'; i++)
		m->c.domain[i] = (char)lower((unsigned char)m->c.domain[i]);
	return m->stage;
}

void
confirm_header(struct confirm_msg *m, const char *name, const char *value)
{
	char tmp[CONFIRM_HDR_MAX];

	if (m->stage == CONFIRM_NO)
		return;
	copy(tmp, sizeof(tmp), value, strnlen(value, sizeof(tmp) - 1));
	if (ci_eq(name, "X-Mailman-Version")) {
		trim_copy(tmp, sizeof(tmp), tmp);
		if (strncmp(tmp, "2.1", 3) == 0)
			m->have_version = 2;
		else if (strncmp(tmp, "3.", 2) == 0)
			m->have_version = 3;
	} else if (ci_eq(name, "Auto-Submitted")) {
		m->have_auto_submitted = 1;
	} else if (ci_eq(name, "X-List-Administrivia")) {
		trim_copy(tmp, sizeof(tmp), tmp);
		m->have_administrivia = ci_eq(tmp, "yes");
	} else if (ci_eq(name, "Reply-To")) {
		m->have_reply_to = 1;
		extract_addr(tmp, m->reply_to_addr, sizeof(m->reply_to_addr));
	} else if (ci_eq(name, "From")) {
		extract_addr(tmp, m->from_addr, sizeof(m->from_addr));
	} else if (ci_eq(name, "Subject")) {
		confirm_decode_2047(tmp, m->subject, sizeof(m->subject));
	} else if (ci_eq(name, "Message-ID")) {
		trim_copy(m->c.message_id, sizeof(m->c.message_id), tmp);
	} else if (ci_eq(name, "Content-Transfer-Encoding")) {
		size_t i;

		trim_copy(m->cte, sizeof(m->cte), tmp);
		for (i = 0; m->cte[i] != '\0'; i++)
			m->cte[i] = (char)lower((unsigned char)m->cte[i]);
	}
}

/* eoh_mm2 - Mailman 2.1's signature */
static enum confirm_stage
eoh_mm2(struct confirm_msg *m)
{
	struct confirm *c = &m->c;
	size_t n;

	if (!m->have_administrivia || !m->have_reply_to)
		return CONFIRM_NO; /* a list post, or an invitation */
	if (verp_cookie(m->from_addr, c, c->list, sizeof(c->list)) ||
	    verp_cookie(m->reply_to_addr, c, c->list, sizeof(c->list))) {
		/* The subject is translated; English says which. */
		if (ci_find(m->subject, "required to join") != NULL)
			c->kind = CONFIRM_KIND_JOIN;
		else if (ci_find(m->subject, "required to leave") != NULL)
			c->kind = CONFIRM_KIND_LEAVE;
		else
			c->kind = CONFIRM_KIND_UNKNOWN;
	} else if (subject_cookie(m->subject, c)) {
		n = local_len(m->from_addr);
		if (n > 8 &&
		    strncasecmp(m->from_addr + n - 8, "-request", 8) == 0)
			copy(c->list, sizeof(c->list), m->from_addr, n - 8);
		c->kind = CONFIRM_KIND_UNKNOWN;
	} else {
		return CONFIRM_NO;
	}
	if (c->list[0] == '\0') {
		const char *b = ci_find(m->envfrom, "-bounces");

		n = local_len(m->envfrom);
		if (b != NULL && (size_t)(b - m->envfrom) < n)
			copy(c->list, sizeof(c->list), m->envfrom,
			    (size_t)(b - m->envfrom));
	}
	if (c->kind == CONFIRM_KIND_LEAVE)
		return CONFIRM_NO;
	/* The body names the requester, and settles the kind. */
	return CONFIRM_MAYBE;
}

/* eoh_mm3 - Mailman 3's signature */
static enum confirm_stage
eoh_mm3(struct confirm_msg *m)
{
	struct confirm *c = &m->c;
	const char *at = strrchr(m->from_addr, '@');
	char name[CONFIRM_ADDR_MAX];
	size_t n;

	if (at == NULL)
		return CONFIRM_NO;
	if (verp_cookie(m->from_addr, c, name, sizeof(name))) {
		if (ci_find(m->subject, "needed to join") != NULL)
			c->kind = CONFIRM_KIND_JOIN;
		else if (ci_find(m->subject, "needed to leave") != NULL)
			c->kind = CONFIRM_KIND_LEAVE;
		else if (ci_find(m->subject, "invited to join") != NULL)
			c->kind = CONFIRM_KIND_INVITE;
		else
			c->kind = CONFIRM_KIND_UNKNOWN;
	} else if (subject_cookie(m->subject, c)) {
		n = local_len(m->from_addr);
		if (n <= 8 ||
		    strncasecmp(m->from_addr + n - 8, "-request", 8) != 0)
			return CONFIRM_NO;
		copy(name, sizeof(name), m->from_addr, n - 8);
		c->kind = CONFIRM_KIND_UNKNOWN;
	} else {
		return CONFIRM_NO;
	}
	/* Mailman 3 names a list by its posting address. */
	n = strlen(name);
	copy(c->list, sizeof(c->list), name, n);
	if (n + strlen(at) < sizeof(c->list))
		memcpy(c->list + n, at, strlen(at) + 1);
	if (c->kind == CONFIRM_KIND_LEAVE || c->kind == CONFIRM_KIND_INVITE)
		return CONFIRM_NO;
	return c->kind == CONFIRM_KIND_JOIN ? CONFIRM_DONE : CONFIRM_MAYBE;
}

enum confirm_stage
confirm_eoh(struct confirm_msg *m)
{
	if (m->stage == CONFIRM_NO)
		return CONFIRM_NO;
	m->c.mailman = m->have_version;
	if (m->have_version == 0 || !m->have_auto_submitted)
		m->stage = CONFIRM_NO;
	else if (m->have_version == 2)
		m->stage = eoh_mm2(m);
	else
		m->stage = eoh_mm3(m);
	return m->stage;
}

void
confirm_body(struct confirm_msg *m, const void *chunk, size_t len)
{
	size_t room = CONFIRM_BODY_MAX - m->body_len;

	if (m->stage != CONFIRM_MAYBE)
		return;
	if (len > room) {
		len = room;
		m->body_cut = 1;
	}
	memcpy(m->body + m->body_len, chunk, len);
	m->body_len += len;
}

/*
 * squeeze - the text with every run of white space made one space, so
 * that a sentence wrapped at 70 columns reads as one line
 */
static void
squeeze(const char *in, size_t len, char *out, size_t size)
{
	size_t i, o = 0;
	int sp = 0;

	for (i = 0; i < len && o + 1 < size; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '\0')
			continue;
		if (is_space(ch)) {
			sp = o > 0;
			continue;
		}
		if (sp && o + 2 < size)
			out[o++] = ' ';
		sp = 0;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/* between - the text between <pre> and <post> in <s>, if both are there */
static int
between(
    const char *s, const char *pre, const char *post, char *out, size_t size)
{
	const char *a = ci_find(s, pre), *b;

	if (a == NULL)
		return 0;
	a += strlen(pre);
	if ((b = ci_find(a, post)) == NULL || b == a || b - a > 200)
		return 0;
	copy(out, size, a, (size_t)(b - a));
	return 1;
}

/*
 * first_address - the first white-space-separated token of the text's
 * first paragraphs that is an IP address (a translated template still
 * writes the requester's address in digits)
 */
static int
first_address(const char *s, char *out, size_t size)
{
	const char *p = s, *end = s + strlen(s);
	size_t scanned = 0;

	while (p < end && scanned < 1024) {
		const char *e;
		size_t n;
		struct addr a;

		while (p < end && *p == ' ')
			p++;
		for (e = p; e < end && *e != ' '; e++)
			;
		n = (size_t)(e - p);
		while (n > 0 &&
		    (p[n - 1] == ',' || p[n - 1] == '.' || p[n - 1] == ';' ||
		        p[n - 1] == ')'))
			n--;
		if (n > 0 && p[0] == '(') {
			p++;
			n--;
		}
		if (n > 0 && addr_parse(p, n, &a) == 0) {
			copy(out, size, p, n);
			return 1;
		}
		scanned += (size_t)(e - p) + 1;
		p = e;
	}
	return 0;
}

/* body_mm2 - kind and requester from a Mailman 2.1 body */
static void
body_mm2(struct confirm *c, const char *text)
{
	if (ci_find(text, "subscription confirmation notice") != NULL ||
	    ci_find(text, " for subscription of your") != NULL ||
	    ci_find(text, " zur Aufnahme ") != NULL)
		c->kind = CONFIRM_KIND_JOIN;
	else if (ci_find(text, "removal confirmation notice") != NULL ||
	    ci_find(text, "unsubscription") != NULL)
		c->kind = CONFIRM_KIND_LEAVE;
	if (between(text, "request from ", " for subscription", c->requester,
	        sizeof(c->requester)) ||
	    between(text, "Auftrag von ", " zur Aufnahme", c->requester,
	        sizeof(c->requester)) ||
	    first_address(text, c->requester, sizeof(c->requester)))
		c->requester_found = 1;
}

/*
 * body_mm3 - the kind from a Mailman 3 body: its title for joining and
 * leaving; an invitation has no title, only its first sentence says so
 * (without VERP its headers are a join's)
 */
static void
body_mm3(struct confirm *c, const char *text)
{
	if (c->kind != CONFIRM_KIND_UNKNOWN)
		return;
	if (ci_find(text, "Registration Confirmation") != NULL ||
	    ci_find(text, "registration request") != NULL ||
	    ci_find(text, "zur Anmeldung") != NULL)
		c->kind = CONFIRM_KIND_JOIN;
	else if (ci_find(text, "Unsubscription Confirmation") != NULL ||
	    ci_find(text, "unsubscription request") != NULL ||
	    ci_find(text, "zur Abmeldung") != NULL)
		c->kind = CONFIRM_KIND_LEAVE;
	else if (ci_find(text, "invited to join") != NULL ||
	    ci_find(text, "eingeladen") != NULL)
		c->kind = CONFIRM_KIND_INVITE;
}

enum confirm_kind
confirm_eom(struct confirm_msg *m, struct confirm *out)
{
	if (m->stage == CONFIRM_NO) {
		memset(out, 0, sizeof(*out));
		out->mailman = m->c.mailman;
		return CONFIRM_KIND_NONE;
	}
	if (m->stage == CONFIRM_MAYBE && m->body_len > 0) {
		/*
		 * Decode into <text>, then squeeze back into <body> (no longer
		 * needed): a wrapped sentence reads as one line.
		 */
		size_t n = confirm_decode_body(m->cte, m->body, m->body_len,
		    m->text, CONFIRM_BODY_MAX + 1);

		squeeze(m->text, n, m->body, CONFIRM_BODY_MAX + 1);
		m->body_len = 0;
		if (m->c.mailman == 2)
			body_mm2(&m->c, m->body);
		else
			body_mm3(&m->c, m->body);
	}
	*out = m->c;
	return out->kind;
}

/* hexval - one hex digit, or -1 */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* b64val - one base64 digit, or -1 */
static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* decode_b64 - base64, skipping anything that is not a digit */
static size_t
decode_b64(const char *in, size_t len, char *out, size_t size)
{
	unsigned acc = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < size; i++) {
		int v = b64val((unsigned char)in[i]);

		if (in[i] == '=')
			break;
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return o;
}

/* decode_qp - quoted-printable (<hdr>: '_' is a space, RFC 2047 Q) */
static size_t
decode_qp(const char *in, size_t len, char *out, size_t size, int hdr)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < size; i++) {
		if (in[i] == '=' && i + 2 < len + 0 &&
		    hexval((unsigned char)in[i + 1]) >= 0 &&
		    hexval((unsigned char)in[i + 2]) >= 0) {
			out[o++] =
			    (char)(hexval((unsigned char)in[i + 1]) * 16 +
			        hexval((unsigned char)in[i + 2]));
			i += 2;
		} else if (in[i] == '=' && i + 1 < len &&
		    (in[i + 1] == '\n' || in[i + 1] == '\r')) {
			/* soft line break */
			i++;
			if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
				i++;
		} else if (hdr && in[i] == '_') {
			out[o++] = ' ';
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	return o;
}

size_t
confirm_decode_body(
    const char *cte, const char *in, size_t len, char *out, size_t size)
{
	if (size == 0)
		return 0;
	if (ci_eq(cte, "base64"))
		return decode_b64(in, len, out, size);
	if (ci_eq(cte, "quoted-printable"))
		return decode_qp(in, len, out, size, 0);
	if (len >= size)
		len = size - 1;
	memcpy(out, in, len);
	out[len] = '\0';
	return len;
}

/*
 * encoded_word - decode "=?charset?Q|B?text?=" at <s>; returns its length
 * and appends the decoded bytes, or 0 when <s> is not a well-formed word.
 */
static size_t
encoded_word(const char *s, char *out, size_t size, size_t *o)
{
	const char *q1, *q2, *end;
	char enc;

	if (s[0] != '=' || s[1] != '?')
		return 0;
	if ((q1 = strchr(s + 2, '?')) == NULL || q1[1] == '\0' || q1[2] != '?')
		return 0;
	enc = (char)lower((unsigned char)q1[1]);
	if (enc != 'q' && enc != 'b')
		return 0;
	q2 = q1 + 3;
	if ((end = strstr(q2, "?=")) == NULL)
		return 0;
	if (enc == 'b')
		*o += decode_b64(q2, (size_t)(end - q2), out + *o, size - *o);
	else
		*o += decode_qp(q2, (size_t)(end - q2), out + *o, size - *o, 1);
	return (size_t)(end + 2 - s);
}

size_t
confirm_decode_2047(const char *in, char *out, size_t size)
{
	size_t o = 0, n;
	int after_word = 0;

	if (size == 0)
		return 0;
	while (*in != '\0' && o + 1 < size) {
		if ((n = encoded_word(in, out, size, &o)) > 0) {
			in += n;
			after_word = 1;
			continue;
		}
		if (is_space((unsigned char)*in)) {
			const char *p = in;

			while (is_space((unsigned char)*p))
				p++;
			/* Space between two encoded words is dropped. */
			if (!(after_word && p[0] == '=' && p[1] == '?') &&
			    *p != '\0' && o > 0)
				out[o++] = ' ';
			in = p;
			continue;
		}
		after_word = 0;
		out[o++] = *in++;
	}
	out[o] = '\0';
	return o;
}
