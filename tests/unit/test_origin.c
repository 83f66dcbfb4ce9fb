/*
 * test_origin.c -- unit tests for origins and their counter keys
 *
 * DESCRIPTION
 *	Table-driven cases ({ name, input, want }, reported as "got X, want
 *	Y") for origin_from_remote(): plain IPv4 and IPv6, IPv4-mapped,
 *	forwarded-for chains with and without trusted proxies, garbage
 *	entries, "unidentified origin", e-mail requesters, bracketed and
 *	port-suffixed entries; custom host and subnet prefix lengths; key
 *	bytes written out by hand; origin_key_format() on malformed keys and
 *	on buffers one byte too small; and a deterministic random pass meant
 *	to run under ASan/UBSan. Every remote text is copied into a heap
 *	block of exactly its length (no NUL), so ASan reports any read past
 *	<len>.
 *
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "origin.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define KEY_TEXT_MAX 300

/* conf_with - defaults plus the comma-separated prefixes in <proxies> */
static void
conf_with(struct origin_conf *c, const char *proxies)
{
	const char *p = proxies, *end;

	origin_conf_init(c);
	while (p != NULL && *p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		assert_true(c->nproxies < ORIGIN_MAX_PROXIES);
		if (addr_parse_prefix(p, (size_t)(end - p),
		        &c->proxies[c->nproxies],
		        &c->proxy_plen[c->nproxies]) != 0) {
			print_error("bad proxy \"%.*s\"\n", (int)(end - p), p);
			fail();
		}
		c->nproxies++;
		p = *end == ',' ? end + 1 : end;
	}
}

/* from_remote - origin_from_remote() on an exact heap copy of <s>/<len> */
static void
from_remote(
    const struct origin_conf *c, const char *s, size_t len, struct origin *o)
{
	char *p = malloc(len > 0 ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	memset(o, 0xaa, sizeof(*o));
	origin_from_remote(c, p, len, o);
	free(p);
}

/* key_text - <key> printed, or "(0)" when origin_key_format() refuses it */
static const char *
key_text(const uint8_t *key, size_t len, char *buf)
{
	if (origin_key_format(key, len, buf, KEY_TEXT_MAX) == 0)
		strcpy(buf, "(0)");
	return buf;
}

/* kind_name - for messages */
static const char *
kind_name(enum origin_kind k)
{
	switch (k) {
	case ORIGIN_UNKNOWN:
		return "unknown";
	case ORIGIN_IP:
		return "ip";
	case ORIGIN_MAIL:
		return "mail";
	}
	return "?";
}

struct remote_case {
	const char *name;
	const char *proxies; /* comma-separated prefixes, or NULL */
	const char *input;
	enum origin_kind kind;
	const char *want_addr;   /* ORIGIN_IP: the full address */
	const char *want_ip;     /* the ip key, printed */
	const char *want_subnet; /* the subnet key, printed; NULL: none */
};

#define UNKNOWN ORIGIN_UNKNOWN, NULL, "unknown", "unknown"

static const struct remote_case remote_cases[] = {
    {"v4", NULL, "192.0.2.7", ORIGIN_IP, "192.0.2.7", "192.0.2.7",
        "192.0.2.0/24"},
    {"v4 with blanks and CR trimmed", NULL, "  192.0.2.7\t\r", ORIGIN_IP,
        "192.0.2.7", "192.0.2.7", "192.0.2.0/24"},
    {"v4-mapped folds to v4", NULL, "::ffff:192.0.2.7", ORIGIN_IP, "192.0.2.7",
        "192.0.2.7", "192.0.2.0/24"},
    {"v6 host /64, subnet /48", NULL, "2001:db8:1:2:3:4:5:6", ORIGIN_IP,
        "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64", "2001:db8:1::/48"},
    {"v6 compressed", NULL, "2001:db8::1", ORIGIN_IP, "2001:db8::1",
        "2001:db8::/64", "2001:db8::/48"},
    {"chain, no trusted proxies: rightmost", NULL, "198.51.100.7, 10.0.0.2",
        ORIGIN_IP, "10.0.0.2", "10.0.0.2", "10.0.0.0/24"},
    {"chain, 10/8 trusted: first untrusted from the right", "10.0.0.0/8",
        "198.51.100.7, 10.0.0.2", ORIGIN_IP, "198.51.100.7", "198.51.100.7",
        "198.51.100.0/24"},
    {"chain without spaces", "10.0.0.0/8", "198.51.100.7,10.0.0.2", ORIGIN_IP,
        "198.51.100.7", "198.51.100.7", "198.51.100.0/24"},
    {"chain, two trusted hops", "10.0.0.0/8,192.0.2.0/24",
        "203.0.113.9, 198.51.100.7, 192.0.2.1, 10.0.0.2", ORIGIN_IP,
        "198.51.100.7", "198.51.100.7", "198.51.100.0/24"},
    {"forged entries left of the origin are ignored", "10.0.0.0/8",
        "10.9.9.9, 1.2.3.4, 198.51.100.7, 10.0.0.2", ORIGIN_IP, "198.51.100.7",
        "198.51.100.7", "198.51.100.0/24"},
    {"garbage left of the origin is never read", NULL, "garbage, 198.51.100.7",
        ORIGIN_IP, "198.51.100.7", "198.51.100.7", "198.51.100.0/24"},
    {"all entries trusted: leftmost", "10.0.0.0/8", "10.1.1.1, 10.0.0.2",
        ORIGIN_IP, "10.1.1.1", "10.1.1.1", "10.1.1.0/24"},
    {"one trusted entry: itself", "10.0.0.0/8", "10.0.0.2", ORIGIN_IP,
        "10.0.0.2", "10.0.0.2", "10.0.0.0/24"},
    {"trusted single host /32", "10.0.0.2", "198.51.100.7, 10.0.0.2", ORIGIN_IP,
        "198.51.100.7", "198.51.100.7", "198.51.100.0/24"},
    {"untrusted neighbour of a /32 proxy", "10.0.0.2", "198.51.100.7, 10.0.0.3",
        ORIGIN_IP, "10.0.0.3", "10.0.0.3", "10.0.0.0/24"},
    {"garbage entry on the way: unknown", "10.0.0.0/8",
        "198.51.100.7, garbage, 10.0.0.2", UNKNOWN},
    {"garbage rightmost entry: unknown", NULL, "198.51.100.7, garbage",
        UNKNOWN},
    {"empty entry on the way: unknown", "10.0.0.0/8",
        "198.51.100.7, , 10.0.0.2", UNKNOWN},
    {"trailing comma: unknown", NULL, "198.51.100.7,", UNKNOWN},
    {"leading comma, all trusted: unknown", "10.0.0.0/8", ",10.0.0.2", UNKNOWN},
    {"v6 proxy trusted", "2001:db8::/32", "198.51.100.7, 2001:db8::53",
        ORIGIN_IP, "198.51.100.7", "198.51.100.7", "198.51.100.0/24"},
    {"v4 0/0 proxy does not trust a v6 hop", "0.0.0.0/0",
        "198.51.100.7, 2001:db8::53", ORIGIN_IP, "2001:db8::53",
        "2001:db8::/64", "2001:db8::/48"},
    {"mapped hop trusted by a v4 proxy", "10.0.0.0/8",
        "198.51.100.7, ::ffff:10.0.0.2", ORIGIN_IP, "198.51.100.7",
        "198.51.100.7", "198.51.100.0/24"},
    {"unidentified origin", NULL, "unidentified origin", UNKNOWN},
    {"e-mail lower-cased, no subnet key", NULL, "Mallory@Example.COM",
        ORIGIN_MAIL, NULL, "mallory@example.com", NULL},
    {"e-mail trimmed", NULL, " mallory@example.com \r", ORIGIN_MAIL, NULL,
        "mallory@example.com", NULL},
    {"e-mail in a chain is not mail", NULL, "mallory@example.com, 10.0.0.2",
        ORIGIN_IP, "10.0.0.2", "10.0.0.2", "10.0.0.0/24"},
    {"empty", NULL, "", UNKNOWN},
    {"blanks only", NULL, " \t \r", UNKNOWN},
    {"bracketed v6 with port", NULL, "[2001:db8::1]:443", ORIGIN_IP,
        "2001:db8::1", "2001:db8::/64", "2001:db8::/48"},
    {"bracketed v6", NULL, "[2001:db8::1]", ORIGIN_IP, "2001:db8::1",
        "2001:db8::/64", "2001:db8::/48"},
    {"v4 with port", NULL, "192.0.2.1:8080", ORIGIN_IP, "192.0.2.1",
        "192.0.2.1", "192.0.2.0/24"},
    {"chain with ports", "10.0.0.0/8", "[2001:db8::1]:443, 10.0.0.2:8080",
        ORIGIN_IP, "2001:db8::1", "2001:db8::/64", "2001:db8::/48"},
    {"unclosed bracket: unknown", NULL, "[2001:db8::1", UNKNOWN},
    {"empty brackets: unknown", NULL, "[]:443", UNKNOWN},
    {"v4 with two ports: unknown", NULL, "192.0.2.1:80:80", UNKNOWN},
    {"zone id: unknown", NULL, "fe80::1%eth0", UNKNOWN},
    {"prefix: unknown", NULL, "192.0.2.0/24", UNKNOWN},
    {"leading-zero octet: unknown", NULL, "192.0.2.07", UNKNOWN},
    {"hostname: unknown", NULL, "client.example.com", UNKNOWN},
    {"at sign alone: unknown", NULL, "@", UNKNOWN},
    {"no local part: unknown", NULL, "@example.com", UNKNOWN},
    {"no domain: unknown", NULL, "mallory@", UNKNOWN},
    {"e-mail with a space: unknown", NULL, "mallory @example.com", UNKNOWN},
};

/* check_remote - run one case; 1 when it matches */
static int
check_remote(const struct remote_case *c)
{
	char ip[KEY_TEXT_MAX], sub[KEY_TEXT_MAX], addr[ADDR_TEXT_MAX];
	struct origin_conf conf;
	struct origin o;

	conf_with(&conf, c->proxies);
	from_remote(&conf, c->input, strlen(c->input), &o);
	key_text(o.ipkey, o.ipkey_len, ip);
	if (o.subnetkey_len == 0)
		strcpy(sub, "(none)");
	else
		key_text(o.subnetkey, o.subnetkey_len, sub);
	addr[0] = '\0';
	if (o.kind == ORIGIN_IP)
		addr_format(&o.ip, addr, sizeof(addr));
	if (o.kind != c->kind || strcmp(ip, c->want_ip) != 0 ||
	    strcmp(sub, c->want_subnet != NULL ? c->want_subnet : "(none)") !=
	        0 ||
	    (c->want_addr != NULL && strcmp(addr, c->want_addr) != 0)) {
		print_error("%s: \"%s\": got %s %s / %s (addr \"%s\"), want "
		            "%s %s / %s (addr \"%s\")\n",
		    c->name, c->input, kind_name(o.kind), ip, sub, addr,
		    kind_name(c->kind), c->want_ip,
		    c->want_subnet != NULL ? c->want_subnet : "(none)",
		    c->want_addr != NULL ? c->want_addr : "");
		return 0;
	}
	return 1;
}

/* test_origin_from_remote - every kind of remote Mailman may log */
static void
test_origin_from_remote(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(remote_cases); i++)
		if (!check_remote(&remote_cases[i]))
			bad++;
	assert_int_equal(bad, 0);
}

/*
 * test_origin_entry_junk_after_address_is_unknown - a regression test.
 * A forwarded-for entry with anything but ":PORT" after the address is
 * not an address: the origin is unknown.
 */
static void
test_origin_entry_junk_after_address_is_unknown(void **state)
{
	static const struct remote_case cases[] = {
	    {"junk after the bracket", NULL, "[2001:db8::1]junk", UNKNOWN},
	    {"port without a colon", NULL, "[2001:db8::1]443", UNKNOWN},
	    {"empty port after brackets", NULL, "[2001:db8::1]:", UNKNOWN},
	    {"empty v4 port", NULL, "192.0.2.1:", UNKNOWN},
	    {"v4 port is a word", NULL, "192.0.2.1:http", UNKNOWN},
	};
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		if (!check_remote(&cases[i]))
			bad++;
	assert_int_equal(bad, 0);
}

/* test_origin_conf_defaults - /32, /64, /24, /48, no proxies */
static void
test_origin_conf_defaults(void **state)
{
	struct origin_conf c;

	(void)state;
	memset(&c, 0xaa, sizeof(c));
	origin_conf_init(&c);
	assert_int_equal(c.v4_host, 32);
	assert_int_equal(c.v6_host, 64);
	assert_int_equal(c.v4_subnet, 24);
	assert_int_equal(c.v6_subnet, 48);
	assert_int_equal(c.nproxies, 0);
}

struct custom_case {
	const char *name;
	unsigned v4_host, v6_host, v4_subnet, v6_subnet;
	const char *input;
	const char *want_ip;
	const char *want_subnet;
};

static const struct custom_case custom_cases[] = {
    {"v4 subnet /16", 32, 64, 16, 48, "192.0.2.7", "192.0.2.7", "192.0.0.0/16"},
    {"v6 host /56", 32, 56, 24, 48, "2001:db8:1:2ff::1", "2001:db8:1:200::/56",
        "2001:db8:1::/48"},
    {"v4 subnet /20", 32, 64, 20, 48, "192.0.18.7", "192.0.18.7",
        "192.0.16.0/20"},
    {"v6 host /60", 32, 60, 24, 48, "2001:db8:1:2ff::1", "2001:db8:1:2f0::/60",
        "2001:db8:1::/48"},
    {"v4 host /24", 24, 64, 16, 48, "192.0.2.7", "192.0.2.0/24",
        "192.0.0.0/16"},
    {"v6 subnet /32", 32, 64, 24, 32, "2001:db8:1:2::1", "2001:db8:1:2::/64",
        "2001:db8::/32"},
    {"v6 host /128", 32, 128, 24, 48, "2001:db8::1", "2001:db8::1",
        "2001:db8::/48"},
    {"v4 subnet /0", 32, 64, 0, 48, "192.0.2.7", "192.0.2.7", "0.0.0.0/0"},
    {"v4 lengths past 32 are clamped", 40, 64, 33, 48, "192.0.2.7", "192.0.2.7",
        "192.0.2.7"},
    {"v6 lengths past 128 are clamped", 32, 200, 24, 129, "2001:db8::1",
        "2001:db8::1", "2001:db8::1"},
};

/* test_origin_custom_prefix_lengths - non-default host and subnet lengths */
static void
test_origin_custom_prefix_lengths(void **state)
{
	char ip[KEY_TEXT_MAX], sub[KEY_TEXT_MAX];
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(custom_cases); i++) {
		const struct custom_case *c = &custom_cases[i];
		struct origin_conf conf;
		struct origin o;

		origin_conf_init(&conf);
		conf.v4_host = c->v4_host;
		conf.v6_host = c->v6_host;
		conf.v4_subnet = c->v4_subnet;
		conf.v6_subnet = c->v6_subnet;
		from_remote(&conf, c->input, strlen(c->input), &o);
		key_text(o.ipkey, o.ipkey_len, ip);
		key_text(o.subnetkey, o.subnetkey_len, sub);
		if (o.kind != ORIGIN_IP || strcmp(ip, c->want_ip) != 0 ||
		    strcmp(sub, c->want_subnet) != 0) {
			print_error("%s: \"%s\": got %s %s / %s, want ip %s / "
			            "%s\n",
			    c->name, c->input, kind_name(o.kind), ip, sub,
			    c->want_ip, c->want_subnet);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* assert_key - <got>/<got_len> must be the <want_len> bytes at <want> */
static void
assert_key(const char *what, const uint8_t *got, size_t got_len,
    const uint8_t *want, size_t want_len)
{
	size_t i;

	if (got_len != want_len || memcmp(got, want, want_len) != 0) {
		print_error("%s: got %zu bytes [", what, got_len);
		for (i = 0; i < got_len; i++)
			print_error(" %02x", got[i]);
		print_error(" ], want %zu bytes [", want_len);
		for (i = 0; i < want_len; i++)
			print_error(" %02x", want[i]);
		print_error(" ]\n");
		fail();
	}
}

/* test_origin_key_bytes_by_hand - the key layout, byte for byte */
static void
test_origin_key_bytes_by_hand(void **state)
{
	static const uint8_t v4_ip[] = {4, 32, 192, 0, 2, 7};
	static const uint8_t v4_sub[] = {4, 24, 192, 0, 2};
	static const uint8_t v4_sub20[] = {4, 20, 192, 0, 16};
	static const uint8_t v6_ip[] = {
	    6, 64, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02};
	static const uint8_t v6_sub[] = {
	    6, 48, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
	static const uint8_t mail[] = "@mallory@example.com";
	static const uint8_t unknown[] = {'?'};
	struct origin_conf c;
	struct origin o, o2;

	(void)state;
	origin_conf_init(&c);
	from_remote(&c, "192.0.2.7", 9, &o);
	assert_int_equal(o.kind, ORIGIN_IP);
	assert_key("v4 ip", o.ipkey, o.ipkey_len, v4_ip, sizeof(v4_ip));
	assert_key(
	    "v4 subnet", o.subnetkey, o.subnetkey_len, v4_sub, sizeof(v4_sub));

	/* The mapped form is the same client: the same key bytes. */
	from_remote(&c, "::ffff:192.0.2.7", 16, &o2);
	assert_key("mapped ip", o2.ipkey, o2.ipkey_len, v4_ip, sizeof(v4_ip));
	assert_key("mapped subnet", o2.subnetkey, o2.subnetkey_len, v4_sub,
	    sizeof(v4_sub));

	from_remote(&c, "2001:db8:1:2:3:4:5:6", 20, &o);
	assert_key("v6 ip", o.ipkey, o.ipkey_len, v6_ip, sizeof(v6_ip));
	assert_key(
	    "v6 subnet", o.subnetkey, o.subnetkey_len, v6_sub, sizeof(v6_sub));

	c.v4_subnet = 20;
	from_remote(&c, "192.0.18.7", 10, &o);
	assert_key("v4 subnet /20", o.subnetkey, o.subnetkey_len, v4_sub20,
	    sizeof(v4_sub20));

	from_remote(&c, "Mallory@Example.COM", 19, &o);
	assert_int_equal(o.kind, ORIGIN_MAIL);
	assert_key("mail", o.ipkey, o.ipkey_len, mail, sizeof(mail) - 1);
	assert_int_equal(o.subnetkey_len, 0);

	from_remote(&c, "unidentified origin", 19, &o);
	assert_int_equal(o.kind, ORIGIN_UNKNOWN);
	assert_key("unknown ip", o.ipkey, o.ipkey_len, unknown, 1);
	assert_key("unknown subnet", o.subnetkey, o.subnetkey_len, unknown, 1);

	/* Two hosts of one /24: different ip keys, one subnet key. */
	origin_conf_init(&c);
	from_remote(&c, "192.0.2.7", 9, &o);
	from_remote(&c, "192.0.2.200", 11, &o2);
	assert_false(o.ipkey_len == o2.ipkey_len &&
	    memcmp(o.ipkey, o2.ipkey, o.ipkey_len) == 0);
	assert_key("shared subnet", o2.subnetkey, o2.subnetkey_len, o.subnetkey,
	    o.subnetkey_len);
}

/* test_origin_from_addr_and_unknown - the two direct constructors */
static void
test_origin_from_addr_and_unknown(void **state)
{
	static const uint8_t v4_ip[] = {4, 32, 198, 51, 100, 7};
	static const uint8_t v4_sub[] = {4, 24, 198, 51, 100};
	static const uint8_t unknown[] = {'?'};
	struct origin_conf c;
	struct origin o;
	struct addr a;

	(void)state;
	origin_conf_init(&c);
	assert_int_equal(addr_parse("198.51.100.7", 12, &a), 0);
	memset(&o, 0xaa, sizeof(o));
	origin_from_addr(&c, &a, &o);
	assert_int_equal(o.kind, ORIGIN_IP);
	assert_int_equal(o.ip.family, ADDR_V4);
	assert_memory_equal(o.ip.bytes, a.bytes, 16);
	assert_key("ip", o.ipkey, o.ipkey_len, v4_ip, sizeof(v4_ip));
	assert_key(
	    "subnet", o.subnetkey, o.subnetkey_len, v4_sub, sizeof(v4_sub));

	memset(&o, 0xaa, sizeof(o));
	origin_unknown(&o);
	assert_int_equal(o.kind, ORIGIN_UNKNOWN);
	assert_key("unknown ip", o.ipkey, o.ipkey_len, unknown, 1);
	assert_key("unknown subnet", o.subnetkey, o.subnetkey_len, unknown, 1);
}

/* test_origin_from_mail - lower-casing, 255-byte cap, bytes kept as is */
static void
test_origin_from_mail(void **state)
{
	static const char mixed[] = "AZaz09@[]_-.\xc3\x89";
	static const char want[] = "azaz09@[]_-.\xc3\x89";
	char in[300], buf[KEY_TEXT_MAX];
	struct origin o;
	size_t i;

	(void)state;
	origin_from_mail(mixed, sizeof(mixed) - 1, &o);
	assert_int_equal(o.kind, ORIGIN_MAIL);
	assert_int_equal(o.ipkey_len, 1 + sizeof(want) - 1);
	assert_int_equal(o.ipkey[0], ORIGIN_TAG_MAIL);
	assert_memory_equal(o.ipkey + 1, want, sizeof(want) - 1);
	assert_int_equal(o.subnetkey_len, 0);
	{
		struct origin_conf oc_default;
		size_t n = 0;
		const char *m = origin_mail_addr(&o, &n);

		assert_non_null(m);
		assert_int_equal(n, sizeof(want) - 1);
		assert_memory_equal(m, want, n);
		origin_conf_init(&oc_default);
		origin_from_remote(&oc_default, "192.0.2.1", 9, &o);
		assert_null(origin_mail_addr(&o, &n));
		origin_unknown(&o);
		assert_null(origin_mail_addr(&o, &n));
	}

	/* 300 bytes: the first 255 are kept, lower-cased. */
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)('A' + i % 26);
	origin_from_mail(in, sizeof(in), &o);
	assert_int_equal(o.ipkey_len, 256);
	assert_true(o.ipkey_len <= ORIGIN_KEY_MAX);
	for (i = 0; i < 255; i++)
		if (o.ipkey[1 + i] != 'a' + i % 26) {
			print_error("byte %zu: got '%c', want '%c'\n", i,
			    o.ipkey[1 + i], (char)('a' + i % 26));
			fail();
		}
	assert_int_equal(
	    origin_key_format(o.ipkey, o.ipkey_len, buf, 256), 255);
	assert_int_equal(strlen(buf), 255);
	assert_int_equal(origin_key_format(o.ipkey, o.ipkey_len, buf, 255), 0);

	/* Exactly 255 bytes are not cut. */
	origin_from_mail(in, 255, &o);
	assert_int_equal(o.ipkey_len, 256);
}

struct key_case {
	const char *name;
	uint8_t key[24];
	size_t len;
	const char *want; /* NULL: 0 */
};

static const struct key_case key_cases[] = {
    {"v4 host", {4, 32, 192, 0, 2, 7}, 6, "192.0.2.7"},
    {"v4 /24", {4, 24, 192, 0, 2}, 5, "192.0.2.0/24"},
    {"v4 /20", {4, 20, 192, 0, 16}, 5, "192.0.16.0/20"},
    {"v4 /0", {4, 0}, 2, "0.0.0.0/0"},
    {"v6 /0", {6, 0}, 2, "::/0"},
    {"v6 /64", {6, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2}, 10,
        "2001:db8:1:2::/64"},
    {"v6 /48", {6, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 1}, 8, "2001:db8:1::/48"},
    {"v6 /128",
        {6, 128, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
        18, "2001:db8::1"},
    {"mail", {'@', 'a', '@', 'b'}, 4, "a@b"},
    {"unknown", {'?'}, 1, "unknown"},
    {"empty key", {0}, 0, NULL},
    {"unknown tag 'x'", {'x', 'y'}, 2, NULL},
    {"tag 0", {0, 32, 1, 2, 3, 4}, 6, NULL},
    {"tag 5", {5, 32, 1, 2, 3, 4}, 6, NULL},
    {"tag 'A'", {'A'}, 1, NULL},
    {"v4 tag alone", {4}, 1, NULL},
    {"v6 tag alone", {6}, 1, NULL},
    {"v4 length 33", {4, 33, 1, 2, 3, 4, 5}, 7, NULL},
    {"v4 length 255", {4, 255, 1, 2, 3, 4}, 6, NULL},
    {"v4 /32 with 3 bytes", {4, 32, 1, 2, 3}, 5, NULL},
    {"v4 /32 with 5 bytes", {4, 32, 1, 2, 3, 4, 5}, 7, NULL},
    {"v4 /24 with 4 bytes", {4, 24, 192, 0, 2, 0}, 6, NULL},
    {"v4 /0 with a byte", {4, 0, 0}, 3, NULL},
    {"v6 length 129",
        {6, 129, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, 19,
        NULL},
    {"v6 /64 with 9 bytes", {6, 64, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 11, NULL},
    {"v6 /48 with 5 bytes", {6, 48, 1, 2, 3, 4, 5}, 7, NULL},
    {"mail tag without an address", {'@'}, 1, NULL},
};

/* test_origin_key_format - well-formed keys print, malformed ones give 0 */
static void
test_origin_key_format(void **state)
{
	char buf[KEY_TEXT_MAX];
	size_t i, n, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(key_cases); i++) {
		const struct key_case *c = &key_cases[i];

		memset(buf, 'X', sizeof(buf));
		buf[sizeof(buf) - 1] = '\0';
		n = origin_key_format(c->key, c->len, buf, sizeof(buf));
		if (c->want == NULL && n != 0) {
			print_error(
			    "%s: got %zu \"%s\", want 0\n", c->name, n, buf);
			bad++;
		} else if (c->want != NULL &&
		    (n != strlen(c->want) || strcmp(buf, c->want) != 0)) {
			print_error("%s: got %zu \"%s\", want %zu \"%s\"\n",
			    c->name, n, n > 0 ? buf : "", strlen(c->want),
			    c->want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/*
 * test_origin_key_format_unknown_tag_with_extra_bytes - a regression test.
 * An "unknown" key is exactly one byte; anything longer is malformed.
 */
static void
test_origin_key_format_unknown_tag_with_extra_bytes(void **state)
{
	static const uint8_t keys[][4] = {{'?', 'x'}, {'?', 0}, {'?', 4, 32}};
	static const size_t lens[] = {2, 2, 3};
	char buf[KEY_TEXT_MAX];
	size_t i, n, bad = 0;

	(void)state;
	for (i = 0; i < NELEM(keys); i++) {
		n = origin_key_format(keys[i], lens[i], buf, sizeof(buf));
		if (n != 0) {
			print_error("'?' key of %zu bytes: got %zu \"%s\", "
			            "want 0\n",
			    lens[i], n, buf);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* test_origin_key_format_small_buffers - one byte short gives 0 */
static void
test_origin_key_format_small_buffers(void **state)
{
	static const char *const remotes[] = {"192.0.2.7",
	    "2001:db8:1:2:3:4:5:6", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "Mallory@Example.COM", "unidentified origin"};
	char buf[KEY_TEXT_MAX], want[KEY_TEXT_MAX];
	struct origin_conf c;
	struct origin o;
	size_t i, k, size, n;

	(void)state;
	origin_conf_init(&c);
	for (i = 0; i < NELEM(remotes); i++) {
		from_remote(&c, remotes[i], strlen(remotes[i]), &o);
		for (k = 0; k < 2; k++) {
			const uint8_t *key = k == 0 ? o.ipkey : o.subnetkey;
			size_t len = k == 0 ? o.ipkey_len : o.subnetkey_len;

			if (len == 0)
				continue; /* mail: no subnet key */
			n = origin_key_format(key, len, want, sizeof(want));
			assert_true(n > 0);
			for (size = 0; size <= n; size++) {
				if (origin_key_format(key, len, buf, size) !=
				    0) {
					print_error("%s key %zu: size %zu: got "
					            "non-zero, want 0\n",
					    remotes[i], k, size);
					fail();
				}
			}
			memset(buf, 'X', sizeof(buf));
			assert_int_equal(
			    origin_key_format(key, len, buf, n + 1), n);
			assert_string_equal(buf, want);
		}
	}
}

/* test_origin_length_delimited - bytes past <len> are never looked at */
static void
test_origin_length_delimited(void **state)
{
	struct origin_conf c;
	struct origin o;
	char ip[KEY_TEXT_MAX];

	(void)state;
	conf_with(&c, "10.0.0.0/8");
	from_remote(&c, "192.0.2.7, 10.0.0.2", 9, &o);
	assert_string_equal(key_text(o.ipkey, o.ipkey_len, ip), "192.0.2.7");
	from_remote(&c, "Mallory@Example.COM, 10.0.0.2", 19, &o);
	assert_int_equal(o.kind, ORIGIN_MAIL);
	assert_string_equal(
	    key_text(o.ipkey, o.ipkey_len, ip), "mallory@example.com");
	from_remote(&c, "198.51.100.7, 10.0.0.2", 13, &o);
	assert_string_equal(key_text(o.ipkey, o.ipkey_len, ip), "unknown");
}

/* test_origin_max_proxies_and_long_chain - 64 proxies, 1000 hops */
static void
test_origin_max_proxies_and_long_chain(void **state)
{
	struct origin_conf c;
	struct origin o;
	char ip[KEY_TEXT_MAX], *chain;
	size_t i, off = 0, cap = 1000 * 16 + 32;

	(void)state;
	origin_conf_init(&c);
	for (i = 0; i < ORIGIN_MAX_PROXIES; i++) {
		char text[32];

		snprintf(text, sizeof(text), "10.0.%zu.0/24", i);
		assert_int_equal(addr_parse_prefix(text, strlen(text),
		                     &c.proxies[i], &c.proxy_plen[i]),
		    0);
	}
	c.nproxies = ORIGIN_MAX_PROXIES;
	from_remote(&c, "198.51.100.7, 10.0.63.1, 10.0.0.1", 33, &o);
	assert_string_equal(key_text(o.ipkey, o.ipkey_len, ip), "198.51.100.7");
	from_remote(&c, "198.51.100.7, 10.0.64.1", 23, &o);
	assert_string_equal(key_text(o.ipkey, o.ipkey_len, ip), "10.0.64.1");

	chain = malloc(cap);
	assert_non_null(chain);
	off += (size_t)snprintf(chain, cap, "198.51.100.7");
	for (i = 0; i < 1000; i++)
		off += (size_t)snprintf(
		    chain + off, cap - off, ", 10.0.%zu.%zu", i % 64, i % 250);
	from_remote(&c, chain, off, &o);
	assert_string_equal(key_text(o.ipkey, o.ipkey_len, ip), "198.51.100.7");
	free(chain);
}

/* test_origin_random_remotes - ASan/UBSan pass over random remote text */
static void
test_origin_random_remotes(void **state)
{
	static const char alphabet[] = "0123456789abcdefABCDEF.:,[]@ \t\r/%x";
	struct origin_conf c;
	struct origin o;
	char s[80], buf[KEY_TEXT_MAX];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i, j, len, nip = 0, nunknown = 0;

	(void)state;
	conf_with(&c, "10.0.0.0/8,2001:db8::/32");
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = (size_t)(x % sizeof(s));
		for (j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			s[j] = alphabet[x % (sizeof(alphabet) - 1)];
		}
		/* Every fourth input starts from a valid chain. */
		if (i % 4 == 0 && len >= 24)
			memcpy(s, "198.51.100.7, 10.0.0.2, ", 24);
		from_remote(&c, s, len, &o);
		switch (o.kind) {
		case ORIGIN_IP:
			nip++;
			assert_true(origin_key_format(o.ipkey, o.ipkey_len, buf,
			                sizeof(buf)) > 0);
			assert_true(origin_key_format(o.subnetkey,
			                o.subnetkey_len, buf, sizeof(buf)) > 0);
			break;
		case ORIGIN_MAIL:
			assert_int_equal(o.subnetkey_len, 0);
			assert_true(o.ipkey_len >= 2);
			break;
		case ORIGIN_UNKNOWN:
			nunknown++;
			assert_int_equal(o.ipkey_len, 1);
			assert_int_equal(o.ipkey[0], ORIGIN_TAG_UNKNOWN);
			break;
		default:
			fail();
		}
	}
	/* Both outcomes must have been exercised. */
	assert_true(nip > 0);
	assert_true(nunknown > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_origin_conf_defaults),
	    cmocka_unit_test(test_origin_from_remote),
	    cmocka_unit_test(test_origin_entry_junk_after_address_is_unknown),
	    cmocka_unit_test(test_origin_custom_prefix_lengths),
	    cmocka_unit_test(test_origin_key_bytes_by_hand),
	    cmocka_unit_test(test_origin_from_addr_and_unknown),
	    cmocka_unit_test(test_origin_from_mail),
	    cmocka_unit_test(test_origin_key_format),
	    cmocka_unit_test(
	        test_origin_key_format_unknown_tag_with_extra_bytes),
	    cmocka_unit_test(test_origin_key_format_small_buffers),
	    cmocka_unit_test(test_origin_length_delimited),
	    cmocka_unit_test(test_origin_max_proxies_and_long_chain),
	    cmocka_unit_test(test_origin_random_remotes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
