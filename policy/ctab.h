/*
 * ctab.h -- bounded table of per-key event times (sliding-window counters)
 *
 * DESCRIPTION
 *	One entry per (scope, key): the times, in whole seconds, of the most
 *	recent events of that key, oldest first, plus an optional ban. Counting
 *	the events newer than now - W is exact as long as the entry keeps at
 *	least N + 1 times for every limit N/W it serves: the caller says how
 *	many to keep and for how long when it adds an event, so an entry only
 *	grows as far as its busiest limit needs (a key seen once costs one
 *	time stamp).
 *
 *	Bounded: at most <max_keys> entries. When full, adding a key first
 *	evicts the least recently used one (counted in ctab_stats.evicted),
 *	passing over up to CTAB_EVICT_SPARE entries whose ban is still on:
 *	a flood of new keys does not lift a ban unless most of what it would
 *	evict is banned too (then a banned entry goes, counted in
 *	ctab_stats.bans_evicted).
 *	Idle entries go through ctab_expire(), which the owner calls with a
 *	work budget from a periodic timer (lazy + active expiry, as Redis).
 *
 *	Keys are hashed with SipHash-2-4 keyed by a caller-chosen seed (and
 *	the scope), so that attacker-chosen keys (addresses, domains) cannot
 *	be crafted to collide as long as the seed is secret: the daemon takes
 *	it from getrandom(2).
 *
 *	Pure: allocation only, no clock (now_s is an argument), no locking:
 *	callers serialise access to one table.
 * DIAGNOSTICS
 *	Functions that allocate return NULL or -1 on allocation failure and
 *	leave the table as it was.
 * LIMITS
 *	Keys are at most CTAB_KEY_MAX bytes. Times are uint32 seconds (until
 *	2106). Events at the same second are kept as separate events.
 */
#ifndef SUBGATE_CTAB_H
#define SUBGATE_CTAB_H

#include <stddef.h>
#include <stdint.h>

#define CTAB_KEY_MAX 255
#define CTAB_SCOPES 8
#define CTAB_TOUCH_SLACK 15       /* see ctab_touch() */
#define CTAB_TOUCH_SLACK_MIN 1024 /* see ctab_touch() */
#define CTAB_EVICT_SPARE 8        /* banned entries an eviction passes over */
#define CTAB_INLINE_TIMES 2 /* times an entry holds without a second block */

struct ctab;

struct ctab_entry {
	union {
		uint32_t in[CTAB_INLINE_TIMES]; /* cap <= CTAB_INLINE_TIMES */
		uint32_t *ext;                  /* else: a block of cap times */
	} ts;
	uint32_t last_s;    /* last time an event was added or touched */
	uint32_t ban_until; /* 0: not banned */
	uint32_t nts;       /* times stored */
	uint32_t cap;       /* room for times */
	uint32_t qpos;      /* LRU queue position of its newest record */
	uint32_t tag;       /* index tag (32 bits of the key's hash) */
	uint16_t ban_rule;  /* owner's rule index for the ban */
	uint8_t ban_action; /* owner's action code for the ban */
	uint8_t scope;
	uint8_t keylen;
	uint8_t dead;   /* removed, freed once the LRU queue lets go of it */
	uint8_t data[]; /* key bytes */
};

struct ctab_stats {
	size_t keys[CTAB_SCOPES]; /* live entries per scope */
	size_t total_keys;
	uint64_t evicted[CTAB_SCOPES];
	uint64_t expired;
	uint64_t bans_evicted; /* evicted while their ban was on */
	size_t bytes;          /* estimated heap bytes, table included */
	size_t index_bytes;    /* of which the hash index */
	size_t lru_bytes;      /* of which the LRU queue */
	size_t max_keys;
};

/*
 * ctab_new - an empty table for at most <max_keys> (>= 1) entries, keys
 * hashed with <seed>. Returns NULL on allocation failure.
 */
struct ctab *ctab_new(size_t max_keys, uint64_t seed);

/* ctab_free - release <t> and every entry; NULL is a no-op. */
void ctab_free(struct ctab *t);

/*
 * ctab_hash - the hash of (<scope>, <key>/<len>) in <t>, for the _h
 * variants below: a caller that looks one key up several times hashes it
 * once.
 */
uint64_t ctab_hash(
    const struct ctab *t, unsigned scope, const void *key, size_t len);

/*
 * ctab_find_h, ctab_get_h - ctab_find() and ctab_get() with the key's
 * hash <h> from ctab_hash() (another value finds nothing, or files the
 * entry where no lookup finds it).
 */
struct ctab_entry *ctab_find_h(const struct ctab *t, uint64_t h, unsigned scope,
    const void *key, size_t len);
struct ctab_entry *ctab_get_h(struct ctab *t, uint64_t h, unsigned scope,
    const void *key, size_t len, uint32_t now_s);

/*
 * ctab_prefetch - start loading the index slot where a key of hash <h>
 * (from ctab_hash()) would be, so that a lookup a little later does not
 * wait for memory. A hint only: changes nothing.
 */
void ctab_prefetch(const struct ctab *t, uint64_t h);

/*
 * ctab_prefetch_entry - start loading the entry of hash <h>, once its
 * slot is in the cache (some time after ctab_prefetch()). A hint only.
 */
void ctab_prefetch_entry(const struct ctab *t, uint64_t h);

/*
 * ctab_find - the entry for (<scope>, <key>/<len>) or NULL. Does not touch
 * the LRU order. <scope> < CTAB_SCOPES, <len> <= CTAB_KEY_MAX.
 */
struct ctab_entry *ctab_find(
    const struct ctab *t, unsigned scope, const void *key, size_t len);

/*
 * ctab_get - the entry for the key, created empty if absent (evicting the
 * least recently used entry when the table is full, banned ones spared as
 * the DESCRIPTION says; a spared entry moves to the head), moved to the
 * head of the LRU list, last_s raised to <now_s>. Returns NULL on allocation
 * failure.
 * Pointers to other entries stay valid except the evicted one's.
 */
struct ctab_entry *ctab_get(struct ctab *t, unsigned scope, const void *key,
    size_t len, uint32_t now_s);

/*
 * ctab_touch - move <e> to the head of the LRU list and set its last_s to
 * <now_s> (if later), as ctab_get() does for an existing key. Amortised
 * O(1). In a table of CTAB_TOUCH_SLACK_MIN entries or more, an entry that
 * is already among the CTAB_TOUCH_SLACK + 1 most recently touched stays
 * where it is: the keys every decision touches (a list, a big domain)
 * then cost nothing, and only the order among those few most recent
 * entries is loose, which no eviction reaches.
 */
void ctab_touch(struct ctab *t, struct ctab_entry *e, uint32_t now_s);

/*
 * ctab_add_event - append an event at <now_s> to <e> (from ctab_get()),
 * first dropping times older than or equal to <drop_before_s>, then the
 * oldest ones beyond <keep_n> - 1, so at most <keep_n> (>= 1) times remain.
 * The entry stays where it is (entries never move). Returns 0, or -1 on
 * allocation failure (the entry is then unchanged).
 */
int ctab_add_event(struct ctab *t, struct ctab_entry *e, uint32_t now_s,
    uint32_t keep_n, uint32_t drop_before_s);

/*
 * ctab_count_after - the number of stored times strictly greater than
 * <after_s>. O(log n). <e> may be NULL (then 0).
 */
uint32_t ctab_count_after(const struct ctab_entry *e, uint32_t after_s);

/* ctab_time_at - the <i>-th stored time, oldest first (0 if none). */
uint32_t ctab_time_at(const struct ctab_entry *e, uint32_t i);

/* ctab_first_time - the oldest stored time, or 0 when none. */
uint32_t ctab_first_time(const struct ctab_entry *e);

/* ctab_key - the key bytes of <e> (<e>->keylen long). */
const uint8_t *ctab_key(const struct ctab_entry *e);

/*
 * ctab_expire - remove up to <budget> entries, starting from the least
 * recently used, whose last_s + <idle_s>[scope] < <now_s> and whose ban has
 * ended. Looks at no more than 4 * <budget> entries. Returns the number
 * removed.
 */
size_t ctab_expire(struct ctab *t, uint32_t now_s,
    const uint32_t idle_s[CTAB_SCOPES], size_t budget);

/* ctab_remove - delete the entry for the key; 1 if there was one. */
int ctab_remove(struct ctab *t, unsigned scope, const void *key, size_t len);

/*
 * ctab_foreach - call <fn> on every entry, most recently used first, until
 * it returns non-zero (which is then returned). <fn> must not modify <t>.
 */
int ctab_foreach(const struct ctab *t,
    int (*fn)(const struct ctab_entry *e, void *arg), void *arg);

/*
 * ctab_foreach_oldest - ctab_foreach(), least recently used first (the
 * order that rebuilds the same LRU list when the entries are added again
 * in turn).
 */
int ctab_foreach_oldest(const struct ctab *t,
    int (*fn)(const struct ctab_entry *e, void *arg), void *arg);

/* ctab_stats - fill <s> with the current figures. */
void ctab_stats(const struct ctab *t, struct ctab_stats *s);

#endif
