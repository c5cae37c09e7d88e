/*
 * tools/sim/sim.h - the simulated hypervisor's state: the frame pool, the
 * domains with their P2M trees, and the embedded store
 *
 * One thread (physmap-sim's loop) calls sim_handle; the store runs on its
 * own thread and touches only what pm_xs gives it.
 */
#ifndef PHYSMAP_SIM_SIM_H
#define PHYSMAP_SIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "physmap/p2m.h"
#include "pool.h"
#include "sim-proto.h"
#include "xs.h"

struct sim_domain {
	struct sim_domain *next;
	uint32_t domid;
	uint32_t state;          /* enum pm_sim_state */
	char name[PM_SIM_NAME_LEN];
	uint64_t max_pages, tot_pages, max_pfn;
	uint32_t vcpus;
	struct pm_p2m *p2m;      /* NULL for dom0 */
};

struct sim {
	struct sim_pool pool;
	void *pool_map;          /* the whole pool, mapped (rings live in it) */
	struct sim_domain *domains;   /* by id; dom0 first */
	uint32_t next_domid;
	struct pm_xs *xs;
};

/**
 * sim_init - a simulator with pages frames and dom0
 * returns: 0; -errno
 */
int sim_init(struct sim *s, uint64_t pages);

/** sim_dispose - free every domain, the pool and the store; idempotent */
void sim_dispose(struct sim *s);

/** sim_nr_domains - domains besides dom0 */
unsigned int sim_nr_domains(const struct sim *s);

/**
 * sim_handle - one request: hdr and payload in, reply payload out
 * @out: receives a malloc'ed payload (or NULL), *out_len its size
 * returns: the reply's status (0 or -errno)
 */
int sim_handle(struct sim *s, const struct pm_sim_hdr *hdr, const void *payload,
	       void **out, uint32_t *out_len);

#endif
