/*
 * origin.h -- where a subscription request came from, as counter keys
 *
 * DESCRIPTION
 *	Turns the "remote" Mailman logged (an address, a forwarded-for chain,
 *	"unidentified origin", or the requester's e-mail address for a request
 *	made by mail) into an origin and its two counter keys:
 *	  ip      the address masked to the host prefix (IPv4 /32, IPv6 /64);
 *	  subnet  the address masked to the subnet prefix (IPv4 /24, IPv6 /48).
 *	A request by mail has kind ORIGIN_MAIL and is keyed by the requesting
 *	address (no subnet key); no usable origin is the single key "unknown".
 *
 *	Forwarded-for chains: Mailman logs the whole X-Forwarded-For value. Its
 *	leftmost entries are whatever the client sent and can be forged by
 *	anyone; only the entries appended by proxies we run can be trusted.
 *	So the chain is read from the right, skipping entries that lie inside
 *	<trusted_proxies>; the first other entry is the origin. With no trusted
 *	proxies (the default) that is the rightmost entry. An entry that is not
 *	an address makes the origin unknown.
 *
 *	Keys are short byte strings (see ORIGIN_KEY_MAX) for struct ctab;
 *	origin_key_format() prints them ("192.0.2.7", "2001:db8:1:2::/64",
 *	"192.0.2.0/24", "mallory@example.com", "unknown").
 *	Pure: no allocation, no I/O; thread-safe.
 */
#ifndef SUBGATE_ORIGIN_H
#define SUBGATE_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define ORIGIN_KEY_MAX 258 /* tag byte + up to 256 bytes + prefix length */
#define ORIGIN_MAX_PROXIES 64

/* Key tags: the first byte of an ip or subnet key. */
#define ORIGIN_TAG_V4 4
#define ORIGIN_TAG_V6 6
#define ORIGIN_TAG_MAIL '@'
#define ORIGIN_TAG_UNKNOWN '?'

enum origin_kind { ORIGIN_UNKNOWN = 0, ORIGIN_IP, ORIGIN_MAIL };

struct origin_conf {
	unsigned v4_host, v6_host;     /* ip key prefixes: 32 and 64 */
	unsigned v4_subnet, v6_subnet; /* subnet key prefixes: 24 and 48 */
	struct addr proxies[ORIGIN_MAX_PROXIES];
	unsigned proxy_plen[ORIGIN_MAX_PROXIES];
	size_t nproxies;
};

struct origin {
	enum origin_kind kind;
	struct addr ip; /* ORIGIN_IP: the full address */
	uint8_t ipkey[ORIGIN_KEY_MAX];
	size_t ipkey_len;
	uint8_t subnetkey[ORIGIN_KEY_MAX];
	size_t subnetkey_len; /* 0: no subnet key (mail origin) */
};

/* origin_conf_init - the defaults: /32, /64, /24, /48, no proxies. */
void origin_conf_init(struct origin_conf *c);

/*
 * origin_from_remote - classify the remote text <s>/<len> as logged by
 * Mailman (or found in a confirmation body) and fill <o>. Never fails: what
 * cannot be read is ORIGIN_UNKNOWN.
 */
void origin_from_remote(
    const struct origin_conf *c, const char *s, size_t len, struct origin *o);

/* origin_from_addr - an origin for the client address <a>. */
void origin_from_addr(
    const struct origin_conf *c, const struct addr *a, struct origin *o);

/*
 * origin_from_mail - an origin for a request made by mail from <addr>
 * (lower-cased into the key; at most 255 bytes are kept).
 */
void origin_from_mail(const char *addr, size_t len, struct origin *o);

/*
 * origin_mail_addr - for an ORIGIN_MAIL origin, the requesting address as
 * keyed (lower-case, not NUL-terminated) and its length in <*len>; NULL for
 * any other origin.
 */
const char *origin_mail_addr(const struct origin *o, size_t *len);

/* origin_unknown - the origin with the key "unknown". */
void origin_unknown(struct origin *o);

/*
 * origin_none - no origin can be known (Mailman 3 logs none): no ip and no
 * subnet key, so only list and domain limits apply.
 */
void origin_none(struct origin *o);

/*
 * origin_key_format - print a key made by this module into <buf>. Returns
 * the length, or 0 when <size> is too small or the key is malformed.
 */
size_t origin_key_format(
    const uint8_t *key, size_t len, char *buf, size_t size);

#endif
