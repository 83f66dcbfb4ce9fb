/*
 * log.c -- the daemon's diagnostics: syslog, or standard error in the
 * foreground
 *
 * DESCRIPTION
 *	See log.h. In the foreground each line carries a UTC time stamp and
 *	goes out with a single write(2) so that threads never interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

static int log_fg = 1;
static volatile int log_level = CONF_LOG_INFO;

static const struct {
	const char *name;
	int facility;
} facilities[] = {
    {"mail", LOG_MAIL},
    {"daemon", LOG_DAEMON},
    {"user", LOG_USER},
    {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1},
    {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7},
};

int
log_init(
    const char *ident, int foreground, const char *facility_name, int level)
{
	size_t i;

	log_fg = foreground;
	log_level = level;
	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(facilities[i].name, facility_name) == 0)
			break;
	if (i == sizeof(facilities) / sizeof(facilities[0]))
		return -1;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, facilities[i].facility);
	return 0;
}

void
log_set_level(int level)
{
	log_level = level;
}

/* vlog - one line at syslog priority <pri>, with <err> text if >= 0 */
static void vlog(int pri, int err, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
vlog(int pri, int err, const char *fmt, va_list ap)
{
	char msg[2048], line[2200], stamp[32];
	struct timespec ts;
	struct tm tm;
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err >= 0) {
		size_t l = strlen(msg);

		snprintf(msg + l, sizeof(msg) - l, ": %s", strerror(err));
	}
	if (!log_fg) {
		syslog(pri, "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ subgate[%ld]: %s\n", stamp,
	    ts.tv_nsec / 1000000, (long)getpid(), msg);
	if (n > 0)
		(void)!write(2, line,
		    (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void
log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	if (log_level < CONF_LOG_WARNING)
		return;
	va_start(ap, fmt);
	vlog(LOG_WARNING, -1, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < CONF_LOG_INFO)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, -1, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < CONF_LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, -1, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, -1, fmt, ap);
	va_end(ap);
	exit(1);
}

char *
log_safe(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return buf;
	for (; s != NULL && *s != '\0' && o + 3 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			buf[o++] = '?';
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}
