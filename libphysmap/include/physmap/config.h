/*
 * physmap/config.h - a domain's configuration from an xl.cfg file
 *
 * The file is parsed by libxlutil, Xen's own parser, so its syntax is xl's
 * exactly; `key=value` overrides (from a command line) are parsed after it
 * and win. Every key is accounted for:
 *   - physmap's keys (name, type, board, memory, maxmem, vcpus, maxvcpus,
 *     kernel, ramdisk, cmdline, root, extra, on_poweroff, on_reboot,
 *     on_crash) and the chosen board's keys are checked and used;
 *   - an xl key physmap does not implement (disk, vif, vfb, ...) is a
 *     warning and is ignored, so existing xl.cfg files still work;
 *   - anything else is an error, with a did-you-mean suggestion.
 * Messages name where: "guest.cfg:3: memroy: unknown key (did you mean
 * 'memory'?)"; overrides are "command line:N" (N counts the overrides).
 */
#ifndef PHYSMAP_CONFIG_H
#define PHYSMAP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define PM_CONFIG_ERR_LEN 512

/** What to do when the guest powers off, reboots or crashes (xl's names). */
enum pm_action {
	PM_ACTION_DESTROY,
	PM_ACTION_RESTART,
	PM_ACTION_PRESERVE,
	PM_ACTION_RENAME_RESTART,
	PM_ACTION_COREDUMP_DESTROY,
	PM_ACTION_COREDUMP_RESTART,
	PM_ACTION_SOFT_RESET,
};

/** One board key as the file (or an override) gave it. */
struct pm_config_opt {
	char *key;
	char *value;
};

/**
 * struct pm_domain_config - a resolved configuration
 * Strings are owned by the struct (NULL when absent); sizes are bytes.
 */
struct pm_domain_config {
	char *source;            /* the file's path as given */
	char *name;
	char *type;              /* "pvh" (default), "hvm", or "pv" (xen: libxenguest builds it, no board) */
	char *board;             /* "pc" (default), "q35", "virt" */
	uint64_t memory;         /* default 128 MiB, as xl */
	uint64_t maxmem;         /* default: memory */
	unsigned int vcpus;      /* default 1 */
	unsigned int maxvcpus;   /* default: vcpus */
	char *kernel;
	char *ramdisk;
	char *cmdline;           /* cmdline, else "root=ROOT EXTRA" as xl builds it */
	enum pm_action on_poweroff, on_reboot, on_crash;
	struct pm_config_opt *opts;   /* the board's keys, in order given */
	size_t nr_opts;
	char **warnings;         /* one line each: xl keys ignored */
	size_t nr_warnings;
};

/** pm_domain_config_init - an empty configuration, safe to dispose */
void pm_domain_config_init(struct pm_domain_config *cfg);

/** pm_domain_config_dispose - free what cfg holds; idempotent */
void pm_domain_config_dispose(struct pm_domain_config *cfg);

/**
 * pm_domain_config_load - parse path, then overrides[0..n) ("key=value",
 * in xl syntax: `memory=512`, `name="a b"`, `cmdline='x'`; a bare word
 * value is taken as a string), check every key and value
 * On failure cfg is left empty (disposed) and err holds one line naming
 * file, line and key.
 * returns:
 *   0, on success (warnings in cfg->warnings)
 *   -ENOENT / -EACCES / -errno, if path cannot be read
 *   -EINVAL, for a syntax error, an unknown key, a bad value, or keys that
 *     contradict each other (memory > maxmem)
 *   -ENOMEM
 */
int pm_domain_config_load(const char *path, const char *const *overrides, size_t n,
			  struct pm_domain_config *cfg, char *err, size_t errlen);

/**
 * pm_domain_config_from_json - a configuration from the JSON
 * pm_domain_config_json wrote (a save file's), then @overrides as for
 * pm_domain_config_load; checked the same way, except that the kernel and
 * ramdisk need not exist (a restored guest is past its boot)
 * @where: names the JSON's origin in messages (the save file)
 * returns: 0; -EINVAL (with @err: not such a JSON object, or a key or
 *   value the loader refuses); -ENOMEM
 */
int pm_domain_config_from_json(const char *json, const char *where, const char *const *overrides, size_t n,
			       struct pm_domain_config *cfg, char *err, size_t errlen);

struct pm_board_layout;

/**
 * pm_domain_config_layout - the machine cfg's board makes of it
 * @layout: filled on success (dispose it with pm_board_layout_dispose);
 *     left empty on failure
 * @err: PM_BOARD_ERR_LEN bytes for the board's one-line message
 * returns: 0; -EINVAL (with @err) if the board refuses; -ENOENT if cfg names
 *   no known board; -ENOMEM
 */
int pm_domain_config_layout(const struct pm_domain_config *cfg, struct pm_board_layout *layout,
			    char *err);

/** pm_action_name - "destroy", "restart", ...; NULL for an unknown action */
const char *pm_action_name(enum pm_action a);

/**
 * pm_domain_config_json - the configuration as a JSON object (what
 * `pxl create -n` prints): sizes as numbers of bytes, board keys as an
 * object, warnings as an array of strings
 * returns: its length, *out malloc'ed and NUL-terminated; -ENOMEM
 */
long pm_domain_config_json(const struct pm_domain_config *cfg, char **out);

#endif
