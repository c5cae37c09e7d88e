/*
 * board.c - what every board shares: key checking with did-you-mean,
 * option parsing, regions, the layout table, PVH start info (the boards
 * call it; it calls no board: registry.c knows them)
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_gen.h>
#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>

#include "physmap/size.h"
#include "physmap/board.h"
#include "json-internal.h"
#include "text-internal.h"
#include "alloc-internal.h"
#include "board-internal.h"

static const char *const kind_names[] = { "ram", "rom", "mmio", "reserved" };

int pm__board_fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, PM_BOARD_ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void set_err(char *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, PM_BOARD_ERR_LEN, fmt, ap);
	va_end(ap);
}

static int check_keys(const struct board_ops *board,
		      const struct pm_board_config *cfg, char *err)
{
	for (size_t i = 0; i < cfg->nr_opts; i++) {
		const char *key = cfg->opts[i].key, *close = NULL;
		size_t best = 3;
		int known = 0;

		for (const struct pm_board_key *k = board->keys; k && k->name; k++) {
			size_t d = pm__edit_distance(key, k->name);

			known |= d == 0;
			if (d < best) {
				best = d;
				close = k->name;
			}
		}
		if (known)
			continue;
		if (close)
			set_err(err, "%s: not a key of board '%s' (did you mean '%s'?)",
				key, board->name, close);
		else
			set_err(err, "%s: not a key of board '%s'", key, board->name);
		return -EINVAL;
	}
	return 0;
}

void pm_board_layout_init(struct pm_board_layout *layout)
{
	memset(layout, 0, sizeof(*layout));
	pm_e820_init(&layout->e820);
	pm_e820_init(&layout->firmware_e820);
}

void pm_board_layout_dispose(struct pm_board_layout *layout)
{
	free(layout->regions);
	free(layout->devices);
	free(layout->board_data);
	pm_e820_dispose(&layout->e820);
	pm_e820_dispose(&layout->firmware_e820);
	pm_board_layout_init(layout);
}

int pm_board_layout(const struct board_ops *board,
		    const struct pm_board_config *cfg,
		    struct pm_board_layout *out, char *err)
{
	int rc;

	pm_board_layout_init(out);
	rc = check_keys(board, cfg, err);
	if (rc)
		return rc;
	snprintf(out->board, sizeof(out->board), "%s", board->name);
	rc = board->layout(cfg, out, err);
	if (rc)
		pm_board_layout_dispose(out);
	return rc;
}

int pm_board_add_region(struct pm_board_layout *layout, const char *name,
			uint64_t base, uint64_t size, enum pm_region_kind kind)
{
	size_t i;

	if (size && base + (size - 1) < base)
		return -ERANGE;
	if (layout->nr_regions == layout->cap_regions) {
		size_t cap = layout->cap_regions ? 2 * layout->cap_regions : 32;
		struct pm_board_region *r = pm__realloc(layout->regions, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		layout->regions = r;
		layout->cap_regions = cap;
	}
	for (i = layout->nr_regions; i > 0 && layout->regions[i - 1].base > base; i--)
		layout->regions[i] = layout->regions[i - 1];
	layout->regions[i] = (struct pm_board_region){ .base = base, .size = size, .kind = kind };
	snprintf(layout->regions[i].name, sizeof(layout->regions[i].name), "%s", name);
	layout->nr_regions++;
	return 0;
}

int pm_board_add_device(struct pm_board_layout *layout, const char *name,
			const char *model, uint64_t base, uint64_t size,
			int pio, int irq)
{
	struct pm_board_device *d;

	if (size && base + (size - 1) < base)
		return -ERANGE;
	if (layout->nr_devices == layout->cap_devices) {
		size_t cap = layout->cap_devices ? 2 * layout->cap_devices : 16;

		d = pm__realloc(layout->devices, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		layout->devices = d;
		layout->cap_devices = cap;
	}
	d = &layout->devices[layout->nr_devices++];
	*d = (struct pm_board_device){ .base = base, .size = size, .pio = pio, .irq = irq };
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->model, sizeof(d->model), "%s", model);
	return 0;
}

int pm_board_add_testdevs(struct pm_board_layout *layout, uint64_t base)
{
	int rc = pm_board_add_device(layout, "subpage-test", "subpage-test", base + PM_BOARD_TESTDEV_SUBPAGE,
				     0x1000, 0, -1);

	if (rc == 0)
		rc = pm_board_add_device(layout, "events-test", "events-test", base + PM_BOARD_TESTDEV_EVENTS,
					 0x1000, 0, -1);
	if (rc == 0)
		rc = pm_board_add_device(layout, "exec-flash", "exec-flash", base + PM_BOARD_TESTDEV_FLASH,
					 PM_BOARD_TESTDEV_FLASH_SIZE, 0, -1);
	return rc;
}

const char *pm_board_opt(const struct pm_board_config *cfg, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < cfg->nr_opts; i++)
		if (strcmp(cfg->opts[i].key, key) == 0)
			v = cfg->opts[i].value;
	return v;
}

int pm_board_opt_size(const struct pm_board_config *cfg, const char *key,
		      uint64_t def, uint64_t *out, char *err)
{
	const char *v = pm_board_opt(cfg, key);

	*out = def;
	if (!v)
		return 0;
	if (pm_size_parse(v, PM_SIZE_B, out) == 0)
		return 0;
	set_err(err, "%s: '%s' is not a size (512M, 3G, 4096b...)", key, v);
	return -EINVAL;
}

int pm_board_opt_uint(const struct pm_board_config *cfg, const char *key,
		      uint64_t def, uint64_t max, uint64_t *out, char *err)
{
	const char *v = pm_board_opt(cfg, key);
	char *end;

	*out = def;
	if (!v)
		return 0;
	errno = 0;
	/* decimal, or hexadecimal after 0x (never octal: "010" is ten) */
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X') && isxdigit((unsigned char)v[2]))
		*out = strtoull(v + 2, &end, 16);
	else
		*out = strtoull(v, &end, 10);
	if (v[0] >= '0' && v[0] <= '9' && *end == '\0' && errno == 0 && *out <= max)
		return 0;
	set_err(err, "%s: '%s' is not a number from 0 to %" PRIu64, key, v, max);
	return -EINVAL;
}

int pm_board_opt_bool(const struct pm_board_config *cfg, const char *key,
		      int def, int *out, char *err)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	const char *v = pm_board_opt(cfg, key);

	*out = def;
	if (!v)
		return 0;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	set_err(err, "%s: '%s' is not a boolean (0/1, yes/no, true/false, on/off)", key, v);
	return -EINVAL;
}

long pm_board_layout_table(const struct pm_board_layout *layout, char **out)
{
	size_t cap = 96 * (layout->nr_regions + 1), len = 0;
	char *s = pm__malloc(cap);

	if (!s)
		return -ENOMEM;
	s[0] = '\0';
	for (size_t i = 0; i < layout->nr_regions; i++) {
		const struct pm_board_region *r = &layout->regions[i];
		char size[24];

		pm_size_format(r->size, size, sizeof(size));
		len += (size_t)snprintf(s + len, cap - len,
			"0x%016" PRIx64 "-0x%016" PRIx64 "  %8s  %-8s  %s\n",
			r->base, r->base + (r->size - 1), size, kind_names[r->kind], r->name);
	}
	*out = s;
	return (long)len;
}

static int gen_str(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

long pm_board_layout_json(const struct pm_board_layout *layout, char **out)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	long rc;
	int st = 0;

	if (!g)
		return -ENOMEM;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	st |= yajl_gen_map_open(g);
	st |= gen_str(g, "board");
	st |= gen_str(g, layout->board);
	st |= gen_str(g, "regions");
	st |= yajl_gen_array_open(g);
	for (size_t i = 0; i < layout->nr_regions; i++) {
		const struct pm_board_region *r = &layout->regions[i];

		st |= yajl_gen_map_open(g);
		st |= gen_str(g, "name");
		st |= gen_str(g, r->name);
		st |= gen_str(g, "base");
		st |= pm__json_hex(g, r->base);
		st |= gen_str(g, "size");
		st |= pm__json_hex(g, r->size);
		st |= gen_str(g, "kind");
		st |= gen_str(g, kind_names[r->kind]);
		st |= yajl_gen_map_close(g);
	}
	st |= yajl_gen_array_close(g);
	st |= gen_str(g, "devices");
	st |= yajl_gen_array_open(g);
	for (size_t i = 0; i < layout->nr_devices; i++) {
		const struct pm_board_device *d = &layout->devices[i];

		st |= yajl_gen_map_open(g);
		st |= gen_str(g, "name");
		st |= gen_str(g, d->name);
		st |= gen_str(g, "model");
		st |= gen_str(g, d->model);
		st |= gen_str(g, d->pio ? "port" : "base");
		st |= pm__json_hex(g, d->base);
		st |= gen_str(g, "size");
		st |= pm__json_hex(g, d->size);
		if (d->irq >= 0) {
			st |= gen_str(g, "irq");
			st |= yajl_gen_integer(g, d->irq);
		}
		st |= yajl_gen_map_close(g);
	}
	st |= yajl_gen_array_close(g);
	st |= gen_str(g, "e820");
	rc = st == yajl_gen_status_ok ? pm__e820_gen(g, &layout->e820) : -ENOMEM;
	if (rc == 0 && yajl_gen_map_close(g) != yajl_gen_status_ok)
		rc = -ENOMEM;
	if (rc == 0)
		rc = pm__json_take(g, out);
	yajl_gen_free(g);
	return rc;
}

long pm_board_pvh_start_info(const struct pm_board_layout *layout,
			     void *buf, size_t len, uint64_t gpa,
			     uint64_t cmdline_gpa)
{
	struct hvm_start_info *si = buf;
	struct hvm_memmap_table_entry *mm;
	size_t n = layout->e820.nr;
	size_t need = sizeof(*si) + n * sizeof(*mm);

	if (n == 0)
		return -EINVAL;
	if (len < need)
		return -ENOSPC;
	memset(buf, 0, need);
	mm = (struct hvm_memmap_table_entry *)(si + 1);
	si->magic = XEN_HVM_START_MAGIC_VALUE;
	si->version = 1;
	si->cmdline_paddr = cmdline_gpa;
	si->memmap_paddr = gpa + sizeof(*si);
	si->memmap_entries = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		mm[i].addr = layout->e820.entries[i].addr;
		mm[i].size = layout->e820.entries[i].size;
		/* E820 types 1-7 are the hvm_memmap types; the rest are reserved */
		mm[i].type = layout->e820.entries[i].type <= XEN_HVM_MEMMAP_TYPE_PMEM ?
			     layout->e820.entries[i].type : XEN_HVM_MEMMAP_TYPE_RESERVED;
	}
	return (long)need;
}
