/*
 * ctl_input.c -- subgatectl: read Mailman logs into records
 *
 * DESCRIPTION
 *	Physical lines from logread, records from logjoin, events from
 *	logline_parse(). Every file is a separate stream: a record never
 *	continues across a file boundary. Record times, local wall-clock
 *	times in the log, become epochs under subgatectl's time zone
 *	(wallclock.h), the files taken as one stream of times in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "logread.h"
#include "wallclock.h"

#define MAX_REPORTED 10

struct input {
	const char *path;
	uint64_t base; /* lines before this file */
	struct ctl_input_stats *st;
	ctl_record_fn fn;
	void *arg;
	int stop;
	struct wallclock clock; /* the logs' local times, in turn */
};

/* report - one unparsable record on stderr, the first few only */
static void
report(struct input *in, uint64_t lineno, const char *why)
{
	if (in->st->errors <= MAX_REPORTED)
		fprintf(stderr, "%s:%llu: %s\n", in->path,
		    (unsigned long long)(lineno - in->base), why);
}

/* one_record - parse a finished record and hand it on */
static void
one_record(struct input *in, const struct logrec *rec)
{
	struct logev ev;
	enum logline_result res;
	uint64_t lineno = in->base + rec->lineno;

	in->st->records++;
	if (!rec->prefixed) {
		in->st->errors++;
		report(in, lineno, "line without a Mailman log prefix");
		return;
	}
	res = logline_parse_rec(rec, &ev);
	if (res == LOGLINE_OTHER)
		return;
	if (res != LOGLINE_OK) {
		in->st->errors++;
		report(in, lineno, logline_strerror(res));
		return;
	}
	ev.time = wallclock_epoch(&in->clock, ev.time);
	if (in->fn(&ev, lineno, in->arg) != 0)
		in->stop = 1;
}

/* progress - a percentage on a terminal for big inputs */
static void
progress(const char *path, struct logread *r, time_t *last)
{
	time_t now = time(NULL);
	uint64_t size = logread_size(r);

	if (now == *last || size < (64u << 20))
		return;
	*last = now;
	fprintf(stderr, "\r%s: %3u%%", path,
	    (unsigned)(logread_bytes(r) * 100 / size));
}

/* read_one - all records of one opened file */
static int
read_one(struct input *in, struct logread *r)
{
	struct logjoin j;
	struct logrec rec;
	const char *line;
	size_t len;
	int toolong, rc = 0, tty = isatty(2);
	char err[256];
	time_t last = 0;

	logjoin_init(&j);
	while (!in->stop &&
	    (rc = logread_line(r, &line, &len, &toolong, err, sizeof(err))) >
	        0) {
		in->st->lines++;
		if (tty && (in->st->lines & 0xfffff) == 0)
			progress(in->path, r, &last);
		if (toolong) {
			/* The overlong line ends the record before it. */
			if (logjoin_flush(&j, &rec))
				one_record(in, &rec);
			in->st->records++;
			in->st->errors++;
			report(in, in->base + j.lineno + 1,
			    "line longer than 65536 bytes, skipped");
			j.lineno++;
			continue;
		}
		rc = logjoin_push(&j, line, len, &rec);
		if (rc < 0) {
			fprintf(stderr, "%s: out of memory\n", in->path);
			logjoin_free(&j);
			return CTL_EXIT_USAGE;
		}
		if (rc > 0)
			one_record(in, &rec);
	}
	if (last != 0)
		fputs("\r\033[K", stderr);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", in->path, err);
		logjoin_free(&j);
		return CTL_EXIT_USAGE;
	}
	if (!in->stop && logjoin_flush(&j, &rec))
		one_record(in, &rec);
	logjoin_free(&j);
	return 0;
}

int
ctl_read_logs(char **paths, int npaths, ctl_record_fn fn, void *arg,
    struct ctl_input_stats *st)
{
	struct logread **r;
	struct input in;
	char err[512];
	int i, status = 0;

	memset(st, 0, sizeof(*st));
	if ((r = calloc((size_t)npaths + 1, sizeof(*r))) == NULL) {
		fprintf(stderr, "out of memory\n");
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < npaths; i++)
		if ((r[i] = logread_open(paths[i], err, sizeof(err))) == NULL) {
			fprintf(stderr, "%s\n", err);
			status = CTL_EXIT_USAGE;
		}
	memset(&in, 0, sizeof(in));
	wallclock_init(&in.clock);
	in.st = st;
	in.fn = fn;
	in.arg = arg;
	for (i = 0; status == 0 && i < npaths && !in.stop; i++) {
		in.path = paths[i];
		in.base = st->lines;
		status = read_one(&in, r[i]);
	}
	for (i = 0; i < npaths; i++)
		logread_close(r[i]);
	free(r);
	if (st->errors > MAX_REPORTED)
		fprintf(stderr, "... and %llu more unparsable records\n",
		    (unsigned long long)(st->errors - MAX_REPORTED));
	return status;
}
