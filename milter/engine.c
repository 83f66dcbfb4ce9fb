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

struct pending {
	uint64_t hash; /* of lower(list) NUL lower(addr) */
	char remote[ENGINE_REMOTE_MAX];
};

struct engine {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a pending record arrived */
	struct policy *pol;
	struct decider *dec;
	struct origin_conf origin;
	struct pending *ring;
	size_t ring_next; /* total records ever put */
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
	e->dec = decide_new(dc);
	if (e->ring == NULL || e->dec == NULL) {
		free(e->ring);
		decide_free(e->dec);
		free(e);
		return NULL;
	}
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
	policy_free(e->pol);
	decide_free(e->dec);
	free(e->ring);
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

int
engine_judge(struct engine *e, const struct engine_req *r, uint64_t now_ms,
    struct engine_verdict *v)
{
	struct decide_req req = { 0 };
	struct decision dn;
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
	pthread_mutex_unlock(&e->mu);

	v->action = dn.action;
	v->allowed = dn.allowed;
	v->retry = dn.retry;
	v->banned = dn.banned;
	v->ban_left_s = dn.ban_left_s;
	v->internal_error = dn.internal_error;
	return rc;
}

/* key_hash - FNV-1a of lower(list) NUL lower(addr) */
static uint64_t
key_hash(const char *list, const char *addr)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *s;

	for (s = list; *s != '\0'; s++)
		h = (h ^ (uint8_t)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s)) *
		    0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (s = addr; *s != '\0'; s++)
		h = (h ^ (uint8_t)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s)) *
		    0x100000001b3ULL;
	return h | 1; /* 0 marks an empty slot */
}

void
engine_log_record(struct engine *e, const struct logev *ev)
{
	struct pending *p;
	size_t n;

	if (ev->kind != LOGEV_PENDING)
		return;
	pthread_mutex_lock(&e->mu);
	p = &e->ring[e->ring_next++ % ENGINE_PENDING_MAX];
	p->hash = key_hash(ev->list, ev->addr);
	n = ev->remote.len < sizeof(p->remote) - 1 ? ev->remote.len
	                                           : sizeof(p->remote) - 1;
	memcpy(p->remote, ev->remote.p, n);
	p->remote[n] = '\0';
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

/* find_locked - scan the ring newest first; 1 and <remote> when found */
static int
find_locked(struct engine *e, uint64_t h, char *remote, size_t size)
{
	size_t i,
	    n = e->ring_next < ENGINE_PENDING_MAX ? e->ring_next
	                                          : ENGINE_PENDING_MAX;

	for (i = 1; i <= n; i++) {
		const struct pending *p =
		    &e->ring[(e->ring_next - i) % ENGINE_PENDING_MAX];

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
	uint64_t h = key_hash(list, addr);
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
