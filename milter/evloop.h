/*
 * evloop.h -- the event thread: log tails and the counters' clean-up
 *
 * DESCRIPTION
 *	One libevent thread beside libmilter's: it tails every configured
 *	subscribe log (milter/tail.c), turns the lines into records
 *	(policy/logline.c) and hands them to the engine; a timer expires idle
 *	counters a bounded amount at a time.
 */
#ifndef SUBGATE_EVLOOP_H
#define SUBGATE_EVLOOP_H

#include <stdio.h>
#include <sys/types.h>

#include "conf.h"
#include "engine.h"

struct evloop;

/*
 * evloop_new - set up (not start) the tails and timers. Returns NULL with
 * a message in <err> on failure. Call after evthread_use_pthreads().
 */
struct evloop *evloop_new(const struct conf *conf, struct engine *engine,
    int control_fd, gid_t control_gid, char *err, size_t errlen);

/* evloop_engine - the engine it feeds. */
struct engine *evloop_engine(struct evloop *ev);

/*
 * evloop_reload - read the configured policy again and, when it has no
 * error, swap it in (counters kept). What happened, errors included, is
 * written to <msg>. 0 reloaded, -1 kept the old policy. Event thread only.
 */
int evloop_reload(struct evloop *ev, char *msg, size_t size);

/*
 * evloop_write_status / evloop_write_metrics - the event thread's part of
 * the status (JSON members: version, uptime, logs) and of /metrics.
 */
void evloop_write_status(struct evloop *ev, FILE *f);
void evloop_write_metrics(struct evloop *ev, FILE *f);

/* evloop_start - run the loop in its own thread; 0 or -1. */
int evloop_start(struct evloop *ev);

/* evloop_stop - end the loop, join the thread, save tail positions. */
void evloop_stop(struct evloop *ev);

/* evloop_free - release; NULL ok. */
void evloop_free(struct evloop *ev);

#endif
