/*
 * memory.c - regions, transactions, address spaces and the access paths
 */
/*
 * Inline liburcu's read side (rcu_dereference, the read lock) into the
 * accessors, except under sanitizers, as libphysmap/p2m.c does (TSan would
 * see half of its protocol; UBSan rejects its reader struct's alignment).
 */
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define _LGPL_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory-internal.h"

struct pm_mem *pm_mem_new(void)
{
	struct pm_mem *mem = calloc(1, sizeof(struct pm_mem));
	pthread_mutexattr_t attr;
	int r;

	if (!mem)
		return NULL;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	r = pthread_mutex_init(&mem->qlock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (r) {
		free(mem);
		return NULL;
	}
	return mem;
}

static void free_view_rcu(struct rcu_head *head)
{
	pm__flatview_free(caa_container_of(head, struct pm_flatview, rcu));
}

static void free_mr_now(struct pm_mr *mr)
{
	if (mr->destructor)
		mr->destructor(mr->destructor_opaque);
	if (mr->ram)
		munmap(mr->ram, mr->ram_len);
	if (mr->ram_fd >= 0)
		close(mr->ram_fd);
	free(mr->name);
	free(mr->subs);
	free(mr->dirty);
	free(mr->co);
	free(mr->wn);
	free(mr);
}

static void free_mr_rcu(struct rcu_head *head)
{
	struct pm_mr *mr = caa_container_of(head, struct pm_mr, rcu);

	/* no reader can queue a write to it any more */
	pm__queue_forget(mr->mem, mr);
	free_mr_now(mr);
}

void pm_mem_free(struct pm_mem *mem)
{
	struct pm_as *as, *next_as;
	struct pm_mr *mr, *next_mr;

	if (!mem)
		return;
	for (as = mem->spaces; as; as = next_as) {
		struct pm_flatview *view = as->view;

		next_as = as->next;
		rcu_assign_pointer(as->view, NULL);
		rcu_assign_pointer(as->dispatch, NULL);
		synchronize_rcu();
		pm__flatview_free(view);
		free(as->name);
		free(as);
	}
	/* views and regions waiting for a grace period go first */
	rcu_barrier();
	for (mr = mem->regions; mr; mr = next_mr) {
		next_mr = mr->next;
		free_mr_now(mr);
	}
	free(mem->retire);
	pthread_mutex_destroy(&mem->qlock);
	free(mem);
}

void pm_mem_read_lock(void)
{
	rcu_read_lock();
}

void pm_mem_read_unlock(void)
{
	rcu_read_unlock();
}

static void unlink_mr(struct pm_mr *mr)
{
	if (mr->prev)
		mr->prev->next = mr->next;
	else
		mr->mem->regions = mr->next;
	if (mr->next)
		mr->next->prev = mr->prev;
}

/* out of the region list now, freed after a grace period */
static void free_after_grace(struct pm_mr *mr)
{
	if (mr->alias)
		mr->alias->alias_users--;
	unlink_mr(mr);
	call_rcu(&mr->rcu, free_mr_rcu);
}

/* render one address space, tell the listeners, publish the result */
static int render(struct pm_as *as)
{
	struct pm_flatview *fv = pm__flatview_render(as->root), *old;

	if (!fv)
		return -ENOMEM;
	if (pm__dispatch_build(fv) || pm__flatview_events(fv)) {
		pm__flatview_free(fv);
		return -ENOMEM;
	}
	old = as->view;
	if (old)
		pm__listeners_update(as->mem, as, old, fv);
	rcu_assign_pointer(as->view, fv);
	rcu_assign_pointer(as->dispatch, fv->dispatch);
	if (old)
		call_rcu(&old->rcu, free_view_rcu);
	return 0;
}

void pm_mem_begin(struct pm_mem *mem)
{
	mem->depth++;
}

int pm_mem_commit(struct pm_mem *mem)
{
	int rc = 0;

	if (mem->depth && --mem->depth)
		return 0;
	if (!mem->pending)
		return 0;
	/* queued writes belong to the old layout */
	pm_mem_flush_coalesced(mem);
	pm__listeners_begin(mem);
	for (struct pm_as *as = mem->spaces; as; as = as->next) {
		int r = render(as);

		if (r && !rc)
			rc = r;
	}
	pm__listeners_commit(mem);
	if (rc)
		return rc;
	mem->pending = false;
	/* regions taken out by this commit: freed once no reader can see them */
	for (size_t i = 0; i < mem->nr_retire; i++)
		free_after_grace(mem->retire[i]);
	mem->nr_retire = 0;
	return 0;
}

int pm__changed(struct pm_mem *mem)
{
	mem->pending = true;
	if (mem->depth)
		return 0;
	pm_mem_begin(mem);
	return pm_mem_commit(mem);
}

static struct pm_mr *new_mr(struct pm_mem *mem, const char *name, uint64_t size,
			    enum pm_mr_kind kind)
{
	struct pm_mr *mr = calloc(1, sizeof(*mr));

	if (!mr)
		return NULL;
	mr->name = strdup(name ? name : "anonymous");
	if (!mr->name) {
		free(mr);
		return NULL;
	}
	mr->mem = mem;
	mr->kind = kind;
	mr->size = size == PM_MR_SIZE_2_64 ? (pm_u128)1 << 64 : size;
	mr->enabled = true;
	mr->romd_mode = true;
	mr->ram_fd = -1;
	mr->next = mem->regions;
	if (mem->regions)
		mem->regions->prev = mr;
	mem->regions = mr;
	return mr;
}


static struct pm_mr *new_backed(struct pm_mem *mem, const char *name, uint64_t size,
				enum pm_mr_kind kind)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len;
	struct pm_mr *mr;
	int fd = -1;
	void *p;

	if (size == PM_MR_SIZE_2_64 || size > SIZE_MAX - page)
		return NULL;
	/* anonymous (or a sparse memfd) and unreserved: a guest's RAM costs what it touches */
	len = size ? ((size_t)size + page - 1) / page * page : page;
	if (mem->share_ram) {
		fd = memfd_create(name, MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, (off_t)len)) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
	}
	if (p == MAP_FAILED) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	mr = new_mr(mem, name, size, kind);
	if (!mr) {
		munmap(p, len);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	mr->ram = p;
	mr->ram_len = len;
	mr->ram_fd = fd;
	return mr;
}

void pm_mem_share_ram(struct pm_mem *mem, bool share)
{
	mem->share_ram = share;
}

int pm_mr_ram_fd(const struct pm_mr *mr)
{
	return mr->ram_fd >= 0 ? mr->ram_fd : -ENOENT;
}

struct pm_mr *pm_mr_new_container(struct pm_mem *mem, const char *name, uint64_t size)
{
	return new_mr(mem, name, size, PM_MR_CONTAINER);
}

struct pm_mr *pm_mr_new_ram(struct pm_mem *mem, const char *name, uint64_t size)
{
	return new_backed(mem, name, size, PM_MR_RAM);
}

struct pm_mr *pm_mr_new_rom(struct pm_mem *mem, const char *name, uint64_t size)
{
	return new_backed(mem, name, size, PM_MR_ROM);
}

struct pm_mr *pm_mr_new_romd(struct pm_mem *mem, const char *name, uint64_t size,
			     const struct pm_mr_ops *ops, void *opaque)
{
	struct pm_mr *mr = new_backed(mem, name, size, PM_MR_ROMD);

	if (mr) {
		mr->ops = ops;
		mr->opaque = opaque;
	}
	return mr;
}

struct pm_mr *pm_mr_new_mmio(struct pm_mem *mem, const char *name, uint64_t size,
			     const struct pm_mr_ops *ops, void *opaque)
{
	struct pm_mr *mr = new_mr(mem, name, size, PM_MR_MMIO);

	if (mr) {
		mr->ops = ops;
		mr->opaque = opaque;
	}
	return mr;
}

struct pm_mr *pm_mr_new_alias(struct pm_mem *mem, const char *name, uint64_t size,
			      struct pm_mr *target, uint64_t offset)
{
	struct pm_mr *mr;

	if (!target || target->mem != mem)
		return NULL;
	mr = new_mr(mem, name, size, PM_MR_ALIAS);
	if (mr) {
		mr->alias = target;
		mr->alias_offset = offset;
		target->alias_users++;
	}
	return mr;
}

int pm_mr_free(struct pm_mr *mr)
{
	if (mr->parent || mr->nr_subs || mr->alias_users)
		return -EBUSY;
	/* a view rendered before the change that took it out may still use it */
	if (mr->mem->depth || mr->mem->pending)
		return -EBUSY;
	for (struct pm_as *as = mr->mem->spaces; as; as = as->next)
		if (as->root == mr)
			return -EBUSY;
	free_after_grace(mr);
	return 0;
}

static bool is_ancestor(const struct pm_mr *a, const struct pm_mr *mr)
{
	for (; mr; mr = mr->parent)
		if (mr == a)
			return true;
	return false;
}

int pm_mr_add_subregion(struct pm_mr *parent, uint64_t addr, struct pm_mr *sub, int priority)
{
	size_t i;

	if (parent->kind == PM_MR_ALIAS || sub->parent || is_ancestor(sub, parent) ||
	    parent->mem != sub->mem)
		return -EINVAL;
	if (parent->nr_subs == parent->cap_subs) {
		size_t cap = parent->cap_subs ? 2 * parent->cap_subs : 4;
		struct pm_mr **v = realloc(parent->subs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		parent->subs = v;
		parent->cap_subs = cap;
	}
	/* after every sibling of lower or equal priority: later-added wins */
	for (i = parent->nr_subs; i > 0 && parent->subs[i - 1]->priority > priority; i--)
		;
	memmove(&parent->subs[i + 1], &parent->subs[i], (parent->nr_subs - i) * sizeof(*parent->subs));
	parent->subs[i] = sub;
	parent->nr_subs++;
	sub->parent = parent;
	sub->addr = addr;
	sub->priority = priority;
	return pm__changed(parent->mem);
}

int pm_mr_del_subregion(struct pm_mr *sub)
{
	struct pm_mr *parent = sub->parent;
	size_t i;

	if (!parent)
		return -EINVAL;
	for (i = 0; parent->subs[i] != sub; i++)
		;
	memmove(&parent->subs[i], &parent->subs[i + 1], (parent->nr_subs - i - 1) * sizeof(*parent->subs));
	parent->nr_subs--;
	sub->parent = NULL;
	return pm__changed(parent->mem);
}

int pm_mr_set_enabled(struct pm_mr *mr, bool enabled)
{
	if (mr->enabled == enabled)
		return 0;
	mr->enabled = enabled;
	return pm__changed(mr->mem);
}

int pm_mr_set_address(struct pm_mr *mr, uint64_t addr)
{
	if (mr->addr == addr)
		return 0;
	mr->addr = addr;
	return mr->parent ? pm__changed(mr->mem) : 0;
}

int pm_mr_set_alias_offset(struct pm_mr *mr, uint64_t offset)
{
	if (mr->kind != PM_MR_ALIAS)
		return -EINVAL;
	mr->alias_offset = offset;
	return pm__changed(mr->mem);
}

int pm_mr_set_readonly(struct pm_mr *mr, bool readonly)
{
	if (mr->readonly == readonly)
		return 0;
	mr->readonly = readonly;
	return pm__changed(mr->mem);
}

int pm_mr_set_romd(struct pm_mr *mr, bool romd_mode)
{
	if (mr->kind != PM_MR_ROMD)
		return -EINVAL;
	if (mr->romd_mode == romd_mode)
		return 0;
	mr->romd_mode = romd_mode;
	return pm__changed(mr->mem);
}

void pm_mr_set_destructor(struct pm_mr *mr, void (*fn)(void *opaque), void *opaque)
{
	mr->destructor = fn;
	mr->destructor_opaque = opaque;
}

const char *pm_mr_name(const struct pm_mr *mr)
{
	return mr->name;
}

struct pm_mem *pm_mr_mem(const struct pm_mr *mr)
{
	return mr->mem;
}

uint64_t pm_mr_size(const struct pm_mr *mr)
{
	return mr->size >> 64 ? PM_MR_SIZE_2_64 : (uint64_t)mr->size;
}

const char *pm_as_name(const struct pm_as *as)
{
	return as->name;
}

struct pm_mr *pm_as_root(const struct pm_as *as)
{
	return as->root;
}

enum pm_mr_kind pm_mr_kind(const struct pm_mr *mr)
{
	return mr->kind;
}

uint8_t *pm_mr_ram(const struct pm_mr *mr)
{
	return mr->ram;
}

const char *pm__mr_type(const struct pm_mr *mr)
{
	while (mr->kind == PM_MR_ALIAS)
		mr = mr->alias;
	switch (mr->kind) {
	case PM_MR_ROMD:
		return mr->romd_mode ? "romd" : "i/o";
	case PM_MR_ROM:
		return "rom";
	case PM_MR_RAM:
		return "ram";
	default:
		return "i/o";
	}
}

struct pm_as *pm_as_new(struct pm_mem *mem, const char *name, struct pm_mr *root)
{
	struct pm_as *as = calloc(1, sizeof(*as)), **tail;

	if (!as)
		return NULL;
	as->name = strdup(name);
	as->mem = mem;
	as->root = root;
	if (!as->name || render(as)) {
		free(as->name);
		free(as);
		return NULL;
	}
	for (tail = &mem->spaces; *tail; tail = &(*tail)->next)
		;
	*tail = as;
	pm__listeners_begin(mem);
	pm__listeners_update(mem, as, NULL, as->view);
	pm__listeners_commit(mem);
	return as;
}

/* ---- lookups (readers: inside rcu_read_lock) ---- */

size_t pm_as_dispatch_bytes(struct pm_as *as)
{
	size_t n;

	rcu_read_lock();
	n = pm__dispatch_bytes(rcu_dereference(as->view)->dispatch);
	rcu_read_unlock();
	return n;
}

long pm_as_flat_ranges(struct pm_as *as, struct pm_flat_range **out)
{
	struct pm_flatview *fv;
	struct pm_flat_range *r;
	long n;

	rcu_read_lock();
	fv = rcu_dereference(as->view);
	n = (long)fv->nr;
	r = malloc((fv->nr ? fv->nr : 1) * sizeof(*r));
	if (r) {
		for (size_t i = 0; i < fv->nr; i++)
			r[i] = pm__public_range(&fv->ranges[i]);
	}
	rcu_read_unlock();
	if (!r)
		return -ENOMEM;
	*out = r;
	return n;
}
