/*
 * mtree.c - `info mtree` text, as QEMU 7.2 prints it
 *
 * Hierarchy: address spaces sharing a root are listed together, then the
 * tree, two spaces of indent a level; subregions in address order (higher
 * priority first at one address). A disabled region's line is shown only
 * with -D, but its subregions are walked either way. Alias targets are
 * printed afterwards as "memory-region:" trees. Flat (-f): one FlatView per
 * distinct root, its ranges with the region's priority, "rom" for read-only
 * ranges, and "@offset" when the range does not start at the region's start.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory-internal.h"

struct buf {
	char *s;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap : 4096);

		while (cap <= b->len + (size_t)n)
			cap *= 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

struct targets {
	const struct pm_mr **v;
	size_t nr, cap;
};

static void note_target(struct buf *b, struct targets *t, const struct pm_mr *mr)
{
	for (size_t i = 0; i < t->nr; i++)
		if (t->v[i] == mr)
			return;
	if (t->nr == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8;
		const struct pm_mr **v = realloc(t->v, cap * sizeof(*v));

		if (!v) {
			b->oom = 1;
			return;
		}
		t->v = v;
		t->cap = cap;
	}
	t->v[t->nr++] = mr;
}

static uint64_t last_of(uint64_t start, pm_u128 size)
{
	return size ? start + (uint64_t)(size - 1) : start;
}

/* a subregion and its place in rendering order */
struct ordered {
	const struct pm_mr *mr;
	size_t rank;
};

static int cmp_ordered(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->mr->addr != y->mr->addr)
		return x->mr->addr < y->mr->addr ? -1 : 1;
	if (x->mr->priority != y->mr->priority)
		return x->mr->priority > y->mr->priority ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static void print_mr(struct buf *b, struct targets *t, const struct pm_mr *mr, uint64_t base,
		     int level, bool disabled)
{
	uint64_t start = base + mr->addr;
	struct ordered *order;

	if (mr->enabled || disabled) {
		put(b, "%*s", 2 * level, "");
		if (mr->kind == PM_MR_ALIAS) {
			put(b, "%016" PRIx64 "-%016" PRIx64 " (prio %d, %s): alias %s @%s %016" PRIx64 "-%016" PRIx64 "%s\n",
			    start, last_of(start, mr->size), mr->priority, pm__mr_type(mr), mr->name,
			    mr->alias->name, mr->alias_offset, last_of(mr->alias_offset, mr->size),
			    mr->enabled ? "" : " [disabled]");
			note_target(b, t, mr->alias);
		} else {
			put(b, "%016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s%s\n",
			    start, last_of(start, mr->size), mr->priority, pm__mr_type(mr), mr->name,
			    mr->enabled ? "" : " [disabled]");
		}
	}
	if (!mr->nr_subs)
		return;
	/* address order, higher priority first at one address, else as rendered */
	order = malloc(mr->nr_subs * sizeof(*order));
	if (!order) {
		b->oom = 1;
		return;
	}
	for (size_t i = 0; i < mr->nr_subs; i++)
		order[i] = (struct ordered){ mr->subs[mr->nr_subs - 1 - i], i };
	qsort(order, mr->nr_subs, sizeof(*order), cmp_ordered);
	for (size_t i = 0; i < mr->nr_subs; i++)
		print_mr(b, t, order[i].mr, start, level + 1, disabled);
	free(order);
}

static void print_flat(struct buf *b, struct pm_mem *mem, bool disabled)
{
	int counter = 0;

	(void)disabled;
	for (struct pm_as *as = mem->spaces; as; as = as->next) {
		struct pm_flatview *fv;
		bool seen = false;

		for (struct pm_as *p = mem->spaces; p != as; p = p->next)
			seen |= p->root == as->root;
		if (seen)
			continue;
		put(b, "FlatView #%d\n", counter++);
		for (struct pm_as *p = as; p; p = p->next)
			if (p->root == as->root)
				put(b, " AS \"%s\", root: %s\n", p->name, p->root ? p->root->name : "(none)");
		put(b, " Root memory region: %s\n", as->root ? as->root->name : "(none)");
		rcu_read_lock();
		fv = rcu_dereference(as->view);
		if (fv->nr == 0)
			put(b, "  No rendered FlatView\n");
		for (size_t i = 0; i < fv->nr; i++) {
			const struct pm_fr *r = &fv->ranges[i];
			uint64_t s = (uint64_t)r->start;

			put(b, "  %016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s", s,
			    last_of(s, r->end - r->start), r->mr->priority,
			    r->readonly ? "rom" : pm__mr_type(r->mr), r->mr->name);
			if (r->offset)
				put(b, " @%016" PRIx64, r->offset);
			put(b, "\n");
		}
		rcu_read_unlock();
		put(b, "\n");
	}
}

long pm_mem_mtree(struct pm_mem *mem, bool flat, bool disabled, char **out)
{
	struct buf b = { 0 };
	struct targets t = { 0 };

	put(&b, "%s", "");
	if (flat) {
		print_flat(&b, mem, disabled);
	} else {
		for (struct pm_as *as = mem->spaces; as; as = as->next) {
			bool seen = false;

			for (struct pm_as *p = mem->spaces; p != as; p = p->next)
				seen |= p->root == as->root;
			if (seen)
				continue;
			for (struct pm_as *p = as; p; p = p->next)
				if (p->root == as->root)
					put(&b, "address-space: %s\n", p->name);
			if (as->root)
				print_mr(&b, &t, as->root, 0, 1, disabled);
			put(&b, "\n");
		}
		for (size_t i = 0; i < t.nr; i++) {
			put(&b, "memory-region: %s\n", t.v[i]->name);
			print_mr(&b, &t, t.v[i], 0, 1, disabled);
			put(&b, "\n");
		}
	}
	free(t.v);
	if (b.oom) {
		free(b.s);
		return -ENOMEM;
	}
	*out = b.s;
	return (long)b.len;
}
