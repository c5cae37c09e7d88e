/*
 * tools/sim/sim.c - the simulated hypervisor's operations (one per
 * docs/specs/sim-protocol.md op): domains, their memory and P2M
 *
 * Every operation checks its whole request before it changes anything, so
 * an error reply means nothing happened (POPULATE takes its frames first
 * and gives them back if the P2M cannot take them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim.h"

#define PAGE 4096ull

/* the store's rings are frames of the guest: the pool is mapped whole */
static struct xenstore_domain_interface *map_ring(void *opaque, unsigned int domid,
						  uint64_t mfn, unsigned int evtchn)
{
	struct sim *s = opaque;

	if (mfn >= s->pool.total) {
		errno = EINVAL;
		return NULL;
	}
	return (struct xenstore_domain_interface *)((char *)s->pool_map + mfn * PAGE);
}

int sim_init(struct sim *s, uint64_t pages)
{
	static const struct pm_xs_ring_ops ops = { .map_ring = map_ring };
	struct sim_domain *dom0;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = sim_pool_init(&s->pool, pages);
	if (rc)
		return rc;
	s->pool_map = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			   s->pool.fd, 0);
	if (s->pool_map == MAP_FAILED) {
		rc = -errno;
		s->pool_map = NULL;
		goto fail;
	}
	rc = pm_xs_new(&ops, s, &s->xs);
	if (rc)
		goto fail;
	dom0 = calloc(1, sizeof(*dom0));
	if (!dom0) {
		rc = -ENOMEM;
		goto fail;
	}
	strcpy(dom0->name, "Domain-0");
	dom0->vcpus = 1;
	dom0->state = PM_SIM_RUNNING;
	s->domains = dom0;
	s->next_domid = 1;
	return 0;
fail:
	sim_dispose(s);
	return rc;
}

static void domain_free(struct sim *s, struct sim_domain *d)
{
	/* every RAM run back to the pool */
	for (uint64_t pfn = 0; d->p2m && pfn < d->max_pfn;) {
		struct pm_p2m_run run;

		if (pm_p2m_next_run(d->p2m, pfn, &run))
			break;
		if (run.kind == PM_P2M_RAM)
			sim_pool_free(&s->pool, run.mfn, run.end - run.start);
		pfn = run.end;
	}
	pm_p2m_free(d->p2m);
	free(d);
}

void sim_dispose(struct sim *s)
{
	pm_xs_free(s->xs);
	while (s->domains) {
		struct sim_domain *d = s->domains;

		s->domains = d->next;
		domain_free(s, d);
	}
	if (s->pool_map)
		munmap(s->pool_map, s->pool.total * PAGE);
	sim_pool_dispose(&s->pool);
	memset(s, 0, sizeof(*s));
	s->pool.fd = -1;
}

unsigned int sim_nr_domains(const struct sim *s)
{
	unsigned int n = 0;

	for (const struct sim_domain *d = s->domains; d; d = d->next)
		n += d->domid != 0;
	return n;
}

static struct sim_domain *find(struct sim *s, uint32_t domid)
{
	for (struct sim_domain *d = s->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	return NULL;
}

/* a guest domain (not dom0) by id */
static int guest(struct sim *s, uint32_t domid, struct sim_domain **out)
{
	*out = find(s, domid);
	if (!*out)
		return -ENOENT;
	return domid ? 0 : -EPERM;
}

static void dominfo(const struct sim_domain *d, struct pm_sim_dominfo *i)
{
	memset(i, 0, sizeof(*i));
	i->domid = d->domid;
	i->state = d->state;
	memcpy(i->name, d->name, sizeof(i->name));
	i->max_pages = d->max_pages;
	i->tot_pages = d->tot_pages;
	i->max_pfn = d->max_pfn;
	i->vcpus = d->vcpus;
}

static int reply(void **out, uint32_t *out_len, const void *data, size_t len)
{
	*out = malloc(len ? len : 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, data, len);
	*out_len = (uint32_t)len;
	return 0;
}

static int op_create(struct sim *s, const struct pm_sim_create *c, void **out, uint32_t *out_len)
{
	struct sim_domain *d, **pp;
	struct pm_sim_domid r = { 0 };
	size_t len = strnlen(c->name, sizeof(c->name));
	int rc;

	if (!len || len == sizeof(c->name) || !c->max_pfn || c->max_pfn > (1ull << 40) ||
	    !c->vcpus || c->vcpus > 128)
		return -EINVAL;
	for (d = s->domains; d; d = d->next)
		if (!strcmp(d->name, c->name))
			return -EEXIST;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	rc = pm_p2m_create(c->max_pfn, NULL, &d->p2m);
	if (rc) {
		free(d);
		return rc;
	}
	/* ids grow; one still in use is skipped */
	while (find(s, s->next_domid) || !s->next_domid || s->next_domid >= 0x7ff0)
		s->next_domid = s->next_domid >= 0x7ff0 ? 1 : s->next_domid + 1;
	d->domid = s->next_domid++;
	memcpy(d->name, c->name, len + 1);
	d->state = PM_SIM_PAUSED;
	d->max_pfn = c->max_pfn;
	d->max_pages = c->max_pfn;
	d->vcpus = c->vcpus;
	for (pp = &s->domains; *pp && (*pp)->domid < d->domid; pp = &(*pp)->next)
		;
	d->next = *pp;
	*pp = d;
	r.domid = d->domid;
	return reply(out, out_len, &r, sizeof(r));
}

static int op_destroy(struct sim *s, uint32_t domid)
{
	struct sim_domain *d, **pp;
	int rc = guest(s, domid, &d);

	if (rc)
		return rc;
	for (pp = &s->domains; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	domain_free(s, d);
	pm_xs_domain_destroyed(s->xs, domid);
	return 0;
}

static int check_range(const struct sim_domain *d, const struct pm_sim_range *r)
{
	if (!r->count || r->pfn + r->count < r->pfn || r->pfn + r->count > d->max_pfn)
		return -ERANGE;
	return 0;
}

static int op_populate(struct sim *s, const struct pm_sim_range *r, void **out, uint32_t *out_len)
{
	struct pm_sim_count done = { 0 };
	struct sim_extent *runs = NULL;
	struct sim_domain *d;
	uint64_t pfn;
	long nruns, i;
	int rc = guest(s, r->domid, &d);

	if (rc || (rc = check_range(d, r)))
		return rc;
	if (d->tot_pages + r->count > d->max_pages)
		return -ENOSPC;
	for (pfn = r->pfn; pfn < r->pfn + r->count;) {
		struct pm_p2m_run run;

		if (pm_p2m_next_run(d->p2m, pfn, &run))
			return -EIO;
		if (run.kind == PM_P2M_RAM || run.kind == PM_P2M_FOREIGN)
			return -EEXIST;
		pfn = run.end;
	}
	nruns = sim_pool_alloc(&s->pool, r->count, &runs);
	if (nruns < 0)
		return (int)nruns;
	pfn = r->pfn;
	for (i = 0; i < nruns; i++) {
		rc = pm_p2m_set_range(d->p2m, pfn, runs[i].start, runs[i].end - runs[i].start);
		if (rc)
			break;
		pfn += runs[i].end - runs[i].start;
	}
	if (rc) {
		/* undo: the P2M back to missing, every frame back to the pool */
		pm_p2m_clear_range(d->p2m, r->pfn, pfn);
		for (long k = 0; k < nruns; k++)
			sim_pool_free(&s->pool, runs[k].start, runs[k].end - runs[k].start);
		free(runs);
		return rc;
	}
	free(runs);
	d->tot_pages += r->count;
	done.done = r->count;
	return reply(out, out_len, &done, sizeof(done));
}

static int op_decrease(struct sim *s, const struct pm_sim_range *r, void **out, uint32_t *out_len)
{
	struct pm_sim_count done = { 0 };
	struct sim_domain *d;
	int rc = guest(s, r->domid, &d);

	if (rc || (rc = check_range(d, r)))
		return rc;
	for (uint64_t pfn = r->pfn; pfn < r->pfn + r->count;) {
		struct pm_p2m_run run;
		uint64_t end;

		if (pm_p2m_next_run(d->p2m, pfn, &run))
			return -EIO;
		end = run.end < r->pfn + r->count ? run.end : r->pfn + r->count;
		if (run.kind == PM_P2M_RAM) {
			uint64_t mfn = run.mfn + (pfn - run.start);

			rc = pm_p2m_clear_range(d->p2m, pfn, end);
			if (rc)
				return rc;
			sim_pool_free(&s->pool, mfn, end - pfn);
			d->tot_pages -= end - pfn;
			done.done += end - pfn;
		}
		pfn = end;
	}
	return reply(out, out_len, &done, sizeof(done));
}

static int op_identity(struct sim *s, const struct pm_sim_range *r, void **out, uint32_t *out_len)
{
	struct pm_sim_count done = { 0 };
	struct sim_domain *d;
	long n;
	int rc = guest(s, r->domid, &d);

	if (rc || (rc = check_range(d, r)))
		return rc;
	n = pm_p2m_set_identity(d->p2m, r->pfn, r->pfn + r->count);
	if (n < 0)
		return (int)n;
	done.done = (uint64_t)n;
	return reply(out, out_len, &done, sizeof(done));
}

static int op_p2m_read(struct sim *s, const struct pm_sim_range *r, void **out, uint32_t *out_len)
{
	struct sim_domain *d;
	uint64_t *v;
	int rc = guest(s, r->domid, &d);

	if (rc || (rc = check_range(d, r)))
		return rc;
	if (r->count > PM_SIM_P2M_READ_MAX)
		return -E2BIG;
	v = malloc(r->count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rc = pm_p2m_read_range(d->p2m, r->pfn, r->pfn + r->count, v);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*out_len = (uint32_t)(r->count * sizeof(*v));
	return 0;
}

static int op_list(struct sim *s, void **out, uint32_t *out_len)
{
	struct pm_sim_dominfo *v;
	size_t n = 0;

	for (struct sim_domain *d = s->domains; d; d = d->next)
		n++;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (struct sim_domain *d = s->domains; d; d = d->next)
		dominfo(d, &v[n++]);
	*out = v;
	*out_len = (uint32_t)(n * sizeof(*v));
	return 0;
}

/* the payload size each op requires */
static const uint32_t req_size[PM_SIM_OP_COUNT] = {
	[PM_SIM_HELLO] = 0,
	[PM_SIM_INFO] = 0,
	[PM_SIM_CREATE] = sizeof(struct pm_sim_create),
	[PM_SIM_DESTROY] = sizeof(struct pm_sim_domid),
	[PM_SIM_PAUSE] = sizeof(struct pm_sim_domid),
	[PM_SIM_UNPAUSE] = sizeof(struct pm_sim_domid),
	[PM_SIM_GETINFO] = sizeof(struct pm_sim_domid),
	[PM_SIM_LIST] = 0,
	[PM_SIM_SET_MAXMEM] = sizeof(struct pm_sim_maxmem),
	[PM_SIM_POPULATE] = sizeof(struct pm_sim_range),
	[PM_SIM_DECREASE] = sizeof(struct pm_sim_range),
	[PM_SIM_SET_IDENTITY] = sizeof(struct pm_sim_range),
	[PM_SIM_P2M_READ] = sizeof(struct pm_sim_range),
	[PM_SIM_P2M_EXPLAIN] = sizeof(struct pm_sim_range),
	[PM_SIM_P2M_STATS] = sizeof(struct pm_sim_domid),
};

int sim_handle(struct sim *s, const struct pm_sim_hdr *hdr, const void *payload,
	       void **out, uint32_t *out_len)
{
	const struct pm_sim_domid *id = payload;
	struct sim_domain *d;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (hdr->op == 0 || hdr->op >= PM_SIM_OP_COUNT || hdr->len != req_size[hdr->op])
		return -EINVAL;
	switch (hdr->op) {
	case PM_SIM_HELLO: {
		struct pm_sim_hello h = { PM_SIM_VERSION, 0, s->pool.total };

		return reply(out, out_len, &h, sizeof(h));
	}
	case PM_SIM_INFO: {
		struct pm_sim_info i = { s->pool.total, s->pool.free, sim_nr_domains(s) + 1, 0 };

		return reply(out, out_len, &i, sizeof(i));
	}
	case PM_SIM_CREATE:
		return op_create(s, payload, out, out_len);
	case PM_SIM_DESTROY:
		return op_destroy(s, id->domid);
	case PM_SIM_PAUSE:
		rc = guest(s, id->domid, &d);
		if (!rc)
			d->state = PM_SIM_PAUSED;
		return rc;
	case PM_SIM_UNPAUSE:
		rc = guest(s, id->domid, &d);
		return rc ? rc : -ENOSYS;   /* vCPUs that execute come with Unicorn */
	case PM_SIM_GETINFO: {
		struct pm_sim_dominfo i;

		d = find(s, id->domid);
		if (!d)
			return -ENOENT;
		dominfo(d, &i);
		return reply(out, out_len, &i, sizeof(i));
	}
	case PM_SIM_LIST:
		return op_list(s, out, out_len);
	case PM_SIM_SET_MAXMEM: {
		const struct pm_sim_maxmem *m = payload;

		rc = guest(s, m->domid, &d);
		if (!rc)
			d->max_pages = m->max_pages;
		return rc;
	}
	case PM_SIM_POPULATE:
		return op_populate(s, payload, out, out_len);
	case PM_SIM_DECREASE:
		return op_decrease(s, payload, out, out_len);
	case PM_SIM_SET_IDENTITY:
		return op_identity(s, payload, out, out_len);
	case PM_SIM_P2M_READ:
		return op_p2m_read(s, payload, out, out_len);
	case PM_SIM_P2M_EXPLAIN: {
		const struct pm_sim_range *r = payload;
		struct pm_p2m_path path;

		rc = guest(s, r->domid, &d);
		if (!rc)
			rc = r->pfn < d->max_pfn ? pm_p2m_explain(d->p2m, r->pfn, &path) : -ERANGE;
		return rc ? rc : reply(out, out_len, &path, sizeof(path));
	}
	case PM_SIM_P2M_STATS: {
		struct pm_p2m_stats st;

		rc = guest(s, id->domid, &d);
		if (!rc)
			rc = pm_p2m_stats(d->p2m, &st);
		return rc ? rc : reply(out, out_len, &st, sizeof(st));
	}
	}
	return -EINVAL;
}
