/*
 * ctl_control.c -- subgatectl status, reload, explain, unban, reset
 *
 * DESCRIPTION
 *	These talk to the running daemon over its control socket
 *	(control_socket in subgate.conf; protocol in control.h): one request
 *	line, one answer. Exit status: 0 OK, 1 the daemon answered ERR (a
 *	reload refused, no such key), 2 it could not be reached.
 *
 *	subgatectl status [--json]
 *	subgatectl reload
 *	subgatectl explain ADDR [--list L] [--ip IP]
 *	subgatectl unban KEY
 *	subgatectl reset KEY
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "ctl.h"

/* request - send <line>, read the whole answer into a new string */
static char *
request(const struct conf *conf, const char *line, int *status)
{
	struct sockaddr_un sun;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	ssize_t r;
	int fd;

	*status = CTL_EXIT_USAGE;
	if (conf->control_socket[0] == '\0') {
		fprintf(stderr,
		    "subgatectl: control_socket is off in the "
		    "configuration\n");
		return NULL;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((n = strlen(conf->control_socket)) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "subgatectl: control_socket path too long\n");
		return NULL;
	}
	memcpy(sun.sun_path, conf->control_socket, n + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "subgatectl: cannot reach subgate at %s: %s\n",
		    conf->control_socket, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	n = strlen(line);
	/*
	 * A refused peer is answered at once and may find the connection
	 * closed while it writes: the answer is still there to read.
	 */
	signal(SIGPIPE, SIG_IGN);
	(void)!write(fd, line, n);
	shutdown(fd, SHUT_WR);
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				close(fd);
				fprintf(stderr, "subgatectl: out of memory\n");
				return NULL;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (buf == NULL || len == 0) {
		fprintf(stderr, "subgatectl: no answer from subgate\n");
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*status = strncmp(buf, "OK\n", 3) == 0 ? CTL_EXIT_OK : CTL_EXIT_POLICY;
	return buf;
}

/* print_answer - the body on stdout (OK) or the whole answer on stderr */
static int
print_answer(char *buf, int status)
{
	if (buf == NULL)
		return status;
	if (status == CTL_EXIT_OK)
		fputs(buf + 3, stdout);
	else
		fprintf(stderr, "subgate: %s",
		    strncmp(buf, "ERR ", 4) == 0 ? buf + 4 : buf);
	free(buf);
	return status;
}

/* simple - a command with no options and <nargs> plain arguments */
static int
simple(int argc, char **argv, const struct conf *conf, int nargs,
    const char *usage)
{
	char line[CONTROL_LINE_MAX], *buf;
	int status, i;
	size_t n;

	if (argc != 1 + nargs) {
		fprintf(stderr, "usage: subgatectl %s\n", usage);
		return CTL_EXIT_USAGE;
	}
	n = (size_t)snprintf(line, sizeof(line), "SUBGATE/%d %s",
	    CONTROL_PROTO_VERSION, argv[0]);
	for (i = 1; i < argc; i++) {
		if (strpbrk(argv[i], " \t\r\n") != NULL || argv[i][0] == '\0') {
			fprintf(stderr,
			    "subgatectl: \"%s\": no blanks allowed\n", argv[i]);
			return CTL_EXIT_USAGE;
		}
		n += (size_t)snprintf(
		    line + n, sizeof(line) - n, " %s", argv[i]);
	}
	if (n + 2 >= sizeof(line)) {
		fprintf(stderr, "subgatectl: request too long\n");
		return CTL_EXIT_USAGE;
	}
	line[n++] = '\n';
	line[n] = '\0';
	buf = request(conf, line, &status);
	return print_answer(buf, status);
}

int
ctl_reload(int argc, char **argv, const struct conf *conf)
{
	return simple(argc, argv, conf, 0, "reload");
}

int
ctl_unban(int argc, char **argv, const struct conf *conf)
{
	return simple(argc, argv, conf, 1, "unban KEY");
}

int
ctl_reset(int argc, char **argv, const struct conf *conf)
{
	return simple(argc, argv, conf, 1, "reset KEY");
}

int
ctl_explain(int argc, char **argv, const struct conf *conf)
{
	static const struct option longopts[] = {
	    {"list", required_argument, NULL, 'l'},
	    {"ip", required_argument, NULL, 'i'}, {NULL, 0, NULL, 0}};
	const char *list = "-", *ip = "-";
	char *av[4];
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'l')
			list = optarg;
		else if (ch == 'i')
			ip = optarg;
		else
			goto usage;
	}
	if (optind != argc - 1 || strchr(argv[optind], '@') == NULL)
		goto usage;
	av[0] = argv[0];
	av[1] = argv[optind];
	av[2] = (char *)(uintptr_t)list;
	av[3] = (char *)(uintptr_t)ip;
	return simple(4, av, conf, 3, "explain ADDR [--list L] [--ip IP]");
usage:
	fprintf(
	    stderr, "usage: subgatectl explain ADDR [--list L] [--ip IP]\n");
	return CTL_EXIT_USAGE;
}

/* jget - the number after "key": in <s> (the first one), or -1 */
static long long
jget(const char *s, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(s, pat)) == NULL)
		return -1;
	return strtoll(p + strlen(pat), NULL, 10);
}

int
ctl_status(int argc, char **argv, const struct conf *conf)
{
	char line[64];
	char *buf, *body;
	int status, json = 0;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: subgatectl status [--json]\n");
		return CTL_EXIT_USAGE;
	}
	snprintf(
	    line, sizeof(line), "SUBGATE/%d status\n", CONTROL_PROTO_VERSION);
	if ((buf = request(conf, line, &status)) == NULL ||
	    status != CTL_EXIT_OK || json)
		return print_answer(buf, status);
	/* A readable summary; --json has everything. */
	body = buf + 3;
	printf("subgate up %llds, policy with %lld rules (%lld reloads)\n",
	    jget(body, "uptime_s"), jget(body, "rules"), jget(body, "reloads"));
	printf("decisions: accept %lld, defer %lld, hold %lld, reject %lld, "
	       "discard %lld\n",
	    jget(body, "accept"), jget(body, "defer"), jget(body, "hold"),
	    jget(body, "reject"), jget(body, "discard"));
	printf("keys: %lld tracked (ip %lld, subnet %lld, domain %lld, "
	       "list %lld), %lld bytes\n",
	    jget(body, "total"), jget(body, "ip"), jget(body, "subnet"),
	    jget(body, "domain"), jget(body, "list"), jget(body, "bytes"));
	printf("(subgatectl status --json for logs, evictions and tripped "
	       "keys)\n");
	free(buf);
	return CTL_EXIT_OK;
}
