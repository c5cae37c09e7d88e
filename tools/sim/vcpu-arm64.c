/*
 * tools/sim/vcpu-arm64.c - aarch64 vCPUs: the entry state of Linux's
 * arm64 boot protocol, and Xen's hypercall trap
 *
 * Unicorn models no EL2, so `hvc` is an undefined instruction at EL1: the
 * engine reports exception 1 (EXCP_UDEF) with pc at the instruction. If
 * the instruction is `hvc #0xEA1` (Xen's hypercall immediate) the call is
 * served: op in x16, arguments in x0-x4, the result in x0, pc past the hvc.
 * `hvc #0` is an SMCCC call: PSCI 1.0 as the board's device tree announces
 * it (CPU_ON brings a vCPU up, CPU_OFF takes the caller down, SYSTEM_OFF
 * and SYSTEM_RESET shut the domain down, as Linux powers off on Xen).
 * Any other exception crashes the domain with its number and pc: these
 * guests own no vectors the simulator would deliver to. To leave the
 * engine from the trap (uc_emu_stop() does not, from a hook) pc goes to
 * exit_pc, whose fetch fault ends the run; vcpu.c resumes where it should.
 *
 * Guest pointers are guest physical addresses: the guests run with the
 * MMU off, where virtual and physical are one.
 *
 * The generic timer's counters (CNTVCT_EL0, CNTPCT_EL0) are read here, not
 * by the engine: system time at CNTFRQ_EL0's 62.5 MHz. Unicorn reads its
 * clock through a flag each engine's creation resets for an instant, so
 * a vCPU that read the counter while another domain's vCPU was being made
 * saw the wall clock instead (a jump of decades, then back): a guest's
 * "60 seconds" loop ended at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xen/sched.h>

#include "vcpu.h"

#define EXCP_UDEF 1
#define HVC_XEN 0xd401d422u   /* hvc #0xea1 */
#define HVC_0 0xd4000002u     /* hvc #0: SMCCC calls, PSCI among them */

/* PSCI 1.0 (ARM DEN 0022), what the virt board's device tree offers */
/* the counters' encodings (op0 3, op1 3, CRn 14, CRm 0): CNTPCT_EL0 op2 1, CNTVCT_EL0 op2 2 */
#define CNT_OP2_PHYS 1
#define CNT_OP2_VIRT 2
#define CNT_NS_PER_TICK 16   /* CNTFRQ_EL0 62.5 MHz, as the engine announces it */

#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON_32 0x84000003u
#define PSCI_CPU_ON 0xc4000003u
#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au
#define PSCI_NOT_SUPPORTED -1
#define PSCI_INVALID_PARAMETERS -2
#define PSCI_ALREADY_ON -4

static uint64_t reg(struct sim_vcpu *v, int r)
{
	uint64_t x = 0;

	uc_reg_read(v->uc, r, &x);
	return x;
}

static uint64_t arm64_pc(struct sim_vcpu *v)
{
	return reg(v, UC_ARM64_REG_PC);
}

/* an MPIDR as the virt board numbers vCPUs: Aff1 clusters of 16, Aff0 within */
static int64_t mpidr_index(uint64_t mpidr)
{
	return (int64_t)(((mpidr >> 8) & 0xff) * 16 + (mpidr & 0xff));
}

static int64_t psci(struct sim_vcpu *v, const uint64_t x[4])
{
	struct sim *s = v->s;
	struct sim_domain *d = v->d;
	int64_t ret = PSCI_NOT_SUPPORTED;

	pthread_mutex_lock(&s->lock);
	switch ((uint32_t)x[0]) {
	case PSCI_VERSION:
		ret = 1 << 16;   /* 1.0 */
		break;
	case PSCI_FEATURES:
		ret = x[1] == PSCI_VERSION || x[1] == PSCI_CPU_OFF || x[1] == PSCI_CPU_ON || x[1] == PSCI_CPU_ON_32 ||
			      x[1] == PSCI_AFFINITY_INFO || x[1] == PSCI_SYSTEM_OFF || x[1] == PSCI_SYSTEM_RESET ||
			      x[1] == PSCI_MIGRATE_INFO_TYPE || x[1] == PSCI_FEATURES
			  ? 0 : PSCI_NOT_SUPPORTED;
		break;
	case PSCI_MIGRATE_INFO_TYPE:
		ret = 2;   /* no trusted OS */
		break;
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_32: {
		struct pm_sim_vcpu_ctx ctx = v->ctx;
		int64_t target = mpidr_index(x[1]);
		int rc;

		ctx.vcpu = (uint32_t)target;
		ctx.pc = (uint32_t)x[0] == PSCI_CPU_ON_32 ? (uint32_t)x[2] : x[2];
		memset(ctx.regs, 0, sizeof(ctx.regs));
		ctx.regs[0] = x[3];   /* context_id */
		ctx.pstate = 0x3c5;   /* EL1h, interrupts masked, as at boot */
		rc = target < (int64_t)d->vcpus ? v->s->hooks->vcpu_up(d, (uint32_t)target, &ctx) : -EINVAL;
		ret = rc == -EEXIST ? PSCI_ALREADY_ON : rc ? PSCI_INVALID_PARAMETERS : 0;
		break;
	}
	case PSCI_AFFINITY_INFO: {
		int64_t target = mpidr_index(x[1]);

		ret = target >= (int64_t)d->vcpus || x[2] ? PSCI_INVALID_PARAMETERS
			: d->vcpu[target].started && !d->vcpu[target].exited && !d->vcpu[target].off ? 0 : 1;
		break;
	}
	case PSCI_CPU_OFF:
		v->off = true;   /* it leaves the engine when the trap returns */
		ret = 0;
		break;
	case PSCI_SYSTEM_OFF:
		sim_shutdown(s, d, SHUTDOWN_poweroff, NULL);
		ret = 0;
		break;
	case PSCI_SYSTEM_RESET:
		sim_shutdown(s, d, SHUTDOWN_reboot, NULL);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void trap(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct sim_vcpu *v = opaque;
	uint64_t pc = reg(v, UC_ARM64_REG_PC), arg[5];
	uint32_t insn = 0;
	int64_t ret;

	/* the instruction is read as the guest sees it: RAM through the P2M */
	pthread_mutex_lock(&v->s->lock);
	if (intno == EXCP_UDEF && sim_guest_copy(v->s, v->d, pc, &insn, 4, false))
		insn = 0;
	pthread_mutex_unlock(&v->s->lock);
	if (intno == EXCP_UDEF && insn == HVC_0) {
		uint64_t x[4];

		for (int i = 0; i < 4; i++)
			x[i] = reg(v, UC_ARM64_REG_X0 + i);
		ret = psci(v, x);
		uc_reg_write(uc, UC_ARM64_REG_X0, &ret);
		pc += 4;
	} else if (intno != EXCP_UDEF || insn != HVC_XEN) {
		snprintf(v->stop_why, sizeof(v->stop_why), "%s at pc 0x%" PRIx64 " (exception %u)",
			 intno == EXCP_UDEF ? "undefined instruction" : "unhandled exception", pc, intno);
	} else {
		for (int i = 0; i < 5; i++)
			arg[i] = reg(v, UC_ARM64_REG_X0 + i);
		ret = sim_hypercall(v, reg(v, UC_ARM64_REG_X16), arg);
		uc_reg_write(uc, UC_ARM64_REG_X0, &ret);
		pc += 4;
	}
	pc = sim_vcpu_leave(v, pc, sim_arch_arm64.exit_pc);
	uc_reg_write(uc, UC_ARM64_REG_PC, &pc);
}

/* an MRS: the counters answered from system time (returns 1: done here), anything else left to the engine */
static uint32_t mrs(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp, void *opaque)
{
	uint64_t ticks;

	(void)opaque;
	if (cp->op0 != 3 || cp->op1 != 3 || cp->crn != 14 || cp->crm != 0 ||
	    (cp->op2 != CNT_OP2_PHYS && cp->op2 != CNT_OP2_VIRT))
		return 0;
	ticks = sim_now_ns() / CNT_NS_PER_TICK;
	uc_reg_write(uc, reg, &ticks);
	return 1;
}

static int arm64_init(struct sim_vcpu *v)
{
	uc_hook h, hm;
	uint64_t pstate = v->ctx.pstate;

	if (sim_engine_open(UC_ARCH_ARM64, UC_MODE_ARM, &v->uc))
		return -ENOMEM;
	for (int i = 0; i < 4; i++)
		uc_reg_write(v->uc, UC_ARM64_REG_X0 + i, &v->ctx.regs[i]);
	uc_reg_write(v->uc, UC_ARM64_REG_PC, &v->ctx.pc);
	if (pstate)
		uc_reg_write(v->uc, UC_ARM64_REG_PSTATE, &pstate);
	if (uc_hook_add(v->uc, &h, UC_HOOK_INTR, trap, v, 1, 0) != UC_ERR_OK ||
	    uc_hook_add(v->uc, &hm, UC_HOOK_INSN, mrs, v, 1, 0, UC_ARM64_INS_MRS) != UC_ERR_OK) {
		uc_close(v->uc);
		v->uc = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* x0-x30, sp, pc, pstate, then EL0/EL1 state a guest with its MMU on needs */
static const int state_regs[] = {
	UC_ARM64_REG_X0, UC_ARM64_REG_X1, UC_ARM64_REG_X2, UC_ARM64_REG_X3, UC_ARM64_REG_X4,
	UC_ARM64_REG_X5, UC_ARM64_REG_X6, UC_ARM64_REG_X7, UC_ARM64_REG_X8, UC_ARM64_REG_X9,
	UC_ARM64_REG_X10, UC_ARM64_REG_X11, UC_ARM64_REG_X12, UC_ARM64_REG_X13, UC_ARM64_REG_X14,
	UC_ARM64_REG_X15, UC_ARM64_REG_X16, UC_ARM64_REG_X17, UC_ARM64_REG_X18, UC_ARM64_REG_X19,
	UC_ARM64_REG_X20, UC_ARM64_REG_X21, UC_ARM64_REG_X22, UC_ARM64_REG_X23, UC_ARM64_REG_X24,
	UC_ARM64_REG_X25, UC_ARM64_REG_X26, UC_ARM64_REG_X27, UC_ARM64_REG_X28, UC_ARM64_REG_X29,
	UC_ARM64_REG_X30, UC_ARM64_REG_SP, UC_ARM64_REG_PC, UC_ARM64_REG_PSTATE,
	UC_ARM64_REG_SP_EL0, UC_ARM64_REG_ELR_EL1, UC_ARM64_REG_VBAR_EL1, UC_ARM64_REG_ESR_EL1,
	UC_ARM64_REG_FAR_EL1, UC_ARM64_REG_TTBR0_EL1, UC_ARM64_REG_TTBR1_EL1, UC_ARM64_REG_MAIR_EL1,
	UC_ARM64_REG_TPIDR_EL0, UC_ARM64_REG_TPIDR_EL1, UC_ARM64_REG_CPACR_EL1,
	SIM_REG_SCTLR_EL1, SIM_REG_TCR_EL1,
};

const struct sim_arch sim_arch_arm64 = {
	.init = arm64_init,
	.pc = arm64_pc,
	.word = 8,
	.exit_pc = 0x7ffffffff000ull,   /* the top page of a 47-bit space: no board puts RAM there */
	.pc_reg = UC_ARM64_REG_PC,
	.sp_reg = UC_ARM64_REG_SP,
	.mode_reg = UC_ARM64_REG_PSTATE,
	.boot_regs = { UC_ARM64_REG_X0, UC_ARM64_REG_X1, UC_ARM64_REG_X2, UC_ARM64_REG_X3 },
	.state_regs = state_regs,
	.nr_state = sizeof(state_regs) / sizeof(state_regs[0]),
};
