/*
 * fuzz_journal.c -- libFuzzer target: the input as a journal file
 * (milter/journal.c) replayed; every record it yields (decisions, unbans
 * and resets, policies) is written to a second journal, which must replay
 * to the same records.
 * Build and run: tests/fuzz/run.sh 60 journal
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"

static char in_dir[64], out_dir[64];

struct pass {
	struct journal *out; /* NULL: second pass, compare */
	size_t n;
	uint64_t sum; /* over every byte handed over */
};

static uint64_t
mix(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	while (len-- > 0)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return h;
}

static void
on_judge(void *arg, const struct journal_judge *r)
{
	struct pass *p = arg;

	p->n++;
	p->sum = mix(p->sum, r->list, strlen(r->list) + 1);
	p->sum = mix(p->sum, r->domain, strlen(r->domain) + 1);
	p->sum = mix(p->sum, r->id, strlen(r->id) + 1);
	p->sum = mix(p->sum, &r->floor, sizeof(r->floor));
	p->sum = mix(p->sum, &r->origin->kind, sizeof(r->origin->kind));
	p->sum = mix(p->sum, r->origin->ipkey, r->origin->ipkey_len);
	p->sum = mix(p->sum, r->origin->subnetkey, r->origin->subnetkey_len);
	if (p->out != NULL && journal_add_judge(p->out, r) != 0)
		abort();
}

static void
on_key(void *arg, const struct journal_key *k)
{
	struct pass *p = arg;

	p->n++;
	p->sum = mix(p->sum, k->key, k->len);
	p->sum = mix(p->sum, &k->scope, sizeof(k->scope));
	if (p->out != NULL && journal_add_key(p->out, k) != 0)
		abort();
}

static void
on_policy(void *arg, const char *text, size_t len)
{
	struct pass *p = arg;

	p->n++;
	p->sum = mix(p->sum, "policy", 6);
	p->sum = mix(p->sum, text, len);
	if (p->out != NULL && journal_add_policy(p->out, text, len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_replay_info info;
	struct pass a = {0}, b = {0};
	const struct journal_sink sa = {on_judge, on_key, on_policy, &a};
	const struct journal_sink sb = {on_judge, on_key, on_policy, &b};
	char path[128], err[256];
	uint8_t *buf;
	FILE *f;

	if (in_dir[0] == '\0') {
		strcpy(in_dir, "/tmp/fuzzjournal-in.XXXXXX");
		strcpy(out_dir, "/tmp/fuzzjournal-out.XXXXXX");
		if (mkdtemp(in_dir) == NULL || mkdtemp(out_dir) == NULL)
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s1", in_dir, JOURNAL_PREFIX);
	if ((f = fopen(path, "wb")) == NULL || (buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	/*
	 * Mostly, set every framed record's check right, so that the fuzzer
	 * reaches the payload decoding (a 64-bit check it cannot guess);
	 * a third of the inputs keep theirs (damaged records).
	 */
	if (size >= 40 && size % 3 != 0)
		for (size_t off = 40; size - off >= 4;) {
			size_t len = (size_t)buf[off] |
			    (size_t)buf[off + 1] << 8 |
			    (size_t)buf[off + 2] << 16 |
			    (size_t)buf[off + 3] << 24;
			uint64_t h;

			if (size - off - 4 < len || size - off - 4 - len < 8)
				break;
			h = mix(0xcbf29ce484222325ULL, buf + off + 4, len);
			for (int i = 0; i < 8; i++)
				buf[off + 4 + len + i] =
				    (uint8_t)(h >> (8 * i));
			off += 4 + len + 8;
		}
	fwrite(buf, 1, size, f);
	fclose(f);
	free(buf);
	/* the same clocks as the header's: no time moves (times are
	 * written back as read) */
	if (size >= 40) {
		uint64_t wall = 0, eng = 0;

		for (int i = 0; i < 8; i++) {
			wall |= (uint64_t)data[24 + i] << (8 * i);
			eng |= (uint64_t)data[32 + i] << (8 * i);
		}
		a.out = journal_open(out_dir, 1, wall, eng, err, sizeof(err));
		if (a.out == NULL)
			abort();
		if (journal_replay(in_dir, 0, wall, eng, &sa, &info, err,
		        sizeof(err)) != 0)
			abort();
		journal_close(a.out, 0);
		if (journal_replay(out_dir, 0, wall, eng, &sb, &info, err,
		        sizeof(err)) != 0)
			abort();
		/* clamped times aside, the copy yields the same records */
		if (info.torn != 0 || b.n != a.n || b.sum != a.sum)
			abort();
	} else if (journal_replay(
	               in_dir, 0, 0, 0, &sa, &info, err, sizeof(err)) != 0 ||
	    a.n != 0) {
		abort();
	}
	return 0;
}
