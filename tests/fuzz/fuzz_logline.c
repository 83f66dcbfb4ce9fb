/*
 * fuzz_logline.c -- libFuzzer target: Mailman log records and origins
 *
 * DESCRIPTION
 *	Feeds the input, split at newlines, through logjoin and
 *	logline_parse_rec() as subgatectl does, checked against
 *	logline_parse() of the same record, and every parsed remote through
 *	origin_from_remote() (an IP remote also through the address the
 *	parser kept, which must give the same keys); then the whole input as
 *	one record. Any crash, sanitizer report, leak or disagreement (a
 *	trap) is a bug. See tests/fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "logline.h"
#include "origin.h"

/*
 * one - parse a record both ways (logline_parse_rec() reuses the prefix
 * logjoin read) and check they agree; for an IP remote, the address the
 * parser kept must give the origin the text gives. A disagreement traps.
 */
static void
one(const struct logrec *rec, const struct origin_conf *oc)
{
	struct logev ev, ev2;
	struct origin o, o2;
	enum logline_result r = logline_parse(rec->p, rec->len, &ev);

	if (logline_parse_rec(rec, &ev2) != r || ev.kind != ev2.kind ||
	    ev.time != ev2.time || ev.pid != ev2.pid ||
	    strcmp(ev.list, ev2.list) != 0 || strcmp(ev.addr, ev2.addr) != 0 ||
	    ev.remote.p != ev2.remote.p || ev.remote.len != ev2.remote.len ||
	    ev.remote_kind != ev2.remote_kind)
		__builtin_trap();
	if (r != LOGLINE_OK || ev.remote.p == NULL)
		return;
	origin_from_remote(oc, ev.remote.p, ev.remote.len, &o);
	if (ev.remote_kind == REMOTE_IP) {
		origin_from_addr(oc, &ev.remote_ip, &o2);
		if (o.kind != o2.kind || o.ipkey_len != o2.ipkey_len ||
		    memcmp(o.ipkey, o2.ipkey, o.ipkey_len) != 0 ||
		    o.subnetkey_len != o2.subnetkey_len ||
		    memcmp(o.subnetkey, o2.subnetkey, o.subnetkey_len) != 0)
			__builtin_trap();
	}
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
