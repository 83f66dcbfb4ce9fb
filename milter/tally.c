/*
 * tally.c -- count occurrences of byte-string keys, list the top ones
 *
 * DESCRIPTION
 *	See tally.h. Linear probing, grown at half load.
 */
#include <stdlib.h>
#include <string.h>

#include "tally.h"

struct slot {
	uint8_t *key;
	size_t len;
	uint64_t count;
	uint64_t hash;
};

struct tally {
	struct slot *slots;
	size_t cap, n;
};

/* hash - FNV-1a */
static uint64_t
hash(const uint8_t *k, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ k[i]) * 0x100000001b3ULL;
	return h;
}

struct tally *
tally_new(void)
{
	struct tally *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cap = 1024;
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
		free(t->slots[i].key);
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
		if (t->slots[i].key == NULL)
			continue;
		for (j = t->slots[i].hash & (ncap - 1); ns[j].key != NULL;
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
	uint64_t h = hash(key, len);
	size_t i;
	struct slot *s;

	for (i = h & (t->cap - 1); t->slots[i].key != NULL;
	     i = (i + 1) & (t->cap - 1)) {
		s = &t->slots[i];
		if (s->hash == h && s->len == len &&
		    memcmp(s->key, key, len) == 0) {
			s->count += n;
			return 0;
		}
	}
	s = &t->slots[i];
	if ((s->key = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	memcpy(s->key, key, len);
	s->len = len;
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
		if (t->slots[i].key != NULL) {
			all[k].key = t->slots[i].key;
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
