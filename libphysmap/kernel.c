/*
 * libphysmap/kernel.c - what a kernel image is and where it goes: a raw
 * image (an arm64 Image, a PVH blob) the board places, or an ELF file
 * whose PT_LOAD segments say where they go (physical addresses), entered
 * at its PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, Xen's
 * docs/misc/pvh.pandoc) on a PVH board, else at e_entry made physical.
 * An x86 bzImage (what /boot/vmlinuz is) is opened as Xen's builder opens
 * it: its payload (xz or gzip, Linux's boot protocol 2.08+ says where) is
 * the vmlinux ELF file inside.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>
#include <zlib.h>

#include "physmap/domain.h"
#include "alloc-internal.h"
#include "file-internal.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* a whole file into memory: a regular file of at most PM_FILE_IMAGE_MAX bytes */
static int slurp(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen)
{
	char ferr[256];
	int rc = pm__file_read(path, PM_FILE_IMAGE_MAX, out, len, ferr, sizeof(ferr));

	if (rc)
		snprintf(err, errlen, "kernel %s", ferr);
	else if (!*len) {
		snprintf(err, errlen, "kernel %s: an empty file", path);
		free(*out);
		*out = NULL;
		rc = -EINVAL;
	}
	return rc;
}

/* an arm64 Image (Linux's Documentation/arm64/booting.rst): its magic at 0x38 */
static bool arm64_image(const uint8_t *d, size_t len)
{
	return len >= 64 && !memcmp(d + 0x38, "ARM\x64", 4);
}

/* one program header, as 64-bit fields whatever the class */
struct phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

static int phdr_at(const uint8_t *d, size_t len, bool is64, uint64_t off, struct phdr *p)
{
#define PHDR(type) do {								\
		type h;								\
										\
		if (off > len || len - off < sizeof(h))				\
			return -EINVAL;						\
		memcpy(&h, d + off, sizeof(h));					\
		*p = (struct phdr){ h.p_type, h.p_offset, h.p_vaddr, h.p_paddr, h.p_filesz, h.p_memsz }; \
	} while (0)
	if (is64)
		PHDR(Elf64_Phdr);
	else
		PHDR(Elf32_Phdr);
#undef PHDR
	return 0;
}

/* the PVH entry among the notes of [off, off + size), or 0 */
static uint64_t pvh_entry(const uint8_t *d, uint64_t off, uint64_t size)
{
	uint64_t end = off + size;

	while (off + 12 <= end) {
		uint32_t nh[3];
		uint64_t name, desc, next;

		memcpy(nh, d + off, sizeof(nh));
		name = off + 12;
		desc = name + ((nh[0] + 3ull) & ~3ull);
		next = desc + ((nh[1] + 3ull) & ~3ull);
		if (next > end || next <= off)
			return 0;
		if (nh[0] == 4 && !memcmp(d + name, "Xen", 4) && nh[2] == XEN_ELFNOTE_PHYS32_ENTRY &&
		    (nh[1] == 4 || nh[1] == 8)) {
			uint32_t e;

			memcpy(&e, d + desc, 4);
			return e;
		}
		off = next;
	}
	return 0;
}

#define BZ_MAX_OUT (256u << 20)   /* a vmlinux larger than this is not a kernel we boot */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * inflates @in (xz or gzip) into a malloc'ed *@out; -EINVAL if neither or
 * corrupt. The buffer is sized from the payload's last four bytes where
 * they are plausible: Linux appends the inflated size to its xz payload,
 * gzip ends with it (a buffer grown on the way is copied whole).
 */
static int inflate_payload(const uint8_t *in, size_t n, uint8_t **out, size_t *outlen)
{
	size_t hint = n >= 4 ? le32(in + n - 4) : 0;
	size_t cap = hint >= n && hint <= BZ_MAX_OUT ? hint + 4096 : 64u << 20, got = 0;
	uint8_t *o = pm__malloc(cap);
	bool xz = n >= 6 && !memcmp(in, "\xfd" "7zXZ", 6), gz = n >= 2 && in[0] == 0x1f && in[1] == 0x8b;
	lzma_stream ls = LZMA_STREAM_INIT;
	z_stream zs = { 0 };
	int rc = 0, done = 0;

	if (!o)
		return -ENOMEM;
	if (!xz && !gz)
		rc = -EINVAL;
	else if (xz && lzma_stream_decoder(&ls, UINT64_MAX, 0) != LZMA_OK)
		rc = -ENOMEM;
	else if (gz && inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		rc = -ENOMEM;
	if (xz) {
		ls.next_in = in;
		ls.avail_in = n;
	} else {
		zs.next_in = (Bytef *)in;
		zs.avail_in = (uInt)n;
	}
	while (!rc && !done) {
		if (got == cap) {
			uint8_t *g = cap >= BZ_MAX_OUT ? NULL : pm__realloc(o, cap * 2);

			if (!g) {
				rc = cap >= BZ_MAX_OUT ? -EFBIG : -ENOMEM;
				break;
			}
			o = g;
			cap *= 2;
		}
		if (xz) {
			lzma_ret r;

			ls.next_out = o + got;
			ls.avail_out = cap - got;
			r = lzma_code(&ls, LZMA_RUN);
			got = cap - ls.avail_out;
			done = r == LZMA_STREAM_END;
			if (r != LZMA_OK && !done)
				rc = -EINVAL;
			else if (!done && !ls.avail_in && ls.avail_out)
				rc = -EINVAL;   /* cut short */
		} else {
			int r;

			zs.next_out = o + got;
			zs.avail_out = (uInt)(cap - got > UINT32_MAX ? UINT32_MAX : cap - got);
			r = inflate(&zs, Z_NO_FLUSH);
			got = (size_t)(zs.next_out - o);
			done = r == Z_STREAM_END;
			if (r != Z_OK && !done)
				rc = -EINVAL;
		}
	}
	if (xz)
		lzma_end(&ls);
	if (gz)
		inflateEnd(&zs);
	if (rc) {
		free(o);
		return rc;
	}
	*out = o;
	*outlen = got;
	return 0;
}

/* a bzImage in *@buf becomes the ELF file of its payload; anything else stays */
static int bzimage(uint8_t **buf, size_t *len, const char *path, char *err, size_t errlen)
{
	const uint8_t *d = *buf;
	uint64_t setup, off, n;
	uint8_t *elf;
	size_t elflen;
	int rc;

	if (*len < 0x250 || memcmp(d + 0x202, "HdrS", 4))
		return 0;
	if ((d[0x206] | d[0x207] << 8) < 0x208) {
		snprintf(err, errlen, "kernel %s: a bzImage older than boot protocol 2.08 (no payload fields)", path);
		return -EINVAL;
	}
	setup = ((uint64_t)(d[0x1f1] ? d[0x1f1] : 4) + 1) * 512;
	off = setup + le32(d + 0x248);
	n = le32(d + 0x24c);
	if (off > *len || n > *len - off) {
		snprintf(err, errlen, "kernel %s: its payload (%llu bytes at %llu) lies past the end of the file", path,
			 (unsigned long long)n, (unsigned long long)off);
		return -EINVAL;
	}
	rc = inflate_payload(d + off, (size_t)n, &elf, &elflen);
	if (rc) {
		snprintf(err, errlen, "kernel %s: its payload: %s", path,
			 rc == -EINVAL ? "neither xz nor gzip, or corrupt" : strerror(-rc));
		return rc;
	}
	free(*buf);
	*buf = elf;
	*len = elflen;
	if (elflen < SELFMAG || memcmp(elf, ELFMAG, SELFMAG)) {
		snprintf(err, errlen, "kernel %s: its payload is not an ELF file", path);
		return -EINVAL;
	}
	return 0;
}

/* one line into @err (printf's @fmt); returns @code */
static int kfail(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int kfail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * a file that is not ELF: an arm64 Image, or a raw image (kernel_format),
 * which the board places; @k takes @buf
 */
static int not_elf(uint8_t *buf, size_t len, const char *path, unsigned int flags, struct pm_kernel *k, char *err,
		   size_t errlen)
{
	bool image = arm64_image(buf, len);

	if (!image && !(flags & PM_KERNEL_RAW))
		return kfail(err, errlen, -ENOEXEC, "kernel %s: not an ELF file, a bzImage or an arm64 Image "
			     "(kernel_format=\"raw\" boots an image as it is)", path);
	if (image && (flags & PM_KERNEL_PVH) && !(flags & PM_KERNEL_RAW))
		return kfail(err, errlen, -ENOEXEC, "kernel %s: an arm64 Image; the board boots x86 PVH kernels", path);
	k->data = buf;
	k->size = len;
	k->footprint = len;
	if (image) {
		uint64_t image_size;

		memcpy(&image_size, buf + 16, 8);   /* little-endian, as the Image's flags say by default */
		if (image_size > len)
			k->footprint = image_size;
	}
	return 0;
}

/* what an ELF kernel says of itself: its header's fields, what it loads where, its entry */
struct elf {
	bool is64;
	uint64_t phoff, entry;
	unsigned int phnum, phentsize;
	uint64_t lo, hi;             /* [lo, hi): the physical span of its PT_LOAD segments */
	uint64_t vbase, pbase;       /* the first segment's virtual and physical address */
	uint64_t note_entry;         /* XEN_ELFNOTE_PHYS32_ENTRY, or 0 */
};

/* the ELF header: class, byte order, machine (the board's), program headers */
static int elf_header(const uint8_t *d, size_t len, const char *path, unsigned int flags, struct elf *e, char *err,
		      size_t errlen)
{
	uint16_t machine;

	if (len < EI_NIDENT)
		return kfail(err, errlen, -EINVAL, "kernel %s: a truncated ELF header", path);
	if ((d[EI_CLASS] != ELFCLASS32 && d[EI_CLASS] != ELFCLASS64) || d[EI_DATA] != ELFDATA2LSB)
		return kfail(err, errlen, -EINVAL, "kernel %s: an ELF file neither 32- nor 64-bit little-endian", path);
	e->is64 = d[EI_CLASS] == ELFCLASS64;
	if (len < EI_NIDENT + 4)
		return kfail(err, errlen, -EINVAL, "kernel %s: a truncated ELF header", path);
	machine = (uint16_t)(d[EI_NIDENT + 2] | d[EI_NIDENT + 3] << 8);   /* e_machine, in either class */
	if ((flags & PM_KERNEL_PVH) ? machine != EM_386 && machine != EM_X86_64 : machine != EM_AARCH64)
		return kfail(err, errlen, -ENOEXEC, "kernel %s: an ELF file for machine %u; the board boots %s kernels",
			     path, machine, (flags & PM_KERNEL_PVH) ? "x86 PVH" : "aarch64");
	/* the header's fields we need, as 64-bit values whatever the class */
#define EHDR(type) do {								\
		type h;								\
										\
		if (len < sizeof(h))						\
			return kfail(err, errlen, -EINVAL, "kernel %s: a truncated ELF header", path); \
		memcpy(&h, d, sizeof(h));					\
		e->phoff = h.e_phoff;						\
		e->phnum = h.e_phnum;						\
		e->phentsize = h.e_phentsize;					\
		e->entry = h.e_entry;						\
	} while (0)
	if (e->is64)
		EHDR(Elf64_Ehdr);
	else
		EHDR(Elf32_Ehdr);
#undef EHDR
	if (e->phentsize != (e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || !e->phnum)
		return kfail(err, errlen, -EINVAL, "kernel %s: an ELF file without program headers", path);
	return 0;
}

/* the program headers: the span the segments load, the PVH entry note */
static int elf_span(const uint8_t *d, size_t len, const char *path, struct elf *e, char *err, size_t errlen)
{
	bool have_load = false;

	e->lo = UINT64_MAX;
	for (unsigned int i = 0; i < e->phnum; i++) {
		struct phdr p;

		if (phdr_at(d, len, e->is64, e->phoff + (uint64_t)i * e->phentsize, &p))
			return kfail(err, errlen, -EINVAL, "kernel %s: program header %u lies past the end of the file",
				     path, i);
		if (p.type == PT_NOTE) {
			if (p.offset > len || p.filesz > len - p.offset)
				return kfail(err, errlen, -EINVAL,
					     "kernel %s: note segment %u lies past the end of the file", path, i);
			if (!e->note_entry)
				e->note_entry = pvh_entry(d, p.offset, p.filesz);
			continue;
		}
		if (p.type != PT_LOAD || !p.memsz)
			continue;
		if (p.offset > len || p.filesz > len - p.offset || p.filesz > p.memsz || p.paddr + p.memsz < p.paddr)
			return kfail(err, errlen, -EINVAL, "kernel %s: segment %u (0x%llx, %llu bytes) is not in the file",
				     path, i, (unsigned long long)p.paddr, (unsigned long long)p.memsz);
		if (!have_load) {
			e->vbase = p.vaddr;
			e->pbase = p.paddr;
		}
		have_load = true;
		e->lo = p.paddr < e->lo ? p.paddr : e->lo;
		e->hi = p.paddr + p.memsz > e->hi ? p.paddr + p.memsz : e->hi;
	}
	if (!have_load)
		return kfail(err, errlen, -EINVAL, "kernel %s: an ELF file with nothing to load", path);
	if (e->hi - e->lo > (1ull << 32))
		return kfail(err, errlen, -EINVAL, "kernel %s: its segments span 0x%llx-0x%llx, more than 4 GiB", path,
			     (unsigned long long)e->lo, (unsigned long long)e->hi);
	return 0;
}

/* where it starts: the PVH note for a PVH kernel, else e_entry (made physical if it is virtual) */
static int elf_entry(const char *path, bool pvh, struct elf *e, char *err, size_t errlen)
{
	if (pvh && !e->note_entry)
		return kfail(err, errlen, -EINVAL,
			     "kernel %s: an ELF file without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)", path);
	if (e->note_entry && pvh)
		e->entry = e->note_entry;
	else if (e->entry < e->lo || e->entry >= e->hi)
		e->entry = e->entry - e->vbase + e->pbase;   /* a virtual entry: where it is loaded */
	if (e->entry < e->lo || e->entry >= e->hi)
		return kfail(err, errlen, -EINVAL, "kernel %s: its entry 0x%llx is not in what it loads", path,
			     (unsigned long long)e->entry);
	return 0;
}

/*
 * Whether the @n loaded segments @p can be laid out in the file's own
 * buffer of @len bytes: the image fits it, and in header order each
 * segment moves down (its place in the image at or below its place in the
 * file) and, with its zeroed tail, ends before any later segment's bytes
 * in the file
 */
static bool in_place(const struct phdr *p, unsigned int n, size_t len, const struct elf *e)
{
	uint64_t done = 0;   /* the image is final below this */

	if (e->hi - e->lo > len)
		return false;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t at = p[i].paddr - e->lo;

		if (at < done || (p[i].filesz && p[i].offset < at))
			return false;
		for (unsigned int j = i + 1; j < n; j++)
			if (p[j].filesz && p[j].offset < at + p[i].memsz)
				return false;
		done = at + p[i].memsz;
	}
	return true;
}

/*
 * The image [lo, hi) as it lies in guest memory: the loaded segments at
 * their places, zero where they do not say. In the file's buffer itself
 * when its layout allows (a vmlinux's does: a copy of 60 MB more, page by
 * page faulted in, was a tenth of a TCG dom0's create), which *@buf then
 * passes to @k; else in a copy.
 */
static int elf_image(uint8_t **buf, size_t len, const char *path, const struct elf *e, struct pm_kernel *k,
		     char *err, size_t errlen)
{
	const uint8_t *d = *buf;
	struct phdr p[64];
	unsigned int n = 0;
	bool listed = true;   /* every loaded segment is in p[] */
	uint64_t done = 0;

	for (unsigned int i = 0; i < e->phnum && listed; i++) {
		struct phdr h;

		phdr_at(d, len, e->is64, e->phoff + (uint64_t)i * e->phentsize, &h);
		if (h.type != PT_LOAD || !h.memsz)
			continue;
		if (n < 64)
			p[n++] = h;
		else
			listed = false;
	}
	if (listed && in_place(p, n, len, e)) {
		/* in header order, each segment down to its place, zeros up to it */
		for (unsigned int i = 0; i < n; i++) {
			uint64_t at = p[i].paddr - e->lo;

			memset(*buf + done, 0, (size_t)(at - done));
			memmove(*buf + at, d + p[i].offset, (size_t)p[i].filesz);
			done = at + p[i].filesz;
		}
		memset(*buf + done, 0, (size_t)(e->hi - e->lo - done));
		k->data = *buf;
		*buf = NULL;
	} else {
		k->data = pm__calloc(1, (size_t)(e->hi - e->lo));
		if (!k->data)
			return kfail(err, errlen, -ENOMEM, "kernel %s: %s", path, strerror(ENOMEM));
		for (unsigned int i = 0; i < e->phnum; i++) {
			struct phdr h;

			phdr_at(d, len, e->is64, e->phoff + (uint64_t)i * e->phentsize, &h);
			if (h.type == PT_LOAD && h.memsz && h.filesz)
				memcpy(k->data + (h.paddr - e->lo), d + h.offset, (size_t)h.filesz);
		}
	}
	k->elf = true;
	k->gpa = e->lo;
	k->size = e->hi - e->lo;
	k->footprint = k->size;
	k->entry = e->entry;
	return 0;
}

int pm_kernel_load(const char *path, unsigned int flags, struct pm_kernel *k, char *err, size_t errlen)
{
	struct elf e = { 0 };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = slurp(path, &buf, &len, err, errlen);

	memset(k, 0, sizeof(*k));
	if (!rc)
		rc = bzimage(&buf, &len, path, err, errlen);
	if (rc)
		goto out;
	if ((flags & PM_KERNEL_IMAGE) && !arm64_image(buf, len)) {
		rc = kfail(err, errlen, -ENOEXEC,
			   "kernel %s: not an arm64 Image (the board boots an Image only, as Xen's Arm builder)", path);
		goto out;
	}
	if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG)) {
		rc = not_elf(buf, len, path, flags, k, err, errlen);
		if (!rc)
			return 0;   /* k has buf */
		goto out;
	}
	rc = elf_header(buf, len, path, flags, &e, err, errlen);
	if (!rc)
		rc = elf_span(buf, len, path, &e, err, errlen);
	if (!rc)
		rc = elf_entry(path, flags & PM_KERNEL_PVH, &e, err, errlen);
	if (!rc)
		rc = elf_image(&buf, len, path, &e, k, err, errlen);
out:
	free(buf);
	if (rc) {
		free(k->data);
		memset(k, 0, sizeof(*k));
	}
	return rc;
}

void pm_kernel_dispose(struct pm_kernel *k)
{
	free(k->data);
	memset(k, 0, sizeof(*k));
}
