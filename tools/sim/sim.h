/*
 * tools/sim/sim.h - the simulated hypervisor's state: the frame pool, the
 * domains with their P2M trees, and the embedded store
 *
 * Threads: physmap-sim's loop calls sim_handle and sim_act with s->lock
 * held; each running vCPU has a thread (vcpu.c) that takes s->lock for
 * every hypercall and fault; the store runs on its own thread and touches
 * only what pm_xs gives it. Only the loop frees a domain.
 */
#ifndef PHYSMAP_SIM_SIM_H
#define PHYSMAP_SIM_SIM_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "physmap/p2m.h"
#include "pool.h"
#include "sim-proto.h"
#include "xs.h"

struct sim_vcpu;
struct sim_kvm;
struct sim_kvm_host;

/* run: what the vCPU threads are told */
enum sim_run { SIM_RUN_PAUSE, SIM_RUN_GO, SIM_RUN_STOP };

#define SIM_NR_PARAMS 64
#define SIM_MAX_DOMID 0x7ff0

/* an event channel port of a domain (evtchn.c) */
#define SIM_EVTCHNS 256
#define SIM_NR_VIRQS 24      /* as Xen's NR_VIRQS */
enum sim_evtchn_state {
	SIM_EC_FREE, SIM_EC_RESERVED, SIM_EC_UNBOUND, SIM_EC_INTERDOMAIN, SIM_EC_TOOLSTACK, SIM_EC_VIRQ, SIM_EC_IPI
};
struct sim_evtchn {
	uint8_t state;           /* enum sim_evtchn_state */
	uint32_t remote_dom;     /* UNBOUND: who may bind; INTERDOMAIN: the peer */
	uint32_t remote_port;    /* INTERDOMAIN: the peer's port */
	int fd;                  /* TOOLSTACK: the eventfd a send rings */
	uint32_t vcpu;           /* the vCPU it notifies (bind_virq, bind_ipi, bind_vcpu) */
	uint32_t virq;           /* VIRQ: which */
};

/* a domain's grant table (gnttab.c), version 1 */
#define SIM_GNTTAB_MAX_FRAMES 64   /* Xen's default gnttab_max_frames */
struct sim_gnttab {
	uint32_t nr_frames;      /* frames taken from the pool so far (0: none yet; the guest sees 1) */
	uint64_t mfn[SIM_GNTTAB_MAX_FRAMES];
	uint64_t gpfn[SIM_GNTTAB_MAX_FRAMES];   /* where the guest mapped each; PM_P2M_INVALID: nowhere */
};

#define SIM_WATCHDOGS 2   /* as Xen's NR_DOMAIN_WATCHDOG_TIMERS */

/* sim_handle's answer for a request whose reply comes later (WAIT) */
#define SIM_DEFERRED 1

/* a client waiting for a domain to stop or go (PM_SIM_WAIT) */
struct sim_waiter {
	struct sim_waiter *next;
	int client;
	struct pm_sim_hdr hdr;   /* the request, for its reply */
	uint32_t state, shutdown_reason;   /* what it saw */
	uint64_t deadline;       /* CLOCK_MONOTONIC ns; 0: none */
};

struct sim_domain {
	struct sim_domain *next;
	uint32_t domid;
	uint32_t state;          /* enum pm_sim_state */
	char name[PM_SIM_NAME_LEN];
	uint64_t max_pages, tot_pages, max_pfn;
	uint32_t vcpus;
	uint32_t blocked;        /* vCPUs in SCHEDOP_block now (atomic) */
	uint64_t watchdog[SIM_WATCHDOGS];   /* SCHEDOP_watchdog deadlines (CLOCK_MONOTONIC ns); 0: free */
	struct pm_p2m *p2m;      /* NULL for dom0 */

	struct sim_vcpu *vcpu;   /* [vcpus], threads started at first unpause */
	int run;                 /* enum sim_run, under s->lock */
	pthread_cond_t wake;     /* signalled when run changes */
	/* when RAM comes or goes: the range is logged, p2m_gen bumped, and
	 * vCPUs remap the ranges after their own mapped_gen (sim_changed) */
	uint64_t p2m_gen;
	struct sim_change { uint64_t pfn, count; } *changes;   /* gens [changes_base, p2m_gen) */
	uint64_t changes_base;
	uint32_t shutdown_reason;
	char why[PM_SIM_WHY_LEN];
	uint8_t action[4];       /* enum pm_sim_action on poweroff, reboot, crash, watchdog */
	bool act_pending;        /* shut down: the loop applies the action */
	int console_fd;          /* $RUNDIR/console/NAME.log, or -1 */
	uint64_t params[SIM_NR_PARAMS];   /* HVM_PARAM_* */
	struct sim_ioreq_server *ioreq;   /* its device model's, or NULL */
	struct sim_evtchn evtchn[SIM_EVTCHNS];
	uint64_t shinfo_pfn;     /* where the guest mapped its shared info */
	bool shinfo_set;
	bool shinfo_64;          /* x86: mapped by 64-bit code, so laid out as x86_64's */
	uint64_t early[SIM_EVTCHNS / 64];   /* ports raised before the shared info was mapped (Xen's is always there) */
	/* dirty logging (dirty.c): each page as the log last saw it, or NULL */
	struct sim_dirty_page { uint64_t h1, h2, mfn; } *dirty;
	bool dirty_wp;           /* by write protection (else by digests) */
	uint64_t dirty_frames_gen;   /* by write protection: the p2m_gen every page's frame was seen at */
	uint8_t *dirty_kvm;      /* on KVM: the pages KVM's log said were written (a bit a pfn), else NULL */
	/* a save's lease: the client that started the log, and the one that
	 * paused the domain last (-1: none). If the log's client goes away
	 * with the log on, the log stops, and the domain runs again if that
	 * client paused it: a broken save or migration resumes its guest. */
	int dirty_owner, pauser;
	struct sim_kvm *kvm;     /* its VM when its x86 vCPUs run on KVM (kvm.c), else NULL */
	struct sim_gnttab gnttab;
	struct pm_sim_e820 *e820;   /* what XENMEM_memory_map answers (SET_MEMORY_MAP); NULL: none set */
	uint32_t nr_e820;
	struct sim_waiter *waiters;   /* clients waiting for it to stop or go */
};

/* a grant of a guest mapped by a backend (gnttab.c): a client of the
 * simulator (dom0's physmap-dm), or a guest with GNTTABOP_map_grant_ref */
#define SIM_GNT_BY_GUEST INT_MAX   /* the client of a guest's map (or of a copy in progress) */
struct sim_gnt_map {
	int client;              /* the connection that holds it; SIM_GNT_BY_GUEST; -1: a free handle */
	uint32_t domid, ref;
	uint32_t by;             /* the domain that maps it: 0 for a client */
	uint64_t mfn, pfn;       /* the granted frame, and the guest's pfn of it then */
	uint64_t at;             /* where it is in the mapper's P2M (foreign); PM_P2M_INVALID: nowhere */
	bool readonly;
	bool orphan;             /* the guest freed the frame: back to the pool at the last unmap */
};

struct sim_vcpu;
struct pm_sim_vcpu_ctx;

/*
 * what the files under the vCPUs (domain.c, evtchn.c, dirty.c,
 * hypercall.c, the engines' hypercall paths) ask of the vCPUs and their
 * engines, which sit above them (vcpu.c's sim_engine_hooks; s->hooks)
 */
struct sim_hooks {
	/* @d's vCPUs leave their engines to look at the domain again */
	void (*kick)(struct sim_domain *d);
	/* the engines follow [pfn, pfn + count) of @d's P2M (KVM's slots); 0 or -errno */
	int (*p2m_changed)(struct sim_domain *d, uint64_t pfn, uint64_t count);
	/* @v's upcall @vector, on an engine that takes interrupts from outside (KVM) */
	void (*interrupt)(struct sim_vcpu *v, uint8_t vector);
	/* VCPUOP_up, PSCI CPU_ON: vCPU @target of @d starts at @ctx; 0 or -errno */
	int (*vcpu_up)(struct sim_domain *d, uint32_t target, const struct pm_sim_vcpu_ctx *ctx);
	/* KVM's own dirty log of @d: started or stopped (@bitmap NULL), and read in */
	int (*dirty_log)(struct sim_domain *d, uint8_t *bitmap);
	void (*dirty_harvest)(struct sim_domain *d);
};

/** sim_engine_hooks - the vCPUs' and engines' side of struct sim_hooks (vcpu.c) */
extern const struct sim_hooks sim_engine_hooks;

struct sim {
	struct sim_pool pool;
	const struct sim_hooks *hooks;
	void *pool_map;          /* the whole pool, mapped (rings live in it) */
	struct sim_domain *domains;   /* by id; dom0 first */
	struct sim_domain **by_id;    /* [SIM_MAX_DOMID]: each domain at its id, NULL where none */
	/* how a deferred reply goes out (physmap-sim's loop sets it; s->lock held) */
	void (*reply_later)(void *opaque, int client, const struct pm_sim_hdr *req, int status, const void *payload,
			    uint32_t len);
	void *reply_opaque;
	uint32_t nr_domains;          /* dom0 aside */
	uint64_t nofile;              /* the open-files limit (0: none known) */
	uint32_t next_domid;
	struct pm_xs *xs;
	pthread_mutex_t lock;
	int wake_fd;             /* eventfd: a domain shut down (the loop polls it) */
	/* events for guests (the store notified a ring): one flag per domid,
	 * and a count of them, so that every vCPU blocked when one comes wakes
	 * (the flag is the first waker's to clear); under evt_lock, never
	 * s->lock, so the store's thread cannot deadlock */
	pthread_mutex_t evt_lock;
	pthread_cond_t evt_cond;
	uint8_t *store_kicked;   /* per domid: the store served its ring, its port not yet raised (atomic) */
	uint8_t *alive;          /* per domid: the domain exists (atomic; read by the store without s->lock) */
	/* the timer thread (time.c): sleeps on timer_cond under s->lock */
	pthread_t timer_thread;
	pthread_cond_t timer_cond;
	bool timer_stop, timer_running;
	uint8_t *evt_pending;    /* [SIM_MAX_DOMID] */
	uint32_t *evt_count;     /* [SIM_MAX_DOMID] */
	char rundir[256];        /* consoles go to rundir/console; "" for none */
	/* domains it destroyed by itself (a shutdown action), until GONE asks */
	struct pm_sim_gone *gone;
	uint32_t nr_gone;
	/* dirty logging by write protection (dirty.c): 0 untried, 1 on, -1 not here */
	int wp;
	int uffd, pagemap;
	struct sim_kvm_host *kvm;   /* /dev/kvm when x86 vCPUs run on KVM (kvm.c), else NULL */
	struct sim_gnt_map *gmaps;  /* backends' grant maps, by handle */
	uint32_t nr_gmaps, cap_gmaps;
};

/**
 * sim_init - a simulator with pages frames and dom0
 * returns: 0; -errno
 */
int sim_init(struct sim *s, uint64_t pages);

/** sim_dispose - stop every vCPU, free every domain, the pool and the
 * store; idempotent. Called without s->lock. */
void sim_dispose(struct sim *s);

/** sim_nr_domains - domains besides dom0 */
unsigned int sim_nr_domains(const struct sim *s);

#define SIM_MAX_FDS PM_SIM_MAX_FDS

/**
 * sim_handle - one request of the connection @client: hdr and payload in,
 * reply payload out (s->lock held)
 * @in_fd: the fd that came with the request, or -1; stays the caller's
 * @out: receives a malloc'ed payload (or NULL), *out_len its size
 * @fds: receives fds to pass with the reply (at most SIM_MAX_FDS), *nr_fds
 *   their number; they stay the simulator's
 * returns: the reply's status (0 or -errno); SIM_DEFERRED: no reply now,
 *   s->reply_later sends it (WAIT)
 */
int sim_handle(struct sim *s, int client, const struct pm_sim_hdr *hdr, const void *payload,
	       int *in_fd, void **out, uint32_t *out_len, int *fds, int *nr_fds);

/** sim_waiters_expire - WAITs past their deadline answered -ETIMEDOUT (s->lock held) */
void sim_waiters_expire(struct sim *s);

/**
 * sim_client_gone - connection @client closed: a domain whose device model
 * it was crashes (s->lock held)
 */
void sim_client_gone(struct sim *s, int client);

/**
 * sim_act - apply on_poweroff/on_reboot/on_crash to each domain that shut
 * down since the last call (s->lock held)
 */
void sim_act(struct sim *s);

/* ---- a domain, as every part reaches it (domain.c) ---- */

/** sim_populate - back [pfn, pfn + count) of @d with frames. returns: 0; -errno, nothing done */
int sim_populate(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t count);
/** sim_decrease - free the RAM among [pfn, pfn + count). returns: pages freed; -errno */
long sim_decrease(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t count);
/**
 * sim_shutdown - @d stops for @reason (SHUTDOWN_*), crashed if @why is not
 * NULL; its vCPUs are told to stop and the loop is woken (s->lock held)
 */
void sim_shutdown(struct sim *s, struct sim_domain *d, uint32_t reason, const char *why);

/**
 * sim_watchdog - SCHEDOP_watchdog for @d: @id 0 makes one (returns its id,
 * 1 or 2); another id re-arms it for @timeout seconds, or with 0 frees it
 * (s->lock held)
 * returns: the id, or 0; -EBUSY (both in use); -EINVAL (no such watchdog)
 */
long sim_watchdog(struct sim_domain *d, uint32_t id, uint32_t timeout);

/** sim_watchdogs_check - stop each running domain whose watchdog ran out (SHUTDOWN_watchdog; s->lock held) */
void sim_watchdogs_check(struct sim *s);
/**
 * sim_changed - [pfn, pfn + count) of @d's P2M changed: its vCPUs remap
 * it before they run on (s->lock held). Never fails: when the log cannot
 * grow, vCPUs remap everything.
 */
void sim_changed(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t count);

/** sim_changed_all - the same for all of @d's P2M: its vCPUs map everything afresh */
void sim_changed_all(struct sim *s, struct sim_domain *d);

/** sim_dominfo - @d as DOMINFO, LIST and WAIT report it (s->lock held) */
void sim_dominfo(const struct sim_domain *d, struct pm_sim_dominfo *i);

/** sim_waiter_moved - whether a WAIT that saw (@state, @reason) should hear of @d as it is now */
bool sim_waiter_moved(const struct sim_domain *d, uint32_t state, uint32_t reason);

/** sim_waiters_wake - @d's WAITs that should hear of it now answered (all, -ENOENT, when it is @gone) */
void sim_waiters_wake(struct sim *s, struct sim_domain *d, bool gone);

/** sim_mono_ns - CLOCK_MONOTONIC in ns (WAIT's deadlines, watchdogs) */
uint64_t sim_mono_ns(void);

/** sim_suspended - shut down for suspend: its vCPUs parked, waiting for a save to finish or a resume */
bool sim_suspended(const struct sim_domain *d);

/**
 * sim_dirty_log - start (@enable: every page as it is now is clean) or stop
 * @d's dirty log (s->lock held)
 * returns: 0; -EBUSY (running already); -ENOMEM
 */
int sim_dirty_log(struct sim *s, struct sim_domain *d, bool enable);

/** sim_dirty_dispose - the write-protection tracker's descriptors, closed */
void sim_dirty_dispose(struct sim *s);

/**
 * sim_dirty_read - which of [pfn, pfn + count) changed (contents or frame)
 * since the log last saw them, a bit each into @bitmap ((count + 7) / 8
 * bytes, bit i % 8 of byte i / 8); with @clean, they count as seen now
 * (s->lock held)
 * returns: how many; -ENODATA (no log running); -ERANGE
 */
long sim_dirty_read(struct sim *s, struct sim_domain *d, uint64_t pfn, uint64_t count, bool clean,
		    uint8_t *bitmap);

/** sim_p2m_framed - whether a P2M entry maps a pool frame a vCPU reaches: RAM, or foreign (a grant frame) */
static inline bool sim_p2m_framed(uint64_t e)
{
	int kind = pm_p2m_kind_of(e);

	return kind == PM_P2M_RAM || kind == PM_P2M_FOREIGN;
}

/** sim_run_framed - the same of a run of the P2M (its mfn without the foreign bit) */
static inline bool sim_run_framed(const struct pm_p2m_run *run)
{
	return run->kind == PM_P2M_RAM || run->kind == PM_P2M_FOREIGN;
}

/** sim_domain_find - a domain by id, or NULL (s->lock held) */
struct sim_domain *sim_domain_find(struct sim *s, uint32_t domid);

/* ---- event channels (evtchn.c), s->lock held ---- */

/** sim_evtchn_init / _dispose - a new domain's ports (console's and store's reserved); closing the eventfds */
void sim_evtchn_init(struct sim_domain *d);
void sim_evtchn_dispose(struct sim_domain *d);

/**
 * sim_store_events - raise the store's port of @only (NULL: of every
 * domain) where the store served a ring since (s->lock held)
 */
void sim_store_events(struct sim *s, struct sim_domain *only);

/** sim_evtchn_raise - @port of @d becomes pending: its shared info says so, its blocked vCPUs wake */
void sim_evtchn_raise(struct sim *s, struct sim_domain *d, uint32_t port);

/**
 * sim_evtchn_shared_info - the guest's shared info goes to @pfn (RAM, or
 * populated for it), zeroed. returns: 0; -EINVAL; -ENOMEM
 */
int sim_evtchn_shared_info(struct sim *s, struct sim_domain *d, uint64_t pfn);

/** sim_evtchn_early - the ports raised before @d had a shared info, raised in it now */
void sim_evtchn_early(struct sim *s, struct sim_domain *d);

/** sim_evtchn_alloc - an unbound port of @d that domain @remote may bind. returns: it; -ENOSPC */
long sim_evtchn_alloc(struct sim_domain *d, uint32_t remote);

/**
 * sim_evtchn_bind - bind @d's unbound @port: from @peer (a new port of its
 * own in *@local), or from the toolstack (@peer NULL: the port's eventfd,
 * *@local = @port)
 * returns: 0; -EINVAL (not an unbound port); -EPERM (not for this binder); -ENOSPC; -errno
 */
int sim_evtchn_bind(struct sim *s, struct sim_domain *d, uint32_t port, struct sim_domain *peer,
		    uint32_t *local);

/** sim_evtchn_send - @d sends on @port: its peer's port is raised, or the toolstack's eventfd rung. returns: 0; -EINVAL */
int sim_evtchn_send(struct sim *s, struct sim_domain *d, uint32_t port);

/** sim_evtchn_close - close @d's @port (a peer's end becomes unbound again). returns: 0; -EINVAL */
int sim_evtchn_close(struct sim *s, struct sim_domain *d, uint32_t port);

/**
 * sim_evtchn_bind_virq - a port of @d for VIRQ @virq on vCPU @vcpu (a
 * global VIRQ only on vCPU 0, as Xen has it)
 * returns: the port; -EINVAL (no such VIRQ, or a global one elsewhere);
 *   -ENOENT (no such vCPU); -EEXIST (bound already); -ENOSPC
 */
long sim_evtchn_bind_virq(struct sim_domain *d, uint32_t virq, uint32_t vcpu);

/** sim_evtchn_bind_ipi - a port of @d that notifies its vCPU @vcpu. returns: the port; -ENOENT; -ENOSPC */
long sim_evtchn_bind_ipi(struct sim_domain *d, uint32_t vcpu);

/**
 * sim_evtchn_bind_vcpu - @port of @d notifies vCPU @vcpu from now on
 * (interdomain, unbound and global VIRQ ports)
 * returns: 0; -EINVAL (another kind of port); -ENOENT (no such vCPU)
 */
int sim_evtchn_bind_vcpu(struct sim_domain *d, uint32_t port, uint32_t vcpu);

/** sim_evtchn_unmask - unmask @port; its pending event, if any, is delivered. returns: 0; -EINVAL */
int sim_evtchn_unmask(struct sim *s, struct sim_domain *d, uint32_t port);

/**
 * struct sim_evtchn_status - EVTCHNOP_status's answer: @status an
 * EVTCHNSTAT_*, @vcpu the one notified, @dom and @port the other end
 * (unbound: who may bind; interdomain: the peer), @virq a VIRQ's number
 */
struct sim_evtchn_status {
	uint32_t status, vcpu, dom, port, virq;
};

/** sim_evtchn_status - what @port of @d is. returns: 0; -EINVAL (no such port) */
int sim_evtchn_status(const struct sim_domain *d, uint32_t port, struct sim_evtchn_status *st);

/**
 * sim_evtchn_vcpu_info - where vCPU @vcpu's vcpu_info is in the frame pool
 * (registered with VCPUOP_register_vcpu_info, else in the shared info for
 * the first 32), or NULL (none mapped); s->lock held
 */
uint8_t *sim_evtchn_vcpu_info(struct sim *s, struct sim_domain *d, uint32_t vcpu);

/** sim_evtchn_is_pending - whether @port of @d is pending in its shared info; s->lock held */
bool sim_evtchn_is_pending(struct sim *s, struct sim_domain *d, uint32_t port);

/**
 * sim_evtchn_register_vcpu_info - vCPU @vcpu's vcpu_info moves to guest
 * address @gpa, once; what it held comes along, every selector bit set
 * and an upcall raised so that the guest looks at every word (as Xen
 * does); s->lock held
 * returns: 0; -EINVAL (registered already, not within one RAM page)
 */
int sim_evtchn_register_vcpu_info(struct sim *s, struct sim_domain *d, uint32_t vcpu, uint64_t gpa);

/** sim_evtchn_shared_info_ptr - the guest's shared info in the frame pool, or NULL; s->lock held */
uint8_t *sim_evtchn_shared_info_ptr(struct sim *s, struct sim_domain *d);

/** sim_event - an event for @domid: wakes its blocked vCPUs (any thread, no lock held) */
void sim_event(struct sim *s, uint32_t domid);

/**
 * sim_block - SCHEDOP_block: wait (s->lock held, dropped meanwhile) until
 * an event for @d arrives, the domain is told to stop, or @ms passed
 */
void sim_block(struct sim *s, struct sim_domain *d, unsigned int ms);

/**
 * sim_blocked_wake - after d->run changed from SIM_RUN_GO (s->lock held):
 * its blocked vCPUs see it now, not at the end of their 10 ms slice
 */
void sim_blocked_wake(struct sim *s);

/** sim_say - one line to the simulator's log (its stderr, $RUNDIR/sim.log), dated (say.c) */
void sim_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** sim_console - bytes to @d's console log (s->lock held) */
void sim_console(struct sim_domain *d, const void *buf, size_t len);

/* ---- grant tables (gnttab.c), s->lock held ---- */

/**
 * sim_gnttab_add_to_physmap - XENMAPSPACE_grant_table: frame @idx of @d's
 * table (grown to it) at @gpfn, foreign in the P2M; RAM there is freed,
 * the frame's earlier pfn left empty
 * returns: 0; -EINVAL (idx beyond the table's maximum, gpfn beyond the
 *   P2M); -EPERM (an identity pfn); -ENOMEM (the pool); -errno
 */
long sim_gnttab_add_to_physmap(struct sim *s, struct sim_domain *d, uint64_t idx, uint64_t gpfn);

/** sim_gnttab_seed - the reserved entries again, after the console or store pfn changed */
void sim_gnttab_seed(struct sim *s, struct sim_domain *d);

/** sim_gnttab_free - the grants @d maps unmapped, its table's frames back to the pool (the domain goes) */
void sim_gnttab_free(struct sim *s, struct sim_domain *d);

/**
 * sim_gnttab_map - connection @client maps @domid's grant @ref (read-only:
 * @readonly): the entry checked and marked as Xen marks it, the frame
 * held until the map goes
 * @mfn: receives the frame (its offset in the pool's memfd / 4096)
 * returns: the map's handle; -ENOENT (no such guest); -EINVAL (no such
 *   entry, or it grants nothing to dom0); -EPERM (a writable map of a
 *   read-only grant); -EFAULT (the frame it names is not RAM); -ENOSPC
 *   (262144 maps); -ENOMEM
 */
long sim_gnttab_map(struct sim *s, int client, uint32_t domid, uint32_t ref, bool readonly, uint64_t *mfn);

/** sim_gnttab_unmap - @client's map @handle goes. returns: 0; -EINVAL (not its map) */
int sim_gnttab_unmap(struct sim *s, int client, uint32_t handle);

/** sim_gnttab_client_gone - every map of @client goes (its connection closed) */
void sim_gnttab_client_gone(struct sim *s, int client);

/** sim_gnttab_readonly - whether @domid's pfn @pfn is a read-only grant map of its own (GNTMAP_readonly) */
bool sim_gnttab_readonly(const struct sim *s, uint32_t domid, uint64_t pfn);

/**
 * sim_frames_free - a domain's frames [mfn, mfn + count) back to the pool,
 * but for those a backend maps: they go at their last unmap (domain.c)
 */
void sim_frames_free(struct sim *s, uint64_t mfn, uint64_t count);

/** sim_dirty_mark - @d's page @pfn counts as written at the dirty log's next read (dirty.c) */
void sim_dirty_mark(struct sim_domain *d, uint64_t pfn);

#endif
