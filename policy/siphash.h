/*
 * siphash.h -- SipHash-2-4, the keyed hash of the counter table
 *
 * DESCRIPTION
 *	Aumasson and Bernstein's SipHash-2-4 (2012): a 64-bit pseudo-random
 *	function of a 128-bit key, made for hash tables whose keys an
 *	attacker chooses (here: recipient domains, list names, addresses).
 *	Without the key, colliding inputs cannot be found faster than by
 *	trying, so no chain can be made long on purpose.
 *
 *	Pure: no allocation, no state; reads bytes in little-endian order
 *	whatever the machine, as the specification says.
 */
#ifndef SUBGATE_SIPHASH_H
#define SUBGATE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * siphash24 - SipHash-2-4 of <len> bytes at <p> under the key (<k0>, <k1>)
 * (k0 the first 8 key bytes read little-endian, k1 the last 8).
 */
uint64_t siphash24(uint64_t k0, uint64_t k1, const void *p, size_t len);

#endif
