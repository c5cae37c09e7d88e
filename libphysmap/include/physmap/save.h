/*
 * physmap/save.h - saving a domain to a stream and restoring one from it:
 * save/restore files and live migration, in Xen's formats (<physmap/stream.h>,
 * docs/specs/stream.md)
 *
 * A stream: xl's header with the domain's configuration as JSON, the libxl
 * stream, and inside it the libxc stream: the pages (PAGE_DATA; pfns that
 * are not RAM are not sent, so a ballooned guest keeps its missing runs),
 * then the vCPUs (HVM_CONTEXT in Xen's hvm_hw_cpu layout for pc guests;
 * physmap's PHYSMAP_VCPUS for virt), the HVM parameters, and after it
 * physmap-dm's device state with the guest's store watches
 * (EMULATOR_CONTEXT).
 *
 * Live: the pages are sent while the guest runs, then again those it
 * dirtied, round after round (the dirty log of <physmap/hv.h>), until what
 * is left fits the downtime allowed or stops shrinking; then the guest is
 * paused and the rest goes.
 */
#ifndef PHYSMAP_SAVE_H
#define PHYSMAP_SAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "physmap/config.h"
#include "physmap/hv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* a precopy round as it goes (partial, about five times a second) and as it ends */
struct pm_save_progress {
	unsigned int round;      /* 0: the first pass over all of RAM */
	uint64_t sent;           /* pages this round sent (so far, if partial) */
	uint64_t dirty;          /* pages dirtied meanwhile: the next round's (0 while partial) */
	uint64_t total_sent;     /* pages sent so far */
	double rate;             /* bytes a second, this round */
	bool final;              /* the guest is paused: the last round */
	bool partial;            /* the round goes on */
	uint64_t todo;           /* pages this round sends in all (about: RAM changes meanwhile) */
};

/**
 * struct pm_save_opts - how to save
 * @live: send while the guest runs (precopy) rather than pausing first
 * @max_rounds: precopy rounds at most before the final one (0: 30)
 * @max_downtime_ms: stop precopy when the dirty pages would go in this
 *     long at the rate measured (0: 5; the pause and hand-over add
 *     their own few milliseconds)
 * @progress: called during each round (partial, at most about five times a
 *     second) and after it (may be NULL); a save of a few pages may make
 *     no partial call
 */
struct pm_save_opts {
	bool live;
	unsigned int max_rounds;
	unsigned int max_downtime_ms;
	void (*progress)(void *opaque, const struct pm_save_progress *p);
	void *opaque;
};

/**
 * struct pm_save_report - what a save did
 * @paused_ns: from pausing the guest to the stream's end (downtime, but
 *     for the receiver's part)
 * @last_round_pages: pages sent with the guest stopped (its last round;
 *     0 for a PV guest, whose rounds are libxenguest's)
 */
struct pm_save_report {
	unsigned int rounds;
	uint64_t pages_sent, bytes;
	uint64_t total_ns, paused_ns;
	uint64_t last_round_pages;
	bool was_running;        /* the guest ran when the save began (and was paused by it) */
	bool suspended;          /* ... suspended by it rather: it had said it could (control/feature-suspend) */
};

/**
 * pm_domain_save - write @domid's stream to @fd (a file, a pipe or a
 * socket: written in order, never sought)
 * On success the domain is left paused, or suspended (@rep->suspended: a
 * guest that says control/feature-suspend is asked to suspend itself, as
 * libxl asks one with PV drivers): the caller destroys it (save,
 * migration), or resumes it (save -c, a migration the other side
 * refused) or leaves it so, and then calls pm_domain_save_done. Until
 * then a guest that ran holds its dirty log on @hv's connection as a
 * lease: if the caller dies first, the simulator stops the log and
 * resumes the guest (a broken migration leaves the source running). On
 * failure it runs again if it ran, no log is left on, and @err says what
 * failed.
 * A PV guest (xen) is written by libxenguest and must be running.
 * returns: 0; -ENOENT (no such domain); -EINVAL (dom0, or not one physmap
 *   built: no configuration in the store, or a PV guest not running);
 *   -EOPNOTSUPP (a live save of a PV guest on a Xen without shadow
 *   paging); -EPIPE / -errno (writing @fd); -errno
 */
int pm_domain_save(struct pm_hv *hv, uint32_t domid, int fd, const struct pm_save_opts *o,
		   struct pm_save_report *rep, char *err, size_t errlen);

/**
 * pm_domain_save_done - after a save: @resume the guest if the save
 * paused or suspended it (rep->was_running; a suspended one the fast way,
 * its suspend call returning "cancelled"), and give the lease back
 * returns: 0; -ENOENT (it is gone: destroyed, as after a save); -errno
 */
int pm_domain_save_done(struct pm_hv *hv, uint32_t domid, const struct pm_save_report *rep, bool resume);

/* a restore's pages as they come */
struct pm_restore_progress {
	uint64_t pages;          /* pages received so far */
	uint64_t expected;       /* the pages its configuration gives it (0 until known) */
	double rate;             /* bytes a second since the first page */
	bool done;               /* the stream's pages have all come */
};

/**
 * struct pm_restore_opts - how to restore
 * @where: the stream's name in messages (a file's path, "migration stream")
 * @config: a configuration file to use instead of the stream's (its
 *     board, memory and vCPUs must match what the stream holds), or NULL
 * @overrides: key=value overrides of the configuration (as pxl create)
 * @incoming: a migration's: if a domain has the stream's name (its source,
 *     on this host), build it as NAME--incoming (cfg says so; rename it
 *     when the source has gone)
 * @unfinished: the domain stays marked under construction once restored,
 *     until pm_domain_built (a migration's receiver: once its sender has
 *     let go); a receiver killed before then leaves it to pm_domain_reap
 */
struct pm_restore_opts {
	const char *where;
	const char *config;
	const char *const *overrides;
	size_t nr_overrides;
	bool incoming;
	bool unfinished;
	/* @progress: called as pages come (at most about five times a second,
	 * and once at the end of the stream's pages); may be NULL */
	void (*progress)(void *opaque, const struct pm_restore_progress *p);
	void *opaque;
};

/**
 * pm_domain_restore - read a stream from @fd and build its domain, left
 * paused (the caller unpauses it)
 * @cfg: receives the configuration the domain was built from (dispose it)
 * A stream that is truncated, out of order, oversized, or has an unknown
 * mandatory record is refused with @err naming the byte offset, and
 * nothing is left behind: no domain, no store entry, no device model.
 * returns: 0 and *@domid; -EINVAL (a bad stream); -EEXIST (a domain of its
 *   name exists); -ENODATA (the stream ended early); -errno
 */
int pm_domain_restore(struct pm_hv *hv, int fd, const struct pm_restore_opts *o, uint32_t *domid,
		      struct pm_domain_config *cfg, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
