/*
 * confirm.h -- recognise Mailman's subscription confirmations
 *
 * DESCRIPTION
 *	Fed one message as the MTA hands it to a milter (envelope, then each
 *	header, then the body), decides as early as it can whether it is a
 *	Mailman 2.1 or 3 confirmation request and of which kind, and pulls
 *	out what the decision needs: the list, the cookie, the recipient, the
 *	Message-ID and, from a Mailman 2.1 body, the requester ("We have
 *	received a request from 192.0.2.10 for subscription ...").
 *
 *	The signature (mailman.md 3.3, mailman3-e2e.md 6):
 *	  envelope sender  LIST-bounces@HOST or LIST-bounces+...@HOST
 *	  one recipient
 *	  X-Mailman-Version 2.1.x or 3.x, Auto-Submitted present
 *	  2.1: X-List-Administrivia: yes, Reply-To present (an invitation has
 *	       none), cookie from "Subject: confirm <40 hex>" or from a
 *	       "LIST-confirm+<40 hex>@" From/Reply-To (VERP_CONFIRMATIONS);
 *	  3:   From LIST-confirm+<40 hex>@DOMAIN, or From LIST-request@ with
 *	       "Subject: confirm <40 hex>"; join, leave and invitation told
 *	       apart by the (untranslated) subject where it says.
 *	Subjects are RFC 2047-decoded; bodies quoted-printable- or
 *	base64-decoded before they are read. Where the text is translated and
 *	the subject does not say (2.1 without VERP, 3 without VERP), the body's
 *	title decides for English and German; other languages are
 *	CONFIRM_KIND_UNKNOWN, which the caller settles with the subscribe log.
 *
 *	Pure: no I/O, no allocation after confirm_init() (fixed buffers),
 *	no clock; one struct confirm_msg per connection, reset per message.
 * LIMITS
 *	Header values are kept up to CONFIRM_HDR_MAX bytes, the body up to
 *	CONFIRM_BODY_MAX: longer input is cut, never an error. A confirmation
 *	is short (under 3 KB); anything longer is looked at, not buffered.
 */
#ifndef SUBGATE_CONFIRM_H
#define SUBGATE_CONFIRM_H

#include <stddef.h>
#include <stdint.h>

#define CONFIRM_HDR_MAX 1024
#define CONFIRM_BODY_MAX (64 * 1024)
#define CONFIRM_ADDR_MAX 256
#define CONFIRM_TEXT_MAX 256

enum confirm_stage {
	CONFIRM_NO = 0, /* not a confirmation: stop looking */
	CONFIRM_MAYBE,  /* go on feeding */
	CONFIRM_DONE    /* recognised; the body is not needed */
};

enum confirm_kind {
	CONFIRM_KIND_NONE = 0, /* not a Mailman confirmation */
	CONFIRM_KIND_JOIN,     /* subscription confirmation: counted */
	CONFIRM_KIND_LEAVE,    /* unsubscription confirmation */
	CONFIRM_KIND_INVITE,   /* invitation */
	CONFIRM_KIND_UNKNOWN   /* a confirmation whose kind the text hides */
};

/* What was recognised. Strings are NUL-terminated, possibly empty. */
struct confirm {
	enum confirm_kind kind;
	int mailman;                   /* 2 or 3; 0 when not Mailman */
	char list[CONFIRM_ADDR_MAX];   /* 2.1: "mylist"; 3: "test@host" */
	char cookie[41];               /* 40 lower-case hex, or "" */
	char rcpt[CONFIRM_ADDR_MAX];   /* the envelope recipient */
	char domain[CONFIRM_ADDR_MAX]; /* its domain, lower-case */
	char message_id[CONFIRM_TEXT_MAX];
	char requester[CONFIRM_TEXT_MAX]; /* 2.1 body: the remote, "" if none */
	int requester_found;              /* the body named one */
};

struct confirm_msg {
	struct confirm c;
	char envfrom[CONFIRM_ADDR_MAX];
	int nrcpt;
	int have_version, have_auto_submitted, have_reply_to;
	int have_administrivia;
	char subject[CONFIRM_HDR_MAX]; /* decoded */
	char from_addr[CONFIRM_ADDR_MAX];
	char reply_to_addr[CONFIRM_ADDR_MAX];
	char cte[32]; /* Content-Transfer-Encoding */
	char *body;   /* CONFIRM_BODY_MAX + 1 bytes */
	char *text;   /* the same: decoding room */
	size_t body_len;
	int body_cut;
	enum confirm_stage stage;
};

/*
 * confirm_init - ready <m> for a new message; allocates the body buffer
 * once. Returns 0, or -1 when memory ran out. confirm_reset() readies it
 * for the next message without allocating.
 */
int confirm_init(struct confirm_msg *m);
void confirm_reset(struct confirm_msg *m);
void confirm_free(struct confirm_msg *m);

/*
 * confirm_envfrom / confirm_rcpt - the envelope (address without <>).
 * Return CONFIRM_NO as soon as the message cannot be a confirmation (the
 * sender is not LIST-bounces, or a second recipient), else CONFIRM_MAYBE.
 */
enum confirm_stage confirm_envfrom(struct confirm_msg *m, const char *addr);
enum confirm_stage confirm_rcpt(struct confirm_msg *m, const char *addr);

/* confirm_header - one header (name without ':', value unfolded or not). */
void confirm_header(struct confirm_msg *m, const char *name, const char *value);

/*
 * confirm_eoh - after the last header: CONFIRM_NO (not a confirmation,
 * or a look-alike the headers already expose: the caller may stop
 * reading), CONFIRM_DONE (kind known, body not needed) or CONFIRM_MAYBE
 * (the body is needed).
 */
enum confirm_stage confirm_eoh(struct confirm_msg *m);

/* confirm_body - a chunk of the body (raw, as transferred). */
void confirm_body(struct confirm_msg *m, const void *chunk, size_t len);

/*
 * confirm_eom - the verdict: fills <out> (kind CONFIRM_KIND_NONE when the
 * message is no confirmation) and returns its kind.
 */
enum confirm_kind confirm_eom(struct confirm_msg *m, struct confirm *out);

/* confirm_kind_name - "join", "leave", "invite", "unknown", "none". */
const char *confirm_kind_name(enum confirm_kind k);

/*
 * confirm_decode_2047 - decode the RFC 2047 encoded words of <in> into
 * <out> (<size> bytes, NUL-terminated; bytes as the charset has them),
 * unfolding line breaks. Malformed words are copied as they are. Returns
 * the length written.
 */
size_t confirm_decode_2047(const char *in, char *out, size_t size);

/*
 * confirm_decode_body - decode <in>/<len> by Content-Transfer-Encoding
 * <cte> ("base64", "quoted-printable", anything else: as is) into <out>
 * (<size> bytes). Invalid input is skipped, never an error. Returns the
 * length written.
 */
size_t confirm_decode_body(
    const char *cte, const char *in, size_t len, char *out, size_t size);

#endif
