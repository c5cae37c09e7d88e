/*
 * hv-internal.h - the ops table behind <physmap/hv.h>: one per backend
 * (hv-sim.c now; hv-xen.c with the xen backend). hv.c checks arguments and
 * dispatches; a backend only moves requests.
 */
#ifndef PHYSMAP_HV_INTERNAL_H
#define PHYSMAP_HV_INTERNAL_H

#include "physmap/hv.h"
#include "physmap/p2m.h"

struct pm_hv_ioreq_ops;
struct xs_handle;

struct pm__pv_save;

/*
 * what a core dump (libphysmap/dumpcore.c) needs from the backend: whether
 * the hypervisor translates the guest's P2M (.xen_pfn) or the guest is PV
 * (.xen_p2m), the header's magic (@hvm), the ELF machine, @nr_vcpus
 * contexts of @ctx_size bytes in Xen's vcpu_guest_context layout (@ctx,
 * malloc()ed), the shared info page (malloc()ed, or NULL: none)
 */
struct pm__dump_facts {
	bool translated, hvm;
	uint16_t machine;
	unsigned int nr_vcpus;
	size_t ctx_size, ctx_align;
	void *ctx;
	void *shared_info;
};

/* a domain a backend destroyed by itself */
struct pm_hv_gone {
	uint32_t domid;
	char name[64];
};

struct pm_hv_ops {
	const char *name;
	int (*open)(struct pm_hv *hv);
	void (*close)(struct pm_hv *hv);
	int (*info)(struct pm_hv *hv, uint64_t *total, uint64_t *free_pages);
	/* NULL: no limit of its own to name (the simulator's open-files limit) */
	int (*fd_limit)(struct pm_hv *hv, uint64_t *limit);
	const char *no_save;   /* why this backend cannot save or restore a domain; NULL: it can */
	int (*vuart_init)(struct pm_hv *hv, uint32_t domid, uint64_t gfn, uint32_t *port);   /* NULL: none */
	int (*host_info)(struct pm_hv *hv, struct pm_hv_host *out);
	int (*create)(struct pm_hv *hv, const char *name, uint64_t max_pfn, unsigned int vcpus, const struct pm_hv_arm *arm,
		      uint32_t *domid);
	int (*destroy)(struct pm_hv *hv, uint32_t domid);
	/* PV guests (NULL: none) */
	int (*create_pv)(struct pm_hv *hv, const char *name, unsigned int vcpus, uint32_t *domid);
	int (*pv_build)(struct pm_hv *hv, uint32_t domid, struct pm_hv_pv *pv, char *err, size_t errlen);
	long (*p2m_check)(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, const uint64_t *entries);
	int (*rename)(struct pm_hv *hv, uint32_t domid, const char *name);   /* NULL: the store names domains */
	int (*pause)(struct pm_hv *hv, uint32_t domid, int unpause);
	int (*resume)(struct pm_hv *hv, uint32_t domid);   /* NULL: no guest suspends itself */
	/* NULL: no PV guests to save or restore (libxenguest's streams) */
	int (*pv_save)(struct pm_hv *hv, uint32_t domid, int fd, struct pm__pv_save *ps, char *err, size_t errlen);
	int (*pv_restore)(struct pm_hv *hv, uint32_t domid, int fd, struct pm_hv_pv *pv, char *err, size_t errlen);
	/* NULL: the vCPUs' registers are the whole state a save carries */
	long (*hvm_context)(struct pm_hv *hv, uint32_t domid, void **blob);
	int (*hvm_context_set)(struct pm_hv *hv, uint32_t domid, const void *blob, size_t len);
	int (*getinfo)(struct pm_hv *hv, uint32_t domid, struct pm_hv_dominfo *info);
	/* NULL: pm_hv_domain_wait watches the store's @releaseDomain */
	int (*wait)(struct pm_hv *hv, const struct pm_hv_dominfo *seen, unsigned int timeout_ms);
	long (*list)(struct pm_hv *hv, struct pm_hv_dominfo **out);
	int (*set_maxmem)(struct pm_hv *hv, uint32_t domid, uint64_t max_pages);
	int (*vcpu_set)(struct pm_hv *hv, uint32_t domid, unsigned int vcpu,
			const struct pm_hv_vcpu_ctx *ctx);
	int (*set_param)(struct pm_hv *hv, uint32_t domid, unsigned int index, uint64_t value);
	int (*set_memory_map)(struct pm_hv *hv, uint32_t domid, const struct pm_e820 *map);
	int (*set_actions)(struct pm_hv *hv, uint32_t domid, const enum pm_hv_action act[4]);
	int (*shutdown)(struct pm_hv *hv, uint32_t domid, unsigned int reason);
	int (*set_uuid)(struct pm_hv *hv, uint32_t domid, const uint8_t uuid[16]);   /* NULL: the store keeps it */
	long (*vcpu_list)(struct pm_hv *hv, uint32_t domid, struct pm_hv_vcpuinfo **out);
	long (*console_read)(struct pm_hv *hv, bool clear, char **out);
	long (*cpupools)(struct pm_hv *hv, struct pm_hv_cpupool **out);
	long (*cpu_topology)(struct pm_hv *hv, struct pm_hv_cputopo **out);
	long (*numa_info)(struct pm_hv *hv, struct pm_hv_numa **out);
	int (*set_parameter)(struct pm_hv *hv, const char *name, const char *value);   /* NULL: none */
	long (*pci_topology)(struct pm_hv *hv, struct pm_hv_pcitopo **out);   /* NULL: none */
	/* NULL: the backend has none (-EOPNOTSUPP) */
	int (*debug_keys)(struct pm_hv *hv, const char *keys);
	int (*flask_enforce)(struct pm_hv *hv, int set);
	int (*trigger)(struct pm_hv *hv, uint32_t domid, unsigned int trigger, unsigned int vcpu);
	int (*sched_credit)(struct pm_hv *hv, uint32_t domid, unsigned int version, bool set, int *weight, int *cap);
	int (*vcpu_pin)(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, const uint64_t *hard, const uint64_t *soft);
	/* the domains it destroyed by itself since last asked (NULL: none ever) */
	long (*gone)(struct pm_hv *hv, struct pm_hv_gone **out);
	/* op: 0 populate, 1 decrease, 2 identity */
	long (*memory)(struct pm_hv *hv, int op, uint32_t domid, uint64_t pfn, uint64_t count);
	/* at most max_read entries a call */
	int (*p2m_read)(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count,
			uint64_t *out);
	size_t max_read;
	/* dirty logging; dirty_read at most max_dirty pages (a multiple of 8) a call */
	int (*dirty_log)(struct pm_hv *hv, uint32_t domid, bool enable);
	long (*dirty_read)(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, bool clean,
			   uint8_t *bitmap);
	uint64_t max_dirty;
	const struct pm_hv_ioreq_ops *ioreq;
	int (*console)(struct pm_hv *hv, const struct pm_hv_dominfo *info, struct pm_hv_console *con);
	/* event channels: op 0 alloc (arg: remote; *out: port), 1 bind (arg: port; *out: fd), 2 notify,
	 * 3 close, 4 pending (returns 1 or 0; only with evtchn_ports: a bound fd reads port numbers,
	 * not an eventfd's count) */
	int (*evtchn)(struct pm_hv *hv, int op, uint32_t domid, uint32_t arg, int *out);   /* NULL: no ioreq servers */
	bool evtchn_ports;
	int (*vcpu_state)(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, struct pm_hv_vcpu_state *st,
			  bool set);
	int (*p2m_explain)(struct pm_hv *hv, uint32_t domid, uint64_t pfn, struct pm_p2m_path *path);
	int (*p2m_stats)(struct pm_hv *hv, uint32_t domid, struct pm_p2m_stats *stats);
	/* maps count frames (mfns) at addr, which is reserved for them; or, when
	 * map_pfns is there (the backend maps by pfn), that instead */
	int (*map_mfns)(struct pm_hv *hv, void *addr, const uint64_t *mfns, uint64_t count);
	/* a backend's grant maps (pm_hv_grant_map): all or nothing */
	int (*grant_map)(struct pm_hv *hv, uint32_t domid, const uint32_t *refs, unsigned int count, bool readonly,
			 void **addr);
	int (*grant_unmap)(struct pm_hv *hv, void *addr, unsigned int count);
	int (*map_pfns)(struct pm_hv *hv, uint32_t domid, void *addr, const uint64_t *pfns, const uint64_t *mfns,
			uint64_t count);
	/* NULL: the contexts are made from the vCPUs' registers (dumpcore.c) */
	int (*dump_facts)(struct pm_hv *hv, uint32_t domid, struct pm__dump_facts *f);
	/* optional, faster than a mapping: count frames written to fd, in order
	 * (returns 0 or -errno), or data written into them */
	int (*send_frames)(struct pm_hv *hv, int fd, const uint64_t *mfns, uint64_t count);
	int (*write_frames)(struct pm_hv *hv, const uint64_t *mfns, uint64_t count, const void *data);
	/* the dom0 side of a guest's device (what xl's hotplug scripts block and
	 * vif-bridge do), reading and writing its backend directory be; offline
	 * undoes online and does what it can; NULL: no device backends here */
	int (*hotplug)(struct pm_hv *hv, struct xs_handle *h, const char *kind, const char *be, bool online,
		       char *err, size_t errlen);
};

struct pm_hv {
	const struct pm_hv_ops *ops;
	char rundir[256];
	void *priv;
	/* fault injection: the fail_at-th building call fails (0: never) */
	long fail_at, calls;
	struct xs_handle *release;   /* pm_hv_domain_wait's store handle, watching @releaseDomain, or NULL */
};

/* the backend's own open-files limit, for an -EMFILE's message. returns: 0; -EOPNOTSUPP; -errno */
int pm__hv_fd_limit(struct pm_hv *hv, uint64_t *limit);


/**
 * pm__hv_vuart_init - Xen's emulated PL011 (vpl011) for an Arm domain, its
 * ring the page at @gfn (populated), for dom0's xenconsoled
 * returns: 0 and the guest's end of its event channel in @port;
 *   -EOPNOTSUPP (not Xen on Arm); -errno
 */
int pm__hv_vuart_init(struct pm_hv *hv, uint32_t domid, uint64_t gfn, uint32_t *port);

extern const struct pm_hv_ops pm__hv_sim_ops;
extern const struct pm_hv_ops pm__hv_xen_ops;

/* what a backend does for an ioreq server (see <physmap/hv.h>) */
struct pm_hv_ioreq_ops {
	int (*open)(struct pm_hv_ioreq *s);
	void (*close)(struct pm_hv_ioreq *s);
	void (*respond)(struct pm_hv_ioreq *s, unsigned int vcpu);
	int (*buffered)(struct pm_hv_ioreq *s, struct pm_hv_buf_ioreq *out);
	int (*fd)(const struct pm_hv_ioreq *s, bool gone);
	void (*ack)(struct pm_hv_ioreq *s);
	int (*gone)(struct pm_hv_ioreq *s);   /* NULL: the gone fd is readable only when it is */
	int (*range)(struct pm_hv_ioreq *s, bool coalesce, enum pm_hv_io type, uint64_t start, uint64_t end,
		     bool add);
	int (*notifier)(struct pm_hv_ioreq *s, const struct pm_hv_notifier *n, bool add, int *fd);
	int (*exec)(struct pm_hv_ioreq *s, uint64_t start, uint64_t size, int fd, uint64_t offset, bool add);
};

extern const struct pm_hv_ioreq_ops pm__sim_ioreq_ops;
extern const struct pm_hv_ioreq_ops pm__xen_ioreq_ops;

/* an ioreq server: the shared slots are Xen's ioreq_t on every backend */
struct pm_hv_ioreq {
	struct pm_hv *hv;
	uint32_t domid;
	unsigned int vcpus;
	struct ioreq *slots;     /* [vcpus] */
	void *priv;              /* the backend's */
};

/*
 * pm__hv_map_frames - @count RAM frames at @addr (reserved for them, as
 * PROT_NONE): @mfns[i] is pfn @pfns[i]'s frame as pm_hv_p2m_read gave it;
 * a backend that maps by pfn (xen) takes @pfns (and a PV guest's @mfns),
 * the others @mfns
 * returns: 0; -EFAULT (a frame is gone); -errno
 */
int pm__hv_map_frames(struct pm_hv *hv, uint32_t domid, void *addr, const uint64_t *mfns, const uint64_t *pfns,
		      uint64_t count);

/*
 * pm__hv_hotplug - the backend's hotplug step for the device at be (see
 * pm_hv_ops.hotplug); err may be NULL
 * returns: 0; -EOPNOTSUPP, the backend serves no devices; -errno with err
 */
int pm__hv_hotplug(struct pm_hv *hv, struct xs_handle *h, const char *kind, const char *be, bool online,
		   char *err, size_t errlen);

/*
 * pm__hv_hvm_context - an x86 domain's whole HVM context as Xen saves it
 * (xc_domain_hvm_getcontext: every vCPU's registers, segments, MSRs and
 * FPU, its local APICs and timers), what libxc's HVM_CONTEXT record holds
 * @blob: receives a buffer the caller frees
 * returns: its length; -EOPNOTSUPP (the backend keeps no such context);
 *   -ENOENT; -errno
 */
long pm__hv_hvm_context(struct pm_hv *hv, uint32_t domid, void **blob);

/*
 * struct pm__pv_save - how to save a PV guest, and what it took
 * @live: in rounds while it runs (at most @max_rounds, stopping once
 *     @dirty_stop pages or fewer are left), else all at once, stopped
 * @suspend(@opaque): stops it for the last round; returns 1 with the
 *     domain shut down for suspend, 0 if it could not
 * @rounds, @pages: out, the rounds and pages sent (live saves)
 */
struct pm__pv_save {
	bool live;
	unsigned int max_rounds, dirty_stop;
	int (*suspend)(void *opaque);
	void *opaque;
	unsigned int rounds;
	uint64_t pages;
};

/*
 * pm__hv_pv_save - a PV domain's libxc stream onto @fd, as libxenguest
 * writes it (its pages with their types, its P2M, its vCPUs)
 * returns: 0; -EOPNOTSUPP (no PV guests here); -errno (@err says what)
 */
int pm__hv_pv_save(struct pm_hv *hv, uint32_t domid, int fd, struct pm__pv_save *ps, char *err, size_t errlen);

/*
 * pm__hv_pv_restore - read such a stream from @fd into @domid (created
 * empty, its maximum memory set and pv->console_port / store_port
 * allocated), and give it pv->e820 as its memory map; fills
 * pv->console_frame and pv->store_frame. The domain stays paused.
 * returns: 0; -EOPNOTSUPP; -errno (@err says what)
 */
int pm__hv_pv_restore(struct pm_hv *hv, uint32_t domid, int fd, struct pm_hv_pv *pv, char *err, size_t errlen);

/**
 * pm__hv_gone - the domains the backend destroyed by itself (a shutdown
 * action) since it was last asked, for the toolstack to forget
 * @out: malloc'ed, the caller frees it
 * returns: how many; -errno
 */
long pm__hv_gone(struct pm_hv *hv, struct pm_hv_gone **out);

/* pm__hv_has_hvm_context - whether the backend keeps (and loads) such contexts */
bool pm__hv_has_hvm_context(const struct pm_hv *hv);

/*
 * pm__hv_set_uuid - the UUID the hypervisor keeps for the domain (Xen's
 * domain handle, which xl list -v shows); nothing where the store alone
 * keeps it (the simulator)
 * returns: 0; -ENOENT; -errno
 */
int pm__hv_set_uuid(struct pm_hv *hv, uint32_t domid, const uint8_t uuid[16]);

/*
 * pm__hv_hvm_context_set - load such a context into a paused domain
 * returns: 0; -EOPNOTSUPP; -EINVAL (Xen refused it); -errno
 */
int pm__hv_hvm_context_set(struct pm_hv *hv, uint32_t domid, const void *blob, size_t len);

/* pm__hv_hotplug_ready - whether the backend serves guests' disks and networks */
bool pm__hv_hotplug_ready(const struct pm_hv *hv);

/* the xen backend's hotplug step (hv-xen-hotplug.c) */
int pm__xen_hotplug(struct pm_hv *hv, struct xs_handle *h, const char *kind, const char *be, bool online,
		    char *err, size_t errlen);

#endif
