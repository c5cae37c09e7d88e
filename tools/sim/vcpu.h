/*
 * tools/sim/vcpu.h - a domain's vCPUs: one thread and one Unicorn engine
 * each, guest RAM mapped from the frame pool as the P2M says
 *
 * A vCPU runs until it is kicked (pause, stop, a P2M change to map), faults
 * (an access to a missing pfn crashes the domain) or traps to a hypercall.
 * Only a vCPU's own thread touches its engine, except to kick it.
 */
#ifndef PHYSMAP_SIM_VCPU_H
#define PHYSMAP_SIM_VCPU_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <unicorn/unicorn.h>

#include "sim.h"

struct sim_mmio {
	struct sim_vcpu *v;
	uint64_t base;
	struct sim_mmio *next;
};

struct sim_vcpu {
	struct sim *s;
	struct sim_domain *d;
	uint32_t id;
	struct pm_sim_vcpu_ctx ctx;
	bool ctx_set;
	bool started, parked, exited;   /* under s->lock */
	pthread_t thread;
	uc_engine *uc;
	uint64_t mapped_gen;            /* the domain's p2m_gen its engine maps */
	struct sim_mmio *mmio;          /* the engine's MMIO regions (their callbacks' data) */
	/* why the engine stopped, set by hooks on this thread */
	char stop_why[PM_SIM_WHY_LEN];
	uint64_t fault_addr;
	int fault_type;                 /* uc_mem_type of an unmapped access */
	bool faulted;
	/* leaving the engine from a hook: pc went to arch->exit_pc */
	bool exiting;
	uint64_t cpu_ns;                /* CPU time of its threads that have ended */
	pid_t tid;                      /* its thread's, while it runs */
	bool blocked;                   /* in SCHEDOP_block now */
	bool pinned;                    /* hard affinity set: applied to each thread it gets */
	cpu_set_t hard;
	uint64_t soft[PM_SIM_CPUMAP_WORDS];   /* kept and shown; no host scheduler takes a preference */
	bool has_soft;
	bool off;                       /* it turned itself off (PSCI CPU_OFF, VCPUOP_down) */
	bool initialised;               /* VCPUOP_initialise gave it a context */
	bool init64;                    /* that context was 64-bit (KVM): init64_state, the whole list */
	struct pm_sim_vcpu_state init64_state;
	uint64_t resume_pc;
	uint64_t next_pc;               /* where a parked vCPU runs on (under s->lock) */
	bool has_state;                 /* state: set while it had no engine, applied at start */
	struct pm_sim_vcpu_state state;
	bool in_ioreq;                  /* waiting for its device model (counts as parked) */
	bool kicked;                    /* asked to leave the engine at its next block (atomic) */
	bool mid_insn;                  /* parked inside an access: its state is not whole */
	/* a fetch outside RAM, and what the device model said to mmio-exec */
	bool exec_fault;
	int exec_rc;
	uint64_t exec_addr;
	struct sim_exec_hook {          /* a block hook over a mapped executable copy */
		uc_hook hook;
		uint64_t start, end;
	} *exec_hooks;
	size_t nr_exec_hooks;
	/* on KVM (kvm.c) instead of Unicorn: its vCPU, and whether an exit's access awaits KVM_RUN to finish */
	int kvm_fd;
	struct kvm_run *kvm_run;
	bool kvm_pending;
	bool long_mode;                 /* its hypercall now comes from 64-bit code (the x86_64 ABI) */
	/* Xen's per-vCPU event and time state (evtchn.c, time.c), under s->lock */
	uint64_t vcpu_info_gpa;         /* VCPUOP_register_vcpu_info's, when vcpu_info_set */
	bool vcpu_info_set;
	uint8_t upcall_vector;          /* HVMOP_set_evtchn_upcall_vector's; 0: none */
	uint32_t virq[SIM_NR_VIRQS];    /* the port bound to each VIRQ on it; 0: none */
	uint64_t timer_ns;              /* the singleshot timer's deadline (system time); 0: none */
	uint64_t period_ns, period_next;   /* the periodic timer; period 0: none */
	int64_t tsc_offset;             /* the guest's TSC less the host's (KVM), when tsc_known */
	uint64_t tsc_khz;               /* its rate */
	bool tsc_known;
};

/**
 * struct sim_arch - what differs between aarch64 and x86 guests
 * @init: open the engine, set the entry state from v->ctx, add the hooks
 *   that trap hypercalls. returns: 0; -errno
 * @pc: the guest's current program counter
 */
struct sim_arch {
	int (*init)(struct sim_vcpu *v);
	uint64_t (*pc)(struct sim_vcpu *v);
	unsigned int word;              /* bytes of a guest xen_ulong_t */
	uint64_t exit_pc;               /* never mapped: fetching it ends uc_emu_start */
	int pc_reg;                     /* Unicorn's register id of the pc */
	int sp_reg, mode_reg;           /* ... the stack pointer, PSTATE or CR0 */
	int boot_regs[4];               /* where struct pm_sim_vcpu_ctx's regs go */
	/* the registers of a vCPU's state, in order (SIM_REG_* for system registers) */
	const int *state_regs;
	unsigned int nr_state;
};

/* system registers Unicorn reaches only through UC_ARM64_REG_CP_REG */
#define SIM_REG_SCTLR_EL1 (-1)
#define SIM_REG_TCR_EL1 (-2)

extern const struct sim_arch sim_arch_arm64, sim_arch_x86;

/** sim_guest_word - the bytes of a guest word (xen_ulong_t, xen_pfn_t) in @v's hypercalls: 8 for aarch64 and 64-bit x86 code, else 4 */
static inline unsigned int sim_guest_word(const struct sim_vcpu *v)
{
	return v->ctx.arch == PM_SIM_ARCH_AARCH64 || v->long_mode ? 8 : 4;
}

/**
 * sim_gnttab_op - grant_table_op (gnttab.c) for @v: @cmd with @count
 * structures at @arg. returns: 0; -errno as Xen's
 */
long sim_gnttab_op(struct sim_vcpu *v, uint64_t cmd, uint64_t arg, uint64_t count);

/** sim_vcpus_alloc - d->vcpus vCPUs, none started. returns: 0; -ENOMEM */
int sim_vcpus_alloc(struct sim *s, struct sim_domain *d);

/** sim_vcpu_set_ctx - vCPU n's first state. returns: 0; -EINVAL; -EBUSY (started) */
int sim_vcpu_set_ctx(struct sim_domain *d, const struct pm_sim_vcpu_ctx *ctx);

/**
 * sim_vcpus_run - let @d run: threads for the vCPUs with a context start
 * on the first call (s->lock held)
 * returns: 0; -EINVAL (no vCPU has a context); -errno
 */
int sim_vcpus_run(struct sim *s, struct sim_domain *d);

/** sim_vcpus_pause - stop @d's vCPUs and wait until each is parked (s->lock held) */
void sim_vcpus_pause(struct sim *s, struct sim_domain *d);

/**
 * sim_vcpus_stop - end @d's vCPU threads and free the engines (s->lock
 * held; dropped while waiting). @d stays allocated.
 */
void sim_vcpus_stop(struct sim *s, struct sim_domain *d);

/**
 * sim_vcpu_leave - called by a trap hook on v's own thread: the pc to
 * write back, which is @next unless the vCPU must leave the engine (it is
 * paused or stopped, its memory changed, or stop_why is set). uc_emu_stop()
 * from a hook does not stop the engine; a fetch from @exit_pc (the
 * engine's arch table's) does. (vcpu-exit.c)
 */
uint64_t sim_vcpu_leave(struct sim_vcpu *v, uint64_t next, uint64_t exit_pc);

/**
 * sim_vcpu_up - bring vCPU @target of @d up at @ctx (PSCI CPU_ON, s->lock
 * held): its thread starts; one that turned itself off is joined first
 * returns: 0; -EINVAL (no such vCPU); -EEXIST (it runs); -errno
 */
int sim_vcpu_up(struct sim_domain *d, uint32_t target, const struct pm_sim_vcpu_ctx *ctx);

/**
 * sim_vcpu_get_state / sim_vcpu_set_state - vCPU @st->vcpu's registers,
 * while the domain is paused or stopped (s->lock held). A vCPU that never
 * ran reports (and takes) its first state.
 * returns: 0; -EINVAL (no such vCPU, another architecture, too many
 *   registers); -EBUSY (the domain runs, or the vCPU waits for its device
 *   model)
 */
int sim_vcpu_get_state(struct sim_domain *d, struct pm_sim_vcpu_state *st);

/**
 * sim_vcpu_info - what xl vcpu-list shows of each of @d's vCPUs, into @out
 * (d->vcpus entries; s->lock held)
 */
void sim_vcpu_info(const struct sim_domain *d, struct pm_sim_vcpuinfo *out);

/**
 * sim_vcpu_pin - vCPU @p->vcpu's host CPUs: its thread runs on @p->hard from
 * now on (and any thread it gets later); @p->soft is kept (s->lock held)
 * returns: 0; -EINVAL (no such vCPU, or no CPU of the host in @p->hard)
 */
int sim_vcpu_pin(struct sim_domain *d, const struct pm_sim_vcpu_pin *p);

/** sim_vcpu_times - the ns @d's vCPU threads have run, and how many vCPUs are up (s->lock held; domain.c) */
uint64_t sim_vcpu_times(const struct sim_domain *d, uint32_t *online);
int sim_vcpu_set_state(struct sim_domain *d, const struct pm_sim_vcpu_state *st);

/**
 * sim_vcpu_thread_end - a vCPU thread's last act, either engine's (s->lock
 * held; released): its CPU time counted, it says it exited (vcpu-exit.c)
 */
void sim_vcpu_thread_end(struct sim_vcpu *v);

/** sim_vcpus_kick - make every running vCPU of @d leave the engine soon */
void sim_vcpus_kick(struct sim_domain *d);

/**
 * sim_hypercall - a guest's hypercall, Xen's numbers and ABI (hypercall.c);
 * takes s->lock
 * returns: the value for the guest's result register
 */
long sim_hypercall(struct sim_vcpu *v, uint64_t op, const uint64_t arg[5]);

/**
 * sim_guest_copy - copy between @buf and guest physical [gpa, gpa + len)
 * of @d, which must be RAM (domain.c)
 * returns: 0; -EFAULT
 */
int sim_guest_copy(struct sim *s, struct sim_domain *d, uint64_t gpa, void *buf, size_t len,
		   bool to_guest);

/* ---- Xen's time (time.c) ---- */

/** sim_now_ns - system time: the host's CLOCK_MONOTONIC, in ns */
uint64_t sim_now_ns(void);

/** sim_time_tsc - @v's TSC is the host's plus @offset, at @khz (its engine knows; 0: it has none) */
void sim_time_tsc(struct sim_vcpu *v, int64_t offset, uint64_t khz);

/** sim_time_pvclock - write vCPU @vcpu's pvclock (vcpu_time_info) where its vcpu_info is; s->lock held */
void sim_time_pvclock(struct sim *s, struct sim_domain *d, uint32_t vcpu);

/** sim_time_shared_info - the wallclock into @d's new shared info, and every vCPU's pvclock; s->lock held */
void sim_time_shared_info(struct sim *s, struct sim_domain *d);

/**
 * sim_time_set - @v's singleshot deadline (system time; 0: none) and
 * periodic timer (ns; 0: none; a changed period starts from now); the
 * timer thread raises its VIRQ_TIMER when due. s->lock held
 */
void sim_time_set(struct sim *s, struct sim_vcpu *v, uint64_t singleshot, uint64_t period);

/** sim_time_start / sim_time_stop - the timer thread (stop: idempotent, without s->lock). start returns: 0; -errno */
int sim_time_start(struct sim *s);
void sim_time_stop(struct sim *s);

/**
 * sim_engine_open - a Unicorn engine of @arch and @mode for a vCPU: the
 * one set up ahead and waiting (engines.c), else one opened now. Any
 * thread, any lock. returns: 0 (*uc the caller's, to uc_close); -ENOMEM
 */
int sim_engine_open(uc_arch arch, uc_mode mode, uc_engine **uc);

/**
 * sim_engines_start / sim_engines_stop - the thread that keeps an engine
 * of each kind waiting (stop closes them; idempotent). start returns: 0; -errno
 */
int sim_engines_start(void);
void sim_engines_stop(void);

#endif
