/*
 * ctl_top.c -- subgatectl top: who is asking for subscriptions
 *
 * DESCRIPTION
 *	"subgatectl top [-n N] [--json] LOG...": among the "pending" records
 *	of Mailman subscribe logs (plain or .gz), the top originating
 *	addresses, subnets, recipient domains and lists, with the time span
 *	and the counts of lines, requests and unparsable records. Origins are
 *	read as the engine reads them (forwarded-for chains, trusted_proxies,
 *	prefix lengths from subgate.conf); the address is taken from the
 *	record's <...> or bare token, never from a real name.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "jsonw.h"
#include "numparse.h"
#include "origin.h"
#include "tally.h"

enum { T_IP, T_SUBNET, T_DOMAIN, T_LIST, T_COUNT };
static const char *const tally_names[T_COUNT] = {
    "ips", "subnets", "domains", "lists"};

struct top {
	const struct conf *conf;
	struct tally *t[T_COUNT];
	uint64_t pending;
	int64_t first, last; /* time span of the pending records */
	int oom;
};

/* top_record - count one pending record */
static int
top_record(const struct logev *ev, uint64_t lineno, void *arg)
{
	struct top *tp = arg;
	struct origin o;
	const char *at;

	(void)lineno;
	if (ev->kind != LOGEV_PENDING)
		return 0;
	if (tp->pending++ == 0 || ev->time < tp->first)
		tp->first = ev->time;
	if (ev->time > tp->last)
		tp->last = ev->time;
	origin_from_remote(&tp->conf->origin, ev->remote.p, ev->remote.len, &o);
	at = strrchr(ev->addr, '@');
	if (tally_add(tp->t[T_IP], o.ipkey, o.ipkey_len, 1) != 0 ||
	    (o.subnetkey_len > 0 &&
	        tally_add(tp->t[T_SUBNET], o.subnetkey, o.subnetkey_len, 1) !=
	            0) ||
	    (at != NULL &&
	        tally_add(tp->t[T_DOMAIN], at + 1, strlen(at + 1), 1) != 0) ||
	    tally_add(tp->t[T_LIST], ev->list, strlen(ev->list), 1) != 0) {
		tp->oom = 1;
		return 1;
	}
	return 0;
}

/* key_text - a tallied key as text: origin keys are printed */
static size_t
key_text(int which, const struct tally_item *it, char *buf, size_t size)
{
	size_t n;

	if (which == T_IP || which == T_SUBNET)
		return origin_key_format(it->key, it->len, buf, size);
	n = it->len < size - 1 ? it->len : size - 1;
	memcpy(buf, it->key, n);
	buf[n] = '\0';
	return n;
}

/* print_json - the whole report as one JSON object */
static void
print_json(struct top *tp, const struct ctl_input_stats *st,
    struct tally_item *items, size_t n)
{
	char key[512];
	int w;
	size_t i, k;

	printf("{\"lines\":%llu,\"records\":%llu,\"pending\":%llu,"
	       "\"errors\":%llu,\"first\":%lld,\"last\":%lld",
	    (unsigned long long)st->lines, (unsigned long long)st->records,
	    (unsigned long long)tp->pending, (unsigned long long)st->errors,
	    (long long)tp->first, (long long)tp->last);
	for (w = 0; w < T_COUNT; w++) {
		k = tally_top(tp->t[w], items, n);
		printf(",\"%s\":[", tally_names[w]);
		for (i = 0; i < k; i++) {
			size_t len = key_text(w, &items[i], key, sizeof(key));

			printf("%s{\"key\":", i ? "," : "");
			jsonw_str(stdout, key, len);
			printf(",\"count\":%llu}",
			    (unsigned long long)items[i].count);
		}
		printf("]");
	}
	printf("}\n");
}

/* print_time - an epoch as local "YYYY-MM-DD HH:MM:SS" (the log's clock
 * when subgatectl runs in its time zone) */
static void
print_time(const char *label, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, sizeof(buf), "%lld", (long long)t);
	printf("%s %s\n", label, buf);
}

/* print_text - the report as a readable table */
static void
print_text(struct top *tp, const struct ctl_input_stats *st,
    struct tally_item *items, size_t n)
{
	static const char *const titles[T_COUNT] = {
	    "origin", "subnet", "domain", "list"};
	char key[512], dur[32];
	int w;
	size_t i, k;

	printf("lines %llu, records %llu, requests (pending) %llu, "
	       "unparsable %llu\n",
	    (unsigned long long)st->lines, (unsigned long long)st->records,
	    (unsigned long long)tp->pending, (unsigned long long)st->errors);
	if (tp->pending > 0) {
		print_time("first", tp->first);
		print_time("last ", tp->last);
		if (num_format_duration(
		        (uint64_t)(tp->last - tp->first), dur, sizeof(dur)) > 0)
			printf("span  %s\n", dur);
	}
	for (w = 0; w < T_COUNT; w++) {
		k = tally_top(tp->t[w], items, n);
		printf("\n%8s  %s (%zu distinct)\n", "requests", titles[w],
		    tally_size(tp->t[w]));
		for (i = 0; i < k; i++) {
			size_t j,
			    len = key_text(w, &items[i], key, sizeof(key));

			/* Never let log bytes drive the terminal. */
			for (j = 0; j < len; j++)
				if ((unsigned char)key[j] < 0x20 ||
				    key[j] == 0x7f)
					key[j] = '?';
			printf("%8llu  %s\n",
			    (unsigned long long)items[i].count, key);
		}
	}
}

int
ctl_top(int argc, char **argv, const struct conf *conf)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
	struct ctl_input_stats st;
	struct tally_item *items = NULL;
	struct top tp;
	uint64_t n = 10;
	int ch, json = 0, status, w;

	memset(&tp, 0, sizeof(tp));
	tp.conf = conf;
	while ((ch = getopt_long(argc, argv, "+n:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (num_parse_u64(
			        optarg, strlen(optarg), 1, 1000000, &n) != 0) {
				fprintf(stderr, "top: -n wants 1..1000000\n");
				return CTL_EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	for (w = 0; w < T_COUNT; w++)
		if ((tp.t[w] = tally_new()) == NULL)
			tp.oom = 1;
	if (!tp.oom && (items = calloc((size_t)n, sizeof(*items))) == NULL)
		tp.oom = 1;
	status = tp.oom
	    ? CTL_EXIT_USAGE
	    : ctl_read_logs(argv + optind, argc - optind, top_record, &tp, &st);
	if (tp.oom) {
		fprintf(stderr, "top: out of memory\n");
		status = CTL_EXIT_USAGE;
	}
	if (status == 0) {
		if (json)
			print_json(&tp, &st, items, (size_t)n);
		else
			print_text(&tp, &st, items, (size_t)n);
	}
	for (w = 0; w < T_COUNT; w++)
		tally_free(tp.t[w]);
	free(items);
	return status;
usage:
	fprintf(stderr, "usage: subgatectl top [-n N] [--json] LOG...\n");
	return CTL_EXIT_USAGE;
}
