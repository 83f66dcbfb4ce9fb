/*
 * bench_state.c -- what saving and loading the counters costs
 *
 * WHAT IT MEASURES
 *	Fills a decider with N requests (default 500,000) from spread
 *	addresses under a policy with ip, subnet, domain and list limits (so
 *	about 2N counter keys and N identities), then times decide_save()
 *	into memory (what the daemon does under the engine's lock, every
 *	counters_save_interval and at a stop) and decide_load() of that image
 *	(at start), and prints the image size. One JSON line.
 *
 * USAGE
 *	cc -O2 -I policy -o /tmp/bench_state tests/bench/bench_state.c
 *	    policy/[a-z]*.c && /tmp/bench_state [N]
 *	(one command line; the policy library's sources, any order)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decide.h"

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static const char text[] = "limit ip 5/12h hold ban 1d\n"
	                           "limit subnet 20/12h hold\n"
	                           "limit domain * 50/1h defer\n"
	                           "limit list * 200/1h hold\n";
	size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 500000, i;
	struct decide_load_info info;
	struct decide_stats st;
	struct decide_conf dc;
	struct origin_conf oc;
	struct policy *p = NULL;
	struct decider *d, *d2;
	unsigned char *img;
	size_t len;
	struct origin o;
	char err[200], ip[64];
	double t0, t1, t2;

	if (policy_parse(text, strlen(text), "bench", &p, NULL) != 0)
		return 1;
	decide_conf_init(&dc);
	dc.max_keys = 4 * n + 1000;
	dc.max_ids = 2 * n + 1000;
	if ((d = decide_new(&dc)) == NULL || (d2 = decide_new(&dc)) == NULL)
		return 1;
	origin_conf_init(&oc);
	for (i = 0; i < n; i++) {
		struct decide_req r = {0};
		struct decision dn;
		uint64_t id = i;

		snprintf(ip, sizeof(ip), "%zu.%zu.%zu.%zu",
		    1 + (i * 7919) % 223, (i >> 8) % 256, i % 256,
		    (i * 13) % 256);
		origin_from_remote(&oc, ip, strlen(ip), &o);
		r.list = "mylist";
		r.domain = "example.com";
		r.origin = &o;
		r.id = &id;
		r.idlen = sizeof(id);
		(void)decide(d, p, &r, (1796321493ULL + i / 100) * 1000, &dn);
	}
	decide_stats(d, &st);
	t0 = now();
	if (decide_save_mem(d, p, &img, &len) != 0)
		return 1;
	t1 = now();
	if (decide_load(d2, p, img, len, (1796321493ULL + n / 100) * 1000, 0,
	        &info, err, sizeof(err)) != 0) {
		fprintf(stderr, "load: %s\n", err);
		return 1;
	}
	t2 = now();
	printf("{\"bench\": \"state\", \"keys\": %zu, \"ids\": %zu, "
	       "\"image_bytes\": %zu, \"save_s\": %.3f, \"load_s\": %.3f}\n",
	    st.keys.total_keys, st.ids.total_keys, len, t1 - t0, t2 - t1);
	free(img);
	decide_free(d);
	decide_free(d2);
	policy_free(p);
	return 0;
}
