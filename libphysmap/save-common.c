/*
 * libphysmap/save-common.c - the vCPU records and physmap-dm's control
 * socket, for save.c and restore.c (save-internal.h)
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <stdint.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/hvm/save.h>
#include <xen/arch-x86/hvm/save.h>   /* x86 guests' records, whatever the host (hvm/save.h has them on x86 only) */

#include "save-internal.h"
#include "alloc-internal.h"

int pm__write_all(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EPIPE;
		buf = (const char *)buf + w;
		len -= (size_t)w;
	}
	return 0;
}

int pm__read_all(int fd, void *buf, size_t len)
{
	while (len) {
		ssize_t r = read(fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ENODATA;
		buf = (char *)buf + r;
		len -= (size_t)r;
	}
	return 0;
}

void pm__trace(const char *what)
{
	static int on = -1;
	const char *stop = getenv("PHYSMAP_STOP_AT");
	struct timespec t;

	if (stop && !strcmp(stop, what))
		raise(SIGSTOP);   /* a test acts on the program at this stage; SIGCONT goes on */
	if (on < 0)
		on = getenv("PHYSMAP_TRACE") != NULL;
	if (!on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	fprintf(stderr, "physmap[%d]: %.3f ms %s\n", (int)getpid(), (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6,
		what);
}

/* ---- x86: Xen's HVM save records ---- */

/* our x86_32 register file's order (<physmap/hv.h>) */
enum { EAX = PM_X86_EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI, EIP, EFLAGS, CR0, CR2, CR3, CR4, X86_NR };

struct desc {
	uint16_t typecode, instance;
	uint32_t length;
};

/* a segment of the full list into hvm_hw_cpu's fields and back */
#define SEG_FIELDS(c, name) &(c)->name##_sel, &(c)->name##_base, &(c)->name##_limit, &(c)->name##_arbytes

struct seg_ref {
	uint32_t *sel;
	uint64_t *base;
	uint32_t *limit, *ar;
};

static void seg_refs(struct hvm_hw_cpu *c, struct seg_ref s[PM_HV_X86_NR_SEGS])
{
	s[PM_HV_X86_CS] = (struct seg_ref){ SEG_FIELDS(c, cs) };
	s[PM_HV_X86_DS] = (struct seg_ref){ SEG_FIELDS(c, ds) };
	s[PM_HV_X86_ES] = (struct seg_ref){ SEG_FIELDS(c, es) };
	s[PM_HV_X86_FS] = (struct seg_ref){ SEG_FIELDS(c, fs) };
	s[PM_HV_X86_GS] = (struct seg_ref){ SEG_FIELDS(c, gs) };
	s[PM_HV_X86_SS] = (struct seg_ref){ SEG_FIELDS(c, ss) };
	s[PM_HV_X86_TR] = (struct seg_ref){ SEG_FIELDS(c, tr) };
	s[PM_HV_X86_LDTR] = (struct seg_ref){ SEG_FIELDS(c, ldtr) };
}

void pm__hw_cpu_from(struct hvm_hw_cpu *c, const struct pm_hv_vcpu_state *st)
{
	const uint64_t *r = st->reg;
	struct seg_ref sg[PM_HV_X86_NR_SEGS];

	memset(c, 0, sizeof(*c));
	c->rax = r[EAX], c->rcx = r[ECX], c->rdx = r[EDX], c->rbx = r[EBX];
	c->rsp = r[ESP], c->rbp = r[EBP], c->rsi = r[ESI], c->rdi = r[EDI];
	c->rip = r[EIP], c->rflags = r[EFLAGS] | 2;
	c->cr0 = r[CR0] | 0x10 /* ET: hardwired on every CPU since the 486, Xen insists */;
	c->cr2 = r[CR2], c->cr3 = r[CR3], c->cr4 = r[CR4];
	c->dr6 = 0xffff0ff0, c->dr7 = 0x400;
	c->flags = XEN_X86_FPU_INITIALISED;
	if (st->nr >= PM_HV_X86_NR) {   /* the whole state, any mode */
		c->r8 = r[PM_HV_X86_R8], c->r9 = r[PM_HV_X86_R8 + 1], c->r10 = r[PM_HV_X86_R8 + 2];
		c->r11 = r[PM_HV_X86_R8 + 3], c->r12 = r[PM_HV_X86_R8 + 4], c->r13 = r[PM_HV_X86_R8 + 5];
		c->r14 = r[PM_HV_X86_R8 + 6], c->r15 = r[PM_HV_X86_R8 + 7];
		c->msr_efer = r[PM_HV_X86_EFER];
		seg_refs(c, sg);
		for (unsigned int i = 0; i < PM_HV_X86_NR_SEGS; i++) {
			const uint64_t *w = r + PM_HV_X86_SEG + 4 * i;

			*sg[i].sel = (uint32_t)w[0], *sg[i].base = w[1], *sg[i].limit = (uint32_t)w[2];
			*sg[i].ar = (uint32_t)w[3];
		}
		c->gdtr_base = r[PM_HV_X86_GDTR_BASE], c->gdtr_limit = r[PM_HV_X86_GDTR_LIMIT];
		c->idtr_base = r[PM_HV_X86_IDTR_BASE], c->idtr_limit = r[PM_HV_X86_IDTR_LIMIT];
		c->msr_star = r[PM_HV_X86_STAR], c->msr_lstar = r[PM_HV_X86_LSTAR], c->msr_cstar = r[PM_HV_X86_CSTAR];
		c->msr_syscall_mask = r[PM_HV_X86_SFMASK], c->shadow_gs = r[PM_HV_X86_KERNEL_GS_BASE];
		c->sysenter_cs = r[PM_HV_X86_SYSENTER_CS], c->sysenter_esp = r[PM_HV_X86_SYSENTER_ESP];
		c->sysenter_eip = r[PM_HV_X86_SYSENTER_EIP];
		memcpy(c->fpu_regs, r + PM_HV_X86_FXSAVE, sizeof(c->fpu_regs));
		if (r[PM_HV_X86_HAVE] & PM_HV_X86_HAVE_TSC)
			c->tsc = r[PM_HV_X86_TSC];
		return;
	}
	/* the FPU as reset leaves it: x87 and SSE exceptions masked */
	c->fpu_regs[0] = 0x7f, c->fpu_regs[1] = 0x03;            /* fcw 0x037f */
	c->fpu_regs[24] = 0x80, c->fpu_regs[25] = 0x1f;          /* mxcsr 0x1f80 */
	/* PVH's flat segments: 4 GiB, code 0x10 and data 0x18, present, DPL 0 */
	c->cs_sel = 0x10;
	c->ds_sel = c->es_sel = c->fs_sel = c->gs_sel = c->ss_sel = 0x18;
	c->cs_limit = c->ds_limit = c->es_limit = c->fs_limit = c->gs_limit = c->ss_limit = 0xffffffff;
	c->cs_arbytes = 0xc9b;
	c->ds_arbytes = c->es_arbytes = c->fs_arbytes = c->gs_arbytes = c->ss_arbytes = 0xc93;
	c->tr_limit = 0x67, c->tr_arbytes = 0x8b;
	c->ldtr_arbytes = 0x10000;   /* unusable */
}

void pm__hw_cpu_to(const struct hvm_hw_cpu *c, struct pm_hv_vcpu_state *st)
{
	uint64_t *r = st->reg;
	struct hvm_hw_cpu cc = *c;
	struct seg_ref sg[PM_HV_X86_NR_SEGS];

	memset(st, 0, sizeof(*st));
	st->arch = PM_HV_ARCH_X86_32;
	st->nr = PM_HV_X86_NR;
	st->up = true;
	r[EAX] = c->rax, r[ECX] = c->rcx, r[EDX] = c->rdx, r[EBX] = c->rbx;
	r[ESP] = c->rsp, r[EBP] = c->rbp, r[ESI] = c->rsi, r[EDI] = c->rdi;
	r[EIP] = c->rip, r[EFLAGS] = c->rflags;
	r[CR0] = c->cr0, r[CR2] = c->cr2, r[CR3] = c->cr3, r[CR4] = c->cr4;
	r[PM_HV_X86_R8] = c->r8, r[PM_HV_X86_R8 + 1] = c->r9, r[PM_HV_X86_R8 + 2] = c->r10;
	r[PM_HV_X86_R8 + 3] = c->r11, r[PM_HV_X86_R8 + 4] = c->r12, r[PM_HV_X86_R8 + 5] = c->r13;
	r[PM_HV_X86_R8 + 6] = c->r14, r[PM_HV_X86_R8 + 7] = c->r15;
	r[PM_HV_X86_EFER] = c->msr_efer;
	seg_refs(&cc, sg);
	for (unsigned int i = 0; i < PM_HV_X86_NR_SEGS; i++) {
		uint64_t *w = r + PM_HV_X86_SEG + 4 * i;

		w[0] = *sg[i].sel, w[1] = *sg[i].base, w[2] = *sg[i].limit, w[3] = *sg[i].ar;
	}
	r[PM_HV_X86_GDTR_BASE] = c->gdtr_base, r[PM_HV_X86_GDTR_LIMIT] = c->gdtr_limit;
	r[PM_HV_X86_IDTR_BASE] = c->idtr_base, r[PM_HV_X86_IDTR_LIMIT] = c->idtr_limit;
	r[PM_HV_X86_STAR] = c->msr_star, r[PM_HV_X86_LSTAR] = c->msr_lstar, r[PM_HV_X86_CSTAR] = c->msr_cstar;
	r[PM_HV_X86_SFMASK] = c->msr_syscall_mask, r[PM_HV_X86_KERNEL_GS_BASE] = c->shadow_gs;
	r[PM_HV_X86_SYSENTER_CS] = c->sysenter_cs, r[PM_HV_X86_SYSENTER_ESP] = c->sysenter_esp;
	r[PM_HV_X86_SYSENTER_EIP] = c->sysenter_eip;
	memcpy(r + PM_HV_X86_FXSAVE, c->fpu_regs, sizeof(c->fpu_regs));
	if (c->tsc) {
		r[PM_HV_X86_TSC] = c->tsc;
		r[PM_HV_X86_HAVE] |= PM_HV_X86_HAVE_TSC;
	}
}

static int add(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*len + n > *cap) {
		size_t c = (*len + n) * 2;
		uint8_t *nb = pm__realloc(*buf, c);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

/*
 * the platform state past hvm_hw_cpu, in Xen's records: LAPIC and
 * LAPIC_REGS (the local APIC), MTRR (PAT; the MTRRs themselves are not
 * kept: 8 variable ones and fixed ones said to exist, all off), CPU_XSAVE
 * (XCR0 and the area to the AVX upper halves)
 */
struct xsave_rec {
	uint64_t xfeature_mask, xcr0, xcr0_accum;
	uint8_t area[512 + 8 * PM_HV_X86_XSAVE_HI_WORDS];
};

#define XSAVE_FEATURES 7   /* x87, SSE, AVX: what the area holds */
#define MTRR_CAP 0x508     /* 8 variable ranges, fixed ranges, write-combining */

/* the LAPIC's timer divisor as Xen demangles it from the divide configuration register */
static uint32_t timer_divisor(const uint64_t *page)
{
	uint32_t dcr;

	memcpy(&dcr, (const uint8_t *)page + 0x3e0, 4);
	dcr &= 0xb;
	return 1u << ((((dcr & 3) | ((dcr & 8) >> 1)) + 1) & 7);
}

static int platform_put(uint8_t **buf, size_t *len, size_t *cap, const struct pm_hv_vcpu_state *st,
			unsigned int n)
{
	static const uint16_t order[] = { HVM_SAVE_CODE(LAPIC), HVM_SAVE_CODE(LAPIC_REGS), HVM_SAVE_CODE(MTRR),
					  CPU_XSAVE_CODE };
	int rc = 0;

	for (unsigned int t = 0; !rc && t < sizeof(order) / sizeof(order[0]); t++) {
		for (unsigned int i = 0; !rc && i < n; i++) {
			const uint64_t *r = st[i].reg;
			uint64_t have = st[i].nr >= PM_HV_X86_NR ? r[PM_HV_X86_HAVE] : 0;
			union {
				struct hvm_hw_lapic l;
				struct hvm_hw_mtrr m;
				struct xsave_rec x;
			} u;
			struct desc d = { order[t], (uint16_t)i, 0 };
			const void *body = &u;

			if (!st[i].up)
				continue;
			memset(&u, 0, sizeof(u));
			if (order[t] == HVM_SAVE_CODE(LAPIC) && (have & PM_HV_X86_HAVE_LAPIC)) {
				u.l.apic_base_msr = r[PM_HV_X86_APIC_BASE];
				u.l.disabled = r[PM_HV_X86_APIC_BASE] & (1u << 11) ? 0 : 1;   /* VLAPIC_HW_DISABLED */
				u.l.timer_divisor = timer_divisor(r + PM_HV_X86_LAPIC);
				u.l.tdt_msr = r[PM_HV_X86_TSC_DEADLINE];
				d.length = sizeof(u.l);
			} else if (order[t] == HVM_SAVE_CODE(LAPIC_REGS) && (have & PM_HV_X86_HAVE_LAPIC)) {
				body = r + PM_HV_X86_LAPIC;
				d.length = 8 * PM_HV_X86_LAPIC_WORDS;
			} else if (order[t] == HVM_SAVE_CODE(MTRR) && (have & PM_HV_X86_HAVE_PAT)) {
				u.m.msr_pat_cr = r[PM_HV_X86_PAT];
				u.m.msr_mtrr_cap = MTRR_CAP;
				d.length = sizeof(u.m);
			} else if (order[t] == CPU_XSAVE_CODE && (have & PM_HV_X86_HAVE_XSAVE)) {
				u.x.xfeature_mask = XSAVE_FEATURES;
				u.x.xcr0 = u.x.xcr0_accum = r[PM_HV_X86_XCR0];
				memcpy(u.x.area, r + PM_HV_X86_FXSAVE, 512);
				memcpy(u.x.area + 512, r + PM_HV_X86_XSAVE_HI, 8 * PM_HV_X86_XSAVE_HI_WORDS);
				d.length = sizeof(u.x);
			} else {
				continue;
			}
			rc = add(buf, len, cap, &d, sizeof(d)) ?: add(buf, len, cap, body, d.length);
		}
	}
	return rc;
}

/* one of platform_put's records into @st (its vCPU's), its bit in PM_HV_X86_HAVE set */
static int platform_get(const struct desc *d, const uint8_t *body, struct pm_hv_vcpu_state *st)
{
	uint64_t *r = st->reg;

	switch (d->typecode) {
	case HVM_SAVE_CODE(LAPIC): {
		struct hvm_hw_lapic l;

		if (d->length != sizeof(l))
			return -EINVAL;
		memcpy(&l, body, sizeof(l));
		r[PM_HV_X86_APIC_BASE] = l.apic_base_msr;
		r[PM_HV_X86_TSC_DEADLINE] = l.tdt_msr;
		return 0;
	}
	case HVM_SAVE_CODE(LAPIC_REGS):
		if (d->length != 8 * PM_HV_X86_LAPIC_WORDS)
			return -EINVAL;
		memcpy(r + PM_HV_X86_LAPIC, body, d->length);
		r[PM_HV_X86_HAVE] |= PM_HV_X86_HAVE_LAPIC;
		return 0;
	case HVM_SAVE_CODE(MTRR): {
		struct hvm_hw_mtrr m;

		if (d->length != sizeof(m))
			return -EINVAL;
		memcpy(&m, body, sizeof(m));
		r[PM_HV_X86_PAT] = m.msr_pat_cr;
		r[PM_HV_X86_HAVE] |= PM_HV_X86_HAVE_PAT;
		return 0;
	}
	case CPU_XSAVE_CODE: {
		struct xsave_rec x;

		if (d->length < offsetof(struct xsave_rec, area) + 512)
			return -EINVAL;
		memset(&x, 0, sizeof(x));
		memcpy(&x, body, d->length < sizeof(x) ? d->length : sizeof(x));   /* beyond AVX: not kept */
		r[PM_HV_X86_XCR0] = x.xcr0;
		memcpy(r + PM_HV_X86_XSAVE_HI, x.area + 512, 8 * PM_HV_X86_XSAVE_HI_WORDS);
		r[PM_HV_X86_HAVE] |= PM_HV_X86_HAVE_XSAVE;
		return 0;
	}
	}
	return 0;   /* another of Xen's records (PIC, PIT, ...): the simulator has no such device to restore */
}

static int hvm_context_put(struct pm_stream_buf *b, const struct pm_hv_vcpu_state *st, unsigned int n)
{
	struct hvm_save_header h = { .magic = HVM_FILE_MAGIC, .version = HVM_FILE_VERSION };
	struct desc d;
	struct hvm_hw_cpu c;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	d = (struct desc){ HVM_SAVE_CODE(HEADER), 0, sizeof(h) };
	rc = add(&buf, &len, &cap, &d, sizeof(d)) ?: add(&buf, &len, &cap, &h, sizeof(h));
	for (unsigned int i = 0; !rc && i < n; i++) {
		if (!st[i].up)
			continue;
		pm__hw_cpu_from(&c, &st[i]);
		d = (struct desc){ HVM_SAVE_CODE(CPU), (uint16_t)i, sizeof(c) };
		rc = add(&buf, &len, &cap, &d, sizeof(d)) ?: add(&buf, &len, &cap, &c, sizeof(c));
	}
	rc = rc ?: platform_put(&buf, &len, &cap, st, n);
	d = (struct desc){ HVM_SAVE_CODE(END), 0, 0 };
	rc = rc ?: add(&buf, &len, &cap, &d, sizeof(d));
	rc = rc ?: pm_stream_put_record(b, PM_LIBXC_HVM_CONTEXT, NULL, 0, buf, len);
	free(buf);
	return rc;
}

static int hvm_context_get(const struct pm_stream_record *r, struct pm_hv_vcpu_state *st, unsigned int n,
			   char *what, size_t wlen)
{
	size_t pos = 0;
	bool header = false;

	while (pos < r->len) {
		struct desc d;

		if (r->len - pos < sizeof(d)) {
			snprintf(what, wlen, "HVM_CONTEXT: a save record cut at byte %zu", pos);
			return -EINVAL;
		}
		memcpy(&d, r->body + pos, sizeof(d));
		pos += sizeof(d);
		if (d.length > r->len - pos) {
			snprintf(what, wlen, "HVM_CONTEXT: save record type %u longer than the record", d.typecode);
			return -EINVAL;
		}
		if (!header && d.typecode != HVM_SAVE_CODE(HEADER)) {
			snprintf(what, wlen, "HVM_CONTEXT: no header first");
			return -EINVAL;
		}
		if (d.typecode == HVM_SAVE_CODE(HEADER)) {
			struct hvm_save_header h;

			if (header || d.length != sizeof(h)) {
				snprintf(what, wlen, "HVM_CONTEXT: a second or bad header");
				return -EINVAL;
			}
			memcpy(&h, r->body + pos, sizeof(h));
			if (h.magic != HVM_FILE_MAGIC || h.version != HVM_FILE_VERSION) {
				snprintf(what, wlen, "HVM_CONTEXT: magic 0x%x version %u", h.magic, h.version);
				return -EINVAL;
			}
			header = true;
		} else if (d.typecode == HVM_SAVE_CODE(CPU)) {
			struct hvm_hw_cpu c;

			if (d.length != sizeof(c) || d.instance >= n) {
				snprintf(what, wlen, "HVM_CONTEXT: CPU %u of %u, %u bytes", d.instance, n, d.length);
				return -EINVAL;
			}
			memcpy(&c, r->body + pos, sizeof(c));
			pm__hw_cpu_to(&c, &st[d.instance]);
		} else if (d.typecode == HVM_SAVE_CODE(END)) {
			return 0;
		} else if (d.instance >= n || platform_get(&d, r->body + pos, &st[d.instance])) {
			snprintf(what, wlen, "HVM_CONTEXT: save record type %u of CPU %u, %u bytes", d.typecode,
				 d.instance, d.length);
			return -EINVAL;
		}
		pos += d.length;
	}
	snprintf(what, wlen, "HVM_CONTEXT: no end record");
	return -EINVAL;
}

/* ---- aarch64: physmap's PHYSMAP_VCPUS ---- */

struct vcpu_head {
	uint32_t arch;
	uint16_t nr, flags;
};

int pm__vcpus_put(struct pm_stream_buf *b, const struct pm_hv_vcpu_state *st, unsigned int n)
{
	uint32_t head[2] = { n, 0 };
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;

	if (!n)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		if (st[i].arch != st[0].arch || st[i].nr > PM_HV_VCPU_REGS)
			return -EINVAL;
	if (st[0].arch == PM_HV_ARCH_X86_32)
		return hvm_context_put(b, st, n);
	if (st[0].arch != PM_HV_ARCH_AARCH64)
		return -EINVAL;
	for (unsigned int i = 0; !rc && i < n; i++) {
		struct vcpu_head h = { st[i].arch, (uint16_t)st[i].nr, st[i].up ? PM_VCPU_UP : 0 };

		rc = add(&buf, &len, &cap, &h, sizeof(h)) ?: add(&buf, &len, &cap, st[i].reg, st[i].nr * 8);
	}
	rc = rc ?: pm_stream_put_record(b, PM_LIBXC_PHYSMAP_VCPUS, head, sizeof(head), buf, len);
	free(buf);
	return rc;
}

int pm__vcpus_get(const struct pm_stream_record *r, struct pm_hv_vcpu_state *st, unsigned int n,
		  char *what, size_t wlen)
{
	uint32_t head[2];
	size_t pos = sizeof(head);

	memset(st, 0, n * sizeof(*st));
	if (r->type == PM_LIBXC_HVM_CONTEXT) {
		for (unsigned int i = 0; i < n; i++)
			st[i] = (struct pm_hv_vcpu_state){ .arch = PM_HV_ARCH_X86_32, .nr = PM_HV_X86_NR };
		return hvm_context_get(r, st, n, what, wlen);
	}
	if (r->len < sizeof(head)) {
		snprintf(what, wlen, "PHYSMAP_VCPUS: %u bytes", r->len);
		return -EINVAL;
	}
	memcpy(head, r->body, sizeof(head));
	if (head[0] != n || head[1]) {
		snprintf(what, wlen, "PHYSMAP_VCPUS: %u vCPUs for a domain of %u", head[0], n);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct vcpu_head h;

		if (r->len - pos < sizeof(h)) {
			snprintf(what, wlen, "PHYSMAP_VCPUS: vCPU %u cut short", i);
			return -EINVAL;
		}
		memcpy(&h, r->body + pos, sizeof(h));
		pos += sizeof(h);
		if (h.arch != PM_HV_ARCH_AARCH64 || h.nr > PM_HV_VCPU_REGS || (h.flags & ~PM_VCPU_UP) ||
		    r->len - pos < h.nr * 8u) {
			snprintf(what, wlen, "PHYSMAP_VCPUS: vCPU %u: arch %u, %u registers, flags 0x%x", i, h.arch,
				 h.nr, h.flags);
			return -EINVAL;
		}
		st[i].arch = PM_HV_ARCH_AARCH64;
		st[i].nr = h.nr;
		st[i].up = h.flags & PM_VCPU_UP;
		memcpy(st[i].reg, r->body + pos, h.nr * 8u);
		pos += h.nr * 8u;
	}
	if (pos != r->len) {
		snprintf(what, wlen, "PHYSMAP_VCPUS: %zu bytes left over", r->len - pos);
		return -EINVAL;
	}
	return 0;
}

/* ---- physmap-dm's control socket ---- */

static int read_line(int fd, char *line, size_t len)
{
	size_t n = 0;

	while (n < len - 1) {
		int rc = pm__read_all(fd, line + n, 1);

		if (rc)
			return rc;
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	return 0;
}

int pm__dm_control(const char *rundir, const char *name, const void *in, size_t in_len, void **out,
		   size_t *out_len, char *what, size_t wlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	char line[320];
	unsigned long long len;
	int fd, rc = 0;

	if (out)
		*out = NULL;
	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/console/%s.ctl", rundir, name) >=
	    sizeof(a.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		rc = errno == ENOENT || errno == ECONNREFUSED ? -ENOENT : -errno;
		goto out;
	}
	if (out) {
		rc = pm__write_all(fd, "save\n", 5) ?: read_line(fd, line, sizeof(line));
		if (rc)
			goto out;
		if (sscanf(line, "ok %llu", &len) != 1 || len > (256u << 20)) {
			snprintf(what, wlen, "the device model: %.*s", (int)strcspn(line, "\n"), line);
			rc = -EIO;
			goto out;
		}
		*out = pm__malloc(len ? (size_t)len : 1);
		if (!*out) {
			rc = -ENOMEM;
			goto out;
		}
		rc = pm__read_all(fd, *out, (size_t)len);
		if (rc) {
			free(*out);
			*out = NULL;
			goto out;
		}
		*out_len = (size_t)len;
	} else {
		snprintf(line, sizeof(line), "load %zu\n", in_len);
		rc = pm__write_all(fd, line, strlen(line)) ?: pm__write_all(fd, in, in_len) ?:
		     read_line(fd, line, sizeof(line));
		if (!rc && strcmp(line, "ok\n")) {
			snprintf(what, wlen, "the device model: %.*s", (int)strcspn(line, "\n"), line);
			rc = -EIO;
		}
	}
out:
	close(fd);
	return rc;
}
