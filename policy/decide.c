/*
 * decide.c -- the decision: what happens to one confirmation, and why
 *
 * DESCRIPTION
 *	See decide.h for the semantics. The counter table holds one entry per
 *	(scope, key) with the event times its limits need; a second table
 *	remembers confirmation identities (a 128-bit hash of the id) so that
 *	Mailman's retries are recognised.
 */
#include <stdlib.h>
#include <string.h>

#include "decide.h"

struct decider {
	struct ctab *keys;
	struct ctab *ids;
	struct decide_conf conf;
	uint64_t decisions[ACT_COUNT];
	uint64_t allowed, retries, banned;
};

/* One counter key of the confirmation being judged. */
struct skey {
	enum scope scope;
	uint8_t buf[CTAB_KEY_MAX];
	size_t len;          /* 0: this scope does not apply */
	int best;            /* domain/list: score of the chosen pattern */
	const char *pattern; /* domain/list: the chosen pattern */
	uint32_t keep_n, window_s; /* what its applicable limits need */
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

/* rule_applies - does limit rule <r> serve key <k>? */
static int
rule_applies(const struct policy_rule *r, const struct skey *k)
{
	if (r->allow || r->scope != k->scope || k->len == 0)
		return 0;
	if (r->scope == SCOPE_DOMAIN || r->scope == SCOPE_LIST)
		return k->pattern != NULL &&
		    strcmp(r->pattern, k->pattern) == 0;
	return 1;
}

/* allow_match - the first allow rule that exempts <r>, or NULL */
static const struct policy_rule *
allow_match(const struct policy *p, const struct decide_req *r)
{
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *a = &p->rules[i];

		if (!a->allow)
			continue;
		switch (a->scope) {
		case SCOPE_IP:
			if (r->origin->kind == ORIGIN_IP &&
			    addr_in_prefix(&r->origin->ip, &a->net, a->plen))
				return a;
			break;
		case SCOPE_DOMAIN:
			if (r->domain[0] != '\0' &&
			    policy_domain_match(a->pattern, r->domain) >= 0)
				return a;
			break;
		case SCOPE_LIST:
			if (policy_list_match(a->pattern, r->list) >= 0)
				return a;
			break;
		default:
			break;
		}
	}
	return NULL;
}

/* build_keys - the four keys of <r> and the limits each one needs */
static void
build_keys(const struct policy *p, const struct decide_req *r,
    struct skey k[SCOPE_COUNT])
{
	const struct origin *o = r->origin;
	size_t i, n;

	memset(k, 0, sizeof(struct skey) * SCOPE_COUNT);
	for (i = 0; i < SCOPE_COUNT; i++) {
		k[i].scope = (enum scope)i;
		k[i].best = -1;
	}
	memcpy(k[SCOPE_IP].buf, o->ipkey, o->ipkey_len);
	k[SCOPE_IP].len = o->ipkey_len;
	memcpy(k[SCOPE_SUBNET].buf, o->subnetkey, o->subnetkey_len);
	k[SCOPE_SUBNET].len = o->subnetkey_len;
	n = strlen(r->list);
	n = n > CTAB_KEY_MAX ? CTAB_KEY_MAX : n;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)r->list[i];

		k[SCOPE_LIST].buf[i] = (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch;
	}
	k[SCOPE_LIST].len = n;
	n = strlen(r->domain);
	n = n > CTAB_KEY_MAX ? CTAB_KEY_MAX : n;
	memcpy(k[SCOPE_DOMAIN].buf, r->domain, n);
	k[SCOPE_DOMAIN].len = n;

	/* The most specific domain and list patterns. */
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		struct skey *sk;
		int score;

		if (rule->allow ||
		    (rule->scope != SCOPE_DOMAIN && rule->scope != SCOPE_LIST))
			continue;
		sk = &k[rule->scope];
		if (sk->len == 0)
			continue;
		score = rule->scope == SCOPE_DOMAIN
		    ? policy_domain_match(rule->pattern, r->domain)
		    : policy_list_match(rule->pattern, r->list);
		if (score > sk->best) {
			sk->best = score;
			sk->pattern = rule->pattern;
		}
	}
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		struct skey *sk = &k[rule->scope];

		if (!rule_applies(rule, sk))
			continue;
		if (rule->count + 1 > sk->keep_n)
			sk->keep_n = rule->count + 1;
		if (rule->window_s > sk->window_s)
			sk->window_s = rule->window_s;
	}
}

/* format_key - print key <k> for humans */
static void
format_key(const struct skey *k, char *buf, size_t size)
{
	size_t n;

	if (k->scope == SCOPE_IP || k->scope == SCOPE_SUBNET) {
		if (origin_key_format(k->buf, k->len, buf, size) == 0 && size)
			buf[0] = '\0';
		return;
	}
	n = k->len < size - 1 ? k->len : size - 1;
	memcpy(buf, k->buf, n);
	buf[n] = '\0';
}

/* severer - does (<a>, rule index <ia>) beat (<b>, <ib>)? */
static int
severer(enum action a, size_t ia, enum action b, size_t ib)
{
	return a > b || (a == b && ia < ib);
}

/* set_ban - ban key <k> after rule <ri> tripped */
static int
set_ban(struct decider *d, const struct policy *p, const struct skey *k,
    size_t ri, uint32_t now_s)
{
	const struct policy_rule *rule = &p->rules[ri];
	struct ctab_entry *e =
	    ctab_get(d->keys, k->scope, k->buf, k->len, now_s);
	uint32_t until = now_s + rule->ban_s;

	if (e == NULL)
		return -1;
	/* An active ban with a severer action stays as it is. */
	if (e->ban_until > now_s && e->ban_action > rule->action)
		return 0;
	if (e->ban_until <= now_s || e->ban_action < rule->action ||
	    until > e->ban_until) {
		e->ban_until = until;
		e->ban_action = (uint8_t)rule->action;
		e->ban_rule = (uint16_t)(ri < UINT16_MAX ? ri : UINT16_MAX);
	}
	return 0;
}

/* record - one event on key <k> */
static int
record(struct decider *d, const struct skey *k, uint32_t now_s)
{
	struct ctab_entry *e;
	uint32_t drop = now_s > k->window_s ? now_s - k->window_s : 0;

	if (k->len == 0 || k->keep_n == 0)
		return 0;
	e = ctab_get(d->keys, k->scope, k->buf, k->len, now_s);
	if (e == NULL)
		return -1;
	return ctab_add_event(d->keys, &e, now_s, k->keep_n, drop);
}

/* check_bans - the severest active ban on the keys of this request */
static int
check_bans(struct decider *d, const struct policy *p, struct skey k[],
    uint32_t now_s, struct decision *out, size_t *best_idx)
{
	int request_banned = 0;
	size_t s;

	for (s = 0; s < SCOPE_COUNT; s++) {
		const struct ctab_entry *e;
		size_t ri;

		if (k[s].len == 0)
			continue;
		e = ctab_find(d->keys, s, k[s].buf, k[s].len);
		if (e == NULL || e->ban_until <= now_s)
			continue;
		ri = e->ban_rule < p->nrules ? e->ban_rule : p->nrules;
		if (s != SCOPE_DOMAIN)
			request_banned = 1;
		if (!out->banned ||
		    severer(e->ban_action, ri, out->action, *best_idx)) {
			out->banned = 1;
			out->action = (enum action)e->ban_action;
			out->rule = ri < p->nrules ? &p->rules[ri] : NULL;
			out->ban_left_s = e->ban_until - now_s;
			out->ban_scope = (enum scope)s;
			format_key(&k[s], out->ban_key, sizeof(out->ban_key));
			*best_idx = ri;
		}
	}
	return request_banned;
}

int
decide(struct decider *d, const struct policy *p, const struct decide_req *r,
    uint64_t now_ms, struct decision *out)
{
	uint32_t now_s = (uint32_t)(now_ms / 1000), first_s = now_s;
	struct skey k[SCOPE_COUNT];
	uint8_t idk[16];
	size_t i, best_idx = SIZE_MAX;
	int request_banned, err = 0;

	memset(out, 0, sizeof(*out));
	out->action = ACT_ACCEPT;

	if (r->id != NULL) {
		struct ctab_entry *e;

		id_key(d->conf.seed, r->id, r->idlen, idk);
		e = ctab_find(d->ids, 0, idk, sizeof(idk));
		if (e != NULL) {
			out->retry = 1;
			first_s = ctab_first_time(e);
			(void)ctab_get(d->ids, 0, idk, sizeof(idk), now_s);
		} else if ((e = ctab_get(d->ids, 0, idk, sizeof(idk), now_s)) ==
		        NULL ||
		    ctab_add_event(d->ids, &e, now_s, 1, 0) != 0) {
			err = -1;
		}
	}
	if (out->retry)
		d->retries++;

	if ((out->rule = allow_match(p, r)) != NULL) {
		out->allowed = 1;
		d->allowed++;
		d->decisions[ACT_ACCEPT]++;
		return err;
	}

	build_keys(p, r, k);
	request_banned = check_bans(d, p, k, now_s, out, &best_idx);

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		const struct skey *sk = &k[rule->scope];
		const struct ctab_entry *e;
		uint32_t after, count;
		int tripped;

		if (!rule_applies(rule, sk))
			continue;
		e = ctab_find(d->keys, sk->scope, sk->buf, sk->len);
		after = now_s > rule->window_s ? now_s - rule->window_s : 0;
		count = ctab_count_after(e, after);
		/*
		 * This confirmation adds one event unless it is a retry whose
		 * own request is still inside the window.
		 */
		if (rule->scope == SCOPE_DOMAIN || !out->retry ||
		    first_s <= after)
			count++;
		tripped = count > rule->count;
		if (out->nlimits < DECIDE_MAX_LIMITS) {
			struct decide_limit *l = &out->limits[out->nlimits];

			l->rule = rule;
			l->count = count;
			l->tripped = tripped;
			format_key(sk, l->key, sizeof(l->key));
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
		if (rule->ban_s > 0 && !request_banned &&
		    set_ban(d, p, sk, i, now_s) != 0)
			err = -1;
	}

	/* Count the request, unless a ban kept it out. */
	if (!out->retry && !request_banned)
		for (i = 0; i < SCOPE_COUNT; i++)
			if (i != SCOPE_DOMAIN && record(d, &k[i], now_s) != 0)
				err = -1;
	if (out->action == ACT_ACCEPT &&
	    record(d, &k[SCOPE_DOMAIN], now_s) != 0)
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
