/*
 * libphysmap/uuid.c - a domain's UUID in xl's text form
 * ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"), parsed and made (random,
 * RFC 4122 version 4, as libxl_uuid_generate makes them)
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <stdint.h>

#include "physmap/config.h"

int pm_uuid_parse(const char *s, uint8_t bytes[16])
{
	unsigned int n = 0;

	if (!s || strlen(s) != 36)
		return -EINVAL;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
		if (dash)
			continue;
		if (bytes) {
			unsigned int d = isdigit((unsigned char)s[i]) ? (unsigned int)(s[i] - '0')
								     : (unsigned int)(tolower((unsigned char)s[i]) - 'a' + 10);

			bytes[n / 2] = (uint8_t)(n % 2 ? (bytes[n / 2] | d) : d << 4);
		}
		n++;
	}
	return 0;
}

int pm_uuid_generate(char out[37])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return errno ? -errno : -EIO;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);   /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);   /* the RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}
