/*
 * fuzz_logline.c -- libFuzzer target: Mailman log records and origins
 *
 * DESCRIPTION
 *	Feeds the input, split at newlines, through logjoin and
 *	logline_parse() as subgatectl does, and every parsed remote through
 *	origin_from_remote(); then the whole input as one record. Any crash,
 *	sanitizer report or leak is a bug. See tests/fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "logline.h"
#include "origin.h"

static void
one(const struct logrec *rec, const struct origin_conf *oc)
{
	struct logev ev;
	struct origin o;

	if (logline_parse(rec->p, rec->len, &ev) == LOGLINE_OK &&
	    ev.remote.p != NULL)
		origin_from_remote(oc, ev.remote.p, ev.remote.len, &o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl;
	struct origin_conf oc;
	struct logjoin j;
	struct logrec rec;
	struct logev ev;
	struct origin o;
	size_t left = size;

	origin_conf_init(&oc);
	logjoin_init(&j);
	while (left > 0) {
		size_t n;

		nl = memchr(s, '\n', left);
		n = nl != NULL ? (size_t)(nl - s) : left;
		if (logjoin_push(&j, s, n, &rec) > 0)
			one(&rec, &oc);
		if (nl == NULL)
			break;
		s += n + 1;
		left -= n + 1;
	}
	if (logjoin_flush(&j, &rec))
		one(&rec, &oc);
	logjoin_free(&j);
	(void)logline_parse((const char *)data, size, &ev);
	origin_from_remote(&oc, (const char *)data, size, &o);
	return 0;
}
