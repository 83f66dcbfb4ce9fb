/*
 * journal.h -- what changed the counters since their last save, so that a
 * crash loses none of it
 *
 * DESCRIPTION
 *	The counters are saved whole (statefile.h) at a clean stop and every
 *	counters_save_interval. Between two saves every decision that counts
 *	(the confirmation's list, domain, origin, identity and floor, and the
 *	engine time), and every unban and reset, is appended to
 *	"<state_dir>/counters.journal.<gen>" with one write(2) before the
 *	decision is made: a crash of the process (a signal, kill -9, an abort)
 *	loses nothing that was decided. The file is not fsync'd, so a crash of
 *	the machine can still lose what the kernel had not written.
 *
 *	Generations. A save rotates the journal under the engine's lock, in
 *	the same critical section that builds the image: the image holds
 *	everything before generation <gen>, the new journal everything after.
 *	The saved file names <gen>; once it is renamed into place, journals
 *	older than <gen> are removed. At start the counters are loaded, then
 *	every journal of their generation or newer is replayed in order,
 *	through the same decisions.
 *
 *	Policies. The owner also journals the policy in force (its canonical
 *	text) when a journal starts and at every reload, so that a replay
 *	decides each request again under the policy that decided it, even
 *	when the file was edited, or a reload made, before the crash.
 *
 *	Format. A header ("SUBGATE-JOURNAL\0", u64 generation, u64 wall and
 *	u64 engine milliseconds at its creation: replayed times move by the
 *	engine time that passed, as the counters file's do), then records:
 *	u32 payload length, the payload, u64 FNV-1a of the payload, all
 *	little-endian. A payload is a type byte, then for a decision (1) or
 *	an unban or reset (2) the u64 engine time and its fields, for a
 *	policy (3) its text, the rest of the payload. A record that is cut
 *	short or fails its check (a write torn by the crash) ends the replay
 *	of that file.
 *
 *	Bounded: a journal stops growing at JOURNAL_MAX bytes (what is decided
 *	after that until the next save is counted, but a crash loses it);
 *	journal_failures() says how many records were not written.
 * LIMITS
 *	A policy is journaled only up to JOURNAL_POLICY_MAX bytes of text
 *	(policyfile.c reads at most 16 MiB).
 */
#ifndef SUBGATE_JOURNAL_H
#define SUBGATE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "origin.h"

#define JOURNAL_PREFIX "counters.journal."
#define JOURNAL_MAX (256u * 1024 * 1024)
#define JOURNAL_POLICY_MAX (32u * 1024 * 1024)

struct journal;

/* One decision that counts, as engine_judge() makes it. */
struct journal_judge {
	uint64_t now_ms;                /* engine clock */
	const char *list, *domain, *id; /* NUL-terminated; id "" for none */
	const struct origin *origin;
	enum action floor;
};

/* One unban or reset of a counter key. */
struct journal_key {
	uint64_t now_ms;
	int reset; /* 0 unban, 1 reset */
	enum scope scope;
	const uint8_t *key;
	size_t len;
};

/*
 * Where journal_replay() hands the records, in journal order: each call
 * gets <arg>; the pointers handed over live until it returns. A policy is
 * its canonical text, <len> bytes (not NUL-terminated).
 */
struct journal_sink {
	void (*judge)(void *arg, const struct journal_judge *r);
	void (*key)(void *arg, const struct journal_key *k);
	void (*policy)(void *arg, const char *text, size_t len);
	void *arg;
};

/* What journal_replay() found. */
struct journal_replay_info {
	size_t files;     /* journals replayed */
	size_t records;   /* decisions, unbans and resets replayed */
	size_t policies;  /* policy records replayed */
	size_t torn;      /* files unreadable or ending in a damaged record */
	uint64_t max_gen; /* the newest generation found (0: none) */
};

/*
 * journal_open - create "<dir>/counters.journal.<gen>" (replacing one of
 * that name) with its header, stamped with the wall clock <wall_ms> and
 * the engine clock <engine_ms>. NULL with a reason in <err>.
 */
struct journal *journal_open(const char *dir, uint64_t gen, uint64_t wall_ms,
    uint64_t engine_ms, char *err, size_t errlen);

/* journal_close - close <j>; with <remove>, also remove its file. NULL is a
 * no-op. */
void journal_close(struct journal *j, int remove);

/* journal_gen - the generation being written. */
uint64_t journal_gen(const struct journal *j);

/*
 * journal_add_judge / journal_add_key - append one record. 0, or -1 when
 * it was not written (full, or a write error: counted in
 * journal_failures()). Not thread-safe: call under the engine's lock.
 */
int journal_add_judge(struct journal *j, const struct journal_judge *r);
int journal_add_key(struct journal *j, const struct journal_key *k);

/*
 * journal_add_policy - append the policy in force from now on: its
 * canonical text <text>/<len> (policy_print()). 0, or -1 as above (also
 * when <len> > JOURNAL_POLICY_MAX, or <text> is NULL: a caller that could
 * not print the policy has it counted as not written).
 */
int journal_add_policy(struct journal *j, const char *text, size_t len);

/*
 * journal_rotate - start generation journal_gen(j) + 1 (stamped now) and
 * return it; the old file stays until journal_prune(). On failure the
 * old file goes on being written and 0 is returned with <err>; the next
 * rotation tries the same generation again.
 */
uint64_t journal_rotate(struct journal *j, uint64_t wall_ms, uint64_t engine_ms,
    char *err, size_t errlen);

/* journal_prune - remove the journals of <dir> older than <gen>. */
void journal_prune(const char *dir, uint64_t gen);

/* journal_failures - records not written since the last call. */
uint64_t journal_failures(struct journal *j);

/*
 * journal_replay - feed every record of the journals of <dir> from
 * generation <from_gen> on, oldest first, to <sink>, their times moved
 * onto the engine clock of now (<wall_ms>, <engine_ms>). Returns 0 and
 * <info>, or -1 with a reason in <err> when the directory cannot be read
 * (an unreadable file or a damaged record is no error: it is counted in
 * <info>).
 */
int journal_replay(const char *dir, uint64_t from_gen, uint64_t wall_ms,
    uint64_t engine_ms, const struct journal_sink *sink,
    struct journal_replay_info *info, char *err, size_t errlen);

#endif
