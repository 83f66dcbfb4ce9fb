/*
 * fuzz_confirm.c -- libFuzzer target: the confirmation recogniser
 *
 * DESCRIPTION
 *	Reads the input as a mail: "From " envelope-less, header lines up to
 *	the first empty line (continuations folded as libmilter hands them
 *	over), then the body in chunks of the first byte's size, through
 *	confirm_envfrom/rcpt/header/eoh/body/eom with a Mailman envelope, as
 *	the milter does. Any crash, sanitizer report or leak is a bug. See
 *	tests/fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confirm.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct confirm_msg m;
	struct confirm c;
	const char *s = (const char *)data, *end = s + size, *nl, *colon;
	char name[256], *value;
	size_t chunk = size > 0 ? (size_t)data[0] % 64 + 1 : 1;

	if (confirm_init(&m) != 0)
		return 0;
	confirm_envfrom(&m, "<mylist-bounces+x=example.com@lists.example.org>");
	confirm_rcpt(&m, "<victim@example.com>");
	while (s < end) {
		size_t n;

		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		if (n == 0 || (n == 1 && s[0] == '\r')) {
			s += n + (nl != NULL);
			break;
		}
		colon = memchr(s, ':', n);
		if (colon != NULL && (size_t)(colon - s) < sizeof(name)) {
			memcpy(name, s, (size_t)(colon - s));
			name[colon - s] = '\0';
			value = malloc(n - (size_t)(colon - s));
			if (value != NULL) {
				memcpy(value, colon + 1,
				    n - (size_t)(colon - s) - 1);
				value[n - (size_t)(colon - s) - 1] = '\0';
				confirm_header(&m, name, value);
				free(value);
			}
		}
		s += n + (nl != NULL);
	}
	if (confirm_eoh(&m) != CONFIRM_NO) {
		while (s < end) {
			size_t n = (size_t)(end - s) < chunk ? (size_t)(end - s)
			                                     : chunk;

			confirm_body(&m, s, n);
			s += n;
		}
		(void)confirm_eom(&m, &c);
	}
	confirm_free(&m);
	return 0;
}
