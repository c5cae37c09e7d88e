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

#define FAIL(code, ...) do { snprintf(err, errlen, __VA_ARGS__); rc = (code); goto out; } while (0)

#define BZ_MAX_OUT (256u << 20)   /* a vmlinux larger than this is not a kernel we boot */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* inflates @in (xz or gzip) into a malloc'ed *@out; -EINVAL if neither or corrupt */
static int inflate_payload(const uint8_t *in, size_t n, uint8_t **out, size_t *outlen)
{
	size_t cap = 64u << 20, got = 0;
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

int pm_kernel_load(const char *path, unsigned int flags, struct pm_kernel *k, char *err, size_t errlen)
{
	bool pvh = flags & PM_KERNEL_PVH;
	const uint8_t *d;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint64_t phoff, lo = UINT64_MAX, hi = 0, entry, note_entry = 0, vbase = 0, pbase = 0;
	unsigned int phnum, phentsize;
	uint16_t machine;
	bool is64, have_load = false;
	int rc = slurp(path, &buf, &len, err, errlen);

	memset(k, 0, sizeof(*k));
	if (!rc)
		rc = bzimage(&buf, &len, path, err, errlen);
	if (rc) {
		free(buf);
		return rc;
	}
	d = buf;
	if ((flags & PM_KERNEL_IMAGE) && !arm64_image(d, len)) {
		snprintf(err, errlen, "kernel %s: not an arm64 Image (the board boots an Image only, as Xen's Arm builder)",
			 path);
		free(buf);
		return -ENOEXEC;
	}
	if (len < SELFMAG || memcmp(d, ELFMAG, SELFMAG)) {
		if (!arm64_image(d, len) && !(flags & PM_KERNEL_RAW)) {
			snprintf(err, errlen, "kernel %s: not an ELF file, a bzImage or an arm64 Image "
				 "(kernel_format=\"raw\" boots an image as it is)", path);
			free(buf);
			return -ENOEXEC;
		}
		if (arm64_image(d, len) && (flags & PM_KERNEL_PVH) && !(flags & PM_KERNEL_RAW)) {
			snprintf(err, errlen, "kernel %s: an arm64 Image; the board boots x86 PVH kernels", path);
			free(buf);
			return -ENOEXEC;
		}
		/* an Image or a raw image: the board says where (so does an ELF file linked at 0) */
		k->data = buf;
		k->size = len;
		k->footprint = len;
		if (arm64_image(d, len)) {
			uint64_t image_size;

			memcpy(&image_size, d + 16, 8);   /* little-endian, as the Image's flags say by default */
			if (image_size > len)
				k->footprint = image_size;
		}
		return 0;
	}
	if (len < EI_NIDENT)
		FAIL(-EINVAL, "kernel %s: a truncated ELF header", path);
	if ((d[EI_CLASS] != ELFCLASS32 && d[EI_CLASS] != ELFCLASS64) || d[EI_DATA] != ELFDATA2LSB)
		FAIL(-EINVAL, "kernel %s: an ELF file neither 32- nor 64-bit little-endian", path);
	is64 = d[EI_CLASS] == ELFCLASS64;
	if (len < EI_NIDENT + 4)
		FAIL(-EINVAL, "kernel %s: a truncated ELF header", path);
	machine = (uint16_t)(d[EI_NIDENT + 2] | d[EI_NIDENT + 3] << 8);   /* e_machine, in either class */
	if ((flags & PM_KERNEL_PVH) ? machine != EM_386 && machine != EM_X86_64 : machine != EM_AARCH64)
		FAIL(-ENOEXEC, "kernel %s: an ELF file for machine %u; the board boots %s kernels", path, machine,
		     (flags & PM_KERNEL_PVH) ? "x86 PVH" : "aarch64");
	/* the header's fields we need, as 64-bit values whatever the class */
#define EHDR(type) do {								\
		type h;								\
										\
		if (len < sizeof(h))						\
			FAIL(-EINVAL, "kernel %s: a truncated ELF header", path);	\
		memcpy(&h, d, sizeof(h));					\
		phoff = h.e_phoff;						\
		phnum = h.e_phnum;						\
		phentsize = h.e_phentsize;					\
		entry = h.e_entry;						\
	} while (0)
	if (is64)
		EHDR(Elf64_Ehdr);
	else
		EHDR(Elf32_Ehdr);
#undef EHDR
	if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || !phnum)
		FAIL(-EINVAL, "kernel %s: an ELF file without program headers", path);
	for (unsigned int i = 0; i < phnum; i++) {
		struct phdr p;

		if (phdr_at(d, len, is64, phoff + (uint64_t)i * phentsize, &p))
			FAIL(-EINVAL, "kernel %s: program header %u lies past the end of the file", path, i);
		if (p.type == PT_NOTE) {
			if (p.offset > len || p.filesz > len - p.offset)
				FAIL(-EINVAL, "kernel %s: note segment %u lies past the end of the file", path, i);
			if (!note_entry)
				note_entry = pvh_entry(d, p.offset, p.filesz);
			continue;
		}
		if (p.type != PT_LOAD || !p.memsz)
			continue;
		if (p.offset > len || p.filesz > len - p.offset || p.filesz > p.memsz ||
		    p.paddr + p.memsz < p.paddr)
			FAIL(-EINVAL, "kernel %s: segment %u (0x%llx, %llu bytes) is not in the file", path, i,
			     (unsigned long long)p.paddr, (unsigned long long)p.memsz);
		if (!have_load) {
			vbase = p.vaddr;
			pbase = p.paddr;
		}
		have_load = true;
		lo = p.paddr < lo ? p.paddr : lo;
		hi = p.paddr + p.memsz > hi ? p.paddr + p.memsz : hi;
	}
	if (!have_load)
		FAIL(-EINVAL, "kernel %s: an ELF file with nothing to load", path);
	if (hi - lo > (1ull << 32))
		FAIL(-EINVAL, "kernel %s: its segments span 0x%llx-0x%llx, more than 4 GiB", path,
		     (unsigned long long)lo, (unsigned long long)hi);
	if (pvh && !note_entry)
		FAIL(-EINVAL, "kernel %s: an ELF file without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)", path);
	if (note_entry && pvh)
		entry = note_entry;
	else if (entry < lo || entry >= hi)
		entry = entry - vbase + pbase;   /* a virtual entry: where it is loaded */
	if (entry < lo || entry >= hi)
		FAIL(-EINVAL, "kernel %s: its entry 0x%llx is not in what it loads", path, (unsigned long long)entry);
	/* the image as it lies in guest memory: segments at their places, the rest zero */
	k->data = pm__calloc(1, (size_t)(hi - lo));
	if (!k->data)
		FAIL(-ENOMEM, "kernel %s: %s", path, strerror(ENOMEM));
	for (unsigned int i = 0; i < phnum; i++) {
		struct phdr p;

		phdr_at(d, len, is64, phoff + (uint64_t)i * phentsize, &p);
		if (p.type == PT_LOAD && p.memsz && p.filesz)
			memcpy(k->data + (p.paddr - lo), d + p.offset, (size_t)p.filesz);
	}
	k->elf = true;
	k->gpa = lo;
	k->size = hi - lo;
	k->footprint = k->size;
	k->entry = entry;
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
