/*
 * tally.h -- count occurrences of byte-string keys, list the top ones
 *
 * DESCRIPTION
 *	An open-addressing hash table from key bytes to a 64-bit count, for
 *	subgatectl's reports. Keys are copied. Not bounded: it holds what the
 *	admin asked to count.
 */
#ifndef SUBGATE_TALLY_H
#define SUBGATE_TALLY_H

#include <stddef.h>
#include <stdint.h>

struct tally;

struct tally_item {
	const uint8_t *key;
	size_t len;
	uint64_t count;
};

/* tally_new - an empty table, or NULL when memory ran out. */
struct tally *tally_new(void);

/* tally_free - release <t>; NULL is a no-op. */
void tally_free(struct tally *t);

/* tally_add - add <n> to the count of <key>/<len>; 0, or -1 out of memory. */
int tally_add(struct tally *t, const void *key, size_t len, uint64_t n);

/* tally_size - the number of distinct keys. */
size_t tally_size(const struct tally *t);

/*
 * tally_top - the <n> largest counts (ties by key bytes) into <out>, which
 * has room for <n>; returns how many were written. O(keys log keys).
 */
size_t tally_top(const struct tally *t, struct tally_item *out, size_t n);

#endif
