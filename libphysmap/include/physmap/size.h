/*
 * physmap/size.h - memory sizes as xl writes them
 *
 * xl accepts a decimal number with an optional one-letter suffix:
 * b (bytes), k (KiB), m (MiB), g (GiB), t (TiB), either case. A number
 * without a suffix is in a unit the caller chooses (xl's mem-set and the
 * `memory` key use MiB). Nothing else is accepted: no sign, no spaces, no
 * fractions, no two-letter suffixes ("512mb").
 */
#ifndef PHYSMAP_SIZE_H
#define PHYSMAP_SIZE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Units, as shifts, for pm_size_parse()'s default_shift. */
#define PM_SIZE_B 0
#define PM_SIZE_K 10
#define PM_SIZE_M 20
#define PM_SIZE_G 30
#define PM_SIZE_T 40

/**
 * pm_size_parse - parse an xl size string into bytes
 * @s: the string (not modified; must be non-NULL)
 * @default_shift: unit of a number without a suffix (one of PM_SIZE_*)
 * @bytes: receives the size in bytes on success; untouched on failure
 * returns:
 *   0, on success
 *   -EINVAL, if @s is empty, has no digits, a sign, spaces, an unknown or
 *            trailing suffix, or @default_shift is not one of PM_SIZE_*
 *   -ERANGE, if the size does not fit in 64 bits
 */
int pm_size_parse(const char *s, unsigned default_shift, uint64_t *bytes);

/**
 * pm_size_format - write a size in the largest unit that represents it
 * exactly ("512M", "3G", "4100K", "4097B"), so that pm_size_parse() reads
 * it back to the same value.
 * @bytes: the size
 * @buf: caller's buffer
 * @len: its length; 24 bytes always suffice
 * returns:
 *   the length of the string written (without the NUL), on success
 *   -ENOSPC, if @len is too small (@buf then holds a truncated string
 *            when @len > 0)
 */
int pm_size_format(uint64_t bytes, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PHYSMAP_SIZE_H */
