/*
 * statefile.h -- the counters across a restart: state_dir/counters
 *
 * DESCRIPTION
 *	At a clean stop the daemon writes its counters, bans and retry
 *	identities (decide_save()) to a temporary file in state_dir, syncs it
 *	and renames it over "counters"; at start it loads that file, so a
 *	restart in the middle of an attack keeps what was counted. A file
 *	that cannot be read as state is renamed "counters.bad" and the daemon
 *	starts with empty counters; it never refuses to start over it.
 *
 *	The engine counts in seconds of CLOCK_MONOTONIC, which starts again
 *	at each boot. The file begins with the wall clock and the engine clock
 *	of its saving ("SUBGATE-CLOCK\0", two u64 milliseconds, little-endian),
 *	so that loading moves every time by the engine time that passed
 *	(wall clock difference), across a reboot too; then decide_save()'s
 *	bytes.
 */
#ifndef SUBGATE_STATEFILE_H
#define SUBGATE_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define STATEFILE_NAME "counters"
#define STATEFILE_MAX (1024u * 1024 * 1024) /* larger is refused */

/*
 * statefile_save - write the engine's state to <dir>/counters, stamped
 * with the wall clock <wall_ms> and the engine clock <engine_ms> of now.
 * Returns the bytes written, or -1 with a reason in <err>.
 */
long long statefile_save(struct engine *e, const char *dir, uint64_t wall_ms,
    uint64_t engine_ms, char *err, size_t errlen);

/*
 * statefile_load - load <dir>/counters into the engine (fresh, its policy
 * set) at wall clock <wall_ms> and engine clock <engine_ms>. Returns 1 and
 * <info> when it was loaded, 0 when there is none, -1 with a reason in <err>
 * when it could not be read or was damaged (then set aside as counters.bad when
 * possible; what an out-of-memory left loaded stays).
 */
int statefile_load(struct engine *e, const char *dir, uint64_t wall_ms,
    uint64_t engine_ms, struct decide_load_info *info, char *err,
    size_t errlen);

#endif
