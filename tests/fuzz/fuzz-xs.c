/*
 * tests/fuzz/fuzz-xs.c - libFuzzer target: any byte stream, as dom0 or as
 * an unprivileged guest, through the store's message decoder and handlers
 *
 * The first byte picks the speaker and how the stream is cut into
 * writes; after every input the store must still pass its consistency
 * check, and everything it allocated must be freed (ASan's leak check).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[8192];
	struct pm_xs *xs;
	struct pm_xs_conn *dom0, *c;
	unsigned int domid, chunk;

	if (!size)
		return 0;
	domid = data[0] & 1 ? 7 : 0;
	chunk = (data[0] >> 1) + 1;        /* 1..128 bytes a write */
	data++;
	size--;
	if (pm_xs_new(NULL, NULL, &xs))
		abort();
	/* a store as a toolstack leaves it: a home for dom7, some of it shared */
	if (pm_xs_conn_open(xs, 0, &dom0))
		abort();
	{
		static const char setup[] =
			"\x0b\0\0\0\1\0\0\0\0\0\0\0\x16\0\0\0/local/domain/7/name\0g"
			"\x0e\0\0\0\2\0\0\0\0\0\0\0\x16\0\0\0/local/domain/7\0n7\0r0\0";
		pm_xs_conn_send(dom0, setup, sizeof(setup) - 1);
		while (pm_xs_conn_recv(dom0, out, sizeof(out)))
			;
	}
	if (pm_xs_conn_open(xs, domid, &c))
		abort();
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		int rc = pm_xs_conn_send(c, data + off, n);

		while (pm_xs_conn_recv(c, out, sizeof(out)))
			;
		while (pm_xs_conn_recv(dom0, out, sizeof(out)))
			;
		if (rc == -EPROTO)
			break;
	}
	if (pm_xs_check(xs))
		abort();
	pm_xs_conn_close(c);
	if (pm_xs_check(xs))
		abort();
	pm_xs_conn_close(dom0);
	pm_xs_free(xs);
	return 0;
}
