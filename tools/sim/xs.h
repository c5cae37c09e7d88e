/*
 * tools/sim/xs.h - the simulator's xenstore: a store speaking xenstored's
 * wire protocol (<xen/io/xs_wire.h>) on unix sockets and on guest rings
 *
 * One struct pm_xs holds the database, the connections and the domains it
 * knows. Its semantics are those of Xen's docs/misc/xenstore.txt; where
 * that text is silent we follow C xenstored 4.17 (docs/specs/xenstore.md
 * lists every such choice). physmap-sim embeds it; physmap-xenstored is
 * the same store as a standalone daemon.
 *
 * Threads: every function here may be called from any thread; a store
 * takes its own lock. Only pm_xs_free must not race with anything. pm_xs_run() serves the sockets and rings in the
 * calling thread until its stop descriptor becomes readable.
 *
 * Glossary:
 *   privileged   dom0 (every unix-socket connection on the main socket):
 *                exempt from permissions and quotas
 *   ring         a guest's struct xenstore_domain_interface page
 *   domain socket  a unix socket whose connections act as one unprivileged
 *                domain, as if they spoke on its ring (for tests, device
 *                models and tools that run on behalf of a guest)
 */
#ifndef PHYSMAP_SIM_XS_H
#define PHYSMAP_SIM_XS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xen/io/xs_wire.h>

struct pm_xs;
struct pm_xs_conn;

/*
 * What the hypervisor side supplies. Every member may be NULL: without
 * map_ring an INTRODUCE records the domain (watches, permissions, domain
 * sockets work) but serves no ring.
 */
struct pm_xs_ring_ops {
	/*
	 * map the store ring page that INTRODUCE names (mfn and event channel
	 * as the toolstack sent them); returns the page or NULL (errno says why)
	 */
	struct xenstore_domain_interface *(*map_ring)(void *opaque, unsigned int domid,
						      uint64_t mfn, unsigned int evtchn);
	void (*unmap_ring)(void *opaque, unsigned int domid,
			   struct xenstore_domain_interface *ring);
	/* the store consumed requests or produced replies on domid's ring */
	void (*notify)(void *opaque, unsigned int domid, unsigned int evtchn);
	/* one line of the request log, while CONTROL log is on */
	void (*log)(void *opaque, const char *line);
};

/* The per-domain quotas; privileged connections are exempt. */
enum pm_xs_quota {
	PM_XS_QUOTA_NODES,        /* nodes a domain may own */
	PM_XS_QUOTA_NODE_SIZE,    /* bytes of one value */
	PM_XS_QUOTA_WATCHES,      /* watches of one domain */
	PM_XS_QUOTA_TRANSACTIONS, /* open transactions of one domain */
	PM_XS_QUOTA_PERMISSIONS,  /* entries in one node's permission list */
	PM_XS_QUOTA_PATH_MAX,     /* bytes of a path below the domain's home */
	PM_XS_QUOTA_OUTSTANDING,  /* replies a connection has not taken yet */
	PM_XS_QUOTA_WATCH_EVENTS, /* watch events queued for one connection */
	PM_XS_QUOTA_COUNT
};

/**
 * pm_xs_new - an empty store holding "/" (owned by dom0, "n0")
 * ops (copied) and opaque are handed to the ring callbacks.
 * returns: 0 and *out on success; -ENOMEM
 */
int pm_xs_new(const struct pm_xs_ring_ops *ops, void *opaque, struct pm_xs **out);

/** pm_xs_free - close every connection and socket, unmap rings, free; NULL is fine */
void pm_xs_free(struct pm_xs *xs);

/**
 * pm_xs_listen - serve privileged (dom0) connections on a unix socket at
 * path, created with mode 0600 (an existing socket file there is replaced;
 * any other file is not). The file is removed by pm_xs_free.
 * returns: 0; -EEXIST (path exists and is no socket); -ENAMETOOLONG;
 *          -errno from socket/bind/listen
 */
int pm_xs_listen(struct pm_xs *xs, const char *path);

/**
 * pm_xs_set_domain_socket_dir - from now on, each introduced domain N also
 * gets a socket dir/domain-N (mode 0600) whose connections are domain N;
 * removed on RELEASE. dir must exist.
 * returns: 0; -ENOMEM
 */
int pm_xs_set_domain_socket_dir(struct pm_xs *xs, const char *dir);

/**
 * pm_xs_run - serve sockets and rings until stop_fd is readable
 * returns: 0 when stopped; -errno if poll failed
 */
int pm_xs_run(struct pm_xs *xs, int stop_fd);

/**
 * pm_xs_kick - a guest notified the store (its event channel fired): have
 * pm_xs_run look at the rings. Safe from any thread and signal handlers.
 */
void pm_xs_kick(struct pm_xs *xs);

/**
 * pm_xs_kick_domain - domid's guest notified the store: only its ring is
 * looked at (pm_xs_kick looks at every ring). Any thread; not from a
 * signal handler (it takes a lock of its own, never xs->lock).
 */
void pm_xs_kick_domain(struct pm_xs *xs, unsigned int domid);

/**
 * pm_xs_domain_shutdown - the hypervisor saw domid shut down or crash:
 * fire @releaseDomain (once, until RESUME).
 * returns: 0; -ENOENT if the domain is not introduced
 */
int pm_xs_domain_shutdown(struct pm_xs *xs, unsigned int domid);

/**
 * pm_xs_domain_resume - domid runs again after a suspend: its next
 * shutdown fires @releaseDomain again, as XS_RESUME has it
 * returns: 0; -ENOENT if the domain is not introduced
 */
int pm_xs_domain_resume(struct pm_xs *xs, unsigned int domid);

/**
 * pm_xs_domain_destroyed - domid is gone: release it as RELEASE does
 * (ring unmapped, domain socket removed, connections closed, its nodes
 * handed to dom0 and its permission entries dropped) and fire @releaseDomain.
 * returns: 0; -ENOENT if the store does not know the domain
 */
int pm_xs_domain_destroyed(struct pm_xs *xs, unsigned int domid);

/**
 * pm_xs_set_quota / pm_xs_get_quota - a quota for every unprivileged domain
 * returns: 0 (set) or the value (get); -EINVAL for an unknown quota
 */
int pm_xs_set_quota(struct pm_xs *xs, enum pm_xs_quota q, unsigned int value);
long pm_xs_get_quota(struct pm_xs *xs, enum pm_xs_quota q);

/** pm_xs_quota_name - "nodes", "node-size", ...; NULL for an unknown quota */
const char *pm_xs_quota_name(enum pm_xs_quota q);

/**
 * pm_xs_check - the consistency check CONTROL check runs: every node's
 * parent exists and lists it, every listed child exists, per-domain node
 * counts match the owners.
 * returns: 0 if consistent; -EIO otherwise
 */
int pm_xs_check(struct pm_xs *xs);

/**
 * pm_xs_conn_open - an in-process connection acting as domid (dom0 is
 * privileged): requests go in with pm_xs_conn_send, replies and watch
 * events come out of pm_xs_conn_recv. For tests, fuzzing and embedders.
 * returns: 0 and *out; -ENOMEM
 */
int pm_xs_conn_open(struct pm_xs *xs, unsigned int domid, struct pm_xs_conn **out);

/**
 * pm_xs_conn_send - feed raw bytes (any split of a message stream) and
 * handle every complete message
 * returns: 0; -EPROTO once the store has dropped the connection for a
 * protocol violation (e.g. a payload over XENSTORE_PAYLOAD_MAX)
 */
int pm_xs_conn_send(struct pm_xs_conn *conn, const void *buf, size_t len);

/**
 * pm_xs_conn_recv - take up to len bytes of queued output
 * returns: bytes copied (0 when nothing is queued)
 */
size_t pm_xs_conn_recv(struct pm_xs_conn *conn, void *buf, size_t len);

/** pm_xs_conn_close - drop the connection, its watches and transactions; NULL is fine */
void pm_xs_conn_close(struct pm_xs_conn *conn);

/** pm_xs_set_logging - request log on or off (as CONTROL log on|off does) */
void pm_xs_set_logging(struct pm_xs *xs, bool on);

/** pm_xs_nodes - how many nodes the store holds (the root included) */
size_t pm_xs_nodes(struct pm_xs *xs);

#endif
