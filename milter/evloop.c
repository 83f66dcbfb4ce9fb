/*
 * evloop.c -- the event thread: log tails and the counters' clean-up
 *
 * DESCRIPTION
 *	See evloop.h. Each tail has its own struct logjoin: a record is
 *	complete when the next prefixed line starts, or when the tail has read
 *	to the end of the file (Mailman writes a record at once).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "control.h"
#include "evloop.h"
#include "jsonw.h"
#include "policyfile.h"
#include "log.h"
#include "statefile.h"
#include "logline.h"
#include "tail.h"

#define TAIL_INTERVAL_MS 100
#define GC_INTERVAL_MS 1000
#define GC_BUDGET 2000

struct feed {
	struct evloop *ev;
	const char *path;
	struct tail *tail;
	struct logjoin join;
	uint64_t records, errors;
	int last_open, last_error; /* as last reported */
};

struct evloop {
	const struct conf *conf;
	struct event_base *base;
	struct event *gc;
	struct event *save; /* counters_save_interval, or NULL */
	struct event *usr1;
	time_t started;
	struct engine *engine;
	struct feed feeds[CONF_MAX_LOGS];
	size_t nfeeds;
	pthread_t thread;
	int running;
};

/* record - one finished record to the engine */
static void
record(struct feed *f, const struct logrec *rec)
{
	struct logev ev;
	enum logline_result r;

	f->records++;
	if (!rec->prefixed) {
		f->errors++;
		log_warnx("%s: line without a Mailman log prefix", f->path);
		return;
	}
	r = logline_parse_rec(rec, &ev);
	if (r == LOGLINE_OK)
		engine_log_record(f->ev->engine, &ev);
	else if (r != LOGLINE_OTHER) {
		f->errors++;
		log_warnx(
		    "%s: unparsable record: %s", f->path, logline_strerror(r));
	}
}

/* line_cb - one line from a tail */
static void
line_cb(const char *line, size_t len, int toolong, void *arg)
{
	struct feed *f = arg;
	struct logrec rec;

	if (toolong) {
		if (logjoin_flush(&f->join, &rec))
			record(f, &rec);
		f->errors++;
		log_warnx("%s: line longer than %d bytes skipped", f->path,
		    TAIL_LINE_MAX);
		return;
	}
	switch (logjoin_push(&f->join, line, len, &rec)) {
	case 1:
		record(f, &rec);
		break;
	case -1:
		log_warnx("%s: out of memory, line lost", f->path);
		break;
	default:
		break;
	}
}

/* idle_cb - the tail reached the end: the last record is complete */
static void
idle_cb(void *arg)
{
	struct feed *f = arg;
	struct logrec rec;

	if (logjoin_flush(&f->join, &rec))
		record(f, &rec);
}

/* report_tails - log a log file that went missing, came back or fails */
static void
report_tails(struct evloop *ev)
{
	struct tail_status st;
	size_t i;

	for (i = 0; i < ev->nfeeds; i++) {
		struct feed *f = &ev->feeds[i];

		tail_status(f->tail, &st);
		if (st.open != f->last_open) {
			if (st.open == 1)
				log_info("%s: following (offset %llu)", f->path,
				    (unsigned long long)st.offset);
			else if (st.open == 0)
				log_warnx(
				    "%s: missing; waiting for it", f->path);
			else
				log_warnx("%s: not usable: %s", f->path,
				    strerror(-st.open));
			f->last_open = st.open;
		}
		if (st.error != f->last_error) {
			if (st.error != 0)
				log_warnx(
				    "%s: %s", f->path, strerror(st.error));
			f->last_error = st.error;
		}
	}
}

/* gc_cb - expire idle counters, a bounded amount per tick */
static void
gc_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evloop *ev = arg;
	struct timespec ts;

	(void)fd;
	(void)what;
	report_tails(ev);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	engine_expire(ev->engine,
	    (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000,
	    GC_BUDGET);
}

/* save_cb - write the counters now and then, so that a crash loses at
 * most counters_save_interval of them */
static void
save_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evloop *ev = arg;
	struct timespec wall, mono;
	char err[512];
	long long n;
	uint64_t lost;

	(void)fd;
	(void)what;
	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	n = statefile_save(ev->engine, ev->conf->state_dir,
	    (uint64_t)wall.tv_sec * 1000 + (uint64_t)wall.tv_nsec / 1000000,
	    (uint64_t)mono.tv_sec * 1000 + (uint64_t)mono.tv_nsec / 1000000,
	    err, sizeof(err));
	if (n < 0)
		log_warnx("counters not saved: %s", err);
	else
		log_debug("counters: saved %lld bytes (every %llu ms)", n,
		    (unsigned long long)ev->conf->counters_save_interval_ms);
	if (n >= 0 && err[0] != '\0')
		log_warnx("counters: %s", err);
	if ((lost = engine_journal_failures(ev->engine)) > 0)
		log_warnx("counters: %llu decisions since the last save were "
		          "not journaled (journal full or not writable): a "
		          "crash before this save would have lost them",
		    (unsigned long long)lost);
}

struct engine *
evloop_engine(struct evloop *ev)
{
	return ev->engine;
}

int
evloop_reload(struct evloop *ev, char *msg, size_t size)
{
	char source[256], digest[32], *buf = NULL;
	size_t len = 0;
	struct policy *p;
	FILE *errf = open_memstream(&buf, &len);

	if (errf == NULL) {
		snprintf(msg, size, "out of memory\n");
		return -1;
	}
	p = policyfile_load(ev->conf->policy, source, sizeof(source), digest,
	    sizeof(digest), errf);
	fclose(errf);
	if (p == NULL) {
		snprintf(msg, size, "%s", buf != NULL ? buf : "");
		log_warnx("reload: %s kept the old policy", ev->conf->policy);
		free(buf);
		return -1;
	}
	free(buf);
	snprintf(msg, size, "policy %s reloaded: %zu rules, %s\n", source,
	    p->nrules, digest);
	engine_reload(ev->engine, p, source, digest, (int64_t)time(NULL));
	log_info("reload: policy %s, %s", source, digest);
	return 0;
}

void
evloop_write_status(struct evloop *ev, FILE *f)
{
	struct tail_status st;
	size_t i;

	fprintf(f, "\"version\":\"%s\",\"uptime_s\":%lld,\"logs\":[",
	    SUBGATE_VERSION, (long long)(time(NULL) - ev->started));
	for (i = 0; i < ev->nfeeds; i++) {
		tail_status(ev->feeds[i].tail, &st);
		fprintf(f, "%s{\"path\":", i ? "," : "");
		jsonw_cstr(f, ev->feeds[i].path);
		fprintf(f,
		    ",\"open\":%d,\"inode\":%llu,\"offset\":%llu,"
		    "\"lines\":%llu,\"rotations\":%llu,"
		    "\"truncations\":%llu,\"records\":%llu,"
		    "\"unparsable\":%llu}",
		    st.open, (unsigned long long)st.inode,
		    (unsigned long long)st.offset, (unsigned long long)st.lines,
		    (unsigned long long)st.rotations,
		    (unsigned long long)st.truncations,
		    (unsigned long long)ev->feeds[i].records,
		    (unsigned long long)ev->feeds[i].errors);
	}
	fprintf(f, "]");
}

void
evloop_write_metrics(struct evloop *ev, FILE *f)
{
	struct tail_status st;
	struct stat sb;
	size_t i;

	fprintf(f,
	    "# HELP subgate_up 1 while subgate answers.\n"
	    "# TYPE subgate_up gauge\nsubgate_up 1\n"
	    "# HELP subgate_start_time_seconds When subgate started.\n"
	    "# TYPE subgate_start_time_seconds gauge\n"
	    "subgate_start_time_seconds %lld\n",
	    (long long)ev->started);
	fprintf(f,
	    "# HELP subgate_log_lines_total Lines read from each "
	    "subscribe log.\n# TYPE subgate_log_lines_total counter\n");
	for (i = 0; i < ev->nfeeds; i++) {
		tail_status(ev->feeds[i].tail, &st);
		fprintf(f, "subgate_log_lines_total{file=\"%s\"} %llu\n",
		    ev->feeds[i].path, (unsigned long long)st.lines);
	}
	fprintf(f,
	    "# HELP subgate_log_unparsable_total Unparsable records.\n"
	    "# TYPE subgate_log_unparsable_total counter\n");
	for (i = 0; i < ev->nfeeds; i++)
		fprintf(f, "subgate_log_unparsable_total{file=\"%s\"} %llu\n",
		    ev->feeds[i].path, (unsigned long long)ev->feeds[i].errors);
	fprintf(f,
	    "# HELP subgate_log_lag_bytes Bytes of the log not read "
	    "yet.\n# TYPE subgate_log_lag_bytes gauge\n");
	for (i = 0; i < ev->nfeeds; i++) {
		long long lag = 0;

		tail_status(ev->feeds[i].tail, &st);
		if (stat(ev->feeds[i].path, &sb) == 0 &&
		    (uint64_t)sb.st_ino == st.inode &&
		    (uint64_t)sb.st_size > st.offset)
			lag = (long long)((uint64_t)sb.st_size - st.offset);
		fprintf(f, "subgate_log_lag_bytes{file=\"%s\"} %lld\n",
		    ev->feeds[i].path, lag);
	}
}

/* usr1_cb - SIGUSR1: reload the policy (never SIGHUP: libmilter stops) */
static void
usr1_cb(evutil_socket_t fd, short what, void *arg)
{
	char msg[4096];

	(void)fd;
	(void)what;
	if (evloop_reload(arg, msg, sizeof(msg)) != 0)
		log_warnx("SIGUSR1 reload failed:\n%s", msg);
}

/* libevent_log_cb - libevent's own messages into ours */
static void
libevent_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

struct evloop *
evloop_new(const struct conf *conf, struct engine *engine, int control_fd,
    gid_t control_gid, char *err, size_t errlen)
{
	struct evloop *ev = calloc(1, sizeof(*ev));
	struct timeval tv = {
	    GC_INTERVAL_MS / 1000, (GC_INTERVAL_MS % 1000) * 1000};
	size_t i;

	if (ev == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	event_set_log_callback(libevent_log_cb);
	ev->engine = engine;
	ev->conf = conf;
	ev->started = time(NULL);
	if ((ev->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "cannot create an event base");
		goto fail;
	}
	ev->gc = event_new(ev->base, -1, EV_PERSIST, gc_cb, ev);
	if (ev->gc == NULL || event_add(ev->gc, &tv) != 0) {
		snprintf(err, errlen, "cannot arm the clean-up timer");
		goto fail;
	}
	if (conf->counters_save_interval_ms > 0) {
		struct timeval sv = {
		    (time_t)(conf->counters_save_interval_ms / 1000),
		    (suseconds_t)(conf->counters_save_interval_ms % 1000) *
		        1000};

		ev->save = event_new(ev->base, -1, EV_PERSIST, save_cb, ev);
		if (ev->save == NULL || event_add(ev->save, &sv) != 0) {
			snprintf(err, errlen, "cannot arm the counters timer");
			goto fail;
		}
	}
	ev->usr1 = evsignal_new(ev->base, SIGUSR1, usr1_cb, ev);
	if (ev->usr1 == NULL || event_add(ev->usr1, NULL) != 0) {
		snprintf(err, errlen, "cannot catch SIGUSR1");
		goto fail;
	}
	if (control_start(ev->base, ev, control_fd, control_gid,
	        conf->metrics_listen, err, errlen) != 0)
		goto fail;
	for (i = 0; i < conf->nsubscribe_log; i++) {
		struct feed *f = &ev->feeds[ev->nfeeds];

		f->ev = ev;
		f->path = conf->subscribe_log[i];
		logjoin_init(&f->join);
		f->tail = tail_new(ev->base, f->path, conf->state_dir,
		    TAIL_INTERVAL_MS, line_cb, idle_cb, f, err, errlen);
		if (f->tail == NULL)
			goto fail;
		if (err[0] != '\0')
			log_warnx("%s: %s", f->path, err);
		err[0] = '\0';
		ev->nfeeds++;
	}
	return ev;
fail:
	evloop_free(ev);
	return NULL;
}

/* run - the thread's body */
static void *
run(void *arg)
{
	struct evloop *ev = arg;
	sigset_t set;

	/* Every thread blocks SIGUSR1; this one takes it. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	event_base_dispatch(ev->base);
	return NULL;
}

int
evloop_start(struct evloop *ev)
{
	if (pthread_create(&ev->thread, NULL, run, ev) != 0)
		return -1;
	ev->running = 1;
	return 0;
}

void
evloop_stop(struct evloop *ev)
{
	size_t i;

	if (ev == NULL || !ev->running)
		return;
	event_base_loopexit(ev->base, NULL);
	pthread_join(ev->thread, NULL);
	ev->running = 0;
	for (i = 0; i < ev->nfeeds; i++)
		tail_save(ev->feeds[i].tail);
}

void
evloop_free(struct evloop *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	evloop_stop(ev);
	for (i = 0; i < ev->nfeeds; i++) {
		tail_free(ev->feeds[i].tail);
		logjoin_free(&ev->feeds[i].join);
	}
	control_stop();
	if (ev->usr1 != NULL)
		event_free(ev->usr1);
	if (ev->gc != NULL)
		event_free(ev->gc);
	if (ev->save != NULL)
		event_free(ev->save);
	if (ev->base != NULL)
		event_base_free(ev->base);
	free(ev);
}
