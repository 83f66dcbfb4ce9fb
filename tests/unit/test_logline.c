/*
 * test_logline.c -- unit tests for policy/logline.c
 *
 * DESCRIPTION
 *	Table-driven tests of logline_prefix(), logline_parse() and the
 *	logjoin line joiner, then a walk over two corpus files in the manner
 *	of fail2ban's tests/files/logs:
 *	TEST_DATA_DIR/logs/mailman21-subscribe.log and .../mailman3.log.
 *
 *	Corpus format. The file is read as bytes and split at '\n'. A line
 *	starting with '#' is never fed to the joiner. A line starting with
 *	"# want: " states what the NEXT record must parse to; every other
 *	line is a physical log line given to logjoin_push(). A want line is
 *	a list of key=value words separated by single spaces:
 *
 *	  result=ok|other|noprefix|baddate|nul|malformed|toolong
 *	      default "ok", or "other" when kind=other
 *	  kind=other|pending|new|deleted|changed|autounsub|held_sub|
 *	      held_unsub|confirm_sent                      default other
 *	  list= addr= addr2= name= remote=                 default empty
 *	  remote_kind=none|ip|chain|unidentified|mail|other default none
 *	  digest=0|1                                       default 0
 *	  prefixed=0|1  truncated=0|1                      default 1 / 0
 *	  time=SECONDS pid=N nlines=N        checked only when present
 *
 *	Values are percent-encoded: "%XX" is the byte 0xXX (hex, either
 *	case); every other byte stands for itself. Space, '%', control
 *	bytes and bytes >= 0x7f must be written as %XX, so "Bob%20Smith" is
 *	"Bob Smith", "Jos%E9" is "Jos" + the Latin-1 byte 0xE9 and "%0A" is
 *	a newline. An empty value ("name=") means empty. Every record needs
 *	exactly one want line, and every want line one record.
 *
 *	Epoch values in the tables below were worked out by hand (the
 *	arithmetic is in the comments), not by the code under test; the
 *	corpus times came from Python's calendar.timegm().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logline.h"

#define PFX "Dec 03 18:11:33 2026 (16297) "
/*
 * 2026-12-03 18:11:33 UTC. Days 1970-01-01 .. 2026-01-01: 56 * 365 + 14
 * leap days (1972 .. 2024) = 20454. Jan .. Nov 2026: 334 days; Dec 03 is
 * 2 more: 20790 days * 86400 = 1796256000; 18:11:33 = 65493 s.
 * Mailman's own Message-ID for this line agrees:
 * <mailman.0.1796321493.16297.mylist@lists.example.org>.
 */
#define PFX_TIME INT64_C(1796321493)
#define PFX_PID 16297u

/* ---------------------------------------------------------------- prefix */

struct prefix_case {
	const char *in;
	enum logline_result res; /* logline_parse() of the line */
	int64_t time;            /* when res is not NOPREFIX/BADDATE */
	uint32_t pid;
};

/* The message "x" after each prefix makes a good line LOGLINE_OTHER. */
static const struct prefix_case prefix_cases[] = {
    {"Dec 03 18:11:33 2026 (16297) x", LOGLINE_OTHER, INT64_C(1796321493),
        16297},
    {"Jan 01 00:00:00 1970 (1) x", LOGLINE_OTHER, 0, 1},
    /* 365 days * 86400 - 1 */
    {"Dec 31 23:59:59 1970 (1) x", LOGLINE_OTHER, INT64_C(31535999), 1},
    /* 30 * 365 + 7 leap days = 10957 days * 86400 = 946684800 */
    {"Jan 01 00:00:00 2000 (0) x", LOGLINE_OTHER, INT64_C(946684800), 0},
    {"Dec 31 23:59:59 1999 (1) x", LOGLINE_OTHER, INT64_C(946684799), 1},
    /* 2000 is a leap year (divisible by 400): + 59 days + 12 h */
    {"Feb 29 12:00:00 2000 (1) x", LOGLINE_OTHER, INT64_C(951825600), 1},
    /* 2024-01-01 = (54 * 365 + 13) * 86400 = 1704067200; + 59 days */
    {"Feb 29 00:00:00 2024 (1) x", LOGLINE_OTHER, INT64_C(1709164800), 1},
    {"Mar 01 00:00:00 2024 (1) x", LOGLINE_OTHER, INT64_C(1709251200), 1},
    /* 2027-01-01 = (20790 + 29) * 86400 = 1798761600; - 1 */
    {"Dec 31 23:59:59 2026 (1) x", LOGLINE_OTHER, INT64_C(1798761599), 1},
    /* A leap second reads as the next second: 2017-01-01 = 1483228800. */
    {"Dec 31 23:59:60 2016 (1) x", LOGLINE_OTHER, INT64_C(1483228800), 1},
    /* 2^31 */
    {"Jan 19 03:14:08 2038 (1) x", LOGLINE_OTHER, INT64_C(2147483648), 1},
    {"Dec 31 23:59:59 9999 (4294967295) x", LOGLINE_OTHER,
        INT64_C(253402300799), UINT32_MAX},
    {"Jun 15 08:00:00 2025 (007) x", LOGLINE_OTHER, INT64_C(1749974400), 7},
    /* The message may be empty or start with a space. */
    {"Dec 03 18:11:33 2026 (16297) ", LOGLINE_OTHER, INT64_C(1796321493),
        16297},
    {"Dec 03 18:11:33 2026 (16297)  x", LOGLINE_OTHER, INT64_C(1796321493),
        16297},

    /* Wrong shape. */
    {"", LOGLINE_NOPREFIX, 0, 0},
    {"dec 03 18:11:33 2026 (1) x", LOGLINE_NOPREFIX, 0, 0},
    {"DEC 03 18:11:33 2026 (1) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec  3 18:11:33 2026 (1) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 3 18:11:33 2026 (1) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 8:11:33 2026 (1) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11 2026 (1) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11:33 26 (1) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11:33 02026 (1) x", LOGLINE_NOPREFIX, 0, 0},
    {" Dec 03 18:11:33 2026 (1) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec\t03 18:11:33 2026 (1) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11:33 2026 \\(999\\) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:00:00 2026 \\(999\\) mylist: pending fake@example.com  "
     "1.1.1.1\" <inj@example.com>  192.0.2.66",
        LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11:33 2026 () x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11:33 2026 (-1) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11:33 2026 (1 2) x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11:33 2026 (12)", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11:33 2026 (12)x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11:33 2026 [12] x", LOGLINE_NOPREFIX, 0, 0},
    {"Dec 03 18:11:33 2026 (12 ", LOGLINE_NOPREFIX, 0, 0},
    {"2026-12-03 18:53:06 [FALCON] [ERROR] POST /3.1/members", LOGLINE_NOPREFIX,
        0, 0},

    /* Right shape, impossible values. */
    {"Foo 03 18:11:33 2026 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Mai 03 18:11:33 2026 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Dez 03 18:11:33 2026 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Feb 29 00:00:00 2023 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Feb 29 00:00:00 2100 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Feb 30 00:00:00 2024 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Apr 31 00:00:00 2026 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Jun 31 00:00:00 2026 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Dec 32 00:00:00 2026 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Dec 00 00:00:00 2026 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Dec 03 24:00:00 2026 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Dec 03 23:60:00 2026 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Dec 03 23:59:61 2026 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Dec 31 23:59:59 1969 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Jan 01 00:00:00 0000 (1) x", LOGLINE_BADDATE, 0, 0},
    {"Dec 03 18:11:33 2026 (4294967296) x", LOGLINE_BADDATE, 0, 0},
    {"Dec 03 18:11:33 2026 (99999999999999999999999) x", LOGLINE_BADDATE, 0, 0},
};

/* test_logline_prefix_table - logline_prefix() and its parse result */
static void
test_logline_prefix_table(void **state)
{
	size_t i, n, want;
	int64_t t;
	uint32_t pid;
	struct logev ev;
	enum logline_result r;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		const struct prefix_case *c = &prefix_cases[i];
		size_t len = strlen(c->in);
		int ok =
		    c->res != LOGLINE_NOPREFIX && c->res != LOGLINE_BADDATE;

		t = -1;
		pid = 12345;
		n = logline_prefix(c->in, len, &t, &pid);
		/* A good prefix ends after "(PID) ", before the message. */
		want = 0;
		if (ok)
			want = (size_t)(strstr(c->in, ") ") - c->in) + 2;
		if (n != want || (ok && (t != c->time || pid != c->pid))) {
			print_error("prefix \"%s\": got len %zu time %lld pid "
			            "%u, want len %zu time %lld pid %u\n",
			    c->in, n, (long long)t, pid, want,
			    (long long)c->time, c->pid);
			bad++;
		}
		r = logline_parse(c->in, len, &ev);
		if (r != c->res ||
		    (ok && (ev.time != c->time || ev.pid != c->pid))) {
			print_error("parse \"%s\": got %s, want %s\n", c->in,
			    logline_strerror(r), logline_strerror(c->res));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* test_logline_prefix_cut - every cut of a good prefix is refused */
static void
test_logline_prefix_cut(void **state)
{
	static const char line[] = "Dec 03 18:11:33 2026 (16297) ";
	size_t len = sizeof(line) - 1, cut;
	int64_t t;
	uint32_t pid;

	(void)state;
	for (cut = 0; cut < len; cut++) {
		/* An exact-size heap copy lets ASan catch any over-read. */
		char *p = malloc(cut + 1);

		assert_non_null(p);
		memcpy(p, line, cut);
		assert_int_equal(logline_prefix(p, cut, &t, &pid), 0);
		free(p);
	}
	assert_int_equal(logline_prefix(line, len, &t, &pid), len);
	assert_int_equal(t, PFX_TIME);
	assert_int_equal(pid, PFX_PID);
}

/* ----------------------------------------------------------------- parse */

struct parse_case {
	const char *msg; /* after PFX */
	enum logline_result res;
	enum logev_kind kind;
	const char *list, *addr, *addr2; /* NULL: empty */
	const char *name, *remote;       /* NULL: length 0 */
	enum logev_remote rk;
	int digest;
};

#define P_OK(msg, l, a, nm, rem, rk)                                           \
	{                                                                      \
		msg, LOGLINE_OK, LOGEV_PENDING, l, a, NULL, nm, rem, rk, 0     \
	}
#define P_RK(rem, rk)                                                          \
	P_OK("mylist: pending a@example.com  " rem, "mylist", "a@example.com", \
	    NULL, rem, rk)
#define P_ERR(msg, r)                                                          \
	{                                                                      \
		msg, r, LOGEV_OTHER, NULL, NULL, NULL, NULL, NULL,             \
		    REMOTE_NONE, 0                                             \
	}
#define P_OTHER(msg) P_ERR(msg, LOGLINE_OTHER)
#define P_BAD(msg) P_ERR(msg, LOGLINE_MALFORMED)

static const struct parse_case parse_cases[] = {
    /* pending: remote kinds */
    P_OK("mylist: pending alice@example.com  192.0.2.10", "mylist",
        "alice@example.com", NULL, "192.0.2.10", REMOTE_IP),
    P_OK("mylist: pending Bob Smith <bob@example.net>  2001:db8::25", "mylist",
        "bob@example.net", "Bob Smith", "2001:db8::25", REMOTE_IP),
    P_RK("::ffff:192.0.2.1", REMOTE_IP),
    P_RK("198.51.100.7, 10.0.0.2", REMOTE_CHAIN),
    P_RK("198.51.100.7,10.0.0.2", REMOTE_CHAIN),
    P_RK("2001:db8::1, 198.51.100.7, 10.0.0.2", REMOTE_CHAIN),
    P_RK("unknown, 10.0.0.2", REMOTE_OTHER),
    P_RK("10.0.0.2,", REMOTE_OTHER),
    P_RK(", 10.0.0.2", REMOTE_OTHER),
    P_RK("unidentified origin", REMOTE_UNIDENTIFIED),
    P_RK("unidentified  origin", REMOTE_OTHER),
    P_RK("Unidentified origin", REMOTE_OTHER),
    P_RK("erin@example.com", REMOTE_MAIL),
    P_RK("@example.com", REMOTE_OTHER),
    P_RK("erin@", REMOTE_OTHER),
    P_RK("erin @example.com", REMOTE_OTHER),
    P_RK("lists.example.org", REMOTE_OTHER),
    P_RK("192.0.2.10:8080", REMOTE_OTHER),
    P_RK("[2001:db8::1]", REMOTE_OTHER),
    P_RK("256.1.1.1", REMOTE_OTHER),
    P_RK("192.0.2.10 ", REMOTE_OTHER),
    /* CRLF: one trailing '\r' is ignored, a second one is data */
    P_OK("mylist: pending a@example.com  192.0.2.10\r", "mylist",
        "a@example.com", NULL, "192.0.2.10", REMOTE_IP),
    P_OK("mylist: pending a@example.com  192.0.2.10\r\r", "mylist",
        "a@example.com", NULL, "192.0.2.10\r", REMOTE_OTHER),
    P_OK("mylist: pending \"Eve\r\nX\" <inj@example.com>  192.0.2.66\r",
        "mylist", "inj@example.com", "\"Eve\r\nX\"", "192.0.2.66", REMOTE_IP),

    /* pending: names */
    P_OK("mylist: pending \"Smith, Carol\" <carol@example.com>  "
         "203.0.113.5",
        "mylist", "carol@example.com", "\"Smith, Carol\"", "203.0.113.5",
        REMOTE_IP),
    P_OK("mylist: pending \"D. \\\"Dee\\\" Jones\" <dave@example.com>  "
         "unidentified origin",
        "mylist", "dave@example.com", "\"D. \\\"Dee\\\" Jones\"",
        "unidentified origin", REMOTE_UNIDENTIFIED),
    P_OK("mylist: pending \"O\\(x\\), Jr.\" <o@example.com>  192.0.2.1",
        "mylist", "o@example.com", "\"O\\(x\\), Jr.\"", "192.0.2.1", REMOTE_IP),
    P_OK("mylist: pending Jos\xe9 M\xfcller ?? <jose@example.org>  "
         "192.0.2.1",
        "mylist", "jose@example.org", "Jos\xe9 M\xfcller ??", "192.0.2.1",
        REMOTE_IP),
    /* <> in the name: the LAST "<addr>" + two spaces wins (greedy .*) */
    P_OK("mylist: pending \"<fake@evil.example>  9.9.9.9\" "
         "<real@example.com>  192.0.2.1",
        "mylist", "real@example.com", "\"<fake@evil.example>  9.9.9.9\"",
        "192.0.2.1", REMOTE_IP),
    P_OK("mylist: pending Bob <bob@example.com> <b2@example.com>  "
         "192.0.2.1",
        "mylist", "b2@example.com", "Bob <bob@example.com>", "192.0.2.1",
        REMOTE_IP),
    /* ... even when the "<addr>  " sits in what looks like the remote */
    P_OK("mylist: pending bob@example.com  <forged@example.org>  "
         "192.0.2.1",
        "mylist", "forged@example.org", "bob@example.com ", "192.0.2.1",
        REMOTE_IP),
    P_OK("mylist: pending <bob@example.com>  192.0.2.1", "mylist",
        "bob@example.com", NULL, "192.0.2.1", REMOTE_IP),
    P_OK("mylist: pending Bob<bob@example.com>  192.0.2.1", "mylist",
        "bob@example.com", "Bob", "192.0.2.1", REMOTE_IP),
    P_OK("mylist: pending Bob  <bob@example.com>  192.0.2.1", "mylist",
        "bob@example.com", "Bob ", "192.0.2.1", REMOTE_IP),
    P_OK("mylist: pending a@example.com   192.0.2.1", "mylist", "a@example.com",
        NULL, " 192.0.2.1", REMOTE_OTHER),
    /* address normalisation: domain lower-cased, local part kept */
    P_OK("mylist: pending Bob <Bob.Smith@Example.NET>  192.0.2.1", "mylist",
        "Bob.Smith@example.net", "Bob", "192.0.2.1", REMOTE_IP),
    P_OK("mylist: pending a@b@Example.COM  192.0.2.1", "mylist",
        "a@b@example.com", NULL, "192.0.2.1", REMOTE_IP),
    P_OK("My-List: pending a@example.com  192.0.2.1", "My-List",
        "a@example.com", NULL, "192.0.2.1", REMOTE_IP),
    P_OK("my:list: pending a@example.com  192.0.2.1", "my:list",
        "a@example.com", NULL, "192.0.2.1", REMOTE_IP),
    /* pending: broken fields */
    P_BAD("mylist: pending \"x\" <>  192.0.2.1"),
    P_BAD("mylist: pending Bob <bob smith@example.com>  192.0.2.1"),
    P_BAD("mylist: pending Bob <bob@example.com> 192.0.2.1"),
    P_BAD("mylist: pending bob@example.com  "),
    P_BAD("mylist: pending bob@example.com "),
    P_BAD("mylist: pending Bob <bob@example.com>  "),
    P_BAD("mylist: pending Bob <bob@example.com>  \r"),
    P_BAD("mylist: pending @example.com  192.0.2.1"),
    P_BAD("mylist: pending bob@  192.0.2.1"),
    P_BAD("mylist: pending bob  192.0.2.1"),
    P_BAD("mylist: pending"),
    P_BAD("mylist: pending "),
    P_BAD("mylist: pending       "),
    P_BAD("mylist: pending\nalice@example.com  192.0.2.10"),
    P_OTHER("mylist: pendingx a@example.com  192.0.2.1"),
    P_OTHER("mylist:pending a@example.com  192.0.2.1"),
    P_OTHER(": pending a@example.com  192.0.2.1"),
    P_OTHER("mylist : pending a@example.com  192.0.2.1"),

    /* new */
    {"mylist: new Bob Smith <bob@example.net>, via web confirmation",
        LOGLINE_OK, LOGEV_NEW, "mylist", "bob@example.net", NULL, "Bob Smith",
        "via web confirmation", REMOTE_NONE, 0},
    {"openlist: new (digest) Henry H <henry@example.com>, 192.0.2.77",
        LOGLINE_OK, LOGEV_NEW, "openlist", "henry@example.com", NULL, "Henry H",
        "192.0.2.77", REMOTE_NONE, 1},
    {"openlist: new (digest) ivy@Example.com, 192.0.2.78", LOGLINE_OK,
        LOGEV_NEW, "openlist", "ivy@example.com", NULL, NULL, "192.0.2.78",
        REMOTE_NONE, 1},
    {"openlist: new ivy@example.com, ", LOGLINE_OK, LOGEV_NEW, "openlist",
        "ivy@example.com", NULL, NULL, NULL, REMOTE_NONE, 0},
    {"openlist: new Pat <pat@example.com>, 198.51.100.7, 10.0.0.2", LOGLINE_OK,
        LOGEV_NEW, "openlist", "pat@example.com", NULL, "Pat",
        "198.51.100.7, 10.0.0.2", REMOTE_NONE, 0},
    {"openlist: new \"Smith, Carol\" <carol@example.com>, via admin "
     "approval",
        LOGLINE_OK, LOGEV_NEW, "openlist", "carol@example.com", NULL,
        "\"Smith, Carol\"", "via admin approval", REMOTE_NONE, 0},
    {"openlist: new \"Eve\nX\" <eve@example.com>, via web confirmation",
        LOGLINE_OK, LOGEV_NEW, "openlist", "eve@example.com", NULL,
        "\"Eve\nX\"", "via web confirmation", REMOTE_NONE, 0},
    P_BAD("openlist: new ivy@example.com,via"),
    P_BAD("openlist: new ivy@example.com"),
    P_BAD("openlist: new (digest), x"),
    P_BAD("openlist: new (digest)"),
    P_BAD("openlist: new"),
    P_BAD("openlist: new a,b@example.com, x"),
    P_BAD("openlist: new ivy, via web confirmation"),
    P_OTHER("openlist: newish ivy@example.com, x"),

    /* deleted, 2.1 and MM3 */
    {"openlist: deleted kim@example.com; bin/remove_members", LOGLINE_OK,
        LOGEV_DELETED, "openlist", "kim@example.com", NULL, NULL,
        "bin/remove_members", REMOTE_NONE, 0},
    {"openlist: deleted kim@example.com", LOGLINE_OK, LOGEV_DELETED, "openlist",
        "kim@example.com", NULL, NULL, NULL, REMOTE_NONE, 0},
    {"openlist: deleted kim@example.com; ", LOGLINE_OK, LOGEV_DELETED,
        "openlist", "kim@example.com", NULL, NULL, NULL, REMOTE_NONE, 0},
    {"openlist: deleted kim@example.com; a; b", LOGLINE_OK, LOGEV_DELETED,
        "openlist", "kim@example.com", NULL, NULL, "a; b", REMOTE_NONE, 0},
    {"openlist: deleted Kim@Example.com; web confirmation\r\nfoo", LOGLINE_OK,
        LOGEV_DELETED, "openlist", "Kim@example.com", NULL, NULL,
        "web confirmation", REMOTE_NONE, 0},
    {"test@lists.example.org: deleted anne@example.com", LOGLINE_OK,
        LOGEV_DELETED, "test@lists.example.org", "anne@example.com", NULL, NULL,
        NULL, REMOTE_NONE, 0},
    {"test@lists.example.org: deleted anne@example.com\n"
     "[03/Dec/2026:18:55:09 +0000] \"POST /3.1/lists HTTP/1.1\" 204 0",
        LOGLINE_OK, LOGEV_DELETED, "test@lists.example.org", "anne@example.com",
        NULL, NULL, NULL, REMOTE_NONE, 0},
    P_BAD("openlist: deleted not an address"),
    P_BAD("openlist: deleted ; mailcmd"),
    P_BAD("openlist: deleted "),
    P_BAD("openlist: deleted"),

    /* changed */
    {"mylist: changed member address from bob@example.net to "
     "bob2@Example.NET",
        LOGLINE_OK, LOGEV_CHANGED, "mylist", "bob@example.net",
        "bob2@example.net", NULL, NULL, REMOTE_NONE, 0},
    P_BAD("mylist: changed member address from bob@example.net "
          "bob2@example.net"),
    P_BAD("mylist: changed member address from bob@example.net to "
          "bob2@example.net x"),
    P_BAD("mylist: changed member address from bob@example.net to "),
    P_BAD("mylist: changed member address from bob@example.net to  "
          "bob2@example.net"),
    P_BAD("mylist: changed member address from"),
    P_BAD("mylist: changed member address from bob to bob2@example.net"),
    P_OTHER("mylist: changed the topic"),

    /* auto-unsubscribed */
    {"mylist: alice@example.com auto-unsubscribed [reason: BYBOUNCE]",
        LOGLINE_OK, LOGEV_AUTOUNSUB, "mylist", "alice@example.com", NULL, NULL,
        "BYBOUNCE", REMOTE_NONE, 0},
    {"mylist: alice@Example.com auto-unsubscribed [reason: UNKNOWN "
     "value]",
        LOGLINE_OK, LOGEV_AUTOUNSUB, "mylist", "alice@example.com", NULL, NULL,
        "UNKNOWN value", REMOTE_NONE, 0},
    P_BAD("mylist: alice@example.com auto-unsubscribed [reason: BY "
          "BOUNCE]"),
    P_BAD("mylist: alice@example.com auto-unsubscribed [reason: ]"),
    P_BAD("mylist: alice@example.com auto-unsubscribed [reason: "
          "BYBOUNCE] "),
    P_BAD("mylist: alice@example.com auto-unsubscribed [reason: "
          "BYBOUNCE"),
    P_BAD("mylist: alice@example.com auto-unsubscribed"),
    P_BAD("mylist: alice auto-unsubscribed [reason: BYUSER]"),
    P_OTHER("mylist: alice@example.com auto-unsubscribedx"),

    /* Mailman 3 */
    {"test2@lists.example.org: held subscription request from "
     "erin@example.com",
        LOGLINE_OK, LOGEV_HELD_SUB, "test2@lists.example.org",
        "erin@example.com", NULL, NULL, NULL, REMOTE_NONE, 0},
    {"test@lists.example.org: held unsubscription request from "
     "Anne@Example.COM",
        LOGLINE_OK, LOGEV_HELD_UNSUB, "test@lists.example.org",
        "Anne@example.com", NULL, NULL, NULL, REMOTE_NONE, 0},
    {"test2@lists.example.org: held subscription request from "
     "erin@example.com\n[03/Dec/2026:18:54:19 +0000] \"POST /3.1/members "
     "HTTP/1.1\" 202 143 \"-\" \"curl/7.88.1\"",
        LOGLINE_OK, LOGEV_HELD_SUB, "test2@lists.example.org",
        "erin@example.com", NULL, NULL, NULL, REMOTE_NONE, 0},
    P_BAD("test: held subscription request from erin@example.com"),
    P_BAD("@lists: held subscription request from erin@example.com"),
    P_BAD("test@: held subscription request from erin@example.com"),
    P_BAD("test@lists.example.org: held subscription request from "
          "erin@example.com extra"),
    P_BAD("test@lists.example.org: held subscription request from"),
    P_BAD("test@lists.example.org: held subscription request from "),
    P_OTHER("test@lists.example.org: held message"),
    {"deque: do_confirm_verify", LOGLINE_OK, LOGEV_CONFIRM_SENT, NULL, NULL,
        NULL, NULL, NULL, REMOTE_NONE, 0},
    {"deque: do_confirm_verify\nTraceback (most recent call last):\n"
     "StopIteration",
        LOGLINE_OK, LOGEV_CONFIRM_SENT, NULL, NULL, NULL, NULL, NULL,
        REMOTE_NONE, 0},
    {"deque: do_confirm_verify\r\nTraceback (most recent call last):\r\n"
     "StopIteration\r",
        LOGLINE_OK, LOGEV_CONFIRM_SENT, NULL, NULL, NULL, NULL, NULL,
        REMOTE_NONE, 0},
    {"deque: do_confirm_verify\r", LOGLINE_OK, LOGEV_CONFIRM_SENT, NULL, NULL,
        NULL, NULL, NULL, REMOTE_NONE, 0},
    P_OTHER("deque: do_confirm_verify "),
    P_OTHER("deque: do_confirm_verifyX"),
    P_OTHER("deque: "),
    P_OTHER("deque: \nTraceback (most recent call last):"),
    P_OTHER("deque: subscribe_from_restored\nTraceback"),
    P_OTHER("Deque: do_confirm_verify"),

    /* no subscription record at all */
    P_OTHER(""),
    P_OTHER("      "),
    P_OTHER("\r"),
    P_OTHER("gatenews failed. status: 2"),
    P_OTHER("<179632397475.4899.4306719080756653250@localhost> smtp to "
            "test@lists.example.org for 1 recips, completed in 0.005 "
            "seconds"),
};

/* span_eq - 1 when <s> holds exactly the C string <want> (NULL: empty) */
static int
span_eq(struct logspan s, const char *want)
{
	size_t n = want != NULL ? strlen(want) : 0;

	return s.len == n && (n == 0 || memcmp(s.p, want, n) == 0);
}

/* str_eq - 1 when <got> equals <want> (NULL: empty) */
static int
str_eq(const char *got, const char *want)
{
	return strcmp(got, want != NULL ? want : "") == 0;
}

/* span_in - 1 when a non-empty <s> lies inside <rec>/<len> */
static int
span_in(struct logspan s, const char *rec, size_t len)
{
	return s.len == 0 ||
	    (s.p >= rec && s.p <= rec + len &&
	        s.len <= len - (size_t)(s.p - rec));
}

/* test_logline_parse_table - every kind, good and broken */
static void
test_logline_parse_table(void **state)
{
	char rec[1024];
	struct logev ev;
	size_t i, len;
	enum logline_result r;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];

		len = (size_t)snprintf(rec, sizeof(rec), "%s%s", PFX, c->msg);
		assert_true(len < sizeof(rec));
		r = logline_parse(rec, len, &ev);
		if (r != c->res || ev.kind != c->kind || ev.time != PFX_TIME ||
		    ev.pid != PFX_PID || !str_eq(ev.list, c->list) ||
		    !str_eq(ev.addr, c->addr) || !str_eq(ev.addr2, c->addr2) ||
		    !span_eq(ev.name, c->name) ||
		    !span_eq(ev.remote, c->remote) || ev.remote_kind != c->rk ||
		    ev.digest != c->digest || !span_in(ev.name, rec, len) ||
		    !span_in(ev.remote, rec, len)) {
			print_error("case %zu \"%s\":\n  got %s kind %d list "
			            "\"%s\" addr \"%s\" addr2 \"%s\" name "
			            "\"%.*s\" remote \"%.*s\" rk %d digest "
			            "%d\n  want %s kind %d list \"%s\" addr "
			            "\"%s\" addr2 \"%s\" name \"%s\" remote "
			            "\"%s\" rk %d digest %d\n",
			    i, c->msg, logline_strerror(r), ev.kind, ev.list,
			    ev.addr, ev.addr2, (int)ev.name.len, ev.name.p,
			    (int)ev.remote.len, ev.remote.p, ev.remote_kind,
			    ev.digest, logline_strerror(c->res), c->kind,
			    c->list ? c->list : "", c->addr ? c->addr : "",
			    c->addr2 ? c->addr2 : "", c->name ? c->name : "",
			    c->remote ? c->remote : "", c->rk, c->digest);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* parse_str - logline_parse() of PFX + <msg> built in <buf> */
static enum logline_result
parse_str(char *buf, size_t size, const char *msg, struct logev *ev)
{
	size_t len = (size_t)snprintf(buf, size, "%s%s", PFX, msg);

	assert_true(len < size);
	return logline_parse(buf, len, ev);
}

/* test_logline_toolong - list and address limits, both sides */
static void
test_logline_toolong(void **state)
{
	char list[LOGEV_LIST_MAX + 1], local[LOGEV_ADDR_MAX + 1];
	char msg[1024], rec[1200];
	struct logev ev;
	/* "@example.com" is 12 bytes */
	size_t lmax = LOGEV_ADDR_MAX - 1 - 12;

	(void)state;
	memset(list, 'l', sizeof(list));
	memset(local, 'a', sizeof(local));

	/* A list name of LOGEV_LIST_MAX - 1 bytes fits, one more does not. */
	snprintf(msg, sizeof(msg), "%.*s: pending a@example.com  192.0.2.1",
	    LOGEV_LIST_MAX - 1, list);
	assert_int_equal(parse_str(rec, sizeof(rec), msg, &ev), LOGLINE_OK);
	assert_int_equal(strlen(ev.list), LOGEV_LIST_MAX - 1);
	snprintf(msg, sizeof(msg), "%.*s: pending a@example.com  192.0.2.1",
	    LOGEV_LIST_MAX, list);
	assert_int_equal(
	    parse_str(rec, sizeof(rec), msg, &ev), LOGLINE_TOOLONG);
	assert_int_equal(ev.kind, LOGEV_OTHER);
	assert_string_equal(ev.list, "");

	/* The same for an address, in every kind that carries one. */
	snprintf(msg, sizeof(msg), "l: pending %.*s@example.com  192.0.2.1",
	    (int)lmax, local);
	assert_int_equal(parse_str(rec, sizeof(rec), msg, &ev), LOGLINE_OK);
	assert_int_equal(strlen(ev.addr), LOGEV_ADDR_MAX - 1);
	snprintf(msg, sizeof(msg), "l: pending %.*s@example.com  192.0.2.1",
	    (int)lmax + 1, local);
	assert_int_equal(
	    parse_str(rec, sizeof(rec), msg, &ev), LOGLINE_TOOLONG);
	snprintf(msg, sizeof(msg), "l: new %.*s@example.com, x", (int)lmax + 1,
	    local);
	assert_int_equal(
	    parse_str(rec, sizeof(rec), msg, &ev), LOGLINE_TOOLONG);
	snprintf(msg, sizeof(msg), "l: deleted %.*s@example.com", (int)lmax + 1,
	    local);
	assert_int_equal(
	    parse_str(rec, sizeof(rec), msg, &ev), LOGLINE_TOOLONG);
	snprintf(msg, sizeof(msg),
	    "l: changed member address from a@example.com to %.*s@example.com",
	    (int)lmax + 1, local);
	assert_int_equal(
	    parse_str(rec, sizeof(rec), msg, &ev), LOGLINE_TOOLONG);
	snprintf(msg, sizeof(msg),
	    "l: %.*s@example.com auto-unsubscribed [reason: BYBOUNCE]",
	    (int)lmax + 1, local);
	assert_int_equal(
	    parse_str(rec, sizeof(rec), msg, &ev), LOGLINE_TOOLONG);
	snprintf(msg, sizeof(msg),
	    "l@x.org: held subscription request from %.*s@example.com",
	    (int)lmax + 1, local);
	assert_int_equal(
	    parse_str(rec, sizeof(rec), msg, &ev), LOGLINE_TOOLONG);
	assert_string_equal(ev.addr, "");
}

/* test_logline_nul - a NUL byte anywhere is refused */
static void
test_logline_nul(void **state)
{
	static const char good[] = PFX "mylist: pending a@example.com  "
	                               "192.0.2.10";
	char rec[sizeof(good)];
	size_t len = sizeof(good) - 1, i;
	struct logev ev;

	(void)state;
	assert_int_equal(logline_parse(good, len, &ev), LOGLINE_OK);
	for (i = 0; i < len; i++) {
		memcpy(rec, good, len);
		rec[i] = '\0';
		assert_int_equal(logline_parse(rec, len, &ev), LOGLINE_NUL);
		assert_int_equal(ev.kind, LOGEV_OTHER);
		assert_string_equal(ev.addr, "");
	}
	/* A NUL past <len> is not part of the record. */
	assert_int_equal(logline_parse(good, len, &ev), LOGLINE_OK);
	assert_int_equal(logline_parse("\0", 1, &ev), LOGLINE_NUL);
}

/* test_logline_spaces - lines of only spaces, empty records */
static void
test_logline_spaces(void **state)
{
	struct logev ev;

	(void)state;
	assert_int_equal(logline_parse("", 0, &ev), LOGLINE_NOPREFIX);
	assert_int_equal(
	    logline_parse("                              ", 30, &ev),
	    LOGLINE_NOPREFIX);
	assert_int_equal(logline_parse("\r", 1, &ev), LOGLINE_NOPREFIX);
	assert_int_equal(
	    logline_parse(PFX "   ", sizeof(PFX) + 2, &ev), LOGLINE_OTHER);
	assert_int_equal(ev.time, PFX_TIME);
}

/* test_logline_huge_name - a 1 MiB name parses, in linear time */
static void
test_logline_huge_name(void **state)
{
	static const char tail[] = " <big@example.com>  192.0.2.1";
	const size_t namelen = 1024 * 1024;
	size_t hl = strlen(PFX "mylist: pending "), len;
	struct logev ev;
	char *rec;

	(void)state;
	len = hl + namelen + sizeof(tail) - 1;
	rec = malloc(len);
	assert_non_null(rec);
	memcpy(rec, PFX "mylist: pending ", hl);
	/* A name full of '<' and '>' is the worst case for the scan. */
	for (size_t i = 0; i < namelen; i++)
		rec[hl + i] = "<a>  "[i % 5];
	memcpy(rec + hl + namelen, tail, sizeof(tail) - 1);
	assert_int_equal(logline_parse(rec, len, &ev), LOGLINE_OK);
	assert_string_equal(ev.addr, "big@example.com");
	assert_int_equal(ev.name.len, namelen);
	assert_ptr_equal(ev.name.p, rec + hl);
	assert_int_equal(ev.remote_kind, REMOTE_IP);
	free(rec);
}

/* test_logline_strerror - every result has its own short text */
static void
test_logline_strerror(void **state)
{
	static const enum logline_result all[] = {LOGLINE_OK, LOGLINE_OTHER,
	    LOGLINE_NOPREFIX, LOGLINE_BADDATE, LOGLINE_NUL, LOGLINE_MALFORMED,
	    LOGLINE_TOOLONG};
	size_t i, j, n = sizeof(all) / sizeof(all[0]);

	(void)state;
	for (i = 0; i < n; i++) {
		const char *s = logline_strerror(all[i]);

		assert_non_null(s);
		assert_true(strlen(s) > 0 && strlen(s) < 60);
		for (j = 0; j < i; j++)
			assert_string_not_equal(s, logline_strerror(all[j]));
	}
	assert_string_equal(
	    logline_strerror(LOGLINE_NOPREFIX), "no Mailman log prefix");
	assert_string_equal(
	    logline_strerror(LOGLINE_NUL), "NUL byte in record");
	assert_string_equal(logline_strerror(LOGLINE_MALFORMED),
	    "malformed subscription record");
	assert_string_equal(
	    logline_strerror(LOGLINE_TOOLONG), "address or list name too long");
	assert_non_null(logline_strerror((enum logline_result)99));
}

/* ---------------------------------------------------------------- logjoin */

#define L1                                                                     \
	"Dec 03 18:11:33 2026 (16297) mylist: pending a@example.com  "         \
	"192.0.2.10"
#define L2                                                                     \
	"Dec 03 18:11:34 2026 (16298) mylist: pending b@example.com  "         \
	"192.0.2.11"
#define L3 "Dec 03 18:11:35 2026 (16299) mylist: new c@example.com, x"

/* push - logjoin_push() of a C string */
static int
push(struct logjoin *j, const char *line, struct logrec *out)
{
	return logjoin_push(j, line, strlen(line), out);
}

/* assert_rec - <r> holds <text> from <lineno> over <nlines> lines */
static void
assert_rec(const struct logrec *r, const char *text, uint64_t lineno,
    unsigned nlines, int prefixed, int truncated)
{
	assert_int_equal(r->len, strlen(text));
	assert_memory_equal(r->p, text, r->len);
	assert_int_equal(r->lineno, lineno);
	assert_int_equal(r->nlines, nlines);
	assert_int_equal(r->prefixed, prefixed);
	assert_int_equal(r->truncated, truncated);
}

/* test_logjoin_basic - one line per record, then a multi-line record */
static void
test_logjoin_basic(void **state)
{
	struct logjoin j;
	struct logrec r;

	(void)state;
	logjoin_init(&j);
	assert_int_equal(logjoin_flush(&j, &r), 0);
	assert_int_equal(push(&j, L1, &r), 0);
	assert_int_equal(push(&j, L2, &r), 1);
	assert_rec(&r, L1, 1, 1, 1, 0);
	assert_int_equal(push(&j,
	                     "Dec 03 18:16:04 2026 (1488) mylist: "
	                     "pending \"Eve",
	                     &r),
	    1);
	assert_rec(&r, L2, 2, 1, 1, 0);
	assert_int_equal(push(&j,
	                     "Dec 03 18:00:00 2026 \\(999\\) x\" "
	                     "<inj@example.com>  192.0.2.66",
	                     &r),
	    0);
	assert_int_equal(push(&j, L3, &r), 1);
	assert_rec(&r,
	    "Dec 03 18:16:04 2026 (1488) mylist: pending \"Eve\n"
	    "Dec 03 18:00:00 2026 \\(999\\) x\" <inj@example.com>"
	    "  192.0.2.66",
	    3, 2, 1, 0);
	assert_int_equal(logjoin_flush(&j, &r), 1);
	assert_rec(&r, L3, 5, 1, 1, 0);
	assert_int_equal(logjoin_flush(&j, &r), 0);

	/* After a flush the joiner goes on; line numbers keep counting. */
	assert_int_equal(push(&j, L1, &r), 0);
	assert_int_equal(logjoin_flush(&j, &r), 1);
	assert_rec(&r, L1, 6, 1, 1, 0);
	logjoin_free(&j);
	logjoin_free(&j);
}

/* test_logjoin_orphans - lines before the first prefixed line */
static void
test_logjoin_orphans(void **state)
{
	struct logjoin j;
	struct logrec r;
	struct logev ev;

	(void)state;
	logjoin_init(&j);
	assert_int_equal(
	    push(&j, "[2026-12-03 18:52:27 +0000] [4865] x", &r), 0);
	assert_int_equal(
	    push(&j, "Feb 30 18:20:07 2026 (3007) bad date", &r), 0);
	assert_int_equal(push(&j, L1, &r), 1);
	assert_rec(&r,
	    "[2026-12-03 18:52:27 +0000] [4865] x\n"
	    "Feb 30 18:20:07 2026 (3007) bad date",
	    1, 2, 0, 0);
	assert_int_equal(logline_parse(r.p, r.len, &ev), LOGLINE_NOPREFIX);
	/* A line with an impossible date is a continuation too. */
	assert_int_equal(
	    push(&j, "Feb 30 18:20:07 2026 (3007) bad date", &r), 0);
	assert_int_equal(logjoin_flush(&j, &r), 1);
	assert_rec(&r, L1 "\nFeb 30 18:20:07 2026 (3007) bad date", 3, 2, 1, 0);
	logjoin_free(&j);

	/* Only orphans: one record at flush. */
	logjoin_init(&j);
	assert_int_equal(push(&j, "", &r), 0);
	assert_int_equal(logjoin_flush(&j, &r), 1);
	assert_non_null(r.p);
	assert_rec(&r, "", 1, 1, 0, 0);
	logjoin_free(&j);
}

/* test_logjoin_blank - empty and all-space lines continue a record */
static void
test_logjoin_blank(void **state)
{
	struct logjoin j;
	struct logrec r;
	struct logev ev;

	(void)state;
	logjoin_init(&j);
	assert_int_equal(push(&j, L1, &r), 0);
	assert_int_equal(push(&j, "", &r), 0);
	assert_int_equal(push(&j, "    ", &r), 0);
	assert_int_equal(push(&j, L2, &r), 1);
	assert_rec(&r, L1 "\n\n    ", 1, 3, 1, 0);
	/* The remote ends with its line: joined blank lines are ignored. */
	assert_int_equal(logline_parse(r.p, r.len, &ev), LOGLINE_OK);
	assert_true(span_eq(ev.remote, "192.0.2.10"));
	assert_int_equal(ev.remote_kind, REMOTE_IP);
	assert_int_equal(logjoin_flush(&j, &r), 1);
	assert_rec(&r, L2, 4, 1, 1, 0);
	logjoin_free(&j);
}

/* test_logjoin_crlf - '\r' is kept by the joiner, one dropped by parse */
static void
test_logjoin_crlf(void **state)
{
	struct logjoin j;
	struct logrec r;
	struct logev ev;

	(void)state;
	logjoin_init(&j);
	assert_int_equal(push(&j, L1 "\r", &r), 0);
	assert_int_equal(push(&j,
	                     "Dec 03 18:16:04 2026 (1488) mylist: pending "
	                     "\"Eve\r",
	                     &r),
	    1);
	assert_rec(&r, L1 "\r", 1, 1, 1, 0);
	assert_int_equal(logline_parse(r.p, r.len, &ev), LOGLINE_OK);
	assert_true(span_eq(ev.remote, "192.0.2.10"));
	assert_int_equal(ev.remote_kind, REMOTE_IP);

	assert_int_equal(push(&j,
	                     "Dec 03 18:00:00 2026 \\(999\\) x\" "
	                     "<inj@example.com>  192.0.2.66\r",
	                     &r),
	    0);
	assert_int_equal(push(&j,
	                     "Dec 03 18:52:54 2026 (4899) deque: "
	                     "do_confirm_verify\r",
	                     &r),
	    1);
	assert_int_equal(r.nlines, 2);
	assert_int_equal(logline_parse(r.p, r.len, &ev), LOGLINE_OK);
	assert_string_equal(ev.addr, "inj@example.com");
	assert_true(
	    span_eq(ev.name, "\"Eve\r\nDec 03 18:00:00 2026 \\(999\\) x\""));
	assert_true(span_eq(ev.remote, "192.0.2.66"));
	assert_int_equal(ev.remote_kind, REMOTE_IP);

	assert_int_equal(
	    push(&j, "Traceback (most recent call last):\r", &r), 0);
	assert_int_equal(push(&j, "StopIteration\r", &r), 0);
	assert_int_equal(logjoin_flush(&j, &r), 1);
	assert_int_equal(r.lineno, 4);
	assert_int_equal(r.nlines, 3);
	assert_int_equal(logline_parse(r.p, r.len, &ev), LOGLINE_OK);
	assert_int_equal(ev.kind, LOGEV_CONFIRM_SENT);
	assert_int_equal(ev.pid, 4899);
	logjoin_free(&j);
}

/* test_logjoin_huge - records are cut at LOGJOIN_MAX, lines still count */
static void
test_logjoin_huge(void **state)
{
	const size_t big = 1024 * 1024;
	size_t hl = strlen(PFX "mylist: pending ");
	struct logjoin j;
	struct logrec r;
	struct logev ev;
	char *line;
	size_t i;

	(void)state;
	line = malloc(big);
	assert_non_null(line);
	memcpy(line, PFX "mylist: pending ", hl);
	memset(line + hl, 'a', big - hl);

	/* One 1 MiB physical line. */
	logjoin_init(&j);
	assert_int_equal(logjoin_push(&j, line, big, &r), 0);
	assert_int_equal(push(&j, L2, &r), 1);
	assert_int_equal(r.len, LOGJOIN_MAX);
	assert_memory_equal(r.p, line, LOGJOIN_MAX);
	assert_int_equal(r.truncated, 1);
	assert_int_equal(r.nlines, 1);
	assert_int_equal(logline_parse(r.p, r.len, &ev), LOGLINE_MALFORMED);

	/* A short first line, then 1 MiB of continuation, then more. */
	assert_int_equal(logjoin_push(&j, line + hl, big - hl, &r), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(push(&j, "more", &r), 0);
	assert_int_equal(push(&j, L3, &r), 1);
	assert_int_equal(r.len, LOGJOIN_MAX);
	assert_int_equal(r.truncated, 1);
	assert_int_equal(r.lineno, 2);
	assert_int_equal(r.nlines, 5);
	assert_memory_equal(r.p, L2 "\n", strlen(L2) + 1);
	assert_int_equal(r.p[LOGJOIN_MAX - 1], 'a');
	/* The pending line is whole; the joined text does not touch it. */
	assert_int_equal(logline_parse(r.p, r.len, &ev), LOGLINE_OK);
	assert_string_equal(ev.addr, "b@example.com");
	assert_int_equal(ev.remote_kind, REMOTE_IP);
	assert_true(span_eq(ev.remote, "192.0.2.11"));

	/* The next record is whole again. */
	assert_int_equal(logjoin_flush(&j, &r), 1);
	assert_rec(&r, L3, 7, 1, 1, 0);
	logjoin_free(&j);
	free(line);
}

/* test_logjoin_boundary - exactly LOGJOIN_MAX bytes is not truncated */
static void
test_logjoin_boundary(void **state)
{
	size_t l1 = strlen(L1), rest = LOGJOIN_MAX - l1 - 1;
	struct logjoin j;
	struct logrec r;
	char *cont;

	(void)state;
	cont = malloc(LOGJOIN_MAX);
	assert_non_null(cont);
	memset(cont, 'c', LOGJOIN_MAX);

	logjoin_init(&j);
	assert_int_equal(push(&j, L1, &r), 0);
	assert_int_equal(logjoin_push(&j, cont, rest, &r), 0);
	assert_int_equal(push(&j, L2, &r), 1);
	assert_int_equal(r.len, LOGJOIN_MAX);
	assert_int_equal(r.truncated, 0);

	/* One byte more: cut. */
	assert_int_equal(logjoin_push(&j, cont, rest + 1, &r), 0);
	assert_int_equal(push(&j, L3, &r), 1);
	assert_int_equal(r.len, LOGJOIN_MAX);
	assert_int_equal(r.truncated, 1);
	assert_int_equal(r.nlines, 2);

	/* The '\n' alone fills the record: the line is dropped whole. */
	assert_int_equal(
	    logjoin_push(&j, cont, LOGJOIN_MAX - strlen(L3) - 2, &r), 0);
	assert_int_equal(push(&j, "x", &r), 0);
	assert_int_equal(logjoin_flush(&j, &r), 1);
	assert_int_equal(r.len, LOGJOIN_MAX);
	assert_int_equal(r.truncated, 1);
	assert_int_equal(r.nlines, 3);
	assert_int_equal(r.p[LOGJOIN_MAX - 1], '\n');
	logjoin_free(&j);
	free(cont);
}

/* test_logjoin_nul - NUL bytes pass the joiner and stop the parser */
static void
test_logjoin_nul(void **state)
{
	static const char line[] = "Dec 03 18:11:33 2026 (1) l: pending "
	                           "a@e.org\0  1.2.3.4";
	struct logjoin j;
	struct logrec r;
	struct logev ev;

	(void)state;
	logjoin_init(&j);
	assert_int_equal(logjoin_push(&j, line, sizeof(line) - 1, &r), 0);
	assert_int_equal(logjoin_push(&j, "\0", 1, &r), 0);
	assert_int_equal(logjoin_flush(&j, &r), 1);
	assert_int_equal(r.len, sizeof(line) - 1 + 2);
	assert_int_equal(logline_parse(r.p, r.len, &ev), LOGLINE_NUL);
	logjoin_free(&j);
}

/* ----------------------------------------------------------------- corpus */

#define WANT_MAX 64
#define VAL_MAX 1024

struct want {
	unsigned lineno; /* of the want line in the file */
	enum logline_result res;
	enum logev_kind kind;
	enum logev_remote rk;
	char list[VAL_MAX], addr[VAL_MAX], addr2[VAL_MAX];
	char name[VAL_MAX], remote[VAL_MAX];
	size_t name_len, remote_len;
	int digest, prefixed, truncated;
	int has_time, has_pid, has_nlines;
	int64_t time;
	uint32_t pid;
	unsigned nlines;
};

static const char *const res_names[] = {
    "ok", "other", "noprefix", "baddate", "nul", "malformed", "toolong", NULL};
static const char *const kind_names[] = {"other", "pending", "new", "deleted",
    "changed", "autounsub", "held_sub", "held_unsub", "confirm_sent", NULL};
static const char *const rk_names[] = {
    "none", "ip", "chain", "unidentified", "mail", "other", NULL};

/* name_index - position of <v>/<n> in the NULL-ended <names>, or -1 */
static int
name_index(const char *const *names, const char *v, size_t n)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == n && memcmp(names[i], v, n) == 0)
			return i;
	return -1;
}

/* hexval - value of a hex digit, or -1 */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* pct_decode - decode <v>/<n> into <dst> (VAL_MAX), NUL-ended; -1 on error */
static long
pct_decode(const char *v, size_t n, char *dst)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (o + 1 >= VAL_MAX)
			return -1;
		if (v[i] == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = hexval(v[i + 1]);
			lo = hexval(v[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			dst[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			dst[o++] = v[i];
		}
	}
	dst[o] = '\0';
	return (long)o;
}

/* key_is - 1 when the key <k>..<eq> is <lit> */
static int
key_is(const char *k, const char *eq, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(eq - k) == n && memcmp(k, lit, n) == 0;
}

/* want_parse - read "key=value ..." (after "# want: ") into <w>; 0 or -1 */
static int
want_parse(const char *s, size_t n, struct want *w)
{
	const char *end = s + n, *k, *eq, *v;
	size_t vn;
	int res_given = 0, idx;
	long dl;
	char num[32];
	char *nend;

	memset(w, 0, sizeof(*w));
	w->prefixed = 1;
	while (s < end) {
		k = s;
		while (s < end && *s != ' ')
			s++;
		eq = memchr(k, '=', (size_t)(s - k));
		if (eq == NULL)
			return -1;
		v = eq + 1;
		vn = (size_t)(s - v);
		if (key_is(k, eq, "result")) {
			if ((idx = name_index(res_names, v, vn)) < 0)
				return -1;
			w->res = (enum logline_result)idx;
			res_given = 1;
		} else if (key_is(k, eq, "kind")) {
			if ((idx = name_index(kind_names, v, vn)) < 0)
				return -1;
			w->kind = (enum logev_kind)idx;
		} else if (key_is(k, eq, "remote_kind")) {
			if ((idx = name_index(rk_names, v, vn)) < 0)
				return -1;
			w->rk = (enum logev_remote)idx;
		} else if (key_is(k, eq, "list") || key_is(k, eq, "addr") ||
		    key_is(k, eq, "addr2") || key_is(k, eq, "name") ||
		    key_is(k, eq, "remote")) {
			char *dst = w->remote;

			if (key_is(k, eq, "list"))
				dst = w->list;
			else if (key_is(k, eq, "addr"))
				dst = w->addr;
			else if (key_is(k, eq, "addr2"))
				dst = w->addr2;
			else if (key_is(k, eq, "name"))
				dst = w->name;

			if ((dl = pct_decode(v, vn, dst)) < 0)
				return -1;
			if (key_is(k, eq, "name"))
				w->name_len = (size_t)dl;
			if (key_is(k, eq, "remote"))
				w->remote_len = (size_t)dl;
		} else {
			unsigned long long x;

			if (vn == 0 || vn >= sizeof(num))
				return -1;
			memcpy(num, v, vn);
			num[vn] = '\0';
			x = strtoull(num, &nend, 10);
			if (*nend != '\0')
				return -1;
			if (key_is(k, eq, "time")) {
				w->time = (int64_t)x;
				w->has_time = 1;
			} else if (key_is(k, eq, "pid")) {
				w->pid = (uint32_t)x;
				w->has_pid = 1;
			} else if (key_is(k, eq, "nlines")) {
				w->nlines = (unsigned)x;
				w->has_nlines = 1;
			} else if (key_is(k, eq, "digest")) {
				w->digest = (int)x;
			} else if (key_is(k, eq, "prefixed")) {
				w->prefixed = (int)x;
			} else if (key_is(k, eq, "truncated")) {
				w->truncated = (int)x;
			} else {
				return -1;
			}
		}
		if (s < end)
			s++;
	}
	if (!res_given && w->kind == LOGEV_OTHER)
		w->res = LOGLINE_OTHER;
	return 0;
}

/* want_check - compare one record with its want line; mismatches */
static int
want_check(const char *file, const struct want *w, const struct logrec *r)
{
	struct logev ev;
	enum logline_result res = logline_parse(r->p, r->len, &ev);
	int bad = 0;

#define MISMATCH(what, ...)                                                    \
	do {                                                                   \
		print_error("%s: record of want line %u: " what "\n", file,    \
		    w->lineno, __VA_ARGS__);                                   \
		bad++;                                                         \
	} while (0)
	if (res != w->res)
		MISMATCH("result %s, want %s", logline_strerror(res),
		    logline_strerror(w->res));
	if (ev.kind != w->kind)
		MISMATCH("kind %s, want %s", kind_names[ev.kind],
		    kind_names[w->kind]);
	if (strcmp(ev.list, w->list) != 0)
		MISMATCH("list \"%s\", want \"%s\"", ev.list, w->list);
	if (strcmp(ev.addr, w->addr) != 0)
		MISMATCH("addr \"%s\", want \"%s\"", ev.addr, w->addr);
	if (strcmp(ev.addr2, w->addr2) != 0)
		MISMATCH("addr2 \"%s\", want \"%s\"", ev.addr2, w->addr2);
	if (ev.name.len != w->name_len ||
	    (w->name_len > 0 && memcmp(ev.name.p, w->name, w->name_len) != 0))
		MISMATCH("name \"%.*s\", want \"%s\"", (int)ev.name.len,
		    ev.name.p, w->name);
	if (ev.remote.len != w->remote_len ||
	    (w->remote_len > 0 &&
	        memcmp(ev.remote.p, w->remote, w->remote_len) != 0))
		MISMATCH("remote \"%.*s\", want \"%s\"", (int)ev.remote.len,
		    ev.remote.p, w->remote);
	if (ev.remote_kind != w->rk)
		MISMATCH("remote_kind %s, want %s", rk_names[ev.remote_kind],
		    rk_names[w->rk]);
	if (ev.digest != w->digest)
		MISMATCH("digest %d, want %d", ev.digest, w->digest);
	if (w->has_time && ev.time != w->time)
		MISMATCH("time %lld, want %lld", (long long)ev.time,
		    (long long)w->time);
	if (w->has_pid && ev.pid != w->pid)
		MISMATCH("pid %u, want %u", ev.pid, w->pid);
	if (w->has_nlines && r->nlines != w->nlines)
		MISMATCH("nlines %u, want %u", r->nlines, w->nlines);
	if (r->prefixed != w->prefixed)
		MISMATCH("prefixed %d, want %d", r->prefixed, w->prefixed);
	if (r->truncated != w->truncated)
		MISMATCH("truncated %d, want %d", r->truncated, w->truncated);
#undef MISMATCH
	return bad;
}

/* read_file - the whole of <path> in a malloc'ed buffer */
static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (fp == NULL)
		return NULL;
	do {
		if (n == cap) {
			char *nb = realloc(buf, cap = cap * 2 + 4096);

			if (nb == NULL) {
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	fclose(fp);
	*len = n;
	return buf;
}

/*
 * run_corpus - feed <name> under TEST_DATA_DIR/logs to a joiner and check
 * every record against its want line. Returns the number of records.
 */
static unsigned
run_corpus(const char *name)
{
	static struct want wants[WANT_MAX];
	char path[512];
	size_t len = 0, nwant = 0, next = 0;
	const char *p, *end, *nl;
	unsigned fileline = 0, nrec = 0;
	struct logjoin j;
	struct logrec r;
	int bad = 0, rc;
	char *buf;

	snprintf(path, sizeof(path), "%s/logs/%s", TEST_DATA_DIR, name);
	buf = read_file(path, &len);
	if (buf == NULL)
		fail_msg("cannot read %s", path);
	logjoin_init(&j);
	for (p = buf, end = buf + len; p < end; p = nl + 1) {
		size_t n;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p);
		fileline++;
		if (n > 0 && p[0] == '#') {
			if (n >= 8 && memcmp(p, "# want: ", 8) == 0) {
				assert_true(nwant < WANT_MAX);
				if (want_parse(p + 8, n - 8, &wants[nwant]) !=
				    0)
					fail_msg("%s:%u: bad want line", path,
					    fileline);
				wants[nwant++].lineno = fileline;
			}
			continue;
		}
		rc = logjoin_push(&j, p, n, &r);
		assert_true(rc >= 0);
		if (rc == 1) {
			if (next >= nwant)
				fail_msg("%s:%u: record with no want line",
				    path, fileline);
			bad += want_check(path, &wants[next++], &r);
			nrec++;
		}
	}
	if (logjoin_flush(&j, &r) == 1) {
		if (next >= nwant)
			fail_msg("%s: last record has no want line", path);
		bad += want_check(path, &wants[next++], &r);
		nrec++;
	}
	logjoin_free(&j);
	free(buf);
	assert_int_equal(bad, 0);
	assert_int_equal(next, nwant);
	return nrec;
}

/* test_corpus_mailman21 - every captured 2.1 line of mailman.md 1.3 */
static void
test_corpus_mailman21(void **state)
{
	(void)state;
	/* 24 captured lines + the injection + 7 constructed records */
	assert_int_equal(run_corpus("mailman21-subscribe.log"), 32);
}

/* test_corpus_mailman3 - Mailman 3 mailman.log excerpts */
static void
test_corpus_mailman3(void **state)
{
	(void)state;
	/* 1 orphan + 12 prefixed records */
	assert_int_equal(run_corpus("mailman3.log"), 13);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_logline_prefix_table),
	    cmocka_unit_test(test_logline_prefix_cut),
	    cmocka_unit_test(test_logline_parse_table),
	    cmocka_unit_test(test_logline_toolong),
	    cmocka_unit_test(test_logline_nul),
	    cmocka_unit_test(test_logline_spaces),
	    cmocka_unit_test(test_logline_huge_name),
	    cmocka_unit_test(test_logline_strerror),
	    cmocka_unit_test(test_logjoin_basic),
	    cmocka_unit_test(test_logjoin_orphans),
	    cmocka_unit_test(test_logjoin_blank),
	    cmocka_unit_test(test_logjoin_crlf),
	    cmocka_unit_test(test_logjoin_huge),
	    cmocka_unit_test(test_logjoin_boundary),
	    cmocka_unit_test(test_logjoin_nul),
	    cmocka_unit_test(test_corpus_mailman21),
	    cmocka_unit_test(test_corpus_mailman3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
