/*
 * tally.c -- count occurrences of byte-string keys, list the top ones
 *
 * DESCRIPTION
 *	See tally.h. Linear probing, grown at half load. Keys of up to
 *	INLINE_KEY bytes live in the slot itself, so a lookup touches one
 *	cache line; longer ones are allocated. The keys are what logs and
 *	mail hold (addresses, domains): they are hashed with SipHash under a
 *	random key, so that no log can be written to put them all in one
 *	probe run (with an unkeyed hash, twenty thousand crafted domains
 *	would have made "subgatectl top" quadratic).
 */
#include <stdlib.h>
#include <string.h>

#include "seed.h"
#include "siphash.h"
#include "tally.h"

#define INLINE_KEY 32

struct slot {
	uint64_t hash;
	uint64_t count;
	uint32_t len;
	int used;
	union {
		uint8_t inl[INLINE_KEY];
		uint8_t *heap;
	} k;
};

/* slot_key - the key bytes of <s> */
static const uint8_t *
slot_key(const struct slot *s)
{
	return s->len <= INLINE_KEY ? s->k.inl : s->k.heap;
}

struct tally {
	struct slot *slots;
	size_t cap, n;
	uint64_t k0, k1; /* the hash key */
};

/* hash - SipHash-2-4 under the table's key */
static uint64_t
hash(const struct tally *t, const uint8_t *k, size_t len)
{
	return siphash24(t->k0, t->k1, k, len);
}

struct tally *
tally_new(void)
{
	struct tally *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cap = 1024;
	t->k0 = seed_random();
	t->k1 = seed_random();
	if ((t->slots = calloc(t->cap, sizeof(*t->slots))) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
tally_free(struct tally *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i].used && t->slots[i].len > INLINE_KEY)
			free(t->slots[i].k.heap);
	free(t->slots);
	free(t);
}

/* grow - double the table */
static int
grow(struct tally *t)
{
	size_t ncap = t->cap * 2, i, j;
	struct slot *ns = calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (i = 0; i < t->cap; i++) {
		if (!t->slots[i].used)
			continue;
		for (j = t->slots[i].hash & (ncap - 1); ns[j].used;
		     j = (j + 1) & (ncap - 1))
			;
		ns[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

int
tally_add(struct tally *t, const void *key, size_t len, uint64_t n)
{
	uint64_t h = hash(t, key, len);
	size_t i;
	struct slot *s;

	if (len > UINT32_MAX)
		return -1;
	for (i = h & (t->cap - 1); t->slots[i].used;
	     i = (i + 1) & (t->cap - 1)) {
		s = &t->slots[i];
		if (s->hash == h && s->len == len &&
		    memcmp(slot_key(s), key, len) == 0) {
			s->count += n;
			return 0;
		}
	}
	s = &t->slots[i];
	if (len > INLINE_KEY) {
		if ((s->k.heap = malloc(len)) == NULL)
			return -1;
		memcpy(s->k.heap, key, len);
	} else {
		memcpy(s->k.inl, key, len);
	}
	s->used = 1;
	s->len = (uint32_t)len;
	s->count = n;
	s->hash = h;
	t->n++;
	if (2 * t->n > t->cap && grow(t) != 0)
		return -1;
	return 0;
}

size_t
tally_size(const struct tally *t)
{
	return t->n;
}

/* cmp - larger count first, then key bytes */
static int
cmp(const void *a, const void *b)
{
	const struct tally_item *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if ((c = memcmp(x->key, y->key, m)) != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

size_t
tally_top(const struct tally *t, struct tally_item *out, size_t n)
{
	struct tally_item *all;
	size_t i, k = 0;

	if (n == 0 || t->n == 0)
		return 0;
	if ((all = malloc(t->n * sizeof(*all))) == NULL)
		return 0;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i].used) {
			all[k].key = slot_key(&t->slots[i]);
			all[k].len = t->slots[i].len;
			all[k].count = t->slots[i].count;
			k++;
		}
	qsort(all, k, sizeof(*all), cmp);
	if (n > k)
		n = k;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}
