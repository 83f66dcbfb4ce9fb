/*
 * logread.h -- read log files line by line, plain or gzip-compressed
 *
 * DESCRIPTION
 *	For subgatectl: reads a file ("-" is standard input) in large blocks
 *	through zlib, which passes uncompressed files through untouched, so
 *	rotated "subscribe.2.gz" and the live "subscribe" read alike.
 *	A line longer than LOGREAD_MAX is cut there and flagged; the rest of it
 *	is skipped. A last line without '\n' is returned as a line.
 */
#ifndef SUBGATE_LOGREAD_H
#define SUBGATE_LOGREAD_H

#include <stddef.h>
#include <stdint.h>

#define LOGREAD_MAX (64 * 1024)

struct logread;

/*
 * logread_open - open <path>; on failure returns NULL with the reason in
 * <err> (<errlen> bytes).
 */
struct logread *logread_open(const char *path, char *err, size_t errlen);

/*
 * logread_line - the next line without its '\n': 1 and <*line>/<*len>
 * (valid until the next call), 0 at the end, -1 on a read or decompression
 * error (reason in <err>). <*toolong> is set when the line was cut.
 */
int logread_line(struct logread *r, const char **line, size_t *len,
    int *toolong, char *err, size_t errlen);

/* logread_bytes - compressed bytes consumed so far (for progress). */
uint64_t logread_bytes(const struct logread *r);

/* logread_size - the file's size in bytes, 0 if unknown. */
uint64_t logread_size(const struct logread *r);

/* logread_close - close and free; NULL is a no-op. */
void logread_close(struct logread *r);

#endif
