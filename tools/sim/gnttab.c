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
 * A backend (a client of the simulator: dom0, physmap-dm) maps a guest's
 * grant: the entry must permit access to dom0 (GTF_permit_access, not
 * GTF_readonly for a writable map) and name a RAM pfn; GTF_reading and
 * GTF_writing are set in it while mapped, as Xen sets them, and the frame
 * is held: a guest that gives the page back meanwhile loses its pfn, but
 * the frame returns to the pool only at the last unmap (Xen's page
 * reference). A writable map marks the page dirty when it goes; a
 * client's maps go with its connection.
 *
 * A guest is a backend too (a driver domain): GNTTABOP_map_grant_ref puts
 * another domain's granted frame into its own P2M at the pfn it names,
 * foreign (read-only where GNTMAP_readonly: its vCPUs may not write it),
 * under the same checks and flags; GNTTABOP_unmap_grant_ref takes it out;
 * GNTTABOP_copy moves bytes between grants and its own frames, pinning
 * each grant for the copy. A domain that goes loses its maps first.
 *
 * Only version 1 is offered, as Xen with gnttab=max-ver:1 (or xl's
 * max_grant_version = 1) does: set_version to 2 answers -ENOSYS. An HVM
 * guest may call query_size, setup_table, set_version, get_version, map,
 * unmap and copy here; the other operations answer -ENOSYS.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/hvm/params.h>

#include "failalloc.h"
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

/* the handle of @by's grant map at its pfn @pfn, or -1 */
static long map_at(const struct sim *s, uint32_t by, uint64_t pfn)
{
	for (uint32_t i = 0; i < s->nr_gmaps; i++)
		if (s->gmaps[i].client == SIM_GNT_BY_GUEST && s->gmaps[i].by == by && s->gmaps[i].at == pfn)
			return i;
	return -1;
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

static void unmap(struct sim *s, uint32_t h);

void sim_gnttab_free(struct sim *s, struct sim_domain *d)
{
	/* the grants it maps go first (its P2M goes with it) */
	for (uint32_t h = s->nr_gmaps; h-- > 0;)
		if (h < s->nr_gmaps && s->gmaps[h].client == SIM_GNT_BY_GUEST && s->gmaps[h].by == d->domid) {
			s->gmaps[h].at = PM_P2M_INVALID;
			unmap(s, h);
		}
	for (uint32_t i = 0; i < d->gnttab.nr_frames; i++)
		sim_pool_free(&s->pool, d->gnttab.mfn[i], 1);
	d->gnttab.nr_frames = 0;
	for (uint32_t h = 0; h < s->nr_gmaps; h++)   /* its grants still mapped name no domain now */
		if (s->gmaps[h].client >= 0 && s->gmaps[h].domid == d->domid)
			s->gmaps[h].domid = UINT32_MAX;
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
	if (kind == PM_P2M_FOREIGN && map_at(s, d->domid, gpfn) >= 0)
		return -EINVAL;   /* a grant it maps there: unmapped first, as Xen asks */
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
		sim_changed(s, d, old, 1);
	}
	rc = pm_p2m_set_range(d->p2m, gpfn, frame_of(d, (uint32_t)idx) | PM_P2M_FOREIGN_BIT, 1);
	if (rc)
		return rc;
	g->gpfn[idx] = gpfn;
	sim_changed(s, d, gpfn, 1);
	return 0;
}

/* ---- a backend's maps ---- */

#define GNT_MAPS_MAX 262144   /* Xen's default maptrack: 1024 frames of 256 */
#define GNT_GUEST_MAPS_MAX 16384   /* a guest's own maps: the rest stays dom0's backends' */
#define ENTRIES_PER_FRAME (PAGE / sizeof(struct grant_entry_v1))

/* @d's entry @ref, or NULL where the table has no such entry */
static struct grant_entry_v1 *entry(struct sim *s, struct sim_domain *d, uint32_t ref)
{
	uint32_t f = ref / ENTRIES_PER_FRAME;

	if (f >= d->gnttab.nr_frames)
		return NULL;
	return (struct grant_entry_v1 *)((char *)s->pool_map + d->gnttab.mfn[f] * PAGE) + ref % ENTRIES_PER_FRAME;
}

/* how many live maps hold @domid's @ref (writable ones only: @rw) */
static unsigned int pins(const struct sim *s, uint32_t domid, uint32_t ref, bool rw)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < s->nr_gmaps; i++)
		n += s->gmaps[i].client >= 0 && s->gmaps[i].domid == domid && s->gmaps[i].ref == ref &&
		     (!rw || !s->gmaps[i].readonly);
	return n;
}

/* whether a domain other than @by holds @domid's @ref (Xen's active entry names one mapper) */
static bool pinned_by_other(const struct sim *s, uint32_t by, uint32_t domid, uint32_t ref)
{
	for (uint32_t i = 0; i < s->nr_gmaps; i++)
		if (s->gmaps[i].client >= 0 && s->gmaps[i].domid == domid && s->gmaps[i].ref == ref &&
		    s->gmaps[i].by != by)
			return true;
	return false;
}

/* set or clear @bits in an entry's flags, atomically (the guest may change it meanwhile) */
static bool entry_flags(struct grant_entry_v1 *e, uint16_t domid, uint16_t set, uint16_t clear, bool check,
			bool readonly)
{
	uint16_t f = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

	for (int tries = 0; tries < 4; tries++) {
		if (check && ((f & GTF_type_mask) != GTF_permit_access || e->domid != domid ||
			      (!readonly && (f & GTF_readonly))))
			return false;
		if (__atomic_compare_exchange_n(&e->flags, &f, (uint16_t)((f | set) & ~clear), false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return true;
	}
	return false;   /* an entry changing under us four times: Xen gives up too */
}

/* a free handle: a gap, or the next one (room made for it). returns: it; -ENOSPC; -ENOMEM */
static long free_slot(struct sim *s)
{
	for (uint32_t h = 0; h < s->nr_gmaps; h++)
		if (s->gmaps[h].client < 0)
			return h;
	if (s->nr_gmaps == GNT_MAPS_MAX)
		return -ENOSPC;
	if (s->nr_gmaps == s->cap_gmaps) {
		uint32_t cap = s->cap_gmaps ? 2 * s->cap_gmaps : 64;
		struct sim_gnt_map *g = pm_t_realloc(s->gmaps, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		s->gmaps = g;
		s->cap_gmaps = cap;
	}
	return s->nr_gmaps;
}

/* the reading and writing flags @domid's @ref should have with the maps held now */
static uint16_t unheld(const struct sim *s, uint32_t domid, uint32_t ref)
{
	return (uint16_t)((pins(s, domid, ref, true) ? 0 : GTF_writing) | (pins(s, domid, ref, false) ? 0 : GTF_reading));
}

/*
 * domain @by (for connection @client) pins @domid's grant @ref: the entry
 * checked and marked as Xen marks it, a handle taken for it.
 * returns: the handle; -ENOENT (no such guest); -ERANGE (no such entry);
 * -EACCES (it grants nothing to @by, or not writably, or another domain
 * holds it); -EFAULT (the frame it names is not RAM); -ENOSPC; -ENOMEM
 */
static long pin(struct sim *s, int client, uint32_t by, uint32_t domid, uint32_t ref, bool readonly)
{
	struct sim_domain *d = sim_domain_find(s, domid);
	struct grant_entry_v1 *e;
	uint64_t p2m, pfn;
	long h;

	if (!d || !domid)
		return -ENOENT;
	e = entry(s, d, ref);
	if (!e)
		return -ERANGE;   /* GNTST_bad_gntref */
	if (pinned_by_other(s, by, domid, ref))
		return -EACCES;
	h = free_slot(s);
	if (h < 0)
		return h;
	if (!entry_flags(e, (uint16_t)by, readonly ? GTF_reading : GTF_reading | GTF_writing, 0, true, readonly))
		return -EACCES;
	pfn = __atomic_load_n(&e->frame, __ATOMIC_ACQUIRE);
	p2m = pfn < d->max_pfn ? pm_p2m_lookup(d->p2m, pfn) : PM_P2M_INVALID;
	if (pm_p2m_kind_of(p2m) != PM_P2M_RAM || p2m >= s->pool.total) {
		entry_flags(e, 0, 0, unheld(s, domid, ref), false, true);   /* GNTST_bad_page: as it was */
		return -EFAULT;
	}
	if (h == s->nr_gmaps)
		s->nr_gmaps++;
	s->gmaps[h] = (struct sim_gnt_map){ .client = client, .domid = domid, .ref = ref, .by = by, .mfn = p2m,
					    .pfn = pfn, .at = PM_P2M_INVALID, .readonly = readonly };
	return h;
}

long sim_gnttab_map(struct sim *s, int client, uint32_t domid, uint32_t ref, bool readonly, uint64_t *mfn)
{
	long h = pin(s, client, 0, domid, ref, readonly);

	if (h == -ERANGE)
		return -EINVAL;
	if (h == -EACCES) {
		struct grant_entry_v1 *e = entry(s, sim_domain_find(s, domid), ref);

		return !readonly && (__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & GTF_readonly) ? -EPERM : -EINVAL;
	}
	if (h >= 0)
		*mfn = s->gmaps[h].mfn;
	return h;
}

/* the map @h goes: the entry's flags when it was the last, the page dirty, an orphaned frame freed */
static void unmap(struct sim *s, uint32_t h)
{
	struct sim_gnt_map *m = &s->gmaps[h];
	struct sim_domain *d = sim_domain_find(s, m->domid);
	struct grant_entry_v1 *e = d ? entry(s, d, m->ref) : NULL;
	uint64_t mfn = m->mfn;
	bool orphan = m->orphan, held = false;

	m->client = -1;
	if (e)
		entry_flags(e, 0, 0, unheld(s, m->domid, m->ref), false, true);
	if (d && !m->readonly && !orphan)
		sim_dirty_mark(d, m->pfn);   /* the backend wrote it, unseen: as Xen's gnttab_mark_dirty */
	for (uint32_t i = 0; orphan && i < s->nr_gmaps; i++)
		held |= s->gmaps[i].client >= 0 && s->gmaps[i].mfn == mfn;
	if (orphan && !held)
		sim_pool_free(&s->pool, mfn, 1);
	while (s->nr_gmaps && s->gmaps[s->nr_gmaps - 1].client < 0)
		s->nr_gmaps--;
}

int sim_gnttab_unmap(struct sim *s, int client, uint32_t handle)
{
	if (handle >= s->nr_gmaps || s->gmaps[handle].client != client)
		return -EINVAL;   /* GNTST_bad_handle */
	unmap(s, handle);
	return 0;
}

void sim_gnttab_client_gone(struct sim *s, int client)
{
	for (uint32_t h = s->nr_gmaps; h-- > 0;)
		if (h < s->nr_gmaps && s->gmaps[h].client == client)
			unmap(s, h);
}

bool sim_gnttab_readonly(const struct sim *s, uint32_t domid, uint64_t pfn)
{
	long h = map_at(s, domid, pfn);

	return h >= 0 && s->gmaps[h].readonly;
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

/* how many grants guest @by maps */
static uint32_t maps_by(const struct sim *s, uint32_t by)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->nr_gmaps; i++)
		n += s->gmaps[i].client == SIM_GNT_BY_GUEST && s->gmaps[i].by == by;
	return n;
}

/* a refused pin as a guest's status */
static int16_t status_of(long rc)
{
	switch (rc) {
	case -ENOENT:
		return GNTST_bad_domain;
	case -ERANGE:
		return GNTST_bad_gntref;
	case -EFAULT:
		return GNTST_bad_page;
	case -ENOSPC:
	case -ENOMEM:
		return GNTST_no_device_space;
	}
	return GNTST_general_error;
}

/*
 * struct gnttab_map_grant_ref, the same on every ABI: host_addr u64,
 * flags u32 at 8, ref u32 at 12, dom u16 at 16, status i16 at 18, handle
 * u32 at 20, dev_bus_addr u64 at 24
 */
struct map_op {
	uint64_t host_addr;
	uint32_t flags, ref;
	uint16_t dom;
	int16_t status;
	uint32_t handle;
	uint64_t dev_bus_addr;
};

/*
 * a translated guest's map: GNTMAP_host_map (and GNTMAP_readonly) only;
 * the frame goes into its P2M at host_addr's pfn, foreign, as Xen's
 * p2m_grant_map_rw/ro (RAM there is freed; a hole or another foreign
 * frame refuses)
 */
static int16_t map_one(struct sim_vcpu *v, struct map_op *op)
{
	struct sim *s = v->s;
	struct sim_domain *d = v->d;
	uint64_t gfn = op->host_addr / PAGE;
	int kind;
	long h;

	if (!(op->flags & (GNTMAP_device_map | GNTMAP_host_map)))
		return GNTST_bad_gntref;
	if ((op->flags & ~(uint32_t)GNTMAP_readonly) != GNTMAP_host_map)
		return GNTST_general_error;   /* device, application and PTE maps are a PV guest's */
	if (gfn >= d->max_pfn)
		return GNTST_general_error;
	kind = pm_p2m_kind_of(pm_p2m_lookup(d->p2m, gfn));
	if (kind == PM_P2M_IDENTITY || kind == PM_P2M_FOREIGN)
		return GNTST_general_error;
	if (maps_by(s, d->domid) >= GNT_GUEST_MAPS_MAX)
		return GNTST_no_device_space;   /* as Xen past the domain's maptrack frames */
	h = pin(s, SIM_GNT_BY_GUEST, d->domid, op->dom, op->ref, op->flags & GNTMAP_readonly);
	if (h < 0)
		return status_of(h);
	if ((kind == PM_P2M_RAM && sim_decrease(s, d, gfn, 1) != 1) ||
	    pm_p2m_set_range(d->p2m, gfn, s->gmaps[h].mfn | PM_P2M_FOREIGN_BIT, 1)) {
		unmap(s, (uint32_t)h);
		return GNTST_general_error;
	}
	s->gmaps[h].at = gfn;
	sim_changed(s, d, gfn, 1);
	op->handle = (uint32_t)h;
	op->dev_bus_addr = s->gmaps[h].mfn * PAGE;   /* Xen's mfn_to_maddr */
	return GNTST_okay;
}

/* struct gnttab_unmap_grant_ref: host_addr u64, dev_bus_addr u64 at 8, handle u32 at 16, status i16 at 20 */
struct unmap_op {
	uint64_t host_addr, dev_bus_addr;
	uint32_t handle;
	int16_t status;
	uint16_t pad;
};

/* the guest's map @op->handle goes from its P2M (host_addr 0: as Xen, nothing is undone) */
static int16_t unmap_one(struct sim_vcpu *v, const struct unmap_op *op)
{
	struct sim *s = v->s;
	struct sim_domain *d = v->d;
	struct sim_gnt_map *m;

	if (op->handle >= s->nr_gmaps || s->gmaps[op->handle].client != SIM_GNT_BY_GUEST ||
	    s->gmaps[op->handle].by != d->domid || s->gmaps[op->handle].at == PM_P2M_INVALID)
		return GNTST_bad_handle;
	m = &s->gmaps[op->handle];
	if (op->dev_bus_addr && op->dev_bus_addr != m->mfn * PAGE)
		return GNTST_general_error;
	if (!op->host_addr)
		return GNTST_okay;
	if (op->host_addr / PAGE != m->at || pm_p2m_clear_range(d->p2m, m->at, m->at + 1))
		return GNTST_general_error;
	sim_changed(s, d, m->at, 1);
	m->at = PM_P2M_INVALID;
	unmap(s, op->handle);
	return GNTST_okay;
}

/*
 * struct gnttab_copy: source and dest, each { a grant ref (u32) or a
 * frame (xen_pfn_t), domid u16, offset u16 }, then len u16, flags u16 and
 * status i16; xen_pfn_t is 8 bytes but on x86_32
 */
struct copy_side {
	uint64_t u;
	uint16_t domid, offset;
};

/*
 * one side of a copy: a grant of @c->domid's, pinned for the copy (*h), or
 * (DOMID_SELF only, as Xen) a RAM frame of the caller's own; *frame its bytes
 */
static int16_t side(struct sim_vcpu *v, const struct copy_side *c, bool gref, bool write, long *h, char **frame)
{
	struct sim *s = v->s;
	uint32_t dom = c->domid == DOMID_SELF ? v->d->domid : c->domid;
	uint64_t e;

	*h = -1;
	if (!gref) {
		if (c->domid != DOMID_SELF)
			return GNTST_permission_denied;
		e = c->u < v->d->max_pfn ? pm_p2m_lookup(v->d->p2m, c->u) : PM_P2M_INVALID;
		if (pm_p2m_kind_of(e) != PM_P2M_RAM || e >= s->pool.total)
			return GNTST_bad_page;
		*frame = (char *)s->pool_map + e * PAGE;
		return GNTST_okay;
	}
	*h = pin(s, SIM_GNT_BY_GUEST, v->d->domid, dom, (uint32_t)c->u, !write);
	if (*h < 0) {
		int16_t st = status_of(*h);

		*h = -1;
		return st;
	}
	*frame = (char *)s->pool_map + s->gmaps[*h].mfn * PAGE;
	return GNTST_okay;
}

/* one copy: both sides claimed, the bytes moved, the written page dirty */
static int16_t copy_one(struct sim_vcpu *v, const struct copy_side *src, const struct copy_side *dst, uint16_t len,
			uint16_t flags)
{
	bool dgref = flags & GNTCOPY_dest_gref;
	long hs = -1, hd = -1;
	char *from = NULL, *to = NULL;
	int16_t st;

	if ((src->domid != DOMID_SELF && !(flags & GNTCOPY_source_gref)) || (dst->domid != DOMID_SELF && !dgref))
		return GNTST_permission_denied;
	st = side(v, src, flags & GNTCOPY_source_gref, false, &hs, &from);
	if (st == GNTST_okay)
		st = side(v, dst, dgref, true, &hd, &to);
	if (st == GNTST_okay && ((uint32_t)src->offset + len > PAGE || (uint32_t)dst->offset + len > PAGE))
		st = GNTST_bad_copy_arg;
	if (st == GNTST_okay) {
		memmove(to + dst->offset, from + src->offset, len);
		if (!dgref)
			sim_dirty_mark(v->d, dst->u);
	}
	if (hd >= 0)
		unmap(v->s, (uint32_t)hd);   /* the granter's page dirty, as Xen's release */
	if (hs >= 0)
		unmap(v->s, (uint32_t)hs);
	return st;
}

/* @count map, unmap or copy operations at @arg, each status written back. returns: 0; -EFAULT */
static long batch(struct sim_vcpu *v, uint64_t cmd, uint64_t arg, uint32_t count)
{
	unsigned int w = sim_guest_word(v);
	size_t size = cmd == GNTTABOP_map_grant_ref ? sizeof(struct map_op) :
		      cmd == GNTTABOP_unmap_grant_ref ? sizeof(struct unmap_op) : (w == 8 ? 40 : 24);

	for (uint32_t i = 0; i < count; i++) {
		uint64_t at = arg + (uint64_t)i * size;
		uint8_t b[40];
		int16_t st;

		if (copy_in(v, at, b, size))
			return -EFAULT;
		if (cmd == GNTTABOP_map_grant_ref) {
			struct map_op op;

			memcpy(&op, b, sizeof(op));
			op.status = map_one(v, &op);
			if (copy_out(v, at, &op, sizeof(op)))
				return -EFAULT;
			continue;
		}
		if (cmd == GNTTABOP_unmap_grant_ref) {
			struct unmap_op op;

			memcpy(&op, b, sizeof(op));
			st = unmap_one(v, &op);
			if (copy_out(v, at + 20, &st, sizeof(st)))
				return -EFAULT;
			continue;
		}
		{
			struct copy_side src = { 0 }, dst = { 0 };
			unsigned int half = w == 8 ? 16 : 8;
			uint16_t len, flags;

			memcpy(&src.u, b, w);
			memcpy(&src.domid, b + w, 2);
			memcpy(&src.offset, b + w + 2, 2);
			memcpy(&dst.u, b + half, w);
			memcpy(&dst.domid, b + half + w, 2);
			memcpy(&dst.offset, b + half + w + 2, 2);
			memcpy(&len, b + 2 * half, 2);
			memcpy(&flags, b + 2 * half + 2, 2);
			st = copy_one(v, &src, &dst, len, flags);
			if (copy_out(v, at + 2 * half + 4, &st, sizeof(st)))
				return -EFAULT;
		}
	}
	return 0;
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
	case GNTTABOP_map_grant_ref:
	case GNTTABOP_unmap_grant_ref:
	case GNTTABOP_copy:
		return batch(v, cmd, arg, (uint32_t)count);
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
