/*
 * engine.h -- the daemon's shared state: policy, counters, log index
 *
 * DESCRIPTION
 *	One engine per daemon. The milter threads call engine_judge() (under
 *	the engine's mutex: the policy library is not thread-safe, and a
 *	decision takes microseconds); the event thread feeds Mailman log
 *	records with engine_log_record() and swaps policies with
 *	engine_set_policy(). Lock order: only the engine mutex; no libmilter
 *	or libevent call is made while it is held.
 *
 *	The log index remembers the last ENGINE_PENDING_MAX "pending" records
 *	(list, address, remote, time) so that a confirmation whose body does
 *	not name its requester finds it; a milter thread may wait a bounded
 *	time for a record that has not been read yet. That ring and the one of
 *	requests by mail are searched through a hash index (seqindex.h), not
 *	scanned.
 */
#ifndef SUBGATE_ENGINE_H
#define SUBGATE_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "decide.h"
#include "journal.h"
#include "logline.h"
#include "origin.h"
#include "policy.h"

#define ENGINE_PENDING_MAX 8192
#define ENGINE_REMOTE_MAX 128
#define ENGINE_RULE_TEXT 512

struct engine;

/* One confirmation to judge. */
struct engine_req {
	const char *list;
	const char *rcpt;
	const char *domain;
	const struct origin *origin;
	const char *id; /* Message-ID or cookie; may be "" */
	/* The SPF result of the request by mail behind it, or -1: a policy
	 * "spf RESULT hold" holds the confirmation unless a limit does
	 * something severer. */
	int spf;
};

/* The verdict, copied out of the engine's structures. */
struct engine_verdict {
	enum action action;
	int allowed, retry, banned, internal_error;
	char rule[ENGINE_RULE_TEXT];   /* canonical rule text, "" if none */
	char key[DECIDE_KEY_TEXT_MAX]; /* the deciding key, "" if none */
	uint32_t ban_left_s;
};

/*
 * engine_new - an engine with <pol> (taken over) and a decider built from
 * <dc>; <origin> is copied. NULL on allocation failure.
 */
struct engine *engine_new(struct policy *pol, const struct decide_conf *dc,
    const struct origin_conf *origin);
void engine_free(struct engine *e);

/* engine_origin - the origin settings (immutable). */
const struct origin_conf *engine_origin(const struct engine *e);

/*
 * engine_set_policy - swap in <pol> (taken over); the old one is freed.
 * Counters and bans are kept.
 */
void engine_set_policy(struct engine *e, struct policy *pol);

/*
 * engine_judge - decide for <r> now (<now_ms>, any monotonic or wall
 * clock the caller uses consistently) and copy the verdict into <v>.
 * Returns 0, or -1 on an internal error (then <v>->internal_error).
 */
int engine_judge(struct engine *e, const struct engine_req *r, uint64_t now_ms,
    struct engine_verdict *v);

/*
 * engine_log_record - remember a parsed log record (pending ones only;
 * others are ignored) and wake waiting threads.
 */
void engine_log_record(struct engine *e, const struct logev *ev);

/*
 * engine_find_pending - the remote of the newest pending record for
 * (<list>, <addr>) (case-insensitive) into <remote>; waits up to
 * <wait_ms> for one to arrive. Returns 1 found, 0 not found.
 */
int engine_find_pending(struct engine *e, const char *list, const char *addr,
    unsigned wait_ms, char *remote, size_t size);

/*
 * engine_reload - swap in <pol> (taken over), keeping counters and bans
 * (bans follow their rule by its text); <source> and <digest> describe
 * it for status. The old policy is freed. With <pol> NULL only the
 * description changes (at start-up).
 */
void engine_reload(struct engine *e, struct policy *pol, const char *source,
    const char *digest, int64_t loaded_at);

/*
 * engine_explain - what would happen to a confirmation to <r> now, without
 * counting it, written as text into <out> (one line per limit behind it).
 */
void engine_explain(struct engine *e, const struct engine_req *r,
    uint64_t now_ms, char *out, size_t size);

/*
 * engine_unban / engine_reset - clear the ban of (unban), or forget
 * (reset), every counter key printed as <key> ("192.0.2.7",
 * "192.0.2.0/24", "2001:db8::/64", "mallory@example.com", "unknown", a
 * domain or a list). Returns the number of entries changed.
 */
int engine_unban(struct engine *e, const char *key, uint64_t now_ms);
int engine_reset(struct engine *e, const char *key);

/*
 * engine_note - record, for the metrics, one recognised confirmation of
 * Mailman <mailman> and the latency of its decision in seconds.
 */
void engine_note(struct engine *e, int mailman, double latency_s);

/*
 * engine_write_status / engine_write_metrics - the engine's part of
 * "subgatectl status --json" (JSON members, no braces) and of /metrics
 * (Prometheus text), into <f>.
 */
void engine_write_status(struct engine *e, FILE *f, uint64_t now_ms);
void engine_write_metrics(struct engine *e, FILE *f, uint64_t now_ms);

/* Requests by mail remembered for their confirmations: the newest ones. */
#define ENGINE_REQUESTS_MAX 8192

/*
 * engine_set_journal - from now on append every decision that counts, and
 * every unban and reset, to <j> (journal.h; NULL: none) before making it;
 * the policy in force is journaled first, and again at every reload and
 * into every new journal of a save. The engine does not own <j>.
 */
void engine_set_journal(struct engine *e, struct journal *j);

/* engine_journal_failures - journal records not written (full, or a write
 * error) since the last call; 0 without a journal. */
uint64_t engine_journal_failures(struct engine *e);

/*
 * engine_replay_judge / engine_replay_key - what a journal record says,
 * done again (journal_replay()'s callbacks; <arg> is the engine): the
 * decision is counted as it was, without metrics and without journaling.
 */
void engine_replay_judge(void *arg, const struct journal_judge *r);
void engine_replay_key(void *arg, const struct journal_key *k);

/*
 * engine_policy_text - the canonical text of the policy in force
 * (policy_print()), to be freed; NULL when out of memory.
 */
char *engine_policy_text(struct engine *e);

/*
 * engine_replay_policy - during a journal replay, decide what follows
 * under <pol> (taken over; a journaled policy), as a reload would, but
 * without journaling or counting a reload; the policy of this start is
 * set aside until engine_replay_done().
 */
void engine_replay_policy(struct engine *e, struct policy *pol);

/*
 * engine_replay_done - end of the journal replay: the policy of this start
 * is back in force (bans follow their rule by its text, as at a reload).
 * A no-op when engine_replay_policy() was not called.
 */
void engine_replay_done(struct engine *e);

/*
 * engine_save_state / engine_load_state - decide_save_mem() and
 * decide_load() of the engine's decider under its policy, with the engine
 * locked (decisions wait for it). With a journal, engine_save_state also
 * rotates it in the same critical section (stamped <wall_ms>, <engine_ms>)
 * and sets <*gen> to the new generation: the image holds everything
 * before it. <*gen> is 0 without a journal. When the new journal cannot
 * be made, <*gen> is still the generation it would have had, the old one
 * is written on (and pruned with the rest), and <err> says why.
 */
int engine_save_state(struct engine *e, unsigned char **buf, size_t *len,
    uint64_t wall_ms, uint64_t engine_ms, uint64_t *gen, char *err,
    size_t errlen);
int engine_load_state(struct engine *e, const void *buf, size_t len,
    uint64_t now_ms, int64_t shift_s, struct decide_load_info *info, char *err,
    size_t errlen);

/*
 * engine_request - a subscription requested by mail from <requester> (an
 * address; case-insensitive), whose SMTP client <client> (NULL: unknown)
 * got SPF <spf> at <now_s> (<spf_cached>: from subgate's SPF cache).
 * Returns the policy's action for that result (ACT_ACCEPT, and
 * <*have_rule> 0, when the policy has no rule for it) and counts it for
 * status and metrics. Unless that action refuses the request
 * (defer, reject, discard), the client is remembered for
 * engine_request_find(), in a ring of the newest ENGINE_REQUESTS_MAX.
 */
enum action engine_request(struct engine *e, const char *requester,
    const struct addr *client, enum spf_result spf, int spf_cached,
    int64_t now_s, int *have_rule);

/*
 * engine_request_find - the newest request by mail from <requester> no
 * older than <max_age_s>: 1 with <client> and <spf> filled, else 0.
 */
int engine_request_find(struct engine *e, const char *requester, int64_t now_s,
    int64_t max_age_s, struct addr *client, int *spf);

/* engine_expire - drop idle counters (budgeted); for the GC timer. */
void engine_expire(struct engine *e, uint64_t now_ms, size_t budget);

/* engine_stats - a copy of the decider's figures. */
void engine_stats(struct engine *e, struct decide_stats *s);

#endif
