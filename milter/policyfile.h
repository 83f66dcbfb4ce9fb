/*
 * policyfile.h -- load the daemon's policy: the file, or the built-in copy
 */
#ifndef SUBGATE_POLICYFILE_H
#define SUBGATE_POLICYFILE_H

#include <stddef.h>
#include <stdio.h>

#include "policy.h"

#define POLICYFILE_DEFAULT "/etc/subgate/subgate.policy"

/*
 * policyfile_load - parse the policy at <path>; when <path> is the default
 * and does not exist, the built-in copy of contrib/subgate.policy. Every
 * error goes to <errf>. On success returns the policy and fills <source>
 * (the path or "built-in") and <digest> ("fnv1a64:" and 16 hex digits of
 * the text); NULL otherwise.
 */
struct policy *policyfile_load(const char *path, char *source, size_t ssize,
    char *digest, size_t dsize, FILE *errf);

#endif
