/*
 * addr.c -- IPv4/IPv6 addresses: parse, format, mask, prefix match
 *
 * DESCRIPTION
 *	See addr.h. inet_pton(3)/inet_ntop(3) do the text work; this file
 *	adds length-delimited input, prefix handling and the IPv4-mapped
 *	folding, so that every caller formats and masks addresses one way.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

/* addr_bits - the address length of the family */
unsigned
addr_bits(const struct addr *a)
{
	return a->family == ADDR_V4 ? 32 : 128;
}

/*
 * parse_v4 - dotted-quad IPv4 exactly as inet_pton(AF_INET) takes it: four
 * decimal octets of at most 255, no leading zeros, nothing else. 0 or -1.
 * Written out because it is on the path of every log line replayed.
 */
static int
parse_v4(const char *s, size_t len, uint8_t out[4])
{
	unsigned octets = 0, val = 0, digits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9') {
			if (digits > 0 && val == 0)
				return -1; /* a leading zero */
			val = val * 10 + (unsigned)(c - '0');
			if (val > 255)
				return -1;
			digits++;
		} else if (c == '.' && digits > 0 && octets < 3) {
			out[octets++] = (uint8_t)val;
			val = digits = 0;
		} else {
			return -1;
		}
	}
	if (digits == 0 || octets != 3)
		return -1;
	out[3] = (uint8_t)val;
	return 0;
}

/* parse_v6 - an IPv6 literal (an IPv4-mapped one is the IPv4 address) */
static int
parse_v6(const char *s, size_t len, struct addr *out)
{
	char tmp[64];
	static const uint8_t mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (len >= sizeof(tmp) || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET6, tmp, out->bytes) != 1)
		return -1;
	out->family = ADDR_V6;
	if (memcmp(out->bytes, mapped, sizeof(mapped)) == 0) {
		/* ::ffff:a.b.c.d is the IPv4 client a.b.c.d. */
		memmove(out->bytes, out->bytes + 12, 4);
		memset(out->bytes + 4, 0, 12);
		out->family = ADDR_V4;
	}
	return 0;
}

int
addr_parse(const char *s, size_t len, struct addr *out)
{
	if (len == 0)
		return -1;
	memset(out, 0, sizeof(*out));
	/* IPv4 first: it is what logs hold, and it stops at a ':'. */
	if (parse_v4(s, len, out->bytes) == 0) {
		out->family = ADDR_V4;
		return 0;
	}
	if (memchr(s, ':', len) == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	return parse_v6(s, len, out);
}

int
addr_parse_prefix(const char *s, size_t len, struct addr *net, unsigned *plen)
{
	const char *slash = memchr(s, '/', len);
	struct addr masked;
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;
	unsigned bits, n = 0, skip = 0;
	size_t i;

	if (addr_parse(s, alen, net) != 0)
		return -1;
	bits = addr_bits(net);
	/*
	 * An IPv4-mapped IPv6 prefix counts the 96 mapping bits:
	 * ::ffff:192.0.2.0/120 is 192.0.2.0/24.
	 */
	if (net->family == ADDR_V4 && memchr(s, ':', alen) != NULL)
		skip = 96;
	if (slash == NULL) {
		*plen = bits;
		return 0;
	}
	i = alen + 1;
	if (i >= len || len - i > 3)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (unsigned)(s[i] - '0');
	}
	if (n < skip || n - skip > bits)
		return -1;
	n -= skip;
	masked = *net;
	addr_mask(&masked, n);
	if (memcmp(masked.bytes, net->bytes, sizeof(net->bytes)) != 0)
		return -1;
	*plen = n;
	return 0;
}

size_t
addr_format(const struct addr *a, char *buf, size_t size)
{
	char tmp[INET6_ADDRSTRLEN];
	size_t n;

	if (size > 0)
		buf[0] = '\0';
	if (inet_ntop(a->family == ADDR_V4 ? AF_INET : AF_INET6, a->bytes, tmp,
	        sizeof(tmp)) == NULL)
		return 0;
	n = strlen(tmp);
	if (n + 1 > size)
		return 0;
	memcpy(buf, tmp, n + 1);
	return n;
}

size_t
addr_format_prefix(const struct addr *a, unsigned plen, char *buf, size_t size)
{
	size_t n = addr_format(a, buf, size);
	int m;

	if (n == 0 || plen >= addr_bits(a))
		return n;
	m = snprintf(buf + n, size - n, "/%u", plen);
	if (m < 0 || (size_t)m >= size - n) {
		buf[0] = '\0';
		return 0;
	}
	return n + (size_t)m;
}

void
addr_mask(struct addr *a, unsigned plen)
{
	unsigned bits = addr_bits(a), i;

	if (plen >= bits)
		return;
	i = plen / 8;
	if (plen % 8 != 0) {
		a->bytes[i] =
		    (uint8_t)(a->bytes[i] & (0xffu << (8 - plen % 8)));
		i++;
	}
	for (; i < 16; i++)
		a->bytes[i] = 0;
}

int
addr_in_prefix(const struct addr *a, const struct addr *net, unsigned plen)
{
	struct addr m;

	if (a->family != net->family)
		return 0;
	m = *a;
	addr_mask(&m, plen);
	return memcmp(m.bytes, net->bytes, sizeof(m.bytes)) == 0;
}
