/*
 * tests/guests/arm64/arch.c - the arm64 port: Xen's hypercall ABI
 * (hvc #0xEA1, op in x16, arguments in x0-x4, result in x0), a PL011
 * UART, and what the device tree says (memory nodes, /chosen/bootargs,
 * the UART's address)
 */
#include "guest.h"

const char arch_name[] = "arm64";
const ulong testdev_base = 0x0b000000ul;
const ulong shinfo_pending_offset = 48;   /* struct shared_info_arm64: one 48-byte vcpu_info first */

void arch_loop(u64 rounds)
{
	__asm__ volatile("1: subs %0, %0, #1; b.ne 1b" : "+r"(rounds) :: "cc");
}

u32 arch_port_read(u16 port)
{
	(void)port;
	return 0xff;
}

void arch_undefined(void)
{
	__asm__ volatile("udf #0");
}

void arch_ret_code(u32 *code, u32 value)
{
	code[0] = 0x52800000u | (value << 5);   /* movz w0, #value */
	code[1] = 0xd65f03c0u;                  /* ret */
}
u64 uart_base;

long hypercall(ulong op, ulong a0, ulong a1, ulong a2, ulong a3, ulong a4)
{
	register ulong x0 __asm__("x0") = a0;
	register ulong x1 __asm__("x1") = a1;
	register ulong x2 __asm__("x2") = a2;
	register ulong x3 __asm__("x3") = a3;
	register ulong x4 __asm__("x4") = a4;
	register ulong x16 __asm__("x16") = op;

	__asm__ volatile("hvc #0xea1"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4)
			 : "r"(x16)
			 : "memory");
	return (long)x0;
}

void arch_mb(void)
{
	__asm__ volatile("dmb ish" ::: "memory");
}

u64 arch_counter(void)
{
	u64 v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

u64 arch_counter_hz(void)
{
	u64 v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

void uart_putc(char c)
{
	if (uart_base)
		*(volatile u32 *)(ulong)uart_base = (u8)c;   /* UARTDR */
}

int uart_getc(void)
{
	volatile u32 *base = (volatile u32 *)(ulong)uart_base;

	if (!uart_base || (base[0x18 / 4] & 0x10))   /* FR.RXFE */
		return -1;
	return (int)(base[0] & 0xff);               /* DR */
}

/* ---- a flattened device tree, read in place ---- */

#define FDT_MAGIC 0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4

static u32 be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static u64 cells(const u8 *p, u32 n)
{
	u64 v = 0;

	while (n--) {
		v = v << 32 | be32(p);
		p += 4;
	}
	return v;
}

static int prefix(const char *s, const char *p)
{
	while (*p && *s == *p) {
		s++;
		p++;
	}
	return !*p && (*s == 0 || *s == '@');
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

struct fdt_seen {
	u64 *ranges;
	int max, n;
	const char *bootargs;
	int cpus;
};

/* one walk over the structure block */
static void fdt_walk(const u8 *fdt, struct fdt_seen *out)
{
	const u8 *p;
	const char *strs;
	const char *node[8] = { 0 };
	int depth = 0;
	u32 ac = 2, sc = 2;

	if (be32(fdt) != FDT_MAGIC)
		return;
	p = fdt + be32(fdt + 8);
	strs = (const char *)fdt + be32(fdt + 12);
	for (;;) {
		u32 tok = be32(p);

		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;

			if (depth < 8)
				node[depth] = name;
			depth++;
			p += (strlen_(name) + 4) & ~3ul;
		} else if (tok == FDT_END_NODE) {
			depth--;
		} else if (tok == FDT_PROP) {
			u32 len = be32(p), nameoff = be32(p + 4);
			const char *pname = strs + nameoff;
			const u8 *v = p + 8;

			if (depth == 1 && streq(pname, "#address-cells"))
				ac = be32(v);
			else if (depth == 1 && streq(pname, "#size-cells"))
				sc = be32(v);
			else if (depth == 2 && prefix(node[1], "memory") && streq(pname, "reg")) {
				for (u32 o = 0; o + 4 * (ac + sc) <= len && out->n < out->max; o += 4 * (ac + sc)) {
					u64 base = cells(v + o, ac), size = cells(v + o + 4 * ac, sc);

					out->ranges[2 * out->n] = base;
					out->ranges[2 * out->n + 1] = base + size;
					out->n++;
				}
			} else if (depth == 2 && prefix(node[1], "chosen") && streq(pname, "bootargs")) {
				out->bootargs = (const char *)v;
			} else if (depth == 3 && prefix(node[1], "cpus") && prefix(node[2], "cpu") &&
				   streq(pname, "device_type")) {
				out->cpus++;
			} else if (depth == 2 && prefix(node[1], "pl011") && streq(pname, "reg") && !uart_base) {
				uart_base = cells(v, ac);
			}
			p += 8 + ((len + 3) & ~3u);
		} else if (tok != FDT_NOP) {
			break;
		}
	}
}

static int cpu_count(const void *table)
{
	struct fdt_seen s = { 0, 0, 0, 0, 0 };

	fdt_walk(table, &s);
	return s.cpus;
}

int mem_map(const void *table, u64 *ranges, int max)
{
	struct fdt_seen s = { ranges, max, 0, 0, 0 };

	fdt_walk(table, &s);
	return s.n;
}

const char *bootargs(const void *table)
{
	struct fdt_seen s = { 0, 0, 0, 0, 0 };

	fdt_walk(table, &s);
	return s.bootargs ? s.bootargs : "";
}

/* ---- PSCI: more vCPUs ---- */

#define PSCI_CPU_OFF 0x84000002ul
#define PSCI_CPU_ON 0xc4000003ul
#define MAX_CPUS 16

extern char secondary_entry[];

static long psci(ulong fn, ulong a, ulong b, ulong c)
{
	register ulong x0 __asm__("x0") = fn;
	register ulong x1 __asm__("x1") = a;
	register ulong x2 __asm__("x2") = b;
	register ulong x3 __asm__("x3") = c;

	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return (long)x0;
}

void secondary_main(ulong index);
void secondary_main(ulong index)
{
	smp_report(index);
	psci(PSCI_CPU_OFF, 0, 0, 0);
	for (;;)
		;
}

/* no CPU hotplug on the virt board (QEMU's virt has none either) */
int arch_vcpu_online(int i, int on)
{
	(void)i;
	(void)on;
	return -1;
}

/* brings vCPUs 1..n-1 up (the device tree's cpu nodes); how many came */
int arch_smp(const void *table)
{
	int n = cpu_count(table), asked = 0;

	if (n > MAX_CPUS)
		n = MAX_CPUS;
	for (int i = 1; i < n; i++) {
		/* the virt board's MPIDR: Aff1 = i / 16, Aff0 = i % 16 */
		long rc = psci(PSCI_CPU_ON, (ulong)((i / 16) << 8 | (i % 16)), (ulong)secondary_entry, (ulong)i);

		asked += rc == 0;
	}
	return 1 + smp_wait(asked);
}

void guest_start(const void *dtb);
void guest_start(const void *dtb)
{
	u64 r[2];

	mem_map(dtb, r, 0);   /* finds the UART before anything is printed */
	guest_main(dtb);
}

/* no upcall interrupt on arm64's test guest (it polls its shared info) */
volatile u32 upcall_count;

int arch_upcall_init(u8 vector)
{
	(void)vector;
	return -1;
}

void arch_wait_interrupt(void)
{
}
