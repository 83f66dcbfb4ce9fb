/*
 * fnv.h -- FNV-1a 64, the hash of subgate's own tables and digests
 *
 * DESCRIPTION
 *	One definition for the tables keyed by text (tally, the subscribe-log
 *	index, the request log, the SPF cache), the tail's file identity and
 *	the policy digest. Not for keys an attacker picks to collide in a
 *	bounded table that is probed: the counter table (policy/ctab.c) uses
 *	its own seeded hash. Values are stable: tail positions saved on disk
 *	and the policy digest depend on them.
 */
#ifndef SUBGATE_FNV_H
#define SUBGATE_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* fnv_bytes - continue hash <h> over <len> bytes at <p>. */
static inline uint64_t
fnv_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	while (len-- > 0)
		h = (h ^ *s++) * FNV_PRIME;
	return h;
}

/*
 * fnv_lower - continue hash <h> over <len> bytes at <s>, ASCII letters
 * lower-cased (addresses and list names compare without case).
 */
static inline uint64_t
fnv_lower(uint64_t h, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * FNV_PRIME;
	}
	return h;
}

#endif
