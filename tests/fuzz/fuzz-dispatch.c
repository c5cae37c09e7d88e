/*
 * tests/fuzz/fuzz-dispatch.c - libFuzzer target: random accesses through
 * physmap-dm's dispatcher (the radix tree over a flattened region tree,
 * with sub-page sections), the path every ioreq takes
 *
 * The input is a region-tree document, a NUL, then accesses of 18 bytes:
 * flags (bit 0 write, bits 1-2 the size 1/2/4/8, bits 3-4 the address
 * space), an 8-byte address, an 8-byte value, and a byte that, when odd,
 * disables one of the view's regions first (the dispatcher is rebuilt).
 * The dispatcher must find for every address what a walk of the flat
 * view finds, and RAM must read back what was written to it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the dispatcher's answer for @addr must be the flat view's: the range holding it, or nothing */
static void agrees(struct pm_as *as, uint64_t addr)
{
	struct pm_flat_range *r;
	struct pm_section s;
	long n = pm_as_flat_ranges(as, &r);
	struct pm_mr *want = NULL;
	uint64_t off = 0;

	if (n < 0)
		abort();
	for (long i = 0; i < n; i++)
		if (addr - r[i].start < r[i].size || (!r[i].size && r[i].start == 0)) {
			want = r[i].mr;
			off = r[i].offset + (addr - r[i].start);
		}
	free(r);
	pm_mem_read_lock();
	pm_as_translate(as, addr, 1, &s);
	pm_mem_read_unlock();
	if (s.mr != want || (want && s.offset != off))
		abort();
}

/* the region of flat range @k, disabled: the view and the dispatcher are built anew */
static void disable_one(struct pm_as *as, unsigned k)
{
	struct pm_flat_range *r;
	long n = pm_as_flat_ranges(as, &r);

	if (n > 0 && r[k % n].mr != pm_as_root(as))
		pm_mr_set_enabled(r[k % n].mr, false);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	struct pm_as *spaces[4] = { 0 };
	struct pm_mem *mem;
	char *text;
	size_t n = 0;

	if (!nul)
		return 0;
	text = strdup((const char *)data);
	if (!text)
		abort();
	mem = pm_mem_load_json(text, NULL, NULL, 0);
	free(text);
	if (!mem)
		return 0;
	for (const char *const *name = (const char *const[]){ "memory", "io", "secure", "alt", NULL }; *name; name++)
		if ((spaces[n] = pm_mem_find_as(mem, *name)))
			n++;
	for (const uint8_t *p = nul + 1; n && p + 18 <= data + size; p += 18) {
		struct pm_as *as = spaces[(p[0] >> 3) % n];
		unsigned len = 1u << ((p[0] >> 1) & 3);
		uint64_t addr, val, back = 0;

		memcpy(&addr, p + 1, 8);
		memcpy(&val, p + 9, 8);
		if (p[17] & 1)
			disable_one(as, p[17] >> 1);
		agrees(as, addr);
		if (p[0] & 1) {
			struct pm_section s;
			bool ram;

			pm_mem_read_lock();
			pm_as_translate(as, addr, len, &s);
			ram = s.mr && pm_mr_kind(s.mr) == PM_MR_RAM && !s.readonly && s.len >= len;
			pm_mem_read_unlock();
			if (pm_as_write(as, addr, val, len) == 0 && pm_as_read(as, addr, &back, len) == 0 && ram &&
			    back != (len == 8 ? val : val & ((1ull << (8 * len)) - 1)))
				abort();
		} else {
			(void)pm_as_read(as, addr, &back, len);
		}
	}
	pm_mem_free(mem);
	return 0;
}
