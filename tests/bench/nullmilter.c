/*
 * nullmilter.c -- the baseline milter of tests/bench/bench_milter.sh
 *
 * DESCRIPTION
 *	A milter that looks at nothing and accepts every message, so that a
 *	benchmark can tell the cost of the milter protocol itself from the
 *	cost of subgate's work. It registers xxfi_data (SMFIS_CONTINUE) and
 *	xxfi_eom (SMFIS_ACCEPT) and nothing else: libmilter negotiates every
 *	other step away, but Postfix still sends the DATA and end-of-message
 *	packets and waits for the answers, as it does for any real milter.
 *	(Without xxfi_data the DATA macro packet goes unanswered and, over a
 *	TCP socket, Nagle delays the end of message by ~40 ms: see
 *	shared/reference/postfix-harness.md section 6.3.)
 *
 * USAGE
 *	nullmilter -p unix:/path/to/socket     (or inet:PORT@127.0.0.1)
 *	Runs in the foreground until SIGTERM/SIGINT; removes a stale socket
 *	first. bench_milter.sh builds it with
 *	  cc -O2 -o nullmilter nullmilter.c
 *	      $(pkg-config --cflags --libs milter) -lpthread
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

static char name[] = "nullmilter";

static sfsistat
null_data(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
null_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

static struct smfiDesc desc = {
    name, SMFI_VERSION, 0, /* no actions */
    NULL,                  /* connect */
    NULL,                  /* helo */
    NULL,                  /* envfrom */
    NULL,                  /* envrcpt */
    NULL,                  /* header */
    NULL,                  /* eoh */
    NULL,                  /* body */
    null_eom,              /* eom */
    NULL,                  /* abort */
    NULL,                  /* close */
    NULL,                  /* unknown */
    null_data,             /* data */
    NULL,                  /* negotiate */
};

int
main(int argc, char **argv)
{
	char *spec = NULL;
	int c;

	while ((c = getopt(argc, argv, "p:")) != -1) {
		if (c == 'p')
			spec = optarg;
		else
			goto usage;
	}
	if (spec == NULL || optind != argc)
		goto usage;
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		(void)unlink(strchr(spec, ':') + 1);
	umask(0); /* the socket must be writable by the MTA's user */
	if (smfi_setconn(spec) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: bad socket %s\n", spec);
		return 1;
	}
	if (smfi_register(desc) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: smfi_register failed\n");
		return 1;
	}
	if (smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot open %s\n", spec);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
usage:
	fprintf(stderr, "usage: nullmilter -p unix:/path | inet:PORT@HOST\n");
	return 2;
}
