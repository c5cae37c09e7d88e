/*
 * exec-flash.c - a serial flash behind a controller, with a read-only
 * linear window a guest executes from: the case QEMU's mmio-exec was made
 * for (Xilinx's LQSPI linear mode)
 *
 * The window ([addr, addr + size), 64 KiB unless the device list says)
 * reads the flash's contents and ignores writes. A guest that jumps into it
 * gets, through mmio-exec, a RAM copy of the whole window to run from. The
 * controller's register block follows the window (4 KiB):
 *
 *   0x00 ADDR    offset in the window the next DATA write programs
 *   0x04 DATA    writes the 32-bit word at ADDR, then ADDR += 4
 *   0x08 EXECS   read: copies handed out for execution
 *   0x0c INVALS  read: times the copies were taken back
 *   0x10 ERASE   write: every byte of the flash becomes 0xff
 *
 * Programming or erasing takes back every copy handed out
 * (pm_mr_invalidate_exec): the next fetch from the window asks again and
 * runs the new contents.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dm.h"

#define DEFAULT_SIZE 0x10000u
#define REGS_SIZE 0x1000u
#define PAGE 4096u

enum { ADDR = 0x00, DATA = 0x04, EXECS = 0x08, INVALS = 0x0c, ERASE = 0x10 };

struct xflash {
	struct pm_mem *mem;
	struct pm_mr *window;
	uint8_t *data;
	uint64_t size;
	uint32_t addr, execs, invals;
	bool handed_out;         /* a copy is out: the next change takes it back */
	char name[64];
};

static void xflash_free(void *opaque)
{
	struct xflash *f = opaque;

	if (!f)
		return;
	free(f->data);
	free(f);
}

static void changed(struct xflash *f)
{
	if (!f->handed_out)
		return;
	f->handed_out = false;
	if (pm_mr_invalidate_exec(f->window) > 0)
		f->invals++;
}

static uint64_t window_read(void *opaque, uint64_t addr, unsigned size)
{
	struct xflash *f = opaque;
	uint64_t v = 0;

	for (unsigned i = 0; i < size && addr + i < f->size; i++)
		v |= (uint64_t)f->data[addr + i] << (8 * i);
	return v;
}

static void window_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	(void)opaque, (void)addr, (void)val, (void)size;   /* read-only in linear mode */
}

static struct pm_mr *window_exec(void *opaque, uint64_t offset, uint64_t *at)
{
	struct xflash *f = opaque;
	struct pm_mr *ram;
	char name[80];

	(void)offset;
	snprintf(name, sizeof(name), "%s.exec", f->name);
	ram = pm_mr_new_ram(f->mem, name, f->size);
	if (!ram)
		return NULL;
	memcpy(pm_mr_ram(ram), f->data, f->size);
	*at = 0;
	f->execs++;
	f->handed_out = true;
	return ram;
}

static uint64_t regs_read(void *opaque, uint64_t addr, unsigned size)
{
	struct xflash *f = opaque;

	(void)size;
	switch (addr) {
	case ADDR:
		return f->addr;
	case EXECS:
		return f->execs;
	case INVALS:
		return f->invals;
	}
	return 0;
}

static void regs_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	struct xflash *f = opaque;

	(void)size;
	switch (addr) {
	case ADDR:
		f->addr = (uint32_t)val & ~3u;
		break;
	case DATA:
		if (f->addr + 4 > f->size)
			break;
		for (unsigned i = 0; i < 4; i++)
			f->data[f->addr + i] = (uint8_t)(val >> (8 * i));
		f->addr += 4;
		changed(f);
		break;
	case ERASE:
		memset(f->data, 0xff, f->size);
		changed(f);
		break;
	}
}

/*
 * the state a save carries: the registers and the flash's contents. A copy
 * handed out is not: the guest on the other side asks for one anew.
 */
static int xflash_save(void *opaque, struct pm_vmstate_buf *out)
{
	const struct xflash *f = opaque;
	uint64_t w[4] = { f->size, f->addr, f->execs, f->invals };
	int rc = pm_vmstate_put(out, w, sizeof(w));

	return rc ? rc : pm_vmstate_put(out, f->data, f->size);
}

static int xflash_load(void *opaque, const uint8_t *buf, size_t len)
{
	struct xflash *f = opaque;
	uint64_t w[4];

	if (len < sizeof(w))
		return -EINVAL;
	memcpy(w, buf, sizeof(w));
	if (w[0] != f->size || len != sizeof(w) + f->size || w[1] > f->size)
		return -EINVAL;
	f->addr = (uint32_t)w[1], f->execs = (uint32_t)w[2], f->invals = (uint32_t)w[3];
	memcpy(f->data, buf + sizeof(w), f->size);
	changed(f);
	return 0;
}

static const struct pm_vmstate_ops xflash_vmstate = { xflash_save, xflash_load };

static const struct pm_mr_ops window_ops = {
	.read = window_read, .write = window_write, .request_exec = window_exec,
	.endianness = PM_ENDIAN_LITTLE,
	.valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

static const struct pm_mr_ops regs_ops = {
	.read = regs_read, .write = regs_write,
	.endianness = PM_ENDIAN_LITTLE,
	.valid = { .min_access_size = 4, .max_access_size = 4 },
};

static int xflash_create(struct pm_dm *dm, const struct pm_dev_args *a, char *err, size_t errlen)
{
	uint64_t size = a->size ? a->size : DEFAULT_SIZE;
	struct pm_mr *regs = NULL;
	struct xflash *f;
	char name[80];
	int rc = -ENOMEM;

	if (a->pio || a->addr % PAGE || size % PAGE || size > (64u << 20) ||
	    a->addr + size + REGS_SIZE < a->addr) {
		snprintf(err, errlen, "needs whole pages of memory space, at most 64 MiB");
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->data = malloc(size))) {
		xflash_free(f);
		return -ENOMEM;
	}
	memset(f->data, 0xff, size);   /* erased */
	f->mem = dm->mem;
	f->size = size;
	snprintf(f->name, sizeof(f->name), "%s", a->name);
	snprintf(name, sizeof(name), "%s.regs", a->name);
	pm_mem_begin(dm->mem);
	f->window = pm_mr_new_mmio(dm->mem, a->name, size, &window_ops, f);
	if (!f->window) {
		xflash_free(f);
		goto out;
	}
	pm_mr_set_destructor(f->window, xflash_free, f);   /* the window owns the state */
	regs = pm_mr_new_mmio(dm->mem, name, REGS_SIZE, &regs_ops, f);
	if (!regs)
		goto out;
	rc = pm_mr_add_subregion(dm->sysmem, a->addr, f->window, 0);
	if (!rc)
		rc = pm_mr_add_subregion(dm->sysmem, a->addr + size, regs, 0);
	if (!rc)
		rc = pm_dm_vmstate_register(dm, a->name, &xflash_vmstate, f);
out:
	if (pm_mem_commit(dm->mem) && !rc)
		rc = -ENOMEM;
	if (rc)
		snprintf(err, errlen, "cannot map it (%s)", strerror(-rc));
	return rc;
}

const struct pm_hw pm_hw_exec_flash = {
	.model = "exec-flash",
	.summary = "flash with a read-only window to execute from (mmio-exec) and a programming block",
	.create = xflash_create,
};
