/*
 * origin.c -- where a subscription request came from, as counter keys
 *
 * DESCRIPTION
 *	See origin.h. Key layout: ORIGIN_TAG_V4 or ORIGIN_TAG_V6, the prefix
 *	length, then the first ceil(plen / 8) bytes of the masked address;
 *	ORIGIN_TAG_MAIL then the lower-cased address; ORIGIN_TAG_UNKNOWN
 *	alone. Keys are short so the counter tables stay small.
 */
#include <string.h>

#include "origin.h"

void
origin_conf_init(struct origin_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->v4_host = 32;
	c->v6_host = 64;
	c->v4_subnet = 24;
	c->v6_subnet = 48;
}

/* make_ipkey - the key of <a> masked to <plen> bits */
static size_t
make_ipkey(const struct addr *a, unsigned plen, uint8_t *key)
{
	struct addr m = *a;
	size_t nbytes;

	if (plen > addr_bits(a))
		plen = addr_bits(a);
	addr_mask(&m, plen);
	nbytes = (plen + 7) / 8;
	key[0] = a->family == ADDR_V4 ? ORIGIN_TAG_V4 : ORIGIN_TAG_V6;
	key[1] = (uint8_t)plen;
	memcpy(key + 2, m.bytes, nbytes);
	return 2 + nbytes;
}

void
origin_unknown(struct origin *o)
{
	memset(&o->ip, 0, sizeof(o->ip));
	o->kind = ORIGIN_UNKNOWN;
	o->ipkey[0] = ORIGIN_TAG_UNKNOWN;
	o->ipkey_len = 1;
	o->subnetkey[0] = ORIGIN_TAG_UNKNOWN;
	o->subnetkey_len = 1;
}

void
origin_none(struct origin *o)
{
	memset(&o->ip, 0, sizeof(o->ip));
	o->kind = ORIGIN_UNKNOWN;
	o->ipkey_len = 0;
	o->subnetkey_len = 0;
}

void
origin_from_addr(
    const struct origin_conf *c, const struct addr *a, struct origin *o)
{
	int v4 = a->family == ADDR_V4;

	/* Keys are length-delimited: no need to clear the buffers. */
	o->kind = ORIGIN_IP;
	o->ip = *a;
	o->ipkey_len = make_ipkey(a, v4 ? c->v4_host : c->v6_host, o->ipkey);
	o->subnetkey_len =
	    make_ipkey(a, v4 ? c->v4_subnet : c->v6_subnet, o->subnetkey);
}

void
origin_from_mail(const char *addr, size_t len, struct origin *o)
{
	size_t i;

	memset(&o->ip, 0, sizeof(o->ip));
	o->kind = ORIGIN_MAIL;
	if (len > 255)
		len = 255;
	o->ipkey[0] = ORIGIN_TAG_MAIL;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)addr[i];

		o->ipkey[1 + i] = (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch;
	}
	o->ipkey_len = 1 + len;
	o->subnetkey_len = 0;
}

const char *
origin_mail_addr(const struct origin *o, size_t *len)
{
	if (o->kind != ORIGIN_MAIL || o->ipkey_len < 2)
		return NULL;
	*len = o->ipkey_len - 1;
	return (const char *)o->ipkey + 1;
}

/* trim - strip spaces and tabs at both ends of <*s>/<*len> */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 &&
	    ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' ||
	        (*s)[*len - 1] == '\r'))
		(*len)--;
}

/* is_port - ":" and 1 to 5 digits, the whole of <s>/<len> */
static int
is_port(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || len > 6 || s[0] != ':')
		return 0;
	for (i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * parse_entry - one forwarded-for entry as an address. Accepts a bare
 * address, "[v6]", "[v6]:port" and "v4:port", as proxies write them;
 * anything else is not an address.
 */
static int
parse_entry(const char *s, size_t len, struct addr *a)
{
	const char *colon, *end;

	trim(&s, &len);
	if (len > 0 && s[0] == '[') {
		if ((end = memchr(s, ']', len)) == NULL)
			return -1;
		if (end + 1 != s + len &&
		    !is_port(end + 1, (size_t)(s + len - end - 1)))
			return -1;
		return addr_parse(s + 1, (size_t)(end - s - 1), a);
	}
	if (addr_parse(s, len, a) == 0)
		return 0;
	colon = memchr(s, ':', len);
	if (colon == NULL || !is_port(colon, (size_t)(s + len - colon)))
		return -1;
	if (addr_parse(s, (size_t)(colon - s), a) != 0 || a->family != ADDR_V4)
		return -1;
	return 0;
}

/* trusted - is <a> one of the configured proxies? */
static int
trusted(const struct origin_conf *c, const struct addr *a)
{
	size_t i;

	for (i = 0; i < c->nproxies; i++)
		if (addr_in_prefix(a, &c->proxies[i], c->proxy_plen[i]))
			return 1;
	return 0;
}

/* is_mail - a plausible e-mail address: local@domain, no white space */
static int
is_mail(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	size_t i;

	if (at == NULL || at == s || at == s + len - 1)
		return 0;
	/*
	 * No blanks, commas, quotes, angle brackets or control bytes: what
	 * Mailman logs as a requester's address never has them, and a key
	 * must be safe to print.
	 */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == ',' || c == '"' ||
		    c == '\\' || c == '<' || c == '>')
			return 0;
	}
	return 1;
}

void
origin_from_remote(
    const struct origin_conf *c, const char *s, size_t len, struct origin *o)
{
	struct addr a;
	size_t end;

	trim(&s, &len);
	if (len == 0) {
		origin_unknown(o);
		return;
	}
	if (memchr(s, ',', len) == NULL && is_mail(s, len)) {
		origin_from_mail(s, len, o);
		return;
	}
	/*
	 * Walk the chain from the right, skipping trusted proxies; when every
	 * entry is trusted, the leftmost is the client they all vouch for.
	 */
	end = len;
	for (;;) {
		size_t start = end;

		while (start > 0 && s[start - 1] != ',')
			start--;
		if (parse_entry(s + start, end - start, &a) != 0) {
			origin_unknown(o);
			return;
		}
		if (!trusted(c, &a) || start == 0) {
			origin_from_addr(c, &a, o);
			return;
		}
		end = start - 1;
	}
}

size_t
origin_key_format(const uint8_t *key, size_t len, char *buf, size_t size)
{
	struct addr a;
	unsigned plen;
	size_t nbytes;

	if (size == 0 || len == 0)
		return 0;
	switch (key[0]) {
	case ORIGIN_TAG_V4:
	case ORIGIN_TAG_V6:
		if (len < 2)
			return 0;
		memset(&a, 0, sizeof(a));
		a.family = key[0] == ORIGIN_TAG_V4 ? ADDR_V4 : ADDR_V6;
		plen = key[1];
		nbytes = (plen + 7) / 8;
		if (plen > addr_bits(&a) || len != 2 + nbytes)
			return 0;
		memcpy(a.bytes, key + 2, nbytes);
		return addr_format_prefix(&a, plen, buf, size);
	case ORIGIN_TAG_MAIL:
		if (len - 1 >= size)
			return 0;
		memcpy(buf, key + 1, len - 1);
		buf[len - 1] = '\0';
		return len - 1;
	case ORIGIN_TAG_UNKNOWN:
		if (len != 1 || size < 8)
			return 0;
		memcpy(buf, "unknown", 8);
		return 7;
	default:
		return 0;
	}
}
