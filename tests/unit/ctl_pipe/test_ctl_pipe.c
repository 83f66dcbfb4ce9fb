/*
 * test_ctl_pipe.c -- unit tests for reading logs on a second thread
 *
 * DESCRIPTION
 *	A generated log of N "pending" records, with unparsable lines and
 *	other record kinds mixed in, read through ctl_read_logs_piped():
 *	every record arrives once, in log order, with the counts
 *	ctl_read_logs() gives; a taker that stops early, and a maker that
 *	fails, leave every object either taken or dropped (none leaked: the
 *	sanitizer build checks the heap too). Objects live in the pipe's
 *	arenas, in many sizes and some bigger than a chunk: each one is
 *	filled when made and checked when taken, so memory handed out twice
 *	or recycled too early shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_pipe.h"

#define RECORDS 60000 /* many batches (CTL_PIPE_BATCH is 4096) */

static char path[64];

struct obj {
	uint64_t lineno;
	int seq;     /* the n-th pending record */
	size_t size; /* of fill[] */
	unsigned char fill[];
};

/* obj_size - a size per object: small ones of many sizes, and now and
 * then one bigger than the pipe's arena chunks (128 KiB) */
static size_t
obj_size(int seq)
{
	return seq % 9999 == 5000 ? 300000 : (size_t)(seq * 7 % 300);
}

struct counts {
	int made, taken, dropped, fail_at, stop_at, ends;
	int last_seq;
	uint64_t last_line;
};

static struct counts k;

static int
make(const struct logev *ev, uint64_t lineno, void *arg,
    struct ctl_pipe_arena *a, void **obj)
{
	struct obj *o;

	(void)arg;
	*obj = NULL;
	if (ev->kind != LOGEV_PENDING)
		return 0;
	if (k.fail_at > 0 && k.made == k.fail_at)
		return -1;
	o = ctl_pipe_alloc(a, sizeof(*o) + obj_size(k.made));
	assert_non_null(o);
	assert_int_equal((uintptr_t)o % _Alignof(max_align_t), 0);
	o->lineno = lineno;
	o->seq = k.made++;
	o->size = obj_size(o->seq);
	memset(o->fill, o->seq & 0xff, o->size);
	*obj = o;
	return 0;
}

/* check_obj - <o> still holds what make() put there */
static void
check_obj(const struct obj *o)
{
	assert_int_equal(o->size, obj_size(o->seq));
	for (size_t i = 0; i < o->size; i++)
		if (o->fill[i] != (o->seq & 0xff))
			fail_msg("object %d overwritten at %zu", o->seq, i);
}

/* The last CTL_PIPE_LEND objects taken: they must all still be valid. */
static const struct obj *lent[CTL_PIPE_LEND];

static int
take(void *obj, void *arg)
{
	struct obj *o = obj;
	size_t i;

	(void)arg;
	if (o == NULL) { /* the end of the input: all lent still valid */
		k.ends++;
		for (i = 0; i < CTL_PIPE_LEND; i++)
			if (lent[i] != NULL)
				check_obj(lent[i]);
		return 0;
	}
	/* the one taken CTL_PIPE_LEND - 1 objects ago is still valid */
	if (lent[(k.taken + 1) % CTL_PIPE_LEND] != NULL)
		check_obj(lent[(k.taken + 1) % CTL_PIPE_LEND]);
	lent[k.taken % CTL_PIPE_LEND] = o;
	/* in log order, none missing */
	assert_int_equal(o->seq, k.last_seq + 1);
	assert_true(o->lineno > k.last_line);
	k.last_seq = o->seq;
	k.last_line = o->lineno;
	/* its memory is its own: nothing else was made over it */
	check_obj(o);
	return ++k.taken == k.stop_at;
}

/* drop - may run on either thread (see ctl_pipe.h): counted atomically */
static void
drop(void *obj)
{
	(void)obj;
	__atomic_fetch_add(&k.dropped, 1, __ATOMIC_RELAXED);
}

/* noop - a one-thread reader's callback that keeps nothing */
static int
noop(const struct logev *ev, uint64_t lineno, void *arg)
{
	(void)ev;
	(void)lineno;
	(void)arg;
	return 0;
}

static int
setup(void **state)
{
	FILE *f;
	int fd, i;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_ctl_pipe.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (i = 0; i < RECORDS; i++) {
		fprintf(f,
		    "Dec 03 18:11:33 2026 (%d) mylist: pending u%d@example.com "
		    " "
		    "192.0.2.%d\n",
		    1000 + i, i, i % 250 + 1);
		if (i % 97 == 0) /* continues the record before: no error */
			fputs("garbage without a prefix\n", f);
		if (i % 101 == 0) /* a pending record without its address */
			fputs("Dec 03 18:11:35 2026 (7) mylist: pending\n", f);
		if (i % 89 == 0)
			fprintf(f,
			    "Dec 03 18:11:34 2026 (%d) mylist: new "
			    "u%d@example.com, "
			    "via web confirmation\n",
			    2000 + i, i);
	}
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void
reset(int fail_at, int stop_at)
{
	memset(&k, 0, sizeof(k));
	memset(lent, 0, sizeof(lent));
	k.last_seq = -1;
	k.fail_at = fail_at;
	k.stop_at = stop_at;
}

/* test_all_records_in_order - the counts ctl_read_logs() gives */
static void
test_all_records_in_order(void **state)
{
	struct ctl_input_stats st, want;
	char *paths[1] = {path};
	int failed = -1;

	(void)state;
	reset(0, -1);
	assert_int_equal(ctl_read_logs_piped(paths, 1, make, NULL, take, NULL,
	                     drop, &st, &failed),
	    0);
	assert_int_equal(failed, 0);
	assert_int_equal(k.made, RECORDS);
	assert_int_equal(k.taken, RECORDS);
	assert_int_equal(k.ends, 1);
	assert_int_equal(k.dropped, 0);
	/* the same figures as the one-thread reader */
	reset(0, -1);
	assert_int_equal(ctl_read_logs(paths, 1, noop, NULL, &want), 0);
	assert_int_equal(st.lines, want.lines);
	assert_int_equal(st.records, want.records);
	assert_int_equal(st.errors, want.errors);
	assert_true(st.errors > 0);
}

/* test_taker_stops - the rest is dropped, nothing leaks */
static void
test_taker_stops(void **state)
{
	struct ctl_input_stats st;
	char *paths[1] = {path};
	int failed = -1;

	(void)state;
	reset(0, 300);
	assert_int_equal(ctl_read_logs_piped(paths, 1, make, NULL, take, NULL,
	                     drop, &st, &failed),
	    0);
	assert_int_equal(failed, 0);
	assert_int_equal(k.taken, 300);
	assert_int_equal(k.ends, 0);
	assert_int_equal(k.made, k.taken + k.dropped);
	assert_true(k.made < RECORDS); /* reading stopped early */
}

/* test_maker_fails - reported, what was made before is taken */
static void
test_maker_fails(void **state)
{
	struct ctl_input_stats st;
	char *paths[1] = {path};
	int failed = 0;

	(void)state;
	reset(1234, -1);
	assert_int_equal(ctl_read_logs_piped(paths, 1, make, NULL, take, NULL,
	                     drop, &st, &failed),
	    0);
	assert_int_equal(failed, 1);
	assert_int_equal(k.made, 1234);
	assert_int_equal(k.taken, 1234);
	assert_int_equal(k.ends, 1);
	assert_int_equal(k.dropped, 0);
}

/* test_missing_file - ctl_read_logs()' status, nothing made */
static void
test_missing_file(void **state)
{
	struct ctl_input_stats st;
	static char missing[] = "/nonexistent/subgate/log";
	char *paths[1] = {missing};
	int failed = -1;

	(void)state;
	reset(0, -1);
	assert_int_equal(ctl_read_logs_piped(paths, 1, make, NULL, take, NULL,
	                     drop, &st, &failed),
	    CTL_EXIT_USAGE);
	assert_int_equal(failed, 0);
	assert_int_equal(k.made, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_records_in_order),
	    cmocka_unit_test(test_taker_stops),
	    cmocka_unit_test(test_maker_fails),
	    cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
