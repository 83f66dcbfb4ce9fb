/*
 * main.c -- subgate: the milter daemon
 *
 * DESCRIPTION
 *	subgate [-c FILE] [-f] [-n] [-v]
 *	  -c FILE  the configuration (default /etc/subgate/subgate.conf;
 *	           built-in defaults when that does not exist)
 *	  -f       stay in the foreground and log to standard error
 *	  -n       check the configuration and the policy, print
 *	           "configuration OK" and exit (with -v: the canonical policy)
 *	  -v       verbose: log at debug level
 *
 *	Start-up order (style.md 9.8): configuration and policy; the milter
 *	socket, the pid file and the state directory as root; the drop to
 *	<user> (root only when "user = root" is written); signals blocked
 *	before any thread; the event thread; smfi_main(). libmilter owns
 *	SIGHUP, SIGTERM and SIGINT, and stops on all three.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/thread.h>
#include <libmilter/mfapi.h>

#include "conf.h"
#include "engine.h"
#include "evloop.h"
#include "journal.h"
#include "ledger.h"
#include "log.h"
#include "mlfi.h"
#include "policyfile.h"
#include "privdrop.h"
#include "seed.h"
#include "statefile.h"
#include "control.h"

/* usage - the synopsis on stderr */
static void
usage(void)
{
	fprintf(stderr, "usage: subgate [-c FILE] [-f] [-n] [-v]\n");
	exit(2);
}

/* write_pid - the pid file, or a warning */
static void
write_pid(const char *path)
{
	char buf[32];
	int fd, n;

	if (path[0] == '\0')
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_warn("pid file %s", path);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		log_warn("pid file %s", path);
	close(fd);
}

/*
 * socket_dir_problem - why the directory of a unix socket <sock>
 * ("unix:/path" or "local:/path") cannot hold it, into <buf>; 0 when it
 * looks fine (or the socket is not a unix one)
 */
static int
socket_dir_problem(const char *sock, char *buf, size_t size)
{
	const char *path = NULL, *slash;
	char dir[4096];
	struct stat st;

	if (strncmp(sock, "unix:", 5) == 0)
		path = sock + 5;
	else if (strncmp(sock, "local:", 6) == 0)
		path = sock + 6;
	if (path == NULL || (slash = strrchr(path, '/')) == NULL ||
	    slash == path || (size_t)(slash - path) >= sizeof(dir))
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(buf, size, "%.1024s is not a directory", dir);
	} else if (errno == ENOENT) {
		snprintf(buf, size,
		    "its directory %.1024s does not exist (create it, e.g. "
		    "install -d -m 0755 %.1024s)",
		    dir, dir);
	} else {
		return 0; /* libmilter's own error says the rest */
	}
	return 1;
}

/* setup_socket - hand the socket to libmilter and open it as root */
static void
setup_socket(const struct conf *c)
{
	char why[4300];

	if (smfi_setconn((char *)(uintptr_t)c->socket) != MI_SUCCESS)
		fatalx("bad socket \"%s\"", c->socket);
	if (smfi_register(*mlfi_desc()) != MI_SUCCESS)
		fatalx("smfi_register failed");
	/* Postfix must reach a unix socket: group access, no others. */
	umask(007);
	if (smfi_opensocket(1) != MI_SUCCESS) {
		if (socket_dir_problem(c->socket, why, sizeof(why)))
			fatalx("cannot open the milter socket %s: %s",
			    c->socket, why);
		fatalx("cannot open the milter socket %s", c->socket);
	}
}

/* clock_ms - <clock> in milliseconds (CLOCK_MONOTONIC is the engine's) */
static uint64_t
clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* What a journal replay keeps track of (journal_sink's arg). */
struct replay_ctx {
	struct engine *engine;
	char *in_force;    /* canonical text of the policy deciding now */
	size_t switched;   /* journaled policies put in force */
	size_t unreadable; /* journaled policies that did not parse */
};

static void
replay_judge(void *arg, const struct journal_judge *r)
{
	engine_replay_judge(((struct replay_ctx *)arg)->engine, r);
}

static void
replay_key(void *arg, const struct journal_key *k)
{
	engine_replay_key(((struct replay_ctx *)arg)->engine, k);
}

/*
 * replay_policy - a journaled policy: what follows was decided under it
 * (nothing to do when it is the one in force)
 */
static void
replay_policy(void *arg, const char *text, size_t len)
{
	struct replay_ctx *c = arg;
	struct policy *p;
	char *copy;

	if (c->in_force != NULL && strlen(c->in_force) == len &&
	    memcmp(c->in_force, text, len) == 0)
		return;
	if (policy_parse(text, len, "journal", &p, NULL) != 0) {
		c->unreadable++;
		return;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		policy_free(p);
		c->unreadable++;
		return;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	engine_replay_policy(c->engine, p);
	free(c->in_force);
	c->in_force = copy;
	c->switched++;
}

/*
 * load_counters - the counters of the last run: its saved file, then what
 * its journals say was decided after that save (a crash), each decision
 * under the policy journaled before it; then a new
 * journal, and, if any journal was found, a save at once, which folds
 * them in and removes them. Returns the new journal (NULL: none could be
 * made, warned about; subgate then runs without one).
 */
static struct journal *
load_counters(struct engine *engine, const char *dir)
{
	struct decide_load_info li;
	struct journal_replay_info ri;
	struct replay_ctx rc = {engine, engine_policy_text(engine), 0, 0};
	const struct journal_sink sink = {
	    replay_judge, replay_key, replay_policy, &rc};
	struct journal *j;
	uint64_t gen, next;
	char err[512];
	long long n;
	int lr = statefile_load(engine, dir, clock_ms(CLOCK_REALTIME),
	    clock_ms(CLOCK_MONOTONIC), &li, &gen, err, sizeof(err));

	if (lr < 0)
		log_warnx("counters: %s", err);
	else if (lr > 0)
		log_info("counters: loaded %zu keys and %zu identities "
		         "(%zu bans, %zu without their rule; %zu skipped "
		         "over max_keys) from %s/%s",
		    li.keys, li.ids, li.bans, li.bans_unmatched, li.skipped,
		    dir, STATEFILE_NAME);
	if (journal_replay(dir, gen, clock_ms(CLOCK_REALTIME),
	        clock_ms(CLOCK_MONOTONIC), &sink, &ri, err, sizeof(err)) != 0) {
		log_warnx("counters: journal: %s", err);
		memset(&ri, 0, sizeof(ri));
	} else if (ri.files > 0) {
		log_info("counters: replayed %zu decisions, unbans and resets "
		         "from %zu journal(s) in %s",
		    ri.records, ri.files, dir);
		if (ri.torn > 0)
			log_warnx("counters: %zu journal(s) ended in a cut or "
			          "damaged record (a crash while writing): "
			          "replayed up to it",
			    ri.torn);
		if (rc.switched > 0)
			log_info("counters: replayed under %zu journaled "
			         "policy change(s), each decision under the "
			         "policy that made it; this start's policy "
			         "decides from now on",
			    rc.switched);
		if (rc.unreadable > 0)
			log_warnx(
			    "counters: %zu journaled policies did not "
			    "parse: what followed them was replayed under "
			    "the policy before",
			    rc.unreadable);
	}
	engine_replay_done(engine);
	free(rc.in_force);
	next = gen > ri.max_gen ? gen : ri.max_gen + 1;
	if (next == 0)
		next = 1;
	if ((j = journal_open(dir, next, clock_ms(CLOCK_REALTIME),
	         clock_ms(CLOCK_MONOTONIC), err, sizeof(err))) == NULL) {
		log_warnx("counters: no journal (%s): a crash loses what was "
		          "decided since the last save",
		    err);
		return NULL;
	}
	engine_set_journal(engine, j);
	if (ri.max_gen > 0) {
		n = statefile_save(engine, dir, clock_ms(CLOCK_REALTIME),
		    clock_ms(CLOCK_MONOTONIC), err, sizeof(err));
		if (n < 0)
			log_warnx("counters not saved: %s", err);
		else if (err[0] != '\0')
			log_warnx("counters: %s", err);
	}
	return j;
}

int
main(int argc, char **argv)
{
	const char *cpath = NULL;
	char psource[256], digest[32];
	int ctlfd = -1;
	struct conf conf;
	struct decide_conf dc;
	struct policy *pol;
	struct engine *engine;
	struct journal *journal;
	struct evloop *ev;
	struct mlfi_setup ms;
	sigset_t set;
	char err[512], lpath[1024];
	uid_t uid = 0;
	gid_t gid = 0;
	int ch, fg = 0, check = 0, verbose = 0, rc, drop;

	while ((ch = getopt(argc, argv, "c:fnv")) != -1) {
		switch (ch) {
		case 'c':
			cpath = optarg;
			break;
		case 'f':
			fg = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (conf_init(&conf) != 0)
		fatalx("out of memory");
	rc = conf_load(&conf, cpath != NULL ? cpath : CONF_DEFAULT_PATH,
	    cpath != NULL, stderr);
	if (rc != 0) {
		fprintf(stderr, "subgate: %s: configuration not usable\n",
		    cpath != NULL ? cpath : CONF_DEFAULT_PATH);
		return 1;
	}
	if ((pol = policyfile_load(conf.policy, psource, sizeof(psource),
	         digest, sizeof(digest), stderr)) == NULL)
		return 1;
	drop = strcmp(conf.user, "root") != 0;
	if (privdrop_lookup(
	        conf.user, conf.group, &uid, &gid, err, sizeof(err)) != 0) {
		fprintf(stderr, "subgate: %s\n", err);
		return 1;
	}
	if (check) {
		char why[4300];

		/* Not an error here: the check may run before the directory
		 * is made (the systemd unit), or for another machine. */
		if (socket_dir_problem(conf.socket, why, sizeof(why)))
			fprintf(stderr,
			    "subgate: warning: the milter socket %s: %s\n",
			    conf.socket, why);
		if (verbose) {
			char *text = policy_print(pol);

			if (text != NULL)
				fputs(text, stdout);
			free(text);
		}
		printf("configuration OK\n");
		policy_free(pol);
		conf_free(&conf);
		return 0;
	}
	if (log_init("subgate", fg, conf.syslog_facility,
	        verbose ? CONF_LOG_DEBUG : conf.log_level) != 0)
		fatalx("unknown syslog_facility \"%s\"", conf.syslog_facility);

	decide_conf_init(&dc);
	dc.max_keys = (size_t)conf.max_keys;
	/* The counter table's hash key: unguessable, or its keys could be
	 * chosen to share a probe run. */
	dc.seed = seed_random();
	if ((engine = engine_new(pol, &dc, &conf.origin)) == NULL)
		fatalx("out of memory");
	engine_reload(engine, NULL, psource, digest, (int64_t)time(NULL));

	if (mkdir(conf.state_dir, 0750) == -1 && errno != EEXIST)
		fatal("state_dir %s", conf.state_dir);
	if (drop && chown(conf.state_dir, uid, gid) == -1)
		fatal("state_dir %s", conf.state_dir);
	setup_socket(&conf);
	if (conf.control_socket[0] != '\0' &&
	    (ctlfd = control_socket(conf.control_socket, drop ? uid : 0, gid,
	         err, sizeof(err))) == -1)
		fatalx("%s", err);
	/*
	 * The MTA reaches a unix socket through its group (mode 0660): the
	 * user's group, or "group" (e.g. postfix) when that is set.
	 */
	if (strncmp(conf.socket, "unix:", 5) == 0 &&
	    chown(conf.socket + 5, drop ? uid : (uid_t)-1, gid) == -1)
		log_warn("chown %s", conf.socket + 5);
	if (!fg && daemon(0, 0) == -1)
		fatal("daemon");
	write_pid(conf.pid_file);
	if (drop && privdrop_to(uid, gid, err, sizeof(err)) != 0)
		fatalx("%s", err);

	/* Signals first, threads after (libmilter's signal.c). */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0)
		fatalx("libevent has no thread support");
	if ((ev = evloop_new(&conf, engine, ctlfd, gid, err, sizeof(err))) ==
	    NULL)
		fatalx("%s", err);
	ms.spf = NULL;
	if (conf.spf) {
		char opts[64];

		/*
		 * A check has spf_timeout for all its lookups (spf.c stops
		 * asking once it is spent); each try waits at most half of
		 * it, whole seconds as the resolver counts, once.
		 */
		snprintf(opts, sizeof(opts), "timeout:%u attempts:1",
		    (unsigned)(conf.spf_timeout_ms / 2000 > 0
		            ? conf.spf_timeout_ms / 2000
		            : 1));
		setenv("RES_OPTIONS", opts, 1);
		if ((ms.spf = spf_new((unsigned)(conf.spf_cache_ttl_ms / 1000),
		         10000, (unsigned)conf.spf_timeout_ms, err,
		         sizeof(err))) == NULL)
			fatalx("spf: %s", err);
	}
	/* The counters of the last run, before any thread decides. */
	journal = load_counters(engine, conf.state_dir);
	/* After the drop, so that its files belong to the user. */
	if ((ms.ledger =
	            ledger_open(conf_ledger_path(&conf, lpath, sizeof(lpath)),
	                1, err, sizeof(err))) == NULL)
		fatalx("ledger: %s", err);
	ms.conf = &conf;
	ms.engine = engine;
	ms.have_log = conf.nsubscribe_log > 0;
	mlfi_init(&ms);
	if (evloop_start(ev) != 0)
		fatalx("cannot start the event thread");

	log_info("started: socket=%s policy=%s logs=%zu user=%s", conf.socket,
	    psource, conf.nsubscribe_log, conf.user);
	rc = smfi_main();
	log_info("stopping");
	evloop_free(ev);
	/* Milter threads and the event thread are done: save the counters. */
	{
		long long n = statefile_save(engine, conf.state_dir,
		    clock_ms(CLOCK_REALTIME), clock_ms(CLOCK_MONOTONIC), err,
		    sizeof(err));

		if (n < 0)
			log_warnx("counters not saved: %s", err);
		else
			log_info("counters: saved %lld bytes to %s/%s", n,
			    conf.state_dir, STATEFILE_NAME);
		if (n >= 0 && err[0] != '\0')
			log_warnx("counters: %s", err);
		/* Saved: the journal holds nothing the file lacks. */
		engine_set_journal(engine, NULL);
		journal_close(journal, n >= 0 && err[0] == '\0');
	}
	ledger_close(ms.ledger);
	spf_free(ms.spf);
	engine_free(engine);
	if (conf.pid_file[0] != '\0')
		unlink(conf.pid_file);
	if (conf.control_socket[0] != '\0')
		unlink(conf.control_socket);
	conf_free(&conf);
	return rc == MI_SUCCESS ? 0 : 1;
}
