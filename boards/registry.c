/*
 * boards/registry.c - the boards there are, found by name, and the calls
 * that reach a layout's own board (its boot state, its firmware). The one
 * file that knows every board; the boards know only board.c.
 */
#include <errno.h>
#include <string.h>

#include "physmap/board.h"

extern const struct board_ops pm__board_pc, pm__board_q35, pm__board_virt, pm__board_xenarm;

static const struct board_ops *const boards[] = {
	&pm__board_pc,
	&pm__board_q35,
	&pm__board_virt,
	&pm__board_xenarm,
	NULL,
};

const struct board_ops *const *pm_board_list(void)
{
	return boards;
}

const struct board_ops *pm_board_find(const char *name)
{
	for (size_t i = 0; boards[i]; i++)
		if (strcmp(boards[i]->name, name) == 0)
			return boards[i];
	return NULL;
}

int pm_board_boot(const struct pm_board_layout *layout,
		  struct pm_board_boot *boot, char *err)
{
	const struct board_ops *board = pm_board_find(layout->board);

	if (!board || !board->boot)
		return -ENOENT;
	return board->boot(layout, boot, err);
}

long pm_board_firmware(const struct pm_board_layout *layout,
		       const struct pm_board_boot *boot, void **blob)
{
	const struct board_ops *board = pm_board_find(layout->board);

	if (!board || !board->firmware)
		return -ENOENT;
	return board->firmware(layout, boot, blob);
}
