/*
 * boards/board-internal.h - what the boards' files share beyond
 * <physmap/board.h> (board.c implements it)
 */
#ifndef PHYSMAP_BOARDS_INTERNAL_H
#define PHYSMAP_BOARDS_INTERNAL_H

/**
 * pm__board_fail - one line into @err (PM_BOARD_ERR_LEN bytes, printf's
 * @fmt), the key at fault first ("vcpus: ...")
 * returns: -EINVAL, for the board to return
 */
int pm__board_fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
