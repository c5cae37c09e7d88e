/*
 * registry.c - the device models physmap-dm knows, by name (--device MODEL)
 */
#include <string.h>

#include "../dm.h"

extern const struct pm_hw pm_hw_pl011, pm_hw_serial16550, pm_hw_subpage_test, pm_hw_events_test,
	pm_hw_exec_flash, pm_hw_logger;

const struct pm_hw *const pm_hw_list[] = {
	&pm_hw_pl011, &pm_hw_serial16550, &pm_hw_subpage_test, &pm_hw_events_test, &pm_hw_exec_flash,
	&pm_hw_logger, NULL,
};

const struct pm_hw *pm_hw_find(const char *model)
{
	for (size_t i = 0; pm_hw_list[i]; i++)
		if (!strcmp(pm_hw_list[i]->model, model))
			return pm_hw_list[i];
	return NULL;
}
