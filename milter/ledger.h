/*
 * ledger.h -- the quarantine ledger: a record of every held confirmation
 *
 * DESCRIPTION
 *	An SQLite database (WAL mode) with one row per confirmation subgate
 *	asked the MTA to hold: the MTA's queue id, when, the MTA kind, list,
 *	recipient, domain, origin address and subnet, the rule that held it,
 *	Message-ID, Subject, and its state (held, released, deleted, expired)
 *	with when and by whom that last changed.
 *
 *	The daemon writes the row before it answers the MTA, and SQLite has
 *	it in the file before the call returns, so a kill -9 at any moment
 *	cannot leave the MTA holding a message the ledger does not know (the
 *	reverse, a row for a message the MTA never held, is what reconcile
 *	finds). subgatectl reads it and changes states. Both serialise their
 *	own use of one handle; SQLite locks between processes (a busy
 *	database is retried for LEDGER_BUSY_MS, then reported).
 */
#ifndef SUBGATE_LEDGER_H
#define SUBGATE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define LEDGER_BUSY_MS 3000
#define LEDGER_ID_MAX 32

struct ledger;

/* One held confirmation. Strings are NUL-terminated. */
struct ledger_rec {
	char queue_id[LEDGER_ID_MAX + 1];
	int64_t time; /* when it was held, epoch seconds */
	char mta[16]; /* "postfix", "sendmail" */
	char list[256];
	char recipient[256];
	char domain[256];
	char ip[64]; /* origin: address, requester or "unknown" */
	char subnet[64];
	char rule[512];
	char message_id[256];
	char subject[256];
	char state[16]; /* held, released, deleted, expired */
	int64_t state_time;
	char state_by[64];
};

/*
 * ledger_open - open (<create>: and create, with its schema) the ledger at
 * <path>. Returns NULL with the reason in <err>: a missing ledger when
 * <create> is 0 is an error, never an empty ledger.
 */
struct ledger *ledger_open(
    const char *path, int create, char *err, size_t errlen);
void ledger_close(struct ledger *l);

/*
 * ledger_add - record <r> (state "held"); a queue id already present is
 * replaced. 0, or -1 with <err>. Thread-safe.
 */
int ledger_add(
    struct ledger *l, const struct ledger_rec *r, char *err, size_t errlen);

/*
 * ledger_set_state - mark <queue_id> <state> now, by <by>, if it is in
 * <from_state> (NULL: any). Returns 1 changed, 0 not found or not in that
 * state, -1 error.
 */
int ledger_set_state(struct ledger *l, const char *queue_id, const char *state,
    const char *by, const char *from_state, char *err, size_t errlen);

/*
 * ledger_writable - can a change be written now? Takes and drops the write
 * lock (waiting up to LEDGER_BUSY_MS), so a caller can refuse to act
 * before it runs anything. 0, or -1 with <err>.
 */
int ledger_writable(struct ledger *l, char *err, size_t errlen);

/* Filters for ledger_query(); NULL or 0 fields do not filter. */
struct ledger_filter {
	const char *ip, *subnet, *domain, *list, *state;
	int64_t since;
	const char **ids; /* these queue ids only */
	size_t nids;
};

/*
 * ledger_query - every row matching <f>, oldest first, into a new array
 * <*out> (free()) of <*n> rows. 0, or -1 with <err>.
 */
int ledger_query(struct ledger *l, const struct ledger_filter *f,
    struct ledger_rec **out, size_t *n, char *err, size_t errlen);

/*
 * ledger_valid_queue_id - 1 when <id> has one of Postfix's two queue id
 * forms (short: 6 to 20 upper-case hex digits; long: base-52 time, 'z',
 * base-51 inode, at most 32 characters) or Sendmail's (14 alphanumerics),
 * else 0. Nothing else ever reaches an MTA tool.
 */
int ledger_valid_queue_id(const char *id);

#endif
