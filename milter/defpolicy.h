/*
 * defpolicy.h -- the shipped policy, built in
 *
 * DESCRIPTION
 *	contrib/subgate.policy as a string (generated at build time), used
 *	when the configured policy file is the default path and does not
 *	exist, so that a fresh install runs on the recommended policy.
 */
#ifndef SUBGATE_DEFPOLICY_H
#define SUBGATE_DEFPOLICY_H

extern const char defpolicy_text[];

#endif
