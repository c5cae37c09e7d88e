/*
 * devmodel/xen/xenbus.h - physmap-dm as the backend of a domain's PV
 * devices: the backend's half of the xenbus protocol
 * (xen/include/public/io/xenbus.h), as QEMU's xen-block and xen-net are
 *
 * The toolstack writes a device's directories as libxl does (the backend's
 * under /local/domain/0/backend/TYPE/DOMID/DEVID, the frontend's under the
 * guest's device/); the bus watches TYPE's directory for the domain, makes
 * a device for each directory that appears and walks it through the
 * states: InitWait once its ops' init has said what it offers, Connected
 * once the frontend gave its rings (Initialised or Connected) and connect
 * took them, Closed when the frontend closes or the toolstack asks (online
 * 0 and Closing). The device's event channel (the frontend's
 * "event-channel", an unbound port for dom0) is bound before connect and
 * polled with the bus.
 */
#ifndef PHYSMAP_DM_XENBUS_H
#define PHYSMAP_DM_XENBUS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "physmap/hv.h"

struct pm_xb;
struct pm_xb_dev;

/**
 * struct pm_xb_ops - a kind of device
 * @type: the backend directory's name ("qdisk")
 * @size: bytes of private state a device gets (dev->priv, zeroed)
 * @init: read the backend's keys, write what it offers; 0 goes to
 *   InitWait, -errno fails the device (its error said in the store)
 * @connect: the frontend is ready: map its rings (the channel is bound);
 *   0 goes to Connected
 * @disconnect: unmap; the channel is unbound after
 * @event: its event channel rang
 * @free: (may be NULL) release what init took
 * @fd: (may be NULL) another descriptor a connected device is polled on,
 *   or -1; @readable is called when it is
 */
struct pm_xb_ops {
	const char *type;
	size_t size;
	int (*init)(struct pm_xb_dev *d);
	int (*connect)(struct pm_xb_dev *d);
	void (*disconnect)(struct pm_xb_dev *d);
	void (*event)(struct pm_xb_dev *d);
	void (*free)(struct pm_xb_dev *d);
	int (*fd)(struct pm_xb_dev *d);
	void (*readable)(struct pm_xb_dev *d);
};

struct pm_xb_dev {
	struct pm_xb *bus;
	const struct pm_xb_ops *ops;
	uint32_t domid, devid;
	char be[96], fe[96];      /* the backend's and the frontend's directories */
	int state;                /* ours, as written: XenbusState* */
	struct pm_hv_evtchn ev;   /* bound while connected (ev.fd >= 0) */
	bool failed;
	void *priv;
};

/**
 * pm_xb_open - the bus of domain @domid's devices of the kinds @ops
 * (@nr_ops of them, each a distinct type), through @hv's store
 * @out: receives it; free with pm_xb_close
 * returns: 0; -errno (the store would not answer or watch)
 */
int pm_xb_open(struct pm_hv *hv, uint32_t domid, const struct pm_xb_ops *const *ops, size_t nr_ops,
	       struct pm_xb **out);

/** pm_xb_close - every device disconnected and freed (their backend state Closed), the store left */
void pm_xb_close(struct pm_xb *bus);

/**
 * pm_xb_fds - the descriptors to poll for the bus (the store's, each
 * connected device's channel), POLLIN, into @p (at most @max)
 * returns: how many
 */
size_t pm_xb_fds(const struct pm_xb *bus, struct pollfd *p, size_t max);

/** pm_xb_nr_fds - how many pm_xb_fds would give */
size_t pm_xb_nr_fds(const struct pm_xb *bus);

/** pm_xb_poll - act on what poll said of pm_xb_fds' descriptors (@p, @n of them) */
void pm_xb_poll(struct pm_xb *bus, const struct pollfd *p, size_t n);

/** pm_xb_hv - the backend interface the bus maps and binds through */
struct pm_hv *pm_xb_hv(const struct pm_xb_dev *d);

/**
 * pm_xb_read - the frontend's (@fe) or backend's key @key, malloc'ed and
 * NUL-terminated, or NULL (absent)
 */
char *pm_xb_read(struct pm_xb_dev *d, bool fe, const char *key);

/** pm_xb_read_num - a number from there; @def when absent or not one */
long long pm_xb_read_num(struct pm_xb_dev *d, bool fe, const char *key, long long def);

/** pm_xb_write - the backend's key @key = printf(@fmt). returns: 0; -errno */
int pm_xb_write(struct pm_xb_dev *d, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** pm_xb_notify - raise the device's event channel to the frontend */
void pm_xb_notify(struct pm_xb_dev *d);

/** pm_xb_warn - @why in physmap-dm's log, naming the domain and the device; it stays connected */
void pm_xb_warn(struct pm_xb_dev *d, const char *why);

/**
 * pm_xb_error - the device failed: disconnected, @why in physmap-dm's log
 * and in the store as a kernel backend says it (error/.../error), Closed.
 * From an op's event, return at once after: the rings are gone.
 */
void pm_xb_error(struct pm_xb_dev *d, const char *why);

#endif
