/*
 * tools/sim/kvm-emulate.c - the instructions KVM hands back: done here as
 * the CPU (and Xen, for a guest without nested virtualization) would
 *
 * On a host whose KVM runs guests through its instruction emulator (the
 * kvm-pvm of this machine kind), an instruction that emulator lacks ends
 * KVM_RUN with KVM_INTERNAL_ERROR_EMULATION at any privilege level (the VM
 * has KVM_CAP_EXIT_ON_EMULATION_FAILURE). Done here: `iret` in 32-bit
 * protected mode, software interrupts (int n, int3, into, int1) delivered
 * through the guest's IDT in protected and long mode, `fnop`, `fwait`, and VMX
 * instructions (#UD, as Xen gives a guest without nested HVM). Anything
 * else raises #UD in a guest's user mode (what KVM did before the exit
 * existed) and crashes the domain, naming the pc, in its kernel.
 *
 * Where this code would need to raise a fault of its own while it
 * delivers (a stack or IDT page not mapped), it gives up: the domain
 * crashes rather than run on in a state the CPU would not produce.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "kvm.h"
#include "sim.h"
#include "vcpu.h"

#define EFER_LMA (1u << 10)
#define CR0_PE 1u
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_NE (1u << 5)
#define F_TF (1u << 8)
#define F_IF (1u << 9)
#define F_NT (1u << 14)
#define F_RF (1u << 16)
#define F_VM (1u << 17)
#define VEC_DB 1u
#define VEC_BP 3u
#define VEC_OF 4u
#define VEC_UD 6u
#define VEC_NM 7u
#define VEC_NP 11u
#define VEC_GP 13u
#define VEC_MF 16u
#define PAGE 4096ull

/* the vCPU's state as one instruction sees it */
struct insn {
	struct kvm_regs r;
	struct kvm_sregs sr;
	uint8_t b[15];    /* its bytes (as many as could be read) */
	unsigned int n;   /* how many */
	unsigned int at;  /* where the opcode starts, past prefixes */
	unsigned int cpl;
	bool lm;          /* long mode (64-bit or compatibility code) */
	bool code64;      /* 64-bit code */
};

/* an exception for the next entry, the faulting instruction not done; returns: whether KVM took it */

/* ---- what the engine (kvm.c) and the emulator share ---- */

int sim_kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int sim_kvm_linear_copy(struct sim_vcpu *v, uint64_t la, void *buf, size_t len, bool out)
{
	struct kvm_translation t = { .linear_address = la };
	int rc;

	if (la / PAGE != (la + len - 1) / PAGE)
		return sim_kvm_linear_copy(v, la, buf, PAGE - la % PAGE, out) ||
		       sim_kvm_linear_copy(v, la + (PAGE - la % PAGE), (char *)buf + (PAGE - la % PAGE),
				   len - (PAGE - la % PAGE), out) ? -EFAULT : 0;
	if (sim_kvm_ioctl(v->kvm_fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return -EFAULT;
	pthread_mutex_lock(&v->s->lock);
	rc = sim_guest_copy(v->s, v->d, t.physical_address, buf, len, out);
	pthread_mutex_unlock(&v->s->lock);
	return rc;
}

static bool raise_exc(struct sim_vcpu *v, unsigned int vec, bool has_code, uint32_t code)
{
	struct kvm_vcpu_events e;

	if (sim_kvm_ioctl(v->kvm_fd, KVM_GET_VCPU_EVENTS, &e) < 0)
		return false;
	e.exception.injected = 1;
	e.exception.nr = (uint8_t)vec;
	e.exception.has_error_code = has_code;
	e.exception.error_code = code;
	e.flags &= ~(uint32_t)KVM_VCPUEVENT_VALID_PAYLOAD;
	return sim_kvm_ioctl(v->kvm_fd, KVM_SET_VCPU_EVENTS, &e) >= 0;
}

/* the segment a selector names in the GDT, as KVM holds one; returns: 0; -EFAULT; -EINVAL (not usable) */
static int descriptor(struct sim_vcpu *v, const struct kvm_sregs *sr, uint16_t sel, struct kvm_segment *seg)
{
	uint32_t d[2];

	if (!(sel & ~3u) || (sel & 4) || (sel | 7u) > sr->gdt.limit)
		return -EINVAL;   /* null, LDT or past the GDT */
	if (sim_kvm_linear_copy(v, sr->gdt.base + (sel & ~7u), d, sizeof(d), false))
		return -EFAULT;
	*seg = (struct kvm_segment){
		.base = (d[0] >> 16) | (d[1] & 0xff) << 16 | (d[1] & 0xff000000u),
		.limit = (d[0] & 0xffff) | (d[1] & 0xf0000u),
		.selector = sel, .type = (d[1] >> 8) & 15, .s = (d[1] >> 12) & 1, .dpl = (d[1] >> 13) & 3,
		.present = (d[1] >> 15) & 1, .avl = (d[1] >> 20) & 1, .l = (d[1] >> 21) & 1,
		.db = (d[1] >> 22) & 1, .g = (d[1] >> 23) & 1,
	};
	if (seg->g)
		seg->limit = seg->limit << 12 | 0xfff;
	return seg->present && seg->s ? 0 : -EINVAL;
}

/* reads the vCPU's state and the instruction at its rip; returns: whether it could */
static bool fetch_insn(struct sim_vcpu *v, struct insn *in)
{
	uint64_t pc;

	memset(in, 0, sizeof(*in));
	if (sim_kvm_ioctl(v->kvm_fd, KVM_GET_REGS, &in->r) < 0 || sim_kvm_ioctl(v->kvm_fd, KVM_GET_SREGS, &in->sr) < 0)
		return false;
	in->lm = in->sr.efer & EFER_LMA;
	in->code64 = in->lm && in->sr.cs.l;
	in->cpl = in->sr.ss.dpl;
	pc = in->code64 ? in->r.rip : in->sr.cs.base + (uint32_t)in->r.rip;
	for (in->n = sizeof(in->b); in->n; in->n--)   /* the bytes up to an unmapped page */
		if (!sim_kvm_linear_copy(v, pc, in->b, in->n, false))
			break;
	while (in->at < in->n) {
		uint8_t p = in->b[in->at];

		if (p == 0x26 || p == 0x2e || p == 0x36 || p == 0x3e || p == 0x64 || p == 0x65 || p == 0x66 ||
		    p == 0x67 || p == 0xf0 || p == 0xf2 || p == 0xf3 || (in->code64 && (p & 0xf0) == 0x40))
			in->at++;
		else
			break;
	}
	return in->at < in->n;
}

/* pushes @n words of @size bytes (the first pushed first) below linear @top; returns: 0; -EFAULT */
static int push(struct sim_vcpu *v, uint64_t top, const uint64_t *w, unsigned int n, unsigned int size)
{
	uint8_t buf[5 * 8];

	for (unsigned int i = 0; i < n; i++)
		memcpy(buf + (n - 1 - i) * size, &w[i], size);   /* little-endian: the low bytes of each */
	return sim_kvm_linear_copy(v, top - n * size, buf, n * size, true);
}

/* an interrupt gate's or trap gate's parts */
struct gate {
	uint64_t off;
	uint16_t sel;
	unsigned int type, dpl, ist;
	bool present;
};

/*
 * delivers vector @vec through the IDT as a software interrupt would
 * (@soft: the gate's DPL is checked against the CPL; int1 skips it), the
 * instruction of @len bytes done. returns: whether it was delivered or a
 * fault of the delivery raised instead
 */
static bool deliver(struct sim_vcpu *v, struct insn *in, unsigned int vec, unsigned int len, bool soft)
{
	unsigned int gsize = in->lm ? 16 : 8, ncpl;
	uint32_t g[4], code = vec * 8 + 2;   /* IDT-relative error code */
	struct kvm_segment cs, ss = in->sr.ss;
	struct gate gt;
	uint64_t rsp, ret = in->r.rip + len, flags = in->r.rflags;

	if (!in->code64)
		ret = (uint32_t)ret;
	if ((uint64_t)vec * gsize + gsize - 1 > in->sr.idt.limit)
		return raise_exc(v, VEC_GP, true, code);
	if (sim_kvm_linear_copy(v, in->sr.idt.base + (uint64_t)vec * gsize, g, gsize, false))
		return false;
	gt = (struct gate){
		.off = (g[0] & 0xffff) | (g[1] & 0xffff0000u) | (in->lm ? (uint64_t)g[2] << 32 : 0),
		.sel = (uint16_t)(g[0] >> 16), .type = (g[1] >> 8) & 15, .dpl = (g[1] >> 13) & 3,
		.ist = in->lm ? g[1] & 7 : 0, .present = (g[1] >> 15) & 1,
	};
	if (gt.type != 0xe && gt.type != 0xf)
		return gt.type == 5 ? false : raise_exc(v, VEC_GP, true, code);   /* a task gate: not done here */
	if (soft && gt.dpl < in->cpl)
		return raise_exc(v, VEC_GP, true, code);
	if (!gt.present)
		return raise_exc(v, VEC_NP, true, code);
	if (descriptor(v, &in->sr, gt.sel, &cs) || !(cs.type & 8) || (in->lm && !cs.l))
		return false;
	ncpl = cs.type & 4 ? in->cpl : cs.dpl;   /* conforming code keeps the CPL */
	if (ncpl > in->cpl)
		return raise_exc(v, VEC_GP, true, gt.sel & ~3u);
	cs.selector = (uint16_t)((gt.sel & ~3u) | ncpl);
	cs.dpl = (uint8_t)ncpl;
	if (in->lm) {
		uint64_t w[5] = { in->sr.ss.selector, in->r.rsp, flags, in->sr.cs.selector, ret };

		rsp = in->r.rsp;
		if (gt.ist || ncpl < in->cpl) {
			uint64_t at = in->sr.tr.base + (gt.ist ? 0x24 + (gt.ist - 1) * 8 : 4 + ncpl * 8);

			if (sim_kvm_linear_copy(v, at, &rsp, 8, false))
				return false;
		}
		if (ncpl < in->cpl)   /* a null SS at the new level */
			ss = (struct kvm_segment){ .selector = (uint16_t)ncpl, .limit = 0xffffffff, .type = 3, .s = 1,
						   .dpl = (uint8_t)ncpl, .present = 1, .db = 1, .g = 1 };
		rsp &= ~15ull;
		if (push(v, rsp, w, 5, 8))
			return false;
		rsp -= 40;
	} else {
		uint64_t w[5] = { flags, in->sr.cs.selector, ret, 0, 0 };
		unsigned int n = 3;

		rsp = (uint32_t)in->r.rsp;
		if (ncpl < in->cpl) {   /* the inner stack from the TSS: esp, then ss */
			uint32_t t[2];

			if (sim_kvm_linear_copy(v, in->sr.tr.base + 4 + ncpl * 8, t, 8, false) ||
			    descriptor(v, &in->sr, (uint16_t)t[1], &ss) || (t[1] & 3) != ncpl || ss.dpl != ncpl)
				return false;
			w[0] = in->sr.ss.selector, w[1] = (uint32_t)in->r.rsp, w[2] = flags;
			w[3] = in->sr.cs.selector, w[4] = ret;
			n = 5;
			rsp = t[0];
		}
		if (push(v, ss.base + (uint32_t)rsp, w, n, 4))
			return false;
		rsp = (uint32_t)(rsp - n * 4);
	}
	flags &= ~(uint64_t)(F_TF | F_NT | F_RF | F_VM);
	if (gt.type == 0xe)
		flags &= ~(uint64_t)F_IF;   /* an interrupt gate, not a trap gate */
	in->r.rip = in->lm ? gt.off : (uint32_t)gt.off;
	in->r.rsp = rsp;
	in->r.rflags = flags | 2;
	in->sr.cs = cs;
	in->sr.ss = ss;
	return sim_kvm_ioctl(v->kvm_fd, KVM_SET_SREGS, &in->sr) >= 0 &&
	       sim_kvm_ioctl(v->kvm_fd, KVM_SET_REGS, &in->r) >= 0;
}

/*
 * `iret` in 32-bit protected mode, which this host's KVM may be unable to
 * emulate (kvm-pvm emulates it only in real mode): a return to the same
 * level or an outer one, without a task switch (NT clear). returns:
 * whether it was done
 */
static bool iret32(struct sim_vcpu *v, struct insn *in)
{
	struct kvm_regs *r = &in->r;
	struct kvm_sregs *sr = &in->sr;
	struct kvm_segment cs, ss;
	uint32_t f[5];   /* eip, cs, eflags; esp, ss on a return outwards */
	unsigned int n = 3;
	uint64_t old = r->rflags, keep = 0;

	if (in->lm || !sr->cs.db || !sr->ss.db || (r->rflags & (F_NT | F_VM)) || in->at)
		return false;   /* not plain 32-bit iret, or NT / VM set */
	if (sim_kvm_linear_copy(v, sr->ss.base + (uint32_t)r->rsp, f, 3 * 4, false))
		return false;
	if (descriptor(v, sr, (uint16_t)f[1], &cs) || !(cs.type & 8) || (f[1] & 3) < sr->cs.dpl)
		return false;
	ss = sr->ss;
	if ((f[1] & 3) > sr->cs.dpl) {
		n = 5;
		if (sim_kvm_linear_copy(v, sr->ss.base + (uint32_t)r->rsp + 12, f + 3, 2 * 4, false) ||
		    descriptor(v, sr, (uint16_t)f[4], &ss) || (f[4] & 3) != (f[1] & 3))
			return false;
	}
	cs.dpl = cs.type & 4 ? cs.dpl : f[1] & 3;   /* the new privilege level (non-conforming: the RPL) */
	r->rip = f[0];
	if (sr->cs.dpl)
		keep |= 0x3000;   /* only ring 0 changes IOPL */
	if (sr->cs.dpl > ((old >> 12) & 3))
		keep |= F_IF;     /* and only IOPL >= CPL changes IF */
	r->rflags = (((f[2] & 0x3f7fd7u) & ~keep) | (old & keep)) | 2;
	r->rsp = n == 5 ? f[3] : (uint32_t)(r->rsp + 12);
	sr->cs = cs;
	sr->ss = ss;
	return sim_kvm_ioctl(v->kvm_fd, KVM_SET_SREGS, sr) >= 0 && sim_kvm_ioctl(v->kvm_fd, KVM_SET_REGS, r) >= 0;
}

/*
 * fnop (@wait false): #NM with CR0.EM or CR0.TS; fwait (@wait): #NM with
 * CR0.MP and CR0.TS; either: #MF with an unmasked x87 exception pending,
 * else nothing
 */
static bool x87_nop(struct sim_vcpu *v, struct insn *in, unsigned int len, bool wait)
{
	struct kvm_fpu fpu;

	if (wait ? (in->sr.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS) : (in->sr.cr0 & (CR0_EM | CR0_TS)))
		return raise_exc(v, VEC_NM, false, 0);
	if (sim_kvm_ioctl(v->kvm_fd, KVM_GET_FPU, &fpu) < 0)
		return false;
	if ((fpu.fsw & 0x80) && (in->sr.cr0 & CR0_NE))
		return raise_exc(v, VEC_MF, false, 0);
	in->r.rip += len;
	return sim_kvm_ioctl(v->kvm_fd, KVM_SET_REGS, &in->r) >= 0;
}

/* VMX's instructions: vmcall aside (KVM's own), #UD as on Xen without nested HVM */
static bool vmx_insn(const struct insn *in)
{
	const uint8_t *o = in->b + in->at;
	unsigned int left = in->n - in->at;

	if (left < 3 || o[0] != 0x0f)
		return false;
	if (o[1] == 0x78 || o[1] == 0x79)
		return true;   /* vmread, vmwrite */
	if (o[1] == 0x38 && (o[2] == 0x80 || o[2] == 0x81))
		return true;   /* invept, invvpid */
	if (o[1] == 0x01 && o[2] >= 0xc2 && o[2] <= 0xc4)
		return true;   /* vmlaunch, vmresume, vmxoff */
	return o[1] == 0xc7 && (o[2] >> 6) != 3 && ((o[2] >> 3) & 7) >= 6;   /* vmptrld, vmclear, vmxon, vmptrst */
}

bool sim_kvm_emulate(struct sim_vcpu *v, char *why, size_t len)
{
	struct insn in;
	const uint8_t *o;

	if (!fetch_insn(v, &in) || !(in.sr.cr0 & CR0_PE))
		return false;   /* real mode is KVM's own */
	o = in.b + in.at;
	switch (o[0]) {
	case 0xcd:   /* int n */
		if (in.n - in.at >= 2 && deliver(v, &in, o[1], in.at + 2, true))
			return true;
		break;
	case 0xcc:   /* int3 */
		if (deliver(v, &in, VEC_BP, in.at + 1, true))
			return true;
		break;
	case 0xce:   /* into: #UD in 64-bit code; #OF when OF is set */
		if (in.code64)
			return raise_exc(v, VEC_UD, false, 0);
		if (!(in.r.rflags & (1u << 11))) {
			in.r.rip = (uint32_t)(in.r.rip + in.at + 1);
			return sim_kvm_ioctl(v->kvm_fd, KVM_SET_REGS, &in.r) >= 0;
		}
		if (deliver(v, &in, VEC_OF, in.at + 1, true))
			return true;
		break;
	case 0xf1:   /* int1 (icebp): no DPL check */
		if (deliver(v, &in, VEC_DB, in.at + 1, false))
			return true;
		break;
	case 0xcf:
		if (iret32(v, &in))
			return true;
		break;
	case 0xd9:
		if (in.n - in.at >= 2 && o[1] == 0xd0 && x87_nop(v, &in, in.at + 2, false))
			return true;
		break;
	case 0x9b:   /* fwait (before an x87 instruction: its wait, the rest left to KVM) */
		if (x87_nop(v, &in, in.at + 1, true))
			return true;
		break;
	default:
		if (vmx_insn(&in))
			return raise_exc(v, VEC_UD, false, 0);
		break;
	}
	if (in.cpl)
		return raise_exc(v, VEC_UD, false, 0);   /* as KVM does in user mode without the exit */
	snprintf(why, len, "vcpu %u: KVM could not emulate the instruction at pc 0x%llx (%02x %02x %02x)", v->id,
		 (unsigned long long)in.r.rip, o[0], in.n - in.at > 1 ? o[1] : 0, in.n - in.at > 2 ? o[2] : 0);
	return false;
}
