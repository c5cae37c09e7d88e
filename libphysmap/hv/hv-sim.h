/*
 * hv-sim.h - the sim backend's connection (pm_hv.priv) and its calls
 * (hv-sim-wire.c), which hv-sim.c and hv-sim-ioreq.c share
 */
#ifndef PHYSMAP_HV_SIM_H
#define PHYSMAP_HV_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "physmap/hv.h"

/* a grant mapping of pm_hv_grant_map: its pages, and the simulator's handle of each */
struct sim_gmap {
	void *addr;
	unsigned int count;
	uint32_t *handles;
};

struct sim_conn {
	int fd;
	int pool_fd;
	uint32_t seq;
	struct sim_gmap *gmaps;
	size_t nr_gmaps;
};

/**
 * pm__sim_call_fds - one request of physmap-sim's protocol (sim-proto.h)
 * and its reply: @in_fd (unless -1) goes with the request; descriptors
 * that come with the reply go to @fds (at most @max_fds, the rest closed;
 * *@nr_fds says how many), or for HELLO become the pool's
 * returns: the reply's status (0 or -errno); -EIO for a reply that is not
 * this request's; -errno of the socket
 */
int pm__sim_call_fds(struct pm_hv *hv, uint32_t op, const void *req, uint32_t len, int in_fd, void *rep,
		     uint32_t replen, uint32_t *got, int *fds, int max_fds, int *nr_fds);

/** pm__sim_fd - the connection's socket (the caller does not own it) */
int pm__sim_fd(const struct pm_hv *hv);

#endif
