/*
 * logread.c -- read log files line by line, plain or gzip-compressed
 *
 * DESCRIPTION
 *	See logread.h. A 1 MiB block buffer; lines are found with memchr and
 *	handed out in place, so reading costs about what wc -l costs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "logread.h"

#define BLOCK (1u << 20)

struct logread {
	gzFile gz;
	char *buf; /* BLOCK + LOGREAD_MAX bytes */
	size_t start, end;
	int eof;
	int skipping; /* inside the tail of an overlong line */
	uint64_t size;
};

struct logread *
logread_open(const char *path, char *err, size_t errlen)
{
	struct logread *r = calloc(1, sizeof(*r));
	struct stat st;
	int fd;

	if (r == NULL || (r->buf = malloc(BLOCK + LOGREAD_MAX)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(r);
		return NULL;
	}
	fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		close(fd);
		goto fail;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		r->size = (uint64_t)st.st_size;
	if ((r->gz = gzdopen(fd, "rb")) == NULL) {
		snprintf(err, errlen, "%s: cannot read", path);
		close(fd);
		goto fail;
	}
	gzbuffer(r->gz, 256 * 1024);
	return r;
fail:
	free(r->buf);
	free(r);
	return NULL;
}

/* fill - read more data after compacting; 0 ok, -1 error */
static int
fill(struct logread *r, char *err, size_t errlen)
{
	int n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	n = gzread(
	    r->gz, r->buf + r->end, (unsigned)(BLOCK + LOGREAD_MAX - r->end));
	if (n <= 0) {
		int zerr = Z_OK;
		const char *msg = gzerror(r->gz, &zerr);

		/* A truncated .gz ends with Z_BUF_ERROR, not a clean end. */
		if (n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)) {
			snprintf(err, errlen, "%s",
			    msg != NULL && *msg ? msg : "read error");
			return -1;
		}
		r->eof = 1;
	}
	r->end += (size_t)n;
	return 0;
}

int
logread_line(struct logread *r, const char **line, size_t *len, int *toolong,
    char *err, size_t errlen)
{
	for (;;) {
		char *s = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = memchr(s, '\n', avail);

		*toolong = 0;
		if (r->skipping) {
			/* Drop the rest of an overlong line. */
			r->start =
			    nl != NULL ? (size_t)(nl + 1 - r->buf) : r->end;
			if (nl != NULL)
				r->skipping = 0;
			else if (r->eof)
				return 0;
			else if (fill(r, err, errlen) != 0)
				return -1;
			continue;
		}
		if (nl != NULL && (size_t)(nl - s) <= LOGREAD_MAX) {
			*line = s;
			*len = (size_t)(nl - s);
			r->start += *len + 1;
			return 1;
		}
		if (avail > LOGREAD_MAX) {
			*line = s;
			*len = LOGREAD_MAX;
			*toolong = 1;
			r->start += LOGREAD_MAX;
			r->skipping = 1;
			return 1;
		}
		if (r->eof) {
			if (avail == 0)
				return 0;
			*line = s;
			*len = avail;
			r->start = r->end;
			return 1;
		}
		if (fill(r, err, errlen) != 0)
			return -1;
	}
}

uint64_t
logread_bytes(const struct logread *r)
{
	return (uint64_t)gzoffset(r->gz);
}

uint64_t
logread_size(const struct logread *r)
{
	return r->size;
}

void
logread_close(struct logread *r)
{
	if (r == NULL)
		return;
	gzclose(r->gz);
	free(r->buf);
	free(r);
}
