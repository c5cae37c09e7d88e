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
 *
 * Two kinds of write skip the round trip: a write to a coalesced range
 * (COALESCE) goes into the buffered ring after the slots and the vCPU runs
 * on; a write that matches a notifier (NOTIFIER) rings the notifier's
 * eventfd. A fetch from a claimed range asks the device model for an
 * executable copy (PM_SIM_IOREQ_EXEC), which it maps with EXEC_MAP.
 */
#ifndef PHYSMAP_SIM_IOREQ_H
#define PHYSMAP_SIM_IOREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/hvm/ioreq.h>

#include "sim-proto.h"

struct sim;
struct sim_domain;
struct sim_vcpu;

struct sim_io_range {
	uint32_t type;           /* PM_SIM_IO_MMIO, PM_SIM_IO_PIO */
	uint64_t start, end;     /* [start, end) */
};

struct sim_notifier {
	uint32_t type, size;     /* size 0: any */
	uint64_t addr, data;
	bool match;
	int fd;                  /* the eventfd, shared with the device model */
};

/* an executable copy the device model mapped over [start, end) */
struct sim_exec {
	uint64_t start, end;
	void *host;              /* the copy, mapped read-only here */
	uint64_t gone_gen;       /* retired: the p2m_gen every vCPU must reach first */
};

struct sim_ioreq_server {
	int owner;               /* the client connection that made it */
	int page_fd;
	shared_iopage_t *page;   /* the slots, then the buffered ring */
	struct pm_sim_buf_iopage *buf;
	size_t page_size, buf_offset;
	int to_dm;
	int *to_vcpu;            /* [vcpus] */
	struct sim_io_range *ranges, *co;
	size_t nr_ranges, nr_co;
	struct sim_notifier *wn;
	size_t nr_wn;
	struct sim_exec *exec, *retired;
	size_t nr_exec, nr_retired;
	bool dead;               /* its device model went away */
	/* counted under s->lock */
	uint64_t ioreqs, buffered, notified, execs;
};

/**
 * sim_ioreq_create - @d's server for the client @owner
 * @fds: receives the fds to hand over (@max_fds at most, 3 or more): the
 *     page, to_dm, then the first vCPUs' own; sim_ioreq_vcpu_fds the rest
 * returns: the number of fds; -EEXIST; -ENOMEM; -errno
 */
int sim_ioreq_create(struct sim_domain *d, int owner, int *fds, int max_fds);

/**
 * sim_ioreq_vcpu_fds - the vCPUs' own fds from @first on, @max at most
 * returns: how many; -EINVAL if @first is past the last vCPU
 */
int sim_ioreq_vcpu_fds(const struct sim_ioreq_server *srv, uint32_t vcpus, uint32_t first, int *fds,
		       int max);

/** sim_ioreq_free - the server's memory and fds; NULL is fine */
void sim_ioreq_free(struct sim_ioreq_server *srv, uint32_t vcpus);

/** sim_ioreq_map - claim (add) or release [start, end). returns: 0; -EINVAL; -ENOENT; -ENOMEM */
int sim_ioreq_map(struct sim_ioreq_server *srv, uint32_t type, uint64_t start, uint64_t end, bool add);

/** sim_ioreq_coalesce - writes to [start, end) go to the buffered ring (add) or not. returns: as sim_ioreq_map */
int sim_ioreq_coalesce(struct sim_ioreq_server *srv, uint32_t type, uint64_t start, uint64_t end, bool add);

/**
 * sim_ioreq_notifier - add or remove a write notifier (s->lock held)
 * @fd: an add gives back the new eventfd there (still the server's)
 * returns: 0; -EINVAL; -EEXIST / -ENOENT; -ENOMEM; -errno
 */
int sim_ioreq_notifier(struct sim_ioreq_server *srv, const struct pm_sim_notifier *n, int *fd);

/**
 * sim_ioreq_exec_map - an executable copy from @fd over [start, start +
 * size) (add; @fd stays the caller's), or its removal; a removed copy stays
 * mapped until every vCPU of @d has remapped (s->lock held; the caller
 * makes the vCPUs remap)
 * returns: 0; -EINVAL (not whole pages, overlapping); -ENOENT; -ENOMEM; -errno
 */
int sim_ioreq_exec_map(struct sim_domain *d, const struct pm_sim_exec *x, int fd);

/**
 * sim_ioreq_exec - vCPU @v fetched from @addr, outside RAM (its own
 * thread, no lock held): ask the device model for an executable copy
 * returns: 0 when the device model mapped one; -ENXIO (no device model
 *   claims @addr); the device model's -errno
 */
int sim_ioreq_exec(struct sim_vcpu *v, uint64_t addr);

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
