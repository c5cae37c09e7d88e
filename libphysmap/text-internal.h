/*
 * text-internal.h - small text helpers shared inside libphysmap
 */
#ifndef PHYSMAP_TEXT_INTERNAL_H
#define PHYSMAP_TEXT_INTERNAL_H

#include <stddef.h>

/**
 * pm__edit_distance - Levenshtein distance between two short strings, for
 * did-you-mean suggestions
 * returns: the distance; (size_t)-1 if b is 64 bytes or longer
 */
size_t pm__edit_distance(const char *a, const char *b);

#endif
