/*
 * libphysmap/save.c - a domain to a stream (<physmap/save.h>)
 *
 * Pages go in PAGE_DATA records of up to 1024 pfns, straight from the
 * frames mapped into the caller (writev: no copy of ours); a window of
 * 1024 pfns is read from the P2M at once, and the pages of the window
 * that are to go are mapped in one reservation.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <xen/hvm/params.h>
#include <xen/sched.h>

#include "physmap/save.h"
#include "physmap/domain.h"
#include "physmap/p2m.h"
#include "physmap/board.h"
#include "hv/hv-internal.h"
#include "save-internal.h"
#include "alloc-internal.h"

#define WINDOW PM_PAGE_DATA_MAX

struct saver {
	struct pm_hv *hv;
	uint32_t domid;
	int fd;
	struct pm_hv_dominfo info;
	struct pm_domain_config cfg;
	uint64_t special;        /* the first special pfn: the rings */
	bool devices;            /* its board has devices: a device model serves them, whose state goes too */
	char firmware[128];
	char target[32];         /* the store's memory/target (KiB), or "" */
	uint64_t *p2m;           /* a window's entries */
	uint64_t *mfns;
	uint64_t pfns[WINDOW];
	uint64_t ram_pfns[WINDOW];   /* the pfns of mfns[] */
	uint8_t *bitmap;         /* the window's pages to send, or NULL: all of its RAM */
	uint8_t *dirty;          /* live: the pages to send next, a bit a pfn */
	uint8_t *fresh;          /* what the dirty log said last */
	bool cooperative;        /* it suspends itself when asked (control/feature-suspend) */
	bool *paused;            /* a PV save's: pause_whole's @paused, for libxenguest's suspend call */
	struct pm_save_report *rep;
	const struct pm_save_opts *o;   /* its progress callback */
	unsigned int round;
	uint64_t round_t0, reported, round_sent, todo;   /* this round's, for partial progress */
	char *err;
	size_t errlen;
};

static int fail(struct saver *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct saver *s, int rc, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(s->err, s->errlen, "domain %u: %s: %s", s->domid, what, strerror(-rc));
	return rc;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* /local/domain/DOMID/@sub (@vm: /vm/DOMID/@sub) */
static char *xs_get(struct xs_handle *h, bool vm, uint32_t domid, const char *sub)
{
	char path[96];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%u/%s", vm ? "/vm" : "/local/domain", domid, sub);
	return xs_read(h, XBT_NULL, path, &len);
}

/* the configuration it was built from, where its firmware table is, its balloon's target, whether it suspends */
static int config(struct saver *s)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char *json = NULL, *target = NULL, *fw = NULL, *suspend = NULL, err[PM_CONFIG_ERR_LEN], berr[PM_BOARD_ERR_LEN];
	struct pm_board_layout layout;
	int rc;

	if (!h)
		return fail(s, -errno, "connecting to the store");
	json = xs_get(h, true, s->domid, "config");
	target = xs_get(h, false, s->domid, "memory/target");
	fw = xs_get(h, true, s->domid, "firmware");
	/* the guest has said it suspends itself when asked (Linux's xen drivers do) */
	suspend = xs_get(h, false, s->domid, "control/feature-suspend");
	s->cooperative = s->info.state == PM_HV_RUNNING && suspend && !strcmp(suspend, "1");
	xs_close(h);
	if (!json) {
		rc = fail(s, -EINVAL, "no configuration in the store (/vm/%u/config): physmap did not build it",
			  s->domid);
		goto out;
	}
	rc = pm_domain_config_from_json(json, "the store's configuration", NULL, 0, &s->cfg, err, sizeof(err));
	if (rc) {
		snprintf(s->err, s->errlen, "domain %u: %s", s->domid, err);
		goto out;
	}
	if (target)
		snprintf(s->target, sizeof(s->target), "%s", target);
	if (fw)
		snprintf(s->firmware, sizeof(s->firmware), "%s", fw);
	rc = pm_domain_config_layout(&s->cfg, &layout, berr);
	if (rc) {
		snprintf(s->err, s->errlen, "domain %u: board: %s", s->domid, berr);
		goto out;
	}
	s->special = 0;
	for (size_t i = 0; i < layout.nr_regions; i++)
		if (layout.regions[i].kind == PM_REGION_RAM &&
		    (layout.regions[i].base + layout.regions[i].size + PM__PAGE - 1) / PM__PAGE > s->special)
			s->special = (layout.regions[i].base + layout.regions[i].size + PM__PAGE - 1) / PM__PAGE;
	s->devices = layout.nr_devices != 0;
	pm_board_layout_dispose(&layout);
out:
	free(json);
	free(target);
	free(fw);
	free(suspend);
	return rc;
}

static int put(struct saver *s, struct pm_stream_buf *b)
{
	int rc = pm__write_all(s->fd, b->data, b->len);

	if (!rc)
		s->rep->bytes += b->len;
	b->len = 0;
	return rc;
}

/* all of @iov, however the writes split it (@iov is consumed) */
static int writev_all(int fd, struct iovec *iov, int n)
{
	int at = 0;

	while (at < n) {
		ssize_t w = writev(fd, iov + at, n - at);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		while (at < n && (size_t)w >= iov[at].iov_len) {
			w -= (ssize_t)iov[at].iov_len;
			iov[at++].iov_len = 0;
		}
		if (at < n) {
			iov[at].iov_base = (char *)iov[at].iov_base + w;
			iov[at].iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * one window [pfn, pfn + n): its pages that go (every RAM page, or the
 * dirty ones; a dirty page that is no longer RAM goes as XTAB: not present)
 * returns: pages sent; -errno
 */
static long send_window(struct saver *s, uint64_t pfn, uint64_t n)
{
	uint32_t head[4], count = 0, data = 0;
	void *map = NULL;
	int rc;

	rc = pm_hv_p2m_read(s->hv, s->domid, pfn, n, s->p2m);
	if (rc)
		return fail(s, rc, "reading the P2M at pfn 0x%llx", (unsigned long long)pfn);
	for (uint64_t i = 0; i < n; i++) {
		bool ram = pm_p2m_kind_of(s->p2m[i]) == PM_P2M_RAM;

		if (s->bitmap ? !(s->bitmap[i / 8] & (1u << (i % 8))) : !ram)
			continue;
		if (ram) {
			s->ram_pfns[data] = pfn + i;
			s->mfns[data++] = s->p2m[i];
			s->pfns[count++] = pfn + i;
		} else {
			s->pfns[count++] = (pfn + i) | (PM_PAGE_XTAB << PM_PAGE_TYPE_SHIFT);
		}
	}
	if (!count)
		return 0;
	/* the record: type, length, count, reserved; the pfns; the pages (all multiples of 8) */
	head[0] = PM_LIBXC_PAGE_DATA;
	head[1] = 8 + count * 8 + data * (uint32_t)PM__PAGE;
	head[2] = count;
	head[3] = 0;
	if (s->hv->ops->send_frames) {
		struct iovec iov[2] = { { head, sizeof(head) }, { s->pfns, count * 8u } };

		rc = writev_all(s->fd, iov, 2);
		if (!rc && data)
			rc = s->hv->ops->send_frames(s->hv, s->fd, s->mfns, data);
	} else {
		if (data) {
			map = mmap(NULL, data * PM__PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (map == MAP_FAILED)
				return fail(s, -errno, "mapping pages");
			rc = pm__hv_map_frames(s->hv, s->domid, map, s->mfns, s->ram_pfns, data);
			if (rc) {
				munmap(map, data * PM__PAGE);
				return fail(s, rc, "mapping pages at pfn 0x%llx", (unsigned long long)pfn);
			}
		}
		{
			struct iovec iov[3] = { { head, sizeof(head) }, { s->pfns, count * 8u },
						{ map, data * PM__PAGE } };

			rc = writev_all(s->fd, iov, 3);
		}
		if (map)
			munmap(map, data * PM__PAGE);
	}
	if (rc)
		return fail(s, rc, "writing the stream");
	s->rep->bytes += sizeof(head) + count * 8u + data * PM__PAGE;
	s->rep->pages_sent += count;
	return count;
}

#define PROGRESS_NS 200000000ull   /* partial progress at most five times a second */

/* how the round goes, if it is time to say so */
static void partial(struct saver *s)
{
	uint64_t now = now_ns();

	if (!s->o || !s->o->progress || now - s->reported < PROGRESS_NS)
		return;
	s->reported = now;
	s->o->progress(s->o->opaque, &(struct pm_save_progress){
		.round = s->round, .sent = s->round_sent, .total_sent = s->rep->pages_sent,
		.rate = now > s->round_t0 ? (double)s->round_sent * PM__PAGE * 1e9 / (double)(now - s->round_t0) : 0,
		.partial = true, .todo = s->todo });
}

/*
 * a round: all of RAM, or (@dirty) the pages the dirty bitmap holds, which
 * it clears; @todo the pages it will send, about (for progress)
 */
static long send_round(struct saver *s, bool dirty, uint64_t todo)
{
	long sent = 0;

	s->round_t0 = s->reported = now_ns();
	s->round_sent = 0;
	s->todo = todo;
	for (uint64_t pfn = 0; pfn < s->info.max_pfn; pfn += WINDOW) {
		uint64_t n = s->info.max_pfn - pfn < WINDOW ? s->info.max_pfn - pfn : WINDOW;
		uint8_t *bits = s->dirty + pfn / 8;
		long r;

		s->bitmap = NULL;
		if (dirty) {
			bool any = false;

			for (uint64_t i = 0; i < (n + 7) / 8 && !any; i++)
				any = bits[i];
			if (!any)
				continue;
			s->bitmap = bits;
		}
		r = send_window(s, pfn, n);
		if (r < 0)
			return r;
		if (dirty)
			memset(bits, 0, (size_t)((n + 7) / 8));
		sent += r;
		s->round_sent = (uint64_t)sent;
		partial(s);
	}
	return sent;
}

/*
 * takes what the dirty log holds into the bitmap, cleaning it but for
 * the @last read (the guest stopped: nothing is logged after it, and
 * re-arming the log would cost the downtime); returns the pages it holds
 */
static long sync_dirty(struct saver *s, bool last)
{
	size_t bytes = (size_t)((s->info.max_pfn + 7) / 8);
	long r = pm_hv_dirty_bitmap(s->hv, s->domid, 0, s->info.max_pfn, !last, s->fresh);
	long n = 0;

	if (r < 0)
		return fail(s, (int)r, "reading the dirty log");
	for (size_t i = 0; i < bytes; i++) {
		s->dirty[i] |= s->fresh[i];
		n += __builtin_popcount(s->dirty[i]);
	}
	return n;
}

static void progress(const struct pm_save_opts *o, unsigned int round, long sent, long dirty, uint64_t total,
		     uint64_t ns, bool final)
{
	struct pm_save_progress p = { round, (uint64_t)sent, (uint64_t)(dirty > 0 ? dirty : 0), total,
				      ns ? (double)sent * PM__PAGE * 1e9 / (double)ns : 0, final, false,
				      (uint64_t)(sent > 0 ? sent : 0) };

	if (o->progress)
		o->progress(o->opaque, &p);
}

#define SUSPEND_ACK_MS   30000   /* libxl waits 60 s; a guest that will answer does so in one */
#define SUSPEND_DONE_MS  60000

/*
 * Asks the guest to suspend itself, as libxl does a guest with PV drivers:
 * control/shutdown = "suspend", which it acknowledges by clearing, then
 * its SCHEDOP_shutdown(SHUTDOWN_suspend). Its frontends, timers and
 * channels are then quiet, and on the other side (its suspend call
 * returning 0 there) it reconnects them to the devices made for it.
 */
/* waits at most @ms for the next event of @h's watches (its path changed) */
static void watch_wait(struct xs_handle *h, uint64_t ms)
{
	struct pollfd p = { .fd = xs_fileno(h), .events = POLLIN };
	unsigned int n;

	if (p.fd < 0) {
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		return;
	}
	if (poll(&p, 1, ms > 1000 ? 1000 : (int)ms) > 0)
		free(xs_read_watch(h, &n));
}

/*
 * the guest acknowledges by clearing the request, then suspends: both
 * waited for as they happen (the store's watch, the hypervisor's wait),
 * not polled, for every millisecond here is a migration's downtime
 */
static int suspend_guest(struct saver *s)
{
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char path[64];
	struct pm_hv_dominfo info;
	uint64_t t0 = now_ns() / 1000000, now;
	int rc = 0;

	if (!h)
		return fail(s, -errno, "connecting to the store");
	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", s->domid);
	if (!xs_watch(h, path, "suspend") || !xs_write(h, XBT_NULL, path, "suspend", 7)) {
		rc = fail(s, errno ? -errno : -EIO, "asking it to suspend (%s)", path);
		goto out;
	}
	for (;;) {
		unsigned int len = 0;
		char *v = xs_read(h, XBT_NULL, path, &len);
		bool acked = !v || !len;

		free(v);
		if (acked)
			break;
		now = now_ns() / 1000000;
		if (now - t0 >= SUSPEND_ACK_MS) {
			xs_rm(h, XBT_NULL, path);
			rc = fail(s, -ETIMEDOUT, "the guest did not acknowledge the suspend request in %d s",
				  SUSPEND_ACK_MS / 1000);
			goto out;
		}
		watch_wait(h, SUSPEND_ACK_MS - (now - t0));
	}
	pm__trace("save: the guest acknowledged the suspend request");
	for (t0 = now_ns() / 1000000;;) {
		rc = pm_hv_domain_getinfo(s->hv, s->domid, &info);
		if (rc) {
			fail(s, rc, "waiting for it to suspend");
			goto out;
		}
		if (info.state == PM_HV_SHUTDOWN && info.shutdown_reason == SHUTDOWN_suspend)
			break;
		if (info.state == PM_HV_SHUTDOWN || info.state == PM_HV_CRASHED) {
			rc = fail(s, -ECANCELED, "asked to suspend, it %s instead",
				  info.state == PM_HV_CRASHED ? "crashed" : "shut down");
			goto out;
		}
		now = now_ns() / 1000000;
		if (now - t0 >= SUSPEND_DONE_MS) {
			rc = fail(s, -ETIMEDOUT, "the guest acknowledged the suspend request but did not suspend in %d s",
				  SUSPEND_DONE_MS / 1000);
			goto out;
		}
		if (pm_hv_domain_wait(s->hv, &info, (unsigned int)(SUSPEND_DONE_MS - (now - t0))) < 0)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);   /* it cannot wait: look again soon */
	}
out:
	xs_close(h);
	return rc;
}

/* a guest stopped by the save runs on: resumed (suspended), or unpaused */
static int carry_on(struct pm_hv *hv, uint32_t domid, const struct pm_save_report *rep)
{
	struct xs_handle *h;
	int rc;

	if (!rep->suspended)
		return pm_hv_domain_unpause(hv, domid);
	rc = pm_hv_domain_resume(hv, domid);
	/* xenstored let the guest's connection go quiet when it shut down */
	if (!rc && (h = xs_open(XS_OPEN_SOCKETONLY))) {
		xs_resume_domain(h, domid);
		xs_close(h);
	}
	return rc;
}

/*
 * stops the guest for the last round: suspended if it cooperates, else
 * paused with every vCPU between instructions (one paused in the middle
 * of an access, its device model answering, is let finish it). With
 * @paused, the save's downtime starts: the guest is ours to resume.
 */
static int pause_whole(struct saver *s, bool *paused)
{
	if (paused && s->cooperative) {
		int rc;

		s->rep->paused_ns = now_ns();
		rc = suspend_guest(s);
		if (rc)
			return rc;
		*paused = true;
		s->rep->was_running = true;
		s->rep->suspended = true;
		return 0;
	}
	for (int tries = 0;; tries++) {
		struct pm_hv_vcpu_state st;
		int rc = pm_hv_domain_pause(s->hv, s->domid);

		if (!rc && paused) {
			*paused = true;
			s->rep->was_running = true;
			s->rep->paused_ns = now_ns();
		}
		for (unsigned int i = 0; !rc && i < s->info.vcpus; i++)
			rc = pm_hv_vcpu_get_state(s->hv, s->domid, i, &st);
		if (rc != -EAGAIN)
			return rc ? fail(s, rc, "pausing") : 0;
		if (tries == 1000)
			return fail(s, rc, "pausing: a vCPU stays inside a device access");
		rc = pm_hv_domain_unpause(s->hv, s->domid);
		if (rc)
			return fail(s, rc, "pausing");
		nanosleep(&(struct timespec){ 0, 50000 }, NULL);
	}
}

/* the memory: precopy rounds while it runs (live), then with it paused */
static int memory(struct saver *s, const struct pm_save_opts *o, bool *paused, bool *logging)
{
	unsigned int max_rounds = o->max_rounds ? o->max_rounds : 30;
	double downtime = (o->max_downtime_ms ? o->max_downtime_ms : 5) / 1000.0;
	bool live = o->live && s->info.state == PM_HV_RUNNING;
	long sent, dirty, prev = -1;
	unsigned int stuck = 0;
	uint64_t t;
	int rc;

	s->o = o;
	if (!live) {
		if (s->info.state == PM_HV_RUNNING) {
			/* the log is not read, but it is the lease that resumes the guest if we die */
			rc = pm_hv_dirty_log(s->hv, s->domid, true);
			if (rc)
				return fail(s, rc, "starting the dirty log");
			*logging = true;
			rc = pause_whole(s, paused);
			if (rc)
				return rc;
		}
		t = now_ns();
		sent = send_round(s, false, s->info.tot_pages);
		if (sent < 0)
			return (int)sent;
		s->rep->rounds = 1;
		s->rep->last_round_pages = (uint64_t)sent;
		progress(o, 0, sent, 0, s->rep->pages_sent, now_ns() - t, true);
		return 0;
	}
	s->dirty = pm__calloc((size_t)((s->info.max_pfn + 7) / 8) + WINDOW / 8, 1);
	s->fresh = pm__calloc((size_t)((s->info.max_pfn + 7) / 8) + WINDOW / 8, 1);
	if (!s->dirty || !s->fresh)
		return fail(s, -ENOMEM, "the dirty bitmap");
	rc = pm_hv_dirty_log(s->hv, s->domid, true);
	if (rc)
		return fail(s, rc, "starting the dirty log");
	*logging = true;
	t = now_ns();
	sent = send_round(s, false, s->info.tot_pages);
	for (unsigned int round = 0;; round++) {
		uint64_t ns = now_ns() - t;
		double rate = ns ? (double)sent * PM__PAGE * 1e9 / (double)ns : 0;

		if (sent < 0)
			return (int)sent;
		dirty = sync_dirty(s, false);
		if (dirty < 0)
			return (int)dirty;
		s->rep->rounds = round + 1;
		progress(o, round, sent, dirty, s->rep->pages_sent, ns, false);
		/* enough: the rest fits the downtime, or it stopped shrinking, or too many rounds */
		if (dirty == 0 || (rate > 0 && (double)dirty * PM__PAGE / rate <= downtime))
			break;
		stuck = prev >= 0 && dirty >= prev ? stuck + 1 : 0;
		if (stuck >= 2 || round + 1 >= max_rounds)
			break;
		prev = dirty;
		t = now_ns();
		s->round = round + 1;
		sent = send_round(s, true, (uint64_t)dirty);
	}
	pm__trace("save: precopy done, pausing");
	rc = pause_whole(s, paused);
	if (rc)
		return rc;
	t = now_ns();
	pm__trace("save: paused");
	if ((dirty = sync_dirty(s, true)) < 0)
		return (int)dirty;
	pm__trace("save: final dirty log read");
	s->round = s->rep->rounds;
	sent = send_round(s, true, (uint64_t)dirty);
	pm__trace("save: final round sent");
	if (sent < 0)
		return (int)sent;
	s->rep->rounds++;
	s->rep->last_round_pages = (uint64_t)sent;
	progress(o, s->rep->rounds - 1, sent, 0, s->rep->pages_sent, now_ns() - t, true);
	return 0;
}

/* libxenguest's call for the last round */
static int pv_suspend(void *opaque)
{
	struct saver *s = opaque;

	return pause_whole(s, s->paused) ? 0 : 1;
}

/*
 * A PV guest's libxc stream is libxenguest's own (its pages with their
 * types, page tables made pfn-based, its P2M, its vCPUs), between
 * physmap's libxl records, as libxl writes one. Only a running guest can
 * be saved: it is stopped by asking it to suspend.
 */
static int pv_memory(struct saver *s, const struct pm_save_opts *o, bool *paused)
{
	struct pm__pv_save ps = { .live = o->live, .max_rounds = o->max_rounds ? o->max_rounds : 5,
				  .dirty_stop = 50, .suspend = pv_suspend, .opaque = s };
	off_t at = lseek(s->fd, 0, SEEK_CUR), end;
	char what[256];
	int rc;

	if (s->info.state != PM_HV_RUNNING) {
		snprintf(s->err, s->errlen, "domain %u (%s): a PV guest is saved by asking it to suspend, and it is "
			 "not running", s->domid, s->info.name);
		return -EINVAL;
	}
	s->cooperative = true;
	s->paused = paused;
	rc = pm__hv_pv_save(s->hv, s->domid, s->fd, &ps, what, sizeof(what));
	if (rc) {
		if (!s->err[0])
			snprintf(s->err, s->errlen, "domain %u: saving its memory: %s", s->domid, what);
		return rc;
	}
	s->rep->rounds = ps.live ? ps.rounds + 1 : 1;
	s->rep->pages_sent = ps.live ? ps.pages : s->info.tot_pages;
	if (at >= 0 && (end = lseek(s->fd, 0, SEEK_CUR)) >= at)
		s->rep->bytes += (uint64_t)(end - at);
	return 0;
}

/* the vCPUs' registers as physmap records them (pm__vcpus_put) */
static int vcpu_registers(struct saver *s, struct pm_stream_buf *b)
{
	struct pm_hv_vcpu_state *st = pm__calloc(s->info.vcpus, sizeof(*st));
	int rc = 0;

	if (!st)
		return fail(s, -ENOMEM, "the vCPUs' state");
	for (unsigned int i = 0; !rc && i < s->info.vcpus; i++) {
		rc = pm_hv_vcpu_get_state(s->hv, s->domid, i, &st[i]);
		/* paused (by its user) inside a device access: let it finish that */
		if (rc == -EAGAIN && !(rc = pause_whole(s, NULL)))
			rc = pm_hv_vcpu_get_state(s->hv, s->domid, i, &st[i]);
		if (rc)
			fail(s, rc, "reading vCPU %u", i);
	}
	if (!rc && (rc = pm__vcpus_put(b, st, s->info.vcpus)))
		fail(s, rc, "recording the vCPUs");
	free(st);
	return rc;
}

/*
 * the vCPUs and the parameters, then the libxc stream's end. A backend
 * that keeps Xen's whole HVM context (every register, MSR and FPU, the
 * local APICs and their timers) gives it, as libxc sends it.
 */
static int cpu_state(struct saver *s, struct pm_stream_buf *b)
{
	uint32_t head[2] = { PM__NR_PARAMS, 0 };
	uint64_t params[PM__NR_PARAMS * 2] = {
		HVM_PARAM_CONSOLE_PFN, s->special + PM_DOMAIN_CONSOLE_PAGE,
		HVM_PARAM_STORE_PFN, s->special + PM_DOMAIN_STORE_PAGE,
		HVM_PARAM_CONSOLE_EVTCHN, PM_DOMAIN_CONSOLE_PORT,
		HVM_PARAM_STORE_EVTCHN, PM_DOMAIN_STORE_PORT,
	};
	void *ctx = NULL;
	long n = strcmp(s->cfg.board, "virt") ? pm__hv_hvm_context(s->hv, s->domid, &ctx) : -EOPNOTSUPP;
	int rc;

	if (n == -EOPNOTSUPP)
		rc = vcpu_registers(s, b);
	else if (n < 0)
		rc = fail(s, (int)n, "reading the HVM context");
	else if ((rc = pm_stream_put_record(b, PM_LIBXC_HVM_CONTEXT, NULL, 0, ctx, (size_t)n)))
		fail(s, rc, "recording the HVM context");
	free(ctx);
	if (!rc)
		rc = pm_stream_put_record(b, PM_LIBXC_HVM_PARAMS, head, sizeof(head), params, sizeof(params));
	if (!rc)
		rc = pm_stream_put_record(b, PM_LIBXC_END, NULL, 0, NULL, 0);
	return rc;
}

static int section(uint8_t **buf, size_t *len, uint32_t tag, const void *data, size_t n)
{
	uint32_t h[2] = { tag, (uint32_t)n };
	size_t padded = (n + 7) & ~(size_t)7;
	uint8_t *nb = pm__realloc(*buf, *len + 8 + padded);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + *len, h, 8);
	memcpy(nb + *len + 8, data, n);
	memset(nb + *len + 8 + n, 0, padded - n);
	*buf = nb;
	*len += 8 + padded;
	return 0;
}

/* appends "REL\tVALUE\n" for @rel (under the home) and, for data/, its subtree */
static void guest_node(struct xs_handle *h, const char *home, const char *rel, int depth, FILE *f)
{
	char path[512], **kids;
	unsigned int len, n = 0;
	char *v;

	snprintf(path, sizeof(path), "%s/%s", home, rel);
	v = xs_read(h, XBT_NULL, path, &len);
	if (v && len && !memchr(v, '\t', len) && !memchr(v, '\n', len) && !memchr(v, 0, len))
		fprintf(f, "%s\t%.*s\n", rel, (int)len, v);
	free(v);
	if (depth >= 8 || !(kids = xs_directory(h, XBT_NULL, path, &n)))
		return;
	for (unsigned int i = 0; i < n; i++) {
		char sub[512];

		if (snprintf(sub, sizeof(sub), "%s/%s", rel, kids[i]) < (int)sizeof(sub))
			guest_node(h, home, sub, depth + 1, f);
	}
	free(kids);
}

/* what the guest wrote in its home: its features, its data/ */
static char *guest_store(struct xs_handle *h, uint32_t domid)
{
	char home[64], path[96], **kids, *text = NULL;
	unsigned int n = 0;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	snprintf(home, sizeof(home), "/local/domain/%u", domid);
	snprintf(path, sizeof(path), "%s/control", home);
	kids = xs_directory(h, XBT_NULL, path, &n);
	for (unsigned int i = 0; kids && i < n; i++)
		if (!strncmp(kids[i], "feature-", 8)) {
			char rel[300];

			snprintf(rel, sizeof(rel), "control/%s", kids[i]);
			guest_node(h, home, rel, 8, f);
		}
	free(kids);
	guest_node(h, home, "data", 0, f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* physmap's emulator context: the devices' state, the store watches, the firmware's place */
static int emulator(struct saver *s, struct pm_stream_buf *b)
{
	struct pm_stream_emulator emu = { PM_EMULATOR_UNKNOWN, 0 };
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	char dom[16], what[256] = "";
	void *dev = NULL;
	size_t dev_len = 0, len = 0;
	uint8_t *buf = NULL;
	char *watches = NULL, *guest = NULL;
	bool sim = !strcmp(pm_hv_backend(s->hv), "sim");
	int rc;

	if (!h)
		return fail(s, -errno, "connecting to the store");
	snprintf(dom, sizeof(dom), "%u", s->domid);
	/*
	 * the guest's watches: physmap-xenstored's own command (Xen's stores
	 * have none). A guest that suspended sets them again itself, as on Xen.
	 */
	if (!s->rep->suspended)
		watches = xs_control_command(h, "watches", dom, (unsigned int)strlen(dom) + 1);
	rc = watches || !sim || s->rep->suspended ? 0 : -(errno ?: EIO);
	guest = rc ? NULL : guest_store(h, s->domid);
	if (!rc && !guest)
		rc = -ENOMEM;
	xs_close(h);
	if (rc) {
		fail(s, rc, "the guest's store watches and entries");
		goto out;
	}
	rc = !sim ? -ENOENT :
	     pm__dm_control(pm_hv_rundir(s->hv), s->info.name, NULL, 0, &dev, &dev_len, what, sizeof(what));
	if (rc == -ENOENT && s->devices && sim) {
		/* its devices were served: a file without their state would restore a broken guest */
		snprintf(s->err, s->errlen, "domain %u (%s): its device model is gone: the devices' state cannot be saved",
			 s->domid, s->info.name);
		goto out;
	}
	if (rc == -ENOENT)
		rc = 0;   /* no device model: no devices */
	else if (rc) {
		if (what[0])
			snprintf(s->err, s->errlen, "domain %u: %s", s->domid, what);
		else
			fail(s, rc, "the device model's state");
		goto out;
	}
	rc = (dev ? section(&buf, &len, PM_CTX_DEVICES, dev, dev_len) : 0) ?:
	     (watches ? section(&buf, &len, PM_CTX_WATCHES, watches, strlen(watches)) : 0) ?:
	     (s->firmware[0] ? section(&buf, &len, PM_CTX_FIRMWARE, s->firmware, strlen(s->firmware)) : 0) ?:
	     (s->target[0] ? section(&buf, &len, PM_CTX_TARGET, s->target, strlen(s->target)) : 0) ?:
	     (guest && guest[0] ? section(&buf, &len, PM_CTX_GUEST_STORE, guest, strlen(guest)) : 0) ?:
	     pm_stream_put_record(b, PM_LIBXL_EMULATOR_CONTEXT, &emu, sizeof(emu), buf, len);
	if (rc)
		fail(s, rc, "recording the emulator context");
out:
	free(buf);
	free(dev);
	free(watches);
	free(guest);
	return rc;
}

int pm_domain_save(struct pm_hv *hv, uint32_t domid, int fd, const struct pm_save_opts *o,
		   struct pm_save_report *rep, char *err, size_t errlen)
{
	struct saver s = { .hv = hv, .domid = domid, .fd = fd, .rep = rep, .err = err, .errlen = errlen };
	struct pm_save_opts none = { 0 };
	struct pm_stream_buf b = { 0 };
	bool paused = false, logging = false, pv = false;
	char *json = NULL;
	uint64_t t0 = now_ns();
	int rc;

	*rep = (struct pm_save_report){ 0 };
	err[0] = 0;
	if (!o)
		o = &none;
	pm_domain_config_init(&s.cfg);
	rc = pm_hv_domain_getinfo(hv, domid, &s.info);
	if (rc) {
		fail(&s, rc, "no such domain");
		return rc;
	}
	if (!domid) {
		snprintf(err, errlen, "domain 0: the toolstack's own domain cannot be saved");
		return -EINVAL;
	}
	if (pm_hv_cannot_save(hv)) {
		snprintf(err, errlen, "domain %u: %s", domid, pm_hv_cannot_save(hv));
		return -EOPNOTSUPP;
	}
	if (s.info.state != PM_HV_RUNNING && s.info.state != PM_HV_PAUSED) {
		snprintf(err, errlen, "domain %u (%s): not running or paused", domid, s.info.name);
		return -EINVAL;
	}
	rc = config(&s);
	if (rc)
		goto out;
	pv = s.cfg.type && !strcmp(s.cfg.type, "pv");
	/*
	 * Past its RAM and special pages a guest has only what it mapped there
	 * itself (Linux's grant table and shared info frames, in unpopulated
	 * space): not memory to carry, and remade by a guest that suspended
	 */
	if (s.info.max_pfn > s.special + PM_DOMAIN_EXTRA_PAGES)
		s.info.max_pfn = s.special + PM_DOMAIN_EXTRA_PAGES;
	s.p2m = pm__malloc(WINDOW * sizeof(*s.p2m));
	s.mfns = pm__malloc(WINDOW * sizeof(*s.mfns));
	if (!s.p2m || !s.mfns || pm_domain_config_json(&s.cfg, &json) < 0) {
		rc = fail(&s, -ENOMEM, "saving");
		goto out;
	}
	/* the headers, the static data (a PV guest's libxc stream is libxenguest's) */
	rc = pm_stream_put_xl_header(&b, json) ?: pm_stream_put_libxl_header(&b) ?:
	     pm_stream_put_record(&b, PM_LIBXL_LIBXC_CONTEXT, NULL, 0, NULL, 0);
	if (!rc && !pv)
		rc = pm_stream_put_libxc_header(&b, strcmp(s.cfg.board, "virt") ? PM_LIBXC_DOM_X86_HVM
										: PM_LIBXC_DOM_PHYSMAP_ARM64, 4, 17) ?:
		     pm_stream_put_record(&b, PM_LIBXC_STATIC_DATA_END, NULL, 0, NULL, 0);
	if (rc || (rc = put(&s, &b))) {
		fail(&s, rc, "writing the stream's headers");
		goto out;
	}
	if (pv) {
		rc = pv_memory(&s, o, &paused);
	} else {
		rc = memory(&s, o, &paused, &logging);
		if (!rc)
			rc = cpu_state(&s, &b);
	}
	pm__trace("save: memory and vCPUs");
	if (!rc)
		rc = emulator(&s, &b);
	pm__trace("save: emulator context read");
	if (!rc)
		rc = pm_stream_put_record(&b, PM_LIBXL_END, NULL, 0, NULL, 0);
	if (!rc && (rc = put(&s, &b)))
		fail(&s, rc, "writing the stream");
	else if (rc && !err[0])
		fail(&s, rc, "saving");
out:
	if (rc && paused)
		carry_on(hv, domid, rep);   /* it goes on running here */
	if (rc && logging)
		pm_hv_dirty_log(hv, domid, false);
	rep->total_ns = now_ns() - t0;
	if (paused)
		rep->paused_ns = now_ns() - rep->paused_ns;
	pm_stream_buf_dispose(&b);
	pm_domain_config_dispose(&s.cfg);
	free(json);
	free(s.p2m);
	free(s.mfns);
	free(s.dirty);
	free(s.fresh);
	return rc;
}

int pm_domain_save_done(struct pm_hv *hv, uint32_t domid, const struct pm_save_report *rep, bool resume)
{
	int rc = 0;

	if (resume && rep->was_running)
		rc = carry_on(hv, domid, rep);
	if (rep->was_running) {
		int r = pm_hv_dirty_log(hv, domid, false);

		if (!rc && r != -ENODATA)
			rc = r;
	}
	return rc;
}
