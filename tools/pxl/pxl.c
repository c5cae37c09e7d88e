/*
 * pxl.c - physmap's command line: global options, the plugin loader, and
 * the dispatcher that gives every subcommand its option parsing, help and
 * completion from its option table
 *
 * Exit status: 0 success, 1 failure (one line on stderr), 2 usage error.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/board.h"
#include "opts.h"
#include "physmap/config.h"
#include "pxl-plugin.h"

#ifndef PXL_PLUGINDIR
#define PXL_PLUGINDIR "/usr/local/lib/physmap/plugins"
#endif

struct registry {
	const struct pxl_cmd **cmds;
	size_t n;
	void **handles;
	size_t nh;
};

/*
 * a function of libphysmap, as the plugins loaded it: pxl itself does not
 * link the library (a program of the build tree stays a program, not a
 * libtool wrapper, and keeps the name it was run by); NULL without plugins
 */
static void *lib_fn(const struct registry *r, const char *name)
{
	for (size_t i = 0; i < r->nh; i++) {
		void *f = dlsym(r->handles[i], name);

		if (f)
			return f;
	}
	return NULL;
}

typedef const struct pm_config_key *(*keys_fn)(void);
typedef const struct board_ops *const *(*boards_fn)(void);

/* the key tables: honoured, ignored; false without the library */
static bool key_tables(const struct registry *r, const struct pm_config_key *t[2])
{
	keys_fn h = (keys_fn)lib_fn(r, "pm_config_keys_honoured"), i = (keys_fn)lib_fn(r, "pm_config_keys_ignored");

	if (!h || !i)
		return false;
	t[0] = h();
	t[1] = i();
	return true;
}

static const struct pm_opt global_opts[] = {
	{ "connect", required_argument, 'c', "sim|xen",
	  "the hypervisor backend (default $PHYSMAP_CONNECT, else sim)" },
	{ "version", no_argument, 'V', NULL, "print the version" },
	{ "help", no_argument, 'h', NULL, "show this help" },
};
#define NR_GLOBAL (sizeof(global_opts) / sizeof(global_opts[0]))

static const struct pm_opt help_opt = { "help", no_argument, 'h', NULL, "show this command's help" };

static int add_cmd(struct registry *r, const struct pxl_cmd *c)
{
	const struct pxl_cmd **n;

	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->cmds[i]->name, c->name))
			return 0;   /* an earlier directory's plugin wins */
	n = realloc(r->cmds, (r->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->cmds = n;
	r->cmds[r->n++] = c;
	return 0;
}

static int sort_by_name(const void *a, const void *b)
{
	return strcmp((*(const struct pxl_cmd *const *)a)->name,
		      (*(const struct pxl_cmd *const *)b)->name);
}

/* loads the plugin at @path into @r; its descriptor, or NULL (said why) */
static const struct pxl_plugin *load_file(struct registry *r, const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	const struct pxl_plugin *p;
	void **nh;

	if (!h) {
		fprintf(stderr, "pxl: plugin %s: %s; skipped\n", path, dlerror());
		return NULL;
	}
	p = dlsym(h, "pxl_plugin");
	if (!p || p->abi != PXL_ABI_VERSION || !p->cmds) {
		if (!p)
			fprintf(stderr, "pxl: plugin %s: no pxl_plugin descriptor; skipped\n", path);
		else
			fprintf(stderr, "pxl: plugin %s: ABI version %u, pxl speaks %d; skipped\n", path,
				p->abi, PXL_ABI_VERSION);
		dlclose(h);
		return NULL;
	}
	nh = realloc(r->handles, (r->nh + 1) * sizeof(*nh));
	if (!nh) {
		dlclose(h);
		return NULL;
	}
	r->handles = nh;
	r->handles[r->nh++] = h;
	for (const struct pxl_cmd *const *c = p->cmds; *c; c++)
		if ((*c)->nr_opts >= PXL_MAX_OPTS)
			fprintf(stderr, "pxl: plugin %s: %s has too many options; skipped\n", path,
				(*c)->name);
		else
			add_cmd(r, *c);
	return p;
}

/* loads @dir's plugins in name order; with @index, prints "COMMAND FILE" for each of their commands */
static void load_dir(struct registry *r, const char *dir, FILE *index)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		const struct pxl_plugin *p;
		char *path;

		if (len > 3 && !strcmp(names[i]->d_name + len - 3, ".so") &&
		    asprintf(&path, "%s/%s", dir, names[i]->d_name) >= 0) {
			p = load_file(r, path);
			for (const struct pxl_cmd *const *c = p && index ? p->cmds : NULL; c && *c; c++)
				fprintf(index, "%s %s\n", (*c)->name, names[i]->d_name);
			free(path);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

/* calls @fn on each plugin directory in order: $PXL_PLUGIN_PATH's, then PXL_PLUGINDIR; stops at true */
static void each_dir(bool (*fn)(struct registry *, const char *, const char *), struct registry *r,
		     const char *name)
{
	const char *env = getenv("PXL_PLUGIN_PATH");
	char *copy = env ? strdup(env) : NULL, *save = NULL;
	bool done = false;

	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && !done; d = strtok_r(NULL, ":", &save))
		done = fn(r, d, name);
	free(copy);
	if (!done)
		fn(r, PXL_PLUGINDIR, name);
}

static bool load_all_of(struct registry *r, const char *dir, const char *name)
{
	(void)name;
	load_dir(r, dir, NULL);
	return false;
}

/* every plugin, commands in name order (an earlier directory's wins a name) */
static void load_plugins(struct registry *r)
{
	r->n = 0;   /* what one plugin brought is brought again, in its place */
	each_dir(load_all_of, r, NULL);
	if (r->n)
		qsort(r->cmds, r->n, sizeof(*r->cmds), sort_by_name);
}

static bool has_cmd(const struct registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->cmds[i]->name, name))
			return true;
	return false;
}

/*
 * @dir's plugin for command @name, by the directory's index (INDEX_FILE:
 * "COMMAND FILE" lines, as `pxl plugin-index DIR` writes them at build
 * time), else all of @dir's plugins; true once @name is there
 */
#define INDEX_FILE "pxl-commands"

static bool load_for_in(struct registry *r, const char *dir, const char *name)
{
	char *path = NULL, line[256], cmd[128], file[128];
	FILE *f = asprintf(&path, "%s/%s", dir, INDEX_FILE) >= 0 ? fopen(path, "re") : NULL;

	free(path);
	if (!f) {
		load_dir(r, dir, NULL);
		return has_cmd(r, name);
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %127s", cmd, file) == 2 && !strcmp(cmd, name) && !strchr(file, '/') &&
		    asprintf(&path, "%s/%s", dir, file) >= 0) {
			load_file(r, path);
			free(path);
			break;
		}
	fclose(f);
	return has_cmd(r, name);
}

/*
 * the plugins command @name needs: the one the indexes name (loading one
 * plugin, not all, is half of pxl's start here, two thirds of it in a TCG
 * dom0), else every plugin (a prefix of a name, a plugin no index knows)
 */
static void load_for(struct registry *r, const char *name)
{
	each_dir(load_for_in, r, name);
	if (!has_cmd(r, name))
		load_plugins(r);
}

/*
 * The handles stay open: the process ends next, and closing them unmaps
 * libphysmap and every library it brought, one munmap each, which cost
 * 200 ms of a `pxl create` in a TCG dom0.
 */
static void registry_dispose(struct registry *r)
{
	free(r->cmds);
	free(r->handles);
}

/* exact name, else the one command the prefix starts; NULL with a message */
/* more than one command starts with @name (find_cmd said so) */
static bool ambiguous(const struct registry *r, const char *name)
{
	size_t len = strlen(name), hits = 0;

	for (size_t i = 0; i < r->n; i++)
		hits += !strncmp(r->cmds[i]->name, name, len);
	return hits > 1;
}

static const struct pxl_cmd *find_cmd(const struct registry *r, const char *name)
{
	const struct pxl_cmd *hit = NULL;
	size_t hits = 0, len = strlen(name);

	for (size_t i = 0; i < r->n; i++) {
		if (!strcmp(r->cmds[i]->name, name))
			return r->cmds[i];
		if (!strncmp(r->cmds[i]->name, name, len)) {
			hit = r->cmds[i];
			hits++;
		}
	}
	if (hits == 1)
		return hit;
	if (!hits) {
		fprintf(stderr, "pxl: '%s' is not a command (pxl help lists them)\n", name);
		return NULL;
	}
	fprintf(stderr, "pxl: '%s' is ambiguous:", name);
	for (size_t i = 0; i < r->n; i++)
		if (!strncmp(r->cmds[i]->name, name, len))
			fprintf(stderr, " %s", r->cmds[i]->name);
	fprintf(stderr, "\n");
	return NULL;
}

/* the command's table with -h/--help appended; the caller frees */
static struct pm_opt *cmd_opts(const struct pxl_cmd *c)
{
	struct pm_opt *o = calloc(c->nr_opts + 1, sizeof(*o));

	if (!o)
		return NULL;
	if (c->nr_opts)
		memcpy(o, c->opts, c->nr_opts * sizeof(*o));
	o[c->nr_opts] = help_opt;
	return o;
}

static void cmd_help(FILE *f, const struct pxl_cmd *c)
{
	struct pm_opt *o = cmd_opts(c);
	char prog[64], syn[256];

	if (!o)
		return;
	snprintf(prog, sizeof(prog), "pxl %s", c->name);
	snprintf(syn, sizeof(syn), "[options]%s%s", c->synopsis ? " " : "",
		 c->synopsis ? c->synopsis : "");
	pm_usage(f, prog, syn, o, c->nr_opts + 1);
	fprintf(f, "\n%s\n", c->summary);
	free(o);
}

/* xl's commands in the order xl help lists them (xl_cmdtable.c of Xen 4.17) */
static const char *const xl_order[] = {
	"create", "config-update", "list", "destroy", "shutdown", "reboot", "pci-attach", "pci-detach",
	"pci-list", "pci-assignable-add", "pci-assignable-remove", "pci-assignable-list", "pause", "unpause",
	"console", "vncviewer", "save", "migrate", "restore", "migrate-receive", "dump-core", "cd-insert",
	"cd-eject", "mem-max", "mem-set", "button-press", "vcpu-list", "vcpu-pin", "vcpu-set", "vm-list",
	"info", "sharing", "sched-credit", "sched-credit2", "sched-rtds", "domid", "domname", "rename", "trigger",
	"sysrq", "debug-keys", "set-parameters", "dmesg", "top", "network-attach", "network-list",
	"network-detach", "channel-list", "block-attach", "block-list", "block-detach", "vtpm-attach",
	"vtpm-list", "vtpm-detach", "vkb-attach", "vkb-list", "vkb-detach", "vdispl-attach", "vdispl-list",
	"vdispl-detach", "vsnd-attach", "vsnd-list", "vsnd-detach", "uptime", "claims", "cpupool-create",
	"cpupool-list", "cpupool-destroy", "cpupool-rename", "cpupool-cpu-add", "cpupool-cpu-remove",
	"cpupool-migrate", "cpupool-numa-split", "getenforce", "setenforce", "loadpolicy", "remus", "devd",
	"usbctrl-attach", "usbctrl-detach", "usbdev-attach", "usbdev-detach", "usb-list",
	"qemu-monitor-command", NULL,
};

static bool is_xl_command(const char *name)
{
	for (const char *const *x = xl_order; *x; x++)
		if (!strcmp(*x, name))
			return true;
	return false;
}

/* xl's commands as xl help orders them, then physmap's own */
static void global_help(FILE *f, const struct registry *r)
{
	int w = 14;   /* the longest command's name, for one column */

	for (size_t i = 0; i < r->n; i++)
		if ((int)strlen(r->cmds[i]->name) > w)
			w = (int)strlen(r->cmds[i]->name);
	pm_usage(f, "pxl", "[options] COMMAND [ARGS]", global_opts, NR_GLOBAL);
	fprintf(f, "\nxl's commands, in xl's order:\n");
	for (const char *const *x = xl_order; *x; x++)
		for (size_t i = 0; i < r->n; i++)
			if (!strcmp(r->cmds[i]->name, *x))
				fprintf(f, "  %-*s %s\n", w, r->cmds[i]->name, r->cmds[i]->summary);
	fprintf(f, "\nphysmap's own:\n");
	fprintf(f, "  %-*s %s\n", w, "help", "this list, or one command's help (pxl help COMMAND)");
	fprintf(f, "  %-*s %s\n", w, "completion", "a bash completion script for pxl");
	fprintf(f, "  %-*s %s\n", w, "man", "the generated parts of pxl(1) and pxl.cfg(5): man commands|options|keys");
	fprintf(f, "  %-*s %s\n", w, "plugin-index",
		"a plugin directory's commands, as its pxl-commands file lists them: plugin-index DIR");
	for (size_t i = 0; i < r->n; i++)
		if (!is_xl_command(r->cmds[i]->name))
			fprintf(f, "  %-*s %s\n", w, r->cmds[i]->name, r->cmds[i]->summary);
	fprintf(f, "\nA unique prefix of a command is enough.\n");
}

/*
 * what a synopsis word wants at its place: d a domain, f a file, k an
 * xl.cfg KEY=VALUE, - nothing we can list; with a '*' after it if it repeats
 */
static size_t synopsis_kinds(const char *syn, char *out, size_t len)
{
	size_t n = 0;

	while (syn && *syn && n + 2 < len) {
		const char *w = syn + strspn(syn, " "), *e = w;
		char word[64];
		int depth = 0;

		if (!*w)
			break;
		/* a word, brackets kept whole: "[-a | DOMAIN]" is one */
		while (*e && (depth || *e != ' ')) {
			depth += *e == '[';
			depth -= *e == ']' && depth;
			e++;
		}
		snprintf(word, sizeof(word), "%.*s", (int)(e - w), w);
		out[n++] = strstr(word, "KEY=") ? 'k' : strstr(word, "DOMAIN") || strstr(word, "DOMID") ? 'd' :
			   strstr(word, "FILE") || strstr(word, "CONFIG") ? 'f' : '-';
		if (strstr(word, "..."))
			out[n++] = '*';
		syn = e;
	}
	out[n] = 0;
	return n;
}

/*
 * bash completion from the tables: commands, each command's options, and
 * its arguments as its synopsis names them: domains (asked of a running
 * backend only: PHYSMAP_NO_START, so completing never starts a
 * simulator, and says nothing where there is none), files, and xl.cfg's
 * keys for create's KEY=VALUE
 */
static void completion(const struct registry *r)
{
	const struct pm_config_key *tables[2];
	bool keys = key_tables(r, tables);

	printf("# bash completion for pxl, generated from its option tables\n"
	       "_pxl_domains() { PHYSMAP_NO_START=1 command pxl list 2>/dev/null | awk 'NR > 1 { print $1 }'; }\n"
	       "_pxl_keys='");
	for (size_t t = 0; keys && t < 2; t++)
		for (const struct pm_config_key *k = tables[t]; k->key; k++)
			printf("%s%s=", t || k != tables[0] ? " " : "", k->key);
	printf("'\n"
	       "# $1: a letter a position of the arguments (d domain, f file, k KEY=, - none; * repeats the last)\n"
	       "_pxl_args() {\n"
	       "\tlocal kinds=$1 n=0 i k\n"
	       "\tfor ((i = $2 + 1; i < COMP_CWORD; i++)); do [[ ${COMP_WORDS[i]} == -* ]] || n=$((n + 1)); done\n"
	       "\tk=${kinds:n:1}\n"
	       "\tif [[ $k == '*' || ( -z $k && ${kinds: -1} == '*' ) ]]; then k=${kinds: -2:1}; fi\n"
	       "\tcase $k in\n"
	       "\td) COMPREPLY+=($(compgen -W \"$(_pxl_domains)\" -- \"$cur\")) ;;\n"
	       "\tf) COMPREPLY+=($(compgen -f -- \"$cur\")) ;;\n"
	       "\tk) COMPREPLY+=($(compgen -W \"$_pxl_keys\" -- \"$cur\")); compopt -o nospace 2>/dev/null ;;\n"
	       "\tesac\n"
	       "}\n"
	       "_pxl() {\n"
	       "\tlocal cur=${COMP_WORDS[COMP_CWORD]} cmd= at=0\n"
	       "\tlocal i\n"
	       "\tCOMPREPLY=()\n"
	       "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	       "\t\tcase ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; at=$i; break ;; esac\n"
	       "\tdone\n"
	       "\tcase $cmd in\n"
	       "\t'') COMPREPLY=($(compgen -W \"help completion man plugin-index");
	for (size_t i = 0; i < r->n; i++)
		printf(" %s", r->cmds[i]->name);
	printf(" --connect --version --help\" -- \"$cur\")) ;;\n");
	for (size_t i = 0; i < r->n; i++) {
		char kinds[32];

		synopsis_kinds(r->cmds[i]->synopsis, kinds, sizeof(kinds));
		printf("\t%s) if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"--help", r->cmds[i]->name);
		for (size_t k = 0; k < r->cmds[i]->nr_opts; k++)
			printf(" --%s", r->cmds[i]->opts[k].name);
		printf("\" -- \"$cur\")); else _pxl_args '%s' $at; fi ;;\n", kinds);
	}
	printf("\tesac\n}\ncomplete -F _pxl pxl\n");
}

/* one command as a manual page's subsection: its synopsis, what it does, its options */
static void man_cmd(const struct pxl_cmd *c)
{
	printf(".SS %s\n.B pxl ", c->name);
	pm_man_text(stdout, c->name);
	printf("\n[\\fIoptions\\fR]");
	if (c->synopsis) {
		fputc(' ', stdout);
		pm_man_text(stdout, c->synopsis);
	}
	printf("\n.PP\n");
	pm_man_text(stdout, c->summary);
	printf(".\n");
	if (c->nr_opts) {
		printf(".RS\n");
		pm_man_options(stdout, c->opts, c->nr_opts);
		printf(".RE\n");
	}
}

/*
 * the generated parts of the manual pages (make puts them into the
 * templates in docs/man): "commands" pxl(1)'s COMMANDS, xl's first; "options" its
 * global options; "keys" pxl.cfg(5)'s keys, what each backend does
 */
static int man(const struct registry *r, const char *what)
{
	if (what && !strcmp(what, "commands")) {
		for (const char *const *x = xl_order; *x; x++)
			for (size_t i = 0; i < r->n; i++)
				if (!strcmp(r->cmds[i]->name, *x))
					man_cmd(r->cmds[i]);
		for (size_t i = 0; i < r->n; i++)
			if (!is_xl_command(r->cmds[i]->name))
				man_cmd(r->cmds[i]);
		return PXL_OK;
	}
	if (what && !strcmp(what, "options")) {
		pm_man_options(stdout, global_opts, NR_GLOBAL);
		return PXL_OK;
	}
	if (what && !strcmp(what, "keys")) {
		const struct pm_config_key *t[2];
		boards_fn boards = (boards_fn)lib_fn(r, "pm_board_list");

		if (!key_tables(r, t) || !boards) {
			fprintf(stderr, "pxl man keys: no plugin loaded the library\n");
			return PXL_FAIL;
		}
		printf(".SS Keys pxl honours\n");
		for (const struct pm_config_key *k = t[0]; k->key; k++) {
			printf(".TP\n.B ");
			pm_man_text(stdout, k->key);
			printf("\n");
			if (k->why && *k->why) {
				pm_man_text(stdout, k->why);
				printf(".\n.br\n");
			}
			printf("On the simulator: ");
			pm_man_text(stdout, k->sim ? k->sim : "as xl");
			printf(".\n.br\nOn Xen: ");
			pm_man_text(stdout, k->xen ? k->xen : "as xl");
			printf(".\n");
		}
		printf(".SS Keys of the boards\n"
		       "physmap's own, for the board the configuration chooses (\\fBboard\\fR); a key of\n"
		       "another board is an error, unless xl.cfg has it (then a warning).\n");
		for (const struct board_ops *const *b = boards(); *b; b++)
			for (const struct pm_board_key *k = (*b)->keys; k && k->name; k++) {
				printf(".TP\n.B ");
				pm_man_text(stdout, k->name);
				printf("\n(board \\fB");
				pm_man_text(stdout, (*b)->name);
				printf("\\fR, %s) ", k->type);
				pm_man_text(stdout, k->help);
				printf("\n");
			}
		printf(".SS Keys pxl accepts and ignores\n");
		for (const struct pm_config_key *k = t[1]; k->key; k++) {
			printf(".TP\n.B ");
			pm_man_text(stdout, k->key);
			printf("\n");
			pm_man_text(stdout, k->why ? k->why : "ignored");
			printf(".\n");
		}
		return PXL_OK;
	}
	fprintf(stderr, "pxl man: expected commands, options or keys\n");
	return PXL_USAGE;
}

static int run_cmd(const struct pxl_cmd *c, int argc, char **argv)
{
	struct pxl_args a = { 0 };
	struct pm_getopt g = { 0 };
	struct pm_opt *o = cmd_opts(c);
	char prog[64];
	int opt, rc = PXL_USAGE;

	snprintf(prog, sizeof(prog), "pxl %s", c->name);
	a.prog = prog;
	if (!o || pm_getopt_init(&g, o, c->nr_opts + 1)) {
		fprintf(stderr, "%s: out of memory\n", prog);
		rc = PXL_FAIL;
		goto out;
	}
	argv[0] = prog;   /* getopt's own messages name the command */
	optind = 0;       /* GNU: start over, from argv[1] */
	while ((opt = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1) {
		size_t i;

		if (opt == '?')
			goto out;   /* getopt said what */
		if (opt == 'h') {
			cmd_help(stdout, c);
			rc = PXL_OK;
			goto out;
		}
		for (i = 0; i < c->nr_opts && c->opts[i].val != opt; i++)
			;
		if (i < c->nr_opts)
			a.opt[i] = optarg ? optarg : "";
	}
	a.argc = argc - optind;
	a.argv = argv + optind;
	if (a.argc < c->min_args || (c->max_args >= 0 && a.argc > c->max_args)) {
		fprintf(stderr, "%s: expected %s (pxl help %s)\n", prog,
			c->synopsis ? c->synopsis : "no arguments", c->name);
		goto out;
	}
	rc = c->run(&a);
out:
	pm_getopt_dispose(&g);
	free(o);
	return rc;
}

int main(int argc, char **argv)
{
	struct registry r = { 0 };
	struct pm_getopt g = { 0 };
	const struct pxl_cmd *c;
	int opt, rc = PXL_USAGE;

	if (pm_getopt_init(&g, global_opts, NR_GLOBAL)) {
		fprintf(stderr, "pxl: out of memory\n");
		return PXL_FAIL;
	}
	/* "+": stop at the command; what follows is the command's */
	memmove(g.shorts + 1, g.shorts, strlen(g.shorts) + 1);
	g.shorts[0] = '+';
	while ((opt = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (strcmp(optarg, "sim") && strcmp(optarg, "xen")) {
				fprintf(stderr, "pxl: --connect %s: expected sim or xen\n", optarg);
				goto out;
			}
			setenv("PHYSMAP_CONNECT", optarg, 1);
			break;
		case 'V':
			printf("pxl %s\n", PACKAGE_VERSION);
			rc = PXL_OK;
			goto out;
		case 'h':
			load_plugins(&r);
			global_help(stdout, &r);
			rc = PXL_OK;
			goto out;
		default:
			goto out;
		}
	}
	if (optind >= argc) {
		load_plugins(&r);
		global_help(stderr, &r);
		goto out;
	}
	if (!strcmp(argv[optind], "plugin-index")) {
		if (optind + 2 != argc) {
			fprintf(stderr, "pxl: plugin-index DIR: the directory whose plugins to index\n");
			goto out;
		}
		load_dir(&r, argv[optind + 1], stdout);
		rc = fflush(stdout) ? PXL_FAIL : PXL_OK;
		goto out;
	}
	if (strcmp(argv[optind], "help") && strcmp(argv[optind], "man") && strcmp(argv[optind], "completion"))
		load_for(&r, argv[optind]);
	else
		load_plugins(&r);
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 >= argc) {
			global_help(stdout, &r);
			rc = PXL_OK;
		} else if ((c = find_cmd(&r, argv[optind + 1]))) {
			cmd_help(stdout, c);
			rc = PXL_OK;
		}
		goto out;
	}
	if (!strcmp(argv[optind], "man")) {
		rc = man(&r, optind + 1 < argc ? argv[optind + 1] : NULL);
		goto out;
	}
	if (!strcmp(argv[optind], "completion")) {
		completion(&r);
		rc = PXL_OK;
		goto out;
	}
	c = find_cmd(&r, argv[optind]);
	if (c)
		rc = run_cmd(c, argc - optind, argv + optind);
	else if (!ambiguous(&r, argv[optind]))
		rc = PXL_FAIL;   /* as xl's "command not implemented" */
out:
	pm_getopt_dispose(&g);
	registry_dispose(&r);
	return rc;
}
