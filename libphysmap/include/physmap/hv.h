/*
 * physmap/hv.h - the hypervisor a toolstack drives, behind one interface
 *
 * Two backends: "sim" (physmap-sim, started on demand; the default) and
 * "xen" (libxenctrl & co. on a Xen dom0, for PVH domains; see hv-xen.c for
 * what Xen does not tell a toolstack). Everything above this header is the
 * same on both.
 *
 * Threads: a struct pm_hv is one connection; use it from one thread at a
 * time.
 */
#ifndef PHYSMAP_HV_H
#define PHYSMAP_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pm_e820;

struct pm_hv;

enum pm_hv_state {
	PM_HV_RUNNING,
	PM_HV_PAUSED,
	PM_HV_SHUTDOWN,
	PM_HV_CRASHED,
	PM_HV_DYING,
};

struct pm_hv_dominfo {
	uint32_t domid;
	enum pm_hv_state state;
	char name[64];
	uint64_t max_pages;      /* the limit populate enforces */
	uint64_t tot_pages;      /* pages it has now */
	uint64_t max_pfn;        /* its P2M covers [0, max_pfn) */
	unsigned int vcpus;
	unsigned int shutdown_reason;   /* SHUTDOWN_* of <xen/sched.h> when shut down or crashed */
	char why[128];           /* a crash's reason ("pfn 0x…, pc 0x…, write"), or "" */
	/* its vCPUs' accesses outside RAM, as its device model got them (0 where unknown) */
	uint64_t ioreqs;         /* synchronous round trips */
	uint64_t buffered;       /* coalesced writes, through the buffered ring */
	uint64_t notified;       /* writes that rang a write notifier */
	uint64_t execs;          /* mmio-exec requests */
	uint64_t cpu_time;       /* ns its vCPUs have run (xl list's Time(s)) */
	unsigned int vcpus_online;   /* vCPUs up now */
	bool running;            /* a vCPU is on a CPU now (xl list's r) */
	bool blocked;            /* every vCPU waits for an event (xl list's b) */
	uint64_t outstanding_pages;   /* claimed and not yet populated (xl claims; 0: none) */
	uint64_t shared_pages;   /* shared with other domains by Xen's memory sharing (xl sharing; 0: none) */
	bool has_uuid;           /* the backend keeps UUIDs (Xen's domain handle): @uuid is it */
	uint8_t uuid[16];
};

enum pm_hv_arch { PM_HV_ARCH_AARCH64 = 1, PM_HV_ARCH_X86_32 };

/**
 * struct pm_hv_vcpu_ctx - a vCPU's state when it first runs
 * aarch64: @pc, x0-x3 = @regs, PSTATE = @pstate (Linux's boot protocol);
 * x86_32 (PVH): eip = @pc, eax, ebx, ecx, edx = @regs, CR0 = @cr0.
 */
struct pm_hv_vcpu_ctx {
	enum pm_hv_arch arch;
	uint64_t pc;
	uint64_t regs[4];
	uint64_t pstate, cr0;
};

/**
 * struct pm_hv_vcpu_state - a vCPU's whole register state (for save,
 * restore and migration), @nr registers in the architecture's order:
 * aarch64: x0-x30, sp, pc, pstate, sp_el0, elr_el1, vbar_el1, esr_el1,
 *   far_el1, ttbr0_el1, ttbr1_el1, mair_el1, tpidr_el0, tpidr_el1,
 *   cpacr_el1, sctlr_el1, tcr_el1 (47);
 * x86: eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, eflags, cr0, cr2,
 *   cr3, cr4 (14, PM_HV_X86_NR_FLAT: 32-bit code, segments PVH's flat
 *   ones), or all of enum pm_hv_x86_reg (PM_HV_X86_NR: a vCPU in any mode,
 *   64-bit too, as Xen's struct hvm_hw_cpu holds it)
 * @up: it runs (or will when the domain does), rather than turned off
 */
#define PM_HV_VCPU_REGS 320

/*
 * the x86 register list past the flat 14: the upper halves of the first
 * eight are in them (rax for eax, ...), then r8-r15, EFER, the segments
 * cs, ds, es, fs, gs, ss, tr and ldtr each as selector, base, limit and
 * attributes (Xen's arbytes: type, s, dpl, p, avl, l, db, g in bits 0-11,
 * unusable in bit 16), the descriptor tables, the syscall and sysenter
 * MSRs, the FXSAVE area as 64 little-endian words; then the platform
 * state a hypervisor keeps per vCPU, each part there when its bit in
 * PM_HV_X86_HAVE says so (a backend or stream without it leaves it 0):
 * the TSC; PAT; XCR0 with bytes 512-831 of the XSAVE area (its header and
 * the AVX upper halves) as 40 words; the local APIC: IA32_APIC_BASE, the
 * TSC deadline and its register page (1 KiB, as Xen's LAPIC_REGS and
 * KVM's kvm_lapic_state hold it) as 128 words
 */
enum pm_hv_x86_reg {
	PM_HV_X86_NR_FLAT = 14,
	PM_HV_X86_R8 = 14,
	PM_HV_X86_EFER = 22,
	PM_HV_X86_SEG = 23,          /* 8 segments x (selector, base, limit, arbytes) */
	PM_HV_X86_GDTR_BASE = 55, PM_HV_X86_GDTR_LIMIT, PM_HV_X86_IDTR_BASE, PM_HV_X86_IDTR_LIMIT,
	PM_HV_X86_STAR = 59, PM_HV_X86_LSTAR, PM_HV_X86_CSTAR, PM_HV_X86_SFMASK, PM_HV_X86_KERNEL_GS_BASE,
	PM_HV_X86_SYSENTER_CS = 64, PM_HV_X86_SYSENTER_ESP, PM_HV_X86_SYSENTER_EIP,
	PM_HV_X86_FXSAVE = 67,       /* 64 words */
	PM_HV_X86_HAVE = 131,        /* PM_HV_X86_HAVE_* of what follows */
	PM_HV_X86_TSC = 132, PM_HV_X86_PAT, PM_HV_X86_XCR0, PM_HV_X86_APIC_BASE, PM_HV_X86_TSC_DEADLINE,
	PM_HV_X86_XSAVE_HI = 137,    /* 40 words: XSAVE area bytes 512-831 */
	PM_HV_X86_LAPIC = 177,       /* 128 words: the APIC register page */
	PM_HV_X86_NR = 305
};
#define PM_HV_X86_HAVE_TSC   1u
#define PM_HV_X86_HAVE_PAT   2u
#define PM_HV_X86_HAVE_XSAVE 4u   /* XCR0 and the XSAVE words */
#define PM_HV_X86_HAVE_LAPIC 8u   /* APIC base, TSC deadline and the page */
#define PM_HV_X86_XSAVE_HI_WORDS 40
#define PM_HV_X86_LAPIC_WORDS 128
/* the segments' order in PM_HV_X86_SEG */
enum pm_hv_x86_seg { PM_HV_X86_CS, PM_HV_X86_DS, PM_HV_X86_ES, PM_HV_X86_FS, PM_HV_X86_GS, PM_HV_X86_SS,
		     PM_HV_X86_TR, PM_HV_X86_LDTR, PM_HV_X86_NR_SEGS };
struct pm_hv_vcpu_state {
	enum pm_hv_arch arch;
	unsigned int nr;
	bool up;
	uint64_t reg[PM_HV_VCPU_REGS];
};

/* what happens when a guest powers off, reboots or crashes */
enum pm_hv_action { PM_HV_ACT_DESTROY, PM_HV_ACT_PRESERVE };

/**
 * pm_hv_open - connect to a backend: connect "sim" or "xen", or NULL for
 * $PHYSMAP_CONNECT, else sim. For sim, $PHYSMAP_RUNDIR (else
 * $XDG_RUNTIME_DIR/physmap, /run/physmap for root, /tmp/physmap-UID) holds
 * the simulator's sockets; if nothing answers there, physmap-sim
 * ($PHYSMAP_SIM, else the installed one) is started, under a lock so that
 * concurrent callers start one. Sets XENSTORED_PATH to the backend's store
 * so that libxenstore finds it.
 * returns: 0 and *out; -EINVAL (unknown backend); -ENOENT, -EACCES (xen:
 *   no hypervisor, or not allowed to drive it); -ECONNREFUSED (the simulator would not start: see its sim.log);
 *   -errno; -ENOMEM
 */
int pm_hv_open(const char *connect, struct pm_hv **out);

/** pm_hv_choice - the backend pm_hv_open(@connect) would open: @connect, $PHYSMAP_CONNECT, xen in a dom0, else sim */
const char *pm_hv_choice(const char *connect);

/** pm_hv_close - disconnect (domains stay); NULL is fine */
void pm_hv_close(struct pm_hv *hv);

/** pm_hv_backend - "sim" or "xen" */
const char *pm_hv_backend(const struct pm_hv *hv);

/**
 * pm_hv_serves_devices - whether the backend has hotplug steps for dom0's
 * backends (xen: blkback, netback); the simulator's disks and vifs are the
 * domain's physmap-dm's, which needs none
 */
bool pm_hv_serves_devices(const struct pm_hv *hv);

/** pm_hv_rundir - the simulator's run directory ("" for xen) */
const char *pm_hv_rundir(const struct pm_hv *hv);

/**
 * pm_hv_info - the host's memory in pages
 * returns: 0; -errno
 */
int pm_hv_info(struct pm_hv *hv, uint64_t *total_pages, uint64_t *free_pages);

/*
 * struct pm_hv_host - what xl info says of the host and its hypervisor
 * (libxl_physinfo and libxl_version_info); a string the backend does not
 * know is "", a number 0
 */
struct pm_hv_host {
	unsigned int nr_cpus, max_cpu_id, nr_nodes, cores_per_socket, threads_per_core;
	unsigned int cpu_khz;
	uint32_t hw_cap[8];
	uint32_t caps;                   /* XEN_SYSCTL_PHYSCAP_* of <xen/sysctl.h> */
	uint64_t total_pages, free_pages, outstanding_pages;
	uint64_t sharing_freed_pages, sharing_used_frames;
	unsigned int free_cpus;          /* CPUs in no CPU pool */
	int xen_major, xen_minor;
	char xen_extra[32];
	char xen_caps[1024];
	char scheduler[32];              /* "credit2", ...; "unknown" */
	unsigned int pagesize;
	uint64_t virt_start;
	char changeset[128];
	char commandline[1024];
	char compiler[128], compile_by[64], compile_domain[64], compile_date[64];
	char build_id[128];              /* hex */
};

/**
 * pm_hv_host_info - the host and hypervisor facts xl info prints
 * returns: 0; -errno
 */
int pm_hv_host_info(struct pm_hv *hv, struct pm_hv_host *out);

/**
 * pm_hv_domain_create - an empty, paused domain of vcpus vCPUs whose P2M
 * covers max_pfn
 * returns: 0 and *domid; -EEXIST (the name is taken); -EINVAL; -errno
 */
int pm_hv_domain_create(struct pm_hv *hv, const char *name, uint64_t max_pfn, unsigned int vcpus,
			uint32_t *domid);

/**
 * pm_hv_cannot_save - why the backend cannot save, restore or migrate a
 * domain (Xen 4.17 on Arm has no migration: xl's "command not
 * implemented"), or NULL when it can
 */
const char *pm_hv_cannot_save(const struct pm_hv *hv);

/** struct pm_hv_arm - what an Arm guest's domain is made with: its GIC (2, 3; 0 the host's), SPIs routed to it */
struct pm_hv_arm {
	unsigned int gic_version;
	unsigned int nr_spis;
};

/**
 * pm_hv_domain_create_arm - pm_hv_domain_create for an Arm guest whose
 * GIC the board chose (on Xen for Arm the domain's vGIC; the simulator
 * emulates no GIC and takes no note of it)
 * returns: as pm_hv_domain_create; -ENODEV (the host's Xen offers no such
 *   GIC to guests); -EOPNOTSUPP (Xen on x86)
 */
int pm_hv_domain_create_arm(struct pm_hv *hv, const char *name, uint64_t max_pfn, unsigned int vcpus,
			    const struct pm_hv_arm *arm, uint32_t *domid);

/**
 * struct pm_hv_pv - a PV guest, built by the hypervisor's own builder
 * (libxenguest's, on xen): @kernel (ELF or bzImage), @ramdisk (or NULL),
 * @cmdline (or NULL), @mem_mib of memory, the console's and the store's
 * event channels (allocated for dom0 already); out: the machine frames of
 * the two rings (the store's and xenconsoled's ring-refs)
 */
struct pm_hv_pv {
	const char *kernel, *ramdisk, *cmdline;
	unsigned int mem_mib;
	const struct pm_e820 *e820;    /* in: the memory map it reads (XENMEM_memory_map); NULL: Xen's one range */
	uint32_t console_port, store_port;
	uint64_t console_frame, store_frame;
};

/**
 * pm_hv_domain_create_pv - an empty, paused PV domain (xen only), then
 * pm_hv_pv_build
 * returns: 0 and *domid; -EEXIST (the name is taken); -EOPNOTSUPP (the
 *   backend has no PV guests: sim); -errno
 */
int pm_hv_domain_create_pv(struct pm_hv *hv, const char *name, unsigned int vcpus, uint32_t *domid);

/**
 * pm_hv_pv_build - load and lay out a PV guest (its kernel, its P2M,
 * page tables and start info), its vCPU 0 ready to run
 * @err: receives what the builder said when it fails
 * returns: 0; -EOPNOTSUPP (sim); -EINVAL, -ENOMEM, -errno (with @err)
 */
int pm_hv_pv_build(struct pm_hv *hv, uint32_t domid, struct pm_hv_pv *pv, char *err, size_t errlen);

/**
 * pm_hv_p2m_check - how many of the RAM entries of [pfn, pfn + count)
 * (as pm_hv_p2m_read gave them: a PV guest's own P2M) the hypervisor's
 * M2P does not map back to their pfn
 * returns: the disagreements; -EOPNOTSUPP (the backend has no M2P, or
 *   does not say frames); -errno
 */
long pm_hv_p2m_check(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, const uint64_t *entries);

/** pm_hv_domain_destroy - frames back to the host, the domain gone. returns: 0; -ENOENT; -EPERM (dom0) */
int pm_hv_domain_destroy(struct pm_hv *hv, uint32_t domid);

/**
 * pm_hv_domain_rename - call the domain @name from now on (the backend's
 * part: the simulator keeps names; on xen the store does, see
 * pm_domain_rename)
 * returns: 0; -ENOENT; -EEXIST (another domain has the name); -EINVAL
 */
int pm_hv_domain_rename(struct pm_hv *hv, uint32_t domid, const char *name);

/**
 * pm_hv_domain_resume - a guest that suspended itself (shut down with
 * SHUTDOWN_suspend) carries on where it was, its suspend call returning
 * 1: cancelled, its connections still good (xc_domain_resume's fast way)
 * returns: 0; -ENOENT; -EINVAL (not suspended); -EOPNOTSUPP (the backend's
 *   guests do not suspend themselves)
 */
int pm_hv_domain_resume(struct pm_hv *hv, uint32_t domid);

/**
 * pm_hv_domain_pause / _unpause - stop the vCPUs / let them run; the first
 * unpause starts the vCPUs that have a context.
 * returns: 0; -ENOENT; -EINVAL (shut down, or no vCPU has a context)
 */
int pm_hv_domain_pause(struct pm_hv *hv, uint32_t domid);
int pm_hv_domain_unpause(struct pm_hv *hv, uint32_t domid);

/** pm_hv_domain_getinfo. returns: 0; -ENOENT */
int pm_hv_domain_getinfo(struct pm_hv *hv, uint32_t domid, struct pm_hv_dominfo *info);

/**
 * pm_hv_domain_wait - waits until domain @seen->domid stops (shuts down or
 * crashes), runs again after a stop, stops for another reason than
 * @seen->shutdown_reason, or goes; or until @timeout_ms (0: no limit)
 * passes. The simulator answers for that domain alone; on Xen it is the
 * store's @releaseDomain watch (any domain's, as xl's daemon waits: set at
 * the first call, kept on @hv), so the caller always looks again.
 * returns: 1 (look again: it changed or may have); 0 (the time passed);
 * -errno (it cannot wait here: poll instead)
 */
int pm_hv_domain_wait(struct pm_hv *hv, const struct pm_hv_dominfo *seen, unsigned int timeout_ms);

/**
 * pm_hv_domain_list - every domain, dom0 first, by id
 * @out: receives a malloc'ed array (free())
 * returns: the count; -errno
 */
long pm_hv_domain_list(struct pm_hv *hv, struct pm_hv_dominfo **out);

/**
 * pm_hv_domain_find - a domain by id ("3") or name
 * returns: 0 and *domid; -ENOENT
 */
int pm_hv_domain_find(struct pm_hv *hv, const char *id_or_name, uint32_t *domid);

/**
 * pm_hv_vcpu_set - vCPU @vcpu's first state, before the domain first runs
 * returns: 0; -ENOENT; -EINVAL (no such vCPU, an architecture the backend
 *   cannot run); -EBUSY (it runs already)
 */
int pm_hv_vcpu_set(struct pm_hv *hv, uint32_t domid, unsigned int vcpu,
		   const struct pm_hv_vcpu_ctx *ctx);

/**
 * pm_hv_vcpu_get_state / pm_hv_vcpu_set_state - a vCPU's registers, while
 * its domain is paused (or before it first ran: then its first state;
 * setting one then makes it start from there, restored rather than booted)
 * returns: 0; -ENOENT; -EINVAL (no such vCPU, another architecture, the
 *   wrong number of registers); -EBUSY (the domain runs); -EAGAIN (paused
 *   in the middle of an instruction, an access its device model serves:
 *   unpause and pause it again)
 */
int pm_hv_vcpu_get_state(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, struct pm_hv_vcpu_state *st);
int pm_hv_vcpu_set_state(struct pm_hv *hv, uint32_t domid, unsigned int vcpu,
			 const struct pm_hv_vcpu_state *st);

/*
 * struct pm_hv_vcpuinfo - a vCPU as xl vcpu-list shows it; CPU sets are
 * bitmaps of host CPUs 0-255 (bit c of word c / 64)
 * @cpu: the host CPU it runs on, or last ran on
 * @time: ns it has run
 * @hard: the CPUs it may run on; @soft: those it prefers
 */
#define PM_HV_CPUMAP_WORDS 4
struct pm_hv_vcpuinfo {
	unsigned int vcpu, cpu;
	bool online, running, blocked;
	uint64_t time;
	uint64_t hard[PM_HV_CPUMAP_WORDS], soft[PM_HV_CPUMAP_WORDS];
};

/**
 * pm_hv_vcpu_list - each of the domain's vCPUs
 * @out: receives a malloc'ed array (free()); NULL when there are none
 * returns: the count; -ENOENT; -errno
 */
long pm_hv_vcpu_list(struct pm_hv *hv, uint32_t domid, struct pm_hv_vcpuinfo **out);

/**
 * pm_hv_vcpu_pin - the host CPUs vCPU @vcpu may run on (@hard) and prefers
 * (@soft); NULL leaves one as it is (xl vcpu-pin). On the simulator the
 * vCPU's thread is pinned (soft affinity is kept and shown: the host's
 * scheduler takes no preference); on Xen, Xen's affinities.
 * returns: 0; -ENOENT; -EINVAL (no such vCPU; no host CPU in @hard); -errno
 */
int pm_hv_vcpu_pin(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, const uint64_t *hard, const uint64_t *soft);

/**
 * pm_hv_console_read - the hypervisor's console ring (xl dmesg): Xen's, or
 * the simulator's log ($RUNDIR/sim.log)
 * @clear: empty it after reading
 * @out: receives the text, NUL-terminated (free())
 * returns: its length; -errno
 */
long pm_hv_console_read(struct pm_hv *hv, bool clear, char **out);

/**
 * pm_hv_debug_keys - Xen's debug keys (xl debug-keys: what they print goes to
 * its console ring)
 * returns: 0; -EOPNOTSUPP (the simulator has none); -errno
 */
int pm_hv_debug_keys(struct pm_hv *hv, const char *keys);

/**
 * pm_hv_flask_enforce - Xen's FLASK (XSM) mode: with @set 0 or 1 make it
 * permissive or enforcing; -1 only asks (xl getenforce, setenforce)
 * returns: the mode, 1 enforcing, 0 permissive; -ENOSYS (no FLASK: the
 *   simulator's, and a Xen built without it); -errno
 */
int pm_hv_flask_enforce(struct pm_hv *hv, int set);

/* a CPU pool (xl cpupool-list) */
struct pm_hv_cpupool {
	uint32_t id;
	char name[64];
	char scheduler[32];
	uint64_t cpus[PM_HV_CPUMAP_WORDS];
	unsigned int nr_domains;
	int ratelimit_us;                /* credit2's, or -1 */
};

/**
 * pm_hv_cpupools - the host's CPU pools (the simulator has one, Pool-0,
 * every host CPU, every domain)
 * @out: receives a malloc'ed array (free())
 * returns: the count; -errno
 */
long pm_hv_cpupools(struct pm_hv *hv, struct pm_hv_cpupool **out);

/* a host CPU's place (xl info -n's cpu_topology); @valid false: not there */
struct pm_hv_cputopo {
	bool valid;
	unsigned int core, socket, node;
};

/**
 * pm_hv_cpu_topology - each host CPU's core, socket and NUMA node (Xen's
 * sysinfo; the simulator's host's, from sysfs), by CPU number
 * @out: receives a malloc'ed array (free())
 * returns: the count; -errno
 */
long pm_hv_cpu_topology(struct pm_hv *hv, struct pm_hv_cputopo **out);

/* a host PCI device's NUMA node (xl info -n's device topology) */
struct pm_hv_pcitopo {
	bool valid;
	unsigned int seg, bus, devfn, node;
};

/**
 * pm_hv_pci_topology - the NUMA node of each PCI device dom0 has (Xen's
 * physdev sysctl; the simulator passes no host devices: none)
 * @out: receives a malloc'ed array (free()), NULL when none
 * returns: the count; -errno
 */
long pm_hv_pci_topology(struct pm_hv *hv, struct pm_hv_pcitopo **out);

#define PM_HV_MAX_NODES 64
/* a NUMA node (xl info -n's numa_info); @valid false: not there */
struct pm_hv_numa {
	bool valid;
	uint64_t size, free;             /* bytes */
	unsigned int nr_dists;
	unsigned int dists[PM_HV_MAX_NODES];   /* to each node */
};

/**
 * pm_hv_numa_info - the host's NUMA nodes: memory and distances (the
 * simulator's one node is its frame pool)
 * @out: receives a malloc'ed array (free())
 * returns: the count; -errno
 */
long pm_hv_numa_info(struct pm_hv *hv, struct pm_hv_numa **out);

/**
 * pm_hv_set_parameters - set the hypervisor's runtime parameters (xl
 * set-parameters): @params is Xen's command-line syntax, words
 * "NAME=VALUE", "NAME" (a boolean, true) or "noNAME" (false), each written
 * to Xen's hypfs as /params/NAME, in order (one refused stops the rest)
 * @bad: receives the word refused (a pointer into @params), or NULL
 * returns: 0; -EINVAL (a word that is not one; Xen refused a value);
 *   -ENOENT (no such runtime parameter); -EOPNOTSUPP (the simulator has no
 *   parameters; Xen without hypfs); -errno
 */
int pm_hv_set_parameters(struct pm_hv *hv, const char *params, const char **bad);

/**
 * pm_hv_trigger - press a button of the domain's platform (xl trigger) for
 * @vcpu; the values are Xen's XEN_DOMCTL_SENDTRIGGER_*
 * returns: 0; -ENOENT; -EOPNOTSUPP (the simulator's platforms have no such
 *   wires yet); -EINVAL (Xen refused: not for this kind of guest); -errno
 */
enum pm_hv_trigger { PM_HV_TRIGGER_NMI, PM_HV_TRIGGER_RESET, PM_HV_TRIGGER_INIT, PM_HV_TRIGGER_POWER,
		     PM_HV_TRIGGER_SLEEP };
int pm_hv_trigger(struct pm_hv *hv, uint32_t domid, enum pm_hv_trigger trigger, unsigned int vcpu);

/**
 * pm_hv_sched_credit - a domain's weight and cap under Xen's credit
 * (@version 1) or credit2 (@version 2) scheduler (xl sched-credit,
 * sched-credit2); with @set, *weight and *cap (-1: as they are) become them
 * returns: 0; -ENOENT; -EOPNOTSUPP (the host runs another scheduler; the
 *   simulator's vCPUs are host threads); -EINVAL; -errno
 */
int pm_hv_sched_credit(struct pm_hv *hv, uint32_t domid, unsigned int version, bool set, int *weight, int *cap);

/**
 * pm_hv_set_actions - what the backend does on a guest's poweroff, reboot,
 * crash and watchdog expiry (defaults: destroy, preserve, destroy,
 * destroy; on xen the toolstack applies them, and this records nothing)
 * returns: 0; -ENOENT; -EINVAL
 */
int pm_hv_set_actions(struct pm_hv *hv, uint32_t domid, enum pm_hv_action on_poweroff,
		      enum pm_hv_action on_reboot, enum pm_hv_action on_crash, enum pm_hv_action on_watchdog);

/**
 * pm_hv_domain_shutdown - stop the guest from outside as if it had called
 * SCHEDOP_shutdown with @reason (SHUTDOWN_poweroff, _reboot, _crash,
 * _watchdog, _soft_reset of <xen/sched.h>): no driver in the guest is
 * asked; its shutdown action follows (xc_domain_shutdown)
 * returns: 0; -ENOENT; -EINVAL (suspend, or no such reason); -EALREADY
 *   (it is shut down or crashed already)
 */
int pm_hv_domain_shutdown(struct pm_hv *hv, uint32_t domid, unsigned int reason);

/**
 * pm_hv_set_param - one of the domain's HVM_PARAM_* values (<xen/hvm/params.h>)
 * returns: 0; -ENOENT; -EINVAL (an index the backend does not keep)
 */
int pm_hv_set_param(struct pm_hv *hv, uint32_t domid, unsigned int index, uint64_t value);

struct pm_e820;
#define PM_HV_E820_MAX 128   /* entries a memory map may have: Xen's E820MAX */

/**
 * pm_hv_set_memory_map - the memory map the guest reads with
 * XENMEM_memory_map (x86; libxl sets it for every x86 guest): @map's
 * entries, in order, copied
 * returns: 0; -ENOENT; -EINVAL (more entries than Xen's E820MAX, 128);
 *   -EOPNOTSUPP (the backend keeps no map); -errno
 */
int pm_hv_set_memory_map(struct pm_hv *hv, uint32_t domid, const struct pm_e820 *map);

/** pm_hv_set_maxmem - the most pages populate will give domid. returns: 0; -ENOENT */
int pm_hv_set_maxmem(struct pm_hv *hv, uint32_t domid, uint64_t max_pages);

/**
 * pm_hv_populate - back [pfn, pfn + count) with frames
 * returns: count; -EEXIST (some pfn has a frame: nothing done); -ENOSPC
 *   (over max_pages); -ENOMEM (the host is short); -ERANGE; -ENOENT
 */
long pm_hv_populate(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count);

/** pm_hv_decrease - give the frames of [pfn, pfn + count) back. returns: pages freed; -errno */
long pm_hv_decrease(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count);

/** pm_hv_set_identity - map [pfn, pfn + count) 1:1 (holes, MMIO). returns: pfns made identity; -errno */
long pm_hv_set_identity(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count);

/* a RAM entry whose machine frame the backend does not disclose (xen, HVM/PVH domains) */
#define PM_HV_FRAME_UNKNOWN ((UINT64_C(1) << 62) - 1)

/**
 * pm_hv_p2m_read - P2M entries of [pfn, pfn + count), encoded as
 * <physmap/p2m.h> encodes them, any count (read in chunks); on xen a RAM
 * entry of an HVM or PVH domain is PM_HV_FRAME_UNKNOWN, holes are missing
 * returns: 0; -ERANGE; -ENOENT; -errno
 */
int pm_hv_p2m_read(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, uint64_t *out);

struct pm_p2m_path;
struct pm_p2m_stats;

/** pm_hv_p2m_explain - the tree path of one pfn (<physmap/p2m.h>). returns: 0; -ERANGE; -ENOENT */
int pm_hv_p2m_explain(struct pm_hv *hv, uint32_t domid, uint64_t pfn, struct pm_p2m_path *path);

/** pm_hv_p2m_stats - the domain's tree: pages per level, sentinel references. returns: 0; -ENOENT */
int pm_hv_p2m_stats(struct pm_hv *hv, uint32_t domid, struct pm_p2m_stats *stats);

/**
 * pm_hv_dirty_log - start (@enable: every page counts as clean now) or
 * stop logging which of a domain's pages change (for migration)
 * returns: 0; -EBUSY (running already); -ENOENT; -ENOMEM; -errno
 */
int pm_hv_dirty_log(struct pm_hv *hv, uint32_t domid, bool enable);

/**
 * pm_hv_dirty_bitmap - which pages of [pfn, pfn + count) changed since the
 * log last saw them (contents, or whether and where they are RAM); with
 * @clean (peek and clean) they count as seen now. Any count.
 * @bitmap: (count + 7) / 8 bytes: bit i % 8 of byte i / 8 is pfn + i
 * returns: how many changed; -ENODATA (no log running); -ERANGE; -ENOENT;
 *   -errno
 */
long pm_hv_dirty_bitmap(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, bool clean,
			uint8_t *bitmap);

/**
 * struct pm_hv_console - where a domain's console is: @log, the file its
 * output (UART and console_io) is appended to; @input, the unix socket
 * that takes what is typed for its UART ("" if it has none)
 */
struct pm_hv_console {
	char log[256];
	char input[108];   /* fits sun_path */
};

/**
 * pm_hv_console - where the console of the domain @info describes (as
 * pm_hv_domain_getinfo gave it) is; asks the backend nothing more, so it
 * answers even for a domain that has just gone
 * returns: 0; -ENAMETOOLONG
 */
int pm_hv_console(struct pm_hv *hv, const struct pm_hv_dominfo *info, struct pm_hv_console *con);

/* ---- event channels between the toolstack and a guest ---- */

/**
 * struct pm_hv_evtchn - the toolstack's end of a channel to a guest's
 * @port: @fd becomes readable when the guest sends (then
 * pm_hv_evtchn_pending); @local_port is the toolstack's own port number
 */
struct pm_hv_evtchn {
	uint32_t domid, port, local_port;
	int fd;
};

/**
 * pm_hv_evtchn_alloc_unbound - a port of @domid that domain @remote may
 * bind (as the builder makes the store's and console's for dom0)
 * returns: 0 and *@port; -ENOENT; -ENOSPC; -EINVAL; -errno
 */
int pm_hv_evtchn_alloc_unbound(struct pm_hv *hv, uint32_t domid, uint32_t remote, uint32_t *port);

/**
 * pm_hv_evtchn_bind - bind the toolstack to @domid's @port (allocated for
 * dom0, unbound)
 * returns: 0 and *@out (to unbind); -ENOENT; -EINVAL (not an unbound
 *   port); -EPERM (not allocated for dom0); -errno
 */
int pm_hv_evtchn_bind(struct pm_hv *hv, uint32_t domid, uint32_t port, struct pm_hv_evtchn *out);

/** pm_hv_evtchn_notify - raise the guest's end (it wakes, its shared info says which). returns: 0; -EINVAL; -ENOENT */
int pm_hv_evtchn_notify(struct pm_hv *hv, const struct pm_hv_evtchn *e);

/** pm_hv_evtchn_pending - whether the guest sent since the last call (never blocks). returns: 1; 0 */
int pm_hv_evtchn_pending(struct pm_hv *hv, struct pm_hv_evtchn *e);

/** pm_hv_evtchn_unbind - close the channel (both ends) and the fd; returns: 0; -errno */
int pm_hv_evtchn_unbind(struct pm_hv *hv, struct pm_hv_evtchn *e);

/* ---- ioreq servers: a device model serving a domain's accesses outside RAM ---- */

struct pm_hv_ioreq;
struct ioreq;   /* Xen's ioreq_t, <xen/hvm/ioreq.h> */

enum pm_hv_io { PM_HV_IO_MMIO, PM_HV_IO_PIO };

/* a coalesced write, taken from the buffered ring */
struct pm_hv_buf_ioreq {
	enum pm_hv_io type;
	uint64_t addr, data;
	unsigned int size;
};

/* a write notifier: writes of @size bytes (0: any) at @addr, of @data if @match */
struct pm_hv_notifier {
	enum pm_hv_io type;
	uint64_t addr, data;
	unsigned int size;
	bool match;
};

/**
 * pm_hv_ioreq_open - become @domid's ioreq server (its device model): the
 * accesses of its vCPUs to the ranges claimed come to the slots
 * (pm_hv_ioreq_slot), one Xen ioreq_t a vCPU: when one is
 * STATE_IOREQ_READY, serve it, set STATE_IORESP_READY and
 * pm_hv_ioreq_respond. Uses @hv's connection until closed.
 * returns: 0 and *@out; -ENOENT; -EEXIST (it has one); -ENOMEM; -errno
 */
int pm_hv_ioreq_open(struct pm_hv *hv, uint32_t domid, struct pm_hv_ioreq **out);

/** pm_hv_ioreq_close - stop serving; NULL is fine */
void pm_hv_ioreq_close(struct pm_hv_ioreq *s);

/** pm_hv_ioreq_vcpus / pm_hv_ioreq_slot - the slots, one a vCPU */
unsigned int pm_hv_ioreq_vcpus(const struct pm_hv_ioreq *s);
struct ioreq *pm_hv_ioreq_slot(struct pm_hv_ioreq *s, unsigned int vcpu);

/** pm_hv_ioreq_respond - tell vCPU @vcpu its slot is answered */
void pm_hv_ioreq_respond(struct pm_hv_ioreq *s, unsigned int vcpu);

/**
 * pm_hv_ioreq_buffered - the oldest coalesced write not yet taken
 * (perform them in order, before serving any slot)
 * returns: 1 with *@out; 0 when there is none
 */
int pm_hv_ioreq_buffered(struct pm_hv_ioreq *s, struct pm_hv_buf_ioreq *out);

/**
 * pm_hv_ioreq_fd / _gone_fd / _ack - descriptors to poll for POLLIN:
 * pm_hv_ioreq_fd when work may be waiting (then pm_hv_ioreq_ack clears
 * it), pm_hv_ioreq_gone_fd when the domain may be gone (then
 * pm_hv_ioreq_gone)
 */
int pm_hv_ioreq_fd(const struct pm_hv_ioreq *s);
int pm_hv_ioreq_gone_fd(const struct pm_hv_ioreq *s);
void pm_hv_ioreq_ack(struct pm_hv_ioreq *s);

/**
 * pm_hv_ioreq_gone - after the gone fd was readable: whether the domain
 * really is gone (on xen the fd rings for any domain's release)
 * returns: 1; 0
 */
int pm_hv_ioreq_gone(struct pm_hv_ioreq *s);

/**
 * pm_hv_ioreq_map_range / pm_hv_ioreq_coalesce - claim (@add) or release
 * [start, end) of memory or port space; writes to a coalesced range go to
 * the buffered ring without a round trip
 * returns: 0; -EINVAL; -EEXIST / -ENOENT; -ENOMEM; -errno
 */
int pm_hv_ioreq_map_range(struct pm_hv_ioreq *s, enum pm_hv_io type, uint64_t start, uint64_t end, bool add);
int pm_hv_ioreq_coalesce(struct pm_hv_ioreq *s, enum pm_hv_io type, uint64_t start, uint64_t end, bool add);

/**
 * pm_hv_ioreq_notifier - add (*@fd receives an eventfd the backend rings
 * for each matching write; the caller's, to close once it removed the
 * notifier) or remove a write notifier
 * returns: 0; -EINVAL; -EEXIST / -ENOENT; -ENOMEM; -EOPNOTSUPP (xen: no
 *   such thing; the writes come as ioreqs); -errno
 */
int pm_hv_ioreq_notifier(struct pm_hv_ioreq *s, const struct pm_hv_notifier *n, bool add, int *fd);

/**
 * pm_hv_ioreq_exec - mmio-exec: the vCPUs execute [start, start + size)
 * from the memfd @fd (@offset bytes in; still the caller's) instead of
 * asking (@add), or ask again. An ioreq of type PM_HV_IOREQ_EXEC in a
 * slot asks for one: answer data 0 once this was called, or -errno.
 * returns: 0; -EINVAL (not whole pages, overlapping); -ENOENT; -errno
 */
#define PM_HV_IOREQ_EXEC 0xe0
int pm_hv_ioreq_exec(struct pm_hv_ioreq *s, uint64_t start, uint64_t size, int fd, uint64_t offset, bool add);

/**
 * pm_hv_map - map the RAM of [pfn, pfn + count) into the caller, read-write
 * returns: the address; NULL with errno (EFAULT if a pfn has no frame)
 */
void *pm_hv_map(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count);

/** pm_hv_unmap - undo pm_hv_map */
void pm_hv_unmap(struct pm_hv *hv, void *addr, uint64_t count);

/**
 * pm_hv_grant_map - @count grants of guest @domid (@refs) mapped into the
 * caller, one after another, as dom0's backends map them: writable unless
 * @readonly (libxengnttab on xen; the simulator's grant tables). While
 * mapped the guest's entries say so (GTF_reading, GTF_writing) and the
 * frames stay, whatever the guest does with its pfns.
 * @addr: receives where (for pm_hv_grant_unmap)
 * returns: 0; -ENOENT (no such guest); -EINVAL (a ref it has not granted
 *   to dom0, @count 0); -EPERM (a writable map of a read-only grant);
 *   -EFAULT (a grant of a page the guest does not have); -ENOMEM; -errno.
 *   On failure nothing stays mapped.
 */
int pm_hv_grant_map(struct pm_hv *hv, uint32_t domid, const uint32_t *refs, unsigned int count, bool readonly,
		    void **addr);

/**
 * pm_hv_grant_unmap - a mapping of pm_hv_grant_map goes (@count as it was
 * made); a writable one's pages count as written for the guest's dirty log
 * returns: 0; -EINVAL (no such mapping)
 */
int pm_hv_grant_unmap(struct pm_hv *hv, void *addr, unsigned int count);

#ifdef __cplusplus
}
#endif

#endif
