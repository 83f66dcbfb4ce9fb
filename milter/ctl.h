/*
 * ctl.h -- subgatectl: shared pieces of the admin commands
 *
 * DESCRIPTION
 *	Each command lives in its own ctl_<command>.c and has the signature
 *	int ctl_<command>(int argc, char **argv, const struct conf *conf),
 *	returning the process exit status:
 *	  0  done (unparsable log lines are counted and reported, not fatal)
 *	  1  the policy file has errors (check-policy, replay)
 *	  2  usage error, or an input that cannot be read
 */
#ifndef SUBGATE_CTL_H
#define SUBGATE_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "logline.h"
#include "policy.h"

#define CTL_EXIT_OK 0
#define CTL_EXIT_POLICY 1
#define CTL_EXIT_USAGE 2

/* Counts every reader of Mailman logs reports. */
struct ctl_input_stats {
	uint64_t lines;   /* physical lines */
	uint64_t records; /* records (a record may span lines) */
	uint64_t errors;  /* unparsable records and overlong lines */
};

/*
 * Called for every parsed subscription record, in input order: <ev> with
 * <lineno> the 1-based line number of its first line in the concatenated
 * input, and its time in seconds since the epoch (the log's local time
 * read in subgatectl's time zone: wallclock.h). Return 0 to go on,
 * non-zero to stop.
 */
typedef int (*ctl_record_fn)(
    const struct logev *ev, uint64_t lineno, void *arg);

/*
 * ctl_read_logs - open every path of <paths> (all first: a missing file is
 * reported before anything is read), then feed their records to <fn>.
 * Unparsable records are counted in <st> and the first few reported on
 * stderr as "FILE:LINE: message". Returns 0, or CTL_EXIT_USAGE when a file
 * could not be opened or read.
 */
int ctl_read_logs(char **paths, int npaths, ctl_record_fn fn, void *arg,
    struct ctl_input_stats *st);

/*
 * ctl_load_policy - read and parse the policy file <path>; every error goes
 * to stderr. Returns the policy, or NULL (exit status in <*status>).
 */
struct policy *ctl_load_policy(const char *path, int *status);

int ctl_top(int argc, char **argv, const struct conf *conf);
int ctl_replay(int argc, char **argv, const struct conf *conf);
int ctl_check_policy(int argc, char **argv, const struct conf *conf);
int ctl_quarantine(int argc, char **argv, const struct conf *conf);
int ctl_status(int argc, char **argv, const struct conf *conf);
int ctl_reload(int argc, char **argv, const struct conf *conf);
int ctl_explain(int argc, char **argv, const struct conf *conf);
int ctl_unban(int argc, char **argv, const struct conf *conf);
int ctl_reset(int argc, char **argv, const struct conf *conf);

#endif
