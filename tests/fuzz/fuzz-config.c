/*
 * tests/fuzz/fuzz-config.c - libFuzzer target: any bytes as an xl.cfg
 * file, through libxlutil's parser and physmap's resolution (keys, sizes,
 * names, devices, the board's layout)
 *
 * A configuration that loads must survive its own JSON (what a save file
 * and the store keep) and lay out the same; one that does not must leave
 * an error line and nothing allocated (ASan's leak check).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "physmap/config.h"
#include "physmap/board.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_domain_config cfg, again;
	struct pm_board_layout l1, l2;
	char err[PM_CONFIG_ERR_LEN], berr[PM_BOARD_ERR_LEN], path[64], *json = NULL, *json2 = NULL;
	int fd = memfd_create("fuzz.cfg", MFD_CLOEXEC), r1, r2;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (pm_domain_config_load(path, NULL, 0, &cfg, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			abort();   /* a refusal is one line, always */
		close(fd);
		return 0;
	}
	/* its JSON reads back as the same configuration, and the same layout */
	if (pm_domain_config_json(&cfg, &json) < 0 ||
	    pm_domain_config_from_json(json, path, NULL, 0, &again, err, sizeof(err)) ||
	    pm_domain_config_json(&again, &json2) < 0)
		abort();
	/* the same but for the warnings, which the first resolution said (what it ignored is gone) */
	if (!strstr(json, "\"warnings\"") || strncmp(json, json2, (size_t)(strstr(json, "\"warnings\"") - json)))
		abort();
	r1 = pm_domain_config_layout(&cfg, &l1, berr);
	r2 = pm_domain_config_layout(&again, &l2, berr);
	if (r1 != r2 || (!r1 && (l1.nr_regions != l2.nr_regions || l1.e820.nr != l2.e820.nr)))
		abort();
	if (!r1) {
		pm_board_layout_dispose(&l1);
		pm_board_layout_dispose(&l2);
	}
	free(json);
	free(json2);
	pm_domain_config_dispose(&cfg);
	pm_domain_config_dispose(&again);
	close(fd);
	return 0;
}
