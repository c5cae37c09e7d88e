/*
 * libphysmap/dumpcore.c - a domain's memory and vCPUs as an ELF core in
 * Xen's dump-core format (docs/misc/dump-core-format.txt of Xen), the file
 * xl dump-core writes and the crash utility and libkdumpfile read
 *
 * The file, in order: the ELF header (ELFCLASS64, ET_CORE, no program
 * headers); the section headers (null, .shstrtab, .note.Xen,
 * .xen_prstatus, .xen_shared_info where the backend has it, .xen_pages,
 * .xen_pfn or .xen_p2m); the notes ("Xen": none, the header with the magic
 * and the counts, the hypervisor's version, the format version 0.1); one
 * vcpu_guest_context per vCPU; the shared info page; zeros to a page
 * boundary; the pages; their frame numbers; the section names. A guest
 * whose P2M the hypervisor translates (HVM, PVH, Arm: every guest on the
 * simulator) gets .xen_pfn (the pfn of each page); a PV guest .xen_p2m
 * (each page's pfn and machine frame).
 *
 * The pages are the P2M's RAM pages, in pfn order: what the P2M marks
 * identity, MMIO or missing is not in the core. The writer is the same for
 * both backends; a backend gives what only it knows (pm_hv_ops.dump_facts:
 * Xen's vcpu_guest_context of each vCPU, the shared info page, PV or not).
 * On the simulator the contexts are made from the vCPUs' registers in
 * Xen's layouts for the guest's architecture (x86_64's for x86 guests, as
 * a 64-bit Xen gives an HVM guest's; arm64's for Arm guests), and
 * e_machine names the guest's architecture, as it names Xen's on Xen.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc-internal.h"
#include "hv/hv-internal.h"
#include "physmap/domain.h"
#include "physmap/p2m.h"

#define PAGE 4096u
#define WINDOW 1024u   /* pages mapped and written at a time */

#define CORE_MAGIC      0xF00FEBEDu   /* XC_CORE_MAGIC: a PV guest */
#define CORE_MAGIC_HVM  0xF00FEBEEu
#define NOTE_NONE            0x2000000u   /* XEN_ELFNOTE_DUMPCORE_* of xen/elfnote.h */
#define NOTE_HEADER          0x2000001u
#define NOTE_XEN_VERSION     0x2000002u
#define NOTE_FORMAT_VERSION  0x2000003u
#define FORMAT_VERSION       1u           /* major 0, minor 1 */

/* an ELF note of the "Xen" name: 16 bytes, then the descriptor */
struct note {
	uint32_t namesz, descsz, type;
	char name[4];
};

struct header_desc {
	uint64_t magic, nr_vcpus, nr_pages, page_size;
};

/* XENVER_* answers, in xen_dumpcore_elfnote_xen_version_desc's layout */
struct version_desc {
	uint64_t major, minor;
	char extra[16];
	char compiler[64], compile_by[16], compile_domain[32], compile_date[32];
	char caps[1024];
	char changeset[64];
	uint64_t virt_start;
	uint64_t pagesize;
};
_Static_assert(sizeof(struct version_desc) == 1280, "xen_dumpcore_elfnote_xen_version_desc");

/* the notes as one block: .note.Xen */
struct notes {
	struct note none;
	struct note header;
	struct header_desc hd;
	struct note version;
	struct version_desc vd;
	struct note format;
	uint64_t format_version;
};

/* vcpu_guest_context of xen/arch-x86/xen-x86_64.h (and arch-x86/xen.h) */
struct x86_64_ctx {
	uint8_t fpu_ctxt[512];
	uint64_t flags;
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
	uint32_t error_code, entry_vector;
	uint64_t rip;
	uint16_t cs, pad0;
	uint8_t saved_upcall_mask, pad1[3];
	uint64_t rflags, rsp;
	uint16_t ss, pad2[3], es, pad3[3], ds, pad4[3], fs, pad5[3], gs, pad6[3];
	uint8_t trap_ctxt[256 * 16];
	uint64_t ldt_base, ldt_ents, gdt_frames[16], gdt_ents, kernel_ss, kernel_sp;
	uint64_t ctrlreg[8], debugreg[8];
	uint64_t event_callback_eip, failsafe_callback_eip, syscall_callback_eip, vm_assist;
	uint64_t fs_base, gs_base_kernel, gs_base_user;
};
_Static_assert(sizeof(struct x86_64_ctx) == 5168, "x86_64 vcpu_guest_context");
_Static_assert(offsetof(struct x86_64_ctx, rip) == 520 + 128, "cpu_user_regs.rip");
_Static_assert(offsetof(struct x86_64_ctx, ctrlreg) == 4984, "vcpu_guest_context.ctrlreg");

#define X86_VGCF_ONLINE 32u   /* VGCF_online */

/* vcpu_guest_context of xen/arch-arm.h (Xen 4.17, arm64) */
struct arm64_ctx {
	uint32_t flags, pad;
	uint64_t x[31];
	uint64_t pc64, cpsr, spsr_el1;
	uint32_t spsr_fiq, spsr_irq, spsr_und, spsr_abt;
	uint64_t sp_el0, sp_el1, elr_el1;
	uint64_t sctlr, ttbcr, ttbr0, ttbr1;
};
_Static_assert(sizeof(struct arm64_ctx) == 352, "arm64 vcpu_guest_context");

#define ARM_VGCF_ONLINE 1u

struct dumper {
	struct pm_hv *hv;
	uint32_t domid;
	int fd;
	struct pm_hv_dominfo info;
	struct pm__dump_facts f;
	uint64_t *pfns, *mfns;   /* the RAM pages, in pfn order */
	uint64_t nr_pages;
	uint64_t bytes;
	char *err;
	size_t errlen;
};

static int fail(struct dumper *d, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct dumper *d, int rc, const char *fmt, ...)
{
	va_list ap;

	if (d->err && d->errlen && !d->err[0]) {
		va_start(ap, fmt);
		vsnprintf(d->err, d->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int put(struct dumper *d, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(d->fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail(d, w < 0 ? -errno : -EIO, "writing the core");
		p += w;
		len -= (size_t)w;
		d->bytes += (uint64_t)w;
	}
	return 0;
}

/* the simulator's part: contexts in Xen's layout from the vCPUs' registers */
static int x86_context(const struct pm_hv_vcpu_state *st, struct x86_64_ctx *c)
{
	const uint64_t *r = st->reg;   /* eax ecx edx ebx esp ebp esi edi eip eflags cr0 cr2 cr3 cr4 */

	if (st->nr < 14)
		return -EPROTO;
	c->flags = st->up ? X86_VGCF_ONLINE : 0;
	c->rax = r[0];
	c->rcx = r[1];
	c->rdx = r[2];
	c->rbx = r[3];
	c->rsp = r[4];
	c->rbp = r[5];
	c->rsi = r[6];
	c->rdi = r[7];
	c->rip = r[8];
	c->rflags = r[9];
	c->ctrlreg[0] = r[10];
	c->ctrlreg[2] = r[11];
	c->ctrlreg[3] = r[12];
	c->ctrlreg[4] = r[13];
	/* PVH's flat segments, with the selectors Xen's PVH boot gives them */
	c->cs = 0x8;
	c->ss = c->ds = c->es = c->fs = c->gs = 0x10;
	return 0;
}

static int arm64_context(const struct pm_hv_vcpu_state *st, struct arm64_ctx *c)
{
	/* x0-x30 sp pc pstate sp_el0 elr_el1 vbar esr far ttbr0 ttbr1 mair tpidr0 tpidr1 cpacr sctlr tcr */
	const uint64_t *r = st->reg;

	if (st->nr < 47)
		return -EPROTO;
	c->flags = st->up ? ARM_VGCF_ONLINE : 0;
	memcpy(c->x, r, sizeof(c->x));
	c->pc64 = r[32];
	c->cpsr = r[33];
	/* the stack pointer of the mode it runs in; EL0's apart */
	if ((r[33] & 0xf) == 0x5)
		c->sp_el1 = r[31];
	c->sp_el0 = (r[33] & 0xf) == 0x5 ? r[34] : r[31];
	c->elr_el1 = r[35];
	c->ttbr0 = r[39];
	c->ttbr1 = r[40];
	c->sctlr = r[45];
	c->ttbcr = r[46];
	return 0;
}

/* a vCPU's registers; one inside a device access finishes it first */
static int vcpu_state(struct dumper *d, unsigned int vcpu, struct pm_hv_vcpu_state *st)
{
	int rc = -EAGAIN;

	for (int tries = 0; rc == -EAGAIN && tries < 1000; tries++) {
		rc = pm_hv_vcpu_get_state(d->hv, d->domid, vcpu, st);
		if (rc == -EAGAIN && !(rc = pm_hv_domain_unpause(d->hv, d->domid))) {
			usleep(1000);
			rc = pm_hv_domain_pause(d->hv, d->domid) ?: -EAGAIN;
		}
	}
	return rc;
}

static int sim_contexts(struct dumper *d)
{
	struct pm__dump_facts *f = &d->f;
	struct pm_hv_vcpu_state st;
	int rc = 0;

	f->translated = f->hvm = true;
	for (unsigned int i = 0; !rc && i < d->info.vcpus; i++) {
		rc = vcpu_state(d, i, &st);
		if (rc)
			return fail(d, rc, "reading vCPU %u", i);
		if (!i) {
			f->machine = st.arch == PM_HV_ARCH_AARCH64 ? EM_AARCH64 : EM_X86_64;
			f->ctx_size = st.arch == PM_HV_ARCH_AARCH64 ? sizeof(struct arm64_ctx) : sizeof(struct x86_64_ctx);
			f->ctx_align = 8;
			f->ctx = pm__calloc(d->info.vcpus, f->ctx_size);
			if (!f->ctx)
				return fail(d, -ENOMEM, "the vCPUs' contexts");
		}
		void *c = (char *)f->ctx + i * f->ctx_size;

		rc = st.arch == PM_HV_ARCH_AARCH64 ? arm64_context(&st, c) : x86_context(&st, c);
		if (rc)
			return fail(d, rc, "vCPU %u's registers", i);
		f->nr_vcpus++;
	}
	return f->nr_vcpus ? 0 : fail(d, -ENOENT, "no vCPU");
}

/*
 * the contexts from the vCPUs' registers: a running domain is paused while
 * they are read (as Xen pauses a vCPU to give its context), not while its
 * memory is
 */
static int sim_facts(struct dumper *d)
{
	bool paused = d->info.state == PM_HV_RUNNING;
	int rc = paused ? pm_hv_domain_pause(d->hv, d->domid) : 0;

	if (rc)
		return fail(d, rc, "pausing the domain to read its vCPUs");
	rc = sim_contexts(d);
	if (paused && (paused = pm_hv_domain_unpause(d->hv, d->domid)) && !rc)
		rc = fail(d, -EIO, "unpausing the domain");
	return rc;
}

/* the RAM pages the P2M holds, in pfn order */
static int ram_pages(struct dumper *d)
{
	uint64_t cap = 0, *win = pm__malloc(WINDOW * sizeof(*win));
	int rc = win ? 0 : -ENOMEM;

	for (uint64_t pfn = 0; !rc && pfn < d->info.max_pfn; pfn += WINDOW) {
		uint64_t n = d->info.max_pfn - pfn < WINDOW ? d->info.max_pfn - pfn : WINDOW;

		rc = pm_hv_p2m_read(d->hv, d->domid, pfn, n, win);
		if (rc) {
			fail(d, rc, "reading the P2M at pfn 0x%llx", (unsigned long long)pfn);
			break;
		}
		for (uint64_t i = 0; i < n; i++) {
			if (pm_p2m_kind_of(win[i]) != PM_P2M_RAM)
				continue;
			if (d->nr_pages == cap) {
				uint64_t *p, *m;

				cap = cap ? cap * 2 : 4096;
				p = pm__realloc(d->pfns, cap * sizeof(*p));
				if (p)
					d->pfns = p;
				m = pm__realloc(d->mfns, cap * sizeof(*m));
				if (m)
					d->mfns = m;
				if (!p || !m) {
					rc = fail(d, -ENOMEM, "the list of pages");
					break;
				}
			}
			d->pfns[d->nr_pages] = pfn + i;
			d->mfns[d->nr_pages++] = win[i];
		}
	}
	if (!win)
		fail(d, rc, "the list of pages");
	free(win);
	return rc;
}

static void copy(char *to, size_t size, const char *from)
{
	size_t n = strnlen(from, size - 1);

	memcpy(to, from, n);
}

static void notes(struct dumper *d, const struct pm_hv_host *h, struct notes *n)
{
	struct note x = { 4, 0, NOTE_NONE, "Xen" };

	memset(n, 0, sizeof(*n));
	n->none = x;
	x.type = NOTE_HEADER;
	x.descsz = sizeof(n->hd);
	n->header = x;
	n->hd.magic = d->f.hvm ? CORE_MAGIC_HVM : CORE_MAGIC;
	n->hd.nr_vcpus = d->f.nr_vcpus;
	n->hd.nr_pages = d->nr_pages;
	n->hd.page_size = PAGE;
	x.type = NOTE_XEN_VERSION;
	x.descsz = sizeof(n->vd);
	n->version = x;
	n->vd.major = (uint64_t)h->xen_major;
	n->vd.minor = (uint64_t)h->xen_minor;
	copy(n->vd.extra, sizeof(n->vd.extra), h->xen_extra);
	copy(n->vd.compiler, sizeof(n->vd.compiler), h->compiler);
	copy(n->vd.compile_by, sizeof(n->vd.compile_by), h->compile_by);
	copy(n->vd.compile_domain, sizeof(n->vd.compile_domain), h->compile_domain);
	copy(n->vd.compile_date, sizeof(n->vd.compile_date), h->compile_date);
	copy(n->vd.caps, sizeof(n->vd.caps), h->xen_caps);
	copy(n->vd.changeset, sizeof(n->vd.changeset), h->changeset);
	n->vd.virt_start = h->virt_start;
	n->vd.pagesize = h->pagesize ? h->pagesize : PAGE;
	x.type = NOTE_FORMAT_VERSION;
	x.descsz = sizeof(n->format_version);
	n->format = x;
	n->format_version = FORMAT_VERSION;
}

/* the pages, WINDOW at a time, mapped and written */
static int pages(struct dumper *d)
{
	void *map = MAP_FAILED;
	int rc = 0;

	for (uint64_t at = 0; !rc && at < d->nr_pages; at += WINDOW) {
		uint64_t n = d->nr_pages - at < WINDOW ? d->nr_pages - at : WINDOW;

		map = mmap(NULL, n * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED)
			return fail(d, -errno, "mapping pages");
		rc = pm__hv_map_frames(d->hv, d->domid, map, d->mfns + at, d->pfns + at, n);
		if (rc)
			fail(d, rc, "mapping the pages at pfn 0x%llx", (unsigned long long)d->pfns[at]);
		else
			rc = put(d, map, n * PAGE);
		munmap(map, n * PAGE);
	}
	return rc;
}

/* the .xen_pfn or .xen_p2m table */
static int frame_table(struct dumper *d)
{
	uint64_t buf[2 * 512];
	size_t at = 0;
	int rc = 0;

	for (uint64_t i = 0; !rc && i < d->nr_pages; i++) {
		buf[at++] = d->pfns[i];
		if (!d->f.translated)
			buf[at++] = d->mfns[i] & PM_P2M_FRAME_MASK;
		if (at == sizeof(buf) / sizeof(buf[0]) || i + 1 == d->nr_pages) {
			rc = put(d, buf, at * sizeof(buf[0]));
			at = 0;
		}
	}
	return rc;
}

enum { S_NULL, S_STRTAB, S_NOTE, S_PRSTATUS, S_SHINFO, S_PAGES, S_FRAMES, S_MAX };

/* the section headers and names of a core */
struct layout {
	Elf64_Shdr sh[S_MAX];
	size_t sec[S_MAX];       /* each section's header index */
	size_t nsec;
	char strtab[128];
	size_t tlen;
	size_t padding;          /* zeros before the pages */
};

/* the sections in Xen's order, named; the shared info page where there is one */
static void name_sections(const struct dumper *d, struct layout *c)
{
	static const char *const names[S_MAX] = {
		"", ".shstrtab", ".note.Xen", ".xen_prstatus", ".xen_shared_info", ".xen_pages", NULL,
	};

	memset(c, 0, sizeof(*c));
	c->tlen = 1;
	for (int i = S_NULL; i < S_MAX; i++) {
		const char *name = i == S_FRAMES ? (d->f.translated ? ".xen_pfn" : ".xen_p2m") : names[i];

		if (i == S_SHINFO && !d->f.shared_info)
			continue;
		c->sec[i] = c->nsec++;
		if (i == S_NULL)
			continue;
		c->sh[c->sec[i]].sh_name = (Elf64_Word)c->tlen;
		memcpy(c->strtab + c->tlen, name, strlen(name) + 1);
		c->tlen += strlen(name) + 1;
	}
}

/* section @which at @off; returns where the next begins */
static uint64_t place(struct layout *c, int which, uint32_t type, uint64_t off, uint64_t size, uint64_t align,
		      uint64_t entsize)
{
	Elf64_Shdr *s = &c->sh[c->sec[which]];

	*s = (Elf64_Shdr){ .sh_name = s->sh_name, .sh_type = type, .sh_offset = off, .sh_size = size,
			   .sh_addralign = align, .sh_entsize = entsize };
	return off + size;
}

/* where each section goes: as libxenguest places them */
static void place_sections(const struct dumper *d, struct layout *c)
{
	uint64_t off = sizeof(Elf64_Ehdr), frame = d->f.translated ? 8 : 16;

	off = place(c, S_NOTE, SHT_NOTE, off, sizeof(struct notes), 0, 0);
	off = place(c, S_PRSTATUS, SHT_PROGBITS, off, d->f.nr_vcpus * d->f.ctx_size, d->f.ctx_align, d->f.ctx_size);
	if (d->f.shared_info)
		off = place(c, S_SHINFO, SHT_PROGBITS, off, PAGE, 8, PAGE);
	/* the section headers go after the ELF header: what follows moves by their size */
	for (size_t i = 1; i < c->nsec; i++)
		c->sh[i].sh_offset += c->nsec * sizeof(Elf64_Shdr);
	off += c->nsec * sizeof(Elf64_Shdr);
	c->padding = (size_t)((PAGE - off % PAGE) % PAGE);
	off = place(c, S_PAGES, SHT_PROGBITS, off + c->padding, d->nr_pages * PAGE, PAGE, PAGE);
	off = place(c, S_FRAMES, SHT_PROGBITS, off, d->nr_pages * frame, 8, frame);
	place(c, S_STRTAB, SHT_STRTAB, off, c->tlen, 0, 0);
}

static void elf_header(const struct dumper *d, const struct layout *c, Elf64_Ehdr *eh)
{
	memset(eh, 0, sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_SYSV;
	eh->e_ident[EI_ABIVERSION] = EV_CURRENT;   /* as libxenguest writes it */
	eh->e_type = ET_CORE;
	eh->e_machine = d->f.machine;
	eh->e_version = EV_CURRENT;
	eh->e_shoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = (Elf64_Half)c->nsec;
	eh->e_shstrndx = (Elf64_Half)c->sec[S_STRTAB];
}

static int write_core(struct dumper *d, const struct pm_hv_host *host)
{
	static const char pad[PAGE];
	struct layout c;
	Elf64_Ehdr eh;
	struct notes nt;
	int rc;

	name_sections(d, &c);
	place_sections(d, &c);
	elf_header(d, &c, &eh);
	notes(d, host, &nt);
	rc = put(d, &eh, sizeof(eh));
	if (!rc)
		rc = put(d, c.sh, c.nsec * sizeof(c.sh[0]));
	if (!rc)
		rc = put(d, &nt, sizeof(nt));
	if (!rc)
		rc = put(d, d->f.ctx, d->f.nr_vcpus * d->f.ctx_size);
	if (!rc && d->f.shared_info)
		rc = put(d, d->f.shared_info, PAGE);
	if (!rc)
		rc = put(d, pad, c.padding);
	if (!rc)
		rc = pages(d);
	if (!rc)
		rc = frame_table(d);
	if (!rc)
		rc = put(d, c.strtab, c.tlen);
	return rc;
}

int pm_domain_dump_core(struct pm_hv *hv, uint32_t domid, int fd, struct pm_dump_report *rep, char *err,
			size_t errlen)
{
	struct dumper d = { .hv = hv, .domid = domid, .fd = fd, .err = err, .errlen = errlen };
	struct pm_hv_host host;
	int rc;

	if (err && errlen)
		err[0] = 0;
	rc = pm_hv_domain_getinfo(hv, domid, &d.info);
	if (rc)
		return fail(&d, rc, "no domain %u", domid);
	if (!domid)
		return fail(&d, -EPERM, "dom0's memory is not a guest's");
	rc = hv->ops->dump_facts ? hv->ops->dump_facts(hv, domid, &d.f) : sim_facts(&d);
	if (rc)
		fail(&d, rc, "reading the vCPUs");
	if (!rc && (rc = pm_hv_host_info(hv, &host)))
		fail(&d, rc, "reading the hypervisor's version");
	if (!rc)
		rc = ram_pages(&d);
	if (!rc)
		rc = write_core(&d, &host);
	if (!rc && rep) {
		rep->pages = d.nr_pages;
		rep->vcpus = d.f.nr_vcpus;
		rep->bytes = d.bytes;
	}
	free(d.f.ctx);
	free(d.f.shared_info);
	free(d.pfns);
	free(d.mfns);
	return rc;
}
