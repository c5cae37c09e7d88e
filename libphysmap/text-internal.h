/*
 * text-internal.h - small text helpers shared inside libphysmap
 */
#ifndef PHYSMAP_TEXT_INTERNAL_H
#define PHYSMAP_TEXT_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

/**
 * pm__edit_distance - Levenshtein distance between two short strings, for
 * did-you-mean suggestions
 * returns: the distance; (size_t)-1 if b is 64 bytes or longer
 */
size_t pm__edit_distance(const char *a, const char *b);

/**
 * pm__text_bad - where @s (@len bytes) stops being text: the offset of
 * its first byte that is not UTF-8, or a control character other than
 * tab, newline and carriage return
 * returns: that offset; (size_t)-1 when all of it is text
 */
size_t pm__text_bad(const char *s, size_t len);

/**
 * pm__xl_quote - @v in xl's double quotes on @f, escaped as libxlutil's
 * dequote reads it back (\" \\ and the seven C escapes of control
 * characters)
 * returns: 0; -EINVAL (a control character libxlutil cannot read back); -ENOMEM
 */
int pm__xl_quote(FILE *f, const char *v);

#endif
