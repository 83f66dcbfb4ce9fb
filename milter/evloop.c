/*
 * evloop.c -- the event thread: log tails and the counters' clean-up
 *
 * DESCRIPTION
 *	See evloop.h. Each tail has its own struct logjoin: a record is
 *	complete when the next prefixed line starts, or when the tail has read
 *	to the end of the file (Mailman writes a record at once).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "evloop.h"
#include "log.h"
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
	struct event_base *base;
	struct event *gc;
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
	r = logline_parse(rec->p, rec->len, &ev);
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
evloop_new(
    const struct conf *conf, struct engine *engine, char *err, size_t errlen)
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
	if ((ev->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "cannot create an event base");
		goto fail;
	}
	ev->gc = event_new(ev->base, -1, EV_PERSIST, gc_cb, ev);
	if (ev->gc == NULL || event_add(ev->gc, &tv) != 0) {
		snprintf(err, errlen, "cannot arm the clean-up timer");
		goto fail;
	}
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
	if (ev->gc != NULL)
		event_free(ev->gc);
	if (ev->base != NULL)
		event_base_free(ev->base);
	free(ev);
}
