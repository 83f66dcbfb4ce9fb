/*
 * test_tail.c -- unit tests for the rotation-safe log tailer
 *
 * DESCRIPTION
 *	Each test works in a fresh directory under /tmp holding "log" and a
 *	"state" directory, and drives tail_poll() by hand (base NULL), except
 *	the event-loop test, which runs a 1 ms timer for a bounded number of
 *	event_base_loop(EVLOOP_ONCE) rounds. No sleeps. Rotation is done the
 *	way logrotate does it (rename + create, copytruncate = truncate in
 *	place). Expected lines are written by hand; the position file name is
 *	checked against a hand-encoded name.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "fnv.h"
#include "tail.h"
#include "../testdir.h"

#define GRACE_POLLS 20 /* 2000 ms / 100 ms, as tail.c computes it */

struct got {
	char **line;
	size_t *len;
	int *toolong;
	size_t n, cap;
	unsigned idles;
};

struct fix {
	char dir[64];
	char log[128];
	char old[128]; /* log.1 */
	char state[128];
	char err[512];
	struct got g;
};

/* on_line - record a delivered line */
static void
on_line(const char *line, size_t len, int toolong, void *arg)
{
	struct got *g = arg;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->line = realloc(g->line, g->cap * sizeof(*g->line));
		g->len = realloc(g->len, g->cap * sizeof(*g->len));
		g->toolong = realloc(g->toolong, g->cap * sizeof(*g->toolong));
		assert_non_null(g->line);
		assert_non_null(g->len);
		assert_non_null(g->toolong);
	}
	assert_true(len <= TAIL_LINE_MAX);
	g->line[g->n] = malloc(len + 1);
	assert_non_null(g->line[g->n]);
	memcpy(g->line[g->n], line, len);
	g->line[g->n][len] = '\0';
	g->len[g->n] = len;
	g->toolong[g->n] = toolong;
	g->n++;
}

/* on_idle - count idle calls */
static void
on_idle(void *arg)
{
	struct got *g = arg;

	g->idles++;
}

/* got_clear - forget recorded lines, keep the idle count */
static void
got_clear(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->line[i]);
	g->n = 0;
}

/* expect - the recorded lines are exactly the NULL-terminated list */
static void
expect(struct got *g, ...)
{
	va_list ap;
	const char *want;
	size_t i = 0;

	va_start(ap, g);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (i >= g->n)
			fail_msg("line %zu: got nothing, want \"%s\"", i, want);
		if (g->len[i] != strlen(want) ||
		    memcmp(g->line[i], want, g->len[i]) != 0)
			fail_msg("line %zu: got \"%s\", want \"%s\"", i,
			    g->line[i], want);
		assert_int_equal(g->toolong[i], 0);
		i++;
	}
	va_end(ap);
	if (i != g->n)
		fail_msg("got %zu lines, want %zu (extra: \"%s\")", g->n, i,
		    g->line[i]);
	got_clear(g);
}

/* put - append <s> to <path>, creating it */
static void
put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	size_t len = strlen(s);

	assert_true(fd != -1);
	assert_int_equal(write(fd, s, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* put_n - append <n> copies of <c> to <path> */
static void
put_n(const char *path, int c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	put(path, s);
	free(s);
}

/* ino_of - inode number of <path> */
static uint64_t
ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_ino;
}

/* state_file - the position file name for <f->log>, encoded by hand */
static void
state_file(const struct fix *f, char *buf, size_t len)
{
	char enc[128];
	size_t i;

	/* mkdtemp() names use [A-Za-z0-9] only: just '/' is mapped. */
	for (i = 0; f->log[i] != '\0'; i++)
		enc[i] = f->log[i] == '/' ? '_' : f->log[i];
	enc[i] = '\0';
	snprintf(buf, len, "%s/tail.%s.pos", f->state, enc);
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/tailtest.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	snprintf(f->old, sizeof(f->old), "%s/log.1", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	assert_int_equal(mkdir(f->state, 0700), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	got_clear(&f->g);
	free(f->g.line);
	free(f->g.len);
	free(f->g.toolong);
	testdir_remove(f->dir);
	free(f);
	return 0;
}

/* open_tail - tail_new() on the fixture, polled by hand, no warning */
static struct tail *
open_tail(struct fix *f)
{
	struct tail *t = tail_new(NULL, f->log, f->state, 100, on_line, on_idle,
	    &f->g, f->err, sizeof(f->err));

	if (t == NULL)
		fail_msg("tail_new: %s", f->err);
	assert_string_equal(f->err, "");
	return t;
}

static void
test_tail_starts_at_end(void **state)
{
	struct fix *f = *state;
	struct tail_status st;
	struct tail *t;

	put(f->log, "old1\nold2\npar");
	t = open_tail(f);
	assert_int_equal(tail_poll(t), 0);
	expect(&f->g, NULL);
	tail_status(t, &st);
	assert_int_equal(st.open, 1);
	assert_int_equal(st.offset, 10); /* after "old2\n" */
	assert_int_equal(st.inode, ino_of(f->log));
	assert_string_equal(st.path, f->log);

	/* The line being written at start is new: delivered once complete. */
	put(f->log, "tial\nnew1\n");
	assert_int_equal(tail_poll(t), 2);
	expect(&f->g, "partial", "new1", NULL);
	assert_int_equal(f->g.idles, 1);
	tail_status(t, &st);
	assert_int_equal(st.offset, 23);
	assert_int_equal(st.lines, 2);
	tail_free(t);
}

static void
test_tail_starts_at_end_inside_overlong_line(void **state)
{
	struct fix *f = *state;
	struct tail *t;

	put(f->log, "old\n");
	put_n(f->log, 'x', TAIL_LINE_MAX + 10);
	t = open_tail(f);
	put(f->log, "xxx\nnew\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "new", NULL);
	tail_free(t);
}

static void
test_tail_starts_at_start_of_unfinished_line(void **state)
{
	struct fix *f = *state;
	struct tail *t;

	put(f->log, "par");
	t = open_tail(f);
	assert_int_equal(tail_poll(t), 0);
	put(f->log, "tial\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "partial", NULL);
	tail_free(t);
}

static void
test_tail_partial_lines(void **state)
{
	struct fix *f = *state;
	struct tail_status st;
	struct tail *t;

	put(f->log, "");
	t = open_tail(f);
	put(f->log, "ab");
	assert_int_equal(tail_poll(t), 0);
	expect(&f->g, NULL);
	assert_int_equal(f->g.idles, 0);
	tail_status(t, &st);
	assert_int_equal(st.offset, 0);

	put(f->log, "c\nde");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "abc", NULL);
	tail_status(t, &st);
	assert_int_equal(st.offset, 4);

	put(f->log, "f\n\n");
	assert_int_equal(tail_poll(t), 2);
	expect(&f->g, "def", "", NULL);
	assert_int_equal(f->g.idles, 2);
	tail_free(t);
}

static void
test_tail_crlf(void **state)
{
	struct fix *f = *state;
	struct tail *t;

	put(f->log, "");
	t = open_tail(f);
	put(f->log, "a\r\nb\r\n\r\nc\rd\n");
	assert_int_equal(tail_poll(t), 4);
	expect(&f->g, "a\r", "b\r", "\r", "c\rd", NULL);
	tail_free(t);
}

static void
test_tail_rename_rotation(void **state)
{
	struct fix *f = *state;
	struct tail_status st;
	struct tail *t;
	int i;

	put(f->log, "history\n");
	t = open_tail(f);
	put(f->log, "a\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "a", NULL);

	/* Written just before the rename: must not be lost. */
	put(f->log, "b\nc\n");
	assert_int_equal(rename(f->log, f->old), 0);
	put(f->log, "d\n");
	assert_int_equal(tail_poll(t), 3);
	expect(&f->g, "b", "c", "d", NULL);
	tail_status(t, &st);
	assert_int_equal(st.rotations, 1);
	assert_int_equal(st.open, 1);
	assert_int_equal(st.inode, ino_of(f->log));
	assert_int_equal(st.offset, 2);

	/* The writer has not reopened yet: the old file is still followed. */
	put(f->old, "late\n");
	put(f->log, "e\n");
	assert_int_equal(tail_poll(t), 2);
	expect(&f->g, "late", "e", NULL);

	/* After the grace period its unterminated last line comes out. */
	put(f->old, "last-no-newline");
	for (i = 0; i <= GRACE_POLLS; i++)
		(void)tail_poll(t);
	expect(&f->g, "last-no-newline", NULL);
	put(f->old, "gone\n");
	assert_int_equal(tail_poll(t), 0);
	expect(&f->g, NULL);
	tail_status(t, &st);
	assert_int_equal(st.rotations, 1);
	assert_int_equal(st.truncations, 0);
	tail_free(t);
}

static void
test_tail_rename_then_missing_then_created(void **state)
{
	struct fix *f = *state;
	struct tail_status st;
	struct tail *t;
	uint64_t ino;

	put(f->log, "");
	ino = ino_of(f->log);
	t = open_tail(f);
	assert_int_equal(rename(f->log, f->old), 0);
	put(f->old, "x\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "x", NULL);
	tail_status(t, &st);
	assert_int_equal(st.open, 1);
	assert_int_equal(st.inode, ino);
	assert_int_equal(st.rotations, 0);

	put(f->log, "y\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "y", NULL);
	tail_status(t, &st);
	assert_int_equal(st.rotations, 1);
	assert_int_equal(st.inode, ino_of(f->log));
	tail_free(t);
}

static void
test_tail_unlinked_then_created(void **state)
{
	struct fix *f = *state;
	struct tail_status st;
	struct tail *t;

	put(f->log, "");
	t = open_tail(f);
	put(f->log, "a\n");
	assert_int_equal(unlink(f->log), 0);
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "a", NULL);
	tail_status(t, &st);
	assert_int_equal(st.open, 0);
	assert_int_equal(tail_poll(t), 0);

	put(f->log, "n\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "n", NULL);
	tail_status(t, &st);
	assert_int_equal(st.open, 1);
	tail_free(t);
}

static void
test_tail_copytruncate(void **state)
{
	struct fix *f = *state;
	struct tail_status st;
	struct tail *t;

	put(f->log, "l1\nl2\n");
	t = open_tail(f);
	put(f->log, "l3\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "l3", NULL);

	/* Copied, then truncated in place; "lost" is the inherent loss. */
	put(f->log, "lost\n");
	assert_int_equal(truncate(f->log, 0), 0);
	put(f->log, "t1\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "t1", NULL);
	tail_status(t, &st);
	assert_int_equal(st.truncations, 1);
	assert_int_equal(st.rotations, 0);
	assert_int_equal(st.offset, 3);

	/* Truncated and regrown past our offset: the first bytes differ. */
	put(f->log, "t2\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "t2", NULL);
	assert_int_equal(truncate(f->log, 0), 0);
	put(f->log, "XXXXXXXXXX\nu1\n");
	assert_int_equal(tail_poll(t), 2);
	expect(&f->g, "XXXXXXXXXX", "u1", NULL);
	tail_status(t, &st);
	assert_int_equal(st.truncations, 2);
	tail_free(t);
}

static void
test_tail_restart_resumes(void **state)
{
	struct fix *f = *state;
	char name[512];
	struct stat sb;
	struct tail *t;

	put(f->log, "history\n");
	t = open_tail(f);
	state_file(f, name, sizeof(name));
	assert_int_equal(stat(name, &sb), 0);
	put(f->log, "1\n2\n3\n");
	assert_int_equal(tail_poll(t), 3);
	expect(&f->g, "1", "2", "3", NULL);
	put(f->log, "4\n5\n6-par");
	tail_free(t); /* not polled: 4, 5 and 6 are still to come */

	t = open_tail(f);
	assert_int_equal(tail_poll(t), 2);
	expect(&f->g, "4", "5", NULL);
	put(f->log, "tial\n7\n8-par");
	assert_int_equal(tail_poll(t), 2);
	expect(&f->g, "6-partial", "7", NULL);
	tail_free(t); /* "8-par" read but not delivered: not saved as done */

	t = open_tail(f);
	put(f->log, "tial\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "8-partial", NULL);
	tail_free(t);

	/* Nothing new: nothing again. */
	t = open_tail(f);
	assert_int_equal(tail_poll(t), 0);
	expect(&f->g, NULL);
	put(f->log, "9\n");
	tail_free(t);
	t = open_tail(f);
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "9", NULL);
	tail_free(t);
}

static void
test_tail_restart_inside_overlong_line(void **state)
{
	struct fix *f = *state;
	struct tail *t;

	put(f->log, "");
	t = open_tail(f);
	put_n(f->log, 'x', TAIL_LINE_MAX + 5);
	assert_int_equal(tail_poll(t), 1);
	assert_int_equal(f->g.len[0], TAIL_LINE_MAX);
	assert_int_equal(f->g.toolong[0], 1);
	got_clear(&f->g);
	tail_free(t);

	t = open_tail(f);
	put(f->log, "rest\nnext\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "next", NULL);
	tail_free(t);
}

/* down_rotation - stop, rotate to <to> with a late line, restart */
static struct tail *
down_rotation(struct fix *f, const char *to, const char *want_err)
{
	struct tail_status st;
	struct tail *t;

	put(f->log, "history\n");
	t = open_tail(f);
	put(f->log, "a\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "a", NULL);
	tail_free(t);

	put(f->log, "late\n"); /* written while we were down */
	assert_int_equal(rename(f->log, to), 0);
	put(f->log, "new\n");
	t = tail_new(NULL, f->log, f->state, 100, on_line, on_idle, &f->g,
	    f->err, sizeof(f->err));
	assert_non_null(t);
	if (strstr(f->err, want_err) == NULL)
		fail_msg("got warning \"%s\", want \"%s\"", f->err, want_err);
	tail_status(t, &st);
	assert_int_equal(st.rotations, 1);
	return t;
}

static void
test_tail_rotated_while_down_old_found(void **state)
{
	struct fix *f = *state;
	struct tail *t = down_rotation(f, f->old, "");

	assert_int_equal(tail_poll(t), 2);
	expect(&f->g, "late", "new", NULL);
	put(f->log, "more\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "more", NULL);
	tail_free(t);
}

static void
test_tail_rotated_while_down_old_gone(void **state)
{
	struct fix *f = *state;
	char gone[160];
	struct tail *t;

	snprintf(gone, sizeof(gone), "%s/log.2", f->dir);
	t = down_rotation(f, gone, "rotated while stopped");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "new", NULL);
	tail_free(t);
}

static void
test_tail_truncated_while_down(void **state)
{
	struct fix *f = *state;
	struct tail_status st;
	struct tail *t;

	put(f->log, "");
	t = open_tail(f);
	put(f->log, "aaaa\nbbbb\n");
	assert_int_equal(tail_poll(t), 2);
	got_clear(&f->g);
	tail_free(t);
	assert_int_equal(truncate(f->log, 0), 0);
	put(f->log, "z\n");
	t = open_tail(f);
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "z", NULL);
	tail_status(t, &st);
	assert_int_equal(st.truncations, 1);
	tail_free(t);
}

static void
test_tail_missing_then_created(void **state)
{
	struct fix *f = *state;
	struct tail_status st;
	struct tail *t = open_tail(f);
	int i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(tail_poll(t), 0);
		tail_status(t, &st);
		assert_int_equal(st.open, 0);
		assert_int_equal(st.error, 0);
		assert_int_equal(st.inode, 0);
	}
	/* Created after we started: all of it is new. */
	put(f->log, "a\nb\n");
	assert_int_equal(tail_poll(t), 2);
	expect(&f->g, "a", "b", NULL);
	tail_status(t, &st);
	assert_int_equal(st.open, 1);
	assert_int_equal(st.rotations, 0);
	tail_free(t);
}

static void
test_tail_overlong_line(void **state)
{
	struct fix *f = *state;
	struct tail *t;
	size_t i;

	put(f->log, "");
	t = open_tail(f);
	put_n(f->log, 'x', 100000);
	put(f->log, "\nshort\n");
	put_n(f->log, 'y', TAIL_LINE_MAX);
	put(f->log, "\n");
	assert_int_equal(tail_poll(t), 3);
	assert_int_equal(f->g.n, 3);
	assert_int_equal(f->g.len[0], TAIL_LINE_MAX);
	assert_int_equal(f->g.toolong[0], 1);
	for (i = 0; i < TAIL_LINE_MAX; i++)
		assert_int_equal(f->g.line[0][i], 'x');
	assert_string_equal(f->g.line[1], "short");
	assert_int_equal(f->g.toolong[1], 0);
	assert_int_equal(f->g.len[2], TAIL_LINE_MAX); /* exactly fits */
	assert_int_equal(f->g.toolong[2], 0);
	got_clear(&f->g);

	/* Across polls: cut as soon as it cannot fit, the rest skipped. */
	put_n(f->log, 'z', 200000); /* several blocks without a '\n' */
	assert_int_equal(tail_poll(t), 1);
	assert_int_equal(f->g.toolong[0], 1);
	got_clear(&f->g);
	put(f->log, "zzz\nnext\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "next", NULL);
	tail_free(t);
}

static void
test_tail_state_corrupt(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		size_t len;
	} bad[] = {
	    {"empty", "", 0},
	    {"words", "garbage\n", 8},
	    {"short", "1 2 3\n", 6},
	    {"negative", "1 1 -5 0 0 0 0\n", 15},
	    {"version", "3 1 5 0 0 0 -\n", 14},
	    {"no head", "2 1 5 0 0 0 0\n", 14},
	    {"v1 dash", "1 1 5 0 0 0 -\n", 14},
	    {"hex odd", "2 1 5 0 0 2 abc\n", 16},
	    {"hex upper", "2 1 5 0 0 1 AB\n", 15},
	    {"hex short", "2 1 5 0 0 2 ab\n", 15},
	    {"hex long", "2 1 5 0 0 1 abcd\n", 17},
	    {"hex other", "2 1 5 0 0 1 zz\n", 15},
	    {"overflow", "1 1 5 99999999999999999999999 0 0 0\n", 36},
	    {"skip", "1 1 5 0 2 0 0\n", 14},
	    {"headlen", "1 1 5 0 0 129 0\n", 16},
	    {"no newline", "1 1 5 0 0 0 0", 13},
	    {"trailing", "1 1 5 0 0 0 0\nx", 15},
	    {"binary", "1 1\0 5 0 0 0 0\n", 15},
	    {"zero inode", "1 1 0 0 0 0 0\n", 14},
	};
	struct fix *f = *state;
	char name[512];
	struct tail *t;
	size_t i;
	int fd;

	state_file(f, name, sizeof(name));
	put(f->log, "old\n");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd != -1);
		assert_int_equal(
		    write(fd, bad[i].text, bad[i].len), (ssize_t)bad[i].len);
		assert_int_equal(close(fd), 0);

		t = tail_new(NULL, f->log, f->state, 100, on_line, on_idle,
		    &f->g, f->err, sizeof(f->err));
		assert_non_null(t);
		if (strstr(f->err, "corrupt position file") == NULL)
			fail_msg("%s: got warning \"%s\"", bad[i].name, f->err);
		assert_int_equal(tail_poll(t), 0); /* started at the end */
		put(f->log, "new\n");
		assert_int_equal(tail_poll(t), 1);
		expect(&f->g, "new", NULL);
		tail_free(t);
	}
	/* The next start finds a good file again. */
	t = open_tail(f);
	tail_free(t);
}

/* read_file - a small file's text, NUL-terminated, into <buf> */
static void
read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	assert_true(fd != -1);
	n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_int_equal(close(fd), 0);
}

/* The position file keeps the log's first bytes themselves, in hex, so a
 * new file on a reused inode passes for the saved one only if it starts
 * with the very same bytes (no hash to collide). */
static void
test_tail_state_keeps_first_bytes(void **state)
{
	struct fix *f = *state;
	char name[512], text[600], hex[2 * 128 + 1];
	unsigned long long dev, ino, off;
	int skip, headlen, used = 0;
	const char *head =
	    "Dec 03 12:00:01 2026 (1234) test: pending a@b.example 192.0.2.1\n";
	struct tail *t;

	put(f->log, "");
	t = open_tail(f);
	put(f->log, head);
	put_n(f->log, 'x', 200);
	put(f->log, "\n");
	assert_int_equal(tail_poll(t), 2);
	got_clear(&f->g);
	tail_free(t);

	state_file(f, name, sizeof(name));
	read_file(name, text, sizeof(text));
	assert_int_equal(sscanf(text, "2 %llu %llu %llu %d %d %256[0-9a-f]\n%n",
	                     &dev, &ino, &off, &skip, &headlen, hex, &used),
	    6);
	assert_int_equal((size_t)used, strlen(text));
	assert_int_equal(ino, ino_of(f->log));
	assert_int_equal(off, strlen(head) + 201);
	assert_int_equal(skip, 0);
	assert_int_equal(headlen, 128);
	for (int i = 0; i < headlen; i++) {
		unsigned char c =
		    i < (int)strlen(head) ? (unsigned char)head[i] : 'x';
		char want[3];

		snprintf(want, sizeof(want), "%02x", c);
		if (memcmp(hex + 2 * i, want, 2) != 0)
			fail_msg(
			    "byte %d: %.2s, want %s", i, hex + 2 * i, want);
	}

	/* Same inode and length, one of those bytes changed: not resumed. */
	{
		int fd = open(f->log, O_WRONLY);

		assert_true(fd != -1);
		assert_int_equal(pwrite(fd, "N", 1, 0), 1);
		assert_int_equal(close(fd), 0);
	}
	t = open_tail(f);
	assert_int_equal(tail_poll(t), 2); /* read again from 0 */
	assert_int_equal(f->g.len[0], strlen(head) - 1);
	got_clear(&f->g);
	tail_free(t);
}

/* A version 1 position file (the FNV-1a hash of the first bytes) is still
 * resumed from, and rewritten as version 2; a wrong hash is a truncation. */
static void
test_tail_state_version1(void **state)
{
	struct fix *f = *state;
	const char *text = "history\n1\n2\n";
	char name[512], line[256];
	struct tail_status st;
	struct stat sb;
	struct tail *t;
	size_t headlen = strlen(text);
	uint64_t h = fnv_bytes(FNV_BASIS, text, headlen);
	int fd, len;

	put(f->log, text);
	assert_int_equal(stat(f->log, &sb), 0);
	state_file(f, name, sizeof(name));
	for (int wrong = 0; wrong < 2; wrong++) {
		len =
		    snprintf(line, sizeof(line), "1 %llu %llu %zu 0 %zu %llx\n",
		        (unsigned long long)sb.st_dev,
		        (unsigned long long)sb.st_ino, strlen("history\n1\n"),
		        headlen, (unsigned long long)(h ^ (uint64_t)wrong));
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd != -1);
		assert_int_equal(write(fd, line, (size_t)len), len);
		assert_int_equal(close(fd), 0);

		t = open_tail(f);
		if (!wrong) {
			assert_int_equal(tail_poll(t), 1);
			expect(&f->g, "2", NULL);
		} else {
			assert_int_equal(tail_poll(t), 3);
			expect(&f->g, "history", "1", "2", NULL);
			tail_status(t, &st);
			assert_int_equal(st.truncations, 1);
		}
		tail_free(t);
		read_file(name, line, sizeof(line));
		assert_int_equal(line[0], '2');
	}
}

static void
test_tail_state_name_encoding(void **state)
{
	struct fix *f = *state;
	char path[160], name[320];
	struct stat sb;
	struct tail *t;

	snprintf(path, sizeof(path), "%s/my_log file", f->dir);
	put(path, "");
	t = tail_new(NULL, path, f->state, 100, on_line, NULL, &f->g, f->err,
	    sizeof(f->err));
	assert_non_null(t);
	tail_free(t);
	/* "/tmp/tailtest.ABCDEF/my_log file", encoded by hand. */
	snprintf(name, sizeof(name),
	    "%s/tail._tmp_tailtest.%s_my%%5Flog%%20file.pos", f->state,
	    f->dir + strlen("/tmp/tailtest."));
	if (stat(name, &sb) == -1)
		fail_msg("%s: %s", name, strerror(errno));
}

static void
test_tail_ten_thousand_lines(void **state)
{
	struct fix *f = *state;
	char *buf, want[32];
	struct tail *t;
	size_t len = 0, i;

	put(f->log, "");
	t = open_tail(f);
	buf = malloc(10000 * 16 + 1);
	assert_non_null(buf);
	for (i = 0; i < 10000; i++)
		len += (size_t)sprintf(buf + len, "line %05zu\n", i);
	put(f->log, buf);
	free(buf);
	assert_int_equal(tail_poll(t), 10000);
	assert_int_equal(f->g.n, 10000);
	assert_int_equal(f->g.idles, 1);
	for (i = 0; i < 10000; i++) {
		snprintf(want, sizeof(want), "line %05zu", i);
		assert_string_equal(f->g.line[i], want);
	}
	got_clear(&f->g);
	tail_free(t);
}

/* put_backlog - append <n> numbered 64-byte lines */
static void
put_backlog(const char *path, size_t n)
{
	char *buf = malloc(n * 64 + 1);
	size_t i;

	assert_non_null(buf);
	/* "00000042 000...0\n": a number, then zeros up to 64 bytes. */
	memset(buf, '0', n * 64);
	for (i = 0; i < n; i++) {
		char num[32];

		snprintf(num, sizeof(num), "%08zu ", i % 100000000);
		memcpy(buf + i * 64, num, 9);
		buf[i * 64 + 63] = '\n';
	}
	buf[n * 64] = '\0';
	put(path, buf);
	free(buf);
}

static void
test_tail_backlog_in_slices(void **state)
{
	struct fix *f = *state;
	struct tail *t;
	size_t n = 100000; /* 6.1 MB: more than one poll reads */
	int polls = 0, rc;

	put(f->log, "");
	t = open_tail(f);
	put_backlog(f->log, n);
	rc = tail_poll(t);
	assert_true(rc > 0 && (size_t)rc < n);
	assert_int_equal(f->g.idles, 0); /* not at the end yet */
	while (f->g.n < n && polls++ < 10)
		assert_true(tail_poll(t) > 0);
	assert_int_equal(f->g.n, n);
	assert_int_equal(f->g.idles, 1);
	assert_memory_equal(f->g.line[n - 1], "00099999 ", 9);
	got_clear(&f->g);
	tail_free(t);
}

static void
test_tail_refuses_fifo_and_directory(void **state)
{
	struct fix *f = *state;
	struct tail *t;

	assert_int_equal(mkfifo(f->log, 0600), 0);
	t = tail_new(NULL, f->log, f->state, 100, on_line, NULL, &f->g, f->err,
	    sizeof(f->err));
	assert_null(t);
	assert_int_equal(errno, ESPIPE);
	assert_non_null(strstr(f->err, "not a regular file (a FIFO)"));

	t = tail_new(NULL, f->state, f->state, 100, on_line, NULL, &f->g,
	    f->err, sizeof(f->err));
	assert_null(t);
	assert_int_equal(errno, EISDIR);
	assert_non_null(strstr(f->err, "a directory"));
}

static void
test_tail_fifo_appears_at_runtime(void **state)
{
	struct fix *f = *state;
	struct tail_status st;
	struct tail *t;

	put(f->log, "");
	t = open_tail(f);
	assert_int_equal(rename(f->log, f->old), 0);
	assert_int_equal(mkfifo(f->log, 0600), 0);
	assert_int_equal(tail_poll(t), 0); /* does not block */
	tail_status(t, &st);
	assert_int_equal(st.open, -ESPIPE);
	assert_int_equal(st.rotations, 1);
	assert_int_equal(tail_poll(t), 0);

	assert_int_equal(unlink(f->log), 0);
	put(f->log, "ok\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "ok", NULL);
	tail_status(t, &st);
	assert_int_equal(st.open, 1);
	tail_free(t);
}

static void
test_tail_save_error_is_reported(void **state)
{
	struct fix *f = *state;
	char name[512];
	struct tail_status st;
	struct stat sb;
	struct tail *t;

	put(f->log, "");
	t = open_tail(f);
	state_file(f, name, sizeof(name));
	assert_int_equal(unlink(name), 0);
	assert_int_equal(rmdir(f->state), 0);
	put(f->log, "a\n");
	errno = 0;
	assert_int_equal(tail_poll(t), -1);
	assert_int_equal(errno, ENOENT);
	expect(&f->g, "a", NULL); /* delivered all the same */
	tail_status(t, &st);
	assert_int_equal(st.error, ENOENT);
	assert_int_equal(st.lines, 1);

	/* Retried on the next poll, although nothing new was read. */
	assert_int_equal(mkdir(f->state, 0700), 0);
	assert_int_equal(tail_poll(t), 0);
	tail_status(t, &st);
	assert_int_equal(st.error, 0);
	assert_int_equal(stat(name, &sb), 0);
	tail_free(t);
}

static void
test_tail_without_state_dir(void **state)
{
	struct fix *f = *state;
	struct tail *t;

	put(f->log, "old\n");
	t = tail_new(NULL, f->log, NULL, 100, on_line, NULL, &f->g, f->err,
	    sizeof(f->err));
	assert_non_null(t);
	put(f->log, "new\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "new", NULL);
	assert_int_equal(tail_save(t), 0);
	tail_free(t);
	assert_int_equal(rmdir(f->state), 0); /* still empty */
	assert_int_equal(mkdir(f->state, 0700), 0);
}

static void
test_tail_bad_arguments(void **state)
{
	struct fix *f = *state;
	struct event_base *base = event_base_new();

	assert_non_null(base);
	assert_null(tail_new(base, f->log, NULL, 0, on_line, NULL, NULL, f->err,
	    sizeof(f->err)));
	assert_int_equal(errno, EINVAL);
	assert_null(tail_new(
	    NULL, f->log, NULL, 100, NULL, NULL, NULL, f->err, sizeof(f->err)));
	assert_null(
	    tail_new(NULL, "", NULL, 100, on_line, NULL, NULL, NULL, 0));
	tail_free(NULL);
	event_base_free(base);
}

static void
test_tail_event_loop(void **state)
{
	struct fix *f = *state;
	struct event_base *base = event_base_new();
	struct tail *t;
	size_t n = 100000;
	int ticks;

	assert_non_null(base);
	put(f->log, "history\n");
	t = tail_new(base, f->log, f->state, 1, on_line, on_idle, &f->g, f->err,
	    sizeof(f->err));
	assert_non_null(t);
	put(f->log, "e1\ne2\ne3\n");
	for (ticks = 0; ticks < 100 && f->g.n < 3; ticks++)
		assert_int_equal(event_base_loop(base, EVLOOP_ONCE), 0);
	expect(&f->g, "e1", "e2", "e3", NULL);
	assert_int_equal(f->g.idles, 1);

	/* A backlog larger than one poll continues without waiting. */
	put_backlog(f->log, n);
	for (ticks = 0; ticks < 100 && f->g.n < n; ticks++)
		assert_int_equal(event_base_loop(base, EVLOOP_ONCE), 0);
	assert_int_equal(f->g.n, n);
	assert_int_equal(f->g.idles, 2);
	got_clear(&f->g);
	tail_free(t);
	event_base_free(base);

	/* The timer saved the position: a restart has nothing to repeat. */
	t = open_tail(f);
	put(f->log, "after\n");
	assert_int_equal(tail_poll(t), 1);
	expect(&f->g, "after", NULL);
	tail_free(t);
}

static void
test_tail_event_loop_continues_backlog(void **state)
{
	struct fix *f = *state;
	struct event_base *base = event_base_new();
	struct tail *t;
	size_t n = 100000;
	int rounds;

	/* An hour-long interval: only the zero timeout can continue. */
	assert_non_null(base);
	put(f->log, "");
	t = tail_new(base, f->log, f->state, 3600 * 1000, on_line, on_idle,
	    &f->g, f->err, sizeof(f->err));
	assert_non_null(t);
	put_backlog(f->log, n);
	assert_true(tail_poll(t) > 0);
	assert_true(f->g.n < n);
	for (rounds = 0; rounds < 10 && f->g.n < n; rounds++)
		assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(f->g.n, n);
	assert_int_equal(f->g.idles, 1);
	got_clear(&f->g);
	tail_free(t);
	event_base_free(base);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_tail_starts_at_end),
	    T(test_tail_starts_at_end_inside_overlong_line),
	    T(test_tail_starts_at_start_of_unfinished_line),
	    T(test_tail_partial_lines),
	    T(test_tail_crlf),
	    T(test_tail_rename_rotation),
	    T(test_tail_rename_then_missing_then_created),
	    T(test_tail_unlinked_then_created),
	    T(test_tail_copytruncate),
	    T(test_tail_restart_resumes),
	    T(test_tail_restart_inside_overlong_line),
	    T(test_tail_rotated_while_down_old_found),
	    T(test_tail_rotated_while_down_old_gone),
	    T(test_tail_truncated_while_down),
	    T(test_tail_missing_then_created),
	    T(test_tail_overlong_line),
	    T(test_tail_state_corrupt),
	    T(test_tail_state_keeps_first_bytes),
	    T(test_tail_state_version1),
	    T(test_tail_state_name_encoding),
	    T(test_tail_ten_thousand_lines),
	    T(test_tail_backlog_in_slices),
	    T(test_tail_refuses_fifo_and_directory),
	    T(test_tail_fifo_appears_at_runtime),
	    T(test_tail_save_error_is_reported),
	    T(test_tail_without_state_dir),
	    T(test_tail_bad_arguments),
	    T(test_tail_event_loop),
	    T(test_tail_event_loop_continues_backlog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
