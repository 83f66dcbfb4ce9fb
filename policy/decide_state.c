/*
 * decide_state.c -- the decider's state in a byte stream, and back
 *
 * DESCRIPTION
 *	See decide_save()/decide_load() in decide.h. Layout, every number
 *	little-endian:
 *
 *	  "SUBGATE-STATE\0"  14 bytes
 *	  u32 version (1)
 *	  u32 nrules, then per rule: u16 length, the rule's canonical text
 *	  two tables (counters, then identities), each:
 *	    u32 entries, then per entry, least recently used first:
 *	      u8 scope, u8 key length, the key,
 *	      u32 last_s, u32 ban_until, u16 ban_rule, u8 ban_action,
 *	      u32 times, then that many u32 times, oldest first
 *	  "END\0"
 *
 *	A ban names its rule by index into the saved rule texts, so that a
 *	policy edited between stop and start finds it again by its text
 *	(decide_policy_changed() does the same on reload).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "decide_priv.h"

#define STATE_MAGIC "SUBGATE-STATE"
#define STATE_MAGIC_LEN 14 /* with its NUL */
#define STATE_VERSION 1
#define STATE_MAX_TIMES (1u << 24) /* per entry: far above any limit */
#define STATE_RULE_TEXT 600

/* Output with the first error kept. */
struct out {
	int (*put)(const void *buf, size_t len, void *arg);
	void *arg;
	int rc;
};

static void
put(struct out *o, const void *p, size_t n)
{
	if (o->rc == 0 && n > 0)
		o->rc = o->put(p, n, o->arg);
}

static void
put_u8(struct out *o, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(o, &b, 1);
}

static void
put_u16(struct out *o, unsigned v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	put(o, b, 2);
}

static void
put_u32(struct out *o, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24)};

	put(o, b, 4);
}

/* count_one / save_one - ctab_foreach_oldest() callbacks */
static int
count_one(const struct ctab_entry *e, void *arg)
{
	(void)e;
	++*(uint32_t *)arg;
	return 0;
}

static int
save_one(const struct ctab_entry *e, void *arg)
{
	struct out *o = arg;
	uint32_t i;

	put_u8(o, e->scope);
	put_u8(o, e->keylen);
	put(o, ctab_key(e), e->keylen);
	put_u32(o, e->last_s);
	put_u32(o, e->ban_until);
	put_u16(o, e->ban_rule);
	put_u8(o, e->ban_action);
	put_u32(o, e->nts);
	for (i = 0; i < e->nts; i++)
		put_u32(o, ctab_time_at(e, i));
	return o->rc;
}

/* save_table - one table: its entry count, then its entries */
static void
save_table(struct out *o, const struct ctab *t)
{
	uint32_t n = 0;

	(void)ctab_foreach_oldest(t, count_one, &n);
	put_u32(o, n);
	if (o->rc == 0)
		(void)ctab_foreach_oldest(t, save_one, o);
}

int
decide_save(const struct decider *d, const struct policy *p,
    int (*putfn)(const void *buf, size_t len, void *arg), void *arg)
{
	struct out o = {putfn, arg, 0};
	char text[STATE_RULE_TEXT];
	size_t i, n;

	put(&o, STATE_MAGIC, STATE_MAGIC_LEN);
	put_u32(&o, STATE_VERSION);
	put_u32(&o, (uint32_t)p->nrules);
	for (i = 0; i < p->nrules; i++) {
		n = policy_rule_format(&p->rules[i], text, sizeof(text));
		if (n >= sizeof(text))
			n = 0; /* too long to name: its bans lose their rule */
		put_u16(&o, (unsigned)n);
		put(&o, text, n);
	}
	save_table(&o, d->keys);
	save_table(&o, d->ids);
	put(&o, "END", 4);
	return o.rc;
}

/* A growing buffer for decide_save_mem(). */
struct membuf {
	unsigned char *p;
	size_t n, cap;
};

static int
mem_put(const void *buf, size_t len, void *arg)
{
	struct membuf *m = arg;

	if (len > m->cap - m->n) {
		size_t cap = m->cap ? m->cap : 1 << 16;
		unsigned char *np;

		while (cap - m->n < len)
			cap *= 2;
		if ((np = realloc(m->p, cap)) == NULL)
			return -1;
		m->p = np;
		m->cap = cap;
	}
	memcpy(m->p + m->n, buf, len);
	m->n += len;
	return 0;
}

int
decide_save_mem(const struct decider *d, const struct policy *p,
    unsigned char **buf, size_t *len)
{
	struct membuf m = {NULL, 0, 0};

	if (decide_save(d, p, mem_put, &m) != 0) {
		free(m.p);
		*buf = NULL;
		*len = 0;
		return -1;
	}
	*buf = m.p;
	*len = m.n;
	return 0;
}

/* Input cursor. */
struct in {
	const uint8_t *p;
	size_t left;
	int bad;
};

static const uint8_t *
take(struct in *in, size_t n)
{
	const uint8_t *p = in->p;

	if (in->bad || in->left < n) {
		in->bad = 1;
		return NULL;
	}
	in->p += n;
	in->left -= n;
	return p;
}

static uint32_t
get_u32(struct in *in)
{
	const uint8_t *b = take(in, 4);

	return b == NULL ? 0
	                 : (uint32_t)b[0] | (uint32_t)b[1] << 8 |
	        (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static unsigned
get_u16(struct in *in)
{
	const uint8_t *b = take(in, 2);

	return b == NULL ? 0 : (unsigned)b[0] | (unsigned)b[1] << 8;
}

static unsigned
get_u8(struct in *in)
{
	const uint8_t *b = take(in, 1);

	return b == NULL ? 0 : b[0];
}

/* One entry as read. */
struct rec {
	unsigned scope, keylen, ban_rule, ban_action;
	const uint8_t *key;
	uint32_t last_s, ban_until, nts;
	const uint8_t *times;
};

/* get_rec - the next entry of a table of <nscopes> scopes; 0, or -1 with
 * <why> set */
static int
get_rec(struct in *in, unsigned nscopes, struct rec *r, const char **why)
{
	uint32_t i, prev = 0, t;

	r->scope = get_u8(in);
	r->keylen = get_u8(in);
	r->key = take(in, r->keylen);
	r->last_s = get_u32(in);
	r->ban_until = get_u32(in);
	r->ban_rule = get_u16(in);
	r->ban_action = get_u8(in);
	r->nts = get_u32(in);
	if (in->bad) {
		*why = "truncated";
		return -1;
	}
	if (r->scope >= nscopes || r->keylen > CTAB_KEY_MAX) {
		*why = "bad scope or key length";
		return -1;
	}
	if (r->ban_action >= ACT_COUNT) {
		*why = "bad ban action";
		return -1;
	}
	if (r->nts > STATE_MAX_TIMES || (size_t)r->nts * 4 > in->left) {
		*why = "bad number of times";
		return -1;
	}
	r->times = in->p;
	for (i = 0; i < r->nts; i++) {
		t = get_u32(in);
		if (t < prev) {
			*why = "times out of order";
			return -1;
		}
		prev = t;
	}
	return 0;
}

/* Where the rules of the saved policy are in the current one. */
struct rulemap {
	uint16_t *to; /* saved index -> current index or UINT16_MAX */
	size_t n;
};

/* check - walk the whole buffer; fill the rule map; 0 or -1 with <why> */
static int
check(struct in *in, const struct policy *p, uint16_t *map, size_t mapcap,
    size_t *nmap, const char **why)
{
	const uint8_t *m = take(in, STATE_MAGIC_LEN), *text, *end;
	char a[STATE_RULE_TEXT], b[STATE_RULE_TEXT];
	uint32_t nrules, n, i, k;
	unsigned tab, len;
	struct rec r;
	size_t j;

	if (m == NULL) {
		*why = "truncated";
		return -1;
	}
	if (memcmp(m, STATE_MAGIC, STATE_MAGIC_LEN) != 0) {
		*why = "not a subgate state file";
		return -1;
	}
	if (get_u32(in) != STATE_VERSION) {
		*why = in->bad ? "truncated" : "unknown version";
		return -1;
	}
	nrules = get_u32(in);
	for (i = 0; i < nrules && !in->bad; i++) {
		len = get_u16(in);
		if ((text = take(in, len)) == NULL)
			break;
		if (i >= mapcap)
			continue; /* a ban naming it loses its rule */
		map[i] = UINT16_MAX;
		if (len == 0 || len >= sizeof(a))
			continue;
		memcpy(a, text, len);
		a[len] = '\0';
		for (j = 0; j < p->nrules && j < UINT16_MAX; j++)
			if (policy_rule_format(&p->rules[j], b, sizeof(b)) >
			        0 &&
			    strcmp(a, b) == 0) {
				map[i] = (uint16_t)j;
				break;
			}
	}
	*nmap = nrules < mapcap ? nrules : mapcap;
	for (tab = 0; tab < 2 && !in->bad; tab++) {
		n = get_u32(in);
		for (k = 0; k < n; k++)
			if (get_rec(in, tab == 0 ? SCOPE_COUNT : 1, &r, why) !=
			    0)
				return -1;
	}
	end = take(in, 4);
	if (end == NULL) {
		*why = "truncated";
		return -1;
	}
	if (memcmp(end, "END", 4) != 0 || in->left != 0) {
		*why = "bad end of file";
		return -1;
	}
	return 0;
}

/* shifted - a saved time on the loader's clock */
static uint32_t
shifted(uint32_t t, int64_t shift_s)
{
	int64_t v = (int64_t)t + shift_s;

	return v < 0 ? 0 : v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* load_table - add one checked table's entries to <t> */
static int
load_table(struct in *in, struct ctab *t, size_t max, unsigned nscopes,
    const uint16_t *map, size_t nmap, uint32_t now_s, int64_t shift_s,
    size_t *loaded, size_t *skipped, struct decide_load_info *info)
{
	uint32_t n = get_u32(in), k, i;
	const char *why;
	struct ctab_entry *e;
	struct rec r;

	for (k = 0; k < n; k++) {
		(void)get_rec(in, nscopes, &r, &why); /* checked before */
		/* Over the table's bound: keep the most recent. */
		if (n - k > max) {
			++*skipped;
			continue;
		}
		e = ctab_get(
		    t, r.scope, r.key, r.keylen, shifted(r.last_s, shift_s));
		if (e == NULL)
			return -2;
		for (i = 0; i < r.nts; i++) {
			const uint8_t *b = r.times + 4 * (size_t)i;
			uint32_t ts = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
			    (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;

			if (ctab_add_event(
			        t, e, shifted(ts, shift_s), r.nts, 0) != 0)
				return -2;
		}
		e->last_s = shifted(r.last_s, shift_s);
		if (r.ban_until != 0 && shifted(r.ban_until, shift_s) > now_s) {
			e->ban_until = shifted(r.ban_until, shift_s);
			e->ban_action = (uint8_t)r.ban_action;
			e->ban_rule =
			    r.ban_rule < nmap ? map[r.ban_rule] : UINT16_MAX;
			info->bans++;
			if (e->ban_rule == UINT16_MAX)
				info->bans_unmatched++;
		}
		++*loaded;
	}
	return 0;
}

int
decide_load(struct decider *d, const struct policy *p, const void *buf,
    size_t len, uint64_t now_ms, int64_t shift_s, struct decide_load_info *info,
    char *err, size_t errlen)
{
	uint16_t map[1024]; /* bans on rules past these lose their rule */
	struct in in = {buf, len, 0};
	const char *why = "malformed";
	uint32_t now_s = (uint32_t)(now_ms / 1000), nrules;
	size_t nmap = 0;
	int rc;

	memset(info, 0, sizeof(*info));
	if (check(&in, p, map, sizeof(map) / sizeof(map[0]), &nmap, &why) !=
	    0) {
		snprintf(err, errlen, "%s (at byte %zu)", why,
		    (size_t)(in.p - (const uint8_t *)buf));
		return -1;
	}
	/* Checked: read it again, the tables this time. */
	in.p = buf;
	in.left = len;
	(void)take(&in, STATE_MAGIC_LEN);
	(void)get_u32(&in);
	for (nrules = get_u32(&in); nrules > 0; nrules--)
		(void)take(&in, get_u16(&in));
	rc = load_table(&in, d->keys, d->conf.max_keys, SCOPE_COUNT, map, nmap,
	    now_s, shift_s, &info->keys, &info->skipped, info);
	if (rc == 0)
		rc = load_table(&in, d->ids, d->conf.max_ids, 1, map, 0, now_s,
		    shift_s, &info->ids, &info->skipped, info);
	if (rc != 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}
