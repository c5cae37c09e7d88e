/*
 * tests/guests/common/xs.c - a minimal xenstore client on the guest's
 * ring (xen/include/public/io/xs_wire.h, docs/misc/xenstore-ring.txt)
 *
 * One request at a time: the request goes into req[], the event channel
 * tells the store, and replies are read from rsp[] until the one with our
 * req_id; watch events met on the way only set a flag. Waiting is
 * event_wait on the store's channel (SCHEDOP_poll, the pending bit cleared
 * after: on Xen a vCPU blocked without an upcall is kicked only when the
 * upcall flag rises).
 */
#include "guest.h"

#define RING_SIZE 1024
#define XS_READ 2
#define XS_WATCH 4
#define XS_WRITE 11
#define XS_WATCH_EVENT 15
#define XS_ERROR 16
#define EVTCHNOP_send 4

struct ring {
	char req[RING_SIZE];
	char rsp[RING_SIZE];
	u32 req_cons, req_prod;
	u32 rsp_cons, rsp_prod;
};

struct msg {
	u32 type, req_id, tx_id, len;
};

static volatile struct ring *ring;
static u32 port, next_id = 1;
int xs_watch_fired;

static void barrier(void)
{
	arch_mb();
}

static void notify(void)
{
	u32 p = port;

	hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, (ulong)&p, 0, 0, 0);
}

static void wait_event(void)
{
	event_wait(port);
}

int xs_init(void)
{
	struct xen_hvm_param p = { DOMID_SELF, HVM_PARAM_STORE_PFN, 0 };

	if (hypercall(HYPERVISOR_hvm_op, HVMOP_get_param, (ulong)&p, 0, 0, 0) || !p.value)
		return -1;
	ring = (volatile struct ring *)(ulong)(p.value << 12);
	p.index = HVM_PARAM_STORE_EVTCHN;
	if (hypercall(HYPERVISOR_hvm_op, HVMOP_get_param, (ulong)&p, 0, 0, 0) || !p.value)
		return -1;
	port = (u32)p.value;
	return 0;
}

static void put(const void *data, u32 len)
{
	const char *d = data;

	while (len) {
		u32 prod = ring->req_prod, space = RING_SIZE - (prod - ring->req_cons);

		if (!space) {
			notify();
			wait_event();
			continue;
		}
		while (space && len) {
			ring->req[prod & (RING_SIZE - 1)] = *d++;
			prod++;
			space--;
			len--;
		}
		barrier();
		ring->req_prod = prod;
	}
	notify();
}

/* len bytes of the reply stream, waiting for them */
static void get(void *data, u32 len)
{
	char *d = data;

	while (len) {
		u32 cons = ring->rsp_cons;

		if (cons == ring->rsp_prod) {
			wait_event();
			continue;
		}
		barrier();
		while (cons != ring->rsp_prod && len) {
			char c = ring->rsp[cons & (RING_SIZE - 1)];

			if (d)
				*d++ = c;
			cons++;
			len--;
		}
		barrier();
		ring->rsp_cons = cons;
		notify();
	}
}

/*
 * one request of type with its payload; the reply's payload in out (NUL
 * added, at most max - 1 bytes kept). returns: the reply's length, -1 for
 * an error reply
 */
static long request(u32 type, const char *a, u32 alen, const char *b, u32 blen, char *out, u32 max)
{
	struct msg m = { type, next_id++, 0, alen + blen };
	u32 keep;

	put(&m, sizeof(m));
	put(a, alen);
	if (blen)
		put(b, blen);
	for (;;) {
		struct msg r;

		get(&r, sizeof(r));
		if (r.type == XS_WATCH_EVENT) {
			get(0, r.len);
			xs_watch_fired = 1;
			continue;
		}
		keep = r.len < max ? r.len : max - 1;
		get(out, keep);
		get(0, r.len - keep);
		out[keep] = 0;
		return r.type == XS_ERROR ? -1 : (long)r.len;
	}
}

long xs_read(const char *path, char *out, u32 max)
{
	return request(XS_READ, path, (u32)strlen_(path) + 1, 0, 0, out, max);
}

int xs_write(const char *path, const char *value)
{
	char r[16];

	return request(XS_WRITE, path, (u32)strlen_(path) + 1, value, (u32)strlen_(value), r, sizeof(r)) < 0;
}

int xs_watch(const char *path, const char *token)
{
	char buf[128], r[16];
	u32 n = (u32)strlen_(path) + 1, m = (u32)strlen_(token) + 1;

	memcpy(buf, path, n);
	memcpy(buf + n, token, m);
	return request(XS_WATCH, buf, n + m, 0, 0, r, sizeof(r)) < 0;
}

void xs_wait_watch(void)
{
	while (!xs_watch_fired) {
		struct msg r;

		if (ring->rsp_cons == ring->rsp_prod) {
			wait_event();
			continue;
		}
		get(&r, sizeof(r));
		get(0, r.len);
		if (r.type == XS_WATCH_EVENT)
			xs_watch_fired = 1;
	}
	xs_watch_fired = 0;
}

int xs_poll(void)
{
	int fired;

	for (;;) {
		u32 cons = ring->rsp_cons, avail = ring->rsp_prod - cons;
		struct msg r;
		char *h = (char *)&r;

		if (avail < sizeof(r))
			break;
		barrier();
		for (u32 i = 0; i < sizeof(r); i++)
			h[i] = ring->rsp[(cons + i) & (RING_SIZE - 1)];
		if (avail < sizeof(r) + r.len)
			break;   /* the rest of it is on its way */
		get(&r, sizeof(r));
		get(0, r.len);
		if (r.type == XS_WATCH_EVENT)
			xs_watch_fired = 1;
	}
	fired = xs_watch_fired;
	xs_watch_fired = 0;
	return fired;
}

int xs_resumed(void)
{
	/* what the old store left unread is not ours to read (Linux's xb_init_comms) */
	if (xs_init())
		return -1;
	barrier();
	ring->rsp_cons = ring->rsp_prod;
	barrier();
	xs_watch_fired = 1;   /* a watch may have fired meanwhile: callers look again */
	return 0;
}
