/*
 * tests/guests/common/blkfront.c - a block frontend (word "disk"): the
 * split-driver handshake in the store for disk 51712 (xvda), one ring
 * page and one data page granted to its backend, a channel for it, then
 * requests of xen/include/public/io/blkif.h in this port's ABI:
 *
 *   disk: sectors N info I            what the backend offers
 *   disk: read 0-7 crc32 0x...        the first 4 KiB, its CRC-32 (zlib's)
 *   disk: read 0-7 failed -1          (or its error response's status)
 *   disk: wrote 8-15, read back same  a pattern written and read again
 *   disk: flush 0                     BLKIF_OP_FLUSH_DISKCACHE's status
 *   disk: past the end -1             a read beyond the disk: BLKIF_RSP_ERROR
 *   disk: done                        the frontend Closed
 *
 * Each step waits for its response on the channel (SCHEDOP_poll).
 */
#include "guest.h"

#define EVTCHNOP_send 4
#define EVTCHNOP_alloc_unbound 6
#define GTF_permit_access 1
#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
#define BLKIF_OP_FLUSH_DISKCACHE 3
#define DEVID "51712"
#define REF_RING 10
#define REF_DATA 11

struct grant_entry_v1 {
	u16 flags, domid;
	u32 frame;
};

struct segment {
	u32 gref;
	u8 first_sect, last_sect, pad[2];
};

/* struct blkif_request in this port's ABI (x86_32 packs the 64-bit fields at 4 bytes) */
struct request {
	u8 operation, nr_segments;
	u16 handle;
#ifdef __i386__
	u32 id_lo, id_hi, sector_lo, sector_hi;
#else
	u64 id, sector;
#endif
	struct segment seg[11];
};

struct response {
	u32 id_lo, id_hi;
	u8 operation, pad;
	short status;
#ifndef __i386__
	u32 pad2;
#endif
};

union entry {
	struct request req;
	struct response rsp;
};

struct sring {
	volatile u32 req_prod, req_event, rsp_prod, rsp_event;
	u8 pad[48];
	union entry ring[32];
};

static struct sring ring_page __attribute__((aligned(4096)));
static u8 data[4096] __attribute__((aligned(4096)));
static u32 port;
static u32 req_prod_pvt, rsp_cons;
static char be[96];

static void say(const char *what, long v)
{
	say_num("disk: ", what, v);
}

static u32 crc32(const u8 *p, ulong n)
{
	u32 c = 0xffffffffu;

	for (ulong i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

/* the backend's key @key as a number; -1 when absent */
static long be_num(const char *key)
{
	char p[128], v[32];
	long n = 0;
	ulong l = strlen_(be);

	memcpy(p, be, l);
	p[l] = '/';
	memcpy(p + l + 1, key, strlen_(key) + 1);
	if (xs_read(p, v, sizeof(v)) < 0)
		return -1;
	for (const char *c = v; *c >= '0' && *c <= '9'; c++)
		n = n * 10 + (*c - '0');
	return n;
}

/* until the backend's state is at least @want (the watch on it wakes us) */
static void wait_backend(long want)
{
	while (be_num("state") < want)
		xs_wait_watch();
}

static void fe_write(const char *key, u64 v)
{
	char p[64] = "device/vbd/" DEVID "/", s[24];
	int i = 23;
	ulong l = strlen_(p);

	memcpy(p + l, key, strlen_(key) + 1);
	s[i] = 0;
	do {
		s[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	xs_write(p, s + i);
}

/* post @r (its id the next one unless @same_id) without waiting */
static void post(const struct request *r, int same_id)
{
	struct request *q = &ring_page.ring[req_prod_pvt % 32].req;
	u32 p = port;

	*q = *r;
	if (!same_id) {
#ifdef __i386__
		q->id_lo = req_prod_pvt;
#else
		q->id = req_prod_pvt;
#endif
	}
	req_prod_pvt++;
	arch_mb();
	ring_page.req_prod = req_prod_pvt;
	arch_mb();
	hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, (ulong)&p, 0, 0, 0);
}

/* the next response's status, waited for */
static long answer(void)
{
	long status;

	while (ring_page.rsp_prod == rsp_cons)
		event_wait(port);
	arch_mb();
	status = ring_page.ring[rsp_cons % 32].rsp.status;
	rsp_cons++;
	ring_page.rsp_event = rsp_cons + 1;
	return status;
}

/* a request of one segment: sectors @first..@last of the data page (grant @ref) at @sector */
static struct request one(u8 op, u64 sector, u32 ref, u8 first, u8 last)
{
	struct request r;

	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.nr_segments = op == BLKIF_OP_FLUSH_DISKCACHE ? 0 : 1;
	r.handle = 51712;
#ifdef __i386__
	r.sector_lo = (u32)sector;
	r.sector_hi = (u32)(sector >> 32);
#else
	r.sector = sector;
#endif
	r.seg[0] = (struct segment){ ref, first, last, { 0, 0 } };
	return r;
}

/* one request of one segment (sectors @first..@last of the data page) at @sector; its status */
static long submit(u8 op, u64 sector, u8 first, u8 last)
{
	struct request r = one(op, sector, REF_DATA, first, last);

	post(&r, 0);
	return answer();
}

/* the handshake for xvda: its backend connected to our ring and channel. returns: 0; -1 (said why) */
static int connect(int persistent)
{
	volatile struct grant_entry_v1 *g = grant_table();
	struct { u16 dom, remote; u32 port; } au = { DOMID_SELF, 0, 0 };
	char p[64];
	long backend_id;

	if (xs_init() || xs_read("device/vbd/" DEVID "/backend", be, sizeof(be)) < 0) {
		puts_("disk: none\n");
		return -1;
	}
	xs_read("device/vbd/" DEVID "/backend-id", p, sizeof(p));
	backend_id = p[0] - '0';
	memcpy(p, be, strlen_(be));
	memcpy(p + strlen_(be), "/state", 7);
	xs_watch(p, "be");
	if (be_num("state") == 6) {
		/* Closed: our earlier connection's end; a frontend starting again says
		 * Initialising, and the backend offers the device again (InitWait) */
		fe_write("state", 1);
		while (be_num("state") != 2)
			xs_wait_watch();
	}
	wait_backend(2);   /* InitWait: it said what it offers */
	say("sectors ", be_num("sectors"));
	if (!g) {
		puts_("disk: no grant table\n");
		return -1;
	}
	au.remote = (u16)backend_id;
	if (hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (ulong)&au, 0, 0, 0)) {
		puts_("disk: no event channel\n");
		return -1;
	}
	port = au.port;
	req_prod_pvt = rsp_cons = 0;
	memset(&ring_page, 0, sizeof(ring_page));
	ring_page.req_event = ring_page.rsp_event = 1;
	g[REF_RING] = (struct grant_entry_v1){ 0, (u16)backend_id, (u32)((ulong)&ring_page >> 12) };
	g[REF_DATA] = (struct grant_entry_v1){ 0, (u16)backend_id, (u32)((ulong)data >> 12) };
	arch_mb();
	g[REF_RING].flags = GTF_permit_access;
	g[REF_DATA].flags = GTF_permit_access;
	fe_write("ring-ref", REF_RING);
	fe_write("event-channel", port);
#ifdef __i386__
	xs_write("device/vbd/" DEVID "/protocol", "x86_32-abi");
#elif defined(__x86_64__)
	xs_write("device/vbd/" DEVID "/protocol", "x86_64-abi");
#else
	xs_write("device/vbd/" DEVID "/protocol", "arm-abi");
#endif
	if (persistent)
		fe_write("feature-persistent", 1);
	fe_write("state", 3);   /* Initialised */
	wait_backend(4);
	fe_write("state", 4);   /* Connected */
	say("info ", be_num("info"));
	return 0;
}

void blkfront_run(void)
{
	long n, rc;
	u32 crc;

	if (connect(0))
		return;

	rc = submit(BLKIF_OP_READ, 0, 0, 7);
	crc = crc32(data, sizeof(data));
	if (rc) {
		say("read 0-7 failed ", rc);
	} else {
		puts_("disk: read 0-7 crc32 ");
		put_hex(crc);
		puts_("\n");
	}
	for (ulong i = 0; i < sizeof(data); i++)
		data[i] = (u8)("physmap disk test "[i % 18] + (i / 512));
	crc = crc32(data, sizeof(data));
	rc = submit(BLKIF_OP_WRITE, 8, 0, 7);
	memset(data, 0, sizeof(data));
	if (!rc)
		rc = submit(BLKIF_OP_READ, 8, 0, 7);
	puts_(!rc && crc32(data, sizeof(data)) == crc ? "disk: wrote 8-15, read back same\n"
						      : "disk: wrote 8-15, read back different\n");
	say("flush ", submit(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0));
	n = be_num("sectors");
	say("past the end ", submit(BLKIF_OP_READ, (u64)n, 0, 7));
	fe_write("state", 6);   /* Closed */
	wait_backend(6);
	puts_("disk: done\n");
}

/* record @k as disklog writes it to sector k: "DISKLOG:", k (64-bit, little-endian), then bytes of k */
static void record(u8 *p, u64 k)
{
	memcpy(p, "DISKLOG:", 8);
	for (int i = 0; i < 8; i++)
		p[8 + i] = (u8)(k >> (8 * i));
	for (int i = 16; i < 512; i++)
		p[i] = (u8)(k * 7 + (u64)i * 13 + (k >> 8));
}

/* the records of sectors @base..@base + 7 (@count of them written, the rest zero); the first wrong one or -1 */
static long check_page(u64 base, u64 count)
{
	u8 want[512];

	for (u64 i = 0; i < 8; i++) {
		if (base + i < count)
			record(want, base + i);
		else
			memset(want, 0, sizeof(want));
		for (int j = 0; j < 512; j++)
			if (data[i * 512 + (u64)j] != want[j])
				return (long)(base + i);
	}
	return -1;
}

/*
 * the store between posting and the answer: a suspend may come. In a
 * new domain the ring, grants and channel are new: connect again and post
 * @r once more (its answer from the old backend, if it gave one, is lost
 * with the old ring; writing the same record twice to its sector is
 * harmless). returns: how many times it was posted again
 */
static int between(const struct request *r, int *resumes)
{
	if (!xs_poll())
		return 0;
	control_poll();
	if (control_resumes() == *resumes)
		return 0;
	*resumes = control_resumes();
	if (connect(0)) {
		puts_("disklog: no disk after the resume\n");
		shutdown(SHUTDOWN_crash);
	}
	post(r, 0);
	return 1;
}

void blkfront_log(u64 secs)
{
	u64 k, n, end = arch_counter() + secs * arch_counter_hz(), reposted = 0;
	int resumes;
	long rc = 0, bad = -1;

	if (!control_ready()) {
		puts_("disklog: needs the word control first\n");
		return;
	}
	if (connect(0))
		return;
	resumes = control_resumes();
	n = (u64)be_num("sectors");
	for (k = 0; k < n && arch_counter() < end; k++) {
		struct request r = one(BLKIF_OP_WRITE, k, REF_DATA, 0, 0);

		record(data, k);
		post(&r, 0);
		reposted += (u64)between(&r, &resumes);
		rc = answer();
		if (rc) {
			say("log: write failed at record ", (long)k);
			break;
		}
	}
	say("log: records ", (long)k);
	say("log: posted again after a resume ", (long)reposted);
	say("log: resumes ", control_resumes());
	for (u64 base = 0; bad < 0 && !rc && base < k + 8 && base + 8 <= n; base += 8) {   /* not past the disk's end */
		memset(data, 0x5a, sizeof(data));
		rc = submit(BLKIF_OP_READ, base, 0, 7);
		bad = rc ? (long)base : check_page(base, k);
	}
	if (rc)
		puts_("disklog: stopped by an I/O error\n");
	else if (bad >= 0)
		say_num("disklog: ", "wrong or missing record ", bad);
	else
		puts_("disklog: every record read back once, in its place\n");
	fe_write("state", 6);   /* Closed */
	wait_backend(6);
}

/* ---- diskbench: sequential passes, 32 requests in flight ---- */

#define BLKIF_OP_INDIRECT 6
#define BENCH_SLOTS 32
#define BENCH_PAGES 16                          /* 64 KiB a request at most */
#define REF_BENCH 16                            /* slot s's page p: REF_BENCH + s * BENCH_PAGES + p */
#define REF_INDIRECT (REF_BENCH + BENCH_SLOTS * BENCH_PAGES)   /* slot s's segment page */

/* struct blkif_request_indirect in this port's ABI */
struct request_indirect {
	u8 operation, indirect_op;
	u16 nr_segments;
#ifdef __i386__
	u32 id_lo, id_hi, sector_lo, sector_hi;
#else
	u32 pad1;
	u64 id, sector;
#endif
	u16 handle, pad2;
	u32 indirect_grefs[8];
};

/*
 * the slots' pages, and a page of segments each, in the RAM just past the
 * image (2 MiB and more in .bss would be cleared at every boot, which
 * costs Unicorn's vCPUs a second under the sanitizers)
 */
typedef u8 bench_slot[BENCH_PAGES * 4096];
typedef struct segment bench_seg_page[512];
#define bench_buf ((bench_slot *)(((ulong)_end + 4095) & ~4095ul))
#define bench_segs ((bench_seg_page *)((u8 *)bench_buf + BENCH_SLOTS * sizeof(bench_slot)))

/*
 * slot @slot's request of @pages pages at @sector into the ring, not yet
 * pushed, in as few stores as the fields allow: each guest store costs a
 * Unicorn vCPU its slow path (Unicorn 2.0.1 never marks a page dirty, so
 * every store invalidates translated code), which would be most of what
 * a request costs. A slot's segments never change: bench_segs_fill wrote
 * them once.
 */
static void bench_queue(u8 op, u32 slot, u32 pages, u64 sector)
{
	union entry *e = &ring_page.ring[req_prod_pvt % 32];

	if (pages == 1) {
		struct request *r = &e->req;

		u32 head = (u32)op | 1u << 8 | 51712u << 16;   /* operation, nr_segments, handle */

		__builtin_memcpy(r, &head, 4);
#ifdef __i386__
		r->id_lo = slot;
		r->id_hi = 0;
		r->sector_lo = (u32)sector;
		r->sector_hi = (u32)(sector >> 32);
#else
		r->id = slot;
		r->sector = sector;
#endif
		r->seg[0] = bench_segs[slot][0];
	} else {
		struct request_indirect *q = (struct request_indirect *)e;

		u32 head = BLKIF_OP_INDIRECT | (u32)op << 8 | pages << 16, handle = 51712;   /* and nr_segments; pad2 */

		__builtin_memcpy(q, &head, 4);
#ifdef __i386__
		q->id_lo = slot;
		q->id_hi = 0;
		q->sector_lo = (u32)sector;
		q->sector_hi = (u32)(sector >> 32);
#else
		q->id = slot;
		q->sector = sector;
#endif
		__builtin_memcpy(&q->handle, &handle, 4);
		q->indirect_grefs[0] = REF_INDIRECT + slot;
	}
	req_prod_pvt++;
}

/* every slot's segments, once: its pages in order, whole */
static void bench_segs_fill(void)
{
	for (u32 slot = 0; slot < BENCH_SLOTS; slot++)
		for (u32 p = 0; p < BENCH_PAGES; p++)
			bench_segs[slot][p] = (struct segment){ REF_BENCH + slot * BENCH_PAGES + p, 0, 7, { 0, 0 } };
}

/* the queued requests made visible; the backend told if it asked to be (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY) */
static void bench_push(void)
{
	u32 old = ring_page.req_prod, p = port;

	arch_mb();
	ring_page.req_prod = req_prod_pvt;
	arch_mb();
	if ((u32)(req_prod_pvt - ring_page.req_event) < (u32)(req_prod_pvt - old))
		hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, (ulong)&p, 0, 0, 0);
}

/* one pass of @total_pages pages in requests of @pages; the time in counter ticks, or 0 if a request failed */
static u64 bench_pass(u8 op, u32 pages, u32 total_pages)
{
	u32 reqs = total_pages / pages, posted = 0, done = 0;
	u64 t0 = arch_counter();

	while (posted < reqs && posted < BENCH_SLOTS) {
		bench_queue(op, posted, pages, (u64)posted * pages * 8);
		posted++;
	}
	bench_push();
	while (done < reqs) {
		while (ring_page.rsp_prod == rsp_cons) {
			ring_page.rsp_event = rsp_cons + 1;
			arch_mb();
			if (ring_page.rsp_prod != rsp_cons)
				break;
			event_wait(port);
		}
		arch_mb();
		while (rsp_cons != ring_page.rsp_prod) {
			struct response *r = &ring_page.ring[rsp_cons % 32].rsp;

			if (r->status)
				return 0;
			rsp_cons++;
			done++;
			if (posted < reqs) {
				bench_queue(op, r->id_lo, pages, (u64)posted * pages * 8);
				posted++;
			}
		}
		bench_push();
	}
	return arch_counter() - t0;
}

static void bench_say(const char *what, u32 kib, u32 reqs, u64 ticks)
{
	puts_("diskbench: ");
	puts_(what);
	puts_(" ");
	put_dec(kib);
	puts_(" KiB: ");
	put_dec(reqs);
	puts_(" requests in ");
	put_dec(ticks * 1000000000ull / arch_counter_hz());
	puts_(" ns\n");
}

void blkfront_bench(u32 kib, u32 mib, u32 rounds)
{
	u32 pages = kib / 4, total = mib * 256;
	volatile struct grant_entry_v1 *g;
	u64 t;

	if (!pages || pages > BENCH_PAGES || kib % 4 || !total || total % pages) {
		puts_("diskbench: KIB a multiple of 4 up to 64, MIB whole requests\n");
		return;
	}
	g = grant_entries(REF_INDIRECT + BENCH_SLOTS);
	if (!g) {
		puts_("diskbench: no grant table of that size\n");
		return;
	}
	if (connect(1))
		return;
	if ((u64)total * 8 > (u64)be_num("sectors")) {
		puts_("diskbench: the disk is smaller than that\n");
		return;
	}
	/* every page granted once, kept granted: the backend keeps them mapped (persistent grants) */
	for (u32 s = 0; s < BENCH_SLOTS; s++) {
		for (u32 p = 0; p < BENCH_PAGES; p++)
			g[REF_BENCH + s * BENCH_PAGES + p] =
				(struct grant_entry_v1){ GTF_permit_access, 0, (u32)((ulong)&bench_buf[s][p * 4096] >> 12) };
		g[REF_INDIRECT + s] = (struct grant_entry_v1){ GTF_permit_access, 0, (u32)((ulong)bench_segs[s] >> 12) };
	}
	bench_segs_fill();
	arch_mb();
	/* untimed: one request a slot, so that the backend has mapped every grant it keeps */
	if (!bench_pass(BLKIF_OP_READ, pages, BENCH_SLOTS * pages)) {
		puts_("diskbench: a request failed\n");
		return;
	}
	for (t = 1; rounds-- && t;) {
		t = bench_pass(BLKIF_OP_READ, pages, total);
		if (t)
			bench_say("read", kib, total / pages, t);
		t = t ? bench_pass(BLKIF_OP_WRITE, pages, total) : 0;
		if (t)
			bench_say("write", kib, total / pages, t);
		else
			puts_("diskbench: a request failed\n");
	}
	fe_write("state", 6);   /* Closed */
	wait_backend(6);
}

/*
 * word "diskbad": requests that are not ones, each answered with an
 * error, then a good one still served, then a producer index past the
 * ring, for which the backend lets the device go (Closed)
 */
void blkfront_bad(void)
{
	struct request r;

	if (connect(0))
		return;
	r = one(BLKIF_OP_READ, 0, 4000, 0, 7);
	post(&r, 0);
	say("bad: a grant it does not have ", answer());
	r = one(BLKIF_OP_READ, 0, REF_DATA, 5, 2);
	post(&r, 0);
	say("bad: first sector after the last ", answer());
	r = one(BLKIF_OP_READ, 0, REF_DATA, 0, 8);
	post(&r, 0);
	say("bad: a sector past its page ", answer());
	r = one(BLKIF_OP_READ, 0, REF_DATA, 0, 7);
	r.nr_segments = 12;
	post(&r, 0);
	say("bad: 12 segments ", answer());
	r = one(99, 0, REF_DATA, 0, 7);
	post(&r, 0);
	say("bad: operation 99 ", answer());
	r = one(BLKIF_OP_READ, 0, REF_DATA, 0, 7);
	post(&r, 0);
	post(&r, 1);
	say("bad: one id twice ", answer() + answer());
	say("bad: a good read after them ", submit(BLKIF_OP_READ, 0, 0, 7));
	/* the producer 1000 past what it took */
	req_prod_pvt += 1000;
	arch_mb();
	ring_page.req_prod = req_prod_pvt;
	arch_mb();
	{
		u32 p = port;

		hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, (ulong)&p, 0, 0, 0);
	}
	wait_backend(6);
	say("bad: past the ring, the backend's state ", be_num("state"));
}
