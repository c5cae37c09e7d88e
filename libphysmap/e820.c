/*
 * e820.c - E820 maps: sanitize, holes, Linux's text format, JSON, and
 * applying a map to a P2M (identity holes; dom0-style remap)
 *
 * Ends are computed in 128 bits internally so that an entry ending exactly
 * at 2^64 needs no special case.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "physmap/e820.h"
#include "p2m-internal.h"
#include "json-internal.h"
#include "alloc-internal.h"

typedef unsigned __int128 u128;

#define PAGE_SHIFT 12
#define PAGE_SIZE  (UINT64_C(1) << PAGE_SHIFT)
#define TWO_POW_64 ((u128)1 << 64)

static inline u128 entry_end(const struct pm_e820_entry *e)
{
	return (u128)e->addr + e->size;
}

/* Linux never merges neighbours of these types (e820_nomerge). */
static bool nomerge(uint32_t type)
{
	return type == PM_E820_PRAM || type == PM_E820_SOFT_RESERVED;
}

void pm_e820_init(struct pm_e820 *map)
{
	map->entries = NULL;
	map->nr = map->cap = 0;
}

void pm_e820_dispose(struct pm_e820 *map)
{
	free(map->entries);
	pm_e820_init(map);
}

static int reserve_entries(struct pm_e820 *map, size_t want)
{
	struct pm_e820_entry *p;
	size_t cap = map->cap ? map->cap : 16;

	if (want <= map->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	p = pm__realloc(map->entries, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	map->entries = p;
	map->cap = cap;
	return 0;
}

int pm_e820_add(struct pm_e820 *map, uint64_t addr, uint64_t size,
		uint32_t type)
{
	int rc;

	if (type == 0)
		return -EINVAL;
	if (size && addr + (size - 1) < addr)
		return -ERANGE;
	rc = reserve_entries(map, map->nr + 1);
	if (rc)
		return rc;
	map->entries[map->nr++] = (struct pm_e820_entry){ addr, size, type };
	return 0;
}

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

int pm_e820_sanitize(struct pm_e820 *map)
{
	u128 *points = NULL;
	struct pm_e820_entry *out = NULL;
	size_t np = 0, nout = 0;
	int rc = 0;

	if (map->nr == 0)
		return 0;
	points = pm__malloc(2 * map->nr * sizeof(*points));
	/* segments between change points never outnumber the points */
	out = pm__malloc(2 * map->nr * sizeof(*out));
	if (!points || !out) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < map->nr; i++) {
		if (map->entries[i].size == 0)
			continue;
		points[np++] = map->entries[i].addr;
		points[np++] = entry_end(&map->entries[i]);
	}
	qsort(points, np, sizeof(*points), cmp_u128);

	for (size_t k = 0; k + 1 < np; k++) {
		u128 s = points[k], e = points[k + 1];
		uint32_t type = 0;
		bool edge = false;

		if (s == e)
			continue;
		for (size_t i = 0; i < map->nr; i++) {
			const struct pm_e820_entry *en = &map->entries[i];

			if (en->size == 0 || en->addr > s || entry_end(en) < e)
				continue;
			if (en->type > type)
				type = en->type;
		}
		if (type == 0)
			continue;  /* a gap */
		/* a nomerge type starts a new entry wherever one of its own does */
		for (size_t i = 0; i < map->nr && nomerge(type); i++)
			edge = edge || (map->entries[i].type == type &&
					map->entries[i].size &&
					map->entries[i].addr == s);
		if (nout && out[nout - 1].type == type && !edge &&
		    entry_end(&out[nout - 1]) == s) {
			out[nout - 1].size += (uint64_t)(e - s);
			continue;
		}
		out[nout++] = (struct pm_e820_entry){
			(uint64_t)s, (uint64_t)(e - s), type
		};
	}
	memcpy(map->entries, out, nout * sizeof(*out));
	map->nr = nout;
out:
	free(points);
	free(out);
	return rc;
}

uint64_t pm_e820_ram_total(const struct pm_e820 *map)
{
	uint64_t total = 0;

	for (size_t i = 0; i < map->nr; i++)
		if (map->entries[i].type == PM_E820_RAM)
			total += map->entries[i].size;
	return total;
}

uint64_t pm_e820_ram_end(const struct pm_e820 *map)
{
	uint64_t end = 0;

	for (size_t i = 0; i < map->nr; i++)
		if (map->entries[i].type == PM_E820_RAM &&
		    entry_end(&map->entries[i]) < TWO_POW_64)
			if ((uint64_t)entry_end(&map->entries[i]) > end)
				end = (uint64_t)entry_end(&map->entries[i]);
	return end;
}

uint64_t pm_e820_identity_limit(const struct pm_e820 *map)
{
	uint64_t end = pm_e820_ram_end(map), four_g = UINT64_C(1) << 32;

	return end > four_g ? end : four_g;
}

size_t pm_e820_holes(const struct pm_e820 *map, uint64_t limit,
		     struct pm_e820_range *out, size_t max)
{
	uint64_t pos = 0;
	size_t n = 0;

	/* the holes are [0, limit) less the RAM entries (sorted, disjoint) */
	for (size_t i = 0; i <= map->nr && pos < limit; i++) {
		uint64_t start = limit;

		if (i < map->nr) {
			if (map->entries[i].type != PM_E820_RAM)
				continue;
			start = map->entries[i].addr < limit ? map->entries[i].addr : limit;
		}
		if (start > pos) {
			if (n < max)
				out[n] = (struct pm_e820_range){ pos, start };
			n++;
		}
		if (i < map->nr) {
			u128 end = entry_end(&map->entries[i]);

			pos = end >= limit ? limit : (uint64_t)end;
		}
	}
	return n;
}

int pm_e820_clamp(struct pm_e820 *map, uint64_t ram_bytes)
{
	size_t n = 0;

	for (size_t i = 0; i < map->nr; i++) {
		struct pm_e820_entry e = map->entries[i];

		if (e.type == PM_E820_RAM) {
			if (ram_bytes == 0)
				continue;
			if (e.size > ram_bytes)
				e.size = ram_bytes;
			ram_bytes -= e.size;
		}
		map->entries[n++] = e;
	}
	map->nr = n;
	return 0;
}

/* --- text --------------------------------------------------------------- */

const char *pm_e820_type_name(uint32_t type, char buf[24])
{
	switch (type) {
	case PM_E820_RAM: return strcpy(buf, "usable");
	case PM_E820_RESERVED: return strcpy(buf, "reserved");
	case PM_E820_SOFT_RESERVED: return strcpy(buf, "soft reserved");
	case PM_E820_ACPI: return strcpy(buf, "ACPI data");
	case PM_E820_NVS: return strcpy(buf, "ACPI NVS");
	case PM_E820_UNUSABLE: return strcpy(buf, "unusable");
	case PM_E820_PMEM:
	case PM_E820_PRAM:
		snprintf(buf, 24, "persistent (type %" PRIu32 ")", type);
		return buf;
	default:
		snprintf(buf, 24, "type %" PRIu32, type);
		return buf;
	}
}

/* The type named at @s (up to end of line); 0 if none. */
static uint32_t type_from_name(const char *s, size_t len)
{
	static const uint32_t known[] = {
		PM_E820_RAM, PM_E820_RESERVED, PM_E820_SOFT_RESERVED,
		PM_E820_ACPI, PM_E820_NVS, PM_E820_UNUSABLE,
	};
	char buf[24], word[32];
	unsigned long long n;
	int used = 0;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		pm_e820_type_name(known[i], buf);
		if (strlen(buf) == len && memcmp(buf, s, len) == 0)
			return known[i];
	}
	if (len >= sizeof(word))
		return 0;
	memcpy(word, s, len);
	word[len] = '\0';
	if ((sscanf(word, "persistent (type %llu)%n", &n, &used) == 1 ||
	     sscanf(word, "type %llu%n", &n, &used) == 1) &&
	    (size_t)used == len && n > 0 && n <= UINT32_MAX && word[len - 1] != ' ')
		return (uint32_t)n;
	return 0;
}

/* "0x" then 1..16 hex digits; advances *p. */
static int parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int digits = 0;

	if (s[0] != '0' || s[1] != 'x')
		return -EINVAL;
	for (s += 2; ; s++, digits++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (digits == 16)
			return -EINVAL;
		x = x << 4 | (uint64_t)d;
	}
	if (digits == 0)
		return -EINVAL;
	*p = s;
	*v = x;
	return 0;
}

static int parse_line(const char *s, size_t len, struct pm_e820_entry *e)
{
	const char *mem = NULL, *end = s + len, *p;
	uint64_t first, last;

	for (p = s; p + 5 <= end; p++)
		if (memcmp(p, "[mem ", 5) == 0) {
			mem = p;
			break;
		}
	if (!mem)
		return -EINVAL;
	p = mem + 5;
	if (parse_hex(&p, &first) || *p++ != '-' || parse_hex(&p, &last) ||
	    *p++ != ']' || *p++ != ' ')
		return -EINVAL;
	while (end > p && (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\t'))
		end--;
	e->type = type_from_name(p, (size_t)(end - p));
	if (e->type == 0)
		return -EINVAL;
	if (last < first)
		return -ERANGE;
	e->addr = first;
	/* [first, last] of the whole 64-bit space cannot be sized in 64 bits */
	if (first == 0 && last == UINT64_MAX)
		return -ERANGE;
	e->size = last - first + 1;
	return 0;
}

int pm_e820_parse(const char *text, struct pm_e820 *map, unsigned *err_line)
{
	size_t old_nr = map->nr;
	unsigned line = 0;
	int rc = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		const char *s = text;
		struct pm_e820_entry e;

		line++;
		text += len + (nl != NULL);
		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		if (len == 0 || *s == '#' || (len == 1 && *s == '\r'))
			continue;
		rc = parse_line(s, len, &e);
		if (rc == 0)
			rc = pm_e820_add(map, e.addr, e.size, e.type);
		if (rc) {
			if (err_line && rc != -ENOMEM)
				*err_line = line;
			map->nr = old_nr;
			return rc;
		}
	}
	return 0;
}

long pm_e820_format(const struct pm_e820 *map, char **out)
{
	/* "BIOS-e820: [mem 0x%016-0x%016] " is 53 bytes, a name at most 24 */
	size_t cap = map->nr * 80 + 1, len = 0;
	char *s = pm__malloc(cap);

	if (!s)
		return -ENOMEM;
	s[0] = '\0';
	for (size_t i = 0; i < map->nr; i++) {
		const struct pm_e820_entry *e = &map->entries[i];
		char name[24];

		len += (size_t)snprintf(s + len, cap - len,
			"BIOS-e820: [mem 0x%016" PRIx64 "-0x%016" PRIx64 "] %s\n",
			e->addr, e->addr + (e->size - 1),
			pm_e820_type_name(e->type, name));
	}
	*out = s;
	return (long)len;
}

/* --- JSON --------------------------------------------------------------- */

int pm__json_hex(yajl_gen g, uint64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "0x%" PRIx64, v);

	return yajl_gen_string(g, (const unsigned char *)buf, (size_t)n);
}

static int gen_key(yajl_gen g, const char *k)
{
	return yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

int pm__e820_gen(yajl_gen g, const struct pm_e820 *map)
{
	int st = yajl_gen_array_open(g);

	for (size_t i = 0; i < map->nr; i++) {
		const struct pm_e820_entry *e = &map->entries[i];
		char name[24];

		st |= yajl_gen_map_open(g);
		st |= gen_key(g, "addr");
		st |= pm__json_hex(g, e->addr);
		st |= gen_key(g, "size");
		st |= pm__json_hex(g, e->size);
		st |= gen_key(g, "last");
		st |= pm__json_hex(g, e->addr + (e->size - 1));
		st |= gen_key(g, "type");
		st |= yajl_gen_integer(g, e->type);
		st |= gen_key(g, "name");
		st |= gen_key(g, pm_e820_type_name(e->type, name));
		st |= yajl_gen_map_close(g);
	}
	st |= yajl_gen_array_close(g);
	return st == yajl_gen_status_ok ? 0 : -ENOMEM;
}

long pm__json_take(yajl_gen g, char **out)
{
	const unsigned char *buf;
	size_t len;

	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return -ENOMEM;
	*out = malloc(len + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, buf, len);
	(*out)[len] = '\0';
	return (long)len;
}

long pm_e820_json(const struct pm_e820 *map, char **out)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	long rc;

	if (!g)
		return -ENOMEM;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	rc = pm__e820_gen(g, map);
	if (rc == 0)
		rc = pm__json_take(g, out);
	yajl_gen_free(g);
	return rc;
}

/* --- applying a map to a P2M ------------------------------------------- */

/*
 * The holes of @map below @limit as pfn ranges (a partly-hole page is a
 * hole), clipped to @max_pfn. Returns the count, or -ENOMEM; *out is
 * malloc'ed.
 */
static long hole_pfns(const struct pm_e820 *map, uint64_t limit,
		      uint64_t max_pfn, struct pm_e820_range **out)
{
	size_t n = pm_e820_holes(map, limit, NULL, 0), k = 0;
	struct pm_e820_range *r = pm__malloc((n ? n : 1) * sizeof(*r));

	if (!r)
		return -ENOMEM;
	pm_e820_holes(map, limit, r, n);
	for (size_t i = 0; i < n; i++) {
		uint64_t s = r[i].start >> PAGE_SHIFT;
		u128 e = ((u128)r[i].end + PAGE_SIZE - 1) >> PAGE_SHIFT;

		if (s >= max_pfn)
			continue;
		r[k].start = s;
		r[k].end = e > max_pfn ? max_pfn : (uint64_t)e;
		/* rounding outwards can make neighbours touch */
		if (k && r[k - 1].end >= r[k].start)
			r[k - 1].end = r[k].end;
		else
			k++;
	}
	*out = r;
	return (long)k;
}

/* set_identity allocates at most two leaves and two mids per range */
#define IDENTITY_PAGES_PER_RANGE 4

static long identity_holes(struct pm_p2m *p2m, const struct pm_e820_range *h,
			   long n)
{
	long total = 0;

	for (long i = 0; i < n; i++) {
		long r = pm_p2m_set_identity(p2m, h[i].start, h[i].end);

		if (r < 0)
			return r;  /* cannot happen with the pages reserved */
		total += r;
	}
	return total;
}

long pm_e820_apply_identity(const struct pm_e820 *map, struct pm_p2m *p2m,
			    uint64_t limit)
{
	struct pm_e820_range *h = NULL;
	long n, rc;

	if (limit == 0)
		limit = pm_e820_identity_limit(map);
	n = hole_pfns(map, limit, pm_p2m_max_pfn(p2m), &h);
	if (n < 0)
		return n;
	rc = pm__p2m_reserve(p2m, (size_t)n * IDENTITY_PAGES_PER_RANGE);
	if (rc == 0) {
		rc = identity_holes(p2m, h, n);
		pm__p2m_unreserve(p2m);
	}
	free(h);
	return rc;
}

/* the RAM runs of @p2m inside the @n holes @h, in order; @moved: their pfns. returns: 0; -ENOMEM */
static int holes_ram(struct pm_p2m *p2m, const struct pm_e820_range *h, long n, struct pm_p2m_run **out,
		     size_t *nruns, uint64_t *moved)
{
	struct pm_p2m_run *runs = NULL;
	size_t cap = 0;

	*nruns = 0;
	*moved = 0;
	for (long i = 0; i < n; i++) {
		struct pm_p2m_run r;

		for (uint64_t pfn = h[i].start; pfn < h[i].end; pfn = r.end) {
			pm_p2m_next_run(p2m, pfn, &r);
			if (r.end > h[i].end)
				r.end = h[i].end;
			if (r.kind != PM_P2M_RAM)
				continue;
			if (*nruns == cap) {
				struct pm_p2m_run *p;

				cap = cap ? 2 * cap : 16;
				p = pm__realloc(runs, cap * sizeof(*p));
				if (!p) {
					free(runs);
					return -ENOMEM;
				}
				runs = p;
			}
			runs[(*nruns)++] = r;
			*moved += r.end - r.start;
		}
	}
	*out = runs;
	return 0;
}

/* @map with @moved pfns of RAM added at pfn @dest, into @next (empty). returns: 0; -ENOMEM; -EINVAL */
static int map_with_moved(const struct pm_e820 *map, struct pm_e820 *next, uint64_t dest, uint64_t moved)
{
	int rc = reserve_entries(next, map->nr + 1);

	if (rc)
		return rc;
	memcpy(next->entries, map->entries, map->nr * sizeof(*map->entries));
	next->nr = map->nr;
	if (!moved)
		return 0;
	rc = pm_e820_add(next, dest << PAGE_SHIFT, moved << PAGE_SHIFT, PM_E820_RAM);
	return rc ? rc : pm_e820_sanitize(next);
}

/*
 * the runs' frames to [dest, ...), the holes' RAM cleared, the holes made
 * identity, with every page reserved first (a leaf per 512 pfns and a mid
 * per 2^18 of the destination, the two edges of each run, each hole's
 * identity pages): nothing can fail half way. returns: the identity pfns
 */
static long move_runs(struct pm_p2m *p2m, const struct pm_p2m_run *runs, size_t nruns, uint64_t moved,
		      uint64_t dest, const struct pm_e820_range *h, long n)
{
	size_t pages = (size_t)n * IDENTITY_PAGES_PER_RANGE + (size_t)(moved >> PM_P2M_LEAF_SHIFT) +
		       (size_t)(moved >> PM_P2M_MID_SHIFT) + nruns * 4;
	uint64_t at = dest;
	long identity;
	int rc = pm__p2m_reserve(p2m, pages);

	if (rc)
		return rc;
	for (size_t i = 0; i < nruns; i++) {
		uint64_t len = runs[i].end - runs[i].start;

		if (pm_p2m_set_range(p2m, at, runs[i].mfn, len) ||
		    pm_p2m_clear_range(p2m, runs[i].start, runs[i].end))
			abort();  /* impossible with the pages reserved */
		at += len;
	}
	identity = identity_holes(p2m, h, n);
	pm__p2m_unreserve(p2m);
	if (identity < 0)
		abort();
	return identity;
}

int pm_e820_apply_remap(struct pm_e820 *map, struct pm_p2m *p2m,
			uint64_t limit, struct pm_e820_remap *report)
{
	struct pm_e820_range *h = NULL;
	struct pm_p2m_run *runs = NULL;
	struct pm_e820 next;
	size_t nruns = 0;
	uint64_t moved = 0, dest, max_pfn = pm_p2m_max_pfn(p2m), ram_end;
	long n, identity;
	int rc;

	pm_e820_init(&next);
	if (limit == 0)
		limit = pm_e820_identity_limit(map);
	n = hole_pfns(map, limit, max_pfn, &h);
	rc = n < 0 ? (int)n : holes_ram(p2m, h, n, &runs, &nruns, &moved);
	if (rc)
		goto out;
	ram_end = pm_e820_ram_end(map);
	dest = ((ram_end > limit ? ram_end : limit) + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (moved && (dest > max_pfn || moved > max_pfn - dest)) {
		rc = -ENOSPC;
		goto out;
	}
	/* the new map, complete before anything changes */
	rc = map_with_moved(map, &next, dest, moved);
	if (rc)
		goto out;
	identity = move_runs(p2m, runs, nruns, moved, dest, h, n);
	if (identity < 0) {
		rc = (int)identity;
		goto out;
	}
	/* commit the map */
	pm_e820_dispose(map);
	*map = next;
	pm_e820_init(&next);
	if (report)
		*report = (struct pm_e820_remap){ .pages = moved, .start = moved ? dest : 0, .identity = (uint64_t)identity };
out:
	pm_e820_dispose(&next);
	free(runs);
	free(h);
	return rc;
}
