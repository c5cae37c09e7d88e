/*
 * boards/fdtw.c - writing a device tree with libfdt's sequential writer
 * (fdtw.h)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <libfdt.h>

#include "fdtw.h"
#include "alloc-internal.h"

#define FDTW_MAX   (64 << 20)
#define MAX_CELLS  256

static int grow(struct fdtw *w)
{
	int size = w->size * 2;
	void *buf;

	if (size > FDTW_MAX)
		return -ENOMEM;
	buf = pm__malloc((size_t)size);
	if (!buf)
		return -ENOMEM;
	if (fdt_resize(w->buf, buf, size) != 0) {
		free(buf);
		return -EIO;
	}
	free(w->buf);
	w->buf = buf;
	w->size = size;
	return 0;
}

/* run a libfdt call, growing the buffer while it says it is full */
#define FDTW(w, call) do {                                              \
	int r_ = 0;                                                     \
	while ((w)->rc == 0 && (r_ = (call)) == -FDT_ERR_NOSPACE)      \
		(w)->rc = grow(w);                                      \
	if ((w)->rc == 0 && r_ < 0)                                     \
		(w)->rc = -EIO;                                         \
} while (0)

int fdtw_start(struct fdtw *w)
{
	*w = (struct fdtw){ .size = 1024 };
	w->buf = pm__malloc((size_t)w->size);
	if (!w->buf)
		return w->rc = -ENOMEM;
	FDTW(w, fdt_create(w->buf, w->size));
	FDTW(w, fdt_finish_reservemap(w->buf));
	FDTW(w, fdt_begin_node(w->buf, ""));
	return w->rc;
}

long fdtw_finish(struct fdtw *w, void **blob)
{
	FDTW(w, fdt_end_node(w->buf));
	FDTW(w, fdt_finish(w->buf));
	if (w->rc) {
		free(w->buf);
		w->buf = NULL;
		return w->rc;
	}
	*blob = w->buf;
	w->buf = NULL;
	return fdt_totalsize(*blob);
}

void fdtw_begin(struct fdtw *w, const char *fmt, ...)
{
	char name[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	FDTW(w, fdt_begin_node(w->buf, name));
}

void fdtw_end(struct fdtw *w)
{
	FDTW(w, fdt_end_node(w->buf));
}

void fdtw_prop(struct fdtw *w, const char *name, const void *val, int len)
{
	FDTW(w, fdt_property(w->buf, name, val, len));
}

void fdtw_str(struct fdtw *w, const char *name, const char *s)
{
	fdtw_prop(w, name, s, (int)strlen(s) + 1);
}

void fdtw_strs(struct fdtw *w, const char *name, const char *s, size_t size)
{
	fdtw_prop(w, name, s, (int)size);
}

void fdtw_u32(struct fdtw *w, const char *name, uint32_t v)
{
	FDTW(w, fdt_property_u32(w->buf, name, v));
}

void fdtw_cells(struct fdtw *w, const char *name, const uint32_t *cells, size_t n)
{
	fdt32_t be[MAX_CELLS];

	if (n > MAX_CELLS) {
		if (w->rc == 0)
			w->rc = -E2BIG;
		return;
	}
	for (size_t i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	fdtw_prop(w, name, be, (int)(n * sizeof(be[0])));
}

void fdtw_reg(struct fdtw *w, const char *name, const uint64_t *pairs, size_t n)
{
	uint32_t cells[32];

	if (n > 8) {
		if (w->rc == 0)
			w->rc = -E2BIG;
		return;
	}
	for (size_t i = 0; i < 2 * n; i++) {
		cells[2 * i] = (uint32_t)(pairs[i] >> 32);
		cells[2 * i + 1] = (uint32_t)pairs[i];
	}
	fdtw_cells(w, name, cells, 4 * n);
}

void fdtw_random(struct fdtw *w, const char *name, size_t n)
{
	uint8_t seed[256];
	size_t got = 0;

	if (n > sizeof(seed) && w->rc == 0)
		w->rc = -E2BIG;
	while (w->rc == 0 && got < n) {
		ssize_t r = getrandom(seed + got, n - got, 0);

		if (r < 0 && errno != EINTR)
			w->rc = -errno;
		got += r > 0 ? (size_t)r : 0;
	}
	fdtw_prop(w, name, seed, (int)n);
}
