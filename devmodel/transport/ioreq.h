/*
 * devmodel/transport/ioreq.h - physmap-dm as a domain's device model: an
 * ioreq server through libphysmap's backend interface (<physmap/hv.h>)
 *
 * The transport becomes the domain's ioreq server, claims every range its
 * memory listener hears of (MMIO in system memory, ports in I/O space;
 * coalesced ranges and write notifiers too; the RAM copies mmio-exec hands
 * out are shared as memfds), and serves the vCPUs' requests through the
 * same dispatch path as every other access until the domain is gone.
 */
#ifndef PHYSMAP_DM_IOREQ_H
#define PHYSMAP_DM_IOREQ_H

#include <stddef.h>
#include <stdint.h>

#include "../dm.h"

/**
 * pm_ioreq_serve - serve @domid's ioreqs until the domain is gone
 * @connect: the backend ("sim", "xen"; NULL: $PHYSMAP_CONNECT)
 * @ready_fd: once every range is claimed, "ready\n" is written there and it
 *   is closed (-1: none)
 * @input: a unix socket to listen on for console input (pxl console
 *   connects there; the newest connection is the one read), or NULL
 * @control: a unix socket to listen on for the toolstack's requests to
 *   save and load the devices' state ("save", "load LEN"), or NULL
 * returns: 0 when the domain is gone; -errno with @err saying what failed
 */
int pm_ioreq_serve(struct pm_dm *dm, const char *connect, uint32_t domid, int ready_fd, const char *input,
		   const char *control, char *err, size_t errlen);

#endif
