/*
 * access.c - an access through an address space (readers: inside
 * rcu_read_lock): the view's RAM directly (dirty logging marked), a
 * device's ops in the pieces it takes, write notifiers and coalesced
 * ranges first
 */
#include <string.h>

#include "memory-internal.h"

/* the largest power of two <= @n, at most 8, to which @addr is aligned */
static unsigned piece(uint64_t addr, uint64_t n)
{
	unsigned s = 8;

	while (s > n || addr % s)
		s /= 2;
	return s;
}

/* a write notifier of the view that takes this write, or NULL */
static const struct pm_wn *find_notifier(const struct pm_flatview *fv, uint64_t addr, uint64_t val,
					 unsigned size)
{
	size_t lo = 0, hi = fv->nr_wn;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fv->wn[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < fv->nr_wn && fv->wn[lo].addr == addr; lo++) {
		const struct pm_wn *w = &fv->wn[lo];

		if ((w->size == 0 || w->size == size) && (!w->match || w->data == val))
			return w;
	}
	return NULL;
}

static bool coalesced(const struct pm_flatview *fv, uint64_t addr, unsigned size)
{
	size_t lo = 0, hi = fv->nr_co;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fv->co[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < fv->nr_co && fv->co[lo].start <= addr && addr + size <= fv->co[lo].end;
}

/* an access that reaches a device's ops: notifiers and coalescing first */
static int device_access(struct pm_flatview *fv, struct pm_mr *mr, uint64_t addr, uint64_t offset,
			 uint8_t *buf, unsigned n, bool write)
{
	if (write && (fv->nr_wn || fv->nr_co)) {
		uint64_t val = pm__bytes_load(buf, n, false);
		const struct pm_wn *w = find_notifier(fv, addr, val, n);

		if (w) {
			w->fn(w->opaque, addr, val, n);
			return PM_MEM_OK;
		}
		if (coalesced(fv, addr, n)) {
			pm__queue_write(mr->mem, mr, offset, val, n);
			return PM_MEM_OK;
		}
	}
	/* keep the device's view of the order of accesses */
	if (__atomic_load_n(&mr->mem->nr_queued, __ATOMIC_ACQUIRE))
		pm_mem_flush_coalesced(mr->mem);
	return pm__mmio_access(mr, offset, buf, n, write);
}

static int rw(struct pm_flatview *fv, uint64_t addr, uint8_t *buf, uint64_t len, bool write)
{
	int rc = PM_MEM_OK;

	while (len) {
		struct pm_section s;
		const struct pm_fr *fr;
		uint64_t l;
		int r = PM_MEM_OK;

		pm__translate(fv, addr, len, &s, &fr);
		l = s.len;

		if (!s.mr) {
			if (!write)
				memset(buf, 0xff, l);
			r = PM_MEM_UNASSIGNED;
		} else if (s.mr->ram && (s.mr->kind != PM_MR_ROMD || s.mr->romd_mode) &&
			   (!write || s.mr->kind != PM_MR_ROMD)) {
			if (!write) {
				memcpy(buf, s.mr->ram + s.offset, l);
			} else if (!s.readonly) {
				memcpy(s.mr->ram + s.offset, buf, l);
				if (fr->dirty_log)
					pm_mr_set_dirty(s.mr, s.offset, l);
			}
		} else if (s.mr->ops) {
			/* the whole remaining access if it is one, else aligned pieces */
			unsigned n = (l == len && (l == 1 || l == 2 || l == 4 || l == 8)) ? (unsigned)l : piece(s.offset, l);

			l = n;
			r = device_access(fv, s.mr, addr, s.offset, buf, n, write);
		} else if (!write) {
			memset(buf, 0, l);
		}
		if (r && !rc)
			rc = r;
		addr += l;
		buf += l;
		len -= l;
	}
	return rc;
}

int pm_as_rw_buf(struct pm_as *as, uint64_t addr, void *buf, uint64_t len, bool write)
{
	int rc;

	rcu_read_lock();
	rc = rw(rcu_dereference(as->view), addr, buf, len, write);
	rcu_read_unlock();
	return rc;
}

int pm_as_read(struct pm_as *as, uint64_t addr, uint64_t *val, unsigned len)
{
	uint8_t b[8] = { 0 };
	int rc;

	if (len == 0 || len > 8)
		return PM_MEM_DECODE_ERROR;
	rc = pm_as_rw_buf(as, addr, b, len, false);
	*val = pm__bytes_load(b, len, false);
	return rc;
}

int pm_as_write(struct pm_as *as, uint64_t addr, uint64_t val, unsigned len)
{
	uint8_t b[8];

	if (len == 0 || len > 8)
		return PM_MEM_DECODE_ERROR;
	pm__bytes_store(b, len, val, false);
	return pm_as_rw_buf(as, addr, b, len, true);
}
