/*
 * mlfi.c -- the libmilter callbacks
 *
 * DESCRIPTION
 *	See mlfi.h. Per connection a struct session holds the recogniser's
 *	state (its buffers are allocated once per connection); per message
 *	it is reset in xxfi_envfrom, after xxfi_eom and in xxfi_abort.
 *
 *	Where a confirmation's origin comes from, in order of trust: the
 *	requester a Mailman 2.1 body names; the subscribe log's pending line
 *	for (list, recipient), waited for up to wait_for_log; none. A Mailman
 *	2.1 confirmation with neither has the origin "unknown"; Mailman 3
 *	names no requester anywhere, so its confirmations have no ip or
 *	subnet key at all.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "confirm.h"
#include "log.h"
#include "mlfi.h"

struct session {
	struct confirm_msg cm;
	struct timespec t_eom;
};

static struct mlfi_setup setup;
static char macro_i[] = "i";
static char filter_name[] = "subgate";

void
mlfi_init(const struct mlfi_setup *s)
{
	setup = *s;
}

/* now_ms - the engine's clock */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * reply - smfi_setreply() with our constant strings (libmilter's
 * prototypes take char *, ours are const)
 */
static void
reply(SMFICTX *ctx, const char *code, const char *xcode, const char *text)
{
	char c[4], x[8], t[2048];

	snprintf(c, sizeof(c), "%s", code);
	snprintf(x, sizeof(x), "%s", xcode);
	snprintf(t, sizeof(t), "%s", text);
	if (smfi_setreply(ctx, c, x, t) != MI_SUCCESS)
		log_warnx("cannot set the reply %s %s", c, x);
}

/* internal_error - the configured answer to a failure of ours */
static sfsistat
internal_error(SMFICTX *ctx, const char *what)
{
	log_warnx("internal error: %s", what);
	if (setup.conf->on_internal_error == CONF_ON_ERROR_TEMPFAIL) {
		reply(ctx, "451", "4.3.0", "subgate: internal error");
		return SMFIS_TEMPFAIL;
	}
	return SMFIS_ACCEPT;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct session *s = smfi_getpriv(ctx);

	(void)host;
	(void)sa;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL ||
		    confirm_init(&s->cm) != 0) {
			free(s);
			return internal_error(ctx, "out of memory at connect");
		}
		smfi_setpriv(ctx, s);
	}
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL)
		return internal_error(ctx, "no session at MAIL");
	confirm_reset(&s->cm);
	/* Not from LIST-bounces: not Mailman's; no more callbacks. */
	if (confirm_envfrom(&s->cm, argv[0]) == CONFIRM_NO)
		return SMFIS_ACCEPT;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL)
		return internal_error(ctx, "no session at RCPT");
	/* A confirmation has exactly one recipient. */
	if (confirm_rcpt(&s->cm, argv[0]) == CONFIRM_NO)
		return SMFIS_ACCEPT;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_data(SMFICTX *ctx)
{
	/*
	 * Registered only so that libmilter does not negotiate the DATA step
	 * away: over an inet socket that costs a 40 ms stall per message.
	 */
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL)
		return internal_error(ctx, "no session at header");
	confirm_header(&s->cm, name, value);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL)
		return internal_error(ctx, "no session at end of headers");
	if (confirm_eoh(&s->cm) == CONFIRM_NO)
		return SMFIS_ACCEPT; /* a look-alike or ordinary mail */
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL)
		return internal_error(ctx, "no session at body");
	if (s->cm.stage != CONFIRM_MAYBE)
		return SMFIS_SKIP;
	confirm_body(&s->cm, chunk, len);
	return SMFIS_CONTINUE;
}

/*
 * find_origin - the origin of confirmation <c>, and where it came from;
 * may settle an unknown 2.1 kind from the log
 */
static const char *
find_origin(struct confirm *c, struct origin *o)
{
	char remote[ENGINE_REMOTE_MAX];

	if (c->requester_found) {
		origin_from_remote(engine_origin(setup.engine), c->requester,
		    strlen(c->requester), o);
		/* The text hid the kind: a pending line says subscription. */
		if (c->kind == CONFIRM_KIND_UNKNOWN && setup.have_log)
			c->kind =
			    engine_find_pending(setup.engine, c->list, c->rcpt,
			        (unsigned)setup.conf->wait_for_log_ms, remote,
			        sizeof(remote))
			    ? CONFIRM_KIND_JOIN
			    : CONFIRM_KIND_NONE;
		return "body";
	}
	if (c->mailman == 2 && setup.have_log) {
		log_debug(
		    "waiting for the log: list=%s rcpt=%s", c->list, c->rcpt);
		if (engine_find_pending(setup.engine, c->list, c->rcpt,
		        (unsigned)setup.conf->wait_for_log_ms, remote,
		        sizeof(remote))) {
			origin_from_remote(engine_origin(setup.engine), remote,
			    strlen(remote), o);
			if (c->kind == CONFIRM_KIND_UNKNOWN)
				c->kind = CONFIRM_KIND_JOIN;
			return "log";
		}
		/* No pending line: not a subscription, if the text hid it. */
		if (c->kind == CONFIRM_KIND_UNKNOWN)
			c->kind = CONFIRM_KIND_NONE;
	}
	if (c->mailman == 3) {
		origin_none(o);
		return "none";
	}
	/*
	 * A 2.1 body always names its requester; with no requester, no log
	 * line and a kind the text hides, this is no subscription we know.
	 */
	if (c->kind == CONFIRM_KIND_UNKNOWN)
		c->kind = CONFIRM_KIND_NONE;
	origin_unknown(o);
	return "none";
}

/* origin_text - the origin for humans */
static void
origin_text(const struct origin *o, char *buf, size_t size)
{
	if (o->kind == ORIGIN_IP)
		addr_format(&o->ip, buf, size);
	else if (o->ipkey_len == 0)
		snprintf(buf, size, "none");
	else if (origin_key_format(o->ipkey, o->ipkey_len, buf, size) == 0)
		snprintf(buf, size, "unknown");
}

/* put - a bounded copy; longer text is cut (a ledger field, not a key) */
static void
put(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * record_hold - the ledger row for a confirmation about to be held; it is
 * written before the MTA is told, so no held message goes unrecorded.
 * 0, or -1 when it cannot be recorded (the caller defers instead).
 */
static int
record_hold(const struct confirm *c, const char *subject,
    const struct origin *o, const char *origin, const char *reason,
    const char *qid)
{
	struct ledger_rec r;
	char err[512];

	if (qid == NULL || !ledger_valid_queue_id(qid)) {
		log_warnx("hold: no usable queue id from the MTA (macro i)");
		return -1;
	}
	memset(&r, 0, sizeof(r));
	put(r.queue_id, sizeof(r.queue_id), qid);
	r.time = (int64_t)time(NULL);
	snprintf(r.mta, sizeof(r.mta), "postfix");
	put(r.list, sizeof(r.list), c->list);
	put(r.recipient, sizeof(r.recipient), c->rcpt);
	put(r.domain, sizeof(r.domain), c->domain);
	put(r.ip, sizeof(r.ip), origin);
	if (o->subnetkey_len == 0 ||
	    origin_key_format(o->subnetkey, o->subnetkey_len, r.subnet,
	        sizeof(r.subnet)) == 0)
		snprintf(r.subnet, sizeof(r.subnet), "none");
	put(r.rule, sizeof(r.rule), reason);
	put(r.message_id, sizeof(r.message_id), c->message_id);
	put(r.subject, sizeof(r.subject), subject);
	if (ledger_add(setup.ledger, &r, err, sizeof(err)) != 0) {
		log_warnx("hold: %s", err);
		return -1;
	}
	return 0;
}

/* act - map the verdict onto the milter's answer */
static sfsistat
act(SMFICTX *ctx, const struct confirm *c, const char *subject,
    const struct origin *o, const char *origin, const struct engine_verdict *v)
{
	char text[2048], safe_list[300], reason[1024];

	log_safe(c->list, safe_list, sizeof(safe_list));
	if (v->rule[0] != '\0')
		snprintf(reason, sizeof(reason), "%s%s%s%s", v->rule,
		    v->key[0] ? " (" : "", v->key, v->key[0] ? ")" : "");
	else
		snprintf(reason, sizeof(reason), "no limit reached");
	switch (v->action) {
	case ACT_ACCEPT:
		snprintf(text, sizeof(text),
		    "accept; reason=\"%s\"; origin=%s; list=%s", reason, origin,
		    safe_list);
		if (smfi_addheader(ctx, (char *)(uintptr_t)setup.conf->header,
		        text) != MI_SUCCESS)
			log_warnx(
			    "cannot add the %s header", setup.conf->header);
		return SMFIS_ACCEPT;
	case ACT_DEFER:
		snprintf(text, sizeof(text),
		    "subgate: too many subscription confirmations (%s), try "
		    "again later",
		    reason);
		reply(ctx, "451", "4.7.1", text);
		return SMFIS_TEMPFAIL;
	case ACT_HOLD:
		snprintf(text, sizeof(text), "subgate: %s", reason);
		if (setup.ledger != NULL &&
		    record_hold(c, subject, o, origin, reason,
		        smfi_getsymval(ctx, macro_i)) != 0) {
			reply(ctx, "451", "4.7.1",
			    "subgate: cannot record the hold, try again later");
			return SMFIS_TEMPFAIL;
		}
		if (smfi_quarantine(ctx, text) != MI_SUCCESS) {
			log_warnx("quarantine refused by the MTA; deferring");
			reply(ctx, "451", "4.7.1",
			    "subgate: cannot hold, try again later");
			return SMFIS_TEMPFAIL;
		}
		return SMFIS_ACCEPT;
	case ACT_REJECT:
		snprintf(text, sizeof(text),
		    "subgate: subscription confirmation refused (%s)", reason);
		reply(ctx, "550", "5.7.1", text);
		return SMFIS_REJECT;
	case ACT_DISCARD:
		return SMFIS_DISCARD;
	}
	return SMFIS_ACCEPT;
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);
	struct engine_verdict v;
	struct engine_req req;
	struct confirm c;
	struct origin o;
	struct timespec t0, t1;
	const char *source, *qid;
	char origin[ORIGIN_KEY_MAX + 8], sl[300], sr[300], sm[300], sk[300];
	char so[600], su[1100];
	double ms;
	sfsistat rc;

	if (s == NULL)
		return internal_error(ctx, "no session at end of message");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (confirm_eom(&s->cm, &c) == CONFIRM_KIND_NONE ||
	    c.kind == CONFIRM_KIND_LEAVE || c.kind == CONFIRM_KIND_INVITE)
		return SMFIS_ACCEPT;
	source = find_origin(&c, &o);
	if (c.kind == CONFIRM_KIND_NONE)
		return SMFIS_ACCEPT;
	origin_text(&o, origin, sizeof(origin));

	req.list = c.list;
	req.rcpt = c.rcpt;
	req.domain = c.domain;
	req.origin = &o;
	req.id = c.message_id[0] != '\0' ? c.message_id : c.cookie;
	if (engine_judge(setup.engine, &req, now_ms(), &v) != 0)
		return internal_error(ctx, "out of memory while deciding");
	rc = act(ctx, &c, s->cm.subject, &o, origin, &v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	engine_note(setup.engine, c.mailman, ms / 1000.0);
	qid = smfi_getsymval(ctx, macro_i);
	log_info("decision qid=%s mailman=%d list=\"%s\" rcpt=\"%s\" "
	         "origin=%s source=%s action=%s rule=\"%s\" key=\"%s\"%s%s "
	         "msgid=\"%s\" latency_ms=%.3f",
	    qid != NULL ? qid : "-", c.mailman,
	    log_safe(c.list, sl, sizeof(sl)), log_safe(c.rcpt, sr, sizeof(sr)),
	    log_safe(origin, so, sizeof(so)), source, action_name(v.action),
	    log_safe(v.rule, su, sizeof(su)), log_safe(v.key, sk, sizeof(sk)),
	    v.retry ? " retry=1" : "", v.banned ? " banned=1" : "",
	    log_safe(c.message_id, sm, sizeof(sm)), ms);
	return rc;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s != NULL)
		confirm_reset(&s->cm);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	/* May run before (or without) xxfi_connect: <s> may be NULL. */
	if (s != NULL) {
		confirm_free(&s->cm);
		free(s);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    filter_name, SMFI_VERSION, SMFIF_ADDHDRS | SMFIF_QUARANTINE, mlfi_connect,
    NULL, /* helo */
    mlfi_envfrom, mlfi_envrcpt, mlfi_header, mlfi_eoh, mlfi_body, mlfi_eom,
    mlfi_abort, mlfi_close, NULL, /* unknown */
    mlfi_data, NULL,              /* negotiate */
};

struct smfiDesc *
mlfi_desc(void)
{
	return &desc;
}
