/*
 * khash.h -- keyed, case-insensitive hashes of the strings logs carry
 *
 * DESCRIPTION
 *	The daemon ties a confirmation to its "pending" log line by a hash of
 *	(list, address), and a request by mail to its SMTP client by a hash of
 *	the requester; subgatectl replay --requests does the same. Those
 *	strings are the attacker's. An unkeyed hash lets colliding ones be
 *	made, and a collision is a wrong origin, since a match is on the
 *	hash alone. Here they are hashed with SipHash-2-4 under a random key
 *	(seed.h) drawn per table: colliding inputs cannot be found without
 *	it, and 64 bits make an accidental collision negligible.
 *
 *	ASCII letters are folded, as Mailman and subgate compare lists and
 *	addresses. Pure but for khash_init(), which draws the key.
 */
#ifndef SUBGATE_KHASH_H
#define SUBGATE_KHASH_H

#include <stddef.h>
#include <stdint.h>

struct khash {
	uint64_t k0, k1;
};

/* khash_init - a fresh random key in <k>. Never fails. */
void khash_init(struct khash *k);

/*
 * khash_lower2 - the hash under <k> of lower(<a>/<alen>), a NUL byte and
 * lower(<b>/<blen>). Any lengths; never 0.
 */
uint64_t khash_lower2(const struct khash *k, const char *a, size_t alen,
    const char *b, size_t blen);

#endif
