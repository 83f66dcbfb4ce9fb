/*
 * ctl_main.c -- subgatectl: the admin's command-line tool
 *
 * DESCRIPTION
 *	subgatectl [-c FILE] COMMAND [ARGS]. Reads subgate.conf (-c FILE, the
 *	default path when absent, built-in defaults when that does not exist)
 *	for trusted_proxies and the prefix lengths, then runs one command from
 *	the table below. -c may also follow the command name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

struct ctl_command {
	const char *name;
	int (*fn)(int argc, char **argv, const struct conf *conf);
	const char *usage;
};

static const struct ctl_command commands[] = {
    {"top", ctl_top, "top [-n N] [--json] LOG..."},
    {"replay", ctl_replay,
        "replay --policy FILE [--json] [--decisions OUT.jsonl] LOG..."},
    {"check-policy", ctl_check_policy, "check-policy [-v] FILE"},
    {"quarantine", ctl_quarantine,
        "quarantine list|show|release|delete|expire|reconcile ..."},
    {"status", ctl_status, "status [--json]"},
    {"reload", ctl_reload, "reload"},
    {"explain", ctl_explain, "explain ADDR [--list L] [--ip IP]"},
    {"unban", ctl_unban, "unban KEY"},
    {"reset", ctl_reset, "reset KEY"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* usage - the command summary on stderr */
static int
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: subgatectl [-c FILE] COMMAND [ARGS]\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(stderr, "       subgatectl %s\n", commands[i].usage);
	return CTL_EXIT_USAGE;
}

/*
 * take_conf_opt - remove "-c FILE" (or "-cFILE", "--config FILE") from
 * argv; returns the file or NULL, or "" on a missing argument.
 */
static const char *
take_conf_opt(int *argc, char **argv)
{
	const char *path = NULL;
	int i, j, n;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= *argc)
				return "";
			path = argv[i + 1];
			n = 2;
		} else if (strncmp(argv[i], "-c", 2) == 0 &&
		    argv[i][2] != '\0') {
			path = argv[i] + 2;
			n = 1;
		} else {
			continue;
		}
		for (j = i; j + n <= *argc; j++)
			argv[j] = argv[j + n];
		*argc -= n;
		i--;
	}
	return path;
}

int
main(int argc, char **argv)
{
	const char *cpath;
	struct conf conf;
	size_t i;
	int status, errors;

	cpath = take_conf_opt(&argc, argv);
	if (cpath != NULL && *cpath == '\0')
		return usage();
	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)
		return usage();
	if (conf_init(&conf) != 0) {
		fprintf(stderr, "out of memory\n");
		return CTL_EXIT_USAGE;
	}
	errors = conf_load(&conf, cpath != NULL ? cpath : CONF_DEFAULT_PATH,
	    cpath != NULL, stderr);
	if (errors != 0) {
		if (errors > 0)
			fprintf(stderr, "%s: %d error%s\n",
			    cpath != NULL ? cpath : CONF_DEFAULT_PATH, errors,
			    errors == 1 ? "" : "s");
		conf_free(&conf);
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			break;
	if (i == NCOMMANDS) {
		fprintf(
		    stderr, "subgatectl: unknown command \"%s\"\n", argv[1]);
		conf_free(&conf);
		return usage();
	}
	status = commands[i].fn(argc - 1, argv + 1, &conf);
	conf_free(&conf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("subgatectl: standard output");
		return CTL_EXIT_USAGE;
	}
	return status;
}
