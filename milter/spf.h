/*
 * spf.h -- SPF checks of subscription requests made by mail (libspf2)
 *
 * DESCRIPTION
 *	Checks the MAIL FROM identity (the HELO identity when the sender is
 *	null) of an SMTP client against the sender domain's SPF record with
 *	libspf2, and caches results per (client address, domain) for a short
 *	time.
 *
 *	Every check is bounded: a DNS layer of our own sits on top of
 *	libspf2's resolver and
 *	  - gives up with a temporary error once the check's time budget is
 *	    spent (each resolver try is also bounded by RES_OPTIONS, see
 *	    main.c), so a slow or hostile DNS cannot hold a milter thread;
 *	  - counts void lookups (no answer, or no such name); a third one
 *	    makes the result permerror (RFC 7208 section 4.6.4), which
 *	    libspf2 1.2 does not do itself.
 *	libspf2 enforces the limit of 10 DNS mechanisms (include and redirect
 *	loops end there) and its own MX and PTR limits.
 *
 *	The cache key is the client address and the identity's domain, as
 *	most records never look at the local part; a record that expands %{l}
 *	is answered from the cache for another local part of the same domain
 *	within spf_cache_ttl.
 *
 *	Thread-safe: any milter thread may call spf_check() at any time.
 *	libspf2's resolver keeps one resolver state per thread.
 * DIAGNOSTICS
 *	Constructors return NULL and write a reason into <err>. spf_check()
 *	never fails: problems are results (temperror, permerror, none) with a
 *	reason in <why>.
 */
#ifndef SUBGATE_SPF_H
#define SUBGATE_SPF_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "policy.h"

struct spf;

/* What a test zone record answers (spf_zone_add). */
enum spf_zone_status {
	SPF_ZONE_OK,       /* the record's data */
	SPF_ZONE_NXDOMAIN, /* no such name */
	SPF_ZONE_NODATA,   /* the name exists, no record of that type */
	SPF_ZONE_SERVFAIL  /* the server failed: try again later */
};

/*
 * spf_new - a checker over the system resolver (/etc/resolv.conf and
 * RES_OPTIONS, read by each thread on its first lookup). Results live
 * <cache_ttl_s> seconds (0: no cache) in a table of at most <cache_max>
 * entries; one check may spend <budget_ms> milliseconds on DNS. NULL and
 * <err> on failure.
 */
struct spf *spf_new(unsigned cache_ttl_s, size_t cache_max, unsigned budget_ms,
    char *err, size_t errlen);

/*
 * spf_new_zone - a checker that asks no server: every name resolves from
 * records added with spf_zone_add(); any other name does not exist. For
 * tests. Same parameters as spf_new().
 */
struct spf *spf_new_zone(unsigned cache_ttl_s, size_t cache_max,
    unsigned budget_ms, char *err, size_t errlen);

/*
 * spf_zone_add - add a record to a checker made by spf_new_zone(): <type>
 * is TXT, A, AAAA, MX, PTR or ANY; <data> its text (NULL unless <status>
 * is SPF_ZONE_OK). Several calls for one name and type make an RR set.
 * Returns 0, or -1 with <err> (unknown type, not a zone checker, no
 * memory).
 */
int spf_zone_add(struct spf *s, const char *name, const char *type,
    enum spf_zone_status status, const char *data, char *err, size_t errlen);

/*
 * spf_check - the SPF result for a mail from <client> that said HELO
 * <helo> (may be empty) and MAIL FROM <mail_from> (without angle brackets;
 * empty for the null sender, then the HELO identity is checked) at
 * <now_s> (for the cache). A sender without a domain, or no identity at
 * all, is SPF_RES_NONE. <why> receives a one-line reason (the domain's
 * explanation for a fail), NUL-terminated, printable ASCII only.
 * <*cached> (when not NULL) says whether the cache answered.
 */
enum spf_result spf_check(struct spf *s, const struct addr *client,
    const char *helo, const char *mail_from, uint64_t now_s, char *why,
    size_t whylen, int *cached);

/* spf_free - release <s>; NULL is a no-op. */
void spf_free(struct spf *s);

#endif
