/*
 * tools/sim/dirty.c - dirty logging: which pages of a domain changed since
 * the log was last cleaned
 *
 * Unicorn gives no cheap way to trap a vCPU's first write to a page (its
 * write-protect faults do not say where the store was, and a write hook on
 * every store would tax a guest for as long as the log runs), so the log
 * compares contents: cleaning records a 128-bit digest and the frame of
 * every page; a page is dirty when either differs now. That is exactly
 * what migration needs (a page written back with the same bytes need not
 * travel), sees writes from every source (vCPUs, the toolstack's
 * mappings, hypercalls), and cannot miss a write the way a racing hook
 * could: a change after a page was digested shows at the next read.
 * Ballooning shows too: a page that came or went changed its frame.
 *
 * On KVM, KVM's own log (KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG) says
 * which pages the vCPUs wrote. The simulator's own writes are to the pages
 * it shares with the guest (the shared info, each registered vcpu_info,
 * the store's and the console's rings, written by other threads too):
 * those few are compared by digest, as above; what hypercalls copy out is
 * marked (sim_guest_copy), and a backend's writes through a grant are
 * marked when it unmaps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>

#include <xen/hvm/params.h>

#include "failalloc.h"
#include "kvm.h"
#include "sim.h"
#include "vcpu.h"

#define PAGE 4096u

/* ---- write protection: the kernel tracks the first write to each page ---- */

/* <linux/userfaultfd.h> and <linux/fs.h> of Linux 6.7 (Debian 12's headers are older) */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef PAGEMAP_SCAN
#define PAGE_IS_WRITTEN (1 << 1)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

/*
 * the whole pool registered for asynchronous write protection (the kernel
 * resolves a write to a protected page itself and remembers it: no fault
 * reaches us), read and re-armed with PAGEMAP_SCAN. Linux 6.7 or later;
 * else, or if userfaultfd is not ours to use, the digests do the work.
 */
static bool wp_ready(struct sim *s)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_HUGETLBFS_SHMEM |
					      UFFD_FEATURE_WP_UNPOPULATED };
	struct uffdio_register reg = {
		.range = { (uint64_t)(uintptr_t)s->pool_map, s->pool.total * PAGE },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct pm_scan_arg probe = { .size = sizeof(probe) };

	if (s->wp)
		return s->wp > 0;
	s->wp = -1;
	if (getenv("PHYSMAP_DIRTY_DIGEST"))
		return false;   /* the fallback, on demand (its tests) */
	s->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (s->uffd < 0)
		return false;
	s->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	probe.start = probe.end = (uint64_t)(uintptr_t)s->pool_map;
	if (s->pagemap < 0 || ioctl(s->uffd, UFFDIO_API, &api) || ioctl(s->uffd, UFFDIO_REGISTER, &reg) ||
	    ioctl(s->pagemap, PAGEMAP_SCAN, &probe) < 0) {
		if (s->pagemap >= 0)
			close(s->pagemap);
		close(s->uffd);
		return false;
	}
	s->wp = 1;
	return true;
}

void sim_dirty_dispose(struct sim *s)
{
	if (s->wp > 0) {
		close(s->pagemap);
		close(s->uffd);
	}
	s->wp = 0;
}

static char *host(const struct sim *s, uint64_t mfn)
{
	return (char *)s->pool_map + mfn * PAGE;
}

/* protect frames [mfn, mfn + n): their next write is remembered */
static int wp_protect(struct sim *s, uint64_t mfn, uint64_t n)
{
	struct uffdio_writeprotect w = { { (uint64_t)(uintptr_t)host(s, mfn), n * PAGE },
					 UFFDIO_WRITEPROTECT_MODE_WP };

	return ioctl(s->uffd, UFFDIO_WRITEPROTECT, &w) ? -errno : 0;
}

/*
 * the frames of [mfn, mfn + n) written since protected, as pfns from @pfn
 * into @bitmap (bit @bit0 is @pfn); with @clean protected again
 */
static long wp_scan(struct sim *s, uint64_t mfn, uint64_t n, bool clean, uint8_t *bitmap, uint64_t bit0)
{
	struct page_region vec[64];
	uint64_t start = (uint64_t)(uintptr_t)host(s, mfn), end = start + n * PAGE;
	long found = 0;

	while (start < end) {
		struct pm_scan_arg a = {
			.size = sizeof(a), .start = start, .end = end, .vec = (uint64_t)(uintptr_t)vec,
			.vec_len = sizeof(vec) / sizeof(vec[0]),
			.flags = clean ? PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC : 0,
			.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
		};
		long got = ioctl(s->pagemap, PAGEMAP_SCAN, &a);

		if (got < 0)
			return -errno;
		for (long i = 0; i < got; i++)
			for (uint64_t p = vec[i].start; p < vec[i].end; p += PAGE) {
				uint64_t b = bit0 + (p - (uint64_t)(uintptr_t)host(s, mfn)) / PAGE;

				if (!(bitmap[b / 8] & (1u << (b % 8)))) {
					bitmap[b / 8] |= (uint8_t)(1u << (b % 8));
					found++;
				}
			}
		if (a.walk_end <= start)
			break;
		start = a.walk_end;
	}
	return found;
}

/*
 * calls fn on each run of [pfn, pfn + count) whose frames are RAM, in the
 * pool and contiguous (the P2M's own runs, not a lookup a page)
 */
static long for_runs(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t count,
		     long (*fn)(struct sim *, struct sim_domain *, uint64_t pfn, uint64_t mfn, uint64_t n, void *),
		     void *arg)
{
	uint64_t end = count > d->max_pfn - pfn ? d->max_pfn : pfn + count;
	struct pm_p2m_run run;
	long total = 0;

	for (uint64_t p = pfn; p < end && !pm_p2m_next_run(d->p2m, p, &run); p = run.end) {
		uint64_t e = run.end < end ? run.end : end, n = e - p, mfn = run.mfn + (p - run.start);
		long r;

		if (run.kind != PM_P2M_RAM || mfn >= s->pool.total)
			continue;
		if (n > s->pool.total - mfn)
			n = s->pool.total - mfn;
		r = fn(s, d, p, mfn, n, arg);
		if (r < 0)
			return r;
		total += r;
	}
	return total;
}

static long protect_run(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t mfn, uint64_t n, void *arg)
{
	(void)d, (void)pfn, (void)arg;
	return wp_protect(s, mfn, n);
}

struct scan_ctx {
	uint64_t pfn0;
	bool clean;
	uint8_t *bitmap;
};

static long scan_run(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t mfn, uint64_t n, void *arg)
{
	struct scan_ctx *c = arg;

	(void)d;
	return wp_scan(s, mfn, n, c->clean, c->bitmap, pfn - c->pfn0);
}

/* two independent lanes of multiply-xor over the page's words */
static void digest(const uint64_t *w, uint64_t *a, uint64_t *b)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, y = 0xc2b2ae3d27d4eb4full;

	for (unsigned int i = 0; i < PAGE / 8; i += 2) {
		x = (x ^ w[i]) * 0xff51afd7ed558ccdull;
		y = (y ^ w[i + 1]) * 0xc4ceb9fe1a85ec53ull;
		x ^= x >> 29;
		y ^= y >> 31;
	}
	*a = x ^ (y >> 17);
	*b = y ^ (x << 13);
}

/* what page @pfn holds now */
static struct sim_dirty_page now(const struct sim *s, const struct sim_domain *d, uint64_t pfn)
{
	uint64_t e = pm_p2m_lookup(d->p2m, pfn);
	struct sim_dirty_page p = { 0, 0, PM_P2M_INVALID };

	if (pm_p2m_kind_of(e) != PM_P2M_RAM || e >= s->pool.total)
		return p;
	p.mfn = e;
	digest((const uint64_t *)((const char *)s->pool_map + e * PAGE), &p.h1, &p.h2);
	return p;
}

/* a domain's P2M read a span at a time: a lookup a page cost 14 ms of a 1 GiB guest's downtime */
#define SPAN 512

struct frames {
	uint64_t first, end;   /* the pfns in buf: [first, end) */
	uint64_t buf[SPAN];
};

/* the pool frame behind @pfn, or PM_P2M_INVALID where it is not RAM of the pool */
static uint64_t frame(const struct sim *s, const struct sim_domain *d, struct frames *f, uint64_t pfn)
{
	uint64_t e;

	if (pfn < f->first || pfn >= f->end) {
		f->first = pfn;
		f->end = d->max_pfn - pfn < SPAN ? d->max_pfn : pfn + SPAN;
		if (pm_p2m_read_range(d->p2m, f->first, f->end, f->buf)) {
			f->end = f->first;
			return PM_P2M_INVALID;
		}
	}
	e = f->buf[pfn - f->first];
	return pm_p2m_kind_of(e) == PM_P2M_RAM && e < s->pool.total ? e : PM_P2M_INVALID;
}

/* a frame no page has: the next read finds the page changed */
#define FORCED (PM_P2M_INVALID - 1)

void sim_dirty_mark(struct sim_domain *d, uint64_t pfn)
{
	if (d->dirty && pfn < d->max_pfn) {
		d->dirty[pfn].mfn = FORCED;
		d->dirty_frames_gen = UINT64_MAX;   /* the next read compares frames */
	}
}

/* the pages the simulator itself writes for @d (shared info, vcpu_infos, rings), into @p (at most @max) */
static size_t shared_pages(const struct sim_domain *d, uint64_t *p, size_t max)
{
	size_t n = 0;

	if (d->shinfo_set && n < max)
		p[n++] = d->shinfo_pfn;
	if (d->params[HVM_PARAM_STORE_PFN] && n < max)
		p[n++] = d->params[HVM_PARAM_STORE_PFN];
	if (d->params[HVM_PARAM_CONSOLE_PFN] && n < max)
		p[n++] = d->params[HVM_PARAM_CONSOLE_PFN];
	for (uint32_t v = 0; d->vcpu && v < d->vcpus && n < max; v++)
		if (d->vcpu[v].vcpu_info_set)
			p[n++] = d->vcpu[v].vcpu_info_gpa / PAGE;
	return n;
}

/* KVM's log, with the frames that changed and the simulator's own writes */
static long kvm_read(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t count, bool clean,
		     uint8_t *bitmap)
{
	uint64_t shared[8 + 128];
	size_t ns = shared_pages(d, shared, sizeof(shared) / sizeof(shared[0]));
	struct frames f = { 0, 0, { 0 } };
	long n = 0;

	s->hooks->dirty_harvest(d);
	/* the pages the simulator writes too: by their contents */
	for (size_t j = 0; j < ns; j++) {
		uint64_t p = shared[j];
		struct sim_dirty_page c;

		if (p < pfn || p - pfn >= count)
			continue;
		c = now(s, d, p);
		if (c.h1 == d->dirty[p].h1 && c.h2 == d->dirty[p].h2)
			continue;
		d->dirty_kvm[p / 8] |= (uint8_t)(1u << (p % 8));
		if (clean) {
			d->dirty[p].h1 = c.h1;
			d->dirty[p].h2 = c.h2;
		}
	}
	for (uint64_t i = 0; i < count; i++) {
		uint64_t p = pfn + i, mfn = frame(s, d, &f, p);
		struct sim_dirty_page *was = &d->dirty[p];
		bool written = d->dirty_kvm[p / 8] & (1u << (p % 8));

		if (!written && mfn == was->mfn)
			continue;
		bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
		n++;
		if (clean) {
			d->dirty_kvm[p / 8] &= (uint8_t)~(1u << (p % 8));
			was->mfn = mfn;
		}
	}
	return n;
}

int sim_dirty_log(struct sim *s, struct sim_domain *d, bool enable)
{
	struct frames f = { 0, 0, { 0 } };
	long rc;

	if (!enable) {
		if (d->dirty_kvm)
			s->hooks->dirty_log(d, NULL);
		free(d->dirty);
		free(d->dirty_kvm);
		d->dirty = NULL;
		d->dirty_kvm = NULL;
		return 0;
	}
	if (d->dirty)
		return -EBUSY;
	d->dirty = pm_t_malloc(d->max_pfn * sizeof(*d->dirty));
	if (!d->dirty)
		return -ENOMEM;
	if (d->kvm) {
		/* KVM's own log; the frames as they are now */
		d->dirty_kvm = pm_t_calloc((size_t)((d->max_pfn + 7) / 8), 1);
		rc = d->dirty_kvm ? s->hooks->dirty_log(d, d->dirty_kvm) : -ENOMEM;
		if (rc) {
			free(d->dirty);
			free(d->dirty_kvm);
			d->dirty = NULL;
			d->dirty_kvm = NULL;
			return (int)rc;
		}
	} else {
		d->dirty_wp = wp_ready(s);
		d->dirty_frames_gen = d->p2m_gen;   /* each page's frame is seen below */
	}
	sim_say("domain %u: dirty log by %s", d->domid, d->dirty_kvm ? "KVM (KVM_GET_DIRTY_LOG)"
						       : d->dirty_wp ? "write protection (userfaultfd)" : "page digests");
	/* the frames as they are now; their contents too where digests tell */
	for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++) {
		if (d->dirty_kvm || d->dirty_wp) {
			d->dirty[pfn] = (struct sim_dirty_page){ 0, 0, frame(s, d, &f, pfn) };
		} else {
			d->dirty[pfn] = now(s, d, pfn);
		}
	}
	rc = d->dirty_wp ? for_runs(s, d, 0, d->max_pfn, protect_run, NULL) : 0;
	if (rc < 0) {
		free(d->dirty);
		d->dirty = NULL;
		return (int)rc;
	}
	return 0;
}

long sim_dirty_read(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t count, bool clean,
		    uint8_t *bitmap)
{
	long n = 0;

	if (!d->dirty)
		return -ENODATA;
	if (!count || pfn >= d->max_pfn || count > d->max_pfn - pfn)
		return -ERANGE;
	memset(bitmap, 0, (size_t)((count + 7) / 8));
	if (d->dirty_kvm)
		return kvm_read(s, d, pfn, count, clean, bitmap);
	if (d->dirty_wp) {
		struct scan_ctx c = { pfn, clean, bitmap };
		struct frames f = { 0, 0, { 0 } };

		/* written since protected; then whose frame changed (came, went,
		 * moved), unless no frame did since every page's was seen */
		n = for_runs(s, d, pfn, count, scan_run, &c);
		if (n < 0 || d->dirty_frames_gen == d->p2m_gen)
			return n;
		for (uint64_t i = 0; i < count; i++) {
			uint64_t mfn = frame(s, d, &f, pfn + i);
			struct sim_dirty_page *was = &d->dirty[pfn + i];

			if (mfn == was->mfn)
				continue;
			if (!(bitmap[i / 8] & (1u << (i % 8)))) {
				bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
				n++;
			}
			if (clean) {
				int rc = mfn != PM_P2M_INVALID ? wp_protect(s, mfn, 1) : 0;

				if (rc)
					return rc;
				was->mfn = mfn;
			}
		}
		if (clean && pfn == 0 && count == d->max_pfn)
			d->dirty_frames_gen = d->p2m_gen;
		return n;
	}
	for (uint64_t i = 0; i < count; i++) {
		struct sim_dirty_page p = now(s, d, pfn + i), *was = &d->dirty[pfn + i];

		if (p.mfn == was->mfn && p.h1 == was->h1 && p.h2 == was->h2)
			continue;
		bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
		n++;
		if (clean)
			*was = p;
	}
	return n;
}
