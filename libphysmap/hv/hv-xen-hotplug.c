/*
 * hv-xen-hotplug.c - the dom0 side of a guest's disks and networks on Xen:
 * what xl's hotplug scripts (block, vif-bridge) do, done here
 *
 * Like the scripts, each step reads what it needs from the device's
 * backend directory and writes back what blkback, netback and xl read:
 * for a vbd node, physical-device (major:minor, hex), physical-device-path;
 * for both, hotplug-status last. A raw image goes behind a loop device
 * that clears itself when its last user closes it until blkback holds it
 * and the store names it (a pxl killed on the way leaves none); then, as
 * the block script's, it stays until a removal (pxl's, or xl's script)
 * detaches it by the node the store names. A script= of the user's (not
 * xl's block or vif-bridge) is run instead, as libxl runs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <linux/loop.h>
#include <linux/sockios.h>
#include <xenstore.h>

#include "hv-internal.h"

extern char **environ;

#define WAIT_MS 10000   /* blkback opens a device, netback makes a vif, within this */

static int err_at(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int err_at(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* be/key, malloc'ed, NULL when absent */
static char *get(struct xs_handle *h, const char *be, const char *key)
{
	char p[256];
	unsigned int len;

	snprintf(p, sizeof(p), "%s/%s", be, key);
	return xs_read(h, XBT_NULL, p, &len);
}

static bool put(struct xs_handle *h, const char *be, const char *key, const char *v)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", be, key);
	return xs_write(h, XBT_NULL, p, v, (unsigned int)strlen(v));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* ---- vbd ---- */

/* a free loop device bound to file (autoclear; read-only unless rw): its fd, *nr */
static int loop_attach(const char *file, bool rw, int *nr, char *err, size_t errlen)
{
	struct loop_config lc;
	int ffd, ctl, lfd = -1, rc = 0;
	char dev[32];

	ffd = open(file, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (ffd < 0)
		return err_at(err, errlen, -errno, "%s: %s", file, strerror(errno));
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		rc = err_at(err, errlen, -errno, "/dev/loop-control: %s (is the loop module loaded?)", strerror(errno));
		goto out;
	}
	/* another process may take the free device first: then the next one */
	for (int tries = 0; tries < 16; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (n < 0) {
			rc = err_at(err, errlen, -errno, "no free loop device: %s", strerror(errno));
			break;
		}
		snprintf(dev, sizeof(dev), "/dev/loop%d", n);
		for (int i = 0; i < 100 && (lfd = open(dev, O_RDWR | O_CLOEXEC)) < 0 && errno == ENOENT; i++)
			sleep_ms(10);   /* devtmpfs makes the node a moment later */
		if (lfd < 0) {
			rc = err_at(err, errlen, -errno, "%s: %s", dev, strerror(errno));
			break;
		}
		memset(&lc, 0, sizeof(lc));
		lc.fd = (unsigned int)ffd;
		lc.info.lo_flags = LO_FLAGS_AUTOCLEAR | (rw ? 0 : LO_FLAGS_READ_ONLY);
		snprintf((char *)lc.info.lo_file_name, sizeof(lc.info.lo_file_name), "%s", file);
		if (!ioctl(lfd, LOOP_CONFIGURE, &lc)) {
			*nr = n;
			break;
		}
		rc = errno == EBUSY ? 0 : err_at(err, errlen, -errno, "%s: binding %s: %s", dev, file, strerror(errno));
		close(lfd);
		lfd = -1;
		if (rc)
			break;
	}
	if (!rc && lfd < 0)
		rc = err_at(err, errlen, -EBUSY, "no loop device stayed free");
out:
	if (ctl >= 0)
		close(ctl);
	close(ffd);
	return rc ? rc : lfd;
}

/* blkback has the device open when its vbd shows the physical_device attribute */
static int wait_opened(struct xs_handle *h, const char *be, char *err, size_t errlen)
{
	unsigned int domid, devid;
	char attr[128];
	char *why;

	if (sscanf(be, "/local/domain/0/backend/vbd/%u/%u", &domid, &devid) != 2)
		return err_at(err, errlen, -EINVAL, "%s: not a vbd's backend", be);
	snprintf(attr, sizeof(attr), "/sys/bus/xen-backend/devices/vbd-%u-%u/physical_device", domid, devid);
	for (long waited = 0; waited < WAIT_MS; waited += 5) {
		char ep[256];
		unsigned int len;

		if (!access(attr, F_OK))
			return 0;
		snprintf(ep, sizeof(ep), "/local/domain/0/error%s/error", be + strlen("/local/domain/0"));
		why = xs_read(h, XBT_NULL, ep, &len);
		if (why) {
			err_at(err, errlen, -EIO, "blkback: %s", why);
			free(why);
			return -EIO;
		}
		sleep_ms(5);
	}
	return err_at(err, errlen, -ETIMEDOUT, "blkback did not open it in %d s", WAIT_MS / 1000);
}

static int vbd_online(struct xs_handle *h, const char *be, char *err, size_t errlen)
{
	char *params = get(h, be, "params"), *mode = get(h, be, "mode");
	char node[64], phys[32];
	struct stat st;
	int lfd = -1, nr = -1, rc = 0;

	if (!params || !*params) {   /* an empty cdrom: nothing to open */
		rc = put(h, be, "hotplug-status", "connected") ? 0 : -EIO;
		goto out;
	}
	if (stat(params, &st)) {
		rc = err_at(err, errlen, -errno, "%s: %s", params, strerror(errno));
		goto out;
	}
	if (S_ISBLK(st.st_mode)) {
		snprintf(node, sizeof(node), "%.63s", params);
		snprintf(phys, sizeof(phys), "%x:%x", major(st.st_rdev), minor(st.st_rdev));
	} else if (S_ISREG(st.st_mode)) {
		lfd = loop_attach(params, mode && !strcmp(mode, "w"), &nr, err, errlen);
		if (lfd < 0) {
			rc = lfd;
			goto out;
		}
		snprintf(node, sizeof(node), "/dev/loop%d", nr);
		if (fstat(lfd, &st)) {
			rc = err_at(err, errlen, -errno, "%s: %s", node, strerror(errno));
			goto out;
		}
		snprintf(phys, sizeof(phys), "%x:%x", major(st.st_rdev), minor(st.st_rdev));
	} else {
		rc = err_at(err, errlen, -EINVAL, "%s: not a file or a block device", params);
		goto out;
	}
	if (!put(h, be, "node", node) || !put(h, be, "physical-device-path", node) ||
	    !put(h, be, "physical-device", phys)) {
		rc = err_at(err, errlen, -EIO, "%s: writing its physical device: %s", be, strerror(errno));
		goto out;
	}
	if (lfd >= 0 && (rc = wait_opened(h, be, err, errlen)))
		goto out;
	if (lfd >= 0) {   /* blkback holds it, the store names it: an ordinary loop device from now on */
		struct loop_info64 li;

		if (ioctl(lfd, LOOP_GET_STATUS64, &li)) {
			rc = err_at(err, errlen, -errno, "%s: %s", node, strerror(errno));
			goto out;
		}
		li.lo_flags &= ~(uint32_t)LO_FLAGS_AUTOCLEAR;
		if (ioctl(lfd, LOOP_SET_STATUS64, &li)) {
			rc = err_at(err, errlen, -errno, "%s: keeping it: %s", node, strerror(errno));
			goto out;
		}
	}
	if (!put(h, be, "hotplug-status", "connected"))
		rc = err_at(err, errlen, -EIO, "%s: writing hotplug-status: %s", be, strerror(errno));
out:
	if (lfd >= 0)
		close(lfd);   /* on failure, still autoclear: it goes when blkback lets go, or now */
	free(params);
	free(mode);
	return rc;
}

/* the loop device node names, if it is still the one bound to params */
static void vbd_offline(struct xs_handle *h, const char *be)
{
	char *node = get(h, be, "node"), *params = get(h, be, "params");
	struct loop_info64 li;
	struct stat st;
	int fd;

	if (!node || strncmp(node, "/dev/loop", 9) || !params)
		goto out;
	fd = open(node, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	/* cleared already (autoclear) and perhaps bound to something else since: leave it */
	if (!ioctl(fd, LOOP_GET_STATUS64, &li) && !stat(params, &st) && li.lo_inode == st.st_ino &&
	    li.lo_device == st.st_dev)
		ioctl(fd, LOOP_CLR_FD, 0);   /* deferred while blkback still holds it */
	close(fd);
out:
	free(node);
	free(params);
}

/* ---- vif ---- */

static int ifreq_call(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -errno;
	r = ioctl(s, req, ifr);
	r = r ? -errno : 0;
	close(s);
	return r;
}

static int set_up(const char *ifname, bool up)
{
	struct ifreq ifr = { 0 };
	int rc;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, ifname);
	rc = ifreq_call(SIOCGIFFLAGS, &ifr);
	if (rc)
		return rc;
	ifr.ifr_flags = (short)(up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP);
	return ifreq_call(SIOCSIFFLAGS, &ifr);
}

static int bridge_port(const char *bridge, const char *ifname, bool add)
{
	struct ifreq ifr = { 0 };
	unsigned int idx = if_nametoindex(ifname);

	if (!idx)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, bridge);
	ifr.ifr_ifindex = (int)idx;
	return ifreq_call(add ? SIOCBRADDIF : SIOCBRDELIF, &ifr);
}

/* the interface netback made for be: vifDOMID.HANDLE */
static void vif_default_name(struct xs_handle *h, const char *be, char *name, size_t len)
{
	char *fid = get(h, be, "frontend-id"), *handle = get(h, be, "handle");

	snprintf(name, len, "vif%s.%s", fid ? fid : "?", handle ? handle : "?");
	free(fid);
	free(handle);
}

static int vif_online(struct xs_handle *h, const char *be, char *err, size_t errlen)
{
	char name[IFNAMSIZ + 8], sys[64], *vifname = get(h, be, "vifname"), *bridge = get(h, be, "bridge");
	char *fe = get(h, be, "frontend"), *mtu = fe ? get(h, fe, "mtu") : NULL;
	const char *br = bridge ? bridge : "xenbr0";
	long waited = 0;
	int rc = 0;

	vif_default_name(h, be, name, sizeof(name));
	snprintf(sys, sizeof(sys), "/sys/class/net/%s", name);
	while (access(sys, F_OK) && waited < WAIT_MS) {
		sleep_ms(5);
		waited += 5;
	}
	if (waited >= WAIT_MS) {
		rc = err_at(err, errlen, -ETIMEDOUT, "netback made no %s in %d s", name, WAIT_MS / 1000);
		goto out;
	}
	if (vifname && *vifname && strcmp(vifname, name)) {
		struct ifreq ifr = { 0 };

		set_up(name, false);
		snprintf(ifr.ifr_name, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, name);
		snprintf(ifr.ifr_newname, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, vifname);
		if ((rc = ifreq_call(SIOCSIFNAME, &ifr))) {
			err_at(err, errlen, rc, "renaming %s to %s: %s", name, vifname, strerror(-rc));
			goto out;
		}
		snprintf(name, sizeof(name), "%s", vifname);
	}
	if (mtu && *mtu) {
		struct ifreq ifr = { 0 };

		snprintf(ifr.ifr_name, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, name);
		ifr.ifr_mtu = atoi(mtu);
		if ((rc = ifreq_call(SIOCSIFMTU, &ifr))) {
			err_at(err, errlen, rc, "%s: mtu %s: %s", name, mtu, strerror(-rc));
			goto out;
		}
	}
	if ((rc = bridge_port(br, name, true))) {
		err_at(err, errlen, rc, "adding %s to bridge %s: %s", name, br, strerror(-rc));
		goto out;
	}
	if ((rc = set_up(name, true))) {
		err_at(err, errlen, rc, "%s: up: %s", name, strerror(-rc));
		goto out;
	}
	if (!put(h, be, "hotplug-status", "connected"))
		rc = err_at(err, errlen, -EIO, "%s: writing hotplug-status: %s", be, strerror(errno));
out:
	free(vifname);
	free(bridge);
	free(fe);
	free(mtu);
	return rc;
}

static void vif_offline(struct xs_handle *h, const char *be)
{
	char name[IFNAMSIZ + 8], *vifname = get(h, be, "vifname"), *bridge = get(h, be, "bridge");

	if (vifname && *vifname)
		snprintf(name, sizeof(name), "%s", vifname);
	else
		vif_default_name(h, be, name, sizeof(name));
	if (if_nametoindex(name)) {
		set_up(name, false);
		bridge_port(bridge ? bridge : "xenbr0", name, false);
	}
	free(vifname);
	free(bridge);
}

/* ---- a script of the user's (script= other than xl's default) ---- */

#define SCRIPT_MS 40000   /* libxl gives a hotplug script this long */

/* a script= of the user's, as a path; NULL for xl's default of the kind (done natively) */
static char *user_script(struct xs_handle *h, const char *kind, const char *be)
{
	const char *def = !strcmp(kind, "vbd") ? "block" : "vif-bridge";
	char *s = get(h, be, "script"), *path = NULL;
	const char *base;

	if (!s || !*s) {
		free(s);
		return NULL;
	}
	base = strrchr(s, '/') ? strrchr(s, '/') + 1 : s;
	if (!strcmp(base, def) && (s[0] != '/' || !strcmp(s, "/etc/xen/scripts/block") ||
				   !strcmp(s, "/etc/xen/scripts/vif-bridge"))) {
		free(s);
		return NULL;
	}
	if (s[0] == '/')
		return s;
	if (asprintf(&path, "/etc/xen/scripts/%s", s) < 0)
		path = NULL;
	free(s);
	return path;
}

/* runs script as libxl does (block add|remove, vif online|offline, XENBUS_PATH in
 * its environment), bounded; online succeeds when it says hotplug-status connected */
static int run_script(struct xs_handle *h, const char *kind, const char *be, const char *script, bool online,
		      char *err, size_t errlen)
{
	bool vbd = !strcmp(kind, "vbd");
	const char *cmd = vbd ? (online ? "add" : "remove") : (online ? "online" : "offline");
	char ifname[IFNAMSIZ + 8] = "", *vifname = vbd ? NULL : get(h, be, "vifname"), *status;
	char e_script[512], e_type[32], e_path[256], e_vif[64];
	char *const argv[] = { (char *)script, (char *)cmd, NULL };
	size_t n = 0, k = 0;
	char **envp;
	int st = 0, rc = 0, null;
	long waited = 0;
	pid_t pid;

	if (!vbd)
		snprintf(ifname, sizeof(ifname), "%s", vifname && *vifname ? vifname : "");
	if (!vbd && !ifname[0])
		vif_default_name(h, be, ifname, sizeof(ifname));
	free(vifname);
	/* this process's environment with libxl's variables first (built before the fork) */
	while (environ[n])
		n++;
	envp = calloc(n + 6, sizeof(*envp));
	if (!envp)
		return err_at(err, errlen, -ENOMEM, "%s: out of memory", script);
	snprintf(e_script, sizeof(e_script), "script=%s", script);
	snprintf(e_type, sizeof(e_type), "XENBUS_TYPE=%s", kind);
	snprintf(e_path, sizeof(e_path), "XENBUS_PATH=%s", be);
	snprintf(e_vif, sizeof(e_vif), "vif=%s", ifname);
	envp[k++] = e_script;
	envp[k++] = e_type;
	envp[k++] = e_path;
	envp[k++] = (char *)"XENBUS_BASE_PATH=backend";
	if (!vbd)
		envp[k++] = e_vif;
	for (size_t i = 0; i < n; i++)
		envp[k++] = environ[i];
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid = fork();
	if (pid < 0) {
		rc = err_at(err, errlen, -errno, "%s: %s", script, strerror(errno));
		free(envp);
		if (null >= 0)
			close(null);
		return rc;
	}
	if (!pid) {
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execve(script, argv, envp);
		_exit(127);
	}
	free(envp);
	if (null >= 0)
		close(null);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (waited >= SCRIPT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return err_at(err, errlen, -ETIMEDOUT, "%s %s: no end in %d s", script, cmd, SCRIPT_MS / 1000);
		}
		sleep_ms(10);
		waited += 10;
	}
	if (!online)
		return 0;
	status = get(h, be, "hotplug-status");
	if (!WIFEXITED(st) || WEXITSTATUS(st) || !status || strcmp(status, "connected")) {
		char *why = get(h, be, "hotplug-error");

		rc = err_at(err, errlen, -EIO, "%s %s: %s", script, cmd,
			    why ? why : WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "cannot be run" : "it failed");
		free(why);
	}
	free(status);
	return rc;
}

int pm__xen_hotplug(struct pm_hv *hv, struct xs_handle *h, const char *kind, const char *be, bool online,
		    char *err, size_t errlen)
{
	char *script;

	(void)hv;
	if ((!strcmp(kind, "vbd") || !strcmp(kind, "vif")) && (script = user_script(h, kind, be))) {
		int rc = run_script(h, kind, be, script, online, err, errlen);

		free(script);
		return rc;
	}
	if (!strcmp(kind, "vbd")) {
		if (online)
			return vbd_online(h, be, err, errlen);
		vbd_offline(h, be);
		return 0;
	}
	if (!strcmp(kind, "vif")) {
		if (online)
			return vif_online(h, be, err, errlen);
		vif_offline(h, be);
		return 0;
	}
	/* other kinds (a console xl made) have no hotplug step to undo */
	return online ? err_at(err, errlen, -EINVAL, "%s: no hotplug step for %s devices", be, kind) : 0;
}
