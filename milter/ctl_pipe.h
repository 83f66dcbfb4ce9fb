/*
 * ctl_pipe.h -- subgatectl: read logs on a second thread
 *
 * DESCRIPTION
 *	ctl_read_logs() on a reader thread, the caller's work on its own: the
 *	reader parses records and turns each into an object (<make>), hands
 *	them over in batches, in log order, and the calling thread consumes
 *	them (<take>). On two cores parsing then overlaps with what the caller
 *	does with the records (replay's decisions). Order, counts and
 *	messages are those of ctl_read_logs(); only the threads differ.
 */
#ifndef SUBGATE_CTL_PIPE_H
#define SUBGATE_CTL_PIPE_H

#include "ctl.h"

/* Objects that stay valid after <take> returns for them, at the least. */
#define CTL_PIPE_LEND 4096

/* Memory for the objects of one batch (see ctl_pipe_alloc). */
struct ctl_pipe_arena;

/*
 * ctl_pipe_alloc - <n> bytes, aligned for any type, for an object made by
 * <make>; NULL when out of memory. The memory belongs to the batch: it
 * lives until <take> has returned for the last object of the batch after
 * (CTL_PIPE_LEND objects later at the least), or the batch is dropped;
 * <take> copies whatever it keeps longer. Batches
 * and their memory are recycled: no allocation per object, and no memory
 * freed on the other thread.
 */
void *ctl_pipe_alloc(struct ctl_pipe_arena *a, size_t n);

/*
 * ctl_pipe_make_fn - on the reader thread: the object for one record in
 * <*obj> (NULL to skip the record), from ctl_pipe_alloc(<a>, ...); 0, or -1
 * when it cannot be made (out of memory: reading stops). Must not touch
 * what <take> works on.
 */
typedef int (*ctl_pipe_make_fn)(const struct logev *ev, uint64_t lineno,
    void *arg, struct ctl_pipe_arena *a, void **obj);

/* ctl_pipe_take_fn - on the calling thread: consume one object (see
 * ctl_pipe_alloc for how long it stays valid); non-zero stops the
 * reading. At the end of the input, unless stopped, it is called once
 * more with <obj> NULL, every object still valid. */
typedef int (*ctl_pipe_take_fn)(void *obj, void *arg);

/* ctl_pipe_drop_fn - told of an object made but never taken (NULL: not
 * told); called on either thread, both at once: it must be thread-safe. */
typedef void (*ctl_pipe_drop_fn)(void *obj);

/*
 * ctl_read_logs_piped - ctl_read_logs(<paths>, <npaths>) with the records'
 * objects made on a reader thread by <make>(..., <make_arg>) and consumed
 * here, in log order, by <take>(obj, <take_arg>). Returns what
 * ctl_read_logs() returns, CTL_EXIT_USAGE when the thread cannot start;
 * <*make_failed> tells whether <make> failed (the records after it were not
 * read). <st> is complete on return.
 */
int ctl_read_logs_piped(char **paths, int npaths, ctl_pipe_make_fn make,
    void *make_arg, ctl_pipe_take_fn take, void *take_arg,
    ctl_pipe_drop_fn drop, struct ctl_input_stats *st, int *make_failed);

#endif
