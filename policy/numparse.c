/*
 * numparse.c -- bounded number and duration parsing
 *
 * DESCRIPTION
 *	See numparse.h. Every multiplication is checked against the bound
 *	before it happens, so no input can overflow.
 */
#include <stdio.h>

#include "numparse.h"

int
num_parse_u64(
    const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
num_parse_duration(
    const char *s, size_t len, uint64_t min_s, uint64_t max_s, uint64_t *out_s)
{
	uint64_t n, factor;

	if (len < 2)
		return -1;
	switch (s[len - 1]) {
	case 's':
		factor = 1;
		break;
	case 'm':
		factor = 60;
		break;
	case 'h':
		factor = 3600;
		break;
	case 'd':
		factor = 86400;
		break;
	default:
		return -1;
	}
	if (num_parse_u64(s, len - 1, 0, UINT64_MAX / factor, &n) != 0)
		return -1;
	n *= factor;
	if (n < min_s || n > max_s)
		return -1;
	*out_s = n;
	return 0;
}

size_t
num_format_duration(uint64_t secs, char *buf, size_t size)
{
	static const struct {
		uint64_t factor;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t i;
	int n;

	for (i = 0; i < sizeof(units) / sizeof(units[0]) - 1; i++)
		if (secs != 0 && secs % units[i].factor == 0)
			break;
	n = snprintf(buf, size, "%llu%c",
	    (unsigned long long)(secs / units[i].factor), units[i].unit);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}
