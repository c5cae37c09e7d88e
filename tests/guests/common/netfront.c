/*
 * tests/guests/common/netfront.c - a network frontend (word "net=IP", or
 * "net=IP,PEER[,COUNT]" to ping a peer too): the split-driver handshake
 * for vif 0, its transmit and receive rings and eight receive buffers
 * granted to the backend (io/netif.h, receive by copy), then, for 30 s at
 * most, ARP answered for IP, ICMP echo requests answered, and with a PEER
 * echo requests sent to it (its MAC asked by ARP first), one at a time: the
 * next once the last is answered, or after a second without an answer,
 * until COUNT (3 if not given) were answered:
 *
 *   net: mac 00:16:3e:xx:xx:xx ip 10.0.0.2   what the toolstack gave it
 *   net: ping 10.0.0.3: 3 of 3 replies       replies, of echo requests sent
 *   net: answered N                           echo requests it answered
 *
 * It ends when it has COUNT replies and answered COUNT pings (or, without
 * a peer, answered three) and no frame came for 1.5 s (a peer whose answer
 * was lost asks again after a second), or 30 s are up (counted again from
 * a resume).
 * After the word control, a resume in a new domain (a restore, a
 * migration) is heard between frames: the frontend connects to its new
 * backend ("net: connected again after a resume") and goes on where it was.
 */
#include "guest.h"

#define EVTCHNOP_send 4
#define EVTCHNOP_alloc_unbound 6
#define GTF_permit_access 1
#define REF_TX_RING 20
#define REF_RX_RING 21
#define REF_TX_BUF 22
#define REF_RX_BUF 23            /* 23 .. 30 */
#define RX_BUFS 8

struct grant_entry_v1 {
	u16 flags, domid;
	u32 frame;
};

struct tx_req { u32 gref; u16 offset, flags, id, size; };
struct tx_rsp { u16 id; short status; };
struct rx_req { u16 id, pad; u32 gref; };
struct rx_rsp { u16 id, offset, flags; short status; };

struct tx_sring {
	volatile u32 req_prod, req_event, rsp_prod, rsp_event;
	u8 pad[48];
	union { struct tx_req req; struct tx_rsp rsp; } ring[256];
};

struct rx_sring {
	volatile u32 req_prod, req_event, rsp_prod, rsp_event;
	u8 pad[48];
	union { struct rx_req req; struct rx_rsp rsp; } ring[256];
};

static struct tx_sring txs __attribute__((aligned(4096)));
static struct rx_sring rxs __attribute__((aligned(4096)));
static u8 txbuf[4096] __attribute__((aligned(4096)));
static u8 rxbuf[RX_BUFS][4096] __attribute__((aligned(4096)));
static u32 port, tx_prod, tx_cons, rx_prod, rx_cons;
static u8 mac[6], peer_mac[6], bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static u32 my_ip, peer_ip;
static int have_peer, replies, answered;
static u64 next_ping;   /* when the next echo request may go */
static char be[96], be_state[128];   /* the backend's directory, its state node */

static void notify(void)
{
	u32 p = port;

	hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, (ulong)&p, 0, 0, 0);
}

/* "a.b.c.d" as a number (network order in the frame is done when written) */
static u32 parse_ip(const char *s)
{
	u32 ip = 0;

	for (int i = 0; i < 4; i++) {
		ip = ip << 8 | (u32)parse_num(s, &s);
		if (*s == '.')
			s++;
	}
	return ip;
}

static void put_ip(u32 ip)
{
	for (int i = 3; i >= 0; i--) {
		put_dec((ip >> (8 * i)) & 0xff);
		if (i)
			puts_(".");
	}
}

static int hexval(char c)
{
	return c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0';
}

static u16 sum16(const u8 *p, ulong n)
{
	u32 s = 0;

	for (ulong i = 0; i + 1 < n; i += 2)
		s += (u32)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (u32)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (u16)~s;
}

static void put16(u8 *p, u16 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }
static void put32(u8 *p, u32 v) { put16(p, (u16)(v >> 16)); put16(p + 2, (u16)v); }
static u16 get16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static u32 get32(const u8 *p) { return (u32)get16(p) << 16 | get16(p + 2); }

/* one transmit request as given, waited out: its response's status */
static long tx_status(u32 gref, u16 offset, u16 flags, u16 size)
{
	long st;

	txs.ring[tx_prod % 256].req = (struct tx_req){ gref, offset, flags, (u16)tx_prod, size };
	tx_prod++;
	arch_mb();
	txs.req_prod = tx_prod;
	arch_mb();
	notify();
	while (txs.rsp_prod == tx_cons)
		hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	arch_mb();
	st = txs.ring[tx_cons % 256].rsp.status;
	tx_cons = txs.rsp_prod;
	txs.rsp_event = tx_cons + 1;
	return st;
}

/* one frame of @len bytes from txbuf, waited out */
static void send(ulong len)
{
	(void)tx_status(REF_TX_BUF, 0, 0, (u16)len);
}

static u8 *eth(const u8 *dst, u16 type)
{
	memcpy(txbuf, dst, 6);
	memcpy(txbuf + 6, mac, 6);
	put16(txbuf + 12, type);
	return txbuf + 14;
}

static void arp(u16 op, const u8 *to_mac, u32 to_ip)
{
	u8 *a = eth(op == 1 ? bcast : to_mac, 0x0806);

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, mac, 6);
	put32(a + 14, my_ip);
	memcpy(a + 18, op == 1 ? (const u8 *)"\0\0\0\0\0\0" : to_mac, 6);
	put32(a + 24, to_ip);
	send(14 + 28);
}

/* an ICMP echo (type 8) or echo reply (0) with @id, @seq and 32 bytes of @data */
static void icmp(u8 type, const u8 *to_mac, u32 to_ip, u16 id, u16 seq, const u8 *data)
{
	u8 *ip = eth(to_mac, 0x0800), *ic = ip + 20;

	memset(ip, 0, 20 + 8 + 32);
	ip[0] = 0x45;
	put16(ip + 2, 20 + 8 + 32);
	ip[8] = 64;
	ip[9] = 1;
	put32(ip + 12, my_ip);
	put32(ip + 16, to_ip);
	put16(ip + 10, sum16(ip, 20));
	ic[0] = type;
	put16(ic + 4, id);
	put16(ic + 6, seq);
	memcpy(ic + 8, data, 32);
	put16(ic + 2, sum16(ic, 8 + 32));
	send(14 + 20 + 8 + 32);
}

static void post_rx(u16 i)
{
	rxs.ring[rx_prod % 256].req = (struct rx_req){ i, 0, REF_RX_BUF + i };
	rx_prod++;
}

/* a received frame */
static void frame(const u8 *f, ulong len)
{
	if (len >= 14 + 28 && get16(f + 12) == 0x0806 && get32(f + 14 + 24) == my_ip) {
		if (get16(f + 14 + 6) == 1) {
			arp(2, f + 14 + 8, get32(f + 14 + 14));   /* who has my IP: I */
		} else if (get16(f + 14 + 6) == 2 && get32(f + 14 + 14) == peer_ip) {
			memcpy(peer_mac, f + 14 + 8, 6);
			have_peer = 1;
		}
	} else if (len >= 14 + 20 + 8 + 32 && get16(f + 12) == 0x0800 && f[14 + 9] == 1 &&
		   get32(f + 14 + 16) == my_ip && !sum16(f + 14, 20) && !sum16(f + 14 + 20, len - 14 - 20)) {
		const u8 *ic = f + 14 + 20;

		if (ic[0] == 8) {
			icmp(0, f + 6, get32(f + 14 + 12), get16(ic + 4), get16(ic + 6), ic + 8);
			answered++;
		} else if (ic[0] == 0 && get32(f + 14 + 12) == peer_ip && get16(ic + 4) == 0x504d) {
			replies++;
			next_ping = arch_counter() + arch_counter_hz() / 20;   /* answered: the next soon */
		}
	}
}

/* the handshake for vif 0. returns: 0; -1 (said why) */
static int connect(void)
{
	volatile struct grant_entry_v1 *g = grant_table();
	struct { u16 dom, remote; u32 port; } au = { DOMID_SELF, 0, 0 };
	char *p = be_state, m[24];
	long st;

	if (xs_init() || xs_read("device/vif/0/backend", be, sizeof(be)) < 0 ||
	    xs_read("device/vif/0/mac", m, sizeof(m)) < 17) {
		puts_("net: none\n");
		return -1;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (u8)(hexval(m[3 * i]) << 4 | hexval(m[3 * i + 1]));
	memcpy(p, be, strlen_(be));
	memcpy(p + strlen_(be), "/state", 7);
	xs_watch(p, "be");
	for (;;) {
		char v[8];

		st = xs_read(p, v, sizeof(v)) > 0 ? v[0] - '0' : 0;
		if (st >= 2)
			break;
		xs_wait_watch();
	}
	if (!g || hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (ulong)&au, 0, 0, 0)) {
		puts_("net: no grant table or channel\n");
		return -1;
	}
	port = au.port;
	tx_prod = tx_cons = rx_prod = rx_cons = 0;
	memset(&txs, 0, sizeof(txs));
	memset(&rxs, 0, sizeof(rxs));
	txs.req_event = txs.rsp_event = rxs.req_event = rxs.rsp_event = 1;
	g[REF_TX_RING] = (struct grant_entry_v1){ 0, 0, (u32)((ulong)&txs >> 12) };
	g[REF_RX_RING] = (struct grant_entry_v1){ 0, 0, (u32)((ulong)&rxs >> 12) };
	g[REF_TX_BUF] = (struct grant_entry_v1){ 0, 0, (u32)((ulong)txbuf >> 12) };
	for (int i = 0; i < RX_BUFS; i++)
		g[REF_RX_BUF + i] = (struct grant_entry_v1){ 0, 0, (u32)((ulong)rxbuf[i] >> 12) };
	arch_mb();
	for (int r = REF_TX_RING; r < REF_RX_BUF + RX_BUFS; r++)
		g[r].flags = GTF_permit_access;
	for (u16 i = 0; i < RX_BUFS; i++)
		post_rx(i);
	rxs.req_prod = rx_prod;
	xs_write("device/vif/0/tx-ring-ref", "20");
	xs_write("device/vif/0/rx-ring-ref", "21");
	{
		char e[12];
		int n = 11;
		u32 v = port;

		e[n] = 0;
		do {
			e[--n] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		xs_write("device/vif/0/event-channel", e + n);
	}
	xs_write("device/vif/0/request-rx-copy", "1");
	xs_write("device/vif/0/feature-rx-notify", "1");
	xs_write("device/vif/0/state", "4");
	for (;;) {
		char v[8];

		st = xs_read(p, v, sizeof(v)) > 0 ? v[0] - '0' : 0;
		if (st >= 4)
			break;
		xs_wait_watch();
	}
	return st == 4 ? 0 : -1;
}

/* the frames received, taken (each handled, its buffer posted again); whether there were any */
static int rx_poll(void)
{
	int any = 0;

	while (rxs.rsp_prod != rx_cons) {
		struct rx_rsp r;

		arch_mb();
		r = rxs.ring[rx_cons % 256].rsp;
		rx_cons++;
		if (r.status > 0 && r.id < RX_BUFS)
			frame(rxbuf[r.id] + r.offset, (ulong)r.status);
		if (r.id < RX_BUFS)
			post_rx(r.id);
		any = 1;
	}
	if (any) {
		arch_mb();
		rxs.req_prod = rx_prod;
		rxs.rsp_event = rx_cons + 1;
		notify();
	}
	return any;
}

static void put_byte(u8 b)
{
	char s[3] = { "0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15], 0 };

	puts_(s);
}

void netfront_run(const char *arg)
{
	const char *ping = arg;
	static const u8 payload[32] = "physmap netfront echo payload..";
	u64 hz = arch_counter_hz(), t0 = arch_counter(), last_frame = t0;
	int sent = 0, count = 3, resumes = control_resumes();

	while (*ping && *ping != ',' && *ping != ' ')
		ping++;
	my_ip = parse_ip(arg);
	peer_ip = *ping == ',' ? parse_ip(ping + 1) : 0;
	if (peer_ip) {
		const char *c = ping + 1;

		while (*c && *c != ',' && *c != ' ')
			c++;
		if (*c == ',')
			count = (int)parse_num(c + 1, &c);
	}
	if (connect())
		return;
	puts_("net: mac ");
	for (int i = 0; i < 6; i++) {
		put_byte(mac[i]);
		puts_(i < 5 ? ":" : "");
	}
	puts_(" ip ");
	put_ip(my_ip);
	puts_("\n");
	next_ping = t0;
	while (arch_counter() - t0 < 30 * hz) {
		int any = 0;

		/* a suspend asked, and the resume after it: a new backend to connect to */
		if (control_ready() && xs_poll()) {
			control_poll();
			if (control_resumes() != resumes) {
				resumes = control_resumes();
				if (connect())
					return;
				puts_("net: connected again after a resume\n");
				t0 = arch_counter();   /* 30 s more: the suspend took what it took */
			}
		}
		any = rx_poll();
		if (peer_ip && replies < count && arch_counter() >= next_ping) {
			if (!have_peer) {
				arp(1, bcast, peer_ip);
				next_ping = arch_counter() + hz / 5;
			} else {
				icmp(8, peer_mac, peer_ip, 0x504d, (u16)++sent, payload);
				next_ping = arch_counter() + hz;   /* unanswered, another after a second */
			}
		}
		if (any)
			last_frame = arch_counter();
		/* done, and the peer quiet for longer than it waits to ask again: an
		 * answer of ours it never got (lost in its suspend) is asked again */
		if ((peer_ip ? replies >= count && answered >= count : answered >= 3) &&
		    arch_counter() - last_frame > hz * 3 / 2)
			break;
		if (!any)
			hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	}
	if (peer_ip) {
		puts_("net: ping ");
		put_ip(peer_ip);
		puts_(": ");
		put_dec((u64)replies);
		puts_(" of ");
		put_dec((u64)sent);
		puts_(" replies\n");
	}
	say_num("net: answered ", "", answered);
}

/*
 * word "netbad=IP,PEER": transmit requests that are not ones, each
 * answered with an error, then a good frame (PEER's MAC asked by ARP, its
 * answer heard), then a transmit producer index 1000 past the ring, for
 * which the backend lets the device go (Closed)
 */
void netfront_bad(const char *arg)
{
	const char *c = arg;
	u64 hz = arch_counter_hz(), t0;

	while (*c && *c != ',' && *c != ' ')
		c++;
	my_ip = parse_ip(arg);
	peer_ip = *c == ',' ? parse_ip(c + 1) : 0;
	if (connect())
		return;
	say_num("net: ", "bad: a grant it does not have ", tx_status(4000, 0, 0, 60));
	say_num("net: ", "bad: a frame past its page ", tx_status(REF_TX_BUF, 4000, 0, 200));
	say_num("net: ", "bad: an empty frame ", tx_status(REF_TX_BUF, 0, 0, 0));
	say_num("net: ", "bad: a frame of 2000 bytes ", tx_status(REF_TX_BUF, 0, 0, 2000));
	say_num("net: ", "bad: more data, not offered ", tx_status(REF_TX_BUF, 0, 1 << 2, 60));   /* NETTXF_more_data */
	arp(1, bcast, peer_ip);
	for (t0 = arch_counter(); !have_peer && arch_counter() - t0 < 5 * hz;)
		if (!rx_poll())
			hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	say_num("net: ", "bad: a good frame after them, answered ", have_peer);
	/* the transmit producer 1000 past what it took */
	tx_prod += 1000;
	arch_mb();
	txs.req_prod = tx_prod;
	arch_mb();
	notify();
	for (;;) {
		char v[8];
		long st = xs_read(be_state, v, sizeof(v)) > 0 ? v[0] - '0' : 0;

		if (st == 6) {
			say_num("net: ", "bad: past the ring, the backend's state ", st);
			break;
		}
		xs_wait_watch();
	}
}
