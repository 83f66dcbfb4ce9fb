/*
 * control.c -- the admin's sockets: control commands and metrics
 *
 * DESCRIPTION
 *	See control.h. Each control connection is a bufferevent: one line is
 *	read (at most CONTROL_LINE_MAX bytes), answered from an in-memory
 *	stream, and the connection is closed once the answer is written. All
 *	of it runs on the event thread; the engine calls it makes take the
 *	engine's mutex for microseconds.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "control.h"
#include "engine.h"
#include "evloop.h"
#include "log.h"
#include "origin.h"

static struct evconnlistener *listener;
static struct evhttp *http;
static struct evloop *loop;
static gid_t allowed_gid;

int
control_socket(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control_socket %s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* Non-blocking: the event loop accepts on it. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	         0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)unlink(path);
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 16) == -1) {
		snprintf(err, errlen, "control_socket %s: %s", path,
		    strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (chown(path, uid, gid) == -1 || chmod(path, 0660) == -1) {
		snprintf(err, errlen, "control_socket %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* peer_allowed - root, our own user, or a member of the allowed group */
static int
peer_allowed(int fd, char *who, size_t size)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd *pw;
	gid_t groups[64];
	int ngroups = 64, i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		snprintf(who, size, "unknown peer");
		return 0;
	}
	snprintf(who, size, "uid %ld pid %ld", (long)cred.uid, (long)cred.pid);
	if (cred.uid == 0 || cred.uid == geteuid() || cred.gid == allowed_gid)
		return 1;
	if ((pw = getpwuid(cred.uid)) != NULL &&
	    getgrouplist(pw->pw_name, cred.gid, groups, &ngroups) != -1)
		for (i = 0; i < ngroups; i++)
			if (groups[i] == allowed_gid)
				return 1;
	return 0;
}

/* now_ms - the engine's clock */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* cmd_explain - "explain ADDR LIST|- IP|-" */
static void
cmd_explain(FILE *out, char **arg, int nargs)
{
	struct engine *e = evloop_engine(loop);
	struct engine_req r;
	struct origin o;
	char text[8192];
	const char *at;

	if (nargs != 3 || (at = strrchr(arg[0], '@')) == NULL) {
		fprintf(out, "ERR usage: explain ADDR LIST|- IP|-\n");
		return;
	}
	if (strcmp(arg[2], "-") == 0)
		origin_none(&o);
	else
		origin_from_remote(
		    engine_origin(e), arg[2], strlen(arg[2]), &o);
	memset(&r, 0, sizeof(r));
	r.list = strcmp(arg[1], "-") == 0 ? "" : arg[1];
	r.rcpt = arg[0];
	r.domain = at + 1;
	r.origin = &o;
	r.id = "";
	r.spf = -1;
	engine_explain(e, &r, now_ms(), text, sizeof(text));
	fprintf(out, "OK\n%s", text);
}

/* cmd_status - the daemon's state, as JSON */
static void
cmd_status(FILE *out)
{
	fprintf(out, "OK\n{");
	evloop_write_status(loop, out);
	fprintf(out, ",");
	engine_write_status(evloop_engine(loop), out, now_ms());
	fprintf(out, "}\n");
}

/* dispatch - one request line; the answer goes to <out> */
static void
dispatch(char *line, FILE *out)
{
	char *arg[8], *save = NULL, *tok, *verb;
	char expect[32];
	int nargs = 0, n;

	snprintf(expect, sizeof(expect), "SUBGATE/%d", CONTROL_PROTO_VERSION);
	tok = strtok_r(line, " ", &save);
	if (tok == NULL || strcmp(tok, expect) != 0) {
		fprintf(out, "ERR protocol version: this subgate speaks %s\n",
		    expect);
		return;
	}
	if ((verb = strtok_r(NULL, " ", &save)) == NULL) {
		fprintf(out, "ERR no command\n");
		return;
	}
	while (nargs < 8 && (tok = strtok_r(NULL, " ", &save)) != NULL)
		arg[nargs++] = tok;
	if (strcmp(verb, "status") == 0) {
		cmd_status(out);
	} else if (strcmp(verb, "reload") == 0) {
		char msg[16384];

		if (evloop_reload(loop, msg, sizeof(msg)) == 0)
			fprintf(out, "OK\n%s", msg);
		else
			fprintf(out,
			    "ERR policy not reloaded, the old one "
			    "stays\n%s",
			    msg);
	} else if (strcmp(verb, "explain") == 0) {
		cmd_explain(out, arg, nargs);
	} else if ((strcmp(verb, "unban") == 0 || strcmp(verb, "reset") == 0) &&
	    nargs == 1) {
		n = verb[0] == 'u'
		    ? engine_unban(evloop_engine(loop), arg[0], now_ms())
		    : engine_reset(evloop_engine(loop), arg[0]);
		if (n > 0)
			fprintf(out, "OK\n%s %s: %d key%s\n", verb, arg[0], n,
			    n == 1 ? "" : "s");
		else
			fprintf(out, "ERR %s: no %s key \"%s\"\n", verb,
			    verb[0] == 'u' ? "banned" : "tracked", arg[0]);
		if (n > 0)
			log_info("control: %s %s", verb, arg[0]);
	} else {
		fprintf(out, "ERR unknown command \"%s\"\n", verb);
	}
}

/* done_cb - the answer is out: close */
static void
done_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

/* answer - put <text> on <bev> and close it once written */
static void
answer(struct bufferevent *bev, const char *text, size_t len)
{
	bufferevent_setcb(bev, NULL, done_cb, NULL, NULL);
	bufferevent_disable(bev, EV_READ);
	bufferevent_write(bev, text, len);
}

/* read_cb - a request line */
static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line, *buf = NULL;
	size_t len = 0, n;
	FILE *out;

	(void)arg;
	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CONTROL_LINE_MAX)
			answer(bev, "ERR request too long\n", 21);
		return;
	}
	if ((out = open_memstream(&buf, &len)) == NULL) {
		free(line);
		answer(bev, "ERR out of memory\n", 18);
		return;
	}
	dispatch(line, out);
	fclose(out);
	answer(bev, buf, len);
	free(buf);
	free(line);
}

/* event_cb - the peer went away before its answer */
static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

/* accept_cb - a new control connection: check who it is */
static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct bufferevent *bev;
	char who[96];

	(void)sa;
	(void)socklen;
	(void)arg;
	bev = bufferevent_socket_new(
	    evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	if (!peer_allowed(fd, who, sizeof(who))) {
		log_warnx("control: refused %s (not root, not subgate's user, "
		          "not in its group)",
		    who);
		answer(bev, "ERR permission denied\n", 22);
		bufferevent_enable(bev, EV_WRITE);
		return;
	}
	bufferevent_setwatermark(bev, EV_READ, 0, CONTROL_LINE_MAX + 2);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* accept_error_cb - EMFILE and friends: log, keep listening */
static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	log_warn("control: accept");
}

/* metrics_cb - GET /metrics */
static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)arg;
	if (b == NULL || (out = open_memstream(&buf, &len)) == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		if (b != NULL)
			evbuffer_free(b);
		return;
	}
	evloop_write_metrics(loop, out);
	engine_write_metrics(evloop_engine(loop), out, now_ms());
	fclose(out);
	evbuffer_add(b, buf, len);
	free(buf);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

int
control_start(struct event_base *base, struct evloop *ev, int fd, gid_t gid,
    const char *metrics_listen, char *err, size_t errlen)
{
	loop = ev;
	allowed_gid = gid;
	if (fd != -1) {
		listener = evconnlistener_new(base, accept_cb, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
		if (listener == NULL) {
			snprintf(err, errlen, "control socket: cannot listen");
			return -1;
		}
		evconnlistener_set_error_cb(listener, accept_error_cb);
	}
	if (metrics_listen[0] != '\0') {
		char host[256];
		const char *colon = strrchr(metrics_listen, ':');
		long port;

		if (colon == NULL ||
		    (size_t)(colon - metrics_listen) >= sizeof(host) ||
		    (port = strtol(colon + 1, NULL, 10)) <= 0 || port > 65535) {
			snprintf(err, errlen,
			    "metrics_listen \"%s\": want "
			    "HOST:PORT",
			    metrics_listen);
			return -1;
		}
		memcpy(host, metrics_listen, (size_t)(colon - metrics_listen));
		host[colon - metrics_listen] = '\0';
		if ((http = evhttp_new(base)) == NULL ||
		    evhttp_bind_socket(http, host, (ev_uint16_t)port) != 0) {
			snprintf(err, errlen, "metrics_listen %s: cannot bind",
			    metrics_listen);
			return -1;
		}
		evhttp_set_allowed_methods(http, EVHTTP_REQ_GET);
		evhttp_set_cb(http, "/metrics", metrics_cb, NULL);
	}
	return 0;
}

void
control_stop(void)
{
	if (listener != NULL)
		evconnlistener_free(listener);
	listener = NULL;
	if (http != NULL)
		evhttp_free(http);
	http = NULL;
}
