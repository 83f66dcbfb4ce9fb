/*
 * ctl_replay.c -- subgatectl replay: what a policy would have done
 *
 * DESCRIPTION
 *	"subgatectl replay --policy FILE [--json] [--decisions OUT.jsonl]
 *	LOG...": every "pending" record of the logs is taken as its
 *	confirmation leaving at the record's own time, and judged by the same
 *	engine the milter uses (policy/decide.c). A deferred confirmation is
 *	retried as Mailman 2.1 retries a 4xx: every REPLAY_RETRY_WAIT_S, until
 *	it is delivered or REPLAY_RETRY_PERIOD_S has passed (then "expired").
 *	Retries are interleaved with the log in time order.
 *
 *	Outcomes: delivered (with its delay), held, rejected, discarded,
 *	expired. --decisions writes one JSON object per pending record, in
 *	log order, as soon as it and every record before it are settled.
 *
 *	--requests MAILLOG (repeatable): subgate's own "request" lines; a
 *	pending record whose remote is an e-mail address (a request by mail)
 *	then has as origin the SMTP client of that address's newest request
 *	around its time, as the milter would have had.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_pipe.h"
#include "ctl_requests.h"
#include "decide.h"
#include "jsonw.h"
#include "origin.h"
#include "seed.h"
#include "tally.h"

#define REPLAY_RETRY_WAIT_S 3600          /* Mailman DELIVERY_RETRY_WAIT */
#define REPLAY_RETRY_PERIOD_S (5 * 86400) /* DELIVERY_RETRY_PERIOD */
#define REPLAY_TOP_TRIPPED 20
#define REPLAY_RULE_TEXT 600
#define REPLAY_AHEAD 8

enum outcome {
	OUT_PENDING = 0,
	OUT_DELIVERED,
	OUT_HELD,
	OUT_REJECTED,
	OUT_DISCARDED,
	OUT_EXPIRED
};
#define OUT_COUNT 6
static const char *const outcome_names[OUT_COUNT] = {
    "pending", "delivered", "held", "rejected", "discarded", "expired"};

/*
 * One confirmation, from its log record until it is written out. The
 * reader thread fills in its origin and its keys' hashes; the deciding
 * thread only decides.
 */
struct conf_rec {
	uint64_t line;
	int64_t t0;     /* the request */
	int64_t t_done; /* when settled */
	int64_t t_next; /* next retry */
	const struct policy_rule *rule;
	struct decide_prep prep; /* decide_prepare() */
	struct addr ip;          /* ORIGIN_IP: the address */
	uint8_t okind;           /* enum origin_kind */
	uint8_t tied;            /* origin from --requests */
	uint8_t outcome;         /* enum outcome */
	uint16_t listlen, addrlen, domoff, ipkeylen, subnetkeylen;
	char data[]; /* list NUL addr NUL ipkey subnetkey */
};

/* What the reader thread needs: read-only while it runs, but <memo>. */
struct replay_reader {
	const struct conf *conf;
	const struct decider *dec; /* decide_prepare() only */
	const struct policy *pol;
	const struct reqlog *requests;
	struct decide_memo memo; /* the reader's own */
};

struct replay {
	const struct conf *conf;
	struct policy *pol;
	struct decider *dec;
	FILE *out; /* --decisions, or NULL */
	/* Log-order queue of records not yet written. */
	struct conf_rec **q;
	size_t qhead, qlen, qcap;
	/* Retry heap, ordered by (t_next, line). */
	struct conf_rec **heap;
	size_t hlen, hcap;
	uint64_t outcomes[OUT_COUNT];
	uint64_t confirmations, delivered_late, decisions;
	struct tally *tripped;
	size_t peak_keys, peak_bytes;
	uint64_t evicted;
	int oom;
	struct reqlog *requests; /* --requests, or NULL */
	uint64_t req_loaded, req_skipped, req_tied;
	/* The (rule, key) of the last decisions, not yet in <tripped>. */
	uint8_t run_key[2 + CTAB_KEY_MAX];
	size_t run_len;
	uint64_t run_n;
	/*
	 * Records taken but not yet decided (lent by the pipe): each one's
	 * counter slots are prefetched REPLAY_AHEAD decisions before it is
	 * decided.
	 */
	struct conf_rec *ahead[REPLAY_AHEAD];
	size_t ahead_head, ahead_len;
};

/* rec_list / rec_addr / rec_ipkey / rec_subnetkey - the parts of a record */
static const char *
rec_list(const struct conf_rec *c)
{
	return c->data;
}

static const char *
rec_addr(const struct conf_rec *c)
{
	return c->data + c->listlen + 1;
}

static const uint8_t *
rec_ipkey(const struct conf_rec *c)
{
	return (const uint8_t *)c->data + c->listlen + 1 + c->addrlen + 1;
}

static const uint8_t *
rec_subnetkey(const struct conf_rec *c)
{
	return rec_ipkey(c) + c->ipkeylen;
}

/*
 * replay_origin - the origin of the request <ev>: its remote (at most
 * 1024 bytes of it), or for a request by mail the SMTP client --requests
 * names (then 1 is returned, else 0).
 */
static int
replay_origin(
    const struct replay_reader *rr, const struct logev *ev, struct origin *o)
{
	struct addr client;
	const char *mail;
	size_t n;

	/* The parser has read an IP literal already. */
	if (ev->remote_kind == REMOTE_IP) {
		origin_from_addr(&rr->conf->origin, &ev->remote_ip, o);
		return 0;
	}
	origin_from_remote(&rr->conf->origin, ev->remote.p,
	    ev->remote.len > 1024 ? 1024 : ev->remote.len, o);
	if (rr->requests == NULL || (mail = origin_mail_addr(o, &n)) == NULL ||
	    !reqlog_find(rr->requests, mail, n, ev->time, &client))
		return 0;
	origin_from_addr(&rr->conf->origin, &client, o);
	return 1;
}

/* rec_origin - the origin stored in <c> */
static void
rec_origin(const struct conf_rec *c, struct origin *o)
{
	o->kind = (enum origin_kind)c->okind;
	o->ip = c->ip;
	memcpy(o->ipkey, rec_ipkey(c), c->ipkeylen);
	o->ipkey_len = c->ipkeylen;
	memcpy(o->subnetkey, rec_subnetkey(c), c->subnetkeylen);
	o->subnetkey_len = c->subnetkeylen;
}

/* heap_less - retry order */
static int
heap_less(const struct conf_rec *a, const struct conf_rec *b)
{
	return a->t_next < b->t_next ||
	    (a->t_next == b->t_next && a->line < b->line);
}

/* heap_push - schedule a retry */
static int
heap_push(struct replay *rp, struct conf_rec *c)
{
	size_t i;

	if (rp->hlen == rp->hcap) {
		size_t ncap = rp->hcap ? rp->hcap * 2 : 1024;
		struct conf_rec **nh = realloc(rp->heap, ncap * sizeof(*nh));

		if (nh == NULL)
			return -1;
		rp->heap = nh;
		rp->hcap = ncap;
	}
	i = rp->hlen++;
	while (i > 0 && heap_less(c, rp->heap[(i - 1) / 2])) {
		rp->heap[i] = rp->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	rp->heap[i] = c;
	return 0;
}

/* heap_pop - the earliest retry */
static struct conf_rec *
heap_pop(struct replay *rp)
{
	struct conf_rec *top = rp->heap[0], *last = rp->heap[--rp->hlen];
	size_t i = 0, child;

	while ((child = 2 * i + 1) < rp->hlen) {
		if (child + 1 < rp->hlen &&
		    heap_less(rp->heap[child + 1], rp->heap[child]))
			child++;
		if (!heap_less(rp->heap[child], last))
			break;
		rp->heap[i] = rp->heap[child];
		i = child;
	}
	if (rp->hlen > 0)
		rp->heap[i] = last;
	return top;
}

/* write_decision - one line of --decisions */
static void
write_decision(struct replay *rp, const struct conf_rec *c)
{
	struct origin o;
	char ip[ORIGIN_KEY_MAX + 8], rule[REPLAY_RULE_TEXT];
	FILE *f = rp->out;

	rec_origin(c, &o);
	if (o.kind == ORIGIN_IP)
		addr_format(&o.ip, ip, sizeof(ip));
	else if (origin_key_format(o.ipkey, o.ipkey_len, ip, sizeof(ip)) == 0)
		ip[0] = '\0';
	rule[0] = '\0';
	if (c->rule != NULL)
		policy_rule_format(c->rule, rule, sizeof(rule));
	fprintf(f, "{\"line\":%llu,\"time\":%lld,\"list\":",
	    (unsigned long long)c->line, (long long)c->t0);
	jsonw_str(f, rec_list(c), c->listlen);
	fputs(",\"addr\":", f);
	jsonw_str(f, rec_addr(c), c->addrlen);
	fputs(",\"ip\":", f);
	jsonw_cstr(f, ip);
	fprintf(f, ",\"outcome\":\"%s\",\"delay_s\":%lld,\"rule\":",
	    outcome_names[c->outcome],
	    c->outcome == OUT_DELIVERED ? (long long)(c->t_done - c->t0) : 0LL);
	jsonw_cstr(f, rule);
	fputs("}\n", f);
}

/* flush_queue - write and free every settled record at the queue head */
static void
flush_queue(struct replay *rp)
{
	while (rp->qlen > 0) {
		struct conf_rec *c = rp->q[rp->qhead];

		if (c->outcome == OUT_PENDING)
			break;
		if (rp->out != NULL)
			write_decision(rp, c);
		free(c);
		rp->qhead = (rp->qhead + 1) % rp->qcap;
		rp->qlen--;
	}
}

/* queue_push - append a record in log order */
static int
queue_push(struct replay *rp, struct conf_rec *c)
{
	if (rp->qlen == rp->qcap) {
		size_t ncap = rp->qcap ? rp->qcap * 2 : 4096, i;
		struct conf_rec **nq = malloc(ncap * sizeof(*nq));

		if (nq == NULL)
			return -1;
		for (i = 0; i < rp->qlen; i++)
			nq[i] = rp->q[(rp->qhead + i) % rp->qcap];
		free(rp->q);
		rp->q = nq;
		rp->qhead = 0;
		rp->qcap = ncap;
	}
	rp->q[(rp->qhead + rp->qlen) % rp->qcap] = c;
	rp->qlen++;
	return 0;
}

/* flush_run - add the pending run of note_tripped() to the tally */
static void
flush_run(struct replay *rp)
{
	if (rp->run_n > 0 &&
	    tally_add(rp->tripped, rp->run_key, rp->run_len, rp->run_n) != 0)
		rp->oom = 1;
	rp->run_n = 0;
}

/*
 * note_tripped - count the confirmations each (rule, key) decided, a ban
 * included. The tally key is the rule's index (2 bytes) and the raw counter
 * key, printed only for the report.
 */
static void
note_tripped(struct replay *rp, const struct decision *dn)
{
	uint8_t buf[2 + CTAB_KEY_MAX];
	size_t ri, len;
	enum scope s;

	if (dn->rule == NULL || dn->allowed)
		return;
	ri = (size_t)(dn->rule - rp->pol->rules);
	s = dn->banned ? dn->ban_scope : dn->rule->scope;
	buf[0] = (uint8_t)(ri >> 8);
	buf[1] = (uint8_t)ri;
	memcpy(buf + 2, dn->key[s], dn->keylen[s]);
	len = 2 + dn->keylen[s];
	/*
	 * Runs of one (rule, key) are common (a list's ban holds request after
	 * request): counted here, added to the tally when the run ends.
	 */
	if (rp->run_n > 0 && len == rp->run_len &&
	    memcmp(buf, rp->run_key, len) == 0) {
		rp->run_n++;
		return;
	}
	flush_run(rp);
	memcpy(rp->run_key, buf, len);
	rp->run_len = len;
	rp->run_n = 1;
}

/* tripped_text - the rule text and printed key of a note_tripped() key */
static void
tripped_text(const struct replay *rp, const struct tally_item *it, char *rule,
    size_t rsize, char *key, size_t ksize)
{
	const struct policy_rule *r =
	    &rp->pol->rules[(it->key[0] << 8) | it->key[1]];
	size_t n = it->len - 2;

	if (policy_rule_format(r, rule, rsize) == 0)
		rule[0] = '\0';
	if (r->scope == SCOPE_IP || r->scope == SCOPE_SUBNET) {
		if (origin_key_format(it->key + 2, n, key, ksize) == 0)
			key[0] = '\0';
		return;
	}
	n = n < ksize - 1 ? n : ksize - 1;
	memcpy(key, it->key + 2, n);
	key[n] = '\0';
}

/* sample_memory - remember the counter table's peak */
static void
sample_memory(struct replay *rp)
{
	struct decide_stats s;

	decide_stats(rp->dec, &s);
	rp->evicted = 0;
	for (size_t i = 0; i < CTAB_SCOPES; i++)
		rp->evicted += s.keys.evicted[i];
	if (s.keys.total_keys > rp->peak_keys) {
		rp->peak_keys = s.keys.total_keys;
		rp->peak_bytes = s.keys.bytes;
	}
}

/*
 * judge - one decision for <c> at <now>: settles it (0), or sets its next
 * retry (1: the caller schedules it)
 */
static int
judge(struct replay *rp, struct conf_rec *c, int64_t now)
{
	struct decision dn;
	struct origin o;
	struct decide_req req = {0};

	rec_origin(c, &o);
	req.list = rec_list(c);
	req.domain = rec_addr(c) + c->domoff;
	req.origin = &o;
	/* Replay knows its retries: no identity table needed. */
	req.id = NULL;
	req.idlen = 0;
	req.retry = now > c->t0;
	req.first_ms = (uint64_t)c->t0 * 1000;
	req.prep = &c->prep;
	if (decide(rp->dec, rp->pol, &req, (uint64_t)now * 1000, &dn) != 0)
		rp->oom = 1;
	if ((++rp->decisions & 255) == 0) {
		decide_expire(rp->dec, rp->pol, (uint64_t)now * 1000, 64);
		if ((rp->decisions & 4095) == 0)
			sample_memory(rp);
	}
	note_tripped(rp, &dn);
	c->rule = dn.rule;
	c->t_done = now;
	switch (dn.action) {
	case ACT_ACCEPT:
		c->outcome = OUT_DELIVERED;
		if (now > c->t0)
			rp->delivered_late++;
		break;
	case ACT_DEFER:
		if (now + REPLAY_RETRY_WAIT_S > c->t0 + REPLAY_RETRY_PERIOD_S) {
			c->outcome = OUT_EXPIRED;
			break;
		}
		c->t_next = now + REPLAY_RETRY_WAIT_S;
		return 1;
	case ACT_HOLD:
		c->outcome = OUT_HELD;
		break;
	case ACT_REJECT:
		c->outcome = OUT_REJECTED;
		break;
	case ACT_DISCARD:
		c->outcome = OUT_DISCARDED;
		break;
	}
	rp->outcomes[c->outcome]++;
	return 0;
}

/* schedule - put <c> (owned) on the retry heap; when out of memory it
 * expires */
static void
schedule(struct replay *rp, struct conf_rec *c)
{
	if (heap_push(rp, c) == 0)
		return;
	rp->oom = 1;
	c->outcome = OUT_EXPIRED;
	rp->outcomes[OUT_EXPIRED]++;
}

/*
 * run_retries - every retry due at or before <now>. Without --decisions
 * the heap owns its records: a settled one is freed here; with it the
 * log-order queue owns them.
 */
static void
run_retries(struct replay *rp, int64_t now)
{
	while (rp->hlen > 0 && rp->heap[0]->t_next <= now) {
		struct conf_rec *c = heap_pop(rp);

		if (judge(rp, c, c->t_next))
			schedule(rp, c);
		if (c->outcome != OUT_PENDING && rp->out == NULL)
			free(c);
	}
}

/*
 * replay_make - the record of a "pending" line (NULL for any other), with
 * its origin and its keys' hashes, on the reader thread: reads only what
 * struct replay_reader holds
 */
static int
replay_make(const struct logev *ev, uint64_t lineno, void *arg,
    struct ctl_pipe_arena *a, void **obj)
{
	struct replay_reader *rr = arg;
	struct decide_req req = {0};
	struct origin o;
	size_t ll, al, off;
	const char *at;
	struct conf_rec *c;
	int tied;

	*obj = NULL;
	if (ev->kind != LOGEV_PENDING)
		return 0;
	ll = strlen(ev->list);
	al = strlen(ev->addr);
	at = strrchr(ev->addr, '@');
	tied = replay_origin(rr, ev, &o);
	if ((c = ctl_pipe_alloc(a,
	         sizeof(*c) + ll + al + 2 + o.ipkey_len + o.subnetkey_len)) ==
	    NULL)
		return -1;
	memset(c, 0, sizeof(*c));
	c->line = lineno;
	c->t0 = ev->time;
	c->listlen = (uint16_t)ll;
	c->addrlen = (uint16_t)al;
	c->domoff = (uint16_t)(at != NULL ? (size_t)(at - ev->addr) + 1 : al);
	c->okind = (uint8_t)o.kind;
	c->tied = (uint8_t)tied;
	c->ip = o.ip;
	c->ipkeylen = (uint16_t)o.ipkey_len;
	c->subnetkeylen = (uint16_t)o.subnetkey_len;
	memcpy(c->data, ev->list, ll + 1);
	off = ll + 1;
	memcpy(c->data + off, ev->addr, al + 1);
	off += al + 1;
	memcpy(c->data + off, o.ipkey, o.ipkey_len);
	off += o.ipkey_len;
	memcpy(c->data + off, o.subnetkey, o.subnetkey_len);
	req.list = rec_list(c);
	req.domain = rec_addr(c) + c->domoff;
	req.origin = &o;
	decide_prepare(rr->dec, rr->pol, &req, &c->prep, &rr->memo);
	*obj = c;
	return 0;
}

/* rec_size - the bytes of <c> */
static size_t
rec_size(const struct conf_rec *c)
{
	return sizeof(*c) + c->listlen + 1 + c->addrlen + 1 + c->ipkeylen +
	    c->subnetkeylen;
}

/* rec_copy - a malloc'd copy of <c>; NULL when out of memory */
static struct conf_rec *
rec_copy(const struct conf_rec *c)
{
	struct conf_rec *n = malloc(rec_size(c));

	if (n != NULL)
		memcpy(n, c, rec_size(c));
	return n;
}

/*
 * decide_one - decide <c> (borrowed), after the retries due by its time.
 * Most records settle at once and are done with; one that waits for a
 * retry, or (--decisions) for an earlier record to settle, is copied.
 */
static int
decide_one(struct replay *rp, struct conf_rec *c)
{
	struct conf_rec *own;
	int retry;

	run_retries(rp, c->t0);
	rp->confirmations++;
	rp->req_tied += c->tied;
	retry = judge(rp, c, c->t0);
	if (!retry && (rp->out == NULL || rp->qlen == 0)) {
		if (rp->out != NULL)
			write_decision(rp, c);
		return rp->oom;
	}
	if ((own = rec_copy(c)) == NULL) {
		rp->oom = 1;
		return 1;
	}
	if (rp->out != NULL && queue_push(rp, own) != 0) {
		free(own);
		rp->oom = 1;
		return 1;
	}
	if (retry) {
		schedule(rp, own);
		if (own->outcome != OUT_PENDING && rp->out == NULL)
			free(own);
	}
	flush_queue(rp);
	return rp->oom;
}

/* drain_ahead - decide the records still waiting (<decide>), or drop them */
static void
drain_ahead(struct replay *rp, int decide)
{
	while (rp->ahead_len > 0) {
		struct conf_rec *c = rp->ahead[rp->ahead_head];

		rp->ahead_head = (rp->ahead_head + 1) % REPLAY_AHEAD;
		rp->ahead_len--;
		if (decide && !rp->oom)
			(void)decide_one(rp, c);
	}
}

/*
 * replay_take - take one record: prefetch its counters and decide the one
 * taken REPLAY_AHEAD records ago (the pipe lends records longer than
 * that); at the end of the input (NULL) decide the rest
 */
static int
replay_take(void *obj, void *arg)
{
	struct replay *rp = arg;
	struct conf_rec *c = obj;
	size_t slot;
	int rc = 0;

	if (c == NULL) {
		drain_ahead(rp, 1);
		return 0;
	}
	decide_prefetch(rp->dec, c->prep.hash);
	/* Halfway: the slots of this one are in, load its entries. */
	if (rp->ahead_len >= REPLAY_AHEAD / 2)
		decide_prefetch_entries(rp->dec,
		    rp->ahead[(rp->ahead_head + rp->ahead_len -
		                  REPLAY_AHEAD / 2) %
		          REPLAY_AHEAD]
		        ->prep.hash);
	if (rp->ahead_len == REPLAY_AHEAD) {
		slot = rp->ahead_head;
		rc = decide_one(rp, rp->ahead[slot]);
		rp->ahead_head = (rp->ahead_head + 1) % REPLAY_AHEAD;
	} else {
		slot = (rp->ahead_head + rp->ahead_len++) % REPLAY_AHEAD;
	}
	rp->ahead[slot] = c;
	return rc;
}

/* print_summary - the result, as JSON or text */
static void
print_summary(struct replay *rp, const struct ctl_input_stats *st, int json)
{
	struct tally_item top[REPLAY_TOP_TRIPPED];
	size_t n = tally_top(rp->tripped, top, REPLAY_TOP_TRIPPED), i;
	char rule[REPLAY_RULE_TEXT], key[ORIGIN_KEY_MAX + 8];
	double bpk = rp->peak_keys ? (double)rp->peak_bytes / rp->peak_keys : 0;

	if (json) {
		printf("{\"confirmations\":%llu,\"outcomes\":{",
		    (unsigned long long)rp->confirmations);
		for (i = 1; i < OUT_COUNT; i++)
			printf("%s\"%s\":%llu", i > 1 ? "," : "",
			    outcome_names[i],
			    (unsigned long long)rp->outcomes[i]);
		printf("},\"delivered_late\":%llu,\"lines\":%llu,"
		       "\"errors\":%llu,\"tripped\":[",
		    (unsigned long long)rp->delivered_late,
		    (unsigned long long)st->lines,
		    (unsigned long long)st->errors);
		for (i = 0; i < n; i++) {
			tripped_text(
			    rp, &top[i], rule, sizeof(rule), key, sizeof(key));
			printf("%s{\"rule\":", i ? "," : "");
			jsonw_cstr(stdout, rule);
			printf(",\"key\":");
			jsonw_cstr(stdout, key);
			printf(",\"count\":%llu}",
			    (unsigned long long)top[i].count);
		}
		printf("],");
		if (rp->requests != NULL)
			printf("\"requests_by_mail\":{\"loaded\":%llu,"
			       "\"skipped\":%llu,\"tied\":%llu},",
			    (unsigned long long)rp->req_loaded,
			    (unsigned long long)rp->req_skipped,
			    (unsigned long long)rp->req_tied);
		printf("\"memory\":{\"keys\":%zu,\"bytes\":%zu,"
		       "\"bytes_per_key\":%.1f,\"evicted\":%llu}}\n",
		    rp->peak_keys, rp->peak_bytes, bpk,
		    (unsigned long long)rp->evicted);
		return;
	}
	printf("confirmations %llu (lines %llu, unparsable %llu)\n",
	    (unsigned long long)rp->confirmations,
	    (unsigned long long)st->lines, (unsigned long long)st->errors);
	for (i = 1; i < OUT_COUNT; i++)
		printf("  %-10s %llu\n", outcome_names[i],
		    (unsigned long long)rp->outcomes[i]);
	printf("  (delivered after a delay: %llu)\n",
	    (unsigned long long)rp->delivered_late);
	if (rp->requests != NULL)
		printf("  (requests by mail tied to their SMTP client: %llu, "
		       "of %llu request lines read, %llu unusable)\n",
		    (unsigned long long)rp->req_tied,
		    (unsigned long long)rp->req_loaded,
		    (unsigned long long)rp->req_skipped);
	if (n > 0)
		printf("\nwhat decided (confirmations, rule, key):\n");
	for (i = 0; i < n; i++) {
		size_t j;

		tripped_text(rp, &top[i], rule, sizeof(rule), key, sizeof(key));
		for (j = 0; key[j] != '\0'; j++)
			if ((unsigned char)key[j] < 0x20 || key[j] == 0x7f)
				key[j] = '?';
		printf("%8llu  %-40s %s\n", (unsigned long long)top[i].count,
		    rule, key);
	}
	printf("\ncounters: peak %zu keys, %zu bytes (%.1f bytes per key), "
	       "%llu evicted\n",
	    rp->peak_keys, rp->peak_bytes, bpk,
	    (unsigned long long)rp->evicted);
}

int
ctl_replay(int argc, char **argv, const struct conf *conf)
{
	static const struct option longopts[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"decisions", required_argument, NULL, 'd'},
	    {"requests", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
	const char *policy_path = NULL, *dpath = NULL;
	char **rpaths = NULL;
	size_t nrpaths = 0;
	struct decide_conf dc;
	struct ctl_input_stats st;
	struct replay rp;
	struct replay_reader rr;
	int ch, json = 0, status = 0, make_failed = 0;

	memset(&rp, 0, sizeof(rp));
	rp.conf = conf;
	while (
	    (ch = getopt_long(argc, argv, "+p:d:r:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': {
			char **np =
			    realloc(rpaths, (nrpaths + 1) * sizeof(*np));

			if (np == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				free(rpaths);
				return CTL_EXIT_USAGE;
			}
			rpaths = np;
			rpaths[nrpaths++] = optarg;
			break;
		}
		case 'p':
			policy_path = optarg;
			break;
		case 'd':
			dpath = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			goto usage;
		}
	}
	if (policy_path == NULL || optind >= argc)
		goto usage;
	if ((rp.pol = ctl_load_policy(policy_path, &status)) == NULL) {
		free(rpaths);
		return status;
	}
	if (nrpaths > 0 &&
	    (rp.requests = reqlog_load(
	         rpaths, nrpaths, &rp.req_loaded, &rp.req_skipped)) == NULL) {
		status = CTL_EXIT_USAGE;
		goto out;
	}
	decide_conf_init(&dc);
	dc.max_keys = (size_t)conf->max_keys;
	/*
	 * A secret hash key, as the daemon's: the log replayed is the
	 * attacker's text, and with the built-in key its addresses could be
	 * chosen to share a probe run (decisions do not depend on it).
	 */
	dc.seed = seed_random();
	if ((rp.dec = decide_new(&dc)) == NULL ||
	    (rp.tripped = tally_new()) == NULL) {
		fprintf(stderr, "replay: out of memory\n");
		status = CTL_EXIT_USAGE;
		goto out;
	}
	if (dpath != NULL && (rp.out = fopen(dpath, "w")) == NULL) {
		perror(dpath);
		status = CTL_EXIT_USAGE;
		goto out;
	}
	/* Reading and parsing on a second thread, deciding on this one. */
	memset(&rr, 0, sizeof(rr));
	rr.conf = conf;
	rr.dec = rp.dec;
	rr.pol = rp.pol;
	rr.requests = rp.requests;
	status = ctl_read_logs_piped(argv + optind, argc - optind, replay_make,
	    &rr, replay_take, &rp, NULL, &st, &make_failed);
	if (make_failed)
		rp.oom = 1;
	if (status == 0) {
		run_retries(&rp, INT64_MAX);
		flush_queue(&rp);
		flush_run(&rp);
		sample_memory(&rp);
		if (rp.oom) {
			fprintf(stderr, "replay: out of memory\n");
			status = CTL_EXIT_USAGE;
		} else {
			print_summary(&rp, &st, json);
		}
	}
	if (rp.out != NULL && fclose(rp.out) != 0) {
		perror(dpath);
		status = CTL_EXIT_USAGE;
	}
	rp.out = NULL;
out:
	drain_ahead(&rp, 0);
	while (rp.qlen > 0) {
		free(rp.q[rp.qhead]);
		rp.qhead = (rp.qhead + 1) % rp.qcap;
		rp.qlen--;
	}
	free(rp.q);
	if (dpath == NULL) /* else the queue owned them */
		while (rp.hlen > 0)
			free(rp.heap[--rp.hlen]);
	free(rp.heap);
	tally_free(rp.tripped);
	decide_free(rp.dec);
	policy_free(rp.pol);
	reqlog_free(rp.requests);
	free(rpaths);
	return status;
usage:
	free(rpaths);
	fprintf(stderr,
	    "usage: subgatectl replay --policy FILE [--json] "
	    "[--decisions OUT.jsonl] [--requests MAILLOG]... LOG...\n");
	return CTL_EXIT_USAGE;
}
