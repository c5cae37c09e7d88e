/*
 * tests/guests/common/main.c - what every test guest does: a banner with
 * the memory map its firmware table gave it, then what its command line
 * asks for (docs/guests.md lists the words), then power off.
 */
#include "guest.h"

#define MAX_RANGES 16
#define BAD_PTR 0xfffff000ul

static const void *table_;

static void banner(const void *table)
{
	u64 r[2 * MAX_RANGES], total = 0;
	int n = mem_map(table, r, MAX_RANGES);

	puts_("physmap test guest (");
	puts_(arch_name);
	puts_(")\n");
	for (int i = 0; i < n; i++) {
		puts_("memory: ");
		put_hex(r[2 * i]);
		puts_("-");
		put_hex(r[2 * i + 1]);
		puts_(" (");
		put_dec((r[2 * i + 1] - r[2 * i]) >> 20);
		puts_(" MiB)\n");
		total += r[2 * i + 1] - r[2 * i];
	}
	puts_("memory total: ");
	put_dec(total >> 20);
	puts_(" MiB\n");
}

static void report(const char *what, long v)
{
	puts_(what);
	puts_(": ");
	if (v < 0) {
		puts_("-");
		put_dec((u64)-v);
	} else {
		put_dec((u64)v);
	}
	puts_("\n");
}

#define BENCH_MAX 4096
static u64 samples[BENCH_MAX];

static void sort(u64 *v, int n)
{
	for (int gap = n / 2; gap > 0; gap /= 2)
		for (int i = gap; i < n; i++)
			for (int j = i; j >= gap && v[j - gap] > v[j]; j -= gap) {
				u64 t = v[j];

				v[j] = v[j - gap];
				v[j - gap] = t;
			}
}

static u32 read32(ulong a)
{
	return *(volatile u32 *)a;
}

static u32 read_port(ulong port)
{
	return arch_port_read((u16)port);
}

static u32 xen_version(ulong unused)
{
	(void)unused;
	return (u32)hypercall(HYPERVISOR_xen_version, 0, 0, 0, 0, 0);   /* XENVER_version */
}

/*
 * N timed calls of @fn(@arg) (the architecture's counter around each):
 * median and 99th percentile in ns, one line ("timing WHAT: median M ns,
 * p99 P ns")
 */
static void timing(const char *what, u32 (*fn)(ulong), ulong arg, int n)
{
	u64 hz = arch_counter_hz();

	for (int i = 0; i < n; i++) {
		u64 t0 = arch_counter();

		(void)fn(arg);
		samples[i] = arch_counter() - t0;
	}
	sort(samples, n);
	puts_("timing ");
	puts_(what);
	puts_(": median ");
	put_dec(samples[n / 2] * 1000000000ull / hz);
	puts_(" ns, p99 ");
	put_dec(samples[n * 99 / 100] * 1000000000ull / hz);
	puts_(" ns\n");
}

/*
 * the memory workload (for migration): MiB of RAM past the image, each
 * page filled with words derived from its address and the round, then
 * checked and rewritten round after round (rounds 0: for ever). A page
 * that does not hold what was written crashes the guest, saying which.
 */
static void workload(u64 mib, u64 rounds)
{
	u64 from = ((u64)(ulong)_end + (16ull << 20)) & ~4095ull, end = from + (mib << 20);

	for (u64 round = 1; !rounds || round <= rounds; round++) {
		for (u64 p = from; p < end; p += 4096) {
			volatile u64 *w = (volatile u64 *)(ulong)p;

			if (round > 1)
				for (int i = 0; i < 512; i += 64)
					if (w[i] != (p ^ ((round - 1) << 48)) + (u64)i) {
						puts_("workload: page ");
						put_hex(p);
						puts_(" does not hold what was written\n");
						shutdown(SHUTDOWN_crash);
					}
			for (int i = 0; i < 512; i += 64)
				w[i] = (p ^ (round << 48)) + (u64)i;
		}
		if (rounds && round < rounds)
			continue;
		puts_("workload: ");
		put_dec(round);
		puts_(" rounds over ");
		put_dec(mib);
		puts_(" MiB ok\n");
	}
}

/*
 * XENMEM_memory_map: the map the toolstack set, each entry as "memmap:
 * START-END TYPE", then the count; physdev_op, which a PVH domU may not
 * call (every op -ENOSYS on Xen)
 */
static void memmap(void)
{
	struct { u64 addr, size; u32 type; } __attribute__((packed)) e[16];
	struct { u32 nr_entries; ulong buffer; } map = { 16, (ulong)e };
	u32 query = 0;
	long rc = hypercall(HYPERVISOR_memory_op, XENMEM_memory_map, (ulong)&map, 0, 0, 0);

	for (u32 i = 0; !rc && i < map.nr_entries && i < 16; i++) {
		puts_("memmap: ");
		put_hex(e[i].addr);
		puts_("-");
		put_hex(e[i].addr + e[i].size);
		puts_(" ");
		put_dec(e[i].type);
		puts_("\n");
	}
	report("memory_map", rc ? rc : (long)map.nr_entries);
	report("physdev_op", hypercall(HYPERVISOR_physdev_op, PHYSDEVOP_irq_status_query, (ulong)&query, 0, 0, 0));
}

/* one command-line word; returns when it is done */
static void run_word(const char *w)
{
	const char *v = 0;

	if (word_is(w, "crash", 0)) {
		puts_("crashing on purpose\n");
		shutdown(SHUTDOWN_crash);
	} else if (word_is(w, "reboot", 0)) {
		shutdown(SHUTDOWN_reboot);
	} else if (word_is(w, "read", &v)) {
		volatile u32 *p = (volatile u32 *)(ulong)parse_num(v, 0);

		puts_("read ");
		put_hex((ulong)p);
		puts_(": ");
		put_hex(*p);
		puts_("\n");
	} else if (word_is(w, "write", &v)) {
		volatile u32 *p = (volatile u32 *)(ulong)parse_num(v, 0);

		*p = 0x12345678;
		puts_("wrote ");
		put_hex((ulong)p);
		puts_("\n");
	} else if (word_is(w, "free", &v) || word_is(w, "populate", &v)) {
		/* one page out of (or back into) the reservation, by address */
		ulong pfn = (ulong)(parse_num(v, 0) >> 12);
		struct xen_memory_reservation r = { (ulong)&pfn, 1, 0, 0, DOMID_SELF };
		int out = word_is(w, "free", 0);

		report(out ? "decrease_reservation" : "populate_physmap",
		       hypercall(HYPERVISOR_memory_op, out ? XENMEM_decrease_reservation : XENMEM_populate_physmap,
				 (ulong)&r, 0, 0, 0));
	} else if (word_is(w, "workload", &v)) {
		const char *e;
		u64 mib = parse_num(v, &e);

		workload(mib ? mib : 64, *e == ',' ? parse_num(e + 1, 0) : 0);
	} else if (word_is(w, "smp", 0)) {
		int n = arch_smp(table_);

		puts_("smp: ");
		put_dec((u64)n);
		puts_(" vCPUs ran\n");
	} else if (word_is(w, "echo", 0)) {
		/* a line from the UART (what pxl console sends), said back */
		char in[64];
		int n = 0, c;

		puts_("echo: type a line\n");
		for (;;) {
			c = uart_getc();
			if (c < 0) {
				hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
				continue;
			}
			if (c == '\n' || c == '\r' || n == (int)sizeof(in) - 1)
				break;
			in[n++] = (char)c;
		}
		in[n] = 0;
		puts_("echo: ");
		puts_(in);
		puts_("\n");
	} else if (word_is(w, "timing", &v)) {
		static volatile u32 ram_word;
		int n = BENCH_MAX;

		timing("mmio", read32, (ulong)parse_num(v, 0), n);
		timing("ram", read32, (ulong)&ram_word, n);
	} else if (word_is(w, "iotiming", &v)) {
		static volatile u32 ram_word;

		timing("pio", read_port, (ulong)parse_num(v, 0), BENCH_MAX);
		timing("ram", read32, (ulong)&ram_word, BENCH_MAX);
	} else if (word_is(w, "xentime", 0)) {
		xentime_run();
	} else if (word_is(w, "gnttab", 0)) {
		gnttab_run();
	} else if (word_is(w, "disk", 0)) {
		blkfront_run();
	} else if (word_is(w, "diskbench", &v)) {
		const char *e;
		u64 kib = parse_num(v, &e);

		u64 mib = *e == ',' ? parse_num(e + 1, &e) : 16;

		blkfront_bench((u32)kib, (u32)mib, *e == ',' ? (u32)parse_num(e + 1, 0) : 1);
	} else if (word_is(w, "disklog", &v)) {
		blkfront_log(parse_num(v, 0));
	} else if (word_is(w, "diskbad", 0)) {
		blkfront_bad();
	} else if (word_is(w, "netbad", &v)) {
		netfront_bad(w[6] == '=' ? v : "10.0.0.2,10.0.0.3");
	} else if (word_is(w, "net", &v)) {
		netfront_run(w[3] == '=' ? v : "10.0.0.2");
	} else if (word_is(w, "grant", &v)) {
		grant_run(v && v[0] == 'f', 0);
	} else if (word_is(w, "share", &v)) {
		grant_run(0, v ? (u16)parse_num(v, 0) : gntmap_peer());
	} else if (word_is(w, "gntmap", &v)) {
		const char *e = "";
		u16 dom = v ? (u16)parse_num(v, &e) : 0;

		gntmap_run(dom, *e == ',' && e[1] == 'r');
	} else if (word_is(w, "hctiming", 0)) {
		timing("hypercall", xen_version, 0, BENCH_MAX);
	} else if (word_is(w, "ips", &v)) {
		/* a tight loop of two instructions per round, timed */
		u64 rounds = parse_num(v, 0), t0 = arch_counter(), t;

		arch_loop(rounds);
		t = arch_counter() - t0;
		puts_("ips: ");
		put_dec(2 * rounds);
		puts_(" instructions in ");
		put_dec(t * 1000 / (arch_counter_hz() / 1000000));
		puts_(" ns\n");
	} else if (word_is(w, "clock", &v)) {
		/* the counter read for SECS of its own seconds: steps back, and steps of a second or more */
		u64 hz = arch_counter_hz(), prev = arch_counter(), now, ran = 0, back = 0, jumps = 0;

		while (ran < parse_num(v, 0) * hz) {
			now = arch_counter();
			back += now < prev;
			jumps += now > prev && now - prev >= hz;
			ran += now > prev && now - prev < hz ? now - prev : 0;
			prev = now;
		}
		puts_("clock: ");
		put_dec(back);
		puts_(" back, ");
		put_dec(jumps);
		puts_(" jumps\n");
	} else if (word_is(w, "touch", 0)) {
		/* every page of RAM 16 MiB past this image written once (the
		 * image, its stack and the firmware table lie below) */
		u64 r[2 * MAX_RANGES], pages = 0, from = ((u64)(ulong)_end + (16ull << 20)) & ~4095ull;
		int n = mem_map(table_, r, MAX_RANGES);

		for (int i = 0; i < n; i++)
			for (u64 p = r[2 * i] > from ? r[2 * i] : from; p < r[2 * i + 1]; p += 4096) {
				*(volatile u64 *)(ulong)p = p;
				pages++;
			}
		puts_("touched ");
		put_dec(pages >> 8);
		puts_(" MiB\n");
	} else if (word_is(w, "balloon", 0) || word_is(w, "greedy", 0)) {
		balloon_run(table_, word_is(w, "greedy", 0));
	} else if (word_is(w, "watchdog", &v)) {
		/* a watchdog of SECS that is never kicked: the hypervisor stops the guest */
		struct sched_watchdog wd = { 0, (u32)parse_num(v, 0) };

		puts_("watchdog: ");
		put_dec((u64)hypercall(HYPERVISOR_sched_op, SCHEDOP_watchdog, (ulong)&wd, 0, 0, 0));
		puts_("\n");
	} else if (word_is(w, "control", 0)) {
		control_init();
	} else if (word_is(w, "store", 0)) {
		char v[64];

		if (xs_init() || xs_read("name", v, sizeof(v)) < 0) {
			puts_("store: unreachable\n");
		} else {
			puts_("store: name = ");
			puts_(v);
			puts_("\n");
		}
	} else if (word_is(w, "spin", 0)) {
		puts_("spinning\n");
		for (;;)
			hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	} else if (word_is(w, "badcalls", 0)) {
		struct xen_hvm_param p = { DOMID_SELF, HVM_PARAM_STORE_PFN, 0 };

		/* a hypervisor answers nonsense with an error, and lives; the bad
		 * pointer is the last page below 4 GiB, RAM on neither board */
		report("console_io bad pointer", hypercall(HYPERVISOR_console_io, CONSOLEIO_write, 16, BAD_PTR, 0, 0));
		report("console_io huge count", hypercall(HYPERVISOR_console_io, CONSOLEIO_write, ~0ul >> 1, (ulong)w, 0, 0));
		report("unknown hypercall", hypercall(63, 0, 0, 0, 0, 0));
		report("sched_op bad pointer", hypercall(HYPERVISOR_sched_op, SCHEDOP_shutdown, BAD_PTR, 0, 0, 0));
		report("memory_op bad command", hypercall(HYPERVISOR_memory_op, 999, 0, 0, 0, 0));
		report("hvm_op bad param", (p.index = 4096, hypercall(HYPERVISOR_hvm_op, HVMOP_get_param, (ulong)&p, 0, 0, 0)));
	} else if (word_is(w, "undefined", 0)) {
		puts_("undefined instruction\n");
		arch_undefined();
		puts_("came back\n");
	} else if (word_is(w, "jump", &v)) {
		void (*fn)(void) = (void (*)(void))(ulong)parse_num(v, 0);

		puts_("jumping\n");
		fn();
		puts_("came back\n");
	} else if (word_is(w, "subpage", 0)) {
		selftest_subpage();
	} else if (word_is(w, "events", 0)) {
		selftest_events();
	} else if (word_is(w, "exec", 0)) {
		selftest_exec();
	} else if (word_is(w, "evtchn", 0)) {
		selftest_evtchn();
	} else if (word_is(w, "memmap", 0)) {
		memmap();
	} else if (word_is(w, "reservation", 0)) {
		u16 self = DOMID_SELF;

		report("current_reservation", hypercall(HYPERVISOR_memory_op, XENMEM_current_reservation, (ulong)&self, 0, 0, 0));
		report("maximum_reservation", hypercall(HYPERVISOR_memory_op, XENMEM_maximum_reservation, (ulong)&self, 0, 0, 0));
	}
}

void guest_main(const void *table)
{
	const char *args = bootargs(table);

	table_ = table;
	banner(table);
	for (const char *w = args; *w;) {
		while (*w == ' ')
			w++;
		if (!*w)
			break;
		run_word(w);
		while (*w && *w != ' ')
			w++;
	}
	if (control_ready()) {
		puts_("waiting for the toolstack's request\n");
		control_wait();
	}
	puts_("powering off\n");
	shutdown(SHUTDOWN_poweroff);
}
