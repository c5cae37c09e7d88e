/*
 * devmodel/xen/xenbus.c - the backend's half of the xenbus protocol for
 * physmap-dm's PV devices (xenbus.h)
 *
 * One watch on each kind's backend directory of the domain (a device
 * appearing, the toolstack's online and state keys) and one on each
 * device's frontend state; on any event the bus looks at every device
 * again, which keeps it simple and is cheap for the few a domain has.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "xenbus.h"

struct pm_xb {
	struct pm_hv *hv;
	struct xs_handle *xs;
	uint32_t domid;
	const struct pm_xb_ops *const *ops;
	size_t nr_ops;
	struct pm_xb_dev **dev;
	size_t nr_dev;
};

struct pm_hv *pm_xb_hv(const struct pm_xb_dev *d)
{
	return d->bus->hv;
}

static char *read_path(struct pm_xb *bus, const char *path)
{
	unsigned int len;

	return xs_read(bus->xs, XBT_NULL, path, &len);   /* NUL-terminated by libxenstore */
}

char *pm_xb_read(struct pm_xb_dev *d, bool fe, const char *key)
{
	char p[192];

	snprintf(p, sizeof(p), "%s/%s", fe ? d->fe : d->be, key);
	return read_path(d->bus, p);
}

long long pm_xb_read_num(struct pm_xb_dev *d, bool fe, const char *key, long long def)
{
	char *v = pm_xb_read(d, fe, key), *end;
	long long n;

	if (!v)
		return def;
	errno = 0;
	n = strtoll(v, &end, 0);
	if (errno || end == v || *end)
		n = def;
	free(v);
	return n;
}

int pm_xb_write(struct pm_xb_dev *d, const char *key, const char *fmt, ...)
{
	char p[192], v[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	snprintf(p, sizeof(p), "%s/%s", d->be, key);
	return xs_write(d->bus->xs, XBT_NULL, p, v, (unsigned int)strlen(v)) ? 0 : -(errno ? errno : EIO);
}

void pm_xb_notify(struct pm_xb_dev *d)
{
	if (d->ev.fd >= 0)
		pm_hv_evtchn_notify(d->bus->hv, &d->ev);
}

/* our state, said in the backend's directory while it is there (a write would make it again) */
static void set_state(struct pm_xb_dev *d, int state)
{
	char p[192], v[16];
	xs_transaction_t t;

	d->state = state;
	snprintf(p, sizeof(p), "%s/state", d->be);
	snprintf(v, sizeof(v), "%d", state);
	for (int tries = 0; tries < 10; tries++) {
		unsigned int len;
		char *there;
		bool ok;

		t = xs_transaction_start(d->bus->xs);
		if (t == XBT_NULL)
			return;
		there = xs_read(d->bus->xs, t, d->be, &len);
		free(there);
		if (!there) {
			xs_transaction_end(d->bus->xs, t, true);
			return;   /* the toolstack removed the device */
		}
		ok = xs_write(d->bus->xs, t, p, v, (unsigned int)strlen(v));
		if (xs_transaction_end(d->bus->xs, t, !ok) || errno != EAGAIN)
			return;
	}
}


static void unbind(struct pm_xb_dev *d)
{
	if (d->ev.fd >= 0)
		pm_hv_evtchn_unbind(d->bus->hv, &d->ev);
	d->ev.fd = -1;
}

static void disconnect(struct pm_xb_dev *d)
{
	if (d->state == XenbusStateConnected)
		d->ops->disconnect(d);
	unbind(d);
}

void pm_xb_warn(struct pm_xb_dev *d, const char *why)
{
	fprintf(stderr, "physmap-dm: domain %u: %s: %s\n", d->domid, d->be, why);   /* its log */
}

void pm_xb_error(struct pm_xb_dev *d, const char *why)
{
	char p[192];

	/* where xenbus_dev_fatal puts it: error/ under dom0's home, the backend's path after it */
	snprintf(p, sizeof(p), "/local/domain/0/error%s/error", d->be + strlen("/local/domain/0"));
	xs_write(d->bus->xs, XBT_NULL, p, why, (unsigned int)strlen(why));
	pm_xb_warn(d, why);
	disconnect(d);
	d->failed = true;
	set_state(d, XenbusStateClosed);
}

/* the frontend gave its rings: bind its channel, connect */
static void connect(struct pm_xb_dev *d)
{
	long long port = pm_xb_read_num(d, true, "event-channel", -1);
	char why[160];
	int rc;

	if (port < 0) {
		pm_xb_error(d, "the frontend gave no event-channel");
		return;
	}
	rc = pm_hv_evtchn_bind(d->bus->hv, d->domid, (uint32_t)port, &d->ev);
	if (rc) {
		d->ev.fd = -1;
		snprintf(why, sizeof(why), "binding event channel %lld: %s", port, strerror(-rc));
		pm_xb_error(d, why);
		return;
	}
	rc = d->ops->connect(d);
	if (rc) {
		unbind(d);
		if (!d->failed) {
			snprintf(why, sizeof(why), "connecting: %s", strerror(-rc));
			pm_xb_error(d, why);
		}
		return;
	}
	set_state(d, XenbusStateConnected);
	d->ops->event(d);   /* requests queued before we looked */
}

/* one device after an event: where its frontend and the toolstack are now */
static void step(struct pm_xb_dev *d)
{
	long long fe = pm_xb_read_num(d, true, "state", XenbusStateUnknown);
	long long online = pm_xb_read_num(d, false, "online", 1);
	long long be = pm_xb_read_num(d, false, "state", XenbusStateUnknown);

	if (d->failed)
		return;
	/* the toolstack asks it to go (pxl block-detach): Closing with online 0 */
	if (!online && (be == XenbusStateClosing || fe == XenbusStateClosed || fe == XenbusStateUnknown)) {
		if (d->state != XenbusStateClosed) {
			disconnect(d);
			set_state(d, XenbusStateClosed);
		}
		return;
	}
	switch (fe) {
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (d->state == XenbusStateInitWait)
			connect(d);
		break;
	case XenbusStateClosing:
	case XenbusStateClosed:
		if (d->state == XenbusStateConnected || d->state == XenbusStateInitWait) {
			disconnect(d);
			set_state(d, fe == XenbusStateClosing ? XenbusStateClosing : XenbusStateClosed);
		} else if (d->state == XenbusStateClosing && fe == XenbusStateClosed) {
			set_state(d, XenbusStateClosed);
		}
		break;
	case XenbusStateInitialising:
	case XenbusStateUnknown:
		/* a frontend starting again (a guest rebooted its driver): offer the device again */
		if (d->state == XenbusStateClosed && online) {
			set_state(d, XenbusStateInitWait);
		}
		break;
	}
}

static void dev_free(struct pm_xb_dev *d)
{
	disconnect(d);
	if (d->ops->free)
		d->ops->free(d);
	free(d->priv);
	free(d);
}

/* a device for backend directory TYPE/DOMID/@name, InitWait once its init agrees */
static void add(struct pm_xb *bus, const struct pm_xb_ops *ops, const char *name)
{
	struct pm_xb_dev *d, **n;
	char *fe, *end, tok[128];
	unsigned long devid = strtoul(name, &end, 10);

	if (*end || end == name)
		return;
	d = calloc(1, sizeof(*d));
	n = realloc(bus->dev, (bus->nr_dev + 1) * sizeof(*n));
	if (n)
		bus->dev = n;
	if (!d || !n || !(d->priv = calloc(1, ops->size ? ops->size : 1))) {
		free(d);
		return;
	}
	*d = (struct pm_xb_dev){ .bus = bus, .ops = ops, .domid = bus->domid, .devid = (uint32_t)devid,
				 .ev.fd = -1, .priv = d->priv };
	snprintf(d->be, sizeof(d->be), "/local/domain/0/backend/%s/%u/%lu", ops->type, bus->domid, devid);
	fe = pm_xb_read(d, false, "frontend");
	snprintf(d->fe, sizeof(d->fe), "%s", fe ? fe : "");
	free(fe);
	bus->dev[bus->nr_dev++] = d;
	snprintf(tok, sizeof(tok), "%s/state", d->fe);
	if (!d->fe[0] || !xs_watch(bus->xs, tok, "fe")) {
		pm_xb_error(d, "no frontend directory to watch");
		return;
	}
	if (ops->init(d)) {
		if (!d->failed)
			pm_xb_error(d, "the backend could not set the device up");
		return;
	}
	set_state(d, XenbusStateInitWait);
}

/* every device of every kind: new ones made, gone ones freed, each stepped */
static void scan(struct pm_xb *bus)
{
	for (size_t k = 0; k < bus->nr_ops; k++) {
		char dir[96];
		unsigned int n = 0;
		char **names;

		snprintf(dir, sizeof(dir), "/local/domain/0/backend/%s/%u", bus->ops[k]->type, bus->domid);
		names = xs_directory(bus->xs, XBT_NULL, dir, &n);
		for (unsigned int i = 0; names && i < n; i++) {
			bool known = false;

			for (size_t j = 0; j < bus->nr_dev; j++)
				known |= bus->dev[j]->ops == bus->ops[k] &&
					 bus->dev[j]->devid == strtoul(names[i], NULL, 10);
			if (!known)
				add(bus, bus->ops[k], names[i]);
		}
		/* a directory the toolstack removed: its device goes */
		for (size_t j = 0; j < bus->nr_dev;) {
			struct pm_xb_dev *d = bus->dev[j];
			bool there = false;

			for (unsigned int i = 0; names && i < n; i++)
				there |= d->devid == strtoul(names[i], NULL, 10);
			if (d->ops != bus->ops[k] || there) {
				j++;
				continue;
			}
			{
				char tok[128];

				snprintf(tok, sizeof(tok), "%s/state", d->fe);
				xs_unwatch(bus->xs, tok, "fe");
			}
			dev_free(d);
			bus->dev[j] = bus->dev[--bus->nr_dev];
		}
		free(names);
	}
	for (size_t j = 0; j < bus->nr_dev; j++)
		step(bus->dev[j]);
}

int pm_xb_open(struct pm_hv *hv, uint32_t domid, const struct pm_xb_ops *const *ops, size_t nr_ops,
	       struct pm_xb **out)
{
	struct pm_xb *bus = calloc(1, sizeof(*bus));
	int rc = 0;

	*out = NULL;
	if (!bus)
		return -ENOMEM;
	*bus = (struct pm_xb){ .hv = hv, .domid = domid, .ops = ops, .nr_ops = nr_ops };
	bus->xs = xs_open(0);
	if (!bus->xs) {
		rc = -(errno ? errno : EIO);
		goto out;
	}
	for (size_t k = 0; k < nr_ops; k++) {
		char dir[96];

		snprintf(dir, sizeof(dir), "/local/domain/0/backend/%s/%u", ops[k]->type, domid);
		if (!xs_watch(bus->xs, dir, "be")) {
			rc = -(errno ? errno : EIO);
			goto out;
		}
	}
	scan(bus);
	*out = bus;
	return 0;
out:
	pm_xb_close(bus);
	return rc;
}

void pm_xb_close(struct pm_xb *bus)
{
	if (!bus)
		return;
	for (size_t j = 0; j < bus->nr_dev; j++) {
		struct pm_xb_dev *d = bus->dev[j];

		disconnect(d);
		if (bus->xs && d->state != XenbusStateClosed && !d->failed)
			set_state(d, XenbusStateClosed);
		d->state = XenbusStateClosed;
		dev_free(d);
	}
	free(bus->dev);
	if (bus->xs)
		xs_close(bus->xs);
	free(bus);
}

/* a connected device's own descriptor (its ops'), or -1 */
static int own_fd(struct pm_xb_dev *d)
{
	return d->state == XenbusStateConnected && d->ops->fd ? d->ops->fd(d) : -1;
}

size_t pm_xb_nr_fds(const struct pm_xb *bus)
{
	size_t n = 1;

	for (size_t j = 0; j < bus->nr_dev; j++)
		n += (bus->dev[j]->ev.fd >= 0) + (own_fd(bus->dev[j]) >= 0);
	return n;
}

size_t pm_xb_fds(const struct pm_xb *bus, struct pollfd *p, size_t max)
{
	size_t n = 0;

	if (max)
		p[n++] = (struct pollfd){ .fd = xs_fileno(bus->xs), .events = POLLIN };
	for (size_t j = 0; j < bus->nr_dev && n < max; j++) {
		if (bus->dev[j]->ev.fd >= 0)
			p[n++] = (struct pollfd){ .fd = bus->dev[j]->ev.fd, .events = POLLIN };
		if (own_fd(bus->dev[j]) >= 0 && n < max)
			p[n++] = (struct pollfd){ .fd = own_fd(bus->dev[j]), .events = POLLIN };
	}
	return n;
}

void pm_xb_poll(struct pm_xb *bus, const struct pollfd *p, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (!p[i].revents)
			continue;
		for (size_t j = 0; j < bus->nr_dev; j++) {
			struct pm_xb_dev *d = bus->dev[j];

			if (d->ev.fd == p[i].fd && d->state == XenbusStateConnected &&
			    pm_hv_evtchn_pending(bus->hv, &d->ev))
				d->ops->event(d);
			else if (own_fd(d) == p[i].fd)
				d->ops->readable(d);
		}
	}
	if (n && p[0].revents) {
		char **w;

		while ((w = xs_check_watch(bus->xs)))   /* drain what came; then look once */
			free(w);
		scan(bus);
	}
}
