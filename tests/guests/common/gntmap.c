/*
 * tests/guests/common/gntmap.c - a backend in a guest (a driver domain):
 * another domain's grants mapped into its own physical map and copied
 * with GNTTABOP_map_grant_ref, unmap_grant_ref and copy (word
 * "gntmap=DOM", DOM running "share=" with this domain's id, common/gnttab.c)
 *
 * As Linux's backends in an HVM domain do, each map goes over a page of
 * its own given back first (Linux takes ballooned pages for it): DOM's
 * entry 8 (page A, writable) there, read, and answered in place; entry 9
 * (page B, read-only) mapped read-only and copied out; bytes copied into
 * A at 1024 from a page of its own. Each bad argument gets Xen's status.
 * It holds both maps until the store's data/unmap appears (the toolstack
 * reads its P2M meanwhile), then unmaps them. With "gntmap=DOM,rowrite"
 * it writes to the read-only map once A is answered: Xen gives it a
 * fault, the simulator crashes it, and the page stays as DOM wrote it.
 * A "share" without a domain waits for its peer's id in data/peer.
 */
#include "guest.h"

#define HYPERVISOR_grant_table_op 20
#define GNTTABOP_map_grant_ref 0
#define GNTTABOP_unmap_grant_ref 1
#define GNTTABOP_copy 5
#define GNTMAP_device_map 1
#define GNTMAP_host_map 2
#define GNTMAP_readonly 4
#define GNTCOPY_source_gref 1
#define GNTCOPY_dest_gref 2

struct gnttab_map_grant_ref {
	u64 host_addr;
	u32 flags, ref;
	u16 dom;
	short status;
	u32 handle;
	u64 dev_bus_addr;
};

struct gnttab_unmap_grant_ref {
	u64 host_addr, dev_bus_addr;
	u32 handle;
	short status;
};

/* struct gnttab_copy: xen_pfn_t is this port's word */
struct gnttab_copy {
	struct {
		ulong u;   /* a grant ref, or a frame of its own */
		u16 domid, offset;
	} source, dest;
	u16 len, flags;
	short status;
};

/* the pages the maps go over (given back first), and one of its own to copy with */
static u8 map_a[4096] __attribute__((aligned(4096)));
static u8 map_b[4096] __attribute__((aligned(4096)));
static u8 own[4096] __attribute__((aligned(4096)));

static void say(const char *what, long v)
{
	say_num("gntmap: ", what, v);
}

static void say_str(const char *what, volatile const u8 *s)
{
	char line[80];
	u32 i;

	for (i = 0; i < sizeof(line) - 1 && s[i] >= ' ' && s[i] < 127; i++)
		line[i] = (char)s[i];
	line[i] = 0;
	puts_("gntmap: ");
	puts_(what);
	puts_(line);
	puts_("\n");
}

/* one map of @dom's @ref at @page with @flags: its status; *handle its handle */
static long map(u16 dom, u32 ref, void *page, u32 flags, u32 *handle)
{
	struct gnttab_map_grant_ref m = { (ulong)page, flags, ref, dom, 0, 0, 0 };
	long rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, (ulong)&m, 1, 0, 0);

	if (handle)
		*handle = m.handle;
	return rc ? rc : m.status;
}

static long unmap(void *page, u32 handle)
{
	struct gnttab_unmap_grant_ref u = { (ulong)page, 0, handle, 0 };
	long rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, (ulong)&u, 1, 0, 0);

	return rc ? rc : u.status;
}

/* one copy: each side a grant (its flag in @flags) or a frame of its own (DOMID_SELF) */
static long copy(ulong src, u16 sdom, u16 soff, ulong dst, u16 ddom, u16 doff, u16 len, u16 flags)
{
	struct gnttab_copy c = { { src, sdom, soff }, { dst, ddom, doff }, len, flags, 0 };
	long rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_copy, (ulong)&c, 1, 0, 0);

	return rc ? rc : c.status;
}

static int starts(volatile const u8 *p, const char *s)
{
	while (*s)
		if (*p++ != (u8)*s++)
			return 0;
	return 1;
}

void gntmap_run(u16 dom, int rowrite)
{
	static const char note[] = "copied by the backend", answer[] = "written by the backend";
	ulong pfns[2] = { (ulong)map_a >> 12, (ulong)map_b >> 12 };
	struct xen_memory_reservation r = { (ulong)pfns, 2, 0, 0, DOMID_SELF };
	u64 t0 = arch_counter(), limit = 60 * arch_counter_hz();
	volatile u8 *a = map_a, *b = map_b;
	u32 ha = 0, hb = 0, h;
	char v[8];

	if (xs_init()) {
		puts_("gntmap: no store\n");
		return;
	}
	say("pages given back: ", hypercall(HYPERVISOR_memory_op, XENMEM_decrease_reservation, (ulong)&r, 0, 0, 0));
	puts_("gntmap: A at pfn ");
	put_hex(pfns[0]);
	puts_(", B at pfn ");
	put_hex(pfns[1]);
	puts_("\n");
	say("map A: ", map(dom, 8, map_a, GNTMAP_host_map, &ha));
	say_str("A says: ", a);
	say("B writable: ", map(dom, 9, map_b, GNTMAP_host_map, &h));
	say("map B read-only: ", map(dom, 9, map_b, GNTMAP_host_map | GNTMAP_readonly, &hb));
	say_str("B says: ", b);
	say("copy B out: ", copy(9, dom, 0, (ulong)own >> 12, DOMID_SELF, 0, 32, GNTCOPY_source_gref));
	say_str("B copied: ", own);
	memcpy(own + 2048, note, sizeof(note));
	say("copy into A: ", copy((ulong)own >> 12, DOMID_SELF, 2048, 8, dom, 1024, sizeof(note), GNTCOPY_dest_gref));
	/* what Xen answers to each bad argument */
	say("bad: copy into read-only B: ", copy((ulong)own >> 12, DOMID_SELF, 0, 9, dom, 0, 4, GNTCOPY_dest_gref));
	say("bad: copy from another's frame: ", copy(1, dom, 0, (ulong)own >> 12, DOMID_SELF, 0, 4, 0));
	say("bad: copy past the page: ", copy(9, dom, 4000, (ulong)own >> 12, DOMID_SELF, 0, 200, GNTCOPY_source_gref));
	say("bad: a ref past the table: ", map(dom, 5000, own, GNTMAP_host_map, 0));
	say("bad: no such domain: ", map(999, 8, own, GNTMAP_host_map, 0));
	say("bad: no map flag: ", map(dom, 8, own, 0, 0));
	say("bad: a device map: ", map(dom, 8, own, GNTMAP_host_map | GNTMAP_device_map, 0));
	say("bad: over a grant it maps: ", map(dom, 8, map_b, GNTMAP_host_map | GNTMAP_readonly, 0));
	memcpy(map_a, answer, sizeof(answer));
	while (arch_counter() - t0 < limit && !starts(a + 2048, "seen"))
		;
	say_str("the granter answered: ", a + 2048);
	if (rowrite) {
		puts_("gntmap: writing to the read-only map\n");
		b[0] = 'X';
		say("wrote to the read-only map: ", b[0] == 'X');
		return;
	}
	puts_("gntmap: holding\n");
	while (arch_counter() - t0 < limit && xs_read("data/unmap", v, sizeof(v)) < 0)
		;
	say("unmap B: ", unmap(map_b, hb));
	say("bad: unmap A at B's address: ", unmap(map_b, ha));
	say("unmap A: ", unmap(map_a, ha));
	say("bad: unmap A again: ", unmap(map_a, ha));
	puts_("gntmap: done\n");
}

u16 gntmap_peer(void)
{
	u64 t0 = arch_counter(), limit = 60 * arch_counter_hz();
	char v[8];

	if (xs_init())
		return 0;
	while (arch_counter() - t0 < limit)
		if (xs_read("data/peer", v, sizeof(v)) > 0)
			return (u16)parse_num(v, 0);
	return 0;
}
