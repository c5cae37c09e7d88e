/*
 * tests/fuzz/fuzz-region.c - libFuzzer target: any bytes as a region-tree
 * document (docs/specs/region-tree.md) through physmap-dm's loader
 *
 * A document that loads is written out again (pm_mem_mtree_json), and
 * that must load and write out the same; one that does not leaves one
 * error line and nothing allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *out = NULL, *out2 = NULL, err[256] = "";
	struct pm_mem *mem, *again;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	mem = pm_mem_load_json(text, NULL, err, sizeof(err));
	free(text);
	if (!mem) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		return 0;
	}
	if (pm_mem_mtree_json(mem, false, &out) < 0)
		abort();
	again = pm_mem_load_json(out, NULL, err, sizeof(err));
	if (!again || pm_mem_mtree_json(again, false, &out2) < 0 || strcmp(out, out2))
		abort();
	free(out);
	free(out2);
	pm_mem_free(again);
	pm_mem_free(mem);
	return 0;
}
