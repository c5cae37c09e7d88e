/*
 * xl-plugins/board.c - what a board makes of a configuration: pxl board
 * (the layout), pxl e820 (the memory map a PC guest gets) and pxl dumpdtb
 * (the device tree a virt guest gets), each from an xl.cfg file; e820 and
 * dumpdtb also of a domain, read back from its memory
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>

#include "physmap/domain.h"
#include "physmap/e820.h"
#include "pxl-util.h"

#define NOT_A_DOMAIN 2   /* the argument is a config file */

/*
 * @arg names a domain rather than a config file (none by that name
 * exists): the firmware table it boots with, from its memory; or, with
 * @pv_e820, a PV guest's memory map on record (then *blob is NULL, *len 0)
 * returns: PXL_OK with *blob to free; PXL_FAIL (said why); NOT_A_DOMAIN
 */
static int domain_table(const struct pxl_args *a, const char *arg, void **blob, long *len, uint64_t *gpa,
			bool *is_dtb, struct pm_e820 *pv_e820)
{
	struct pm_hv *hv = NULL;
	uint32_t domid;
	int rc;

	if (!access(arg, F_OK))
		return NOT_A_DOMAIN;
	if (pxl_hv_open(a, &hv))
		return PXL_FAIL;
	rc = pm_hv_domain_find(hv, arg, &domid);
	if (rc) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, arg,
			rc == -ENOENT ? "no such config file or domain" : strerror(-rc));
		pm_hv_close(hv);
		return PXL_FAIL;
	}
	if (pv_e820) {
		/* a PV guest has no firmware table: its map is on record */
		rc = pm_domain_e820(domid, pv_e820);
		if (rc != -ENOENT) {
			pm_hv_close(hv);
			if (rc)
				fprintf(stderr, "%s: %s: its memory map on record: %s\n", a->prog, arg, strerror(-rc));
			*len = 0;
			return rc ? PXL_FAIL : PXL_OK;
		}
	}
	*len = pm_domain_firmware(hv, domid, blob, gpa, is_dtb);
	pm_hv_close(hv);
	if (*len < 0) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, arg,
			*len == -ENOENT ? "no firmware table on record (physmap did not build it)"
					: strerror((int)-*len));
		return PXL_FAIL;
	}
	return PXL_OK;
}

/* the E820 of a PVH start info read back from a domain at @gpa */
static int start_info_e820(const struct pxl_args *a, const char *arg, const void *blob, long len, uint64_t gpa,
			   struct pm_e820 *map)
{
	struct hvm_start_info si;
	uint64_t off;

	if ((size_t)len < sizeof(si))
		goto bad;
	memcpy(&si, blob, sizeof(si));
	if (si.magic != XEN_HVM_START_MAGIC_VALUE || si.version < 1 || si.memmap_paddr < gpa)
		goto bad;
	off = si.memmap_paddr - gpa;
	if (off > (uint64_t)len || si.memmap_entries > ((uint64_t)len - off) / sizeof(struct hvm_memmap_table_entry))
		goto bad;
	for (uint32_t i = 0; i < si.memmap_entries; i++) {
		struct hvm_memmap_table_entry e;

		memcpy(&e, (const char *)blob + off + i * sizeof(e), sizeof(e));
		if (pm_e820_add(map, e.addr, e.size, e.type))
			goto bad;
	}
	return PXL_OK;
bad:
	fprintf(stderr, "%s: %s: its PVH start info at 0x%llx holds no memory map (the guest overwrote it?)\n",
		a->prog, arg, (unsigned long long)gpa);
	return PXL_FAIL;
}

enum { OPT_JSON };

static const struct pm_opt board_opts[] = {
	[OPT_JSON] = { "json", no_argument, 'j', NULL, "the layout as JSON (regions, devices, E820)" },
};

static int board_run(const struct pxl_args *a)
{
	struct pm_domain_config cfg;
	struct pm_board_layout layout;
	char *out = NULL;
	long n;
	int rc = pxl_config_layout(a, &cfg, &layout);

	if (rc)
		return rc;
	n = a->opt[OPT_JSON] ? pm_board_layout_json(&layout, &out) : pm_board_layout_table(&layout, &out);
	if (n < 0) {
		fprintf(stderr, "%s: out of memory\n", a->prog);
		rc = PXL_FAIL;
	} else {
		fputs(out, stdout);
	}
	pm_board_layout_dispose(&layout);
	free(out);
	pm_domain_config_dispose(&cfg);
	return rc;
}

static int e820_run(const struct pxl_args *a)
{
	struct pm_domain_config cfg;
	struct pm_board_layout layout;
	char *out = NULL;
	void *blob = NULL;
	uint64_t gpa = 0;
	bool is_dtb = false;
	long len = 0;
	struct pm_e820 map;
	int rc;

	pm_e820_init(&map);
	rc = a->argc == 1 ? domain_table(a, a->argv[0], &blob, &len, &gpa, &is_dtb, &map) : NOT_A_DOMAIN;
	if (rc != NOT_A_DOMAIN) {
		if (!rc && blob && is_dtb) {
			fprintf(stderr, "%s: %s: its board gives it no E820: memory is in its device tree "
				"(pxl dumpdtb)\n", a->prog, a->argv[0]);
			rc = PXL_FAIL;
		}
		if (!rc && blob)
			rc = start_info_e820(a, a->argv[0], blob, len, gpa, &map);
		if (!rc && pm_e820_format(&map, &out) < 0) {
			fprintf(stderr, "%s: out of memory\n", a->prog);
			rc = PXL_FAIL;
		}
		if (!rc)
			fputs(out, stdout);
		free(out);
		free(blob);
		pm_e820_dispose(&map);
		return rc;
	}
	rc = pxl_config_layout(a, &cfg, &layout);
	if (rc)
		return rc;
	if (!layout.e820.nr) {
		fprintf(stderr, "%s: %s: board '%s' gives its guest no E820: memory is in its "
			"device tree (pxl dumpdtb)\n", a->prog, cfg.source, cfg.board);
		rc = PXL_FAIL;
	} else if (pm_e820_format(&layout.e820, &out) < 0) {
		fprintf(stderr, "%s: out of memory\n", a->prog);
		rc = PXL_FAIL;
	} else {
		fputs(out, stdout);
	}
	pm_board_layout_dispose(&layout);
	free(out);
	pm_domain_config_dispose(&cfg);
	return rc;
}

static long file_size(const char *path)
{
	struct stat st;

	return path && !stat(path, &st) ? (long)st.st_size : 0;
}

/* the blob to path, or as DTS through dtc to stdout for "-" */
static int write_dtb(const struct pxl_args *a, const char *path, const void *blob, size_t len)
{
	FILE *f;

	if (strcmp(path, "-")) {
		f = fopen(path, "wb");
		if (!f || fwrite(blob, 1, len, f) != len || fclose(f)) {
			fprintf(stderr, "%s: %s: %s\n", a->prog, path, strerror(errno));
			return PXL_FAIL;
		}
		return PXL_OK;
	}
	fflush(stdout);
	f = popen("dtc -q -I dtb -O dts -", "w");
	if (!f || fwrite(blob, 1, len, f) != len || pclose(f)) {
		fprintf(stderr, "%s: dtc could not print the device tree (is device-tree-compiler "
			"installed?)\n", a->prog);
		return PXL_FAIL;
	}
	return PXL_OK;
}

static int dumpdtb_run(const struct pxl_args *a)
{
	struct pxl_args cfg_args = *a;
	char **argv = malloc((size_t)a->argc * sizeof(*argv));
	struct pm_domain_config cfg;
	struct pm_board_layout layout;
	struct pm_board_boot boot = { 0 };
	struct pm_kernel k = { 0 };
	char err[PM_BOARD_ERR_LEN] = "";
	void *blob = NULL;
	bool is_dtb = false;
	long len;
	int rc;

	/* dumpdtb DOMAIN FILE: what the domain boots with, from its memory */
	rc = a->argc == 2 ? domain_table(a, a->argv[0], &blob, &len, NULL, &is_dtb, NULL) : NOT_A_DOMAIN;
	if (rc != NOT_A_DOMAIN) {
		free(argv);
		if (!rc && !is_dtb) {
			fprintf(stderr, "%s: %s: its board gives it no device tree: it boots with PVH start info "
				"and an E820 (pxl e820)\n", a->prog, a->argv[0]);
			rc = PXL_FAIL;
		}
		if (!rc)
			rc = write_dtb(a, a->argv[1], blob, (size_t)len);
		free(blob);
		return rc;
	}
	/* dumpdtb CONFIG FILE [KEY=VALUE...]: the config sees CONFIG and the overrides */
	if (!argv) {
		fprintf(stderr, "%s: out of memory\n", a->prog);
		return PXL_FAIL;
	}
	argv[0] = a->argv[0];
	memcpy(argv + 1, a->argv + 2, (size_t)(a->argc - 2) * sizeof(*argv));
	cfg_args.argv = argv;
	cfg_args.argc = a->argc - 1;
	rc = pxl_config_layout(&cfg_args, &cfg, &layout);
	free(argv);
	if (rc)
		return rc;
	if (layout.e820.nr) {
		fprintf(stderr, "%s: %s: board '%s' gives its guest no device tree: it boots with PVH "
			"start info and an E820 (pxl e820)\n", a->prog, cfg.source, cfg.board);
		rc = PXL_FAIL;
		goto out_layout;
	}
	/* place the images the domain would boot with, so /chosen is what it would get */
	if (cfg.kernel && pm_kernel_load(cfg.kernel, cfg.kernel_raw ? PM_KERNEL_RAW : 0, &k, err, sizeof(err))) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, cfg.source, err);
		rc = PXL_FAIL;
		goto out_layout;
	}
	boot.kernel_size = k.footprint;
	boot.kernel_gpa = k.gpa;
	boot.kernel_entry = k.entry;
	pm_kernel_dispose(&k);
	boot.initrd_size = (uint64_t)file_size(cfg.ramdisk);
	boot.cmdline = cfg.cmdline;
	if (pm_board_boot(&layout, &boot, err)) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, cfg.source, err[0] ? err : "cannot place the images");
		rc = PXL_FAIL;
		goto out_layout;
	}
	len = pm_board_firmware(&layout, &boot, &blob);
	if (len < 0) {
		fprintf(stderr, "%s: out of memory\n", a->prog);
		rc = PXL_FAIL;
		goto out_layout;
	}
	rc = write_dtb(a, a->argv[1], blob, (size_t)len);
	free(blob);
out_layout:
	pm_board_layout_dispose(&layout);
	pm_domain_config_dispose(&cfg);
	return rc;
}

/* every command here reads a config file, then overrides */
#define CONFIG_CMD(n, sum, syn, nargs, table, nopts, fn) { .name = n, .summary = sum, \
	.synopsis = syn, .opts = table, .nr_opts = nopts, .min_args = nargs, .max_args = -1, .run = fn }

static const struct pxl_cmd board = CONFIG_CMD("board",
	"the machine a config's board lays out: RAM, MMIO windows, devices",
	"CONFIG [KEY=VALUE...]", 1, board_opts, 1, board_run);
static const struct pxl_cmd e820 = CONFIG_CMD("e820",
	"the E820 memory map a PC guest of this config (or this domain) boots with",
	"CONFIG [KEY=VALUE...] | DOMAIN", 1, NULL, 0, e820_run);
static const struct pxl_cmd dumpdtb = CONFIG_CMD("dumpdtb",
	"the device tree a virt guest of this config (or this domain) boots with (FILE - prints DTS)",
	"CONFIG FILE [KEY=VALUE...] | DOMAIN FILE", 2, NULL, 0, dumpdtb_run);

static const struct pxl_cmd *const cmds[] = { &board, &e820, &dumpdtb, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
