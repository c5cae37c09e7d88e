/*
 * config-devices.c - the disk= and vif= lists of an xl.cfg, read as xl reads
 * them, and written back in libxl's JSON and in xl's syntax
 *
 * disk= specs go through libxlutil's xlu_disk_parse, xl's own parser
 * (xl-disk-configuration(5): positional target,format,vdev,access and
 * key=value; target= comes last and takes the rest). vif= specs are read as
 * xl's parse_nic_config reads them (xl-network-configuration(5)): comma
 * separated key=value pairs, rate= through libxlutil's xlu_vif_parse_rate.
 * What physmap cannot serve (formats other than raw, backends other than
 * phy and qdisk) is refused by name here, before anything is built.
 *
 * Glossary: vdev: the guest's name for a disk (xvda, hdc, sdb3, d0p1, or a
 * number); devid: the number the store knows it by, encoded as
 * docs/misc/vbd-interface.txt in Xen's tree says (xvda: 202 << 8 = 51712).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HAVE_YAJL_V2 1   /* what libxl_json.h's inline helpers assume */
#include <libxl.h>
#include <libxl_json.h>
#include <libxlutil.h>

#include "physmap/config.h"
#include "physmap/device.h"
#include "alloc-internal.h"
#include "config-internal.h"
#include "text-internal.h"

/* ---- vdev names and numbers ---- */

/* xvd numbers: the short form while disk and partition fit it */
static int xvd_number(uint64_t disk, uint64_t part, uint32_t *out)
{
	if (disk < 16 && part < 16)
		*out = (uint32_t)(202 << 8 | disk << 4 | part);
	else if (disk < (1u << 20) && part < 256)
		*out = (uint32_t)(1u << 28 | disk << 8 | part);
	else
		return -EINVAL;
	return 0;
}

/* "a".."z", "aa".. as a disk index (bijective base 26); the rest at *end */
static int letters(const char *s, uint64_t *disk, const char **end)
{
	uint64_t n = 0;

	if (!islower((unsigned char)*s))
		return -EINVAL;
	for (; *s >= 'a' && *s <= 'z'; s++) {
		n = n * 26 + (uint64_t)(*s - 'a' + 1);
		if (n > (1u << 20))
			return -EINVAL;
	}
	*disk = n - 1;
	*end = s;
	return 0;
}

/* a partition number: digits to the end, none meaning 0 */
static int partition(const char *s, uint64_t *part)
{
	char *end;

	*part = 0;
	if (!*s)
		return 0;
	if (!isdigit((unsigned char)*s) || (*s == '0' && s[1]))
		return -EINVAL;
	errno = 0;
	*part = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

int pm_vdev_number(const char *vdev, uint32_t *devid)
{
	uint64_t disk, part;
	const char *rest;
	char *end;

	if (!vdev || !*vdev)
		return -EINVAL;
	if (isdigit((unsigned char)*vdev)) {   /* the number itself: hex, decimal or octal */
		unsigned long long n;

		errno = 0;
		n = strtoull(vdev, &end, 0);
		if (errno || *end || !n || n >= (2ull << 28))
			return -EINVAL;
		*devid = (uint32_t)n;
		return 0;
	}
	if (vdev[0] == 'd' && isdigit((unsigned char)vdev[1])) {   /* d<disk>[p<part>] */
		errno = 0;
		disk = strtoull(vdev + 1, &end, 10);
		if (errno || (vdev[1] == '0' && end != vdev + 2))
			return -EINVAL;
		part = 0;
		if (*end == 'p') {
			if (!end[1] || partition(end + 1, &part))
				return -EINVAL;
		} else if (*end) {
			return -EINVAL;
		}
		return xvd_number(disk, part, devid);
	}
	if (!strncmp(vdev, "xvd", 3)) {
		if (letters(vdev + 3, &disk, &rest) || partition(rest, &part))
			return -EINVAL;
		return xvd_number(disk, part, devid);
	}
	if (!strncmp(vdev, "sd", 2)) {
		if (letters(vdev + 2, &disk, &rest) || partition(rest, &part) || disk >= 16 || part >= 16)
			return -EINVAL;
		*devid = (uint32_t)(8 << 8 | disk << 4 | part);
		return 0;
	}
	if (!strncmp(vdev, "hd", 2)) {
		if (letters(vdev + 2, &disk, &rest) || partition(rest, &part) || disk >= 4 || part >= 64)
			return -EINVAL;
		*devid = disk < 2 ? (uint32_t)(3 << 8 | disk << 6 | part)
				  : (uint32_t)(22 << 8 | (disk - 2) << 6 | part);
		return 0;
	}
	return -EINVAL;
}

/* ---- names of the enums, libxl's ---- */

static const char *const format_names[] = {
	[PM_DISK_FORMAT_RAW] = "raw",   [PM_DISK_FORMAT_QCOW] = "qcow", [PM_DISK_FORMAT_QCOW2] = "qcow2",
	[PM_DISK_FORMAT_VHD] = "vhd",   [PM_DISK_FORMAT_QED] = "qed",   [PM_DISK_FORMAT_EMPTY] = "empty",
};

static const char *const backend_names[] = {
	[PM_DISK_BACKEND_AUTO] = "unknown", [PM_DISK_BACKEND_PHY] = "phy",
	[PM_DISK_BACKEND_TAP] = "tap",      [PM_DISK_BACKEND_QDISK] = "qdisk",
	[PM_DISK_BACKEND_STANDALONE] = "standalone",
};

const char *pm_disk_format_name(enum pm_disk_format f)
{
	return (unsigned int)f < sizeof(format_names) / sizeof(format_names[0]) ? format_names[f] : NULL;
}

static enum pm_disk_format format_of(libxl_disk_format f)
{
	switch (f) {
	case LIBXL_DISK_FORMAT_QCOW: return PM_DISK_FORMAT_QCOW;
	case LIBXL_DISK_FORMAT_QCOW2: return PM_DISK_FORMAT_QCOW2;
	case LIBXL_DISK_FORMAT_VHD: return PM_DISK_FORMAT_VHD;
	case LIBXL_DISK_FORMAT_QED: return PM_DISK_FORMAT_QED;
	case LIBXL_DISK_FORMAT_EMPTY: return PM_DISK_FORMAT_EMPTY;
	default: return PM_DISK_FORMAT_RAW;   /* unknown: xl's default, raw */
	}
}

static libxl_disk_format libxl_format(enum pm_disk_format f)
{
	static const libxl_disk_format map[] = {
		[PM_DISK_FORMAT_RAW] = LIBXL_DISK_FORMAT_RAW,     [PM_DISK_FORMAT_QCOW] = LIBXL_DISK_FORMAT_QCOW,
		[PM_DISK_FORMAT_QCOW2] = LIBXL_DISK_FORMAT_QCOW2, [PM_DISK_FORMAT_VHD] = LIBXL_DISK_FORMAT_VHD,
		[PM_DISK_FORMAT_QED] = LIBXL_DISK_FORMAT_QED,     [PM_DISK_FORMAT_EMPTY] = LIBXL_DISK_FORMAT_EMPTY,
	};
	return map[f];
}

static enum pm_disk_backend backend_of(libxl_disk_backend b)
{
	switch (b) {
	case LIBXL_DISK_BACKEND_PHY: return PM_DISK_BACKEND_PHY;
	case LIBXL_DISK_BACKEND_TAP: return PM_DISK_BACKEND_TAP;
	case LIBXL_DISK_BACKEND_QDISK: return PM_DISK_BACKEND_QDISK;
	case LIBXL_DISK_BACKEND_STANDALONE: return PM_DISK_BACKEND_STANDALONE;
	default: return PM_DISK_BACKEND_AUTO;
	}
}

static libxl_disk_backend libxl_backend(enum pm_disk_backend b)
{
	static const libxl_disk_backend map[] = {
		[PM_DISK_BACKEND_AUTO] = LIBXL_DISK_BACKEND_UNKNOWN, [PM_DISK_BACKEND_PHY] = LIBXL_DISK_BACKEND_PHY,
		[PM_DISK_BACKEND_TAP] = LIBXL_DISK_BACKEND_TAP,      [PM_DISK_BACKEND_QDISK] = LIBXL_DISK_BACKEND_QDISK,
		[PM_DISK_BACKEND_STANDALONE] = LIBXL_DISK_BACKEND_STANDALONE,
	};
	return map[b];
}

/* ---- disk= ---- */

static int dev_err(char *err, size_t errlen, const char *site, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int dev_err(char *err, size_t errlen, const char *site, const char *key, const char *fmt, ...)
{
	char msg[PM_CONFIG_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (*site)
		snprintf(err, errlen, "%s: %s: %s", site, key, msg);
	else
		snprintf(err, errlen, "%s: %s", key, msg);
	return -EINVAL;
}

/* a copy of s, or NULL for NULL; -ENOMEM through *rc */
static char *dup_or_null(const char *s, int *rc)
{
	char *d;

	if (!s)
		return NULL;
	d = pm__strdup(s);
	if (!d)
		*rc = -ENOMEM;
	return d;
}

/* the target must be there, a file or a block device, open as the access says */
static int check_target(const struct pm_disk *d, const char *spec, const char *site, char *err,
			size_t errlen)
{
	struct stat st;

	if (stat(d->target, &st) || access(d->target, R_OK))
		return dev_err(err, errlen, site, "disk", "\"%s\": target %s: %s", spec, d->target,
			       strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return dev_err(err, errlen, site, "disk", "\"%s\": target %s: not a file or a block device",
			       spec, d->target);
	if (d->readwrite && access(d->target, W_OK))
		return dev_err(err, errlen, site, "disk", "\"%s\": target %s: %s (access is rw)", spec,
			       d->target, strerror(errno));
	return 0;
}

/* libxlutil's report, "FILE: config parsing error in disk specification:
 * WHAT in `SPEC'", as WHAT (the message names the spec already) */
static const char *xlu_reason(char *rep)
{
	char *nl = rep ? strchr(rep, '\n') : NULL, *at, *in;

	if (nl)
		*nl = 0;
	if (!rep || !*rep)
		return "not a disk specification";
	at = strstr(rep, "specification: ");
	at = at ? at + strlen("specification: ") : strstr(rep, ": ") ? strstr(rep, ": ") + 2 : rep;
	in = strstr(at, " in `");
	if (in && in[strlen(in) - 1] == '\'')
		*in = 0;
	return at;
}

static int one_disk(const char *spec, const struct pm_config_devices_in *in, struct pm_disk *d,
		    char *err, size_t errlen)
{
	libxl_device_disk ld;
	char *rep = NULL;
	size_t replen = 0;
	FILE *f = open_memstream(&rep, &replen);
	XLU_Config *xlu = f ? xlu_cfg_init(f, in->disk_site) : NULL;
	int rc = 0, r;

	libxl_device_disk_init(&ld);
	if (!xlu) {
		rc = -ENOMEM;
		goto out;
	}
	r = xlu_disk_parse(xlu, 1, &spec, &ld);
	fflush(f);
	if (r) {
		rc = r == ENOMEM ? -ENOMEM : dev_err(err, errlen, in->disk_site, "disk", "\"%s\": %s", spec,
						     xlu_reason(rep));
		goto out;
	}
	d->format = format_of(ld.format);
	d->backend = backend_of(ld.backend);
	d->readwrite = ld.readwrite;
	d->cdrom = ld.is_cdrom;
	d->direct_io_safe = ld.direct_io_safe;
	d->discard = libxl_defbool_is_default(ld.discard_enable) ? -1 : libxl_defbool_val(ld.discard_enable);
	d->target = ld.pdev_path && *ld.pdev_path ? dup_or_null(ld.pdev_path, &rc) : NULL;
	d->vdev = dup_or_null(ld.vdev, &rc);
	d->script = dup_or_null(ld.script, &rc);
	d->backend_domain = dup_or_null(ld.backend_domname, &rc);
	if (rc)
		goto out;
	if (!d->vdev || pm_vdev_number(d->vdev, &d->devid)) {
		rc = dev_err(err, errlen, in->disk_site, "disk",
			     "\"%s\": vdev %s is not a disk name (xvda, hdc, sdb3, d0p1, or its number)", spec,
			     d->vdev ? d->vdev : "(none)");
		goto out;
	}
	if (d->format != PM_DISK_FORMAT_RAW && d->format != PM_DISK_FORMAT_EMPTY) {
		rc = dev_err(err, errlen, in->disk_site, "disk",
			     "\"%s\": format %s is QEMU's to read, not physmap's (raw images and block devices only)",
			     spec, pm_disk_format_name(d->format));
		goto out;
	}
	if (d->backend != PM_DISK_BACKEND_AUTO && d->backend != PM_DISK_BACKEND_PHY &&
	    d->backend != PM_DISK_BACKEND_QDISK) {
		rc = dev_err(err, errlen, in->disk_site, "disk",
			     "\"%s\": backendtype %s is not served by physmap (phy, dom0's blkback; qdisk, physmap-dm)",
			     spec, backend_names[d->backend]);
		goto out;
	}
	if (d->backend_domain && strcmp(d->backend_domain, "0") && strcmp(d->backend_domain, "Domain-0")) {
		rc = dev_err(err, errlen, in->disk_site, "disk",
			     "\"%s\": backend %s: disks are served by dom0 only (no driver domains yet)", spec,
			     d->backend_domain);
		goto out;
	}
	if (!d->target) {
		if (!d->cdrom)
			rc = dev_err(err, errlen, in->disk_site, "disk", "\"%s\": no target (only a cdrom may be empty)",
				     spec);
		goto out;
	}
	if (!in->no_files)
		rc = check_target(d, spec, in->disk_site, err, errlen);
out:
	libxl_device_disk_dispose(&ld);
	xlu_cfg_destroy(xlu);
	if (f)
		fclose(f);
	free(rep);
	return rc;
}

/* ---- vif= ---- */

/* "00:16:3e:01:02:03" (':' or '-' between the bytes); not a group address */
int pm_mac_parse(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		unsigned int hi, lo;

		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -EINVAL;
		hi = (unsigned int)(isdigit((unsigned char)s[0]) ? s[0] - '0' : (tolower(s[0]) - 'a' + 10));
		lo = (unsigned int)(isdigit((unsigned char)s[1]) ? s[1] - '0' : (tolower(s[1]) - 'a' + 10));
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s != ':' && *s != '-')
			return -EINVAL;
		if (i < 5)
			s++;
	}
	if (*s || (mac[0] & 1))
		return -EINVAL;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int set_str(char **field, const char *v)
{
	char *d = pm__strdup(v);

	if (!d)
		return -ENOMEM;
	free(*field);
	*field = d;
	return 0;
}

static int one_nic(const char *spec, const struct pm_config_devices_in *in, struct pm_nic *n, char *err,
		   size_t errlen)
{
	char *copy = pm__strdup(spec), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); !rc && tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *key, *v;

		if (!*trim(tok))
			continue;
		if (!eq) {
			rc = dev_err(err, errlen, in->vif_site, "vif", "\"%s\": %s: expected key=value", spec, trim(tok));
			break;
		}
		*eq = 0;
		key = trim(tok);
		v = trim(eq + 1);
		if (!strcmp(key, "mac")) {
			if (pm_mac_parse(v, n->mac))
				rc = dev_err(err, errlen, in->vif_site, "vif",
					     "\"%s\": mac %s is not a unicast MAC address (00:16:3e:xx:xx:xx)", spec, v);
			n->mac_set = true;
		} else if (!strcmp(key, "bridge") || !strcmp(key, "netdev")) {
			rc = set_str(&n->bridge, v);
		} else if (!strcmp(key, "ip")) {
			rc = set_str(&n->ip, v);
		} else if (!strcmp(key, "type")) {
			if (strcmp(v, "vif") && strcmp(v, "ioemu"))
				rc = dev_err(err, errlen, in->vif_site, "vif", "\"%s\": type %s: vif or ioemu", spec, v);
			n->type = !strcmp(v, "ioemu") ? PM_NIC_TYPE_IOEMU : PM_NIC_TYPE_VIF;
		} else if (!strcmp(key, "model")) {
			rc = set_str(&n->model, v);
		} else if (!strcmp(key, "vifname")) {
			if (!*v || strlen(v) > 15 || strpbrk(v, "/: \t"))
				rc = dev_err(err, errlen, in->vif_site, "vif",
					     "\"%s\": vifname %s is not a network interface name (1-15 characters, "
					     "no '/', ':' or blanks)", spec, v);
			else
				rc = set_str(&n->vifname, v);
		} else if (!strcmp(key, "script")) {
			rc = set_str(&n->script, v);
		} else if (!strcmp(key, "backend")) {
			if (strcmp(v, "0") && strcmp(v, "Domain-0"))
				rc = dev_err(err, errlen, in->vif_site, "vif",
					     "\"%s\": backend %s: networks are served by dom0 only (no driver domains yet)",
					     spec, v);
			else
				rc = set_str(&n->backend_domain, v);
		} else if (!strcmp(key, "gatewaydev")) {
			rc = set_str(&n->gatewaydev, v);
		} else if (!strcmp(key, "rate")) {
			libxl_device_nic ln;
			char *rep = NULL;
			size_t replen = 0;
			FILE *f = open_memstream(&rep, &replen);
			XLU_Config *xlu = f ? xlu_cfg_init(f, in->vif_site) : NULL;

			libxl_device_nic_init(&ln);
			if (!xlu)
				rc = -ENOMEM;
			else if (xlu_vif_parse_rate(xlu, v, &ln))
				rc = dev_err(err, errlen, in->vif_site, "vif",
					     "\"%s\": rate %s is not a rate (10Mb/s, 1MB/s@20ms, ...)", spec, v);
			n->rate_bytes_per_interval = ln.rate_bytes_per_interval;
			n->rate_interval_usecs = ln.rate_interval_usecs;
			if (!rc)
				rc = set_str(&n->rate, v);
			libxl_device_nic_dispose(&ln);
			xlu_cfg_destroy(xlu);
			if (f)
				fclose(f);
			free(rep);
		} else if (!strcmp(key, "mtu")) {
			char *end;
			unsigned long m;

			errno = 0;
			m = strtoul(v, &end, 10);
			if (errno || *end || end == v || m < 68 || m > 65535)
				rc = dev_err(err, errlen, in->vif_site, "vif", "\"%s\": mtu %s: a number from 68 to 65535",
					     spec, v);
			n->mtu = (unsigned int)m;
		} else {
			rc = dev_err(err, errlen, in->vif_site, "vif",
				     "\"%s\": %s=%s: unknown key (mac, bridge, ip, type, model, vifname, script, "
				     "backend, rate, mtu, gatewaydev)", spec, key, v);
		}
	}
	free(copy);
	return rc;
}

/* ---- the lists ---- */

void pm_disk_dispose(struct pm_disk *d)
{
	free(d->target);
	free(d->vdev);
	free(d->script);
	free(d->backend_domain);
	memset(d, 0, sizeof(*d));
	d->discard = -1;
}

void pm_nic_dispose(struct pm_nic *n)
{
	free(n->bridge);
	free(n->ip);
	free(n->model);
	free(n->vifname);
	free(n->script);
	free(n->backend_domain);
	free(n->gatewaydev);
	free(n->rate);
	memset(n, 0, sizeof(*n));
}

int pm_disk_parse(const char *spec, struct pm_disk *d, char *err, size_t errlen)
{
	struct pm_config_devices_in in = { .disk_site = "", .vif_site = "" };
	int rc;

	memset(d, 0, sizeof(*d));
	rc = one_disk(spec, &in, d, err, errlen);
	if (rc)
		pm_disk_dispose(d);
	return rc;
}

int pm_nic_parse(const char *spec, struct pm_nic *n, char *err, size_t errlen)
{
	struct pm_config_devices_in in = { .disk_site = "", .vif_site = "" };
	int rc;

	memset(n, 0, sizeof(*n));
	rc = one_nic(spec, &in, n, err, errlen);
	if (rc)
		pm_nic_dispose(n);
	return rc;
}

void pm__config_devices_dispose(struct pm_domain_config *cfg)
{
	for (size_t i = 0; i < cfg->nr_disks; i++)
		pm_disk_dispose(&cfg->disks[i]);
	free(cfg->disks);
	for (size_t i = 0; i < cfg->nr_nics; i++)
		pm_nic_dispose(&cfg->nics[i]);
	free(cfg->nics);
	cfg->disks = NULL;
	cfg->nics = NULL;
	cfg->nr_disks = cfg->nr_nics = 0;
}

int pm__config_devices(XLU_Config *xlu, const struct pm_config_devices_in *in, struct pm_domain_config *cfg,
		       char *err, size_t errlen)
{
	XLU_ConfigList *list;
	const char *spec;
	int nr = 0, rc = 0;

	if (!xlu_cfg_get_list(xlu, "disk", &list, &nr, 0) && nr > 0) {
		if (!(cfg->disks = pm__calloc((size_t)nr, sizeof(*cfg->disks))))
			return -ENOMEM;
		for (int i = 0; !rc && (spec = xlu_cfg_get_listitem(list, i)); i++) {
			struct pm_disk *d = &cfg->disks[cfg->nr_disks++];

			rc = one_disk(spec, in, d, err, errlen);
			for (size_t j = 0; !rc && j + 1 < cfg->nr_disks; j++)
				if (cfg->disks[j].devid == d->devid)
					rc = dev_err(err, errlen, in->disk_site, "disk",
						     "\"%s\": vdev %s given twice (also as %s)", spec, d->vdev,
						     cfg->disks[j].vdev);
		}
	}
	nr = 0;
	if (!rc && !xlu_cfg_get_list(xlu, "vif", &list, &nr, 0) && nr > 0) {
		if (!(cfg->nics = pm__calloc((size_t)nr, sizeof(*cfg->nics))))
			return -ENOMEM;
		for (int i = 0; !rc && (spec = xlu_cfg_get_listitem(list, i)); i++) {
			struct pm_nic *n = &cfg->nics[cfg->nr_nics++];

			n->devid = (uint32_t)i;
			rc = one_nic(spec, in, n, err, errlen);
			for (size_t j = 0; !rc && n->mac_set && j + 1 < cfg->nr_nics; j++)
				if (cfg->nics[j].mac_set && !memcmp(cfg->nics[j].mac, n->mac, 6))
					rc = dev_err(err, errlen, in->vif_site, "vif",
						     "\"%s\": mac %02x:%02x:%02x:%02x:%02x:%02x given twice", spec,
						     n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
		}
	}
	return rc;
}

/* ---- out: libxl's JSON, and xl's syntax ---- */

void pm__libxl_disk(const struct pm_disk *d, libxl_device_disk *ld)
{
	/* borrowed strings: ld is never disposed */
	libxl_device_disk_init(ld);
	ld->pdev_path = d->target;
	ld->vdev = d->vdev;
	ld->script = d->script;
	ld->backend_domname = d->backend_domain;
	ld->format = libxl_format(d->format);
	ld->backend = libxl_backend(d->backend);
	ld->readwrite = d->readwrite;
	ld->is_cdrom = d->cdrom;
	ld->removable = d->cdrom;
	ld->direct_io_safe = d->direct_io_safe;
	if (d->discard >= 0)
		libxl_defbool_set(&ld->discard_enable, d->discard);
}

void pm__libxl_nic(const struct pm_nic *n, libxl_device_nic *ln)
{
	/* borrowed strings: ln is never disposed */
	libxl_device_nic_init(ln);
	ln->devid = (libxl_devid)n->devid;
	if (n->mac_set)
		memcpy(ln->mac, n->mac, 6);
	ln->bridge = n->bridge;
	ln->ip = n->ip;
	ln->model = n->model;
	ln->ifname = n->vifname;
	ln->script = n->script;
	ln->backend_domname = n->backend_domain;
	ln->gatewaydev = n->gatewaydev;
	ln->nictype = n->type == PM_NIC_TYPE_IOEMU ? LIBXL_NIC_TYPE_VIF_IOEMU
		      : n->type == PM_NIC_TYPE_VIF ? LIBXL_NIC_TYPE_VIF : LIBXL_NIC_TYPE_UNKNOWN;
	ln->rate_bytes_per_interval = n->rate_bytes_per_interval;
	ln->rate_interval_usecs = n->rate_interval_usecs;
	ln->mtu = (int)n->mtu;
}

int pm__config_devices_json(yajl_gen g, const struct pm_domain_config *cfg)
{
	yajl_gen_string(g, (const unsigned char *)"disks", 5);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < cfg->nr_disks; i++) {
		libxl_device_disk ld;

		pm__libxl_disk(&cfg->disks[i], &ld);
		if (libxl_device_disk_gen_json(g, &ld) != yajl_gen_status_ok)
			return -ENOMEM;
	}
	yajl_gen_array_close(g);
	yajl_gen_string(g, (const unsigned char *)"nics", 4);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < cfg->nr_nics; i++) {
		libxl_device_nic ln;

		pm__libxl_nic(&cfg->nics[i], &ln);
		if (libxl_device_nic_gen_json(g, &ln) != yajl_gen_status_ok)
			return -ENOMEM;
	}
	yajl_gen_array_close(g);
	return 0;
}

/* "key=value, " into f, value as given (xl's disk and vif syntax take no quotes) */
static void kv(FILE *f, const char *key, const char *v)
{
	if (v)
		fprintf(f, "%s=%s, ", key, v);
}

char *pm_disk_spec(const struct pm_disk *d)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fprintf(f, "format=%s, vdev=%s, access=%s, ", pm_disk_format_name(d->format), d->vdev,
		d->readwrite ? "rw" : "ro");
	if (d->cdrom)
		fputs("devtype=cdrom, ", f);
	if (d->backend != PM_DISK_BACKEND_AUTO)
		kv(f, "backendtype", backend_names[d->backend]);
	kv(f, "backend", d->backend_domain);
	kv(f, "script", d->script);
	if (d->discard >= 0)
		fputs(d->discard ? "discard, " : "no-discard, ", f);
	if (d->direct_io_safe)
		fputs("direct-io-safe, ", f);
	kv(f, "target", d->target);   /* last: it takes the rest */
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	if (len >= 2 && !strcmp(s + len - 2, ", "))
		s[len - 2] = 0;
	return s;
}

char *pm_nic_spec(const struct pm_nic *n)
{
	char *s = NULL, mac[18], num[64];
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	if (n->mac_set) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2],
			 n->mac[3], n->mac[4], n->mac[5]);
		kv(f, "mac", mac);
	}
	kv(f, "bridge", n->bridge);
	kv(f, "ip", n->ip);
	if (n->type != PM_NIC_TYPE_DEFAULT)
		kv(f, "type", n->type == PM_NIC_TYPE_IOEMU ? "ioemu" : "vif");
	kv(f, "model", n->model);
	kv(f, "vifname", n->vifname);
	kv(f, "script", n->script);
	kv(f, "backend", n->backend_domain);
	kv(f, "gatewaydev", n->gatewaydev);
	kv(f, "rate", n->rate);
	if (n->mtu) {
		snprintf(num, sizeof(num), "%u", n->mtu);
		kv(f, "mtu", num);
	}
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	if (len >= 2 && !strcmp(s + len - 2, ", "))
		s[len - 2] = 0;
	return s;
}

/* ---- in: libxl's JSON (a save file's configuration) back to xl's syntax ---- */

static const char *jstr(yajl_val o, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(o, path, yajl_t_string);

	return v ? YAJL_GET_STRING(v) : NULL;
}

static long long jnum(yajl_val o, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(o, path, yajl_t_number);

	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

static bool jtrue(yajl_val o, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(o, path, yajl_t_any);

	return v && (YAJL_IS_TRUE(v) || (YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v)));
}

/* one list as `key = [ "spec", ... ]`; a spec holding '"' or a control
 * character cannot be an xl string, and is refused */
static int xl_list(FILE *f, const char *key, char **specs, size_t n)
{
	fprintf(f, "%s = [ ", key);
	for (size_t i = 0; i < n; i++) {
		int rc;

		if (!specs[i])
			return -ENOMEM;
		fputs(i ? ", " : "", f);
		if ((rc = pm__xl_quote(f, specs[i])))
			return rc;
	}
	fputs(" ]\n", f);
	return 0;
}

int pm__config_devices_xl(yajl_val root, FILE *f, const char *where, char *err, size_t errlen)
{
	const char *dpath[] = { "disks", NULL }, *npath[] = { "nics", NULL };
	yajl_val disks = yajl_tree_get(root, dpath, yajl_t_array);
	yajl_val nics = yajl_tree_get(root, npath, yajl_t_array);
	size_t nd = disks ? disks->u.array.len : 0, nn = nics ? nics->u.array.len : 0;
	char **specs = pm__calloc(nd + nn + 1, sizeof(*specs));
	int rc = 0;

	if (!specs)
		return -ENOMEM;
	for (size_t i = 0; i < nd; i++) {
		yajl_val o = disks->u.array.values[i];
		struct pm_disk d = { .discard = -1 };
		const char *fmt = jstr(o, "format"), *be = jstr(o, "backend"), *discard = jstr(o, "discard_enable");

		if (!YAJL_IS_OBJECT(o) || !jstr(o, "vdev")) {
			snprintf(err, errlen, "%s: disks[%zu]: not a libxl disk", where, i);
			rc = -EINVAL;
			goto out;
		}
		d.vdev = (char *)jstr(o, "vdev");
		d.target = (char *)jstr(o, "pdev_path");
		d.script = (char *)jstr(o, "script");
		d.backend_domain = (char *)jstr(o, "backend_domname");
		d.readwrite = jtrue(o, "readwrite");
		d.cdrom = jtrue(o, "is_cdrom");
		d.direct_io_safe = jtrue(o, "direct_io_safe");
		if (discard && strcmp(discard, "<default>"))
			d.discard = !strcmp(discard, "True");
		for (size_t k = 0; fmt && k < sizeof(format_names) / sizeof(format_names[0]); k++)
			if (!strcmp(fmt, format_names[k]))
				d.format = (enum pm_disk_format)k;
		for (size_t k = 0; be && k < sizeof(backend_names) / sizeof(backend_names[0]); k++)
			if (!strcmp(be, backend_names[k]))
				d.backend = (enum pm_disk_backend)k;
		specs[i] = pm_disk_spec(&d);
	}
	if (nd && (rc = xl_list(f, "disk", specs, nd)))
		goto out;
	for (size_t i = 0; i < nn; i++) {
		yajl_val o = nics->u.array.values[i];
		struct pm_nic n = { .devid = (uint32_t)i };
		const char *mac = jstr(o, "mac"), *type = jstr(o, "nictype");
		char rate[64];

		if (!YAJL_IS_OBJECT(o)) {
			snprintf(err, errlen, "%s: nics[%zu]: not a libxl nic", where, i);
			rc = -EINVAL;
			goto out;
		}
		n.mac_set = mac && !pm_mac_parse(mac, n.mac) && memcmp(n.mac, "\0\0\0\0\0\0", 6);
		n.bridge = (char *)jstr(o, "bridge");
		n.ip = (char *)jstr(o, "ip");
		n.model = (char *)jstr(o, "model");
		n.vifname = (char *)jstr(o, "ifname");
		n.script = (char *)jstr(o, "script");
		n.backend_domain = (char *)jstr(o, "backend_domname");
		n.gatewaydev = (char *)jstr(o, "gatewaydev");
		n.type = !type ? PM_NIC_TYPE_DEFAULT : !strcmp(type, "vif_ioemu") ? PM_NIC_TYPE_IOEMU
			 : !strcmp(type, "vif") ? PM_NIC_TYPE_VIF : PM_NIC_TYPE_DEFAULT;
		n.mtu = (unsigned int)jnum(o, "mtu");
		n.rate_bytes_per_interval = (uint64_t)jnum(o, "rate_bytes_per_interval");
		n.rate_interval_usecs = (uint32_t)jnum(o, "rate_interval_usecs");
		if (n.rate_interval_usecs) {
			/* bytes a second, rounded up: xlu_vif_parse_rate's floor gives the same bytes back */
			unsigned __int128 bps = ((unsigned __int128)n.rate_bytes_per_interval * 1000000 +
						 n.rate_interval_usecs - 1) / n.rate_interval_usecs;

			snprintf(rate, sizeof(rate), "%lluB/s@%uus", (unsigned long long)bps, n.rate_interval_usecs);
			n.rate = rate;
		}
		specs[nd + i] = pm_nic_spec(&n);
	}
	if (nn)
		rc = xl_list(f, "vif", specs + nd, nn);
out:
	if (rc == -EINVAL && !*err)
		snprintf(err, errlen, "%s: a device that xl's syntax cannot hold", where);
	for (size_t i = 0; i < nd + nn; i++)
		free(specs[i]);
	free(specs);
	return rc;
}
