/*
 * ctab.c -- bounded table of per-key event times (sliding-window counters)
 *
 * DESCRIPTION
 *	See ctab.h. Three parts, laid out so that a lookup touches as few
 *	cache lines as possible and nothing but the entry it finds:
 *
 *	- The index: open addressing with linear probing over two parallel
 *	  arrays, 32 bits of each key's hash (<tags>, 0 = empty slot) and
 *	  the entry pointers. A probe compares tags and only dereferences
 *	  an entry whose tag matches. Deletion shifts the rest of the probe
 *	  run back (no tombstones); the tags alone give each slot's home.
 *	  At most 7/8 full, doubled beyond: the tags are 4 bytes, so even
 *	  a long probe run reads one or two cache lines.
 *	- The entries: one block each, header and key, never moved once
 *	  made, so pointers to them stay valid. Up to CTAB_INLINE_TIMES
 *	  times sit in the header; more go to a second block, grown by
 *	  doubling and shrunk back when the times an entry must keep fall.
 *	- The LRU order: an append-only queue of entry pointers (a ring).
 *	  Touching an entry appends it and records the position in
 *	  <qpos>; the entry's older records are then stale and skipped.
 *	  Moving an entry to the head is thus one write at the queue's end
 *	  instead of relinking two neighbours in a list, which cost two
 *	  cache misses per touch. The queue's front is the least recently
 *	  used entry once stale records are popped. When the ring is full,
 *	  stale records are squeezed out in place (amortised O(1)). A
 *	  removed entry that still has records is marked dead and freed
 *	  when its newest record leaves the queue; every entry's older
 *	  records lie before its newest, so a popped record never names
 *	  freed memory.
 *
 *	Byte accounting (ctab_stats.bytes) models glibc's allocator: a block
 *	costs its request plus 8 bytes, rounded up to 16, at least 32.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ctab.h"
#include "siphash.h"

#define MIN_SLOTS 64
#define MIN_QUEUE 64
/* Entry blocks: size classes of 16 bytes, carved from slabs. */
#define GRAIN 16
#define ENTRY_MAX (offsetof(struct ctab_entry, data) + CTAB_KEY_MAX)
#define NCLASS ((ENTRY_MAX + GRAIN - 1) / GRAIN)
#define SLAB_BYTES (64 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct slab {
	struct slab *next;
	size_t used; /* bytes carved, once the slab is not the newest */
	max_align_t mem[];
};

/*
 * A free entry block: the next one of its class where the time union
 * was, and FREE_SCOPE as its scope; its keylen stays, so that a walk over
 * a slab can step from block to block.
 */
struct freeblock {
	struct freeblock *next;
};
#define FREE_SCOPE 0xff

struct ctab {
	/* The index. */
	uint32_t *tags;
	struct ctab_entry **slots;
	size_t nslots; /* power of two */
	/* The LRU queue: records at absolute positions [qhead, qtail). */
	struct ctab_entry **q;
	size_t qcap; /* power of two */
	uint64_t qhead, qtail;
	size_t n; /* live entries */
	size_t max_keys;
	uint64_t seed;
	size_t keys[CTAB_SCOPES];
	uint64_t evicted[CTAB_SCOPES];
	uint64_t expired;
	uint64_t bans_evicted;
	size_t entry_bytes; /* modelled blocks of entries, dead ones too */
	/* The entry allocator. */
	struct slab *slabs;
	char *bump; /* the rest of the newest slab */
	size_t bump_left;
	struct freeblock *free_class[NCLASS];
};

/*
 * hash - keyed hash of (scope, key): SipHash-2-4 under a key made of the
 * table's seed and the scope, so that keys an attacker picks (domains,
 * addresses) cannot be made to share a probe run
 */
static uint64_t
hash(uint64_t seed, unsigned scope, const uint8_t *k, size_t len)
{
	return siphash24(
	    seed, (seed * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)scope, k, len);
}

/* tag_of - the index tag of hash <h>: its low 32 bits, never 0 */
static inline uint32_t
tag_of(uint64_t h)
{
	uint32_t t = (uint32_t)h;

	return t != 0 ? t : 1;
}

/* block_cost - what glibc spends on a block of <n> bytes */
static size_t
block_cost(size_t n)
{
	n = (n + 8 + 15) & ~(size_t)15;
	return n < 32 ? 32 : n;
}

/* class_size - the block an entry with a <keylen> key takes */
static size_t
class_size(size_t keylen)
{
	return (offsetof(struct ctab_entry, data) + keylen + GRAIN - 1) /
	    GRAIN * GRAIN;
}

/*
 * entry_alloc - a zeroed block for an entry with a <keylen> key, from its
 * class's free list or the newest slab; NULL when out of memory. Entries
 * come and go by the hundred thousand: slabs spare malloc() its per-block
 * header and bookkeeping, and ctab_free() frees slabs, not entries.
 */
static struct ctab_entry *
entry_alloc(struct ctab *t, size_t keylen)
{
	size_t sz = class_size(keylen), k = sz / GRAIN - 1;
	struct freeblock *b = t->free_class[k];
	void *p;

	if (b != NULL) {
		UNPOISON(b, sz);
		t->free_class[k] = b->next;
		p = b;
	} else {
		if (t->bump_left < sz) {
			struct slab *sl =
			    malloc(offsetof(struct slab, mem) + SLAB_BYTES);

			if (sl == NULL)
				return NULL;
			if (t->slabs != NULL)
				t->slabs->used = SLAB_BYTES - t->bump_left;
			sl->next = t->slabs;
			sl->used = 0;
			t->slabs = sl;
			/* What was left of the old slab is not worth keeping.
			 */
			t->bump = (char *)sl->mem;
			t->bump_left = SLAB_BYTES;
			POISON(t->bump, SLAB_BYTES);
		}
		p = t->bump;
		UNPOISON(p, sz);
		t->bump += sz;
		t->bump_left -= sz;
	}
	memset(p, 0, sz);
	return p;
}

/* entry_release - give <e>'s block back to its class */
static void
entry_release(struct ctab *t, struct ctab_entry *e)
{
	size_t sz = class_size(e->keylen);
	struct freeblock *b = (struct freeblock *)(void *)e;

	e->scope = FREE_SCOPE;
	b->next = t->free_class[sz / GRAIN - 1];
	t->free_class[sz / GRAIN - 1] = b;
	/* The header stays readable for slab walks; the key does not. */
	POISON(e->data, sz - offsetof(struct ctab_entry, data));
}

/* entry_cost - the bytes of <e>: its block and its time block */
static size_t
entry_cost(const struct ctab_entry *e)
{
	size_t c = class_size(e->keylen);

	if (e->cap > CTAB_INLINE_TIMES)
		c += block_cost((size_t)e->cap * sizeof(uint32_t));
	return c;
}

/* times - the time array of <e> */
static inline uint32_t *
times(const struct ctab_entry *e)
{
	struct ctab_entry *m = (struct ctab_entry *)(uintptr_t)e;

	return e->cap > CTAB_INLINE_TIMES ? m->ts.ext : m->ts.in;
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
	t->nslots = MIN_SLOTS;
	t->tags = calloc(t->nslots, sizeof(*t->tags));
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->qcap = MIN_QUEUE;
	t->q = malloc(t->qcap * sizeof(*t->q));
	if (t->tags == NULL || t->slots == NULL || t->q == NULL) {
		free(t->tags);
		free(t->slots);
		free(t->q);
		free(t);
		return NULL;
	}
	t->max_keys = max_keys > 0 ? max_keys : 1;
	t->seed = seed;
	return t;
}

/* free_entry - release <e>'s blocks and their accounting */
static void
free_entry(struct ctab *t, struct ctab_entry *e)
{
	t->entry_bytes -= entry_cost(e);
	if (e->cap > CTAB_INLINE_TIMES)
		free(e->ts.ext);
	entry_release(t, e);
}

/* qat - the record at absolute position <p> */
static inline struct ctab_entry *
qat(const struct ctab *t, uint64_t p)
{
	return t->q[p & (t->qcap - 1)];
}

/* current - is the record at <p> (naming <e>) <e>'s newest? */
static inline int
current(const struct ctab_entry *e, uint64_t p)
{
	return e->qpos == (uint32_t)p;
}

void
ctab_free(struct ctab *t)
{
	struct slab *sl;

	if (t == NULL)
		return;
	/*
	 * Walk the slabs in address order (not the entries in LRU order,
	 * all over memory) for the time blocks, then drop the slabs whole.
	 */
	while ((sl = t->slabs) != NULL) {
		size_t off = 0,
		       used = sl == t->slabs && t->bump != NULL
		    ? SLAB_BYTES - t->bump_left
		    : sl->used;

		while (off < used) {
			struct ctab_entry *e =
			    (struct ctab_entry *)(void *)((char *)sl->mem +
			        off);

			if (e->scope != FREE_SCOPE &&
			    e->cap > CTAB_INLINE_TIMES)
				free(e->ts.ext);
			off += class_size(e->keylen);
		}
		t->slabs = sl->next;
		t->bump = NULL;
		free(sl);
	}
	free(t->tags);
	free(t->slots);
	free(t->q);
	free(t);
}

uint64_t
ctab_hash(const struct ctab *t, unsigned scope, const void *key, size_t len)
{
	return hash(t->seed, scope, key, len);
}

/*
 * find_slot - the slot holding the entry for the key (hash <h>), or
 * SIZE_MAX
 */
static size_t
find_slot(const struct ctab *t, uint64_t h, unsigned scope, const void *key,
    size_t len)
{
	size_t mask = t->nslots - 1, i;
	uint32_t tag = tag_of(h);

	for (i = tag & mask; t->tags[i] != 0; i = (i + 1) & mask) {
		const struct ctab_entry *e;

		if (t->tags[i] != tag)
			continue;
		e = t->slots[i];
		if (e->scope == scope && e->keylen == len &&
		    memcmp(e->data, key, len) == 0)
			return i;
	}
	return SIZE_MAX;
}

struct ctab_entry *
ctab_find_h(const struct ctab *t, uint64_t h, unsigned scope, const void *key,
    size_t len)
{
	size_t i;

	if (scope >= CTAB_SCOPES || len > CTAB_KEY_MAX)
		return NULL;
	i = find_slot(t, h, scope, key, len);
	return i != SIZE_MAX ? t->slots[i] : NULL;
}

struct ctab_entry *
ctab_find(const struct ctab *t, unsigned scope, const void *key, size_t len)
{
	if (scope >= CTAB_SCOPES || len > CTAB_KEY_MAX)
		return NULL;
	return ctab_find_h(t, hash(t->seed, scope, key, len), scope, key, len);
}

void
ctab_prefetch(const struct ctab *t, uint64_t h)
{
	size_t i = tag_of(h) & (t->nslots - 1);

	__builtin_prefetch(&t->tags[i]);
	__builtin_prefetch(&t->slots[i]);
}

void
ctab_prefetch_entry(const struct ctab *t, uint64_t h)
{
	size_t mask = t->nslots - 1, i, n;
	uint32_t tag = tag_of(h);

	/* The first entry with the tag, if its run is short. */
	for (i = tag & mask, n = 0; t->tags[i] != 0 && n < 8;
	     i = (i + 1) & mask, n++)
		if (t->tags[i] == tag) {
			__builtin_prefetch(t->slots[i]);
			return;
		}
}

/* index_put - file <e> under tag <tag> (a free slot exists) */
static void
index_put(uint32_t *tags, struct ctab_entry **slots, size_t nslots,
    uint32_t tag, struct ctab_entry *e)
{
	size_t mask = nslots - 1, i;

	for (i = tag & mask; tags[i] != 0; i = (i + 1) & mask)
		;
	tags[i] = tag;
	slots[i] = e;
}

/*
 * index_del - empty slot <i> and shift back the rest of its probe run: a
 * later entry moves into the hole unless its home lies cyclically in
 * (hole, its slot]
 */
static void
index_del(struct ctab *t, size_t i)
{
	size_t mask = t->nslots - 1, j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (t->tags[j] == 0)
			break;
		home = t->tags[j] & mask;
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->tags[i] = t->tags[j];
		t->slots[i] = t->slots[j];
		i = j;
	}
	t->tags[i] = 0;
	t->slots[i] = NULL;
}

/* grow_index - double the index; -1 (nothing changed) on failure */
static int
grow_index(struct ctab *t)
{
	size_t ns = t->nslots * 2, i;
	uint32_t *tags = calloc(ns, sizeof(*tags));
	struct ctab_entry **slots = calloc(ns, sizeof(*slots));

	if (tags == NULL || slots == NULL) {
		free(tags);
		free(slots);
		return -1;
	}
	for (i = 0; i < t->nslots; i++)
		if (t->tags[i] != 0)
			index_put(tags, slots, ns, t->tags[i], t->slots[i]);
	free(t->tags);
	free(t->slots);
	t->tags = tags;
	t->slots = slots;
	t->nslots = ns;
	return 0;
}

/*
 * compact_queue - squeeze stale records out of the queue in place, in
 * order, freeing dead entries as their newest record goes
 */
static void
compact_queue(struct ctab *t)
{
	uint64_t p, w = t->qhead;

	for (p = t->qhead; p < t->qtail; p++) {
		struct ctab_entry *e = qat(t, p);

		if (!current(e, p))
			continue;
		if (e->dead) {
			free_entry(t, e);
			continue;
		}
		t->q[w & (t->qcap - 1)] = e;
		e->qpos = (uint32_t)w;
		w++;
	}
	t->qtail = w;
}

/* resize_queue - move the queue into a ring of <cap> records (room for
 * every record); -1 (nothing changed) on failure */
static int
resize_queue(struct ctab *t, size_t cap)
{
	struct ctab_entry **nq = malloc(cap * sizeof(*nq));
	uint64_t p;

	if (nq == NULL)
		return -1;
	for (p = t->qhead; p < t->qtail; p++)
		nq[p & (cap - 1)] = qat(t, p);
	free(t->q);
	t->q = nq;
	t->qcap = cap;
	return 0;
}

/*
 * queue_room - make room for one more record: squeeze out stale ones
 * when the ring is full, and keep it at most half full of live records
 * afterwards (each squeeze reads every live entry: the more room, the
 * rarer). -1 when the ring is full and cannot grow.
 */
static int
queue_room(struct ctab *t)
{
	size_t len = (size_t)(t->qtail - t->qhead);

	if (len < t->qcap)
		return 0;
	compact_queue(t);
	len = (size_t)(t->qtail - t->qhead);
	if (len >= t->qcap / 2 && resize_queue(t, t->qcap * 2) != 0 &&
	    len == t->qcap)
		return -1;
	if (len < t->qcap / 8 && t->qcap / 2 >= MIN_QUEUE)
		(void)resize_queue(t, t->qcap / 2);
	return 0;
}

/* queue_push - append a record for <e> (room was made) */
static inline void
queue_push(struct ctab *t, struct ctab_entry *e)
{
	e->qpos = (uint32_t)t->qtail;
	t->q[t->qtail & (t->qcap - 1)] = e;
	t->qtail++;
}

/*
 * pop_garbage - drop stale records and dead entries from the front, so
 * that the front names the least recently used live entry
 */
static void
pop_garbage(struct ctab *t)
{
	while (t->qhead < t->qtail) {
		struct ctab_entry *e = qat(t, t->qhead);

		if (current(e, t->qhead)) {
			if (!e->dead)
				return;
			free_entry(t, e);
		}
		t->qhead++;
	}
}

/*
 * delete_entry - take <e> out of the index and the counts; free it now if
 * its newest record is at the front, else when the queue lets go of it
 */
static void
delete_entry(struct ctab *t, struct ctab_entry *e)
{
	size_t mask = t->nslots - 1, i;

	/* Its slot: the one holding it in its tag's probe run. */
	for (i = e->tag & mask; t->tags[i] != 0; i = (i + 1) & mask)
		if (t->slots[i] == e) {
			index_del(t, i);
			break;
		}
	t->keys[e->scope]--;
	t->n--;
	e->dead = 1;
	pop_garbage(t);
}

void
ctab_touch(struct ctab *t, struct ctab_entry *e, uint32_t now_s)
{
	/*
	 * Among the newest records already (see ctab.h): nothing to do.
	 * Else append; when the ring can neither be squeezed nor grown the
	 * entry keeps its place (an LRU order that lags, never a lost
	 * entry).
	 */
	uint32_t age = (uint32_t)(t->qtail - 1) - e->qpos;
	uint32_t slack = t->n >= CTAB_TOUCH_SLACK_MIN ? CTAB_TOUCH_SLACK : 0;

	if (age > slack && queue_room(t) == 0)
		queue_push(t, e);
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

/*
 * evict_lru - remove the least recently used live entry, passing over up
 * to CTAB_EVICT_SPARE entries under a ban at <now_s> (each goes to the
 * back of the queue, as if touched, but keeps its last_s)
 */
static void
evict_lru(struct ctab *t, uint32_t now_s)
{
	struct ctab_entry *e;

	for (unsigned spared = 0;; spared++) {
		pop_garbage(t);
		if (t->qhead == t->qtail)
			return;
		e = qat(t, t->qhead);
		if (e->ban_until <= now_s || spared == CTAB_EVICT_SPARE)
			break;
		/* Its record leaves the front first: the ring has room. */
		t->qhead++;
		queue_push(t, e);
	}
	t->evicted[e->scope]++;
	if (e->ban_until > now_s)
		t->bans_evicted++;
	delete_entry(t, e);
}

struct ctab_entry *
ctab_get_h(struct ctab *t, uint64_t h, unsigned scope, const void *key,
    size_t len, uint32_t now_s)
{
	struct ctab_entry *e;
	size_t i;

	if (scope >= CTAB_SCOPES || len > CTAB_KEY_MAX)
		return NULL;
	i = find_slot(t, h, scope, key, len);
	if (i != SIZE_MAX) {
		ctab_touch(t, t->slots[i], now_s);
		return t->slots[i];
	}
	/*
	 * Room first, so that a failure leaves the table as it was: a
	 * free slot (the index may run fuller than 7/8 if it cannot grow),
	 * a queue record, then the block.
	 */
	if (t->n + 1 > t->nslots / 8 * 7 && grow_index(t) != 0 &&
	    t->n + 1 >= t->nslots)
		return NULL;
	if (queue_room(t) != 0)
		return NULL;
	if ((e = entry_alloc(t, len)) == NULL)
		return NULL;
	if (t->n >= t->max_keys)
		evict_lru(t, now_s);
	e->scope = (uint8_t)scope;
	e->keylen = (uint8_t)len;
	e->tag = tag_of(h);
	memcpy(e->data, key, len);
	e->last_s = now_s;
	e->cap = CTAB_INLINE_TIMES;
	index_put(t->tags, t->slots, t->nslots, tag_of(h), e);
	queue_push(t, e);
	t->n++;
	t->keys[scope]++;
	t->entry_bytes += entry_cost(e);
	return e;
}

/*
 * resize_times - give <e> room for exactly <cap> times (inline when
 * <cap> <= CTAB_INLINE_TIMES). The entry itself never moves. -1 on
 * allocation failure, <e> unchanged.
 */
static int
resize_times(struct ctab *t, struct ctab_entry *e, uint32_t cap)
{
	size_t before = entry_cost(e);
	uint32_t *ts;

	if (cap <= CTAB_INLINE_TIMES) {
		cap = CTAB_INLINE_TIMES;
		if (e->cap > CTAB_INLINE_TIMES) {
			ts = e->ts.ext;
			memcpy(e->ts.in, ts, (size_t)e->nts * sizeof(*ts));
			free(ts);
		}
	} else {
		ts = realloc(e->cap > CTAB_INLINE_TIMES ? e->ts.ext : NULL,
		    (size_t)cap * sizeof(*ts));
		if (ts == NULL)
			return -1;
		if (e->cap <= CTAB_INLINE_TIMES)
			memcpy(ts, e->ts.in, (size_t)e->nts * sizeof(*ts));
		e->ts.ext = ts;
	}
	e->cap = cap;
	t->entry_bytes = t->entry_bytes - before + entry_cost(e);
	return 0;
}

int
ctab_add_event(struct ctab *t, struct ctab_entry *e, uint32_t now_s,
    uint32_t keep_n, uint32_t drop_before_s)
{
	uint32_t *ts = times(e), drop = 0, want;

	if (keep_n == 0)
		keep_n = 1;
	while (drop < e->nts && ts[drop] <= drop_before_s)
		drop++;
	if (e->nts - drop >= keep_n)
		drop = e->nts - (keep_n - 1);
	/* Nothing is dropped when the block must grow (nts <= cap < want). */
	if (drop > 0) {
		memmove(ts, ts + drop, (e->nts - drop) * sizeof(*ts));
		e->nts -= drop;
	}
	want = e->nts + 1;
	if (want > e->cap ||
	    (e->cap > CTAB_INLINE_TIMES && e->cap > 2 * want + 2)) {
		/* Grow by doubling, never past what must be kept. */
		uint32_t cap = 1;

		while (cap < want)
			cap *= 2;
		if (cap > keep_n)
			cap = keep_n > want ? keep_n : want;
		if (cap < CTAB_INLINE_TIMES)
			cap = CTAB_INLINE_TIMES;
		/*
		 * Only a failed grow fails (the entry is then unchanged): after
		 * a failed shrink the block is still big enough.
		 */
		if (cap != e->cap && resize_times(t, e, cap) != 0 &&
		    want > e->cap)
			return -1;
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
	size_t removed = 0, looked = 0, records = 0;
	uint64_t p;

	pop_garbage(t);
	/*
	 * From the least recently used on. Stale records in between are
	 * skipped, but count towards a bound too, so that one call stays
	 * cheap whatever the queue holds.
	 */
	for (p = t->qhead; p < t->qtail && removed < budget &&
	     looked < 4 * budget && records < 16 * budget;
	     p++, records++) {
		struct ctab_entry *e = qat(t, p);

		if (!current(e, p) || e->dead)
			continue;
		looked++;
		if ((uint64_t)e->last_s + idle_s[e->scope] < now_s &&
		    e->ban_until <= now_s) {
			delete_entry(t, e);
			t->expired++;
			removed++;
			/* delete_entry() may have popped the front past p. */
			if (p < t->qhead)
				p = t->qhead - 1;
		}
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
	uint64_t p;
	int rc;

	for (p = t->qtail; p > t->qhead; p--) {
		const struct ctab_entry *e = qat(t, p - 1);

		if (current(e, p - 1) && !e->dead && (rc = fn(e, arg)) != 0)
			return rc;
	}
	return 0;
}

int
ctab_foreach_oldest(const struct ctab *t,
    int (*fn)(const struct ctab_entry *e, void *arg), void *arg)
{
	uint64_t p;
	int rc;

	for (p = t->qhead; p < t->qtail; p++) {
		const struct ctab_entry *e = qat(t, p);

		if (current(e, p) && !e->dead && (rc = fn(e, arg)) != 0)
			return rc;
	}
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
	s->bans_evicted = t->bans_evicted;
	s->max_keys = t->max_keys;
	s->index_bytes = block_cost(t->nslots * sizeof(*t->tags)) +
	    block_cost(t->nslots * sizeof(*t->slots));
	s->lru_bytes = block_cost(t->qcap * sizeof(*t->q));
	s->bytes = block_cost(sizeof(*t)) + s->index_bytes + s->lru_bytes +
	    t->entry_bytes;
}
