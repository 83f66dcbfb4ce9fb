/*
 * statefile.c -- the counters across a restart: state_dir/counters
 *
 * DESCRIPTION
 *	See statefile.h. Built in memory under the engine's lock (the
 *	decisions wait only for that), then written to "counters.tmp",
 *	fsync'd and renamed over "counters": a crash while saving leaves the
 *	previous file whole.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "rawio.h"
#include "statefile.h"

/* Version 1: wall and engine clock. Version 2 adds the journal's
 * generation. Both are read. */
#define CLOCK_MAGIC "SUBGATE-CLOCK"
#define CLOCK_MAGIC_LEN 14 /* with its NUL */
#define CLOCK_LEN (CLOCK_MAGIC_LEN + 16)
#define CLOCK2_MAGIC "SUBGATE-CLOCK2"
#define CLOCK2_MAGIC_LEN 15 /* with its NUL */
#define CLOCK2_LEN (CLOCK2_MAGIC_LEN + 24)

long long
statefile_save(struct engine *e, const char *dir, uint64_t wall_ms,
    uint64_t engine_ms, char *err, size_t errlen)
{
	char path[4096], tmp[4200], jerr[256] = "";
	unsigned char clk[CLOCK2_LEN], *img;
	size_t len;
	uint64_t gen;
	int fd;

	err[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, STATEFILE_NAME);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (engine_save_state(e, &img, &len, wall_ms, engine_ms, &gen, jerr,
	        sizeof(jerr)) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(clk, CLOCK2_MAGIC, CLOCK2_MAGIC_LEN);
	rawio_put64(clk + CLOCK2_MAGIC_LEN, wall_ms);
	rawio_put64(clk + CLOCK2_MAGIC_LEN + 8, engine_ms);
	rawio_put64(clk + CLOCK2_MAGIC_LEN + 16, gen);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || rawio_write_all(fd, clk, sizeof(clk)) != 0 ||
	    rawio_write_all(fd, img, len) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		free(img);
		return -1;
	}
	free(img);
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The file holds what the older journals say. */
	if (gen > 0)
		journal_prune(dir, gen);
	if (jerr[0] != '\0')
		snprintf(err, errlen,
		    "journal not rotated (%s): what is decided until the next "
		    "save is lost in a crash",
		    jerr);
	return (long long)(sizeof(clk) + len);
}

/* read_all - the whole file, at most STATEFILE_MAX bytes; NULL and errno
 * (EFBIG when too large) */
static char *
read_all(int fd, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t r;

	if (fstat(fd, &st) != 0)
		return NULL;
	if (!S_ISREG(st.st_mode) || (uintmax_t)st.st_size > STATEFILE_MAX) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return NULL;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		return NULL;
	while (got < (size_t)st.st_size &&
	    (r = read(fd, buf + got, (size_t)st.st_size - got)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return NULL;
		}
		got += (size_t)r;
	}
	*len = got;
	return buf;
}

int
statefile_load(struct engine *e, const char *dir, uint64_t wall_ms,
    uint64_t engine_ms, struct decide_load_info *info, uint64_t *gen, char *err,
    size_t errlen)
{
	char path[4096], bad[4200], why[256];
	size_t len = 0, hlen = CLOCK_LEN, mlen = CLOCK_MAGIC_LEN;
	int64_t shift_s;
	char *buf;
	int fd, rc;

	memset(info, 0, sizeof(*info));
	*gen = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, STATEFILE_NAME);
	snprintf(bad, sizeof(bad), "%s.bad", path);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = read_all(fd, &len);
	close(fd);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (errno != ENOMEM)
			(void)rename(path, bad);
		return -1;
	}
	if (len >= CLOCK2_LEN &&
	    memcmp(buf, CLOCK2_MAGIC, CLOCK2_MAGIC_LEN) == 0)
		hlen = CLOCK2_LEN, mlen = CLOCK2_MAGIC_LEN;
	if (len < hlen ||
	    (hlen == CLOCK_LEN &&
	        memcmp(buf, CLOCK_MAGIC, CLOCK_MAGIC_LEN) != 0)) {
		snprintf(why, sizeof(why), "not a subgate counters file");
		rc = -1;
	} else {
		/*
		 * Engine time then + time passed = engine time now, so a saved
		 * time t is t + (engine now - engine then) - (wall now - wall
		 * then) on the engine clock now.
		 */
		int64_t saved_wall =
		    (int64_t)rawio_get64((unsigned char *)buf + mlen);
		int64_t saved_engine =
		    (int64_t)rawio_get64((unsigned char *)buf + mlen + 8);

		shift_s = (((int64_t)engine_ms - saved_engine) -
		              ((int64_t)wall_ms - saved_wall)) /
		    1000;
		rc = engine_load_state(e, buf + hlen, len - hlen, engine_ms,
		    shift_s, info, why, sizeof(why));
		if (rc != -1 && hlen == CLOCK2_LEN)
			*gen = rawio_get64((unsigned char *)buf + mlen + 16);
	}
	free(buf);
	if (rc == 0)
		return 1;
	if (rc == -1) {
		snprintf(err, errlen,
		    "%s: %s; set aside as %s, counters start "
		    "empty",
		    path, why, bad);
		(void)rename(path, bad);
	} else {
		snprintf(
		    err, errlen, "%s: %s; part of it was loaded", path, why);
	}
	return -1;
}
