/*
 * tail.c -- follow a growing log file across rotation, driven by libevent
 *
 * DESCRIPTION
 *	Each poll (the persistent timer, or tail_poll()) fstat()s the open
 *	file, reads everything new with pread() in 64 KiB blocks, splits it
 *	into lines and keeps an unterminated last line buffered until its '\n'
 *	arrives, then stat()s the path:
 *
 *	Start. Without a position file the tail starts after the last complete
 *	line of the existing file (older lines are history; a line still being
 *	written is delivered once complete). With one, it resumes at the saved
 *	offset when the path still names the saved file (same inode and the same
 *	first bytes) and the file is at least that long; if the file is
 *	shorter or its first bytes changed it starts at 0 (a truncation). If the
 *	path names another file (rotated while we were stopped), the rest of the
 *	old file is read first when it can be found as "<path>.1"; otherwise
 *	the new file is read from 0 and tail_new() warns that lines written to
 *	the old file after the saved offset are lost.
 *
 *	Rename and create (logrotate's default). When the path names another
 *	inode than the open file, the old file is drained to its end first,
 *	then the new file is read from 0. The old descriptor is kept for a
 *	grace period (about 2 s of polls without growth) because the writer
 *	keeps appending to it until it reopens its log (Mailman: "mailmanctl
 *	reopen" in postrotate, after logrotate has created the new file). When
 *	the old file is finally closed an unterminated last line in it is
 *	delivered as a line: nothing will complete it. A path that disappears
 *	(renamed, not yet created) is not an error: the old file is followed
 *	until a new one appears. A file that was unlinked (no links left) is
 *	retired the same way and the path waited for.
 *
 *	copytruncate. When the open file is shorter than our read position, or
 *	its first bytes (up to 128) changed, it was truncated: reading restarts
 *	at 0 and a buffered partial line is dropped.
 *
 *	Position file. "<state_dir>/tail.<path>.pos", where the path is
 *	encoded injectively ('/' becomes '_', bytes other than [A-Za-z0-9.-]
 *	become %XX, over-long names are cut and end in a hash). One line:
 *	"2 <dev> <inode> <offset> <skip> <headlen> <head>", where <offset>
 *	is the first byte not yet delivered, <skip> says the bytes from there to
 *	the next '\n' belong to an overlong line already delivered cut, and
 *	<head> is the file's first <headlen> bytes in lowercase hex ("-" for
 *	none): the bytes themselves, not a hash of them (fail2ban keeps a
 *	hash of its first line), because those bytes are a Mailman log line,
 *	attacker text, and a crafted collision could make a new file that
 *	got the old inode pass for the old one. A version 1 file (written
 *	before, <headhash> the FNV-1a hash of those bytes) is still read, and
 *	is rewritten as version 2 once the file is open. A device number that
 *changed (renumbered disks) is accepted when the inode and the first bytes
 *match. Written to a temp file, fsync()ed and renamed over the old one; only
 *when the position changed, after each poll, and by tail_save()/tail_free().
 *
 *	Never blocks: only regular files are followed (a FIFO is neither
 *	opened nor read; the open uses O_NONBLOCK against races), and one poll
 *	reads at most 4 MiB per file; when more is left the timer runs again
 *	at once through a zero timeout, so other events get their turn.
 *	Single-threaded: use a tail from its event_base's thread only.
 * DIAGNOSTICS
 *	tail_new() fails with a message for bad arguments, a path that exists
 *	but is not a regular file or cannot be opened, a position file that
 *	cannot be read or written, and out of memory. It warns through <err>
 *	(and succeeds) for a corrupt position file and for a rotation while
 *	stopped whose old file is gone. At run time nothing is logged: a
 *	missing or unusable path shows as tail_status().open 0 or -errno
 *	(-EISDIR: a directory, -ESPIPE: another non-regular file), read and
 *	save failures as tail_poll() -1 and tail_status().error; the caller
 *	logs state changes. Polling continues in every case.
 * LIMITS
 *	copytruncate loses the lines written between our last poll and the
 *	truncation (they are in the copy only); this is inherent to it. If the
 *	file regrows past our position before a poll and keeps its first 128
 *	bytes, the truncation is not seen.
 *	Lines written to a rotated file after the grace period, or, across a
 *	restart during the grace period, after the last poll, are lost. Only
 *	"<path>.1" uncompressed is searched for a file rotated while stopped
 *	(not dateext names, not .gz). Lines from the old and the new file may
 *	interleave during the grace period.
 *	A file rewritten in place, or a reused inode, that is at least as long
 *	as the saved offset and starts with the same bytes is taken for the
 *	saved file.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "tail.h"
#include "fnv.h"

#define BLOCK (64 * 1024)          /* bytes per read */
#define POLL_MAX (4 * 1024 * 1024) /* bytes per file per poll */
#define HEAD_MAX 128               /* first bytes that identify a file */
#define GRACE_MS 2000              /* keep a rotated file after growth */
#define STATE_MAX 512              /* a position file is shorter */
#define NAME_MAX_ENC 200           /* encoded path bytes in a file name */

/* A saved or wanted position in a file. */
struct tail_pos {
	int valid;
	uint64_t dev;
	uint64_t ino;
	uint64_t off;
	int skip;
	size_t headlen;
	unsigned char head[HEAD_MAX]; /* the file's first headlen bytes */
	int legacy;        /* from a version 1 file: headhash, no head */
	uint64_t headhash; /* version 1: FNV-1a of the first headlen bytes */
};

/* One open file and its line assembler. */
struct tail_file {
	int fd;
	uint64_t dev;
	uint64_t ino;
	uint64_t pos;   /* next byte to read */
	size_t plen;    /* bytes of an unterminated line at the start of buf */
	int skip;       /* discarding the rest of an overlong line */
	size_t headlen; /* bytes of head known */
	unsigned char head[HEAD_MAX]; /* the file's first bytes */
	unsigned idle;                /* consecutive polls that read nothing */
	char *buf;                    /* TAIL_LINE_MAX + BLOCK bytes */
};

/* How cur_open() positioned a newly opened file. */
enum tail_start {
	TAIL_START_ZERO,      /* a new file: from 0 */
	TAIL_START_END,       /* first run: after the last complete line */
	TAIL_START_RESUMED,   /* the saved position */
	TAIL_START_TRUNCATED, /* the saved file, shorter or rewritten: 0 */
	TAIL_START_OTHER      /* the path names another file: 0 */
};

struct tail {
	struct event_base *base;
	struct event *timer; /* persistent, every interval */
	struct event *again; /* zero timeout when a poll left data */
	char *path;
	char *state_path; /* NULL: no position file */
	tail_line_fn line_fn;
	tail_idle_fn idle_fn;
	void *arg;
	unsigned grace_polls;
	unsigned old_grace; /* idle polls before <old> is closed */
	int at_end;         /* first run: start at the end when opened */
	int open;
	int error;
	struct tail_file cur;
	struct tail_file old; /* rotated file still being drained */
	struct tail_pos want; /* apply when the path is next opened */
	struct tail_pos last; /* what the position file holds */
	uint64_t lines;
	uint64_t rotations;
	uint64_t truncations;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* seterr - format into the caller's buffer, which may be NULL or empty */
static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* read_at - pread up to <len> bytes at <off>; bytes read or -1 */
static ssize_t
read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	if (off > (uint64_t)INT64_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	do
		n = pread(fd, buf, len, (off_t)off);
	while (n == -1 && errno == EINTR);
	return n;
}

/* head_read - the first <len> (<= HEAD_MAX) bytes into <head>; 0, 1 if
 * the file is shorter, -1 error */
static int
head_read(int fd, size_t len, unsigned char *head)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = read_at(fd, head + got, len - got, got)) == -1)
			return -1;
		if (n == 0)
			return 1;
		got += (size_t)n;
	}
	return 0;
}

/* head_same - whether the file still starts with the <len> bytes at
 * <head>; 1 yes, 0 no (or shorter), -1 error */
static int
head_same(int fd, size_t len, const unsigned char *head)
{
	unsigned char now[HEAD_MAX];
	int rc;

	if ((rc = head_read(fd, len, now)) == -1)
		return -1;
	return rc == 0 && memcmp(now, head, len) == 0;
}

/* head_update - learn more of the identifying first bytes as the file
 * grows */
static int
head_update(struct tail_file *f)
{
	size_t want = f->pos < HEAD_MAX ? (size_t)f->pos : HEAD_MAX;
	unsigned char head[HEAD_MAX];
	int rc;

	if (want <= f->headlen)
		return 0;
	if ((rc = head_read(f->fd, want, head)) == -1)
		return -1;
	if (rc == 0) {
		memcpy(f->head, head, want);
		f->headlen = want;
	}
	return 0;
}

/* file_reset - forget the file, keep the buffer */
static void
file_reset(struct tail_file *f)
{
	f->fd = -1;
	f->dev = f->ino = f->pos = 0;
	f->plen = 0;
	f->skip = 0;
	f->headlen = 0;
	f->idle = 0;
}

/* file_close - close and forget */
static void
file_close(struct tail_file *f)
{
	if (f->fd != -1)
		(void)close(f->fd);
	file_reset(f);
}

/* not_regular - the -errno that tail_status() shows for a mode */
static int
not_regular(mode_t mode)
{
	return S_ISDIR(mode) ? -EISDIR : -ESPIPE;
}

/* file_open - open <path> to follow it: 1, 0 missing, or -errno */
static int
file_open(struct tail_file *f, const char *path, uint64_t *size)
{
	struct stat st;
	int fd;

	/* Look before opening: opening a FIFO or a device has effects. */
	if (stat(path, &st) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	if (!S_ISREG(st.st_mode))
		return not_regular(st.st_mode);
	do
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		int rc = S_ISREG(st.st_mode) ? -errno : not_regular(st.st_mode);

		(void)close(fd);
		return rc;
	}
	file_reset(f);
	f->fd = fd;
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	*size = (uint64_t)st.st_size;
	return 1;
}

/* file_seek_end - position after the last complete line; 0 or -1 */
static int
file_seek_end(struct tail_file *f, uint64_t size)
{
	/* One byte more than a line may hold tells an overlong line. */
	size_t n = size < TAIL_LINE_MAX + 1 ? (size_t)size : TAIL_LINE_MAX + 1;
	uint64_t start = size - n;
	size_t got = 0;
	ssize_t r;
	char *nl;

	while (got < n) {
		if ((r = read_at(f->fd, f->buf + got, n - got, start + got)) ==
		    -1)
			return -1;
		if (r == 0)
			break; /* shrank meanwhile: the first read sees it */
		got += (size_t)r;
	}
	nl = got > 0 ? memrchr(f->buf, '\n', got) : NULL;
	if (nl != NULL)
		f->pos = start + (uint64_t)(nl - f->buf) + 1;
	else if (start == 0)
		f->pos = 0; /* one unfinished line: deliver it once complete */
	else {
		/* The unfinished line is already overlong: skip all of it. */
		f->pos = start + got;
		f->skip = 1;
	}
	return 0;
}

/* pos_match - how an open file relates to a saved position */
static enum tail_start
pos_match(struct tail_file *f, uint64_t size, const struct tail_pos *p)
{
	unsigned char head[HEAD_MAX];
	int same = 1;

	if (f->ino != p->ino || (f->dev != p->dev && p->headlen == 0))
		return TAIL_START_OTHER;
	if (size < p->off || size < p->headlen)
		return TAIL_START_TRUNCATED;
	if (p->headlen > 0) {
		/* A read error here shows again on the first read. */
		if (!p->legacy)
			same = head_same(f->fd, p->headlen, p->head) == 1;
		else
			same = head_read(f->fd, p->headlen, head) == 0 &&
			    fnv_bytes(FNV_BASIS, head, p->headlen) ==
			        p->headhash;
		if (!same)
			return f->dev == p->dev ? TAIL_START_TRUNCATED
			                        : TAIL_START_OTHER;
	}
	return TAIL_START_RESUMED;
}

/* cur_open - open the path as the current file and position it */
static int
cur_open(struct tail *t, enum tail_start *how)
{
	struct tail_file *f = &t->cur;
	uint64_t size = 0;
	int rc;

	*how = TAIL_START_ZERO;
	if ((rc = file_open(f, t->path, &size)) != 1) {
		t->open = rc;
		return rc;
	}
	if (t->want.valid) {
		*how = pos_match(f, size, &t->want);
		if (*how == TAIL_START_RESUMED) {
			f->pos = t->want.off;
			f->skip = t->want.skip;
		} else if (*how == TAIL_START_TRUNCATED)
			t->truncations++;
		else
			t->rotations++;
		t->want.valid = 0;
	} else if (t->at_end) {
		*how = TAIL_START_END;
		if (file_seek_end(f, size) == -1) {
			rc = -errno;
			file_close(f);
			t->open = rc;
			return rc;
		}
		t->at_end = 0;
	}
	t->open = 1;
	return 1;
}

/* deliver - hand one line to the caller, cut at TAIL_LINE_MAX */
static void
deliver(struct tail *t, const char *s, size_t len)
{
	int toolong = len > TAIL_LINE_MAX;

	t->lines++;
	t->line_fn(s, toolong ? TAIL_LINE_MAX : len, toolong, t->arg);
}

/* file_split - deliver the complete lines in buf[0..len), keep the rest */
static long
file_split(struct tail *t, struct tail_file *f, size_t len)
{
	char *p = f->buf, *end = f->buf + len, *nl;
	long n = 0;

	if (f->skip) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			f->plen = 0;
			return 0;
		}
		p = nl + 1;
		f->skip = 0;
	}
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		deliver(t, p, (size_t)(nl - p));
		n++;
		p = nl + 1;
	}
	f->plen = (size_t)(end - p);
	if (f->plen > TAIL_LINE_MAX) {
		/* Cannot complete within the limit: cut now, skip the rest. */
		deliver(t, p, f->plen);
		n++;
		f->plen = 0;
		f->skip = 1;
	} else if (f->plen > 0 && p != f->buf)
		memmove(f->buf, p, f->plen);
	return n;
}

/* file_read - read <f> to its end, at most POLL_MAX; lines or -1 */
static long
file_read(struct tail *t, struct tail_file *f, int *eof)
{
	struct stat st;
	size_t budget = POLL_MAX;
	ssize_t r;
	long n = 0;
	int grew = 0, cut = 0, rc;

	*eof = 0;
	if (fstat(f->fd, &st) == -1)
		return -1;
	if ((uint64_t)st.st_size < f->pos)
		cut = 1;
	else if (f->headlen > 0) {
		/* Truncated and regrown past us: the first bytes differ. */
		if ((rc = head_same(f->fd, f->headlen, f->head)) == -1)
			return -1;
		cut = rc == 0;
	}
	if (cut) {
		/* copytruncate: lines written since the last poll are gone. */
		t->truncations++;
		f->pos = 0;
		f->plen = 0;
		f->skip = 0;
		f->headlen = 0;
	}
	while (budget > 0) {
		r = read_at(f->fd, f->buf + f->plen, BLOCK, f->pos);
		if (r == -1)
			return -1;
		if (r == 0) {
			*eof = 1;
			break;
		}
		grew = 1;
		f->pos += (uint64_t)r;
		budget -= (size_t)r < budget ? (size_t)r : budget;
		n += file_split(t, f, f->plen + (size_t)r);
	}
	f->idle = grew ? 0 : f->idle + 1;
	if (head_update(f) == -1)
		return -1;
	return n;
}

/* file_finish - deliver a retired file's unterminated line, close it */
static long
file_finish(struct tail *t, struct tail_file *f)
{
	long n = 0;

	if (f->plen > 0 && !f->skip) {
		deliver(t, f->buf, f->plen);
		n = 1;
	}
	file_close(f);
	return n;
}

/* retire - make the current file the draining old one */
static long
retire(struct tail *t, unsigned grace)
{
	struct tail_file tmp;
	long n = 0;
	int eof;

	if (t->old.fd != -1) {
		/* A second rotation within the grace period. */
		if ((n = file_read(t, &t->old, &eof)) == -1)
			n = 0;
		n += file_finish(t, &t->old);
	}
	tmp = t->old;
	t->old = t->cur;
	t->cur = tmp;
	t->old.idle = 0;
	t->old_grace = grace;
	return n;
}

/* poll_cur - read the current file, then look for rotation; lines or -1 */
static long
poll_cur(struct tail *t, int *eof)
{
	enum tail_start how;
	struct stat st, fst;
	long n, m;

	*eof = 1;
	if (t->cur.fd == -1 && cur_open(t, &how) != 1)
		return 0;
	if ((n = file_read(t, &t->cur, eof)) == -1 || !*eof)
		return n;
	if (stat(t->path, &st) == -1) {
		/* Renamed and not yet created: keep following the old file. */
		if ((errno == ENOENT || errno == ENOTDIR) &&
		    fstat(t->cur.fd, &fst) == 0 && fst.st_nlink == 0) {
			n += retire(t, t->grace_polls);
			t->open = 0;
		}
		return n;
	}
	if ((uint64_t)st.st_dev == t->cur.dev &&
	    (uint64_t)st.st_ino == t->cur.ino)
		return n;
	/* Rotated: lines written just before the rename are still here. */
	if ((m = file_read(t, &t->cur, eof)) == -1)
		return -1;
	n += m;
	if (!*eof)
		return n;
	n += retire(t, t->grace_polls);
	t->rotations++;
	if (cur_open(t, &how) == 1) {
		if ((m = file_read(t, &t->cur, eof)) == -1)
			return -1;
		n += m;
	}
	return n;
}

/* plain - a byte that stands for itself in a position file name */
static int
plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* state_name - "<dir>/tail.<encoded path>.pos", or NULL out of memory */
static char *
state_name(const char *dir, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[NAME_MAX_ENC + 1], *s;
	size_t i, len = 0, need;
	int cut = 0;

	for (i = 0; path[i] != '\0'; i++) {
		unsigned char c = (unsigned char)path[i];

		need = plain(c) || c == '/' ? 1 : 3;
		if (len + need > NAME_MAX_ENC - 17) {
			cut = 1;
			break;
		}
		if (need == 3) {
			enc[len++] = '%';
			enc[len++] = hex[c >> 4];
			enc[len++] = hex[c & 15];
		} else
			enc[len++] = c == '/' ? '_' : (char)c;
	}
	enc[len] = '\0';
	if (cut)
		snprintf(enc + len, sizeof(enc) - len, "-%016llx",
		    (unsigned long long)fnv_bytes(
		        FNV_BASIS, path, strlen(path)));
	need = strlen(dir) + strlen(enc) + sizeof("/tail..pos");
	if ((s = malloc(need)) == NULL)
		return NULL;
	snprintf(s, need, "%s/tail.%s.pos", dir, enc);
	return s;
}

/* parse_u64 - one decimal or hex field and its separator; 0 or -1 */
static int
parse_u64(const char **s, int base, char sep, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!(**s >= '0' && **s <= '9') &&
	    !(base == 16 && ((**s >= 'a' && **s <= 'f'))))
		return -1;
	errno = 0;
	x = strtoull(*s, &end, base);
	if (errno != 0 || *end != sep)
		return -1;
	*v = x;
	*s = end + 1;
	return 0;
}

/* hex_digit - the value of a lowercase hex digit, or -1 */
static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* parse_head - exactly <len> bytes as 2 * <len> lowercase hex digits ("-"
 * for none) and a newline; 0 or -1 */
static int
parse_head(const char **s, size_t len, unsigned char *head)
{
	size_t i;
	int hi, lo;

	if (len == 0) {
		if ((*s)[0] != '-' || (*s)[1] != '\n')
			return -1;
		*s += 2;
		return 0;
	}
	for (i = 0; i < len; i++) {
		if ((hi = hex_digit((*s)[2 * i])) == -1 ||
		    (lo = hex_digit((*s)[2 * i + 1])) == -1)
			return -1;
		head[i] = (unsigned char)(hi << 4 | lo);
	}
	if ((*s)[2 * len] != '\n')
		return -1;
	*s += 2 * len + 1;
	return 0;
}

/* state_parse - strictly parse a position file, version 2 (the first
 * bytes themselves) or 1 (their FNV-1a hash, as written before); 0 or -1 */
static int
state_parse(const char *s, struct tail_pos *p)
{
	uint64_t ver, skip, headlen;

	if (parse_u64(&s, 10, ' ', &ver) == -1 || (ver != 1 && ver != 2) ||
	    parse_u64(&s, 10, ' ', &p->dev) == -1 ||
	    parse_u64(&s, 10, ' ', &p->ino) == -1 ||
	    parse_u64(&s, 10, ' ', &p->off) == -1 ||
	    parse_u64(&s, 10, ' ', &skip) == -1 || skip > 1 ||
	    parse_u64(&s, 10, ' ', &headlen) == -1 || headlen > HEAD_MAX)
		return -1;
	if (ver == 1 && parse_u64(&s, 16, '\n', &p->headhash) == -1)
		return -1;
	if (ver == 2 && parse_head(&s, (size_t)headlen, p->head) == -1)
		return -1;
	if (*s != '\0' || p->off > (uint64_t)INT64_MAX || p->ino == 0)
		return -1;
	p->legacy = ver == 1;
	p->skip = (int)skip;
	p->headlen = (size_t)headlen;
	p->valid = 1;
	return 0;
}

/* state_load - 1 loaded, 0 no file, -1 unreadable, -2 corrupt */
static int
state_load(const char *file, struct tail_pos *p, char *err, size_t errlen)
{
	char buf[STATE_MAX + 1];
	size_t got = 0;
	ssize_t n;
	int fd;

	memset(p, 0, sizeof(*p));
	do
		fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	while (fd == -1 && errno == EINTR);
	if (fd == -1 && errno == ENOENT)
		return 0;
	if (fd == -1) {
		seterr(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	while (got < STATE_MAX) {
		n = read(fd, buf + got, STATE_MAX - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			seterr(err, errlen, "%s: %s", file, strerror(errno));
			(void)close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	(void)close(fd);
	buf[got] = '\0';
	if (got == STATE_MAX || strlen(buf) != got ||
	    state_parse(buf, p) == -1) {
		memset(p, 0, sizeof(*p));
		return -2;
	}
	return 1;
}

/* state_write - write <p> atomically; 0 or -1 with errno */
static int
state_write(const char *file, const struct tail_pos *p)
{
	static const char hex[] = "0123456789abcdef";
	char line[STATE_MAX], *tmp;
	size_t i, len, done = 0, need = strlen(file) + sizeof(".XXXXXX");
	ssize_t n;
	int fd, saved;

	/* A position still waiting from a version 1 file keeps its hash. */
	len = (size_t)snprintf(line, sizeof(line), "%d %llu %llu %llu %d %zu ",
	    p->legacy ? 1 : 2, (unsigned long long)p->dev,
	    (unsigned long long)p->ino, (unsigned long long)p->off, p->skip,
	    p->headlen);
	if (p->legacy)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		    "%llx\n", (unsigned long long)p->headhash);
	else if (p->headlen == 0)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "-\n");
	else {
		for (i = 0; i < p->headlen; i++) {
			line[len++] = hex[p->head[i] >> 4];
			line[len++] = hex[p->head[i] & 15];
		}
		line[len++] = '\n';
	}
	if ((tmp = malloc(need)) == NULL)
		return -1;
	snprintf(tmp, need, "%s.XXXXXX", file);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		saved = errno;
		free(tmp);
		errno = saved;
		return -1;
	}
	while (done < len) {
		n = write(fd, line + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		done += (size_t)n;
	}
	/* Without it a crash could leave an empty file after the rename. */
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, file) == -1)
		goto fail;
	free(tmp);
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	(void)unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

/* current_pos - the position to save now; valid 0 if none known */
static void
current_pos(const struct tail *t, struct tail_pos *p)
{
	const struct tail_file *f = &t->cur;

	if (f->fd == -1) {
		/* Waiting for the path: keep what we would resume from. */
		*p = t->want.valid ? t->want : t->last;
		return;
	}
	memset(p, 0, sizeof(*p));
	p->valid = 1;
	p->dev = f->dev;
	p->ino = f->ino;
	p->off = f->pos - f->plen;
	p->skip = f->skip;
	p->headlen = f->headlen;
	memcpy(p->head, f->head, f->headlen);
}

/* pos_equal - whether two positions would be written alike */
static int
pos_equal(const struct tail_pos *a, const struct tail_pos *b)
{
	return a->valid == b->valid && a->dev == b->dev && a->ino == b->ino &&
	    a->off == b->off && a->skip == b->skip &&
	    a->headlen == b->headlen && a->legacy == b->legacy &&
	    (a->legacy ? a->headhash == b->headhash
	               : memcmp(a->head, b->head, a->headlen) == 0);
}

/*
 * tail_save - see tail.h. Writes even when nothing changed; a no-op
 * without a state directory or before any position is known.
 */
int
tail_save(struct tail *t)
{
	struct tail_pos p;

	current_pos(t, &p);
	if (t->state_path == NULL || !p.valid)
		return 0;
	if (state_write(t->state_path, &p) == -1) {
		t->error = errno;
		return -1;
	}
	t->last = p;
	return 0;
}

/*
 * tail_poll - see tail.h. Old (rotated) file first, then the current one;
 * O(bytes read).
 */
int
tail_poll(struct tail *t)
{
	static const struct timeval zero = {0, 0};
	struct tail_pos p;
	long n = 0, m;
	int eof = 1, oeof = 1, failed = 0, more;

	t->error = 0;
	if (t->old.fd != -1) {
		if ((m = file_read(t, &t->old, &oeof)) == -1) {
			/* Do not retry a broken rotated file forever. */
			t->error = errno;
			failed = 1;
			n += file_finish(t, &t->old);
		} else {
			n += m;
			if (oeof && t->old.idle >= t->old_grace)
				n += file_finish(t, &t->old);
		}
	}
	if ((m = poll_cur(t, &eof)) == -1) {
		t->error = errno;
		failed = 1;
	} else
		n += m;
	/* More left: continue after other events, not a whole interval. */
	more = !failed && !(eof && oeof);
	if (more && t->again != NULL)
		(void)evtimer_add(t->again, &zero);
	if (n > 0 && !failed && !more && t->idle_fn != NULL)
		t->idle_fn(t->arg);
	current_pos(t, &p);
	if (!pos_equal(&p, &t->last) && tail_save(t) == -1)
		failed = 1;
	if (failed) {
		errno = t->error;
		return -1;
	}
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* tail_tick_cb - the timer, or the zero timeout when data was left */
static void
tail_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tail *t = arg;

	(void)fd;
	(void)what;
	(void)tail_poll(t);
}

/* tail_start - first open: resume, start at the end, or find <path>.1 */
static int
tail_start(struct tail *t, char *err, size_t errlen)
{
	struct tail_pos saved = t->want;
	enum tail_start how;
	uint64_t size = 0;
	size_t len = strlen(t->path) + sizeof(".1");
	char *old;
	int rc;

	if ((rc = cur_open(t, &how)) < 0) {
		seterr(err, errlen, "%s: %s", t->path,
		    rc == -ESPIPE ? "not a regular file" : strerror(-rc));
		errno = -rc;
		return -1;
	}
	if (!saved.valid || (rc == 1 && how != TAIL_START_OTHER))
		return 0;
	/* Rotated (or removed) while we were stopped: look for the rest. */
	if ((old = malloc(len)) == NULL) {
		seterr(err, errlen, "%s: out of memory", t->path);
		return -1;
	}
	snprintf(old, len, "%s.1", t->path);
	if (file_open(&t->old, old, &size) == 1 &&
	    pos_match(&t->old, size, &saved) == TAIL_START_RESUMED) {
		t->old.pos = saved.off;
		t->old.skip = saved.skip;
		t->old_grace = 0;
		if (rc == 0) {
			t->want.valid = 0;
			t->rotations++;
		}
	} else {
		file_close(&t->old);
		if (rc == 1)
			seterr(err, errlen,
			    "%s: rotated while stopped and the old file is "
			    "gone; reading the new one from its start, lines "
			    "after offset %llu of the old one are lost",
			    t->path, (unsigned long long)saved.off);
	}
	free(old);
	return 0;
}

/* tail_load - read the position file; -1 if it cannot be read */
static int
tail_load(struct tail *t, char *warn, size_t warnlen, char *err, size_t errlen)
{
	int rc;

	t->at_end = 1;
	if (t->state_path == NULL)
		return 0;
	if ((rc = state_load(t->state_path, &t->want, err, errlen)) == -1)
		return -1;
	if (rc == -2)
		seterr(warn, warnlen,
		    "%s: corrupt position file, starting at the end of %s",
		    t->state_path, t->path);
	if (rc == 1) {
		t->at_end = 0;
		t->last = t->want;
	}
	return 0;
}

/* tail_arm - create and start the timers */
static int
tail_arm(struct tail *t, unsigned interval_ms, char *err, size_t errlen)
{
	struct timeval tv;

	tv.tv_sec = interval_ms / 1000;
	tv.tv_usec = (suseconds_t)(interval_ms % 1000) * 1000;
	if ((t->timer = event_new(t->base, -1, EV_PERSIST, tail_tick_cb, t)) ==
	        NULL ||
	    (t->again = evtimer_new(t->base, tail_tick_cb, t)) == NULL ||
	    event_add(t->timer, &tv) == -1) {
		seterr(err, errlen, "%s: cannot set up the timer", t->path);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/*
 * tail_new - see tail.h. Opens the path at once, so lines appended between
 * tail_new() and the first poll are delivered, and writes the starting
 * position before returning.
 */
struct tail *
tail_new(struct event_base *base, const char *path, const char *state_dir,
    unsigned interval_ms, tail_line_fn line_fn, tail_idle_fn idle_fn, void *arg,
    char *err, size_t errlen)
{
	struct tail *t;
	struct stat st;
	char warn[512] = "";
	int rc;

	seterr(err, errlen, "%s", "");
	if (path == NULL || *path == '\0' || line_fn == NULL ||
	    (base != NULL && interval_ms == 0)) {
		seterr(err, errlen, "tail: invalid argument");
		errno = EINVAL;
		return NULL;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file (%s)", path,
		    S_ISDIR(st.st_mode)        ? "a directory"
		        : S_ISFIFO(st.st_mode) ? "a FIFO"
		                               : "a device or socket");
		errno = S_ISDIR(st.st_mode) ? EISDIR : ESPIPE;
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto nomem;
	file_reset(&t->cur);
	file_reset(&t->old);
	t->base = base;
	t->line_fn = line_fn;
	t->idle_fn = idle_fn;
	t->arg = arg;
	t->grace_polls = GRACE_MS / (interval_ms > 0 ? interval_ms : 100);
	if (t->grace_polls < 2)
		t->grace_polls = 2;
	if ((t->path = strdup(path)) == NULL ||
	    (t->cur.buf = malloc(TAIL_LINE_MAX + BLOCK)) == NULL ||
	    (t->old.buf = malloc(TAIL_LINE_MAX + BLOCK)) == NULL ||
	    (state_dir != NULL &&
	        (t->state_path = state_name(state_dir, path)) == NULL))
		goto nomem;

	if (tail_load(t, warn, sizeof(warn), err, errlen) == -1 ||
	    tail_start(t, err, errlen) == -1)
		goto fail;
	/* A file created later is new: it is read from 0. */
	t->at_end = 0;
	if (warn[0] != '\0')
		seterr(err, errlen, "%s", warn);
	if (tail_save(t) == -1) {
		seterr(err, errlen, "%s: %s", t->state_path, strerror(errno));
		goto fail;
	}
	t->error = 0;

	if (base != NULL && tail_arm(t, interval_ms, err, errlen) == -1)
		goto fail;
	return t;
nomem:
	seterr(err, errlen, "%s: out of memory", path);
	errno = ENOMEM;
fail:
	rc = errno;
	if (t != NULL) {
		/* A failed start must not overwrite the position file. */
		free(t->state_path);
		t->state_path = NULL;
		tail_free(t);
	}
	errno = rc;
	return NULL;
}

/* tail_status - see tail.h. */
void
tail_status(const struct tail *t, struct tail_status *st)
{
	memset(st, 0, sizeof(*st));
	st->path = t->path;
	st->open = t->open;
	st->error = t->error;
	st->lines = t->lines;
	st->rotations = t->rotations;
	st->truncations = t->truncations;
	if (t->cur.fd != -1) {
		st->inode = t->cur.ino;
		st->offset = t->cur.pos - t->cur.plen;
	}
}

/* tail_free - see tail.h. A failed final save is not reported. */
void
tail_free(struct tail *t)
{
	if (t == NULL)
		return;
	(void)tail_save(t);
	if (t->timer != NULL)
		event_free(t->timer);
	if (t->again != NULL)
		event_free(t->again);
	file_close(&t->cur);
	file_close(&t->old);
	free(t->cur.buf);
	free(t->old.buf);
	free(t->state_path);
	free(t->path);
	free(t);
}
