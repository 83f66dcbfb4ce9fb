/*
 * wallclock.c -- a log's local wall-clock time as seconds since the epoch
 *
 * See wallclock.h. A naive time N has a reading T = N - o for each UTC
 * offset o that is in force at T. The offsets that can be are those in
 * force two days before and two days after N (no zone has changed its
 * offset twice within four days).
 */
#define _DEFAULT_SOURCE /* tm_gmtoff */
#include <stddef.h>
#include <time.h>

#include "wallclock.h"

#define SPAN 900         /* naive seconds one kept offset covers */
#define NEAR (2 * 86400) /* where the candidate offsets are read */
#define NO_OFFSET INT64_MIN
#define BACK 60 /* how far back a log's times may go (out of order) */

/* gmtoff_at - the UTC offset in force at epoch <t>, or NO_OFFSET */
static int64_t
gmtoff_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL)
		return NO_OFFSET;
	return (int64_t)tm.tm_gmtoff;
}

/*
 * readings - the epochs whose local time is <naive>, ascending: returns
 * 0 (a skipped time: <out>[0] is then its reading with the offset before
 * the change), 1, 2 (a repeated time), or -1 (no offset could be had)
 */
static int
readings(int64_t naive, int64_t out[2])
{
	int64_t before, after, t;
	int n = 0;

	if (naive < INT64_MIN / 2 || naive > INT64_MAX / 2)
		return -1;
	before = gmtoff_at(naive - NEAR);
	after = gmtoff_at(naive + NEAR);
	if (before == NO_OFFSET || after == NO_OFFSET)
		return -1;
	if (gmtoff_at(t = naive - before) == before)
		out[n++] = t;
	if (after != before && gmtoff_at(t = naive - after) == after)
		out[n++] = t;
	if (n == 0)
		out[0] = naive - before;
	if (n == 2 && out[1] < out[0]) {
		t = out[0];
		out[0] = out[1];
		out[1] = t;
	}
	return n;
}

void
wallclock_init(struct wallclock *w)
{
	tzset();
	w->lo = w->hi = 0;
	w->off = 0;
	w->last = 0;
	w->have_last = 0;
}

/* keep_window - keep the offset of <naive>'s window if it has one */
static void
keep_window(struct wallclock *w, int64_t naive)
{
	int64_t lo = naive - (naive % SPAN + SPAN) % SPAN, a[2], b[2];

	w->lo = w->hi = 0;
	if (readings(lo, a) == 1 && readings(lo + SPAN - 1, b) == 1 &&
	    lo - a[0] == lo + SPAN - 1 - b[0]) {
		w->lo = lo;
		w->hi = lo + SPAN;
		w->off = lo - a[0];
	}
}

int64_t
wallclock_epoch(struct wallclock *w, int64_t naive)
{
	int64_t r[2], t;
	int n;

	if (naive < INT64_MIN / 2 || naive > INT64_MAX / 2)
		return naive;
	if (naive >= w->lo && naive < w->hi) {
		t = naive - w->off;
	} else {
		keep_window(w, naive);
		if (naive >= w->lo && naive < w->hi) {
			t = naive - w->off;
		} else if ((n = readings(naive, r)) < 0) {
			t = naive;
		} else if (n < 2) {
			t = r[0];
		} else if (!w->have_last || r[0] >= w->last - BACK) {
			t = r[0];
		} else {
			t = r[1]; /* the earlier would go back in time */
		}
	}
	w->last = t;
	w->have_last = 1;
	return t;
}

int64_t
wallclock_once(int64_t naive)
{
	int64_t r[2];

	return readings(naive, r) < 0 ? naive : r[0];
}
