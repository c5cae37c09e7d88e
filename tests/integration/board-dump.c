/*
 * board-dump - print what a board makes of a configuration, for the oracle
 * tests (the pxl CLI will show the same through `pxl board` / `pxl e820`).
 *
 *   board-dump BOARD MEMORY [key=value...] [--vcpus=N] [--maxmem=SIZE]
 *              [--firmware|--e820|--table|--json|--dtb=FILE]
 *
 * Prints the chosen view in Linux's E820 format (or the region table, or
 * the layout as JSON), or writes the board's device tree to FILE; on a
 * refused configuration prints "error: MESSAGE" and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/size.h"
#include "board.h"

int main(int argc, char **argv)
{
	struct pm_board_opt opts[16];
	struct pm_board_config cfg = { .vcpus = 1, .opts = opts };
	struct pm_board_layout l;
	const struct board_ops *board;
	const char *view = "--firmware", *dtb = NULL;
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
		} else if (strncmp(argv[i], "--dtb=", 6) == 0) {
			dtb = argv[i] + 6;
		} else if (argv[i][0] == '-') {
			view = argv[i];
		} else if (eq && cfg.nr_opts < 16) {
			*eq = '\0';
			opts[cfg.nr_opts++] = (struct pm_board_opt){ argv[i], eq + 1 };
		}
	}
	rc = pm_board_layout(board, &cfg, &l, err);
	if (rc) {
		printf("error: %s\n", err);
		return 1;
	}
	if (dtb) {
		struct pm_board_boot boot = { .kernel_size = 0 };
		void *blob = NULL;
		FILE *f;

		rc = pm_board_boot(&l, &boot, err);
		if (rc == 0)
			rc = pm_board_firmware(&l, &boot, &blob);
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
