/*
 * wallclock.h -- a log's local wall-clock time as seconds since the epoch
 *
 * DESCRIPTION
 *	Mailman writes its log times in the server's local time, with no
 *	zone (reference/mailman.md §1). The parser (policy/logline.h) reads
 *	them as if they were UTC: a "naive" time. subgatectl turns a naive
 *	time into a real one under the time zone of its environment (TZ, else
 *	/etc/localtime), so that a log from a server outside UTC gets its
 *	true times ("time" of replay --decisions, the windows across a change
 *	of daylight saving time, the match with the mail log's RFC 3339
 *	times).
 *
 *	Where daylight saving time ends, an hour of wall-clock times happens
 *	twice. A stream of times from one log (struct wallclock) takes the
 *	earlier of the two unless that is more than a minute before the time
 *	it returned last; then the later: a log written in order (give or
 *	take a minute) moves on through the repeated hour instead of jumping
 *	back. Alone, or first, the earlier one is taken. A time that never
 *	happened (the hour skipped where daylight saving time starts) is read
 *	with the offset in force before the change, as a clock that was not
 *	set forward would show it.
 *
 *	Fast: the offset is kept for a window of 15 minutes of naive time
 *	once both its ends are checked to have one reading, with one offset;
 *	other times are worked out alone (a few localtime_r(3) calls).
 * LIMITS
 *	Times whose year localtime_r(3) cannot represent come back
 *	unchanged. The zone is read once, by wallclock_init().
 */
#ifndef SUBGATE_WALLCLOCK_H
#define SUBGATE_WALLCLOCK_H

#include <stdint.h>

struct wallclock {
	int64_t lo, hi; /* naive window [lo, hi) with offset off; lo == hi:
	                   none */
	int64_t off;    /* UTC offset, seconds east */
	int64_t last;   /* the last time returned */
	int have_last;
};

/* wallclock_init - an empty stream, and the zone read (tzset(3)). */
void wallclock_init(struct wallclock *w);

/*
 * wallclock_epoch - seconds since the epoch of naive time <naive> (a
 * wall-clock time read as UTC), the next time of stream <w>.
 */
int64_t wallclock_epoch(struct wallclock *w, int64_t naive);

/*
 * wallclock_once - seconds since the epoch of naive time <naive> alone:
 * of two readings the earlier. Needs wallclock_init() (any stream) or
 * tzset(3) first.
 */
int64_t wallclock_once(int64_t naive);

#endif
