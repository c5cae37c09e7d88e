/*
 * subpage-test.c - a test device with several 256-byte register blocks in
 * one 4 KiB page, with holes between them: blocks 0, 1 and 3 at offsets
 * 0x000, 0x100 and 0x300 of the window; 0x200 and 0x400-0xfff are not the
 * device's. Each block is its own region, so the page is shared by several
 * sections and dispatch must go through a sub-page table (the 2013 a9-scu
 * trap: a block must not capture accesses to the rest of the page).
 *
 * A block has 64 32-bit registers. Register 0 reads as the block's id
 * ("SPT" << 8 | block); the others hold what was written (0 at reset).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dm.h"

#define BLOCK_SIZE 0x100u

static const unsigned blocks[] = { 0, 1, 3 };

struct spt_block {
	unsigned id;
	uint32_t regs[BLOCK_SIZE / 4];
};

static uint64_t spt_read(void *opaque, uint64_t addr, unsigned size)
{
	struct spt_block *b = opaque;

	(void)size;
	if (addr == 0)
		return 0x53505400u | b->id;
	return b->regs[addr / 4];
}

static void spt_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	struct spt_block *b = opaque;

	(void)size;
	if (addr != 0)
		b->regs[addr / 4] = (uint32_t)val;
}

static const struct pm_mr_ops spt_ops = {
	.read = spt_read, .write = spt_write,
	.endianness = PM_ENDIAN_LITTLE,
	.valid = { .min_access_size = 4, .max_access_size = 4 },
};

static int spt_create(struct pm_dm *dm, const struct pm_dev_args *a, char *err, size_t errlen)
{
	int rc = 0;

	if (a->addr % 0x1000) {
		snprintf(err, errlen, "addr: must be page aligned");
		return -EINVAL;
	}
	pm_mem_begin(dm->mem);
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]) && !rc; i++) {
		struct spt_block *b = calloc(1, sizeof(*b));
		char name[80];
		struct pm_mr *mr;

		if (!b) {
			rc = -ENOMEM;
			break;
		}
		b->id = blocks[i];
		snprintf(name, sizeof(name), "%s.block%u", a->name, blocks[i]);
		mr = pm_mr_new_mmio(dm->mem, name, BLOCK_SIZE, &spt_ops, b);
		if (!mr) {
			free(b);
			rc = -ENOMEM;
			break;
		}
		pm_mr_set_destructor(mr, free, b);
		rc = pm_mr_add_subregion(a->pio ? dm->io : dm->sysmem, a->addr + blocks[i] * BLOCK_SIZE, mr, 0);
	}
	if (pm_mem_commit(dm->mem) && !rc)
		rc = -ENOMEM;
	if (rc)
		snprintf(err, errlen, "cannot map it (%s)", strerror(-rc));
	return rc;
}

const struct pm_hw pm_hw_subpage_test = {
	.model = "subpage-test",
	.summary = "three 256-byte register blocks in one page (0x000, 0x100, 0x300)",
	.create = spt_create,
};
