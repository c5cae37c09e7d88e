/*
 * size.c - xl-style size strings
 *
 * xl's own parser (parse_mem_size_kb) uses strtoll and lets a sign, leading
 * spaces and overflow through; ours is stricter and says which it was.
 */
#include <errno.h>
#include <stdio.h>

#include "physmap/size.h"

static int suffix_shift(char c)
{
	switch (c) {
	case 'b': case 'B': return PM_SIZE_B;
	case 'k': case 'K': return PM_SIZE_K;
	case 'm': case 'M': return PM_SIZE_M;
	case 'g': case 'G': return PM_SIZE_G;
	case 't': case 'T': return PM_SIZE_T;
	default: return -1;
	}
}

int pm_size_parse(const char *s, unsigned default_shift, uint64_t *bytes)
{
	uint64_t value = 0;
	const char *p = s;
	int shift;

	if (default_shift % 10 != 0 || default_shift > PM_SIZE_T)
		return -EINVAL;
	if (*p < '0' || *p > '9')
		return -EINVAL;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (value > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		value = value * 10 + digit;
	}

	if (*p == '\0') {
		shift = (int)default_shift;
	} else {
		shift = suffix_shift(*p);
		if (shift < 0 || p[1] != '\0')
			return -EINVAL;
	}

	if (shift && value > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = value << shift;
	return 0;
}

int pm_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGT";
	unsigned unit = 0;
	int n;

	while (unit + 1 < sizeof(units) - 1 && bytes != 0 &&
	       (bytes & ((UINT64_C(1) << 10) - 1)) == 0) {
		bytes >>= 10;
		unit++;
	}

	n = snprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[unit]);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}
