/*
 * ctl_pipe.c -- subgatectl: read logs on a second thread
 *
 * DESCRIPTION
 *	See ctl_pipe.h. The reader fills batches of CTL_PIPE_BATCH objects
 *	and queues them (at most CTL_PIPE_QUEUED waiting, so memory stays
 *	bounded whatever the consumer's speed); one mutex and two condition
 *	variables guard the queue, taken once per batch, not per record.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl_pipe.h"

/*
 * Big batches: a hand-over that finds the other thread asleep costs a
 * futex wake-up (on a virtual machine an inter-processor interrupt); with
 * 256 records per batch that was a third of replay's time in the kernel.
 */
#define CTL_PIPE_BATCH 4096
#define CTL_PIPE_QUEUED 4

struct batch {
	struct batch *next;
	size_t n;
	void *obj[CTL_PIPE_BATCH];
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t filled; /* a batch was queued, or the reader ended */
	pthread_cond_t room;   /* a batch was taken, or the taker stopped */
	struct batch *head, *tail;
	size_t queued;
	int done; /* the reader has ended (under mu) */
	int stop; /* the taker wants no more (under mu) */
	/* the reader's own */
	struct batch *cur;
	ctl_pipe_make_fn make;
	void *make_arg;
	ctl_pipe_drop_fn drop;
	int make_failed;
	char **paths;
	int npaths;
	struct ctl_input_stats *st;
	int status;
};

/* hand - queue the reader's batch; 0, or -1 when the taker has stopped */
static int
hand(struct pipe *p)
{
	int stopped;

	pthread_mutex_lock(&p->mu);
	while (p->queued >= CTL_PIPE_QUEUED && !p->stop)
		pthread_cond_wait(&p->room, &p->mu);
	stopped = p->stop;
	if (!stopped) {
		p->cur->next = NULL;
		if (p->tail != NULL)
			p->tail->next = p->cur;
		else
			p->head = p->cur;
		p->tail = p->cur;
		p->queued++;
		pthread_cond_signal(&p->filled);
	}
	pthread_mutex_unlock(&p->mu);
	if (stopped) {
		size_t i;

		for (i = 0; i < p->cur->n; i++)
			p->drop(p->cur->obj[i]);
		free(p->cur);
	}
	p->cur = NULL;
	return stopped ? -1 : 0;
}

/* one - ctl_read_logs' callback, on the reader thread */
static int
one(const struct logev *ev, uint64_t lineno, void *arg)
{
	struct pipe *p = arg;
	void *obj = NULL;

	if (p->make(ev, lineno, p->make_arg, &obj) != 0) {
		p->make_failed = 1;
		return 1;
	}
	if (obj == NULL)
		return 0;
	if (p->cur == NULL) {
		if ((p->cur = malloc(sizeof(*p->cur))) == NULL) {
			p->drop(obj);
			p->make_failed = 1;
			return 1;
		}
		p->cur->n = 0;
	}
	p->cur->obj[p->cur->n++] = obj;
	if (p->cur->n == CTL_PIPE_BATCH)
		return hand(p) != 0;
	return 0;
}

/* reader - the reader thread */
static void *
reader(void *arg)
{
	struct pipe *p = arg;

	p->status = ctl_read_logs(p->paths, p->npaths, one, p, p->st);
	if (p->cur != NULL)
		(void)hand(p);
	pthread_mutex_lock(&p->mu);
	p->done = 1;
	pthread_cond_signal(&p->filled);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
ctl_read_logs_piped(char **paths, int npaths, ctl_pipe_make_fn make,
    void *make_arg, ctl_pipe_take_fn take, void *take_arg,
    ctl_pipe_drop_fn drop, struct ctl_input_stats *st, int *make_failed)
{
	struct pipe p = {0};
	pthread_t t;
	struct batch *b;
	int stopped = 0;
	size_t i;

	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.filled, NULL);
	pthread_cond_init(&p.room, NULL);
	p.make = make;
	p.make_arg = make_arg;
	p.drop = drop;
	p.paths = paths;
	p.npaths = npaths;
	p.st = st;
	if (pthread_create(&t, NULL, reader, &p) != 0) {
		fprintf(stderr, "cannot start the reader thread\n");
		pthread_cond_destroy(&p.room);
		pthread_cond_destroy(&p.filled);
		pthread_mutex_destroy(&p.mu);
		return CTL_EXIT_USAGE;
	}
	for (;;) {
		pthread_mutex_lock(&p.mu);
		while (p.head == NULL && !p.done)
			pthread_cond_wait(&p.filled, &p.mu);
		b = p.head;
		if (b != NULL) {
			p.head = b->next;
			if (p.head == NULL)
				p.tail = NULL;
			p.queued--;
			pthread_cond_signal(&p.room);
		}
		pthread_mutex_unlock(&p.mu);
		if (b == NULL)
			break; /* the reader ended and everything was taken */
		for (i = 0; i < b->n; i++) {
			if (stopped) {
				drop(b->obj[i]);
			} else if (take(b->obj[i], take_arg) != 0) {
				stopped = 1;
				pthread_mutex_lock(&p.mu);
				p.stop = 1;
				pthread_cond_signal(&p.room);
				pthread_mutex_unlock(&p.mu);
			}
		}
		free(b);
	}
	pthread_join(t, NULL);
	pthread_cond_destroy(&p.room);
	pthread_cond_destroy(&p.filled);
	pthread_mutex_destroy(&p.mu);
	*make_failed = p.make_failed;
	return p.status;
}
