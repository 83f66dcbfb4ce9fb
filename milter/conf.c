/*
 * conf.c -- subgate.conf: the daemon's settings, shared with subgatectl
 *
 * DESCRIPTION
 *	See conf.h. One table names every key, its type, default and bounds;
 *	the loader knows nothing about individual keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "numparse.h"

enum conf_type { T_STR, T_PATHS, T_PROXIES, T_UINT, T_MS, T_ENUM };

struct conf_def {
	const char *name;
	enum conf_type type;
	const char *def;            /* default, as text */
	uint64_t min, max;          /* T_UINT, T_MS */
	const char *const *choices; /* T_ENUM, NULL-terminated */
	size_t off;                 /* offset of the target in struct conf */
};

static const char *const on_error_choices[] = {"accept", "tempfail", NULL};
static const char *const off_on_choices[] = {"off", "on", NULL};
static const char *const mta_choices[] = {"postfix", "sendmail", NULL};
static const char *const log_level_choices[] = {
    "error", "warning", "info", "debug", NULL};

#define OFF(f) offsetof(struct conf, f)
static const struct conf_def conf_defs[] = {
    {"socket", T_STR, "unix:/run/subgate/subgate.sock", 0, 0, NULL,
        OFF(socket)},
    {"user", T_STR, "subgate", 0, 0, NULL, OFF(user)},
    {"group", T_STR, "", 0, 0, NULL, OFF(group)},
    {"policy", T_STR, "/etc/subgate/subgate.policy", 0, 0, NULL, OFF(policy)},
    {"subscribe_log", T_PATHS, "/var/log/mailman/subscribe", 0, 0, NULL,
        OFF(subscribe_log)},
    {"state_dir", T_STR, "/var/lib/subgate", 0, 0, NULL, OFF(state_dir)},
    {"counters_save_interval", T_MS, "5m", 0, 86400000, NULL,
        OFF(counters_save_interval_ms)},
    {"trusted_proxies", T_PROXIES, "", 0, 0, NULL, OFF(origin)},
    {"ipv4_prefix", T_UINT, "24", 8, 32, NULL, OFF(origin.v4_subnet)},
    {"ipv6_prefix", T_UINT, "48", 16, 128, NULL, OFF(origin.v6_subnet)},
    {"ipv4_host_prefix", T_UINT, "32", 8, 32, NULL, OFF(origin.v4_host)},
    {"ipv6_host_prefix", T_UINT, "64", 16, 128, NULL, OFF(origin.v6_host)},
    {"max_keys", T_UINT, "1000000", 1000, 100000000, NULL, OFF(max_keys)},
    {"wait_for_log", T_MS, "2s", 0, 60000, NULL, OFF(wait_for_log_ms)},
    {"on_internal_error", T_ENUM, "accept", 0, 0, on_error_choices,
        OFF(on_internal_error)},
    {"header", T_STR, "X-Subgate", 0, 0, NULL, OFF(header)},
    {"pid_file", T_STR, "/run/subgate/subgate.pid", 0, 0, NULL, OFF(pid_file)},
    {"syslog_facility", T_STR, "mail", 0, 0, NULL, OFF(syslog_facility)},
    {"log_level", T_ENUM, "info", 0, 0, log_level_choices, OFF(log_level)},
    {"ledger", T_STR, "", 0, 0, NULL, OFF(ledger)},
    {"control_socket", T_STR, "/run/subgate/control.sock", 0, 0, NULL,
        OFF(control_socket)},
    {"metrics_listen", T_STR, "", 0, 0, NULL, OFF(metrics_listen)},
    {"list_domains", T_STR, "", 0, 0, NULL, OFF(list_domains)},
    {"spf", T_ENUM, "on", 0, 0, off_on_choices, OFF(spf)},
    {"spf_timeout", T_MS, "5s", 100, 30000, NULL, OFF(spf_timeout_ms)},
    {"spf_cache_ttl", T_MS, "10m", 0, 86400000, NULL, OFF(spf_cache_ttl_ms)},
    {"postfix_config_directory", T_STR, "/etc/postfix", 0, 0, NULL,
        OFF(postfix_config_directory)},
    {"mta", T_ENUM, "postfix", 0, 0, mta_choices, OFF(mta)},
};
#define NDEFS (sizeof(conf_defs) / sizeof(conf_defs[0]))

/* next_item - the next comma- or space-separated item of a list value */
static int
next_item(const char **s, const char *end, const char **item, size_t *len)
{
	while (*s < end && (**s == ',' || **s == ' ' || **s == '\t'))
		(*s)++;
	if (*s >= end)
		return 0;
	*item = *s;
	while (*s < end && **s != ',' && **s != ' ' && **s != '\t')
		(*s)++;
	*len = (size_t)(*s - *item);
	return 1;
}

/* set_value - store <v>/<vlen> for <d>; on error write why into <why> */
static int
set_value(struct conf *c, const struct conf_def *d, const char *v, size_t vlen,
    char *why, size_t whylen)
{
	char *base = (char *)c;
	const char *item, *end = v + vlen;
	size_t ilen, i;
	uint64_t n;

	switch (d->type) {
	case T_STR: {
		char **dst = (char **)(void *)(base + d->off);
		char *s = strndup(v, vlen);

		if (s == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		free(*dst);
		*dst = s;
		return 0;
	}
	case T_PATHS:
		for (i = 0; i < c->nsubscribe_log; i++) {
			free(c->subscribe_log[i]);
			c->subscribe_log[i] = NULL;
		}
		c->nsubscribe_log = 0;
		while (next_item(&v, end, &item, &ilen)) {
			if (c->nsubscribe_log == CONF_MAX_LOGS) {
				snprintf(why, whylen, "more than %d paths",
				    CONF_MAX_LOGS);
				return -1;
			}
			if ((c->subscribe_log[c->nsubscribe_log] =
			            strndup(item, ilen)) == NULL) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
			c->nsubscribe_log++;
		}
		return 0;
	case T_PROXIES:
		c->origin.nproxies = 0;
		while (next_item(&v, end, &item, &ilen)) {
			size_t k = c->origin.nproxies;

			if (k == ORIGIN_MAX_PROXIES) {
				snprintf(why, whylen, "more than %d proxies",
				    ORIGIN_MAX_PROXIES);
				return -1;
			}
			if (addr_parse_prefix(item, ilen, &c->origin.proxies[k],
			        &c->origin.proxy_plen[k]) != 0) {
				snprintf(why, whylen,
				    "bad address or prefix \"%.*s\"",
				    (int)(ilen > 64 ? 64 : ilen), item);
				return -1;
			}
			c->origin.nproxies++;
		}
		return 0;
	case T_UINT:
		if (num_parse_u64(v, vlen, d->min, d->max, &n) != 0) {
			snprintf(why, whylen,
			    "want a whole number from %llu to %llu",
			    (unsigned long long)d->min,
			    (unsigned long long)d->max);
			return -1;
		}
		if (d->off == OFF(max_keys))
			c->max_keys = n;
		else
			*(unsigned *)(void *)(base + d->off) = (unsigned)n;
		return 0;
	case T_MS:
		if (vlen > 2 && memcmp(v + vlen - 2, "ms", 2) == 0) {
			if (num_parse_u64(v, vlen - 2, d->min, d->max, &n) ==
			    0) {
				*(uint64_t *)(void *)(base + d->off) = n;
				return 0;
			}
		} else if (num_parse_duration(v, vlen, d->min / 1000,
		               d->max / 1000, &n) == 0) {
			*(uint64_t *)(void *)(base + d->off) = n * 1000;
			return 0;
		}
		snprintf(why, whylen,
		    "want a duration from %llums to %llus (e.g. 500ms, 2s)",
		    (unsigned long long)d->min,
		    (unsigned long long)(d->max / 1000));
		return -1;
	case T_ENUM:
		for (i = 0; d->choices[i] != NULL; i++)
			if (strlen(d->choices[i]) == vlen &&
			    memcmp(d->choices[i], v, vlen) == 0) {
				*(int *)(void *)(base + d->off) = (int)i;
				return 0;
			}
		snprintf(why, whylen, "want one of:");
		for (i = 0; d->choices[i] != NULL; i++) {
			size_t l = strlen(why);

			snprintf(why + l, whylen - l, " %s", d->choices[i]);
		}
		return -1;
	}
	return -1;
}

int
conf_init(struct conf *c)
{
	char why[128];
	size_t i;

	memset(c, 0, sizeof(*c));
	origin_conf_init(&c->origin);
	for (i = 0; i < NDEFS; i++) {
		const struct conf_def *d = &conf_defs[i];

		if (set_value(c, d, d->def, strlen(d->def), why, sizeof(why)) !=
		    0)
			return -1;
	}
	return 0;
}

/* trim - strip blanks (and a CR) around <*s>/<*len> */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t'))
		(*s)++, (*len)--;
	while (*len > 0 &&
	    ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' ||
	        (*s)[*len - 1] == '\r'))
		(*len)--;
}

int
conf_parse(
    struct conf *c, const char *buf, size_t len, const char *name, FILE *errf)
{
	unsigned char seen[NDEFS];
	const char *p = buf, *end = buf + len;
	unsigned lineno = 0;
	int errors = 0;

	memset(seen, 0, sizeof(seen));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *eq, *hash, *key, *val;
		size_t llen = (size_t)((nl != NULL ? nl : end) - p), klen, vlen,
		       i;
		char why[256];

		p = nl != NULL ? nl + 1 : end;
		lineno++;
		if (memchr(line, '\0', llen) != NULL) {
			fprintf(
			    errf, "%s:%u: NUL byte in line\n", name, lineno);
			errors++;
			continue;
		}
		if ((hash = memchr(line, '#', llen)) != NULL)
			llen = (size_t)(hash - line);
		trim(&line, &llen);
		if (llen == 0)
			continue;
		if ((eq = memchr(line, '=', llen)) == NULL) {
			fprintf(errf, "%s:%u: want \"key = value\"\n", name,
			    lineno);
			errors++;
			continue;
		}
		key = line;
		klen = (size_t)(eq - line);
		trim(&key, &klen);
		val = eq + 1;
		vlen = llen - (size_t)(val - line);
		trim(&val, &vlen);
		for (i = 0; i < NDEFS; i++)
			if (strlen(conf_defs[i].name) == klen &&
			    memcmp(conf_defs[i].name, key, klen) == 0)
				break;
		if (i == NDEFS) {
			fprintf(errf, "%s:%u: unknown key \"%.*s\"\n", name,
			    lineno, (int)(klen > 64 ? 64 : klen), key);
			errors++;
			continue;
		}
		if (seen[i]++) {
			fprintf(errf, "%s:%u: %s set twice\n", name, lineno,
			    conf_defs[i].name);
			errors++;
			continue;
		}
		if (vlen == 0 && conf_defs[i].type != T_STR &&
		    conf_defs[i].type != T_PATHS &&
		    conf_defs[i].type != T_PROXIES) {
			fprintf(errf, "%s:%u: %s: empty value\n", name, lineno,
			    conf_defs[i].name);
			errors++;
			continue;
		}
		if (set_value(c, &conf_defs[i], val, vlen, why, sizeof(why)) !=
		    0) {
			fprintf(errf, "%s:%u: %s: %s\n", name, lineno,
			    conf_defs[i].name, why);
			errors++;
		}
	}
	return errors;
}

int
conf_load(struct conf *c, const char *path, int must_exist, FILE *errf)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int errors;

	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		fprintf(errf, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > (1u << 20) ||
			    (nb = realloc(buf, cap)) == NULL) {
				fprintf(errf,
				    "%s: file too large or out of memory\n",
				    path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(errf, "%s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	errors = conf_parse(c, buf != NULL ? buf : "", len, path, errf);
	free(buf);
	if (errors == 0) {
		free(c->path);
		c->path = strdup(path);
	}
	return errors;
}

const char *
conf_mta_name(int mta)
{
	return mta == CONF_MTA_SENDMAIL ? mta_choices[1] : mta_choices[0];
}

char *
conf_ledger_path(const struct conf *c, char *buf, size_t size)
{
	if (c->ledger[0] != '\0')
		snprintf(buf, size, "%s", c->ledger);
	else
		snprintf(buf, size, "%s/ledger.sqlite", c->state_dir);
	return buf;
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < NDEFS; i++)
		if (conf_defs[i].type == T_STR) {
			char **dst =
			    (char **)(void *)((char *)c + conf_defs[i].off);

			free(*dst);
			*dst = NULL;
		}
	for (i = 0; i < c->nsubscribe_log; i++)
		free(c->subscribe_log[i]);
	c->nsubscribe_log = 0;
	free(c->path);
	c->path = NULL;
}
