/*
 * ledger.c -- the quarantine ledger: a record of every held confirmation
 *
 * DESCRIPTION
 *	See ledger.h. Every statement is prepared with bound parameters: no
 *	value is ever spliced into SQL text.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ledger.h"

struct ledger {
	sqlite3 *db;
	pthread_mutex_t mu;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS held ("
    " queue_id TEXT PRIMARY KEY,"
    " time INTEGER NOT NULL,"
    " mta TEXT NOT NULL,"
    " list TEXT NOT NULL, recipient TEXT NOT NULL, domain TEXT NOT NULL,"
    " ip TEXT NOT NULL, subnet TEXT NOT NULL, rule TEXT NOT NULL,"
    " message_id TEXT NOT NULL, subject TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN"
    "  ('held','released','deleted','expired')),"
    " state_time INTEGER NOT NULL, state_by TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS held_state ON held(state, time);";

/* fail - the SQLite error into <err>; -1 */
static int
fail(struct ledger *l, const char *what, char *err, size_t errlen)
{
	int code = sqlite3_extended_errcode(l->db);

	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		snprintf(err, errlen,
		    "%s: the ledger is locked by another "
		    "process (waited %d ms)",
		    what, LEDGER_BUSY_MS);
	else
		snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(l->db));
	return -1;
}

struct ledger *
ledger_open(const char *path, int create, char *err, size_t errlen)
{
	struct ledger *l;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;

	if (!create && access(path, F_OK) != 0) {
		snprintf(err, errlen,
		    "%s: no ledger (subgate creates it when "
		    "it first holds a confirmation)",
		    path);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &l->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    l->db != NULL ? sqlite3_errmsg(l->db) : "cannot open");
		sqlite3_close(l->db);
		free(l);
		return NULL;
	}
	sqlite3_busy_timeout(l->db, LEDGER_BUSY_MS);
	pthread_mutex_init(&l->mu, NULL);
	/*
	 * WAL: readers do not block the daemon's writes; synchronous=NORMAL
	 * keeps a committed row across a crash of the process (not of the
	 * machine's power).
	 */
	if (sqlite3_exec(l->db,
	        "PRAGMA journal_mode=WAL;"
	        "PRAGMA synchronous=NORMAL;",
	        NULL, NULL, NULL) != SQLITE_OK ||
	    (create &&
	        sqlite3_exec(l->db, schema, NULL, NULL, NULL) != SQLITE_OK) ||
	    sqlite3_exec(l->db, "SELECT count(*) FROM held;", NULL, NULL,
	        NULL) != SQLITE_OK) {
		fail(l, path, err, errlen);
		ledger_close(l);
		return NULL;
	}
	return l;
}

void
ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	sqlite3_close(l->db);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

int
ledger_add(
    struct ledger *l, const struct ledger_rec *r, char *err, size_t errlen)
{
	static const char sql[] =
	    "INSERT OR REPLACE INTO held (queue_id, time, mta, list, "
	    "recipient, domain, ip, subnet, rule, message_id, subject, state,"
	    " state_time, state_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,'held',?,"
	    "'subgate');";
	sqlite3_stmt *st = NULL;
	int rc = -1;

	pthread_mutex_lock(&l->mu);
	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail(l, "ledger insert", err, errlen);
		goto out;
	}
	sqlite3_bind_text(st, 1, r->queue_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->time);
	sqlite3_bind_text(st, 3, r->mta, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->list, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, r->ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->subnet, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, r->subject, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, r->time);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fail(l, "ledger insert", err, errlen);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int
ledger_set_state(struct ledger *l, const char *queue_id, const char *state,
    const char *by, const char *from_state, char *err, size_t errlen)
{
	static const char sql[] =
	    "UPDATE held SET state = ?, state_time = ?, state_by = ? "
	    "WHERE queue_id = ? AND (?5 IS NULL OR state = ?5);";
	sqlite3_stmt *st = NULL;
	int rc = -1;

	pthread_mutex_lock(&l->mu);
	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail(l, "ledger update", err, errlen);
		goto out;
	}
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, queue_id, -1, SQLITE_STATIC);
	if (from_state != NULL)
		sqlite3_bind_text(st, 5, from_state, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fail(l, "ledger update", err, errlen);
		goto out;
	}
	rc = sqlite3_changes(l->db) > 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int
ledger_writable(struct ledger *l, char *err, size_t errlen)
{
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	if (sqlite3_exec(l->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL) !=
	    SQLITE_OK)
		rc = fail(l, "ledger", err, errlen);
	else
		sqlite3_exec(l->db, "ROLLBACK;", NULL, NULL, NULL);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

/* col - copy text column <i> of <st> into <dst> */
static void
col(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, size, "%s", t != NULL ? (const char *)t : "");
}

int
ledger_query(struct ledger *l, const struct ledger_filter *f,
    struct ledger_rec **out, size_t *n, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT queue_id, time, mta, list, recipient, domain, ip, subnet,"
	    " rule, message_id, subject, state, state_time, state_by FROM held"
	    " WHERE (?1 IS NULL OR ip = ?1) AND (?2 IS NULL OR subnet = ?2)"
	    " AND (?3 IS NULL OR domain = ?3) AND (?4 IS NULL OR list = ?4)"
	    " AND (?5 IS NULL OR state = ?5) AND time >= ?6"
	    " ORDER BY time, queue_id;";
	sqlite3_stmt *st = NULL;
	struct ledger_rec *v = NULL, *nv;
	size_t cap = 0, k = 0, i;
	int rc = -1, step;
	const char *fv[5] = {f->ip, f->subnet, f->domain, f->list, f->state};

	pthread_mutex_lock(&l->mu);
	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail(l, "ledger query", err, errlen);
		goto out;
	}
	for (i = 0; i < 5; i++)
		if (fv[i] != NULL)
			sqlite3_bind_text(
			    st, (int)i + 1, fv[i], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, (int)i + 1);
	sqlite3_bind_int64(st, 6, f->since);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct ledger_rec r;

		col(st, 0, r.queue_id, sizeof(r.queue_id));
		if (f->nids > 0) {
			for (i = 0; i < f->nids; i++)
				if (strcmp(f->ids[i], r.queue_id) == 0)
					break;
			if (i == f->nids)
				continue;
		}
		r.time = sqlite3_column_int64(st, 1);
		col(st, 2, r.mta, sizeof(r.mta));
		col(st, 3, r.list, sizeof(r.list));
		col(st, 4, r.recipient, sizeof(r.recipient));
		col(st, 5, r.domain, sizeof(r.domain));
		col(st, 6, r.ip, sizeof(r.ip));
		col(st, 7, r.subnet, sizeof(r.subnet));
		col(st, 8, r.rule, sizeof(r.rule));
		col(st, 9, r.message_id, sizeof(r.message_id));
		col(st, 10, r.subject, sizeof(r.subject));
		col(st, 11, r.state, sizeof(r.state));
		r.state_time = sqlite3_column_int64(st, 12);
		col(st, 13, r.state_by, sizeof(r.state_by));
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			v = nv;
		}
		v[k++] = r;
	}
	if (step != SQLITE_DONE) {
		fail(l, "ledger query", err, errlen);
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL;
	rc = 0;
out:
	free(v);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int
ledger_valid_queue_id(const char *id)
{
	static const char b52[] = "0123456789BCDFGHJKLMNPQRSTVWXYZ"
	                          "bcdfghjklmnpqrstvwxy";
	size_t n = strlen(id), i;
	const char *z;

	if (n >= 6 && n <= 20 && strspn(id, "0123456789ABCDEF") == n)
		return 1; /* Postfix short id */
	if (n >= 12 && n <= LEDGER_ID_MAX && (z = strchr(id, 'z')) != NULL &&
	    z - id >= 10 && strchr(z + 1, 'z') == NULL && z[1] != '\0') {
		for (i = 0; i < n; i++)
			if (id + i != z && strchr(b52, id[i]) == NULL)
				break;
		if (i == n)
			return 1; /* Postfix long id */
	}
	if (n == 14) {
		for (i = 0; i < n; i++)
			if (!((id[i] >= '0' && id[i] <= '9') ||
			        (id[i] >= 'A' && id[i] <= 'Z') ||
			        (id[i] >= 'a' && id[i] <= 'z')))
				return 0;
		return 1; /* Sendmail */
	}
	return 0;
}
