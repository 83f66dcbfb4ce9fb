/*
 * journal.c -- what changed the counters since their last save
 *
 * DESCRIPTION
 *	See journal.h. A record is built in memory and written with one
 *	write(2) to a file opened with O_APPEND, so a crash of the process
 *	leaves whole records and at most one cut one at the end.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fnv.h"
#include "journal.h"
#include "rawio.h"

#define MAGIC "SUBGATE-JOURNAL"
#define MAGIC_LEN 16 /* with its NUL */
#define HEADER_LEN (MAGIC_LEN + 24)
#define REC_JUDGE 1
#define REC_KEY 2
#define REC_POLICY 3
#define FIELD_MAX 0xffffu /* a string or key longer is not journaled */
#define KEY_MAX 1024      /* a counter key (CTAB_KEY_MAX is less) */

struct journal {
	char dir[4096];
	int fd;
	uint64_t gen;
	uint64_t size;
	uint64_t failures;
};

/* put16 - a little-endian u16; returns <b> + 2 */
static unsigned char *
put16(unsigned char *b, size_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	return b + 2;
}

/* file_name - "<dir>/counters.journal.<gen>" into <buf> */
static void
file_name(char *buf, size_t size, const char *dir, uint64_t gen)
{
	snprintf(buf, size, "%s/%s%llu", dir, JOURNAL_PREFIX,
	    (unsigned long long)gen);
}

/* create - a new journal file with its header; the fd or -1 (errno) */
static int
create(const char *dir, uint64_t gen, uint64_t wall_ms, uint64_t engine_ms)
{
	unsigned char h[HEADER_LEN], *p;
	char path[4200];
	int fd, saved;

	file_name(path, sizeof(path), dir, gen);
	fd = open(path,
	    O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return -1;
	memcpy(h, MAGIC, MAGIC_LEN);
	p = rawio_put64(h + MAGIC_LEN, gen);
	p = rawio_put64(p, wall_ms);
	rawio_put64(p, engine_ms);
	if (rawio_write_all(fd, h, sizeof(h)) != 0) {
		saved = errno;
		close(fd);
		unlink(path);
		errno = saved;
		return -1;
	}
	return fd;
}

struct journal *
journal_open(const char *dir, uint64_t gen, uint64_t wall_ms,
    uint64_t engine_ms, char *err, size_t errlen)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(j->dir, sizeof(j->dir), "%s", dir);
	if ((j->fd = create(dir, gen, wall_ms, engine_ms)) == -1) {
		snprintf(err, errlen, "%s/%s%llu: %s", dir, JOURNAL_PREFIX,
		    (unsigned long long)gen, strerror(errno));
		free(j);
		return NULL;
	}
	j->gen = gen;
	j->size = HEADER_LEN;
	return j;
}

void
journal_close(struct journal *j, int remove)
{
	char path[4200];

	if (j == NULL)
		return;
	close(j->fd);
	if (remove) {
		file_name(path, sizeof(path), j->dir, j->gen);
		unlink(path);
	}
	free(j);
}

uint64_t
journal_gen(const struct journal *j)
{
	return j->gen;
}

uint64_t
journal_failures(struct journal *j)
{
	uint64_t n = j->failures;

	j->failures = 0;
	return n;
}

/* append - frame <payload> (length, bytes, check) and write it */
static int
append(struct journal *j, const unsigned char *payload, size_t len)
{
	unsigned char stack[1024], *rec = stack;
	size_t n = 4 + len + 8;
	int rc;

	if (j->size + n > JOURNAL_MAX) {
		j->failures++;
		return -1;
	}
	if (n > sizeof(stack) && (rec = malloc(n)) == NULL) {
		j->failures++;
		return -1;
	}
	rec[0] = (unsigned char)len;
	rec[1] = (unsigned char)(len >> 8);
	rec[2] = (unsigned char)(len >> 16);
	rec[3] = (unsigned char)(len >> 24);
	memcpy(rec + 4, payload, len);
	rawio_put64(rec + 4 + len, fnv_bytes(FNV_BASIS, payload, len));
	rc = rawio_write_all(j->fd, rec, n);
	if (rec != stack)
		free(rec);
	if (rc != 0) {
		j->failures++;
		return -1;
	}
	j->size += n;
	return 0;
}

/* put_bytes - a u16 length and the bytes */
static unsigned char *
put_bytes(unsigned char *p, const void *s, size_t len)
{
	p = put16(p, len);
	memcpy(p, s, len);
	return p + len;
}

int
journal_add_judge(struct journal *j, const struct journal_judge *r)
{
	const struct origin *o = r->origin;
	size_t ll = strlen(r->list), dl = strlen(r->domain), il = strlen(r->id),
	       n;
	unsigned char stack[1024], *buf = stack, *p;
	int rc;

	if (ll > FIELD_MAX || dl > FIELD_MAX || il > FIELD_MAX ||
	    o->ipkey_len > FIELD_MAX || o->subnetkey_len > FIELD_MAX) {
		j->failures++;
		return -1;
	}
	n = 1 + 8 + 1 + 1 + 1 + 16 + 2 + o->ipkey_len + 2 + o->subnetkey_len +
	    2 + ll + 2 + dl + 2 + il;
	if (n > sizeof(stack) && (buf = malloc(n)) == NULL) {
		j->failures++;
		return -1;
	}
	p = buf;
	*p++ = REC_JUDGE;
	p = rawio_put64(p, r->now_ms);
	*p++ = (unsigned char)r->floor;
	*p++ = (unsigned char)o->kind;
	*p++ = o->ip.family;
	memcpy(p, o->ip.bytes, 16);
	p += 16;
	p = put_bytes(p, o->ipkey, o->ipkey_len);
	p = put_bytes(p, o->subnetkey, o->subnetkey_len);
	p = put_bytes(p, r->list, ll);
	p = put_bytes(p, r->domain, dl);
	put_bytes(p, r->id, il);
	rc = append(j, buf, n);
	if (buf != stack)
		free(buf);
	return rc;
}

int
journal_add_key(struct journal *j, const struct journal_key *k)
{
	unsigned char buf[1 + 8 + 1 + 1 + 2 + KEY_MAX], *p = buf;

	if (k->len > KEY_MAX) {
		j->failures++;
		return -1;
	}
	*p++ = REC_KEY;
	p = rawio_put64(p, k->now_ms);
	*p++ = (unsigned char)(k->reset != 0);
	*p++ = (unsigned char)k->scope;
	p = put_bytes(p, k->key, k->len);
	return append(j, buf, (size_t)(p - buf));
}

int
journal_add_policy(struct journal *j, const char *text, size_t len)
{
	unsigned char *buf;
	int rc;

	if (text == NULL || len > JOURNAL_POLICY_MAX ||
	    (buf = malloc(1 + len)) == NULL) {
		j->failures++;
		return -1;
	}
	buf[0] = REC_POLICY;
	memcpy(buf + 1, text, len);
	rc = append(j, buf, 1 + len);
	free(buf);
	return rc;
}

uint64_t
journal_rotate(struct journal *j, uint64_t wall_ms, uint64_t engine_ms,
    char *err, size_t errlen)
{
	int fd = create(j->dir, j->gen + 1, wall_ms, engine_ms);

	if (fd == -1) {
		snprintf(err, errlen, "%s/%s%llu: %s", j->dir, JOURNAL_PREFIX,
		    (unsigned long long)(j->gen + 1), strerror(errno));
		return 0;
	}
	close(j->fd);
	j->fd = fd;
	j->gen++;
	j->size = HEADER_LEN;
	return j->gen;
}

/* gen_of - the generation a directory entry names; 0 if not a journal */
static uint64_t
gen_of(const char *name)
{
	size_t pl = strlen(JOURNAL_PREFIX);
	const char *s = name + pl;
	uint64_t g = 0;

	if (strncmp(name, JOURNAL_PREFIX, pl) != 0 || *s == '\0' ||
	    strlen(s) > 19)
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		g = g * 10 + (uint64_t)(*s - '0');
	}
	return g;
}

/* list_gens - the journal generations in <dir>, sorted; -1 (errno) */
static int
list_gens(const char *dir, uint64_t **gens, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t *v = NULL, g, *nv;
	size_t cap = 0, len = 0, i, k;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if ((g = gen_of(de->d_name)) == 0)
			continue;
		if (len == cap) {
			cap = cap ? 2 * cap : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			v = nv;
		}
		v[len++] = g;
	}
	closedir(d);
	for (i = 1; i < len; i++) /* few files: insertion sort */
		for (k = i; k > 0 && v[k - 1] > v[k]; k--) {
			g = v[k];
			v[k] = v[k - 1];
			v[k - 1] = g;
		}
	*gens = v;
	*n = len;
	return 0;
}

void
journal_prune(const char *dir, uint64_t gen)
{
	uint64_t *gens;
	size_t n, i;
	char path[4200];

	if (list_gens(dir, &gens, &n) != 0)
		return;
	for (i = 0; i < n; i++)
		if (gens[i] < gen) {
			file_name(path, sizeof(path), dir, gens[i]);
			unlink(path);
		}
	free(gens);
}

/* A reader over one payload. */
struct rd {
	const unsigned char *p, *end;
	int bad;
};

static uint64_t
rd_u(struct rd *r, size_t n)
{
	uint64_t v = 0;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

/* rd_bytes - a u16 length and that many bytes, copied NUL-terminated into
 * <out> (at least <max> + 1 bytes); the length */
static size_t
rd_bytes(struct rd *r, char *out, size_t max)
{
	size_t len = (size_t)rd_u(r, 2);

	if (r->bad || len > max || (size_t)(r->end - r->p) < len) {
		r->bad = 1;
		out[0] = '\0';
		return 0;
	}
	memcpy(out, r->p, len);
	out[len] = '\0';
	r->p += len;
	return len;
}

/* Room for one decoded judge record. */
struct judge_buf {
	char list[FIELD_MAX + 1], domain[FIELD_MAX + 1], id[FIELD_MAX + 1];
	char ipkey[FIELD_MAX + 1], subnetkey[FIELD_MAX + 1];
	struct origin o;
};

/* replay_payload - one record's payload to its callback; 1 a decision,
 * unban or reset, 2 a policy, -1 damaged */
static int
replay_payload(const unsigned char *p, size_t len, int64_t shift_ms,
    struct judge_buf *jb, const struct journal_sink *sink)
{
	struct rd r = {p, p + len, 0};
	unsigned type = (unsigned)rd_u(&r, 1);
	int64_t now;

	if (type == REC_POLICY) {
		if (r.bad || (size_t)(r.end - r.p) > JOURNAL_POLICY_MAX)
			return -1;
		sink->policy(
		    sink->arg, (const char *)r.p, (size_t)(r.end - r.p));
		return 2;
	}
	now = (int64_t)rd_u(&r, 8) + shift_ms;
	if (now < 0)
		now = 0;
	if (type == REC_JUDGE) {
		struct journal_judge jj;
		unsigned floor = (unsigned)rd_u(&r, 1),
		         kind = (unsigned)rd_u(&r, 1);

		memset(&jb->o, 0, sizeof(jb->o));
		jb->o.ip.family = (uint8_t)rd_u(&r, 1);
		if (!r.bad && r.end - r.p >= 16) {
			memcpy(jb->o.ip.bytes, r.p, 16);
			r.p += 16;
		} else
			r.bad = 1;
		jb->o.ipkey_len = rd_bytes(&r, jb->ipkey, ORIGIN_KEY_MAX);
		memcpy(jb->o.ipkey, jb->ipkey, jb->o.ipkey_len);
		jb->o.subnetkey_len =
		    rd_bytes(&r, jb->subnetkey, ORIGIN_KEY_MAX);
		memcpy(jb->o.subnetkey, jb->subnetkey, jb->o.subnetkey_len);
		rd_bytes(&r, jb->list, FIELD_MAX);
		rd_bytes(&r, jb->domain, FIELD_MAX);
		rd_bytes(&r, jb->id, FIELD_MAX);
		if (r.bad || r.p != r.end || floor >= ACT_COUNT ||
		    kind > ORIGIN_MAIL)
			return -1;
		jb->o.kind = (enum origin_kind)kind;
		jj.now_ms = (uint64_t)now;
		jj.list = jb->list;
		jj.domain = jb->domain;
		jj.id = jb->id;
		jj.origin = &jb->o;
		jj.floor = (enum action)floor;
		sink->judge(sink->arg, &jj);
		return 1;
	}
	if (type == REC_KEY) {
		struct journal_key k;
		unsigned reset = (unsigned)rd_u(&r, 1),
		         scope = (unsigned)rd_u(&r, 1);
		size_t kl = rd_bytes(&r, jb->ipkey, KEY_MAX);

		if (r.bad || r.p != r.end || reset > 1 || scope >= SCOPE_COUNT)
			return -1;
		k.now_ms = (uint64_t)now;
		k.reset = (int)reset;
		k.scope = (enum scope)scope;
		k.key = (const uint8_t *)jb->ipkey;
		k.len = kl;
		sink->key(sink->arg, &k);
		return 1;
	}
	return -1;
}

/* replay_file - every record of one journal; 0, or 1 when it ended in a
 * damaged record; -1 (errno) when it cannot be read */
static int
replay_file(const char *path, uint64_t wall_ms, uint64_t engine_ms,
    struct judge_buf *jb, const struct journal_sink *sink,
    struct journal_replay_info *info)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	unsigned char *buf;
	size_t got = 0, off, len;
	ssize_t n;
	int64_t shift_ms;
	int kind;

	if (fd == -1)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > (uint64_t)JOURNAL_MAX + HEADER_LEN) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	if (got < HEADER_LEN || memcmp(buf, MAGIC, MAGIC_LEN) != 0) {
		free(buf);
		return 1;
	}
	/* As statefile.c: engine now = engine then + wall time passed. */
	shift_ms =
	    ((int64_t)engine_ms - (int64_t)rawio_get64(buf + MAGIC_LEN + 16)) -
	    ((int64_t)wall_ms - (int64_t)rawio_get64(buf + MAGIC_LEN + 8));
	for (off = HEADER_LEN; off < got;) {
		if (got - off < 4) {
			free(buf);
			return 1;
		}
		len = (size_t)buf[off] | (size_t)buf[off + 1] << 8 |
		    (size_t)buf[off + 2] << 16 | (size_t)buf[off + 3] << 24;
		if (got - off - 4 < len || got - off - 4 - len < 8 ||
		    fnv_bytes(FNV_BASIS, buf + off + 4, len) !=
		        rawio_get64(buf + off + 4 + len) ||
		    (kind = replay_payload(
		         buf + off + 4, len, shift_ms, jb, sink)) < 0) {
			free(buf);
			return 1;
		}
		if (kind == 2)
			info->policies++;
		else
			info->records++;
		off += 4 + len + 8;
	}
	free(buf);
	return 0;
}

int
journal_replay(const char *dir, uint64_t from_gen, uint64_t wall_ms,
    uint64_t engine_ms, const struct journal_sink *sink,
    struct journal_replay_info *info, char *err, size_t errlen)
{
	uint64_t *gens;
	size_t n, i;
	struct judge_buf *jb;
	char path[4200];
	int rc;

	memset(info, 0, sizeof(*info));
	if (list_gens(dir, &gens, &n) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((jb = malloc(sizeof(*jb))) == NULL) {
		free(gens);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (gens[i] > info->max_gen)
			info->max_gen = gens[i];
		if (gens[i] < from_gen)
			continue;
		file_name(path, sizeof(path), dir, gens[i]);
		rc = replay_file(path, wall_ms, engine_ms, jb, sink, info);
		/* An unreadable file is one torn at its start. */
		info->files++;
		info->torn += rc != 0;
	}
	free(jb);
	free(gens);
	return 0;
}
