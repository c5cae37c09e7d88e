/*
 * tools/sim/kvm.c - x86 vCPUs on KVM (kvm.h)
 *
 * Memory: each RAM run of the P2M is a memory slot over the frame pool's
 * own mapping, cut at every 2 MiB boundary so that a change (a balloon
 * batch, a grant frame) remaps only the chunks it touches. Identity pfns,
 * ranges the device model claimed and missing pfns have no slot: an access
 * exits as MMIO, and the P2M says which it is (a device's, a hole's, or a
 * crash naming the pfn).
 *
 * Xen's ABI where KVM has none of its own (the host kernel has no KVM Xen
 * support, and KVM answers vmcall itself): cpuid leaves 0x40000000-5 are
 * Xen's; MSR 0x40000000 is filtered to us, and a write of a page's address
 * there fills that page with 32-byte stubs `mov $op, %eax; out %al, $0xe2;
 * ret`. An `out` to that port from such a stub is the hypercall (op in eax,
 * arguments in ebx, ecx, edx, esi, edi); its result goes to eax before the
 * `out` completes. MSRs KVM does not know raise #GP in the guest, as on
 * Xen. The LAPIC is KVM's (split irqchip); port I/O and MMIO go to the
 * device model as ioreqs.
 *
 * Kicking: the kicker sets immediate_exit and signals the thread
 * (SIG_KICK, a handler that does nothing), so KVM_RUN ends whether the
 * signal comes before or during it. An access that exited is finished by
 * KVM at the next KVM_RUN: before a vCPU parks, a KVM_RUN with
 * immediate_exit completes it, so a saved state never repeats one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <linux/kvm.h>

#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/arch-x86/cpuid.h>

#include "failalloc.h"
#include "ioreq.h"
#include "kvm.h"
#include "physmap/hv.h"
#include "vcpu.h"

#define PAGE 4096ull
#define CHUNK 512ull               /* pfns: slots never cross a 2 MiB boundary */
#define XEN_MSR 0x40000000u        /* the hypercall page's, as cpuid leaf 0x40000002 says */
#define XEN_LEAVES 0x40000000u      /* Xen's cpuid leaves */
#define TSS_ADDR 0xfffbd000ull     /* Intel's real-mode TSS (three pages), above the PC's holes */
#define STUB 32u                   /* bytes per hypercall stub */
#define STUB_OUT 5u                /* where its `out` is */
#define STUB_LEN 8u                /* mov $op, %eax; out %al, $port; ret */

#ifndef KVM_CAP_X86_MSR_FILTER
#define KVM_CAP_X86_MSR_FILTER 189
#endif

/* the host side, opened once (sim_kvm_open) */
struct sim_kvm_host {
	int fd;
	size_t run_size;
	uint32_t max_slots;
	struct kvm_cpuid2 *cpuid;   /* what KVM supports, Xen's leaves not yet in */
};

struct sim_kvm_slot {
	uint64_t gfn, n;
	uint32_t id, flags;
	void *host;
};

/* a domain's VM */
struct sim_kvm {
	int fd;
	struct sim_kvm_slot *slot;   /* sorted by gfn, never overlapping */
	size_t nr, cap;
	uint32_t *free_id;           /* slot ids given back */
	size_t nr_free;
	uint32_t next_id;
	uint8_t *log;                /* KVM logs the RAM slots' writes (KVM_MEM_LOG_DIRTY_PAGES) into this
				      * bitmap of pfns (the domain's dirty log's), or NULL */
};

static int kick_signal(void)
{
	return SIGRTMIN + 3;
}

static void on_kick(int sig)
{
	(void)sig;   /* only to end KVM_RUN with EINTR */
}

/* ---- the host ---- */

static int host_open(struct sim *s, char *why, size_t len)
{
	static const struct { long cap; const char *name; } need[] = {
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR" },
		{ KVM_CAP_X86_MSR_FILTER, "KVM_CAP_X86_MSR_FILTER" },
		{ KVM_CAP_SPLIT_IRQCHIP, "KVM_CAP_SPLIT_IRQCHIP" },
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM" },
		{ KVM_CAP_EXIT_ON_EMULATION_FAILURE, "KVM_CAP_EXIT_ON_EMULATION_FAILURE" },
	};
	struct sim_kvm_host *h;
	struct sigaction sa;
	int vm, rc, n;

	h = pm_t_calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (h->fd < 0) {
		rc = -errno;
		snprintf(why, len, "/dev/kvm: %s", strerror(-rc));
		goto fail;
	}
	if (ioctl(h->fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		rc = -ENODEV;
		snprintf(why, len, "/dev/kvm: not KVM API version %d", KVM_API_VERSION);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (ioctl(h->fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			rc = -ENODEV;
			snprintf(why, len, "KVM lacks %s", need[i].name);
			goto fail;
		}
	n = ioctl(h->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	h->max_slots = (uint32_t)ioctl(h->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	if (n <= 0 || h->max_slots < 32) {
		rc = -ENODEV;
		snprintf(why, len, "KVM: no vCPU mapping size or too few memory slots");
		goto fail;
	}
	h->run_size = (size_t)n;
	for (int nent = 128;; nent *= 2) {
		h->cpuid = pm_t_calloc(1, sizeof(*h->cpuid) + (size_t)nent * sizeof(h->cpuid->entries[0]));
		if (!h->cpuid) {
			rc = -ENOMEM;
			goto fail;
		}
		h->cpuid->nent = (uint32_t)nent;
		rc = sim_kvm_ioctl(h->fd, KVM_GET_SUPPORTED_CPUID, h->cpuid);
		if (rc != -E2BIG || nent >= 4096)
			break;
		free(h->cpuid);
	}
	if (rc < 0) {
		snprintf(why, len, "KVM_GET_SUPPORTED_CPUID: %s", strerror(-rc));
		goto fail;
	}
	/* a VM must be possible here, not only the device */
	vm = ioctl(h->fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		rc = -errno;
		snprintf(why, len, "KVM_CREATE_VM: %s", strerror(-rc));
		goto fail;
	}
	close(vm);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigemptyset(&sa.sa_mask);
	sigaction(kick_signal(), &sa, NULL);
	s->kvm = h;
	return 0;
fail:
	if (h->fd >= 0)
		close(h->fd);
	free(h->cpuid);
	free(h);
	return rc;
}

int sim_kvm_open(struct sim *s, const char *want, char *why, size_t len)
{
	why[0] = 0;
	if (want && !want[0])
		want = NULL;   /* set but empty: as unset */
	if (want && strcmp(want, "kvm") && strcmp(want, "unicorn"))
		return -EINVAL;
	if (!want || strcmp(want, "kvm"))
		return 0;
	return host_open(s, why, len) ? -ENODEV : 0;
}

void sim_kvm_close(struct sim *s)
{
	if (!s->kvm)
		return;
	close(s->kvm->fd);
	free(s->kvm->cpuid);
	free(s->kvm);
	s->kvm = NULL;
}

const char *sim_kvm_engine(const struct sim *s)
{
	return s->kvm ? "kvm" : "unicorn";
}

/* ---- memory slots ---- */

static int set_slot(struct sim_kvm *k, uint32_t id, uint64_t gfn, uint64_t n, void *host, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = id,
		.flags = flags,
		.guest_phys_addr = gfn * PAGE,
		.memory_size = n * PAGE,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	return sim_kvm_ioctl(k->fd, KVM_SET_USER_MEMORY_REGION, &r);
}

/* what KVM logged in a RAM slot since the last look, into k->log (and cleared in KVM) */
static void harvest(struct sim_kvm *k, const struct sim_kvm_slot *sl)
{
	uint64_t words = (sl->n + 63) / 64, buf[CHUNK / 64];
	struct kvm_dirty_log l = { .slot = sl->id, .dirty_bitmap = buf };

	if (!k->log || !(sl->flags & KVM_MEM_LOG_DIRTY_PAGES) || words > CHUNK / 64)
		return;
	memset(buf, 0, words * 8);
	if (sim_kvm_ioctl(k->fd, KVM_GET_DIRTY_LOG, &l) < 0)
		return;
	for (uint64_t w = 0; w < words; w++)
		for (uint64_t bits = buf[w]; bits; bits &= bits - 1) {
			uint64_t pfn = sl->gfn + w * 64 + (uint64_t)__builtin_ctzll(bits);

			k->log[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
		}
}

int sim_kvm_dirty_log(struct sim_domain *d, uint8_t *bitmap)
{
	struct sim_kvm *k = d->kvm;
	int rc = 0;

	if (!k)
		return -EOPNOTSUPP;
	if (!bitmap)
		for (size_t i = 0; i < k->nr; i++)
			harvest(k, &k->slot[i]);
	k->log = bitmap;
	/* each RAM slot with the flag, or without: KVM starts (or stops) its log, all clean */
	for (size_t i = 0; i < k->nr && !rc; i++) {
		struct sim_kvm_slot *sl = &k->slot[i];
		uint32_t f = bitmap ? sl->flags | KVM_MEM_LOG_DIRTY_PAGES : sl->flags & ~(uint32_t)KVM_MEM_LOG_DIRTY_PAGES;

		if (sl->flags & KVM_MEM_READONLY || f == sl->flags)
			continue;
		rc = set_slot(k, sl->id, sl->gfn, sl->n, sl->host, f);
		if (!rc)
			sl->flags = f;
	}
	if (rc && bitmap)
		sim_kvm_dirty_log(d, NULL);
	return rc;
}

void sim_kvm_dirty_harvest(struct sim_domain *d)
{
	struct sim_kvm *k = d->kvm;

	for (size_t i = 0; k && k->log && i < k->nr; i++)
		harvest(k, &k->slot[i]);
}

/* the first slot at or after gfn */
static size_t slot_at(const struct sim_kvm *k, uint64_t gfn)
{
	size_t lo = 0, hi = k->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->slot[mid].gfn < gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* a slot of [gfn, gfn + n) over @host (KVM_MEM_READONLY in @flags: an executable copy, a read-only grant map) */
static int add_slot(struct sim *s, struct sim_kvm *k, uint64_t gfn, uint64_t n, void *host, uint32_t flags)
{
	size_t at = slot_at(k, gfn);
	uint32_t id;
	int rc;

	if (k->nr == k->cap) {
		struct sim_kvm_slot *x = pm_t_realloc(k->slot, (k->cap * 2 + 16) * sizeof(*x));

		if (!x)
			return -ENOMEM;
		k->slot = x;
		k->cap = k->cap * 2 + 16;
	}
	if (k->nr_free)
		id = k->free_id[--k->nr_free];
	else if (k->next_id < s->kvm->max_slots)
		id = k->next_id++;
	else
		return -ENOSPC;
	if (k->log && !(flags & KVM_MEM_READONLY))
		flags |= KVM_MEM_LOG_DIRTY_PAGES;
	rc = set_slot(k, id, gfn, n, host, flags);
	if (rc) {
		k->free_id[k->nr_free++] = id;
		return rc;
	}
	memmove(&k->slot[at + 1], &k->slot[at], (k->nr - at) * sizeof(*k->slot));
	k->slot[at] = (struct sim_kvm_slot){ gfn, n, id, flags, host };
	k->nr++;
	return 0;
}

/* the executable copies' pages in [a, b), as read-only slots cut at chunk boundaries */
static int add_copies(struct sim *s, struct sim_domain *d, uint64_t a, uint64_t b)
{
	const struct sim_ioreq_server *srv = d->ioreq;
	int rc = 0;

	(void)s;
	for (size_t i = 0; srv && i < srv->nr_exec && !rc; i++) {
		const struct sim_exec *x = &srv->exec[i];
		uint64_t p = x->start / PAGE > a ? x->start / PAGE : a, e = x->end / PAGE < b ? x->end / PAGE : b;

		while (p < e && !rc) {
			uint64_t n = e - p < CHUNK - p % CHUNK ? e - p : CHUNK - p % CHUNK;

			rc = add_slot(s, d->kvm, p, n, (char *)x->host + (p * PAGE - x->start), KVM_MEM_READONLY);
			p += n;
		}
	}
	return rc;
}

int sim_kvm_changed(struct sim_domain *d, uint64_t pfn, uint64_t count)
{
	const uint64_t top = UINT64_MAX / PAGE / CHUNK * CHUNK;   /* pfns past it cannot be addressed */
	struct sim_kvm *k = d->kvm;
	struct sim *s;
	uint64_t a, b;
	size_t i, at;
	int rc = 0;

	if (!k)
		return 0;
	s = d->vcpu[0].s;
	a = pfn / CHUNK * CHUNK;
	b = count >= top || pfn + count >= top - CHUNK ? top : (pfn + count + CHUNK - 1) / CHUNK * CHUNK;
	/* out with the slots of the chunks touched (what KVM logged in them kept) */
	at = i = slot_at(k, a);
	while (i < k->nr && k->slot[i].gfn < b) {
		harvest(k, &k->slot[i]);
		set_slot(k, k->slot[i].id, k->slot[i].gfn, 0, NULL, 0);   /* removing cannot fail */
		k->free_id[k->nr_free++] = k->slot[i].id;
		i++;
	}
	if (i > at)
		memmove(&k->slot[at], &k->slot[i], (k->nr - i) * sizeof(*k->slot));
	k->nr -= i - at;
	/* in with the frames the P2M has there now (RAM, grant frames), and the device model's executable copies */
	for (uint64_t p = a; p < b && p < d->max_pfn && !rc;) {
		struct pm_p2m_run run;
		uint64_t e;

		if (pm_p2m_next_run(d->p2m, p, &run))
			return -EIO;
		e = run.end < b ? run.end : b;
		if (e - p > CHUNK - p % CHUNK)
			e = p + CHUNK - p % CHUNK;
		if (run.kind == PM_P2M_FOREIGN)
			e = p + 1;   /* page by page: a grant it maps read-only is read-only */
		if (sim_run_framed(&run))
			rc = add_slot(s, k, p, e - p, (char *)s->pool_map + (run.mfn + (p - run.start)) * PAGE,
				      run.kind == PM_P2M_FOREIGN && sim_gnttab_readonly(s, d->domid, p) ?
					      KVM_MEM_READONLY : 0);
		p = e;
	}
	return rc ? rc : add_copies(s, d, a, b);
}

/* whether a slot holds pfn now (s->lock held) */
static bool mapped(const struct sim_kvm *k, uint64_t pfn)
{
	size_t i = slot_at(k, pfn + 1);

	return i > 0 && k->slot[i - 1].gfn + k->slot[i - 1].n > pfn;
}

static int vm_open(struct sim *s, struct sim_domain *d)
{
	uint8_t deny = 0;   /* bit 0 clear: MSR 0x40000000 is ours */
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges[0] = { .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, .nmsrs = 1,
			       .base = XEN_MSR, .bitmap = &deny },
	};
	struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args[0] = 24 };
	struct kvm_enable_cap emul = { .cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE, .args[0] = 1 };
	struct kvm_enable_cap msrs = { .cap = KVM_CAP_X86_USER_SPACE_MSR,
				       .args[0] = KVM_MSR_EXIT_REASON_FILTER | KVM_MSR_EXIT_REASON_UNKNOWN };
	struct sim_kvm *k;
	int rc;

	k = pm_t_calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->free_id = pm_t_calloc(s->kvm->max_slots, sizeof(*k->free_id));
	if (!k->free_id) {
		free(k);
		return -ENOMEM;
	}
	k->fd = sim_kvm_ioctl(s->kvm->fd, KVM_CREATE_VM, 0);
	if (k->fd < 0) {
		rc = k->fd;
		free(k->free_id);
		free(k);
		return rc;
	}
	d->kvm = k;
	if ((rc = sim_kvm_ioctl(k->fd, KVM_SET_TSS_ADDR, (void *)(uintptr_t)TSS_ADDR)) < 0 ||
	    (rc = sim_kvm_ioctl(k->fd, KVM_ENABLE_CAP, &split)) < 0 ||
	    (rc = sim_kvm_ioctl(k->fd, KVM_ENABLE_CAP, &msrs)) < 0 ||
	    (rc = sim_kvm_ioctl(k->fd, KVM_ENABLE_CAP, &emul)) < 0 ||
	    (rc = sim_kvm_ioctl(k->fd, KVM_X86_SET_MSR_FILTER, &filter)) < 0 ||
	    (rc = sim_kvm_changed(d, 0, UINT64_MAX)) < 0) {
		sim_kvm_domain_free(d);
		return rc;
	}
	return 0;
}

void sim_kvm_domain_free(struct sim_domain *d)
{
	struct sim_kvm *k = d->kvm;

	if (!k)
		return;
	for (uint32_t i = 0; i < d->vcpus; i++)
		sim_kvm_vcpu_close(&d->vcpu[i]);
	close(k->fd);
	free(k->slot);
	free(k->free_id);
	free(k);
	d->kvm = NULL;
}

/* ---- a vCPU ---- */

static void learn_tsc(struct sim_vcpu *v);

/* KVM's cpuid with Xen's leaves in place of KVM's own, for vCPU @id */
/*
 * the XSAVE state a guest may turn on is what a saved vCPU carries (x87,
 * SSE, AVX: XCR0 7; <physmap/hv.h>'s XSAVE words): the leaves that offer
 * more (AVX-512, MPX, protection keys, AMX, supervisor states) are cut
 * down, so KVM refuses an XSETBV beyond it. returns: whether to keep @e
 */
static bool xsave_carried(struct kvm_cpuid_entry2 *e)
{
	if (e->function == 0xd) {
		if (e->index >= 3)
			return false;                  /* components past AVX */
		if (e->index == 0) {
			e->eax &= 7;
			e->edx = 0;
			e->ecx = 512 + 64 + 256;       /* legacy area, header, AVX */
		} else if (e->index == 1) {
			e->ecx = e->edx = 0;           /* no supervisor states (IA32_XSS) */
		}
	} else if (e->function == 7 && e->index == 0) {
		/* AVX-512 F DQ IFMA PF ER CD BW VL, MPX; VBMI PKU OSPKE VBMI2 VNNI BITALG VPOPCNTDQ;
		 * 4VNNIW 4FMAPS VP2INTERSECT AMX-BF16 FP16 AMX-TILE AMX-INT8 */
		e->ebx &= ~(1u << 14 | 1u << 16 | 1u << 17 | 1u << 21 | 1u << 26 | 1u << 27 | 1u << 28 | 1u << 30 |
			    1u << 31);
		e->ecx &= ~(1u << 1 | 1u << 3 | 1u << 4 | 1u << 6 | 1u << 11 | 1u << 12 | 1u << 14);
		e->edx &= ~(1u << 2 | 1u << 3 | 1u << 8 | 1u << 22 | 1u << 23 | 1u << 24 | 1u << 25);
	} else if (e->function == 7 && e->index == 1) {
		e->eax &= ~(1u << 5);                  /* AVX512_BF16 */
	}
	return true;
}

static int set_cpuid(struct sim_vcpu *v)
{
	const struct kvm_cpuid2 *host = v->s->kvm->cpuid;
	struct kvm_cpuid2 *c;
	uint32_t n = 0;
	long khz;
	int rc;

	c = pm_t_calloc(1, sizeof(*c) + (host->nent + 6) * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	khz = ioctl(v->kvm_fd, KVM_GET_TSC_KHZ, 0);
	for (uint32_t i = 0; i < host->nent; i++) {
		struct kvm_cpuid_entry2 e = host->entries[i];

		if (e.function >= XEN_LEAVES && e.function < XEN_LEAVES + 0x10000)
			continue;
		if (!xsave_carried(&e))
			continue;
		if (e.function == 1) {
			e.ecx |= 1u << 31;                              /* a hypervisor is present */
			e.ebx = (e.ebx & 0x00ffffffu) | v->id << 24;    /* its initial APIC id */
		} else if (e.function == 0xb || e.function == 0x1f) {
			e.edx = v->id;                                  /* x2APIC id */
		}
		c->entries[n++] = e;
	}
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = XEN_LEAVES, .eax = XEN_LEAVES + 5,
		.ebx = 0x566e6558, .ecx = 0x65584d4d, .edx = 0x4d4d566e };   /* "XenVMMXenVMM" */
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = XEN_LEAVES + 1, .eax = 4 << 16 | 17 };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = XEN_LEAVES + 2, .eax = 1, .ebx = XEN_MSR };
	/* leaf 3, subleaf 0: the guest TSC's rate in kHz (ecx), as Xen gives it */
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = XEN_LEAVES + 3, .index = 0,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ecx = khz > 0 ? (uint32_t)khz : 0 };
	/* leaf 4, HVM's: the vCPU's id (ebx), the domain's (ecx), the per-vCPU upcall vector; leaf 5 (PV's) empty */
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = XEN_LEAVES + 4,
		.eax = XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT | XEN_HVM_CPUID_UPCALL_VECTOR,
		.ebx = v->id, .ecx = v->d->domid };
	c->entries[n++] = (struct kvm_cpuid_entry2){ .function = XEN_LEAVES + 5 };
	c->nent = n;
	rc = sim_kvm_ioctl(v->kvm_fd, KVM_SET_CPUID2, c);
	free(c);
	return rc < 0 ? rc : 0;
}

/* PVH's entry state: 32-bit protected mode, paging off, flat segments */
static int set_entry(struct sim_vcpu *v)
{
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 11,
				    .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1 };
	struct kvm_segment data = code;
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_sregs sr;
	struct kvm_regs r;
	int rc;

	if ((rc = sim_kvm_ioctl(v->kvm_fd, KVM_GET_SREGS, &sr)) < 0)
		return rc;
	data.selector = 0x18;
	data.type = 3;
	sr.cs = code;
	sr.ds = sr.es = sr.fs = sr.gs = sr.ss = data;
	sr.tr = (struct kvm_segment){ .selector = 0x20, .limit = 0x67, .type = 11, .present = 1 };
	sr.cr0 = v->ctx.cr0 ? v->ctx.cr0 : 0x11;   /* PE, ET */
	sr.cr4 = 0;
	sr.efer = 0;
	if ((rc = sim_kvm_ioctl(v->kvm_fd, KVM_SET_SREGS, &sr)) < 0)
		return rc;
	memset(&r, 0, sizeof(r));
	r.rax = (uint32_t)v->ctx.regs[0];
	r.rbx = (uint32_t)v->ctx.regs[1];
	r.rcx = (uint32_t)v->ctx.regs[2];
	r.rdx = (uint32_t)v->ctx.regs[3];
	r.rsp = (uint32_t)v->ctx.sp;
	r.rip = (uint32_t)v->ctx.pc;
	r.rflags = 0x2;
	if ((rc = sim_kvm_ioctl(v->kvm_fd, KVM_SET_REGS, &r)) < 0)
		return rc;
	/* with KVM's LAPIC a vCPU other than the first waits for a SIPI: Xen's VCPUOP_up needs none */
	rc = sim_kvm_ioctl(v->kvm_fd, KVM_SET_MP_STATE, &mp);
	return rc < 0 ? rc : 0;
}

int sim_kvm_vcpu_init(struct sim_vcpu *v)
{
	void *run;
	int rc;

	if (!v->d->kvm && (rc = vm_open(v->s, v->d)))
		return rc;
	if (v->kvm_run)
		return set_entry(v);   /* up again after it went down */
	v->kvm_fd = sim_kvm_ioctl(v->d->kvm->fd, KVM_CREATE_VCPU, (void *)(uintptr_t)v->id);
	if (v->kvm_fd < 0) {
		rc = v->kvm_fd;
		v->kvm_fd = 0;
		return rc;
	}
	run = mmap(NULL, v->s->kvm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->kvm_fd, 0);
	if (run == MAP_FAILED) {
		rc = -errno;
		close(v->kvm_fd);
		v->kvm_fd = 0;
		return rc;
	}
	v->kvm_run = run;
	if ((rc = set_cpuid(v)) || (rc = set_entry(v))) {
		sim_kvm_vcpu_close(v);
		return rc;
	}
	learn_tsc(v);
	return 0;
}

/*
 * the guest's TSC against the host's (for the pvclock, time.c): KVM's
 * offset is fixed from the vCPU's creation, so one reading between two
 * of the host's gives it
 */
static void learn_tsc(struct sim_vcpu *v)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = 0x10 };   /* IA32_TIME_STAMP_COUNTER */
	uint64_t before, after;
	long khz = ioctl(v->kvm_fd, KVM_GET_TSC_KHZ, 0);

	before = __rdtsc();
	if (sim_kvm_ioctl(v->kvm_fd, KVM_GET_MSRS, &m) != 1 || khz <= 0)
		return;
	after = __rdtsc();
	sim_time_tsc(v, (int64_t)(m.e.data - (before + (after - before) / 2)), (uint64_t)khz);
	sim_time_pvclock(v->s, v->d, v->id);
}

void sim_kvm_interrupt(struct sim_vcpu *v, uint8_t vector)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000u | v->id << 12, .data = vector };   /* fixed, edge */

	if (v->d->kvm && v->kvm_run)
		sim_kvm_ioctl(v->d->kvm->fd, KVM_SIGNAL_MSI, &msi);
}

void sim_kvm_vcpu_close(struct sim_vcpu *v)
{
	if (!v->kvm_run)
		return;
	munmap(v->kvm_run, v->s->kvm->run_size);
	close(v->kvm_fd);
	v->kvm_run = NULL;
	v->kvm_fd = 0;
}

void sim_kvm_kick(struct sim_vcpu *v)
{
	if (!v->kvm_run || !v->started || v->exited)
		return;
	__atomic_store_n(&v->kvm_run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, kick_signal());
}

/* ---- exits ---- */

static uint64_t rip_of(struct sim_vcpu *v)
{
	struct kvm_regs r;

	return sim_kvm_ioctl(v->kvm_fd, KVM_GET_REGS, &r) < 0 ? 0 : r.rip;
}

/*
 * whether the `out` at the vCPU's rip is one of the hypercall page's stubs:
 * known by its bytes, not by where the page was asked for, so a guest
 * saved, restored or migrated with its page calls on as before
 */
static bool from_stub(struct sim_vcpu *v, const struct kvm_regs *r)
{
	struct kvm_translation t = { .linear_address = r->rip };
	uint8_t b[STUB_LEN];
	uint32_t op;
	uint64_t off;
	int rc;

	if (sim_kvm_ioctl(v->kvm_fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return false;
	off = t.physical_address % PAGE;
	if (off % STUB != STUB_OUT && off % STUB != STUB_OUT + 2)
		return false;   /* rip is at the `out`, or past it (KVM moves on before it exits) */
	pthread_mutex_lock(&v->s->lock);
	rc = sim_guest_copy(v->s, v->d, t.physical_address - off % STUB, b, sizeof(b), false);
	pthread_mutex_unlock(&v->s->lock);
	op = (uint32_t)(off / STUB);
	return !rc && b[0] == 0xb8 && !memcmp(b + 1, &op, 4) && b[5] == 0xe6 && b[6] == SIM_KVM_HYPERCALL_PORT &&
	       b[7] == 0xc3;
}

/* the hypercall of a stub: Xen's 32-bit ABI (ebx, ecx, edx, esi, edi) or, from 64-bit code, its x86_64 one */
static bool hypercall(struct sim_vcpu *v)
{
	struct kvm_sregs sr;
	struct kvm_regs r;
	uint64_t arg[5];

	if (sim_kvm_ioctl(v->kvm_fd, KVM_GET_REGS, &r) < 0 || sim_kvm_ioctl(v->kvm_fd, KVM_GET_SREGS, &sr) < 0 ||
	    !from_stub(v, &r))
		return false;
	v->long_mode = (sr.efer & (1u << 10)) && sr.cs.l;   /* EFER.LMA, a 64-bit code segment */
	if (v->long_mode) {
		arg[0] = r.rdi, arg[1] = r.rsi, arg[2] = r.rdx, arg[3] = r.r10, arg[4] = r.r8;
		r.rax = (uint64_t)sim_hypercall(v, r.rax, arg);
	} else {
		arg[0] = (uint32_t)r.rbx, arg[1] = (uint32_t)r.rcx, arg[2] = (uint32_t)r.rdx;
		arg[3] = (uint32_t)r.rsi, arg[4] = (uint32_t)r.rdi;
		r.rax = (uint32_t)sim_hypercall(v, (uint32_t)r.rax, arg);
	}
	sim_kvm_ioctl(v->kvm_fd, KVM_SET_REGS, &r);
	return true;
}

static void port_io(struct sim_vcpu *v)
{
	struct kvm_run *run = v->kvm_run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	if (out && run->io.port == SIM_KVM_HYPERCALL_PORT && run->io.size == 1 && run->io.count == 1 &&
	    hypercall(v))
		return;
	for (uint32_t i = 0; i < run->io.count; i++) {
		uint64_t val = 0;

		if (out)
			memcpy(&val, data + i * run->io.size, run->io.size);
		if (!sim_ioreq_access(v, PM_SIM_IO_PIO, run->io.port, run->io.size, out, &val) && !out)
			val = ~0ull;   /* nobody there: the bus floats */
		if (!out)
			memcpy(data + i * run->io.size, &val, run->io.size);
	}
}

/* whether the device model claimed any of page @pfn past the P2M, or put an executable copy there (s->lock held) */
static bool claimed(const struct sim_domain *d, uint64_t pfn)
{
	const struct sim_ioreq_server *srv = d->ioreq;
	uint64_t a = pfn * PAGE, b = a + PAGE;

	for (size_t i = 0; srv && i < srv->nr_ranges; i++)
		if (srv->ranges[i].type == PM_SIM_IO_MMIO && srv->ranges[i].start < b && srv->ranges[i].end > a)
			return true;
	for (size_t i = 0; srv && i < srv->nr_exec; i++)
		if (srv->exec[i].start < b && srv->exec[i].end > a)
			return true;
	return false;
}

/*
 * an access with no slot: a device's or a hole's (identity pfns, and pages
 * past the P2M the device model claimed some of: what nobody serves
 * floats), else a fault (its reason in @why)
 */
static void mmio(struct sim_vcpu *v, char *why, size_t len)
{
	struct kvm_run *run = v->kvm_run;
	struct sim_domain *d = v->d;
	uint64_t gpa = run->mmio.phys_addr, pfn = gpa / PAGE, val = 0;
	int kind = PM_P2M_IDENTITY;
	bool ro = false;

	pthread_mutex_lock(&v->s->lock);
	if (pfn < d->max_pfn)
		kind = pm_p2m_kind_of(pm_p2m_lookup(d->p2m, pfn));
	else if (!claimed(d, pfn))
		kind = PM_P2M_MISSING;
	ro = kind == PM_P2M_FOREIGN && sim_gnttab_readonly(v->s, d->domid, pfn);
	pthread_mutex_unlock(&v->s->lock);
	if (ro && run->mmio.is_write) {
		snprintf(why, len, "pfn 0x%" PRIx64 " (a read-only grant map), pc 0x%" PRIx64 ", write", pfn, rip_of(v));
		return;
	}
	if (kind == PM_P2M_RAM || kind == PM_P2M_FOREIGN)
		return;   /* its slot came meanwhile: the access runs again */
	if (run->mmio.is_write)
		memcpy(&val, run->mmio.data, run->mmio.len);
	if (sim_ioreq_access(v, PM_SIM_IO_MMIO, gpa, run->mmio.len, run->mmio.is_write, &val)) {
		if (!run->mmio.is_write)
			memcpy(run->mmio.data, &val, run->mmio.len);
		return;
	}
	if (kind == PM_P2M_IDENTITY) {
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, run->mmio.len);   /* a hole: reads float high */
		return;
	}
	snprintf(why, len, "pfn 0x%" PRIx64 " (%s), pc 0x%" PRIx64 ", %s", pfn,
		 pfn >= d->max_pfn ? "beyond the P2M" : "missing", rip_of(v), run->mmio.is_write ? "write" : "read");
}

/* the guest asked for its hypercall page at gpa (MSR 0x40000000); returns: 0; -EFAULT */
static int hypercall_page(struct sim_vcpu *v, uint64_t gpa)
{
	uint8_t page[PAGE];
	int rc;

	if (gpa % PAGE)
		return -EFAULT;   /* page index 0 is the only one */
	memset(page, 0xcc, sizeof(page));   /* int3 between the stubs */
	for (uint32_t op = 0; op < PAGE / STUB; op++) {
		uint8_t *p = page + op * STUB;

		p[0] = 0xb8;   /* mov $op, %eax */
		memcpy(p + 1, &op, 4);
		p[5] = 0xe6;   /* out %al, $port */
		p[6] = SIM_KVM_HYPERCALL_PORT;
		p[7] = 0xc3;   /* ret */
	}
	pthread_mutex_lock(&v->s->lock);
	rc = sim_guest_copy(v->s, v->d, gpa, page, sizeof(page), true);
	pthread_mutex_unlock(&v->s->lock);
	return rc;
}

/*
 * KVM could not emulate an instruction: if it was fetched from outside
 * RAM, the device model may hand back a copy to run (mmio-exec; the
 * instruction runs again from it), else @why says why the domain crashes.
 * returns: whether it was such a fetch
 */
static bool fetch(struct sim_vcpu *v, char *why, size_t len)
{
	struct kvm_translation t = { 0 };
	struct sim_domain *d = v->d;
	uint64_t pc = rip_of(v), pfn;
	bool ram, now;
	int rc;

	t.linear_address = pc;
	if (sim_kvm_ioctl(v->kvm_fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return false;
	pfn = t.physical_address / PAGE;
	pthread_mutex_lock(&v->s->lock);
	ram = pfn < d->max_pfn && sim_p2m_framed(pm_p2m_lookup(d->p2m, pfn));
	pthread_mutex_unlock(&v->s->lock);
	if (ram)
		return false;
	rc = sim_ioreq_exec(v, t.physical_address);
	pthread_mutex_lock(&v->s->lock);
	now = mapped(d->kvm, pfn);
	pthread_mutex_unlock(&v->s->lock);
	if (rc == -ENXIO)
		snprintf(why, len, "pc 0x%" PRIx64 ": fetch from 0x%llx, neither RAM nor a device", pc,
			 (unsigned long long)t.physical_address);
	else if (rc)
		snprintf(why, len, "pc 0x%" PRIx64 ": fetch from MMIO at 0x%llx: the device model: %s", pc,
			 (unsigned long long)t.physical_address, strerror(-rc));
	else if (!now)
		snprintf(why, len, "pc 0x%" PRIx64 ": fetch from MMIO at 0x%llx: no executable copy arrived", pc,
			 (unsigned long long)t.physical_address);
	return true;
}

/* what one exit asks; @why set when the domain must crash */
static void handle_exit(struct sim_vcpu *v, int rc, char *why, size_t len)
{
	struct kvm_run *run = v->kvm_run;

	if (rc == -EINTR || (!rc && run->exit_reason == KVM_EXIT_INTR))
		return;
	if (rc) {
		snprintf(why, len, "vcpu %u: KVM_RUN: %s", v->id, strerror(-rc));
		return;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		port_io(v);
		v->kvm_pending = true;
		break;
	case KVM_EXIT_MMIO:
		mmio(v, why, len);
		v->kvm_pending = true;
		break;
	case KVM_EXIT_X86_WRMSR:
		run->msr.error = run->msr.index != XEN_MSR || hypercall_page(v, run->msr.data);
		break;
	case KVM_EXIT_X86_RDMSR:
		run->msr.error = 1;   /* #GP, as Xen gives for an MSR it does not have */
		break;
	case KVM_EXIT_HLT:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_IOAPIC_EOI:
		break;
	case KVM_EXIT_SHUTDOWN:
		snprintf(why, len, "vcpu %u: triple fault, pc 0x%" PRIx64, v->id, rip_of(v));
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, len, "vcpu %u: KVM could not enter the guest (hardware reason 0x%llx)", v->id,
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
		    (fetch(v, why, len) || sim_kvm_emulate(v, why, len) || why[0]))
			break;
		snprintf(why, len, "vcpu %u: KVM could not emulate the instruction at pc 0x%" PRIx64 " (internal error %u)",
			 v->id, rip_of(v), run->internal.suberror);
		break;
	default:
		snprintf(why, len, "vcpu %u: KVM exit %u, pc 0x%" PRIx64, v->id, run->exit_reason, rip_of(v));
		break;
	}
}

/* an access that exited is finished by the next KVM_RUN: now, without running on */
static void complete(struct sim_vcpu *v)
{
	if (!v->kvm_pending)
		return;
	v->kvm_run->immediate_exit = 1;
	ioctl(v->kvm_fd, KVM_RUN, 0);
	v->kvm_run->immediate_exit = 0;
	v->kvm_pending = false;
}

void *sim_kvm_vcpu_thread(void *arg)
{
	struct sim_vcpu *v = arg;
	struct sim *s = v->s;
	struct sim_domain *d = v->d;
	sigset_t unblock;

	sigemptyset(&unblock);
	sigaddset(&unblock, kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
	pthread_mutex_lock(&s->lock);
	v->tid = (pid_t)syscall(SYS_gettid);
	if (v->pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(v->hard), &v->hard);
	for (;;) {
		char why[PM_SIM_WHY_LEN] = "";
		int rc;

		if (v->off)
			break;
		if (d->run != SIM_RUN_GO)
			complete(v);
		while (d->run == SIM_RUN_PAUSE) {
			v->parked = true;
			pthread_cond_broadcast(&d->wake);
			pthread_cond_wait(&d->wake, &s->lock);
		}
		v->parked = false;
		if (d->run == SIM_RUN_STOP)
			break;
		__atomic_store_n(&v->kicked, false, __ATOMIC_SEQ_CST);
		__atomic_store_n(&v->kvm_run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&s->lock);
		rc = ioctl(v->kvm_fd, KVM_RUN, 0) < 0 ? -errno : 0;
		v->kvm_pending = false;
		handle_exit(v, rc, why, sizeof(why));
		pthread_mutex_lock(&s->lock);
		if (why[0]) {
			sim_shutdown(s, d, SHUTDOWN_crash, why);
		} else if (v->stop_why[0]) {
			sim_shutdown(s, d, SHUTDOWN_crash, v->stop_why);
			v->stop_why[0] = 0;
		}
	}
	complete(v);
	sim_vcpu_thread_end(v);
	return NULL;
}

/* ---- state: the register list of <physmap/hv.h> ---- */

static const uint32_t state_msrs[] = {   /* in the list's order from PM_HV_X86_STAR */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000102,   /* STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE */
	0x174, 0x175, 0x176,                                          /* SYSENTER_CS, _ESP, _EIP */
};
#define NR_STATE_MSRS (sizeof(state_msrs) / sizeof(state_msrs[0]))
/* the platform part's MSRs: each at its place in the list */
static const struct { uint32_t index, reg, have; } platform_msrs[] = {
	{ 0x10, PM_HV_X86_TSC, PM_HV_X86_HAVE_TSC },
	{ 0x277, PM_HV_X86_PAT, PM_HV_X86_HAVE_PAT },
	{ 0x6e0, PM_HV_X86_TSC_DEADLINE, PM_HV_X86_HAVE_LAPIC },
};
#define NR_PLATFORM_MSRS (sizeof(platform_msrs) / sizeof(platform_msrs[0]))

struct msr_list {
	struct kvm_msrs h;
	struct kvm_msr_entry e[NR_STATE_MSRS + NR_PLATFORM_MSRS];
};

/* Xen's arbytes for a KVM segment, and back */
static uint64_t arbytes(const struct kvm_segment *g)
{
	return (uint64_t)(g->type | g->s << 4 | g->dpl << 5 | g->present << 7 | g->avl << 8 | g->l << 9 |
			  g->db << 10 | g->g << 11) | (uint64_t)(g->unusable != 0) << 16;
}

static struct kvm_segment segment(const uint64_t *w)
{
	uint32_t ar = (uint32_t)w[3];

	return (struct kvm_segment){ .selector = (uint16_t)w[0], .base = w[1], .limit = (uint32_t)w[2],
		.type = ar & 15, .s = (ar >> 4) & 1, .dpl = (ar >> 5) & 3, .present = (ar >> 7) & 1,
		.avl = (ar >> 8) & 1, .l = (ar >> 9) & 1, .db = (ar >> 10) & 1, .g = (ar >> 11) & 1,
		.unusable = (ar >> 16) & 1 };
}

static struct kvm_segment *segments(struct kvm_sregs *sr, unsigned int i)
{
	struct kvm_segment *seg[PM_HV_X86_NR_SEGS] = { &sr->cs, &sr->ds, &sr->es, &sr->fs, &sr->gs, &sr->ss,
						       &sr->tr, &sr->ldt };

	return seg[i];
}

/* KVM's FPU as the FXSAVE area (64 words at @w), and back */
static void fxsave_from(const struct kvm_fpu *f, uint64_t *w)
{
	uint8_t x[512] = { 0 };

	memcpy(x, &f->fcw, 2);
	memcpy(x + 2, &f->fsw, 2);
	x[4] = f->ftwx;
	memcpy(x + 6, &f->last_opcode, 2);
	memcpy(x + 8, &f->last_ip, 8);
	memcpy(x + 16, &f->last_dp, 8);
	memcpy(x + 24, &f->mxcsr, 4);
	memcpy(x + 32, f->fpr, sizeof(f->fpr));
	memcpy(x + 160, f->xmm, sizeof(f->xmm));
	memcpy(w, x, sizeof(x));
}

static void fxsave_to(const uint64_t *w, struct kvm_fpu *f)
{
	uint8_t x[512];

	memcpy(x, w, sizeof(x));
	memset(f, 0, sizeof(*f));
	memcpy(&f->fcw, x, 2);
	memcpy(&f->fsw, x + 2, 2);
	f->ftwx = x[4];
	memcpy(&f->last_opcode, x + 6, 2);
	memcpy(&f->last_ip, x + 8, 8);
	memcpy(&f->last_dp, x + 16, 8);
	memcpy(&f->mxcsr, x + 24, 4);
	memcpy(f->fpr, x + 32, sizeof(f->fpr));
	memcpy(f->xmm, x + 160, sizeof(f->xmm));
}

/*
 * the platform part: the MSRs KVM reads (those it cannot are left out,
 * their parts not had), XCR0 and the XSAVE area past the legacy one, the
 * local APIC's page and base
 */
static void platform_get(struct sim_vcpu *v, const struct kvm_sregs *sr, uint64_t *reg)
{
	struct msr_list m = { .h.nmsrs = NR_PLATFORM_MSRS };
	struct kvm_xcrs xc = { 0 };
	struct kvm_xsave *xs = pm_t_calloc(1, sizeof(*xs));
	struct kvm_lapic_state *ls = pm_t_calloc(1, sizeof(*ls));
	uint64_t have = PM_HV_X86_HAVE_TSC | PM_HV_X86_HAVE_PAT | PM_HV_X86_HAVE_XSAVE | PM_HV_X86_HAVE_LAPIC;
	int got;

	for (unsigned int i = 0; i < NR_PLATFORM_MSRS; i++)
		m.e[i].index = platform_msrs[i].index;
	got = ioctl(v->kvm_fd, KVM_GET_MSRS, &m);   /* how many it read, in order */
	for (unsigned int i = 0; i < NR_PLATFORM_MSRS; i++) {
		if ((int)i < got)
			reg[platform_msrs[i].reg] = m.e[i].data;
		else
			have &= ~(uint64_t)platform_msrs[i].have;
	}
	xc.nr_xcrs = 1;
	if (!xs || ioctl(v->kvm_fd, KVM_GET_XCRS, &xc) || ioctl(v->kvm_fd, KVM_GET_XSAVE, xs)) {
		have &= ~(uint64_t)PM_HV_X86_HAVE_XSAVE;
	} else {
		for (uint32_t i = 0; i < xc.nr_xcrs && i < KVM_MAX_XCRS; i++)
			if (xc.xcrs[i].xcr == 0)
				reg[PM_HV_X86_XCR0] = xc.xcrs[i].value;
		memcpy(reg + PM_HV_X86_XSAVE_HI, (uint8_t *)xs->region + 512, 8 * PM_HV_X86_XSAVE_HI_WORDS);
	}
	if (!ls || ioctl(v->kvm_fd, KVM_GET_LAPIC, ls))
		have &= ~(uint64_t)PM_HV_X86_HAVE_LAPIC;
	else
		memcpy(reg + PM_HV_X86_LAPIC, ls->regs, 8 * PM_HV_X86_LAPIC_WORDS);
	reg[PM_HV_X86_APIC_BASE] = sr->apic_base;
	reg[PM_HV_X86_HAVE] = have;
	free(xs);
	free(ls);
}

/*
 * the platform part back, what @reg has of it: the APIC's base before its
 * page, the TSC deadline after it (KVM arms the timer from the page's
 * mode), XCR0 before the XSAVE area, whose legacy part is the FXSAVE
 * words; the TSC moves KVM's offset, so the pvclock learns it again.
 * returns: whether the FPU was set (through XSAVE)
 */
static bool platform_put(struct sim_vcpu *v, struct kvm_sregs *sr, const uint64_t *reg)
{
	uint64_t have = reg[PM_HV_X86_HAVE];
	struct msr_list m = { .h.nmsrs = 0 };
	bool fpu = false;

	if (have & PM_HV_X86_HAVE_LAPIC) {
		struct kvm_lapic_state *ls = pm_t_calloc(1, sizeof(*ls));

		sr->apic_base = reg[PM_HV_X86_APIC_BASE];
		ioctl(v->kvm_fd, KVM_SET_SREGS, sr);
		if (ls) {
			memcpy(ls->regs, reg + PM_HV_X86_LAPIC, 8 * PM_HV_X86_LAPIC_WORDS);
			ioctl(v->kvm_fd, KVM_SET_LAPIC, ls);
		}
		free(ls);
	}
	if (have & PM_HV_X86_HAVE_XSAVE) {
		struct kvm_xcrs xc = { .nr_xcrs = 1, .xcrs[0] = { .xcr = 0, .value = reg[PM_HV_X86_XCR0] } };
		struct kvm_xsave *xs = pm_t_calloc(1, sizeof(*xs));

		if (xs && !ioctl(v->kvm_fd, KVM_SET_XCRS, &xc)) {
			memcpy(xs->region, reg + PM_HV_X86_FXSAVE, 512);
			memcpy((uint8_t *)xs->region + 512, reg + PM_HV_X86_XSAVE_HI, 8 * PM_HV_X86_XSAVE_HI_WORDS);
			fpu = !ioctl(v->kvm_fd, KVM_SET_XSAVE, xs);
		}
		free(xs);
	}
	for (unsigned int i = 0; i < NR_PLATFORM_MSRS; i++)
		if (have & platform_msrs[i].have)
			m.e[m.h.nmsrs++] = (struct kvm_msr_entry){ .index = platform_msrs[i].index,
								   .data = reg[platform_msrs[i].reg] };
	if (m.h.nmsrs)
		ioctl(v->kvm_fd, KVM_SET_MSRS, &m);
	if (have & PM_HV_X86_HAVE_TSC)
		learn_tsc(v);
	return fpu;
}

void sim_kvm_get_state(struct sim_vcpu *v, uint64_t *reg)
{
	struct kvm_regs r = { 0 };
	struct kvm_sregs sr = { 0 };
	struct kvm_fpu f = { 0 };
	struct msr_list m = { .h.nmsrs = NR_STATE_MSRS };

	ioctl(v->kvm_fd, KVM_GET_REGS, &r);
	ioctl(v->kvm_fd, KVM_GET_SREGS, &sr);
	ioctl(v->kvm_fd, KVM_GET_FPU, &f);
	for (unsigned int i = 0; i < NR_STATE_MSRS; i++)
		m.e[i].index = state_msrs[i];
	ioctl(v->kvm_fd, KVM_GET_MSRS, &m);   /* those it could not read stay 0 */
	reg[0] = r.rax, reg[1] = r.rcx, reg[2] = r.rdx, reg[3] = r.rbx, reg[4] = r.rsp;
	reg[5] = r.rbp, reg[6] = r.rsi, reg[7] = r.rdi, reg[8] = r.rip, reg[9] = r.rflags;
	reg[10] = sr.cr0, reg[11] = sr.cr2, reg[12] = sr.cr3, reg[13] = sr.cr4;
	reg[PM_HV_X86_R8] = r.r8, reg[PM_HV_X86_R8 + 1] = r.r9, reg[PM_HV_X86_R8 + 2] = r.r10;
	reg[PM_HV_X86_R8 + 3] = r.r11, reg[PM_HV_X86_R8 + 4] = r.r12, reg[PM_HV_X86_R8 + 5] = r.r13;
	reg[PM_HV_X86_R8 + 6] = r.r14, reg[PM_HV_X86_R8 + 7] = r.r15;
	reg[PM_HV_X86_EFER] = sr.efer;
	for (unsigned int i = 0; i < PM_HV_X86_NR_SEGS; i++) {
		const struct kvm_segment *g = segments(&sr, i);
		uint64_t *w = reg + PM_HV_X86_SEG + 4 * i;

		w[0] = g->selector, w[1] = g->base, w[2] = g->limit, w[3] = arbytes(g);
	}
	reg[PM_HV_X86_GDTR_BASE] = sr.gdt.base, reg[PM_HV_X86_GDTR_LIMIT] = sr.gdt.limit;
	reg[PM_HV_X86_IDTR_BASE] = sr.idt.base, reg[PM_HV_X86_IDTR_LIMIT] = sr.idt.limit;
	for (unsigned int i = 0; i < NR_STATE_MSRS; i++)
		reg[PM_HV_X86_STAR + i] = m.e[i].data;
	fxsave_from(&f, reg + PM_HV_X86_FXSAVE);
	platform_get(v, &sr, reg);
}

void sim_kvm_put_state(struct sim_vcpu *v, const uint64_t *reg, unsigned int nr)
{
	struct kvm_regs r = { 0 };
	struct kvm_sregs sr;
	struct kvm_fpu f;
	struct msr_list m = { .h.nmsrs = NR_STATE_MSRS };

	r.rax = reg[0], r.rcx = reg[1], r.rdx = reg[2], r.rbx = reg[3], r.rsp = reg[4];
	r.rbp = reg[5], r.rsi = reg[6], r.rdi = reg[7], r.rip = reg[8], r.rflags = reg[9] | 0x2;
	if (nr >= PM_HV_X86_NR) {
		r.r8 = reg[PM_HV_X86_R8], r.r9 = reg[PM_HV_X86_R8 + 1], r.r10 = reg[PM_HV_X86_R8 + 2];
		r.r11 = reg[PM_HV_X86_R8 + 3], r.r12 = reg[PM_HV_X86_R8 + 4], r.r13 = reg[PM_HV_X86_R8 + 5];
		r.r14 = reg[PM_HV_X86_R8 + 6], r.r15 = reg[PM_HV_X86_R8 + 7];
	}
	ioctl(v->kvm_fd, KVM_SET_REGS, &r);
	if (ioctl(v->kvm_fd, KVM_GET_SREGS, &sr))
		return;
	sr.cr0 = reg[10], sr.cr2 = reg[11], sr.cr3 = reg[12], sr.cr4 = reg[13];
	if (nr < PM_HV_X86_NR) {   /* the flat 14: the segments stay PVH's */
		ioctl(v->kvm_fd, KVM_SET_SREGS, &sr);
		return;
	}
	sr.efer = reg[PM_HV_X86_EFER];
	for (unsigned int i = 0; i < PM_HV_X86_NR_SEGS; i++)
		*segments(&sr, i) = segment(reg + PM_HV_X86_SEG + 4 * i);
	sr.gdt = (struct kvm_dtable){ .base = reg[PM_HV_X86_GDTR_BASE], .limit = (uint16_t)reg[PM_HV_X86_GDTR_LIMIT] };
	sr.idt = (struct kvm_dtable){ .base = reg[PM_HV_X86_IDTR_BASE], .limit = (uint16_t)reg[PM_HV_X86_IDTR_LIMIT] };
	ioctl(v->kvm_fd, KVM_SET_SREGS, &sr);
	for (unsigned int i = 0; i < NR_STATE_MSRS; i++)
		m.e[i] = (struct kvm_msr_entry){ .index = state_msrs[i], .data = reg[PM_HV_X86_STAR + i] };
	ioctl(v->kvm_fd, KVM_SET_MSRS, &m);
	if (platform_put(v, &sr, reg))
		return;   /* the FPU came with the XSAVE area */
	fxsave_to(reg + PM_HV_X86_FXSAVE, &f);
	ioctl(v->kvm_fd, KVM_SET_FPU, &f);
}
