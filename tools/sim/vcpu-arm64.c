/*
 * tools/sim/vcpu-arm64.c - aarch64 vCPUs: the entry state of Linux's
 * arm64 boot protocol, and Xen's hypercall trap
 *
 * Unicorn models no EL2, so `hvc` is an undefined instruction at EL1: the
 * engine reports exception 1 (EXCP_UDEF) with pc at the instruction. If
 * the instruction is `hvc #0xEA1` (Xen's hypercall immediate) the call is
 * served: op in x16, arguments in x0-x4, the result in x0, pc past the hvc.
 * Any other exception crashes the domain with its number and pc: these
 * guests own no vectors the simulator would deliver to. To leave the
 * engine from the trap (uc_emu_stop() does not, from a hook) pc goes to
 * exit_pc, whose fetch fault ends the run; vcpu.c resumes where it should.
 *
 * Guest pointers are guest physical addresses: the guests run with the
 * MMU off, where virtual and physical are one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "vcpu.h"

#define EXCP_UDEF 1
#define HVC_XEN 0xd401d422u   /* hvc #0xea1 */

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
	if (intno != EXCP_UDEF || insn != HVC_XEN) {
		snprintf(v->stop_why, sizeof(v->stop_why), "%s at pc 0x%" PRIx64 " (exception %u)",
			 intno == EXCP_UDEF ? "undefined instruction" : "unhandled exception", pc, intno);
	} else {
		for (int i = 0; i < 5; i++)
			arg[i] = reg(v, UC_ARM64_REG_X0 + i);
		ret = sim_hypercall(v, reg(v, UC_ARM64_REG_X16), arg);
		uc_reg_write(uc, UC_ARM64_REG_X0, &ret);
		pc += 4;
	}
	pc = sim_vcpu_leave(v, pc);
	uc_reg_write(uc, UC_ARM64_REG_PC, &pc);
}

static int arm64_init(struct sim_vcpu *v)
{
	uc_hook h;
	uint64_t pstate = v->ctx.pstate;

	if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &v->uc) != UC_ERR_OK) {
		v->uc = NULL;
		return -ENOMEM;
	}
	for (int i = 0; i < 4; i++)
		uc_reg_write(v->uc, UC_ARM64_REG_X0 + i, &v->ctx.regs[i]);
	uc_reg_write(v->uc, UC_ARM64_REG_PC, &v->ctx.pc);
	if (pstate)
		uc_reg_write(v->uc, UC_ARM64_REG_PSTATE, &pstate);
	if (uc_hook_add(v->uc, &h, UC_HOOK_INTR, trap, v, 1, 0) != UC_ERR_OK) {
		uc_close(v->uc);
		v->uc = NULL;
		return -ENOMEM;
	}
	return 0;
}

const struct sim_arch sim_arch_arm64 = {
	.init = arm64_init,
	.pc = arm64_pc,
	.word = 8,
	.exit_pc = 0x7ffffffff000ull,   /* the top page of a 47-bit space: no board puts RAM there */
};
