/*
 * tests/guests/common/selftest.c - the self-tests of the devices a board
 * adds with testdev=1 (docs/guests.md): sub-page register blocks, a
 * coalesced register and a doorbell, and running from a flash window
 * (mmio-exec); and an event channel to the toolstack. Each prints
 * "NAME: ok ..." or "NAME: FAIL ..." and goes on.
 */
#include "guest.h"

/* the offsets physmap/board.h gives, and the devices' registers */
#define SUBPAGE 0x0ul
#define EVENTS 0x1000ul
#define FLASH 0x10000ul
#define FLASH_SIZE 0x10000ul

#define EV_QUEUE 0x00
#define EV_COUNT 0x04
#define EV_SUM 0x08
#define EV_BELL 0x10
#define EV_RINGS 0x14

#define XF_ADDR 0x00
#define XF_DATA 0x04
#define XF_EXECS 0x08
#define XF_INVALS 0x0c
#define XF_ERASE 0x10

static volatile u32 *reg(ulong offset)
{
	return (volatile u32 *)(testdev_base + offset);
}

/* one check: says what failed and returns 1, or returns 0 */
static int expect(const char *test, ulong offset, u32 got, u32 want)
{
	if (got == want)
		return 0;
	puts_(test);
	puts_(": FAIL at ");
	put_hex(testdev_base + offset);
	puts_(": got ");
	put_hex(got);
	puts_(", want ");
	put_hex(want);
	puts_("\n");
	return 1;
}

/*
 * blocks 0, 1 and 3 of one page answer with their ids and keep what is
 * written; 0x200 and the rest of the page are nobody's (all ones), and a
 * write to one block never shows in another
 */
void selftest_subpage(void)
{
	static const u32 blocks[] = { 0, 1, 3 };
	int bad = 0;

	for (int i = 0; i < 3; i++)
		bad += expect("subpage", SUBPAGE + blocks[i] * 0x100, *reg(SUBPAGE + blocks[i] * 0x100),
			      0x53505400u | blocks[i]);
	bad += expect("subpage", SUBPAGE + 0x200, *reg(SUBPAGE + 0x200), 0xffffffffu);
	bad += expect("subpage", SUBPAGE + 0x400, *reg(SUBPAGE + 0x400), 0xffffffffu);
	bad += expect("subpage", SUBPAGE + 0xffc, *reg(SUBPAGE + 0xffc), 0xffffffffu);
	for (int i = 0; i < 3; i++)
		*reg(SUBPAGE + blocks[i] * 0x100 + 0x14) = 0xa0 + blocks[i];
	for (int i = 0; i < 3; i++)
		bad += expect("subpage", SUBPAGE + blocks[i] * 0x100 + 0x14,
			      *reg(SUBPAGE + blocks[i] * 0x100 + 0x14), 0xa0 + blocks[i]);
	if (!bad)
		puts_("subpage: ok (3 blocks in one page, the gaps unassigned)\n");
}

/*
 * 1000 writes to the coalesced register all arrive, in time for the next
 * read; 100 rings of the doorbell arrive as at least one notification
 */
void selftest_events(void)
{
	u32 count = *reg(EVENTS + EV_COUNT), sum = *reg(EVENTS + EV_SUM), rings;
	int bad = 0;

	for (u32 i = 1; i <= 1000; i++)
		*reg(EVENTS + EV_QUEUE) = i;
	bad += expect("events", EVENTS + EV_COUNT, *reg(EVENTS + EV_COUNT), count + 1000);
	bad += expect("events", EVENTS + EV_SUM, *reg(EVENTS + EV_SUM), sum + 500500);
	rings = *reg(EVENTS + EV_RINGS);
	for (int i = 0; i < 100; i++)
		*reg(EVENTS + EV_BELL) = 1;
	rings = *reg(EVENTS + EV_RINGS) - rings;
	if (rings < 1 || rings > 100) {
		puts_("events: FAIL: 100 rings gave ");
		put_dec(rings);
		puts_(" notifications\n");
		bad++;
	}
	if (bad)
		return;
	puts_("events: ok (1000 coalesced writes arrived; 100 rings, ");
	put_dec(rings);
	puts_(" notifications)\n");
}

/* programs a function returning @value at the window's start, then calls it */
static u32 flash_call(u32 value)
{
	u32 code[2];
	u32 (*fn)(void) = (u32 (*)(void))(testdev_base + FLASH);

	arch_ret_code(code, value);
	*reg(FLASH + FLASH_SIZE + XF_ADDR) = 0;
	*reg(FLASH + FLASH_SIZE + XF_DATA) = code[0];
	*reg(FLASH + FLASH_SIZE + XF_DATA) = code[1];
	arch_mb();
	return fn();
}

/*
 * runs code from the flash window twice, reprogrammed in between: the
 * second call must run the new code (the first copy was taken back)
 */
void selftest_exec(void)
{
	u32 execs, invals;
	int bad = 0;

	*reg(FLASH + FLASH_SIZE + XF_ERASE) = 1;
	execs = *reg(FLASH + FLASH_SIZE + XF_EXECS);
	invals = *reg(FLASH + FLASH_SIZE + XF_INVALS);
	bad += expect("exec", FLASH, flash_call(0x11), 0x11);
	bad += expect("exec", FLASH, flash_call(0x22), 0x22);
	bad += expect("exec", FLASH + FLASH_SIZE + XF_EXECS, *reg(FLASH + FLASH_SIZE + XF_EXECS) - execs, 2);
	bad += expect("exec", FLASH + FLASH_SIZE + XF_INVALS, *reg(FLASH + FLASH_SIZE + XF_INVALS) - invals, 1);
	if (!bad)
		puts_("exec: ok (ran 0x11, reprogrammed, ran 0x22: 2 copies, 1 taken back)\n");
}

#define EVTCHNOP_close 3
#define EVTCHNOP_send 4
#define EVTCHNOP_alloc_unbound 6

/*
 * an event channel for the toolstack: map the shared info, allocate a port
 * for dom0 and say which ("evtchn: port N"); wait (SCHEDOP_block) until the
 * toolstack raises it, clear it ("evtchn: notified"), send on it ("evtchn:
 * sent") and close it
 */
void selftest_evtchn(void)
{
	struct { u16 dom, remote_dom; u32 port; } au = { DOMID_SELF, 0, 0 };
	volatile u8 *sh = shared_info();
	volatile ulong *pending = (volatile ulong *)(sh + shinfo_pending_offset);
	unsigned int bits = 8 * sizeof(ulong);
	long rc = sh ? 0 : -1;
	int tries;

	if (!rc)
		rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (ulong)&au, 0, 0, 0);
	if (rc) {
		puts_("evtchn: FAIL: ");
		put_dec((u64)-rc);
		puts_("\n");
		return;
	}
	puts_("evtchn: port ");
	put_dec(au.port);
	puts_("\n");
	for (tries = 0; tries < 60 && !(pending[au.port / bits] & (1ul << (au.port % bits))); tries++)
		hypercall(HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0);
	if (tries == 60) {
		puts_("evtchn: FAIL: never notified\n");
		return;
	}
	__atomic_fetch_and(&pending[au.port / bits], ~(1ul << (au.port % bits)), __ATOMIC_SEQ_CST);
	puts_("evtchn: notified\n");
	rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, (ulong)&au.port, 0, 0, 0);
	puts_(rc ? "evtchn: FAIL: send\n" : "evtchn: sent\n");
	hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_close, (ulong)&au.port, 0, 0, 0);
}

