/*
 * devmodel/xen/blkback.c - a disk's backend in physmap-dm: the block ring
 * protocol of xen/include/public/io/blkif.h over a raw image or block
 * device, as QEMU's xen-block serves it (libxl's backendtype "qdisk")
 *
 * Offered (in the backend's directory before InitWait): the size
 * ("sectors" of "sector-size" 512, "info" with VDISK_READONLY for a
 * disk the guest may not write, VDISK_CDROM), flush and barrier, discard
 * for a writable disk, indirect descriptors of up to 256 segments, rings
 * of up to 16 pages (max-ring-page-order 4) and persistent grants.
 *
 * Requests are read in the frontend's ABI ("protocol": x86_32-abi packs
 * 64-bit fields at 4 bytes; x86_64-abi and Arm's are the native layout),
 * each done before the next (its data in the granted pages: mapped for the
 * request, or kept mapped when persistent grants were agreed), answered in
 * order; the frontend is notified when the ring says it waits. A request
 * that is not one (a grant that is not the frontend's, sectors outside a
 * page or past the disk, too many segments, an unknown operation) gets an
 * error response; a producer index past the ring disconnects the device,
 * the reason in physmap-dm's log and the store. Each disk is its own file:
 * nothing one frontend posts reaches another's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

#include "xenbus.h"

#define PAGE 4096u
#define SECTOR 512u
#define RING_HEADER 64u              /* req_prod, req_event, rsp_prod, rsp_event, pvt, pad */
#define MAX_RING_ORDER 4
#define MAX_INDIRECT_SEGS 256
#define MAX_SEGS (MAX_INDIRECT_SEGS > BLKIF_MAX_SEGMENTS_PER_REQUEST ? MAX_INDIRECT_SEGS \
									: BLKIF_MAX_SEGMENTS_PER_REQUEST)
#define SEGS_PER_PAGE (PAGE / sizeof(struct blkif_request_segment))
#define MAX_PERSISTENT 1024          /* grants kept mapped at most (Linux keeps 1056 a ring) */

/* where a request's fields lie in the frontend's ABI */
struct abi {
	size_t req, rsp;             /* a ring entry: the larger */
	size_t id, sector, seg;      /* read/write: offsets in a request */
	size_t disc_sectors;         /* discard: nr_sectors */
	size_t ind_id, ind_sector, ind_grefs;   /* indirect */
};

static const struct abi abi64 = { 112, 16, 8, 16, 24, 24, 8, 16, 28 };
static const struct abi abi32 = { 108, 12, 4, 12, 20, 20, 4, 12, 24 };

/* a persistent grant: @ref + 1 (0: a free slot of the table), its page mapped */
struct grant {
	uint32_t ref1;
	void *addr;
};
#define KEPT_SLOTS (2 * MAX_PERSISTENT)   /* open addressing, at most half full */

struct blk {
	int fd;
	uint64_t sectors;
	bool ro, cdrom;
	const struct abi *abi;
	uint8_t *ring;               /* the shared ring, mapped */
	unsigned int pages;
	uint32_t nr_ents;
	RING_IDX cons, rsp;          /* requests taken; responses made (not yet pushed: rsp > rsp_prod) */
	bool persistent;
	struct grant *kept;          /* persistent grants: KEPT_SLOTS, by ref */
	size_t nr_kept;
	uint64_t io_errors;          /* reads and writes the image refused since the frontend connected */
};

static volatile RING_IDX *ring_idx(struct blk *b, unsigned int which)   /* req_prod, req_event, rsp_prod, rsp_event */
{
	return (volatile RING_IDX *)(b->ring + 4 * which);
}

static uint8_t *entry(struct blk *b, RING_IDX i)
{
	return b->ring + RING_HEADER + (size_t)(i & (b->nr_ents - 1)) * b->abi->req;
}

static uint64_t u64_at(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

/* ---- init, connect ---- */

static int blk_init(struct pm_xb_dev *d)
{
	struct blk *b = d->priv;
	char *params = pm_xb_read(d, false, "params"), *mode = pm_xb_read(d, false, "mode");
	char *type = pm_xb_read(d, false, "device-type"), *path, why[300];
	struct stat st;
	int rc = 0;

	b->fd = -1;
	b->ro = !mode || strchr(mode, 'w') == NULL;
	b->cdrom = type && !strcmp(type, "cdrom");
	path = params;
	if (path && (!strncmp(path, "raw:", 4) || !strncmp(path, "aio:", 4)))
		path += 4;   /* libxl's FORMAT:PATH for qdisk */
	if (!path || !*path) {
		pm_xb_error(d, "no params: the disk's image or device");
		rc = -EINVAL;
		goto out;
	}
	b->fd = open(path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st)) {
		snprintf(why, sizeof(why), "%s: %s", path, strerror(errno));
		pm_xb_error(d, why);
		rc = -errno;
		goto out;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t bytes = 0;

		ioctl(b->fd, BLKGETSIZE64, &bytes);
		b->sectors = bytes / SECTOR;
	} else {
		b->sectors = (uint64_t)st.st_size / SECTOR;
	}
	rc = pm_xb_write(d, "sector-size", "%u", SECTOR) ?: pm_xb_write(d, "physical-sector-size", "%u", SECTOR) ?:
	     pm_xb_write(d, "sectors", "%llu", (unsigned long long)b->sectors) ?:
	     pm_xb_write(d, "info", "%u", (b->ro ? VDISK_READONLY : 0) | (b->cdrom ? VDISK_CDROM : 0)) ?:
	     pm_xb_write(d, "feature-flush-cache", "1") ?: pm_xb_write(d, "feature-barrier", "1") ?:
	     pm_xb_write(d, "feature-max-indirect-segments", "%u", MAX_INDIRECT_SEGS) ?:
	     pm_xb_write(d, "feature-persistent", "1") ?: pm_xb_write(d, "max-ring-page-order", "%u", MAX_RING_ORDER);
	if (!rc && !b->ro)
		rc = pm_xb_write(d, "feature-discard", "1") ?: pm_xb_write(d, "discard-granularity", "%u", SECTOR) ?:
		     pm_xb_write(d, "discard-alignment", "0") ?: pm_xb_write(d, "discard-secure", "0");
out:
	free(params);
	free(mode);
	free(type);
	return rc;
}

static void blk_free(struct pm_xb_dev *d)
{
	struct blk *b = d->priv;

	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static int blk_connect(struct pm_xb_dev *d)
{
	struct blk *b = d->priv;
	long long order = pm_xb_read_num(d, true, "ring-page-order", 0);
	char *proto = pm_xb_read(d, true, "protocol");
	uint32_t refs[1u << MAX_RING_ORDER];
	int rc;

	b->abi = proto && !strcmp(proto, XEN_IO_PROTO_ABI_X86_32) ? &abi32 : &abi64;
	free(proto);
	if (order < 0 || order > MAX_RING_ORDER) {
		pm_xb_error(d, "ring-page-order beyond max-ring-page-order");
		return -EINVAL;
	}
	b->pages = 1u << order;
	for (unsigned int i = 0; i < b->pages; i++) {
		char key[24];
		long long r;

		if (order)
			snprintf(key, sizeof(key), "ring-ref%u", i);
		else
			snprintf(key, sizeof(key), "ring-ref");
		r = pm_xb_read_num(d, true, key, -1);
		if (r < 0 || r > UINT32_MAX) {
			pm_xb_error(d, "the frontend gave no ring-ref");
			return -EINVAL;
		}
		refs[i] = (uint32_t)r;
	}
	rc = pm_hv_grant_map(pm_xb_hv(d), d->domid, refs, b->pages, false, (void **)&b->ring);
	if (rc)
		return rc;
	b->nr_ents = 1;
	while (b->nr_ents * 2 <= (b->pages * PAGE - RING_HEADER) / b->abi->req)
		b->nr_ents *= 2;
	b->cons = *ring_idx(b, 2);   /* where the responses left off: 0 on a ring the frontend just made */
	b->rsp = b->cons;
	b->persistent = pm_xb_read_num(d, true, "feature-persistent", 0) == 1;
	b->io_errors = 0;
	return 0;
}

static void blk_disconnect(struct pm_xb_dev *d)
{
	struct blk *b = d->priv;

	for (size_t i = 0; b->kept && i < KEPT_SLOTS; i++)
		if (b->kept[i].ref1)
			pm_hv_grant_unmap(pm_xb_hv(d), b->kept[i].addr, 1);
	free(b->kept);
	b->kept = NULL;
	b->nr_kept = 0;
	if (b->ring)
		pm_hv_grant_unmap(pm_xb_hv(d), b->ring, b->pages);
	b->ring = NULL;
}

/* ---- requests ---- */

struct seg {
	uint32_t ref;
	uint8_t first, last;
};

/*
 * the page of persistent grant @ref, mapped the first time it comes and
 * kept until the frontend goes (persistent grants are writable whatever
 * they carry, blkif.h). returns: 0 and *@addr; -ENOSPC (MAX_PERSISTENT
 * kept already); -errno
 */
static int kept_page(struct pm_xb_dev *d, uint32_t ref, void **addr)
{
	struct blk *b = d->priv;
	size_t i = (ref * 2654435761u) % KEPT_SLOTS;
	int rc;

	if (!b->kept && !(b->kept = calloc(KEPT_SLOTS, sizeof(*b->kept))))
		return -ENOMEM;
	for (; b->kept[i].ref1; i = (i + 1) % KEPT_SLOTS)
		if (b->kept[i].ref1 == ref + 1) {
			*addr = b->kept[i].addr;
			return 0;
		}
	if (b->nr_kept == MAX_PERSISTENT)
		return -ENOSPC;
	rc = pm_hv_grant_map(pm_xb_hv(d), d->domid, &ref, 1, false, addr);
	if (rc)
		return rc;
	b->kept[i] = (struct grant){ ref + 1, *addr };
	b->nr_kept++;
	return 0;
}

/*
 * the pages of @n grants, mapped (writable when @to_guest: the disk's data
 * goes there): one mapping for the request, or each page kept when
 * grants are persistent. @addr[i] receives grant i's page; *@whole the one
 * mapping to undo (NULL: kept ones)
 */
static int map_refs(struct pm_xb_dev *d, const uint32_t *refs, unsigned int n, bool to_guest, void **addr,
		    void **whole)
{
	struct blk *b = d->priv;
	int rc = 0;

	*whole = NULL;
	if (!b->persistent) {
		/* a write's pages only read: a frontend grants them read-only (Linux's blkfront does) */
		rc = pm_hv_grant_map(pm_xb_hv(d), d->domid, refs, n, !to_guest, whole);
		for (unsigned int i = 0; !rc && i < n; i++)
			addr[i] = (uint8_t *)*whole + (size_t)i * PAGE;
		return rc;
	}
	for (unsigned int i = 0; !rc && i < n; i++)
		rc = kept_page(d, refs[i], &addr[i]);
	return rc;
}

/*
 * the image refused a read or write (a full disk, an image cut short or
 * gone): the guest gets an error response for each; the log the first
 */
static void io_error(struct pm_xb_dev *d, bool write, uint64_t sector, int err)
{
	struct blk *b = d->priv;
	char why[192];

	if (b->io_errors++)
		return;
	snprintf(why, sizeof(why), "%s at sector %llu: %s (answered with an error, as are those after it, unlogged)",
		 write ? "write" : "read", (unsigned long long)sector,
		 err ? strerror(err) : "short: the image ends before it");
	pm_xb_warn(d, why);
}

/* a read or write of @n segments from @sector. returns: BLKIF_RSP_* */
static int rw(struct pm_xb_dev *d, bool write, uint64_t sector, const struct seg *s, unsigned int n)
{
	struct blk *b = d->priv;
	struct iovec iov[MAX_SEGS];
	uint32_t refs[MAX_SEGS];
	void *addr[MAX_SEGS], *whole;
	uint64_t bytes = 0;
	ssize_t got;

	if (!n || n > MAX_SEGS || (write && b->ro))
		return BLKIF_RSP_ERROR;
	for (unsigned int i = 0; i < n; i++) {
		if (s[i].first > s[i].last || s[i].last >= PAGE / SECTOR)
			return BLKIF_RSP_ERROR;
		bytes += (uint64_t)(s[i].last - s[i].first + 1) * SECTOR;
	}
	if (sector > b->sectors || bytes / SECTOR > b->sectors - sector)
		return BLKIF_RSP_ERROR;   /* past the end of the disk */
	for (unsigned int i = 0; i < n; i++)
		refs[i] = s[i].ref;
	if (map_refs(d, refs, n, !write, addr, &whole))
		return BLKIF_RSP_ERROR;
	for (unsigned int i = 0; i < n; i++)
		iov[i] = (struct iovec){ (uint8_t *)addr[i] + s[i].first * SECTOR,
					 (size_t)(s[i].last - s[i].first + 1) * SECTOR };
	got = write ? pwritev(b->fd, iov, (int)n, (off_t)(sector * SECTOR))
		    : preadv(b->fd, iov, (int)n, (off_t)(sector * SECTOR));
	if (got != (ssize_t)bytes)
		io_error(d, write, sector, got < 0 ? errno : 0);
	if (whole)
		pm_hv_grant_unmap(pm_xb_hv(d), whole, n);
	return got == (ssize_t)bytes ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR;
}

static int discard(struct blk *b, uint64_t sector, uint64_t count)
{
	struct stat st;

	if (b->ro || sector > b->sectors || count > b->sectors - sector)
		return BLKIF_RSP_ERROR;
	if (!count)
		return BLKIF_RSP_OKAY;
	if (!fstat(b->fd, &st) && S_ISBLK(st.st_mode)) {
		uint64_t range[2] = { sector * SECTOR, count * SECTOR };

		return ioctl(b->fd, BLKDISCARD, range) ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
	}
	return fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(sector * SECTOR),
			 (off_t)(count * SECTOR)) ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
}

/* the segments of an indirect request, from its indirect pages */
static int indirect(struct pm_xb_dev *d, const uint8_t *q, struct seg *s, unsigned int *n, bool *write,
		    uint64_t *sector)
{
	struct blk *b = d->priv;
	uint16_t nseg;
	uint32_t refs[8];
	unsigned int pages;
	void *page[8], *whole;

	memcpy(&nseg, q + 2, 2);
	*write = q[1] == BLKIF_OP_WRITE;
	*sector = u64_at(q, b->abi->ind_sector);
	if ((q[1] != BLKIF_OP_READ && q[1] != BLKIF_OP_WRITE) || !nseg || nseg > MAX_INDIRECT_SEGS)
		return -EINVAL;
	pages = (nseg + SEGS_PER_PAGE - 1) / SEGS_PER_PAGE;
	memcpy(refs, q + b->abi->ind_grefs, pages * 4);
	/* the segment pages too are persistent grants where grants are (Linux's blkfront keeps them) */
	if (map_refs(d, refs, pages, false, page, &whole))
		return -EFAULT;
	for (unsigned int i = 0; i < nseg; i++) {
		struct blkif_request_segment e;

		memcpy(&e, (const uint8_t *)page[i / SEGS_PER_PAGE] + (i % SEGS_PER_PAGE) * sizeof(e), sizeof(e));
		s[i] = (struct seg){ e.gref, e.first_sect, e.last_sect };
	}
	if (whole)
		pm_hv_grant_unmap(pm_xb_hv(d), whole, pages);
	*n = nseg;
	return 0;
}

/* one request at @q; the answer at the next response slot */
static void serve(struct pm_xb_dev *d, const uint8_t *q)
{
	struct blk *b = d->priv;
	const struct abi *a = b->abi;
	struct seg s[MAX_SEGS];
	uint8_t *r = entry(b, b->rsp);
	uint64_t id = u64_at(q, q[0] == BLKIF_OP_INDIRECT ? a->ind_id : a->id);
	int16_t status = BLKIF_RSP_ERROR;
	uint8_t op = q[0];

	switch (op) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE: {
		unsigned int n = q[1];

		for (unsigned int i = 0; i < n && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
			const uint8_t *e = q + a->seg + 8 * i;

			memcpy(&s[i].ref, e, 4);
			s[i].first = e[4];
			s[i].last = e[5];
		}
		if (n <= BLKIF_MAX_SEGMENTS_PER_REQUEST)
			status = (int16_t)rw(d, op == BLKIF_OP_WRITE, u64_at(q, a->sector), s, n);
		break;
	}
	case BLKIF_OP_INDIRECT: {
		unsigned int n;
		uint64_t sector;
		bool write;

		if (!indirect(d, q, s, &n, &write, &sector))
			status = (int16_t)rw(d, write, sector, s, n);
		break;
	}
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		status = b->ro ? BLKIF_RSP_ERROR : fdatasync(b->fd) ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY;
		break;
	case BLKIF_OP_DISCARD:
		status = (int16_t)discard(b, u64_at(q, a->sector), u64_at(q, a->disc_sectors));
		break;
	default:
		status = BLKIF_RSP_EOPNOTSUPP;
	}
	memcpy(r, &id, 8);
	r[8] = op == BLKIF_OP_INDIRECT ? q[1] : op;   /* an indirect request is answered as the operation it carried (Linux checks) */
	memcpy(r + 10, &status, 2);
	b->rsp++;
}

#define PUSH_EVERY 8   /* responses pushed at least this often within a batch */

/* the responses made so far made visible; whether the frontend waits for one of them */
static bool push(struct blk *b)
{
	RING_IDX old = *ring_idx(b, 2), now = b->rsp;

	__atomic_store_n(ring_idx(b, 2), now, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (RING_IDX)(now - *ring_idx(b, 3)) < (RING_IDX)(now - old);
}

/*
 * how long the backend watches the ring for more requests once it served
 * what was there, before it asks the frontend for an event and sleeps (as
 * QEMU's iothreads poll, 32 us by default): a frontend answered refills
 * the ring within microseconds, and an event would cost it a hypercall
 * and us a wake-up, which at 32 requests in flight is most of the time a
 * request takes
 */
#define POLL_NS 50000

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* whether requests came within POLL_NS (the frontend not told to notify meanwhile) */
static bool poll_ring(struct blk *b)
{
	uint64_t end = mono_ns() + POLL_NS;

	do {
		for (int i = 0; i < 64; i++) {
			if (__atomic_load_n(ring_idx(b, 0), __ATOMIC_ACQUIRE) != b->cons)
				return true;
			relax();
		}
	} while (mono_ns() < end);
	return false;
}

static void blk_event(struct pm_xb_dev *d)
{
	struct blk *b = d->priv;
	bool notify = false;

	if (!b->ring)
		return;
	for (;;) {
		RING_IDX prod = __atomic_load_n(ring_idx(b, 0), __ATOMIC_ACQUIRE);

		/* more requests than the ring holds: a broken frontend, let go of (as Linux's blkback does) */
		if (prod - b->cons > b->nr_ents) {
			char why[96];

			snprintf(why, sizeof(why), "the frontend's producer index %u is past the ring (%u taken, %u slots)",
				 prod, b->cons, b->nr_ents);
			pm_xb_error(d, why);
			return;
		}
		while (b->cons != prod) {
			uint8_t q[128];

			memcpy(q, entry(b, b->cons), b->abi->req);   /* the guest may change it meanwhile */
			b->cons++;
			serve(d, q);
			/* a few answers out while the rest are served: the frontend
			 * refills its ring meanwhile (on another CPU) */
			if (b->rsp - *ring_idx(b, 2) >= PUSH_EVERY && b->cons != prod && push(b)) {
				pm_xb_notify(d);
				notify = false;
			}
		}
		/* push the responses; notify if the frontend waits for one of them */
		if (push(b))
			notify = true;
		if (notify) {
			pm_xb_notify(d);
			notify = false;
		}
		/* a while for the frontend's next requests before asking to be told */
		if (poll_ring(b))
			continue;
		/* ask for an event at the next request, then look once more */
		*ring_idx(b, 1) = b->cons + 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(ring_idx(b, 0), __ATOMIC_ACQUIRE) == b->cons)
			break;
	}
	if (notify)
		pm_xb_notify(d);
}

const struct pm_xb_ops pm_xen_blkback = {
	.type = "qdisk",
	.size = sizeof(struct blk),
	.init = blk_init,
	.connect = blk_connect,
	.disconnect = blk_disconnect,
	.event = blk_event,
	.free = blk_free,
};
