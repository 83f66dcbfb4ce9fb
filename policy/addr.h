/*
 * addr.h -- IPv4/IPv6 addresses: parse, format, mask, prefix match
 *
 * DESCRIPTION
 *	A struct addr holds one IPv4 or IPv6 address in network byte order.
 *	IPv4 uses the first 4 bytes of <bytes>; the rest are zero.
 *	IPv4-mapped IPv6 text (::ffff:192.0.2.1) parses as IPv4, so one client
 *	is one key whichever way the web server wrote it.
 *	Pure: no allocation, no global state; thread-safe.
 * DIAGNOSTICS
 *	Parse functions return -1 on any malformed input; nothing is logged.
 */
#ifndef SUBGATE_ADDR_H
#define SUBGATE_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define ADDR_V4 4
#define ADDR_V6 6

/* Longest text addr_format()/addr_format_prefix() can write, with NUL. */
#define ADDR_TEXT_MAX 50

struct addr {
	uint8_t family; /* ADDR_V4 or ADDR_V6 */
	uint8_t bytes[16];
};

/*
 * addr_parse - parse <len> bytes at <s> (no NUL needed) as an IPv4 dotted
 * quad or an IPv6 address. Returns 0 and fills <out>, or -1. Surrounding
 * white space, ports and brackets are not accepted here.
 */
int addr_parse(const char *s, size_t len, struct addr *out);

/*
 * addr_parse_prefix - parse "ADDR" or "ADDR/LEN". Host bits below LEN must be
 * zero (192.0.2.1/24 is refused, so a typo cannot widen a rule silently).
 * A bare address gets the full length (32 or 128). Returns 0 or -1.
 */
int addr_parse_prefix(
    const char *s, size_t len, struct addr *net, unsigned *plen);

/*
 * addr_format - write <a> as text into <buf> (<size> bytes, at least
 * ADDR_TEXT_MAX for any address). Returns the length written, or 0 when
 * <size> is too small (then <buf> holds an empty string if size > 0).
 */
size_t addr_format(const struct addr *a, char *buf, size_t size);

/*
 * addr_format_prefix - like addr_format(), then "/LEN" unless <plen> is the
 * full length of the family.
 */
size_t addr_format_prefix(
    const struct addr *a, unsigned plen, char *buf, size_t size);

/*
 * addr_mask - clear every bit of <a> below the first <plen> bits. A <plen>
 * past the family's length is clamped.
 */
void addr_mask(struct addr *a, unsigned plen);

/*
 * addr_in_prefix - 1 when <a> lies inside <net>/<plen> (same family), else 0.
 */
int addr_in_prefix(const struct addr *a, const struct addr *net, unsigned plen);

/* addr_bits - 32 or 128 for the family of <a>. */
unsigned addr_bits(const struct addr *a);

#endif
