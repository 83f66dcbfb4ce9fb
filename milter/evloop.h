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

#include "conf.h"
#include "engine.h"

struct evloop;

/*
 * evloop_new - set up (not start) the tails and timers. Returns NULL with
 * a message in <err> on failure. Call after evthread_use_pthreads().
 */
struct evloop *evloop_new(
    const struct conf *conf, struct engine *engine, char *err, size_t errlen);

/* evloop_start - run the loop in its own thread; 0 or -1. */
int evloop_start(struct evloop *ev);

/* evloop_stop - end the loop, join the thread, save tail positions. */
void evloop_stop(struct evloop *ev);

/* evloop_free - release; NULL ok. */
void evloop_free(struct evloop *ev);

#endif
