/*
 * libphysmap/file-internal.h - the files a domain is built from (its
 * configuration, kernel, ramdisk), taken only when they are what they
 * claim to be: a regular file, within a bound, read with that bound.
 * A FIFO, a device or a directory is refused before anything reads it,
 * so a name like /dev/zero or a pipe never hangs or exhausts a build.
 */
#ifndef PHYSMAP_FILE_INTERNAL_H
#define PHYSMAP_FILE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/** the bounds of issue 32: a configuration, a kernel image */
#define PM_FILE_CONFIG_MAX (1ull << 20)
#define PM_FILE_IMAGE_MAX (1ull << 30)

/**
 * pm__file_check - is @path a regular file of at most @max bytes?
 * @size: its size, when not NULL
 * @err: "PATH: what it is instead" on failure
 * returns: 0; -errno (cannot open or stat it); -EISDIR (a directory);
 *   -EINVAL (a FIFO, socket or device); -EFBIG (larger than @max)
 */
int pm__file_check(const char *path, uint64_t max, uint64_t *size, char *err, size_t errlen);

/**
 * pm__file_read - the whole of the regular file @path, at most @max bytes
 * @buf: a malloc'ed copy with a NUL after its @len bytes; the caller frees it
 * returns: as pm__file_check; -ENOMEM; -EIO (a read error, or the file
 *   grew past @max while it was read)
 */
int pm__file_read(const char *path, uint64_t max, uint8_t **buf, size_t *len, char *err, size_t errlen);

#endif
