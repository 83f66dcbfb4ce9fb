/*
 * mta.c -- run the MTA's queue tools (postqueue, postsuper, postcat)
 *
 * DESCRIPTION
 *	See mta.h. postqueue -j prints one JSON object per message; only the
 *	"queue_name" and "queue_id" string fields are read, by scanning for
 *	their keys (both values are plain identifiers).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ledger.h"
#include "mta.h"

static const char *const tool_dirs[] = {"/usr/sbin", "/usr/bin", "/sbin"};

/* find_tool - the absolute path of <tool>, or -1 */
static int
find_tool(const char *tool, char *path, size_t size)
{
	size_t i;

	for (i = 0; i < sizeof(tool_dirs) / sizeof(tool_dirs[0]); i++) {
		snprintf(path, size, "%s/%s", tool_dirs[i], tool);
		if (access(path, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* A growing output buffer. */
struct obuf {
	char *p;
	size_t len, cap;
	int fd;
};

/* drain - read what <b>'s pipe has; 0 at end of file, 1 more, -1 error */
static int
drain(struct obuf *b)
{
	ssize_t r;
	char *np;

	if (b->len + 4096 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 65536;
		if ((np = realloc(b->p, b->cap)) == NULL)
			return -1;
		b->p = np;
	}
	r = read(b->fd, b->p + b->len, b->cap - b->len - 1);
	if (r == -1)
		return errno == EINTR ? 1 : -1;
	b->len += (size_t)(r > 0 ? r : 0);
	b->p[b->len] = '\0';
	return r > 0;
}

/* collect - read both pipes until both end (poll: no deadlock on a full
 * pipe) */
static int
collect(struct obuf *o, struct obuf *e)
{
	struct pollfd pf[2];
	int open_o = 1, open_e = 1, r;

	while (open_o || open_e) {
		pf[0].fd = open_o ? o->fd : -1;
		pf[0].events = POLLIN;
		pf[1].fd = open_e ? e->fd : -1;
		pf[1].events = POLLIN;
		if (poll(pf, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (open_o && pf[0].revents != 0) {
			if ((r = drain(o)) < 0)
				return -1;
			open_o = r;
		}
		if (open_e && pf[1].revents != 0) {
			if ((r = drain(e)) < 0)
				return -1;
			open_e = r;
		}
	}
	return 0;
}

int
mta_run(const char *confdir, const char *tool, const char *const *args,
    char **out, size_t *outlen, char *err, size_t errlen)
{
	const char *argv[256];
	char path[256], *o = NULL, *e = NULL;
	int po[2], pe[2], status, argc = 0, i;
	size_t olen = 0;
	pid_t pid;

	if (find_tool(tool, path, sizeof(path)) != 0) {
		snprintf(err, errlen,
		    "%s not found in /usr/sbin, /usr/bin, "
		    "/sbin",
		    tool);
		return -1;
	}
	argv[argc++] = tool;
	argv[argc++] = "-c";
	argv[argc++] = confdir;
	for (i = 0; args[i] != NULL && argc < 255; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	if (pipe2(po, O_CLOEXEC) == -1 || pipe2(pe, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execv(path, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	{
		struct obuf ob = {NULL, 0, 0, po[0]}, eb = {NULL, 0, 0, pe[0]};

		if (collect(&ob, &eb) != 0)
			snprintf(err, errlen, "reading %s: %s", tool,
			    strerror(errno));
		o = ob.p;
		olen = ob.len;
		e = eb.p;
	}
	close(po[0]);
	close(pe[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	snprintf(err, errlen, "%s", e != NULL ? e : "");
	free(e);
	if (o == NULL && (o = calloc(1, 1)) == NULL)
		olen = 0;
	if (out != NULL) {
		*out = o;
		if (outlen != NULL)
			*outlen = olen;
	} else {
		free(o);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* field - the string value of "key": "value" in <line> */
static int
field(const char *line, const char *key, char *dst, size_t size)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	if ((p = strstr(line, pat)) == NULL) {
		snprintf(pat, sizeof(pat), "\"%s\":\"", key);
		if ((p = strstr(line, pat)) == NULL)
			return -1;
	}
	p += strlen(pat);
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= size)
		return -1;
	memcpy(dst, p, (size_t)(e - p));
	dst[e - p] = '\0';
	return 0;
}

int
mta_queue(const char *confdir, struct mta_queued **v, size_t *n, char *err,
    size_t errlen)
{
	static const char *const args[] = {"-j", NULL};
	char *out = NULL, *line, *save = NULL;
	struct mta_queued *q = NULL, *nq;
	size_t len = 0, cap = 0, k = 0;
	int rc;

	rc = mta_run(confdir, "postqueue", args, &out, &len, err, errlen);
	if (rc != 0) {
		if (rc > 0 && err[0] == '\0')
			snprintf(
			    err, errlen, "postqueue -j exited with %d", rc);
		free(out);
		return -1;
	}
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		struct mta_queued m;

		if (field(line, "queue_id", m.id, sizeof(m.id)) != 0 ||
		    field(line, "queue_name", m.queue, sizeof(m.queue)) != 0)
			continue;
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nq = realloc(q, cap * sizeof(*q))) == NULL) {
				snprintf(err, errlen, "out of memory");
				free(q);
				free(out);
				return -1;
			}
			q = nq;
		}
		q[k++] = m;
	}
	free(out);
	*v = q;
	*n = k;
	err[0] = '\0';
	return 0;
}
