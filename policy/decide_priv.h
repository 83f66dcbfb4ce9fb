/*
 * decide_priv.h -- the decider's insides, shared by decide.c and
 * decide_state.c only
 */
#ifndef SUBGATE_DECIDE_PRIV_H
#define SUBGATE_DECIDE_PRIV_H

#include "ctab.h"
#include "decide.h"

struct decider {
	struct ctab *keys; /* counters: scope = enum scope */
	struct ctab *ids;  /* confirmation identities: scope 0 */
	struct decide_conf conf;
	uint64_t decisions[ACT_COUNT];
	uint64_t allowed, retries, banned;
};

#endif
