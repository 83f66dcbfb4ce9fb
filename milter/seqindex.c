/*
 * seqindex.c -- a hash index over a ring of the newest N records
 *
 * DESCRIPTION
 *	See seqindex.h. Links are stored as record number + 1, so that 0
 *	means "none". A link to record s is live while total - s <= slots:
 *	then slot s % slots still holds record s, and its "previous" link
 *	is the one s was put with.
 */
#include <stdlib.h>

#include "seqindex.h"

struct seqindex {
	size_t slots;
	size_t nbuckets;  /* power of two, >= 2 * slots */
	uint64_t *bucket; /* newest record + 1 per bucket */
	uint64_t *prev;   /* per slot: previous record + 1 of its bucket */
};

struct seqindex *
seqindex_new(size_t slots)
{
	struct seqindex *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->slots = slots > 0 ? slots : 1;
	x->nbuckets = 1;
	while (x->nbuckets < 2 * x->slots)
		x->nbuckets *= 2;
	x->bucket = calloc(x->nbuckets, sizeof(*x->bucket));
	x->prev = calloc(x->slots, sizeof(*x->prev));
	if (x->bucket == NULL || x->prev == NULL) {
		seqindex_free(x);
		return NULL;
	}
	return x;
}

void
seqindex_free(struct seqindex *x)
{
	if (x == NULL)
		return;
	free(x->bucket);
	free(x->prev);
	free(x);
}

void
seqindex_put(struct seqindex *x, uint64_t seq, uint64_t h)
{
	uint64_t *b = &x->bucket[h & (x->nbuckets - 1)];

	x->prev[seq % x->slots] = *b;
	*b = seq + 1;
}

/* live - the record a link names, if the ring still holds it; else -1 */
static int64_t
live(const struct seqindex *x, uint64_t link, uint64_t total)
{
	uint64_t s;

	if (link == 0)
		return -1;
	s = link - 1;
	if (s >= total || total - s > x->slots)
		return -1;
	return (int64_t)s;
}

int64_t
seqindex_first(const struct seqindex *x, uint64_t h, uint64_t total)
{
	return live(x, x->bucket[h & (x->nbuckets - 1)], total);
}

int64_t
seqindex_next(const struct seqindex *x, int64_t prev, uint64_t total)
{
	if (prev < 0)
		return -1;
	return live(x, x->prev[(uint64_t)prev % x->slots], total);
}
