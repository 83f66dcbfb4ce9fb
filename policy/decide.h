/*
 * decide.h -- the decision: what happens to one confirmation, and why
 *
 * DESCRIPTION
 *	A struct decider holds the counters (struct ctab) and the identities
 *	of confirmations already seen. decide() takes one confirmation (list,
 *	recipient domain, origin, identity), a policy and the time, and says
 *	accept, defer, hold, reject or discard, naming the rule and the
 *	counter values behind it. The same engine serves the milter and
 *	"subgatectl replay".
 *
 *	Semantics (the policy file's contract, README "Policy file"):
 *	- An allow rule that matches (origin address, recipient domain or list)
 *	  exempts the confirmation from every limit; it is still counted in
 *	  the statistics, not in any window.
 *	- ip, subnet and list limits count requests: every new confirmation is
 *	  one event on its ip, subnet and list keys, whatever its outcome.
 *	  N/W trips on the (N+1)-th event inside any span of W.
 *	- domain limits count confirmations delivered (accepted): a domain
 *	  trips when one more delivery would make N+1 inside W, so a throttle
 *	  drains and never shuts a domain for good.
 *	- For domain and list limits only the most specific pattern applies
 *	  (exact, then the longest *.suffix or the glob with most literal
 *	  characters, then *); every rule written with that pattern applies.
 *	  All ip and subnet limits apply.
 *	- When several limits trip, the most severe action wins (accept <
 *	  defer < hold < reject < discard); among equals, the first in the file.
 *	- "ban D": when the limit trips, its key stays tripped for D. A
 *	  request refused by an ip or subnet ban is not counted anywhere (a
 *	  route block, as fail2ban's), so the key starts afresh once the ban
 *	  and window end; one refused by a list or domain ban is not counted
 *	  on that key but still on its address and network, so the bots
 *	  behind an attack on a list are still found.
 *	- A confirmation whose identity was seen before (Mailman retrying after
 *	  a 4xx, same Message-ID or cookie) is the same request: not counted
 *	  again, only judged again.
 *
 *	Pure: allocation only, time is an argument, no locking (the caller
 *	serialises calls on one decider), no logging.
 * DIAGNOSTICS
 *	decide() returns -1 only when memory ran out; the decision is then
 *	ACT_ACCEPT with <internal_error> set, for the caller to map onto its
 *	on_internal_error setting.
 */
#ifndef SUBGATE_DECIDE_H
#define SUBGATE_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "ctab.h"
#include "origin.h"
#include "policy.h"

#define DECIDE_MAX_LIMITS 16
#define DECIDE_KEY_TEXT_MAX                                                    \
	272 /* room for any key decide_key_format() prints */

struct decide_conf {
	size_t max_keys;   /* counter entries, all scopes together */
	size_t max_ids;    /* confirmation identities remembered */
	uint32_t id_ttl_s; /* how long an identity is remembered */
	uint64_t seed;     /* hash seed (random in the daemon) */
};

struct decide_req {
	const char *list;   /* list name, NUL-terminated */
	const char *domain; /* recipient domain, lower-case; "" if none */
	const struct origin *origin;
	/*
	 * The confirmation's identity (Message-ID, cookie): decide() remembers
	 * it to tell Mailman's retries from new requests. With <id> NULL the
	 * caller says so itself: <retry> and, for a retry, <first_ms>, the time
	 * of the first attempt (replay knows both without remembering ids).
	 */
	const void *id;
	size_t idlen;
	int retry;
	uint64_t first_ms;
	/*
	 * <dry>: judge only ("what would happen now"): nothing is counted,
	 * remembered or banned, and the statistics do not change.
	 */
	int dry;
	/*
	 * <floor>: the least action this confirmation gets, from outside the
	 * limits (the milter's "spf RESULT hold"); ACT_ACCEPT (zero) for
	 * none. A matching allow rule exempts from it too. Applied before
	 * counting, so a floored hold is counted as a hold, not a delivery.
	 */
	enum action floor;
	/*
	 * <prep>: all decide() can work out before it looks at a counter
	 * (decide_prepare() for this request and decider), or NULL. Used only
	 * when made for the policy decide() is given. A caller on two threads
	 * prepares on the one that does not decide.
	 */
	const struct decide_prep *prep;
};

/* What one limit saw while deciding. */
struct decide_limit {
	const struct policy_rule *rule;
	uint32_t count; /* events inside the window, this one included when
	                   it counts (a new request, or a delivery) */
	int tripped;
};

struct decision {
	enum action action;
	const struct policy_rule *rule; /* deciding rule; NULL: none tripped */
	int allowed;                    /* an allow rule matched (<rule>) */
	int retry;                      /* a retry of an earlier request */
	int banned;                     /* an active ban decided */
	uint32_t ban_left_s;
	enum scope ban_scope;
	int internal_error;
	int floored; /* <floor> decided: <rule> is NULL */
	struct decide_limit limits[DECIDE_MAX_LIMITS];
	size_t nlimits; /* limits evaluated (at most DECIDE_MAX_LIMITS are
	                   reported) */
	/* The counter keys of this confirmation, raw; see decide_key_format. */
	uint8_t key[SCOPE_COUNT][CTAB_KEY_MAX];
	uint16_t keylen[SCOPE_COUNT]; /* 0: the scope did not apply */
};

struct decide_stats {
	uint64_t decisions[ACT_COUNT];
	uint64_t allowed, retries, banned;
	struct ctab_stats keys; /* counter table */
	struct ctab_stats ids;  /* identity table */
};

/* decide_conf_init - defaults: 1,000,000 keys and ids, ids kept 5d + 1h. */
void decide_conf_init(struct decide_conf *c);

/* decide_new - a decider with empty tables; NULL on allocation failure. */
struct decider *decide_new(const struct decide_conf *c);

/* decide_free - release <d>; NULL is a no-op. */
void decide_free(struct decider *d);

/*
 * decide - judge the confirmation <r> under <p> at <now_ms> (any clock in
 * milliseconds; windows are counted in whole seconds) and fill <out>.
 * Updates the counters as described above. Borrows everything; <out>'s
 * rule pointers point into <p>. Returns 0, or -1 on allocation failure.
 */
int decide(struct decider *d, const struct policy *p,
    const struct decide_req *r, uint64_t now_ms, struct decision *out);

/*
 * A small cache for decide_prepare() of what depends on
 * a request's list and domain only, which repeat from one request to the
 * next: their keys' hashes, and which limits apply to the pair. Zero it
 * before first use; one per thread. Keys longer than DECIDE_MEMO_KEY bytes
 * are not cached.
 */
#define DECIDE_MEMO_SLOTS 64
#define DECIDE_MEMO_KEY 46
#define DECIDE_MEMO_PAIRS 128
struct decide_memo_slot {
	uint64_t hash;
	uint32_t gen; /* tells this string from the slot's earlier ones */
	uint8_t len;  /* 0: empty */
	uint8_t key[DECIDE_MEMO_KEY];
};
struct decide_memo_pair {
	const void *policy; /* NULL: empty */
	uint32_t lgen, dgen;
	uint16_t lslot, dslot; /* dslot DECIDE_MEMO_SLOTS: no domain */
	uint8_t present;       /* which scopes have a key, bit per scope */
	int allow;             /* first list or domain allow rule, or -1 */
	uint64_t applies;
	uint32_t keep_n[SCOPE_COUNT], window_s[SCOPE_COUNT];
	uint8_t has_rules[SCOPE_COUNT];
};
struct decide_memo {
	struct decide_memo_slot slot[2][DECIDE_MEMO_SLOTS];
	struct decide_memo_pair pair[DECIDE_MEMO_PAIRS];
	uint32_t gen;
	uint64_t hits, misses, pair_hits;
};

/*
 * What decide_prepare() works out: the keys' hashes, the allow rule that
 * exempts the request, and which limits apply with what they keep.
 */
#define DECIDE_PREP_RULES 64
struct decide_prep {
	uint64_t hash[SCOPE_COUNT];
	const struct policy *policy;     /* made for this policy */
	const struct policy_rule *allow; /* NULL: none */
	uint64_t applies;                /* bit i: limit rule i applies */
	uint32_t keep_n[SCOPE_COUNT];    /* times each key keeps */
	uint32_t window_s[SCOPE_COUNT];  /* the longest window per key */
	uint8_t has_rules[SCOPE_COUNT];
	uint8_t usable; /* 0: more than DECIDE_PREP_RULES rules: decide()
	                   works it out itself */
};

/*
 * decide_prepare - what decide() needs to know about <r> under <p> before
 * it looks at a counter, into <out> (for decide_req.prep): pure, reads
 * only what decide_new() set, so it can run on another thread while
 * decide() runs; through <memo> (NULL: none). <p> must outlive <out>.
 */
void decide_prepare(const struct decider *d, const struct policy *p,
    const struct decide_req *r, struct decide_prep *out,
    struct decide_memo *memo);

/*
 * decide_prefetch - start loading the counter table's slots for the keys
 * of <hash> (decide_prep.hash), a few decisions before deciding them,
 * so that the lookups of several decisions wait for memory at once. A
 * hint only: changes nothing.
 */
void decide_prefetch(const struct decider *d, const uint64_t hash[SCOPE_COUNT]);

/*
 * decide_prefetch_entries - the second step: start loading the counter
 * entries themselves, once decide_prefetch() has brought their slots in
 * (a few decisions later). A hint only.
 */
void decide_prefetch_entries(
    const struct decider *d, const uint64_t hash[SCOPE_COUNT]);

/*
 * decide_expire - drop idle counters and identities: at most <budget> of
 * each. An entry is idle once its scope's longest window (and its ban)
 * has passed. Returns the number dropped.
 */
size_t decide_expire(
    struct decider *d, const struct policy *p, uint64_t now_ms, size_t budget);

/*
 * decide_key_format - the key <dn> had in <scope>, as text ("192.0.2.7",
 * "2001:db8:1:2::/64", "192.0.2.0/24", "mallory@example.com", "unknown", a
 * domain or a list). Returns the length, 0 when the scope did not apply or
 * <size> is too small.
 */
size_t decide_key_format(
    const struct decision *dn, enum scope scope, char *buf, size_t size);

/* decide_limit_scope - the scope of limit <i> of <dn>. */
#define decide_limit_scope(dn, i) ((dn)->limits[(i)].rule->scope)

/*
 * decide_unban / decide_reset - clear the ban of the entry (<scope>,
 * <key>/<len>) (unban), or forget the entry altogether, counters included
 * (reset). Return 1 when there was one, else 0.
 */
int decide_unban(struct decider *d, enum scope scope, const void *key,
    size_t len, uint64_t now_ms);
int decide_reset(
    struct decider *d, enum scope scope, const void *key, size_t len);

/* One key that refuses confirmations now, for decide_tripped(). */
struct decide_trip {
	enum scope scope;
	const uint8_t *key; /* raw, borrowed for the callback's duration */
	size_t keylen;
	const struct policy_rule *rule; /* NULL for a ban from an old policy */
	int banned;      /* 1: a ban; 0: a limit over its count */
	uint32_t count;  /* events inside the rule's window */
	uint32_t left_s; /* until the ban ends or the count drops */
};

/*
 * decide_tripped - call <fn> for every key that is banned, or whose events
 * inside an ip, subnet or list limit's window already reach its count
 * (the next request trips it), until <fn> returns non-zero. Domain keys
 * are reported when their deliveries reach the limit. O(keys x rules).
 */
int decide_tripped(const struct decider *d, const struct policy *p,
    uint64_t now_ms, int (*fn)(const struct decide_trip *t, void *arg),
    void *arg);

/*
 * decide_policy_changed - call after replacing <old> with <new>: bans keep
 * pointing at the same rule (by canonical text), or at none if it is gone.
 */
void decide_policy_changed(struct decider *d, const struct policy *old,
    const struct policy *new_policy);

/*
 * decide_save - write the decider's state (every counter key with its
 * times and ban, every confirmation identity, oldest first, and the
 * canonical text of <p>'s rules that bans point at) through <put>, in the
 * format decide_load() reads. Returns 0, or what <put> returned when it
 * failed (non-zero: the rest is not written).
 */
int decide_save(const struct decider *d, const struct policy *p,
    int (*put)(const void *buf, size_t len, void *arg), void *arg);

/*
 * decide_save_mem - decide_save() into one malloc'd buffer: <*buf> (the
 * caller frees it) and <*len>. 0, or -1 when out of memory (<*buf> NULL).
 */
int decide_save_mem(const struct decider *d, const struct policy *p,
    unsigned char **buf, size_t *len);

/* What decide_load() found. */
struct decide_load_info {
	size_t keys, ids;      /* loaded */
	size_t skipped;        /* beyond max_keys / max_ids: the oldest */
	size_t bans;           /* still running, kept */
	size_t bans_unmatched; /* kept without a rule: not in <p> any more */
};

/*
 * decide_load - add the state decide_save() wrote (<buf>/<len>) to <d>,
 * which should be fresh, every saved time moved by <shift_s> seconds (the
 * caller's clock may have another origin than the saver's; a time that
 * would fall before 0 becomes 0); bans point at <p>'s rule of the same
 * canonical text (bans that ended before <now_ms> are dropped). The whole
 * buffer is checked first: on a malformed one nothing is added and -1 is
 * returned with a reason in <err>. -2: out of memory part way (what was added
 * stays). 0 on success, with <info> filled.
 */
int decide_load(struct decider *d, const struct policy *p, const void *buf,
    size_t len, uint64_t now_ms, int64_t shift_s, struct decide_load_info *info,
    char *err, size_t errlen);

/* decide_stats - the decider's figures. */
void decide_stats(const struct decider *d, struct decide_stats *s);

/*
 * decide_counters - the counter table, for read-only listing with
 * ctab_foreach() (scope numbers are enum scope). Not thread-safe with
 * concurrent decide() calls.
 */
const struct ctab *decide_counters(const struct decider *d);

#endif
