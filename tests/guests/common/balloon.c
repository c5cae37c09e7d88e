/*
 * tests/guests/common/balloon.c - a balloon driver: follows memory/target
 * (KiB) by giving pages back from the top of RAM down
 * (XENMEM_decrease_reservation) and taking them back bottom up
 * (XENMEM_populate_physmap), in batches of 512 pages
 *
 * It says control/feature-balloon = 1 first, so the toolstack waits for it.
 * A greedy guest says so too but never moves: the toolstack must notice.
 * The lowest 16 MiB of RAM (this image, its stack, the firmware table)
 * are never given away.
 */
#include "guest.h"

#define BATCH 512
#define KEEP_PAGES 4096

static ulong frames[BATCH];

static long reservation(int cmd, ulong n)
{
	struct xen_memory_reservation r = { (ulong)frames, n, 0, 0, DOMID_SELF };

	return hypercall(HYPERVISOR_memory_op, (ulong)cmd, (ulong)&r, 0, 0, 0);
}

static void say_mib(const char *what, u64 pages)
{
	puts_(what);
	put_dec(pages >> 8);
	puts_(" MiB");
}

void balloon_run(const void *table, int greedy)
{
	u64 r[2 * 16], top, low, ram = 0, out = 0;
	int n = mem_map(table, r, 16);

	if (n <= 0 || xs_init()) {
		puts_("balloon: no memory map or no xenstore ring\n");
		shutdown(SHUTDOWN_crash);
	}
	for (int i = 0; i < n; i++)
		ram += (r[2 * i + 1] - r[2 * i]) >> 12;
	top = r[2 * (n - 1) + 1] >> 12;
	low = (r[2 * (n - 1)] >> 12) + KEEP_PAGES;
	if (xs_write("control/feature-balloon", "1") || xs_watch("memory/target", "balloon")) {
		puts_("balloon: the store refused\n");
		shutdown(SHUTDOWN_crash);
	}
	puts_(greedy ? "balloon: ready (greedy: it will not move)\n" : "balloon: ready\n");
	for (;;) {
		char v[32];
		u64 target, have, out_before = out;

		control_poll();
		if (xs_read("memory/target", v, sizeof(v)) < 0) {
			xs_wait_watch();
			continue;
		}
		target = parse_num(v, 0) / 4;
		have = ram - out;
		if (have != target) {
			say_mib("balloon: ", have);
			say_mib(" -> ", target);
			puts_(greedy ? " (ignored)\n" : "\n");
		}
		while (!greedy && have > target && top - out > low) {
			u64 k = have - target;
			long done;

			if (k > BATCH)
				k = BATCH;
			if (k > top - out - low)
				k = top - out - low;
			for (u64 i = 0; i < k; i++)
				frames[i] = (ulong)(top - out - 1 - i);
			done = reservation(XENMEM_decrease_reservation, (ulong)k);
			if (done <= 0)
				break;
			out += (u64)done;
			have -= (u64)done;
		}
		while (!greedy && have < target && out) {
			u64 k = target - have;
			long done;

			if (k > BATCH)
				k = BATCH;
			if (k > out)
				k = out;
			for (u64 i = 0; i < k; i++)
				frames[i] = (ulong)(top - out + i);
			done = reservation(XENMEM_populate_physmap, (ulong)k);
			if (done <= 0)
				break;
			out -= (u64)done;
			have += (u64)done;
		}
		if (!greedy && have != ram - out_before) {
			say_mib("balloon: at ", have);
			puts_("\n");
		}
		xs_wait_watch();
	}
}
