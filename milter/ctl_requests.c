/*
 * ctl_requests.c -- subgate's "request" log lines, for subgatectl replay
 */
#define _DEFAULT_SOURCE /* timegm */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_requests.h"
#include "khash.h"
#include "wallclock.h"

struct reqlog_entry {
	uint64_t hash; /* of the lower-cased requester */
	uint64_t order;
	int64_t t; /* UTC seconds; for a year-less time, seconds of the
	              day */
	uint8_t yearless;
	uint8_t mon, mday; /* year-less: 0-11, 1-31 */
	struct addr client;
};

struct reqlog {
	struct reqlog_entry *e;
	size_t n, cap;
	struct khash khash; /* a requester is found by its hash alone */
};

/* reqlog_hash - the keyed hash of lower(<s>/<len>) */
static uint64_t
reqlog_hash(const struct reqlog *r, const char *s, size_t len)
{
	return khash_lower2(&r->khash, "", 0, s, len);
}

/* digits - <n> decimal digits at <p>; -1 if any is not a digit */
static int
digits(const char *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* parse_rfc3339 - "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" */
static int
parse_rfc3339(const char *p, struct reqlog_entry *e)
{
	struct tm tm;
	int y, mo, d, h, mi, s, oh, om, sign;

	memset(&tm, 0, sizeof(tm));
	if ((y = digits(p, 4)) < 0 || p[4] != '-' ||
	    (mo = digits(p + 5, 2)) < 1 || mo > 12 || p[7] != '-' ||
	    (d = digits(p + 8, 2)) < 1 || d > 31 || p[10] != 'T' ||
	    (h = digits(p + 11, 2)) < 0 || h > 23 || p[13] != ':' ||
	    (mi = digits(p + 14, 2)) < 0 || mi > 59 || p[16] != ':' ||
	    (s = digits(p + 17, 2)) < 0 || s > 60)
		return -1;
	p += 19;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z') {
		oh = om = 0;
		sign = 1;
	} else if ((*p == '+' || *p == '-') && (oh = digits(p + 1, 2)) >= 0 &&
	    p[3] == ':' && (om = digits(p + 4, 2)) >= 0) {
		sign = *p == '+' ? 1 : -1;
	} else {
		return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	e->t = (int64_t)timegm(&tm) - sign * (int64_t)(oh * 3600 + om * 60);
	e->yearless = 0;
	return 0;
}

/* parse_syslog - "Mmm dd HH:MM:SS" (day space-padded), no year */
static int
parse_syslog(const char *p, struct reqlog_entry *e)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int m, d, h, mi, s;

	for (m = 0; m < 12; m++)
		if (strncmp(p, months + 3 * m, 3) == 0)
			break;
	if (m == 12 || p[3] != ' ')
		return -1;
	d = p[4] == ' ' ? digits(p + 5, 1) : digits(p + 4, 2);
	if (d < 1 || d > 31 || p[6] != ' ' || (h = digits(p + 7, 2)) < 0 ||
	    h > 23 || p[9] != ':' || (mi = digits(p + 10, 2)) < 0 || mi > 59 ||
	    p[12] != ':' || (s = digits(p + 13, 2)) < 0 || s > 60)
		return -1;
	e->yearless = 1;
	e->mon = (uint8_t)m;
	e->mday = (uint8_t)d;
	e->t = (int64_t)h * 3600 + mi * 60 + s;
	return 0;
}

/*
 * parse_line - a request line: its time, requester hash and client. 1 if
 * it is one and usable, 0 if it is no request line, -1 if it is one
 * without a usable time or client.
 */
static int
parse_line(const struct reqlog *r, const char *line, struct reqlog_entry *e)
{
	const char *p, *q;
	char req[512], ip[ADDR_TEXT_MAX];
	size_t n = 0, len;

	if ((p = strstr(line, ": request list=\"")) == NULL)
		return 0;
	if ((q = strstr(p, "\" requester=\"")) == NULL)
		return -1;
	/* The requester as log_safe() wrote it: "\x" stands for x. */
	for (q += 13; *q != '\0' && *q != '"' && n + 1 < sizeof(req); q++) {
		if (*q == '\\' && q[1] != '\0')
			q++;
		req[n++] = *q;
	}
	if (*q != '"' || n == 0)
		return -1;
	if (strncmp(q, "\" client=", 9) != 0)
		return -1;
	q += 9;
	len = strcspn(q, " \t\r\n");
	if (len >= sizeof(ip))
		return -1;
	memcpy(ip, q, len);
	ip[len] = '\0';
	if (addr_parse(ip, len, &e->client) != 0)
		return -1;
	e->hash = reqlog_hash(r, req, n);
	if (isdigit((unsigned char)line[0]))
		return parse_rfc3339(line, e) == 0 ? 1 : -1;
	return parse_syslog(line, e) == 0 ? 1 : -1;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct reqlog_entry *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
reqlog_add(struct reqlog *r, const struct reqlog_entry *e)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct reqlog_entry *ne = realloc(r->e, cap * sizeof(*ne));

		if (ne == NULL)
			return -1;
		r->e = ne;
		r->cap = cap;
	}
	r->e[r->n] = *e;
	r->e[r->n].order = r->n;
	r->n++;
	return 0;
}

struct reqlog *
reqlog_load(
    char *const *paths, size_t npaths, uint64_t *loaded, uint64_t *skipped)
{
	struct reqlog *r;
	char *line = NULL;
	size_t cap = 0, i;
	struct reqlog_entry e;
	FILE *f;
	int rc;

	*loaded = *skipped = 0;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(stderr, "requests: out of memory\n");
		return NULL;
	}
	khash_init(&r->khash);
	for (i = 0; i < npaths; i++) {
		if ((f = fopen(paths[i], "r")) == NULL) {
			fprintf(stderr, "%s: %s\n", paths[i], strerror(errno));
			goto fail;
		}
		while (getline(&line, &cap, f) != -1) {
			memset(&e, 0, sizeof(e));
			if ((rc = parse_line(r, line, &e)) == 0)
				continue;
			if (rc < 0) {
				(*skipped)++;
				continue;
			}
			if (reqlog_add(r, &e) != 0) {
				fclose(f);
				fprintf(stderr, "requests: out of memory\n");
				goto fail;
			}
			(*loaded)++;
		}
		if (ferror(f)) {
			fprintf(stderr, "%s: read error\n", paths[i]);
			fclose(f);
			goto fail;
		}
		fclose(f);
	}
	free(line);
	if (r->n > 1)
		qsort(r->e, r->n, sizeof(*r->e), entry_cmp);
	return r;
fail:
	free(line);
	reqlog_free(r);
	return NULL;
}

/* in_year - the epoch of year-less entry <e> (local time) in year <year>
 * (- 1900) */
static int64_t
in_year(const struct reqlog_entry *e, int year)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year;
	tm.tm_mon = e->mon;
	tm.tm_mday = e->mday;
	tm.tm_sec = (int)e->t;
	return wallclock_once((int64_t)timegm(&tm));
}

/* entry_time - the epoch of <e>, a year-less one placed in <t>'s local
 * year, or the year before when that would put it more than a day after
 * <t> */
static int64_t
entry_time(const struct reqlog_entry *e, int64_t t)
{
	struct tm now;
	time_t tt = (time_t)t;
	int64_t v;

	if (!e->yearless)
		return e->t;
	localtime_r(&tt, &now);
	v = in_year(e, now.tm_year);
	return v > t + 86400 ? in_year(e, now.tm_year - 1) : v;
}

int
reqlog_find(const struct reqlog *r, const char *requester, size_t len,
    int64_t t, struct addr *client)
{
	uint64_t h = reqlog_hash(r, requester, len);
	size_t lo = 0, hi = r->n, i;
	int64_t best = INT64_MIN, te;
	int found = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->e[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < r->n && r->e[i].hash == h; i++) {
		te = entry_time(&r->e[i], t);
		if (te < t - REQLOG_BEFORE_S || te > t + REQLOG_AFTER_S ||
		    te < best)
			continue;
		best = te;
		*client = r->e[i].client;
		found = 1;
	}
	return found;
}

void
reqlog_free(struct reqlog *r)
{
	if (r == NULL)
		return;
	free(r->e);
	free(r);
}
