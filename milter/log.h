/*
 * log.h -- the daemon's diagnostics: syslog, or standard error in the
 * foreground
 *
 * DESCRIPTION
 *	log_warn() appends strerror(errno); log_warnx() does not. log_debug()
 *	checks the level itself, so call sites never test it. fatal() and
 *	fatalx() are for start-up only: they exit. Thread-safe (one line is
 *	written with one call).
 */
#ifndef SUBGATE_LOG_H
#define SUBGATE_LOG_H

#include <stdarg.h>

/*
 * log_init - <ident> for syslog; <foreground> writes to stderr instead;
 * <facility_name> ("mail", "local0", ...) and <level> (enum
 * conf_log_level). Returns 0, or -1 for an unknown facility.
 */
int log_init(
    const char *ident, int foreground, const char *facility_name, int level);
void log_set_level(int level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * log_safe - copy <s> into <buf> for a log line: control bytes become '?',
 * quotes and backslashes are escaped, cut at <size>. Returns <buf>.
 */
char *log_safe(const char *s, char *buf, size_t size);

#endif
