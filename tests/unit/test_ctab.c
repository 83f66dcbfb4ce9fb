/*
 * test_ctab.c -- unit tests for the bounded table of per-key event times
 *
 * DESCRIPTION
 *	Creation, find and get; LRU eviction when full, with per-scope
 *	eviction counters; ctab_get() and ctab_touch() moving an entry to
 *	the head and only ever raising last_s; ctab_add_event() trimming by
 *	<keep_n> and <drop_before_s>; the clock stepping back;
 *	ctab_count_after() against a brute-force model over a deterministic
 *	pseudo-random event sequence, and window counts against the full
 *	event history for N/W limits; ctab_expire() with per-scope idle
 *	times, bans and its work budget; ctab_remove(); ctab_foreach()
 *	order and early stop; byte accounting growing and shrinking back;
 *	100k keys through hash growth; equal keys in different scopes;
 *	entries growing and shrinking their times in place; and allocation
 *	failure in ctab_add_event() (this file interposes realloc(), see
 *	fail_realloc). Expected stored times and LRU orders are written by
 *	hand. Meant to run under ASan/UBSan.
 *
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctab.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define SEED 0x5eed5eed5eed5eedULL

/*
 * realloc - fault injection: fails while <fail_realloc> is set, else
 * forwards to the next definition (libc's, or the sanitizer's). ctab.c
 * grows and shrinks entries only through realloc(), so this reaches its
 * failure paths without touching the library.
 */
static int fail_realloc;

void *
realloc(void *p, size_t n)
{
	static void *(*next)(void *, size_t);

	if (fail_realloc)
		return NULL;
	if (next == NULL)
		next = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	return next(p, n);
}

/* xorshift - deterministic pseudo-random numbers */
static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* new_table - ctab_new() that must succeed */
static struct ctab *
new_table(size_t max_keys)
{
	struct ctab *t = ctab_new(max_keys, SEED);

	assert_non_null(t);
	return t;
}

/* get - ctab_get() of a text key that must succeed */
static struct ctab_entry *
get(struct ctab *t, unsigned scope, const char *key, uint32_t now)
{
	struct ctab_entry *e = ctab_get(t, scope, key, strlen(key), now);

	assert_non_null(e);
	return e;
}

/* find - ctab_find() of a text key */
static struct ctab_entry *
find(const struct ctab *t, unsigned scope, const char *key)
{
	return ctab_find(t, scope, key, strlen(key));
}

/* add - get the key, then add an event; the entry afterwards */
static struct ctab_entry *
add(struct ctab *t, unsigned scope, const char *key, uint32_t now,
    uint32_t keep_n, uint32_t drop_before)
{
	struct ctab_entry *e = get(t, scope, key, now);

	assert_int_equal(ctab_add_event(t, e, now, keep_n, drop_before), 0);
	assert_ptr_equal(find(t, scope, key), e);
	return e;
}

/*
 * check_times - <e> must hold exactly the times <want>[0..<n>) (ascending,
 * written by hand). Read through the public calls only: nts, the first
 * time, and ctab_count_after() on both sides of every value.
 */
static void
check_times(const char *what, const struct ctab_entry *e, const uint32_t *want,
    uint32_t n)
{
	uint32_t i, j, above, at_or_above, got;

	assert_non_null(e);
	if (e->nts != n) {
		print_error("%s: got %u times, want %u\n", what, e->nts, n);
		fail();
	}
	if (ctab_first_time(e) != (n > 0 ? want[0] : 0)) {
		print_error("%s: first time: got %u, want %u\n", what,
		    ctab_first_time(e), n > 0 ? want[0] : 0);
		fail();
	}
	for (i = 0; i < n; i++) {
		above = at_or_above = 0;
		for (j = 0; j < n; j++) {
			above += want[j] > want[i];
			at_or_above += want[j] >= want[i];
		}
		got = ctab_count_after(e, want[i]);
		if (got != above) {
			print_error("%s: count after %u: got %u, want %u\n",
			    what, want[i], got, above);
			fail();
		}
		if (want[i] > 0 &&
		    (got = ctab_count_after(e, want[i] - 1)) != at_or_above) {
			print_error("%s: count after %u: got %u, want %u\n",
			    what, want[i] - 1, got, at_or_above);
			fail();
		}
	}
}

struct order {
	char buf[512];
	size_t visited;
	size_t stop_at; /* 0: never stop */
};

/* order_fn - append "scope:key" of <e>; stop after <stop_at> entries */
static int
order_fn(const struct ctab_entry *e, void *arg)
{
	struct order *o = arg;
	size_t n = strlen(o->buf);

	snprintf(o->buf + n, sizeof(o->buf) - n, "%s%u:%.*s", n > 0 ? " " : "",
	    e->scope, (int)e->keylen, (const char *)ctab_key(e));
	o->visited++;
	return o->stop_at != 0 && o->visited == o->stop_at ? 7 : 0;
}

/* check_order - the LRU order, most recent first, as written by hand */
static void
check_order(const struct ctab *t, const char *want)
{
	struct order o;

	memset(&o, 0, sizeof(o));
	assert_int_equal(ctab_foreach(t, order_fn, &o), 0);
	if (strcmp(o.buf, want) != 0) {
		print_error(
		    "LRU order: got \"%s\", want \"%s\"\n", o.buf, want);
		fail();
	}
}

/* stats - ctab_stats() into a fresh struct */
static struct ctab_stats
stats(const struct ctab *t)
{
	struct ctab_stats s;

	memset(&s, 0xaa, sizeof(s));
	ctab_stats(t, &s);
	return s;
}

/* test_ctab_create_find_get - an empty entry, found again, touched */
static void
test_ctab_create_find_get(void **state)
{
	struct ctab *t = new_table(10);
	struct ctab_entry *e, *e2;
	struct ctab_stats s;
	unsigned i;

	(void)state;
	s = stats(t);
	assert_int_equal(s.total_keys, 0);
	assert_int_equal(s.max_keys, 10);
	assert_int_equal(s.expired, 0);
	for (i = 0; i < CTAB_SCOPES; i++) {
		assert_int_equal(s.keys[i], 0);
		assert_int_equal(s.evicted[i], 0);
	}
	assert_null(find(t, 0, "192.0.2.7"));

	e = get(t, 2, "192.0.2.7", 1000);
	assert_int_equal(e->scope, 2);
	assert_int_equal(e->keylen, 9);
	assert_memory_equal(ctab_key(e), "192.0.2.7", 9);
	assert_int_equal(e->last_s, 1000);
	assert_int_equal(e->nts, 0);
	assert_int_equal(e->ban_until, 0);
	assert_int_equal(e->ban_rule, 0);
	assert_int_equal(e->ban_action, 0);
	assert_int_equal(ctab_count_after(e, 0), 0);
	assert_int_equal(ctab_first_time(e), 0);
	assert_ptr_equal(find(t, 2, "192.0.2.7"), e);
	assert_null(find(t, 1, "192.0.2.7"));
	assert_null(find(t, 2, "192.0.2.70"));
	assert_null(find(t, 2, "192.0.2."));
	s = stats(t);
	assert_int_equal(s.total_keys, 1);
	assert_int_equal(s.keys[2], 1);

	/* Getting it again returns it, with last_s moved. */
	e2 = get(t, 2, "192.0.2.7", 1005);
	assert_ptr_equal(e2, e);
	assert_int_equal(e->last_s, 1005);
	assert_int_equal(stats(t).total_keys, 1);

	/* Binary keys with NUL bytes, and the empty key. */
	e = ctab_get(t, 0, "\0a\0", 3, 1);
	assert_non_null(e);
	assert_ptr_equal(ctab_find(t, 0, "\0a\0", 3), e);
	assert_null(ctab_find(t, 0, "\0a", 2));
	e = ctab_get(t, 0, "", 0, 1);
	assert_non_null(e);
	assert_int_equal(e->keylen, 0);
	assert_ptr_equal(ctab_find(t, 0, "", 0), e);
	assert_int_equal(stats(t).total_keys, 3);
	ctab_free(t);
	ctab_free(NULL);
}

/* test_ctab_limits - scope and key length bounds, NULL entries */
static void
test_ctab_limits(void **state)
{
	struct ctab *t = new_table(4);
	char key[CTAB_KEY_MAX + 1];
	struct ctab_entry *e;

	(void)state;
	memset(key, 'k', sizeof(key));
	e = ctab_get(t, 0, key, CTAB_KEY_MAX, 1);
	assert_non_null(e);
	assert_int_equal(e->keylen, CTAB_KEY_MAX);
	assert_memory_equal(ctab_key(e), key, CTAB_KEY_MAX);
	assert_ptr_equal(ctab_find(t, 0, key, CTAB_KEY_MAX), e);
	assert_null(ctab_get(t, 0, key, CTAB_KEY_MAX + 1, 1));
	assert_null(ctab_find(t, 0, key, CTAB_KEY_MAX + 1));
	assert_null(ctab_get(t, CTAB_SCOPES, "a", 1, 1));
	assert_null(ctab_find(t, CTAB_SCOPES, "a", 1));
	e = get(t, CTAB_SCOPES - 1, "a", 1);
	assert_int_equal(e->scope, CTAB_SCOPES - 1);
	/* A long key holds its times too. */
	e = ctab_get(t, 0, key, CTAB_KEY_MAX, 2);
	assert_int_equal(ctab_add_event(t, e, 2, 4, 0), 0);
	assert_int_equal(ctab_add_event(t, e, 3, 4, 0), 0);
	assert_memory_equal(ctab_key(e), key, CTAB_KEY_MAX);
	assert_int_equal(ctab_count_after(e, 2), 1);
	assert_int_equal(stats(t).total_keys, 2);
	assert_int_equal(ctab_count_after(NULL, 0), 0);
	assert_int_equal(ctab_first_time(NULL), 0);
	ctab_free(t);
}

/* test_ctab_lru_eviction_when_full - max 3 keys, the 4th evicts the LRU */
static void
test_ctab_lru_eviction_when_full(void **state)
{
	struct ctab *t = new_table(3);
	struct ctab_entry *a, *c;
	struct ctab_stats s;

	(void)state;
	a = get(t, 0, "a", 1);
	get(t, 2, "b", 2);
	c = get(t, 1, "c", 3);
	check_order(t, "1:c 2:b 0:a");
	/* Touch a: b becomes the least recently used. */
	assert_ptr_equal(get(t, 0, "a", 4), a);
	check_order(t, "0:a 1:c 2:b");
	get(t, 0, "d", 5);
	check_order(t, "0:d 0:a 1:c");
	assert_null(find(t, 2, "b"));
	s = stats(t);
	assert_int_equal(s.total_keys, 3);
	assert_int_equal(s.keys[0], 2);
	assert_int_equal(s.keys[1], 1);
	assert_int_equal(s.keys[2], 0);
	assert_int_equal(s.evicted[0], 0);
	assert_int_equal(s.evicted[1], 0);
	assert_int_equal(s.evicted[2], 1);
	assert_int_equal(s.expired, 0);
	/* a and c were not moved by the eviction. */
	assert_ptr_equal(find(t, 0, "a"), a);
	assert_ptr_equal(find(t, 1, "c"), c);

	/* ctab_find() does not touch: c is still the one to go. */
	assert_ptr_equal(find(t, 1, "c"), c);
	get(t, 3, "e", 6);
	check_order(t, "3:e 0:d 0:a");
	assert_null(find(t, 1, "c"));
	s = stats(t);
	assert_int_equal(s.evicted[1], 1);
	assert_int_equal(s.evicted[2], 1);
	assert_int_equal(s.total_keys, 3);

	/* Getting an existing key when full evicts nothing. */
	get(t, 0, "a", 7);
	check_order(t, "0:a 3:e 0:d");
	s = stats(t);
	assert_int_equal(
	    s.evicted[0] + s.evicted[1] + s.evicted[2] + s.evicted[3], 2);
	ctab_free(t);

	/* A one-key table: every new key replaces the last one. */
	t = new_table(1);
	get(t, 0, "x", 1);
	get(t, 0, "y", 2);
	check_order(t, "0:y");
	assert_int_equal(stats(t).evicted[0], 1);
	ctab_free(t);
}

/*
 * test_ctab_eviction_spares_bans - a full table evicts past an entry whose
 * ban is on (it moves to the head), not past one whose ban has ended, and
 * past no more than CTAB_EVICT_SPARE of them
 */
static void
test_ctab_eviction_spares_bans(void **state)
{
	enum { N = CTAB_EVICT_SPARE + 2 };
	struct ctab *t = new_table(3);
	struct ctab_entry *a, *b, *e[N];
	struct ctab_stats s;
	char key[16];

	(void)state;
	a = get(t, 0, "a", 1);
	b = get(t, 0, "b", 2);
	get(t, 0, "c", 3);
	a->ban_until = 100; /* on until 100 */
	b->ban_until = 10;  /* ended at 10 */
	check_order(t, "0:c 0:b 0:a");
	get(t, 0, "d", 10);
	/* a was passed over (to the head, last_s kept), b went. */
	check_order(t, "0:d 0:a 0:c");
	assert_ptr_equal(find(t, 0, "a"), a);
	assert_int_equal(a->last_s, 1);
	assert_null(find(t, 0, "b"));
	s = stats(t);
	assert_int_equal(s.evicted[0], 1);
	assert_int_equal(s.bans_evicted, 0);
	/* At 100 its ban is over: a is an ordinary entry again. */
	get(t, 0, "e", 100); /* c goes */
	get(t, 0, "f", 100); /* a goes */
	get(t, 0, "g", 100); /* d goes */
	check_order(t, "0:g 0:f 0:e");
	assert_int_equal(stats(t).bans_evicted, 0);
	ctab_free(t);

	/* All banned: CTAB_EVICT_SPARE are passed over, the next goes. */
	t = new_table(N);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		e[i] = get(t, 1, key, (uint32_t)(i + 1));
		e[i]->ban_until = 1000;
	}
	get(t, 1, "new", 50);
	s = stats(t);
	assert_int_equal(s.evicted[1], 1);
	assert_int_equal(s.bans_evicted, 1);
	assert_int_equal(s.total_keys, N);
	snprintf(key, sizeof(key), "k%d", CTAB_EVICT_SPARE);
	assert_null(find(t, 1, key));
	for (int i = 0; i < N; i++)
		if (i != CTAB_EVICT_SPARE) {
			snprintf(key, sizeof(key), "k%d", i);
			assert_ptr_equal(find(t, 1, key), e[i]);
		}
	ctab_free(t);

	/* A one-key table whose key is banned still takes a new key. */
	t = new_table(1);
	get(t, 0, "x", 1)->ban_until = 1000;
	get(t, 0, "y", 2);
	check_order(t, "0:y");
	assert_int_equal(stats(t).bans_evicted, 1);
	ctab_free(t);
}

/* test_ctab_get_moves_to_head - every get touches; events do not */
static void
test_ctab_get_moves_to_head(void **state)
{
	struct ctab *t = new_table(10);
	struct ctab_entry *e;

	(void)state;
	get(t, 0, "k0", 1);
	get(t, 0, "k1", 2);
	get(t, 0, "k2", 3);
	get(t, 0, "k3", 4);
	check_order(t, "0:k3 0:k2 0:k1 0:k0");
	get(t, 0, "k1", 5);
	check_order(t, "0:k1 0:k3 0:k2 0:k0");
	get(t, 0, "k0", 6);
	check_order(t, "0:k0 0:k1 0:k3 0:k2");
	get(t, 0, "k0", 7); /* already the head */
	check_order(t, "0:k0 0:k1 0:k3 0:k2");
	get(t, 0, "k2", 8); /* the tail */
	check_order(t, "0:k2 0:k0 0:k1 0:k3");
	/* An event on an entry got earlier does not move it. */
	e = find(t, 0, "k3");
	assert_int_equal(ctab_add_event(t, e, 9, 10, 0), 0);
	check_order(t, "0:k2 0:k0 0:k1 0:k3");
	assert_int_equal(e->last_s, 9);
	ctab_free(t);
}

/* test_ctab_touch_and_last_s_only_rises - ctab_touch(), clock steps back */
static void
test_ctab_touch_and_last_s_only_rises(void **state)
{
	struct ctab *t = new_table(10);
	struct ctab_entry *a, *b, *c;

	(void)state;
	a = get(t, 0, "a", 100);
	b = get(t, 0, "b", 200);
	c = get(t, 0, "c", 300);
	check_order(t, "0:c 0:b 0:a");
	/* ctab_get() with an earlier clock moves the entry, keeps last_s. */
	assert_ptr_equal(get(t, 0, "a", 50), a);
	assert_int_equal(a->last_s, 100);
	check_order(t, "0:a 0:c 0:b");
	assert_ptr_equal(get(t, 0, "a", 150), a);
	assert_int_equal(a->last_s, 150);
	/* ctab_touch() does what ctab_get() does for an existing key. */
	ctab_touch(t, b, 400);
	assert_int_equal(b->last_s, 400);
	check_order(t, "0:b 0:a 0:c");
	ctab_touch(t, c, 10);
	assert_int_equal(c->last_s, 300);
	check_order(t, "0:c 0:b 0:a");
	ctab_touch(t, c, 500); /* already the head */
	assert_int_equal(c->last_s, 500);
	check_order(t, "0:c 0:b 0:a");
	ctab_touch(t, a, 500); /* the tail */
	check_order(t, "0:a 0:c 0:b");
	/* The touched order decides eviction. */
	ctab_free(t);
	t = new_table(2);
	a = get(t, 0, "a", 1);
	get(t, 0, "b", 2);
	ctab_touch(t, a, 3);
	get(t, 0, "c", 4);
	check_order(t, "0:c 0:a");
	ctab_free(t);
}

/* test_ctab_add_event_keep_n - at most keep_n times, the newest */
static void
test_ctab_add_event_keep_n(void **state)
{
	static const uint32_t w8_10[] = {8, 9, 10};
	static const uint32_t w1_3[] = {1, 2, 3};
	static const uint32_t w10[] = {10};
	static const uint32_t w11_12[] = {11, 12};
	static const uint32_t w12_20[] = {12, 13, 14, 15, 16, 17, 18, 19, 20};
	struct ctab *t = new_table(10);
	struct ctab_entry *e = NULL;
	uint32_t now;

	(void)state;
	for (now = 1; now <= 3; now++)
		e = add(t, 0, "k", now, 3, 0);
	check_times("3 of keep 3", e, w1_3, 3);
	for (now = 4; now <= 10; now++)
		e = add(t, 0, "k", now, 3, 0);
	check_times("10 of keep 3", e, w8_10, 3);
	e = add(t, 0, "k", 10, 1, 0);
	check_times("keep 1", e, w10, 1);
	e = add(t, 0, "k", 11, 2, 0);
	e = add(t, 0, "k", 12, 2, 0);
	check_times("keep 2", e, w11_12, 2);
	/* A larger keep_n keeps what is there and grows. */
	for (now = 13; now <= 20; now++)
		e = add(t, 0, "k", now, 9, 0);
	check_times("keep 9", e, w12_20, 9);
	/* Shrinking keep_n drops the oldest at the next event. */
	e = add(t, 0, "k", 21, 2, 0);
	{
		static const uint32_t w20_21[] = {20, 21};

		check_times("keep 9 then 2", e, w20_21, 2);
	}
	ctab_free(t);
}

/* test_ctab_add_event_drop_before - times <= drop_before_s go first */
static void
test_ctab_add_event_drop_before(void **state)
{
	static const uint32_t w10_40[] = {10, 20, 30, 40};
	static const uint32_t w30_50[] = {30, 40, 50};
	static const uint32_t w60[] = {60};
	static const uint32_t w60_61[] = {60, 61};
	static const uint32_t w61_62[] = {61, 62};
	struct ctab *t = new_table(10);
	struct ctab_entry *e = NULL;

	(void)state;
	e = add(t, 1, "k", 10, 100, 0);
	e = add(t, 1, "k", 20, 100, 5);
	e = add(t, 1, "k", 30, 100, 9);
	e = add(t, 1, "k", 40, 100, 0);
	check_times("nothing dropped", e, w10_40, 4);
	/* 20 is "older than or equal": dropped with 10. */
	e = add(t, 1, "k", 50, 100, 20);
	check_times("drop <= 20", e, w30_50, 3);
	/* Dropping everything leaves only the new event. */
	e = add(t, 1, "k", 60, 100, 59);
	check_times("drop all", e, w60, 1);
	e = add(t, 1, "k", 61, 100, 0);
	check_times("then one more", e, w60_61, 2);
	/* drop_before and keep_n together: keep_n applies to the rest. */
	e = add(t, 1, "k", 62, 2, 0);
	check_times("keep 2", e, w61_62, 2);
	e = add(t, 1, "k", 63, 5, 62);
	{
		static const uint32_t w63[] = {63};

		check_times("drop <= 62", e, w63, 1);
	}
	ctab_free(t);
}

/* test_ctab_same_second_events - events at one second are all kept */
static void
test_ctab_same_second_events(void **state)
{
	static const uint32_t w[] = {5, 7, 7, 7, 7, 9};
	struct ctab *t = new_table(4);
	struct ctab_entry *e = NULL;
	int i;

	(void)state;
	e = add(t, 0, "k", 5, 10, 0);
	for (i = 0; i < 4; i++)
		e = add(t, 0, "k", 7, 10, 0);
	e = add(t, 0, "k", 9, 10, 0);
	check_times("same second", e, w, 6);
	assert_int_equal(ctab_count_after(e, 6), 5);
	assert_int_equal(ctab_count_after(e, 7), 1);
	ctab_free(t);
}

/* test_ctab_time_backwards_is_clamped - times stay sorted */
static void
test_ctab_time_backwards_is_clamped(void **state)
{
	static const uint32_t w1[] = {100, 200, 200};
	static const uint32_t w2[] = {100, 200, 200, 200, 300};
	static const uint32_t w3[] = {300, 300};
	struct ctab *t = new_table(4);
	struct ctab_entry *e;

	(void)state;
	e = add(t, 0, "k", 100, 10, 0);
	e = add(t, 0, "k", 200, 10, 0);
	e = add(t, 0, "k", 150, 10, 0);
	check_times("one step back", e, w1, 3);
	assert_int_equal(e->last_s, 200);
	assert_int_equal(ctab_count_after(e, 199), 2);
	assert_int_equal(ctab_count_after(e, 200), 0);
	e = add(t, 0, "k", 1, 10, 0);
	e = add(t, 0, "k", 300, 10, 0);
	check_times("far back, then forward", e, w2, 5);
	/* A drop by the stepped-back clock, then the clamp. */
	e = add(t, 0, "k", 250, 10, 200);
	check_times("drop then clamp", e, w3, 2);
	assert_int_equal(e->last_s, 300);
	ctab_free(t);
}

/* model_count - stored times in <v>[0..<n>) greater than <after> */
static uint32_t
model_count(const uint32_t *v, size_t n, uint32_t after)
{
	uint32_t c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += v[i] > after;
	return c;
}

#define MODEL_MAX_KEEP 301

struct model_key {
	unsigned scope;
	const char *key;
	uint32_t keep_n; /* 0: a random keep_n for every event */
	uint32_t v[MODEL_MAX_KEEP];
	size_t n;
};

/*
 * test_ctab_count_after_matches_brute_force_model - 40000 pseudo-random
 * events over 8 keys (same second, small and large steps, the clock
 * stepping back), each mirrored in a plain array by the rules of ctab.h:
 * drop <= drop_before_s, keep the newest keep_n - 1, clamp to the last
 * stored time, append. After each event the stored count, the first time
 * and ctab_count_after() at every window edge (and, every 16th event, at
 * every stored time and one below it) must equal a linear count.
 */
static void
test_ctab_count_after_matches_brute_force_model(void **state)
{
	static struct model_key keys[] = {
	    {0, "a", 1, {0}, 0},
	    {0, "b", 3, {0}, 0},
	    {1, "a", 11, {0}, 0},
	    {2, "c", 101, {0}, 0},
	    {3, "d", MODEL_MAX_KEEP, {0}, 0},
	    {7, "e", 64, {0}, 0},
	    {5, "v", 0, {0}, 0},
	    {6, "w", 2, {0}, 0},
	};
	static const uint32_t windows[] = {0, 1, 5, 60, 600, 3600, 86400};
	struct ctab *t = new_table(16);
	uint64_t x = 42;
	uint32_t now = 1000000;
	size_t i, k, j;

	(void)state;
	for (k = 0; k < NELEM(keys); k++)
		keys[k].n = 0;
	for (i = 0; i < 40000; i++) {
		struct model_key *m = &keys[xorshift(&x) % NELEM(keys)];
		uint64_t r = xorshift(&x) % 100;
		uint32_t keep, drop, t_in, wmax, got;
		struct ctab_entry *e;
		size_t d;

		if (r < 30)
			; /* same second */
		else if (r < 85)
			now += (uint32_t)(xorshift(&x) % 5);
		else if (r < 95)
			now += (uint32_t)(xorshift(&x) % 400);
		else
			now -= (uint32_t)(xorshift(&x) % 20);
		keep = m->keep_n != 0 ? m->keep_n
		                      : (uint32_t)(1 + xorshift(&x) % 40);
		wmax = windows[1 + xorshift(&x) % (NELEM(windows) - 1)];
		drop = now > wmax ? now - wmax : 0;

		/* The model. */
		for (d = 0; d < m->n && m->v[d] <= drop; d++)
			;
		if (m->n - d >= keep)
			d = m->n - (keep - 1);
		memmove(m->v, m->v + d, (m->n - d) * sizeof(m->v[0]));
		m->n -= d;
		t_in = m->n > 0 && m->v[m->n - 1] > now ? m->v[m->n - 1] : now;
		m->v[m->n++] = t_in;

		/* The table. */
		e = ctab_get(t, m->scope, m->key, 1, now);
		assert_non_null(e);
		assert_int_equal(ctab_add_event(t, e, now, keep, drop), 0);
		assert_ptr_equal(ctab_find(t, m->scope, m->key, 1), e);

		if (e->nts != m->n || ctab_first_time(e) != m->v[0]) {
			print_error("event %zu, key %u:%s: got %u times from "
			            "%u, want %zu from %u\n",
			    i, m->scope, m->key, e->nts, ctab_first_time(e),
			    m->n, m->v[0]);
			fail();
		}
		for (j = 0; j < NELEM(windows); j++) {
			uint32_t after =
			    now > windows[j] ? now - windows[j] : 0;
			uint32_t want = model_count(m->v, m->n, after);

			if ((got = ctab_count_after(e, after)) != want) {
				print_error("event %zu, key %u:%s, after %u: "
				            "got %u, want %u\n",
				    i, m->scope, m->key, after, got, want);
				fail();
			}
		}
		if (i % 16 != 0)
			continue;
		for (j = 0; j < m->n; j++) {
			uint32_t want = model_count(m->v, m->n, m->v[j]);

			if (ctab_count_after(e, m->v[j]) != want ||
			    ctab_count_after(e, m->v[j] - 1) !=
			        model_count(m->v, m->n, m->v[j] - 1)) {
				print_error("event %zu, key %u:%s: count "
				            "around %u differs\n",
				    i, m->scope, m->key, m->v[j]);
				fail();
			}
		}
	}
	/* Every key is still there, with what the model says. */
	for (k = 0; k < NELEM(keys); k++) {
		const struct ctab_entry *e =
		    ctab_find(t, keys[k].scope, keys[k].key, 1);

		assert_non_null(e);
		assert_int_equal(e->nts, keys[k].n);
		assert_int_equal(ctab_count_after(e, 0),
		    model_count(keys[k].v, keys[k].n, 0));
	}
	assert_int_equal(stats(t).total_keys, NELEM(keys));
	ctab_free(t);
}

struct limit_key {
	const char *key;
	uint32_t n1, w1, n2, w2; /* two limits N/W */
	uint32_t *hist;          /* every event ever, never trimmed */
	size_t nhist;
};

/* hist_count - events in the sorted history greater than <after> */
static uint32_t
hist_count(const uint32_t *h, size_t n, uint32_t after)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h[mid] <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t)(n - lo);
}

/*
 * test_ctab_window_counts_exact_for_limits - what ctab.h promises the
 * owner: with keep_n = max N + 1 and drop_before_s = now - max W, the
 * count in every window W is min(true count, N + 1) against the full,
 * never-trimmed history, so "count > N" is decided exactly.
 */
static void
test_ctab_window_counts_exact_for_limits(void **state)
{
	static struct limit_key keys[] = {
	    {"ip", 5, 43200, 1, 60, NULL, 0},
	    {"subnet", 20, 43200, 3, 600, NULL, 0},
	    {"domain", 100, 3600, 10, 60, NULL, 0},
	    {"list", 1, 10, 2, 30, NULL, 0},
	};
	struct ctab *t = new_table(8);
	uint64_t x = 7;
	uint32_t now = 50000;
	size_t i, k, n = 30000;

	(void)state;
	for (k = 0; k < NELEM(keys); k++) {
		keys[k].hist = malloc(n * sizeof(uint32_t));
		assert_non_null(keys[k].hist);
		keys[k].nhist = 0;
	}
	for (i = 0; i < n; i++) {
		struct limit_key *m = &keys[xorshift(&x) % NELEM(keys)];
		uint64_t r = xorshift(&x) % 100;
		uint32_t keep, wmax, drop, t_in, w[2], lim[2];
		struct ctab_entry *e;
		size_t j;

		if (r < 40)
			now += (uint32_t)(xorshift(&x) % 3);
		else if (r < 97)
			now += (uint32_t)(xorshift(&x) % 60);
		else if (r < 99)
			now += (uint32_t)(xorshift(&x) % 50000);
		else
			now -= (uint32_t)(xorshift(&x) % 5);
		lim[0] = m->n1;
		lim[1] = m->n2;
		w[0] = m->w1;
		w[1] = m->w2;
		keep = (lim[0] > lim[1] ? lim[0] : lim[1]) + 1;
		wmax = w[0] > w[1] ? w[0] : w[1];
		drop = now > wmax ? now - wmax : 0;

		e = ctab_get(t, 0, m->key, strlen(m->key), now);
		assert_non_null(e);
		assert_int_equal(ctab_add_event(t, e, now, keep, drop), 0);
		/* keep_n >= 2 keeps the last time: the clamp is exact. */
		t_in = m->nhist > 0 && m->hist[m->nhist - 1] > now
		    ? m->hist[m->nhist - 1]
		    : now;
		m->hist[m->nhist++] = t_in;

		for (j = 0; j < 2; j++) {
			uint32_t after = now > w[j] ? now - w[j] : 0;
			uint32_t truth = hist_count(m->hist, m->nhist, after);
			uint32_t got = ctab_count_after(e, after);
			uint32_t want = truth < keep ? truth : keep;

			if (got != want || (got > lim[j]) != (truth > lim[j])) {
				print_error("event %zu, %s %u/%u at %u: got "
				            "%u, want %u (true count %u)\n",
				    i, m->key, lim[j], w[j], now, got, want,
				    truth);
				fail();
			}
		}
		assert_true(e->nts <= keep);
	}
	for (k = 0; k < NELEM(keys); k++)
		free(keys[k].hist);
	ctab_free(t);
}

/* test_ctab_expire_idle_per_scope_and_bans - who goes, and when */
static void
test_ctab_expire_idle_per_scope_and_bans(void **state)
{
	uint32_t idle[CTAB_SCOPES] = {100, 1000, 0, UINT32_MAX};
	struct ctab *t = new_table(16);
	struct ctab_entry *c;
	struct ctab_stats s;

	(void)state;
	get(t, 0, "a", 10);
	get(t, 1, "b", 10);
	c = get(t, 0, "c", 10);
	c->ban_until = 500;
	get(t, 0, "d", 50);
	get(t, 2, "z", 10);
	get(t, 3, "forever", 4000000000u);
	check_order(t, "3:forever 2:z 0:d 0:c 1:b 0:a");

	/* idle 0: gone one second after its last use. */
	assert_int_equal(ctab_expire(t, 10, idle, 10), 0);
	assert_int_equal(ctab_expire(t, 11, idle, 10), 1);
	assert_null(find(t, 2, "z"));
	/* a: last 10 + idle 100 is not < 110. */
	assert_int_equal(ctab_expire(t, 110, idle, 10), 0);
	assert_int_equal(ctab_expire(t, 111, idle, 10), 1);
	assert_null(find(t, 0, "a"));
	assert_non_null(find(t, 0, "c")); /* banned */
	assert_non_null(find(t, 1, "b")); /* idle 1000 */
	assert_non_null(find(t, 0, "d")); /* last 50 */
	check_order(t, "3:forever 0:d 0:c 1:b");
	assert_int_equal(ctab_expire(t, 151, idle, 10), 1);
	assert_null(find(t, 0, "d"));
	/* The ban holds c until it ends. */
	assert_int_equal(ctab_expire(t, 499, idle, 10), 0);
	assert_non_null(find(t, 0, "c"));
	assert_int_equal(ctab_expire(t, 501, idle, 10), 1);
	assert_null(find(t, 0, "c"));
	s = stats(t);
	assert_int_equal(s.expired, 4);
	assert_int_equal(s.keys[0], 0);
	assert_int_equal(s.keys[1], 1);
	assert_int_equal(s.evicted[0], 0);
	assert_int_equal(ctab_expire(t, 1011, idle, 10), 1);
	assert_null(find(t, 1, "b"));
	/* last_s + idle past 2^32 does not wrap around. */
	assert_int_equal(ctab_expire(t, UINT32_MAX, idle, 10), 0);
	assert_non_null(find(t, 3, "forever"));
	s = stats(t);
	assert_int_equal(s.expired, 5);
	assert_int_equal(s.total_keys, 1);
	/* budget 0 does nothing. */
	idle[3] = 0;
	assert_int_equal(ctab_expire(t, UINT32_MAX, idle, 0), 0);
	assert_int_equal(ctab_expire(t, UINT32_MAX, idle, 1), 1);
	assert_int_equal(stats(t).total_keys, 0);
	ctab_free(t);
}

/* test_ctab_expire_budget - removes from the LRU end, looks at 4 * budget */
static void
test_ctab_expire_budget(void **state)
{
	static const uint32_t idle[CTAB_SCOPES] = {0};
	struct ctab *t = new_table(64);
	char key[16];
	unsigned i;

	(void)state;
	for (i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		get(t, 0, key, i + 1);
	}
	assert_int_equal(ctab_expire(t, 100, idle, 3), 3);
	check_order(t, "0:k5 0:k4 0:k3");
	ctab_free(t);

	/* Eight banned entries at the LRU end, then four idle ones. */
	t = new_table(64);
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "b%u", i);
		get(t, 0, key, 1)->ban_until = 1000;
	}
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "i%u", i);
		get(t, 0, key, 2);
	}
	/* budget 2 looks at 8 entries: all banned. */
	assert_int_equal(ctab_expire(t, 100, idle, 2), 0);
	assert_int_equal(stats(t).total_keys, 12);
	/* budget 3 looks at up to 12 and stops after 3 removals. */
	assert_int_equal(ctab_expire(t, 100, idle, 3), 3);
	check_order(t, "0:i3 0:b7 0:b6 0:b5 0:b4 0:b3 0:b2 0:b1 0:b0");
	assert_int_equal(ctab_expire(t, 100, idle, 100), 1);
	assert_int_equal(ctab_expire(t, 1001, idle, 100), 8);
	assert_int_equal(stats(t).total_keys, 0);
	assert_int_equal(stats(t).expired, 12);
	ctab_free(t);
}

/* test_ctab_remove - the entry goes, the others and the LRU list stay */
static void
test_ctab_remove(void **state)
{
	struct ctab *t = new_table(8);
	struct ctab_stats s;

	(void)state;
	get(t, 0, "a", 1);
	get(t, 1, "b", 2);
	get(t, 0, "c", 3);
	get(t, 0, "d", 4);
	assert_int_equal(ctab_remove(t, 1, "b", 1), 1);
	assert_null(find(t, 1, "b"));
	assert_int_equal(ctab_remove(t, 1, "b", 1), 0);
	assert_int_equal(ctab_remove(t, 0, "b", 1), 0);
	check_order(t, "0:d 0:c 0:a");
	assert_int_equal(ctab_remove(t, 0, "d", 1), 1); /* the head */
	check_order(t, "0:c 0:a");
	assert_int_equal(ctab_remove(t, 0, "a", 1), 1); /* the tail */
	check_order(t, "0:c");
	s = stats(t);
	assert_int_equal(s.total_keys, 1);
	assert_int_equal(s.keys[0], 1);
	assert_int_equal(s.keys[1], 0);
	assert_int_equal(s.expired, 0);
	assert_int_equal(s.evicted[0] + s.evicted[1], 0);
	/* The list still works at both ends after removals. */
	get(t, 2, "e", 5);
	get(t, 0, "c", 6);
	check_order(t, "0:c 2:e");
	assert_int_equal(ctab_remove(t, 0, "c", 1), 1);
	assert_int_equal(ctab_remove(t, 2, "e", 1), 1);
	check_order(t, "");
	assert_int_equal(ctab_remove(t, CTAB_SCOPES, "e", 1), 0);
	get(t, 0, "f", 7);
	check_order(t, "0:f");
	ctab_free(t);
}

/* test_ctab_foreach_order_and_early_stop - MRU first; non-zero stops */
static void
test_ctab_foreach_order_and_early_stop(void **state)
{
	struct ctab *t = new_table(8);
	struct order o;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(ctab_foreach(t, order_fn, &o), 0);
	assert_int_equal(o.visited, 0);

	get(t, 0, "k0", 1);
	get(t, 4, "k1", 2);
	get(t, 0, "k2", 3);
	get(t, 7, "k3", 4);
	get(t, 0, "k4", 5);
	get(t, 4, "k1", 6);
	check_order(t, "4:k1 0:k4 7:k3 0:k2 0:k0");

	memset(&o, 0, sizeof(o));
	o.stop_at = 3;
	assert_int_equal(ctab_foreach(t, order_fn, &o), 7);
	assert_int_equal(o.visited, 3);
	assert_string_equal(o.buf, "4:k1 0:k4 7:k3");

	memset(&o, 0, sizeof(o));
	o.stop_at = 1;
	assert_int_equal(ctab_foreach(t, order_fn, &o), 7);
	assert_string_equal(o.buf, "4:k1");

	memset(&o, 0, sizeof(o));
	o.stop_at = 5; /* stops on the last one: still returned */
	assert_int_equal(ctab_foreach(t, order_fn, &o), 7);
	assert_int_equal(o.visited, 5);
	ctab_free(t);
}

/* test_ctab_stats_bytes_grow_and_shrink_back - the byte figure follows */
static void
test_ctab_stats_bytes_grow_and_shrink_back(void **state)
{
	struct ctab *t = new_table(1000), *ref = new_table(1000);
	size_t empty, with_keys, with_events, i;
	char key[16];
	uint32_t now;

	(void)state;
	empty = stats(t).bytes;
	assert_true(empty > 0);
	assert_int_equal(stats(ref).bytes, empty);

	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "key%zu", i);
		get(t, (unsigned)i % CTAB_SCOPES, key, 1);
	}
	with_keys = stats(t).bytes;
	assert_true(with_keys > empty);

	for (now = 1; now <= 200; now++)
		for (i = 0; i < 10; i++) {
			snprintf(key, sizeof(key), "key%zu", i);
			add(t, (unsigned)i % CTAB_SCOPES, key, now, 200, 0);
		}
	with_events = stats(t).bytes;
	/* 2000 stored times: at least 8000 bytes more. */
	assert_true(with_events >= with_keys + 2000 * sizeof(uint32_t));

	/* keep_n 1 shrinks every entry back to one time... */
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "key%zu", i);
		add(t, (unsigned)i % CTAB_SCOPES, key, 300, 1, 0);
		add(ref, (unsigned)i % CTAB_SCOPES, key, 300, 1, 0);
	}
	/*
	 * ...costing what a table that only ever saw one does (but for the
	 * LRU queue, whose ring grew with the touches).
	 */
	assert_true(stats(t).bytes < with_events);
	assert_int_equal(stats(t).bytes - stats(t).lru_bytes,
	    stats(ref).bytes - stats(ref).lru_bytes);

	/* Removing every key gives back the empty figure. */
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "key%zu", i);
		assert_int_equal(
		    ctab_remove(t, (unsigned)i % CTAB_SCOPES, key, strlen(key)),
		    1);
	}
	assert_int_equal(
	    stats(t).bytes - stats(t).lru_bytes, empty - stats(ref).lru_bytes);
	assert_int_equal(stats(t).total_keys, 0);
	ctab_free(t);
	ctab_free(ref);

	/* Eviction and expiry give bytes back too. */
	t = new_table(5);
	empty = stats(t).bytes;
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "key%zu", i);
		for (now = 1; now <= (uint32_t)i % 17 + 1; now++)
			add(t, 0, key, now, 32, 0);
	}
	assert_int_equal(stats(t).evicted[0], 45);
	{
		static const uint32_t idle[CTAB_SCOPES] = {0};

		assert_int_equal(ctab_expire(t, 1000, idle, 100), 5);
	}
	assert_int_equal(stats(t).bytes, empty);
	ctab_free(t);
}

/* test_ctab_many_keys_hash_growth - 100k keys, all findable */
static void
test_ctab_many_keys_hash_growth(void **state)
{
	enum { NKEYS = 100000 };
	struct ctab *t = new_table(NKEYS);
	struct ctab_entry *e;
	struct ctab_stats s;
	uint32_t i, k;
	size_t missing = 0;

	(void)state;
	for (i = 0; i < NKEYS; i++) {
		k = i * 2654435761u; /* distinct: an odd multiplier */
		e = ctab_get(t, i % CTAB_SCOPES, &k, sizeof(k), i + 1);
		assert_non_null(e);
		if (i % 10 == 0)
			assert_int_equal(ctab_add_event(t, e, i + 1, 4, 0), 0);
	}
	s = stats(t);
	assert_int_equal(s.total_keys, NKEYS);
	for (i = 0; i < CTAB_SCOPES; i++) {
		assert_int_equal(s.keys[i], NKEYS / CTAB_SCOPES);
		assert_int_equal(s.evicted[i], 0);
	}
	/* The bucket array grew: at least one pointer per key. */
	assert_true(s.bytes > (size_t)NKEYS * sizeof(void *));
	for (i = 0; i < NKEYS; i++) {
		k = i * 2654435761u;
		e = ctab_find(t, i % CTAB_SCOPES, &k, sizeof(k));
		if (e == NULL || e->scope != i % CTAB_SCOPES ||
		    memcmp(ctab_key(e), &k, sizeof(k)) != 0 ||
		    e->nts != (i % 10 == 0 ? 1u : 0u)) {
			if (missing++ < 5)
				print_error("key %u: got %p, want its entry\n",
				    i, (void *)e);
		}
		/* The same bytes in the next scope are another key. */
		if (ctab_find(t, (i + 1) % CTAB_SCOPES, &k, sizeof(k)) != NULL)
			missing++;
	}
	assert_int_equal(missing, 0);

	/* Touch key 0; the next new key evicts key 1, the oldest now. */
	k = 0;
	assert_non_null(ctab_get(t, 0, &k, sizeof(k), NKEYS + 1));
	assert_non_null(ctab_get(t, 0, "new!!", 5, NKEYS + 2));
	k = 1 * 2654435761u;
	assert_null(ctab_find(t, 1, &k, sizeof(k)));
	k = 0;
	assert_non_null(ctab_find(t, 0, &k, sizeof(k)));
	s = stats(t);
	assert_int_equal(s.evicted[1], 1);
	assert_int_equal(s.total_keys, NKEYS);
	ctab_free(t);
}

/*
 * The LRU model of test_ctab_lru_matches_a_model: keys most recent first,
 * and each key's ban (0 when none or not in the table).
 */
struct lru_model {
	int key[600];
	size_t n;
	uint32_t ban[1000];
};

/* model_touch - <k> to the front (added if absent) */
static void
model_touch(struct lru_model *m, int k)
{
	size_t i;

	for (i = 0; i < m->n && m->key[i] != k; i++)
		;
	if (i == m->n)
		m->n++;
	memmove(m->key + 1, m->key, i * sizeof(m->key[0]));
	m->key[0] = k;
}

/* model_remove - <k> out; 1 if it was there */
static int
model_remove(struct lru_model *m, int k)
{
	size_t i;

	for (i = 0; i < m->n && m->key[i] != k; i++)
		;
	if (i == m->n)
		return 0;
	memmove(m->key + i, m->key + i + 1, (m->n - i - 1) * sizeof(m->key[0]));
	m->n--;
	m->ban[k] = 0;
	return 1;
}

/*
 * model_evict - the least recently used key goes, but up to
 * CTAB_EVICT_SPARE keys banned at <now> go to the front instead
 */
static void
model_evict(struct lru_model *m, uint32_t now)
{
	int k;

	for (unsigned spared = 0;; spared++) {
		k = m->key[m->n - 1];
		if (m->ban[k] <= now || spared == CTAB_EVICT_SPARE)
			break;
		model_touch(m, k);
	}
	(void)model_remove(m, k);
}

struct lru_walk {
	const struct lru_model *m;
	size_t i, bad;
};

/* lru_walk_fn - each entry, in ctab_foreach() order, against the model */
static int
lru_walk_fn(const struct ctab_entry *e, void *arg)
{
	struct lru_walk *w = arg;
	int k;

	memcpy(&k, ctab_key(e), sizeof(k));
	if (w->i >= w->m->n || w->m->key[w->i] != k)
		w->bad++;
	w->i++;
	return 0;
}

/*
 * test_ctab_lru_matches_a_model - 200,000 random gets, touches, removals,
 * events (times moving out of and back into an entry), bans (which
 * eviction passes over and expiry keeps) and expiries on a
 * table of at most 500 keys (below CTAB_TOUCH_SLACK_MIN: the order is
 * exact), with the LRU queue squeezed, grown and shrunk on the way; the
 * count after every step, and the whole order every 10 steps, must be the
 * model's. Under ASan this also checks the slabs and free
 * lists.
 */
static void
test_ctab_lru_matches_a_model(void **state)
{
	enum { MAXK = 500, KEYS = 900, STEPS = 200000 };
	static struct lru_model m;
	struct ctab *t = new_table(MAXK);
	struct ctab_entry *e;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	uint32_t now = 1;
	size_t step;
	int k;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (step = 0; step < STEPS; step++) {
		unsigned op = (unsigned)(xorshift(&x) % 100);

		k = (int)(xorshift(&x) % KEYS);
		if (step % 50 == 0)
			now++;
		if (op < 60) { /* get: touch or add, evicting the LRU */
			if (m.n == MAXK &&
			    ctab_find(t, 0, &k, sizeof(k)) == NULL)
				model_evict(&m, now);
			e = ctab_get(t, 0, &k, sizeof(k), now);
			assert_non_null(e);
			model_touch(&m, k);
			if (op < 3) /* a ban, on for 0 to 199 ticks */
				e->ban_until = m.ban[k] =
				    now + (uint32_t)(xorshift(&x) % 200);
			if (op < 20)
				assert_int_equal(ctab_add_event(t, e, now,
				                     1 + (uint32_t)(k % 40),
				                     now > 30 ? now - 30 : 0),
				    0);
		} else if (op < 85) { /* touch an existing one */
			if ((e = ctab_find(t, 0, &k, sizeof(k))) != NULL) {
				ctab_touch(t, e, now);
				model_touch(&m, k);
			}
		} else if (op < 97) { /* remove */
			assert_int_equal(ctab_remove(t, 0, &k, sizeof(k)),
			    model_remove(&m, k));
		} else if (m.n > 0) { /* expire the least recently used few */
			static const uint32_t idle[CTAB_SCOPES] = {0};
			size_t before = m.n, gone;

			/* Only entries idle since before now go, and of
			 * those only the ones not banned; the model learns
			 * which from the table and checks they may. */
			now += 2;
			gone = ctab_expire(t, now, idle, 3);
			assert_true(gone <= 3 && gone <= before);
			for (size_t i = m.n; i-- > 0;) {
				int g = m.key[i];

				if (ctab_find(t, 0, &g, sizeof(g)) != NULL)
					continue;
				assert_true(m.ban[g] <= now);
				assert_int_equal(model_remove(&m, g), 1);
				gone--;
			}
			assert_int_equal(gone, 0);
		}
		assert_int_equal(stats(t).total_keys, m.n);
		if (step % 10 == 0) {
			struct lru_walk w = {&m, 0, 0};

			(void)ctab_foreach(t, lru_walk_fn, &w);
			if (w.bad != 0 || w.i != m.n)
				fail_msg("step %zu: LRU order differs from the "
				         "model (%zu of %zu)",
				    step, w.bad, m.n);
		}
	}
	ctab_free(t);
}

/* test_ctab_same_key_different_scopes - one entry per (scope, key) */
static void
test_ctab_same_key_different_scopes(void **state)
{
	struct ctab *t = new_table(64);
	struct ctab_entry *e[CTAB_SCOPES];
	struct ctab_stats s;
	unsigned i, j;

	(void)state;
	for (i = 0; i < CTAB_SCOPES; i++)
		e[i] = get(t, i, "192.0.2.7", 1);
	for (i = 0; i < CTAB_SCOPES; i++) {
		assert_int_equal(e[i]->scope, i);
		for (j = i + 1; j < CTAB_SCOPES; j++)
			assert_ptr_not_equal(e[i], e[j]);
	}
	for (i = 0; i < 5; i++)
		add(t, 3, "192.0.2.7", 10 + i, 10, 0);
	for (i = 0; i < CTAB_SCOPES; i++) {
		e[i] = find(t, i, "192.0.2.7");
		assert_non_null(e[i]);
		assert_int_equal(ctab_count_after(e[i], 0), i == 3 ? 5 : 0);
	}
	s = stats(t);
	for (i = 0; i < CTAB_SCOPES; i++)
		assert_int_equal(s.keys[i], 1);
	assert_int_equal(ctab_remove(t, 3, "192.0.2.7", 9), 1);
	for (i = 0; i < CTAB_SCOPES; i++)
		if (i == 3)
			assert_null(find(t, i, "192.0.2.7"));
		else
			assert_ptr_equal(find(t, i, "192.0.2.7"), e[i]);
	ctab_free(t);
}

/*
 * test_ctab_growing_entries_stay_put - entries whose times grow into, and
 * out of, a second block keep their address, index slot and LRU place
 */
static void
test_ctab_growing_entries_stay_put(void **state)
{
	enum { NK = 500, ROUNDS = 70, KEEP = 64 };
	struct ctab *t = new_table(NK);
	struct ctab_entry *a, *b, *c;
	char key[16];
	uint32_t r, i;

	(void)state;
	a = get(t, 0, "a", 1);
	b = get(t, 0, "b", 2);
	c = get(t, 0, "c", 3);
	for (r = 0; r < 1000; r++)
		assert_int_equal(ctab_add_event(t, b, 10 + r, 1000, 0), 0);
	assert_ptr_equal(find(t, 0, "a"), a);
	assert_ptr_equal(find(t, 0, "b"), b);
	assert_ptr_equal(find(t, 0, "c"), c);
	assert_int_equal(b->nts, 1000);
	check_order(t, "0:c 0:b 0:a");
	assert_ptr_equal(get(t, 0, "b", 2000), b);
	check_order(t, "0:b 0:c 0:a");
	assert_int_equal(ctab_remove(t, 0, "b", 1), 1);
	check_order(t, "0:c 0:a");
	ctab_free(t);

	/* Many keys grown round-robin, every time block reallocated. */
	t = new_table(NK);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NK; i++) {
			struct ctab_entry *e;

			snprintf(key, sizeof(key), "k%u", i);
			e = get(t, i % 3, key, 100 + r);
			assert_int_equal(
			    ctab_add_event(t, e, 100 + r, KEEP, 0), 0);
		}
		for (i = 0; i < NK; i++) {
			const struct ctab_entry *e;

			snprintf(key, sizeof(key), "k%u", i);
			e = find(t, i % 3, key);
			assert_non_null(e);
			assert_int_equal(ctab_count_after(e, 0),
			    r + 1 < KEEP ? r + 1 : KEEP);
			assert_int_equal(ctab_first_time(e),
			    r + 1 < KEEP ? 100 : 100 + r + 1 - KEEP);
		}
	}
	{
		struct order o;

		memset(&o, 0, sizeof(o));
		o.stop_at = 0;
		assert_int_equal(ctab_foreach(t, order_fn, &o), 0);
		assert_int_equal(o.visited, NK);
	}
	ctab_free(t);
}

/* test_ctab_add_event_grow_failure_leaves_entry_unchanged - -1, no change */
static void
test_ctab_add_event_grow_failure_leaves_entry_unchanged(void **state)
{
	static const uint32_t w[] = {1, 2, 3, 4};
	struct ctab *t = new_table(4);
	struct ctab_entry *e = NULL;
	size_t bytes;
	uint32_t now;
	int rc;

	(void)state;
	for (now = 1; now <= 4; now++)
		e = add(t, 0, "k", now, 100, 0);
	bytes = stats(t).bytes;
	/* The 5th time needs more room than 4. */
	fail_realloc = 1;
	rc = ctab_add_event(t, e, 5, 100, 0);
	fail_realloc = 0;
	assert_int_equal(rc, -1);
	assert_ptr_equal(find(t, 0, "k"), e);
	check_times("after a failed grow", e, w, 4);
	assert_int_equal(stats(t).bytes, bytes);
	assert_int_equal(ctab_add_event(t, e, 5, 100, 0), 0);
	assert_int_equal(e->nts, 5);
	ctab_free(t);
}

/*
 * test_ctab_add_event_shrink_failure_keeps_the_block - a shrinking
 * realloc() that fails is harmless: the old block is big enough, so the
 * event is added and the old times are dropped as asked.
 */
static void
test_ctab_add_event_shrink_failure_keeps_the_block(void **state)
{
	static const uint32_t w[] = {13, 14, 15, 16, 17};
	struct ctab *t = new_table(4);
	struct ctab_entry *e = NULL;
	uint32_t now;
	int rc;

	(void)state;
	for (now = 1; now <= 16; now++)
		e = add(t, 0, "k", now, 100, 0);
	fail_realloc = 1;
	rc = ctab_add_event(t, e, 17, 100, 12);
	fail_realloc = 0;
	assert_int_equal(rc, 0);
	check_times("after a failed shrink", e, w, 5);
	ctab_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ctab_create_find_get),
	    cmocka_unit_test(test_ctab_limits),
	    cmocka_unit_test(test_ctab_lru_eviction_when_full),
	    cmocka_unit_test(test_ctab_eviction_spares_bans),
	    cmocka_unit_test(test_ctab_get_moves_to_head),
	    cmocka_unit_test(test_ctab_touch_and_last_s_only_rises),
	    cmocka_unit_test(test_ctab_add_event_keep_n),
	    cmocka_unit_test(test_ctab_add_event_drop_before),
	    cmocka_unit_test(test_ctab_same_second_events),
	    cmocka_unit_test(test_ctab_time_backwards_is_clamped),
	    cmocka_unit_test(test_ctab_count_after_matches_brute_force_model),
	    cmocka_unit_test(test_ctab_window_counts_exact_for_limits),
	    cmocka_unit_test(test_ctab_expire_idle_per_scope_and_bans),
	    cmocka_unit_test(test_ctab_expire_budget),
	    cmocka_unit_test(test_ctab_remove),
	    cmocka_unit_test(test_ctab_foreach_order_and_early_stop),
	    cmocka_unit_test(test_ctab_stats_bytes_grow_and_shrink_back),
	    cmocka_unit_test(test_ctab_many_keys_hash_growth),
	    cmocka_unit_test(test_ctab_same_key_different_scopes),
	    cmocka_unit_test(test_ctab_lru_matches_a_model),
	    cmocka_unit_test(test_ctab_growing_entries_stay_put),
	    cmocka_unit_test(
	        test_ctab_add_event_grow_failure_leaves_entry_unchanged),
	    cmocka_unit_test(
	        test_ctab_add_event_shrink_failure_keeps_the_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
