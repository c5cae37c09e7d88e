/*
 * devmodel/xen/netback.c - a network interface's backend in physmap-dm on
 * the simulator: the rings of xen/include/public/io/netif.h joined to a
 * Linux bridge through a tap device, or to a userspace switch shared by
 * the simulator's domains
 *
 * Where the vif's "bridge" names a Linux bridge of the host
 * (/sys/class/net/BRIDGE/bridge), the backend makes a tap device named
 * vifDOMID.DEVID, as Xen's vif-bridge names dom0's end, with Xen's
 * fe:ff:ff:ff:ff:ff address, up and enslaved to the bridge (which needs
 * CAP_NET_ADMIN: without it the device is refused, saying so); it goes
 * when the device does. Otherwise the switch is a directory, $RUNDIR/net/BRIDGE (the vif's "bridge" key,
 * xenbr0 by default), where each connected vif binds a datagram socket
 * named DOMID.DEVID: a frame the guest transmits goes to every other port
 * there (a hub: few guests, no learning), a frame that arrives goes into
 * the guest's next receive buffer, or is dropped when it posted none. No
 * privileges are needed. Offered: receive by copy only (feature-rx-copy),
 * no scatter-gather, no offloads, frames of one page at most; the
 * frontend's MTU is 1500.
 *
 * A transmit request that is not one (a grant that is not the guest's, a
 * frame past its page, more than a page, extra info it was not offered)
 * is answered NETIF_RSP_ERROR; a producer index past a ring lets the
 * device go with a log line, as for disks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/io/netif.h>

#include "xenbus.h"

#define PAGE 4096u
#define RING_HEADER 64u
#define TX_ENTRY 12u                 /* struct netif_tx_request, the larger of the two */
#define RX_ENTRY 8u
#define FRAME_MAX 1514u              /* MTU 1500 and the Ethernet header */

struct vif {
	uint8_t *tx, *rx;                /* the two shared rings, mapped */
	RING_IDX tx_cons, tx_rsp, rx_cons, rx_rsp;
	uint32_t tx_n, rx_n;             /* slots */
	int sock;                        /* this port of the switch, or the tap device; -1: none */
	bool tap;                        /* on a Linux bridge (the tap is opened at init) */
	char dir[160], path[200];        /* the switch's directory; this port's socket */
	uint64_t dropped;
};

static volatile RING_IDX *idx(uint8_t *ring, unsigned int which)   /* req_prod, req_event, rsp_prod, rsp_event */
{
	return (volatile RING_IDX *)(ring + 4 * which);
}

static uint32_t slots(size_t entry)
{
	uint32_t n = 1;

	while (n * 2 <= (PAGE - RING_HEADER) / entry)
		n *= 2;
	return n;
}

/* an interface ioctl on @s for @name: @ifr filled by the caller beyond the name. returns: 0; -errno */
static int if_ioctl(int s, unsigned long req, const char *name, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	return ioctl(s, req, ifr) ? -errno : 0;
}

/* the tap vifDOMID.DEVID on Linux bridge @br: made, addressed, enslaved, up. returns: 0; -errno (said) */
static int tap_open(struct pm_xb_dev *d, const char *br)
{
	struct vif *v = d->priv;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	char name[IFNAMSIZ], why[160];
	const char *step = "opening /dev/net/tun";
	int s = -1, rc;

	snprintf(name, sizeof(name), "vif%u.%u", d->domid, d->devid);
	v->sock = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	rc = v->sock < 0 ? -errno : 0;
	if (!rc && (step = "making the tap", rc = if_ioctl(v->sock, TUNSETIFF, name, &ifr)) == 0) {
		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		rc = s < 0 ? -errno : 0;
	}
	if (!rc) {
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memset(ifr.ifr_hwaddr.sa_data, 0xff, 6);
		ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;   /* Xen's dom0 end: never the bridge's own address */
		step = "setting its address";
		rc = if_ioctl(s, SIOCSIFHWADDR, name, &ifr);
	}
	if (!rc && (step = "finding it", rc = if_ioctl(s, SIOCGIFINDEX, name, &ifr)) == 0) {
		step = "adding it to the bridge";
		rc = if_ioctl(s, SIOCBRADDIF, br, &ifr);
	}
	if (!rc && (step = "bringing it up", rc = if_ioctl(s, SIOCGIFFLAGS, name, &ifr)) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = if_ioctl(s, SIOCSIFFLAGS, name, &ifr);
	}
	if (s >= 0)
		close(s);
	if (rc) {
		snprintf(why, sizeof(why), "bridge %s: a tap on the Linux bridge: %s: %s%s", br, step, strerror(-rc),
			 rc == -EPERM ? " (it needs CAP_NET_ADMIN)" : "");
		pm_xb_error(d, why);
		if (v->sock >= 0)
			close(v->sock);
		v->sock = -1;
		return rc;
	}
	v->tap = true;
	return 0;
}

static int vif_init(struct pm_xb_dev *d)
{
	struct vif *v = d->priv;
	char *br = pm_xb_read(d, false, "bridge"), sys[80];
	const char *rundir = pm_hv_rundir(pm_xb_hv(d));
	struct stat st;
	int rc;

	v->sock = -1;
	if (br && (strchr(br, '/') || !*br || strlen(br) >= IFNAMSIZ)) {
		pm_xb_error(d, "bridge: not a name for a Linux bridge or the simulator's switch");
		free(br);
		return -EINVAL;
	}
	snprintf(sys, sizeof(sys), "/sys/class/net/%s/bridge", br ? br : "xenbr0");
	if (!stat(sys, &st) && S_ISDIR(st.st_mode)) {
		rc = tap_open(d, br ? br : "xenbr0");
		free(br);
		if (rc)
			return rc;
	} else {
		snprintf(v->dir, sizeof(v->dir), "%s/net/%s", rundir, br ? br : "xenbr0");
		free(br);
	}
	rc = pm_xb_write(d, "feature-rx-copy", "1") ?: pm_xb_write(d, "feature-rx-flip", "0") ?:
	     pm_xb_write(d, "feature-sg", "0") ?: pm_xb_write(d, "feature-gso-tcpv4", "0") ?:
	     pm_xb_write(d, "feature-gso-tcpv6", "0") ?: pm_xb_write(d, "feature-multicast-control", "0") ?:
	     pm_xb_write(d, "feature-split-event-channels", "0") ?: pm_xb_write(d, "multi-queue-max-queues", "1");
	return rc;
}

/* this vif's port of the switch: a socket bound in its directory */
static int port_open(struct pm_xb_dev *d)
{
	struct vif *v = d->priv;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char parent[160];

	snprintf(parent, sizeof(parent), "%.*s", (int)(strrchr(v->dir, '/') - v->dir), v->dir);
	if ((mkdir(parent, 0700) && errno != EEXIST) || (mkdir(v->dir, 0700) && errno != EEXIST))
		return -errno;
	snprintf(v->path, sizeof(v->path), "%s/%u.%u", v->dir, d->domid, d->devid);
	if (strlen(v->path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, v->path);
	unlink(v->path);   /* a port left by a model that died */
	v->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (v->sock < 0 || bind(v->sock, (struct sockaddr *)&a, sizeof(a))) {
		int rc = -errno;

		if (v->sock >= 0)
			close(v->sock);
		v->sock = -1;
		return rc;
	}
	return 0;
}

static int vif_connect(struct pm_xb_dev *d)
{
	struct vif *v = d->priv;
	long long tx = pm_xb_read_num(d, true, "tx-ring-ref", -1), rx = pm_xb_read_num(d, true, "rx-ring-ref", -1);
	uint32_t ref;
	int rc;

	if (tx < 0 || rx < 0 || tx > UINT32_MAX || rx > UINT32_MAX) {
		pm_xb_error(d, "the frontend gave no tx-ring-ref or rx-ring-ref");
		return -EINVAL;
	}
	if (pm_xb_read_num(d, true, "request-rx-copy", 0) != 1) {
		pm_xb_error(d, "the frontend does not receive by copy (request-rx-copy), the only way offered");
		return -EINVAL;
	}
	ref = (uint32_t)tx;
	rc = pm_hv_grant_map(pm_xb_hv(d), d->domid, &ref, 1, false, (void **)&v->tx);
	ref = (uint32_t)rx;
	if (!rc && (rc = pm_hv_grant_map(pm_xb_hv(d), d->domid, &ref, 1, false, (void **)&v->rx))) {
		pm_hv_grant_unmap(pm_xb_hv(d), v->tx, 1);
		v->tx = NULL;
	}
	if (rc)
		return rc;
	v->tx_n = slots(TX_ENTRY);
	v->rx_n = slots(RX_ENTRY);
	v->tx_cons = v->tx_rsp = *idx(v->tx, 2);
	v->rx_cons = v->rx_rsp = *idx(v->rx, 2);
	rc = v->tap ? 0 : port_open(d);
	if (rc) {
		pm_hv_grant_unmap(pm_xb_hv(d), v->tx, 1);
		pm_hv_grant_unmap(pm_xb_hv(d), v->rx, 1);
		v->tx = v->rx = NULL;
	}
	return rc;
}

static void vif_disconnect(struct pm_xb_dev *d)
{
	struct vif *v = d->priv;

	if (v->sock >= 0 && !v->tap) {   /* a tap stays until the device goes */
		close(v->sock);
		unlink(v->path);
		v->sock = -1;
	}
	if (v->tx)
		pm_hv_grant_unmap(pm_xb_hv(d), v->tx, 1);
	if (v->rx)
		pm_hv_grant_unmap(pm_xb_hv(d), v->rx, 1);
	v->tx = v->rx = NULL;
}

/* push a ring's responses up to @rsp; whether the frontend waits to hear of them */
static bool push(uint8_t *ring, RING_IDX rsp)
{
	RING_IDX old = *idx(ring, 2);

	__atomic_store_n(idx(ring, 2), rsp, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (RING_IDX)(rsp - *idx(ring, 3)) < (RING_IDX)(rsp - old);
}

/* a frame the guest sent: to the bridge through the tap, or to every other port of the switch */
static void flood(struct vif *v, const void *frame, size_t len)
{
	DIR *dir;
	struct dirent *e;

	if (v->tap) {
		if (write(v->sock, frame, len) < 0)
			v->dropped++;   /* the tap's queue full, or it is down: dropped, as a wire would */
		return;
	}
	dir = opendir(v->dir);
	while (dir && (e = readdir(dir))) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		char peer[sizeof(v->dir) + 256];

		if (e->d_name[0] == '.' || !strcmp(v->path + strlen(v->dir) + 1, e->d_name))
			continue;
		snprintf(peer, sizeof(peer), "%s/%s", v->dir, e->d_name);
		if (strlen(peer) >= sizeof(a.sun_path))
			continue;
		memcpy(a.sun_path, peer, strlen(peer) + 1);
		/* a full port drops it; a port nobody holds (its model killed) is taken away */
		if (sendto(v->sock, frame, len, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == ECONNREFUSED)
			unlink(peer);
	}
	if (dir)
		closedir(dir);
}

/* one transmit request: the frame out to the switch; its status */
static int16_t transmit(struct pm_xb_dev *d, const struct netif_tx_request *q)
{
	struct vif *v = d->priv;
	uint8_t *page;
	uint32_t ref = q->gref;

	if (q->flags & (NETTXF_more_data | NETTXF_extra_info) || !q->size || q->size > FRAME_MAX ||
	    (uint32_t)q->offset + q->size > PAGE)
		return NETIF_RSP_ERROR;   /* nothing it was offered: one whole frame in one page */
	if (pm_hv_grant_map(pm_xb_hv(d), d->domid, &ref, 1, true, (void **)&page))
		return NETIF_RSP_ERROR;
	flood(v, page + q->offset, q->size);
	pm_hv_grant_unmap(pm_xb_hv(d), page, 1);
	return NETIF_RSP_OKAY;
}

/* a frame from the switch into the guest's next receive buffer; false: none posted (dropped) */
static bool receive(struct pm_xb_dev *d, const uint8_t *frame, size_t len)
{
	struct vif *v = d->priv;
	struct netif_rx_request q;
	struct netif_rx_response r = { 0 };
	uint8_t *page;

	if (__atomic_load_n(idx(v->rx, 0), __ATOMIC_ACQUIRE) == v->rx_cons)
		return false;
	memcpy(&q, v->rx + RING_HEADER + (v->rx_cons & (v->rx_n - 1)) * RX_ENTRY, sizeof(q));
	v->rx_cons++;
	r.id = q.id;
	r.status = NETIF_RSP_ERROR;
	if (!pm_hv_grant_map(pm_xb_hv(d), d->domid, &q.gref, 1, false, (void **)&page)) {
		memcpy(page, frame, len);
		pm_hv_grant_unmap(pm_xb_hv(d), page, 1);
		r.status = (int16_t)len;
	}
	memcpy(v->rx + RING_HEADER + (v->rx_rsp & (v->rx_n - 1)) * RX_ENTRY, &r, sizeof(r));
	v->rx_rsp++;
	return true;
}

/* a producer past a ring: the device let go. returns: whether it was */
static bool overrun(struct pm_xb_dev *d, const char *which, RING_IDX prod, RING_IDX cons, uint32_t n)
{
	char why[96];

	if (prod - cons <= n)
		return false;
	snprintf(why, sizeof(why), "the frontend's %s producer index %u is past the ring (%u taken, %u slots)",
		 which, prod, cons, n);
	pm_xb_error(d, why);
	return true;
}

static void vif_event(struct pm_xb_dev *d)
{
	struct vif *v = d->priv;
	bool notify = false;

	if (!v->tx)
		return;
	for (;;) {
		RING_IDX prod = __atomic_load_n(idx(v->tx, 0), __ATOMIC_ACQUIRE);

		if (overrun(d, "tx", prod, v->tx_cons, v->tx_n))
			return;
		while (v->tx_cons != prod) {
			struct netif_tx_request q;
			struct netif_tx_response r;

			memcpy(&q, v->tx + RING_HEADER + (v->tx_cons & (v->tx_n - 1)) * TX_ENTRY, sizeof(q));
			v->tx_cons++;
			r = (struct netif_tx_response){ q.id, transmit(d, &q) };
			memcpy(v->tx + RING_HEADER + (v->tx_rsp & (v->tx_n - 1)) * TX_ENTRY, &r, sizeof(r));
			v->tx_rsp++;
		}
		notify |= push(v->tx, v->tx_rsp);
		*idx(v->tx, 1) = v->tx_cons + 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(idx(v->tx, 0), __ATOMIC_ACQUIRE) == v->tx_cons)
			break;
	}
	if (overrun(d, "rx", __atomic_load_n(idx(v->rx, 0), __ATOMIC_ACQUIRE), v->rx_cons, v->rx_n))
		return;
	if (notify)
		pm_xb_notify(d);
}

static int vif_fd(struct pm_xb_dev *d)
{
	return ((struct vif *)d->priv)->sock;
}

/* frames waiting at the port: into the guest, as many as it has buffers for */
static void vif_readable(struct pm_xb_dev *d)
{
	struct vif *v = d->priv;
	uint8_t frame[FRAME_MAX + 1];
	bool notify = false;
	ssize_t n;

	if (!v->rx) {
		while (read(v->sock, frame, sizeof(frame)) >= 0)
			v->dropped++;   /* the tap is there before the frontend: what comes meanwhile is lost */
		return;
	}
	if (overrun(d, "rx", __atomic_load_n(idx(v->rx, 0), __ATOMIC_ACQUIRE), v->rx_cons, v->rx_n))
		return;
	while ((n = read(v->sock, frame, sizeof(frame))) >= 0) {
		if (n > (ssize_t)FRAME_MAX || n < 14)
			continue;   /* not an Ethernet frame we carry */
		if (!receive(d, frame, (size_t)n))
			v->dropped++;
	}
	notify = push(v->rx, v->rx_rsp);
	*idx(v->rx, 1) = v->rx_cons + 1;
	if (notify)
		pm_xb_notify(d);
}

static void vif_free(struct pm_xb_dev *d)
{
	struct vif *v = d->priv;

	if (v->tap && v->sock >= 0)
		close(v->sock);   /* the tap goes, and with it its place on the bridge */
	v->sock = -1;
}

const struct pm_xb_ops pm_xen_netback = {
	.type = "vif",
	.size = sizeof(struct vif),
	.init = vif_init,
	.connect = vif_connect,
	.disconnect = vif_disconnect,
	.event = vif_event,
	.fd = vif_fd,
	.readable = vif_readable,
	.free = vif_free,
};
