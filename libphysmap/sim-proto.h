/*
 * libphysmap/sim-proto.h - physmap-sim's wire format, field by field as
 * docs/specs/sim-protocol.md gives it: the library's (its sim backend
 * speaks it), included by the simulator that serves it
 */
#ifndef PHYSMAP_SIM_PROTO_H
#define PHYSMAP_SIM_PROTO_H

#include <stdint.h>

#define PM_SIM_VERSION 10
/* a request's status: PM_SIM_NO_REPLY asks for none (EVTCHN_NOTIFY: one way, nothing to wait for) */
#define PM_SIM_NO_REPLY 1
#define PM_SIM_MAX_PAYLOAD (1u << 20)
#define PM_SIM_NAME_LEN 64
#define PM_SIM_P2M_READ_MAX 65536
#define PM_SIM_MAX_FDS 130     /* descriptors one reply carries at most */

enum pm_sim_op {
	PM_SIM_HELLO = 1,
	PM_SIM_INFO,
	PM_SIM_CREATE,
	PM_SIM_DESTROY,
	PM_SIM_PAUSE,
	PM_SIM_UNPAUSE,
	PM_SIM_GETINFO,
	PM_SIM_LIST,
	PM_SIM_SET_MAXMEM,
	PM_SIM_POPULATE,
	PM_SIM_DECREASE,
	PM_SIM_SET_IDENTITY,
	PM_SIM_P2M_READ,
	PM_SIM_P2M_EXPLAIN,
	PM_SIM_P2M_STATS,
	PM_SIM_SET_VCPU,
	PM_SIM_SET_ACTIONS,
	PM_SIM_SET_PARAM,
	PM_SIM_IOREQ_SERVER,
	PM_SIM_MAP_IO_RANGE,
	PM_SIM_COALESCE,
	PM_SIM_NOTIFIER,
	PM_SIM_EXEC_MAP,
	PM_SIM_DIRTY_LOG,
	PM_SIM_DIRTY_READ,
	PM_SIM_GET_VCPU_STATE,
	PM_SIM_SET_VCPU_STATE,
	PM_SIM_EVTCHN_ALLOC,
	PM_SIM_EVTCHN_BIND,
	PM_SIM_EVTCHN_NOTIFY,
	PM_SIM_EVTCHN_CLOSE,
	PM_SIM_RENAME,
	PM_SIM_REMOTE_SHUTDOWN,
	PM_SIM_VCPU_INFO,
	PM_SIM_VCPU_PIN,
	PM_SIM_GONE,
	PM_SIM_SET_MEMORY_MAP,
	PM_SIM_GNT_MAP,
	PM_SIM_GNT_UNMAP,
	PM_SIM_RESUME,
	PM_SIM_WAIT,
	PM_SIM_IOREQ_FDS,
	PM_SIM_OP_COUNT
};

enum pm_sim_state {
	PM_SIM_RUNNING,
	PM_SIM_PAUSED,
	PM_SIM_SHUTDOWN,
	PM_SIM_CRASHED,
	PM_SIM_DYING,
};

struct pm_sim_hdr {
	uint32_t op;
	uint32_t len;
	uint32_t seq;
	int32_t status;
};

struct pm_sim_hello { uint32_t version, pad; uint64_t total_pages; };
/*
 * WAIT: the reply comes when the domain stops (shuts down or crashes), runs
 * again after a stop, or stops for another reason than the caller saw
 * (state, shutdown_reason: what it last got), with its pm_sim_dominfo;
 * -ENOENT when it is gone (or goes); -ETIMEDOUT after timeout_ms (0: none)
 */
struct pm_sim_wait { uint32_t domid, state, shutdown_reason, timeout_ms; };
/* engine: what runs x86 vCPUs, enum pm_sim_engine (0 from simulators before it was said) */
enum pm_sim_engine { PM_SIM_ENGINE_UNICORN, PM_SIM_ENGINE_KVM };
/* fds_limit: the simulator's open-files limit (a create is refused with -EMFILE near it) */
struct pm_sim_info { uint64_t total_pages, free_pages; uint32_t nr_domains, engine, fds_limit, pad; };
/* vcpus: 1 to PM_SIM_MAX_VCPUS (virt's 512: GICv3 with both redistributor regions) */
#define PM_SIM_MAX_VCPUS 512
struct pm_sim_create { char name[PM_SIM_NAME_LEN]; uint64_t max_pfn; uint32_t vcpus, pad; };
struct pm_sim_domid { uint32_t domid, pad; };
struct pm_sim_rename { uint32_t domid, pad; char name[PM_SIM_NAME_LEN]; };
struct pm_sim_maxmem { uint32_t domid, pad; uint64_t max_pages; };
struct pm_sim_range { uint32_t domid, pad; uint64_t pfn, count; };
struct pm_sim_count { uint64_t done; };
/* GONE replies these: the domains the simulator destroyed by itself (a
 * shutdown action) since it was last asked, for the toolstack to forget */
struct pm_sim_gone { uint32_t domid, pad; char name[PM_SIM_NAME_LEN]; };
#define PM_SIM_GONE_MAX 4096

/* P2M_EXPLAIN replies a struct pm_p2m_path, P2M_STATS a struct
 * pm_p2m_stats, as <physmap/p2m.h> defines them (same host, same ABI) */

#define PM_SIM_WHY_LEN 128

struct pm_sim_dominfo {
	uint32_t domid, state;
	char name[PM_SIM_NAME_LEN];
	uint64_t max_pages, tot_pages, max_pfn;
	uint32_t vcpus;
	uint32_t shutdown_reason;   /* SHUTDOWN_* of <xen/sched.h>, in SHUTDOWN or CRASHED */
	char why[PM_SIM_WHY_LEN];   /* a crash's reason, or "" */
	/* how its vCPUs' accesses outside RAM went to its device model */
	uint64_t ioreqs;            /* synchronous round trips */
	uint64_t buffered;          /* coalesced writes through the buffered ring */
	uint64_t notified;          /* writes that rang a notifier's eventfd */
	uint64_t execs;             /* mmio-exec requests */
	uint64_t cpu_time;          /* ns its vCPUs' threads have run (dom0: the simulator's own loop) */
	uint32_t online;            /* vCPUs up (started and not turned off, or with a first context) */
	uint32_t blocked;           /* of those, how many wait in SCHEDOP_block now */
};

enum pm_sim_arch { PM_SIM_ARCH_AARCH64 = 1, PM_SIM_ARCH_X86_32 };

/* a vCPU's state at its first run: what struct pm_board_vcpu says */
struct pm_sim_vcpu_ctx {
	uint32_t domid, vcpu, arch, pad;
	uint64_t pc, regs[4], pstate, cr0;
	uint64_t sp;                /* the stack pointer (0 at boot: PVH and Linux give none) */
};

/* what the simulator does when the guest powers off, reboots, crashes, its watchdog fires */
enum pm_sim_action { PM_SIM_ACT_DESTROY, PM_SIM_ACT_PRESERVE };

/* an HVM_PARAM_* of the domain (store and console ring pfns and ports) */
struct pm_sim_param { uint32_t domid, index; uint64_t value; };
/* SET_MEMORY_MAP: the E820 entries a guest reads with XENMEM_memory_map (Xen's struct e820entry, unpacked) */
#define PM_SIM_E820_MAX 128   /* Xen's E820MAX */
struct pm_sim_e820 { uint64_t addr, size; uint32_t type, pad; };
struct pm_sim_memory_map { uint32_t domid, nr; struct pm_sim_e820 entry[PM_SIM_E820_MAX]; };
/* GNT_MAP: a guest's grant for the connection (dom0's backends); the reply says where the frame is */
struct pm_sim_gnt_map { uint32_t domid, ref, readonly, pad; };
struct pm_sim_gnt_mapped { uint64_t mfn; uint32_t handle, pad; };
struct pm_sim_gnt_unmap { uint32_t handle, pad; };

/*
 * IOREQ_SERVER replies the vCPU count and where the buffered ring sits in
 * the page fd (after the ioreq_t slots); the fds come as SCM_RIGHTS
 */
/*
 * IOREQ_SERVER replies pm_sim_ioreq_info and descriptors: the ioreq page,
 * the vCPUs' doorbell to the device model, then the first vCPUs' own (at
 * most PM_SIM_IOREQ_FDS_MAX of them: one message carries no more).
 * IOREQ_FDS (the server's owner only) replies the next ones, the vCPUs'
 * from @first on, again at most PM_SIM_IOREQ_FDS_MAX; -EINVAL past the last.
 */
#define PM_SIM_IOREQ_FDS_MAX (PM_SIM_MAX_FDS - 2)
struct pm_sim_ioreq_info { uint32_t vcpus, buf_slots; uint64_t buf_offset; };
struct pm_sim_ioreq_fds { uint32_t domid, first; };

/*
 * The buffered ring, like Xen's buffered_iopage_t but with whole addresses
 * (Xen's buf_ioreq_t has 20 bits, enough for VGA only): coalesced writes,
 * which the vCPU does not wait for. Free-running pointers; slot p %
 * PM_SIM_BUF_SLOTS; the simulator fills a slot and then advances
 * write_pointer, the device model performs it and then advances
 * read_pointer; full when they are PM_SIM_BUF_SLOTS apart. The device
 * model drains the ring before it serves any synchronous ioreq.
 */
#define PM_SIM_BUF_SLOTS 168
struct pm_sim_buf_ioreq {
	uint64_t addr, data;
	uint8_t type;               /* IOREQ_TYPE_PIO or IOREQ_TYPE_COPY */
	uint8_t size, pad[6];
};
struct pm_sim_buf_iopage {
	uint32_t read_pointer, write_pointer;
	uint64_t pad;
	struct pm_sim_buf_ioreq slot[PM_SIM_BUF_SLOTS];
};

/*
 * An ioreq type of ours in a vCPU's slot: mmio-exec. The vCPU fetched from
 * MMIO at addr; the device model answers data = 0 once the executable copy
 * is mapped (EXEC_MAP came first), or -errno.
 */
#define PM_SIM_IOREQ_EXEC 0xe0

enum pm_sim_io_type { PM_SIM_IO_MMIO, PM_SIM_IO_PIO };

struct pm_sim_io_range {
	uint32_t domid, type;       /* enum pm_sim_io_type */
	uint32_t add, pad;          /* 1 claim, 0 release */
	uint64_t start, end;        /* [start, end) */
};

/* NOTIFIER: a write notifier; the reply to an add carries its eventfd */
struct pm_sim_notifier {
	uint32_t domid, type;       /* enum pm_sim_io_type */
	uint32_t add, size;         /* size 0: any */
	uint32_t match, pad;        /* 1: only writes of data */
	uint64_t addr, data;
};
/*
 * EXEC_MAP: an executable copy over [start, start + size), on add from a
 * memfd that comes with the request (SCM_RIGHTS), @offset bytes in
 */
struct pm_sim_exec {
	uint32_t domid, add;
	uint64_t start, size, offset;
};
/*
 * A vCPU's whole register state, in the architecture's order
 * (docs/specs/sim-protocol.md); GET_VCPU_STATE takes a pm_sim_vcpu_id
 */
#define PM_SIM_VCPU_REGS 320   /* as PM_HV_VCPU_REGS: x86 on KVM needs 305 */
struct pm_sim_vcpu_id { uint32_t domid, vcpu; };
struct pm_sim_vcpu_state {
	uint32_t domid, vcpu, arch, nr;   /* nr: registers used */
	uint32_t up, pad;                 /* up: it runs (or will), not turned off */
	uint64_t reg[PM_SIM_VCPU_REGS];
};

/*
 * event channels for the toolstack: EVTCHN_ALLOC a port of domid that
 * `arg` (the remote domain) may bind, replying a pm_sim_evtchn with the
 * port; EVTCHN_BIND (arg: the port) the toolstack's binding of a port
 * allocated for dom0, its eventfd (rung when the guest sends) as
 * SCM_RIGHTS; EVTCHN_NOTIFY raises a port the toolstack bound;
 * EVTCHN_CLOSE closes a port
 */
struct pm_sim_evtchn { uint32_t domid, arg; };

/* DIRTY_LOG: start (1) or stop (0) the domain's dirty log */
struct pm_sim_dirty_log { uint32_t domid, enable; };
/*
 * DIRTY_READ: the pages of [pfn, pfn + count) changed since the log last
 * saw them, as a bitmap of (count + 7) / 8 bytes; with clean, they are
 * seen now. count at most PM_SIM_DIRTY_READ_MAX.
 */
#define PM_SIM_DIRTY_READ_MAX (1u << 23)
struct pm_sim_dirty_read { uint32_t domid, clean; uint64_t pfn, count; };
struct pm_sim_actions {
	uint32_t domid;
	uint8_t on_poweroff, on_reboot, on_crash, on_watchdog;
};

/* a vCPU as xl vcpu-list shows it; CPU sets are bitmaps of host CPUs 0-255 */
#define PM_SIM_CPUMAP_WORDS 4
struct pm_sim_vcpuinfo {
	uint32_t vcpu, online, running, blocked;
	uint32_t cpu, pad;          /* the host CPU it last ran on */
	uint64_t time;              /* ns its thread has run */
	uint64_t hard[PM_SIM_CPUMAP_WORDS], soft[PM_SIM_CPUMAP_WORDS];
};

/* its thread's host CPUs (hard: where it may run; soft: where it prefers) */
struct pm_sim_vcpu_pin {
	uint32_t domid, vcpu, set_hard, set_soft;
	uint64_t hard[PM_SIM_CPUMAP_WORDS], soft[PM_SIM_CPUMAP_WORDS];
};

/* the toolstack stops a guest as if it had called SCHEDOP_shutdown (reason: SHUTDOWN_*) */
struct pm_sim_shutdown { uint32_t domid, reason; };

#endif
