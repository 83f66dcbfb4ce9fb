/*
 * seed.h -- an unguessable key for the counter table's hash
 *
 * DESCRIPTION
 *	The counter table hashes attacker-chosen keys (addresses, domains)
 *	with SipHash under a key (struct decide_conf.seed); the guarantee
 *	that no one can make keys share a probe run holds only while that key
 *	is secret. The daemon and subgatectl replay both draw it here.
 */
#ifndef SUBGATE_SEED_H
#define SUBGATE_SEED_H

#include <stdint.h>

/*
 * seed_random - 64 random bits from getrandom(2); should the kernel have
 * none to give, the clock, the process id and a stack address, which a
 * remote attacker does not see. Never fails.
 */
uint64_t seed_random(void);

#endif
