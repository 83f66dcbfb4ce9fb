/*
 * floor_replay.c -- only the core of a replay's work, simply done
 *
 * A yardstick for tests/bench/bench_replay.sh, not a replay: it measures
 * how many lines per second this machine can go through when it does only
 * what no replay can skip, simply, with the shortcuts in its favour, so
 * the replay's figures and targets can be read against what the hardware
 * allows. Not a proven lower bound: cleverer code could beat it.
 *
 * Per line it finds the end of the line, the list, the address's domain
 * and the remote IP and its network by plain byte search (no prefix
 * check, no date, no real name, no quoting, no IPv6 rules, no forwarded-
 * for chain), hashes those four keys with the SipHash-2-4 that subgate's
 * tables use (the keys are attacker text, so the hash must be keyed;
 * the hashes of list and domain names, which repeat, are remembered in
 * a small table, as replay does), and
 * counts each key in an open-addressing table of 16-byte slots sized
 * ahead (never grown), prefetched 16 lines ahead, that stores the hash
 * alone (no key string to compare, no window of times, no LRU order, no
 * policy). Lines that do not fit the shape are skipped.
 *
 * The log is split at a newline near its middle and each half runs on
 * its own thread with its own tables: the whole machine (2 cores) on
 * perfectly parallel work, which no ordered replay has.
 *
 * Usage:  floor_replay [--threads 1|2] LOG      (default 2 threads)
 * Prints one JSON object: {"lines":N,"wall_s":S,"lps":N,"threads":N,
 * "keys":N}, keys summed over the threads' tables. The time counts the
 * lines' work only: mapping the log, counting its lines to size the
 * tables and faulting their pages in come before. Exit 0, 1 on an
 * unreadable log, 2 on a usage error.
 *
 * Build (what bench_replay.sh does):
 *   cc -O2 -I policy -o floor_replay tests/bench/floor_replay.c \
 *      policy/siphash.c -lpthread
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "siphash.h"

#define FLOOR_AHEAD 16  /* lines between a prefetch and its use */
#define FLOOR_KEYS 4    /* list, domain, ip, subnet */
#define MEMO_SLOTS 4096 /* remembered list and domain hashes */
#define MEMO_LEN 48     /* longer names are hashed every time */

/* A list or domain name seen before and its hash: these repeat, and
 * replay remembers their hashes too (decide_memo). */
struct floor_memo {
	uint64_t hash; /* 0: empty */
	uint8_t len;
	char name[MEMO_LEN];
};

struct floor_slot {
	uint64_t hash; /* 0: empty */
	uint32_t count;
	uint32_t last; /* seconds of the day of the newest event */
};

struct floor_job {
	const char *begin, *end;
	uint64_t k0, k1;
	struct floor_slot *tab[FLOOR_KEYS];
	struct floor_memo *memo[2]; /* lists, domains */
	size_t mask;
	size_t lines, keys;
	/* hashes and times waiting for their prefetch to land */
	uint64_t ring[FLOOR_AHEAD][FLOOR_KEYS];
	uint32_t ring_t[FLOOR_AHEAD];
};

static uint64_t
floor_hash(const struct floor_job *j, const char *p, size_t n)
{
	return siphash24(j->k0, j->k1, p, n) | 1;
}

/* floor_hash_memo - floor_hash through memo <m> (0 lists, 1 domains) */
static uint64_t
floor_hash_memo(const struct floor_job *j, int m, const char *p, size_t n)
{
	struct floor_memo *e;

	if (n == 0 || n > MEMO_LEN)
		return floor_hash(j, p, n);
	e = &j->memo[m][(n * 31 + (unsigned char)p[0] * 7 +
	                    (unsigned char)p[n / 2] * 13 +
	                    (unsigned char)p[n - 1]) %
	    MEMO_SLOTS];
	if (e->hash == 0 || e->len != n || memcmp(e->name, p, n) != 0) {
		e->hash = floor_hash(j, p, n);
		e->len = (uint8_t)n;
		memcpy(e->name, p, n);
	}
	return e->hash;
}

static void
floor_count(struct floor_job *j, const uint64_t *h, uint32_t t)
{
	for (int s = 0; s < FLOOR_KEYS; s++) {
		struct floor_slot *tab = j->tab[s];
		size_t i = h[s] & j->mask;

		while (tab[i].hash && tab[i].hash != h[s])
			i = (i + 1) & j->mask;
		if (!tab[i].hash) {
			tab[i].hash = h[s];
			j->keys++;
		}
		tab[i].count++;
		tab[i].last = t;
	}
}

/* One line [p, nl): its four key hashes into h and its time into *t;
 * 0 when the line has not the shape of a pending line. */
static int
floor_line(const struct floor_job *j, const char *p, const char *nl,
    uint64_t *h, uint32_t *t)
{
	const char *q, *c, *a, *sp, *at, *ip, *net;

	if (nl - p < 40)
		return 0;
	*t = (uint32_t)((p[7] - '0') * 36000 + (p[8] - '0') * 3600 +
	    (p[10] - '0') * 600 + (p[11] - '0') * 60 + (p[13] - '0') * 10 +
	    (p[14] - '0'));
	q = memchr(p + 21, ')', (size_t)(nl - p - 21));
	if (!q || nl - q < 3)
		return 0;
	q += 2;
	c = memchr(q, ':', (size_t)(nl - q));
	if (!c || nl - c < 11)
		return 0;
	a = c + 10; /* ": pending " */
	sp = memchr(a, ' ', (size_t)(nl - a));
	if (!sp || nl - sp < 3)
		return 0;
	at = memrchr(a, '@', (size_t)(sp - a));
	at = at ? at + 1 : a;
	ip = sp + 2;
	net =
	    memrchr(ip, ip[0] && memchr(ip, ':', (size_t)(nl - ip)) ? ':' : '.',
	        (size_t)(nl - ip));
	if (!net)
		net = nl;
	h[0] = floor_hash_memo(j, 0, q, (size_t)(c - q));
	h[1] = floor_hash_memo(j, 1, at, (size_t)(sp - at));
	h[2] = floor_hash(j, ip, (size_t)(nl - ip));
	h[3] = floor_hash(j, ip, (size_t)(net - ip));
	return 1;
}

static void *
floor_run(void *arg)
{
	struct floor_job *j = arg;
	size_t n = 0; /* lines queued in the ring */

	for (const char *p = j->begin; p < j->end;) {
		const char *nl = memchr(p, '\n', (size_t)(j->end - p));
		uint64_t *h = j->ring[n % FLOOR_AHEAD];

		if (!nl)
			nl = j->end;
		j->lines++;
		if (floor_line(j, p, nl, h, &j->ring_t[n % FLOOR_AHEAD])) {
			for (int s = 0; s < FLOOR_KEYS; s++)
				__builtin_prefetch(
				    &j->tab[s][h[s] & j->mask], 1);
			n++;
			if (n >= FLOOR_AHEAD)
				floor_count(j, j->ring[n % FLOOR_AHEAD],
				    j->ring_t[n % FLOOR_AHEAD]);
		}
		p = nl + 1;
	}
	for (size_t k = n >= FLOOR_AHEAD ? n - FLOOR_AHEAD + 1 : 0; k < n; k++)
		floor_count(
		    j, j->ring[k % FLOOR_AHEAD], j->ring_t[k % FLOOR_AHEAD]);
	return NULL;
}

static void
floor_usage(void)
{
	fprintf(stderr, "usage: floor_replay [--threads 1|2] LOG\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int threads = 2, fd;
	const char *path = NULL, *base, *mid;
	struct stat st;
	struct floor_job job[2];
	pthread_t tid[2];
	struct timespec t0, t1;
	uint64_t key[2];
	size_t slots = 1024, lines = 0, keys = 0;
	double wall;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			threads = atoi(argv[++i]);
			if (threads != 1 && threads != 2)
				floor_usage();
		} else if (argv[i][0] == '-' || path) {
			floor_usage();
		} else {
			path = argv[i];
		}
	}
	if (!path)
		floor_usage();
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		perror(path);
		return 1;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (base == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	if (getrandom(key, sizeof key, 0) != sizeof key)
		key[0] = (uint64_t)time(NULL), key[1] = (uint64_t)getpid();
	/* at most half full if every line of a half brought a new key */
	for (const char *p = base, *e = base + st.st_size; p < e; lines++) {
		p = memchr(p, '\n', (size_t)(e - p));
		p = p ? p + 1 : e;
	}
	while (slots < 2 * lines / (size_t)threads)
		slots *= 2;
	lines = 0;
	mid = base + st.st_size;
	if (threads == 2) {
		mid = memchr(base + st.st_size / 2, '\n',
		    (size_t)(st.st_size - st.st_size / 2));
		mid = mid ? mid + 1 : base + st.st_size;
	}
	for (int t = 0; t < threads; t++) {
		memset(&job[t], 0, sizeof job[t]);
		job[t].begin = t == 0 ? base : mid;
		job[t].end = t == 0 ? mid : base + st.st_size;
		job[t].k0 = key[0];
		job[t].k1 = key[1];
		job[t].mask = slots - 1;
		for (int m = 0; m < 2; m++)
			if (!(job[t].memo[m] = calloc(
			          MEMO_SLOTS, sizeof(struct floor_memo)))) {
				perror("calloc");
				return 1;
			}
		for (int s = 0; s < FLOOR_KEYS; s++) {
			job[t].tab[s] =
			    calloc(slots, sizeof(struct floor_slot));
			if (!job[t].tab[s]) {
				perror("calloc");
				return 1;
			}
			/* touch the pages now, as a replay's warm table would
			 * be */
			for (size_t i = 0; i < slots; i += 256)
				job[t].tab[s][i].count = 0;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int t = 0; t < threads; t++)
		if (pthread_create(&tid[t], NULL, floor_run, &job[t]) != 0) {
			perror("pthread_create");
			return 1;
		}
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	wall = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (int t = 0; t < threads; t++) {
		lines += job[t].lines;
		keys += job[t].keys;
	}
	printf("{\"lines\":%zu,\"wall_s\":%.6f,\"lps\":%.0f,\"threads\":%d,"
	       "\"keys\":%zu}\n",
	    lines, wall, wall > 0 ? (double)lines / wall : 0.0, threads, keys);
	return 0;
}
