/*
 * fuzz_state.c -- libFuzzer target: the saved counters (decide_load)
 *
 * DESCRIPTION
 *	Loads the input as a saved state into a fresh decider under a small
 *	policy, with the first byte choosing a time shift; when it loads,
 *	saves it again and requires that to load too. Any crash, sanitizer
 *	report, leak or failed reload is a bug. See tests/fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char text[] = "limit ip 2/1h hold ban 1d\n"
	                           "limit list * 5/1h defer\n";
	struct decide_load_info info;
	struct decide_conf dc;
	struct policy *p = NULL;
	struct decider *d, *d2;
	unsigned char *img = NULL;
	size_t len = 0;
	char err[200];
	int64_t shift;

	if (size < 1)
		return 0;
	shift = ((int64_t)data[0] - 128) * 86400;
	if (policy_parse(text, strlen(text), "fuzz", &p, NULL) != 0)
		abort();
	decide_conf_init(&dc);
	dc.max_keys = 64;
	dc.max_ids = 64;
	d = decide_new(&dc);
	if (d != NULL &&
	    decide_load(d, p, data + 1, size - 1, 1796321493ULL * 1000, shift,
	        &info, err, sizeof(err)) == 0) {
		if (decide_save_mem(d, p, &img, &len) != 0)
			abort();
		d2 = decide_new(&dc);
		if (d2 == NULL ||
		    decide_load(d2, p, img, len, 1796321493ULL * 1000, 0, &info,
		        err, sizeof(err)) != 0)
			abort(); /* what was saved must load */
		decide_free(d2);
	}
	free(img);
	decide_free(d);
	policy_free(p);
	return 0;
}
