/*
 * tools/sim/xs-internal.h - the store's insides, shared by its files
 *
 * Glossary:
 *   node     one path: a value, a permission list, the packed names of its
 *            children ("a\0b\0"), and a generation
 *   gen      a store-wide counter stamped on a node whenever it changes
 *            (value, permissions or children); 0 means "absent"
 *   view     where an operation reads and writes: the database itself, or
 *            a transaction's overlay in front of it
 *   overlay  a transaction's private copy of every node it looked at (taken
 *            when it first looked, so it keeps seeing that state), with marks
 *            for nodes it found absent or deleted; each entry keeps the gen
 *            the database had then, and commit fails with EAGAIN if any of
 *            them moved
 *
 * Invariants: a node's parent exists and lists it; a listed child exists;
 * dom->nodes counts the nodes whose permission list names dom as owner.
 */
#ifndef PHYSMAP_SIM_XS_INTERNAL_H
#define PHYSMAP_SIM_XS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "xs.h"

#define XS_PERM_NONE  0
#define XS_PERM_READ  1
#define XS_PERM_WRITE 2
#define XS_PERM_BOTH  3

#define XS_HDR_SIZE ((uint32_t)sizeof(struct xsd_sockmsg))
/* a connection's input buffer: several messages per read for pipelining */
#define XS_INBUF_SIZE (64 * 1024)

struct xs_perm {
	uint32_t id;
	uint8_t perms;
};

struct xs_node {
	struct xs_node *hnext;
	char *path;
	uint32_t hash;
	bool deleted;            /* overlay only: absent, or removed by the transaction */
	bool modified;           /* overlay only: commit writes it back */
	char *value;
	uint32_t vlen;
	char *children;
	uint32_t clen;
	struct xs_perm *perms;   /* perms[0]: owner, and what others get */
	uint32_t nperms;
	uint64_t gen;
};

struct xs_table {
	struct xs_node **buckets;
	size_t nbuckets;
	size_t count;
};

/* a change a watch may see: path and the permissions it had */
struct xs_event {
	struct xs_event *next;
	char *path;
	bool recursive;          /* a removal: watches below path fire too */
	struct xs_perm *perms;
	uint32_t nperms;
};

struct xs_tx {
	struct xs_tx *next;
	uint32_t id;
	struct xs_table overlay;
	struct xs_event *events, **events_tail;
	long new_nodes;          /* nodes the connection's domain gains at commit */
	bool failed;             /* could not record what it saw: commit says EAGAIN */
};

struct xs_watch {
	struct xs_watch *next;   /* the connection's watches, oldest first */
	struct xs_watch *pnext;  /* the other watches on the same path (xs->wpaths) */
	struct pm_xs_conn *conn;
	uint64_t seq;            /* the order watches were set in, store-wide */
	char *path;              /* absolute, or @special */
	char *token;
	bool relative;           /* events drop the connection's home prefix */
};

/* the watched paths, sorted by strcmp: a path's watchers, and a subtree's, found by search */
struct xs_wpath {
	char *path;
	struct xs_watch *watches;
};

struct xs_outmsg {
	struct xs_outmsg *next;
	uint32_t len;            /* header + payload */
	uint32_t off;            /* bytes already delivered */
	bool event;
	char data[];
};

enum xs_conn_kind { XS_CONN_SOCKET, XS_CONN_RING, XS_CONN_LOCAL };

struct xs_domain;

struct pm_xs_conn {
	struct pm_xs_conn *next, **pprev;   /* xs->conns, newest first */
	struct pm_xs_conn *dom_next, **dom_pprev;   /* its domain's (not dom0's): xs_domain.conns */
	struct pm_xs_conn *dead_next;   /* on xs->dead: killed, for the loop's sweep */
	struct pm_xs *xs;
	uint64_t seq;            /* the order connections came in */
	enum xs_conn_kind kind;
	unsigned int domid;
	bool priv;
	bool dead;               /* protocol violation: drop at the next chance */
	int fd;                  /* socket */
	struct xenstore_domain_interface *ring;
	char *in;
	uint32_t inlen;
	struct xs_outmsg *out, **out_tail;
	unsigned int out_replies, out_events;
	unsigned long events_dropped;
	struct xs_watch *watches;
	struct xs_tx *txs;
	uint32_t next_txid;
	struct pm_xs_conn *pend_next;   /* on xs->pending: it has something to move */
	bool pending;
};

struct xs_domain {
	struct xs_domain *next;
	unsigned int domid;
	bool introduced;
	bool shutdown_fired;     /* @releaseDomain sent; RESUME clears it */
	bool has_target;
	unsigned int target;
	long nodes;              /* nodes it owns */
	unsigned int watches;
	unsigned int txs;
	uint64_t mfn;
	unsigned int evtchn;
	struct xenstore_domain_interface *ring;
	struct pm_xs_conn *ring_conn;
	struct pm_xs_conn *conns;   /* every connection speaking for it */
	int sock_fd;
	char *sock_path;
};

#define XS_DOMIDS 0x10000

/* what the protocol asks of the connections above it (xs-conn.c's xs_conn_ops) */
struct xs_conn_ops {
	int (*introduce)(struct pm_xs *xs, unsigned int domid, uint64_t mfn, unsigned int evtchn);
	int (*release)(struct pm_xs *xs, unsigned int domid);
	void (*flush)(struct pm_xs_conn *c);   /* move what the transport allows now */
};

struct pm_xs {
	pthread_mutex_t lock;
	struct pm_xs_ring_ops ops;
	const struct xs_conn_ops *up;
	void *opaque;
	struct xs_table db;
	uint64_t gen;
	struct pm_xs_conn *conns;
	uint64_t seq;            /* the last connection's or watch's order number */
	struct xs_wpath *wpaths;  /* [nr_wpaths], sorted: every watched path */
	uint32_t nr_wpaths, wpaths_cap;
	struct xs_domain *domains;
	struct xs_domain **by_id;   /* [XS_DOMIDS]: each domain at its id (a domid is 16 bits) */
	int32_t *named;          /* [XS_DOMIDS]: the nodes whose permissions name each domain */
	unsigned int quota[PM_XS_QUOTA_COUNT];
	bool logging;
	int listen_fd;
	char *listen_path;
	char *domain_sock_dir;
	int kick_fd;             /* eventfd: rings need a look */
	int ep;                  /* pm_xs_run's epoll set, or -1 */
	struct pm_xs_conn *pending;   /* connections to flush: output queued, input or room came */
	struct pm_xs_conn *dead;   /* connections killed since the last sweep (not in-process ones) */
	/* rings whose guests notified the store (any thread): their domids, once each */
	pthread_mutex_t kick_lock;
	uint8_t *kicked;         /* [XS_DOMIDS] */
	uint16_t *kick_list;     /* [XS_DOMIDS] */
	uint32_t nr_kick;
	bool kick_all;
	/* the special nodes' permission lists: @introduceDomain, @releaseDomain */
	struct xs_perm *special_perms[2];
	uint32_t special_nperms[2];
};

/* the epoll tags of what pm_xs_run watches: a pointer's low bits say what it is */
#define XS_EP_CONN 0u     /* a socket connection */
#define XS_EP_DOMAIN 1u   /* a domain's listening socket */
#define XS_EP_FIXED 2u    /* the stop fd, the kick fd, the listening socket */

/*
 * The store's files, each calling only the ones under it:
 *
 *   xs-server.c   the public face (xs.h): creation, listening, the loop
 *        |
 *   xs-conn.c     connections: input framed and handed to the protocol,
 *        |        output moved over sockets and rings; domains' rings
 *        |        and sockets (introduce, release)
 *   xs-proto.c    each request (it reaches the connections through xs->up)
 *        |
 *   xs-db.c       nodes, paths, views, transactions, the check
 *        |
 *   xs-watch.c    watches, and the events a change fires
 *        |
 *   xs-wire.c     a connection's output queue, its marks, the log
 *   xs-domain.c   the domains, their permissions, the quotas
 */

/* ---- xs-domain.c ---- */
struct xs_domain *xs_domain_find(struct pm_xs *xs, unsigned int domid);
struct xs_domain *xs_domain_get(struct pm_xs *xs, unsigned int domid);
unsigned int xs_perm_for(const struct pm_xs *xs, const struct pm_xs_conn *c,
			 const struct xs_perm *perms, uint32_t nperms);
unsigned int xs_quota_default(enum pm_xs_quota q);

/* ---- xs-wire.c ---- */
int xs_conn_queue(struct pm_xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
		  const void *body, uint32_t len, const void *body2, uint32_t len2, bool event);
void xs_out_advance(struct pm_xs_conn *c, uint32_t n);
bool xs_conn_blocked(const struct pm_xs_conn *c);
void xs_conn_pend(struct pm_xs_conn *c);
void xs_conn_kill(struct pm_xs_conn *c);
void xs_log(struct pm_xs *xs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- xs-watch.c: watches and events ---- */
int xs_event_add(struct xs_event **head, struct xs_event ***tail, const char *path,
		 bool recursive, const struct xs_perm *perms, uint32_t nperms);
void xs_event_free_all(struct xs_event *e);
void xs_fire(struct pm_xs *xs, const char *path, bool recursive,
	     const struct xs_perm *perms, uint32_t nperms);
void xs_fire_special(struct pm_xs *xs, int which);
int xs_watch_add(struct pm_xs_conn *c, const char *path, const char *token, bool relative);
int xs_watch_del(struct pm_xs_conn *c, const char *path, const char *token);
void xs_watch_free_all(struct pm_xs_conn *c);

/* ---- xs-db.c: nodes, tables, paths, permissions, views ---- */
uint32_t xs_hash(const char *s);
int xs_table_init(struct xs_table *t);
void xs_table_dispose(struct xs_table *t);
struct xs_node *xs_table_find(const struct xs_table *t, const char *path, uint32_t h);
int xs_table_insert(struct xs_table *t, struct xs_node *n);
struct xs_node *xs_table_take(struct xs_table *t, const char *path, uint32_t h);
struct xs_node *xs_node_new(const char *path);
struct xs_node *xs_node_copy(const struct xs_node *n);
void xs_node_free(struct xs_node *n);
int xs_node_set_value(struct xs_node *n, const void *v, uint32_t len);
int xs_node_set_perms(struct xs_node *n, const struct xs_perm *p, uint32_t np);
bool xs_children_has(const struct xs_node *n, const char *name);
int xs_children_add(struct xs_node *n, const char *name);
void xs_children_del(struct xs_node *n, const char *name);

int xs_canonical_path(const struct pm_xs_conn *c, const char *in, char **out);
bool xs_special_path(const char *p);
const char *xs_basename(const char *path);
int xs_parent_path(const char *path, char *buf, size_t len);
int xs_perm_parse(const char *s, struct xs_perm *p);
int xs_perm_format(const struct xs_perm *p, char *buf, size_t len);

/* the view an operation works on: the database, or a transaction */
struct xs_view {
	struct pm_xs *xs;
	struct xs_tx *tx;
};
const struct xs_node *xs_view_get(struct xs_view *v, const char *path);
struct xs_node *xs_view_mut(struct xs_view *v, const char *path);
int xs_view_create(struct xs_view *v, const struct pm_xs_conn *c, const char *path,
		   struct xs_node **out);
int xs_view_remove(struct xs_view *v, const char *path);
long xs_view_missing_ancestors(struct xs_view *v, const char *path,
			       const struct xs_node **existing);
int xs_tx_commit(struct pm_xs *xs, struct xs_tx *tx);
void xs_tx_free(struct xs_tx *tx);
void xs_count_owner(struct pm_xs *xs, const struct xs_node *n, long delta);
void xs_owner_changed(struct pm_xs *xs, uint32_t old_owner, uint32_t new_owner);
/* every invariant above (the glossary's): 0, -EIO where one fails, -ENOMEM */
int xs_check(struct pm_xs *xs);

/* ---- xs-proto.c: message handling ---- */
void xs_handle(struct pm_xs_conn *c, const struct xsd_sockmsg *hdr, const char *body);

/* ---- xs-conn.c: connections, their transports, domains' rings and sockets ---- */
extern const struct xs_conn_ops xs_conn_ops;
struct pm_xs_conn *xs_conn_new(struct pm_xs *xs, enum xs_conn_kind kind,
			       unsigned int domid);
void xs_conn_free(struct pm_xs_conn *c);
void xs_conn_input(struct pm_xs_conn *c);
void xs_conn_flush(struct pm_xs_conn *c);
void xs_flush_pending(struct pm_xs *xs);
int xs_domain_introduce(struct pm_xs *xs, unsigned int domid, uint64_t mfn,
			unsigned int evtchn);
int xs_domain_release(struct pm_xs *xs, unsigned int domid);
int xs_domain_socket_open(struct pm_xs *xs, struct xs_domain *d);
void xs_domain_socket_close(struct xs_domain *d);
int xs_ep_add(struct pm_xs *xs, int fd, uint64_t tag, uint32_t events);

#endif
