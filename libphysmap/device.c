/*
 * device.c - a guest's disks and networks: the split-driver protocol in
 * the store, as libxl speaks it (docs/specs/devices.md)
 *
 * Adding a device writes its three directories (backend, frontend and
 * libxl's record) in one transaction, waits for the kernel's backend to
 * come up (InitWait), and has the hypervisor backend do the hotplug step
 * (a loop device, a bridge port: what xl's scripts do). Removing one
 * undoes that in the reverse order. A removal reads everything it needs
 * from the store, so a device made by xl, or by a pxl that was killed,
 * goes the same way.
 *
 * A disk is served by dom0's kernel (blkback, backend directory vbd) on
 * Xen, or by the domain's physmap-dm (backend directory qdisk, as libxl
 * names QEMU's) on the simulator and on Xen with backendtype "qdisk";
 * its frontend is the guest's device/vbd either way.
 *
 * Glossary: KIND: "vbd" or "vif"; be, fe: the backend's and the
 * frontend's directories; rec: libxl's record of the device (/libxl/...).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "physmap/device.h"
#include "alloc-internal.h"
#include "device-internal.h"
#include "hv/hv-internal.h"

#define BACKEND_UP_MS 10000      /* the kernel's backend answers a new device within this */
#define BACKEND_CLOSE_MS 5000    /* a frontend answers a removal within this, or is not asked again */

enum xenbus_state { XB_INITIALISING = 1, XB_INITWAIT = 2, XB_CONNECTED = 4, XB_CLOSING = 5, XB_CLOSED = 6 };

static void say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errlen || err[0])   /* the first reason is the one told */
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

static void paths(uint32_t domid, const char *kind, uint32_t devid, struct pm_device_paths *p)
{
	snprintf(p->be, sizeof(p->be), "/local/domain/0/backend/%s/%u/%u", kind, domid, devid);
	snprintf(p->fe, sizeof(p->fe), "/local/domain/%u/device/%s/%u", domid, kind, devid);
	snprintf(p->rec, sizeof(p->rec), "/libxl/%u/device/%s/%u", domid, kind, devid);
}

bool pm__device_by_dm(const struct pm_hv *hv, const struct pm_disk *d)
{
	return !pm__hv_hotplug_ready(hv) || d->backend == PM_DISK_BACKEND_QDISK;
}


/*
 * a device's directories: @kind is the frontend's ("vbd", "vif") or a
 * backend's ("qdisk": a vbd's); the backend's directory is where the
 * frontend's says, when it says
 */
static void device_paths(struct xs_handle *h, uint32_t domid, const char *kind, uint32_t devid,
			 struct pm_device_paths *p)
{
	unsigned int len;
	char k[PM_DEVICE_PATH_LEN + 16], *be;

	paths(domid, strcmp(kind, "qdisk") ? kind : "vbd", devid, p);
	if (!strcmp(kind, "qdisk")) {
		snprintf(p->be, sizeof(p->be), "/local/domain/0/backend/qdisk/%u/%u", domid, devid);
		return;
	}
	snprintf(k, sizeof(k), "%s/backend", p->fe);
	be = xs_read(h, XBT_NULL, k, &len);
	if (be && !strncmp(be, "/local/domain/0/backend/", 24) && strlen(be) < sizeof(p->be))
		snprintf(p->be, sizeof(p->be), "%s", be);
	free(be);
}

/* the backend's kind a directory is of ("vbd", "qdisk", "vif") */
static const char *be_kind(const struct pm_device_paths *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s", p->be + strlen("/local/domain/0/backend/"));
	buf[strcspn(buf, "/")] = 0;
	return buf;
}

/* a number read from the store; def when absent or not a number */
static long read_num(struct xs_handle *h, const char *path, long def)
{
	unsigned int len;
	char *v = xs_read(h, XBT_NULL, path, &len), *end;
	long n;

	if (!v)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v)
		n = def;
	free(v);
	return n;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* waits until the backend's state is at least want (or its error node
 * says why not): 0, -ETIMEDOUT, or -EIO with why in err */
static int wait_state(struct xs_handle *h, const char *be, int want, long ms, char *err, size_t errlen)
{
	char p[PM_DEVICE_PATH_LEN + 16], errp[PM_DEVICE_PATH_LEN + 32];
	long end = now_ms() + ms;

	snprintf(p, sizeof(p), "%s/state", be);
	/* where a kernel backend says what went wrong (xenbus_dev_fatal) */
	snprintf(errp, sizeof(errp), "/local/domain/0/error%s/error", be + strlen("/local/domain/0"));
	for (;;) {
		unsigned int len;
		char *why = xs_read(h, XBT_NULL, errp, &len);
		long state = read_num(h, p, 0);

		/* the error first: a backend that failed says so, then goes Closed (past any state waited for) */
		if (why) {
			say(err, errlen, "%s", why);
			free(why);
			return -EIO;
		}
		if (state >= XB_CLOSING && want < XB_CLOSING) {
			say(err, errlen, "it closed the device");
			return -EIO;
		}
		if (state >= want)
			return 0;
		if (now_ms() > end)
			return -ETIMEDOUT;
		usleep(5000);
	}
}

/* key=value pairs under dir (created with perms), in the transaction */
static bool put_dir(struct xs_handle *h, xs_transaction_t t, const char *dir, struct xs_permissions *perms,
		    unsigned int nperms, const char *const *kv)
{
	char p[PM_DEVICE_PATH_LEN + 64];
	bool ok = xs_mkdir(h, t, dir) && xs_set_permissions(h, t, dir, perms, nperms);

	for (; ok && kv[0]; kv += 2) {
		if (!kv[1])
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, kv[0]);
		ok = xs_write(h, t, p, kv[1], (unsigned int)strlen(kv[1]));
	}
	return ok;
}

/* a parent directory the domain may read (backend/KIND/DOMID, device/KIND) */
static bool put_parent(struct xs_handle *h, xs_transaction_t t, const char *path, uint32_t domid)
{
	struct xs_permissions ro[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
	char *slash, parent[PM_DEVICE_PATH_LEN];

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	*slash = 0;
	return xs_mkdir(h, t, parent) && xs_set_permissions(h, t, parent, ro, 2);
}

/* the three directories in one transaction; -EEXIST if the device is there */
static int write_device(struct xs_handle *h, uint32_t domid, const struct pm_device_paths *p,
			const char *const *bkv, const char *const *fkv)
{
	struct xs_permissions be_perms[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
	struct xs_permissions fe_perms[2] = { { domid, XS_PERM_NONE }, { 0, XS_PERM_READ } };
	struct xs_permissions rec_perms[1] = { { 0, XS_PERM_NONE } };
	const char *rec_head[] = { "frontend", p->fe, "backend", p->be, NULL };

	for (int tries = 0; tries < 10; tries++) {
		xs_transaction_t t = xs_transaction_start(h);
		unsigned int len;
		char *there;
		bool ok;

		if (t == XBT_NULL)
			return neg_errno();
		there = xs_read(h, t, p->be, &len);
		if (there) {
			free(there);
			xs_transaction_end(h, t, true);
			return -EEXIST;
		}
		ok = put_parent(h, t, p->be, domid) && put_dir(h, t, p->be, be_perms, 2, bkv) &&
		     put_parent(h, t, p->fe, domid) && put_dir(h, t, p->fe, fe_perms, 2, fkv) &&
		     put_dir(h, t, p->rec, rec_perms, 1, rec_head) && put_dir(h, t, p->rec, rec_perms, 1, bkv + 2);
		if (!ok) {
			int rc = neg_errno();

			xs_transaction_end(h, t, true);
			return rc;
		}
		if (xs_transaction_end(h, t, false))
			return 0;
		if (errno != EAGAIN)
			return neg_errno();
	}
	return -EAGAIN;
}

static void remove_dirs(struct xs_handle *h, const struct pm_device_paths *p)
{
	for (int tries = 0; tries < 10; tries++) {
		xs_transaction_t t = xs_transaction_start(h);

		if (t == XBT_NULL)
			return;
		xs_rm(h, t, p->be);
		xs_rm(h, t, p->fe);
		xs_rm(h, t, p->rec);
		if (xs_transaction_end(h, t, false) || errno != EAGAIN)
			return;
	}
}

/* after writing: the backend up, then the hotplug step; on failure nothing is left */
/* after writing: the backend up, then the hotplug step (none for physmap-dm's); on failure nothing is left */
static int bring_up(struct pm_hv *hv, struct xs_handle *h, const char *kind, const struct pm_device_paths *p,
		    const char *what, char *err, size_t errlen)
{
	char why[256] = "";
	bool dm = !strcmp(kind, "qdisk") || !pm__hv_hotplug_ready(hv);   /* the simulator's are all physmap-dm's */
	int rc = wait_state(h, p->be, XB_INITWAIT, BACKEND_UP_MS, why, sizeof(why));

	if (rc == -ETIMEDOUT)
		say(err, errlen, "%s: the backend (%s) did not answer in %d s", what,
		    dm ? "the domain's physmap-dm" : !strcmp(kind, "vbd") ? "blkback in dom0" : "netback in dom0",
		    BACKEND_UP_MS / 1000);
	else if (rc)
		say(err, errlen, "%s: the backend refused it: %s", what, why);
	if (!rc && !dm && (rc = pm__hv_hotplug(hv, h, kind, p->be, true, why, sizeof(why))))
		say(err, errlen, "%s: %s", what, why[0] ? why : strerror(-rc));
	if (rc) {
		if (!dm)
			pm__hv_hotplug(hv, h, kind, p->be, false, NULL, 0);
		remove_dirs(h, p);
	}
	return rc;
}

/* a script= as libxl writes it: a name is one of Xen's scripts */
static const char *script_path(const char *given, const char *def, char *buf, size_t len)
{
	if (!given)
		return def;
	if (given[0] == '/')
		return given;
	snprintf(buf, len, "/etc/xen/scripts/%s", given);
	return buf;
}

int pm__device_add_disk(struct pm_hv *hv, struct xs_handle *h, uint32_t domid, const struct pm_disk *d,
			char *err, size_t errlen)
{
	struct pm_device_paths p;
	char fid[16], devid[16], what[64], script[256], params[PATH_MAX + 8] = "", abs[PATH_MAX];
	const char *type = d->cdrom ? "cdrom" : "disk";
	bool dm = pm__device_by_dm(hv, d);
	const char *bkv[] = {
		"frontend", p.fe, "params", params,
		"script", dm ? NULL : script_path(d->script, "/etc/xen/scripts/block", script, sizeof(script)),
		"frontend-id", fid, "online", "1", "removable", d->cdrom ? "1" : "0", "bootable", "1", "state", "1",
		"dev", d->vdev, "type", dm ? "qdisk" : "phy", "mode", d->readwrite ? "w" : "r", "device-type", type,
		/* discard unless said otherwise, for a disk the guest may write (libxl's default) */
		"discard-enable", (d->discard < 0 ? d->readwrite : d->discard) ? "1" : "0", "specification", "xen",
		"direct-io-safe", d->direct_io_safe ? "1" : NULL, NULL,
	};
	const char *fkv[] = { "backend", p.be, "backend-id", "0", "state", "1", "virtual-device", devid,
			      "device-type", type, "trusted", "1", NULL };
	int rc;

	snprintf(fid, sizeof(fid), "%u", domid);
	snprintf(devid, sizeof(devid), "%u", d->devid);
	snprintf(what, sizeof(what), "disk %s", d->vdev);
	/* physmap-dm opens the image itself, from wherever it runs: a path it can follow, libxl's FORMAT:PATH */
	if (dm && d->target && *d->target)
		snprintf(params, sizeof(params), "aio:%s", realpath(d->target, abs) ? abs : d->target);
	else if (!dm && d->target)
		snprintf(params, sizeof(params), "%s", d->target);
	paths(domid, dm ? "qdisk" : "vbd", d->devid, &p);
	snprintf(p.fe, sizeof(p.fe), "/local/domain/%u/device/vbd/%u", domid, d->devid);
	snprintf(p.rec, sizeof(p.rec), "/libxl/%u/device/vbd/%u", domid, d->devid);
	rc = write_device(h, domid, &p, bkv, fkv);
	if (rc == -EEXIST)
		say(err, errlen, "%s: domain %u has a disk %u already", what, domid, d->devid);
	else if (rc)
		say(err, errlen, "%s: writing %s: %s", what, p.be, strerror(-rc));
	return rc ?: bring_up(hv, h, dm ? "qdisk" : "vbd", &p, what, err, errlen);
}

int pm__device_add_nic(struct pm_hv *hv, struct xs_handle *h, uint32_t domid, const struct pm_nic *n,
		       char *err, size_t errlen)
{
	struct pm_device_paths p;
	char fid[16], handle[16], mac[18], mtu[16], rate[64] = "", what[32], script[256];
	const char *bkv[] = {
		"frontend", p.fe, "frontend-id", fid, "online", "1", "state", "1",
		"script", script_path(n->script, "/etc/xen/scripts/vif-bridge", script, sizeof(script)), "mac", mac,
		"bridge", n->bridge ? n->bridge : "xenbr0", "handle", handle, "type", "vif",
		"ip", n->ip, "vifname", n->vifname, "rate", rate[0] ? rate : NULL, "gatewaydev", n->gatewaydev,
		"hotplug-status", "", NULL,   /* empty until the hotplug step is done, as libxl writes it */
	};
	const char *fkv[] = { "backend", p.be, "backend-id", "0", "state", "1", "handle", handle, "mac", mac,
			      "trusted", "1", "mtu", mtu, NULL };
	int rc;

	snprintf(fid, sizeof(fid), "%u", domid);
	snprintf(handle, sizeof(handle), "%u", n->devid);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2], n->mac[3],
		 n->mac[4], n->mac[5]);
	snprintf(mtu, sizeof(mtu), "%u", n->mtu ? n->mtu : 1500);
	if (n->rate_interval_usecs)
		snprintf(rate, sizeof(rate), "%" PRIu64 ",%" PRIu32, n->rate_bytes_per_interval, n->rate_interval_usecs);
	snprintf(what, sizeof(what), "vif %u", n->devid);
	paths(domid, "vif", n->devid, &p);
	rc = write_device(h, domid, &p, bkv, fkv);
	if (rc == -EEXIST)
		say(err, errlen, "%s: domain %u has a vif %u already", what, domid, n->devid);
	else if (rc)
		say(err, errlen, "%s: writing %s: %s", what, p.be, strerror(-rc));
	/* the frontend's mtu is dom0's to write, the domain's to read (as libxl makes it) */
	if (!rc) {
		struct xs_permissions ro[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
		char mp[PM_DEVICE_PATH_LEN + 8];

		snprintf(mp, sizeof(mp), "%s/mtu", p.fe);
		xs_set_permissions(h, XBT_NULL, mp, ro, 2);
	}
	return rc ?: bring_up(hv, h, "vif", &p, what, err, errlen);
}

int pm__device_remove(struct pm_hv *hv, struct xs_handle *h, uint32_t domid, const char *kind, uint32_t devid,
		      bool force, char *err, size_t errlen)
{
	struct pm_device_paths p;
	char k[PM_DEVICE_PATH_LEN + 16], bk[16];
	unsigned int len;
	char *there;
	int rc = 0;

	device_paths(h, domid, kind, devid, &p);
	there = xs_read(h, XBT_NULL, p.be, &len);
	if (!there) {
		say(err, errlen, "domain %u has no %s %u", domid, kind, devid);
		return -ENOENT;
	}
	free(there);
	snprintf(k, sizeof(k), "%s/online", p.be);
	xs_write(h, XBT_NULL, k, "0", 1);
	if (!force) {
		snprintf(k, sizeof(k), "%s/state", p.be);
		if (read_num(h, k, 0) == XB_CONNECTED) {
			xs_write(h, XBT_NULL, k, "5", 1);
			rc = wait_state(h, p.be, XB_CLOSED, BACKEND_CLOSE_MS, NULL, 0);
			if (rc) {
				say(err, errlen, "%s %u of domain %u: the guest did not let it go in %d s (force it)",
				    kind, devid, domid, BACKEND_CLOSE_MS / 1000);
				return -EBUSY;
			}
		}
	}
	if (pm__hv_hotplug_ready(hv) && strcmp(be_kind(&p, bk, sizeof(bk)), "qdisk"))   /* physmap-dm's need none undone */
		pm__hv_hotplug(hv, h, be_kind(&p, bk, sizeof(bk)), p.be, false, NULL, 0);
	remove_dirs(h, &p);
	return 0;
}

/* removes dir if it is empty (in a transaction: a device added meanwhile keeps it) */
void pm__store_prune(struct xs_handle *h, const char *dir)
{
	for (int tries = 0; tries < 10; tries++) {
		xs_transaction_t t = xs_transaction_start(h);
		unsigned int n = 1;
		char **ents;

		if (t == XBT_NULL)
			return;
		ents = xs_directory(h, t, dir, &n);
		free(ents);
		if (!ents || n) {
			xs_transaction_end(h, t, true);
			return;
		}
		xs_rm(h, t, dir);
		if (xs_transaction_end(h, t, false) || errno != EAGAIN)
			return;
	}
}

void pm__devices_destroy(struct pm_hv *hv, uint32_t domid)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char dir[PM_DEVICE_PATH_LEN];
	unsigned int nk = 0;
	char **kinds;

	if (!h)
		return;
	/* every kind dom0 serves it (a guest xl made has a console backend too) */
	kinds = xs_directory(h, XBT_NULL, "/local/domain/0/backend", &nk);
	for (unsigned int k = 0; kinds && k < nk; k++) {
		unsigned int n = 0;
		char **ids;

		snprintf(dir, sizeof(dir), "/local/domain/0/backend/%s/%u", kinds[k], domid);
		ids = xs_directory(h, XBT_NULL, dir, &n);
		for (unsigned int i = 0; ids && i < n; i++) {
			char *end;
			unsigned long id = strtoul(ids[i], &end, 10);

			if (!*end)
				pm__device_remove(hv, h, domid, kinds[k], (uint32_t)id, true, NULL, 0);
		}
		free(ids);
		xs_rm(h, XBT_NULL, dir);
		/* as libxl leaves the store: no empty directories of devices behind (nor physmap-dm's reasons) */
		snprintf(dir, sizeof(dir), "/local/domain/0/backend/%s", kinds[k]);
		pm__store_prune(h, dir);
		snprintf(dir, sizeof(dir), "/local/domain/0/error/backend/%s/%u", kinds[k], domid);
		xs_rm(h, XBT_NULL, dir);
		snprintf(dir, sizeof(dir), "/local/domain/0/error/backend/%s", kinds[k]);
		pm__store_prune(h, dir);
	}
	free(kinds);
	snprintf(dir, sizeof(dir), "/libxl/%u", domid);
	xs_rm(h, XBT_NULL, dir);
	pm__store_prune(h, "/local/domain/0/backend");
	pm__store_prune(h, "/local/domain/0/error/backend");   /* physmap-dm's reasons, its devices gone */
	pm__store_prune(h, "/local/domain/0/error");
	pm__store_prune(h, "/local/domain/0");   /* the simulator's dom0 has no home but its backends' */
	pm__store_prune(h, "/libxl");
	xs_close(h);
}

/* a MAC in Xen's OUI, the rest random, as libxl makes them */
int pm__device_random_mac(uint8_t mac[6])
{
	uint8_t r[3];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return neg_errno();
	mac[0] = 0x00;
	mac[1] = 0x16;
	mac[2] = 0x3e;
	mac[3] = r[0] & 0x7f;
	mac[4] = r[1];
	mac[5] = r[2];
	return 0;
}

/* the guest and another domain are one VM while it migrates (NAME,
 * NAME--incoming, NAME--migratedaway) */
static bool same_vm(const char *a, const char *b)
{
	size_t la = strcspn(a, "-"), lb = strcspn(b, "-");

	while (a[la] && strncmp(a + la, "--", 2))
		la += 1 + strcspn(a + la + 1, "-");
	while (b[lb] && strncmp(b + lb, "--", 2))
		lb += 1 + strcspn(b + lb + 1, "-");
	return la == lb && !strncmp(a, b, la);
}

/* check_sharing's look at one kind of backend */
static int sharing_in(struct xs_handle *h, const struct pm_domain_config *cfg, const struct pm_disk *d,
		      const struct stat *mine_st, const char *kind, char *err, size_t errlen)
{
	struct stat theirs, mine = *mine_st;
	unsigned int nd = 0;
	char **doms, p[PM_DEVICE_PATH_LEN + 32];

	snprintf(p, sizeof(p), "/local/domain/0/backend/%s", kind);
	doms = xs_directory(h, XBT_NULL, p, &nd);
	for (unsigned int i = 0; doms && i < nd; i++) {
		unsigned int nv = 0, len;
		char **vbds, *name;

		snprintf(p, sizeof(p), "/local/domain/%s/name", doms[i]);
		name = xs_read(h, XBT_NULL, p, &len);
		if (name && same_vm(name, cfg->name)) {
			free(name);
			continue;
		}
		snprintf(p, sizeof(p), "/local/domain/0/backend/%s/%s", kind, doms[i]);
		vbds = xs_directory(h, XBT_NULL, p, &nv);
		for (unsigned int j = 0; vbds && j < nv; j++) {
			char *params, *mode, *path;
			bool same, rw;

			snprintf(p, sizeof(p), "/local/domain/0/backend/%s/%s/%s/params", kind, doms[i], vbds[j]);
			params = xs_read(h, XBT_NULL, p, &len);
			snprintf(p, sizeof(p), "/local/domain/0/backend/%s/%s/%s/mode", kind, doms[i], vbds[j]);
			mode = xs_read(h, XBT_NULL, p, &len);
			path = params && (!strncmp(params, "aio:", 4) || !strncmp(params, "raw:", 4)) ? params + 4 : params;
			same = path && *path && !stat(path, &theirs) &&
			       (S_ISBLK(mine.st_mode) ? S_ISBLK(theirs.st_mode) && mine.st_rdev == theirs.st_rdev
						      : mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino);
			rw = mode && !strcmp(mode, "w");
			if (same && (rw || d->readwrite))
				say(err, errlen, "disk %s: %s is in use by domain %s (%s)%s", d->vdev, d->target, doms[i],
				    name ? name : "?", rw ? " read-write" : ", and this disk would write it");
			free(params);
			free(mode);
			if (same && (rw || d->readwrite)) {
				free(vbds);
				free(name);
				free(doms);
				return -EBUSY;
			}
		}
		free(vbds);
		free(name);
	}
	free(doms);
	return 0;
}

/* is what target names (a file by inode, a block device by number) served to
 * another domain in a way that excludes this use? */
static int check_sharing(struct xs_handle *h, const struct pm_domain_config *cfg, const struct pm_disk *d,
			 char *err, size_t errlen)
{
	struct stat mine;

	if (!d->target || stat(d->target, &mine))
		return 0;
	for (int k = 0; k < 2; k++) {
		int rc = sharing_in(h, cfg, d, &mine, k ? "qdisk" : "vbd", err, errlen);

		if (rc)
			return rc;
	}
	return 0;
}

int pm__devices_check(struct pm_hv *hv, const struct pm_domain_config *cfg, char *err, size_t errlen)
{
	struct xs_handle *h;
	int rc = 0;

	if (!cfg->nr_disks && !cfg->nr_nics)
		return 0;
	/* a bridge of dom0's on Xen; on the simulator the name of its switch */
	for (size_t i = 0; !rc && i < cfg->nr_nics; i++) {
		const char *br = cfg->nics[i].bridge ? cfg->nics[i].bridge : "xenbr0";
		char p[128];

		snprintf(p, sizeof(p), "/sys/class/net/%s/bridge", br);
		if (strchr(br, '/') || !*br || strlen(br) > 32) {
			say(err, errlen, "vif %u: bridge %s: not a bridge's name", cfg->nics[i].devid, br);
			rc = -EINVAL;
		} else if (pm__hv_hotplug_ready(hv) && access(p, F_OK)) {
			say(err, errlen, "vif %u: bridge %s: there is no such bridge in dom0", cfg->nics[i].devid, br);
			rc = -ENODEV;
		}
	}
	if (rc)
		return rc;
	h = xs_open(XS_OPEN_SOCKETONLY);
	if (!h) {
		say(err, errlen, "connecting to the store: %s", strerror(errno));
		return neg_errno();
	}
	for (size_t i = 0; !rc && i < cfg->nr_disks; i++)
		rc = check_sharing(h, cfg, &cfg->disks[i], err, errlen);
	xs_close(h);
	return rc;
}

int pm__devices_add(struct pm_hv *hv, uint32_t domid, const struct pm_domain_config *cfg, const struct pm_nic *nics,
		    char *err, size_t errlen)
{
	struct xs_handle *h;
	int rc = 0;

	if (!cfg->nr_disks && !cfg->nr_nics)
		return 0;
	h = xs_open(XS_OPEN_SOCKETONLY);
	if (!h) {
		say(err, errlen, "connecting to the store: %s", strerror(errno));
		return neg_errno();
	}
	for (size_t i = 0; !rc && i < cfg->nr_disks; i++)
		rc = pm__device_add_disk(hv, h, domid, &cfg->disks[i], err, errlen);
	for (size_t i = 0; !rc && i < cfg->nr_nics; i++)
		rc = pm__device_add_nic(hv, h, domid, &nics[i], err, errlen);
	xs_close(h);
	return rc;
}

/* ---- a running guest's devices (xl's block-* and network-*) ---- */

/* dir/key as a number; -1 when absent */
static int num_at(struct xs_handle *h, const char *dir, const char *key)
{
	char p[PM_DEVICE_PATH_LEN * 2];

	snprintf(p, sizeof(p), "%s/%s", dir, key);
	return (int)read_num(h, p, -1);
}

static int by_devid(const void *a, const void *b)
{
	const struct pm_device_info *x = a, *y = b;

	return (x->devid > y->devid) - (x->devid < y->devid);
}

long pm_device_list(uint32_t domid, const char *kind, struct pm_device_info **out)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	struct pm_device_info *list = NULL;
	char dir[PM_DEVICE_PATH_LEN], *home;
	unsigned int n = 0, len;
	char **ids = NULL;
	long nr = 0;

	*out = NULL;
	if (!h)
		return neg_errno();
	snprintf(dir, sizeof(dir), "/local/domain/%u", domid);
	home = xs_read(h, XBT_NULL, dir, &len);
	if (!home) {
		xs_close(h);
		return -ENOENT;
	}
	free(home);
	/* libxl's record lists the devices; the frontend says how they are */
	snprintf(dir, sizeof(dir), "/libxl/%u/device/%s", domid, kind);
	ids = xs_directory(h, XBT_NULL, dir, &n);
	if (ids && n && !(list = pm__calloc(n, sizeof(*list)))) {
		nr = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; ids && i < n; i++) {
		struct pm_device_info *d = &list[nr];
		char rec[PM_DEVICE_PATH_LEN * 2], p[PM_DEVICE_PATH_LEN * 3], *fe, *be, *mac;
		char *end;
		unsigned long id = strtoul(ids[i], &end, 10);

		if (*end || end == ids[i])
			continue;
		snprintf(rec, sizeof(rec), "%s/%s", dir, ids[i]);
		snprintf(p, sizeof(p), "%s/frontend", rec);
		fe = xs_read(h, XBT_NULL, p, &len);
		snprintf(p, sizeof(p), "%s/backend", rec);
		be = xs_read(h, XBT_NULL, p, &len);
		*d = (struct pm_device_info){ .devid = (uint32_t)id, .frontend_id = domid, .state = -1, .evtchn = -1,
					      .ring_ref = -1, .rx_ring_ref = -1 };
		snprintf(d->backend, sizeof(d->backend), "%s", be ? be : "");
		if (fe) {
			d->backend_id = (uint32_t)(num_at(h, fe, "backend-id") < 0 ? 0 : num_at(h, fe, "backend-id"));
			d->state = num_at(h, fe, "state");
			d->evtchn = num_at(h, fe, "event-channel");
			if (!strcmp(kind, "vif")) {
				d->ring_ref = num_at(h, fe, "tx-ring-ref");
				d->rx_ring_ref = num_at(h, fe, "rx-ring-ref");
				snprintf(p, sizeof(p), "%s/mac", fe);
				mac = xs_read(h, XBT_NULL, p, &len);
				snprintf(d->mac, sizeof(d->mac), "%s", mac ? mac : "");
				free(mac);
			} else {
				d->ring_ref = num_at(h, fe, "ring-ref");
			}
		}
		free(fe);
		free(be);
		nr++;
	}
	if (nr)
		qsort(list, (size_t)nr, sizeof(*list), by_devid);
out:
	free(ids);
	xs_close(h);
	if (nr > 0)
		*out = list;
	else
		free(list);
	return nr;
}

int pm_device_find(uint32_t domid, const char *kind, const char *id, uint32_t *devid)
{
	struct pm_device_info *list;
	long n;
	uint8_t mac[6];
	uint32_t want = UINT32_MAX;
	bool by_mac = false;
	char *end;

	if (!strcmp(kind, "vbd")) {
		if (pm_vdev_number(id, &want))
			return -EINVAL;
	} else if (!pm_mac_parse(id, mac)) {
		by_mac = true;
	} else {
		unsigned long v = strtoul(id, &end, 10);

		if (*end || end == id || v >= UINT32_MAX)
			return -EINVAL;
		want = (uint32_t)v;
	}
	n = pm_device_list(domid, kind, &list);
	if (n < 0)
		return (int)n;
	for (long i = 0; i < n; i++) {
		uint8_t m[6];

		if (by_mac ? !pm_mac_parse(list[i].mac, m) && !memcmp(m, mac, 6) : list[i].devid == want) {
			*devid = list[i].devid;
			free(list);
			return 0;
		}
	}
	free(list);
	return -ENOENT;
}

/* the domain's kept configuration (/vm/DOMID/config), changed by edit; a
 * domain without one (xl made it) keeps nothing */
static int keep(struct xs_handle *h, uint32_t domid, int (*edit)(struct pm_domain_config *cfg, const void *arg),
		const void *arg)
{
	struct pm_domain_config cfg;
	char p[64], cerr[PM_CONFIG_ERR_LEN], *json, *fresh = NULL;
	unsigned int len;
	int rc;

	snprintf(p, sizeof(p), "/vm/%u/config", domid);
	json = xs_read(h, XBT_NULL, p, &len);
	if (!json)
		return 0;
	rc = pm_domain_config_from_json(json, p, NULL, 0, &cfg, cerr, sizeof(cerr));
	free(json);
	if (rc)
		return rc;
	rc = edit(&cfg, arg);
	if (!rc && pm_domain_config_json(&cfg, &fresh) < 0)
		rc = -ENOMEM;
	if (!rc && !xs_write(h, XBT_NULL, p, fresh, (unsigned int)strlen(fresh)))
		rc = neg_errno();
	free(fresh);
	pm_domain_config_dispose(&cfg);
	return rc;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d = s ? pm__strdup(s) : NULL;

	if (s && !d)
		*oom = true;
	return d;
}

static int keep_disk(struct pm_domain_config *cfg, const void *arg)
{
	const struct pm_disk *d = arg;
	struct pm_disk *nd = pm__realloc(cfg->disks, (cfg->nr_disks + 1) * sizeof(*nd));
	bool oom = false;

	if (!nd)
		return -ENOMEM;
	cfg->disks = nd;
	nd = &cfg->disks[cfg->nr_disks++];
	*nd = *d;
	nd->target = dup_or_null(d->target, &oom);
	nd->vdev = dup_or_null(d->vdev, &oom);
	nd->script = dup_or_null(d->script, &oom);
	nd->backend_domain = dup_or_null(d->backend_domain, &oom);
	return oom ? -ENOMEM : 0;
}

static int keep_nic(struct pm_domain_config *cfg, const void *arg)
{
	const struct pm_nic *n = arg;
	struct pm_nic *nn = pm__realloc(cfg->nics, (cfg->nr_nics + 1) * sizeof(*nn));
	bool oom = false;

	if (!nn)
		return -ENOMEM;
	cfg->nics = nn;
	nn = &cfg->nics[cfg->nr_nics++];
	*nn = *n;
	nn->bridge = dup_or_null(n->bridge, &oom);
	nn->ip = dup_or_null(n->ip, &oom);
	nn->model = dup_or_null(n->model, &oom);
	nn->vifname = dup_or_null(n->vifname, &oom);
	nn->script = dup_or_null(n->script, &oom);
	nn->backend_domain = dup_or_null(n->backend_domain, &oom);
	nn->gatewaydev = dup_or_null(n->gatewaydev, &oom);
	nn->rate = dup_or_null(n->rate, &oom);
	return oom ? -ENOMEM : 0;
}

struct forget {
	const char *kind;
	uint32_t devid;
};

static int forget_device(struct pm_domain_config *cfg, const void *arg)
{
	const struct forget *f = arg;

	if (!strcmp(f->kind, "vbd")) {
		for (size_t i = 0; i < cfg->nr_disks; i++)
			if (cfg->disks[i].devid == f->devid) {
				pm_disk_dispose(&cfg->disks[i]);
				memmove(&cfg->disks[i], &cfg->disks[i + 1], (cfg->nr_disks - i - 1) * sizeof(*cfg->disks));
				cfg->nr_disks--;
				break;
			}
	} else {
		for (size_t i = 0; i < cfg->nr_nics; i++)
			if (cfg->nics[i].devid == f->devid) {
				pm_nic_dispose(&cfg->nics[i]);
				memmove(&cfg->nics[i], &cfg->nics[i + 1], (cfg->nr_nics - i - 1) * sizeof(*cfg->nics));
				cfg->nr_nics--;
				break;
			}
	}
	return 0;
}

/* the domain's name, for the checks a new device goes through */
static int attach_begin(struct pm_hv *hv, uint32_t domid, struct xs_handle **h, char *name, size_t len,
			char *err, size_t errlen)
{
	struct pm_hv_dominfo info;
	int rc;

	err[0] = 0;
	rc = pm_hv_domain_getinfo(hv, domid, &info);
	if (rc) {
		say(err, errlen, "domain %u: %s", domid, strerror(-rc));
		return rc;
	}
	snprintf(name, len, "%s", info.name);
	*h = xs_open(XS_OPEN_SOCKETONLY);
	if (!*h) {
		say(err, errlen, "connecting to the store: %s", strerror(errno));
		return neg_errno();
	}
	return 0;
}

int pm_device_disk_attach(struct pm_hv *hv, uint32_t domid, const struct pm_disk *d, char *err, size_t errlen)
{
	struct xs_handle *h = NULL;
	struct pm_domain_config one;
	char name[64];
	int rc = attach_begin(hv, domid, &h, name, sizeof(name), err, errlen);

	if (rc)
		return rc;
	pm_domain_config_init(&one);
	one.name = name;
	one.disks = (struct pm_disk *)d;
	one.nr_disks = 1;
	rc = pm__devices_check(hv, &one, err, errlen);
	if (!rc)
		rc = pm__device_add_disk(hv, h, domid, d, err, errlen);
	if (!rc && (rc = keep(h, domid, keep_disk, d))) {
		pm__device_remove(hv, h, domid, "vbd", d->devid, true, NULL, 0);
		say(err, errlen, "disk %s: keeping it in the domain's configuration: %s", d->vdev, strerror(-rc));
	}
	xs_close(h);
	return rc;
}

int pm_device_nic_attach(struct pm_hv *hv, uint32_t domid, struct pm_nic *n, char *err, size_t errlen)
{
	struct xs_handle *h = NULL;
	struct pm_domain_config one;
	struct pm_device_info *list;
	char name[64];
	long nr;
	int rc = attach_begin(hv, domid, &h, name, sizeof(name), err, errlen);

	if (rc)
		return rc;
	pm_domain_config_init(&one);
	one.name = name;
	one.nics = n;
	one.nr_nics = 1;
	rc = pm__devices_check(hv, &one, err, errlen);
	/* the next devid, as libxl numbers them */
	nr = rc ? 0 : pm_device_list(domid, "vif", &list);
	n->devid = 0;
	for (long i = 0; i < nr; i++)
		if (list[i].devid >= n->devid)
			n->devid = list[i].devid + 1;
	if (nr > 0)
		free(list);
	if (!rc && !n->mac_set && !(rc = pm__device_random_mac(n->mac)))
		n->mac_set = true;
	if (!rc)
		rc = pm__device_add_nic(hv, h, domid, n, err, errlen);
	if (!rc && (rc = keep(h, domid, keep_nic, n))) {
		pm__device_remove(hv, h, domid, "vif", n->devid, true, NULL, 0);
		say(err, errlen, "vif %u: keeping it in the domain's configuration: %s", n->devid, strerror(-rc));
	}
	xs_close(h);
	return rc;
}

int pm_device_detach(struct pm_hv *hv, uint32_t domid, const char *kind, uint32_t devid, bool force, char *err,
		     size_t errlen)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	struct forget f = { kind, devid };
	int rc;

	err[0] = 0;
	if (!h) {
		say(err, errlen, "connecting to the store: %s", strerror(errno));
		return neg_errno();
	}
	rc = pm__device_remove(hv, h, domid, kind, devid, force, err, errlen);
	if (!rc)
		keep(h, domid, forget_device, &f);   /* the device is gone either way */
	xs_close(h);
	return rc;
}
