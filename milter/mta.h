/*
 * mta.h -- run the MTA's queue tools (postqueue, postsuper, postcat)
 *
 * DESCRIPTION
 *	Every tool runs through fork and execv with an argument vector, from
 *	a fixed directory list (/usr/sbin, /usr/bin, /sbin), with "-c DIR"
 *	for a non-default Postfix instance; no shell ever sees an argument.
 *	Queue ids are checked (ledger_valid_queue_id()) before they are
 *	passed.
 */
#ifndef SUBGATE_MTA_H
#define SUBGATE_MTA_H

#include <stddef.h>

/* Where a queue id is now, per postqueue -j. */
struct mta_queued {
	char id[33];
	char queue[16]; /* hold, deferred, active, incoming, maildrop */
};

/*
 * mta_run - run <tool> (a bare name) with <args> (NULL-terminated) after
 * "-c <confdir>"; its standard output into a new buffer <*out> (may be
 * NULL to discard; NUL-terminated, free()), standard error into <err>.
 * Returns the exit status, or -1 when it could not run.
 */
int mta_run(const char *confdir, const char *tool, const char *const *args,
    char **out, size_t *outlen, char *err, size_t errlen);

/*
 * mta_queue - every message in the queue (postqueue -j), into a new array
 * <*v> (free()) of <*n>. 0, or -1 with <err>.
 */
int mta_queue(const char *confdir, struct mta_queued **v, size_t *n, char *err,
    size_t errlen);

#endif
