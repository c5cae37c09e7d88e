/*
 * tools/sim/xs-domain.c - the domains the store knows (by id, made on
 * first use), what a connection speaking for one may do with a node
 * (its permissions, its target's), and the quotas' names and defaults.
 * The bottom of the store: it calls nothing of it.
 */
#include <stdlib.h>

#include "failalloc.h"
#include "xs-internal.h"

/* C xenstored 4.17's defaults, where it has them */
static const struct {
	const char *name;
	unsigned int def;
} quotas[PM_XS_QUOTA_COUNT] = {
	[PM_XS_QUOTA_NODES] = { "nodes", 1000 },
	[PM_XS_QUOTA_NODE_SIZE] = { "node-size", 2048 },
	[PM_XS_QUOTA_WATCHES] = { "watches", 128 },
	[PM_XS_QUOTA_TRANSACTIONS] = { "transactions", 10 },
	[PM_XS_QUOTA_PERMISSIONS] = { "permissions", 5 },
	[PM_XS_QUOTA_PATH_MAX] = { "path-max", XENSTORE_REL_PATH_MAX },
	[PM_XS_QUOTA_OUTSTANDING] = { "outstanding", 20 },
	[PM_XS_QUOTA_WATCH_EVENTS] = { "watch-events", 1024 },
};

const char *pm_xs_quota_name(enum pm_xs_quota q)
{
	return (unsigned int)q < PM_XS_QUOTA_COUNT ? quotas[q].name : NULL;
}

unsigned int xs_quota_default(enum pm_xs_quota q)
{
	return quotas[q].def;
}

struct xs_domain *xs_domain_find(struct pm_xs *xs, unsigned int domid)
{
	return domid < XS_DOMIDS ? xs->by_id[domid] : NULL;
}

struct xs_domain *xs_domain_get(struct pm_xs *xs, unsigned int domid)
{
	struct xs_domain *d = xs_domain_find(xs, domid);

	if (d || domid >= XS_DOMIDS)
		return d;
	d = pm_t_calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->domid = domid;
	d->sock_fd = -1;
	d->next = xs->domains;
	xs->domains = d;
	xs->by_id[domid] = d;
	return d;
}

unsigned int xs_perm_for(const struct pm_xs *xs, const struct pm_xs_conn *c,
			 const struct xs_perm *perms, uint32_t nperms)
{
	const struct xs_domain *d;
	bool tgt = false;
	unsigned int target = 0;

	if (c->priv)
		return XS_PERM_BOTH;
	for (d = xs->domains; d; d = d->next)
		if (d->domid == c->domid && d->has_target) {
			tgt = true;
			target = d->target;
		}
	if (!nperms)
		return XS_PERM_NONE;
	if (perms[0].id == c->domid || (tgt && perms[0].id == target))
		return XS_PERM_BOTH;
	for (uint32_t i = 1; i < nperms; i++)
		if (perms[i].id == c->domid || (tgt && perms[i].id == target))
			return perms[i].perms;
	return perms[0].perms;
}
