/*
 * hv-xen.c - the xen backend: <physmap/hv.h> on a Xen 4.17 dom0, through
 * libxenctrl, libxenforeignmemory, libxencall, libxenevtchn and
 * libxenstore (the ioreq servers, on libxendevicemodel, are in
 * hv-xen-ioreq.c). xenstored and xenconsoled are Xen's own.
 *
 * Domains are PVH: HVM containers with hardware-assisted paging and no
 * emulated devices but the local APIC; physmap's builder fills them.
 *
 * What differs from the simulator, and why:
 * - The hypervisor keeps an HVM domain's P2M in its own page tables and
 *   tells a toolstack which gfns are populated (getpageframeinfo3) but not
 *   which machine frames back them (4.17 removed getmemlist). RAM entries
 *   read as PM_HV_XEN_FRAME: "some frame"; holes read as missing, since an
 *   HVM domU has no identity entries (set_identity counts none).
 * - No tree of ours: p2m_explain and p2m_stats answer -EOPNOTSUPP.
 * - PV domains are built by libxenguest's builder (pm_hv_pv_build); their
 *   P2M is the guest's own, read through the frame list list its shared
 *   info publishes, and checked against Xen's M2P (pm_hv_p2m_check).
 * - Shutdown actions are the toolstack's on Xen: set_actions records
 *   nothing and pxl's monitor applies them.
 * - A domain's console is its UART's, as physmap-dm serves it
 *   ($PHYSMAP_RUNDIR, else /run/physmap, /console/NAME.log), or when it
 *   has none, its PV console's, as xenconsoled logs it
 *   ($PHYSMAP_XEN_CONSOLE_DIR, else /var/log/xen/console, /guest-NAME.log).
 */
#define __XEN_TOOLS__ 1

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdint.h>

#include <xenctrl.h>
#include <xenguest.h>
#include <xencall.h>
#include <xenhypfs.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/domctl.h>
#include <xen/hvm/params.h>
#include <xen/hvm/save.h>
#include <xen/arch-x86/hvm/save.h>   /* x86 guests' records, whatever the host (hvm/save.h has them on x86 only) */

#include "physmap/e820.h"
#include "physmap/p2m.h"
#include "hv-internal.h"
#include "hv-xen.h"
#include "alloc-internal.h"
#include "../save-internal.h"

/*
 * Xen on x86 or on Arm (an arm64 dom0): what only x86's Xen has (CPUID
 * policies, E820 maps, TSC and timer modes, PV guests' P2Ms) is built for
 * x86 hosts only; elsewhere it says -EOPNOTSUPP.
 */
#if defined(__i386__) || defined(__x86_64__)
#define XEN_X86 1
#else
#define XEN_X86 0
#endif

#define PAGE 4096ull
#define BATCH 1024u   /* gfns a getpageframeinfo3 takes */

/* a channel the toolstack bound: its own evtchn handle */
struct binding {
	xenevtchn_handle *h;
	uint32_t domid, port, local;
};

/* the log-dirty bits Xen cleaned but no caller has taken yet */
struct dirty {
	uint32_t domid;
	uint64_t pages;
	uint8_t *seen;
};

static int err(void)
{
	return errno ? -errno : -EIO;
}

/*
 * the first error the Xen libraries logged since it was last cleared: the
 * cause, where xc_get_last_error keeps only the outcome ("Save failed")
 */
static __thread char first_error[256];

/* the Xen libraries log to stderr unless given a logger: a library never prints */
static void quiet_message(struct xentoollog_logger *l, xentoollog_level level, int errnoval,
			  const char *context, const char *format, va_list al)
{
	(void)l, (void)errnoval, (void)context;
	if (level >= XTL_ERROR && !first_error[0])
		vsnprintf(first_error, sizeof(first_error), format, al);
}

static void quiet_progress(struct xentoollog_logger *l, const char *context, const char *doing_what,
			   int percent, unsigned long done, unsigned long total)
{
	(void)l, (void)context, (void)doing_what, (void)percent, (void)done, (void)total;
}

static void quiet_destroy(struct xentoollog_logger *l)
{
	(void)l;
}

static struct xentoollog_logger quiet = { quiet_message, quiet_progress, quiet_destroy };

static int xen_open(struct pm_hv *hv)
{
	struct pm_xen *x = pm__calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->log = &quiet;
	x->xch = xc_interface_open(&quiet, &quiet, 0);
	x->fmem = x->xch ? xenforeignmemory_open(&quiet, 0) : NULL;
	x->call = x->fmem ? xencall_open(&quiet, 0) : NULL;
	if (!x->call) {
		int rc = errno ? -errno : -ENODEV;

		if (x->fmem)
			xenforeignmemory_close(x->fmem);
		if (x->xch)
			xc_interface_close(x->xch);
		free(x);
		return rc;
	}
	hv->priv = x;
	/* where physmap-dm keeps a domain's UART log, input and control sockets */
	{
		const char *dir = getenv("PHYSMAP_RUNDIR");
		char sub[300];

		snprintf(hv->rundir, sizeof(hv->rundir), "%s", dir && *dir ? dir : "/run/physmap");
		snprintf(sub, sizeof(sub), "%s/console", hv->rundir);
		mkdir(hv->rundir, 0755);
		mkdir(sub, 0755);
	}
	return 0;
}

static void xen_close(struct pm_hv *hv)
{
	struct pm_xen *x = hv->priv;

	for (size_t i = 0; i < x->nr_bind; i++)
		xenevtchn_close(x->bind[i].h);
	free(x->bind);
	if (x->dirty)
		free(x->dirty->seen);
	free(x->dirty);
	if (x->gnt)
		xengnttab_close(x->gnt);
	xencall_close(x->call);
	xenforeignmemory_close(x->fmem);
	xc_interface_close(x->xch);
	free(x);
}

static int xen_info(struct pm_hv *hv, uint64_t *total, uint64_t *free_pages)
{
	struct pm_xen *x = hv->priv;
	xc_physinfo_t pi = { 0 };

	if (xc_physinfo(x->xch, &pi))
		return err();
	*total = pi.total_pages;
	*free_pages = pi.free_pages;
	return 0;
}

static const char *scheduler_name(uint32_t id)
{
	switch (id) {
	case XEN_SCHEDULER_CREDIT: return "credit";
	case XEN_SCHEDULER_CREDIT2: return "credit2";
	case XEN_SCHEDULER_ARINC653: return "arinc653";
	case XEN_SCHEDULER_RTDS: return "rtds";
	case XEN_SCHEDULER_NULL: return "null";
	}
	return "unknown";
}

/* a fixed-size field of Xen's, not always NUL-terminated, as a string */
static void field(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t n = strnlen(src, srclen);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* as libxl_get_physinfo and libxl_get_version_info gather it */
static int xen_host_info(struct pm_hv *hv, struct pm_hv_host *o)
{
	struct pm_xen *x = hv->priv;
	xc_physinfo_t pi = { 0 };
	xen_extraversion_t extra = { 0 };
	xen_compile_info_t ci;
	xen_platform_parameters_t pp = { 0 };
	xen_changeset_info_t cs = { 0 };
	union { xen_build_id_t id; char space[sizeof(xen_build_id_t) + 64]; } bid;
	xc_cpumap_t free_map;
	uint32_t sched = 0;
	int v, n;
	long r;

	if (xc_physinfo(x->xch, &pi))
		return err();
	o->nr_cpus = pi.nr_cpus;
	o->max_cpu_id = pi.max_cpu_id;
	o->nr_nodes = pi.nr_nodes;
	o->cores_per_socket = pi.cores_per_socket;
	o->threads_per_core = pi.threads_per_core;
	o->cpu_khz = pi.cpu_khz;
	memcpy(o->hw_cap, pi.hw_cap, sizeof(o->hw_cap));
	o->caps = pi.capabilities;
	o->total_pages = pi.total_pages;
	o->free_pages = pi.free_pages;
	o->outstanding_pages = pi.outstanding_pages;
	r = xc_sharing_freed_pages(x->xch);
	o->sharing_freed_pages = r > 0 ? (uint64_t)r : 0;
	r = xc_sharing_used_frames(x->xch);
	o->sharing_used_frames = r > 0 ? (uint64_t)r : 0;
	free_map = xc_cpupool_freeinfo(x->xch);
	n = xc_get_cpumap_size(x->xch);
	for (int i = 0; free_map && i < n * 8; i++)
		o->free_cpus += (free_map[i / 8] >> (i % 8)) & 1;
	free(free_map);
	v = xc_version(x->xch, XENVER_version, NULL);
	o->xen_major = v >> 16;
	o->xen_minor = v & 0xffff;
	xc_version(x->xch, XENVER_extraversion, &extra);
	field(o->xen_extra, sizeof(o->xen_extra), extra, sizeof(extra));
	{
		xen_capabilities_info_t caps = { 0 };

		xc_version(x->xch, XENVER_capabilities, &caps);
		field(o->xen_caps, sizeof(o->xen_caps), caps, sizeof(caps));
	}
	if (!xc_sched_id(x->xch, (int *)&sched))
		snprintf(o->scheduler, sizeof(o->scheduler), "%s", scheduler_name(sched));
	o->pagesize = (unsigned int)xc_version(x->xch, XENVER_pagesize, NULL);
	xc_version(x->xch, XENVER_platform_parameters, &pp);
	o->virt_start = pp.virt_start;
	xc_version(x->xch, XENVER_changeset, &cs);
	field(o->changeset, sizeof(o->changeset), cs, sizeof(cs));
	{
		xen_commandline_t cl = { 0 };

		xc_version(x->xch, XENVER_commandline, &cl);
		field(o->commandline, sizeof(o->commandline), cl, sizeof(cl));
	}
	memset(&ci, 0, sizeof(ci));
	xc_version(x->xch, XENVER_compile_info, &ci);
	field(o->compiler, sizeof(o->compiler), ci.compiler, sizeof(ci.compiler));
	field(o->compile_by, sizeof(o->compile_by), ci.compile_by, sizeof(ci.compile_by));
	field(o->compile_domain, sizeof(o->compile_domain), ci.compile_domain, sizeof(ci.compile_domain));
	field(o->compile_date, sizeof(o->compile_date), ci.compile_date, sizeof(ci.compile_date));
	bid.id.len = sizeof(bid) - sizeof(xen_build_id_t);
	r = xc_version(x->xch, XENVER_build_id, &bid.id);
	for (long i = 0; r > 0 && i < r && (size_t)(2 * i + 2) < sizeof(o->build_id); i++)
		snprintf(o->build_id + 2 * i, 3, "%02hhx", bid.id.buf[i]);
	return 0;
}

/* the name the toolstack gave it, in the store ("" if none yet) */
static void store_name(uint32_t domid, char *name, size_t len)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char path[64], *v = NULL;
	unsigned int n = 0;

	name[0] = 0;
	if (!h)
		return;
	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	v = xs_read(h, XBT_NULL, path, &n);
	if (v)
		snprintf(name, len, "%s", v);
	free(v);
	xs_close(h);
}

static void from_xen(struct pm_xen *x, const xc_domaininfo_t *d, struct pm_hv_dominfo *info)
{
	xen_pfn_t gpfns = 0;

	memset(info, 0, sizeof(*info));
	info->domid = d->domain;
	info->shutdown_reason = (d->flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
	if (d->flags & XEN_DOMINF_dying)
		info->state = PM_HV_DYING;
	else if ((d->flags & XEN_DOMINF_shutdown) && info->shutdown_reason == SHUTDOWN_crash)
		info->state = PM_HV_CRASHED;
	else if (d->flags & XEN_DOMINF_shutdown)
		info->state = PM_HV_SHUTDOWN;
	else if (d->flags & XEN_DOMINF_paused)
		info->state = PM_HV_PAUSED;
	else
		info->state = PM_HV_RUNNING;
	if (!(d->flags & XEN_DOMINF_shutdown))
		info->shutdown_reason = 0;
	info->max_pages = d->max_pages;
	info->tot_pages = d->tot_pages;
	if (!xc_domain_maximum_gpfn(x->xch, d->domain, &gpfns))
		info->max_pfn = gpfns + 1;
	info->vcpus = d->max_vcpu_id + 1;
	info->vcpus_online = d->nr_online_vcpus;
	info->cpu_time = d->cpu_time;
	info->running = d->flags & XEN_DOMINF_running;
	info->blocked = d->flags & XEN_DOMINF_blocked;
	info->outstanding_pages = d->outstanding_pages;
	info->shared_pages = d->shr_pages;
	info->has_uuid = true;
	memcpy(info->uuid, d->handle, sizeof(info->uuid));
	if (d->domain == 0)
		snprintf(info->name, sizeof(info->name), "Domain-0");
	else
		store_name(d->domain, info->name, sizeof(info->name));
}

static int xen_getinfo(struct pm_hv *hv, uint32_t domid, struct pm_hv_dominfo *info)
{
	struct pm_xen *x = hv->priv;
	xc_domaininfo_t d;

	if (domid >= DOMID_FIRST_RESERVED)
		return -ENOENT;
	if (xc_domain_getinfolist(x->xch, domid, 1, &d) != 1 || d.domain != domid)
		return -ENOENT;
	from_xen(x, &d, info);
	return 0;
}

static long xen_list(struct pm_hv *hv, struct pm_hv_dominfo **out)
{
	struct pm_xen *x = hv->priv;
	xc_domaininfo_t *d = pm__calloc(1024, sizeof(*d));
	struct pm_hv_dominfo *v;
	int n;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	n = xc_domain_getinfolist(x->xch, 0, 1024, d);
	if (n < 0) {
		free(d);
		return err();
	}
	v = pm__calloc((size_t)n + 1, sizeof(*v));
	if (!v) {
		free(d);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		from_xen(x, &d[i], &v[i]);
	free(d);
	*out = v;
	return n;
}

/* the paging pool libxl gives a domain: 4 KiB × (256 a vCPU + 2 a MiB of memory) */
static uint64_t pool_bytes(uint64_t max_pfn, unsigned int vcpus)
{
	return 4096ull * (256ull * vcpus + 2 * (max_pfn * PAGE >> 20));
}

/*
 * A domain starts with every CPU feature Xen could offer it (its max
 * policy); the toolstack narrows that to the default one, as libxl does
 * before a guest runs. Without it a PVH Linux's timers stop soon after
 * boot: the max policy advertises what this host only emulates in part.
 */
static int default_policy(struct pm_xen *x, uint32_t domid)
{
#if XEN_X86
	return xc_cpuid_apply_policy(x->xch, domid, false, NULL, 0, true, false, false, NULL, NULL);
#else
	(void)x, (void)domid;
	return 0;   /* Arm has no CPUID */
#endif
}

static int arm64_mode(struct pm_xen *x, uint32_t domid);

static int xen_create(struct pm_hv *hv, const char *name, uint64_t max_pfn, unsigned int vcpus,
		      const struct pm_hv_arm *arm, uint32_t *domid)
{
	struct pm_xen *x = hv->priv;
	struct xen_domctl_createdomain c = {
		.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
		.max_vcpus = vcpus,
		.max_evtchn_port = 1023,
		.max_grant_frames = -1,
		.max_maptrack_frames = -1,
		.grant_opts = XEN_DOMCTL_GRANT_version(1),
#if XEN_X86
		.arch = { .emulation_flags = XEN_X86_EMU_LAPIC },
#else
		.arch = { .gic_version = !arm || !arm->gic_version ? XEN_DOMCTL_CONFIG_GIC_NATIVE :
					 arm->gic_version == 2 ? XEN_DOMCTL_CONFIG_GIC_V2 : XEN_DOMCTL_CONFIG_GIC_V3,
			  .nr_spis = arm ? arm->nr_spis : 0,
			  .tee_type = XEN_DOMCTL_CONFIG_TEE_NONE },
#endif
	};
	struct pm_hv_dominfo *v = NULL;
	long n = xen_list(hv, &v);
	uint32_t id = 0;
	int rc = 0;

	for (long i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			rc = -EEXIST;
	free(v);
	if (n < 0 || rc)
		return n < 0 ? (int)n : rc;
	if (XEN_X86 && arm)
		return -EOPNOTSUPP;   /* an Arm guest on x86's Xen */
	if (xc_domain_create(x->xch, &id, &c))
		return err();
	/* native TSC: QEMU's TCG mishandles Xen's RDTSCP intercept (notes/xen-box.md) */
	if (xc_domain_max_vcpus(x->xch, id, vcpus) ||   /* creates them: Xen's HVM save needs vCPU 0 */
	    default_policy(x, id) ||
	    (XEN_X86 && xc_hvm_param_set(x->xch, id, HVM_PARAM_TIMER_MODE, 1 /* no_delay_for_missed_ticks */)) ||
	    (XEN_X86 && xc_domain_set_tsc_info(x->xch, id, 2 /* native */, 0, 0, 0)) ||
	    (!XEN_X86 && arm64_mode(x, id)) ||
	    xc_set_paging_mempool_size(x->xch, id, pool_bytes(max_pfn, vcpus))) {
		rc = err();
		xc_domain_destroy(x->xch, id);
		return rc;
	}
	*domid = id;
	return 0;
}

/* ---- PV guests: libxenguest's builder ---- */

static int xen_create_pv(struct pm_hv *hv, const char *name, unsigned int vcpus, uint32_t *domid)
{
	struct pm_xen *x = hv->priv;
	struct xen_domctl_createdomain c = {
		.max_vcpus = vcpus,
		.max_evtchn_port = 1023,
		.max_grant_frames = -1,
		.max_maptrack_frames = -1,
		.grant_opts = XEN_DOMCTL_GRANT_version(1),
	};
	struct pm_hv_dominfo *v = NULL;
	long n = xen_list(hv, &v);
	uint32_t id = 0;
	int rc = 0;

	for (long i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			rc = -EEXIST;
	free(v);
	if (n < 0 || rc)
		return n < 0 ? (int)n : rc;
	if (xc_domain_create(x->xch, &id, &c))
		return err();
	if (xc_domain_max_vcpus(x->xch, id, vcpus) || default_policy(x, id)) {
		rc = err();
		xc_domain_destroy(x->xch, id);
		return rc;
	}
	*domid = id;
	return 0;
}

/* the memory map a guest reads with XENMEM_memory_map (-1 and errno, as libxenctrl) */
static int set_memory_map(struct pm_xen *x, uint32_t domid, const struct pm_e820 *map)
{
#if !XEN_X86
	(void)x, (void)domid, (void)map;
	errno = EOPNOTSUPP;   /* Arm guests read their memory from a device tree */
	return -1;
#else
	struct e820entry *e = calloc(map->nr ? map->nr : 1, sizeof(*e));
	int rc;

	if (!e) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < map->nr; i++)
		e[i] = (struct e820entry){ map->entries[i].addr, map->entries[i].size, map->entries[i].type };
	rc = xc_domain_set_memory_map(x->xch, domid, e, (uint32_t)map->nr);
	free(e);
	return rc;
#endif
}

static int xen_grant_map(struct pm_hv *hv, uint32_t domid, const uint32_t *refs, unsigned int count, bool readonly,
			 void **addr)
{
	struct pm_xen *x = hv->priv;

	if (!x->gnt && !(x->gnt = xengnttab_open(&quiet, 0)))
		return err();
	*addr = xengnttab_map_domain_grant_refs(x->gnt, count, domid, (uint32_t *)refs,
						PROT_READ | (readonly ? 0 : PROT_WRITE));
	return *addr ? 0 : errno == ESRCH ? -ENOENT : err();
}

static int xen_grant_unmap(struct pm_hv *hv, void *addr, unsigned int count)
{
	struct pm_xen *x = hv->priv;

	if (!x->gnt)
		return -EINVAL;
	return xengnttab_unmap(x->gnt, addr, count) ? err() : 0;
}

static int xen_set_memory_map(struct pm_hv *hv, uint32_t domid, const struct pm_e820 *map)
{
	if (set_memory_map(hv->priv, domid, map))
		return errno == ESRCH ? -ENOENT : err();
	return 0;
}

static int xen_pv_build(struct pm_hv *hv, uint32_t domid, struct pm_hv_pv *pv, char *errbuf, size_t errlen)
{
	struct pm_xen *x = hv->priv;
	struct xc_dom_image *dom = xc_dom_allocate(x->xch, pv->cmdline, NULL);
	const char *step = "allocating the builder";
	int rc = dom ? 0 : -ENOMEM;

#define STEP(what, call) do { if (!rc) { step = (what); if (call) rc = err(); } } while (0)
	STEP("the kernel", xc_dom_kernel_file(dom, pv->kernel));
	STEP("the ramdisk", pv->ramdisk ? xc_dom_module_file(dom, pv->ramdisk, NULL) : 0);
	if (!rc) {
		dom->container_type = XC_DOM_PV_CONTAINER;
		dom->console_evtchn = pv->console_port;
		dom->xenstore_evtchn = pv->store_port;
		dom->console_domid = 0;
		dom->xenstore_domid = 0;
	}
	STEP("starting", xc_dom_boot_xen_init(dom, x->xch, domid));
	STEP("parsing the kernel", xc_dom_parse_image(dom));
	if (!rc) {
		xc_domaininfo_t d;

		dom->max_vcpus = xc_domain_getinfolist(x->xch, domid, 1, &d) == 1 ? d.max_vcpu_id + 1 : 1;
	}
	STEP("sizing its memory", xc_dom_mem_init(dom, pv->mem_mib));
	STEP("allocating its memory", xc_dom_boot_mem_init(dom));
	STEP("laying it out", xc_dom_build_image(dom));
	STEP("booting it", xc_dom_boot_image(dom));
	STEP("seeding its grant table", xc_dom_gnttab_init(dom));
	STEP("giving it its memory map", pv->e820 ? set_memory_map(x, domid, pv->e820) : 0);
#undef STEP
	if (!rc) {
		pv->console_frame = xc_dom_p2m(dom, dom->console_pfn);
		pv->store_frame = xc_dom_p2m(dom, dom->xenstore_pfn);
	} else {
		const xc_error *e = xc_get_last_error(x->xch);

		snprintf(errbuf, errlen, "%s: %s", step, e && e->code ? e->message : strerror(-rc));
	}
	if (dom)
		xc_dom_release(dom);
	return rc;
}

#define PTE_PRESENT 1ull
#define PTE_PSE 0x80ull
#define PTE_FRAME 0x000ffffffffff000ull

/* the machine frame behind virtual address @va in a PV guest's page tables rooted at @l4 (an mfn) */
/* what libxenguest said first (since xc_forget), else last, else the errno */
static void xc_said(struct pm_xen *x, int rc, char *errbuf, size_t errlen)
{
	const xc_error *e = xc_get_last_error(x->xch);
	size_t n = strcspn(first_error, "\n");

	if (first_error[0])
		snprintf(errbuf, errlen, "%.*s", (int)n, first_error);
	else
		snprintf(errbuf, errlen, "%s", e && e->code ? e->message : strerror(-rc));
}

static void xc_forget(struct pm_xen *x)
{
	xc_clear_last_error(x->xch);
	first_error[0] = 0;
}

static int pv_suspend(void *data)
{
	const struct pm__pv_save *ps = data;

	return ps->suspend(ps->opaque);
}

/* libxenguest's simple policy, with physmap's limits, counting what went */
static int pv_precopy(struct precopy_stats st, void *data)
{
	struct pm__pv_save *ps = data;

	ps->rounds = st.iteration + 1;
	ps->pages = st.total_written;
	if ((st.dirty_count >= 0 && (unsigned long)st.dirty_count <= ps->dirty_stop) ||
	    st.iteration + 1 >= ps->max_rounds) {
		ps->pages += st.dirty_count > 0 ? (uint64_t)st.dirty_count : 0;   /* the last round's */
		return XGS_POLICY_STOP_AND_COPY;
	}
	return XGS_POLICY_CONTINUE_PRECOPY;
}

/* libxenguest's save of a PV guest, as libxl drives it */
static int xen_pv_save(struct pm_hv *hv, uint32_t domid, int fd, struct pm__pv_save *ps, char *errbuf,
		       size_t errlen)
{
	struct pm_xen *x = hv->priv;
	struct save_callbacks cb = { .suspend = pv_suspend, .precopy_policy = pv_precopy, .data = ps };
	xc_physinfo_t pi = { 0 };
	int rc;

	/* Xen logs a PV guest's dirty pages in shadow mode; Debian's Xen 4.17 has none */
	if (ps->live && !xc_physinfo(x->xch, &pi) && !(pi.capabilities & XEN_SYSCTL_PHYSCAP_shadow)) {
		snprintf(errbuf, errlen, "a live save of a PV guest needs Xen's shadow paging to log its dirty "
			 "pages, and this Xen has none (xl info: virt_caps); a non-live one moves it paused");
		return -EOPNOTSUPP;
	}
	xc_forget(x);
	if (!xc_domain_save(x->xch, fd, domid, ps->live ? XCFLAGS_LIVE : 0, &cb, XC_STREAM_PLAIN, -1))
		return 0;
	rc = err();
	xc_said(x, rc, errbuf, errlen);
	return rc;
}

/* a stream without a CPUID policy (older Xen's): the default one, as libxl */
static int pv_static_data_done(unsigned int missing, void *data)
{
	const struct { struct pm_xen *x; uint32_t domid; } *d = data;

	if (!(missing & XGR_SDD_MISSING_CPUID))
		return 0;
#if XEN_X86
	return xc_cpuid_apply_policy(d->x->xch, d->domid, true, NULL, 0, true, false, false, NULL, NULL);
#else
	(void)d;
	return -EOPNOTSUPP;   /* PV guests are x86's */
#endif
}

static int xen_pv_restore(struct pm_hv *hv, uint32_t domid, int fd, struct pm_hv_pv *pv, char *errbuf,
			  size_t errlen)
{
	struct pm_xen *x = hv->priv;
	struct { struct pm_xen *x; uint32_t domid; } d = { x, domid };
	struct restore_callbacks cb = { .static_data_done = pv_static_data_done, .data = &d };
	unsigned long store = 0, console = 0;
	int rc = 0;

	xc_forget(x);
	if (xc_domain_restore(x->xch, fd, domid, pv->store_port, &store, 0, pv->console_port, &console, 0,
			      XC_STREAM_PLAIN, &cb, -1) ||
	    (pv->e820 && set_memory_map(x, domid, pv->e820))) {
		rc = err();
		xc_said(x, rc, errbuf, errlen);
		return rc;
	}
	pv->store_frame = store;
	pv->console_frame = console;
	return 0;
}

#if XEN_X86   /* a PV guest's page tables: x86's */
static int pv_va_to_mfn(struct pm_xen *x, uint32_t domid, xen_pfn_t l4, uint64_t va, xen_pfn_t *mfn)
{
	xen_pfn_t table = l4;

	for (int level = 4; level >= 1; level--) {
		const uint64_t *t = xenforeignmemory_map(x->fmem, domid, PROT_READ, 1, &table, NULL);
		unsigned int shift = 12 + 9 * (level - 1);
		uint64_t e;

		if (!t)
			return err();
		e = t[(va >> shift) & 511];
		xenforeignmemory_unmap(x->fmem, (void *)t, 1);
		if (!(e & PTE_PRESENT))
			return -EFAULT;
		if (level > 1 && level < 4 && (e & PTE_PSE)) {
			*mfn = ((e & PTE_FRAME) >> 12) + ((va >> 12) & ((1ull << (shift - 12)) - 1));
			return 0;
		}
		table = (e & PTE_FRAME) >> 12;
	}
	*mfn = table;
	return 0;
}
#endif

/*
 * the frames of leaf pages [first, first + n) of a PV guest's P2M: from
 * its frame list list (top -> mid -> leaf frames, as xen-mfndump reads
 * them) or, when the guest says ~0 there (Linux with SIF_VIRT_P2M_4TOOLS),
 * from its linear P2M list at p2m_vaddr, found through its page tables at
 * p2m_cr3 (as libxenguest's save does)
 */
static int pv_leaves(struct pm_xen *x, uint32_t domid, const shared_info_t *sh, uint64_t first, uint64_t n,
		     xen_pfn_t *leaves)
{
#if !XEN_X86
	(void)x, (void)domid, (void)sh, (void)first, (void)n, (void)leaves;
	return -EOPNOTSUPP;   /* PV guests are x86's */
#else
	xen_pfn_t fll_mfn = sh->arch.pfn_to_mfn_frame_list_list;
	const uint64_t *fll;
	int rc = 0;

	if (fll_mfn == (xen_pfn_t)~0ull) {
		xen_pfn_t l4 = sh->arch.p2m_cr3 >> 12;

		if (!sh->arch.p2m_cr3 || !sh->arch.p2m_vaddr)
			return -ENODATA;
		for (uint64_t i = 0; !rc && i < n; i++)
			rc = pv_va_to_mfn(x, domid, l4, sh->arch.p2m_vaddr + (first + i) * PAGE, &leaves[i]);
		return rc;
	}
	if (!fll_mfn)
		return -ENODATA;   /* not published yet: the guest is early in its boot */
	fll = xenforeignmemory_map(x->fmem, domid, PROT_READ, 1, &fll_mfn, NULL);
	if (!fll)
		return err();
	for (uint64_t m = first / 512; !rc && m * 512 < first + n; m++) {
		xen_pfn_t mfn = fll[m];
		const uint64_t *mid = m < 512 ? xenforeignmemory_map(x->fmem, domid, PROT_READ, 1, &mfn, NULL) : NULL;

		if (!mid) {
			rc = m < 512 ? err() : -ERANGE;
			break;
		}
		for (uint64_t j = 0; j < 512; j++) {
			uint64_t leaf = m * 512 + j;

			if (leaf >= first && leaf < first + n)
				leaves[leaf - first] = mid[j];
		}
		xenforeignmemory_unmap(x->fmem, (void *)mid, 1);
	}
	xenforeignmemory_unmap(x->fmem, (void *)fll, 1);
	return rc;
#endif
}

/* a PV guest's own P2M, as it publishes it (pv_leaves) */
static int pv_p2m_read(struct pm_xen *x, const xc_domaininfo_t *d, uint64_t pfn, uint64_t count, uint64_t *out)
{
	xen_pfn_t sh_mfn = d->shared_info_frame, *leaves = NULL;
	uint64_t max_pfn, first_leaf = 0, nr_leaves = 0;
	const shared_info_t *sh;
	const uint64_t *l = NULL;
	unsigned int width = 0;
	/* Xen maps a domain's own frames for it only as DOMID_SELF: dom0's, for us in dom0 */
	uint32_t dom = d->domain ? d->domain : DOMID_SELF;
	int rc = 0;

	for (uint64_t i = 0; i < count; i++)
		out[i] = PM_P2M_INVALID;
	if (xc_domain_get_guest_width(x->xch, d->domain, &width) || width != 8)
		return width ? -EOPNOTSUPP : err();   /* a 32-bit PV guest's P2M: not read */
	sh = xenforeignmemory_map(x->fmem, dom, PROT_READ, 1, &sh_mfn, NULL);
	if (!sh)
		return err();
#if XEN_X86
	max_pfn = sh->arch.max_pfn;
#else
	max_pfn = 0;   /* no PV guests on Arm */
#endif
	if (pfn < max_pfn) {
		if (count > max_pfn - pfn)
			count = max_pfn - pfn;
		first_leaf = pfn / 512;
		nr_leaves = (pfn + count + 511) / 512 - first_leaf;
		leaves = pm__calloc(nr_leaves, sizeof(*leaves));
		rc = leaves ? pv_leaves(x, dom, sh, first_leaf, nr_leaves, leaves) : -ENOMEM;
	}
	xenforeignmemory_unmap(x->fmem, (void *)sh, 1);
	if (!rc && nr_leaves) {
		l = xenforeignmemory_map(x->fmem, dom, PROT_READ, nr_leaves, leaves, NULL);
		if (!l)
			rc = err();
	}
	for (uint64_t i = 0; !rc && l && i < count; i++) {
		uint64_t v = l[pfn + i - first_leaf * 512];

		/* Linux's shared identity leaf holds IDENTITY_FRAME(0..511): what matters is the bit */
		out[i] = v != PM_P2M_INVALID && (v & PM_P2M_IDENTITY_BIT) ? (pfn + i) | PM_P2M_IDENTITY_BIT : v;
	}
	if (l)
		xenforeignmemory_unmap(x->fmem, (void *)l, nr_leaves);
	free(leaves);
	return rc;
}

/* Xen's M2P against a PV guest's P2M entries: how many RAM frames do not map back */
static long xen_p2m_check(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, const uint64_t *entries)
{
	struct pm_xen *x = hv->priv;
	unsigned long max_mfn = 0;
	xc_domaininfo_t d;
	const xen_pfn_t *m2p;
	size_t len;
	long bad = 0;

	if (xc_domain_getinfolist(x->xch, domid, 1, &d) != 1 || d.domain != domid)
		return -ENOENT;
	if ((d.flags & XEN_DOMINF_hvm_guest) || !XEN_X86)
		return -EOPNOTSUPP;   /* its frames are not said (only x86's Xen has an M2P) */
	if (xc_maximum_ram_page(x->xch, &max_mfn))
		return err();
#if XEN_X86
	m2p = xc_map_m2p(x->xch, max_mfn, PROT_READ, NULL);
#else
	m2p = NULL;
#endif
	if (!m2p)
		return err();
	for (uint64_t i = 0; i < count; i++) {
		uint64_t e = entries[i], mfn = e & PM_P2M_FRAME_MASK;

		if (pm_p2m_kind_of(e) != PM_P2M_RAM)
			continue;
		if (mfn > max_mfn || m2p[mfn] != pfn + i)
			bad++;
	}
	len = (((size_t)max_mfn * sizeof(xen_pfn_t)) + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	munmap((void *)m2p, len);
	return bad;
}

static int xen_destroy(struct pm_hv *hv, uint32_t domid)
{
	struct pm_xen *x = hv->priv;

	if (!domid)
		return -EPERM;
	if (xc_domain_destroy(x->xch, domid))
		return errno == ESRCH ? -ENOENT : err();
	if (x->dirty && x->dirty->domid == domid) {
		free(x->dirty->seen);
		free(x->dirty);
		x->dirty = NULL;
	}
	return 0;
}

static int xen_pause(struct pm_hv *hv, uint32_t domid, int unpause)
{
	struct pm_xen *x = hv->priv;
	struct pm_hv_dominfo info;
	int rc = xen_getinfo(hv, domid, &info);

	if (rc)
		return rc;
	if (info.state == PM_HV_SHUTDOWN || info.state == PM_HV_CRASHED || info.state == PM_HV_DYING)
		return -EINVAL;
	/* Xen counts pauses: ours is one, at most */
	if (unpause ? info.state != PM_HV_PAUSED : info.state == PM_HV_PAUSED)
		return 0;
	if (unpause ? xc_domain_unpause(x->xch, domid) : xc_domain_pause(x->xch, domid))
		return err();
	return 0;
}

static int xen_resume(struct pm_hv *hv, uint32_t domid)
{
	struct pm_xen *x = hv->priv;
	xc_domaininfo_t d;

	if (xc_domain_getinfolist(x->xch, domid, 1, &d) != 1 || d.domain != domid)
		return -ENOENT;
	if (!(d.flags & XEN_DOMINF_shutdown) ||
	    ((d.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask) != SHUTDOWN_suspend)
		return -EINVAL;
	return xc_domain_resume(x->xch, domid, 1) ? err() : 0;
}

static int xen_set_maxmem(struct pm_hv *hv, uint32_t domid, uint64_t max_pages)
{
	struct pm_xen *x = hv->priv;

	return xc_domain_setmaxmem(x->xch, domid, max_pages * (PAGE / 1024)) ? (errno == ESRCH ? -ENOENT : err())
									       : 0;
}

/* a domctl through libxencall, for what libxenctrl keeps private */
static int domctl(struct pm_xen *x, uint32_t cmd, uint32_t domid, void (*fill)(struct xen_domctl *, void *),
		  void *arg)
{
	struct xen_domctl *d = xencall_alloc_buffer(x->call, sizeof(*d));
	int rc;

	if (!d)
		return -ENOMEM;
	memset(d, 0, sizeof(*d));
	d->cmd = cmd;
	d->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
	d->domain = (domid_t)domid;
	fill(d, arg);
	rc = xencall1(x->call, __HYPERVISOR_domctl, (uint64_t)(uintptr_t)d) < 0 ? err() : 0;
	xencall_free_buffer(x->call, d);
	return rc;
}

static void fill_address_size(struct xen_domctl *d, void *arg)
{
	d->u.address_size.size = *(const unsigned int *)arg;
}

/* an Arm domain runs 64-bit code (Xen's default is 32-bit), as libxenguest's set_mode */
static int arm64_mode(struct pm_xen *x, uint32_t domid)
{
	unsigned int bits = 64;

	return domctl(x, XEN_DOMCTL_set_address_size, domid, fill_address_size, &bits);
}

struct types {
	xen_pfn_t *buf;
	uint64_t n;
};

static void fill_types(struct xen_domctl *d, void *arg)
{
	struct types *t = arg;

	d->u.getpageframeinfo3.num = t->n;
	d->u.getpageframeinfo3.array.p = t->buf;   /* a xencall buffer, not libxenctrl's kind */
}

/*
 * Arm's Xen has no getpageframeinfo3: a gfn has a frame when a foreign
 * mapping of it succeeds (read-only, unmapped at once)
 */
static int populated_by_mapping(struct pm_xen *x, uint32_t domid, uint64_t pfn, uint64_t count, bool *present)
{
	xen_pfn_t arr[BATCH];
	int errs[BATCH];
	void *p;

	for (uint64_t i = 0; i < count; i++)
		arr[i] = pfn + i;
	p = xenforeignmemory_map(x->fmem, domid, PROT_READ, count, arr, errs);
	if (!p)
		return errno == ESRCH ? -ENOENT : err();
	for (uint64_t i = 0; i < count; i++)
		present[i] = errs[i] == 0;
	xenforeignmemory_unmap(x->fmem, p, count);
	return 0;
}

/* present[i]: gfn pfn + i has a frame; count at most BATCH */
static int populated(struct pm_xen *x, uint32_t domid, uint64_t pfn, uint64_t count, bool *present)
{
	struct types t = { NULL, count };
	int rc;

	if (!XEN_X86)
		return populated_by_mapping(x, domid, pfn, count, present);
	t.buf = xencall_alloc_buffer(x->call, BATCH * sizeof(xen_pfn_t));

	if (!t.buf)
		return -ENOMEM;
	for (uint64_t i = 0; i < count; i++)
		t.buf[i] = pfn + i;
	rc = domctl(x, XEN_DOMCTL_getpageframeinfo3, domid, fill_types, &t);
	for (uint64_t i = 0; !rc && i < count; i++) {
		uint64_t type = t.buf[i] & XEN_DOMCTL_PFINFO_LTAB_MASK;

		present[i] = type != XEN_DOMCTL_PFINFO_XTAB && type != XEN_DOMCTL_PFINFO_BROKEN;
	}
	xencall_free_buffer(x->call, t.buf);
	return rc == -ESRCH ? -ENOENT : rc;
}

static int xen_p2m_read(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, uint64_t *out)
{
	struct pm_xen *x = hv->priv;
	bool present[BATCH];
	xc_domaininfo_t d;
	int rc = 0;

	if (xc_domain_getinfolist(x->xch, domid, 1, &d) != 1 || d.domain != domid)
		return -ENOENT;
	if (!(d.flags & XEN_DOMINF_hvm_guest))
		return pv_p2m_read(x, &d, pfn, count, out);

	for (uint64_t i = 0; !rc && i < count; i += BATCH) {
		uint64_t n = count - i < BATCH ? count - i : BATCH;

		rc = populated(x, domid, pfn + i, n, present);
		for (uint64_t j = 0; !rc && j < n; j++)
			out[i + j] = present[j] ? PM_HV_XEN_FRAME : PM_P2M_INVALID;
	}
	return rc;
}

/* the gfns of [pfn, pfn + count) that have (@want) or lack frames, into *list */
static long gfns(struct pm_xen *x, uint32_t domid, uint64_t pfn, uint64_t count, bool want, xen_pfn_t **list)
{
	bool present[BATCH];
	xen_pfn_t *l = pm__malloc(count * sizeof(*l));
	long n = 0;
	int rc = l ? 0 : -ENOMEM;

	for (uint64_t i = 0; !rc && i < count; i += BATCH) {
		uint64_t c = count - i < BATCH ? count - i : BATCH;

		rc = populated(x, domid, pfn + i, c, present);
		for (uint64_t j = 0; !rc && j < c; j++)
			if (present[j] == want)
				l[n++] = pfn + i + j;
	}
	if (rc) {
		free(l);
		return rc;
	}
	*list = l;
	return n;
}

static long populate(struct pm_xen *x, uint32_t domid, uint64_t pfn, uint64_t count)
{
	xen_pfn_t *have = NULL, ext[512];
	xc_domaininfo_t d;
	long n = gfns(x, domid, pfn, count, true, &have);

	free(have);
	if (n < 0)
		return n;
	if (n)
		return -EEXIST;
	if (xc_domain_getinfolist(x->xch, domid, 1, &d) != 1 || d.domain != domid)
		return -ENOENT;
	if (d.tot_pages + count > d.max_pages)
		return -ENOSPC;
	/* 2 MiB extents where aligned (Xen maps them as superpages), pages around them */
	for (uint64_t p = pfn, end = pfn + count; p < end;) {
		uint64_t batch = p;
		unsigned int order = !(p & 511) && end - p >= 512 ? 9 : 0;
		unsigned long nr = 0;

		if (order)
			for (; nr < 512 && end - p >= 512; p += 512)
				ext[nr++] = p;
		else
			for (; nr < 512 && p < end && (nr == 0 || (p & 511)); p++)
				ext[nr++] = p;
		if (xc_domain_populate_physmap_exact(x->xch, domid, nr, order, 0, ext)) {
			int rc = errno == ENOMEM ? -ENOMEM : err();
			xen_pfn_t *got = NULL;
			long g = batch > pfn ? gfns(x, domid, pfn, batch - pfn, true, &got) : 0;

			/* nothing done: give back what this call got before */
			if (g > 0)
				xc_domain_decrease_reservation_exact(x->xch, domid, (unsigned long)g, 0, got);
			free(got);
			return rc;
		}
	}
	return (long)count;
}

static long xen_memory(struct pm_hv *hv, int op, uint32_t domid, uint64_t pfn, uint64_t count)
{
	struct pm_xen *x = hv->priv;
	xen_pfn_t *have = NULL;
	long n;

	if (op == 0)
		return populate(x, domid, pfn, count);
	if (op == 2) {
		/* an HVM domU has no identity entries: its holes stay empty */
		struct pm_hv_dominfo info;

		return xen_getinfo(hv, domid, &info) ?: 0;
	}
	n = gfns(x, domid, pfn, count, true, &have);
	if (n > 0 && xc_domain_decrease_reservation_exact(x->xch, domid, (unsigned long)n, 0, have))
		n = err();
	free(have);
	return n;
}

/*
 * by pfn; a PV guest's frames by machine frame, as Xen maps them, and only
 * for reading: its page tables and descriptor tables cannot be mapped
 * writable (and no PV guest's frames are written here: libxenguest builds
 * and restores them)
 */
static int xen_map_pfns(struct pm_hv *hv, uint32_t domid, void *addr, const uint64_t *pfns, const uint64_t *mfns,
			uint64_t count)
{
	struct pm_xen *x = hv->priv;
	xen_pfn_t *arr = pm__malloc(count * sizeof(*arr));
	int *errs = pm__calloc(count, sizeof(*errs)), rc = 0;
	xc_domaininfo_t d;
	bool pv;
	void *p;

	if (!arr || !errs) {
		rc = -ENOMEM;
		goto out;
	}
	if (xc_domain_getinfolist(x->xch, domid, 1, &d) != 1 || d.domain != domid) {
		rc = -ENOENT;
		goto out;
	}
	pv = !(d.flags & XEN_DOMINF_hvm_guest);
	for (uint64_t i = 0; i < count; i++)
		arr[i] = pv ? mfns[i] & PM_P2M_FRAME_MASK : pfns[i];
	p = xenforeignmemory_map2(x->fmem, domid, addr, pv ? PROT_READ : PROT_READ | PROT_WRITE, MAP_FIXED, count, arr,
				  errs);
	if (!p) {
		rc = errno == ESRCH ? -ENOENT : err();
		goto out;
	}
	for (uint64_t i = 0; i < count; i++)
		if (errs[i])
			rc = -EFAULT;
out:
	free(arr);
	free(errs);
	return rc;
}

/*
 * a core dump's part that only Xen knows, as libxenguest's dump-core takes
 * it: each vCPU's vcpu_guest_context (those Xen gives), the shared info
 * frame where it maps (a PV guest's always), PV or translated
 */
static int xen_dump_facts(struct pm_hv *hv, uint32_t domid, struct pm__dump_facts *f)
{
	struct pm_xen *x = hv->priv;
	vcpu_guest_context_any_t *ctx;
	xc_domaininfo_t d;
	xen_pfn_t frame;
	void *shinfo;

	if (xc_domain_getinfolist(x->xch, domid, 1, &d) != 1 || d.domain != domid)
		return -ENOENT;
	f->hvm = f->translated = d.flags & XEN_DOMINF_hvm_guest;
#if defined(__aarch64__)
	f->machine = EM_AARCH64;   /* the dumping system's, as libxenguest sets it */
#else
	f->machine = EM_X86_64;
#endif
	f->ctx_size = sizeof(*ctx);
	f->ctx_align = __alignof__(*ctx);
	ctx = pm__calloc(d.max_vcpu_id + 1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	f->ctx = ctx;
	for (unsigned int i = 0; i <= d.max_vcpu_id; i++)
		if (!xc_vcpu_getcontext(x->xch, domid, i, &ctx[f->nr_vcpus]))
			f->nr_vcpus++;
	if (!f->nr_vcpus)
		return -ENOENT;
	frame = d.shared_info_frame;
	shinfo = xenforeignmemory_map(x->fmem, domid, PROT_READ, 1, &frame, NULL);
	if (!shinfo)
		return f->hvm ? 0 : err();
	f->shared_info = pm__malloc(XC_PAGE_SIZE);
	if (f->shared_info)
		memcpy(f->shared_info, shinfo, XC_PAGE_SIZE);
	xenforeignmemory_unmap(x->fmem, shinfo, 1);
	return f->shared_info ? 0 : -ENOMEM;
}

/* Xen's sysinfo: each CPU's core, socket and node (libxl_get_cpu_topology) */
static long xen_cpu_topology(struct pm_hv *hv, struct pm_hv_cputopo **out)
{
	struct pm_xen *x = hv->priv;
	unsigned int n = 0;
	xc_cputopo_t *c = NULL;
	struct pm_hv_cputopo *t = NULL;
	long rc;

	if (xc_cputopoinfo(x->xch, &n, NULL))
		return err();
	c = pm__calloc(n, sizeof(*c));
	t = pm__calloc(n, sizeof(*t));
	rc = c && t ? 0 : -ENOMEM;
	if (!rc && xc_cputopoinfo(x->xch, &n, c))
		rc = err();
	for (unsigned int i = 0; !rc && i < n; i++) {
		t[i].valid = c[i].core != XEN_INVALID_CORE_ID;
		t[i].core = c[i].core;
		t[i].socket = c[i].socket;
		t[i].node = c[i].node;
	}
	free(c);
	if (rc) {
		free(t);
		return rc;
	}
	*out = t;
	return n;
}

/* dom0's PCI devices (sysfs names them) and the node Xen says each is on (libxl_get_pci_topology) */
static long xen_pci_topology(struct pm_hv *hv, struct pm_hv_pcitopo **out)
{
	struct pm_xen *x = hv->priv;
	DIR *d = opendir("/sys/bus/pci/devices");
	physdev_pci_device_t *dev = NULL;
	struct pm_hv_pcitopo *t = NULL;
	uint32_t *node = NULL;
	struct dirent *e;
	size_t n = 0, cap = 0;
	long rc = 0;

	if (!d)
		return 0;   /* no PCI bus: no devices */
	while (!rc && (e = readdir(d))) {
		unsigned int seg, bus, dev_, fn;

		if (sscanf(e->d_name, "%x:%x:%x.%u", &seg, &bus, &dev_, &fn) != 4)
			continue;
		if (n == cap) {
			physdev_pci_device_t *nd;

			cap = cap ? cap * 2 : 32;
			nd = pm__realloc(dev, cap * sizeof(*dev));
			if (!nd) {
				rc = -ENOMEM;
				break;
			}
			dev = nd;
		}
		dev[n].seg = (uint16_t)seg;
		dev[n].bus = (uint8_t)bus;
		dev[n].devfn = (uint8_t)((dev_ << 3) | fn);
		n++;
	}
	closedir(d);
	if (!rc && n) {
		node = pm__calloc(n, sizeof(*node));
		t = pm__calloc(n, sizeof(*t));
		rc = node && t ? 0 : -ENOMEM;
		if (!rc && xc_pcitopoinfo(x->xch, (unsigned int)n, dev, node))
			rc = err();
		for (size_t i = 0; !rc && i < n; i++)
			t[i] = (struct pm_hv_pcitopo){ node[i] != XEN_INVALID_NODE_ID, dev[i].seg, dev[i].bus,
						       dev[i].devfn, node[i] };
	}
	free(dev);
	free(node);
	if (rc) {
		free(t);
		return rc;
	}
	*out = t;
	return (long)n;
}

/* one runtime parameter, through Xen's hypfs (/params/NAME), as libxl_set_parameters writes it */
static int xen_set_parameter(struct pm_hv *hv, const char *name, const char *value)
{
	xenhypfs_handle *fs = xenhypfs_open(&quiet, 0);
	char path[160];
	int rc;

	(void)hv;
	if (!fs)
		return errno == ENOENT ? -EOPNOTSUPP : err();
	snprintf(path, sizeof(path), "/params/%s", name);
	rc = xenhypfs_write(fs, path, value) ? err() : 0;
	xenhypfs_close(fs);
	return rc;
}

/* Xen's NUMA nodes: memory and the distance table (libxl_get_numainfo) */
static long xen_numa_info(struct pm_hv *hv, struct pm_hv_numa **out)
{
	struct pm_xen *x = hv->priv;
	unsigned int n = 0;
	xc_meminfo_t *mem = NULL;
	uint32_t *dist = NULL;
	struct pm_hv_numa *m = NULL;
	long rc;

	if (xc_numainfo(x->xch, &n, NULL, NULL))
		return err();
	if (n > PM_HV_MAX_NODES)
		n = PM_HV_MAX_NODES;
	mem = pm__calloc(n, sizeof(*mem));
	dist = pm__calloc((size_t)n * n, sizeof(*dist));
	m = pm__calloc(n, sizeof(*m));
	rc = mem && dist && m ? 0 : -ENOMEM;
	if (!rc && xc_numainfo(x->xch, &n, mem, dist))
		rc = err();
	for (unsigned int i = 0; !rc && i < n; i++) {
		m[i].valid = mem[i].memsize != XEN_INVALID_MEM_SZ;
		m[i].size = mem[i].memsize;
		m[i].free = mem[i].memfree;
		m[i].nr_dists = n;
		for (unsigned int j = 0; j < n; j++)
			m[i].dists[j] = dist[i * n + j];
	}
	free(mem);
	free(dist);
	if (rc) {
		free(m);
		return rc;
	}
	*out = m;
	return n;
}

/* ---- vCPUs: Xen's HVM context records ---- */

/* appends a save record (descriptor, then @len bytes of @data) at *@at */
static void put_record(uint8_t *buf, size_t *at, uint16_t code, uint16_t instance, const void *data, uint32_t len)
{
	struct hvm_save_descriptor d = { .typecode = code, .instance = instance, .length = len };

	memcpy(buf + *at, &d, sizeof(d));
	if (len)
		memcpy(buf + *at + sizeof(d), data, len);
	*at += sizeof(d) + len;
}

/* record @code of instance @inst in a whole context, copied to @out (@len bytes exactly) */
static bool find_record(const uint8_t *ctx, long n, uint16_t code, uint16_t inst, void *out, uint32_t len)
{
	for (long at = 0; at + (long)sizeof(struct hvm_save_descriptor) <= n;) {
		struct hvm_save_descriptor d;

		memcpy(&d, ctx + at, sizeof(d));
		if (at + (long)sizeof(d) + d.length > n || d.typecode == HVM_SAVE_CODE(END))
			break;
		if (d.typecode == code && d.instance == inst && d.length == len) {
			memcpy(out, ctx + at + sizeof(d), len);
			return true;
		}
		at += (long)sizeof(d) + d.length;
	}
	return false;
}

/*
 * vCPU @vcpu's registers become @c (whole), its MTRRs write-back: a
 * context of the header, that vCPU's CPU and MTRR records and the end, as
 * libxenguest's PVH builder loads (Xen has no partial read of the header:
 * it comes from the whole context)
 */
/* the domain's whole HVM context, as Xen saves it, into *blob (the caller frees it) */
static long whole_context(struct pm_xen *x, uint32_t domid, void **blob)
{
	int n = xc_domain_hvm_getcontext(x->xch, domid, NULL, 0);
	uint8_t *ctx;

	*blob = NULL;
	if (n <= 0)
		return errno == ESRCH ? -ENOENT : err();
	ctx = pm__malloc((size_t)n);
	if (!ctx)
		return -ENOMEM;
	n = xc_domain_hvm_getcontext(x->xch, domid, ctx, (uint32_t)n);
	if (n <= 0) {
		int rc = errno == ESRCH ? -ENOENT : err();

		free(ctx);
		return rc;
	}
	*blob = ctx;
	return n;
}

static int put_cpu(struct pm_xen *x, uint32_t domid, unsigned int vcpu, const struct hvm_hw_cpu *c)
{
	uint8_t buf[4 * sizeof(struct hvm_save_descriptor) + sizeof(struct hvm_save_header) +
		    sizeof(struct hvm_hw_cpu) + sizeof(struct hvm_hw_mtrr)];
	struct hvm_save_header hdr;
	struct hvm_hw_mtrr mtrr;
	void *ctx = NULL;
	size_t at = 0;
	long n = whole_context(x, domid, &ctx);
	int rc = 0;

	if (n < 0)
		return (int)n;
	if (!find_record(ctx, n, HVM_SAVE_CODE(HEADER), 0, &hdr, sizeof(hdr)) ||
	    !find_record(ctx, n, HVM_SAVE_CODE(MTRR), (uint16_t)vcpu, &mtrr, sizeof(mtrr)))
		rc = -EINVAL;
	free(ctx);
	if (rc)
		return rc;
	mtrr.msr_mtrr_def_type = 6 /* write-back */ | (1u << 11) /* enabled */;
	put_record(buf, &at, HVM_SAVE_CODE(HEADER), 0, &hdr, sizeof(hdr));
	put_record(buf, &at, HVM_SAVE_CODE(CPU), (uint16_t)vcpu, c, sizeof(*c));
	put_record(buf, &at, HVM_SAVE_CODE(MTRR), (uint16_t)vcpu, &mtrr, sizeof(mtrr));
	put_record(buf, &at, HVM_SAVE_CODE(END), 0, NULL, 0);
	return xc_domain_hvm_setcontext(x->xch, domid, buf, (uint32_t)at) ? err() : 0;
}

static long xen_hvm_context(struct pm_hv *hv, uint32_t domid, void **blob)
{
	return whole_context(hv->priv, domid, blob);
}

static int xen_hvm_context_set(struct pm_hv *hv, uint32_t domid, const void *blob, size_t len)
{
	struct pm_xen *x = hv->priv;

	if (len > UINT32_MAX)
		return -EINVAL;
	/* libxenctrl bounces it into a hypercall buffer: the blob is only read */
	return xc_domain_hvm_setcontext(x->xch, domid, (uint8_t *)(uintptr_t)blob, (uint32_t)len) ? err() : 0;
}

#if defined(__aarch64__)
/* an Arm guest's first state, as libxenguest's vcpu_arm64: x0-x3, pc, PSTATE, SCTLR's reset value, online */
static int arm_vcpu_set(struct pm_xen *x, uint32_t domid, unsigned int vcpu, const struct pm_hv_vcpu_ctx *ctx)
{
	vcpu_guest_context_any_t any;
	vcpu_guest_context_t *c = &any.c;

	memset(&any, 0, sizeof(any));
	c->user_regs.pc64 = ctx->pc;
	c->user_regs.x0 = ctx->regs[0];
	c->user_regs.x1 = ctx->regs[1];
	c->user_regs.x2 = ctx->regs[2];
	c->user_regs.x3 = ctx->regs[3];
	c->user_regs.cpsr = ctx->pstate ? ctx->pstate : PSR_GUEST64_INIT;
	c->sctlr = SCTLR_GUEST_INIT;
	c->flags = VGCF_online;
	return xc_vcpu_setcontext(x->xch, domid, vcpu, &any) ? err() : 0;
}
#endif

#if defined(__aarch64__)
/* the vpl011, as libxl's arch_build_dom_finish: its ring at @gfn, its channel to dom0's xenconsoled */
static int xen_vuart_init(struct pm_hv *hv, uint32_t domid, uint64_t gfn, uint32_t *port)
{
	struct pm_xen *x = hv->priv;
	evtchn_port_t p = 0;

	if (xc_dom_vuart_init(x->xch, XEN_DOMCTL_VUART_TYPE_VPL011, domid, 0, (xen_pfn_t)gfn, &p) < 0)
		return err();
	*port = p;
	return 0;
}
#endif

static int xen_vcpu_set(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, const struct pm_hv_vcpu_ctx *ctx)
{
	struct pm_hv_vcpu_state st = { .arch = PM_HV_ARCH_X86_32, .nr = PM_X86_NR, .up = true };
	struct hvm_hw_cpu c;

#if defined(__aarch64__)
	if (ctx->arch == PM_HV_ARCH_AARCH64)
		return arm_vcpu_set(hv->priv, domid, vcpu, ctx);
#endif
	if (ctx->arch != PM_HV_ARCH_X86_32)
		return -EINVAL;
	/* PVH's entry: eip, ebx the start info, protected mode without paging */
	st.reg[PM_X86_EIP] = ctx->pc;
	st.reg[PM_X86_EAX] = ctx->regs[0];
	st.reg[PM_X86_EBX] = ctx->regs[1];
	st.reg[PM_X86_ECX] = ctx->regs[2];
	st.reg[PM_X86_EDX] = ctx->regs[3];
	st.reg[PM_X86_CR0] = ctx->cr0;
	pm__hw_cpu_from(&c, &st);
	return put_cpu(hv->priv, domid, vcpu, &c);
}

static int xen_vcpu_state(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, struct pm_hv_vcpu_state *st,
			  bool set)
{
	struct pm_xen *x = hv->priv;
	struct pm_hv_dominfo info;
	struct hvm_hw_cpu c;
	int rc = xen_getinfo(hv, domid, &info);

	if (rc)
		return rc;
	if (vcpu >= info.vcpus)
		return -EINVAL;
	if (info.state == PM_HV_RUNNING)
		return -EBUSY;
	if (set) {
		if (st->arch != PM_HV_ARCH_X86_32 || (st->nr != PM_X86_NR && st->nr != PM_HV_X86_NR))
			return -EINVAL;
		pm__hw_cpu_from(&c, st);
		return put_cpu(x, domid, vcpu, &c);
	}
	if (xc_domain_hvm_getcontext_partial(x->xch, domid, HVM_SAVE_CODE(CPU), (uint16_t)vcpu, &c, sizeof(c)))
		return err();
	pm__hw_cpu_to(&c, st);
	{
		xc_vcpuinfo_t vi;

		st->up = !xc_vcpu_getinfo(x->xch, domid, vcpu, &vi) && vi.online;
	}
	return 0;
}

/*
 * The store's ring page is the last parameter the builder (and a restore)
 * sets: then the domain's grant table gets the entries Xen's xenstored and
 * xenconsoled map the rings through (GNTTAB_RESERVED_XENSTORE and
 * _CONSOLE, granted to dom0), as libxl seeds them
 */
static int xen_set_param(struct pm_hv *hv, uint32_t domid, unsigned int index, uint64_t value)
{
	struct pm_xen *x = hv->priv;
	uint64_t console = 0;

	if (index >= HVM_NR_PARAMS)
		return -EINVAL;
	if (xc_hvm_param_set(x->xch, domid, index, value))
		return errno == ESRCH ? -ENOENT : err();
	if (index != HVM_PARAM_STORE_PFN)
		return 0;
	if (xc_hvm_param_get(x->xch, domid, HVM_PARAM_CONSOLE_PFN, &console) ||
	    xc_dom_gnttab_seed(x->xch, domid, true, console, value, 0, 0))
		return err();
	return 0;
}

static int xen_set_actions(struct pm_hv *hv, uint32_t domid, const enum pm_hv_action act[4])
{
	struct pm_hv_dominfo info;

	(void)act;   /* the toolstack's to apply on Xen (pxl's monitor) */
	return xen_getinfo(hv, domid, &info);
}

static int xen_shutdown(struct pm_hv *hv, uint32_t domid, unsigned int reason)
{
	struct pm_xen *x = hv->priv;
	struct pm_hv_dominfo info;
	int rc = xen_getinfo(hv, domid, &info);

	if (rc)
		return rc;
	if (info.state == PM_HV_SHUTDOWN || info.state == PM_HV_CRASHED)
		return -EALREADY;
	return xc_domain_shutdown(x->xch, domid, (int)reason) ? err() : 0;
}

/* a cpumap of libxenctrl's (xc_get_cpumap_size bytes) <-> PM_HV_CPUMAP_WORDS words */
static void map_to_words(const uint8_t *map, int bytes, uint64_t *w)
{
	memset(w, 0, PM_HV_CPUMAP_WORDS * sizeof(*w));
	for (int i = 0; i < bytes && i < PM_HV_CPUMAP_WORDS * 8; i++)
		w[i / 8] |= (uint64_t)map[i] << (8 * (i % 8));
}

static void words_to_map(const uint64_t *w, uint8_t *map, int bytes)
{
	memset(map, 0, (size_t)bytes);
	for (int i = 0; i < bytes && i < PM_HV_CPUMAP_WORDS * 8; i++)
		map[i] = (uint8_t)(w[i / 8] >> (8 * (i % 8)));
}

static long xen_vcpu_list(struct pm_hv *hv, uint32_t domid, struct pm_hv_vcpuinfo **out)
{
	struct pm_xen *x = hv->priv;
	struct pm_hv_dominfo info;
	struct pm_hv_vcpuinfo *v;
	int bytes = xc_get_cpumap_size(x->xch);
	xc_cpumap_t hard = xc_cpumap_alloc(x->xch), soft = xc_cpumap_alloc(x->xch);
	long n = 0;
	int rc = xen_getinfo(hv, domid, &info);

	if (!rc && (!hard || !soft || bytes <= 0))
		rc = -ENOMEM;
	v = rc ? NULL : pm__calloc(info.vcpus ? info.vcpus : 1, sizeof(*v));
	if (!rc && !v)
		rc = -ENOMEM;
	for (unsigned int i = 0; !rc && i < info.vcpus; i++) {
		xc_vcpuinfo_t vi;

		if (xc_vcpu_getinfo(x->xch, domid, i, &vi) ||
		    xc_vcpu_getaffinity(x->xch, domid, (int)i, hard, soft,
					XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT)) {
			rc = err();
			break;
		}
		v[n].vcpu = i;
		v[n].cpu = vi.cpu;
		v[n].online = vi.online;
		v[n].running = vi.running;
		v[n].blocked = vi.blocked;
		v[n].time = vi.cpu_time;
		map_to_words(hard, bytes, v[n].hard);
		map_to_words(soft, bytes, v[n].soft);
		n++;
	}
	free(hard);
	free(soft);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	return n;
}

static int xen_vcpu_pin(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, const uint64_t *hard,
			const uint64_t *soft)
{
	struct pm_xen *x = hv->priv;
	int bytes = xc_get_cpumap_size(x->xch);
	xc_cpumap_t h = xc_cpumap_alloc(x->xch), s = xc_cpumap_alloc(x->xch);
	uint32_t flags = (hard ? XEN_VCPUAFFINITY_HARD : 0) | (soft ? XEN_VCPUAFFINITY_SOFT : 0);
	int rc = 0;

	if (!h || !s || bytes <= 0)
		rc = -ENOMEM;
	if (!rc && hard)
		words_to_map(hard, h, bytes);
	if (!rc && soft)
		words_to_map(soft, s, bytes);
	if (!rc && flags && xc_vcpu_setaffinity(x->xch, domid, (int)vcpu, h, s, flags))
		rc = err();
	free(h);
	free(s);
	return rc;
}

/* as libxl's console reader: 16 KiB at a time, from the oldest */
static long xen_console_read(struct pm_hv *hv, bool clear, char **out)
{
	struct pm_xen *x = hv->priv;
	char *text = NULL, buf[16384];
	size_t len = 0;
	uint32_t index = 0;
	FILE *m = open_memstream(&text, &len);

	if (!m)
		return -ENOMEM;
	for (;;) {
		unsigned int n = sizeof(buf) - 1;

		if (xc_readconsolering(x->xch, buf, &n, 0, 1, &index)) {
			fclose(m);
			free(text);
			return err();
		}
		if (!n)
			break;
		fwrite(buf, 1, n, m);
	}
	if (fclose(m)) {
		free(text);
		return -ENOMEM;
	}
	if (clear) {
		unsigned int n = 0;

		xc_readconsolering(x->xch, buf, &n, 1, 0, NULL);
	}
	*out = text;
	return (long)len;
}

static int xen_debug_keys(struct pm_hv *hv, const char *keys)
{
	struct pm_xen *x = hv->priv;

	return xc_send_debug_keys(x->xch, keys) ? err() : 0;
}

static int xen_flask_enforce(struct pm_hv *hv, int set)
{
	struct pm_xen *x = hv->priv;
	int r = set < 0 ? xc_flask_getenforce(x->xch) : xc_flask_setenforce(x->xch, set);

	if (r < 0)
		return errno ? -errno : -ENOSYS;
	return set < 0 ? r : set;
}

static long xen_cpupools(struct pm_hv *hv, struct pm_hv_cpupool **out)
{
	struct pm_xen *x = hv->priv;
	struct pm_hv_cpupool *v = NULL;
	int bytes = xc_get_cpumap_size(x->xch);
	uint32_t next = 0;
	long n = 0;

	for (;;) {
		xc_cpupoolinfo_t *ci = xc_cpupool_getinfo(x->xch, next);
		struct pm_hv_cpupool *grown;

		if (!ci)
			break;   /* past the last pool */
		grown = realloc(v, (size_t)(n + 1) * sizeof(*v));
		if (!grown) {
			xc_cpupool_infofree(x->xch, ci);
			free(v);
			return -ENOMEM;
		}
		v = grown;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].id = ci->cpupool_id;
		v[n].nr_domains = ci->n_dom;
		snprintf(v[n].scheduler, sizeof(v[n].scheduler), "%s", scheduler_name(ci->sched_id));
		map_to_words(ci->cpumap, bytes, v[n].cpus);
		v[n].ratelimit_us = -1;
		if (ci->sched_id == XEN_SCHEDULER_CREDIT2) {
			struct xen_sysctl_credit2_schedule cs;

			if (!xc_sched_credit2_params_get(x->xch, ci->cpupool_id, &cs))
				v[n].ratelimit_us = (int)cs.ratelimit_us;
		}
		/* its name is the toolstack's, in the store (libxl's default for 0: Pool-0) */
		{
			struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
			char path[64], *name = NULL;
			unsigned int len;

			snprintf(path, sizeof(path), "/local/pool/%u/name", ci->cpupool_id);
			if (h)
				name = xs_read(h, XBT_NULL, path, &len);
			if (name)
				snprintf(v[n].name, sizeof(v[n].name), "%s", name);
			else
				snprintf(v[n].name, sizeof(v[n].name), "Pool-%u", ci->cpupool_id);
			free(name);
			if (h)
				xs_close(h);
		}
		next = ci->cpupool_id + 1;
		xc_cpupool_infofree(x->xch, ci);
		n++;
	}
	*out = v;
	return n;
}

_Static_assert(PM_HV_TRIGGER_NMI == XEN_DOMCTL_SENDTRIGGER_NMI && PM_HV_TRIGGER_RESET == XEN_DOMCTL_SENDTRIGGER_RESET &&
		       PM_HV_TRIGGER_INIT == XEN_DOMCTL_SENDTRIGGER_INIT &&
		       PM_HV_TRIGGER_POWER == XEN_DOMCTL_SENDTRIGGER_POWER &&
		       PM_HV_TRIGGER_SLEEP == XEN_DOMCTL_SENDTRIGGER_SLEEP,
	       "enum pm_hv_trigger is Xen's numbering");

static int xen_trigger(struct pm_hv *hv, uint32_t domid, unsigned int trigger, unsigned int vcpu)
{
	struct pm_xen *x = hv->priv;

	return xc_domain_send_trigger(x->xch, domid, trigger, vcpu) ? err() : 0;
}

static int xen_sched_credit(struct pm_hv *hv, uint32_t domid, unsigned int version, bool set, int *weight,
			    int *cap)
{
	struct pm_xen *x = hv->priv;
	struct xen_domctl_sched_credit c1;
	struct xen_domctl_sched_credit2 c2;
	int sched = 0, r;

	if (xc_sched_id(x->xch, &sched))
		return err();
	if (sched != (version == 1 ? XEN_SCHEDULER_CREDIT : XEN_SCHEDULER_CREDIT2))
		return -EOPNOTSUPP;
	r = version == 1 ? xc_sched_credit_domain_get(x->xch, domid, &c1) : xc_sched_credit2_domain_get(x->xch, domid, &c2);
	if (r)
		return err();
	if (version == 2) {
		c1.weight = c2.weight;
		c1.cap = c2.cap;
	}
	if (set) {
		if ((*weight >= 0 && (*weight < 1 || *weight > 65535)) || (*cap >= 0 && *cap > 65535))
			return -EINVAL;
		if (*weight >= 0)
			c1.weight = (uint16_t)*weight;
		if (*cap >= 0)
			c1.cap = (uint16_t)*cap;
		c2.weight = c1.weight;
		c2.cap = c1.cap;
		r = version == 1 ? xc_sched_credit_domain_set(x->xch, domid, &c1)
				 : xc_sched_credit2_domain_set(x->xch, domid, &c2);
		if (r)
			return err();
	}
	*weight = c1.weight;
	*cap = c1.cap;
	return 0;
}

static int xen_set_uuid(struct pm_hv *hv, uint32_t domid, const uint8_t uuid[16])
{
	struct pm_xen *x = hv->priv;
	xen_domain_handle_t handle;

	memcpy(handle, uuid, sizeof(handle));
	return xc_domain_sethandle(x->xch, domid, handle) ? err() : 0;
}

/* ---- dirty logging (XEN_DOMCTL_SHADOW_OP_*) ---- */

static int xen_dirty_log(struct pm_hv *hv, uint32_t domid, bool enable)
{
	struct pm_xen *x = hv->priv;
	long long r;

	if (x->dirty) {
		free(x->dirty->seen);
		free(x->dirty);
		x->dirty = NULL;
	}
	r = xc_logdirty_control(x->xch, domid,
				enable ? XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY : XEN_DOMCTL_SHADOW_OP_OFF, NULL, 0,
				0, NULL);
	if (r < 0)
		return errno == ESRCH ? -ENOENT : errno == EINVAL && enable ? -EBUSY : err();
	return 0;
}

/*
 * Xen peeks or cleans from pfn 0: a clean of [pfn, pfn + count) cleans
 * everything below too, so what it reports there is kept (x->dirty) for
 * the caller that asks for it later
 */
static long xen_dirty_read(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, bool clean,
			   uint8_t *bitmap)
{
	struct pm_xen *x = hv->priv;
	uint64_t pages = pfn + count, bytes = (pages + 7) / 8;
	DECLARE_HYPERCALL_BUFFER(uint8_t, bits);
	long changed = 0;
	long long r;

	if (!x->dirty || x->dirty->domid != domid) {
		if (x->dirty)
			free(x->dirty->seen);
		free(x->dirty);
		x->dirty = pm__calloc(1, sizeof(*x->dirty));
		if (!x->dirty)
			return -ENOMEM;
		x->dirty->domid = domid;
	}
	if (x->dirty->pages < pages) {
		uint8_t *s = pm__realloc(x->dirty->seen, bytes);

		if (!s)
			return -ENOMEM;
		memset(s + (x->dirty->pages + 7) / 8, 0, bytes - (x->dirty->pages + 7) / 8);
		x->dirty->seen = s;
		x->dirty->pages = pages;
	}
	bits = xc_hypercall_buffer_alloc_pages(x->xch, bits, (int)((bytes + PAGE - 1) / PAGE));
	if (!bits)
		return -ENOMEM;
	memset(bits, 0, bytes);
	r = xc_logdirty_control(x->xch, domid, clean ? XEN_DOMCTL_SHADOW_OP_CLEAN : XEN_DOMCTL_SHADOW_OP_PEEK,
				HYPERCALL_BUFFER(bits), pages, 0, NULL);
	if (r < 0) {
		int rc = errno == ESRCH ? -ENOENT : errno == EINVAL ? -ENODATA : err();

		xc_hypercall_buffer_free_pages(x->xch, bits, (int)((bytes + PAGE - 1) / PAGE));
		return rc;
	}
	memset(bitmap, 0, (count + 7) / 8);
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t p = i;
		bool d = (bits[p / 8] >> (p % 8) & 1) || (x->dirty->seen[p / 8] >> (p % 8) & 1);

		if (i < pfn) {
			/* below the range: remember what a clean took */
			if (clean && d)
				x->dirty->seen[p / 8] |= (uint8_t)(1u << (p % 8));
			continue;
		}
		if (d) {
			bitmap[(i - pfn) / 8] |= (uint8_t)(1u << ((i - pfn) % 8));
			changed++;
		}
		if (clean)
			x->dirty->seen[p / 8] &= (uint8_t)~(1u << (p % 8));
	}
	xc_hypercall_buffer_free_pages(x->xch, bits, (int)((bytes + PAGE - 1) / PAGE));
	return changed;
}

/* ---- console, event channels ---- */

/* its UART's, when physmap-dm serves one; else xenconsoled's log of its PV console */
static int xen_console(struct pm_hv *hv, const struct pm_hv_dominfo *info, struct pm_hv_console *con)
{
	const char *dir = getenv("PHYSMAP_XEN_CONSOLE_DIR");
	int n = snprintf(con->log, sizeof(con->log), "%s/console/%s.log", hv->rundir, info->name);
	int m = snprintf(con->input, sizeof(con->input), "%s/console/%s.sock", hv->rundir, info->name);

	if (n < 0 || (size_t)n >= sizeof(con->log) || m < 0 || (size_t)m >= sizeof(con->input))
		return -ENAMETOOLONG;
	if (!access(con->log, F_OK))
		return 0;
	con->input[0] = 0;
	n = snprintf(con->log, sizeof(con->log), "%s/guest-%s.log", dir ? dir : "/var/log/xen/console", info->name);
	return n < 0 || (size_t)n >= sizeof(con->log) ? -ENAMETOOLONG : 0;
}

static struct binding *find_binding(struct pm_xen *x, uint32_t domid, uint32_t port)
{
	for (size_t i = 0; i < x->nr_bind; i++)
		if (x->bind[i].domid == domid && x->bind[i].port == port)
			return &x->bind[i];
	return NULL;
}

static int bind(struct pm_xen *x, uint32_t domid, uint32_t port, int *out)
{
	struct binding *b = pm__realloc(x->bind, (x->nr_bind + 1) * sizeof(*b)), nb = { NULL, domid, port, 0 };
	xenevtchn_port_or_error_t local;
	int fd;

	if (!b)
		return -ENOMEM;
	x->bind = b;
	nb.h = xenevtchn_open(&quiet, 0);
	if (!nb.h)
		return err();
	fcntl(xenevtchn_fd(nb.h), F_SETFL, fcntl(xenevtchn_fd(nb.h), F_GETFL) | O_NONBLOCK);   /* pending never blocks */
	local = xenevtchn_bind_interdomain(nb.h, domid, port);
	fd = local < 0 ? -1 : dup(xenevtchn_fd(nb.h));
	if (fd < 0) {
		int rc = errno == ESRCH ? -ENOENT : err();

		xenevtchn_close(nb.h);
		return rc;
	}
	nb.local = (uint32_t)local;
	x->bind[x->nr_bind++] = nb;
	*out = fd;
	return 0;
}

static int xen_evtchn(struct pm_hv *hv, int op, uint32_t domid, uint32_t arg, int *out)
{
	struct pm_xen *x = hv->priv;
	struct binding *b;
	int port;

	switch (op) {
	case 0:
		port = xc_evtchn_alloc_unbound(x->xch, domid, arg);
		if (port < 0)
			return errno == ESRCH ? -ENOENT : err();
		*out = port;
		return 0;
	case 1:
		return find_binding(x, domid, arg) ? -EBUSY : bind(x, domid, arg, out);
	case 2:
		b = find_binding(x, domid, arg);
		return !b ? -EINVAL : xenevtchn_notify(b->h, b->local) ? err() : 0;
	case 4: {
		xenevtchn_port_or_error_t p;

		b = find_binding(x, domid, arg);
		if (!b)
			return 0;
		p = xenevtchn_pending(b->h);
		if (p < 0)
			return 0;
		xenevtchn_unmask(b->h, (evtchn_port_t)p);
		return 1;
	}
	default:
		b = find_binding(x, domid, arg);
		if (!b)
			return -EINVAL;
		xenevtchn_unbind(b->h, b->local);
		xenevtchn_close(b->h);
		*b = x->bind[--x->nr_bind];
		return 0;
	}
}

static int xen_p2m_none(struct pm_hv *hv, uint32_t domid, uint64_t pfn, struct pm_p2m_path *path)
{
	(void)hv, (void)domid, (void)pfn, (void)path;
	return -EOPNOTSUPP;
}

static int xen_stats_none(struct pm_hv *hv, uint32_t domid, struct pm_p2m_stats *stats)
{
	(void)hv, (void)domid, (void)stats;
	return -EOPNOTSUPP;
}

const struct pm_hv_ops pm__hv_xen_ops = {
	.name = "xen",
	.open = xen_open,
	.close = xen_close,
	.info = xen_info,
	.create = xen_create,
#if !XEN_X86
	.no_save = "Xen 4.17 on Arm cannot save, restore or migrate a domain (xl: command not implemented)",
#endif
#if defined(__aarch64__)
	.vuart_init = xen_vuart_init,
#endif
	.destroy = xen_destroy,
	.create_pv = xen_create_pv,
	.pv_build = xen_pv_build,
	.p2m_check = xen_p2m_check,
	.pause = xen_pause,
	.resume = xen_resume,
	.pv_save = xen_pv_save,
	.pv_restore = xen_pv_restore,
	.hvm_context = xen_hvm_context,
	.hvm_context_set = xen_hvm_context_set,
	.getinfo = xen_getinfo,
	.list = xen_list,
	.set_maxmem = xen_set_maxmem,
	.vcpu_set = xen_vcpu_set,
	.set_param = xen_set_param,
	.set_memory_map = xen_set_memory_map,
	.grant_map = xen_grant_map,
	.grant_unmap = xen_grant_unmap,
	.set_actions = xen_set_actions,
	.shutdown = xen_shutdown,
	.host_info = xen_host_info,
	.set_uuid = xen_set_uuid,
	.vcpu_list = xen_vcpu_list,
	.vcpu_pin = xen_vcpu_pin,
	.console_read = xen_console_read,
	.debug_keys = xen_debug_keys,
	.flask_enforce = xen_flask_enforce,
	.cpupools = xen_cpupools,
	.cpu_topology = xen_cpu_topology,
	.numa_info = xen_numa_info,
	.set_parameter = xen_set_parameter,
	.pci_topology = xen_pci_topology,
	.trigger = xen_trigger,
	.sched_credit = xen_sched_credit,
	.memory = xen_memory,
	.p2m_read = xen_p2m_read,
	.max_read = 1u << 20,
	.dirty_log = xen_dirty_log,
	.dirty_read = xen_dirty_read,
	.max_dirty = 1ull << 40,
	.ioreq = &pm__xen_ioreq_ops,
	.console = xen_console,
	.evtchn = xen_evtchn,
	.evtchn_ports = true,   /* a bound fd is /dev/xen/evtchn: it reads port numbers */
	.vcpu_state = xen_vcpu_state,
	.p2m_explain = xen_p2m_none,
	.p2m_stats = xen_stats_none,
	.map_pfns = xen_map_pfns,
	.dump_facts = xen_dump_facts,
	.hotplug = pm__xen_hotplug,
};
