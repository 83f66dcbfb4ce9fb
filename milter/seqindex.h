/*
 * seqindex.h -- a hash index over a ring of the newest N records
 *
 * DESCRIPTION
 *	The engine keeps the newest records of two kinds in rings (the
 *	subscribe log's pending lines, the requests by mail): record number
 *	<seq> (0, 1, 2, ... ever put) lives in slot seq % N and is overwritten
 *	by record seq + N. A seqindex finds, newest first, the records put
 *	with a given 64-bit hash without scanning the ring: one bucket per
 *	hash (the newest record's number) and, per slot, the number of the
 *	previous record of the same bucket. A chain ends where it reaches a
 *	record the ring has overwritten; the caller compares the full hash
 *	(buckets are shared).
 *
 *	Not thread-safe: the owner serialises (the engine's mutex).
 * LIMITS
 *	Memory: 8 bytes per slot and 16 per slot of buckets (2N buckets).
 */
#ifndef SUBGATE_SEQINDEX_H
#define SUBGATE_SEQINDEX_H

#include <stddef.h>
#include <stdint.h>

struct seqindex;

/*
 * seqindex_new - an empty index for a ring of <slots> (>= 1) records.
 * NULL on allocation failure.
 */
struct seqindex *seqindex_new(size_t slots);

/* seqindex_free - release <x>; NULL is a no-op. */
void seqindex_free(struct seqindex *x);

/*
 * seqindex_put - record number <seq> (one more than the last put; the first
 * is 0) was put with hash <h>.
 */
void seqindex_put(struct seqindex *x, uint64_t seq, uint64_t h);

/*
 * seqindex_first / seqindex_next - walk the live records whose bucket is
 * <h>'s, newest first: each returns a record number, or -1 when there is
 * none left. <total> is the number of records put so far; <prev> the number
 * the last call returned.
 */
int64_t seqindex_first(const struct seqindex *x, uint64_t h, uint64_t total);
int64_t seqindex_next(const struct seqindex *x, int64_t prev, uint64_t total);

#endif
