/*
 * engine.c -- the daemon's shared state: policy, counters, log index
 *
 * DESCRIPTION
 *	See engine.h. The log index is a ring of the newest pending records;
 *	a lookup scans it newest first (it runs only for confirmations whose
 *	body names no requester, so a linear scan of a few thousand 8-byte
 *	hashes is cheaper than keeping a second table in step).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "khash.h"
#include "seqindex.h"
#include "jsonw.h"
#include "tally.h"

struct pending {
	uint64_t hash; /* of lower(list) NUL lower(addr) */
	char remote[ENGINE_REMOTE_MAX];
};

#define ENGINE_LATENCY_BUCKETS 15
#define ENGINE_MAX_LABELS 5000

struct smtp_request {
	uint64_t hash; /* of lower(requester) */
	struct addr client;
	int spf;
	int64_t time;
};

struct engine {
	pthread_mutex_t mu;
	struct khash khash; /* keys the log lines and requests by mail */
	char source[256];   /* where the policy came from */
	char digest[32];
	int64_t loaded_at;
	uint64_t reloads;
	uint64_t confirmations[2]; /* Mailman 2, 3 */
	/* requests by mail, by SPF result and action */
	uint64_t requests[SPF_RES_COUNT][ACT_COUNT];
	uint64_t spf_cached; /* of those, SPF results the cache answered */
	uint64_t latency_buckets[ENGINE_LATENCY_BUCKETS];
	uint64_t latency_count;
	double latency_sum;
	struct tally *by_rule; /* action NUL rule NUL list -> decisions */
	pthread_cond_t cv;     /* a pending record arrived */
	struct policy *pol;
	struct decider *dec;
	struct origin_conf origin;
	struct pending *ring;
	size_t ring_next;            /* total records ever put */
	struct seqindex *ring_index; /* by hash */
	struct smtp_request *req;    /* requests by mail, newest last */
	size_t req_next;
	struct seqindex *req_index;
	struct journal *journal;  /* NULL: none; not owned */
	struct policy *start_pol; /* during a journal replay: the policy of
	                             this start, set aside */
};

struct engine *
engine_new(struct policy *pol, const struct decide_conf *dc,
    const struct origin_conf *origin)
{
	struct engine *e = calloc(1, sizeof(*e));
	pthread_condattr_t ca;

	if (e == NULL)
		return NULL;
	e->ring = calloc(ENGINE_PENDING_MAX, sizeof(*e->ring));
	e->req = calloc(ENGINE_REQUESTS_MAX, sizeof(*e->req));
	e->ring_index = seqindex_new(ENGINE_PENDING_MAX);
	e->req_index = seqindex_new(ENGINE_REQUESTS_MAX);
	e->dec = decide_new(dc);
	e->by_rule = tally_new();
	if (e->ring == NULL || e->dec == NULL || e->by_rule == NULL ||
	    e->req == NULL || e->ring_index == NULL || e->req_index == NULL) {
		free(e->ring);
		free(e->req);
		seqindex_free(e->ring_index);
		seqindex_free(e->req_index);
		decide_free(e->dec);
		tally_free(e->by_rule);
		free(e);
		return NULL;
	}
	khash_init(&e->khash);
	pthread_mutex_init(&e->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cv, &ca);
	pthread_condattr_destroy(&ca);
	e->pol = pol;
	e->origin = *origin;
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	if (e->start_pol != NULL && e->start_pol != e->pol)
		policy_free(e->start_pol);
	policy_free(e->pol);
	decide_free(e->dec);
	tally_free(e->by_rule);
	free(e->ring);
	free(e->req);
	seqindex_free(e->ring_index);
	seqindex_free(e->req_index);
	free(e);
}

const struct origin_conf *
engine_origin(const struct engine *e)
{
	return &e->origin;
}

void
engine_set_policy(struct engine *e, struct policy *pol)
{
	struct policy *old;

	pthread_mutex_lock(&e->mu);
	old = e->pol;
	e->pol = pol;
	pthread_mutex_unlock(&e->mu);
	policy_free(old);
}

/*
 * count_decision - the metrics' per (action, rule, list) counter; at most
 * ENGINE_MAX_LABELS label sets, then "other" lists, so a flood of list
 * names cannot grow it without bound
 */
static void
count_decision(
    struct engine *e, enum action a, const char *rule, const char *list)
{
	char key[ENGINE_RULE_TEXT + 300];
	int n;

	if (tally_size(e->by_rule) >= ENGINE_MAX_LABELS)
		list = "other";
	n = snprintf(key, sizeof(key), "%s%c%s%c%.255s", action_name(a), 0,
	    rule, 0, list);
	if (n > 0 && (size_t)n < sizeof(key))
		tally_add(e->by_rule, key, (size_t)n, 1);
}

/* prom_label - a Prometheus label value: \\, \" and \n escaped */
static void
prom_label(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' || s[i] == '"')
			fputc('\\', f);
		if (s[i] == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(s[i], f);
	}
}

/* spf_rule - the action of policy <p> for SPF <result>; 0 if it has none */
static int
spf_rule(const struct policy *p, int result, enum action *a)
{
	if (result < 0 || result >= SPF_RES_COUNT || !p->spf[result].set)
		return 0;
	*a = p->spf[result].action;
	return 1;
}

int
engine_judge(struct engine *e, const struct engine_req *r, uint64_t now_ms,
    struct engine_verdict *v)
{
	struct decide_req req = {0};
	struct decision dn;
	enum action floor;
	int rc;

	req.list = r->list;
	req.domain = r->domain;
	req.origin = r->origin;
	req.id = r->id;
	req.idlen = strlen(r->id);
	req.retry = 0;
	req.first_ms = 0;
	if (req.idlen == 0)
		req.id = NULL;

	pthread_mutex_lock(&e->mu);
	if (spf_rule(e->pol, r->spf, &floor) && floor == ACT_HOLD)
		req.floor = ACT_HOLD;
	if (e->journal != NULL) {
		struct journal_judge jj = {
		    now_ms, r->list, r->domain, r->id, r->origin, req.floor};

		(void)journal_add_judge(e->journal, &jj);
	}
	rc = decide(e->dec, e->pol, &req, now_ms, &dn);
	/* Copy out while the policy the rule points into is pinned. */
	v->rule[0] = '\0';
	v->key[0] = '\0';
	if (dn.rule != NULL &&
	    policy_rule_format(dn.rule, v->rule, sizeof(v->rule)) == 0)
		v->rule[0] = '\0';
	if (dn.rule != NULL && !dn.allowed)
		decide_key_format(&dn,
		    dn.banned ? dn.ban_scope : dn.rule->scope, v->key,
		    sizeof(v->key));
	if (dn.floored)
		snprintf(v->rule, sizeof(v->rule), "spf %s hold",
		    spf_result_word((enum spf_result)r->spf));
	count_decision(e, dn.action, v->rule, r->list);
	pthread_mutex_unlock(&e->mu);

	v->action = dn.action;
	v->allowed = dn.allowed;
	v->retry = dn.retry;
	v->banned = dn.banned;
	v->ban_left_s = dn.ban_left_s;
	v->internal_error = dn.internal_error;
	return rc;
}

/* key_hash - the keyed hash of lower(list) NUL lower(addr); never 0 */
static uint64_t
key_hash(const struct engine *e, const char *list, const char *addr)
{
	return khash_lower2(&e->khash, list, strlen(list), addr, strlen(addr));
}

void
engine_log_record(struct engine *e, const struct logev *ev)
{
	struct pending *p;
	size_t n;

	if (ev->kind != LOGEV_PENDING)
		return;
	pthread_mutex_lock(&e->mu);
	p = &e->ring[e->ring_next % ENGINE_PENDING_MAX];
	p->hash = key_hash(e, ev->list, ev->addr);
	seqindex_put(e->ring_index, e->ring_next++, p->hash);
	n = ev->remote.len < sizeof(p->remote) - 1 ? ev->remote.len
	                                           : sizeof(p->remote) - 1;
	memcpy(p->remote, ev->remote.p, n);
	p->remote[n] = '\0';
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

/* find_locked - the newest record with hash <h>; 1 and <remote> if found */
static int
find_locked(struct engine *e, uint64_t h, char *remote, size_t size)
{
	int64_t s;

	for (s = seqindex_first(e->ring_index, h, e->ring_next); s >= 0;
	     s = seqindex_next(e->ring_index, s, e->ring_next)) {
		const struct pending *p =
		    &e->ring[(uint64_t)s % ENGINE_PENDING_MAX];

		if (p->hash == h) {
			size_t l = strnlen(p->remote, sizeof(p->remote));

			if (l >= size)
				l = size - 1;
			memcpy(remote, p->remote, l);
			remote[l] = '\0';
			return 1;
		}
	}
	return 0;
}

int
engine_find_pending(struct engine *e, const char *list, const char *addr,
    unsigned wait_ms, char *remote, size_t size)
{
	uint64_t h = key_hash(e, list, addr);
	struct timespec deadline;
	int found;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&e->mu);
	while (!(found = find_locked(e, h, remote, size)) && wait_ms > 0)
		if (pthread_cond_timedwait(&e->cv, &e->mu, &deadline) != 0)
			wait_ms =
			    0; /* timed out: one last look, then give up */
	pthread_mutex_unlock(&e->mu);
	return found;
}

void
engine_expire(struct engine *e, uint64_t now_ms, size_t budget)
{
	pthread_mutex_lock(&e->mu);
	decide_expire(e->dec, e->pol, now_ms, budget);
	pthread_mutex_unlock(&e->mu);
}

void
engine_stats(struct engine *e, struct decide_stats *s)
{
	pthread_mutex_lock(&e->mu);
	decide_stats(e->dec, s);
	pthread_mutex_unlock(&e->mu);
}

/* Decision latency buckets (seconds), as Prometheus histograms want. */
static const double latency_le[ENGINE_LATENCY_BUCKETS] = {0.0001, 0.00025,
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

/*
 * journal_policy - journal the policy in force (locked), so that a replay
 * decides what follows under it
 */
static void
journal_policy(struct engine *e)
{
	char *text;

	if (e->journal == NULL)
		return;
	text = policy_print(e->pol);
	(void)journal_add_policy(
	    e->journal, text, text != NULL ? strlen(text) : 0);
	free(text);
}

void
engine_reload(struct engine *e, struct policy *pol, const char *source,
    const char *digest, int64_t loaded_at)
{
	struct policy *old;

	pthread_mutex_lock(&e->mu);
	old = pol != NULL ? e->pol : NULL;
	if (pol != NULL) {
		decide_policy_changed(e->dec, old, pol);
		e->pol = pol;
		e->reloads++;
		journal_policy(e);
	}
	snprintf(e->source, sizeof(e->source), "%s", source);
	snprintf(e->digest, sizeof(e->digest), "%s", digest);
	e->loaded_at = loaded_at;
	pthread_mutex_unlock(&e->mu);
	policy_free(old);
}

void
engine_explain(struct engine *e, const struct engine_req *r, uint64_t now_ms,
    char *out, size_t size)
{
	struct decide_req req = {0};
	struct decision dn;
	char rule[ENGINE_RULE_TEXT], key[DECIDE_KEY_TEXT_MAX];
	size_t n = 0, i;

	req.list = r->list;
	req.domain = r->domain;
	req.origin = r->origin;
	req.dry = 1;
	pthread_mutex_lock(&e->mu);
	decide(e->dec, e->pol, &req, now_ms, &dn);
	rule[0] = '\0';
	if (dn.rule != NULL)
		policy_rule_format(dn.rule, rule, sizeof(rule));
	n += (size_t)snprintf(out + n, size - n, "action %s%s%s%s\n",
	    action_name(dn.action), dn.allowed ? " (allowed)" : "",
	    dn.banned ? " (banned)" : "", dn.rule != NULL ? "" : "");
	if (dn.rule != NULL && n < size)
		n += (size_t)snprintf(out + n, size - n, "rule %s\n", rule);
	if (dn.banned && n < size) {
		decide_key_format(&dn, dn.ban_scope, key, sizeof(key));
		n += (size_t)snprintf(out + n, size - n,
		    "ban %s %s, %u s left\n", scope_name(dn.ban_scope), key,
		    dn.ban_left_s);
	}
	for (i = 0; i < dn.nlimits && i < DECIDE_MAX_LIMITS && n < size; i++) {
		const struct decide_limit *l = &dn.limits[i];

		policy_rule_format(l->rule, rule, sizeof(rule));
		decide_key_format(&dn, l->rule->scope, key, sizeof(key));
		n += (size_t)snprintf(out + n, size - n,
		    "limit %-40s key %-24s count %u of %u%s\n", rule, key,
		    l->count, l->rule->count, l->tripped ? "  TRIPS" : "");
	}
	pthread_mutex_unlock(&e->mu);
}

/* One key a printed text may stand for. */
struct cand {
	enum scope scope;
	uint8_t key[ORIGIN_KEY_MAX];
	size_t len;
};

/* key_candidates - the raw keys <text> may name, in every scope */
static size_t
key_candidates(
    const struct engine *e, const char *text, struct cand *c, size_t max)
{
	struct addr a;
	struct origin o;
	unsigned plen;
	size_t n = 0, len = strlen(text), i;

	if (len == 0 || len > CTAB_KEY_MAX || max < 4)
		return 0;
	if (strcmp(text, "unknown") == 0) {
		origin_unknown(&o);
		c[n].scope = SCOPE_IP;
		memcpy(c[n].key, o.ipkey, o.ipkey_len);
		c[n++].len = o.ipkey_len;
		c[n].scope = SCOPE_SUBNET;
		memcpy(c[n].key, o.subnetkey, o.subnetkey_len);
		c[n++].len = o.subnetkey_len;
		return n;
	}
	if (addr_parse_prefix(text, len, &a, &plen) == 0) {
		struct origin_conf oc = e->origin;

		/* As a host key and as a subnet key of that length. */
		if (a.family == ADDR_V4)
			oc.v4_subnet = plen;
		else
			oc.v6_subnet = plen;
		if (memchr(text, '/', len) == NULL ||
		    plen == (a.family == ADDR_V4 ? oc.v4_host : oc.v6_host)) {
			if (memchr(text, '/', len) != NULL) {
				if (a.family == ADDR_V4)
					oc.v4_host = plen;
				else
					oc.v6_host = plen;
			}
			origin_from_addr(&oc, &a, &o);
			c[n].scope = SCOPE_IP;
			memcpy(c[n].key, o.ipkey, o.ipkey_len);
			c[n++].len = o.ipkey_len;
		}
		if (memchr(text, '/', len) != NULL) {
			origin_from_addr(&oc, &a, &o);
			c[n].scope = SCOPE_SUBNET;
			memcpy(c[n].key, o.subnetkey, o.subnetkey_len);
			c[n++].len = o.subnetkey_len;
		}
		return n;
	}
	if (strchr(text, '@') != NULL) {
		origin_from_mail(text, len, &o);
		c[n].scope = SCOPE_IP;
		memcpy(c[n].key, o.ipkey, o.ipkey_len);
		c[n++].len = o.ipkey_len;
	}
	for (i = 0; i < 2; i++) {
		size_t j;

		c[n].scope = i == 0 ? SCOPE_DOMAIN : SCOPE_LIST;
		for (j = 0; j < len; j++)
			c[n].key[j] = (uint8_t)(text[j] >= 'A' && text[j] <= 'Z'
			        ? text[j] + 32
			        : text[j]);
		c[n++].len = len;
	}
	return n;
}

int
engine_unban(struct engine *e, const char *key, uint64_t now_ms)
{
	struct cand c[8];
	size_t n = key_candidates(e, key, c, 8), i;
	int changed = 0;

	pthread_mutex_lock(&e->mu);
	for (i = 0; i < n; i++) {
		struct journal_key k = {
		    now_ms, 0, c[i].scope, c[i].key, c[i].len};

		if (e->journal != NULL)
			(void)journal_add_key(e->journal, &k);
		changed += decide_unban(
		    e->dec, c[i].scope, c[i].key, c[i].len, now_ms);
	}
	pthread_mutex_unlock(&e->mu);
	return changed;
}

int
engine_reset(struct engine *e, const char *key)
{
	struct cand c[8];
	size_t n = key_candidates(e, key, c, 8), i;
	int changed = 0;

	pthread_mutex_lock(&e->mu);
	for (i = 0; i < n; i++) {
		/* A reset needs no time: the record carries 0. */
		struct journal_key k = {0, 1, c[i].scope, c[i].key, c[i].len};

		if (e->journal != NULL)
			(void)journal_add_key(e->journal, &k);
		changed += decide_reset(e->dec, c[i].scope, c[i].key, c[i].len);
	}
	pthread_mutex_unlock(&e->mu);
	return changed;
}

void
engine_note(struct engine *e, int mailman, double latency_s)
{
	size_t i;

	pthread_mutex_lock(&e->mu);
	e->confirmations[mailman == 3 ? 1 : 0]++;
	for (i = 0; i < ENGINE_LATENCY_BUCKETS; i++)
		if (latency_s <= latency_le[i])
			e->latency_buckets[i]++;
	e->latency_count++;
	e->latency_sum += latency_s;
	pthread_mutex_unlock(&e->mu);
}

/* Listing state for write_trip(). */
struct trip_out {
	FILE *f;
	int n;
};

/* write_trip - one tripped key as a JSON object (at most 100) */
static int
write_trip(const struct decide_trip *t, void *arg)
{
	struct trip_out *o = arg;
	char key[DECIDE_KEY_TEXT_MAX], rule[ENGINE_RULE_TEXT];
	size_t n = t->keylen < sizeof(key) - 1 ? t->keylen : sizeof(key) - 1;

	if (o->n >= 100)
		return 1;
	if (t->scope == SCOPE_IP || t->scope == SCOPE_SUBNET) {
		if (origin_key_format(t->key, t->keylen, key, sizeof(key)) == 0)
			key[0] = '\0';
	} else {
		memcpy(key, t->key, n);
		key[n] = '\0';
	}
	rule[0] = '\0';
	if (t->rule != NULL)
		policy_rule_format(t->rule, rule, sizeof(rule));
	fprintf(o->f, "%s{\"scope\":\"%s\",\"key\":", o->n ? "," : "",
	    scope_name(t->scope));
	jsonw_cstr(o->f, key);
	fprintf(o->f, ",\"rule\":");
	jsonw_cstr(o->f, rule);
	fprintf(o->f, ",\"banned\":%s,\"count\":%u,\"left_s\":%u}",
	    t->banned ? "true" : "false", t->count, t->left_s);
	o->n++;
	return 0;
}

void
engine_write_status(struct engine *e, FILE *f, uint64_t now_ms)
{
	struct decide_stats st;
	struct trip_out to = {f, 0};
	size_t i;

	pthread_mutex_lock(&e->mu);
	decide_stats(e->dec, &st);
	fprintf(f, "\"policy\":{\"source\":");
	jsonw_cstr(f, e->source);
	fprintf(f,
	    ",\"digest\":\"%s\",\"loaded\":%lld,\"rules\":%zu,"
	    "\"reloads\":%llu},",
	    e->digest, (long long)e->loaded_at, e->pol->nrules,
	    (unsigned long long)e->reloads);
	fprintf(f, "\"confirmations\":{\"mailman2\":%llu,\"mailman3\":%llu},",
	    (unsigned long long)e->confirmations[0],
	    (unsigned long long)e->confirmations[1]);
	fprintf(f, "\"requests_by_mail\":{");
	for (i = 0; i < SPF_RES_COUNT; i++) {
		uint64_t n = 0;
		size_t j;

		for (j = 0; j < ACT_COUNT; j++)
			n += e->requests[i][j];
		fprintf(f, "%s\"%s\":%llu", i ? "," : "",
		    spf_result_word((enum spf_result)i), (unsigned long long)n);
	}
	fprintf(
	    f, "},\"spf_cache_hits\":%llu,", (unsigned long long)e->spf_cached);
	fprintf(f, "\"decisions\":{");
	for (i = 0; i < ACT_COUNT; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "",
		    action_name((enum action)i),
		    (unsigned long long)st.decisions[i]);
	fprintf(f, "},\"allowed\":%llu,\"retries\":%llu,\"banned\":%llu,",
	    (unsigned long long)st.allowed, (unsigned long long)st.retries,
	    (unsigned long long)st.banned);
	fprintf(f, "\"keys\":{");
	for (i = 0; i < SCOPE_COUNT; i++)
		fprintf(f, "\"%s\":%zu,", scope_name((enum scope)i),
		    st.keys.keys[i]);
	fprintf(f, "\"total\":%zu,\"max\":%zu,\"bytes\":%zu},\"evictions\":{",
	    st.keys.total_keys, st.keys.max_keys, st.keys.bytes);
	for (i = 0; i < SCOPE_COUNT; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "",
		    scope_name((enum scope)i),
		    (unsigned long long)st.keys.evicted[i]);
	fprintf(f, "},\"bans_evicted\":%llu,\"tripped\":[",
	    (unsigned long long)st.keys.bans_evicted);
	decide_tripped(e->dec, e->pol, now_ms, write_trip, &to);
	fprintf(f, "]");
	pthread_mutex_unlock(&e->mu);
}

/* Counting state for count_bans(). */
static int
count_bans(const struct decide_trip *t, void *arg)
{
	if (t->banned)
		(*(uint64_t *)arg)++;
	return 0;
}

/* metric_decision - one labelled decision counter line */
static void
metric_decision(FILE *f, const struct tally_item *it)
{
	const char *k = (const char *)it->key;
	size_t al = strnlen(k, it->len), rl;

	rl = strnlen(k + al + 1, it->len - al - 1);
	fprintf(
	    f, "subgate_decisions_total{action=\"%.*s\",rule=\"", (int)al, k);
	prom_label(f, k + al + 1, rl);
	fprintf(f, "\",list=\"");
	prom_label(f, k + al + 1 + rl + 1, it->len - al - 1 - rl - 1);
	fprintf(f, "\"} %llu\n", (unsigned long long)it->count);
}

void
engine_write_metrics(struct engine *e, FILE *f, uint64_t now_ms)
{
	struct decide_stats st;
	struct tally_item *items;
	uint64_t bans = 0;
	size_t i, n;

	pthread_mutex_lock(&e->mu);
	decide_stats(e->dec, &st);
	decide_tripped(e->dec, e->pol, now_ms, count_bans, &bans);
	fprintf(f,
	    "# HELP subgate_decisions_total Confirmations decided, by "
	    "action, deciding rule and list.\n"
	    "# TYPE subgate_decisions_total counter\n");
	n = tally_size(e->by_rule);
	if ((items = calloc(n + 1, sizeof(*items))) != NULL) {
		n = tally_top(e->by_rule, items, n);
		for (i = 0; i < n; i++)
			metric_decision(f, &items[i]);
		free(items);
	}
	fprintf(f,
	    "# HELP subgate_confirmations_total Subscription "
	    "confirmations recognised.\n"
	    "# TYPE subgate_confirmations_total counter\n"
	    "subgate_confirmations_total{mailman=\"2\"} %llu\n"
	    "subgate_confirmations_total{mailman=\"3\"} %llu\n",
	    (unsigned long long)e->confirmations[0],
	    (unsigned long long)e->confirmations[1]);
	fprintf(f,
	    "# HELP subgate_requests_by_mail_total Subscriptions requested by "
	    "mail, by SPF result and the action taken on the request.\n"
	    "# TYPE subgate_requests_by_mail_total counter\n");
	for (i = 0; i < SPF_RES_COUNT; i++) {
		size_t j;

		for (j = 0; j < ACT_COUNT; j++)
			fprintf(f,
			    "subgate_requests_by_mail_total{spf=\"%s\","
			    "action=\"%s\"} %llu\n",
			    spf_result_word((enum spf_result)i),
			    action_name((enum action)j),
			    (unsigned long long)e->requests[i][j]);
	}
	fprintf(f,
	    "# HELP subgate_spf_cache_hits_total SPF results of requests by "
	    "mail answered from subgate's cache (spf_cache_ttl).\n"
	    "# TYPE subgate_spf_cache_hits_total counter\n"
	    "subgate_spf_cache_hits_total %llu\n",
	    (unsigned long long)e->spf_cached);
	fprintf(f,
	    "# HELP subgate_keys Counter keys tracked.\n"
	    "# TYPE subgate_keys gauge\n");
	for (i = 0; i < SCOPE_COUNT; i++)
		fprintf(f, "subgate_keys{scope=\"%s\"} %zu\n",
		    scope_name((enum scope)i), st.keys.keys[i]);
	fprintf(f,
	    "# HELP subgate_evictions_total Keys evicted to stay "
	    "within max_keys.\n"
	    "# TYPE subgate_evictions_total counter\n");
	for (i = 0; i < SCOPE_COUNT; i++)
		fprintf(f, "subgate_evictions_total{scope=\"%s\"} %llu\n",
		    scope_name((enum scope)i),
		    (unsigned long long)st.keys.evicted[i]);
	fprintf(f,
	    "# HELP subgate_bans_evicted_total Keys evicted to stay within "
	    "max_keys while banned.\n"
	    "# TYPE subgate_bans_evicted_total counter\n"
	    "subgate_bans_evicted_total %llu\n",
	    (unsigned long long)st.keys.bans_evicted);
	fprintf(f,
	    "# HELP subgate_bans_active Keys banned now.\n"
	    "# TYPE subgate_bans_active gauge\n"
	    "subgate_bans_active %llu\n",
	    (unsigned long long)bans);
	fprintf(f,
	    "# HELP subgate_decision_latency_seconds Time to decide a "
	    "confirmation, log wait included.\n"
	    "# TYPE subgate_decision_latency_seconds histogram\n");
	for (i = 0; i < ENGINE_LATENCY_BUCKETS; i++)
		fprintf(f,
		    "subgate_decision_latency_seconds_bucket{le=\"%g\"} %llu\n",
		    latency_le[i], (unsigned long long)e->latency_buckets[i]);
	fprintf(f,
	    "subgate_decision_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "subgate_decision_latency_seconds_sum %.6f\n"
	    "subgate_decision_latency_seconds_count %llu\n",
	    (unsigned long long)e->latency_count, e->latency_sum,
	    (unsigned long long)e->latency_count);
	pthread_mutex_unlock(&e->mu);
}

int
engine_save_state(struct engine *e, unsigned char **buf, size_t *len,
    uint64_t wall_ms, uint64_t engine_ms, uint64_t *gen, char *err,
    size_t errlen)
{
	int rc;

	*gen = 0;
	pthread_mutex_lock(&e->mu);
	rc = decide_save_mem(e->dec, e->pol, buf, len);
	if (rc == 0 && e->journal != NULL) {
		/*
		 * The image holds everything journaled so far. If no new
		 * journal can be made, it still says so: the old journal is
		 * pruned with the rest, and a crash before the next save loses
		 * what was decided since (no decision is counted twice).
		 */
		*gen = journal_gen(e->journal) + 1;
		if (journal_rotate(
		        e->journal, wall_ms, engine_ms, err, errlen) != 0)
			journal_policy(e);
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}

void
engine_set_journal(struct engine *e, struct journal *j)
{
	pthread_mutex_lock(&e->mu);
	e->journal = j;
	journal_policy(e);
	pthread_mutex_unlock(&e->mu);
}

uint64_t
engine_journal_failures(struct engine *e)
{
	uint64_t n = 0;

	pthread_mutex_lock(&e->mu);
	if (e->journal != NULL)
		n = journal_failures(e->journal);
	pthread_mutex_unlock(&e->mu);
	return n;
}

void
engine_replay_judge(void *arg, const struct journal_judge *r)
{
	struct engine *e = arg;
	struct decide_req req = {0};
	struct decision dn;

	req.list = r->list;
	req.domain = r->domain;
	req.origin = r->origin;
	req.id = r->id[0] != '\0' ? r->id : NULL;
	req.idlen = strlen(r->id);
	req.floor = r->floor;
	pthread_mutex_lock(&e->mu);
	(void)decide(e->dec, e->pol, &req, r->now_ms, &dn);
	pthread_mutex_unlock(&e->mu);
}

void
engine_replay_key(void *arg, const struct journal_key *k)
{
	struct engine *e = arg;

	pthread_mutex_lock(&e->mu);
	if (k->reset)
		(void)decide_reset(e->dec, k->scope, k->key, k->len);
	else
		(void)decide_unban(e->dec, k->scope, k->key, k->len, k->now_ms);
	pthread_mutex_unlock(&e->mu);
}

char *
engine_policy_text(struct engine *e)
{
	char *text;

	pthread_mutex_lock(&e->mu);
	text = policy_print(e->pol);
	pthread_mutex_unlock(&e->mu);
	return text;
}

void
engine_replay_policy(struct engine *e, struct policy *pol)
{
	struct policy *old;
	int keep;

	pthread_mutex_lock(&e->mu);
	old = e->pol;
	if (e->start_pol == NULL)
		e->start_pol = old;
	keep = old == e->start_pol;
	decide_policy_changed(e->dec, old, pol);
	e->pol = pol;
	pthread_mutex_unlock(&e->mu);
	if (!keep)
		policy_free(old);
}

void
engine_replay_done(struct engine *e)
{
	struct policy *old = NULL;

	pthread_mutex_lock(&e->mu);
	if (e->start_pol != NULL && e->start_pol != e->pol) {
		old = e->pol;
		decide_policy_changed(e->dec, old, e->start_pol);
		e->pol = e->start_pol;
	}
	e->start_pol = NULL;
	pthread_mutex_unlock(&e->mu);
	policy_free(old);
}

int
engine_load_state(struct engine *e, const void *buf, size_t len,
    uint64_t now_ms, int64_t shift_s, struct decide_load_info *info, char *err,
    size_t errlen)
{
	int rc;

	pthread_mutex_lock(&e->mu);
	rc = decide_load(
	    e->dec, e->pol, buf, len, now_ms, shift_s, info, err, errlen);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

enum action
engine_request(struct engine *e, const char *requester,
    const struct addr *client, enum spf_result spf, int spf_cached,
    int64_t now_s, int *have_rule)
{
	enum action a = ACT_ACCEPT;
	struct smtp_request *r;

	pthread_mutex_lock(&e->mu);
	*have_rule = spf_rule(e->pol, (int)spf, &a);
	if ((unsigned)spf < SPF_RES_COUNT && (unsigned)a < ACT_COUNT)
		e->requests[spf][a]++;
	if (spf_cached)
		e->spf_cached++;
	if (client != NULL && a != ACT_DEFER && a != ACT_REJECT &&
	    a != ACT_DISCARD) {
		r = &e->req[e->req_next % ENGINE_REQUESTS_MAX];
		r->hash = key_hash(e, "", requester);
		seqindex_put(e->req_index, e->req_next++, r->hash);
		r->client = *client;
		r->spf = (int)spf;
		r->time = now_s;
	}
	pthread_mutex_unlock(&e->mu);
	return a;
}

int
engine_request_find(struct engine *e, const char *requester, int64_t now_s,
    int64_t max_age_s, struct addr *client, int *spf)
{
	uint64_t h = key_hash(e, "", requester);
	int64_t s;
	int found = 0;

	pthread_mutex_lock(&e->mu);
	for (s = seqindex_first(e->req_index, h, e->req_next); s >= 0;
	     s = seqindex_next(e->req_index, s, e->req_next)) {
		const struct smtp_request *r =
		    &e->req[(uint64_t)s % ENGINE_REQUESTS_MAX];

		if (r->hash == h && r->time + max_age_s >= now_s) {
			*client = r->client;
			*spf = r->spf;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&e->mu);
	return found;
}
