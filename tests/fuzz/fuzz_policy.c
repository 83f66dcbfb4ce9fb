/*
 * fuzz_policy.c -- libFuzzer target: the policy file
 *
 * DESCRIPTION
 *	Parses the input as a policy file; when it parses, prints it in
 *	canonical form, parses that again and requires the same canonical
 *	text (the printer's contract). Any crash, sanitizer report, leak or
 *	failed round trip is a bug. See tests/fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_errors errs = {0}, errs2 = {0};
	struct policy *p = NULL, *q = NULL;
	char *a, *b;

	if (policy_parse((const char *)data, size, "fuzz", &p, &errs) != 0) {
		policy_errors_free(&errs);
		return 0;
	}
	policy_errors_free(&errs);
	a = policy_print(p);
	if (a != NULL) {
		if (policy_parse(a, strlen(a), "canonical", &q, &errs2) != 0)
			abort(); /* the canonical form must parse */
		b = policy_print(q);
		if (b != NULL && strcmp(a, b) != 0)
			abort(); /* and print the same */
		free(b);
		policy_free(q);
		policy_errors_free(&errs2);
	}
	free(a);
	policy_free(p);
	return 0;
}
