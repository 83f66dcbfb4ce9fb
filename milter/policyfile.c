/*
 * policyfile.c -- load the daemon's policy: the file, or the built-in copy
 *
 * DESCRIPTION
 *	See policyfile.h. Used at start-up and by reload (control socket,
 *	SIGUSR1): a reload builds the new policy aside with this, and only a
 *	policy without errors replaces the running one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "defpolicy.h"
#include "fnv.h"
#include "policyfile.h"

/* read_file - a whole small file, or NULL (errno set) */
static char *
read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > (16u << 20) ||
			    (nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	*lenp = len;
	return buf != NULL ? buf : calloc(1, 1);
}

struct policy *
policyfile_load(const char *path, char *source, size_t ssize, char *digest,
    size_t dsize, FILE *errf)
{
	struct policy_errors errs = {0};
	struct policy *p = NULL;
	const char *text;
	size_t len = 0, i;
	char *buf = read_file(path, &len);
	uint64_t h = FNV_BASIS;
	int rc;

	snprintf(source, ssize, "%s", path);
	if (buf == NULL) {
		if (errno != ENOENT || strcmp(path, POLICYFILE_DEFAULT) != 0) {
			fprintf(errf, "%s: %s\n", path, strerror(errno));
			return NULL;
		}
		snprintf(source, ssize, "built-in");
		text = defpolicy_text;
		len = strlen(defpolicy_text);
	} else {
		text = buf;
	}
	rc = policy_parse(text, len, source, &p, &errs);
	if (rc != 0) {
		for (i = 0; i < errs.n; i++)
			fprintf(errf, "%s\n", errs.v[i].msg);
		fprintf(errf, "%s: %zu error%s\n", source, errs.n,
		    errs.n == 1 ? "" : "s");
	}
	h = fnv_bytes(h, text, len);
	snprintf(digest, dsize, "fnv1a64:%016llx", (unsigned long long)h);
	policy_errors_free(&errs);
	free(buf);
	return rc == 0 ? p : NULL;
}
