/*
 * decide.c -- the decision: what happens to one confirmation, and why
 *
 * DESCRIPTION
 *	See decide.h for the semantics. The counter table holds one entry per
 *	(scope, key) with the event times its limits need; a second table
 *	remembers confirmation identities (a 128-bit hash of the id) so that
 *	Mailman's retries are recognised.
 *
 *	Each key is looked up once per decision: the entries found are moved
 *	to the head of the LRU list before anything is inserted, so inserting
 *	(which may evict the tail) never frees an entry this decision holds.
 */
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "decide_priv.h"

#define ORIGIN_BANNED ((1 << SCOPE_IP) | (1 << SCOPE_SUBNET))

/* Per scope, what the applicable limits need. */
struct need {
	const char *pattern; /* domain/list: the most specific pattern */
	int best;            /* its score */
	uint32_t keep_n;     /* times to keep: largest N + 1 */
	uint32_t window_s;   /* largest window */
	int has_rules;
};

void
decide_conf_init(struct decide_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_keys = 1000000;
	c->max_ids = 1000000;
	c->id_ttl_s = 5 * 86400 + 3600;
	c->seed = 0x5ab6a7e5eed5ULL;
}

struct decider *
decide_new(const struct decide_conf *c)
{
	struct decider *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->conf = *c;
	d->keys = ctab_new(c->max_keys, c->seed);
	d->ids = ctab_new(c->max_ids, c->seed ^ 0x1d5ULL);
	if (d->keys == NULL || d->ids == NULL) {
		decide_free(d);
		return NULL;
	}
	return d;
}

void
decide_free(struct decider *d)
{
	if (d == NULL)
		return;
	ctab_free(d->keys);
	ctab_free(d->ids);
	free(d);
}

const struct ctab *
decide_counters(const struct decider *d)
{
	return d->keys;
}

/* id_key - a 16-byte digest of an identity (two seeded FNV-1a passes) */
static void
id_key(uint64_t seed, const void *id, size_t len, uint8_t out[16])
{
	const uint8_t *p = id;
	uint64_t h1 = 0xcbf29ce484222325ULL ^ seed, h2 = 0x84222325cbf29ce4ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h1 = (h1 ^ p[i]) * 0x100000001b3ULL;
		h2 = (h2 ^ p[i] ^ (h1 >> 56)) * 0x100000001b3ULL;
	}
	memcpy(out, &h1, 8);
	memcpy(out + 8, &h2, 8);
}

/*
 * allow_index - the index of the first allow rule of <scopes> (bit per
 * scope) that exempts <r>, or SIZE_MAX
 */
static size_t
allow_index(const struct policy *p, const struct decide_req *r, int scopes)
{
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *a = &p->rules[i];

		if (!a->allow || !(scopes & (1 << a->scope)))
			continue;
		switch (a->scope) {
		case SCOPE_IP:
			if (r->origin->kind == ORIGIN_IP &&
			    addr_in_prefix(&r->origin->ip, &a->net, a->plen))
				return i;
			break;
		case SCOPE_DOMAIN:
			if (r->domain[0] != '\0' &&
			    policy_domain_match(a->pattern, r->domain) >= 0)
				return i;
			break;
		case SCOPE_LIST:
			if (policy_list_match(a->pattern, r->list) >= 0)
				return i;
			break;
		default:
			break;
		}
	}
	return SIZE_MAX;
}

/* allow_match - the first allow rule that exempts <r>, or NULL */
static const struct policy_rule *
allow_match(const struct policy *p, const struct decide_req *r)
{
	size_t i = allow_index(
	    p, r, (1 << SCOPE_IP) | (1 << SCOPE_DOMAIN) | (1 << SCOPE_LIST));

	return i == SIZE_MAX ? NULL : &p->rules[i];
}

/*
 * key_lengths - the lengths of <r>'s four counter keys (0: no key), cut at
 * CTAB_KEY_MAX
 */
static void
key_lengths(const struct decide_req *r, size_t len[SCOPE_COUNT])
{
	size_t i;

	len[SCOPE_IP] = r->origin->ipkey_len;
	len[SCOPE_SUBNET] = r->origin->subnetkey_len;
	len[SCOPE_DOMAIN] = strlen(r->domain);
	len[SCOPE_LIST] = strlen(r->list);
	for (i = 0; i < SCOPE_COUNT; i++)
		if (len[i] > CTAB_KEY_MAX)
			len[i] = CTAB_KEY_MAX;
}

/* lower_list - the list key: the first <n> bytes of <list>, ASCII folded */
static void
lower_list(const char *list, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)list[i];

		out[i] = (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch;
	}
}

/* build_keys - the four keys of <r> into <key>/<keylen> (0: none) */
static void
build_keys(const struct decide_req *r, uint8_t key[SCOPE_COUNT][CTAB_KEY_MAX],
    uint16_t keylen[SCOPE_COUNT])
{
	size_t i, len[SCOPE_COUNT];

	key_lengths(r, len);
	memcpy(key[SCOPE_IP], r->origin->ipkey, len[SCOPE_IP]);
	memcpy(key[SCOPE_SUBNET], r->origin->subnetkey, len[SCOPE_SUBNET]);
	memcpy(key[SCOPE_DOMAIN], r->domain, len[SCOPE_DOMAIN]);
	lower_list(r->list, len[SCOPE_LIST], key[SCOPE_LIST]);
	for (i = 0; i < SCOPE_COUNT; i++)
		keylen[i] = (uint16_t)len[i];
}

/*
 * memo_hash - the hash of (<scope>, <key>/<len>), from <memo> when it holds
 * it (<which>: 0 for lists, 1 for domains)
 */
static uint64_t
memo_hash(const struct decider *d, struct decide_memo *memo, int which,
    enum scope scope, const uint8_t *key, size_t len, int *slot, uint32_t *gen)
{
	struct decide_memo_slot *sl;
	size_t i;

	*slot = -1;
	if (memo == NULL || len == 0 || len > DECIDE_MEMO_KEY)
		return ctab_hash(d->keys, (unsigned)scope, key, len);
	i = (len * 31 + key[0] + key[len / 2] * 7u + key[len - 1] * 13u) %
	    DECIDE_MEMO_SLOTS;
	sl = &memo->slot[which][i];
	*slot = (int)i;
	if (sl->len == len && memcmp(sl->key, key, len) == 0) {
		memo->hits++;
		*gen = sl->gen;
		return sl->hash;
	}
	memo->misses++;
	sl->hash = ctab_hash(d->keys, (unsigned)scope, key, len);
	sl->len = (uint8_t)len;
	sl->gen = ++memo->gen;
	memcpy(sl->key, key, len);
	*gen = sl->gen;
	return sl->hash;
}

/* Where a list or a domain sits in the memo: slot -1 when it does not. */
struct memo_ref {
	int slot;
	uint32_t gen;
};

/*
 * hash_keys - the hashes of <r>'s keys (of lengths <len>) into <hash>
 * (0 where there is none); <ref>[0] and [1] tell where the list and the
 * domain are in <memo>
 */
static void
hash_keys(const struct decider *d, const struct decide_req *r,
    const size_t len[SCOPE_COUNT], uint64_t hash[SCOPE_COUNT],
    struct decide_memo *memo, struct memo_ref ref[2])
{
	uint8_t list[CTAB_KEY_MAX];

	ref[0].slot = ref[1].slot = -1;
	/* The keys build_keys() makes, hashed where they lie. */
	hash[SCOPE_IP] = len[SCOPE_IP] == 0
	    ? 0
	    : ctab_hash(d->keys, SCOPE_IP, r->origin->ipkey, len[SCOPE_IP]);
	hash[SCOPE_SUBNET] = len[SCOPE_SUBNET] == 0
	    ? 0
	    : ctab_hash(d->keys, SCOPE_SUBNET, r->origin->subnetkey,
	          len[SCOPE_SUBNET]);
	hash[SCOPE_DOMAIN] = len[SCOPE_DOMAIN] == 0
	    ? 0
	    : memo_hash(d, memo, 1, SCOPE_DOMAIN, (const uint8_t *)r->domain,
	          len[SCOPE_DOMAIN], &ref[1].slot, &ref[1].gen);
	lower_list(r->list, len[SCOPE_LIST], list);
	hash[SCOPE_LIST] = len[SCOPE_LIST] == 0
	    ? 0
	    : memo_hash(d, memo, 0, SCOPE_LIST, list, len[SCOPE_LIST],
	          &ref[0].slot, &ref[0].gen);
}

void
decide_prefetch_entries(
    const struct decider *d, const uint64_t hash[SCOPE_COUNT])
{
	size_t s;

	for (s = 0; s < SCOPE_COUNT; s++)
		if (hash[s] != 0)
			ctab_prefetch_entry(d->keys, hash[s]);
}

void
decide_prefetch(const struct decider *d, const uint64_t hash[SCOPE_COUNT])
{
	size_t s;

	for (s = 0; s < SCOPE_COUNT; s++)
		if (hash[s] != 0)
			ctab_prefetch(d->keys, hash[s]);
}

/* applies - does limit rule <rule> serve this confirmation? */
static int
applies(const struct policy_rule *rule, const uint16_t keylen[SCOPE_COUNT],
    const struct need *nd)
{
	if (rule->allow || keylen[rule->scope] == 0)
		return 0;
	if (rule->scope == SCOPE_DOMAIN || rule->scope == SCOPE_LIST)
		return nd[rule->scope].pattern != NULL &&
		    strcmp(rule->pattern, nd[rule->scope].pattern) == 0;
	return 1;
}

/* find_needs - the most specific patterns and what each scope keeps */
static void
find_needs(const struct policy *p, const struct decide_req *r,
    const uint16_t keylen[SCOPE_COUNT], struct need nd[SCOPE_COUNT])
{
	size_t i;

	memset(nd, 0, sizeof(struct need) * SCOPE_COUNT);
	for (i = 0; i < SCOPE_COUNT; i++)
		nd[i].best = -1;
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		int score;

		if (rule->allow || keylen[rule->scope] == 0 ||
		    (rule->scope != SCOPE_DOMAIN && rule->scope != SCOPE_LIST))
			continue;
		score = rule->scope == SCOPE_DOMAIN
		    ? policy_domain_match(rule->pattern, r->domain)
		    : policy_list_match(rule->pattern, r->list);
		if (score > nd[rule->scope].best) {
			nd[rule->scope].best = score;
			nd[rule->scope].pattern = rule->pattern;
		}
	}
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		struct need *n = &nd[rule->scope];

		if (!applies(rule, keylen, nd))
			continue;
		n->has_rules = 1;
		if (rule->count + 1 > n->keep_n)
			n->keep_n = rule->count + 1;
		if (rule->window_s > n->window_s)
			n->window_s = rule->window_s;
	}
}

/*
 * prepare_pair - what depends on the list, the domain and which keys
 * there are: the first list or domain allow rule, the limits that apply,
 * what each key keeps
 */
static void
prepare_pair(const struct policy *p, const struct decide_req *r,
    const uint16_t keylen[SCOPE_COUNT], struct decide_memo_pair *out)
{
	struct need nd[SCOPE_COUNT];
	size_t i, a;

	a = allow_index(p, r, (1 << SCOPE_DOMAIN) | (1 << SCOPE_LIST));
	out->allow = a == SIZE_MAX ? -1 : (int)a;
	find_needs(p, r, keylen, nd);
	out->applies = 0;
	for (i = 0; i < p->nrules && i < DECIDE_PREP_RULES; i++)
		if (applies(&p->rules[i], keylen, nd))
			out->applies |= (uint64_t)1 << i;
	for (i = 0; i < SCOPE_COUNT; i++) {
		out->keep_n[i] = nd[i].keep_n;
		out->window_s[i] = nd[i].window_s;
		out->has_rules[i] = (uint8_t)nd[i].has_rules;
	}
}

void
decide_prepare(const struct decider *d, const struct policy *p,
    const struct decide_req *r, struct decide_prep *out,
    struct decide_memo *memo)
{
	struct decide_memo_pair local, *pr = &local;
	struct memo_ref ref[2];
	uint16_t keylen[SCOPE_COUNT];
	size_t i, a, len[SCOPE_COUNT];
	unsigned present = 0;

	memset(out, 0, sizeof(*out));
	key_lengths(r, len);
	hash_keys(d, r, len, out->hash, memo, ref);
	out->policy = p;
	out->usable = p->nrules <= DECIDE_PREP_RULES;
	if (!out->usable)
		return;
	for (i = 0; i < SCOPE_COUNT; i++) {
		keylen[i] = (uint16_t)len[i];
		if (len[i] != 0)
			present |= 1u << i;
	}
	/*
	 * The pair's part from the memo when the list and the domain (or
	 * its absence) are both in it: a slot and its generation name one
	 * string for good.
	 */
	if (memo != NULL && ref[0].slot >= 0 &&
	    (ref[1].slot >= 0 || keylen[SCOPE_DOMAIN] == 0)) {
		uint16_t ls = (uint16_t)ref[0].slot;
		uint16_t ds = ref[1].slot >= 0 ? (uint16_t)ref[1].slot
		                               : DECIDE_MEMO_SLOTS;
		uint32_t lg = ref[0].gen,
		         dg = ref[1].slot >= 0 ? ref[1].gen : 0;

		pr = &memo->pair[(ls * 31u + ds * 7u + present) %
		    DECIDE_MEMO_PAIRS];
		if (pr->policy == p && pr->lslot == ls && pr->lgen == lg &&
		    pr->dslot == ds && pr->dgen == dg &&
		    pr->present == present) {
			memo->pair_hits++;
		} else {
			prepare_pair(p, r, keylen, pr);
			pr->policy = p;
			pr->lslot = ls;
			pr->lgen = lg;
			pr->dslot = ds;
			pr->dgen = dg;
			pr->present = (uint8_t)present;
		}
	} else {
		prepare_pair(p, r, keylen, pr);
	}
	/* The first allow rule: an address one, or the pair's. */
	a = allow_index(p, r, 1 << SCOPE_IP);
	if (pr->allow >= 0 && (size_t)pr->allow < a)
		a = (size_t)pr->allow;
	out->allow = a == SIZE_MAX ? NULL : &p->rules[a];
	out->applies = pr->applies;
	memcpy(out->keep_n, pr->keep_n, sizeof(out->keep_n));
	memcpy(out->window_s, pr->window_s, sizeof(out->window_s));
	memcpy(out->has_rules, pr->has_rules, sizeof(out->has_rules));
}

size_t
decide_key_format(
    const struct decision *dn, enum scope scope, char *buf, size_t size)
{
	size_t n = dn->keylen[scope];

	if (size == 0 || n == 0) {
		if (size > 0)
			buf[0] = '\0';
		return 0;
	}
	if (scope == SCOPE_IP || scope == SCOPE_SUBNET)
		return origin_key_format(dn->key[scope], n, buf, size);
	if (n >= size)
		return 0;
	memcpy(buf, dn->key[scope], n);
	buf[n] = '\0';
	return n;
}

/* severer - does (<a>, rule index <ia>) beat (<b>, <ib>)? */
static int
severer(enum action a, size_t ia, enum action b, size_t ib)
{
	return a > b || (a == b && ia < ib);
}

/* entry - the entry of scope <s> (its key's hash <h>), created when <*e>
 * is NULL */
static struct ctab_entry *
entry(struct decider *d, const struct decision *dn, enum scope s, uint64_t h,
    struct ctab_entry **e, uint32_t now_s)
{
	if (*e == NULL)
		*e =
		    ctab_get_h(d->keys, h, s, dn->key[s], dn->keylen[s], now_s);
	return *e;
}

/* set_ban - ban the key of rule <ri>'s scope after it tripped */
static int
set_ban(struct decider *d, const struct policy *p, const struct decision *dn,
    size_t ri, uint64_t h, struct ctab_entry **e, uint32_t now_s)
{
	const struct policy_rule *rule = &p->rules[ri];
	uint32_t until = now_s + rule->ban_s;
	struct ctab_entry *b = entry(d, dn, rule->scope, h, e, now_s);

	if (b == NULL)
		return -1;
	/* An active ban with a severer action stays as it is. */
	if (b->ban_until > now_s && b->ban_action > rule->action)
		return 0;
	if (b->ban_until <= now_s || b->ban_action < rule->action ||
	    until > b->ban_until) {
		b->ban_until = until;
		b->ban_action = (uint8_t)rule->action;
		b->ban_rule = (uint16_t)(ri < UINT16_MAX ? ri : UINT16_MAX);
	}
	return 0;
}

/* record - one event on the key of scope <s> */
static int
record(struct decider *d, const struct decision *dn, enum scope s,
    const struct need *nd, uint64_t h, struct ctab_entry **e, uint32_t now_s)
{
	uint32_t drop = now_s > nd->window_s ? now_s - nd->window_s : 0;

	if (!nd->has_rules)
		return 0;
	if (entry(d, dn, s, h, e, now_s) == NULL)
		return -1;
	return ctab_add_event(d->keys, *e, now_s, nd->keep_n, drop);
}

/* lookup - hash and find each key once (<hk>: the hashes); check bans.
 * Returns the banned scopes as a bit mask (1 << scope). */
static int
lookup(struct decider *d, const struct policy *p, const struct decide_req *r,
    const uint64_t *hv, struct decision *dn, uint64_t hk[SCOPE_COUNT],
    struct ctab_entry *e[SCOPE_COUNT], uint32_t now_s, size_t *best_idx)
{
	int request_banned = 0;
	size_t s, ri;

	for (s = 0; s < SCOPE_COUNT; s++) {
		e[s] = NULL;
		hk[s] = 0;
		if (dn->keylen[s] == 0)
			continue;
		hk[s] = hv != NULL
		    ? hv[s]
		    : ctab_hash(d->keys, s, dn->key[s], dn->keylen[s]);
		e[s] =
		    ctab_find_h(d->keys, hk[s], s, dn->key[s], dn->keylen[s]);
		if (e[s] == NULL)
			continue;
		/* Used now: to the LRU head before any insertion evicts. */
		if (!r->dry)
			ctab_touch(d->keys, e[s], now_s);
		if (e[s]->ban_until <= now_s)
			continue;
		ri = e[s]->ban_rule < p->nrules ? e[s]->ban_rule : p->nrules;
		request_banned |= 1 << s;
		if (!dn->banned ||
		    severer(e[s]->ban_action, ri, dn->action, *best_idx)) {
			dn->banned = 1;
			dn->action = (enum action)e[s]->ban_action;
			dn->rule = ri < p->nrules ? &p->rules[ri] : NULL;
			dn->ban_left_s = e[s]->ban_until - now_s;
			dn->ban_scope = (enum scope)s;
			*best_idx = ri;
		}
	}
	return request_banned;
}

/* identity - is this a retry? Remembers new identities. 0 or -1 (OOM) */
static int
identity(struct decider *d, const struct decide_req *r, uint32_t now_s,
    struct decision *dn, uint32_t *first_s)
{
	struct ctab_entry *e;
	uint8_t idk[16];

	if (r->id == NULL) {
		dn->retry = r->retry;
		*first_s = (uint32_t)(r->first_ms / 1000);
		return 0;
	}
	id_key(d->conf.seed, r->id, r->idlen, idk);
	if (r->dry) {
		e = ctab_find(d->ids, 0, idk, sizeof(idk));
		if (e != NULL && e->nts > 0) {
			dn->retry = 1;
			*first_s = ctab_first_time(e);
		}
		return 0;
	}
	if ((e = ctab_get(d->ids, 0, idk, sizeof(idk), now_s)) == NULL)
		return -1;
	if (e->nts > 0) {
		dn->retry = 1;
		*first_s = ctab_first_time(e);
		return 0;
	}
	return ctab_add_event(d->ids, e, now_s, 1, 0);
}

int
decide(struct decider *d, const struct policy *p, const struct decide_req *r,
    uint64_t now_ms, struct decision *out)
{
	uint32_t now_s = (uint32_t)(now_ms / 1000), first_s = now_s;
	struct ctab_entry *e[SCOPE_COUNT];
	uint64_t hk[SCOPE_COUNT];
	struct need nd[SCOPE_COUNT];
	const struct decide_prep *pp;
	size_t i, best_idx = SIZE_MAX;
	int request_banned, err;

	out->action = ACT_ACCEPT;
	out->rule = NULL;
	out->allowed = out->retry = out->banned = out->internal_error = 0;
	out->floored = 0;
	out->ban_left_s = 0;
	out->ban_scope = SCOPE_IP;
	out->nlimits = 0;
	memset(out->keylen, 0, sizeof(out->keylen));

	/* Work done ahead (decide_prepare()), when it was for this policy. */
	pp = r->prep != NULL && r->prep->policy == p && r->prep->usable
	    ? r->prep
	    : NULL;
	err = identity(d, r, now_s, out, &first_s);
	if (out->retry && !r->dry)
		d->retries++;
	if ((out->rule = pp != NULL ? pp->allow : allow_match(p, r)) != NULL) {
		out->allowed = 1;
		if (!r->dry) {
			d->allowed++;
			d->decisions[ACT_ACCEPT]++;
		}
		return err;
	}

	build_keys(r, out->key, out->keylen);
	if (pp != NULL) {
		memset(nd, 0, sizeof(nd));
		for (i = 0; i < SCOPE_COUNT; i++) {
			nd[i].keep_n = pp->keep_n[i];
			nd[i].window_s = pp->window_s[i];
			nd[i].has_rules = pp->has_rules[i];
		}
	} else {
		find_needs(p, r, out->keylen, nd);
	}
	request_banned = lookup(d, p, r, pp != NULL ? pp->hash : NULL, out, hk,
	    e, now_s, &best_idx);

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		uint32_t after, count;
		int tripped;

		if (pp != NULL ? !((pp->applies >> i) & 1)
		               : !applies(rule, out->keylen, nd))
			continue;
		after = now_s > rule->window_s ? now_s - rule->window_s : 0;
		count = ctab_count_after(e[rule->scope], after);
		/*
		 * This confirmation adds one event unless it is a retry whose
		 * own request is still inside the window.
		 */
		if (rule->scope == SCOPE_DOMAIN || !out->retry ||
		    first_s <= after)
			count++;
		tripped = count > rule->count;
		if (out->nlimits < DECIDE_MAX_LIMITS) {
			out->limits[out->nlimits].rule = rule;
			out->limits[out->nlimits].count = count;
			out->limits[out->nlimits].tripped = tripped;
		}
		out->nlimits++;
		if (!tripped)
			continue;
		if (best_idx == SIZE_MAX ||
		    severer(rule->action, i, out->action, best_idx)) {
			out->action = rule->action;
			out->rule = rule;
			out->banned = 0;
			best_idx = i;
		}
		if (rule->ban_s > 0 && !(request_banned & (1 << rule->scope)) &&
		    !r->dry &&
		    set_ban(d, p, out, i, hk[rule->scope], &e[rule->scope],
		        now_s) != 0)
			err = -1;
	}

	if (r->floor > out->action) {
		out->action = r->floor;
		out->rule = NULL;
		out->banned = 0;
		out->floored = 1;
	}

	if (r->dry)
		return err;
	/*
	 * Count the request. An ip or subnet ban is a route block: the
	 * request counts nowhere. A list ban only keeps it off that list's
	 * count: its address and network still count, so the bots behind an
	 * attack on a list are found and named.
	 */
	if (!out->retry && !(request_banned & ORIGIN_BANNED))
		for (i = 0; i < SCOPE_COUNT; i++)
			if (i != SCOPE_DOMAIN && !(request_banned & (1 << i)) &&
			    record(d, out, i, &nd[i], hk[i], &e[i], now_s) != 0)
				err = -1;
	if (out->action == ACT_ACCEPT &&
	    record(d, out, SCOPE_DOMAIN, &nd[SCOPE_DOMAIN], hk[SCOPE_DOMAIN],
	        &e[SCOPE_DOMAIN], now_s) != 0)
		err = -1;

	if (out->banned)
		d->banned++;
	if (err != 0) {
		out->internal_error = 1;
		out->action = ACT_ACCEPT;
	}
	d->decisions[out->action]++;
	return err;
}

size_t
decide_expire(
    struct decider *d, const struct policy *p, uint64_t now_ms, size_t budget)
{
	uint32_t idle[CTAB_SCOPES] = {0}, id_idle[CTAB_SCOPES] = {0};
	uint32_t now_s = (uint32_t)(now_ms / 1000);
	size_t s;

	for (s = 0; s < SCOPE_COUNT; s++)
		idle[s] = p->max_window_s[s];
	id_idle[0] = d->conf.id_ttl_s;
	return ctab_expire(d->keys, now_s, idle, budget) +
	    ctab_expire(d->ids, now_s, id_idle, budget);
}

void
decide_stats(const struct decider *d, struct decide_stats *s)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->decisions, d->decisions, sizeof(s->decisions));
	s->allowed = d->allowed;
	s->retries = d->retries;
	s->banned = d->banned;
	ctab_stats(d->keys, &s->keys);
	ctab_stats(d->ids, &s->ids);
}

int
decide_unban(struct decider *d, enum scope scope, const void *key, size_t len,
    uint64_t now_ms)
{
	struct ctab_entry *e = ctab_find(d->keys, scope, key, len);

	(void)now_ms;
	if (e == NULL || e->ban_until == 0)
		return 0;
	e->ban_until = 0;
	e->ban_action = 0;
	return 1;
}

int
decide_reset(struct decider *d, enum scope scope, const void *key, size_t len)
{
	return ctab_remove(d->keys, scope, key, len);
}

/* Walking state for decide_tripped(). */
struct trip_walk {
	const struct policy *p;
	uint32_t now_s;
	int (*fn)(const struct decide_trip *t, void *arg);
	void *arg;
};

/* best_pattern - the most specific pattern of <scope> for a key text */
static const char *
best_pattern(const struct policy *p, enum scope scope, const char *text)
{
	const char *best = NULL;
	int score = -1, sc;
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->allow || r->scope != scope)
			continue;
		sc = scope == SCOPE_DOMAIN
		    ? policy_domain_match(r->pattern, text)
		    : policy_list_match(r->pattern, text);
		if (sc > score) {
			score = sc;
			best = r->pattern;
		}
	}
	return best;
}

/* trip_one - report entry <e> if banned or at a limit */
static int
trip_one(const struct ctab_entry *e, void *arg)
{
	struct trip_walk *w = arg;
	struct decide_trip t;
	char text[CTAB_KEY_MAX + 1];
	const char *pattern = NULL;
	size_t i;
	int rc;

	if (e->scope >= SCOPE_COUNT)
		return 0;
	t.scope = (enum scope)e->scope;
	t.key = ctab_key(e);
	t.keylen = e->keylen;
	if (e->ban_until > w->now_s) {
		t.rule = e->ban_rule < w->p->nrules ? &w->p->rules[e->ban_rule]
		                                    : NULL;
		t.banned = 1;
		t.count = 0;
		t.left_s = e->ban_until - w->now_s;
		if ((rc = w->fn(&t, w->arg)) != 0)
			return rc;
	}
	if (t.scope == SCOPE_DOMAIN || t.scope == SCOPE_LIST) {
		memcpy(text, t.key, t.keylen);
		text[t.keylen] = '\0';
		if ((pattern = best_pattern(w->p, t.scope, text)) == NULL)
			return 0;
	}
	for (i = 0; i < w->p->nrules; i++) {
		const struct policy_rule *r = &w->p->rules[i];
		uint32_t after, count, nth;

		if (r->allow || r->scope != t.scope ||
		    (pattern != NULL && strcmp(r->pattern, pattern) != 0))
			continue;
		after = w->now_s > r->window_s ? w->now_s - r->window_s : 0;
		count = ctab_count_after(e, after);
		if (count < r->count || count == 0)
			continue;
		/*
		 * It stays at its limit until the event that makes the count
		 * reach N leaves the window: the (count - N + 1)-th oldest in
		 * the window.
		 */
		nth = ctab_time_at(e, e->nts - count + (count - r->count));
		t.rule = r;
		t.banned = 0;
		t.count = count;
		t.left_s = nth + r->window_s > w->now_s
		    ? nth + r->window_s - w->now_s
		    : 0;
		if ((rc = w->fn(&t, w->arg)) != 0)
			return rc;
	}
	return 0;
}

int
decide_tripped(const struct decider *d, const struct policy *p, uint64_t now_ms,
    int (*fn)(const struct decide_trip *t, void *arg), void *arg)
{
	struct trip_walk w = {p, (uint32_t)(now_ms / 1000), fn, arg};

	return ctab_foreach(d->keys, trip_one, &w);
}

/* Remapping state for decide_policy_changed(). */
struct remap {
	const struct policy *old, *new_policy;
};

/* remap_one - point a ban at the same rule of the new policy */
static int
remap_one(const struct ctab_entry *ce, void *arg)
{
	struct remap *m = arg;
	struct ctab_entry *e = (struct ctab_entry *)(uintptr_t)ce;
	char a[600], b[600];
	size_t i;

	if (e->ban_until == 0)
		return 0;
	if (e->ban_rule >= m->old->nrules ||
	    policy_rule_format(&m->old->rules[e->ban_rule], a, sizeof(a)) ==
	        0) {
		e->ban_rule = UINT16_MAX;
		return 0;
	}
	for (i = 0; i < m->new_policy->nrules && i < UINT16_MAX; i++)
		if (policy_rule_format(&m->new_policy->rules[i], b, sizeof(b)) >
		        0 &&
		    strcmp(a, b) == 0) {
			e->ban_rule = (uint16_t)i;
			return 0;
		}
	e->ban_rule = UINT16_MAX;
	return 0;
}

void
decide_policy_changed(struct decider *d, const struct policy *old,
    const struct policy *new_policy)
{
	struct remap m = {old, new_policy};

	ctab_foreach(d->keys, remap_one, &m);
}
