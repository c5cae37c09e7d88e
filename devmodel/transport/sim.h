/*
 * devmodel/transport/sim.h - physmap-dm as a domain's device model on
 * physmap-sim: an ioreq server (docs/specs/sim-protocol.md)
 *
 * The transport connects to $RUNDIR/sim.sock, asks for the domain's ioreq
 * server (its shared page of ioreq_t and eventfds), claims every range its
 * memory listener hears of (MMIO in system memory, ports in I/O space),
 * and serves the vCPUs' requests through the same dispatch path as every
 * other access until the simulator closes the connection (the domain is
 * gone).
 */
#ifndef PHYSMAP_DM_SIM_H
#define PHYSMAP_DM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "../dm.h"

/**
 * pm_sim_serve - serve @domid's ioreqs until the simulator lets go
 * @ready_fd: once every range is claimed, "ready\n" is written there and it
 *   is closed (-1: none)
 * @input: a unix socket to listen on for console input (pxl console
 *   connects there; the newest connection is the one read), or NULL
 * returns: 0 when the domain is gone; -errno with @err saying what failed
 */
int pm_sim_serve(struct pm_dm *dm, const char *rundir, uint32_t domid, int ready_fd, const char *input,
		 char *err, size_t errlen);

#endif
