/*
 * ctl_policy.c -- subgatectl check-policy, and policy loading for commands
 *
 * DESCRIPTION
 *	"subgatectl check-policy [-v] FILE": exit 0 when FILE parses (with -v
 *	its canonical form on standard output), 1 with every error on standard
 *	error when it does not, 2 when it cannot be read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define POLICY_FILE_MAX (16u << 20)

/* slurp - the whole file <path>, or NULL with a message on stderr */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > POLICY_FILE_MAX ||
			    (nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "%s: larger than %u bytes\n",
				    path, POLICY_FILE_MAX / 2);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*lenp = len;
	return buf != NULL ? buf : calloc(1, 1);
}

struct policy *
ctl_load_policy(const char *path, int *status)
{
	struct policy_errors errs = {0};
	struct policy *p = NULL;
	size_t len, i;
	char *buf = slurp(path, &len);

	if (buf == NULL) {
		*status = CTL_EXIT_USAGE;
		return NULL;
	}
	if (policy_parse(buf, len, path, &p, &errs) != 0) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i].msg);
		fprintf(stderr, "%s: %zu error%s, policy not loaded\n", path,
		    errs.n, errs.n == 1 ? "" : "s");
		*status = CTL_EXIT_POLICY;
		p = NULL;
	}
	policy_errors_free(&errs);
	free(buf);
	return p;
}

int
ctl_check_policy(int argc, char **argv, const struct conf *conf)
{
	static const struct option longopts[] = {
	    {"verbose", no_argument, NULL, 'v'}, {NULL, 0, NULL, 0}};
	struct policy *p;
	int ch, verbose = 0, status = 0;
	char *text;

	(void)conf;
	while ((ch = getopt_long(argc, argv, "+v", longopts, NULL)) != -1) {
		if (ch != 'v')
			goto usage;
		verbose = 1;
	}
	if (optind != argc - 1)
		goto usage;
	if ((p = ctl_load_policy(argv[optind], &status)) == NULL)
		return status;
	if (verbose) {
		if ((text = policy_print(p)) == NULL) {
			fprintf(stderr, "out of memory\n");
			policy_free(p);
			return CTL_EXIT_USAGE;
		}
		fputs(text, stdout);
		free(text);
	}
	policy_free(p);
	return CTL_EXIT_OK;
usage:
	fprintf(stderr, "usage: subgatectl check-policy [-v] FILE\n");
	return CTL_EXIT_USAGE;
}
