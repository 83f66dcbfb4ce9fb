/*
 * fnv.h -- FNV-1a 64, for digests that must stay the same across runs
 *
 * DESCRIPTION
 *	Position-file names made from long log paths, the policy digest
 *	and the journal's record checks (against torn writes, not an
 *	attacker): values saved on disk or compared across a restart, so the
 *	hash cannot be keyed (the tail's file identity also reads the FNV-1a
 *	of position files written before it kept the bytes themselves). Not
 *	for tables of what logs and mail carry,
 *	which an attacker picks: those use SipHash under a random key
 *	(seed.h, khash.h, tally.c, spf.c, policy/ctab.c).
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

#endif
