/*
 * ctab.c -- bounded table of per-key event times (sliding-window counters)
 *
 * DESCRIPTION
 *	See ctab.h. Layout: a power-of-two array of hash chains and one
 *	doubly linked LRU list. Each entry is one allocation holding its
 *	header, its key and its times (ascending), grown by doubling and
 *	shrunk back when the times it must keep fall, so memory follows the
 *	events actually inside the windows.
 *
 *	Byte accounting (ctab_stats.bytes) models glibc's allocator: a block
 *	costs its request plus 8 bytes, rounded up to 16, at least 32.
 */
#include <stdlib.h>
#include <string.h>

#include "ctab.h"
#include "siphash.h"

#define MIN_BUCKETS 64

struct ctab {
	struct ctab_entry **buckets;
	size_t nbuckets; /* power of two */
	size_t n;
	size_t max_keys;
	uint64_t seed;
	struct ctab_entry *lru_head, *lru_tail;
	size_t keys[CTAB_SCOPES];
	uint64_t evicted[CTAB_SCOPES];
	uint64_t expired;
	size_t entry_bytes; /* sum of modelled block sizes */
};

/*
 * hash - keyed hash of (scope, key): SipHash-2-4 under a key made of the
 * table's seed and the scope, so that keys an attacker picks (domains,
 * addresses) cannot be made to share a chain
 */
static uint64_t
hash(uint64_t seed, unsigned scope, const uint8_t *k, size_t len)
{
	return siphash24(
	    seed, (seed * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)scope, k, len);
}

/* ts_offset - where the times start in an entry with a <keylen> key */
static size_t
ts_offset(size_t keylen)
{
	size_t off = offsetof(struct ctab_entry, data) + keylen;

	return (off + 3) & ~(size_t)3;
}

/* block_cost - what glibc spends on a block of <n> bytes */
static size_t
block_cost(size_t n)
{
	n = (n + 8 + 15) & ~(size_t)15;
	return n < 32 ? 32 : n;
}

/* entry_size - the allocation size of an entry with room for <cap> times */
static size_t
entry_size(size_t keylen, uint32_t cap)
{
	return ts_offset(keylen) + (size_t)cap * sizeof(uint32_t);
}

/* times - the time array of <e> */
static uint32_t *
times(const struct ctab_entry *e)
{
	return (
	    uint32_t *)(void *)((char *)(uintptr_t)e + ts_offset(e->keylen));
}

const uint8_t *
ctab_key(const struct ctab_entry *e)
{
	return e->data;
}

struct ctab *
ctab_new(size_t max_keys, uint64_t seed)
{
	struct ctab *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->nbuckets = MIN_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (t->buckets == NULL) {
		free(t);
		return NULL;
	}
	t->max_keys = max_keys > 0 ? max_keys : 1;
	t->seed = seed;
	return t;
}

void
ctab_free(struct ctab *t)
{
	struct ctab_entry *e, *next;

	if (t == NULL)
		return;
	for (e = t->lru_head; e != NULL; e = next) {
		next = e->lnext;
		free(e);
	}
	free(t->buckets);
	free(t);
}

uint64_t
ctab_hash(const struct ctab *t, unsigned scope, const void *key, size_t len)
{
	return hash(t->seed, scope, key, len);
}

/* slot - the chain head pointer for hash <h> (only its low 32 bits count,
 * as in an entry) */
static struct ctab_entry **
slot(const struct ctab *t, uint64_t h)
{
	return &t->buckets[(uint32_t)h & (t->nbuckets - 1)];
}

/* find_link - the pointer that points at the entry for the key, or NULL */
static struct ctab_entry **
find_link(const struct ctab *t, uint64_t h, unsigned scope, const void *key,
    size_t len)
{
	struct ctab_entry **pp = slot(t, h);

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		struct ctab_entry *e = *pp;

		if (e->hash == (uint32_t)h && e->scope == scope &&
		    e->keylen == len && memcmp(e->data, key, len) == 0)
			return pp;
	}
	return NULL;
}

struct ctab_entry *
ctab_find_h(const struct ctab *t, uint64_t h, unsigned scope, const void *key,
    size_t len)
{
	struct ctab_entry **pp;

	if (scope >= CTAB_SCOPES || len > CTAB_KEY_MAX)
		return NULL;
	pp = find_link(t, h, scope, key, len);
	return pp != NULL ? *pp : NULL;
}

struct ctab_entry *
ctab_find(const struct ctab *t, unsigned scope, const void *key, size_t len)
{
	if (scope >= CTAB_SCOPES || len > CTAB_KEY_MAX)
		return NULL;
	return ctab_find_h(t, hash(t->seed, scope, key, len), scope, key, len);
}

/* lru_unlink - take <e> out of the LRU list */
static void
lru_unlink(struct ctab *t, struct ctab_entry *e)
{
	if (e->lprev != NULL)
		e->lprev->lnext = e->lnext;
	else
		t->lru_head = e->lnext;
	if (e->lnext != NULL)
		e->lnext->lprev = e->lprev;
	else
		t->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

/* lru_push - put <e> at the head of the LRU list */
static void
lru_push(struct ctab *t, struct ctab_entry *e)
{
	e->lprev = NULL;
	e->lnext = t->lru_head;
	if (t->lru_head != NULL)
		t->lru_head->lprev = e;
	t->lru_head = e;
	if (t->lru_tail == NULL)
		t->lru_tail = e;
}

/* delete_entry - unlink <e> everywhere and free it */
static void
delete_entry(struct ctab *t, struct ctab_entry *e)
{
	struct ctab_entry **pp =
	    find_link(t, e->hash, e->scope, e->data, e->keylen);

	if (pp != NULL)
		*pp = e->hnext;
	lru_unlink(t, e);
	t->keys[e->scope]--;
	t->n--;
	t->entry_bytes -= block_cost(entry_size(e->keylen, e->cap));
	free(e);
}

/* grow_buckets - double the bucket array; failure just keeps chains long */
static void
grow_buckets(struct ctab *t)
{
	size_t nb = t->nbuckets * 2, i;
	struct ctab_entry **nbk = calloc(nb, sizeof(*nbk));

	if (nbk == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++) {
		struct ctab_entry *e = t->buckets[i], *next;

		for (; e != NULL; e = next) {
			size_t h = e->hash & (nb - 1);

			next = e->hnext;
			e->hnext = nbk[h];
			nbk[h] = e;
		}
	}
	free(t->buckets);
	t->buckets = nbk;
	t->nbuckets = nb;
}

void
ctab_touch(struct ctab *t, struct ctab_entry *e, uint32_t now_s)
{
	if (t->lru_head != e) {
		lru_unlink(t, e);
		lru_push(t, e);
	}
	if (now_s > e->last_s)
		e->last_s = now_s;
}

struct ctab_entry *
ctab_get(
    struct ctab *t, unsigned scope, const void *key, size_t len, uint32_t now_s)
{
	if (scope >= CTAB_SCOPES || len > CTAB_KEY_MAX)
		return NULL;
	return ctab_get_h(
	    t, hash(t->seed, scope, key, len), scope, key, len, now_s);
}

struct ctab_entry *
ctab_get_h(struct ctab *t, uint64_t h, unsigned scope, const void *key,
    size_t len, uint32_t now_s)
{
	struct ctab_entry **pp, *e;

	if (scope >= CTAB_SCOPES || len > CTAB_KEY_MAX)
		return NULL;
	pp = find_link(t, h, scope, key, len);
	if (pp != NULL) {
		ctab_touch(t, *pp, now_s);
		return *pp;
	}
	e = calloc(1, entry_size(len, 0));
	if (e == NULL)
		return NULL;
	if (t->n >= t->max_keys && t->lru_tail != NULL) {
		t->evicted[t->lru_tail->scope]++;
		delete_entry(t, t->lru_tail);
	}
	e->hash = (uint32_t)h;
	e->scope = (uint8_t)scope;
	e->keylen = (uint8_t)len;
	memcpy(e->data, key, len);
	e->last_s = now_s;
	pp = slot(t, h);
	e->hnext = *pp;
	*pp = e;
	lru_push(t, e);
	t->n++;
	t->keys[scope]++;
	t->entry_bytes += block_cost(entry_size(len, 0));
	if (t->n > t->nbuckets)
		grow_buckets(t);
	return e;
}

/*
 * relink - after realloc moved the entry at address <old> to <e>, fix every
 * pointer to it. <old> is only compared, as an integer, never dereferenced.
 */
static void
relink(struct ctab *t, uintptr_t old, struct ctab_entry *e)
{
	struct ctab_entry **pp = slot(t, e->hash);

	for (; *pp != NULL; pp = &(*pp)->hnext)
		if ((uintptr_t)*pp == old) {
			*pp = e;
			break;
		}
	if (e->lprev != NULL)
		e->lprev->lnext = e;
	else
		t->lru_head = e;
	if (e->lnext != NULL)
		e->lnext->lprev = e;
	else
		t->lru_tail = e;
}

/* resize - give <*ep> room for exactly <cap> times */
static int
resize(struct ctab *t, struct ctab_entry **ep, uint32_t cap)
{
	struct ctab_entry *e = *ep;
	uintptr_t old = (uintptr_t)e;
	size_t before = block_cost(entry_size(e->keylen, e->cap));

	e = realloc(e, entry_size(e->keylen, cap));
	if (e == NULL)
		return -1;
	e->cap = cap;
	if ((uintptr_t)e != old)
		relink(t, old, e);
	t->entry_bytes =
	    t->entry_bytes - before + block_cost(entry_size(e->keylen, cap));
	*ep = e;
	return 0;
}

int
ctab_add_event(struct ctab *t, struct ctab_entry **ep, uint32_t now_s,
    uint32_t keep_n, uint32_t drop_before_s)
{
	struct ctab_entry *e = *ep;
	uint32_t *ts = times(e), drop = 0, want;

	if (keep_n == 0)
		keep_n = 1;
	while (drop < e->nts && ts[drop] <= drop_before_s)
		drop++;
	if (e->nts - drop >= keep_n)
		drop = e->nts - (keep_n - 1);
	if (drop > 0) {
		memmove(ts, ts + drop, (e->nts - drop) * sizeof(*ts));
		e->nts -= drop;
	}
	want = e->nts + 1;
	if (want > e->cap || e->cap > 2 * want + 2) {
		/* Grow by doubling, never past what must be kept. */
		uint32_t cap = 1;

		while (cap < want)
			cap *= 2;
		if (cap > keep_n)
			cap = keep_n > want ? keep_n : want;
		/*
		 * A failed shrink is harmless (the block is big enough); only a
		 * failed grow, where nothing was dropped, is an error.
		 */
		if (cap != e->cap && resize(t, ep, cap) != 0 && want > e->cap)
			return -1;
		e = *ep;
		ts = times(e);
	}
	/* Times stay sorted even if the clock steps back a little. */
	if (e->nts > 0 && ts[e->nts - 1] > now_s)
		now_s = ts[e->nts - 1];
	ts[e->nts++] = now_s;
	e->last_s = now_s > e->last_s ? now_s : e->last_s;
	return 0;
}

uint32_t
ctab_count_after(const struct ctab_entry *e, uint32_t after_s)
{
	const uint32_t *ts;
	uint32_t lo = 0, hi;

	if (e == NULL)
		return 0;
	ts = times(e);
	hi = e->nts;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ts[mid] <= after_s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return e->nts - lo;
}

uint32_t
ctab_time_at(const struct ctab_entry *e, uint32_t i)
{
	return e != NULL && i < e->nts ? times(e)[i] : 0;
}

uint32_t
ctab_first_time(const struct ctab_entry *e)
{
	return e != NULL && e->nts > 0 ? times(e)[0] : 0;
}

size_t
ctab_expire(struct ctab *t, uint32_t now_s, const uint32_t idle_s[CTAB_SCOPES],
    size_t budget)
{
	struct ctab_entry *e = t->lru_tail, *prev;
	size_t removed = 0, looked = 0;

	while (e != NULL && removed < budget && looked < 4 * budget) {
		prev = e->lprev;
		looked++;
		if ((uint64_t)e->last_s + idle_s[e->scope] < now_s &&
		    e->ban_until <= now_s) {
			delete_entry(t, e);
			t->expired++;
			removed++;
		}
		e = prev;
	}
	return removed;
}

int
ctab_remove(struct ctab *t, unsigned scope, const void *key, size_t len)
{
	struct ctab_entry *e = ctab_find(t, scope, key, len);

	if (e == NULL)
		return 0;
	delete_entry(t, e);
	return 1;
}

int
ctab_foreach(const struct ctab *t,
    int (*fn)(const struct ctab_entry *e, void *arg), void *arg)
{
	const struct ctab_entry *e;
	int rc;

	for (e = t->lru_head; e != NULL; e = e->lnext)
		if ((rc = fn(e, arg)) != 0)
			return rc;
	return 0;
}

int
ctab_foreach_oldest(const struct ctab *t,
    int (*fn)(const struct ctab_entry *e, void *arg), void *arg)
{
	const struct ctab_entry *e;
	int rc;

	for (e = t->lru_tail; e != NULL; e = e->lprev)
		if ((rc = fn(e, arg)) != 0)
			return rc;
	return 0;
}

void
ctab_stats(const struct ctab *t, struct ctab_stats *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->keys, t->keys, sizeof(s->keys));
	memcpy(s->evicted, t->evicted, sizeof(s->evicted));
	s->total_keys = t->n;
	s->expired = t->expired;
	s->max_keys = t->max_keys;
	s->bytes = block_cost(sizeof(*t)) +
	    block_cost(t->nbuckets * sizeof(*t->buckets)) + t->entry_bytes;
}
