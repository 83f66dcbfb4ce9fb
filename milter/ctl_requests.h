/*
 * ctl_requests.h -- subgate's "request" log lines, for subgatectl replay
 *
 * DESCRIPTION
 *	The daemon logs one line per subscription requested by mail:
 *	  TIME HOST subgate[PID]: request list="L" requester="A" client=IP ...
 *	A mail log holding such lines tells replay which SMTP client made a
 *	request that Mailman's log records only by the requester's address.
 *	TIME is RFC 3339 (subgate -f, rsyslog's precise format, journalctl
 *	-o short-iso: "2026-12-04T06:32:21.058Z", "...+01:00") or the
 *	traditional syslog "Dec  4 06:32:21", a local time (wallclock.h) whose
 *	year is taken from the event being matched.
 * DIAGNOSTICS
 *	reqlog_load() returns NULL after printing "FILE: reason" to stderr.
 */
#ifndef SUBGATE_CTL_REQUESTS_H
#define SUBGATE_CTL_REQUESTS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct reqlog;

/* How far a request may precede (or, clocks differing, follow) the
 * pending record it explains. */
#define REQLOG_BEFORE_S (3 * 86400)
#define REQLOG_AFTER_S 300

/*
 * reqlog_load - read every "request" line of the files <paths>[0..n-1];
 * other lines, and request lines without a usable time or client, are
 * skipped and counted in <*skipped>. Returns the index, or NULL (out of
 * memory, unreadable file).
 */
struct reqlog *reqlog_load(
    char *const *paths, size_t n, uint64_t *loaded, uint64_t *skipped);

/*
 * reqlog_find - the client of the newest request by <requester> (<len>
 * bytes, case-insensitive) made between <t> - REQLOG_BEFORE_S and <t> +
 * REQLOG_AFTER_S (seconds since the epoch): 1 with <client> set, else 0.
 */
int reqlog_find(const struct reqlog *r, const char *requester, size_t len,
    int64_t t, struct addr *client);

/* reqlog_free - release <r>; NULL is a no-op. */
void reqlog_free(struct reqlog *r);

#endif
