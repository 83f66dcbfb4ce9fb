/*
 * spf.c -- SPF checks of subscription requests made by mail (libspf2)
 *
 * The DNS stack is: guard (ours: time budget, void lookups) on top of
 * libspf2's resolver, or of a libspf2 zone layer for tests. The SPF_server_t
 * is shared by all threads; it is only read during a query.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <spf2/spf.h>
#include <spf2/spf_dns_resolv.h>
#include <spf2/spf_dns_zone.h>

#include "spf.h"
#include "seed.h"
#include "siphash.h"

/* RFC 7208 4.6.4: more than two void lookups is a permerror. */
#define SPF_VOID_MAX 2
/*
 * RFC 7208 4.6.4: at most 10 include/redirect/a/mx/ptr/exists terms.
 * libspf2 counts them, but misses the last include of a chain when it
 * matches; so the guard counts TXT lookups too: the sender's record, up to
 * 10 include or redirect records, and one explanation.
 */
#define SPF_RECORDS_MAX 12
#define SPF_KEY_MAX 320
#define SPF_WHY_MAX 200

/* The check running on this thread, as the guard layer sees it. */
struct spf_call {
	uint64_t deadline_ms; /* CLOCK_MONOTONIC */
	int voids;
	int records; /* TXT lookups: the sender's record, include, redirect,
	                exp */
	int timed_out;
};

struct spf_entry {
	char key[SPF_KEY_MAX]; /* "ip domain"; empty: free slot */
	uint64_t expires_s;
	enum spf_result result;
	char why[SPF_WHY_MAX];
};

struct spf {
	SPF_server_t *server;
	SPF_dns_server_t *guard; /* top of the DNS stack, ours */
	SPF_dns_server_t *zone;  /* the zone layer of a test checker */
	unsigned budget_ms;
	unsigned ttl_s;
	size_t ncache;
	struct spf_entry *cache;
	uint64_t k0, k1; /* the cache's hash key (seed.h) */
	pthread_mutex_t lock;
};

static __thread struct spf_call *spf_current;

static void
spf_err(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* spf_quiet - libspf2's warnings and notes go nowhere: results say enough */
static void
spf_quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

/* mono_ms - CLOCK_MONOTONIC in milliseconds */
static uint64_t
mono_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* spf_guard_lookup - bound the check's time and count its void lookups */
static SPF_dns_rr_t *
spf_guard_lookup(
    SPF_dns_server_t *d, const char *domain, ns_type type, int should_cache)
{
	struct spf_call *c = spf_current;
	SPF_dns_rr_t *rr;

	if (c != NULL &&
	    (c->voids > SPF_VOID_MAX ||
	        (type == ns_t_txt && c->records >= SPF_RECORDS_MAX)))
		return SPF_dns_rr_new_init(d, domain, type, 0, HOST_NOT_FOUND);
	if (c != NULL && mono_ms() >= c->deadline_ms) {
		c->timed_out = 1;
		return SPF_dns_rr_new_init(d, domain, type, 0, TRY_AGAIN);
	}
	if (c != NULL && type == ns_t_txt)
		c->records++;
	rr = SPF_dns_lookup(d->layer_below, domain, type, should_cache);
	if (c != NULL &&
	    (rr->herrno == HOST_NOT_FOUND || rr->herrno == NO_DATA ||
	        (rr->herrno == NETDB_SUCCESS && rr->num_rr == 0)))
		c->voids++;
	return rr;
}

/* spf_guard_free - the guard alone; SPF_dns_free() frees the layers below */
static void
spf_guard_free(SPF_dns_server_t *d)
{
	free(d);
}

static SPF_dns_server_t *
spf_guard_new(SPF_dns_server_t *below)
{
	SPF_dns_server_t *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->destroy = spf_guard_free;
	d->lookup = spf_guard_lookup;
	d->layer_below = below;
	d->name = "subgate-guard";
	return d;
}

static struct spf *
spf_make(int zone, unsigned cache_ttl_s, size_t cache_max, unsigned budget_ms,
    char *err, size_t errlen)
{
	struct spf *s;
	SPF_dns_server_t *below;

	SPF_warning_handler = spf_quiet;
	SPF_info_handler = spf_quiet;
	SPF_debug_handler = spf_quiet;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		spf_err(err, errlen, "out of memory");
		return NULL;
	}
	s->budget_ms = budget_ms > 0 ? budget_ms : 1;
	s->ttl_s = cache_ttl_s;
	s->ncache = cache_ttl_s > 0 ? cache_max : 0;
	s->k0 = seed_random();
	s->k1 = seed_random();
	if (s->ncache > 0 &&
	    (s->cache = calloc(s->ncache, sizeof(*s->cache))) == NULL) {
		free(s);
		spf_err(err, errlen, "out of memory for the SPF cache");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	below = zone ? SPF_dns_zone_new(NULL, "subgate-zone", 0)
	             : SPF_dns_resolv_new(NULL, "subgate-resolv", 0);
	if (below == NULL || (s->guard = spf_guard_new(below)) == NULL) {
		if (below != NULL)
			SPF_dns_free(below);
		spf_free(s);
		spf_err(err, errlen, "cannot make the SPF DNS layers");
		return NULL;
	}
	if (zone)
		s->zone = below;
	if ((s->server = SPF_server_new_dns(s->guard, 0)) == NULL) {
		spf_free(s);
		spf_err(err, errlen, "cannot make the SPF server");
		return NULL;
	}
	return s;
}

struct spf *
spf_new(unsigned cache_ttl_s, size_t cache_max, unsigned budget_ms, char *err,
    size_t errlen)
{
	return spf_make(0, cache_ttl_s, cache_max, budget_ms, err, errlen);
}

struct spf *
spf_new_zone(unsigned cache_ttl_s, size_t cache_max, unsigned budget_ms,
    char *err, size_t errlen)
{
	return spf_make(1, cache_ttl_s, cache_max, budget_ms, err, errlen);
}

int
spf_zone_add(struct spf *s, const char *name, const char *type,
    enum spf_zone_status status, const char *data, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		ns_type type;
	} types[] = {{"TXT", ns_t_txt}, {"A", ns_t_a}, {"AAAA", ns_t_aaaa},
	    {"MX", ns_t_mx}, {"PTR", ns_t_ptr}, {"ANY", ns_t_any}};
	SPF_dns_stat_t herrno;
	size_t i;

	if (s->zone == NULL) {
		spf_err(err, errlen, "not a zone checker");
		return -1;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(type, types[i].name) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		spf_err(err, errlen, "unknown record type");
		return -1;
	}
	switch (status) {
	case SPF_ZONE_OK:
		herrno = NETDB_SUCCESS;
		break;
	case SPF_ZONE_NXDOMAIN:
		herrno = HOST_NOT_FOUND;
		break;
	case SPF_ZONE_NODATA:
		herrno = NO_DATA;
		break;
	default:
		herrno = TRY_AGAIN;
		break;
	}
	if ((status == SPF_ZONE_OK) != (data != NULL)) {
		spf_err(err, errlen, "data goes with SPF_ZONE_OK only");
		return -1;
	}
	if (SPF_dns_zone_add_str(s->zone, name, types[i].type, herrno, data) !=
	    SPF_E_SUCCESS) {
		spf_err(err, errlen, "libspf2 refused the record");
		return -1;
	}
	return 0;
}

/* spf_printable - copy <in> into <out>, every byte outside ' '..'~' a '?' */
static void
spf_printable(const char *in, char *out, size_t size)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; in[i] != '\0' && i + 1 < size; i++)
		out[i] = (in[i] >= ' ' && in[i] <= '~') ? in[i] : '?';
	out[i] = '\0';
}

static enum spf_result
spf_map(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_NEUTRAL:
		return SPF_RES_NEUTRAL;
	case SPF_RESULT_PASS:
		return SPF_RES_PASS;
	case SPF_RESULT_FAIL:
		return SPF_RES_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return SPF_RES_SOFTFAIL;
	case SPF_RESULT_NONE:
		return SPF_RES_NONE;
	case SPF_RESULT_PERMERROR:
	case SPF_RESULT_INVALID: /* a record that did not compile */
		return SPF_RES_PERMERROR;
	default:
		return SPF_RES_TEMPERROR;
	}
}

/*
 * spf_domain_ok - a domain SPF can check: at least two labels, only
 * letters, digits, '-', '_' and '.', no empty label, at most 253 bytes.
 */
static int
spf_domain_ok(const char *d)
{
	size_t n = strlen(d), i;
	int dots = 0;

	if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (d[i + 1] == '.')
				return 0;
			dots++;
		} else if (!isalnum(c) && c != '-' && c != '_')
			return 0;
	}
	return dots > 0;
}

static struct spf_entry *
spf_slot(struct spf *s, const char *key)
{
	/*
	 * Keyed: the key holds the sender's domain, which an attacker
	 * picks; crafted domains must not all land in one slot and keep
	 * evicting each other's results.
	 */
	return &s->cache[siphash24(s->k0, s->k1, key, strlen(key)) % s->ncache];
}

/* spf_query - one libspf2 query under the guard */
static enum spf_result
spf_query(struct spf *s, const struct addr *client, const char *helo,
    const char *identity, char *why, size_t whylen)
{
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	struct spf_call call;
	char ip[ADDR_TEXT_MAX];
	const char *text;
	enum spf_result r;
	SPF_errcode_t e;

	if ((req = SPF_request_new(s->server)) == NULL) {
		spf_printable("out of memory", why, whylen);
		return SPF_RES_TEMPERROR;
	}
	addr_format(client, ip, sizeof(ip));
	e = client->family == ADDR_V4 ? SPF_request_set_ipv4_str(req, ip)
	                              : SPF_request_set_ipv6_str(req, ip);
	if (e == SPF_E_SUCCESS && helo[0] != '\0')
		e = SPF_request_set_helo_dom(req, helo);
	if (e == SPF_E_SUCCESS && SPF_request_set_env_from(req, identity) != 0)
		e = SPF_E_NO_MEMORY;
	if (e != SPF_E_SUCCESS) {
		SPF_request_free(req);
		spf_printable(SPF_strerror(e), why, whylen);
		return SPF_RES_PERMERROR;
	}
	call.deadline_ms = mono_ms() + s->budget_ms;
	call.voids = 0;
	call.records = 0;
	call.timed_out = 0;
	spf_current = &call;
	e = SPF_request_query_mailfrom(req, &resp);
	spf_current = NULL;
	if (resp == NULL) {
		SPF_request_free(req);
		spf_printable("no SPF answer", why, whylen);
		return SPF_RES_TEMPERROR;
	}
	r = spf_map(SPF_response_result(resp));
	/* libspf2 1.2.10 turns a DNS failure of the sender's own record into
	 * permerror; RFC 7208 4.4 says temperror. */
	if (e == SPF_E_DNS_ERROR)
		r = SPF_RES_TEMPERROR;
	if (call.timed_out) {
		r = SPF_RES_TEMPERROR;
		spf_printable("SPF check ran out of time", why, whylen);
	} else if (call.voids > SPF_VOID_MAX && r != SPF_RES_NONE) {
		r = SPF_RES_PERMERROR;
		spf_printable("more than 2 void DNS lookups (RFC 7208 4.6.4)",
		    why, whylen);
	} else if (call.records > SPF_RECORDS_MAX - 1 && r != SPF_RES_FAIL) {
		/* 12 TXT lookups and no fail (so no explanation among them):
		 * the record and 11 include or redirect records. */
		r = SPF_RES_PERMERROR;
		spf_printable(
		    "more than 10 DNS lookups (RFC 7208 4.6.4)", why, whylen);
	} else {
		text = SPF_response_get_smtp_comment(resp);
		if (text == NULL || text[0] == '\0')
			text = SPF_response_get_header_comment(resp);
		if ((text == NULL || text[0] == '\0') &&
		    SPF_response_messages(resp) > 0)
			text = SPF_error_message(SPF_response_message(resp, 0));
		spf_printable(text != NULL ? text : "", why, whylen);
	}
	SPF_response_free(resp);
	SPF_request_free(req);
	return r;
}

enum spf_result
spf_check(struct spf *s, const struct addr *client, const char *helo,
    const char *mail_from, uint64_t now_s, char *why, size_t whylen,
    int *cached)
{
	char identity[SPF_KEY_MAX], domain[256], ip[ADDR_TEXT_MAX];
	char key[SPF_KEY_MAX];
	const char *at;
	struct spf_entry *e;
	enum spf_result r;
	size_t i;

	if (cached != NULL)
		*cached = 0;
	if (helo == NULL)
		helo = "";
	if (mail_from == NULL)
		mail_from = "";
	if (mail_from[0] == '\0') {
		/* Null sender: the HELO identity, postmaster@HELO. */
		if (strlen(helo) >= sizeof(domain)) {
			spf_printable("HELO name too long", why, whylen);
			return SPF_RES_NONE;
		}
		snprintf(domain, sizeof(domain), "%s", helo);
		snprintf(identity, sizeof(identity), "postmaster@%s", helo);
	} else {
		if ((at = strrchr(mail_from, '@')) == NULL ||
		    strlen(at + 1) >= sizeof(domain) ||
		    strlen(mail_from) >= sizeof(identity)) {
			spf_printable("sender has no domain", why, whylen);
			return SPF_RES_NONE;
		}
		snprintf(domain, sizeof(domain), "%s", at + 1);
		snprintf(identity, sizeof(identity), "%s", mail_from);
	}
	for (i = 0; domain[i] != '\0'; i++)
		domain[i] = (char)tolower((unsigned char)domain[i]);
	if (!spf_domain_ok(domain)) {
		spf_printable(mail_from[0] == '\0'
		        ? "no usable HELO name for a null sender"
		        : "sender domain is not a valid domain name",
		    why, whylen);
		return SPF_RES_NONE;
	}
	addr_format(client, ip, sizeof(ip));
	snprintf(key, sizeof(key), "%s %s", ip, domain);
	if (s->ncache > 0) {
		pthread_mutex_lock(&s->lock);
		e = spf_slot(s, key);
		if (strcmp(e->key, key) == 0 && e->expires_s > now_s) {
			r = e->result;
			spf_printable(e->why, why, whylen);
			pthread_mutex_unlock(&s->lock);
			if (cached != NULL)
				*cached = 1;
			return r;
		}
		pthread_mutex_unlock(&s->lock);
	}
	r = spf_query(s, client, helo, identity, why, whylen);
	/* A temporary error is worth asking again next time. */
	if (s->ncache > 0 && r != SPF_RES_TEMPERROR) {
		pthread_mutex_lock(&s->lock);
		e = spf_slot(s, key);
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->expires_s = now_s + s->ttl_s;
		e->result = r;
		spf_printable(whylen > 0 ? why : "", e->why, sizeof(e->why));
		pthread_mutex_unlock(&s->lock);
	}
	return r;
}

void
spf_free(struct spf *s)
{
	if (s == NULL)
		return;
	if (s->server != NULL)
		SPF_server_free(s->server);
	if (s->guard != NULL)
		SPF_dns_free(s->guard);
	pthread_mutex_destroy(&s->lock);
	free(s->cache);
	free(s);
}
