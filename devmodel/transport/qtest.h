/*
 * devmodel/transport/qtest.h - the test transport: line commands in the
 * spirit of QEMU's qtest, served from a stream, through the same dispatch
 * path ioreqs take
 *
 *   readb|readw|readl|readq ADDR        -> OK 0x%016x
 *   writeb|writew|writel|writeq ADDR VAL -> OK
 *   inb|inw|inl PORT                     -> OK 0x%016x
 *   outb|outw|outl PORT VAL              -> OK
 *   read ADDR LEN                        -> OK 0x<bytes in order>
 *   write ADDR LEN 0x<bytes>             -> OK
 *   mtree [-f] [-D]                      -> the text, then OK
 *   flush                                -> OK <coalesced writes performed>
 *   quit                                 -> OK, and the session ends
 * A malformed command gets "ERR <what is wrong>"; the session goes on.
 */
#ifndef PHYSMAP_DM_QTEST_H
#define PHYSMAP_DM_QTEST_H

#include <stdio.h>

#include "../dm.h"

/**
 * pm_qtest_serve - answer commands from @in on @out until EOF or quit
 * returns: 0 at EOF or quit; -EIO if @out failed
 */
int pm_qtest_serve(struct pm_dm *dm, FILE *in, FILE *out);

#endif
