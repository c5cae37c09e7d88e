/*
 * tools/sim/vcpu-x86.c - x86 vCPUs as PVH starts them: 32-bit protected
 * mode, paging off, flat segments, ebx = hvm_start_info
 *
 * What a guest learns of Xen and how it calls it, as on Xen:
 * - cpuid leaves 0x40000000-3: the "XenVMMXenVMM" signature, version 4.17,
 *   one hypercall page through MSR 0x40000000 (advertised as Xen does;
 *   Unicorn's TCG swallows writes to unknown MSRs, so no page is written:
 *   guests call vmcall directly, as Linux does since 6.10), the TSC's rate
 *   (Unicorn's rdtsc is the host's TSC, measured once against
 *   CLOCK_MONOTONIC; it is not a nanosecond count);
 * - vmcall (an invalid instruction to Unicorn, which has no VMX) is the
 *   hypercall: op in eax, arguments in ebx, ecx, edx, esi, edi, the
 *   result in eax.
 * Port I/O (in/out) goes to the device model as PIO ioreqs. Any other
 * exception crashes the domain with its vector and eip. Leaving the engine
 * from a trap works as on aarch64, through exit_pc.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "ioreq.h"
#include "vcpu.h"

#define XEN_MSR 0x40000000u
#define XEN_CPUID 0x40000000u

static uint64_t host_khz = 1000000;   /* a host without a TSC we can read: Unicorn's counter as ns, about */
static pthread_once_t host_khz_once = PTHREAD_ONCE_INIT;

/*
 * Unicorn's rdtsc reads the host's TSC (QEMU's cpu_get_host_ticks, with no
 * offset): its rate is the host TSC's, measured here over 10 ms against
 * CLOCK_MONOTONIC, so that a guest timing itself by the TSC and Xen's
 * leaf 0x40000003 (as Linux's and the test guests do) gets seconds right
 */
static void measure_khz(void)
{
#if defined(__x86_64__) || defined(__i386__)
	struct timespec a, b, nap = { 0, 10000000 };
	uint64_t c0, c1, ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	c0 = __rdtsc();
	nanosleep(&nap, NULL);
	c1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ull + (uint64_t)b.tv_nsec - (uint64_t)a.tv_nsec;
	if (ns && c1 > c0)
		host_khz = (c1 - c0) * 1000000ull / ns;
#endif
}

static uint64_t tsc_khz(void)
{
	pthread_once(&host_khz_once, measure_khz);
	return host_khz;
}

static uint32_t reg(struct sim_vcpu *v, int r)
{
	uint32_t x = 0;

	uc_reg_read(v->uc, r, &x);
	return x;
}

static void set(struct sim_vcpu *v, int r, uint32_t x)
{
	uc_reg_write(v->uc, r, &x);
}

static uint64_t x86_pc(struct sim_vcpu *v)
{
	return reg(v, UC_X86_REG_EIP);
}

/* an instruction Unicorn cannot run: vmcall (Intel's) or vmmcall (AMD's) is the hypercall; others crash */
static bool invalid(uc_engine *uc, void *opaque)
{
	struct sim_vcpu *v = opaque;
	uint64_t eip = reg(v, UC_X86_REG_EIP), arg[5];
	uint8_t insn[3] = { 0 };
	int rc;

	pthread_mutex_lock(&v->s->lock);
	rc = sim_guest_copy(v->s, v->d, eip, insn, sizeof(insn), false);
	pthread_mutex_unlock(&v->s->lock);
	if (rc || insn[0] != 0x0f || insn[1] != 0x01 || (insn[2] != 0xc1 && insn[2] != 0xd9)) {
		snprintf(v->stop_why, sizeof(v->stop_why), "invalid instruction at eip 0x%" PRIx64, eip);
		return false;
	}
	arg[0] = reg(v, UC_X86_REG_EBX);
	arg[1] = reg(v, UC_X86_REG_ECX);
	arg[2] = reg(v, UC_X86_REG_EDX);
	arg[3] = reg(v, UC_X86_REG_ESI);
	arg[4] = reg(v, UC_X86_REG_EDI);
	set(v, UC_X86_REG_EAX, (uint32_t)sim_hypercall(v, reg(v, UC_X86_REG_EAX), arg));
	set(v, UC_X86_REG_EIP, (uint32_t)sim_vcpu_leave(v, eip + 3, sim_arch_x86.exit_pc));
	return true;
}

/* an exception the guest raised: it owns no handler the simulator would call */
static void trap(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct sim_vcpu *v = opaque;
	uint64_t eip = reg(v, UC_X86_REG_EIP);

	snprintf(v->stop_why, sizeof(v->stop_why), "exception %u at eip 0x%" PRIx64, intno, eip);
	set(v, UC_X86_REG_EIP, (uint32_t)sim_vcpu_leave(v, eip, sim_arch_x86.exit_pc));
}

static int cpuid(struct uc_struct *uc, void *opaque)
{
	struct sim_vcpu *v = opaque;
	uint32_t leaf = reg(v, UC_X86_REG_EAX);

	switch (leaf) {
	case XEN_CPUID:
		set(v, UC_X86_REG_EAX, XEN_CPUID + 3);
		set(v, UC_X86_REG_EBX, 0x566e6558);   /* "XenV" */
		set(v, UC_X86_REG_ECX, 0x65584d4d);   /* "MMXe" */
		set(v, UC_X86_REG_EDX, 0x4d4d566e);   /* "nVMM" */
		return 1;
	case XEN_CPUID + 1:
		set(v, UC_X86_REG_EAX, 4 << 16 | 17);  /* Xen 4.17 */
		set(v, UC_X86_REG_EBX, 0);
		set(v, UC_X86_REG_ECX, 0);
		set(v, UC_X86_REG_EDX, 0);
		return 1;
	case XEN_CPUID + 2:
		set(v, UC_X86_REG_EAX, 1);            /* hypercall pages */
		set(v, UC_X86_REG_EBX, XEN_MSR);
		set(v, UC_X86_REG_ECX, 0);
		set(v, UC_X86_REG_EDX, 0);
		return 1;
	case XEN_CPUID + 3:
		set(v, UC_X86_REG_EAX, 0);
		set(v, UC_X86_REG_EBX, 0);
		set(v, UC_X86_REG_ECX, (uint32_t)tsc_khz());   /* subleaf 0: the TSC's kHz */
		set(v, UC_X86_REG_EDX, 0);
		return 1;
	}
	return 0;
}

static uint32_t port_in(uc_engine *uc, uint32_t port, int size, void *opaque)
{
	uint64_t data = 0;

	if (sim_ioreq_access(opaque, PM_SIM_IO_PIO, port, (unsigned int)size, false, &data))
		return (uint32_t)data;
	return size == 4 ? ~0u : (1u << (size * 8)) - 1;   /* nobody there: the bus floats */
}

static void port_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *opaque)
{
	uint64_t data = value;

	sim_ioreq_access(opaque, PM_SIM_IO_PIO, port, (unsigned int)size, true, &data);
}

static int x86_init(struct sim_vcpu *v)
{
	static const int regs[4] = { UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_ECX, UC_X86_REG_EDX };
	uc_hook h;
	bool ok;

	if (sim_engine_open(UC_ARCH_X86, UC_MODE_32, &v->uc))
		return -ENOMEM;
	for (int i = 0; i < 4; i++)
		set(v, regs[i], (uint32_t)v->ctx.regs[i]);
	set(v, UC_X86_REG_EIP, (uint32_t)v->ctx.pc);
	set(v, UC_X86_REG_ESP, (uint32_t)v->ctx.sp);
	set(v, UC_X86_REG_EFLAGS, 0x2);
	ok = uc_hook_add(v->uc, &h, UC_HOOK_INTR, trap, v, 1, 0) == UC_ERR_OK &&
	     uc_hook_add(v->uc, &h, UC_HOOK_INSN_INVALID, invalid, v, 1, 0) == UC_ERR_OK &&
	     uc_hook_add(v->uc, &h, UC_HOOK_INSN, cpuid, v, 1, 0, UC_X86_INS_CPUID) == UC_ERR_OK &&
	     uc_hook_add(v->uc, &h, UC_HOOK_INSN, port_in, v, 1, 0, UC_X86_INS_IN) == UC_ERR_OK &&
	     uc_hook_add(v->uc, &h, UC_HOOK_INSN, port_out, v, 1, 0, UC_X86_INS_OUT) == UC_ERR_OK;
	if (!ok) {
		uc_close(v->uc);
		v->uc = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* the general registers, eip, eflags and the control registers (segments stay PVH's flat ones) */
static const int state_regs[] = {
	UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX, UC_X86_REG_ESP,
	UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI, UC_X86_REG_EIP, UC_X86_REG_EFLAGS,
	UC_X86_REG_CR0, UC_X86_REG_CR2, UC_X86_REG_CR3, UC_X86_REG_CR4,
};

const struct sim_arch sim_arch_x86 = {
	.init = x86_init,
	.pc = x86_pc,
	.word = 4,
	.exit_pc = 0xfffff000ull,   /* the top page of the 32-bit space, never mapped (vcpu.c) */
	.pc_reg = UC_X86_REG_EIP,
	.sp_reg = UC_X86_REG_ESP,
	.mode_reg = UC_X86_REG_CR0,
	.boot_regs = { UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_ECX, UC_X86_REG_EDX },
	.state_regs = state_regs,
	.nr_state = sizeof(state_regs) / sizeof(state_regs[0]),
};
