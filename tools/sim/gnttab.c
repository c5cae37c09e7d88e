/*
 * tools/sim/gnttab.c - a domain's grant table, version 1
 * (xen/include/public/grant_table.h), and the grant_table_op a guest makes
 *
 * The table's frames belong to the simulator, not to the guest's RAM:
 * taken from the pool when the table grows (Xen's starts at one frame and
 * grows to max_grant_frames, 64 by default), never counted in tot_pages,
 * back to the pool when the domain goes. XENMEM_add_to_physmap puts frame
 * i at a guest pfn, where the P2M shows it as foreign (the frame is not
 * the guest's own): what was RAM there is freed, as Xen frees it, and the
 * frame leaves the pfn it had before. The entries GNTTAB_RESERVED_CONSOLE
 * and _XENSTORE are seeded as libxl seeds them: access to the console and
 * store pages for dom0.
 *
 * Only version 1 is offered, as Xen with gnttab=max-ver:1 (or xl's
 * max_grant_version = 1) does: set_version to 2 answers -ENOSYS. An HVM
 * guest may call query_size, setup_table, set_version and get_version
 * here; the other operations answer -ENOSYS.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/hvm/params.h>

#include "vcpu.h"

#define PAGE 4096ull
#define GNTTAB_CMD_MASK 0xfffu   /* the rest of cmd: a continuation's, never a guest's */
/* grant_table.h hides these behind __XEN_INTERFACE_VERSION__ */
#define GNTTABOP_set_version 8
#define GNTTABOP_get_version 10

/* the frame index @i of @d's table, or PM_P2M_INVALID */
static uint64_t frame_of(const struct sim_domain *d, uint32_t i)
{
	return i < d->gnttab.nr_frames ? d->gnttab.mfn[i] : PM_P2M_INVALID;
}

/* write the reserved entries into frame 0 (allocated) */
static void seed(struct sim *s, struct sim_domain *d)
{
	static const uint32_t param[] = { HVM_PARAM_CONSOLE_PFN, HVM_PARAM_STORE_PFN };
	struct grant_entry_v1 *e = (struct grant_entry_v1 *)((char *)s->pool_map + d->gnttab.mfn[0] * PAGE);

	for (unsigned int r = 0; r < 2; r++) {   /* GNTTAB_RESERVED_CONSOLE, _XENSTORE */
		uint64_t pfn = d->params[param[r]];

		if (!pfn || pfn > UINT32_MAX) {
			memset(&e[r], 0, sizeof(e[r]));
			continue;
		}
		e[r].domid = 0;   /* the console and store are dom0's on the simulator */
		e[r].frame = (uint32_t)pfn;
		__atomic_store_n(&e[r].flags, (uint16_t)GTF_permit_access, __ATOMIC_RELEASE);
	}
}

void sim_gnttab_seed(struct sim *s, struct sim_domain *d)
{
	if (d->gnttab.nr_frames)
		seed(s, d);
}

/*
 * grow @d's table to @nr frames (at least one), zeroed, the reserved
 * entries seeded when frame 0 comes. returns: 0; -EINVAL (beyond the
 * maximum); -ENOMEM (the pool)
 */
static int grow(struct sim *s, struct sim_domain *d, uint32_t nr)
{
	struct sim_gnttab *g = &d->gnttab;
	uint32_t first = g->nr_frames;

	if (nr < 1)
		nr = 1;
	if (nr > SIM_GNTTAB_MAX_FRAMES)
		return -EINVAL;
	while (g->nr_frames < nr) {
		struct sim_extent *run = NULL;
		long n = sim_pool_alloc(&s->pool, 1, &run);

		if (n != 1) {
			if (n > 0)
				sim_pool_free(&s->pool, run[0].start, 1);
			free(run);
			return -ENOMEM;   /* the frames taken so far stay: the table grew that far */
		}
		g->mfn[g->nr_frames] = run[0].start;
		g->gpfn[g->nr_frames] = PM_P2M_INVALID;
		free(run);
		memset((char *)s->pool_map + g->mfn[g->nr_frames] * PAGE, 0, PAGE);
		g->nr_frames++;
	}
	if (!first && g->nr_frames)
		seed(s, d);
	return 0;
}

void sim_gnttab_free(struct sim *s, struct sim_domain *d)
{
	for (uint32_t i = 0; i < d->gnttab.nr_frames; i++)
		sim_pool_free(&s->pool, d->gnttab.mfn[i], 1);
	d->gnttab.nr_frames = 0;
}

long sim_gnttab_add_to_physmap(struct sim *s, struct sim_domain *d, uint64_t idx, uint64_t gpfn)
{
	struct sim_gnttab *g = &d->gnttab;
	uint64_t e, old;
	int kind, rc;

	if (idx >= SIM_GNTTAB_MAX_FRAMES || gpfn >= d->max_pfn)
		return -EINVAL;   /* a status frame (XENMAPIDX_grant_table_status) is v2's: beyond the table too */
	e = pm_p2m_lookup(d->p2m, gpfn);
	kind = pm_p2m_kind_of(e);
	if (kind == PM_P2M_IDENTITY)
		return -EPERM;    /* a hole passed through, as Xen refuses p2m_mmio_direct */
	rc = grow(s, d, (uint32_t)idx + 1);
	if (rc)
		return rc;
	if (g->gpfn[idx] == gpfn)
		return 0;
	/* what is at gpfn goes: RAM back to the pool, another table frame unhooked */
	if (kind == PM_P2M_RAM && sim_decrease(s, d, gpfn, 1) != 1)
		return -EIO;
	for (uint32_t i = 0; kind == PM_P2M_FOREIGN && i < g->nr_frames; i++)
		if (g->gpfn[i] == gpfn)
			g->gpfn[i] = PM_P2M_INVALID;
	/* the frame leaves its old place */
	old = g->gpfn[idx];
	if (old != PM_P2M_INVALID) {
		rc = pm_p2m_clear_range(d->p2m, old, old + 1);
		if (rc)
			return rc;
		g->gpfn[idx] = PM_P2M_INVALID;
		sim_changed(d, old, 1);
	}
	rc = pm_p2m_set_range(d->p2m, gpfn, frame_of(d, (uint32_t)idx) | PM_P2M_FOREIGN_BIT, 1);
	if (rc)
		return rc;
	g->gpfn[idx] = gpfn;
	sim_changed(d, gpfn, 1);
	return 0;
}

/* ---- grant_table_op ---- */

static int copy_in(struct sim_vcpu *v, uint64_t gpa, void *buf, size_t len)
{
	return sim_guest_copy(v->s, v->d, gpa, buf, len, false);
}

static int copy_out(struct sim_vcpu *v, uint64_t gpa, const void *buf, size_t len)
{
	return sim_guest_copy(v->s, v->d, gpa, (void *)buf, len, true);
}

/* the status of asking about domain @dom: GNTST_okay for the caller itself */
static int16_t who(struct sim_vcpu *v, uint16_t dom)
{
	if (dom == DOMID_SELF || dom == v->d->domid)
		return GNTST_okay;
	/* another domain's table is its toolstack's to ask about (Xen's XSM default) */
	return sim_domain_find(v->s, dom) ? GNTST_permission_denied : GNTST_bad_domain;
}

/*
 * struct gnttab_setup_table: dom u16, nr_frames u32 at 4, status i16 at
 * 8, frame_list (a handle of xen_pfn_t) at 12 on x86_32, else at 16. For
 * a translated guest each frame is named by the pfn it is mapped at, or
 * all ones where it is not mapped (Xen's M2P says no pfn).
 */
static long setup_table(struct sim_vcpu *v, uint64_t arg)
{
	unsigned int w = sim_guest_word(v);
	uint8_t b[24];
	uint64_t list = 0;
	uint32_t nr;
	uint16_t dom;
	int16_t st;

	if (copy_in(v, arg, b, w == 8 ? 24 : 16))
		return -EFAULT;
	memcpy(&dom, b, 2);
	memcpy(&nr, b + 4, 4);
	memcpy(&list, b + (w == 8 ? 16 : 12), w);
	st = who(v, dom);
	if (st == GNTST_okay) {
		if (nr > SIM_GNTTAB_MAX_FRAMES || grow(v->s, v->d, nr))
			st = GNTST_general_error;
		for (uint32_t i = 0; st == GNTST_okay && i < nr; i++) {
			uint64_t pfn = v->d->gnttab.gpfn[i];

			if (pfn == PM_P2M_INVALID && w == 4)
				pfn = UINT32_MAX;
			if (copy_out(v, list + (uint64_t)i * w, &pfn, w))
				st = GNTST_bad_virt_addr;
		}
	}
	return copy_out(v, arg + 8, &st, sizeof(st)) ? -EFAULT : 0;
}

/* struct gnttab_query_size: dom u16, nr_frames u32 at 4, max_nr_frames at 8, status i16 at 12 */
static long query_size(struct sim_vcpu *v, uint64_t arg)
{
	struct { uint16_t dom, pad; uint32_t nr, max; int16_t status, pad2; } q;

	if (copy_in(v, arg, &q, sizeof(q)))
		return -EFAULT;
	q.status = who(v, q.dom);
	if (q.status == GNTST_okay) {
		q.nr = v->d->gnttab.nr_frames ? v->d->gnttab.nr_frames : 1;   /* Xen's table starts at one */
		q.max = SIM_GNTTAB_MAX_FRAMES;
	}
	return copy_out(v, arg, &q, sizeof(q)) ? -EFAULT : 0;
}

long sim_gnttab_op(struct sim_vcpu *v, uint64_t cmd, uint64_t arg, uint64_t count)
{
	struct { uint16_t dom, pad; uint32_t version; } gv;
	uint32_t version;

	if (cmd > GNTTAB_CMD_MASK)
		return -EINVAL;
	switch (cmd) {
	case GNTTABOP_setup_table:
	case GNTTABOP_query_size:
	case GNTTABOP_set_version:
	case GNTTABOP_get_version:
		if ((uint32_t)count != 1)
			return -EINVAL;
		break;
	default:
		return -ENOSYS;   /* what an HVM guest may not call, and what is not built yet */
	}
	switch (cmd) {
	case GNTTABOP_setup_table:
		return setup_table(v, arg);
	case GNTTABOP_query_size:
		return query_size(v, arg);
	case GNTTABOP_set_version:
		if (copy_in(v, arg, &version, sizeof(version)))
			return -EFAULT;
		if (version != 1 && version != 2)
			return -EINVAL;
		if (version == 2)
			return -ENOSYS;   /* as Xen whose maximum is version 1 */
		return copy_out(v, arg, &version, sizeof(version)) ? -EFAULT : 0;
	case GNTTABOP_get_version:
		if (copy_in(v, arg, &gv, sizeof(gv)))
			return -EFAULT;
		if (gv.dom != DOMID_SELF && gv.dom != v->d->domid)
			return sim_domain_find(v->s, gv.dom) ? -EPERM : -ESRCH;
		gv.version = 1;
		return copy_out(v, arg, &gv, sizeof(gv)) ? -EFAULT : 0;
	}
	return -ENOSYS;
}
