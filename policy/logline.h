/*
 * logline.h -- Mailman subscribe-log records: join physical lines, parse
 *
 * DESCRIPTION
 *	Mailman 2.1 writes LOG_DIR/subscribe, Mailman 3 writes mailman.log,
 *	both with the prefix "Mon DD HH:MM:SS YYYY (PID) ". A physical line
 *	without that exact prefix is never a record of its own: it continues
 *	the previous record (a real name may hold a raw newline, and a forged
 *	prefix inside it carries "\(999\)", which the strict prefix refuses).
 *
 *	struct logjoin turns physical lines into records; logline_parse()
 *	turns one record into a struct logev. Bytes, not UTF-8: Latin-1 names
 *	pass through untouched. Pure: no clock, no I/O, no logging.
 *
 *	Only "pending" and "new" records are read across lines (their real
 *	names may hold a raw newline); every other kind is read from its first
 *	line, so Mailman 3 tracebacks and access lines joined after a record
 *	do not spoil it. The remote of a pending record ends with its line:
 *	Mailman never writes a newline into it. One trailing '\r' (CRLF logs)
 *	is ignored.
 * DIAGNOSTICS
 *	logline_parse() returns LOGLINE_OK, LOGLINE_OTHER (a well-formed
 *	record that is not about subscriptions, e.g. Mailman 3 runner noise)
 *	or an error code; logline_strerror() names it.
 * LIMITS
 *	A record longer than LOGJOIN_MAX bytes is cut there and flagged
 *	(struct logrec.truncated); an address longer than LOGEV_ADDR_MAX-1
 *	bytes or a list name longer than LOGEV_LIST_MAX-1 bytes is an error.
 */
#ifndef SUBGATE_LOGLINE_H
#define SUBGATE_LOGLINE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define LOGEV_ADDR_MAX 256
#define LOGEV_LIST_MAX 256
#define LOGJOIN_MAX (64 * 1024)

enum logev_kind {
	LOGEV_OTHER = 0,  /* prefixed record of no interest */
	LOGEV_PENDING,    /* 2.1 "LIST: pending WHO  REMOTE" */
	LOGEV_NEW,        /* 2.1 "LIST: new[ (digest)] WHO, WHENCE" */
	LOGEV_DELETED,    /* 2.1 "LIST: deleted ADDR[; WHENCE]", MM3 too */
	LOGEV_CHANGED,    /* 2.1 "LIST: changed member address from A to B" */
	LOGEV_AUTOUNSUB,  /* 2.1 "LIST: ADDR auto-unsubscribed [reason: R]" */
	LOGEV_HELD_SUB,   /* MM3 "LIST@DOM: held subscription request from A" */
	LOGEV_HELD_UNSUB, /* MM3 "... held unsubscription request from A" */
	LOGEV_CONFIRM_SENT /* MM3 "deque: do_confirm_verify" (PID only) */
};

enum logev_remote {
	REMOTE_NONE = 0,     /* no remote on this kind of record */
	REMOTE_IP,           /* one IPv4 or IPv6 address (as text) */
	REMOTE_CHAIN,        /* a forwarded-for list "a, b[, c]" */
	REMOTE_UNIDENTIFIED, /* "unidentified origin" */
	REMOTE_MAIL,         /* an e-mail address: request made by mail */
	REMOTE_OTHER         /* anything else (a host name, forged text) */
};

/* A byte range inside the record given to logline_parse(). */
struct logspan {
	const char *p;
	size_t len;
};

struct logev {
	enum logev_kind kind;
	int64_t time; /* prefix date read as UTC, seconds since the epoch */
	uint32_t pid;
	int digest; /* LOGEV_NEW: 1 for "new (digest)" */
	/*
	 * List name as logged ("mylist", or "test@lists.example.org" for
	 * MM3), NUL-terminated, case kept.
	 */
	char list[LOGEV_LIST_MAX];
	/*
	 * The member address, NUL-terminated, local part as logged and
	 * domain lower-cased. Empty for LOGEV_CONFIRM_SENT and LOGEV_OTHER.
	 * For LOGEV_CHANGED this is the old address and <addr2> the new one.
	 */
	char addr[LOGEV_ADDR_MAX];
	char addr2[LOGEV_ADDR_MAX];
	struct logspan name;           /* display name exactly as logged (may be
	                                  quoted, escaped, contain newlines); len 0
	                                  when none */
	struct logspan remote;         /* PENDING: remote text; NEW: whence;
	                                  DELETED: whence; AUTOUNSUB: reason */
	enum logev_remote remote_kind; /* PENDING only, else REMOTE_NONE */
	struct addr remote_ip;         /* REMOTE_IP: the address, parsed */
};

enum logline_result {
	LOGLINE_OK = 0,
	LOGLINE_OTHER,     /* valid prefix, not a subscription record */
	LOGLINE_NOPREFIX,  /* no strict "Mon DD HH:MM:SS YYYY (PID) " */
	LOGLINE_BADDATE,   /* prefix shape right, date or PID impossible */
	LOGLINE_NUL,       /* a NUL byte inside the record */
	LOGLINE_MALFORMED, /* known kind, fields do not parse */
	LOGLINE_TOOLONG    /* address or list name too long */
};

/*
 * logline_prefix - if <line>/<len> starts with the strict prefix, return
 * its length (the message starts there) and set <*time> and <*pid>;
 * otherwise return 0. Accepts only English C-locale month names, a
 * two-digit zero-padded day, a 4-digit year and "(DIGITS) ".
 */
size_t logline_prefix(
    const char *line, size_t len, int64_t *time, uint32_t *pid);

/*
 * logline_parse - parse one whole record (first line plus continuation
 * lines joined with '\n', no trailing newline). Spans in <ev> point into
 * <rec>, which must outlive their use; an absent span has p == NULL and
 * len 0. Returns a logline_result; on anything but LOGLINE_OK, <ev> is
 * LOGEV_OTHER with empty strings, so a careless caller counts nothing.
 */
enum logline_result logline_parse(
    const char *rec, size_t len, struct logev *ev);

/* logline_strerror - a short English text for <r>. Static storage. */
const char *logline_strerror(enum logline_result r);

/*
 * struct logjoin - accumulates physical lines into records.
 * Use: logjoin_init(); for each physical line (without its '\n')
 * logjoin_push(); when it returns 1 a finished record is in <*out>; at end
 * of input logjoin_flush() returns the last one. Each returned record stays
 * valid until the next push/flush/free on the same logjoin.
 */
struct logrec {
	const char *p; /* the record, continuation lines joined with \n */
	size_t len;
	uint64_t lineno; /* 1-based number of its first physical line */
	unsigned nlines; /* physical lines it spans */
	int prefixed;    /* 0: lines before any prefixed line (orphans) */
	int truncated;   /* 1 when cut at LOGJOIN_MAX */
	/* prefixed: what logline_prefix() read from the first line */
	size_t plen;
	int64_t time;
	uint32_t pid;
};

struct logjoin {
	char *buf[2]; /* double buffer: one being built, one handed out */
	size_t cap[2];
	size_t len; /* bytes in the record being built (buf[cur]) */
	int cur;
	int have; /* a record is being built */
	struct logrec building;
	uint64_t lineno; /* physical lines seen */
};

/*
 * logline_parse_rec - logline_parse() of a record from struct logjoin,
 * without reading its prefix again (logjoin did). Same results.
 */
enum logline_result logline_parse_rec(
    const struct logrec *rec, struct logev *ev);

/* logjoin_init - make <j> empty. No allocation yet. */
void logjoin_init(struct logjoin *j);

/*
 * logjoin_push - add one physical line (<line>/<len>, '\n' stripped; a
 * trailing '\r' is kept as data). Returns 1 and fills <out> when this line
 * finished the previous record, 0 when not, -1 on allocation failure (the
 * line is then lost and counted as nothing). Orphan continuation lines at
 * the very start of input form a record with prefixed == 0.
 */
int logjoin_push(
    struct logjoin *j, const char *line, size_t len, struct logrec *out);

/* logjoin_flush - hand out the record being built, if any: 1 or 0. */
int logjoin_flush(struct logjoin *j, struct logrec *out);

/* logjoin_free - release the buffers; <j> may be reused after init. */
void logjoin_free(struct logjoin *j);

#endif
