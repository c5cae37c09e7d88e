/*
 * config.c - xl.cfg files into struct pm_domain_config, through libxlutil
 *
 * libxlutil parses and holds the values (the last setting of a key wins,
 * overrides come last). It has no way to list the keys a file set, nor
 * their lines, so a small scanner (scan_keys) walks the same text for the
 * statement keys and their line numbers: that is what every message uses.
 *
 * Glossary: a "site" is where a key was set: file:line, or command line:N.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxlutil.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "physmap/config.h"
#include "physmap/size.h"
#include "physmap/board.h"
#include "json-internal.h"
#include "text-internal.h"
#include "alloc-internal.h"
#include "file-internal.h"
#include "config-internal.h"

/* the parser's bound (Xen's own for PV is 8192); each board checks its own: pc 128, virt QEMU's 512 */
#define MAX_VCPUS 4096

static const char *const action_names[] = {
	[PM_ACTION_DESTROY] = "destroy",
	[PM_ACTION_RESTART] = "restart",
	[PM_ACTION_PRESERVE] = "preserve",
	[PM_ACTION_RENAME_RESTART] = "rename-restart",
	[PM_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
	[PM_ACTION_COREDUMP_RESTART] = "coredump-restart",
	[PM_ACTION_SOFT_RESET] = "soft-reset",
};
#define NR_ACTIONS (sizeof(action_names) / sizeof(action_names[0]))

const char *pm_action_name(enum pm_action a)
{
	return (unsigned int)a < NR_ACTIONS ? action_names[a] : NULL;
}

/* where a key was set */
struct site {
	char key[64];
	unsigned int line;
	bool override;
	bool append;             /* KEY += VALUE: adds to the value before */
};

struct loader {
	const char *path;
	bool no_files;           /* a saved configuration: its images need not exist here */
	struct pm_domain_config *cfg;
	XLU_Config *xlu;
	struct site *sites;
	size_t nr_sites;
	const struct board_ops *board;
	char *err;
	size_t errlen;
};

static void set_err(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct loader *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, l->errlen, fmt, ap);
	va_end(ap);
}

/* "file:3" or "command line:2" for the last place key was set */
static const char *site_of(const struct loader *l, const char *key, char *buf, size_t len)
{
	for (size_t i = l->nr_sites; i-- > 0;)
		if (!strcmp(l->sites[i].key, key)) {
			snprintf(buf, len, "%s:%u", l->sites[i].override ? "command line" : l->path,
				 l->sites[i].line);
			return buf;
		}
	snprintf(buf, len, "%s", l->path);
	return buf;
}

/* an error about key's value, at its site */
static int key_err(struct loader *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int key_err(struct loader *l, const char *key, const char *fmt, ...)
{
	char where[PM_CONFIG_ERR_LEN / 2], what[PM_CONFIG_ERR_LEN / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	set_err(l, "%s: %s: %s", site_of(l, key, where, sizeof(where)), key, what);
	return -EINVAL;
}

/*
 * Records the key of every statement in text (xl.cfg syntax: KEY = VALUE
 * or KEY += VALUE, ended by a newline or ';' outside strings and lists;
 * '#' starts a comment). libxlutil has judged the syntax already.
 */
static int scan_keys(struct loader *l, const char *text, bool override, unsigned int line0)
{
	unsigned int line = line0, depth = 0;
	bool at_start = true;

	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			line += !override;
			if (!depth)
				at_start = true;
		} else if (*p == '#') {
			while (p[1] && p[1] != '\n')
				p++;
		} else if (*p == '"' || *p == '\'') {
			char q = *p;

			while (p[1] && p[1] != q) {
				if (p[1] == '\\' && p[2])
					p++;
				if (p[1] == '\n')
					line += !override;
				p++;
			}
			if (p[1])
				p++;
			at_start = false;
		} else if (*p == '[') {
			depth++;
		} else if (*p == ']') {
			depth -= depth > 0;
		} else if (*p == ';' && !depth) {
			at_start = true;
		} else if (at_start && (*p == '_' || (*p >= 'a' && *p <= 'z') ||
					(*p >= 'A' && *p <= 'Z'))) {
			size_t n = 0;
			struct site *s = pm__realloc(l->sites, (l->nr_sites + 1) * sizeof(*s));

			if (!s)
				return -ENOMEM;
			l->sites = s;
			s = &l->sites[l->nr_sites++];
			/* as libxlutil's lexer: dots belong to a key ("a.b" is one unknown key) */
			while ((p[n] == '_' || p[n] == '.' || (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
				(p[n] >= '0' && p[n] <= '9')) && n < sizeof(s->key) - 1) {
				s->key[n] = p[n];
				n++;
			}
			s->key[n] = 0;
			s->line = line;
			s->override = override;
			s->append = p[n + strspn(p + n, " \t")] == '+';
			p += n - 1;
			at_start = false;
		} else if (*p != ' ' && *p != '\t' && *p != '\r') {
			at_start = false;
		}
	}
	return 0;
}

/* parses text into l->xlu; a syntax error becomes the first line libxlutil reported */
static int xlu_parse(struct loader *l, const char *text, const char *report_name)
{
	char *rep = NULL;
	size_t replen = 0;
	FILE *f = open_memstream(&rep, &replen);
	XLU_Config *check;
	int rc;

	if (!f)
		return -ENOMEM;
	/* a private handle judges syntax, so its report names the right source */
	check = xlu_cfg_init(f, report_name);
	rc = check ? xlu_cfg_readdata(check, text, (int)strlen(text)) : ENOMEM;
	xlu_cfg_destroy(check);
	fclose(f);
	if (rc) {
		char *nl = rep ? strchr(rep, '\n') : NULL;

		if (nl)
			*nl = 0;
		if (rep && *rep)
			set_err(l, "%s", rep);
		else
			set_err(l, "%s: %s", report_name, strerror(rc));
		free(rep);
		return rc == ENOMEM ? -ENOMEM : -EINVAL;
	}
	free(rep);
	rc = xlu_cfg_readdata(l->xlu, text, (int)strlen(text));
	return rc ? -EINVAL : 0;
}

static int read_text(struct loader *l, char **out)
{
	uint8_t *buf;
	size_t len, bad;
	int rc = pm__file_read(l->path, PM_FILE_CONFIG_MAX, &buf, &len, l->err, l->errlen);

	*out = NULL;
	if (rc)
		return rc;
	bad = pm__text_bad((const char *)buf, len);
	if (memchr(buf, 0, len)) {
		free(buf);
		set_err(l, "%s: not a text file", l->path);
		return -EINVAL;
	}
	if (bad != (size_t)-1) {
		/* its values go into JSON (the store, save files): UTF-8 text only */
		unsigned int line = 1;

		for (size_t i = 0; i < bad; i++)
			line += buf[i] == '\n';
		set_err(l, "%s:%u: byte 0x%02x: %s", l->path, line, buf[bad],
			buf[bad] < 0x20 || buf[bad] == 0x7f ? "a control character, not text" : "not UTF-8 text");
		free(buf);
		return -EINVAL;
	}
	*out = (char *)buf;
	return 0;
}

/* the overrides as xl.cfg statements, one per line; bare values are quoted */
static int override_text(struct loader *l, const char *const *ov, size_t n, char **out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(ov[i], '='), *v;
		bool bare;

		if (!eq || eq == ov[i]) {
			fclose(f);
			free(text);
			set_err(l, "command line:%zu: \"%s\": expected key=value", i + 1, ov[i]);
			return -EINVAL;
		}
		if (pm__text_bad(ov[i], strlen(ov[i])) != (size_t)-1 || strchr(ov[i], '\n')) {
			fclose(f);
			free(text);
			set_err(l, "command line:%zu: %.*s: not one line of UTF-8 text", i + 1, (int)(eq - ov[i]), ov[i]);
			return -EINVAL;
		}
		v = eq + 1;
		bare = *v != '"' && *v != '\'' && *v != '[' && strspn(v, "0123456789") != strlen(v);
		if (bare && strchr(v, '"') && strchr(v, '\'')) {
			fclose(f);
			free(text);
			set_err(l, "command line:%zu: %.*s: quote a value holding both quote kinds",
				i + 1, (int)(eq - ov[i]), ov[i]);
			return -EINVAL;
		}
		if (!bare)
			fprintf(f, "%.*s=%s\n", (int)(eq - ov[i]), ov[i], v);
		else
			fprintf(f, "%.*s=%c%s%c\n", (int)(eq - ov[i]), ov[i], strchr(v, '"') ? '\'' : '"',
				v, strchr(v, '"') ? '\'' : '"');
	}
	if (fclose(f)) {
		free(text);
		return -ENOMEM;
	}
	*out = text;
	return 0;
}

static bool board_has_key(const struct board_ops *b, const char *key)
{
	for (const struct pm_board_key *k = b->keys; k && k->name; k++)
		if (!strcmp(k->name, key))
			return true;
	return false;
}

/* the closest known key, if close enough to be a typo */
static const char *suggest(const struct loader *l, const char *key)
{
	const struct pm_config_key *lists[] = { pm_config_keys_honoured(), pm_config_keys_ignored() };
	const char *best = NULL;
	size_t bestd = strlen(key) > 4 ? 3 : 2;

	for (size_t i = 0; i < 2; i++)
		for (const struct pm_config_key *k = lists[i]; k->key; k++) {
			size_t d = pm__edit_distance(key, k->key);

			if (d < bestd) {
				bestd = d;
				best = k->key;
			}
		}
	for (const struct pm_board_key *k = l->board->keys; k && k->name; k++) {
		size_t d = pm__edit_distance(key, k->name);

		if (d < bestd) {
			bestd = d;
			best = k->name;
		}
	}
	return best;
}

static int add_warning(struct pm_domain_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int add_warning(struct pm_domain_config *cfg, const char *fmt, ...)
{
	char **w = pm__realloc(cfg->warnings, (cfg->nr_warnings + 1) * sizeof(*w));
	va_list ap;
	int r;

	if (!w)
		return -ENOMEM;
	cfg->warnings = w;
	va_start(ap, fmt);
	r = pm__vasprintf(&w[cfg->nr_warnings], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	cfg->nr_warnings++;
	return 0;
}

/* a string key's last value (NULL if absent); a list is an error */
static int get_str(struct loader *l, const char *key, const char **out)
{
	int r = xlu_cfg_get_string(l->xlu, key, out, 1);

	if (r == ESRCH) {
		*out = NULL;
		return 0;
	}
	return r ? key_err(l, key, "expected a single value, not a list") : 0;
}

static int dup_str(struct loader *l, const char *key, char **out)
{
	const char *v;
	int rc = get_str(l, key, &v);

	if (rc || !v)
		return rc;
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

/* memory and maxmem: a bare number is MiB (as xl), or an xl size */
static int get_mem(struct loader *l, const char *key, uint64_t *out)
{
	const char *v;
	int rc = get_str(l, key, &v);

	if (rc || !v)
		return rc;
	if (pm_size_parse(v, PM_SIZE_M, out))
		return key_err(l, key, "\"%s\" is not a size (a number of MiB, or 512m, 2g, ...)", v);
	if (!*out || (*out & 4095))
		return key_err(l, key, "\"%s\" is not a positive whole number of 4 KiB pages", v);
	return 0;
}

static int get_vcpus(struct loader *l, const char *key, unsigned int *out)
{
	const char *v;
	char *end;
	unsigned long n;
	int rc = get_str(l, key, &v);

	if (rc || !v)
		return rc;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || end == v || !n || n > MAX_VCPUS)
		return key_err(l, key, "\"%s\" is not a number of vCPUs from 1 to %d", v, MAX_VCPUS);
	*out = (unsigned int)n;
	return 0;
}

static int get_action(struct loader *l, const char *key, enum pm_action *out)
{
	const char *v;
	int rc = get_str(l, key, &v);

	if (rc || !v)
		return rc;
	for (size_t i = 0; i < NR_ACTIONS; i++)
		if (!strcmp(v, action_names[i])) {
			*out = (enum pm_action)i;
			return 0;
		}
	return key_err(l, key, "\"%s\" is not one of destroy, restart, preserve, rename-restart, "
			       "coredump-destroy, coredump-restart, soft-reset", v);
}

/* an image the build reads: a regular file, not empty, at most 1 GiB and no larger than the guest's memory */
static int get_file(struct loader *l, const char *key, char **out)
{
	uint64_t max = l->cfg->memory < PM_FILE_IMAGE_MAX ? l->cfg->memory : PM_FILE_IMAGE_MAX, size;
	char ferr[PM_CONFIG_ERR_LEN / 2];
	int rc = dup_str(l, key, out);

	if (rc || !*out || l->no_files)
		return rc;
	if (pm__file_check(*out, max, &size, ferr, sizeof(ferr)))
		return key_err(l, key, "%s", ferr);
	if (!size)
		return key_err(l, key, "%s: an empty file", *out);
	return 0;
}

/* kernel_format = "auto" (ELF, bzImage, arm64 Image) or "raw" (an image the board places as it is) */
static int get_kernel_format(struct loader *l)
{
	const char *v;
	int rc = get_str(l, "kernel_format", &v);

	if (rc || !v)
		return rc;
	if (!strcmp(v, "raw"))
		l->cfg->kernel_raw = true;
	else if (strcmp(v, "auto"))
		return key_err(l, "kernel_format", "\"%s\": auto (an ELF file, a bzImage or an arm64 Image) or raw", v);
	return 0;
}

int pm_domain_name_check(const char *name, char *why, size_t len)
{
	size_t n = strlen(name);

	if (!n || n > PM_DOMAIN_NAME_MAX)
		snprintf(why, len, "%zu bytes: a name has 1 to %d", n, PM_DOMAIN_NAME_MAX);
	else if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
		snprintf(why, len, "use letters, digits, '_', '.', '-'");
	else if (name[0] == '-')
		snprintf(why, len, "a leading '-' would read as an option");
	else if (!strcmp(name, ".") || !strcmp(name, ".."))
		snprintf(why, len, "'.' and '..' name directories");
	else if (strspn(name, "0123456789") == n)
		snprintf(why, len, "all digits would read as a domain id");
	else
		return 0;
	return -EINVAL;
}

static int check_name(struct loader *l)
{
	const char *n = l->cfg->name;
	char why[64];

	if (!n)
		return key_err(l, "name", "missing: every domain needs a name");
	if (pm_domain_name_check(n, why, sizeof(why)))
		return key_err(l, "name", "\"%s\": %s", n, why);
	return 0;
}

/* uuid = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as libxl_uuid_from_string reads it */
static int get_uuid(struct loader *l)
{
	const char *v;
	int rc = get_str(l, "uuid", &v);

	if (rc || !v)
		return rc;
	if (pm_uuid_parse(v, NULL))
		return key_err(l, "uuid", "\"%s\": not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex)", v);
	for (int i = 0; i < 36; i++)
		l->cfg->uuid[i] = (char)tolower((unsigned char)v[i]);
	l->cfg->uuid[36] = 0;
	return 0;
}

/*
 * A key the file sets twice (not KEY += VALUE) is xl's: the last value
 * wins. Said, as it is most often a slip; the command line's overrides
 * are meant to replace.
 */
static int duplicate(struct loader *l, size_t i, const char *where)
{
	const struct site *s = &l->sites[i];

	if (s->override || s->append)
		return 0;
	for (size_t j = i; j-- > 0;)
		if (!l->sites[j].override && !strcmp(l->sites[j].key, s->key))
			return add_warning(l->cfg, "%s: %s: set again; line %u's value is replaced", where, s->key,
					   l->sites[j].line);
	return 0;
}

/* every key set is physmap's, the board's, or xl's (a warning) */
static int check_keys(struct loader *l)
{
	for (size_t i = 0; i < l->nr_sites; i++) {
		const char *key = l->sites[i].key, *close;
		char where[PM_CONFIG_ERR_LEN / 2];

		if (l->sites[i].override)
			snprintf(where, sizeof(where), "command line:%u", l->sites[i].line);
		else
			snprintf(where, sizeof(where), "%s:%u", l->path, l->sites[i].line);
		const struct pm_config_key *k;
		const struct board_ops *const *b;
		int rc = duplicate(l, i, where);

		if (rc)
			return rc;

		if (board_has_key(l->board, key))
			continue;
		/* another board's key: xl.cfg's (gic_version) is a warning, physmap's own an error */
		for (b = pm_board_list(); *b && !board_has_key(*b, key); b++)
			;
		k = pm__config_key_find(pm_config_keys_honoured(), key);
		if (k && *b) {
			if (add_warning(l->cfg, "%s: %s: a key of board '%s'; board '%s' has no use for it; ignored",
					where, key, (*b)->name, l->board->name))
				return -ENOMEM;
			continue;
		}
		if (k)
			continue;
		k = pm__config_key_find(pm_config_keys_ignored(), key);
		if (k) {
			if (add_warning(l->cfg, "%s: %s: %s; ignored", where, key, k->why))
				return -ENOMEM;
			continue;
		}
		for (b = pm_board_list(); *b; b++)
			if (board_has_key(*b, key)) {
				set_err(l, "%s: %s: a key of board '%s', not of '%s'", where, key,
					(*b)->name, l->board->name);
				return -EINVAL;
			}
		close = suggest(l, key);
		if (close)
			set_err(l, "%s: %s: unknown key (did you mean '%s'?)", where, key, close);
		else
			set_err(l, "%s: %s: unknown key", where, key);
		return -EINVAL;
	}
	return 0;
}

/* the board's keys into cfg->opts (last value of each, in first-set order) */
static int collect_board_opts(struct loader *l)
{
	struct pm_domain_config *cfg = l->cfg;

	for (size_t i = 0; i < l->nr_sites; i++) {
		const char *key = l->sites[i].key, *v;
		struct pm_config_opt *o;
		bool seen = false;
		int rc;

		if (!board_has_key(l->board, key))
			continue;
		for (size_t j = 0; j < cfg->nr_opts; j++)
			seen |= !strcmp(cfg->opts[j].key, key);
		if (seen)
			continue;
		rc = get_str(l, key, &v);
		if (rc)
			return rc;
		o = pm__realloc(cfg->opts, (cfg->nr_opts + 1) * sizeof(*o));
		if (!o)
			return -ENOMEM;
		cfg->opts = o;
		o = &cfg->opts[cfg->nr_opts];
		o->key = pm__strdup(key);
		o->value = pm__strdup(v);
		if (!o->key || !o->value) {
			free(o->key);
			free(o->value);
			return -ENOMEM;
		}
		cfg->nr_opts++;
	}
	return 0;
}

int pm_domain_config_layout(const struct pm_domain_config *cfg, struct pm_board_layout *layout,
			    char *err)
{
	const struct board_ops *board = cfg->board ? pm_board_find(cfg->board) : NULL;
	struct pm_board_opt *opts = pm__calloc(cfg->nr_opts + 1, sizeof(*opts));
	struct pm_board_config bc = { .memory = cfg->memory, .maxmem = cfg->maxmem,
				      .vcpus = cfg->vcpus, .max_vcpus = cfg->maxvcpus, .opts = opts,
				      .nr_opts = cfg->nr_opts };
	int rc;

	pm_board_layout_init(layout);
	if (!opts)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nr_opts; i++)
		opts[i] = (struct pm_board_opt){ cfg->opts[i].key, cfg->opts[i].value };
	rc = board ? pm_board_layout(board, &bc, layout, err) : -ENOENT;
	free(opts);
	if (rc)
		pm_board_layout_dispose(layout);
	return rc;
}

/* the board judges its own keys' values by laying the machine out */
static int check_board(struct loader *l)
{
	struct pm_board_layout layout;
	char berr[PM_BOARD_ERR_LEN] = "", key[64] = "", colon[2], where[PM_CONFIG_ERR_LEN / 2];
	int rc = pm_domain_config_layout(l->cfg, &layout, berr);

	if (!rc)
		pm_board_layout_dispose(&layout);
	if (rc != -EINVAL)
		return rc;
	/*
	 * the board's message starts with the key at fault ("KEY: ..."); one
	 * that names none is QEMU's own text about the machine's size (its
	 * address space), which memory sets
	 */
	if (sscanf(berr, "%63[a-z0-9_]%1[:]", key, colon) != 2)
		snprintf(key, sizeof(key), "memory");
	set_err(l, "%s: board '%s': %s", site_of(l, key, where, sizeof(where)),
		l->board->name, berr);
	return rc;
}

static int resolve(struct loader *l)
{
	struct pm_domain_config *cfg = l->cfg;
	const char *board, *root, *extra;
	char dsite[PM_CONFIG_ERR_LEN / 2], vsite[PM_CONFIG_ERR_LEN / 2];
	struct pm_config_devices_in dev = { .disk_site = site_of(l, "disk", dsite, sizeof(dsite)),
					    .vif_site = site_of(l, "vif", vsite, sizeof(vsite)),
					    .no_files = l->no_files };
	int rc;

	if ((rc = get_str(l, "board", &board)))
		return rc;
	l->board = pm_board_find(board ? board : "pc");
	cfg->board_default = !board;
	if (!l->board) {
		char names[128] = "";

		for (const struct board_ops *const *b = pm_board_list(); *b; b++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 b == pm_board_list() ? "" : ", ", (*b)->name);
		return key_err(l, "board", "\"%s\" is not a board (%s)", board, names);
	}
	if (!(cfg->board = pm__strdup(l->board->name)))
		return -ENOMEM;
	if ((rc = check_keys(l)) || (rc = dup_str(l, "name", &cfg->name)) || (rc = check_name(l)) ||
	    (rc = get_uuid(l)) || (rc = dup_str(l, "type", &cfg->type)))
		return rc;
	if (!cfg->type && !(cfg->type = pm__strdup("pvh")))
		return -ENOMEM;
	if (strcmp(cfg->type, "pvh") && strcmp(cfg->type, "hvm") && strcmp(cfg->type, "pv"))
		return key_err(l, "type", "\"%s\": one of pvh, hvm, pv", cfg->type);
	cfg->memory = 128ull << 20;
	if ((rc = get_mem(l, "memory", &cfg->memory)) || (rc = get_mem(l, "maxmem", &cfg->maxmem)))
		return rc;
	if (!cfg->maxmem)
		cfg->maxmem = cfg->memory;
	if (cfg->memory > cfg->maxmem)
		return key_err(l, "maxmem", "%" PRIu64 " MiB is less than memory (%" PRIu64 " MiB)",
			       cfg->maxmem >> 20, cfg->memory >> 20);
	cfg->vcpus = 1;
	if ((rc = get_vcpus(l, "vcpus", &cfg->vcpus)) || (rc = get_vcpus(l, "maxvcpus", &cfg->maxvcpus)))
		return rc;
	if (!cfg->maxvcpus)
		cfg->maxvcpus = cfg->vcpus;
	if (cfg->vcpus > cfg->maxvcpus)
		return key_err(l, "maxvcpus", "%u is less than vcpus (%u)", cfg->maxvcpus, cfg->vcpus);
	/* as QEMU's virt machine, a board without CPU hotplug has the vCPUs it boots with */
	if (cfg->maxvcpus > cfg->vcpus && !l->board->cpu_hotplug) {
		char where[PM_CONFIG_ERR_LEN / 2];

		if (add_warning(cfg, "%s: maxvcpus: board '%s' cannot hot-plug vCPUs: the domain has vcpus (%u); ignored",
				site_of(l, "maxvcpus", where, sizeof(where)), l->board->name, cfg->vcpus))
			return -ENOMEM;
		cfg->maxvcpus = cfg->vcpus;
	}
	if ((rc = get_file(l, "kernel", &cfg->kernel)) || (rc = get_kernel_format(l)) ||
	    (rc = get_file(l, "ramdisk", &cfg->ramdisk)) ||
	    (rc = dup_str(l, "cmdline", &cfg->cmdline)) || (rc = get_str(l, "root", &root)) ||
	    (rc = get_str(l, "extra", &extra)))
		return rc;
	/* as xl: cmdline wins; else "root=ROOT EXTRA" */
	if (!cfg->cmdline && (root || extra) &&
	    pm__asprintf(&cfg->cmdline, "%s%s%s%s", root ? "root=" : "", root ? root : "",
		     root && extra ? " " : "", extra ? extra : "") < 0) {
		cfg->cmdline = NULL;
		return -ENOMEM;
	}
	cfg->on_poweroff = PM_ACTION_DESTROY;
	cfg->on_reboot = PM_ACTION_RESTART;
	cfg->on_crash = PM_ACTION_DESTROY;
	cfg->on_watchdog = PM_ACTION_DESTROY;
	cfg->on_soft_reset = PM_ACTION_SOFT_RESET;
	if ((rc = get_action(l, "on_poweroff", &cfg->on_poweroff)) ||
	    (rc = get_action(l, "on_reboot", &cfg->on_reboot)) ||
	    (rc = get_action(l, "on_crash", &cfg->on_crash)) ||
	    (rc = get_action(l, "on_watchdog", &cfg->on_watchdog)) ||
	    (rc = get_action(l, "on_soft_reset", &cfg->on_soft_reset)) || (rc = collect_board_opts(l)) ||
	    (rc = pm__config_devices(l->xlu, &dev, cfg, l->err, l->errlen)))
		return rc;
	return check_board(l);
}

/* parses @text (owned, freed here) as the file l->path, then the overrides */
static int load_text(struct loader *l, char *text, const char *const *overrides, size_t n)
{
	struct pm_domain_config *cfg = l->cfg;
	const char *path = l->path;
	char *ov = NULL, *rep = NULL;
	size_t replen;
	FILE *report = NULL;
	int rc;

	rc = override_text(l, overrides, n, &ov);
	if (rc)
		goto out;
	rc = -ENOMEM;
	report = open_memstream(&rep, &replen);
	if (!report || !(cfg->source = pm__strdup(path)))
		goto out;
	l->xlu = xlu_cfg_init(report, path);
	if (!l->xlu)
		goto out;
	rc = xlu_parse(l, text, path);
	if (!rc)
		rc = xlu_parse(l, ov, "command line");
	if (!rc)
		rc = scan_keys(l, text, false, 1);
	if (!rc)
		rc = scan_keys(l, ov, true, 1);
	/* overrides count one a line: number them */
	for (size_t i = 0, k = 0; !rc && i < l->nr_sites; i++)
		if (l->sites[i].override)
			l->sites[i].line = (unsigned int)++k;
	if (!rc)
		rc = resolve(l);
out:
	if (rc == -ENOMEM && l->errlen && !l->err[0])
		set_err(l, "%s: out of memory", path);
	/* one line, whatever a value it quotes holds (a newline from "\n", a tab) */
	for (char *p = l->err; rc && l->errlen && *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (rc)
		pm_domain_config_dispose(cfg);
	xlu_cfg_destroy(l->xlu);
	if (report)
		fclose(report);
	free(rep);
	free(l->sites);
	free(text);
	free(ov);
	return rc;
}

int pm_domain_config_load(const char *path, const char *const *overrides, size_t n,
			  struct pm_domain_config *cfg, char *err, size_t errlen)
{
	struct loader l = { .path = path, .cfg = cfg, .err = err, .errlen = errlen };
	char *text = NULL;
	int rc;

	pm_domain_config_init(cfg);
	if (errlen)
		err[0] = 0;
	rc = read_text(&l, &text);
	return rc ? rc : load_text(&l, text, overrides, n);
}

/* appends "key = VALUE\n", VALUE in xl's double quotes (its escapes) */
static int xl_line(FILE *f, const char *key, const char *v)
{
	int rc;

	fprintf(f, "%s = ", key);
	rc = pm__xl_quote(f, v);
	if (!rc && fputc('\n', f) == EOF)
		rc = -ENOMEM;
	return rc;
}

static bool is_size_key(const char *k)
{
	return !strcmp(k, "memory") || !strcmp(k, "maxmem");
}

int pm_domain_config_from_json(const char *json, const char *where, const char *const *overrides, size_t n,
			       struct pm_domain_config *cfg, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", "uuid", "type", "board", "kernel", "kernel_format", "ramdisk", "cmdline",
					    "on_poweroff", "on_reboot", "on_crash", "on_watchdog", "on_soft_reset", NULL };
	static const char *const nums[] = { "memory", "maxmem", "vcpus", "maxvcpus", NULL };
	struct loader l = { .path = where, .cfg = cfg, .err = err, .errlen = errlen, .no_files = true };
	const char *opts_path[] = { "board_opts", NULL };
	char yerr[128], *text = NULL, num[32];
	size_t len = 0;
	FILE *f;
	yajl_val root, v;
	int rc = 0;

	pm_domain_config_init(cfg);
	if (errlen)
		err[0] = 0;
	root = yajl_tree_parse(json, yerr, sizeof(yerr));
	/* yajl's report quotes the text it choked on on its next lines: the first alone, printable */
	yerr[strcspn(yerr, "\n")] = 0;
	for (char *p = yerr; *p; p++)
		if (!isprint((unsigned char)*p))
			*p = '?';
	if (!root || !YAJL_IS_OBJECT(root)) {
		set_err(&l, "%s: not a configuration (%s)", where, root ? "not an object" : yerr);
		yajl_tree_free(root);
		return -EINVAL;
	}
	f = open_memstream(&text, &len);
	if (!f) {
		yajl_tree_free(root);
		return -ENOMEM;
	}
	for (const char *const *k = strs; !rc && *k; k++) {
		const char *path[] = { *k, NULL };

		v = yajl_tree_get(root, path, yajl_t_any);
		if (!v || YAJL_IS_NULL(v))
			continue;
		if (!YAJL_IS_STRING(v) || xl_line(f, *k, YAJL_GET_STRING(v))) {
			set_err(&l, "%s: %s: not a string xl takes", where, *k);
			rc = -EINVAL;
		}
	}
	for (const char *const *k = nums; !rc && *k; k++) {
		const char *path[] = { *k, NULL };

		v = yajl_tree_get(root, path, yajl_t_any);
		if (!v || YAJL_IS_NULL(v))
			continue;
		if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) <= 0) {
			set_err(&l, "%s: %s: not a positive number", where, *k);
			rc = -EINVAL;
			break;
		}
		/* sizes are bytes in the JSON: KiB to xl, which reads a bare number as MiB */
		if (is_size_key(*k))
			snprintf(num, sizeof(num), "%lldk", YAJL_GET_INTEGER(v) / 1024);
		else
			snprintf(num, sizeof(num), "%lld", YAJL_GET_INTEGER(v));
		rc = xl_line(f, *k, num);
	}
	v = yajl_tree_get(root, opts_path, yajl_t_object);
	for (size_t i = 0; !rc && v && i < v->u.object.len; i++) {
		const char *key = v->u.object.keys[i];
		yajl_val o = v->u.object.values[i];

		if (!YAJL_IS_STRING(o) || !*key || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(key)) {
			set_err(&l, "%s: board_opts: %s: not a board key with a string", where, key);
			rc = -EINVAL;
		} else {
			rc = xl_line(f, key, YAJL_GET_STRING(o));
		}
	}
	if (!rc)
		rc = pm__config_devices_xl(root, f, where, err, errlen);
	yajl_tree_free(root);
	if (fclose(f) && !rc)
		rc = -ENOMEM;
	if (rc) {
		free(text);
		return rc;
	}
	return load_text(&l, text, overrides, n);
}

void pm_domain_config_init(struct pm_domain_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

void pm_domain_config_dispose(struct pm_domain_config *cfg)
{
	free(cfg->source);
	free(cfg->name);
	free(cfg->type);
	free(cfg->board);
	free(cfg->kernel);
	free(cfg->ramdisk);
	free(cfg->cmdline);
	for (size_t i = 0; i < cfg->nr_opts; i++) {
		free(cfg->opts[i].key);
		free(cfg->opts[i].value);
	}
	free(cfg->opts);
	for (size_t i = 0; i < cfg->nr_warnings; i++)
		free(cfg->warnings[i]);
	free(cfg->warnings);
	pm__config_devices_dispose(cfg);
	pm_domain_config_init(cfg);
}

static int gen_str(yajl_gen g, const char *key, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
	if (!v)
		return yajl_gen_null(g);
	return yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

static int gen_num(yajl_gen g, const char *key, uint64_t v)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
	return yajl_gen_integer(g, (long long)v);
}

long pm_domain_config_json(const struct pm_domain_config *cfg, char **out)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	long r;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_map_open(g);
	gen_str(g, "source", cfg->source);
	gen_str(g, "name", cfg->name);
	if (cfg->uuid[0])
		gen_str(g, "uuid", cfg->uuid);
	gen_str(g, "type", cfg->type);
	gen_str(g, "board", cfg->board_default ? NULL : cfg->board);   /* null: the default's, as no key */
	gen_num(g, "memory", cfg->memory);
	gen_num(g, "maxmem", cfg->maxmem);
	gen_num(g, "vcpus", cfg->vcpus);
	gen_num(g, "maxvcpus", cfg->maxvcpus);
	gen_str(g, "kernel", cfg->kernel);
	if (cfg->kernel_raw)
		gen_str(g, "kernel_format", "raw");
	gen_str(g, "ramdisk", cfg->ramdisk);
	gen_str(g, "cmdline", cfg->cmdline);
	gen_str(g, "on_poweroff", pm_action_name(cfg->on_poweroff));
	gen_str(g, "on_reboot", pm_action_name(cfg->on_reboot));
	gen_str(g, "on_crash", pm_action_name(cfg->on_crash));
	gen_str(g, "on_watchdog", pm_action_name(cfg->on_watchdog));
	gen_str(g, "on_soft_reset", pm_action_name(cfg->on_soft_reset));
	if (pm__config_devices_json(g, cfg)) {
		yajl_gen_free(g);
		return -ENOMEM;
	}
	yajl_gen_string(g, (const unsigned char *)"board_opts", 10);
	yajl_gen_map_open(g);
	for (size_t i = 0; i < cfg->nr_opts; i++)
		gen_str(g, cfg->opts[i].key, cfg->opts[i].value);
	yajl_gen_map_close(g);
	yajl_gen_string(g, (const unsigned char *)"warnings", 8);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < cfg->nr_warnings; i++)
		yajl_gen_string(g, (const unsigned char *)cfg->warnings[i], strlen(cfg->warnings[i]));
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	r = pm__json_take(g, out);
	yajl_gen_free(g);
	return r;
}

/* ---- settings files of the project's programs (physmap-sim's sim.conf) ---- */

int pm_settings_read(const char *path, const char *const *keys, char **values, unsigned int *lines, char *err,
		     size_t errlen)
{
	struct loader l = { .path = path, .err = err, .errlen = errlen };
	char *text = NULL;
	size_t n = 0;
	int rc;

	while (keys[n]) {
		if (lines)
			lines[n] = 0;
		values[n++] = NULL;
	}
	if (errlen)
		err[0] = 0;
	l.xlu = xlu_cfg_init(stderr, path);
	if (!l.xlu)
		return -ENOMEM;
	rc = read_text(&l, &text);
	if (!rc)
		rc = xlu_parse(&l, text, path);
	if (!rc)
		rc = scan_keys(&l, text, false, 1);
	for (size_t i = 0; !rc && i < l.nr_sites; i++) {
		const char *key = l.sites[i].key, *best = NULL;
		size_t k, bestd = strlen(key) > 4 ? 3 : 2;

		for (k = 0; keys[k] && strcmp(keys[k], key); k++) {
			size_t d = pm__edit_distance(key, keys[k]);

			if (d < bestd) {
				bestd = d;
				best = keys[k];
			}
		}
		if (keys[k]) {
			if (lines)
				lines[k] = l.sites[i].line;   /* the last setting wins, as in xl.cfg */
			continue;
		}
		if (best)
			set_err(&l, "%s:%u: %s: unknown key (did you mean '%s'?)", path, l.sites[i].line, key, best);
		else
			set_err(&l, "%s:%u: %s: unknown key", path, l.sites[i].line, key);
		rc = -EINVAL;
	}
	for (size_t k = 0; !rc && keys[k]; k++) {
		const char *v;

		if (xlu_cfg_get_string(l.xlu, keys[k], &v, 1))
			continue;
		values[k] = strdup(v);
		if (!values[k])
			rc = -ENOMEM;
	}
	if (rc)
		for (size_t k = 0; keys[k]; k++) {
			free(values[k]);
			values[k] = NULL;
		}
	free(text);
	free(l.sites);
	xlu_cfg_destroy(l.xlu);
	return rc;
}
