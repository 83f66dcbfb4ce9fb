/*
 * khash.c -- keyed, case-insensitive hashes of the strings logs carry
 *
 * DESCRIPTION
 *	See khash.h. The folded bytes go through a buffer of KHASH_CHUNK
 *	bytes; a longer input is hashed chunk by chunk, each chunk's hash
 *	keying the next, so any length is hashed without allocating.
 */
#include <stdint.h>

#include "khash.h"
#include "seed.h"
#include "siphash.h"

#define KHASH_CHUNK 512

struct khash_state {
	const struct khash *k;
	uint8_t buf[KHASH_CHUNK];
	size_t n;
	uint64_t h;  /* the hash of the chunks so far */
	int chained; /* a chunk was hashed already */
};

void
khash_init(struct khash *k)
{
	k->k0 = seed_random();
	k->k1 = seed_random();
}

/* flush - hash the buffered chunk into the state */
static void
flush(struct khash_state *s)
{
	s->h = siphash24(
	    s->k->k0 ^ (s->chained ? s->h : 0), s->k->k1, s->buf, s->n);
	s->chained = 1;
	s->n = 0;
}

/* feed - <len> bytes at <p>, folded */
static void
feed(struct khash_state *s, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (s->n == KHASH_CHUNK)
			flush(s);
		s->buf[s->n++] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
}

uint64_t
khash_lower2(const struct khash *k, const char *a, size_t alen, const char *b,
    size_t blen)
{
	struct khash_state s;

	s.k = k;
	s.n = 0;
	s.h = 0;
	s.chained = 0;
	feed(&s, a, alen);
	feed(&s, "", 1);
	feed(&s, b, blen);
	flush(&s);
	return s.h != 0 ? s.h : 1;
}
