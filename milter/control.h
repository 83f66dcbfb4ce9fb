/*
 * control.h -- the admin's sockets: control commands and metrics
 *
 * DESCRIPTION
 *	On the event thread: a UNIX control socket (mode 0660, the group of
 *	the "group" key) speaking a one-line request, one answer protocol
 *	with subgatectl, and, when metrics_listen is set, libevent's HTTP
 *	server answering GET /metrics in the Prometheus text format.
 *
 *	Request:  "SUBGATE/<CONTROL_PROTO_VERSION> COMMAND [ARG...]\n"
 *	Answer:   "OK\n" or "ERR <reason>\n", then the command's text; the
 *	          server closes the connection after it.
 *	Commands: status [json], reload, explain ADDR LIST|- IP|-,
 *	          unban KEY, reset KEY.
 *	A request of another version, a peer whose credentials are neither
 *	root, subgate's own user nor a member of its group, or a malformed
 *	request gets an ERR answer and is logged; nothing else happens.
 */
#ifndef SUBGATE_CONTROL_H
#define SUBGATE_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

#define CONTROL_PROTO_VERSION 1
#define CONTROL_LINE_MAX 4096

struct event_base;
struct evloop;

/*
 * control_socket - create, bind and listen on the UNIX socket <path> (as
 * root, before the privilege drop), mode 0660, owned by <uid>:<gid>.
 * Returns the fd, or -1 with <err>.
 */
int control_socket(
    const char *path, uid_t uid, gid_t gid, char *err, size_t errlen);

/*
 * control_start - serve <fd> (may be -1: no control socket) and, when
 * <metrics_listen> ("HOST:PORT") is not empty, /metrics, on <base>, for
 * <ev>. <gid> is the group allowed besides root and subgate's user.
 * 0, or -1 with <err>.
 */
int control_start(struct event_base *base, struct evloop *ev, int fd, gid_t gid,
    const char *metrics_listen, char *err, size_t errlen);

/* control_stop - close both; safe to call twice. */
void control_stop(void);

#endif
