/*
 * ctl_pipe.c -- subgatectl: read logs on a second thread
 *
 * DESCRIPTION
 *	See ctl_pipe.h. The reader fills batches of CTL_PIPE_BATCH objects
 *	and queues them (at most CTL_PIPE_QUEUED waiting, so memory stays
 *	bounded whatever the consumer's speed); one mutex and two condition
 *	variables guard the queue, taken once per batch, not per record.
 *
 *	Objects live in their batch's arena (chunks of CTL_PIPE_CHUNK bytes,
 *	filled in turn). A batch the caller is done with goes back to the
 *	reader on a spare list with its chunks once the next one is done
 *	too, so that in a steady state
 *	nothing is allocated: a malloc() per object, freed on the other
 *	thread, had the two threads fighting over glibc's arena lock.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl_pipe.h"

/*
 * Big batches: a hand-over that finds the other thread asleep costs a
 * futex wake-up (on a virtual machine an inter-processor interrupt); with
 * 256 records per batch that was a third of replay's time in the kernel.
 */
#define CTL_PIPE_BATCH CTL_PIPE_LEND
#define CTL_PIPE_QUEUED 4
#define CTL_PIPE_CHUNK (128 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t mem[];
};

struct ctl_pipe_arena {
	struct chunk *first; /* chunks in fill order */
	struct chunk *cur;   /* the one being filled */
};

struct batch {
	struct batch *next;
	size_t n;
	struct ctl_pipe_arena arena;
	void *obj[CTL_PIPE_BATCH];
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t filled; /* a batch was queued, or the reader ended */
	pthread_cond_t room;   /* a batch was taken, or the taker stopped */
	struct batch *head, *tail;
	struct batch *spare; /* taken batches, for the reader to refill */
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

/* chunk_new - an empty chunk of room for at least <n> bytes, or NULL */
static struct chunk *
chunk_new(size_t n)
{
	size_t cap = n > CTL_PIPE_CHUNK ? n : CTL_PIPE_CHUNK;
	struct chunk *c = malloc(offsetof(struct chunk, mem) + cap);

	if (c != NULL) {
		c->next = NULL;
		c->used = 0;
		c->cap = cap;
	}
	return c;
}

void *
ctl_pipe_alloc(struct ctl_pipe_arena *a, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	struct chunk *c = a->cur;
	void *p;

	n = (n + align - 1) / align * align;
	/* The next chunk of the list, or a new one, when this one is full. */
	while (c == NULL || c->cap - c->used < n) {
		struct chunk *next = c != NULL ? c->next : NULL;

		if (next == NULL) {
			if ((next = chunk_new(n)) == NULL)
				return NULL;
			if (c != NULL)
				c->next = next;
			else
				a->first = next;
		}
		next->used = 0;
		c = next;
	}
	a->cur = c;
	p = (char *)c->mem + c->used;
	c->used += n;
	return p;
}

/* batch_free - a batch and its chunks */
static void
batch_free(struct batch *b)
{
	struct chunk *c, *next;

	for (c = b->arena.first; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(b);
}

/* batch_get - an empty batch: a spare one, or a new one (NULL: no memory) */
static struct batch *
batch_get(struct pipe *p)
{
	struct batch *b;

	pthread_mutex_lock(&p->mu);
	b = p->spare;
	if (b != NULL)
		p->spare = b->next;
	pthread_mutex_unlock(&p->mu);
	if (b == NULL && (b = malloc(sizeof(*b))) != NULL)
		b->arena.first = NULL;
	if (b != NULL) {
		b->n = 0;
		b->arena.cur = b->arena.first;
		if (b->arena.cur != NULL)
			b->arena.cur->used = 0;
	}
	return b;
}

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

		if (p->drop != NULL)
			for (i = 0; i < p->cur->n; i++)
				p->drop(p->cur->obj[i]);
		batch_free(p->cur);
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

	if (p->cur == NULL && (p->cur = batch_get(p)) == NULL) {
		p->make_failed = 1;
		return 1;
	}
	if (p->make(ev, lineno, p->make_arg, &p->cur->arena, &obj) != 0) {
		p->make_failed = 1;
		return 1;
	}
	if (obj == NULL)
		return 0;
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
	if (p->cur != NULL && p->cur->n > 0) {
		(void)hand(p);
	} else if (p->cur != NULL) {
		batch_free(p->cur);
		p->cur = NULL;
	}
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
	struct batch *b, *done = NULL, *prev = NULL;
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
		/* The batch before the one just taken goes back for reuse. */
		if (done != NULL) {
			if (prev != NULL) {
				prev->next = p.spare;
				p.spare = prev;
			}
			prev = done;
			done = NULL;
		}
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
		if (b == NULL) {
			/* The reader ended and everything was taken. */
			if (!stopped)
				(void)take(NULL, take_arg);
			break;
		}
		for (i = 0; i < b->n; i++) {
			if (stopped) {
				if (drop != NULL)
					drop(b->obj[i]);
			} else if (take(b->obj[i], take_arg) != 0) {
				stopped = 1;
				pthread_mutex_lock(&p.mu);
				p.stop = 1;
				pthread_cond_signal(&p.room);
				pthread_mutex_unlock(&p.mu);
			}
		}
		done = b;
	}
	pthread_join(t, NULL);
	if (done != NULL)
		batch_free(done);
	if (prev != NULL)
		batch_free(prev);
	while ((b = p.spare) != NULL) {
		p.spare = b->next;
		batch_free(b);
	}
	if (p.cur != NULL) /* the reader failed part way */
		batch_free(p.cur);
	pthread_cond_destroy(&p.room);
	pthread_cond_destroy(&p.filled);
	pthread_mutex_destroy(&p.mu);
	*make_failed = p.make_failed;
	return p.status;
}
