/*
 * seed.c -- an unguessable key for the counter table's hash
 *
 * DESCRIPTION
 *	See seed.h.
 */
#include <stdint.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "seed.h"

uint64_t
seed_random(void)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), 0) == (ssize_t)sizeof(s))
		return s;
	return ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^
	    (uint64_t)(uintptr_t)&s;
}
