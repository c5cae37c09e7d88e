/*
 * tools/sim/vcpu.c - vCPU threads: mapping guest memory into Unicorn from
 * the P2M, running, and turning faults into a crashed domain
 *
 * RAM runs are mapped straight from the frame pool (uc_mem_map_ptr), so a
 * guest's stores land in the frames the toolstack maps too. Identity runs
 * (holes and MMIO windows) are MMIO to Unicorn. Missing pfns (never
 * populated, or ballooned out) and pfns past the P2M stay unmapped: an
 * access to one crashes the domain with the pfn, the pc and the kind of
 * access. When the P2M changes (p2m_gen, with the changed ranges logged
 * in the domain), a vCPU maps those ranges afresh before it runs on.
 *
 * Kicking: a vCPU leaves its engine at the start of a block when it was
 * kicked (a block hook calls uc_emu_stop() on its own thread). Unicorn's
 * uc_emu_stop() from another thread cannot be used: it may end a run part
 * way through a block with the pc still at the block's start, so the
 * stores already done are done again when the vCPU runs on (a read-modify-
 * write of memory counted twice, a save whose registers are behind its
 * memory). A kick is a flag, so one that lands while the vCPU is between
 * runs is not lost; whoever needs a vCPU parked still waits until the vCPU
 * says it is.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/xen.h>
#include <xen/sched.h>

#include "failalloc.h"
#include "ioreq.h"
#include "kvm.h"
#include "physmap/hv.h"
#include "vcpu.h"

#define PAGE 4096ull
/*
 * RAM is mapped in regions of at most CHUNK pfns where it changes (a
 * balloon driver's batch splits one small region) and of BIG_CHUNK when a
 * whole map is made (a restored 1 GiB guest: 16 maps, 2 ms, where 512 of
 * 2 MiB cost 120 ms, Unicorn rebuilding its view at each); a change in a
 * big region remaps it whole in small ones first.
 */
#define CHUNK 512ull
#define BIG_CHUNK 16384ull

int sim_vcpus_alloc(struct sim *s, struct sim_domain *d)
{
	d->vcpu = pm_t_calloc(d->vcpus, sizeof(*d->vcpu));
	if (!d->vcpu)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->vcpus; i++) {
		d->vcpu[i].s = s;
		d->vcpu[i].d = d;
		d->vcpu[i].id = i;
	}
	return 0;
}

int sim_vcpu_set_ctx(struct sim_domain *d, const struct pm_sim_vcpu_ctx *ctx)
{
	struct sim_vcpu *v;

	if (ctx->vcpu >= d->vcpus ||
	    (ctx->arch != PM_SIM_ARCH_AARCH64 && ctx->arch != PM_SIM_ARCH_X86_32))
		return -EINVAL;
	v = &d->vcpu[ctx->vcpu];
	if (v->started)
		return -EBUSY;
	v->ctx = *ctx;
	v->ctx_set = true;
	return 0;
}

static const struct sim_arch *arch_of(const struct sim_vcpu *v)
{
	return v->ctx.arch == PM_SIM_ARCH_X86_32 ? &sim_arch_x86 : &sim_arch_arm64;
}

static void free_mmio(struct sim_vcpu *v);

/* whether @v runs (or will) on KVM rather than Unicorn: x86 on a simulator that opened KVM */
static bool on_kvm(const struct sim_vcpu *v)
{
	return v->s->kvm && v->ctx.arch == PM_SIM_ARCH_X86_32;
}

/* whether @v has an engine now (either) */
static bool has_engine(const struct sim_vcpu *v)
{
	return v->uc || v->kvm_run;
}

/*
 * the engine goes, with what Unicorn's needed; a KVM vCPU stays until its
 * domain goes (KVM never takes a vCPU id back), with its state
 */
static void close_engine(struct sim_vcpu *v)
{
	if (v->uc)
		uc_close(v->uc);
	v->uc = NULL;
	v->kvm_pending = false;
	free_mmio(v);
	free(v->exec_hooks);
	v->exec_hooks = NULL;
	v->nr_exec_hooks = 0;
}

/* ---- memory ---- */

/*
 * an access outside RAM: to the device model if it claimed the address,
 * else (an identity pfn nobody claimed) reads float high, writes vanish
 */
static uint64_t mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *opaque)
{
	struct sim_mmio *m = opaque;
	uint64_t v = 0;

	if (sim_ioreq_access(m->v, PM_SIM_IO_MMIO, m->base + offset, size, false, &v))
		return v;
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static void mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *opaque)
{
	struct sim_mmio *m = opaque;

	sim_ioreq_access(m->v, PM_SIM_IO_MMIO, m->base + offset, size, true, &value);
}

static int map_mmio(struct sim_vcpu *v, uint64_t base, uint64_t size)
{
	struct sim_mmio *m = pm_t_malloc(sizeof(*m));

	if (!m)
		return -ENOMEM;
	*m = (struct sim_mmio){ v, base, v->mmio };
	if (uc_mmio_map(v->uc, base, size, mmio_read, m, mmio_write, m) != UC_ERR_OK) {
		free(m);
		return -ENOMEM;
	}
	v->mmio = m;
	return 0;
}

static void free_mmio(struct sim_vcpu *v)
{
	while (v->mmio) {
		struct sim_mmio *m = v->mmio;

		v->mmio = m->next;
		free(m);
	}
}

/* leaves the engine at a block of an executable copy once the domain's memory changed */
static void exec_block(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct sim_vcpu *v = opaque;
	uint64_t pc;

	(void)size;
	if (__atomic_load_n(&v->d->p2m_gen, __ATOMIC_RELAXED) == v->mapped_gen)
		return;
	pc = sim_vcpu_leave(v, addr, arch_of(v)->exit_pc);
	if (pc != addr)
		uc_reg_write(uc, arch_of(v)->pc_reg, &pc);
}

/*
 * the block hooks over executable copies in [a, b) bytes go, with the
 * translations made from the copies (Unicorn keeps those across an unmap)
 */
static void unhook_exec(struct sim_vcpu *v, uint64_t a, uint64_t b)
{
	for (size_t i = v->nr_exec_hooks; i-- > 0;) {
		struct sim_exec_hook *h = &v->exec_hooks[i];

		if (h->end <= a || h->start >= b)
			continue;
		uc_hook_del(v->uc, h->hook);
		uc_ctl_remove_cache(v->uc, h->start, h->end);
		*h = v->exec_hooks[--v->nr_exec_hooks];
	}
}

/* unmaps what the engine has mapped in [first, end) pfns; all of it for 0, ~0 */
static int unmap_range(struct sim_vcpu *v, uint64_t first, uint64_t end)
{
	uc_mem_region *r = NULL;
	uint32_t n = 0;
	int rc = 0;

	unhook_exec(v, first * PAGE, end > UINT64_MAX / PAGE ? UINT64_MAX : end * PAGE);
	if (uc_mem_regions(v->uc, &r, &n) != UC_ERR_OK)
		return -ENOMEM;
	for (uint32_t i = 0; i < n && !rc; i++) {
		uint64_t a = r[i].begin / PAGE, b = r[i].end / PAGE + 1;   /* end is inclusive */

		if (a < first)
			a = first;
		if (b > end)
			b = end;
		if (a < b && uc_mem_unmap(v->uc, a * PAGE, (b - a) * PAGE) != UC_ERR_OK)
			rc = -ENOMEM;
	}
	uc_free(r);
	return rc;
}

/* an executable copy's [a, b) bytes, read-only, watched by a block hook */
static int map_exec(struct sim_vcpu *v, uint64_t a, uint64_t b, const struct sim_exec *x)
{
	struct sim_exec_hook *h = pm_t_realloc(v->exec_hooks, (v->nr_exec_hooks + 1) * sizeof(*h));

	if (!h)
		return -ENOMEM;
	v->exec_hooks = h;
	h = &h[v->nr_exec_hooks];
	if (uc_mem_map_ptr(v->uc, a, b - a, UC_PROT_READ | UC_PROT_EXEC, (char *)x->host + (a - x->start)) !=
	    UC_ERR_OK)
		return -ENOMEM;
	if (uc_hook_add(v->uc, &h->hook, UC_HOOK_BLOCK, exec_block, v, a, b - 1) != UC_ERR_OK)
		return -ENOMEM;
	h->start = a;
	h->end = b;
	v->nr_exec_hooks++;
	return 0;
}

/*
 * [a, b) bytes outside RAM: MMIO, except the executable copies the device
 * model mapped, and never the page whose fetch takes a vCPU out of the
 * engine. Unicorn cannot split an MMIO region, so a change remaps whole
 * regions, and unmapping one costs a step per page: MMIO goes in pieces
 * that never cross a 64 MiB boundary, unless that would make more than 64
 * pieces (a 512 GiB PCIe window stays whole: Unicorn holds at most 4096
 * sections).
 */
#define IO_PIECE (64ull << 20)

static int map_io(struct sim_vcpu *v, uint64_t a, uint64_t b)
{
	const struct sim_ioreq_server *srv = v->d->ioreq;
	uint64_t x = arch_of(v)->exit_pc;
	bool whole = b - a > 64 * IO_PIECE;
	int rc = 0;

	while (a < b && !rc) {
		const struct sim_exec *o = NULL;
		uint64_t e = whole ? b : (a / IO_PIECE + 1) * IO_PIECE;

		if (e > b || e == 0)
			e = b;
		if (x >= a && x < e) {
			if (x == a) {
				a += PAGE;
				continue;
			}
			e = x;
		}
		for (size_t i = 0; srv && i < srv->nr_exec; i++) {
			const struct sim_exec *c = &srv->exec[i];

			if (c->start <= a && a < c->end) {
				o = c;
				e = c->end < e ? c->end : e;
				break;
			}
			if (c->start > a && c->start < e)
				e = c->start;
		}
		rc = o ? map_exec(v, a, e, o) : map_mmio(v, a, e - a);
		a = e;
	}
	return rc;
}

/* the i-th range past the P2M may be mapped in: claimed MMIO, then executable copies, in pfns */
static bool io_range(const struct sim_ioreq_server *srv, size_t i, uint64_t *a, uint64_t *b)
{
	uint64_t start, end;

	if (i < srv->nr_ranges) {
		if (srv->ranges[i].type != PM_SIM_IO_MMIO)
			return false;
		start = srv->ranges[i].start;
		end = srv->ranges[i].end;
	} else {
		start = srv->exec[i - srv->nr_ranges].start;
		end = srv->exec[i - srv->nr_ranges].end;
	}
	*a = start / PAGE;
	*b = end / PAGE + (end % PAGE != 0);
	return true;
}

/*
 * the pages of [first, end) pfns, past the P2M, the device model claimed
 * or put an executable copy in, in merged runs
 */
static int map_claimed(struct sim_vcpu *v, uint64_t first, uint64_t end)
{
	const struct sim_ioreq_server *srv = v->d->ioreq;
	size_t n = srv ? srv->nr_ranges + srv->nr_exec : 0;
	int rc = 0;

	while (first < end && !rc) {
		uint64_t run = end, run_end, a, b;
		bool grew = true;

		for (size_t i = 0; i < n; i++) {
			if (!io_range(srv, i, &a, &b))
				continue;
			if (a < first)
				a = first;
			if (b > end)
				b = end;
			if (a < b && a < run)
				run = a;
		}
		if (run == end)
			break;
		run_end = run + 1;
		while (grew) {
			grew = false;
			for (size_t i = 0; i < n; i++) {
				if (!io_range(srv, i, &a, &b))
					continue;
				if (b > end)
					b = end;
				if (a <= run_end && b > run_end) {
					run_end = b;
					grew = true;
				}
			}
		}
		rc = map_io(v, run * PAGE, run_end * PAGE);
		first = run_end;
	}
	return rc;
}

/*
 * maps [first, end) pfns as the P2M says: RAM from the pool, identity as
 * MMIO; past the P2M, what the device model claimed. RAM goes in aligned
 * pieces of at most @piece pfns: Unicorn splits a region by copying its
 * bookkeeping whole, 66 ms for a 512 MiB region, so a balloon driver's
 * batches must each meet small regions.
 */
static int map_range(struct sim_vcpu *v, uint64_t first, uint64_t end, uint64_t piece)
{
	struct sim_domain *d = v->d;

	for (uint64_t pfn = first; pfn < end && pfn < d->max_pfn;) {
		struct pm_p2m_run run;
		uint64_t e;
		uc_err err = UC_ERR_OK;

		if (pm_p2m_next_run(d->p2m, pfn, &run))
			return -EIO;
		e = run.end < end ? run.end : end;
		if (sim_run_framed(&run) && e - pfn > piece - pfn % piece)
			e = pfn + piece - pfn % piece;
		if (run.kind == PM_P2M_FOREIGN)
			e = pfn + 1;   /* page by page: a grant it maps read-only is read-only */
		if (sim_run_framed(&run))
			err = uc_mem_map_ptr(v->uc, pfn * PAGE, (e - pfn) * PAGE,
					     run.kind == PM_P2M_FOREIGN && sim_gnttab_readonly(v->s, d->domid, pfn) ?
						     UC_PROT_READ | UC_PROT_EXEC : UC_PROT_ALL,
					     (char *)v->s->pool_map + (run.mfn + pfn - run.start) * PAGE);
		else if (run.kind == PM_P2M_IDENTITY && map_io(v, pfn * PAGE, e * PAGE))
			return -ENOMEM;
		if (err != UC_ERR_OK)
			return -ENOMEM;
		pfn = e;
	}
	return map_claimed(v, first > d->max_pfn ? first : d->max_pfn, end);
}

#define ADDR_PFNS (UINT64_MAX / PAGE + 1)   /* pfns of the 64-bit space */

/*
 * [*first, *end) pfns grown to whole MMIO regions and executable copies
 * (never split), and to whole RAM regions bigger than CHUNK
 */
static int widen(struct sim_vcpu *v, uint64_t *first, uint64_t *end)
{
	uc_mem_region *r = NULL;
	uint32_t n = 0;

	if (uc_mem_regions(v->uc, &r, &n) != UC_ERR_OK)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = r[i].begin / PAGE, b = r[i].end / PAGE + 1;   /* end is inclusive */

		if ((r[i].perms == UC_PROT_ALL && b - a <= CHUNK) || b <= *first || a >= *end)
			continue;   /* small RAM splits; this one is elsewhere */
		*first = a < *first ? a : *first;
		*end = b > *end ? b : *end;
	}
	uc_free(r);
	return 0;
}

/*
 * the engine's memory as the P2M says now (s->lock held): only the ranges
 * changed since this vCPU last mapped, if the domain's log still has them
 * (Unicorn invalidates translations page by page over what it unmaps, so a
 * whole remap after each balloon batch would cost seconds); else all
 */
static int remap(struct sim_vcpu *v)
{
	struct sim_domain *d = v->d;
	int rc = 0;

	if (v->mapped_gen < d->changes_base || v->mapped_gen > d->p2m_gen) {
		rc = unmap_range(v, 0, ADDR_PFNS);
		free_mmio(v);
		if (!rc)
			rc = map_range(v, 0, ADDR_PFNS, BIG_CHUNK);
	} else {
		for (uint64_t g = v->mapped_gen; g < d->p2m_gen && !rc; g++) {
			const struct sim_change *c = &d->changes[g - d->changes_base];
			uint64_t a = c->pfn, b = c->pfn + c->count;

			rc = widen(v, &a, &b);
			if (!rc)
				rc = unmap_range(v, a, b);
			if (!rc)
				rc = map_range(v, a, b, CHUNK);
		}
	}
	v->mapped_gen = d->p2m_gen;
	return rc;
}

/* ---- faults ---- */

/* a fetch outside RAM: the device model may hand back a copy to run */
static bool fetch_prot(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		       void *opaque)
{
	struct sim_vcpu *v = opaque;

	(void)uc, (void)type, (void)size, (void)value;
	v->exec_rc = sim_ioreq_exec(v, addr);
	v->exec_addr = addr;
	v->exec_fault = true;
	return false;
}

/*
 * an access where nothing is mapped: a fault, but for a fetch from MMIO,
 * which the x86 engine reports here (the aarch64 one as FETCH_PROT)
 */
static bool unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		     void *opaque)
{
	struct sim_vcpu *v = opaque;

	if (v->exiting && type == UC_MEM_FETCH_UNMAPPED && addr == arch_of(v)->exit_pc)
		return false;
	if (type == UC_MEM_FETCH_UNMAPPED && (fetch_prot(uc, type, addr, size, value, v), v->exec_rc != -ENXIO))
		return false;
	v->exec_fault = false;
	v->faulted = true;
	v->fault_addr = addr;
	v->fault_type = type;
	return false;
}

/* a write to a page mapped read-only: a grant the domain maps read-only (Xen faults it too) */
static bool write_prot(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value, void *opaque)
{
	struct sim_vcpu *v = opaque;

	(void)uc, (void)size, (void)value;
	v->exec_fault = false;
	v->faulted = true;
	v->fault_addr = addr;
	v->fault_type = type;
	return false;
}

/* the reason a fault gives: which pfn, where, what kind of access (s->lock held) */
static void describe_fault(struct sim_vcpu *v, uint64_t pc, char *why, size_t len)
{
	uint64_t pfn = v->fault_addr / PAGE;
	const char *what = v->fault_type == UC_MEM_WRITE_UNMAPPED || v->fault_type == UC_MEM_WRITE_PROT ? "write" :
			   v->fault_type == UC_MEM_FETCH_UNMAPPED ? "fetch" : "read";
	const char *kind = pfn >= v->d->max_pfn ? "beyond the P2M" : "missing";

	if (v->fault_type == UC_MEM_WRITE_PROT)
		kind = sim_gnttab_readonly(v->s, v->d->domid, pfn) ? "a read-only grant map" : "read-only";

	snprintf(why, len, "pfn 0x%" PRIx64 " (%s), pc 0x%" PRIx64 ", %s", pfn, kind, pc, what);
}

/* why a fetch outside RAM crashed the guest */
static void describe_exec(struct sim_vcpu *v, uint64_t pc, char *why, size_t len)
{
	if (v->exec_rc == -ENXIO)
		snprintf(why, len, "pc 0x%" PRIx64 ": fetch from 0x%" PRIx64 ", neither RAM nor a device", pc,
			 v->exec_addr);
	else if (v->exec_rc)
		snprintf(why, len, "pc 0x%" PRIx64 ": fetch from MMIO at 0x%" PRIx64 ": the device model: %s", pc,
			 v->exec_addr, strerror(-v->exec_rc));
	else
		snprintf(why, len, "pc 0x%" PRIx64 ": fetch from MMIO at 0x%" PRIx64 ": no executable copy arrived",
			 pc, v->exec_addr);
}

/* ---- the thread ---- */

/* every block's start: a kicked vCPU leaves the engine before the block runs */
static void kick_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct sim_vcpu *v = opaque;

	if (__atomic_load_n(&v->kicked, __ATOMIC_RELAXED))
		uc_emu_stop(uc);
}

static void *vcpu_thread(void *arg)
{
	struct sim_vcpu *v = arg;
	struct sim *s = v->s;
	struct sim_domain *d = v->d;
	uint64_t pc = v->next_pc;

	pthread_mutex_lock(&s->lock);
	v->tid = (pid_t)syscall(SYS_gettid);
	if (v->pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(v->hard), &v->hard);   /* checked when set */
	for (;;) {
		char why[PM_SIM_WHY_LEN];
		uc_err e;
		int rc;

		if (v->off)
			break;
		v->next_pc = pc;   /* a parked vCPU's state may be read or replaced */
		while (d->run == SIM_RUN_PAUSE) {
			v->parked = true;
			pthread_cond_broadcast(&d->wake);
			pthread_cond_wait(&d->wake, &s->lock);
		}
		v->parked = false;
		pc = v->next_pc;
		if (d->run == SIM_RUN_STOP)
			break;
		if (v->mapped_gen != d->p2m_gen && (rc = remap(v))) {
			snprintf(why, sizeof(why), "vcpu %u: mapping its memory: %s", v->id, strerror(-rc));
			sim_shutdown(s, d, SHUTDOWN_crash, why);
			continue;
		}
		/* what a kick until now asked for is done: it saw d->run and p2m_gen */
		__atomic_store_n(&v->kicked, false, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&s->lock);
		e = uc_emu_start(v->uc, pc, UINT64_MAX, 0, 0);
		pc = arch_of(v)->pc(v);
		pthread_mutex_lock(&s->lock);
		if (v->exiting) {
			v->exiting = false;
			pc = v->resume_pc;
			e = UC_ERR_OK;
		}
		if (v->exec_fault) {
			v->exec_fault = false;
			if (d->run == SIM_RUN_STOP) {
				continue;
			} else if (!v->exec_rc && v->mapped_gen != d->p2m_gen) {
				pc = v->exec_addr;   /* runs on from the copy once mapped */
				e = UC_ERR_OK;
			} else {
				describe_exec(v, pc, why, sizeof(why));
				sim_shutdown(s, d, SHUTDOWN_crash, why);
				continue;
			}
		}
		if (v->faulted) {
			v->faulted = false;
			describe_fault(v, pc, why, sizeof(why));
			sim_shutdown(s, d, SHUTDOWN_crash, why);
		} else if (v->stop_why[0]) {
			sim_shutdown(s, d, SHUTDOWN_crash, v->stop_why);
			v->stop_why[0] = 0;
		} else if (e != UC_ERR_OK) {
			snprintf(why, sizeof(why), "pc 0x%" PRIx64 ": %s", pc, uc_strerror(e));
			sim_shutdown(s, d, SHUTDOWN_crash, why);
		}
	}
	sim_vcpu_thread_end(v);
	return NULL;
}

/* the host CPU a thread last ran on: field 39 of /proc/self/task/TID/stat */
static uint32_t last_cpu(pid_t tid)
{
	char path[64], buf[1024], *p;
	unsigned int cpu = 0;
	size_t n;
	FILE *f;
	int field = 2;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');   /* after the command name, which may hold spaces */
	for (; p && *p && field < 39; p++)
		if (*p == ' ')
			field++;
	if (p && sscanf(p, "%u", &cpu) != 1)
		cpu = 0;
	return cpu;
}

static void set_to_words(const cpu_set_t *set, uint64_t w[PM_SIM_CPUMAP_WORDS])
{
	memset(w, 0, PM_SIM_CPUMAP_WORDS * sizeof(*w));
	for (unsigned int c = 0; c < 64 * PM_SIM_CPUMAP_WORDS && c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, set))
			w[c / 64] |= 1ull << (c % 64);
}

void sim_vcpu_info(const struct sim_domain *d, struct pm_sim_vcpuinfo *out)
{
	cpu_set_t all;

	CPU_ZERO(&all);
	sched_getaffinity(0, sizeof(all), &all);
	for (uint32_t i = 0; i < d->vcpus; i++) {
		const struct sim_vcpu *v = &d->vcpu[i];
		struct pm_sim_vcpuinfo *o = &out[i];
		bool live = v->started && !v->exited;
		cpu_set_t now = v->pinned ? v->hard : all;
		clockid_t c;
		struct timespec t;

		memset(o, 0, sizeof(*o));
		o->vcpu = i;
		o->online = !v->off && (live || v->ctx_set);   /* one that took itself down is offline */
		o->blocked = live && __atomic_load_n(&v->blocked, __ATOMIC_RELAXED);
		o->running = live && !o->blocked && !v->parked && d->state == PM_SIM_RUNNING;
		o->time = v->cpu_ns;
		if (live && !pthread_getcpuclockid(v->thread, &c) && !clock_gettime(c, &t))
			o->time += (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
		if (live) {
			o->cpu = last_cpu(v->tid);
			pthread_getaffinity_np(v->thread, sizeof(now), &now);
		}
		set_to_words(&now, o->hard);
		if (v->has_soft)
			memcpy(o->soft, v->soft, sizeof(o->soft));
		else
			set_to_words(&all, o->soft);
	}
}

int sim_vcpu_pin(struct sim_domain *d, const struct pm_sim_vcpu_pin *p)
{
	struct sim_vcpu *v;
	cpu_set_t set, host;

	if (p->vcpu >= d->vcpus)
		return -EINVAL;
	v = &d->vcpu[p->vcpu];
	if (p->set_hard) {
		bool any = false;

		CPU_ZERO(&set);
		CPU_ZERO(&host);
		sched_getaffinity(0, sizeof(host), &host);
		for (unsigned int c = 0; c < 64 * PM_SIM_CPUMAP_WORDS && c < CPU_SETSIZE; c++)
			if (p->hard[c / 64] & (1ull << (c % 64))) {
				CPU_SET(c, &set);
				any = any || CPU_ISSET(c, &host);
			}
		if (!any)
			return -EINVAL;
		if (v->started && !v->exited && pthread_setaffinity_np(v->thread, sizeof(set), &set))
			return -EINVAL;
		v->hard = set;
		v->pinned = true;
	}
	if (p->set_soft) {
		memcpy(v->soft, p->soft, sizeof(v->soft));
		v->has_soft = true;
	}
	return 0;
}

/* ---- register state ---- */

/* one register of the state list, read or written */
static void reg_io(struct sim_vcpu *v, int id, uint64_t *val, bool write)
{
	if (id == SIM_REG_SCTLR_EL1 || id == SIM_REG_TCR_EL1) {
		uc_arm64_cp_reg cp = { .crn = id == SIM_REG_SCTLR_EL1 ? 1 : 2, .op0 = 3,
				       .op2 = id == SIM_REG_SCTLR_EL1 ? 0 : 2, .val = *val };

		if (write) {
			uc_reg_write(v->uc, UC_ARM64_REG_CP_REG, &cp);
		} else {
			uc_reg_read(v->uc, UC_ARM64_REG_CP_REG, &cp);
			*val = cp.val;
		}
		return;
	}
	if (write) {
		uc_reg_write(v->uc, id, val);
	} else {
		*val = 0;   /* a 32-bit register fills half */
		uc_reg_read(v->uc, id, val);
	}
}

/* a vCPU's registers may be touched: the domain is not running it */
static int quiet(const struct sim_domain *d, const struct sim_vcpu *v)
{
	if (!v->started || v->exited)
		return 0;
	if (v->in_ioreq || v->mid_insn)
		return -EAGAIN;   /* inside an access: let it finish (unpause, pause again) */
	return v->parked || d->run == SIM_RUN_STOP ? 0 : -EBUSY;
}

int sim_vcpu_get_state(struct sim_domain *d, struct pm_sim_vcpu_state *st)
{
	const struct sim_arch *arch;
	struct sim_vcpu *v;
	int rc;

	if (st->vcpu >= d->vcpus)
		return -EINVAL;
	v = &d->vcpu[st->vcpu];
	if ((rc = quiet(d, v)))
		return rc;
	arch = arch_of(v);
	memset(st->reg, 0, sizeof(st->reg));
	st->arch = v->ctx.arch ? v->ctx.arch : PM_SIM_ARCH_AARCH64;
	st->nr = arch->nr_state;
	st->up = v->started ? !v->exited && !v->off : v->ctx_set;
	if (v->has_state && !has_engine(v)) {
		memcpy(st->reg, v->state.reg, sizeof(st->reg));
		st->nr = v->state.nr;
		return 0;
	}
	if (!has_engine(v)) {
		/* its first state: what SET_VCPU gave */
		for (unsigned int i = 0; i < arch->nr_state; i++) {
			int id = arch->state_regs[i];

			for (int r = 0; r < 4; r++)
				if (id == arch->boot_regs[r])
					st->reg[i] = v->ctx.regs[r];
			if (id == arch->pc_reg)
				st->reg[i] = v->ctx.pc;
			else if (id == arch->sp_reg)
				st->reg[i] = v->ctx.sp;
			else if (id == arch->mode_reg)
				st->reg[i] = arch == &sim_arch_x86 ? v->ctx.cr0 : v->ctx.pstate;
		}
		return 0;
	}
	if (v->kvm_run) {
		sim_kvm_get_state(v, st->reg);
		st->nr = PM_HV_X86_NR;   /* the whole state: the vCPU may be in any mode */
		return 0;
	}
	for (unsigned int i = 0; i < arch->nr_state; i++)
		reg_io(v, arch->state_regs[i], &st->reg[i], false);
	for (unsigned int i = 0; i < arch->nr_state; i++)
		if (arch->state_regs[i] == arch->pc_reg)
			st->reg[i] = v->next_pc;   /* the engine's pc may be the exit page */
	return 0;
}

/* writes @st into @v's engine (s->lock held, the vCPU quiet) */
static void put_state(struct sim_vcpu *v, const struct pm_sim_vcpu_state *st)
{
	const struct sim_arch *arch = arch_of(v);

	if (v->kvm_run) {
		sim_kvm_put_state(v, st->reg, st->nr);
		return;
	}
	for (unsigned int i = 0; i < arch->nr_state; i++) {
		uint64_t val = st->reg[i];

		reg_io(v, arch->state_regs[i], &val, true);
		if (arch->state_regs[i] == arch->pc_reg)
			v->next_pc = st->reg[i];
	}
}

int sim_vcpu_set_state(struct sim_domain *d, const struct pm_sim_vcpu_state *st)
{
	struct sim_vcpu *v;
	int rc;

	if (st->vcpu >= d->vcpus)
		return -EINVAL;
	v = &d->vcpu[st->vcpu];
	if (st->arch != PM_SIM_ARCH_AARCH64 && st->arch != PM_SIM_ARCH_X86_32)
		return -EINVAL;
	if ((v->ctx_set || v->started) && st->arch != v->ctx.arch)
		return -EINVAL;
	v->ctx.arch = st->arch;
	if (st->nr != arch_of(v)->nr_state && !(st->arch == PM_SIM_ARCH_X86_32 && st->nr == PM_HV_X86_NR))
		return -EINVAL;   /* x86: the flat 14, or the whole list */
	if (st->arch == PM_SIM_ARCH_X86_32 && st->nr == PM_HV_X86_NR && !on_kvm(v) &&
	    (st->reg[PM_HV_X86_EFER] & (1u << 10)))
		return -EOPNOTSUPP;   /* a vCPU in long mode: Unicorn's x86 vCPUs are 32-bit */
	if ((rc = quiet(d, v)))
		return rc;
	if (has_engine(v) && !v->exited) {
		put_state(v, st);
		return 0;
	}
	/* no engine yet: its first state, applied when it starts */
	v->state = *st;
	v->has_state = true;
	v->ctx_set = st->up != 0;
	v->ctx.vcpu = st->vcpu;
	v->ctx.domid = st->domid;
	for (unsigned int i = 0; i < arch_of(v)->nr_state; i++)
		if (arch_of(v)->state_regs[i] == arch_of(v)->pc_reg)
			v->ctx.pc = st->reg[i];
	return 0;
}

static int start(struct sim_vcpu *v)
{
	void *(*thread)(void *) = vcpu_thread;
	uc_hook h;
	int rc;

	if (on_kvm(v)) {
		rc = sim_kvm_vcpu_init(v);
		if (rc)
			return rc;
		thread = sim_kvm_vcpu_thread;
	} else {
		rc = arch_of(v)->init(v);
		if (rc)
			return rc;
		if (uc_hook_add(v->uc, &h, UC_HOOK_BLOCK, kick_hook, v, 1, 0) != UC_ERR_OK ||
		    uc_hook_add(v->uc, &h, UC_HOOK_MEM_UNMAPPED, unmapped, v, 1, 0) != UC_ERR_OK ||
		    uc_hook_add(v->uc, &h, UC_HOOK_MEM_FETCH_PROT, fetch_prot, v, 1, 0) != UC_ERR_OK ||
		    uc_hook_add(v->uc, &h, UC_HOOK_MEM_WRITE_PROT, write_prot, v, 1, 0) != UC_ERR_OK) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	v->mapped_gen = UINT64_MAX;   /* maps everything first */
	v->next_pc = v->ctx.pc;
	if (v->has_state) {
		put_state(v, &v->state);   /* restored rather than booted */
		v->has_state = false;
	} else if (v->init64) {
		put_state(v, &v->init64_state);   /* VCPUOP_initialise's 64-bit context */
	}
	if (pthread_create(&v->thread, NULL, thread, v)) {
		rc = -EAGAIN;
		goto fail;
	}
	v->started = true;
	return 0;
fail:
	close_engine(v);
	return rc;
}

int sim_vcpus_run(struct sim *s, struct sim_domain *d)
{
	bool any = false;
	int rc;

	for (uint32_t i = 0; i < d->vcpus; i++)
		any |= d->vcpu[i].ctx_set || d->vcpu[i].started;
	if (!any)
		return -EINVAL;
	for (uint32_t i = 0; i < d->vcpus; i++) {
		struct sim_vcpu *v = &d->vcpu[i];

		if (v->ctx_set && !v->started && (rc = start(v))) {
			d->run = SIM_RUN_STOP;   /* the started ones end; the domain cannot run */
			sim_vcpus_stop(s, d);
			return rc;
		}
	}
	d->run = SIM_RUN_GO;
	pthread_cond_broadcast(&d->wake);
	return 0;
}

int sim_vcpu_up(struct sim_domain *d, uint32_t target, const struct pm_sim_vcpu_ctx *ctx)
{
	struct sim_vcpu *v;
	int rc;

	if (target >= d->vcpus)
		return -EINVAL;
	v = &d->vcpu[target];
	if (v->started && !v->exited)
		return -EEXIST;
	if (v->started) {
		/* it turned itself off: its thread has ended */
		pthread_join(v->thread, NULL);
		close_engine(v);
		v->started = false;
	}
	v->ctx = *ctx;
	v->ctx_set = true;
	v->off = v->exited = v->parked = false;
	v->stop_why[0] = 0;
	rc = start(v);
	if (!rc)
		pthread_cond_broadcast(&d->wake);
	return rc;
}

void sim_vcpus_kick(struct sim_domain *d)
{
	for (uint32_t i = 0; d->vcpu && i < d->vcpus; i++) {
		__atomic_store_n(&d->vcpu[i].kicked, true, __ATOMIC_SEQ_CST);
		sim_kvm_kick(&d->vcpu[i]);
	}
}

/* wait (s->lock held) until every started vCPU satisfies done(), kicking meanwhile */
static void wait_for(struct sim *s, struct sim_domain *d, bool (*done)(const struct sim_vcpu *))
{
	for (;;) {
		bool all = true;
		struct timespec ts;

		for (uint32_t i = 0; i < d->vcpus; i++)
			all &= !d->vcpu[i].started || done(&d->vcpu[i]);
		if (all)
			return;
		sim_vcpus_kick(d);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&d->wake, &s->lock, &ts);
	}
}

static bool is_parked(const struct sim_vcpu *v)
{
	return v->parked || v->exited || __atomic_load_n(&v->in_ioreq, __ATOMIC_SEQ_CST);
}

static bool has_exited(const struct sim_vcpu *v)
{
	return v->exited;
}

void sim_vcpus_pause(struct sim *s, struct sim_domain *d)
{
	if (d->run == SIM_RUN_STOP)
		return;
	d->run = SIM_RUN_PAUSE;   /* already, for a guest that suspended: it may still be on its way */
	sim_blocked_wake(s);
	wait_for(s, d, is_parked);
}

void sim_vcpus_stop(struct sim *s, struct sim_domain *d)
{
	if (!d->vcpu)
		return;
	d->run = SIM_RUN_STOP;
	pthread_cond_broadcast(&d->wake);
	sim_blocked_wake(s);
	wait_for(s, d, has_exited);
	for (uint32_t i = 0; i < d->vcpus; i++) {
		struct sim_vcpu *v = &d->vcpu[i];

		if (!v->started)
			continue;
		pthread_join(v->thread, NULL);
		close_engine(v);
		v->started = false;
	}
}

const struct sim_hooks sim_engine_hooks = {
	.kick = sim_vcpus_kick,
	.p2m_changed = sim_kvm_changed,
	.interrupt = sim_kvm_interrupt,
	.vcpu_up = sim_vcpu_up,
	.dirty_log = sim_kvm_dirty_log,
	.dirty_harvest = sim_kvm_dirty_harvest,
};
