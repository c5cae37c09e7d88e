/*
 * json.c - the region-tree format (docs/specs/region-tree.md): loading a
 * document into a new memory system, and writing the hierarchy (in the
 * same format) or the flat views as JSON
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "memory-internal.h"

/* ---- loading ---- */

struct loader {
	struct pm_mem *mem;
	const struct pm_load_hooks *hooks;
	yajl_val regions;
	struct pm_mr **mr;        /* by index in regions */
	unsigned char *state;     /* 0 new, 1 building, 2 built */
	char *err;
	size_t errlen;
};

static int fail(struct loader *ld, int rc, const char *fmt, ...)
{
	va_list ap;

	if (ld->err && ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err, ld->errlen, fmt, ap);
		va_end(ap);
		/* one line, whatever a value it quotes holds (JSON's "\n") */
		for (char *p = ld->err; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
	}
	return rc;
}

static yajl_val get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

/* a "0x..." string as a 128-bit value, at most 2^64; 0 or -EINVAL */
static int hex(yajl_val v, pm_u128 *out)
{
	const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
	pm_u128 x = 0;

	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return -EINVAL;
	for (s += 2; *s; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
			*s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;

		if (d < 0 || x > ((pm_u128)1 << 64) >> 4)
			return -EINVAL;
		x = x * 16 + (unsigned)d;
	}
	if (x > (pm_u128)1 << 64)
		return -EINVAL;
	*out = x;
	return 0;
}

static long find_region(struct loader *ld, const char *id)
{
	for (size_t i = 0; i < ld->regions->u.object.len; i++)
		if (!strcmp(ld->regions->u.object.keys[i], id))
			return (long)i;
	return -1;
}

static int opt_bool(struct loader *ld, yajl_val r, const char *id, const char *key, bool def, bool *out)
{
	yajl_val v = get(r, key);

	*out = def;
	if (!v)
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return fail(ld, -EINVAL, "regions.%s.%s: not true or false", id, key);
	*out = YAJL_IS_TRUE(v);
	return 0;
}

static int build(struct loader *ld, size_t idx);

static const char *const kind_names[] = {
	[PM_MR_CONTAINER] = "container", [PM_MR_RAM] = "ram", [PM_MR_ROM] = "rom",
	[PM_MR_ROMD] = "romd", [PM_MR_MMIO] = "mmio", [PM_MR_ALIAS] = "alias",
};

/* the kind called @name, or -1 */
static long kind_of(const char *name)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(kind_names[i], name))
			return (long)i;
	return -1;
}

static int build_alias(struct loader *ld, yajl_val r, const char *id, const char *name,
		       uint64_t size, struct pm_mr **out)
{
	yajl_val t = get(r, "target"), o = get(r, "offset");
	pm_u128 off = 0;
	long ti;
	int rc;

	if (!YAJL_IS_STRING(t))
		return fail(ld, -EINVAL, "regions.%s.target: missing (an alias needs one)", id);
	ti = find_region(ld, YAJL_GET_STRING(t));
	if (ti < 0)
		return fail(ld, -EINVAL, "regions.%s.target: no region \"%s\"", id, YAJL_GET_STRING(t));
	if (o && (hex(o, &off) || off >> 64))
		return fail(ld, -EINVAL, "regions.%s.offset: not a hex string of 64 bits", id);
	if (get(r, "subregions") && YAJL_IS_ARRAY(get(r, "subregions")) &&
	    get(r, "subregions")->u.array.len)
		return fail(ld, -EINVAL, "regions.%s.subregions: an alias has none", id);
	if (ld->state[ti] == 1)
		return fail(ld, -EINVAL, "regions.%s.target: \"%s\" contains the alias", id,
			    YAJL_GET_STRING(t));
	rc = build(ld, (size_t)ti);
	if (rc)
		return rc;
	*out = pm_mr_new_alias(ld->mem, name, size, ld->mr[ti], (uint64_t)off);
	return *out ? 0 : fail(ld, -ENOMEM, "regions.%s: out of memory", id);
}

/* an MMIO or romd region, its ops from the loader's device hook (released with it) */
static struct pm_mr *new_device(struct loader *ld, const char *id, const char *nm, uint64_t sz, bool romd_kind,
				bool romd, int *rc)
{
	const struct pm_mr_ops *ops = NULL;
	void *opaque = NULL;
	struct pm_mr *mr;

	if (ld->hooks && ld->hooks->device) {
		*rc = ld->hooks->device(ld->hooks->ctx, id, nm, &ops, &opaque);
		if (*rc) {
			*rc = fail(ld, *rc, "regions.%s: no device for it (%s)", id, strerror(-*rc));
			return NULL;
		}
	}
	mr = romd_kind ? pm_mr_new_romd(ld->mem, nm, sz, ops, opaque) : pm_mr_new_mmio(ld->mem, nm, sz, ops, opaque);
	if (ops && ld->hooks->release) {
		if (!mr)
			ld->hooks->release(opaque);
		else
			pm_mr_set_destructor(mr, ld->hooks->release, opaque);
	}
	if (mr && romd_kind)
		mr->romd_mode = romd;
	return mr;
}

/* region @id of kind @kind_idx, called @nm, @sz bytes (@size as read: 2^64 for a container) */
static int new_region(struct loader *ld, yajl_val r, const char *id, const char *nm, pm_u128 size, long kind_idx,
		      bool romd, struct pm_mr **out)
{
	uint64_t sz = size >> 64 ? PM_MR_SIZE_2_64 : (uint64_t)size;
	struct pm_mr *mr = NULL;
	int rc = 0;

	/* host memory backs these: 2^64 cannot be */
	if ((kind_idx == PM_MR_RAM || kind_idx == PM_MR_ROM || kind_idx == PM_MR_ROMD) && size >> 64)
		return fail(ld, -EINVAL, "regions.%s.size: too large for host memory", id);
	switch ((enum pm_mr_kind)kind_idx) {
	case PM_MR_CONTAINER:
		mr = pm_mr_new_container(ld->mem, nm, sz);
		break;
	case PM_MR_RAM:
		mr = pm_mr_new_ram(ld->mem, nm, sz);
		break;
	case PM_MR_ROM:
		mr = pm_mr_new_rom(ld->mem, nm, sz);
		break;
	case PM_MR_MMIO:
	case PM_MR_ROMD:
		mr = new_device(ld, id, nm, sz, kind_idx == PM_MR_ROMD, romd, &rc);
		if (rc)
			return rc;
		break;
	case PM_MR_ALIAS:
		rc = build_alias(ld, r, id, nm, sz, &mr);
		if (rc)
			return rc;
		break;
	}
	if (!mr && kind_idx != PM_MR_CONTAINER && kind_idx != PM_MR_ALIAS)
		return fail(ld, -ENOMEM, "regions.%s.size: cannot back %s bytes", id,
			    YAJL_GET_STRING(get(r, "size")));
	if (!mr)
		return fail(ld, -ENOMEM, "regions.%s: out of memory", id);
	*out = mr;
	return 0;
}

/* @subs (region @id's "subregions"), each built and added to @mr at its address and priority */
static int add_subregions(struct loader *ld, const char *id, struct pm_mr *mr, yajl_val subs)
{
	if (subs && !YAJL_IS_ARRAY(subs))
		return fail(ld, -EINVAL, "regions.%s.subregions: not a list", id);
	for (size_t i = 0; subs && i < subs->u.array.len; i++) {
		yajl_val s = subs->u.array.values[i], sr = get(s, "region"), pr = get(s, "priority");
		pm_u128 addr;
		long si;
		int rc;

		if (!YAJL_IS_STRING(sr))
			return fail(ld, -EINVAL, "regions.%s.subregions[%zu].region: missing", id, i);
		si = find_region(ld, YAJL_GET_STRING(sr));
		if (si < 0)
			return fail(ld, -EINVAL, "regions.%s.subregions[%zu].region: no region \"%s\"", id, i,
				    YAJL_GET_STRING(sr));
		if (hex(get(s, "addr"), &addr) || addr >> 64)
			return fail(ld, -EINVAL, "regions.%s.subregions[%zu].addr: missing, or not a hex string of 64 bits",
				    id, i);
		if (pr && (!YAJL_IS_INTEGER(pr) || YAJL_GET_INTEGER(pr) < INT32_MIN ||
			   YAJL_GET_INTEGER(pr) > INT32_MAX))
			return fail(ld, -EINVAL, "regions.%s.subregions[%zu].priority: not a 32-bit integer", id, i);
		rc = build(ld, (size_t)si);
		if (rc)
			return rc;
		if (ld->mr[si]->parent)
			return fail(ld, -EINVAL, "regions.%s.subregions[%zu]: \"%s\" is already in \"%s\"", id, i,
				    YAJL_GET_STRING(sr), ld->mr[si]->parent->name);
		rc = pm_mr_add_subregion(mr, (uint64_t)addr, ld->mr[si], pr ? (int)YAJL_GET_INTEGER(pr) : 0);
		if (rc)
			return fail(ld, rc, "regions.%s.subregions[%zu]: cannot add \"%s\" (%s)", id, i,
				    YAJL_GET_STRING(sr), strerror(-rc));
	}
	return 0;
}

/* region @idx (and, first, what it contains or aliases), once */
static int build(struct loader *ld, size_t idx)
{
	const char *id = ld->regions->u.object.keys[idx];
	yajl_val r = ld->regions->u.object.values[idx];
	yajl_val kind = get(r, "kind"), name = get(r, "name");
	const char *k, *nm;
	pm_u128 size;
	long kind_idx;
	struct pm_mr *mr = NULL;
	bool enabled, readonly, romd;
	int rc;

	if (ld->state[idx] == 2)
		return 0;
	if (ld->state[idx] == 1)
		return fail(ld, -EINVAL, "regions.%s: contains itself", id);
	ld->state[idx] = 1;
	if (!YAJL_IS_OBJECT(r))
		return fail(ld, -EINVAL, "regions.%s: not an object", id);
	if (!YAJL_IS_STRING(kind))
		return fail(ld, -EINVAL, "regions.%s.kind: missing", id);
	k = YAJL_GET_STRING(kind);
	if (name && !YAJL_IS_STRING(name))
		return fail(ld, -EINVAL, "regions.%s.name: not a string", id);
	nm = name ? YAJL_GET_STRING(name) : id;
	if (hex(get(r, "size"), &size))
		return fail(ld, -EINVAL, "regions.%s.size: missing, or not a hex string up to 2^64", id);
	if ((rc = opt_bool(ld, r, id, "enabled", true, &enabled)) ||
	    (rc = opt_bool(ld, r, id, "readonly", false, &readonly)) ||
	    (rc = opt_bool(ld, r, id, "romd", true, &romd)))
		return rc;
	kind_idx = kind_of(k);
	if (kind_idx < 0)
		return fail(ld, -EINVAL, "regions.%s.kind: \"%s\" is not container, ram, rom, romd, mmio or alias",
			    id, k);
	rc = new_region(ld, r, id, nm, size, kind_idx, romd, &mr);
	if (rc)
		return rc;
	ld->mr[idx] = mr;
	mr->enabled = enabled;
	mr->readonly = readonly;
	rc = add_subregions(ld, id, mr, get(r, "subregions"));
	if (rc)
		return rc;
	ld->state[idx] = 2;
	return 0;
}

struct pm_mem *pm_mem_load_json(const char *text, const struct pm_load_hooks *hooks, char *err,
				size_t errlen)
{
	struct loader ld = { .hooks = hooks, .err = err, .errlen = errlen };
	char perr[256] = "";
	yajl_val doc = yajl_tree_parse(text, perr, sizeof(perr)), spaces;
	int rc = -EINVAL;

	if (!doc) {
		/* yajl's message spans lines; keep the first */
		perr[strcspn(perr, "\n")] = 0;
		fail(&ld, -EINVAL, "not JSON: %s", perr[0] ? perr : "parse error");
		return NULL;
	}
	ld.regions = get(doc, "regions");
	spaces = get(doc, "address_spaces");
	if (!YAJL_IS_OBJECT(ld.regions)) {
		fail(&ld, -EINVAL, "regions: missing, or not an object");
		goto out;
	}
	if (!YAJL_IS_ARRAY(spaces)) {
		fail(&ld, -EINVAL, "address_spaces: missing, or not a list");
		goto out;
	}
	ld.mem = pm_mem_new();
	ld.mr = calloc(ld.regions->u.object.len + 1, sizeof(*ld.mr));
	ld.state = calloc(ld.regions->u.object.len + 1, 1);
	if (!ld.mem || !ld.mr || !ld.state) {
		rc = fail(&ld, -ENOMEM, "out of memory");
		goto out;
	}
	/* one transaction: the spaces are rendered once, at the end */
	pm_mem_begin(ld.mem);
	for (size_t i = 0; i < ld.regions->u.object.len; i++) {
		rc = build(&ld, i);
		if (rc) {
			ld.mem->depth = 0;
			goto out;
		}
	}
	for (size_t i = 0; i < spaces->u.array.len; i++) {
		yajl_val s = spaces->u.array.values[i], n = get(s, "name"), r = get(s, "root");
		long ri;

		rc = -EINVAL;
		if (!YAJL_IS_STRING(n)) {
			fail(&ld, rc, "address_spaces[%zu].name: missing", i);
			ld.mem->depth = 0;
			goto out;
		}
		ri = YAJL_IS_STRING(r) ? find_region(&ld, YAJL_GET_STRING(r)) : -1;
		if (ri < 0) {
			fail(&ld, rc, "address_spaces[%zu].root: missing, or no such region", i);
			ld.mem->depth = 0;
			goto out;
		}
		if (!pm_as_new(ld.mem, YAJL_GET_STRING(n), ld.mr[ri])) {
			rc = fail(&ld, -ENOMEM, "address_spaces[%zu]: out of memory", i);
			ld.mem->depth = 0;
			goto out;
		}
	}
	rc = pm_mem_commit(ld.mem);
	if (rc)
		fail(&ld, rc, "rendering: out of memory");
out:
	yajl_tree_free(doc);
	free(ld.mr);
	free(ld.state);
	if (rc) {
		pm_mem_free(ld.mem);
		return NULL;
	}
	return ld.mem;
}

struct pm_as *pm_mem_find_as(struct pm_mem *mem, const char *name)
{
	for (struct pm_as *as = mem->spaces; as; as = as->next)
		if (!strcmp(as->name, name))
			return as;
	return NULL;
}

/* ---- writing ---- */

static int key(yajl_gen g, const char *k)
{
	return yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static int str(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static int hex128(yajl_gen g, pm_u128 v)
{
	char buf[40];
	int n;

	if (v >> 64)
		n = snprintf(buf, sizeof(buf), "0x1%016" PRIx64, (uint64_t)v);
	else
		n = snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)v);
	return yajl_gen_string(g, (const unsigned char *)buf, (size_t)n);
}

/* every region reachable from the spaces' roots, through subregions and aliases */
struct reach {
	const struct pm_mr **v;
	size_t nr, cap;
	int oom;
};

static size_t reach_index(const struct reach *r, const struct pm_mr *mr)
{
	for (size_t i = 0; i < r->nr; i++)
		if (r->v[i] == mr)
			return i;
	return (size_t)-1;
}

static void collect(struct reach *r, const struct pm_mr *mr)
{
	if (r->oom || reach_index(r, mr) != (size_t)-1)
		return;
	if (r->nr == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		const struct pm_mr **v = realloc(r->v, cap * sizeof(*v));

		if (!v) {
			r->oom = 1;
			return;
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->nr++] = mr;
	if (mr->alias)
		collect(r, mr->alias);
	/* subregions in the order they were added: the reverse of rendering order among equals */
	for (size_t i = 0; i < mr->nr_subs; i++)
		collect(r, mr->subs[i]);
}

/* an id: the name if no other collected region has it, else name#index */
static void id_of(const struct reach *r, size_t i, char *buf, size_t len)
{
	bool unique = true;

	for (size_t j = 0; j < r->nr && unique; j++)
		unique = j == i || strcmp(r->v[j]->name, r->v[i]->name);
	if (unique)
		snprintf(buf, len, "%s", r->v[i]->name);
	else
		snprintf(buf, len, "%s#%zu", r->v[i]->name, i);
}

static int gen_tree(yajl_gen g, struct pm_mem *mem)
{
	struct reach r = { 0 };
	char id[512];
	int st = 0;

	for (struct pm_as *as = mem->spaces; as; as = as->next)
		if (as->root)
			collect(&r, as->root);
	if (r.oom) {
		free(r.v);
		return -ENOMEM;
	}
	st |= yajl_gen_map_open(g);
	st |= key(g, "regions");
	st |= yajl_gen_map_open(g);
	for (size_t i = 0; i < r.nr; i++) {
		const struct pm_mr *mr = r.v[i];

		id_of(&r, i, id, sizeof(id));
		st |= key(g, id);
		st |= yajl_gen_map_open(g);
		st |= key(g, "name") | str(g, mr->name);
		st |= key(g, "kind") | str(g, kind_names[mr->kind]);
		st |= key(g, "size") | hex128(g, mr->size);
		if (mr->alias) {
			id_of(&r, reach_index(&r, mr->alias), id, sizeof(id));
			st |= key(g, "target") | str(g, id);
			st |= key(g, "offset") | hex128(g, mr->alias_offset);
		}
		if (!mr->enabled)
			st |= key(g, "enabled") | yajl_gen_bool(g, 0);
		if (mr->readonly)
			st |= key(g, "readonly") | yajl_gen_bool(g, 1);
		if (mr->kind == PM_MR_ROMD && !mr->romd_mode)
			st |= key(g, "romd") | yajl_gen_bool(g, 0);
		if (mr->nr_subs) {
			st |= key(g, "subregions");
			st |= yajl_gen_array_open(g);
			/* added order: the loader re-adds in list order; later wins among equals */
			for (size_t j = 0; j < mr->nr_subs; j++) {
				const struct pm_mr *s = mr->subs[j];

				st |= yajl_gen_map_open(g);
				id_of(&r, reach_index(&r, s), id, sizeof(id));
				st |= key(g, "region") | str(g, id);
				st |= key(g, "addr") | hex128(g, s->addr);
				st |= key(g, "priority") | yajl_gen_integer(g, s->priority);
				st |= yajl_gen_map_close(g);
			}
			st |= yajl_gen_array_close(g);
		}
		st |= yajl_gen_map_close(g);
	}
	st |= yajl_gen_map_close(g);
	st |= key(g, "address_spaces");
	st |= yajl_gen_array_open(g);
	for (struct pm_as *as = mem->spaces; as; as = as->next) {
		st |= yajl_gen_map_open(g);
		st |= key(g, "name") | str(g, as->name);
		id_of(&r, reach_index(&r, as->root), id, sizeof(id));
		st |= key(g, "root") | str(g, id);
		st |= yajl_gen_map_close(g);
	}
	st |= yajl_gen_array_close(g);
	st |= yajl_gen_map_close(g);
	free(r.v);
	return st ? -ENOMEM : 0;
}

static int gen_flat(yajl_gen g, struct pm_mem *mem)
{
	int st = 0;

	st |= yajl_gen_map_open(g);
	st |= key(g, "address_spaces");
	st |= yajl_gen_array_open(g);
	for (struct pm_as *as = mem->spaces; as; as = as->next) {
		struct pm_flatview *fv;

		st |= yajl_gen_map_open(g);
		st |= key(g, "name") | str(g, as->name);
		st |= key(g, "root") | str(g, as->root ? as->root->name : "(none)");
		st |= key(g, "ranges");
		st |= yajl_gen_array_open(g);
		rcu_read_lock();
		fv = rcu_dereference(as->view);
		for (size_t i = 0; i < fv->nr; i++) {
			const struct pm_fr *f = &fv->ranges[i];

			st |= yajl_gen_map_open(g);
			st |= key(g, "start") | hex128(g, f->start);
			st |= key(g, "size") | hex128(g, f->end - f->start);
			st |= key(g, "region") | str(g, f->mr->name);
			st |= key(g, "offset") | hex128(g, f->offset);
			st |= key(g, "type") | str(g, f->readonly ? "rom" : pm__mr_type(f->mr));
			st |= key(g, "priority") | yajl_gen_integer(g, f->mr->priority);
			st |= key(g, "readonly") | yajl_gen_bool(g, f->readonly);
			st |= key(g, "romd") | yajl_gen_bool(g, f->romd);
			st |= yajl_gen_map_close(g);
		}
		rcu_read_unlock();
		st |= yajl_gen_array_close(g);
		st |= yajl_gen_map_close(g);
	}
	st |= yajl_gen_array_close(g);
	st |= yajl_gen_map_close(g);
	return st ? -ENOMEM : 0;
}

long pm_mem_mtree_json(struct pm_mem *mem, bool flat, char **out)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;
	long rc;

	if (!g)
		return -ENOMEM;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	rc = flat ? gen_flat(g, mem) : gen_tree(g, mem);
	if (rc == 0 && yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
		*out = malloc(len + 1);
		if (*out) {
			memcpy(*out, buf, len);
			(*out)[len] = 0;
			rc = (long)len;
		} else {
			rc = -ENOMEM;
		}
	} else if (rc == 0) {
		rc = -ENOMEM;
	}
	yajl_gen_free(g);
	return rc;
}
