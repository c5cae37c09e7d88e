/*
 * test-kernel.c - pm_kernel_load's image of an ELF file: the loaded
 * segments at their places, zeros between and after them, whether it lays
 * them out in the file's own buffer (a vmlinux's layout) or in a copy (any
 * other)
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "physmap/domain.h"

#define BASE 0x40000000ull

struct seg {
	uint64_t paddr, offset, filesz, memsz;
};

/*
 * an aarch64 ELF file of @n loaded segments, each filled with its index + 1,
 * as a memfd; its path (/proc/self/fd/N) into @path
 */
static int write_elf(const struct seg *s, unsigned int n, size_t file_len, char *path, size_t pathlen)
{
	uint8_t *f = calloc(1, file_len);
	Elf64_Ehdr *h = (Elf64_Ehdr *)f;
	int fd = memfd_create("kernel", MFD_CLOEXEC);

	assert_non_null(f);
	assert_true(fd >= 0);
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = ET_EXEC;
	h->e_machine = EM_AARCH64;
	h->e_version = EV_CURRENT;
	h->e_entry = BASE;
	h->e_phoff = sizeof(*h);
	h->e_ehsize = sizeof(*h);
	h->e_phentsize = sizeof(Elf64_Phdr);
	h->e_phnum = (uint16_t)n;
	for (unsigned int i = 0; i < n; i++) {
		Elf64_Phdr *p = (Elf64_Phdr *)(f + sizeof(*h)) + i;

		*p = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = s[i].offset,
				   .p_vaddr = s[i].paddr, .p_paddr = s[i].paddr, .p_filesz = s[i].filesz,
				   .p_memsz = s[i].memsz, .p_align = 4096 };
		memset(f + s[i].offset, (int)i + 1, s[i].filesz);
	}
	assert_int_equal(write(fd, f, file_len), (ssize_t)file_len);
	free(f);
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

/* the image must be each segment's bytes at paddr - lowest, zero elsewhere */
static void expect_image(const struct seg *s, unsigned int n, size_t file_len)
{
	char path[64], err[256] = "";
	int fd = write_elf(s, n, file_len, path, sizeof(path));
	uint64_t lo = UINT64_MAX, hi = 0;
	struct pm_kernel k;

	for (unsigned int i = 0; i < n; i++) {
		lo = s[i].paddr < lo ? s[i].paddr : lo;
		hi = s[i].paddr + s[i].memsz > hi ? s[i].paddr + s[i].memsz : hi;
	}
	if (pm_kernel_load(path, 0, &k, err, sizeof(err)))
		fail_msg("%s", err);
	close(fd);
	assert_true(k.elf);
	assert_int_equal(k.gpa, lo);
	assert_int_equal(k.size, hi - lo);
	assert_int_equal(k.entry, BASE);
	for (uint64_t a = lo; a < hi; a++) {
		int want = 0;

		for (unsigned int i = 0; i < n; i++)
			if (a >= s[i].paddr && a < s[i].paddr + s[i].filesz)
				want = (int)i + 1;
		if (k.data[a - lo] != want)
			fail_msg("byte 0x%llx: %d, expected %d", (unsigned long long)a, k.data[a - lo], want);
	}
	pm_kernel_dispose(&k);
}

/* a vmlinux's shape: each segment further down in the image than in the file, bss, gaps */
static void segments_moved_down_in_the_files_buffer_make_the_image(void **state)
{
	const struct seg s[] = {
		{ BASE, 0x1000, 0x1800, 0x2000 },                 /* a bss tail */
		{ BASE + 0x3000, 0x3000, 0x800, 0x800 },          /* in place already */
		{ BASE + 0x4000, 0x5000, 0x1000, 0x1000 },        /* a gap before it in the image */
		{ BASE + 0x5000, 0x6000, 0x0, 0x3000 },           /* all bss: the image ends past the file */
	};

	(void)state;
	expect_image(s, 4, 0x9000);
}

/* headers out of order, a segment moving up, one overwriting a later one's bytes: a copy */
static void segments_that_cannot_move_in_place_are_copied(void **state)
{
	const struct seg reversed[] = {
		{ BASE + 0x4000, 0x3000, 0x1000, 0x1000 },
		{ BASE, 0x1000, 0x1000, 0x1000 },
	};
	const struct seg up[] = {
		{ BASE, 0x1000, 0x1000, 0x1000 },
		{ BASE + 0x3000, 0x2000, 0x1000, 0x1000 },        /* image 0x3000 > file 0x2000 */
	};
	const struct seg clobber[] = {
		{ BASE, 0x1000, 0x800, 0x2000 },                  /* its bss reaches 0x2000 ... */
		{ BASE + 0x2000, 0x1800, 0x800, 0x800 },          /* ... past this one's bytes at 0x1800 */
	};

	(void)state;
	expect_image(reversed, 2, 0x4000);
	expect_image(up, 2, 0x3000);
	expect_image(clobber, 2, 0x2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(segments_moved_down_in_the_files_buffer_make_the_image),
		cmocka_unit_test(segments_that_cannot_move_in_place_are_copied),
	};

	return cmocka_run_group_tests_name("kernel", tests, NULL, NULL);
}
