/*
 * text.c - small text helpers shared inside libphysmap
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text-internal.h"

size_t pm__edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (lb >= 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

size_t pm__text_bad(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		unsigned c = p[i], n, min;
		uint32_t cp;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				return i;
			i++;
			continue;
		}
		/* UTF-8: the lead byte says how many follow; no overlong forms, no surrogates, up to U+10FFFF */
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, min = 0x10000, cp = c & 0x07;
		else
			return i;
		if (len - i <= n)
			return i;
		for (unsigned k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return (size_t)-1;
}

int pm__xl_quote(FILE *f, const char *v)
{
	/* the escapes libxlutil's dequote reads back (its hex and octal ones lose the character) */
	static const char ctl[] = "\a\b\t\n\v\f\r", esc[] = "abtnvfr";

	fputc('"', f);
	for (const char *c = v; *c; c++) {
		const char *e = (unsigned char)*c < 0x20 ? strchr(ctl, *c) : NULL;

		if ((unsigned char)*c < 0x20 && !e)
			return -EINVAL;
		if (e || *c == '"' || *c == '\\')
			fputc('\\', f);
		fputc(e ? esc[e - ctl] : *c, f);
	}
	return fputc('"', f) == EOF ? -ENOMEM : 0;
}
