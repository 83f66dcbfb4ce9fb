/*
 * tail.h -- follow a growing log file across rotation, driven by libevent
 *
 * DESCRIPTION
 *	For subgate (the daemon): a persistent libevent timer reads what was
 *	appended to one log file since the last tick and hands out complete
 *	lines. Rename-and-create rotation, copytruncate and a missing file are
 *	handled; the position survives a restart through a small state file.
 *	The full contract, diagnostics and limits are in tail.c.
 */
#ifndef SUBGATE_TAIL_H
#define SUBGATE_TAIL_H

#include <stddef.h>
#include <stdint.h>

#define TAIL_LINE_MAX (64 * 1024)

struct event_base;
struct tail;

struct tail_status {
	const char *path;     /* borrowed from the tail; valid until free */
	uint64_t inode;       /* the followed file, 0 if none */
	uint64_t offset;      /* first byte not yet delivered */
	uint64_t lines;       /* delivered since tail_new() */
	uint64_t rotations;   /* path named a new file (also while stopped) */
	uint64_t truncations; /* the file shrank or was rewritten in place */
	int open;  /* 1 following a file, 0 path missing, -errno unusable */
	int error; /* errno of the last failed read or save, 0 after success */
};

/*
 * tail_line_fn - called for each complete line, without its '\n' (a
 * trailing '\r' is kept). <len> <= TAIL_LINE_MAX; a longer line is cut there
 * and <toolong> is 1. <line> is only valid during the call and is not
 * NUL-terminated. The callback must not call tail_poll() or tail_free().
 */
typedef void (*tail_line_fn)(
    const char *line, size_t len, int toolong, void *arg);

/*
 * tail_idle_fn - called after every poll that delivered lines, once the
 * reader has reached the current end of the file: the caller may treat its
 * last record as complete.
 */
typedef void (*tail_idle_fn)(void *arg);

/*
 * tail_new - follow <path>. With <base> non-NULL a persistent timer polls
 * every <interval_ms> (must be > 0); with <base> NULL the caller drives
 * tail_poll() itself. <state_dir> (NULL: no persistence) holds the
 * position file "tail.<sanitised path>.pos". <idle_fn> may be NULL; <arg>
 * is passed to both callbacks.
 *
 * Returns NULL with the reason in <err> (<errlen> bytes) on bad arguments,
 * when <path> exists but is not a regular file or cannot be opened, when
 * the position file cannot be read (other than missing) or written, and
 * out of memory. On success <err> is "" or holds a warning: the position
 * file was corrupt (started at the end), or the file was rotated while we
 * were stopped and the old one is gone (started the new one at 0).
 * Copies <path>; borrows <base>, which must outlive the tail.
 */
struct tail *tail_new(struct event_base *base, const char *path,
    const char *state_dir, unsigned interval_ms, tail_line_fn line_fn,
    tail_idle_fn idle_fn, void *arg, char *err, size_t errlen);

/*
 * tail_poll - read what is there now, handling rotation and truncation;
 * the timer calls this too. Returns the number of lines delivered (capped
 * at INT_MAX), or -1 with errno set after a read or position-save error;
 * lines delivered before the error still count in tail_status(). A missing
 * or unusable path is not an error here: see tail_status().open. Reads at
 * most a few MiB per file per call; the timer continues at once when more
 * is left.
 */
int tail_poll(struct tail *t);

/* tail_status - fill <st>; st->path is borrowed from <t>. */
void tail_status(const struct tail *t, struct tail_status *st);

/*
 * tail_save - write the position file now (atomically: temp file, fsync,
 * rename). Returns 0, or -1 with errno set. Also done after each batch.
 */
int tail_save(struct tail *t);

/* tail_free - save the position, stop the timer, free; NULL is a no-op. */
void tail_free(struct tail *t);

#endif
