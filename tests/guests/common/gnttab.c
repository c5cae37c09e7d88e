/*
 * tests/guests/common/gnttab.c - Xen's grant table as a guest sets it up
 * (word "gnttab"): GNTTABOP_query_size, set_version and get_version, frame
 * 0 mapped with XENMEM_add_to_physmap over a page of its own RAM (given
 * back, as its reservation shows), the entries the toolstack seeded for
 * the console and the store read from it (said raw, then checked), GNTTABOP_setup_table naming
 * where each frame is, and the errors Xen gives for bad arguments. Each
 * line says what it found; docs/guests.md lists them.
 */
#include "guest.h"

#define HYPERVISOR_grant_table_op 20
#define GNTTABOP_setup_table 2
#define GNTTABOP_transfer 4
#define GNTTABOP_query_size 6
#define GNTTABOP_set_version 8
#define GNTTABOP_get_version 10
#define XENMEM_add_to_physmap 7
#define XENMAPSPACE_grant_table 1
#define GTF_permit_access 1
#define GTF_type_mask 3
#define GTF_readonly 4
#define GTF_reading 8
#define GTF_writing 16

struct grant_entry_v1 {
	u16 flags, domid;
	u32 frame;
};

/* the page frame 0 goes to: its RAM is given back when the frame comes */
static u8 frame0[4096] __attribute__((aligned(4096)));
/* the pages granted to dom0 (word "grant"): A writable, B read-only */
static u8 page_a[4096] __attribute__((aligned(4096)));
static u8 page_b[4096] __attribute__((aligned(4096)));

static void say(const char *what, long v)
{
	say_num("gnttab: ", what, v);
}

static u64 param(u32 index)
{
	struct xen_hvm_param p = { DOMID_SELF, index, 0 };

	return hypercall(HYPERVISOR_hvm_op, HVMOP_get_param, (ulong)&p, 0, 0, 0) ? 0 : p.value;
}

static long query(u16 dom, u32 *nr, u32 *max)
{
	struct { u16 dom; u32 nr_frames, max_nr_frames; short status; } q = { dom, 0, 0, 0 };
	long rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_query_size, (ulong)&q, 1, 0, 0);

	*nr = q.nr_frames;
	*max = q.max_nr_frames;
	return rc ? rc : q.status;
}

static long map_frame(ulong idx, ulong pfn)
{
	struct { u16 domid, size; u32 space; ulong idx, gpfn; } m = { DOMID_SELF, 0, XENMAPSPACE_grant_table, idx, pfn };

	return hypercall(HYPERVISOR_memory_op, XENMEM_add_to_physmap, (ulong)&m, 0, 0, 0);
}

void gnttab_run(void)
{
	volatile struct grant_entry_v1 *e = (volatile struct grant_entry_v1 *)frame0;
	struct { u16 dom; u32 nr_frames; short status; ulong frame_list; } st;
	struct { u16 dom, pad; u32 version; } gv = { DOMID_SELF, 0, 0 };
	ulong frames[2] = { 0, 0 };
	u32 nr = 0, max = 0, version;
	u16 self = DOMID_SELF;
	long before, rc;

	rc = query(DOMID_SELF, &nr, &max);
	puts_("gnttab: query_size ");
	put_dec((u64)-rc);
	puts_(" frames ");
	put_dec(nr);
	puts_(" of ");
	put_dec(max);
	puts_("\n");
	version = 2;
	say("set_version 2: ", hypercall(HYPERVISOR_grant_table_op, GNTTABOP_set_version, (ulong)&version, 1, 0, 0));
	version = 1;
	say("set_version 1: ", hypercall(HYPERVISOR_grant_table_op, GNTTABOP_set_version, (ulong)&version, 1, 0, 0));
	rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_get_version, (ulong)&gv, 1, 0, 0);
	say("get_version: ", rc ? rc : (long)gv.version);

	before = hypercall(HYPERVISOR_memory_op, XENMEM_current_reservation, (ulong)&self, 0, 0, 0);
	rc = map_frame(0, (ulong)frame0 >> 12);
	say("frame 0 mapped: ", rc);
	say("reservation change: ", hypercall(HYPERVISOR_memory_op, XENMEM_current_reservation, (ulong)&self, 0, 0, 0) - before);
	puts_("gnttab: frame 0 at pfn ");
	put_hex((ulong)frame0 >> 12);
	puts_("\n");
	for (int i = 0; i < 2; i++) {
		puts_("gnttab: entry ");
		put_dec((u64)i);
		puts_(": flags ");
		put_hex(e[i].flags);
		puts_(" domid ");
		put_dec(e[i].domid);
		puts_(" frame ");
		put_hex(e[i].frame);
		puts_(" (the ");
		puts_(i ? "store" : "console");
		puts_(" pfn ");
		put_hex(param(i ? HVM_PARAM_STORE_PFN : HVM_PARAM_CONSOLE_PFN));
		puts_(")\n");
	}
	/* the type bits: GTF_reading and _writing come on where a backend mapped the page (Xen's daemons) */
	say("console entry seeded: ", (e[0].flags & GTF_type_mask) == GTF_permit_access && e[0].domid == 0 &&
					      e[0].frame == param(HVM_PARAM_CONSOLE_PFN));
	say("store entry seeded: ", (e[1].flags & GTF_type_mask) == GTF_permit_access && e[1].domid == 0 &&
					    e[1].frame == param(HVM_PARAM_STORE_PFN));
	say("entry 8 free: ", e[8].flags == 0);

	st.dom = DOMID_SELF;
	st.nr_frames = 2;
	st.status = 99;
	st.frame_list = (ulong)frames;
	rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (ulong)&st, 1, 0, 0);
	say("setup_table: ", rc ? rc : st.status);
	say("setup_table frame 0 where mapped: ", frames[0] == (ulong)frame0 >> 12);
	say("setup_table frame 1 nowhere: ", frames[1] == ~0ul);
	rc = query(DOMID_SELF, &nr, &max);
	say("frames now: ", rc ? rc : (long)nr);

	/* bad arguments: Xen's answers */
	say("frame 64 (beyond the maximum): ", map_frame(64, (ulong)frame0 >> 12));
	say("query_size of dom0: ", query(0, &nr, &max));
	say("query_size of no domain: ", query(0x7000, &nr, &max));
	st.nr_frames = 65;
	st.status = 99;
	rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_setup_table, (ulong)&st, 1, 0, 0);
	say("setup_table of 65 frames: ", rc ? rc : st.status);
	say("two query_size at once: ", hypercall(HYPERVISOR_grant_table_op, GNTTABOP_query_size, (ulong)frames, 2, 0, 0));
	say("transfer: ", hypercall(HYPERVISOR_grant_table_op, GNTTABOP_transfer, (ulong)frames, 1, 0, 0));
	say("version 3: ", (version = 3, hypercall(HYPERVISOR_grant_table_op, GNTTABOP_set_version, (ulong)&version, 1, 0, 0)));
}

/*
 * word "grant": pages granted to dom0 as a frontend grants them: entry 8
 * page A (writable) and entry 9 page B (read-only), each beginning with a
 * string; then, for 30 s at most, until dom0 wrote "written by ..." into
 * A, noting the flags Xen sets in entry 8 while it is mapped; it answers
 * "seen" at byte 2048, then waits until dom0 unmapped it. Says "grant:
 * ready 8 9", then what A holds and the flags it saw. With @give_back
 * ("grant=free") it gives page A back to Xen once it answered, dom0
 * still mapping it, and says so and the flags after the unmap instead.
 * Word "share=DOM" grants the same to domain @peer (a backend in a guest,
 * common/gntmap.c), waits 60 s at most, and says too what A holds at 1024
 * and what B holds.
 */
void grant_run(int give_back, u16 peer)
{
	volatile struct grant_entry_v1 *e = (volatile struct grant_entry_v1 *)frame0;
	static const char a[] = "page A of the guest", b[] = "page B, read-only";
	u64 t0 = arch_counter(), limit = (peer ? 60 : 30) * arch_counter_hz();
	u16 seen = 0, f;

	if (map_frame(0, (ulong)frame0 >> 12)) {
		puts_("grant: no grant table\n");
		return;
	}
	memcpy(page_a, a, sizeof(a));
	memcpy(page_b, b, sizeof(b));
	e[8].domid = peer;
	e[8].frame = (u32)((ulong)page_a >> 12);
	e[9].domid = peer;
	e[9].frame = (u32)((ulong)page_b >> 12);
	arch_mb();   /* the frame and domain before the flags that make them valid */
	e[8].flags = GTF_permit_access;
	e[9].flags = GTF_permit_access | GTF_readonly;
	arch_mb();
	puts_("grant: ready 8 9\n");
	while (arch_counter() - t0 < limit) {
		volatile const char *p = (volatile const char *)page_a;

		f = e[8].flags;
		seen |= f;
		if (p[0] == 'w' && p[7] == ' ' && p[10] == ' ') {   /* "written by ..." */
			seen |= e[8].flags;   /* mapped and written between the two reads above: the map still held */
			memcpy(page_a + 2048, "seen", 5);   /* dom0 holds the map until it reads this */
			break;
		}
	}
	if (give_back) {
		/* page A back to Xen while dom0 maps it: the pfn goes, the frame stays dom0's until it unmaps */
		ulong pfn = (ulong)page_a >> 12;
		struct xen_memory_reservation r = { (ulong)&pfn, 1, 0, 0, DOMID_SELF };

		say("page A given back: ", hypercall(HYPERVISOR_memory_op, XENMEM_decrease_reservation, (ulong)&r, 0, 0, 0));
		while (arch_counter() - t0 < limit && (e[8].flags & (GTF_reading | GTF_writing)))
			;
		say("entry 8 flags after the unmap: ", e[8].flags);
		return;
	}
	while (arch_counter() - t0 < limit && (e[8].flags & (GTF_reading | GTF_writing)))
		;   /* until dom0 unmapped it */
	puts_("grant: page A now: ");
	puts_((const char *)page_a);
	if (peer) {
		puts_("\ngrant: page A at 1024: ");
		puts_((const char *)page_a + 1024);
		puts_("\ngrant: page B now: ");
		puts_((const char *)page_b);
	}
	puts_("\ngrant: entry 8 flags seen ");
	put_hex(seen);
	puts_(", now ");
	put_hex(e[8].flags);
	puts_("\n");
}
