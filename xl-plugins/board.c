/*
 * xl-plugins/board.c - what a board makes of a configuration: pxl board
 * (the layout), pxl e820 (the memory map a PC guest gets) and pxl dumpdtb
 * (the device tree a virt guest gets), each from an xl.cfg file
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "physmap/e820.h"
#include "pxl-util.h"

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
	int rc = pxl_config_layout(a, &cfg, &layout);

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
	char err[PM_BOARD_ERR_LEN] = "";
	void *blob = NULL;
	long len;
	int rc;

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
	boot.kernel_size = (uint64_t)file_size(cfg.kernel);
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
	"the E820 memory map a PC guest of this config boots with",
	"CONFIG [KEY=VALUE...]", 1, NULL, 0, e820_run);
static const struct pxl_cmd dumpdtb = CONFIG_CMD("dumpdtb",
	"the device tree a virt guest of this config boots with (FILE - prints DTS)",
	"CONFIG FILE [KEY=VALUE...]", 2, NULL, 0, dumpdtb_run);

static const struct pxl_cmd *const cmds[] = { &board, &e820, &dumpdtb, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
