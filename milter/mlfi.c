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
#include <ctype.h>
#include <strings.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "confirm.h"
#include "log.h"
#include "mlfi.h"

/* A subscription requested by mail, as it arrives. */
enum req_mode {
	REQ_NONE = 0, /* not a request to a list's command address */
	REQ_JOIN,     /* to LIST-join@ or LIST-subscribe@ */
	REQ_REQUEST   /* to LIST-request@: a request if the subject says so */
};

struct session {
	struct confirm_msg cm;
	struct addr client; /* the SMTP client */
	int have_client;
	char helo[256];
	/* per message, for requests by mail: */
	enum req_mode req;
	char req_list[256];
	char mail_from[256];
	char from_hdr[256]; /* the requester, as Mailman takes it */
	char subject[256];
};

/* REQUEST_MAX_AGE_S - how long a request by mail can explain a
 * confirmation: Mailman sends it within seconds. */
#define REQUEST_MAX_AGE_S 3600

static struct mlfi_setup setup;
/* The MTA does not wait for our answer at connect, HELO, MAIL and headers
 * (only over a unix socket: see mlfi_negotiate). */
static int noreply;
static char macro_i[] = "i";
static char filter_name[] = "subgate";

void
mlfi_init(const struct mlfi_setup *s)
{
	const char *sock = s->conf->socket != NULL ? s->conf->socket : "";

	setup = *s;
	noreply = strncmp(sock, "unix:", 5) == 0 ||
	    strncmp(sock, "local:", 6) == 0 || sock[0] == '/';
}

/* go_on - the answer of a step that never stops a message */
static sfsistat
go_on(void)
{
	return noreply ? SMFIS_NOREPLY : SMFIS_CONTINUE;
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
	char c[4], x[8], t[900];
	size_t i, n = 0;

	snprintf(c, sizeof(c), "%s", code);
	snprintf(x, sizeof(x), "%s", xcode);
	/* Printable text only; '%' doubled as the MTA expects; cut short
	 * of libmilter's reply limit. */
	for (i = 0; text[i] != '\0' && n + 3 < sizeof(t); i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '%')
			t[n++] = '%';
		t[n++] = (ch >= ' ' && ch <= '~') ? (char)ch : '?';
	}
	t[n] = '\0';
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

static void header_addr(const char *v, char *out, size_t size);

/*
 * list_domain - is <dom> one of list_domains (any domain when that is
 * empty)?
 */
static int
list_domain(const char *dom)
{
	const char *p = setup.conf->list_domains;
	size_t dl = strlen(dom), n;

	if (*p == '\0')
		return 1;
	for (p += strspn(p, ", \t"); *p != '\0'; p += strspn(p, ", \t")) {
		n = strcspn(p, ", \t");
		if (n == dl && strncasecmp(p, dom, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/*
 * command_address - is <rcpt> LIST-join@, LIST-subscribe@ or LIST-request@
 * on a list domain? The list name goes to <list>. Called on the RCPT of
 * every ordinary mail: the local part is looked at first.
 */
static enum req_mode
command_address(const char *rcpt, char *list, size_t size)
{
	static const struct {
		const char *suffix;
		size_t len;
		enum req_mode mode;
	} cmds[] = {{"-join", 5, REQ_JOIN}, {"-subscribe", 10, REQ_JOIN},
	    {"-request", 8, REQ_REQUEST}};
	char a[CONFIRM_ADDR_MAX];
	const char *at;
	size_t ll, i;

	header_addr(rcpt, a, sizeof(a));
	if ((at = strrchr(a, '@')) == NULL)
		return REQ_NONE;
	ll = (size_t)(at - a);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (ll <= cmds[i].len ||
		    memcmp(a + ll - cmds[i].len, cmds[i].suffix, cmds[i].len) !=
		        0)
			continue;
		if (!list_domain(at + 1))
			return REQ_NONE;
		snprintf(list, size, "%.*s", (int)(ll - cmds[i].len), a);
		return cmds[i].mode;
	}
	return REQ_NONE;
}

/* header_addr - the address of an address header or envelope argument,
 * lower-cased */
static void
header_addr(const char *v, char *out, size_t size)
{
	const char *lt = strrchr(v, '<'), *gt;
	size_t n, i;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		n = (size_t)(gt - lt - 1);
		v = lt + 1;
	} else {
		while (*v == ' ' || *v == '\t')
			v++;
		n = strcspn(v, " \t\r\n,");
	}
	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)v[i]);
	out[n] = '\0';
}

/*
 * request_eoh - a subscription requested by mail: check the SMTP sender's
 * SPF, act on the request as the policy says, and remember where it came
 * from for its confirmation
 */
static sfsistat
request_eoh(SMFICTX *ctx, struct session *s)
{
	enum spf_result res = SPF_RES_NONE;
	enum action a;
	char why[512], client[ADDR_TEXT_MAX], sr[300], sw[600], sl[300];
	char sm[600];
	const char *requester =
	    s->from_hdr[0] != '\0' ? s->from_hdr : s->mail_from;
	int have_rule, cached = 0;
	struct timespec now;

	/* To LIST-request only "subscribe" and "join" subjects subscribe. */
	if (s->req == REQ_REQUEST &&
	    strncasecmp(s->subject, "subscribe", 9) != 0 &&
	    strncasecmp(s->subject, "join", 4) != 0)
		return SMFIS_ACCEPT;
	why[0] = '\0';
	clock_gettime(CLOCK_REALTIME, &now);
	if (setup.spf != NULL && s->have_client)
		res = spf_check(setup.spf, &s->client, s->helo, s->mail_from,
		    (uint64_t)now.tv_sec, why, sizeof(why), &cached);
	a = engine_request(setup.engine, requester,
	    s->have_client ? &s->client : NULL, res, cached,
	    (int64_t)now.tv_sec, &have_rule);
	if (!s->have_client)
		snprintf(client, sizeof(client), "unknown");
	else
		addr_format(&s->client, client, sizeof(client));
	log_info("request list=\"%s\" requester=\"%s\" client=%s helo=\"%s\" "
	         "sender=\"%s\" spf=%s action=%s%s",
	    log_safe(s->req_list, sl, sizeof(sl)),
	    log_safe(requester, sr, sizeof(sr)), client,
	    log_safe(s->helo, sw, sizeof(sw)),
	    log_safe(s->mail_from, sm, sizeof(sm)), spf_result_word(res),
	    action_name(a), have_rule ? "" : " (no spf rule)");
	switch (a) {
	case ACT_REJECT: {
		char text[1100];

		snprintf(text, sizeof(text), "subgate: SPF %s for %s: %s",
		    spf_result_word(res), s->mail_from, why);
		reply(ctx, "550", "5.7.23", text);
		return SMFIS_REJECT;
	}
	case ACT_DEFER:
		reply(ctx, "451", "4.7.24",
		    "subgate: SPF could not be checked, try again later");
		return SMFIS_TEMPFAIL;
	case ACT_DISCARD:
		return SMFIS_DISCARD;
	default: /* accept; hold applies to its confirmation */
		return SMFIS_ACCEPT;
	}
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
 * envelope_addr - the address inside MAIL FROM's angle brackets ("" for the
 * null sender <>), cut to <size>
 */
static void
envelope_addr(char *dst, size_t size, const char *arg)
{
	size_t n;

	while (*arg == ' ')
		arg++;
	if (*arg == '<')
		arg++;
	n = strcspn(arg, ">");
	if (n >= size)
		n = size - 1;
	memcpy(dst, arg, n);
	dst[n] = '\0';
}

/* client_addr - the SMTP client's address from libmilter's sockaddr */
static int
client_addr(const _SOCK_ADDR *sa, struct addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    buf, sizeof(buf));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    buf, sizeof(buf));
	else
		return -1;
	return addr_parse(buf, strlen(buf), a);
}

/*
 * session_of - the connection's session, made on first use; NULL when out
 * of memory (logged). Connect, HELO and MAIL cannot answer (see
 * mlfi_negotiate): a failure there is answered at RCPT, which tries again.
 */
static struct session *
session_of(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s != NULL)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL || confirm_init(&s->cm) != 0) {
		free(s);
		log_warnx("out of memory for a session");
		return NULL;
	}
	smfi_setpriv(ctx, s);
	return s;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct session *s = session_of(ctx);

	(void)host;
	if (s != NULL)
		s->have_client = client_addr(sa, &s->client) == 0;
	return go_on();
}

static sfsistat
mlfi_helo(SMFICTX *ctx, char *helo)
{
	struct session *s = session_of(ctx);

	if (s != NULL)
		put(s->helo, sizeof(s->helo), helo);
	return go_on();
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = session_of(ctx);

	if (s == NULL)
		return go_on(); /* RCPT answers */
	confirm_reset(&s->cm);
	s->req = REQ_NONE;
	s->from_hdr[0] = s->subject[0] = '\0';
	envelope_addr(s->mail_from, sizeof(s->mail_from), argv[0]);
	/*
	 * Not from LIST-bounces: not a confirmation; it may still be a
	 * request by mail, which the recipient will tell.
	 */
	(void)confirm_envfrom(&s->cm, argv[0]);
	return go_on();
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL) {
		/* Connect and MAIL found no memory; MAIL's state is lost. */
		(void)session_of(ctx);
		return internal_error(ctx, "no session at RCPT");
	}
	/* A confirmation has exactly one recipient. */
	if (confirm_rcpt(&s->cm, argv[0]) != CONFIRM_NO)
		return SMFIS_CONTINUE;
	if (s->req == REQ_NONE)
		s->req =
		    command_address(argv[0], s->req_list, sizeof(s->req_list));
	return s->req != REQ_NONE ? SMFIS_CONTINUE : SMFIS_ACCEPT;
}

static sfsistat
mlfi_data(SMFICTX *ctx)
{
	/*
	 * Registered so that libmilter does not negotiate the DATA step away
	 * over an inet socket, where that costs a 40 ms stall per message
	 * (mlfi_negotiate turns it off over a unix socket).
	 */
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL)
		return go_on(); /* end of headers answers */
	confirm_header(&s->cm, name, value);
	if (s->req != REQ_NONE) {
		if (strcasecmp(name, "From") == 0)
			header_addr(value, s->from_hdr, sizeof(s->from_hdr));
		else if (strcasecmp(name, "Subject") == 0)
			confirm_decode_2047(
			    value, s->subject, sizeof(s->subject));
	}
	return go_on();
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL)
		return internal_error(ctx, "no session at end of headers");
	if (s->req != REQ_NONE)
		return request_eoh(ctx, s);
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
 * smtp_origin - a request by mail explains where a confirmation came
 * from: the SMTP client that sent it. 1 when <who> made one lately.
 */
static int
smtp_origin(const char *who, struct origin *o, int *spf)
{
	struct addr client;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (!engine_request_find(setup.engine, who, (int64_t)now.tv_sec,
	        REQUEST_MAX_AGE_S, &client, spf))
		return 0;
	origin_from_addr(engine_origin(setup.engine), &client, o);
	return 1;
}

/*
 * find_origin - the origin of confirmation <c>, and where it came from;
 * may settle an unknown 2.1 kind from the log
 */
static const char *
find_origin_raw(struct confirm *c, struct origin *o)
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

/*
 * find_origin - find_origin_raw(), then a request by mail: when the
 * requester is an address (Mailman 2.1 by mail) or there is none
 * (Mailman 3), the SMTP client that sent the request, if subgate saw it.
 * <*spf> is its SPF result, or -1.
 */
static const char *
find_origin(struct confirm *c, struct origin *o, int *spf)
{
	const char *source = find_origin_raw(c, o);
	const char *mail;
	char who[CONFIRM_ADDR_MAX];
	size_t n;

	*spf = -1;
	if ((mail = origin_mail_addr(o, &n)) != NULL) {
		snprintf(who, sizeof(who), "%.*s", (int)n, mail);
		if (smtp_origin(who, o, spf))
			return "smtp";
	} else if (c->mailman == 3 && o->ipkey_len == 0 &&
	    smtp_origin(c->rcpt, o, spf)) {
		return "smtp";
	}
	return source;
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
	snprintf(r.mta, sizeof(r.mta), "%s", conf_mta_name(setup.conf->mta));
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

/* add_header - the verdict header, "<verb>; reason=...; origin=...;
 * list=..."; a failure is logged, not fatal */
static void
add_header(SMFICTX *ctx, const char *verb, const char *reason,
    const char *origin, const char *safe_list)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s; reason=\"%s\"; origin=%s; list=%s",
	    verb, reason, origin, safe_list);
	if (smfi_addheader(ctx, (char *)(uintptr_t)setup.conf->header, text) !=
	    MI_SUCCESS)
		log_warnx("cannot add the %s header", setup.conf->header);
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
		add_header(ctx, "accept", reason, origin, safe_list);
		return SMFIS_ACCEPT;
	case ACT_DEFER:
		snprintf(text, sizeof(text),
		    "subgate: too many subscription confirmations (%s), try "
		    "again later",
		    reason);
		reply(ctx, "451", "4.7.1", text);
		return SMFIS_TEMPFAIL;
	case ACT_HOLD:
		if (setup.ledger != NULL &&
		    record_hold(c, subject, o, origin, reason,
		        smfi_getsymval(ctx, macro_i)) != 0) {
			reply(ctx, "451", "4.7.1",
			    "subgate: cannot record the hold, try again later");
			return SMFIS_TEMPFAIL;
		}
		/* Said in the message too, for when it is released. */
		add_header(ctx, "hold", reason, origin, safe_list);
		snprintf(text, sizeof(text), "subgate: %s", reason);
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
	int spf;

	if (s == NULL)
		return internal_error(ctx, "no session at end of message");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (confirm_eom(&s->cm, &c) == CONFIRM_KIND_NONE ||
	    c.kind == CONFIRM_KIND_LEAVE || c.kind == CONFIRM_KIND_INVITE)
		return SMFIS_ACCEPT;
	source = find_origin(&c, &o, &spf);
	if (c.kind == CONFIRM_KIND_NONE)
		return SMFIS_ACCEPT;
	origin_text(&o, origin, sizeof(origin));

	req.list = c.list;
	req.rcpt = c.rcpt;
	req.domain = c.domain;
	req.origin = &o;
	req.id = c.message_id[0] != '\0' ? c.message_id : c.cookie;
	req.spf = spf;
	if (engine_judge(setup.engine, &req, now_ms(), &v) != 0)
		return internal_error(ctx, "out of memory while deciding");
	rc = act(ctx, &c, s->cm.subject, &o, origin, &v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	engine_note(setup.engine, c.mailman, ms / 1000.0);
	qid = smfi_getsymval(ctx, macro_i);
	log_info("decision qid=%s mailman=%d list=\"%s\" rcpt=\"%s\" "
	         "origin=%s source=%s action=%s rule=\"%s\" key=\"%s\"%s%s%s%s "
	         "msgid=\"%s\" latency_ms=%.3f",
	    qid != NULL ? qid : "-", c.mailman,
	    log_safe(c.list, sl, sizeof(sl)), log_safe(c.rcpt, sr, sizeof(sr)),
	    log_safe(origin, so, sizeof(so)), source, action_name(v.action),
	    log_safe(v.rule, su, sizeof(su)), log_safe(v.key, sk, sizeof(sk)),
	    v.retry ? " retry=1" : "", v.banned ? " banned=1" : "",
	    spf >= 0 ? " spf=" : "",
	    spf >= 0 ? spf_result_word((enum spf_result)spf) : "",
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

/*
 * mlfi_negotiate - over a unix socket, ask the MTA not to wait for our
 * answer where we never stop a message (connect, HELO, MAIL, each header)
 * and not to send DATA: ordinary mail then costs one round trip (RCPT) and a
 * confirmation five instead of about twenty. Over TCP every step keeps its
 * answer: Postfix sends an unanswered packet, Nagle holds the next one until
 * our delayed ACK, and a message waits 40 ms (see mlfi_data). An MTA that
 * cannot skip the answers gets them from libmilter.
 */
static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	unsigned long want = SMFIP_NOUNKNOWN;

	(void)ctx;
	(void)f0;
	(void)f2;
	(void)f3;
	/* Both needed: libmilter refuses an MTA that cannot do them. */
	*pf0 = SMFIF_ADDHDRS | SMFIF_QUARANTINE;
	if (noreply)
		want |= SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL |
		    SMFIP_NR_HDR | SMFIP_NODATA;
	*pf1 = (f1 & SMFIP_SKIP) | want;
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    filter_name,
    SMFI_VERSION,
    SMFIF_ADDHDRS | SMFIF_QUARANTINE,
    mlfi_connect,
    mlfi_helo,
    mlfi_envfrom,
    mlfi_envrcpt,
    mlfi_header,
    mlfi_eoh,
    mlfi_body,
    mlfi_eom,
    mlfi_abort,
    mlfi_close,
    NULL, /* unknown */
    mlfi_data,
    mlfi_negotiate,
};

struct smfiDesc *
mlfi_desc(void)
{
	return &desc;
}
