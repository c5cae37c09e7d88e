/*
 * tools/sim/ioreq.h - ioreq servers: how a domain's device model
 * (physmap-dm) serves the MMIO and port I/O its vCPUs do outside RAM, as
 * Xen's ioreq servers do
 *
 * One server a domain. It owns a shared page of Xen's ioreq_t, one slot a
 * vCPU (<xen/hvm/ioreq.h>), an eventfd the vCPUs ring for the device model
 * and one eventfd a vCPU the device model rings back. The device model
 * claims ranges (MAP_IO_RANGE); an access to a claimed range goes through
 * the slot, anything else identity-mapped reads as all ones.
 */
#ifndef PHYSMAP_SIM_IOREQ_H
#define PHYSMAP_SIM_IOREQ_H

#include <stdbool.h>
#include <stdint.h>

#include <stdint.h>

#include <xen/hvm/ioreq.h>

struct sim;
struct sim_domain;
struct sim_vcpu;

struct sim_io_range {
	uint32_t type;           /* PM_SIM_IO_MMIO, PM_SIM_IO_PIO */
	uint64_t start, end;     /* [start, end) */
};

struct sim_ioreq_server {
	int owner;               /* the client connection that made it */
	int page_fd;
	shared_iopage_t *page;
	size_t page_size;
	int to_dm;
	int *to_vcpu;            /* [vcpus] */
	struct sim_io_range *ranges;
	size_t nr_ranges;
	bool dead;               /* its device model went away */
};

/**
 * sim_ioreq_create - @d's server for the client @owner
 * @fds: receives the fds to hand over: the page, to_dm, then one a vCPU
 * returns: the number of fds; -EEXIST; -ENOMEM; -errno
 */
int sim_ioreq_create(struct sim_domain *d, int owner, int *fds, int max_fds);

/** sim_ioreq_free - the server's memory and fds; NULL is fine */
void sim_ioreq_free(struct sim_ioreq_server *srv, uint32_t vcpus);

/** sim_ioreq_map - claim (add) or release [start, end). returns: 0; -EINVAL; -ENOENT; -ENOMEM */
int sim_ioreq_map(struct sim_ioreq_server *srv, uint32_t type, uint64_t start, uint64_t end, bool add);

/**
 * sim_ioreq_access - one access of @v (its own thread, no lock held) to
 * @addr: sent to the device model if a claimed range holds it
 * @data: the value written, or where the value read goes
 * returns: true if a device model served it
 */
bool sim_ioreq_access(struct sim_vcpu *v, uint32_t type, uint64_t addr, unsigned int size, bool write,
		      uint64_t *data);

/** sim_ioreq_gone - the device model went away: wake every waiting vCPU (s->lock held) */
void sim_ioreq_gone(struct sim_ioreq_server *srv, uint32_t vcpus);

#endif
