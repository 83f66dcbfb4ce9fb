/*
 * numparse.h -- bounded number and duration parsing
 *
 * DESCRIPTION
 *	Overflow-safe parsing of decimal integers and of durations written as
 *	a number and a unit: s, m, h or d ("30s", "5m", "12h", "5d"). Input is
 *	a length-delimited byte string; no NUL needed, no locale, no errno.
 *	Pure and thread-safe.
 */
#ifndef SUBGATE_NUMPARSE_H
#define SUBGATE_NUMPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * num_parse_u64 - parse all of <s>/<len> as a decimal integer within
 * [<min>, <max>]. Returns 0 and sets <out>, or -1 (empty, sign, non-digit,
 * overflow, out of range).
 */
int num_parse_u64(
    const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);

/*
 * num_parse_duration - parse "N" + one of s m h d into seconds within
 * [<min_s>, <max_s>]. A unit is required. Returns 0 or -1.
 */
int num_parse_duration(
    const char *s, size_t len, uint64_t min_s, uint64_t max_s, uint64_t *out_s);

/*
 * num_format_duration - write <secs> in the largest unit that divides it
 * exactly ("86400" -> "1d", "90" -> "90s"). Returns the length, or 0 when
 * <size> is too small.
 */
size_t num_format_duration(uint64_t secs, char *buf, size_t size);

#endif
