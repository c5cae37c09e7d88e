/*
 * domain.c - a domain from its configuration, and back to nothing
 *
 * State of a build, for the undo path: created (a domid exists; destroying
 * it frees every frame) -> store entries written (removed before destroy).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/hvm/params.h>

#include "physmap/domain.h"
#include "physmap/p2m.h"
#include "physmap/board.h"
#include "alloc-internal.h"
#include "file-internal.h"
#include "domain-internal.h"
#include "save-internal.h"
#include "device-internal.h"
#include "config-internal.h"
#include "hv/hv-internal.h"

#define PAGE 4096ull

struct build {
	struct pm_hv *hv;
	const struct pm_domain_config *cfg;
	struct pm_board_layout layout;
	struct pm_board_boot boot;
	uint32_t domid;
	uint64_t special;        /* the first special pfn: the top of RAM, or where the board says */
	uint64_t max_pfn;        /* past RAM and the special pages */
	uint64_t store_mfn;
	uint64_t table_len;      /* the firmware table's bytes, at boot.table_gpa */
	bool restore;            /* memory, vCPUs and the table come from a stream */
	bool created, stored;    /* for the undo path */
	bool marked;             /* marked under construction in the store (building.c) */
	bool unfinished;         /* left marked once built: the caller says when it is complete */
	bool devices;            /* its disks and networks (some perhaps) are in the store */
	struct pm_nic *nics;     /* cfg's vifs, each with its MAC (chosen now where none was given) */
	bool xen;                /* on Xen: its channels are allocated, its rings named by gfn */
	bool pv;                 /* a PV guest (xen): libxenguest builds it, its rings named by mfn */
	uint64_t console_frame;  /* a PV guest's console ring */
	char firmware[128];      /* /vm/N/firmware: "KIND GPA LEN" */
	struct pm_kernel kernel; /* read, and judged, before the domain exists */
	uint8_t *ramdisk;
	size_t ramdisk_len;
	char *err;
	size_t errlen;
};

static int fail(struct build *b, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct build *b, int rc, const char *fmt, ...)
{
	char what[PM_DOMAIN_ERR_LEN / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(b->err, b->errlen, "%s: %s: %s", b->cfg->name, what, strerror(-rc));
	return rc;
}

/* the top of RAM, in pfns: the P2M covers [0, it) */
static uint64_t ram_top(const struct pm_board_layout *l)
{
	uint64_t top = 0;

	for (size_t i = 0; i < l->nr_regions; i++)
		if (l->regions[i].kind == PM_REGION_RAM && l->regions[i].base + l->regions[i].size > top)
			top = l->regions[i].base + l->regions[i].size;
	return (top + PAGE - 1) / PAGE;
}

/* the console and store rings after RAM, and the parameters naming them */
static int special_pages(struct build *b)
{
	static const struct { unsigned int index; uint64_t value; } ports[] = {
		{ HVM_PARAM_CONSOLE_EVTCHN, PM_DOMAIN_CONSOLE_PORT },
		{ HVM_PARAM_STORE_EVTCHN, PM_DOMAIN_STORE_PORT },
	};
	uint64_t store = b->special + PM_DOMAIN_STORE_PAGE;
	long n = pm_hv_populate(b->hv, b->domid, b->special, PM_DOMAIN_SPECIAL_POPULATED);
	int rc;

	if (n < 0)
		return fail(b, (int)n, "populating the special pages at pfn 0x%llx", (unsigned long long)b->special);
	rc = pm_hv_p2m_read(b->hv, b->domid, store, 1, &b->store_mfn);
	if (rc)
		return fail(b, rc, "reading the store ring's frame");
	rc = pm_hv_set_param(b->hv, b->domid, HVM_PARAM_CONSOLE_PFN, b->special + PM_DOMAIN_CONSOLE_PAGE);
	if (!rc)
		rc = pm_hv_set_param(b->hv, b->domid, HVM_PARAM_STORE_PFN, store);
	for (size_t i = 0; !rc && i < sizeof(ports) / sizeof(ports[0]); i++)
		rc = pm_hv_set_param(b->hv, b->domid, ports[i].index, ports[i].value);
	return rc ? fail(b, rc, "setting the rings' parameters") : 0;
}

/*
 * On Xen the console's and the store's channels are allocated (for dom0 to
 * bind): a new domain's first two ports, 1 and 2, which is what the
 * simulator reserves and the rest of the build names
 */
static int xen_ports(struct build *b)
{
	static const uint32_t want[] = { PM_DOMAIN_CONSOLE_PORT, PM_DOMAIN_STORE_PORT };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint32_t port = 0;
		int rc = pm_hv_evtchn_alloc_unbound(b->hv, b->domid, 0, &port);

		if (!rc && port != want[i])
			rc = -EBUSY;
		if (rc)
			return fail(b, rc, "allocating event channel %u", want[i]);
	}
	return 0;
}

/* RAM (@ram) and the holes between RAM (@holes) */
static int populate(struct build *b, bool ram, bool holes)
{
	uint64_t ram_end = 0;

	/* regions are sorted: RAM, and the holes between RAM identity-mapped */
	for (size_t i = 0; i < b->layout.nr_regions; i++) {
		const struct pm_board_region *r = &b->layout.regions[i];
		long n;

		if (r->kind != PM_REGION_RAM)
			continue;
		if (holes && r->base / PAGE > ram_end) {
			n = pm_hv_set_identity(b->hv, b->domid, ram_end, r->base / PAGE - ram_end);
			if (n < 0)
				return fail(b, (int)n, "identity-mapping pfns [0x%llx, 0x%llx)",
					    (unsigned long long)ram_end, (unsigned long long)(r->base / PAGE));
		}
		n = ram ? pm_hv_populate(b->hv, b->domid, r->base / PAGE, r->size / PAGE) : 0;
		if (n < 0)
			return fail(b, (int)n, "populating %s (%llu MiB)", r->name,
				    (unsigned long long)(r->size >> 20));
		ram_end = (r->base + r->size) / PAGE;
	}
	return 0;
}

/* copies len bytes to guest physical address gpa */
static int write_guest(struct build *b, uint64_t gpa, const void *data, size_t len, const char *what)
{
	uint64_t first = gpa / PAGE, count = (gpa + len + PAGE - 1) / PAGE - first;
	char *p = pm_hv_map(b->hv, b->domid, first, count);

	if (!p)
		return fail(b, -errno, "writing the %s at 0x%llx", what, (unsigned long long)gpa);
	memcpy(p + gpa % PAGE, data, len);
	pm_hv_unmap(b->hv, p, count);
	return 0;
}

/*
 * The kernel and ramdisk, read whole before anything is created: a file
 * that is not what it claims to be (a FIFO, a directory, an empty or
 * unknown image, one larger than the guest) is refused with the domain
 * not yet there.
 */
/* where the board puts the kernel, ramdisk and command line; what is in memory follows it */
static int place_images(struct build *b, struct pm_board_boot *boot)
{
	char berr[PM_BOARD_ERR_LEN] = "";
	int rc;

	*boot = (struct pm_board_boot){ .kernel_size = b->kernel.footprint, .kernel_gpa = b->kernel.gpa,
					.kernel_entry = b->kernel.entry, .initrd_size = b->ramdisk_len,
					.cmdline = b->cfg->cmdline };
	rc = pm_board_boot(&b->layout, boot, berr);
	if (rc)
		snprintf(b->err, b->errlen, "%s: placing the boot images: %s", b->cfg->name, berr);
	return rc;
}

static int read_images(struct build *b)
{
	const struct pm_domain_config *cfg = b->cfg;
	uint64_t max = cfg->memory < PM_FILE_IMAGE_MAX ? cfg->memory : PM_FILE_IMAGE_MAX;
	char ierr[PM_BOARD_ERR_LEN] = "";
	struct pm_board_boot boot;
	const struct board_ops *board = pm_board_find(cfg->board);
	unsigned int flags = (b->layout.e820.nr ? PM_KERNEL_PVH : 0) | (cfg->kernel_raw ? PM_KERNEL_RAW : 0) |
			     (board && board->image_only ? PM_KERNEL_IMAGE : 0);
	int rc;

	if (cfg->kernel && (rc = pm_kernel_load(cfg->kernel, flags, &b->kernel, ierr, sizeof(ierr)))) {
		snprintf(b->err, b->errlen, "%s: %s", cfg->name, ierr);
		return rc;
	}
	if (b->kernel.size > max) {
		snprintf(b->err, b->errlen, "%s: kernel %s: %llu MiB laid out, more than its %llu MiB of memory",
			 cfg->name, cfg->kernel, (unsigned long long)(b->kernel.size >> 20),
			 (unsigned long long)(cfg->memory >> 20));
		return -EFBIG;
	}
	if (cfg->ramdisk &&
	    (rc = pm__file_read(cfg->ramdisk, max, &b->ramdisk, &b->ramdisk_len, ierr, sizeof(ierr)))) {
		snprintf(b->err, b->errlen, "%s: ramdisk %s", cfg->name, ierr);
		return rc;
	}
	return place_images(b, &boot);   /* an image or command line that cannot be placed: refused now */
}

/* kernel (raw, or ELF where its segments say), ramdisk, command line and the firmware table into guest memory */
static int load(struct build *b)
{
	struct pm_board_boot boot;
	const struct pm_kernel k = b->kernel;
	void *blob = NULL;
	long len;
	int rc = place_images(b, &boot);

	if (rc)
		return rc;
	if (k.size && (rc = write_guest(b, boot.kernel_load, k.data, (size_t)k.size, "kernel")))
		return rc;
	if (b->ramdisk_len && (rc = write_guest(b, boot.initrd_load, b->ramdisk, b->ramdisk_len, "ramdisk")))
		return rc;
	if (boot.cmdline_gpa && b->cfg->cmdline &&
	    (rc = write_guest(b, boot.cmdline_gpa, b->cfg->cmdline, strlen(b->cfg->cmdline) + 1,
			      "command line")))
		return rc;
	len = pm_board_firmware(&b->layout, &boot, &blob);
	if (len < 0)
		return fail(b, (int)len, "building the firmware table");
	if ((uint64_t)len > boot.table_max)
		rc = fail(b, -E2BIG, "the firmware table (%ld bytes)", len);
	else
		rc = write_guest(b, boot.table_gpa, blob, (size_t)len,
				 b->layout.e820.nr ? "PVH start info" : "device tree");
	free(blob);
	b->table_len = (uint64_t)len;
	b->boot = boot;
	snprintf(b->firmware, sizeof(b->firmware), "%s 0x%llx %llu",
		 b->layout.e820.nr ? "pvh-start-info" : "device-tree", (unsigned long long)boot.table_gpa,
		 (unsigned long long)len);
	return rc;
}

static enum pm_hv_action hv_action(enum pm_action a)
{
	/* restarting, or a core dump first, needs the toolstack: the domain is kept for it */
	return a == PM_ACTION_DESTROY ? PM_HV_ACT_DESTROY : PM_HV_ACT_PRESERVE;
}

/* vCPU 0 where the board says, and what to do when the guest stops */
static int vcpu0(struct build *b)
{
	const struct pm_board_vcpu *bv = &b->boot.vcpu;
	struct pm_hv_vcpu_ctx ctx = {
		.arch = bv->arch == PM_ARCH_AARCH64 ? PM_HV_ARCH_AARCH64 : PM_HV_ARCH_X86_32,
		.pc = bv->pc, .pstate = bv->pstate, .cr0 = bv->cr0,
	};
	int rc;

	memcpy(ctx.regs, bv->regs, sizeof(ctx.regs));
	rc = pm_hv_vcpu_set(b->hv, b->domid, 0, &ctx);
	return rc ? fail(b, rc, "setting vCPU 0's context") : 0;
}

static int actions(struct build *b)
{
	int rc = pm_hv_set_actions(b->hv, b->domid, hv_action(b->cfg->on_poweroff), hv_action(b->cfg->on_reboot),
				   hv_action(b->cfg->on_crash), hv_action(b->cfg->on_watchdog));

	return rc ? fail(b, rc, "setting the shutdown actions") : 0;
}

static bool xs_put(struct xs_handle *h, xs_transaction_t t, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool xs_put(struct xs_handle *h, xs_transaction_t t, const char *path, const char *fmt, ...)
{
	char v[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	return xs_write(h, t, path, v, (unsigned int)strlen(v));
}

/* "NAME KIND BASE SIZE" a line, each region that is not RAM (as many as the store's 4 KiB value holds) */
static bool put_regions(struct xs_handle *h, xs_transaction_t t, const char *path,
			const struct pm_board_layout *l)
{
	static const char *const kinds[] = { "ram", "rom", "mmio", "reserved" };
	char v[3072];
	size_t n = 0;

	v[0] = 0;
	for (size_t i = 0; i < l->nr_regions; i++) {
		const struct pm_board_region *r = &l->regions[i];
		int w;

		if (r->kind == PM_REGION_RAM || (unsigned)r->kind > PM_REGION_RESERVED)
			continue;
		w = snprintf(v + n, sizeof(v) - n, "%s %s 0x%llx 0x%llx\n", r->name, kinds[r->kind],
			     (unsigned long long)r->base, (unsigned long long)r->size);
		if (w < 0 || (size_t)w >= sizeof(v) - n) {
			v[n] = 0;
			break;
		}
		n += (size_t)w;
	}
	return xs_write(h, t, path, v, (unsigned int)n);
}

/* the UUID the hypervisor keeps, and on Xen libxl's own copy of @c, without which xl adds no device */
static int identity(struct build *b, const struct pm_domain_config *c)
{
	uint8_t u[16];
	int rc = pm_uuid_parse(c->uuid, u);

	rc = rc ? rc : pm__hv_set_uuid(b->hv, b->domid, u);
	if (rc)
		return fail(b, rc, "giving the domain its UUID");
	rc = b->xen ? pm__libxl_userdata_write(b->hv, b->domid, c) : 0;
	return rc ? fail(b, rc, "writing libxl's userdata for it") : 0;
}

/* the domain's home, /local/domain/ID, in transaction @t: what the guest reads and what it writes */
static bool home_entries(struct build *b, const struct pm_domain_config *c, struct xs_handle *h, xs_transaction_t t,
			 const char *home, const char *vm)
{
	/* what the guest says in control/ (libxl's list): its features, its answer to a shutdown request */
	static const char *const guest_keys[] = {
		"shutdown", "feature-poweroff", "feature-reboot", "feature-suspend", "feature-balloon", "sysrq",
		"platform-feature-multiprocessor-suspend", "platform-feature-xs_reset_watches",
	};
	struct xs_permissions ro[2] = { { 0, XS_PERM_NONE }, { b->domid, XS_PERM_READ } };
	struct xs_permissions rw[1] = { { b->domid, XS_PERM_NONE } };
	char p[128];
	bool ok = xs_mkdir(h, t, home) && xs_set_permissions(h, t, home, ro, 2);

#define PUT(sub, ...) (snprintf(p, sizeof(p), "%s/" sub, home), xs_put(h, t, p, __VA_ARGS__))
	ok = ok && PUT("name", "%s", c->name) && PUT("domid", "%u", b->domid) &&
	     PUT("vm", "%s", vm) && PUT("memory/target", "%llu", (unsigned long long)(c->memory >> 10)) &&
	     PUT("memory/static-max", "%llu", (unsigned long long)(c->maxmem >> 10)) &&
	     PUT("store/port", "%u", PM_DOMAIN_STORE_PORT) &&
	     PUT("store/ring-ref", "%llu",
		 (unsigned long long)(b->pv ? b->store_mfn : b->special + PM_DOMAIN_STORE_PAGE)) &&
	     PUT("console/port", "%u", PM_DOMAIN_CONSOLE_PORT) &&
	     PUT("console/ring-ref", "%llu",
		 (unsigned long long)(b->pv ? b->console_frame : b->special + PM_DOMAIN_CONSOLE_PAGE));
	/* xenconsoled serves the ring on Xen (the simulator does itself) */
	ok = ok && (!b->xen || (PUT("console/type", "xenconsoled") && PUT("console/output", "pty")));
#undef PUT
	/* what the guest writes: its features, its answer to shutdown requests */
	snprintf(p, sizeof(p), "%s/control", home);
	ok = ok && xs_mkdir(h, t, p) && xs_set_permissions(h, t, p, ro, 2);
	for (size_t i = 0; i < sizeof(guest_keys) / sizeof(guest_keys[0]); i++) {
		snprintf(p, sizeof(p), "%s/control/%s", home, guest_keys[i]);
		ok = ok && xs_write(h, t, p, "", 0) && xs_set_permissions(h, t, p, rw, 1);
	}
	/* each vCPU's, as libxl writes them (Linux's cpu hotplug reads them): those
	 * past vcpus (to maxvcpus) offline, for vcpu-set to bring online */
	for (unsigned int i = 0; ok && i < c->maxvcpus; i++) {
		snprintf(p, sizeof(p), "%s/cpu/%u/availability", home, i);
		ok = xs_put(h, t, p, i < c->vcpus ? "online" : "offline");
	}
	snprintf(p, sizeof(p), "%s/data", home);
	return ok && xs_mkdir(h, t, p) && xs_set_permissions(h, t, p, rw, 1);
}

/* the toolstack's own entries in transaction @t: /vm/ID (its configuration among them) and /libxl/ID */
static bool vm_entries(struct build *b, const struct pm_domain_config *c, struct xs_handle *h, xs_transaction_t t,
		       const char *vm, const char *json, const char *e820, const struct timespec *now)
{
	char p[128];
	bool ok;

	snprintf(p, sizeof(p), "%s/name", vm);
	ok = xs_put(h, t, p, "%s", c->name);
	snprintf(p, sizeof(p), "%s/uuid", vm);
	ok = ok && xs_put(h, t, p, "%s", c->uuid);
	/* seconds since the epoch, as libxl writes it (xl uptime reads it) */
	snprintf(p, sizeof(p), "%s/start_time", vm);
	ok = ok && xs_put(h, t, p, "%lld.%02ld", (long long)now->tv_sec, now->tv_nsec / 10000000);
	snprintf(p, sizeof(p), "%s/board", vm);
	ok = ok && xs_put(h, t, p, "%s", c->board);
	/* the board's windows besides RAM, for pxl p2m --svg */
	snprintf(p, sizeof(p), "%s/regions", vm);
	ok = ok && put_regions(h, t, p, &b->layout);
	/* where the firmware table went, for pxl e820 / dumpdtb of the domain */
	snprintf(p, sizeof(p), "%s/firmware", vm);
	ok = ok && (!b->firmware[0] || xs_put(h, t, p, "%s", b->firmware));
	/* a PV guest's memory map (Xen keeps it, but tells only the guest) */
	snprintf(p, sizeof(p), "%s/e820", vm);
	ok = ok && (!b->pv || !e820 || xs_write(h, t, p, e820, (unsigned int)strlen(e820)));
	/* the configuration, for save and migration (as libxl keeps its JSON) */
	snprintf(p, sizeof(p), "%s/config", vm);
	ok = ok && xs_write(h, t, p, json, (unsigned int)strlen(json));
	/* what xl reads of a domain it did not make before it adds a device to it */
	snprintf(p, sizeof(p), "/libxl/%u/type", b->domid);
	ok = ok && xs_put(h, t, p, "%s", c->type);
	snprintf(p, sizeof(p), "/libxl/%u/dm-version", b->domid);
	return ok && xs_put(h, t, p, "qemu_xen");
}

/* what xl writes for a domain: its home (guest may read), its /vm entry; in one transaction */
static int store_entries(struct build *b)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char home[64], vm[64];
	struct pm_domain_config kept = *b->cfg;   /* what is kept: the MACs chosen, too */
	const struct pm_domain_config *c = &kept;
	xs_transaction_t t;
	char *json = NULL, *e820 = NULL;
	struct timespec now;
	bool ok;
	int tries = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	kept.nics = b->nics;
	if (!kept.uuid[0] && pm_uuid_generate(kept.uuid))
		return fail(b, -EIO, "making the domain's UUID");
	snprintf(home, sizeof(home), "/local/domain/%u", b->domid);
	snprintf(vm, sizeof(vm), "/vm/%u", b->domid);
	if (!h)
		return fail(b, -errno, "connecting to the store");
	if (pm_domain_config_json(c, &json) < 0 || (b->layout.e820.nr && pm_e820_format(&b->layout.e820, &e820) < 0)) {
		free(json);
		xs_close(h);
		return fail(b, -ENOMEM, "writing %s in the store", home);
	}
	for (;;) {
		t = xs_transaction_start(h);
		if (t == XBT_NULL) {
			ok = false;
			break;
		}
		ok = home_entries(b, c, h, t, home, vm) && vm_entries(b, c, h, t, vm, json, e820, &now);
		if (!ok) {
			xs_transaction_end(h, t, true);
			break;
		}
		if (xs_transaction_end(h, t, false))
			break;
		/* somebody else wrote meanwhile: again, a few times */
		if (errno != EAGAIN || ++tries == 10) {
			ok = false;
			break;
		}
	}
	free(json);
	free(e820);
	xs_close(h);
	return ok ? identity(b, c) : fail(b, errno ? -errno : -EIO, "writing %s in the store", home);
}

/* the store serves the guest's ring from now on */
static int introduce(struct build *b)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	/* Xen's xenstored maps an HVM guest's ring by gfn */
	uint64_t ring = b->xen && !b->pv ? b->special + PM_DOMAIN_STORE_PAGE : b->store_mfn;
	bool ok = h && xs_introduce_domain(h, b->domid, ring, PM_DOMAIN_STORE_PORT);
	int rc = ok ? 0 : errno ? -errno : -EIO;

	if (h)
		xs_close(h);
	return rc ? fail(b, rc, "introducing domain %u to the store", b->domid) : 0;
}

#ifndef PM_BINDIR
#define PM_BINDIR "/usr/local/bin"
#endif

/* the models physmap-dm has; the board's other devices get a logger
 * standing in (like QEMU's unimplemented-device), so their accesses are
 * served and logged rather than floating */
static const char *dm_model(const char *model)
{
	static const char *const have[] = { "pl011", "16550", "subpage-test", "events-test", "exec-flash", NULL };

	for (const char *const *m = have; *m; m++)
		if (!strcmp(model, *m))
			return model;
	return "logger";
}

/* RUNDIR/console/NAME.SUFFIX: where a domain's console log, device model log and sockets are */
static void console_file(char *buf, size_t len, struct pm_hv *hv, const char *name, const char *suffix)
{
	snprintf(buf, len, "%s/console/%s%s", pm_hv_rundir(hv), name, suffix);
}

/*
 * the domain's device model: physmap-dm --sim (or --xen) with the board's
 * devices, started detached (double fork), waited for until it has claimed
 * its ranges. It leaves by itself when the backend lets go of the domain.
 */
/* whether the domain gets a physmap-dm: for the board's devices, or for disks it serves */
static bool needs_dm(const struct build *b)
{
	for (size_t i = 0; i < b->cfg->nr_disks; i++)
		if (pm__device_by_dm(b->hv, &b->cfg->disks[i]))
			return true;
	return b->layout.nr_devices > 0;
}

/* physmap-dm's files for the domain: its console log, its own log, console input, control socket */
struct dm_files {
	char console[512], log[512], input[512], control[512];
};

/* physmap-dm's command line into @argv (16 + 2 per device slots), its devices' specs into @devs (freed by the caller) */
static int dm_argv(struct build *b, const char *bin, const char *dom, struct dm_files *f, char **argv, char **devs)
{
	static char fd3[] = "3";
	size_t n = 0;

	console_file(f->console, sizeof(f->console), b->hv, b->cfg->name, ".log");
	console_file(f->log, sizeof(f->log), b->hv, b->cfg->name, ".dm.log");
	console_file(f->input, sizeof(f->input), b->hv, b->cfg->name, ".sock");
	console_file(f->control, sizeof(f->control), b->hv, b->cfg->name, ".ctl");
	argv[n++] = (char *)bin;
	argv[n++] = b->xen ? "--xen" : "--sim";
	argv[n++] = (char *)dom;
	argv[n++] = "--rundir";
	argv[n++] = (char *)pm_hv_rundir(b->hv);
	argv[n++] = "--ready-fd";
	argv[n++] = fd3;
	argv[n++] = "--console";
	argv[n++] = f->console;
	argv[n++] = "--log";
	argv[n++] = f->log;
	argv[n++] = "--console-input";
	argv[n++] = f->input;
	argv[n++] = "--control";
	argv[n++] = f->control;
	for (size_t i = 0; i < b->layout.nr_devices; i++) {
		const struct pm_board_device *d = &b->layout.devices[i];

		if (pm__asprintf(&devs[i], "%s,addr=0x%llx,size=0x%llx,name=%s%s", dm_model(d->model),
			     (unsigned long long)d->base, (unsigned long long)d->size, d->name,
			     d->pio ? ",pio" : "") < 0) {
			devs[i] = NULL;
			return fail(b, -ENOMEM, "starting the device model");
		}
		argv[n++] = "--device";
		argv[n++] = devs[i];
	}
	return 0;
}

/* the model run in a session of its own (a grandchild), its fd 3 the pipe's end @wr, its stderr @log */
static int dm_fork(struct build *b, char **argv, const char *log, int wr)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return fail(b, -errno, "starting the device model");
	if (!pid) {
		int nul = open("/dev/null", O_RDWR), err = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fork())
			_exit(0);
		setsid();
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(err >= 0 ? err : nul, 2);
		dup2(wr, 3);   /* dup2 clears close-on-exec */
		unsetenv("PHYSMAP_ALLOC_FAIL_AT");   /* the test's failure is ours, not the device model's */
		execv(argv[0], argv);
		dprintf(3, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return 0;
}

/* the model's one line on @rd: "ready", or why not; "" at EOF (it died first) or after 10 s */
static void dm_said(int rd, char *line, size_t len)
{
	struct pollfd pf = { .fd = rd, .events = POLLIN };
	size_t got = 0;

	while (got < len - 1 && poll(&pf, 1, 10000) > 0) {
		ssize_t r = read(rd, line + got, len - 1 - got);

		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = 0;
	line[strcspn(line, "\n")] = 0;
}

static int spawn_dm(struct build *b)
{
	const char *bin = getenv("PHYSMAP_DM");
	char path[512], dom[16], line[256] = "";
	struct dm_files f;
	char **argv = pm__calloc(16 + 2 * b->layout.nr_devices, sizeof(*argv));
	char **devs = pm__calloc(b->layout.nr_devices + 1, sizeof(*devs));
	int p[2] = { -1, -1 }, rc = 0;

	if (!argv || !devs || pipe2(p, O_CLOEXEC)) {
		rc = fail(b, argv && devs ? -errno : -ENOMEM, "starting the device model");
		goto out;
	}
	if (!bin) {
		snprintf(path, sizeof(path), "%s/physmap-dm", PM_BINDIR);
		bin = path;
	}
	snprintf(dom, sizeof(dom), "%u", b->domid);
	rc = dm_argv(b, bin, dom, &f, argv, devs);
	if (!rc)
		rc = dm_fork(b, argv, f.log, p[1]);
	if (rc)
		goto out;
	close(p[1]);
	p[1] = -1;
	dm_said(p[0], line, sizeof(line));
	if (strcmp(line, "ready"))
		rc = fail(b, -EIO, "the device model (%s) did not start%s%s (see %s)", argv[0], line[0] ? ": " : "",
			  line, f.log);
out:
	for (size_t i = 0; devs && i < b->layout.nr_devices; i++)
		free(devs[i]);
	free(devs);
	free(argv);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return rc;
}

static void store_remove(uint32_t domid)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char p[64];

	if (!h)
		return;
	snprintf(p, sizeof(p), "/local/domain/%u", domid);
	xs_rm(h, XBT_NULL, p);
	snprintf(p, sizeof(p), "/vm/%u", domid);
	xs_rm(h, XBT_NULL, p);
	snprintf(p, sizeof(p), "/libxl/%u", domid);
	xs_rm(h, XBT_NULL, p);
	pm__store_prune(h, "/libxl");
	xs_close(h);
}

/* before anything exists: what can be checked of the devices, and the MACs chosen */
static int devices_prepare(struct build *b)
{
	const struct pm_domain_config *cfg = b->cfg;
	char derr[PM_DOMAIN_ERR_LEN / 2] = "";
	int rc = pm__devices_check(b->hv, cfg, derr, sizeof(derr));

	if (rc) {
		snprintf(b->err, b->errlen, "%s: %s", cfg->name, derr);
		return rc;
	}
	if (!cfg->nr_nics)
		return 0;
	b->nics = pm__calloc(cfg->nr_nics, sizeof(*b->nics));
	if (!b->nics)
		return fail(b, -ENOMEM, "its vifs");
	for (size_t i = 0; i < cfg->nr_nics; i++) {
		b->nics[i] = cfg->nics[i];   /* the strings stay cfg's */
		if (!b->nics[i].mac_set && (rc = pm__device_random_mac(b->nics[i].mac)))
			return fail(b, rc, "choosing a MAC for vif %zu", i);
		b->nics[i].mac_set = true;
	}
	return 0;
}

/* the guest's disks and networks, once its store home is there */
static int devices(struct build *b)
{
	char derr[PM_DOMAIN_ERR_LEN / 2] = "";
	int rc;

	b->devices = true;
	rc = pm__devices_add(b->hv, b->domid, b->cfg, b->nics, derr, sizeof(derr));
	if (rc)
		snprintf(b->err, b->errlen, "%s: %s", b->cfg->name, derr[0] ? derr : strerror(-rc));
	return rc;
}

/* under construction from now until built: a builder that dies leaves it to pm_domain_reap */
static int mark(struct build *b)
{
	int rc = pm__building_mark(b->domid, b->cfg->name);

	if (rc)
		return fail(b, rc, "marking it under construction in the store");
	b->marked = true;
	return 0;
}

/* a PV guest: the hypervisor's builder lays it out (no board, no device model) */
static int pv_begin(struct build *b)
{
	const struct pm_domain_config *cfg = b->cfg;
	struct pm_hv_pv pv = { .kernel = cfg->kernel, .ramdisk = cfg->ramdisk, .cmdline = cfg->cmdline,
			       .mem_mib = (unsigned int)(cfg->memory >> 20), .e820 = &b->layout.e820,
			       .console_port = PM_DOMAIN_CONSOLE_PORT, .store_port = PM_DOMAIN_STORE_PORT };
	uint64_t top = cfg->maxmem > cfg->memory ? cfg->maxmem : cfg->memory;
	char berr[256] = "";
	int rc;

	if ((rc = devices_prepare(b)))
		return rc;
	/*
	 * its memory map, set in Xen (XENMEM_memory_map) and recorded: RAM
	 * from 0 to its maximum, what a domU without one assumes (Linux then
	 * reserves the ISA range itself). A hole below 1 MiB would be
	 * identity-mapped to frames the domain does not own, and Linux's DMI
	 * scan of 0xf0000 faults on it; holes elsewhere are the host's
	 * (xl's e820_host), not yet followed.
	 */
	if (pm_e820_add(&b->layout.e820, 0, top, PM_E820_RAM))
		return fail(b, -ENOMEM, "its memory map");
	rc = pm_hv_domain_create_pv(b->hv, cfg->name, cfg->maxvcpus, &b->domid);
	if (rc == -EOPNOTSUPP) {
		snprintf(b->err, b->errlen, "%s: type \"pv\" needs the xen backend", cfg->name);
		return rc;
	}
	if (rc)
		return fail(b, rc, rc == -EEXIST ? "a domain of this name exists" : "creating the domain");
	b->created = true;
	if ((rc = mark(b)))
		return rc;
	rc = pm_hv_set_maxmem(b->hv, b->domid, cfg->maxmem / PAGE + PM_DOMAIN_EXTRA_PAGES);
	if (rc)
		return fail(b, rc, "setting max memory");
	rc = xen_ports(b);
	if (!rc && b->restore)
		return actions(b);   /* the rest once the stream is in: pm__build_pv_restore */
	if (!rc && (rc = pm_hv_pv_build(b->hv, b->domid, &pv, berr, sizeof(berr))))
		snprintf(b->err, b->errlen, "%s: building the PV guest: %s", cfg->name, berr[0] ? berr : strerror(-rc));
	if (rc)
		return rc;
	b->store_mfn = pv.store_frame;
	b->console_frame = pv.console_frame;
	rc = actions(b);
	if (!rc) {
		b->stored = true;
		rc = store_entries(b);
	}
	if (!rc)
		rc = devices(b);
	return rc ?: introduce(b);
}

/*
 * an Arm guest's vpl011 on Xen (a board that routes it an SPI): its ring
 * the fourth special page (libxl's VUART_PFN_OFFSET), its store entries
 * where xenconsoled looks (vuart/0: ring-ref, port, type), as libxl
 */
static int vuart(struct build *b)
{
	struct xs_permissions ro[2] = { { 0, XS_PERM_NONE }, { b->domid, XS_PERM_READ } };
	uint64_t gfn = b->special + 3;
	struct xs_handle *h;
	uint32_t port = 0;
	char p[96];
	bool ok;
	long n;
	int rc;

	if (!b->xen || !b->layout.arm_spis)
		return 0;
	n = pm_hv_populate(b->hv, b->domid, gfn, 1);
	if (n < 0)
		return fail(b, (int)n, "populating the vuart's ring at pfn 0x%llx", (unsigned long long)gfn);
	rc = pm__hv_vuart_init(b->hv, b->domid, gfn, &port);
	if (rc)
		return fail(b, rc, "setting up the vuart (Xen's vpl011)");
	h = xs_open(XS_OPEN_SOCKETONLY);
	if (!h)
		return fail(b, -errno, "connecting to the store");
	snprintf(p, sizeof(p), "/local/domain/%u/vuart/0", b->domid);
	ok = xs_mkdir(h, XBT_NULL, p) && xs_set_permissions(h, XBT_NULL, p, ro, 2);
#define PUT(sub, ...) (snprintf(p, sizeof(p), "/local/domain/%u/vuart/0/" sub, b->domid), \
		       xs_put(h, XBT_NULL, p, __VA_ARGS__))
	ok = ok && PUT("ring-ref", "%llu", (unsigned long long)gfn) && PUT("port", "%u", port) &&
	     PUT("limit", "%u", 1048576u) && PUT("type", "xenconsoled");
#undef PUT
	xs_close(h);
	return ok ? 0 : fail(b, -EIO, "writing the vuart's store entries");
}

/*
 * what the simulator's vCPUs cannot be: EL2 (they run at EL1, Unicorn's
 * and KVM's on an x86 host alike), or numbered in clusters of 8 (its PSCI
 * CPU_ON takes QEMU's clusters of 16). Refused before anything is made.
 * returns: 0; -EOPNOTSUPP (said)
 */
static int vcpus_check(struct build *b)
{
	const char *why;

	if (b->layout.needs & PM_BOARD_NEEDS_EL2)
		why = "the guest would boot at EL2, and the simulator's vCPUs run at EL1 only";
	else if (b->layout.needs & PM_BOARD_NEEDS_AFF8)
		why = "its vCPUs past the 8th come in MPIDR clusters of 8, and the simulator's PSCI numbers clusters of 16";
	else if (b->layout.needs & PM_BOARD_NEEDS_VPL011)
		why = "the vpl011 is Xen's own, and the simulator emulates none";
	else
		return 0;
	snprintf(b->err, b->errlen, "%s: %s (board '%s'): %s", b->cfg->name, b->layout.needs_key,
		 b->cfg->board, why);
	return -EOPNOTSUPP;
}

/*
 * the simulator: RAM its frame pool cannot hold is refused before anything
 * is made, naming the pool (on Xen the toolstack may balloon dom0 first,
 * and populate's own error says it). returns: 0; -ENOMEM (said)
 */
static int pool_check(struct build *b)
{
	uint64_t total, free_pages, want = 0;

	for (size_t i = 0; i < b->layout.nr_regions; i++)
		if (b->layout.regions[i].kind == PM_REGION_RAM)
			want += b->layout.regions[i].size / PAGE;
	want += PM_DOMAIN_EXTRA_PAGES;
	if (pm_hv_info(b->hv, &total, &free_pages) || want <= free_pages)
		return 0;   /* no figures: populate says what fails */
	snprintf(b->err, b->errlen,
		 "%s: memory = %llu MiB: the simulator's frame pool has %llu MiB free of %llu MiB "
		 "(physmap-sim --host-memory, or host_memory in its sim.conf, sets its size)",
		 b->cfg->name, (unsigned long long)(b->cfg->memory >> 20),
		 (unsigned long long)(free_pages * PAGE >> 20), (unsigned long long)(total * PAGE >> 20));
	return -ENOMEM;
}

/* with the board's layout: the devices and images read, the P2M's size; what the simulator cannot run refused */
static int plan(struct build *b)
{
	int rc;

	if ((rc = devices_prepare(b)) || (!b->restore && (rc = read_images(b))))
		return rc;
	b->special = b->layout.special_gpa ? b->layout.special_gpa / PAGE : ram_top(&b->layout);
	b->max_pfn = b->special + PM_DOMAIN_EXTRA_PAGES;
	if (ram_top(&b->layout) > b->max_pfn)
		b->max_pfn = ram_top(&b->layout);
	if (!b->xen && (rc = vcpus_check(b)))
		return rc;
	if (!b->xen && (rc = pool_check(b)))
		return rc;
	return 0;
}

/* the domain made (an Arm one with the board's GIC), marked, its maximum memory and memory map set */
static int make_domain(struct build *b)
{
	const struct pm_domain_config *cfg = b->cfg;
	uint64_t limit;
	int rc;

	if (b->layout.arm_gic) {
		struct pm_hv_arm arm = { b->layout.arm_gic, b->layout.arm_spis };

		rc = pm_hv_domain_create_arm(b->hv, cfg->name, b->max_pfn, cfg->maxvcpus, &arm, &b->domid);
		if (rc == -ENODEV) {   /* Xen says no such vGIC */
			snprintf(b->err, b->errlen, "%s: gic_version: v%u: Xen on this host offers guests no GICv%u",
				 cfg->name, arm.gic_version, arm.gic_version);
			return rc;
		}
	} else {
		rc = pm_hv_domain_create(b->hv, cfg->name, b->max_pfn, cfg->maxvcpus, &b->domid);
	}
	if (rc == -EMFILE && !pm__hv_fd_limit(b->hv, &limit)) {
		snprintf(b->err, b->errlen, "%s: creating the domain: the %s backend's open-files limit (%llu) is "
			 "reached (ulimit -n before it starts raises it)", cfg->name, pm_hv_backend(b->hv),
			 (unsigned long long)limit);
		return rc;
	}
	if (rc)
		return fail(b, rc, rc == -EEXIST ? "a domain of this name exists" : "creating the domain");
	b->created = true;
	if ((rc = mark(b)))
		return rc;
	pm__trace("build: domain made");   /* each trace line is a stage a test can stop at */
	rc = pm_hv_set_maxmem(b->hv, b->domid, cfg->maxmem / PAGE + PM_DOMAIN_EXTRA_PAGES);
	if (rc)
		return fail(b, rc, "setting max memory");
	/* an x86 board's map, for XENMEM_memory_map too (as libxl sets it): the start info's */
	if (b->layout.e820.nr && (rc = pm_hv_set_memory_map(b->hv, b->domid, &b->layout.e820)))
		return fail(b, rc, "setting its memory map");
	if (b->xen && (rc = xen_ports(b)))
		return rc;
	return 0;
}

/* a new domain's memory: RAM, the special pages, the images, vCPU 0 */
static int fill(struct build *b)
{
	int rc = populate(b, true, true);

	if (!rc)
		rc = special_pages(b);
	if (!rc)
		pm__trace("build: memory populated");
	if (!rc)
		rc = load(b);
	if (!rc && b->cfg->kernel)
		rc = vcpu0(b);   /* without a kernel its vCPUs stay down: the layout alone */
	if (!rc)
		pm__trace("build: images loaded");
	return rc;
}

/* its actions and store entries, its console, its device model and devices, the store told */
static int finish(struct build *b)
{
	int rc = actions(b);

	if (!rc) {
		b->stored = true;   /* partly, perhaps: removed on failure all the same */
		rc = store_entries(b);
	}
	if (!rc && !b->restore)
		rc = vuart(b);
	/* the device model first: it is the backend of the disks it serves */
	if (!rc && needs_dm(b))
		rc = spawn_dm(b);   /* on failure, destroying the domain lets it go */
	if (!rc)
		rc = devices(b);
	if (!rc)
		pm__trace("build: devices");
	if (!rc && !b->restore)
		rc = introduce(b);
	if (!rc)
		pm__trace("build: store entries");
	return rc;
}

int pm__build_begin(struct pm_hv *hv, const struct pm_domain_config *cfg, bool restore, struct build **out,
		    char *err, size_t errlen)
{
	struct build *b = pm__calloc(1, sizeof(*b));
	char berr[PM_BOARD_ERR_LEN] = "";
	int rc;

	*out = NULL;
	err[0] = 0;
	if (!b) {
		snprintf(err, errlen, "%s: out of memory", cfg->name);
		return -ENOMEM;
	}
	*b = (struct build){ .hv = hv, .cfg = cfg, .err = err, .errlen = errlen, .restore = restore,
			     .xen = !strcmp(pm_hv_backend(hv), "xen"), .pv = cfg->type && !strcmp(cfg->type, "pv") };
	if (cfg->type && !strcmp(cfg->type, "hvm")) {
		/* never turned into PVH behind the user's back: said, and refused */
		snprintf(err, errlen,
			 "%s: type \"hvm\": the %s backend has no HVM device model (firmware and an emulated PC); "
			 "type = \"pvh\" boots the same kernel",
			 cfg->name, pm_hv_backend(hv));
		free(b);
		return -EOPNOTSUPP;
	}
	if (b->pv) {
		pm_board_layout_init(&b->layout);
		*out = b;
		return pv_begin(b);
	}
	rc = pm_domain_config_layout(cfg, &b->layout, berr);
	if (rc) {
		snprintf(err, errlen, "%s: board '%s': %s", cfg->name, cfg->board, berr[0] ? berr : strerror(-rc));
		free(b);
		return rc;
	}
	/* xl's PVH domain has no emulated devices: on Xen one of the pc board
	 * gets physmap-dm's COM1 and CMOS clock only when the config names it */
	if (b->xen && cfg->board_default)
		b->layout.nr_devices = 0;
	*out = b;
	rc = plan(b);
	if (!rc)
		rc = make_domain(b);
	if (!rc && !restore)
		rc = fill(b);
	if (!rc)
		rc = finish(b);
	if (!rc)
		pm__trace("build: complete");
	return rc;
}

uint32_t pm__build_domid(const struct build *b)
{
	return b->domid;
}

uint64_t pm__build_max_pfn(const struct build *b)
{
	return b->max_pfn;
}

bool pm__build_has_dm(const struct build *b)
{
	return b->layout.nr_devices != 0;
}

int pm__build_restored(struct build *b, const char *firmware)
{
	struct xs_handle *h;
	char p[64];
	int rc;

	/* the holes, now that RAM is in: set_identity leaves RAM alone anyway */
	rc = populate(b, false, true);
	if (rc)
		return rc;
	rc = pm_hv_p2m_read(b->hv, b->domid, b->special + PM_DOMAIN_STORE_PAGE, 1, &b->store_mfn);
	if (!rc && pm_p2m_kind_of(b->store_mfn) != PM_P2M_RAM)
		rc = -EFAULT;
	if (rc)
		return fail(b, rc, "the store ring at pfn 0x%llx", (unsigned long long)(b->special + 1));
	if (firmware && firmware[0]) {
		h = xs_open(XS_OPEN_SOCKETONLY);
		snprintf(p, sizeof(p), "/vm/%u/firmware", b->domid);
		if (!h || !xs_write(h, XBT_NULL, p, firmware, (unsigned int)strlen(firmware))) {
			rc = errno ? -errno : -EIO;
			if (h)
				xs_close(h);
			return fail(b, rc, "writing %s", p);
		}
		xs_close(h);
	}
	return introduce(b);
}

int pm__build_pv_restore(struct build *b, int fd)
{
	struct pm_hv_pv pv = { .e820 = &b->layout.e820, .console_port = PM_DOMAIN_CONSOLE_PORT,
			       .store_port = PM_DOMAIN_STORE_PORT };
	char xerr[256] = "";
	int rc = pm__hv_pv_restore(b->hv, b->domid, fd, &pv, xerr, sizeof(xerr));

	if (rc) {
		snprintf(b->err, b->errlen, "%s: restoring its memory and vCPUs: %s", b->cfg->name,
			 xerr[0] ? xerr : strerror(-rc));
		return rc;
	}
	b->store_mfn = pv.store_frame;
	b->console_frame = pv.console_frame;
	b->stored = true;
	rc = store_entries(b);
	if (!rc)
		rc = devices(b);
	return rc ?: introduce(b);
}

/* a build that failed leaves no console file: its logs and sockets go with the domain */
static void forget_files(struct build *b)
{
	static const char *const files[] = { ".log", ".dm.log", ".sock", ".ctl" };
	char path[512];

	if (!pm_hv_rundir(b->hv)[0])
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		console_file(path, sizeof(path), b->hv, b->cfg->name, files[i]);
		unlink(path);
	}
}

void pm__build_unfinished(struct build *b)
{
	b->unfinished = true;
}

void pm__build_end(struct build *b, int rc)
{
	if (!b)
		return;
	if (rc && b->devices)
		pm__devices_destroy(b->hv, b->domid);
	if (rc && b->stored)
		store_remove(b->domid);
	if (rc && b->created && b->xen)
		pm__libxl_userdata_remove(b->domid);
	if (rc && b->created) {
		pm_hv_domain_destroy(b->hv, b->domid);
		forget_files(b);
	}
	if (b->marked && (rc || !b->unfinished))
		pm_domain_built(b->hv, b->domid);
	pm_board_layout_dispose(&b->layout);
	pm_kernel_dispose(&b->kernel);
	free(b->ramdisk);
	free(b->nics);
	free(b);
}

int pm_domain_create(struct pm_hv *hv, const struct pm_domain_config *cfg, uint32_t *domid,
		     char *err, size_t errlen)
{
	struct build *b;
	int rc = pm__build_begin(hv, cfg, false, &b, err, errlen);

	if (!rc)
		*domid = b->domid;
	pm__build_end(b, rc);
	return rc;
}

int pm_domain_config_update(struct pm_hv *hv, uint32_t domid, const struct pm_domain_config *cfg, char *err,
			    size_t errlen)
{
	struct pm_domain_config now, next = *cfg;
	struct pm_board_layout layout;
	struct xs_handle *h = NULL;
	char p[64], berr[PM_BOARD_ERR_LEN] = "", *json = NULL;
	int rc = pm_hv_domain_getinfo(hv, domid, &(struct pm_hv_dominfo){ 0 });

	if (errlen)
		err[0] = 0;
	if (rc)
		return rc;
	if (!domid)
		return -EPERM;
	/* its name and UUID stay; the board must lay it out now, not at the restart */
	rc = pm_domain_config_of(domid, &now, err, errlen);
	if (!rc) {
		next.name = now.name;
		memcpy(next.uuid, now.uuid, sizeof(next.uuid));
		rc = pm_domain_config_layout(&next, &layout, berr);
		if (!rc)
			pm_board_layout_dispose(&layout);
		else if (errlen)
			snprintf(err, errlen, "board '%s': %s", next.board, berr[0] ? berr : strerror(-rc));
	}
	if (!rc && pm_domain_config_json(&next, &json) < 0)
		rc = -ENOMEM;
	if (!rc && !(h = xs_open(XS_OPEN_SOCKETONLY)))
		rc = errno ? -errno : -EIO;
	if (!rc) {
		snprintf(p, sizeof(p), "/vm/%u/next-config", domid);
		if (!xs_write(h, XBT_NULL, p, json, (unsigned int)strlen(json)))
			rc = errno ? -errno : -EIO;
	}
	if (h)
		xs_close(h);
	free(json);
	pm_domain_config_dispose(&now);
	return rc;
}

void pm_domain_uuid(const struct pm_hv_dominfo *d, char out[37])
{
	const uint8_t *b = d->uuid;
	struct xs_handle *h;
	char p[64], *v = NULL;
	unsigned int len;

	if (d->has_uuid) {
		snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
			 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
		return;
	}
	snprintf(out, 37, "00000000-0000-0000-0000-000000000000");
	h = d->domid ? xs_open(XS_OPEN_SOCKETONLY) : NULL;
	if (!h)
		return;
	snprintf(p, sizeof(p), "/vm/%u/uuid", d->domid);
	v = xs_read(h, XBT_NULL, p, &len);
	if (v && !pm_uuid_parse(v, NULL))
		snprintf(out, 37, "%s", v);
	free(v);
	xs_close(h);
}

/* the store's /vm/DOMID/@key, and the same key of the configuration kept there, become @value */
static bool vm_set(struct xs_handle *h, uint32_t domid, const char *key, const char *value)
{
	char p[64], over[128], cerr[256], *json, *fresh = NULL;
	const char *overs[1] = { over };
	struct pm_domain_config cfg;
	unsigned int len = 0;
	bool ok;

	snprintf(p, sizeof(p), "/vm/%u/%s", domid, key);
	ok = xs_write(h, XBT_NULL, p, value, (unsigned int)strlen(value));
	snprintf(p, sizeof(p), "/vm/%u/config", domid);
	json = ok ? xs_read(h, XBT_NULL, p, &len) : NULL;
	snprintf(over, sizeof(over), "%s=\"%s\"", key, value);
	if (json && !pm_domain_config_from_json(json, p, overs, 1, &cfg, cerr, sizeof(cerr))) {
		if (pm_domain_config_json(&cfg, &fresh) >= 0)
			ok = xs_write(h, XBT_NULL, p, fresh, (unsigned int)strlen(fresh));
		pm_domain_config_dispose(&cfg);
	}
	free(fresh);
	free(json);
	return ok;
}

int pm_domain_set_uuid(struct pm_hv *hv, uint32_t domid, const char *uuid)
{
	struct pm_hv_dominfo info;
	struct xs_handle *h;
	char fresh[37];
	uint8_t u[16];
	int rc = pm_hv_domain_getinfo(hv, domid, &info);

	if (rc)
		return rc;
	if (!domid)
		return -EPERM;
	if (!uuid) {
		if ((rc = pm_uuid_generate(fresh)))
			return rc;
		uuid = fresh;
	}
	if (pm_uuid_parse(uuid, u))
		return -EINVAL;
	h = xs_open(XS_OPEN_SOCKETONLY);
	if (!h)
		return errno ? -errno : -EIO;
	rc = vm_set(h, domid, "uuid", uuid) ? 0 : errno ? -errno : -EIO;
	xs_close(h);
	return rc ? rc : pm__hv_set_uuid(hv, domid, u);
}

/* the store's names of the domain, and the name in the configuration kept there */
static int store_rename(uint32_t domid, const char *name)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char p[64];
	bool ok;

	if (!h)
		return errno ? -errno : -EIO;
	snprintf(p, sizeof(p), "/local/domain/%u/name", domid);
	ok = xs_write(h, XBT_NULL, p, name, (unsigned int)strlen(name)) && vm_set(h, domid, "name", name);
	xs_close(h);
	return ok ? 0 : errno ? -errno : -EIO;
}

int pm_domain_rename(struct pm_hv *hv, uint32_t domid, const char *name)
{
	static const char *const files[] = { ".log", ".dm.log", ".sock", ".ctl", ".monitor.log" };
	struct pm_hv_dominfo info;
	char from[512], to[512];
	int rc = pm_hv_domain_getinfo(hv, domid, &info);

	if (!rc && !domid)
		rc = -EPERM;
	if (!rc)
		rc = pm_hv_domain_rename(hv, domid, name);
	if (rc)
		return rc;
	rc = store_rename(domid, name);
	if (rc) {
		pm_hv_domain_rename(hv, domid, info.name);
		store_rename(domid, info.name);
		return rc;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		console_file(from, sizeof(from), hv, info.name, files[i]);
		console_file(to, sizeof(to), hv, name, files[i]);
		rename(from, to);   /* what is not there has nothing to move */
	}
	return 0;
}

int pm_domain_destroy(struct pm_hv *hv, uint32_t domid)
{
	struct pm_hv_dominfo info;
	int rc = pm_hv_domain_getinfo(hv, domid, &info);

	if (rc)
		return rc;
	if (!domid)
		return -EPERM;
	/* marked first: a destroy cut short is finished by the next pm_domain_reap */
	pm__building_mark(domid, info.name);
	pm__trace("destroy: marked");
	pm__devices_destroy(hv, domid);
	rc = pm_hv_domain_destroy(hv, domid);
	pm__trace("destroy: domain gone");
	if (!rc)
		pm__domain_forget(hv, domid, info.name);
	else
		pm_domain_built(hv, domid);   /* it stays, as it was: not to be finished by anyone */
	return rc;
}

/*
 * a socket nobody serves any more (its device model killed) goes; one
 * that answers is another domain's now (a copy that took the name), and
 * a model that is leaving removes its own
 */
static void unlink_dead(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(a.sun_path)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) && errno == ECONNREFUSED)
		unlink(path);
	close(fd);
}

int pm_domain_dm_alive(struct pm_hv *hv, uint32_t domid)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	struct pm_hv_dominfo info;
	char reply[4] = "";
	int fd, rc;

	if (!pm_hv_rundir(hv)[0])
		return 0;   /* no run directory: no device model of ours */
	rc = pm_hv_domain_getinfo(hv, domid, &info);
	if (rc)
		return rc;
	console_file(a.sun_path, sizeof(a.sun_path), hv, info.name, ".ctl");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		rc = errno == ENOENT ? 0 : -EPIPE;   /* none started; one killed left its socket */
	else   /* a model killed but not yet gone holds the socket open until it is: EOF then */
		rc = pm__write_all(fd, "ping\n", 5) || pm__read_all(fd, reply, 3) || memcmp(reply, "ok\n", 3) ? -EPIPE : 0;
	close(fd);
	return rc;
}

void pm__domain_forget(struct pm_hv *hv, uint32_t domid, const char *name)
{
	pm_domain_built(hv, domid);   /* finished or not, it is no longer anyone's to complete */
	pm_domain_migrating(hv, domid, PM_MIGRATING_NONE, NULL);
	pm__devices_destroy(hv, domid);   /* its backends' directories (dom0's), which its home does not hold */
	store_remove(domid);
	if (!strcmp(pm_hv_backend(hv), "xen"))
		pm__libxl_userdata_remove(domid);
	/* its device model's sockets under the name it has now (its logs stay): a
	 * model whose domain was renamed cannot find them by their first name */
	if (pm_hv_rundir(hv)[0]) {
		char path[512];

		console_file(path, sizeof(path), hv, name, ".sock");
		unlink_dead(path);
		console_file(path, sizeof(path), hv, name, ".ctl");
		unlink_dead(path);
	}
}

/* /vm/DOMID/KEY, what physmap recorded of a domain: 0 and *out (freed by the caller); -ENOENT; -errno */
static int vm_read(uint32_t domid, const char *key, char **out)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char path[96];
	unsigned int len = 0;
	int err;

	*out = NULL;
	if (!h)
		return -errno;
	snprintf(path, sizeof(path), "/vm/%u/%s", domid, key);
	*out = xs_read(h, XBT_NULL, path, &len);
	err = *out ? 0 : errno ? errno : EIO;
	xs_close(h);
	return -err;
}

int pm_domain_e820(uint32_t domid, struct pm_e820 *map)
{
	unsigned int line;
	char *v;
	int rc = vm_read(domid, "e820", &v);

	if (!rc)
		rc = pm_e820_parse(v, map, &line);
	free(v);
	return rc;
}

long pm_domain_firmware(struct pm_hv *hv, uint32_t domid, void **blob, uint64_t *gpa, bool *is_dtb)
{
	unsigned long long at = 0, len = 0;
	char kind[32], *v = NULL, *p;
	uint64_t first, count;
	long rc;

	*blob = NULL;
	rc = vm_read(domid, "firmware", &v);
	if (!rc && (sscanf(v, "%31s %llx %llu", kind, &at, &len) != 3 || !len || len > (16u << 20) ||
		    at + len < at))
		rc = -EINVAL;
	free(v);
	if (rc)
		return rc;
	first = at / PAGE;
	count = (at + len + PAGE - 1) / PAGE - first;
	p = pm_hv_map(hv, domid, first, count);
	if (!p)
		return errno ? -errno : -EFAULT;
	*blob = malloc((size_t)len);
	if (*blob)
		memcpy(*blob, p + at % PAGE, (size_t)len);
	pm_hv_unmap(hv, p, count);
	if (!*blob)
		return -ENOMEM;
	if (gpa)
		*gpa = at;
	if (is_dtb)
		*is_dtb = !strcmp(kind, "device-tree");
	return (long)len;
}

long pm_domain_regions(uint32_t domid, struct pm_domain_region **out)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	struct pm_domain_region *r = NULL;
	char path[64], *v, *line, *save = NULL;
	unsigned int len = 0;
	long n = 0;

	*out = NULL;
	if (!h)
		return -errno;
	snprintf(path, sizeof(path), "/vm/%u/regions", domid);
	v = xs_read(h, XBT_NULL, path, &len);
	xs_close(h);
	if (!v)
		return errno == ENOENT ? -ENOENT : -errno;
	for (line = strtok_r(v, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct pm_domain_region x, *g;
		unsigned long long base, size;

		if (sscanf(line, "%31s %15s %llx %llx", x.name, x.kind, &base, &size) != 4)
			continue;
		g = pm__realloc(r, (size_t)(n + 1) * sizeof(*r));
		if (!g) {
			free(r);
			free(v);
			return -ENOMEM;
		}
		r = g;
		x.base = base;
		x.size = size;
		r[n++] = x;
	}
	free(v);
	*out = r;
	return n;
}
