/*
 * test_journal.c -- milter/journal.c: records written are replayed as they
 * were, in order, across generations, with their times moved; a cut or
 * damaged record ends a file's replay; pruning; bad names and files.
 */
#include <sys/stat.h>

#include <dirent.h>
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

#include "../testdir.h"
#include "journal.h"

#define MAX_SEEN 64
#define POL "limit ip 5/12h hold ban 1d\nlimit list * 200/1h hold\n"

/* What a replay handed over, copied. */
struct seen {
	size_t n;
	struct {
		int judge; /* 1 judge, 0 key, 2 policy */
		uint64_t now_ms;
		char list[300], domain[300], id[3000];
		struct origin o;
		enum action floor;
		int reset;
		enum scope scope;
		uint8_t key[300];
		size_t len;
		char text[300]; /* a policy, NUL added */
	} r[MAX_SEEN];
};

static void
on_judge(void *arg, const struct journal_judge *j)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	s->r[s->n].judge = 1;
	s->r[s->n].now_ms = j->now_ms;
	snprintf(s->r[s->n].list, sizeof(s->r[0].list), "%s", j->list);
	snprintf(s->r[s->n].domain, sizeof(s->r[0].domain), "%s", j->domain);
	snprintf(s->r[s->n].id, sizeof(s->r[0].id), "%s", j->id);
	s->r[s->n].o = *j->origin;
	s->r[s->n].floor = j->floor;
	s->n++;
}

static void
on_key(void *arg, const struct journal_key *k)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	assert_true(k->len <= sizeof(s->r[0].key));
	s->r[s->n].judge = 0;
	s->r[s->n].now_ms = k->now_ms;
	s->r[s->n].reset = k->reset;
	s->r[s->n].scope = k->scope;
	memcpy(s->r[s->n].key, k->key, k->len);
	s->r[s->n].len = k->len;
	s->n++;
}

static void
on_policy(void *arg, const char *text, size_t len)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	assert_true(len < sizeof(s->r[0].text));
	s->r[s->n].judge = 2;
	memcpy(s->r[s->n].text, text, len);
	s->r[s->n].text[len] = '\0';
	s->r[s->n].len = len;
	s->n++;
}

/* sink - the three callbacks above, into <s> */
static struct journal_sink
sink(struct seen *s)
{
	struct journal_sink k = {on_judge, on_key, on_policy, s};

	return k;
}

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/journaltest.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	testdir_remove(dir);
	return 0;
}

/* an origin of each kind */
static void
origin_ip(struct origin *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = ORIGIN_IP;
	o->ip.family = 4;
	memcpy(o->ip.bytes, "\xc0\x00\x02\x07", 4);
	memcpy(o->ipkey, "\x04\xc0\x00\x02\x07", 5);
	o->ipkey_len = 5;
	memcpy(o->subnetkey, "\x04\xc0\x00\x02\x18", 5);
	o->subnetkey_len = 5;
}

static void
origin_mail(struct origin *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = ORIGIN_MAIL;
	o->ipkey[0] = '@';
	memcpy(o->ipkey + 1, "mallory@example.com", 19);
	o->ipkey_len = 20;
}

static void
assert_origin_equal(const struct origin *a, const struct origin *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->ip.family, b->ip.family);
	assert_memory_equal(a->ip.bytes, b->ip.bytes, 16);
	assert_int_equal(a->ipkey_len, b->ipkey_len);
	assert_memory_equal(a->ipkey, b->ipkey, a->ipkey_len);
	assert_int_equal(a->subnetkey_len, b->subnetkey_len);
	assert_memory_equal(a->subnetkey, b->subnetkey, a->subnetkey_len);
}

/* path_of - the file of generation <gen> */
static void
path_of(char *buf, size_t size, uint64_t gen)
{
	snprintf(buf, size, "%s/%s%llu", dir, JOURNAL_PREFIX,
	    (unsigned long long)gen);
}

static void
replay(uint64_t from, uint64_t wall, uint64_t engine, struct seen *s,
    struct journal_replay_info *info)
{
	char err[256];
	struct journal_sink k = sink(s);

	memset(s, 0, sizeof(*s));
	assert_int_equal(
	    journal_replay(dir, from, wall, engine, &k, info, err, sizeof(err)),
	    0);
}

static void
test_journal_round_trip(void **state)
{
	struct origin ip, mail, none;
	char err[256], longid[2001];
	struct journal *j;
	struct journal_replay_info info;
	struct seen *s = calloc(1, sizeof(*s));
	uint8_t key[] = {4, 198, 51, 100, 7};

	(void)state;
	origin_ip(&ip);
	origin_mail(&mail);
	memset(&none, 0, sizeof(none));
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	j = journal_open(dir, 1, 1000000, 5000, err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(journal_gen(j), 1);
	{
		struct journal_judge a = {5100, "test", "example.com",
		    "<a@example.org>", &ip, ACT_ACCEPT};
		struct journal_judge b = {
		    5200, "Big List", "", "", &mail, ACT_HOLD};
		struct journal_judge c = {
		    5300, "x", "d\xe9.example", longid, &none, ACT_ACCEPT};
		struct journal_key u = {5400, 0, SCOPE_IP, key, sizeof(key)};
		struct journal_key r = {0, 1, SCOPE_SUBNET, key, 4};

		assert_int_equal(journal_add_judge(j, &a), 0);
		assert_int_equal(journal_add_judge(j, &b), 0);
		assert_int_equal(journal_add_key(j, &u), 0);
		assert_int_equal(journal_add_judge(j, &c), 0);
		assert_int_equal(journal_add_key(j, &r), 0);
		assert_int_equal(journal_add_policy(j, POL, strlen(POL)), 0);
		assert_int_equal(journal_add_policy(j, "", 0), 0);
	}
	assert_int_equal(journal_failures(j), 0);
	journal_close(j, 0);

	/* same clocks: same times */
	replay(0, 1000000, 5000, s, &info);
	assert_int_equal(info.files, 1);
	assert_int_equal(info.records, 5);
	assert_int_equal(info.policies, 2);
	assert_int_equal(info.torn, 0);
	assert_int_equal(info.max_gen, 1);
	assert_int_equal(s->n, 7);
	assert_int_equal(s->r[5].judge, 2);
	assert_string_equal(s->r[5].text, POL);
	assert_int_equal(s->r[6].judge, 2);
	assert_int_equal(s->r[6].len, 0);
	assert_true(s->r[0].judge);
	assert_int_equal(s->r[0].now_ms, 5100);
	assert_string_equal(s->r[0].list, "test");
	assert_string_equal(s->r[0].domain, "example.com");
	assert_string_equal(s->r[0].id, "<a@example.org>");
	assert_origin_equal(&s->r[0].o, &ip);
	assert_int_equal(s->r[0].floor, ACT_ACCEPT);
	assert_string_equal(s->r[1].list, "Big List");
	assert_string_equal(s->r[1].domain, "");
	assert_string_equal(s->r[1].id, "");
	assert_origin_equal(&s->r[1].o, &mail);
	assert_int_equal(s->r[1].floor, ACT_HOLD);
	assert_false(s->r[2].judge);
	assert_int_equal(s->r[2].now_ms, 5400);
	assert_int_equal(s->r[2].reset, 0);
	assert_int_equal(s->r[2].scope, SCOPE_IP);
	assert_int_equal(s->r[2].len, sizeof(key));
	assert_memory_equal(s->r[2].key, key, sizeof(key));
	assert_string_equal(s->r[3].domain, "d\xe9.example");
	assert_string_equal(s->r[3].id, longid);
	assert_origin_equal(&s->r[3].o, &none);
	assert_int_equal(s->r[4].reset, 1);
	assert_int_equal(s->r[4].scope, SCOPE_SUBNET);
	assert_int_equal(s->r[4].len, 4);

	/* 60 s later on the wall clock: a time moves by the engine time
	 * passed less the wall time passed (written at engine 5,000, wall
	 * 1,000,000). Engine now 200,000: 5,100 + 195,000 - 60,000. After a
	 * reboot, engine now 2,000: below 0, clamped to 0. */
	replay(0, 1060000, 200000, s, &info);
	assert_int_equal(s->r[0].now_ms, 5100 + (200000 - 5000) - 60000);
	replay(0, 1060000, 2000, s, &info);
	assert_int_equal(s->r[0].now_ms, 0);
	free(s);
}

static void
test_journal_generations_and_prune(void **state)
{
	struct origin ip;
	char err[256], path[256];
	struct journal *j;
	struct journal_replay_info info;
	struct seen *s = calloc(1, sizeof(*s));
	struct journal_judge a = {1, "one", "", "", &ip, ACT_ACCEPT};

	(void)state;
	origin_ip(&ip);
	j = journal_open(dir, 7, 0, 0, err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(journal_add_judge(j, &a), 0);
	assert_int_equal(journal_rotate(j, 0, 0, err, sizeof(err)), 8);
	a.list = "two";
	assert_int_equal(journal_add_judge(j, &a), 0);
	assert_int_equal(journal_rotate(j, 0, 0, err, sizeof(err)), 9);
	a.list = "three";
	assert_int_equal(journal_add_judge(j, &a), 0);

	/* not journals: ignored */
	snprintf(path, sizeof(path), "%s/%sx", dir, JOURNAL_PREFIX);
	assert_int_equal(close(creat(path, 0600)), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_PREFIX);
	assert_int_equal(close(creat(path, 0600)), 0);

	replay(0, 0, 0, s, &info);
	assert_int_equal(info.files, 3);
	assert_int_equal(info.max_gen, 9);
	assert_int_equal(s->n, 3);
	assert_string_equal(s->r[0].list, "one");
	assert_string_equal(s->r[1].list, "two");
	assert_string_equal(s->r[2].list, "three");
	replay(8, 0, 0, s, &info);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->r[0].list, "two");
	assert_int_equal(info.max_gen, 9);

	journal_prune(dir, 9);
	path_of(path, sizeof(path), 7);
	assert_int_equal(access(path, F_OK), -1);
	path_of(path, sizeof(path), 8);
	assert_int_equal(access(path, F_OK), -1);
	replay(0, 0, 0, s, &info);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->r[0].list, "three");

	/* closing with remove takes the current file away */
	journal_close(j, 1);
	path_of(path, sizeof(path), 9);
	assert_int_equal(access(path, F_OK), -1);
	free(s);
}

/* write_journal - gen 1 with three judge records; its size */
static off_t
write_journal(void)
{
	struct origin ip;
	char err[256], path[256];
	struct journal *j;
	struct journal_judge a = {1, "a", "", "", &ip, ACT_ACCEPT};
	struct stat st;

	origin_ip(&ip);
	j = journal_open(dir, 1, 0, 0, err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(journal_add_judge(j, &a), 0);
	a.list = "b";
	assert_int_equal(journal_add_judge(j, &a), 0);
	a.list = "c";
	assert_int_equal(journal_add_judge(j, &a), 0);
	journal_close(j, 0);
	path_of(path, sizeof(path), 1);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void
test_journal_torn_and_damaged(void **state)
{
	char path[256];
	struct journal_replay_info info;
	struct seen *s = calloc(1, sizeof(*s));
	off_t size;
	int fd;

	(void)state;
	path_of(path, sizeof(path), 1);

	/* a write cut by a crash: the last record is dropped */
	size = write_journal();
	assert_int_equal(truncate(path, size - 5), 0);
	replay(0, 0, 0, s, &info);
	assert_int_equal(s->n, 2);
	assert_int_equal(info.torn, 1);
	assert_string_equal(s->r[1].list, "b");

	/* a damaged byte in the middle record: replay stops before it */
	size = write_journal();
	fd = open(path, O_WRONLY);
	assert_true(fd != -1);
	/* the record of "b" starts a third of the way after the header */
	assert_int_equal(pwrite(fd, "Z", 1, 40 + (size - 40) / 3 + 20), 1);
	assert_int_equal(close(fd), 0);
	replay(0, 0, 0, s, &info);
	assert_int_equal(s->n, 1);
	assert_int_equal(info.torn, 1);

	/* not a journal at all */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "hello", 5), 5);
	assert_int_equal(close(fd), 0);
	replay(0, 0, 0, s, &info);
	assert_int_equal(s->n, 0);
	assert_int_equal(info.files, 1);
	assert_int_equal(info.torn, 1);

	/* an empty journal (header only) is fine */
	{
		char err[256];
		struct journal *j =
		    journal_open(dir, 1, 0, 0, err, sizeof(err));

		journal_close(j, 0);
	}
	replay(0, 0, 0, s, &info);
	assert_int_equal(s->n, 0);
	assert_int_equal(info.torn, 0);
	free(s);
}

static void
test_journal_refuses_oversized(void **state)
{
	struct origin ip;
	char err[256], *big = malloc(70000);
	struct journal *j;
	struct journal_judge a = {1, "a", "", "", &ip, ACT_ACCEPT};
	struct journal_replay_info info;
	struct seen *s = calloc(1, sizeof(*s));

	(void)state;
	origin_ip(&ip);
	memset(big, 'y', 69999);
	big[69999] = '\0';
	j = journal_open(dir, 3, 0, 0, err, sizeof(err));
	assert_non_null(j);
	a.id = big;
	assert_int_equal(journal_add_judge(j, &a), -1);
	a.id = "";
	assert_int_equal(journal_add_judge(j, &a), 0);
	/* a policy text over JOURNAL_POLICY_MAX (never read) */
	assert_int_equal(
	    journal_add_policy(j, big, (size_t)JOURNAL_POLICY_MAX + 1), -1);
	/* a policy its owner could not print */
	assert_int_equal(journal_add_policy(j, NULL, 0), -1);
	assert_int_equal(journal_failures(j), 3);
	assert_int_equal(journal_failures(j), 0);
	journal_close(j, 0);
	replay(0, 0, 0, s, &info);
	assert_int_equal(s->n, 1);
	assert_int_equal(info.torn, 0);
	free(big);
	free(s);
}

static void
test_journal_bad_dir(void **state)
{
	char err[256];
	struct journal_replay_info info;
	struct journal_sink k = sink(NULL);

	(void)state;
	assert_null(
	    journal_open("/nonexistent/dir", 1, 0, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/dir/counters.journal.1"));
	assert_int_equal(journal_replay("/nonexistent/dir", 0, 0, 0, &k, &info,
	                     err, sizeof(err)),
	    -1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_journal_round_trip),
	    T(test_journal_generations_and_prune),
	    T(test_journal_torn_and_damaged),
	    T(test_journal_refuses_oversized),
	    T(test_journal_bad_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
