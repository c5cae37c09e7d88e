/*
 * exec.c - mmio-exec: executing from a device window
 *
 * A guest that jumps into an MMIO region (a flash controller in a mode that
 * is not plain ROM, say) cannot execute from callbacks. The device hands
 * back a RAM region with the contents; the core maps it as a subregion of
 * the MMIO region, above the region's own ops, and marks it exec. When the
 * device's contents change it calls pm_mr_invalidate_exec: the exec regions
 * leave the tree at once but are freed only after the RCU grace period that
 * follows, so a vCPU still executing from one (inside its read-side
 * critical section) keeps valid memory.
 */
#include <errno.h>
#include <stdlib.h>

#include "memory-internal.h"

#define EXEC_PAGE 4096u

static int retire(struct pm_mem *mem, struct pm_mr *mr)
{
	if (mem->nr_retire == mem->cap_retire) {
		size_t cap = mem->cap_retire ? 2 * mem->cap_retire : 4;
		struct pm_mr **v = realloc(mem->retire, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		mem->retire = v;
		mem->cap_retire = cap;
	}
	mem->retire[mem->nr_retire++] = mr;
	return 0;
}

int pm_as_request_exec(struct pm_as *as, uint64_t addr, struct pm_section *out)
{
	struct pm_mem *mem = as->mem;
	struct pm_mr *mmio, *ram;
	uint64_t offset, at = 0;
	int rc;

	pm_as_translate(as, addr, 1, out);
	if (!out->mr)
		return -ENXIO;
	if (out->mr->ram && (out->mr->kind != PM_MR_ROMD || out->mr->romd_mode))
		return 0;
	mmio = out->mr;
	offset = out->offset;
	if (mmio->kind != PM_MR_MMIO || !mmio->ops || !mmio->ops->request_exec)
		return -ENOTSUP;
	ram = mmio->ops->request_exec(mmio->opaque, offset, &at);
	if (!ram)
		return -ENOENT;
	if (ram->mem != mem || ram->kind != PM_MR_RAM || ram->parent || ram->nr_subs ||
	    ram->size == 0 || ram->size % EXEC_PAGE || at % EXEC_PAGE || at > offset ||
	    offset - at >= ram->size || (pm_u128)at + ram->size > mmio->size) {
		/* not usable: the device handed it over, so it is ours to free */
		if (!ram->parent && !ram->nr_subs && ram->mem == mem)
			pm_mr_free(ram);
		return -EINVAL;
	}
	ram->exec = true;
	pm_mem_begin(mem);
	rc = pm_mr_add_subregion(mmio, at, ram, 1);
	if (rc) {
		pm_mem_commit(mem);
		pm_mr_free(ram);
		return rc;
	}
	rc = pm_mem_commit(mem);
	if (rc)
		return rc;
	pm_as_translate(as, addr, 1, out);
	return 0;
}

int pm_mr_invalidate_exec(struct pm_mr *mmio)
{
	struct pm_mem *mem = mmio->mem;
	int n = 0, rc;

	pm_mem_begin(mem);
	for (size_t i = mmio->nr_subs; i-- > 0;) {
		struct pm_mr *sub = mmio->subs[i];

		if (!sub->exec)
			continue;
		if (retire(mem, sub)) {
			pm_mem_commit(mem);
			return -ENOMEM;
		}
		pm_mr_del_subregion(sub);
		n++;
	}
	rc = pm_mem_commit(mem);
	return rc ? rc : n;
}
