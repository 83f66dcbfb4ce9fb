/*
 * jsonw.h -- write JSON strings safely
 *
 * DESCRIPTION
 *	Log data is bytes (Mailman writes Latin-1): valid UTF-8 passes
 *	through, every other byte >= 0x80 is taken as Latin-1 and written as
 *	\u00XX, control characters are escaped. Output is always valid JSON.
 */
#ifndef SUBGATE_JSONW_H
#define SUBGATE_JSONW_H

#include <stddef.h>
#include <stdio.h>

/* jsonw_str - write <s>/<len> as a quoted JSON string to <f>. */
void jsonw_str(FILE *f, const char *s, size_t len);

/* jsonw_cstr - the same for a NUL-terminated string (NULL writes null). */
void jsonw_cstr(FILE *f, const char *s);

#endif
