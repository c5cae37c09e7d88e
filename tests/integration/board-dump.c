/*
 * board-dump - print what a board makes of a configuration, for the oracle
 * tests (the pxl CLI will show the same through `pxl board` / `pxl e820`).
 *
 *   board-dump BOARD MEMORY [key=value...] [--vcpus=N] [--maxmem=SIZE] [--kernel=BYTES]
 *              [--initrd=BYTES] [--cmdline=TEXT]
 *              [--firmware|--e820|--table|--json|--dtb=FILE|--acpi=DIR]
 *
 * Prints the chosen view in Linux's E820 format (or the region table, or
 * the layout as JSON), or writes the board's firmware table (a device
 * tree) to FILE, or the PVH guest's ACPI tables, found from the start
 * info's RSDP pointer, to DIR as acpixtract names them (rsdp.dat,
 * xsdt.dat, facp.dat, ...: what iasl -d reads); on a refused
 * configuration prints "error: MESSAGE" and exits 1. --kernel says a
 * kernel of that many bytes is loaded (as QEMU's -kernel; 0, the default,
 * is a tree dumped with no kernel, as QEMU's dumpdtb= alone); --initrd
 * and --cmdline place an initrd of that size and give the kernel its
 * command line, as a guest's build does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ctype.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>

#include "physmap/size.h"
#include "physmap/board.h"

static uint64_t get(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

/* [gpa, gpa + len) of the blob loaded at @base, or NULL */
static const uint8_t *at(const uint8_t *blob, long n, uint64_t base, uint64_t gpa, uint64_t len)
{
	if (gpa < base || gpa - base > (uint64_t)n || len > (uint64_t)n - (gpa - base))
		return NULL;
	return blob + (gpa - base);
}

static int put(const char *dir, const char *sig, const uint8_t *p, size_t len)
{
	char path[4096], name[5] = "";
	FILE *f;

	for (int i = 0; i < 4; i++)
		name[i] = (char)tolower((unsigned char)sig[i]);
	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		printf("error: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

/* the tables reachable from the RSDP, each to DIR/<signature>.dat */
static int write_acpi(const char *dir, const uint8_t *blob, long n, uint64_t base)
{
	const struct hvm_start_info *si = (const void *)blob;
	const uint8_t *rsdp, *xsdt, *t;
	uint64_t entries;

	if (n < (long)sizeof(*si) || !(rsdp = at(blob, n, base, si->rsdp_paddr, 36))) {
		printf("error: no RSDP in the start info\n");
		return -1;
	}
	if (put(dir, "rsdp", rsdp, 36))
		return -1;
	t = at(blob, n, base, get(rsdp + 16, 4), 36);
	if (!t || !at(blob, n, base, get(rsdp + 16, 4), get(t + 4, 4)) || put(dir, "rsdt", t, get(t + 4, 4)))
		return -1;
	xsdt = at(blob, n, base, get(rsdp + 24, 8), 36);
	if (!xsdt || !at(blob, n, base, get(rsdp + 24, 8), get(xsdt + 4, 4)) || put(dir, "xsdt", xsdt, get(xsdt + 4, 4)))
		return -1;
	entries = (get(xsdt + 4, 4) - 36) / 8;
	for (uint64_t i = 0; i < entries; i++) {
		uint64_t gpa = get(xsdt + 36 + 8 * i, 8);

		t = at(blob, n, base, gpa, 36);
		if (!t || !(t = at(blob, n, base, gpa, get(t + 4, 4))) || put(dir, (const char *)t, t, get(t + 4, 4)))
			return -1;
		if (memcmp(t, "FACP", 4) == 0) {
			uint64_t dsdt = get(t + 140, 8);
			const uint8_t *d = at(blob, n, base, dsdt, 36);

			if (!d || !(d = at(blob, n, base, dsdt, get(d + 4, 4))) || put(dir, "dsdt", d, get(d + 4, 4)))
				return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct pm_board_opt opts[32];
	uint64_t kernel = 0, initrd = 0;
	const char *cmdline = NULL;
	struct pm_board_config cfg = { .vcpus = 1, .opts = opts };
	struct pm_board_layout l;
	const struct board_ops *board;
	const char *view = "--firmware", *dtb = NULL, *acpi = NULL;
	char err[PM_BOARD_ERR_LEN] = "", *text = NULL;
	long rc;

	if (argc < 3) {
		fprintf(stderr, "usage: board-dump BOARD MEMORY [key=value...] [--firmware|--e820|--table]\n");
		return 2;
	}
	board = pm_board_find(argv[1]);
	if (!board || pm_size_parse(argv[2], PM_SIZE_M, &cfg.memory)) {
		printf("error: bad board or memory\n");
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (strncmp(argv[i], "--vcpus=", 8) == 0) {
			cfg.vcpus = (unsigned)strtoul(argv[i] + 8, NULL, 10);
		} else if (strncmp(argv[i], "--maxmem=", 9) == 0) {
			if (pm_size_parse(argv[i] + 9, PM_SIZE_M, &cfg.maxmem)) {
				printf("error: bad maxmem\n");
				return 1;
			}
		} else if (strncmp(argv[i], "--kernel=", 9) == 0) {
			kernel = strtoull(argv[i] + 9, NULL, 10);
		} else if (strncmp(argv[i], "--initrd=", 9) == 0) {
			initrd = strtoull(argv[i] + 9, NULL, 10);
		} else if (strncmp(argv[i], "--cmdline=", 10) == 0) {
			cmdline = argv[i] + 10;
		} else if (strncmp(argv[i], "--dtb=", 6) == 0) {
			dtb = argv[i] + 6;
		} else if (strncmp(argv[i], "--acpi=", 7) == 0) {
			acpi = argv[i] + 7;
		} else if (argv[i][0] == '-') {
			view = argv[i];
		} else if (eq && cfg.nr_opts < 32) {
			*eq = '\0';
			opts[cfg.nr_opts++] = (struct pm_board_opt){ argv[i], eq + 1 };
		}
	}
	rc = pm_board_layout(board, &cfg, &l, err);
	if (rc) {
		printf("error: %s\n", err);
		return 1;
	}
	if (dtb || acpi) {
		struct pm_board_boot boot = { .kernel_size = kernel, .initrd_size = initrd, .cmdline = cmdline };
		void *blob = NULL;
		FILE *f;

		rc = pm_board_boot(&l, &boot, err);
		if (rc == 0)
			rc = pm_board_firmware(&l, &boot, &blob);
		if (acpi) {
			rc = rc < 0 ? rc : write_acpi(acpi, blob, rc, boot.table_gpa);
			free(blob);
			pm_board_layout_dispose(&l);
			return rc != 0;
		}
		f = rc >= 0 ? fopen(dtb, "wb") : NULL;
		if (!f || fwrite(blob, 1, (size_t)rc, f) != (size_t)rc || fclose(f)) {
			printf("error: cannot write %s: %s\n", dtb, err);
			rc = -1;
		} else {
			rc = 0;
		}
		free(blob);
		pm_board_layout_dispose(&l);
		return rc != 0;
	}
	if (strcmp(view, "--table") == 0)
		rc = pm_board_layout_table(&l, &text);
	else if (strcmp(view, "--json") == 0)
		rc = pm_board_layout_json(&l, &text);
	else
		rc = pm_e820_format(strcmp(view, "--e820") == 0 ? &l.e820 : &l.firmware_e820, &text);
	if (rc >= 0)
		fputs(text, stdout);
	free(text);
	pm_board_layout_dispose(&l);
	return rc < 0;
}
