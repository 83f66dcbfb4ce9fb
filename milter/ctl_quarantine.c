/*
 * ctl_quarantine.c -- subgatectl quarantine: review held confirmations
 *
 * DESCRIPTION
 *	subgatectl quarantine list [--json] [FILTERS] [--by FIELD]
 *	subgatectl quarantine show ID
 *	subgatectl quarantine release [-n] [--yes] ID... | FILTERS
 *	subgatectl quarantine delete  [-n] [--yes] ID... | FILTERS
 *	subgatectl quarantine expire --older-than D [-n] [--yes]
 *	subgatectl quarantine reconcile
 *	FILTERS: --ip X --subnet X --domain D --list L --since T --state S
 *
 *	The ledger says what subgate held and why; the MTA's hold queue says
 *	what is really there. Every command first reconciles the two (a
 *	message released or deleted by hand with postsuper is marked so, never
 *	shown as held), then works on the ledger's rows, running postsuper and
 *	postqueue with argument vectors on queue ids that passed
 *	ledger_valid_queue_id(). Acting on more than one message asks first,
 *	unless --yes; -n only says what would be done.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "jsonw.h"
#include "ledger.h"
#include "mta.h"
#include "numparse.h"
#include "tally.h"

/* Rows younger than this that are not (yet) in the hold queue are left
 * alone by reconcile: the MTA may still be writing them. */
#define RECONCILE_GRACE_S 60
#define CHUNK 100

enum verb { V_LIST, V_SHOW, V_RELEASE, V_DELETE, V_EXPIRE, V_RECONCILE };

struct qopts {
	enum verb verb;
	struct ledger_filter f;
	int json, yes, dry, filtered;
	const char *by;
	uint64_t older_than;
	int have_older;
};

/* who - the admin acting, for the ledger */
static const char *
who(void)
{
	static char name[64];
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (s != NULL && *s != '\0')
		snprintf(name, sizeof(name), "%s", s);
	else if ((pw = getpwuid(getuid())) != NULL)
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "uid %ld", (long)getuid());
	return name;
}

/* queue_of - the queue <id> is in, or NULL */
static const char *
queue_of(const struct mta_queued *q, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(q[i].id, id) == 0)
			return q[i].queue;
	return NULL;
}

/*
 * reconcile - mark rows "held" by Postfix whose message is no longer in
 * the hold queue: released (still queued elsewhere) or deleted (gone).
 * Rows another MTA held are left alone. Returns the number changed, -1 on
 * error (reported).
 */
static int
reconcile(const struct conf *conf, struct ledger *l, int verbose)
{
	struct ledger_filter f;
	struct ledger_rec *rows = NULL;
	struct mta_queued *q = NULL;
	size_t nrows = 0, nq = 0, i;
	char err[1024];
	int changed = 0;
	time_t now = time(NULL);

	if (mta_queue(conf->postfix_config_directory, &q, &nq, err,
	        sizeof(err)) != 0) {
		fprintf(stderr, "quarantine: cannot read the mail queue: %s\n",
		    err);
		return -1;
	}
	memset(&f, 0, sizeof(f));
	f.state = "held";
	if (ledger_query(l, &f, &rows, &nrows, err, sizeof(err)) != 0) {
		fprintf(stderr, "quarantine: %s\n", err);
		free(q);
		return -1;
	}
	for (i = 0; i < nrows; i++) {
		const char *where = queue_of(q, nq, rows[i].queue_id);
		const char *state;

		if (strcmp(rows[i].mta, conf_mta_name(CONF_MTA_POSTFIX)) != 0)
			continue;
		if (where != NULL && strcmp(where, "hold") == 0)
			continue;
		if (where == NULL && rows[i].time + RECONCILE_GRACE_S > now)
			continue;
		state = where != NULL ? "released" : "deleted";
		if (ledger_set_state(l, rows[i].queue_id, state,
		        "outside subgatectl", "held", err, sizeof(err)) > 0) {
			changed++;
			if (verbose)
				printf("%s: no longer held (%s): marked %s\n",
				    rows[i].queue_id,
				    where != NULL ? where : "not queued",
				    state);
		}
	}
	free(rows);
	free(q);
	return changed;
}

/* print_json - rows as a JSON array */
static void
print_json(const struct ledger_rec *r, size_t n)
{
	size_t i;

	printf("[");
	for (i = 0; i < n; i++) {
		printf("%s{\"id\":", i ? "," : "");
		jsonw_cstr(stdout, r[i].queue_id);
		printf(",\"time\":%lld,\"mta\":", (long long)r[i].time);
		jsonw_cstr(stdout, r[i].mta);
		printf(",\"list\":");
		jsonw_cstr(stdout, r[i].list);
		printf(",\"recipient\":");
		jsonw_cstr(stdout, r[i].recipient);
		printf(",\"domain\":");
		jsonw_cstr(stdout, r[i].domain);
		printf(",\"ip\":");
		jsonw_cstr(stdout, r[i].ip);
		printf(",\"subnet\":");
		jsonw_cstr(stdout, r[i].subnet);
		printf(",\"rule\":");
		jsonw_cstr(stdout, r[i].rule);
		printf(",\"message_id\":");
		jsonw_cstr(stdout, r[i].message_id);
		printf(",\"subject\":");
		jsonw_cstr(stdout, r[i].subject);
		printf(",\"state\":");
		jsonw_cstr(stdout, r[i].state);
		printf(",\"state_time\":%lld,\"state_by\":",
		    (long long)r[i].state_time);
		jsonw_cstr(stdout, r[i].state_by);
		printf("}");
	}
	printf("]\n");
}

/* safe - a copy for the terminal: control bytes become '?' */
static const char *
safe(const char *s, char *buf, size_t size)
{
	size_t i;

	if (s != buf)
		snprintf(buf, size, "%s", s);
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

/* print_table - rows as a readable table */
static void
print_table(const struct ledger_rec *r, size_t n)
{
	char t[32], a[300], b[300], c[300];
	size_t i;

	printf("%-16s %-19s %-8s %-16s %-28s %-18s %s\n", "ID", "HELD (UTC)",
	    "STATE", "LIST", "RECIPIENT", "ORIGIN", "RULE");
	for (i = 0; i < n; i++) {
		time_t tt = (time_t)r[i].time;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%-16s %-19s %-8s %-16s %-28s %-18s %s\n", r[i].queue_id,
		    t, r[i].state, safe(r[i].list, a, sizeof(a)),
		    safe(r[i].recipient, b, sizeof(b)), r[i].ip,
		    safe(r[i].rule, c, sizeof(c)));
	}
	printf("%zu message%s\n", n, n == 1 ? "" : "s");
}

/* print_by - counts grouped by one field */
static int
print_by(const struct ledger_rec *r, size_t n, const char *by, int json)
{
	struct tally *t = tally_new();
	struct tally_item *items;
	size_t i, k;

	if (t == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const char *v = strcmp(by, "ip") == 0 ? r[i].ip
		    : strcmp(by, "subnet") == 0       ? r[i].subnet
		    : strcmp(by, "domain") == 0       ? r[i].domain
		                                      : r[i].list;

		tally_add(t, v, strlen(v), 1);
	}
	k = tally_size(t);
	if ((items = calloc(k + 1, sizeof(*items))) == NULL) {
		tally_free(t);
		return -1;
	}
	k = tally_top(t, items, k);
	if (json)
		printf("[");
	for (i = 0; i < k; i++) {
		if (json) {
			printf("%s{\"%s\":", i ? "," : "", by);
			jsonw_str(
			    stdout, (const char *)items[i].key, items[i].len);
			printf(",\"count\":%llu}",
			    (unsigned long long)items[i].count);
		} else {
			char buf[300];

			snprintf(buf, sizeof(buf), "%.*s", (int)items[i].len,
			    (const char *)items[i].key);
			printf("%8llu  %s\n",
			    (unsigned long long)items[i].count,
			    safe(buf, buf, sizeof(buf)));
		}
	}
	if (json)
		printf("]\n");
	free(items);
	tally_free(t);
	return 0;
}

/* confirm_bulk - may we act on <n> messages? */
static int
confirm_bulk(const char *what, size_t n, const struct qopts *o)
{
	char answer[16];

	if (n <= 1 || o->yes || o->dry)
		return 1;
	if (!isatty(0)) {
		fprintf(stderr,
		    "quarantine: %s %zu messages: add --yes (or -n "
		    "to see them first)\n",
		    what, n);
		return 0;
	}
	fprintf(stderr, "%s %zu held confirmations? [y/N] ", what, n);
	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return 0;
	return answer[0] == 'y' || answer[0] == 'Y';
}

/*
 * act - release or delete <rows> (all held): run the MTA tool in chunks,
 * then see in the queue what really happened and mark exactly that.
 */
static int
act(const struct conf *conf, struct ledger *l, struct ledger_rec *rows,
    size_t n, enum verb verb, const struct qopts *o)
{
	const char *args[2 * CHUNK + 3];
	struct mta_queued *q = NULL;
	size_t i, j, nq = 0, done = 0;
	char err[2048];
	const char *state = verb == V_RELEASE ? "released"
	    : verb == V_EXPIRE                ? "expired"
	                                      : "deleted";
	int rc, status = 0;

	for (i = 0; i < n; i++)
		if (o->dry)
			printf("would %s %s (%s, %s)\n",
			    verb == V_RELEASE      ? "release"
			        : verb == V_EXPIRE ? "expire"
			                           : "delete",
			    rows[i].queue_id, rows[i].list, rows[i].recipient);
	if (o->dry || n == 0)
		return 0;
	for (i = 0; i < n; i += CHUNK) {
		size_t k = 0;

		for (j = i; j < n && j < i + CHUNK; j++) {
			args[k++] = verb == V_RELEASE ? "-H" : "-d";
			args[k++] = rows[j].queue_id;
		}
		if (verb != V_RELEASE)
			args[k++] = "hold";
		args[k] = NULL;
		rc = mta_run(conf->postfix_config_directory, "postsuper", args,
		    NULL, NULL, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "quarantine: postsuper: %s%s",
			    rc < 0 ? "" : "failed: ", err);
	}
	if (mta_queue(conf->postfix_config_directory, &q, &nq, err,
	        sizeof(err)) != 0) {
		fprintf(stderr, "quarantine: cannot read the mail queue: %s\n",
		    err);
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		const char *where = queue_of(q, nq, rows[i].queue_id);
		int ok = verb == V_RELEASE
		    ? (where == NULL || strcmp(where, "hold") != 0)
		    : where == NULL;

		if (!ok) {
			fprintf(stderr,
			    "quarantine: %s: still in the %s "
			    "queue\n",
			    rows[i].queue_id, where);
			status = CTL_EXIT_USAGE;
			continue;
		}
		if (verb == V_RELEASE && where != NULL) {
			/* Deliver it now rather than at the next queue run. */
			const char *qa[] = {"-i", rows[i].queue_id, NULL};

			(void)mta_run(conf->postfix_config_directory,
			    "postqueue", qa, NULL, NULL, err, sizeof(err));
		}
		if (ledger_set_state(l, rows[i].queue_id, state, who(), "held",
		        err, sizeof(err)) < 0) {
			fprintf(stderr, "quarantine: %s\n", err);
			status = CTL_EXIT_USAGE;
			continue;
		}
		done++;
		printf("%s %s\n", rows[i].queue_id, state);
	}
	free(q);
	fprintf(stderr, "%zu of %zu %s\n", done, n, state);
	return status;
}

/* show - one message: the ledger row and the MTA's copy of its headers */
static int
show(const struct conf *conf, struct ledger *l, const char *id)
{
	struct ledger_filter f;
	struct ledger_rec *rows = NULL;
	size_t n = 0;
	char err[1024], *out = NULL;
	const char *args[] = {"-h", "-q", id, NULL};

	memset(&f, 0, sizeof(f));
	f.ids = &id;
	f.nids = 1;
	if (ledger_query(l, &f, &rows, &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "quarantine: %s\n", err);
		return CTL_EXIT_USAGE;
	}
	if (n == 0) {
		fprintf(stderr, "quarantine: %s: not in the ledger\n", id);
		free(rows);
		return CTL_EXIT_USAGE;
	}
	print_table(rows, n);
	printf("message-id %s\nsubject    %s\nstate      %s since %lld by %s\n",
	    rows[0].message_id, rows[0].subject, rows[0].state,
	    (long long)rows[0].state_time, rows[0].state_by);
	free(rows);
	if (mta_run(conf->postfix_config_directory, "postcat", args, &out, NULL,
	        err, sizeof(err)) == 0) {
		printf("\n");
		fputs(out, stdout);
	} else {
		printf("\n(the MTA no longer has it: %s)\n", err);
	}
	free(out);
	return CTL_EXIT_OK;
}

/* parse_since - "2h" (ago), or epoch seconds */
static int
parse_since(const char *s, int64_t *out)
{
	uint64_t v;

	if (num_parse_duration(s, strlen(s), 0, UINT32_MAX, &v) == 0) {
		*out = (int64_t)time(NULL) - (int64_t)v;
		return 0;
	}
	if (num_parse_u64(s, strlen(s), 0, UINT32_MAX, &v) == 0) {
		*out = (int64_t)v;
		return 0;
	}
	return -1;
}

/* parse_args - the verb's options; CTL_EXIT_* on error, else -1 */
static int
parse_args(int argc, char **argv, struct qopts *o)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"ip", required_argument, NULL, 'i'},
	    {"subnet", required_argument, NULL, 's'},
	    {"domain", required_argument, NULL, 'd'},
	    {"list", required_argument, NULL, 'l'},
	    {"since", required_argument, NULL, 'S'},
	    {"state", required_argument, NULL, 't'},
	    {"by", required_argument, NULL, 'b'},
	    {"yes", no_argument, NULL, 'y'},
	    {"older-than", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0}};
	int ch;

	o->f.state = "held";
	while ((ch = getopt_long(argc, argv, "+n", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			o->json = 1;
			break;
		case 'i':
			o->f.ip = optarg;
			o->filtered = 1;
			break;
		case 's':
			o->f.subnet = optarg;
			o->filtered = 1;
			break;
		case 'd':
			o->f.domain = optarg;
			o->filtered = 1;
			break;
		case 'l':
			o->f.list = optarg;
			o->filtered = 1;
			break;
		case 'S':
			if (parse_since(optarg, &o->f.since) != 0) {
				fprintf(stderr,
				    "quarantine: --since wants a "
				    "duration (2h) or epoch seconds\n");
				return CTL_EXIT_USAGE;
			}
			o->filtered = 1;
			break;
		case 't':
			if (strcmp(optarg, "all") == 0)
				o->f.state = NULL;
			else if (strcmp(optarg, "held") == 0 ||
			    strcmp(optarg, "released") == 0 ||
			    strcmp(optarg, "deleted") == 0 ||
			    strcmp(optarg, "expired") == 0)
				o->f.state = optarg;
			else {
				fprintf(stderr,
				    "quarantine: --state wants held, "
				    "released, deleted, expired or all\n");
				return CTL_EXIT_USAGE;
			}
			break;
		case 'b':
			if (strcmp(optarg, "ip") != 0 &&
			    strcmp(optarg, "subnet") != 0 &&
			    strcmp(optarg, "domain") != 0 &&
			    strcmp(optarg, "list") != 0) {
				fprintf(stderr,
				    "quarantine: --by wants ip, "
				    "subnet, domain or list\n");
				return CTL_EXIT_USAGE;
			}
			o->by = optarg;
			break;
		case 'y':
			o->yes = 1;
			break;
		case 'n':
			o->dry = 1;
			break;
		case 'o':
			if (num_parse_duration(optarg, strlen(optarg), 0,
			        UINT32_MAX, &o->older_than) != 0) {
				fprintf(stderr,
				    "quarantine: --older-than wants "
				    "a duration (3d)\n");
				return CTL_EXIT_USAGE;
			}
			o->have_older = 1;
			break;
		default:
			return CTL_EXIT_USAGE;
		}
	}
	return -1;
}

/* verb_of - the subcommand */
static int
verb_of(const char *s, enum verb *v)
{
	static const char *const names[] = {
	    "list", "show", "release", "delete", "expire", "reconcile"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*v = (enum verb)i;
			return 0;
		}
	return -1;
}

int
ctl_quarantine(int argc, char **argv, const struct conf *conf)
{
	struct qopts o;
	struct ledger *l;
	struct ledger_rec *rows = NULL;
	size_t n = 0, i;
	char err[1024], path[1024];
	int rc, nids;

	memset(&o, 0, sizeof(o));
	if (argc < 2 || verb_of(argv[1], &o.verb) != 0)
		goto usage;
	optind = 1;
	if ((rc = parse_args(argc - 1, argv + 1, &o)) >= 0)
		goto usage;
	nids = argc - 1 - optind;
	/* Every id is checked before anything runs. */
	for (i = 0; i < (size_t)nids; i++)
		if (!ledger_valid_queue_id(argv[1 + optind + (int)i])) {
			fprintf(stderr,
			    "quarantine: \"%s\" is not a queue id\n",
			    safe(argv[1 + optind + (int)i], err, sizeof(err)));
			return CTL_EXIT_USAGE;
		}
	if ((o.verb == V_SHOW && nids != 1) ||
	    ((o.verb == V_LIST || o.verb == V_EXPIRE ||
	         o.verb == V_RECONCILE) &&
	        nids != 0) ||
	    ((o.verb == V_RELEASE || o.verb == V_DELETE) &&
	        (nids > 0) == o.filtered) ||
	    (o.verb == V_EXPIRE && !o.have_older))
		goto usage;
	/*
	 * Behind Sendmail only the ledger can be read: its quarantine has
	 * tools of its own, and Postfix's would find none of its messages.
	 */
	if (conf->mta == CONF_MTA_SENDMAIL && o.verb != V_LIST) {
		fprintf(stderr,
		    "quarantine: %s says mta = sendmail: only \"quarantine "
		    "list\" reads the ledger; use Sendmail's tools (mailq -qQ "
		    "lists, sendmail -qQ -qIID -Q releases; see the README)\n",
		    conf->path != NULL ? conf->path : "the configuration");
		return CTL_EXIT_USAGE;
	}
	if ((l = ledger_open(conf_ledger_path(conf, path, sizeof(path)), 0, err,
	         sizeof(err))) == NULL) {
		fprintf(stderr, "quarantine: %s\n", err);
		return CTL_EXIT_USAGE;
	}
	rc = CTL_EXIT_OK;
	/* A change must be recordable before any MTA tool runs. */
	if (o.verb != V_LIST && o.verb != V_SHOW && !o.dry &&
	    ledger_writable(l, err, sizeof(err)) != 0) {
		fprintf(stderr, "quarantine: %s; nothing done\n", err);
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	if (conf->mta == CONF_MTA_POSTFIX &&
	    reconcile(conf, l, o.verb == V_RECONCILE) < 0 && o.verb != V_LIST &&
	    o.verb != V_SHOW) {
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	if (o.verb == V_RECONCILE)
		goto out;
	if (o.verb == V_SHOW) {
		rc = show(conf, l, argv[1 + optind]);
		goto out;
	}
	if (nids > 0) {
		o.f.ids = (const char **)(argv + 1 + optind);
		o.f.nids = (size_t)nids;
	}
	if (o.verb == V_EXPIRE)
		o.f.state = "held";
	if (o.verb == V_RELEASE || o.verb == V_DELETE)
		o.f.state = "held";
	if (ledger_query(l, &o.f, &rows, &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "quarantine: %s\n", err);
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	if (o.verb == V_EXPIRE) {
		int64_t cut = (int64_t)time(NULL) - (int64_t)o.older_than;
		size_t k = 0;

		for (i = 0; i < n; i++)
			if (rows[i].time < cut)
				rows[k++] = rows[i];
		n = k;
	}
	if (o.verb == V_LIST) {
		if (o.by != NULL)
			rc = print_by(rows, n, o.by, o.json) == 0
			    ? CTL_EXIT_OK
			    : CTL_EXIT_USAGE;
		else if (o.json)
			print_json(rows, n);
		else
			print_table(rows, n);
		goto out;
	}
	if (nids > 0 && n < (size_t)nids)
		fprintf(stderr,
		    "quarantine: %zu of %d ids are not held "
		    "confirmations in the ledger\n",
		    (size_t)nids - n, nids);
	if (!confirm_bulk(o.verb == V_RELEASE ? "Release"
	            : o.verb == V_EXPIRE      ? "Expire"
	                                      : "Delete",
	        n, &o)) {
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	rc = act(conf, l, rows, n, o.verb, &o);
	if (nids > 0 && n < (size_t)nids && rc == CTL_EXIT_OK)
		rc = CTL_EXIT_USAGE;
out:
	free(rows);
	ledger_close(l);
	return rc;
usage:
	fprintf(stderr,
	    "usage: subgatectl quarantine list [--json] [--ip X] [--subnet X] "
	    "[--domain D] [--list L] [--since T] [--state S|all] "
	    "[--by ip|subnet|domain|list]\n"
	    "       subgatectl quarantine show ID\n"
	    "       subgatectl quarantine release [-n] [--yes] ID... | "
	    "FILTERS\n"
	    "       subgatectl quarantine delete [-n] [--yes] ID... | FILTERS\n"
	    "       subgatectl quarantine expire --older-than D [-n] [--yes]\n"
	    "       subgatectl quarantine reconcile\n");
	return CTL_EXIT_USAGE;
}
