/*
 * rawio.h -- the little pieces of binary file I/O the state files share
 *
 * DESCRIPTION
 *	Little-endian u64 in and out of a byte buffer, and a write of a whole
 *	buffer through EINTR and short writes: statefile.c (the counters) and
 *	journal.c (what was decided since) write their files with these.
 */
#ifndef SUBGATE_RAWIO_H
#define SUBGATE_RAWIO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

/* rawio_put64 - <v> little-endian at <b>; returns <b> + 8. */
static inline unsigned char *
rawio_put64(unsigned char *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return b + 8;
}

/* rawio_get64 - the little-endian u64 at <b>. */
static inline uint64_t
rawio_get64(const unsigned char *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* rawio_write_all - <len> bytes at <p> to <fd>; 0, or -1 and errno. */
static inline int
rawio_write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

#endif
