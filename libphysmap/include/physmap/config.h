/*
 * physmap/config.h - a domain's configuration from an xl.cfg file
 *
 * The file is parsed by libxlutil, Xen's own parser, so its syntax is xl's
 * exactly; `key=value` overrides (from a command line) are parsed after it
 * and win. Every key is accounted for:
 *   - physmap's keys (name, type, board, memory, maxmem, vcpus, maxvcpus,
 *     kernel, ramdisk, cmdline, root, extra, on_poweroff, on_reboot,
 *     on_crash, on_watchdog, on_soft_reset, uuid, disk, vif) and the chosen board's keys are checked and used;
 *     disk= in xl's full syntax (xl-disk-configuration(5), libxlutil's own
 *     parser), vif= as xl reads it (xl-network-configuration(5));
 *   - an xl key physmap does not implement (vfb, pci, ...) is a warning and
 *     is ignored, so existing xl.cfg files still work;
 *   - anything else is an error, with a did-you-mean suggestion.
 * Messages name where: "guest.cfg:3: memroy: unknown key (did you mean
 * 'memory'?)"; overrides are "command line:N" (N counts the overrides).
 */
#ifndef PHYSMAP_CONFIG_H
#define PHYSMAP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/** A disk image's format (xl's format=); physmap serves raw (and an empty cdrom). */
enum pm_disk_format {
	PM_DISK_FORMAT_RAW,
	PM_DISK_FORMAT_QCOW,
	PM_DISK_FORMAT_QCOW2,
	PM_DISK_FORMAT_VHD,
	PM_DISK_FORMAT_QED,
	PM_DISK_FORMAT_EMPTY,
};

/** Who serves a disk (xl's backendtype=): the kernel's blkback is phy. */
enum pm_disk_backend {
	PM_DISK_BACKEND_AUTO,         /* not given: phy for what physmap serves */
	PM_DISK_BACKEND_PHY,
	PM_DISK_BACKEND_TAP,
	PM_DISK_BACKEND_QDISK,
	PM_DISK_BACKEND_STANDALONE,
};

/** One disk= entry. Strings are owned (NULL when absent). */
struct pm_disk {
	char *target;                 /* image file or block device; NULL: an empty cdrom */
	char *vdev;                   /* as given: xvda, hdc, sdb3, d0p1, 51712 */
	uint32_t devid;               /* the store's number for vdev (pm_vdev_number) */
	enum pm_disk_format format;
	enum pm_disk_backend backend;
	char *backend_domain;         /* backend=; NULL: dom0 */
	char *script;                 /* script=; NULL: the default (block) */
	bool readwrite;
	bool cdrom;                   /* devtype=cdrom */
	bool direct_io_safe;
	int discard;                  /* -1: not said (on), 0: no-discard, 1: discard */
};

/** A vif's type= (xl's vif or ioemu), or none given. */
enum pm_nic_type {
	PM_NIC_TYPE_DEFAULT,
	PM_NIC_TYPE_VIF,
	PM_NIC_TYPE_IOEMU,            /* an emulated NIC beside the PV one (HVM) */
};

/** One vif= entry. Strings are owned (NULL when absent). */
struct pm_nic {
	uint32_t devid;               /* its place in the list: 0, 1, ... */
	uint8_t mac[6];
	bool mac_set;                 /* mac= given, or generated when the domain was made */
	char *bridge;                 /* NULL: xenbr0 */
	char *ip;
	char *model;
	char *vifname;                /* the backend interface's name; default vifDOMID.DEVID */
	char *script;                 /* default vif-bridge */
	char *backend_domain;         /* NULL: dom0 */
	char *gatewaydev;
	char *rate;                   /* as given; parsed below (0: no limit) */
	uint64_t rate_bytes_per_interval;
	uint32_t rate_interval_usecs;
	unsigned int mtu;             /* 0: not given (1500) */
	enum pm_nic_type type;
};

/**
 * struct pm_domain_config - a resolved configuration
 * Strings are owned by the struct (NULL when absent); sizes are bytes.
 */
struct pm_domain_config {
	char *source;            /* the file's path as given */
	char *name;
	char uuid[37];           /* xl's uuid= (lower case), or "": one is made at creation */
	char *type;              /* "pvh" (default), "hvm", or "pv" (xen: libxenguest builds it, no board) */
	char *board;             /* "pc" (default), "q35", "virt" */
	bool board_default;      /* no board key: the default's; on Xen a PVH domain of it has no
				  * emulated devices (no physmap-dm), as xl's */
	uint64_t memory;         /* default 128 MiB, as xl */
	uint64_t maxmem;         /* default: memory */
	unsigned int vcpus;      /* default 1 */
	unsigned int maxvcpus;   /* default: vcpus */
	char *kernel;            /* a regular file, not empty, at most 1 GiB and the guest's memory */
	bool kernel_raw;         /* kernel_format="raw": placed as it is (else an ELF file, bzImage or arm64 Image) */
	char *ramdisk;
	char *cmdline;           /* cmdline, else "root=ROOT EXTRA" as xl builds it */
	enum pm_action on_poweroff, on_reboot, on_crash;   /* defaults: destroy, restart, destroy */
	enum pm_action on_watchdog, on_soft_reset;         /* defaults: destroy, soft-reset */
	struct pm_disk *disks;        /* disk=, in order given */
	size_t nr_disks;
	struct pm_nic *nics;          /* vif=, in order given */
	size_t nr_nics;
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
 * PM_DOMAIN_NAME_MAX - the longest name a domain may be given: the
 * backends' 63 bytes, less the 14 of "--migratedaway" that a localhost
 * migration appends to its source's name while it runs
 */
#define PM_DOMAIN_NAME_MAX 49

/**
 * pm_domain_name_check - may a domain be called @name? 1 to
 *   PM_DOMAIN_NAME_MAX letters, digits, '_', '.' and '-'; not starting with
 *   '-' (it would read as an option), not "." or ".." (it names console
 *   files), not all digits (it would read as a domain id)
 * @why: what is wrong, one phrase, when it may not
 * returns: 0; -EINVAL
 */
int pm_domain_name_check(const char *name, char *why, size_t len);

/**
 * pm_settings_read - a settings file of one of the project's programs (the
 * simulator's sim.conf), in xl.cfg's syntax and read by libxlutil's parser
 * like a domain's config: every key must be one of @keys (NULL-ended)
 * @values: receives, for each of @keys, its value as a string (malloc'd; the
 *   caller frees them) or NULL where the file does not set it
 * @lines: if not NULL, receives for each of @keys the line that set it (0: none)
 * @err: receives one line on failure: "FILE:LINE: KEY: unknown key (did you
 *   mean 'K'?)", libxlutil's syntax error, or why the file cannot be read
 * returns: 0; -ENOENT (no such file); -EINVAL (syntax, an unknown key, a
 *   list where a string belongs); -ENOMEM; -errno
 */
int pm_settings_read(const char *path, const char *const *keys, char **values, unsigned int *lines, char *err,
		     size_t errlen);

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

/*
 * struct pm_config_key - one key of xl.cfg(5) (Xen 4.17) and what physmap
 * does with it (docs/xl-cfg-keys.md is printed from these tables)
 * @why: a key physmap ignores: why (the words of the warning it gives)
 * @sim: a key it honours: what the simulator does with it
 * @xen: what the xen backend does with it; NULL: as @sim
 */
struct pm_config_key {
	const char *key, *why, *sim, *xen;
};

/** pm_config_keys_honoured / _ignored - the tables (static), ending with a NULL key */
const struct pm_config_key *pm_config_keys_honoured(void);
const struct pm_config_key *pm_config_keys_ignored(void);

/**
 * pm_uuid_parse - @s as a UUID in xl's form
 * ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", hex digits of either case)
 * @bytes: receives its 16 bytes; NULL only checks
 * returns: 0; -EINVAL
 */
int pm_uuid_parse(const char *s, uint8_t bytes[16]);

/** pm_uuid_generate - a random (version 4) UUID in xl's form, lower case, into @out. returns: 0; -errno */
int pm_uuid_generate(char out[37]);

/**
 * pm_vdev_number - the store's number for a disk's vdev, as
 * docs/misc/vbd-interface.txt in Xen's tree encodes it: xvda 51712
 * (202 << 8), xvdq and on (1 << 28 | disk << 8 | part), sdb3, hdc2, d1p2,
 * or a number itself (decimal, hex or octal)
 * returns: 0 (*devid set); -EINVAL, if vdev names no disk or is out of range
 */
int pm_vdev_number(const char *vdev, uint32_t *devid);

/**
 * pm_mac_parse - "00:16:3e:01:02:03" (or '-' between the bytes) into mac
 * returns: 0; -EINVAL, if s is not six hex bytes or is a group address
 */
int pm_mac_parse(const char *s, uint8_t mac[6]);

/** pm_disk_format_name - "raw", "qcow2", ... (libxl's names); NULL if unknown */
const char *pm_disk_format_name(enum pm_disk_format f);

/**
 * pm_disk_spec, pm_nic_spec - the entry in xl's syntax, all keys named
 * ("format=raw, vdev=xvda, access=rw, target=/img"), as xl reads it back
 * returns: a malloc'ed string (the caller frees it); NULL, out of memory
 */
char *pm_disk_spec(const struct pm_disk *d);
char *pm_nic_spec(const struct pm_nic *n);

/**
 * pm_domain_config_json - the configuration as a JSON object (what
 * `pxl create -n` prints): sizes as numbers of bytes, board keys as an
 * object, warnings as an array of strings, "disks" and "nics" as libxl's
 * libxl_device_disk and libxl_device_nic objects (xl -N's field names)
 * returns: its length, *out malloc'ed and NUL-terminated; -ENOMEM
 */
long pm_domain_config_json(const struct pm_domain_config *cfg, char **out);

#ifdef __cplusplus
}
#endif

#endif
