/*
 * hv.c - <physmap/hv.h>: argument checks, the calls into the backend's
 * ops, and what every backend shares (finding domains by name, chunked P2M
 * reads, mapping); the choice of backend is hv-open.c's
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <stdint.h>

#include <xen/hvm/ioreq.h>
#include <xen/sched.h>
#include <xenstore.h>

#include "physmap/e820.h"
#include "physmap/p2m.h"
#include "hv-internal.h"
#include "alloc-internal.h"

#define PAGE 4096ull

/*
 * Fault injection for tests ($PHYSMAP_HV_FAIL_AT=N): the Nth call that
 * builds a domain (create, max memory, populate, identity, P2M reads,
 * mappings) fails with -EIO, so that every undo path can be proven.
 * Teardown calls (destroy, decrease, info, list) never fail this way.
 */
static int injected(struct pm_hv *hv)
{
	return hv->fail_at && ++hv->calls == hv->fail_at ? -EIO : 0;
}

static int range_ok(uint64_t pfn, uint64_t count);

void pm_hv_close(struct pm_hv *hv)
{
	if (!hv)
		return;
	hv->ops->close(hv);
	if (hv->release)
		xs_close(hv->release);
	free(hv);
}

int pm_hv_domain_wait(struct pm_hv *hv, const struct pm_hv_dominfo *seen, unsigned int timeout_ms)
{
	struct pollfd p = { .events = POLLIN };
	char **ev;
	int r;

	if (hv->ops->wait)
		return hv->ops->wait(hv, seen, timeout_ms);
	if (!hv->release) {
		hv->release = xs_open(XS_OPEN_SOCKETONLY);
		if (!hv->release)
			return errno ? -errno : -EIO;
		if (!xs_watch(hv->release, "@releaseDomain", "release")) {
			r = errno ? -errno : -EIO;
			xs_close(hv->release);
			hv->release = NULL;
			return r;
		}
	}
	p.fd = xs_fileno(hv->release);
	if (p.fd < 0)
		return -EIO;
	r = poll(&p, 1, !timeout_ms ? -1 : (int)(timeout_ms > INT32_MAX ? INT32_MAX : timeout_ms));
	if (r <= 0)
		return r < 0 && errno != EINTR ? -errno : 0;
	/* every event that came, taken: one answer for them all */
	while ((ev = xs_check_watch(hv->release)))
		free(ev);
	return 1;
}

const char *pm_hv_backend(const struct pm_hv *hv)
{
	return hv->ops->name;
}

const char *pm_hv_rundir(const struct pm_hv *hv)
{
	return hv->rundir;
}

int pm_hv_host_info(struct pm_hv *hv, struct pm_hv_host *out)
{
	memset(out, 0, sizeof(*out));
	return injected(hv) ?: hv->ops->host_info(hv, out);
}

int pm_hv_info(struct pm_hv *hv, uint64_t *total_pages, uint64_t *free_pages)
{
	return hv->ops->info(hv, total_pages, free_pages);
}

int pm_hv_domain_create(struct pm_hv *hv, const char *name, uint64_t max_pfn, unsigned int vcpus,
			uint32_t *domid)
{
	if (!name || !*name || strlen(name) >= sizeof(((struct pm_hv_dominfo *)0)->name) ||
	    !max_pfn || !vcpus)
		return -EINVAL;
	return injected(hv) ?: hv->ops->create(hv, name, max_pfn, vcpus, NULL, domid);
}

int pm_hv_domain_create_arm(struct pm_hv *hv, const char *name, uint64_t max_pfn, unsigned int vcpus,
			    const struct pm_hv_arm *arm, uint32_t *domid)
{
	if (!name || !*name || strlen(name) >= sizeof(((struct pm_hv_dominfo *)0)->name) ||
	    !max_pfn || !vcpus || !arm || (arm->gic_version && arm->gic_version != 2 && arm->gic_version != 3))
		return -EINVAL;
	return injected(hv) ?: hv->ops->create(hv, name, max_pfn, vcpus, arm, domid);
}

int pm_hv_domain_create_pv(struct pm_hv *hv, const char *name, unsigned int vcpus, uint32_t *domid)
{
	if (!name || !*name || strlen(name) >= sizeof(((struct pm_hv_dominfo *)0)->name) || !vcpus)
		return -EINVAL;
	if (!hv->ops->create_pv)
		return -EOPNOTSUPP;
	return injected(hv) ?: hv->ops->create_pv(hv, name, vcpus, domid);
}

int pm_hv_pv_build(struct pm_hv *hv, uint32_t domid, struct pm_hv_pv *pv, char *err, size_t errlen)
{
	err[0] = 0;
	if (!hv->ops->pv_build)
		return -EOPNOTSUPP;
	if (!pv->kernel || !pv->mem_mib)
		return -EINVAL;
	return injected(hv) ?: hv->ops->pv_build(hv, domid, pv, err, errlen);
}

long pm_hv_p2m_check(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, const uint64_t *entries)
{
	if (range_ok(pfn, count))
		return -ERANGE;
	return hv->ops->p2m_check ? hv->ops->p2m_check(hv, domid, pfn, count, entries) : -EOPNOTSUPP;
}

int pm_hv_domain_destroy(struct pm_hv *hv, uint32_t domid)
{
	return hv->ops->destroy(hv, domid);
}

int pm_hv_domain_rename(struct pm_hv *hv, uint32_t domid, const char *name)
{
	struct pm_hv_dominfo *v;
	long n;
	int rc = 0;

	if (!name || !*name || strlen(name) >= sizeof(v->name))
		return -EINVAL;
	if (hv->ops->rename)
		return hv->ops->rename(hv, domid, name);
	/* the store holds the names: the same rules, checked here */
	n = pm_hv_domain_list(hv, &v);
	if (n < 0)
		return (int)n;
	rc = -ENOENT;
	for (long i = 0; i < n; i++)
		if (v[i].domid == domid)
			rc = 0;
	for (long i = 0; !rc && i < n; i++)
		if (v[i].domid != domid && !strcmp(v[i].name, name))
			rc = -EEXIST;
	free(v);
	return rc;
}

int pm_hv_domain_pause(struct pm_hv *hv, uint32_t domid)
{
	return hv->ops->pause(hv, domid, 0);
}

int pm_hv_domain_unpause(struct pm_hv *hv, uint32_t domid)
{
	return hv->ops->pause(hv, domid, 1);
}

int pm_hv_domain_resume(struct pm_hv *hv, uint32_t domid)
{
	return hv->ops->resume ? hv->ops->resume(hv, domid) : -EOPNOTSUPP;
}

const char *pm_hv_cannot_save(const struct pm_hv *hv)
{
	return hv->ops->no_save;
}

int pm__hv_vuart_init(struct pm_hv *hv, uint32_t domid, uint64_t gfn, uint32_t *port)
{
	return hv->ops->vuart_init ? hv->ops->vuart_init(hv, domid, gfn, port) : -EOPNOTSUPP;
}

int pm__hv_fd_limit(struct pm_hv *hv, uint64_t *limit)
{
	return hv->ops->fd_limit ? hv->ops->fd_limit(hv, limit) : -EOPNOTSUPP;
}

int pm_hv_domain_getinfo(struct pm_hv *hv, uint32_t domid, struct pm_hv_dominfo *info)
{
	return hv->ops->getinfo(hv, domid, info);
}

long pm_hv_domain_list(struct pm_hv *hv, struct pm_hv_dominfo **out)
{
	return hv->ops->list(hv, out);
}

int pm_hv_domain_find(struct pm_hv *hv, const char *id_or_name, uint32_t *domid)
{
	struct pm_hv_dominfo *v;
	char *end;
	unsigned long id = strtoul(id_or_name, &end, 10);
	long n = pm_hv_domain_list(hv, &v);
	int rc = -ENOENT;

	if (n < 0)
		return (int)n;
	for (long i = 0; i < n; i++)
		if ((!*end && end != id_or_name && v[i].domid == id) ||
		    !strcmp(v[i].name, id_or_name)) {
			*domid = v[i].domid;
			rc = 0;
			break;
		}
	free(v);
	return rc;
}

int pm_hv_set_maxmem(struct pm_hv *hv, uint32_t domid, uint64_t max_pages)
{
	return injected(hv) ?: hv->ops->set_maxmem(hv, domid, max_pages);
}

int pm_hv_vcpu_set(struct pm_hv *hv, uint32_t domid, unsigned int vcpu,
		   const struct pm_hv_vcpu_ctx *ctx)
{
	if (ctx->arch != PM_HV_ARCH_AARCH64 && ctx->arch != PM_HV_ARCH_X86_32)
		return -EINVAL;
	return injected(hv) ?: hv->ops->vcpu_set(hv, domid, vcpu, ctx);
}

long pm_hv_vcpu_list(struct pm_hv *hv, uint32_t domid, struct pm_hv_vcpuinfo **out)
{
	*out = NULL;
	return injected(hv) ?: hv->ops->vcpu_list(hv, domid, out);
}

int pm_hv_vcpu_pin(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, const uint64_t *hard, const uint64_t *soft)
{
	return injected(hv) ?: hv->ops->vcpu_pin(hv, domid, vcpu, hard, soft);
}

long pm_hv_console_read(struct pm_hv *hv, bool clear, char **out)
{
	*out = NULL;
	return injected(hv) ?: hv->ops->console_read(hv, clear, out);
}

int pm_hv_debug_keys(struct pm_hv *hv, const char *keys)
{
	if (!keys || !*keys)
		return -EINVAL;
	return injected(hv) ?: hv->ops->debug_keys ? hv->ops->debug_keys(hv, keys) : -EOPNOTSUPP;
}

int pm_hv_flask_enforce(struct pm_hv *hv, int set)
{
	if (set < -1 || set > 1)
		return -EINVAL;
	return injected(hv) ?: hv->ops->flask_enforce ? hv->ops->flask_enforce(hv, set) : -ENOSYS;
}

long pm_hv_cpupools(struct pm_hv *hv, struct pm_hv_cpupool **out)
{
	*out = NULL;
	return injected(hv) ?: hv->ops->cpupools(hv, out);
}

int pm_hv_set_parameters(struct pm_hv *hv, const char *params, const char **bad)
{
	const char *p = params;
	int rc = 0;

	*bad = NULL;
	if (!hv->ops->set_parameter)
		return -EOPNOTSUPP;
	while (!rc && *p) {
		char name[128], value[256];
		size_t len, nlen;
		const char *eq;

		while (*p == ' ' || *p == '\t')
			p++;
		len = strcspn(p, " \t");
		if (!len)
			break;
		eq = memchr(p, '=', len);
		nlen = eq ? (size_t)(eq - p) : len;
		if (!nlen || nlen >= sizeof(name) || (eq && len - nlen - 1 >= sizeof(value))) {
			rc = -EINVAL;
		} else if (eq) {
			memcpy(name, p, nlen);
			name[nlen] = 0;
			memcpy(value, eq + 1, len - nlen - 1);
			value[len - nlen - 1] = 0;
		} else if (nlen > 2 && !strncmp(p, "no", 2)) {
			/* Xen's boolean negation: noNAME */
			memcpy(name, p + 2, nlen - 2);
			name[nlen - 2] = 0;
			strcpy(value, "no");
		} else {
			memcpy(name, p, nlen);
			name[nlen] = 0;
			strcpy(value, "yes");
		}
		if (!rc)
			rc = hv->ops->set_parameter(hv, name, value);
		if (rc)
			*bad = p;
		p += len;
	}
	return rc;
}

long pm_hv_cpu_topology(struct pm_hv *hv, struct pm_hv_cputopo **out)
{
	*out = NULL;
	return hv->ops->cpu_topology(hv, out);
}

long pm_hv_pci_topology(struct pm_hv *hv, struct pm_hv_pcitopo **out)
{
	*out = NULL;
	return hv->ops->pci_topology ? hv->ops->pci_topology(hv, out) : 0;
}

long pm_hv_numa_info(struct pm_hv *hv, struct pm_hv_numa **out)
{
	*out = NULL;
	return hv->ops->numa_info(hv, out);
}

int pm_hv_trigger(struct pm_hv *hv, uint32_t domid, enum pm_hv_trigger trigger, unsigned int vcpu)
{
	struct pm_hv_dominfo info;
	int rc = pm_hv_domain_getinfo(hv, domid, &info);

	if (rc)
		return rc;
	if ((unsigned int)trigger > PM_HV_TRIGGER_SLEEP)
		return -EINVAL;
	return hv->ops->trigger ? hv->ops->trigger(hv, domid, (unsigned int)trigger, vcpu) : -EOPNOTSUPP;
}

int pm_hv_sched_credit(struct pm_hv *hv, uint32_t domid, unsigned int version, bool set, int *weight, int *cap)
{
	struct pm_hv_dominfo info;
	int rc = pm_hv_domain_getinfo(hv, domid, &info);

	if (rc)
		return rc;
	if (version != 1 && version != 2)
		return -EINVAL;
	return hv->ops->sched_credit ? hv->ops->sched_credit(hv, domid, version, set, weight, cap) : -EOPNOTSUPP;
}

int pm__hv_set_uuid(struct pm_hv *hv, uint32_t domid, const uint8_t uuid[16])
{
	return hv->ops->set_uuid ? hv->ops->set_uuid(hv, domid, uuid) : 0;
}

int pm_hv_domain_shutdown(struct pm_hv *hv, uint32_t domid, unsigned int reason)
{
	if (reason > SHUTDOWN_MAX || reason == SHUTDOWN_suspend)
		return -EINVAL;
	return injected(hv) ?: hv->ops->shutdown(hv, domid, reason);
}

int pm_hv_set_param(struct pm_hv *hv, uint32_t domid, unsigned int index, uint64_t value)
{
	return injected(hv) ?: hv->ops->set_param(hv, domid, index, value);
}

int pm_hv_grant_map(struct pm_hv *hv, uint32_t domid, const uint32_t *refs, unsigned int count, bool readonly,
		    void **addr)
{
	*addr = NULL;
	if (!count)
		return -EINVAL;
	return injected(hv) ?: hv->ops->grant_map(hv, domid, refs, count, readonly, addr);
}

int pm_hv_grant_unmap(struct pm_hv *hv, void *addr, unsigned int count)
{
	return hv->ops->grant_unmap(hv, addr, count);
}

int pm_hv_set_memory_map(struct pm_hv *hv, uint32_t domid, const struct pm_e820 *map)
{
	if (!hv->ops->set_memory_map)
		return -EOPNOTSUPP;
	if (map->nr > PM_HV_E820_MAX)
		return -EINVAL;
	return injected(hv) ?: hv->ops->set_memory_map(hv, domid, map);
}

int pm_hv_set_actions(struct pm_hv *hv, uint32_t domid, enum pm_hv_action on_poweroff,
		      enum pm_hv_action on_reboot, enum pm_hv_action on_crash, enum pm_hv_action on_watchdog)
{
	const enum pm_hv_action act[4] = { on_poweroff, on_reboot, on_crash, on_watchdog };

	for (int i = 0; i < 4; i++)
		if (act[i] != PM_HV_ACT_DESTROY && act[i] != PM_HV_ACT_PRESERVE)
			return -EINVAL;
	return injected(hv) ?: hv->ops->set_actions(hv, domid, act);
}

static int range_ok(uint64_t pfn, uint64_t count)
{
	return count && pfn + count > pfn ? 0 : -ERANGE;
}

long pm_hv_populate(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count)
{
	return range_ok(pfn, count) ? -ERANGE : injected(hv) ?: hv->ops->memory(hv, 0, domid, pfn, count);
}

long pm_hv_decrease(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count)
{
	return range_ok(pfn, count) ? -ERANGE : hv->ops->memory(hv, 1, domid, pfn, count);
}

long pm_hv_set_identity(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count)
{
	return range_ok(pfn, count) ? -ERANGE : injected(hv) ?: hv->ops->memory(hv, 2, domid, pfn, count);
}

int pm_hv_p2m_read(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, uint64_t *out)
{
	int rc = range_ok(pfn, count);

	while (!rc && count) {
		uint64_t n = count < hv->ops->max_read ? count : hv->ops->max_read;

		rc = injected(hv) ?: hv->ops->p2m_read(hv, domid, pfn, n, out);
		pfn += n;
		out += n;
		count -= n;
	}
	return rc;
}

int pm_hv_vcpu_get_state(struct pm_hv *hv, uint32_t domid, unsigned int vcpu, struct pm_hv_vcpu_state *st)
{
	return hv->ops->vcpu_state(hv, domid, vcpu, st, false);
}

int pm_hv_vcpu_set_state(struct pm_hv *hv, uint32_t domid, unsigned int vcpu,
			 const struct pm_hv_vcpu_state *st)
{
	return injected(hv) ?: hv->ops->vcpu_state(hv, domid, vcpu, (struct pm_hv_vcpu_state *)st, true);
}

int pm_hv_dirty_log(struct pm_hv *hv, uint32_t domid, bool enable)
{
	return injected(hv) ?: hv->ops->dirty_log(hv, domid, enable);
}

long pm_hv_dirty_bitmap(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count, bool clean,
			uint8_t *bitmap)
{
	long total = 0;
	int rc = range_ok(pfn, count);

	while (!rc && count) {
		uint64_t n = count < hv->ops->max_dirty ? count : hv->ops->max_dirty;
		long got = injected(hv) ?: hv->ops->dirty_read(hv, domid, pfn, n, clean, bitmap);

		if (got < 0)
			return got;
		total += got;
		pfn += n;
		bitmap += n / 8;   /* max_dirty is a multiple of 8: only the last chunk ends mid-byte */
		count -= n;
	}
	return rc ? rc : total;
}

int pm_hv_p2m_explain(struct pm_hv *hv, uint32_t domid, uint64_t pfn, struct pm_p2m_path *path)
{
	return hv->ops->p2m_explain(hv, domid, pfn, path);
}

int pm_hv_p2m_stats(struct pm_hv *hv, uint32_t domid, struct pm_p2m_stats *stats)
{
	return hv->ops->p2m_stats(hv, domid, stats);
}

int pm__hv_map_frames(struct pm_hv *hv, uint32_t domid, void *addr, const uint64_t *mfns, const uint64_t *pfns,
		      uint64_t count)
{
	return hv->ops->map_pfns ? hv->ops->map_pfns(hv, domid, addr, pfns, mfns, count)
				 : hv->ops->map_mfns(hv, addr, mfns, count);
}

void *pm_hv_map(struct pm_hv *hv, uint32_t domid, uint64_t pfn, uint64_t count)
{
	uint64_t *mfns = NULL, *pfns = NULL;
	void *addr = MAP_FAILED;
	int rc = range_ok(pfn, count);

	if (!rc && count > (1ull << 40) / PAGE)
		rc = -ERANGE;
	if (!rc && (!(mfns = pm__malloc(count * sizeof(*mfns))) || !(pfns = pm__malloc(count * sizeof(*pfns)))))
		rc = -ENOMEM;
	if (!rc)
		rc = pm_hv_p2m_read(hv, domid, pfn, count, mfns);
	for (uint64_t i = 0; !rc && i < count; i++) {
		if (pm_p2m_kind_of(mfns[i]) != PM_P2M_RAM)
			rc = -EFAULT;
		pfns[i] = pfn + i;
	}
	if (!rc) {
		/* one reservation, then the frames over it */
		addr = mmap(NULL, count * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (addr == MAP_FAILED)
			rc = -errno;
	}
	if (!rc)
		rc = injected(hv) ?: pm__hv_map_frames(hv, domid, addr, mfns, pfns, count);
	if (rc && addr != MAP_FAILED)
		munmap(addr, count * PAGE);
	free(mfns);
	free(pfns);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	return addr;
}

void pm_hv_unmap(struct pm_hv *hv, void *addr, uint64_t count)
{
	if (addr)
		munmap(addr, count * PAGE);
}

int pm_hv_console(struct pm_hv *hv, const struct pm_hv_dominfo *info, struct pm_hv_console *con)
{
	memset(con, 0, sizeof(*con));
	return hv->ops->console(hv, info, con);
}

/* ---- event channels ---- */

int pm_hv_evtchn_alloc_unbound(struct pm_hv *hv, uint32_t domid, uint32_t remote, uint32_t *port)
{
	int p = 0, rc = hv->ops->evtchn(hv, 0, domid, remote, &p);

	if (!rc)
		*port = (uint32_t)p;
	return rc;
}

int pm_hv_evtchn_bind(struct pm_hv *hv, uint32_t domid, uint32_t port, struct pm_hv_evtchn *out)
{
	int fd = -1, rc = hv->ops->evtchn(hv, 1, domid, port, &fd);

	*out = (struct pm_hv_evtchn){ domid, port, port, rc ? -1 : fd };
	return rc;
}

int pm_hv_evtchn_notify(struct pm_hv *hv, const struct pm_hv_evtchn *e)
{
	return hv->ops->evtchn(hv, 2, e->domid, e->port, NULL);
}

int pm_hv_evtchn_pending(struct pm_hv *hv, struct pm_hv_evtchn *e)
{
	uint64_t n = 0;

	if (hv->ops->evtchn_ports)
		return hv->ops->evtchn(hv, 4, e->domid, e->port, NULL) == 1;
	return read(e->fd, &n, sizeof(n)) == (ssize_t)sizeof(n) && n;
}

int pm_hv_evtchn_unbind(struct pm_hv *hv, struct pm_hv_evtchn *e)
{
	int rc = hv->ops->evtchn(hv, 3, e->domid, e->port, NULL);

	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	return rc;
}

/* ---- ioreq servers ---- */

int pm_hv_ioreq_open(struct pm_hv *hv, uint32_t domid, struct pm_hv_ioreq **out)
{
	struct pm_hv_ioreq *s;
	int rc;

	*out = NULL;
	s = pm__calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->hv = hv;
	s->domid = domid;
	rc = hv->ops->ioreq->open(s);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void pm_hv_ioreq_close(struct pm_hv_ioreq *s)
{
	if (!s)
		return;
	s->hv->ops->ioreq->close(s);
	free(s);
}

unsigned int pm_hv_ioreq_vcpus(const struct pm_hv_ioreq *s)
{
	return s->vcpus;
}

struct ioreq *pm_hv_ioreq_slot(struct pm_hv_ioreq *s, unsigned int vcpu)
{
	return vcpu < s->vcpus ? &s->slots[vcpu] : NULL;
}

void pm_hv_ioreq_respond(struct pm_hv_ioreq *s, unsigned int vcpu)
{
	if (vcpu < s->vcpus)
		s->hv->ops->ioreq->respond(s, vcpu);
}

int pm_hv_ioreq_buffered(struct pm_hv_ioreq *s, struct pm_hv_buf_ioreq *out)
{
	return s->hv->ops->ioreq->buffered(s, out);
}

int pm_hv_ioreq_fd(const struct pm_hv_ioreq *s)
{
	return s->hv->ops->ioreq->fd(s, false);
}

int pm_hv_ioreq_gone_fd(const struct pm_hv_ioreq *s)
{
	return s->hv->ops->ioreq->fd(s, true);
}

void pm_hv_ioreq_ack(struct pm_hv_ioreq *s)
{
	s->hv->ops->ioreq->ack(s);
}

int pm_hv_ioreq_gone(struct pm_hv_ioreq *s)
{
	return s->hv->ops->ioreq->gone ? s->hv->ops->ioreq->gone(s) : 1;
}

static int io_range_ok(enum pm_hv_io type, uint64_t start, uint64_t end)
{
	return (type == PM_HV_IO_MMIO || type == PM_HV_IO_PIO) && start < end ? 0 : -EINVAL;
}

int pm_hv_ioreq_map_range(struct pm_hv_ioreq *s, enum pm_hv_io type, uint64_t start, uint64_t end, bool add)
{
	return io_range_ok(type, start, end) ?: s->hv->ops->ioreq->range(s, false, type, start, end, add);
}

int pm_hv_ioreq_coalesce(struct pm_hv_ioreq *s, enum pm_hv_io type, uint64_t start, uint64_t end, bool add)
{
	return io_range_ok(type, start, end) ?: s->hv->ops->ioreq->range(s, true, type, start, end, add);
}

int pm_hv_ioreq_notifier(struct pm_hv_ioreq *s, const struct pm_hv_notifier *n, bool add, int *fd)
{
	return s->hv->ops->ioreq->notifier(s, n, add, fd);
}

int pm_hv_ioreq_exec(struct pm_hv_ioreq *s, uint64_t start, uint64_t size, int fd, uint64_t offset, bool add)
{
	if (!size || start % PAGE || size % PAGE || offset % PAGE || start + size < start)
		return -EINVAL;
	return s->hv->ops->ioreq->exec(s, start, size, fd, offset, add);
}


int pm__hv_hotplug(struct pm_hv *hv, struct xs_handle *h, const char *kind, const char *be, bool online,
		   char *err, size_t errlen)
{
	char none[1];

	if (!err || !errlen) {
		err = none;
		errlen = sizeof(none);
	}
	err[0] = 0;
	return hv->ops->hotplug ? hv->ops->hotplug(hv, h, kind, be, online, err, errlen) : -EOPNOTSUPP;
}

long pm__hv_hvm_context(struct pm_hv *hv, uint32_t domid, void **blob)
{
	*blob = NULL;
	return hv->ops->hvm_context ? hv->ops->hvm_context(hv, domid, blob) : -EOPNOTSUPP;
}

int pm__hv_pv_save(struct pm_hv *hv, uint32_t domid, int fd, struct pm__pv_save *ps, char *err, size_t errlen)
{
	err[0] = 0;
	return hv->ops->pv_save ? hv->ops->pv_save(hv, domid, fd, ps, err, errlen) : -EOPNOTSUPP;
}

int pm__hv_pv_restore(struct pm_hv *hv, uint32_t domid, int fd, struct pm_hv_pv *pv, char *err, size_t errlen)
{
	err[0] = 0;
	return hv->ops->pv_restore ? hv->ops->pv_restore(hv, domid, fd, pv, err, errlen) : -EOPNOTSUPP;
}

long pm__hv_gone(struct pm_hv *hv, struct pm_hv_gone **out)
{
	*out = NULL;
	return hv->ops->gone ? hv->ops->gone(hv, out) : 0;
}

bool pm__hv_has_hvm_context(const struct pm_hv *hv)
{
	return hv->ops->hvm_context_set != NULL;
}

int pm__hv_hvm_context_set(struct pm_hv *hv, uint32_t domid, const void *blob, size_t len)
{
	return hv->ops->hvm_context_set ? hv->ops->hvm_context_set(hv, domid, blob, len) : -EOPNOTSUPP;
}

bool pm__hv_hotplug_ready(const struct pm_hv *hv)
{
	return hv->ops->hotplug != NULL;
}

bool pm_hv_serves_devices(const struct pm_hv *hv)
{
	return pm__hv_hotplug_ready(hv);
}
