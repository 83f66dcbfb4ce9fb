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
 *	of its saving and the journal generation it was saved before
 *	("SUBGATE-CLOCK2\0", three u64, little-endian; the version 1 header
 *	"SUBGATE-CLOCK\0" without the generation is still read), so that
 *	loading moves every time by the engine time that passed (wall clock
 *	difference), across a reboot too; then decide_save()'s bytes. What
 *	was decided after the save is in the journals (journal.h), which
 *	the caller replays after the load.
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
 * with the wall clock <wall_ms> and the engine clock <engine_ms> of now;
 * with a journal (engine_set_journal()), rotate it, and once the file is
 * in place remove the journals it holds. Returns the bytes written, or
 * -1 with a reason in <err>. A journal that could not be rotated is no
 * failure: the bytes are returned and <err> holds a warning (else "").
 */
long long statefile_save(struct engine *e, const char *dir, uint64_t wall_ms,
    uint64_t engine_ms, char *err, size_t errlen);

/*
 * statefile_load - load <dir>/counters into the engine (fresh, its policy
 * set) at wall clock <wall_ms> and engine clock <engine_ms>. Returns 1 and
 * <info> when it was loaded, 0 when there is none, -1 with a reason in <err>
 * when it could not be read or was damaged (then set aside as counters.bad when
 * possible; what an out-of-memory left loaded stays). <*gen> is the first
 * journal generation to replay on top: the file's, or 0 (all) without a
 * file, with a version 1 file or a damaged one.
 */
int statefile_load(struct engine *e, const char *dir, uint64_t wall_ms,
    uint64_t engine_ms, struct decide_load_info *info, uint64_t *gen, char *err,
    size_t errlen);

#endif
