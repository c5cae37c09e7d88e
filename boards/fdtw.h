/*
 * boards/fdtw.h - writing a device tree with libfdt's sequential writer,
 * for the boards that describe their machine with one (virt, xenarm)
 *
 * A struct fdtw carries the first error: every call after it does
 * nothing, so a board writes its whole tree and looks once, at
 * fdtw_finish. The buffer grows while libfdt says it is full (to 64 MiB).
 * Cells are big-endian in the tree; callers give host values.
 */
#ifndef PHYSMAP_BOARDS_FDTW_H
#define PHYSMAP_BOARDS_FDTW_H

#include <stddef.h>
#include <stdint.h>

struct fdtw {
	void *buf;
	int size;
	int rc;   /* 0, or the first error (-ENOMEM, -EIO, -E2BIG) */
};

/** fdtw_start - an empty tree with its root node open. returns: 0; -ENOMEM */
int fdtw_start(struct fdtw *w);

/**
 * fdtw_finish - close the root and the tree
 * @blob: receives the tree (the caller frees it)
 * returns: its size; the first error (nothing kept)
 */
long fdtw_finish(struct fdtw *w, void **blob);

/** fdtw_begin / fdtw_end - a node named by @fmt (printf) opened; the innermost closed */
void fdtw_begin(struct fdtw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fdtw_end(struct fdtw *w);

/** properties: raw bytes, a string, a string list ("a\0b" and its sizeof), a cell, cells */
void fdtw_prop(struct fdtw *w, const char *name, const void *val, int len);
void fdtw_str(struct fdtw *w, const char *name, const char *s);
void fdtw_strs(struct fdtw *w, const char *name, const char *s, size_t size);
void fdtw_u32(struct fdtw *w, const char *name, uint32_t v);
void fdtw_cells(struct fdtw *w, const char *name, const uint32_t *cells, size_t n);   /* n <= 256 */

/** fdtw_random - @name of @n random bytes (getrandom; n <= 256): a seed for the guest */
void fdtw_random(struct fdtw *w, const char *name, size_t n);

/** fdtw_reg - @name of @n (base, size) pairs, 2 address and 2 size cells each (n <= 8) */
void fdtw_reg(struct fdtw *w, const char *name, const uint64_t *pairs, size_t n);

#endif
