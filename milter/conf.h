/*
 * conf.h -- subgate.conf: the daemon's settings, shared with subgatectl
 *
 * DESCRIPTION
 *	"key = value" lines, '#' comments, blank lines. Every key is declared
 *	once in the table in conf.c with its type, default and bounds; an
 *	unknown key, a bad value or a repeated key is an error and every error
 *	is reported ("FILE:LINE: message"). List-valued keys (subscribe_log,
 *	trusted_proxies) take several values separated by commas or white
 *	space. Durations take s, m, h or d, and "ms" for milliseconds.
 */
#ifndef SUBGATE_CONF_H
#define SUBGATE_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "origin.h"

#define CONF_DEFAULT_PATH "/etc/subgate/subgate.conf"
#define CONF_MAX_LOGS 16

enum conf_on_error { CONF_ON_ERROR_ACCEPT = 0, CONF_ON_ERROR_TEMPFAIL };
enum conf_mta { CONF_MTA_POSTFIX = 0, CONF_MTA_SENDMAIL };
enum conf_log_level {
	CONF_LOG_ERROR = 0,
	CONF_LOG_WARNING,
	CONF_LOG_INFO,
	CONF_LOG_DEBUG
};

struct conf {
	char *path; /* the file read, or NULL for defaults only */
	char *socket;
	char *user;
	char *group;
	char *policy;
	char *subscribe_log[CONF_MAX_LOGS];
	size_t nsubscribe_log;
	char *state_dir;
	char *header;
	char *pid_file;
	char *syslog_facility;
	char *ledger;         /* "" means state_dir/ledger.sqlite */
	char *control_socket; /* "" turns it off */
	char *list_domains;   /* domains whose command addresses are watched */
	int spf;              /* check SPF of requests by mail */
	uint64_t spf_timeout_ms;
	uint64_t spf_cache_ttl_ms;
	uint64_t counters_save_interval_ms; /* 0: only at a clean stop */
	char *metrics_listen;               /* HOST:PORT, "" turns it off */
	char *postfix_config_directory;
	uint64_t max_keys;
	uint64_t wait_for_log_ms;
	int on_internal_error; /* enum conf_on_error */
	int log_level;         /* enum conf_log_level */
	int mta; /* enum conf_mta: whose queue holds, for the ledger */
	struct origin_conf origin; /* trusted_proxies and prefix lengths */
};

/*
 * conf_init - fill <c> with the built-in defaults. Returns 0, or -1 when
 * memory ran out.
 */
int conf_init(struct conf *c);

/*
 * conf_load - read <path> over the defaults in <c> (call conf_init()
 * first). When the file does not exist and <must_exist> is 0 the defaults
 * stay and 0 is returned. Every error is written to <errf> as
 * "FILE:LINE: message"; returns the number of errors (0 on success), or -1
 * when the file cannot be read at all (message written too).
 */
int conf_load(struct conf *c, const char *path, int must_exist, FILE *errf);

/*
 * conf_parse - the same from a buffer <buf>/<len>; <name> is used in
 * messages. Returns the number of errors.
 */
int conf_parse(
    struct conf *c, const char *buf, size_t len, const char *name, FILE *errf);

/*
 * conf_ledger_path - the ledger's path: <ledger>, or state_dir/ledger.sqlite
 * when that is empty. Returns <buf>.
 */
char *conf_ledger_path(const struct conf *c, char *buf, size_t size);

/*
 * conf_mta_name - the name of enum conf_mta <mta> as subgate.conf writes
 * it ("postfix", "sendmail"), which the ledger records.
 */
const char *conf_mta_name(int mta);

/* conf_free - release the strings of <c>. */
void conf_free(struct conf *c);

#endif
