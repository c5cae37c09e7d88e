/*
 * tests/guests/x86/arch.c - the x86 (PVH) port: Xen found by cpuid leaf
 * 0x40000000 ("XenVMMXenVMM"), hypercalls through the hypercall page
 * (installed by writing its address to the MSR leaf 0x40000002 names) or,
 * where none appears, by `vmcall` (Intel) or `vmmcall` (AMD: `vmcall` is
 * #UD there) as Linux does since it dropped the page: the op in eax,
 * arguments in ebx, ecx, edx, esi, edi and the result in eax; the TSC's
 * rate from leaf 0x40000003; the COM1
 * 16550 at port 0x3f8, and what struct hvm_start_info says (the memory
 * map, the command line)
 */
#include "guest.h"

#ifdef __x86_64__
const char arch_name[] = "x86_64";
#else
const char arch_name[] = "x86";
#endif
const ulong testdev_base = 0xfe000000ul;
const ulong shinfo_pending_offset = 2048;   /* struct shared_info_x86_32: 32 vcpu_infos of 64 bytes first */

void arch_ret_code(u32 *code, u32 value)
{
	code[0] = 0xb8u | (value << 8);   /* mov eax, value (bytes 1-4) */
	code[1] = 0xffffc300u;            /* ...; ret */
}
u64 uart_base;

static void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static int amd;   /* the host's vendor decides the instruction */
static u8 hypercall_page[4096] __attribute__((aligned(4096)));
static int use_page;   /* Xen filled it (Unicorn's engine cannot see the MSR written) */
static u64 tsc_khz;    /* cpuid leaf 0x40000003: the TSC's rate, where Xen says */

static int hypercall_init(void)
{
	u32 a, b, c, d, max;

	cpuid(0, &a, &b, &c, &d);
	amd = (b == 0x68747541 && c == 0x444d4163 && d == 0x69746e65) ||   /* "AuthenticAMD" */
	      (b == 0x6f677948 && c == 0x656e6975 && d == 0x6e65476e);     /* "HygonGenuine" */
	cpuid(0x40000000, &max, &b, &c, &d);
	if (b != 0x566e6558 || c != 0x65584d4d || d != 0x4d4d566e)   /* "XenVMMXenVMM" */
		return -1;
	if (max >= 0x40000002) {
		cpuid(0x40000002, &a, &b, &c, &d);   /* b: the MSR that installs the page */
		__asm__ volatile("wrmsr" ::"c"(b), "a"((u32)(ulong)hypercall_page), "d"(0) : "memory");
		use_page = hypercall_page[0] == 0xb8;   /* mov $op, %eax: stubs are there */
	}
	if (max >= 0x40000003) {
		cpuid(0x40000003, &a, &b, &c, &d);   /* (subleaf 0) c: kHz */
		tsc_khz = c;
	}
	return 0;
}

#ifdef __x86_64__
/* 64-bit (guest64.elf, KVM only): Xen's x86_64 ABI through the page, op in rax, rdi, rsi, rdx, r10, r8 */
long hypercall(ulong op, ulong a0, ulong a1, ulong a2, ulong a3, ulong a4)
{
	long ret;
	register ulong r10 __asm__("r10") = a3;
	register ulong r8 __asm__("r8") = a4;

	if (!use_page)
		return -38;   /* -ENOSYS: no way to call without the page */
	__asm__ volatile("call *%%rax"
			 : "=a"(ret), "+D"(a0), "+S"(a1), "+d"(a2), "+r"(r10), "+r"(r8)
			 : "a"(hypercall_page + op * 32)
			 : "memory");
	return ret;
}
#else
long hypercall(ulong op, ulong a0, ulong a1, ulong a2, ulong a3, ulong a4)
{
	long ret;
	register ulong esi __asm__("esi") = a3;
	register ulong edi __asm__("edi") = a4;

	if (use_page)   /* the stub sets eax to op itself */
		__asm__ volatile("call *%%eax"
				 : "=a"(ret), "+b"(a0), "+c"(a1), "+d"(a2), "+r"(esi), "+r"(edi)
				 : "a"(hypercall_page + op * 32)
				 : "memory");
	else if (amd)
		__asm__ volatile("vmmcall"
				 : "=a"(ret), "+b"(a0), "+c"(a1), "+d"(a2), "+r"(esi), "+r"(edi)
				 : "a"(op)
				 : "memory");
	else
		__asm__ volatile("vmcall"
				 : "=a"(ret), "+b"(a0), "+c"(a1), "+d"(a2), "+r"(esi), "+r"(edi)
				 : "a"(op)
				 : "memory");
	return ret;
}
#endif

void arch_loop(u64 rounds)
{
#ifdef __x86_64__
	__asm__ volatile("1: dec %0; jnz 1b" : "+r"(rounds));
#else
	u32 lo = (u32)rounds;   /* what the bench asks for fits */

	__asm__ volatile("1: dec %0; jnz 1b" : "+r"(lo));
#endif
}

u32 arch_port_read(u16 port)
{
	u8 v;

	__asm__ volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port));
	return v;
}

void arch_undefined(void)
{
	__asm__ volatile("ud2");
}

void arch_mb(void)
{
#ifdef __x86_64__
	__asm__ volatile("lock; addl $0, (%%rsp)" ::: "memory");
#else
	__asm__ volatile("lock; addl $0, (%%esp)" ::: "memory");
#endif
}

u64 arch_counter(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

u64 arch_counter_hz(void)
{
	return tsc_khz ? tsc_khz * 1000 : 1000000000ull;   /* else (no Xen leaf): about a GHz */
}

void uart_putc(char c)
{
	if (uart_base)
		__asm__ volatile("outb %b0, %w1" ::"a"(c), "Nd"((u16)uart_base));
}

int uart_getc(void)
{
	u8 lsr, c;

	if (!uart_base)
		return -1;
	__asm__ volatile("inb %w1, %b0" : "=a"(lsr) : "Nd"((u16)(uart_base + 5)));
	if (!(lsr & 1))   /* LSR.DR */
		return -1;
	__asm__ volatile("inb %w1, %b0" : "=a"(c) : "Nd"((u16)uart_base));
	return c;
}

/* ---- more vCPUs: VCPUOP_initialise with a 32-bit vcpu_hvm_context, VCPUOP_up ---- */

#define HYPERVISOR_vcpu_op 24
#define VCPUOP_initialise 0
#define VCPUOP_up 1
#define VCPUOP_down 2
#define VCPUOP_is_up 3
#define MAX_CPUS 16

struct vcpu_hvm_context {
	u32 mode, pad;
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, eflags, cr0, cr3, cr4, pad1;
	u64 efer;
	u32 cs_base, ds_base, ss_base, es_base, tr_base;
	u32 cs_limit, ds_limit, ss_limit, es_limit, tr_limit;
	u16 cs_ar, ds_ar, ss_ar, es_ar, tr_ar, pad2[3];
};

extern char secondary_entry[], secondary_stacks[];

/* CPU hotplug: a vCPU online runs (blocked) until asked to stop */
static volatile u32 hotplug, hp_up[MAX_CPUS], hp_stop[MAX_CPUS];
static int hp_ready[MAX_CPUS];

void secondary_main(ulong index);
void secondary_main(ulong index)
{
	if (!hotplug) {
		smp_report(index);
		hypercall(HYPERVISOR_vcpu_op, VCPUOP_down, index, 0, 0, 0);
		for (;;)
			;
	}
	/* Xen resumes a vCPU after its VCPUOP_down when it is brought up again; the
	 * simulator starts it at its entry again: either way, round again */
	for (;;) {
		hp_up[index] = 1;
		while (!hp_stop[index])
			hypercall(HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0);
		hp_up[index] = 0;
		hypercall(HYPERVISOR_vcpu_op, VCPUOP_down, index, 0, 0, 0);
	}
}

#ifdef __x86_64__
extern char secondary_entry64[];

/* vCPU @i's first state: a 64-bit context (long mode, this vCPU's page tables), secondary_entry64 on its own stack */
static long initialise(int i)
{
	static struct { u32 mode, pad; u64 rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, rip, rflags, cr0, cr3, cr4, efer; } c;
	ulong cr0, cr3, cr4;

	__asm__ volatile("mov %%cr0, %0; mov %%cr3, %1; mov %%cr4, %2" : "=r"(cr0), "=r"(cr3), "=r"(cr4));
	memset(&c, 0, sizeof(c));
	c.mode = 1;   /* VCPU_HVM_MODE_64B */
	c.rip = (ulong)secondary_entry64;
	c.rsp = (ulong)secondary_stacks + (ulong)(i + 1) * 4096;
	c.rdi = (u64)i;
	c.rflags = 2;
	c.cr0 = cr0, c.cr3 = cr3, c.cr4 = cr4;
	c.efer = 0x500;   /* LME, LMA */
	return hypercall(HYPERVISOR_vcpu_op, VCPUOP_initialise, (ulong)i, (ulong)&c, 0, 0);
}
#else
/* vCPU @i's first state: secondary_entry on its own stack, flat 32-bit */
static long initialise(int i)
{
	static struct vcpu_hvm_context c;

	memset(&c, 0, sizeof(c));
	c.eip = (u32)(ulong)secondary_entry;
	c.esp = (u32)(ulong)secondary_stacks + (u32)(i + 1) * 4096;
	c.eax = (u32)i;
	c.eflags = 2;
	c.cr0 = 1;   /* PE */
	c.cs_limit = c.ds_limit = c.ss_limit = c.es_limit = ~0u;
	c.cs_ar = 0xc9b;   /* flat 32-bit code */
	c.ds_ar = c.ss_ar = c.es_ar = 0xc93;
	c.tr_ar = 0x8b;
	return hypercall(HYPERVISOR_vcpu_op, VCPUOP_initialise, (ulong)i, (ulong)&c, 0, 0);
}
#endif

/* yields while fewer than 5 s have passed since @start (the vCPU's own wait is a second at most) */
static int waiting(u64 start)
{
	hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	return arch_counter() - start < 5 * arch_counter_hz();
}

int arch_vcpu_online(int i, int on)
{
	u64 start = arch_counter();

	if (i <= 0 || i >= MAX_CPUS)
		return -1;
	hotplug = 1;
	if (on) {
		if (!hp_ready[i] && initialise(i))
			return -1;
		hp_ready[i] = 1;
		hp_stop[i] = 0;
		if (hypercall(HYPERVISOR_vcpu_op, VCPUOP_up, (ulong)i, 0, 0, 0))
			return -1;
		while (!hp_up[i])
			if (!waiting(start))
				return -1;
		return 0;
	}
	hp_stop[i] = 1;
	while (hp_up[i] || hypercall(HYPERVISOR_vcpu_op, VCPUOP_is_up, (ulong)i, 0, 0, 0) > 0)
		if (!waiting(start))
			return -1;
	return 0;
}

int arch_smp(const void *table)
{
	int n = 0, asked = 0;

	(void)table;
	/* the vCPUs there are: initialise answers -ENOENT past the last */
	for (int i = 1; i < MAX_CPUS; i++) {
		if (initialise(i))
			break;
		n++;
		asked += hypercall(HYPERVISOR_vcpu_op, VCPUOP_up, (ulong)i, 0, 0, 0) == 0;
	}
	return 1 + smp_wait(asked);
}

/* ---- struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h) ---- */

struct start_info {
	u32 magic, version, flags, nr_modules;
	u64 modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	u32 memmap_entries, reserved;
};

struct memmap_entry {
	u64 addr, size;
	u32 type, reserved;
};

#define START_INFO_MAGIC 0x336ec578

int mem_map(const void *table, u64 *ranges, int max)
{
	const struct start_info *si = table;
	const struct memmap_entry *e;
	int n = 0;

	if (si->magic != START_INFO_MAGIC || si->version < 1)
		return 0;
	e = (const struct memmap_entry *)(ulong)si->memmap_paddr;
	for (u32 i = 0; i < si->memmap_entries && n < max; i++) {
		if (e[i].type != 1)   /* RAM */
			continue;
		ranges[2 * n] = e[i].addr;
		ranges[2 * n + 1] = e[i].addr + e[i].size;
		n++;
	}
	return n;
}

const char *bootargs(const void *table)
{
	const struct start_info *si = table;

	return si->magic == START_INFO_MAGIC && si->cmdline_paddr ? (const char *)(ulong)si->cmdline_paddr : "";
}

/* 64-bit division for printing, without libgcc */
u64 __udivdi3(u64 n, u64 d);
u64 __umoddi3(u64 n, u64 d);

static u64 divmod(u64 n, u64 d, u64 *rem)
{
	u64 q = 0, r = 0;

	for (int i = 63; i >= 0; i--) {
		r = r << 1 | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	*rem = r;
	return q;
}

u64 __udivdi3(u64 n, u64 d)
{
	u64 r;

	return divmod(n, d, &r);
}

u64 __umoddi3(u64 n, u64 d)
{
	u64 r;

	divmod(n, d, &r);
	return r;
}

/* ---- interrupts: one vector counted, for the event-channel upcall ---- */

#define LAPIC 0xfee00000ul

#ifdef __x86_64__
struct gate { u16 off0, sel; u8 ist, type; u16 off1; u32 off2, rsvd; };
#else
struct gate { u16 off0, sel; u8 zero, type; u16 off1; };
#endif
static struct gate idt[256] __attribute__((aligned(16)));
volatile u32 upcall_count;
void upcall_entry(void);

/* the handler: count, end the interrupt at the local APIC (EOI), return */
__asm__(".text\n"
	".globl upcall_entry\n"
	"upcall_entry:\n"
#ifdef __x86_64__
	"	pushq %rax\n"
	"	lock incl upcall_count(%rip)\n"
	"	movl $0xfee000b0, %eax\n"
	"	movl $0, (%rax)\n"
	"	popq %rax\n"
	"	iretq\n"
#else
	"	pushl %eax\n"
	"	lock incl upcall_count\n"
	"	movl $0xfee000b0, %eax\n"
	"	movl $0, (%eax)\n"
	"	popl %eax\n"
	"	iret\n"
#endif
);

int arch_upcall_init(u8 vector)
{
	struct { u16 limit; ulong base; } __attribute__((packed)) dt = { sizeof(idt) - 1, (ulong)idt };
	ulong h = (ulong)upcall_entry;
	u16 cs;

#ifndef __x86_64__
	{
		/* PVH leaves GDTR undefined: a GDT with the entry's flat code (0x10) and data (0x18) */
		static const u64 gdt[4] __attribute__((aligned(16))) = { 0, 0, 0x00cf9a000000ffffull,
									   0x00cf92000000ffffull };
		struct { u16 limit; ulong base; } __attribute__((packed)) gd = { sizeof(gdt) - 1, (ulong)gdt };

		__asm__ volatile("lgdt %0" ::"m"(gd));
	}
#endif
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[vector].off0 = (u16)h;
	idt[vector].sel = cs;
	idt[vector].type = 0x8e;   /* present, ring 0, interrupt gate */
	idt[vector].off1 = (u16)(h >> 16);
#ifdef __x86_64__
	idt[vector].off2 = (u32)(h >> 32);
#endif
	__asm__ volatile("lidt %0" ::"m"(dt));
	*(volatile u32 *)(LAPIC + 0xf0) = 0x1ff;   /* spurious vector 0xff, the APIC enabled */
	__asm__ volatile("sti");
	return 0;
}

void arch_wait_interrupt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

void guest_start(const void *start_info);
void guest_start(const void *start_info)
{
	uart_base = 0x3f8;
	if (hypercall_init()) {
		/* no Xen: nothing to say it with but the UART */
		const char *m = "physmap test guest (x86): no Xen hypervisor found\n";

		while (*m)
			uart_putc(*m++);
		for (;;)
			__asm__ volatile("hlt");
	}
	guest_main(start_info);
}
