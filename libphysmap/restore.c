/*
 * libphysmap/restore.c - a domain from a stream (<physmap/save.h>)
 *
 * The stream is read a record at a time and checked before anything is
 * built from it; the domain's shell (pm__build_begin) is made once the
 * headers and the configuration are known, so that its device model is
 * up before the pages come (a migration's downtime does not wait for
 * it). Any failure after that destroys what was built.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <xenstore.h>
#include <xen/xen.h>
#include <xen/hvm/params.h>
#include <xen/hvm/save.h>
#include <xen/arch-x86/hvm/save.h>   /* x86 guests' records, whatever the host (hvm/save.h has them on x86 only) */

#include "physmap/save.h"
#include "physmap/domain.h"
#include "physmap/p2m.h"
#include "hv/hv-internal.h"
#include "domain-internal.h"
#include "save-internal.h"
#include "alloc-internal.h"

struct restorer {
	struct pm_hv *hv;
	int fd;
	const char *where;
	uint64_t offset;         /* bytes read so far */
	uint8_t *buf;            /* the record being read */
	size_t cap;
	struct build *b;
	uint32_t domid;
	uint64_t max_pfn;
	uint8_t *have;           /* pfns populated, a bit each */
	uint8_t *seen;           /* the pfns of the PAGE_DATA record being read, a bit each */
	uint64_t *mfns;
	uint64_t *pfns;          /* a run's pfns, for a backend that maps by pfn */
	unsigned int vcpus;
	struct pm_hv_vcpu_state *st;
	bool got_vcpus, got_params;
	bool got_store, got_console;   /* HVM_PARAMS named the rings' pages */
	void *hvm_ctx;           /* Xen's whole HVM context, loaded as it is, or NULL */
	size_t hvm_ctx_len;
	void *devices;
	size_t devices_len;
	char *watches;
	char *guest_store;       /* "PATH\tVALUE\n", PATH under the home */
	char firmware[128];
	char target[32];
	const struct pm_restore_opts *o;   /* its progress callback */
	uint64_t pages, expected, t0, reported;   /* for progress */
	char *err;
	size_t errlen;
};

#define PROGRESS_NS 200000000ull   /* at most five times a second */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* how the pages come, if it is time to say so (or @done) */
static void progress(struct restorer *r, bool done)
{
	uint64_t now = now_ns();

	if (!r->o->progress || (!done && now - r->reported < PROGRESS_NS))
		return;
	r->reported = now;
	r->o->progress(r->o->opaque, &(struct pm_restore_progress){
		.pages = r->pages, .expected = r->expected,
		.rate = now > r->t0 ? (double)r->pages * 4096 * 1e9 / (double)(now - r->t0) : 0, .done = done });
}

/*
 * an HVM context Xen saved (its local APICs, FPU, MSRs... beside the
 * CPUs), not one physmap made of registers alone (header, CPUs, end):
 * one the backend can load whole. The record was checked already.
 */
static bool whole_context(const uint8_t *p, size_t len)
{
	struct hvm_save_descriptor d;

	for (size_t pos = 0; len - pos >= sizeof(d); pos += sizeof(d) + d.length) {
		memcpy(&d, p + pos, sizeof(d));
		if (d.typecode != HVM_SAVE_CODE(HEADER) && d.typecode != HVM_SAVE_CODE(CPU) &&
		    d.typecode != HVM_SAVE_CODE(END))
			return true;
		if (d.length > len - pos - sizeof(d))
			break;
	}
	return false;
}

static int bad(struct restorer *r, int rc, uint64_t at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int bad(struct restorer *r, int rc, uint64_t at, const char *fmt, ...)
{
	char what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "%s: byte %llu: %s", r->where, (unsigned long long)at, what);
	return rc;
}

static int grow(struct restorer *r, size_t n)
{
	uint8_t *b;

	if (n <= r->cap)
		return 0;
	b = pm__realloc(r->buf, n);
	if (!b)
		return -ENOMEM;
	r->buf = b;
	r->cap = n;
	return 0;
}

/* @n bytes into r->buf at @at */
static int get(struct restorer *r, size_t at, size_t n, const char *what)
{
	int rc = grow(r, at + n);

	if (rc)
		return bad(r, rc, r->offset, "%s: out of memory", what);
	rc = pm__read_all(r->fd, r->buf + at, n);
	if (rc == -ENODATA)
		return bad(r, -ENODATA, r->offset, "the stream ends in the middle of %s", what);
	if (rc)
		return bad(r, rc, r->offset, "reading %s: %s", what, strerror(-rc));
	r->offset += n;
	return 0;
}

/* a record of either stream; rec->body points into r->buf until the next */
static int record(struct restorer *r, struct pm_stream_record *rec, const char *stream)
{
	struct pm_stream_cursor c;
	uint64_t at = r->offset;
	uint32_t h[2];
	int rc = get(r, 0, 8, "a record's header");

	if (rc)
		return rc;
	memcpy(h, r->buf, 8);
	if (h[1] > PM_STREAM_RECORD_MAX)
		return bad(r, -EINVAL, at, "%s record 0x%x of %u bytes: longer than %u", stream, h[0], h[1],
			   PM_STREAM_RECORD_MAX);
	rc = get(r, 8, ((size_t)h[1] + 7) & ~(size_t)7, "a record");
	if (rc)
		return rc;
	c = (struct pm_stream_cursor){ r->buf, 8 + (((size_t)h[1] + 7) & ~(size_t)7), 0 };
	rc = pm_stream_get_record(&c, rec);
	return rc ? bad(r, -EINVAL, at, "%s record 0x%x: non-zero padding", stream, h[0]) : 0;
}

/* pfns [pfn, pfn + n) populated here, then their frames read */
static int populate(struct restorer *r, uint64_t pfn, uint64_t n, uint64_t at)
{
	for (uint64_t i = 0; i < n;) {
		uint64_t run = 0;
		long got;

		while (i < n && (r->have[(pfn + i) / 8] & (1u << ((pfn + i) % 8))))
			i++;
		while (i + run < n && !(r->have[(pfn + i + run) / 8] & (1u << ((pfn + i + run) % 8))))
			run++;
		if (!run)
			break;
		got = pm_hv_populate(r->hv, r->domid, pfn + i, run);
		if (got < 0)
			return bad(r, (int)got, at, "populating pfns [0x%llx, 0x%llx): %s",
				   (unsigned long long)(pfn + i), (unsigned long long)(pfn + i + run),
				   strerror((int)-got));
		for (uint64_t k = i; k < i + run; k++)
			r->have[(pfn + k) / 8] |= (uint8_t)(1u << ((pfn + k) % 8));
		i += run;
	}
	return 0;
}

/* the pages of a run of consecutive pfns, into guest memory */
static int write_run(struct restorer *r, uint64_t pfn, uint64_t n, const uint8_t *data, uint64_t at)
{
	void *map;
	int rc = pm_hv_p2m_read(r->hv, r->domid, pfn, n, r->mfns);

	for (uint64_t i = 0; !rc && i < n; i++)
		if (pm_p2m_kind_of(r->mfns[i]) != PM_P2M_RAM)
			rc = -EFAULT;
	if (rc)
		return bad(r, rc, at, "pfn 0x%llx: no frame after populating", (unsigned long long)pfn);
	if (r->hv->ops->write_frames) {
		rc = r->hv->ops->write_frames(r->hv, r->mfns, n, data);
	} else {
		map = mmap(NULL, n * PM__PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED)
			return bad(r, -errno, at, "mapping pages: %s", strerror(errno));
		for (uint64_t i = 0; i < n; i++)
			r->pfns[i] = pfn + i;
		rc = pm__hv_map_frames(r->hv, r->domid, map, r->mfns, r->pfns, n);
		if (!rc)
			memcpy(map, data, n * PM__PAGE);
		munmap(map, n * PM__PAGE);
	}
	return rc ? bad(r, rc, at, "writing pfn 0x%llx: %s", (unsigned long long)pfn, strerror(-rc)) : 0;
}

static int page_data(struct restorer *r, const struct pm_stream_record *rec, uint64_t at)
{
	const uint8_t *pages;
	uint32_t count;
	int rc = pm_stream_page_data(rec, &count, &pages);

	if (rc)
		return bad(r, -EINVAL, at, "PAGE_DATA: pfns, types and pages do not add up");
	for (uint32_t i = 0; i < count; i++) {
		uint64_t e = pm_stream_page_pfn(rec, i), pfn = e & PM_PAGE_PFN_MASK, t = e >> PM_PAGE_TYPE_SHIFT;

		if (pfn >= r->max_pfn)
			return bad(r, -EINVAL, at, "PAGE_DATA: pfn 0x%llx beyond the domain's 0x%llx",
				   (unsigned long long)pfn, (unsigned long long)r->max_pfn);
		if (t == PM_PAGE_BROKEN)
			return bad(r, -EINVAL, at, "PAGE_DATA: pfn 0x%llx is broken", (unsigned long long)pfn);
		if (r->seen[pfn / 8] & (1u << (pfn % 8))) {
			rc = bad(r, -EINVAL, at, "PAGE_DATA: pfn 0x%llx twice in one record", (unsigned long long)pfn);
			break;
		}
		r->seen[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
	}
	/* the record's marks, cleared as cheaply as they were made */
	for (uint32_t i = 0; i < count; i++) {
		uint64_t pfn = pm_stream_page_pfn(rec, i) & PM_PAGE_PFN_MASK;

		if (pfn < r->max_pfn)
			r->seen[pfn / 8] = 0;
	}
	if (rc)
		return rc;
	r->pages += count;
	progress(r, false);
	for (uint32_t i = 0; i < count;) {
		uint64_t e = pm_stream_page_pfn(rec, i), pfn = e & PM_PAGE_PFN_MASK, t = e >> PM_PAGE_TYPE_SHIFT;
		uint32_t n = 1;

		if (t == PM_PAGE_XTAB) {
			/* not RAM (any more): ballooned out since it was sent */
			if (r->have[pfn / 8] & (1u << (pfn % 8))) {
				long got = pm_hv_decrease(r->hv, r->domid, pfn, 1);

				if (got < 0)
					return bad(r, (int)got, at, "freeing pfn 0x%llx: %s", (unsigned long long)pfn,
						   strerror((int)-got));
				r->have[pfn / 8] &= (uint8_t)~(1u << (pfn % 8));
			}
			i++;
			continue;
		}
		/* a run of consecutive pfns of one type */
		while (i + n < count && pm_stream_page_pfn(rec, i + n) == e + n)
			n++;
		rc = populate(r, pfn, n, at);
		if (!rc && t == PM_PAGE_NOTAB) {
			rc = write_run(r, pfn, n, pages, at);
			pages += (size_t)n * PM__PAGE;
		}
		if (rc)
			return rc;
		i += n;
	}
	return 0;
}

/* one HVM parameter, judged against the domain being built: its rings are where this board puts them */
static int param(struct restorer *r, uint64_t key, uint64_t value, uint64_t at)
{
	uint64_t special = r->max_pfn - PM_DOMAIN_EXTRA_PAGES, want = 0;
	const char *name = NULL;
	int rc;

	if (key >= HVM_NR_PARAMS)
		return bad(r, -EINVAL, at, "HVM_PARAMS: parameter %llu: Xen has %u", (unsigned long long)key,
			   HVM_NR_PARAMS);
	if (key == HVM_PARAM_STORE_PFN) {
		name = "STORE_PFN";
		want = special + PM_DOMAIN_STORE_PAGE;
		r->got_store = true;
	} else if (key == HVM_PARAM_CONSOLE_PFN) {
		name = "CONSOLE_PFN";
		want = special + PM_DOMAIN_CONSOLE_PAGE;
		r->got_console = true;
	} else if ((key == HVM_PARAM_STORE_EVTCHN || key == HVM_PARAM_CONSOLE_EVTCHN) && value >= PM__EVTCHN_MAX) {
		return bad(r, -EINVAL, at, "HVM_PARAMS: %s_EVTCHN %llu: event channels end at %u",
			   key == HVM_PARAM_STORE_EVTCHN ? "STORE" : "CONSOLE", (unsigned long long)value,
			   PM__EVTCHN_MAX);
	}
	if (name && value != want)
		return bad(r, -EINVAL, at, "HVM_PARAMS: %s 0x%llx: this board's ring is at pfn 0x%llx", name,
			   (unsigned long long)value, (unsigned long long)want);
	if (name && !(r->have[value / 8] & (1u << (value % 8))))
		return bad(r, -EINVAL, at, "HVM_PARAMS: %s 0x%llx: a page the stream did not carry", name,
			   (unsigned long long)value);
	rc = pm_hv_set_param(r->hv, r->domid, (unsigned int)key, value);
	if (rc)
		return bad(r, rc, at, "HVM_PARAMS: parameter %llu = 0x%llx: %s", (unsigned long long)key,
			   (unsigned long long)value, strerror(-rc));
	return 0;
}

static int params(struct restorer *r, const struct pm_stream_record *rec, uint64_t at)
{
	uint32_t head[2];

	if (rec->len < 8)
		return bad(r, -EINVAL, at, "HVM_PARAMS: %u bytes", rec->len);
	memcpy(head, rec->body, 8);
	if (head[1] || rec->len != 8 + (uint64_t)head[0] * 16)
		return bad(r, -EINVAL, at, "HVM_PARAMS: %u parameters in %u bytes", head[0], rec->len);
	for (uint32_t i = 0; i < head[0]; i++) {
		uint64_t kv[2];
		int rc;

		memcpy(kv, rec->body + 8 + (size_t)i * 16, 16);
		if ((rc = param(r, kv[0], kv[1], at)))
			return rc;
	}
	r->got_params = true;
	return 0;
}

/* the libxc stream, from its image header to its END */
static int libxc(struct restorer *r, uint32_t want)
{
	struct pm_stream_record rec;
	struct pm_stream_cursor c;
	uint32_t type;
	uint64_t at = r->offset;
	bool static_end = false;
	char what[256];
	int rc = get(r, 0, 40, "the libxc headers");

	if (rc)
		return rc;
	c = (struct pm_stream_cursor){ r->buf, 40, 0 };
	if (pm_stream_get_libxc_header(&c, &type))
		return bad(r, -EINVAL, at, "not a libxc v2/v3 stream of an x86 HVM or physmap ARM domain");
	if (type != want)
		return bad(r, -EINVAL, at, "a domain of type 0x%x, but the configuration's board needs 0x%x", type,
			   want);
	for (;;) {
		at = r->offset;
		rc = record(r, &rec, "libxc");
		if (rc)
			return rc;
		switch (rec.type) {
		case PM_LIBXC_END:
			if (!r->got_vcpus)
				return bad(r, -EINVAL, at, "END before the vCPUs' state");
			if (!r->got_store || !r->got_console)
				return bad(r, -EINVAL, at, "END without HVM_PARAMS naming the store and console rings' pages");
			return rec.len ? bad(r, -EINVAL, at, "END with a body") : 0;
		case PM_LIBXC_STATIC_DATA_END:
			if (static_end)
				return bad(r, -EINVAL, at, "STATIC_DATA_END twice");
			if (rec.len)
				return bad(r, -EINVAL, at, "STATIC_DATA_END with a body");
			static_end = true;
			break;
		case PM_LIBXC_X86_CPUID_POLICY:
		case PM_LIBXC_X86_MSR_POLICY:
			if (static_end)
				return bad(r, -EINVAL, at, "record 0x%x after STATIC_DATA_END", rec.type);
			break;
		case PM_LIBXC_PAGE_DATA:
			if (!static_end)
				return bad(r, -EINVAL, at, "PAGE_DATA before STATIC_DATA_END");
			if (r->got_vcpus || r->got_params)
				return bad(r, -EINVAL, at, "PAGE_DATA after the vCPUs' state");
			rc = page_data(r, &rec, at);
			if (rc)
				return rc;
			break;
		case PM_LIBXC_HVM_CONTEXT:
		case PM_LIBXC_PHYSMAP_VCPUS:
			if (!r->got_vcpus)
				progress(r, true);   /* the pages are all in */
			if (!static_end || r->got_vcpus)
				return bad(r, -EINVAL, at, "record 0x%x out of order", rec.type);
			if ((rec.type == PM_LIBXC_HVM_CONTEXT) != (want == PM_LIBXC_DOM_X86_HVM))
				return bad(r, -EINVAL, at, "record 0x%x in a stream of domain type 0x%x", rec.type, want);
			rc = pm__vcpus_get(&rec, r->st, r->vcpus, what, sizeof(what));
			if (rc)
				return bad(r, rc, at, "%s", what);
			r->got_vcpus = true;
			if (rec.type == PM_LIBXC_HVM_CONTEXT && whole_context(rec.body, rec.len) &&
			    pm__hv_has_hvm_context(r->hv)) {
				free(r->hvm_ctx);
				r->hvm_ctx = pm__malloc(rec.len);
				if (!r->hvm_ctx)
					return bad(r, -ENOMEM, at, "out of memory");
				memcpy(r->hvm_ctx, rec.body, rec.len);
				r->hvm_ctx_len = rec.len;
			}
			break;
		case PM_LIBXC_HVM_PARAMS:
			if (!static_end || r->got_params)
				return bad(r, -EINVAL, at, "HVM_PARAMS out of order");
			rc = params(r, &rec, at);
			if (rc)
				return rc;
			break;
		case PM_LIBXC_TSC_INFO:
			/* mode, kHz, nsec, incarnation, padding (xg_sr_stream_format.h): kept by the hypervisor's clock */
			if (rec.len != 24)
				return bad(r, -EINVAL, at, "TSC_INFO of %u bytes, not 24", rec.len);
			break;
		case PM_LIBXC_VERIFY:
			if (rec.len)
				return bad(r, -EINVAL, at, "VERIFY with a body");
			break;
		default:
			if (!(rec.type & PM_LIBXC_REC_OPTIONAL))
				return bad(r, -EINVAL, at, "libxc record 0x%x: unknown, and not optional", rec.type);
		}
	}
}

static int context(struct restorer *r, const struct pm_stream_record *rec, uint64_t at)
{
	struct pm_stream_emulator emu;
	size_t pos = sizeof(emu);

	if (rec->len < sizeof(emu))
		return bad(r, -EINVAL, at, "EMULATOR_CONTEXT: %u bytes", rec->len);
	memcpy(&emu, rec->body, sizeof(emu));
	if (emu.id != PM_EMULATOR_UNKNOWN || emu.index)
		return bad(r, -EINVAL, at, "EMULATOR_CONTEXT of emulator %u/%u: physmap-dm's is 0/0", emu.id,
			   emu.index);
	while (pos < rec->len) {
		uint32_t h[2];
		size_t padded;

		if (rec->len - pos < 8)
			return bad(r, -EINVAL, at + pos, "EMULATOR_CONTEXT: a section cut short");
		memcpy(h, rec->body + pos, 8);
		pos += 8;
		padded = ((size_t)h[1] + 7) & ~(size_t)7;
		if (rec->len - pos < padded)
			return bad(r, -EINVAL, at + pos, "EMULATOR_CONTEXT: section %u of %u bytes", h[0], h[1]);
		switch (h[0]) {
		case PM_CTX_DEVICES:
			free(r->devices);
			r->devices = pm__malloc(h[1] ? h[1] : 1);
			if (!r->devices)
				return bad(r, -ENOMEM, at, "out of memory");
			memcpy(r->devices, rec->body + pos, h[1]);
			r->devices_len = h[1];
			break;
		case PM_CTX_WATCHES:
			free(r->watches);
			r->watches = pm__malloc((size_t)h[1] + 1);
			if (!r->watches)
				return bad(r, -ENOMEM, at, "out of memory");
			memcpy(r->watches, rec->body + pos, h[1]);
			r->watches[h[1]] = 0;
			break;
		case PM_CTX_GUEST_STORE:
			free(r->guest_store);
			r->guest_store = pm__malloc((size_t)h[1] + 1);
			if (!r->guest_store)
				return bad(r, -ENOMEM, at, "out of memory");
			memcpy(r->guest_store, rec->body + pos, h[1]);
			r->guest_store[h[1]] = 0;
			break;
		case PM_CTX_FIRMWARE:
			if (h[1] >= sizeof(r->firmware) || memchr(rec->body + pos, 0, h[1]))
				return bad(r, -EINVAL, at, "EMULATOR_CONTEXT: a firmware record of %u bytes", h[1]);
			memcpy(r->firmware, rec->body + pos, h[1]);
			r->firmware[h[1]] = 0;
			break;
		case PM_CTX_TARGET:
			if (!h[1] || h[1] >= sizeof(r->target) ||
			    strspn((const char *)rec->body + pos, "0123456789") != h[1])
				return bad(r, -EINVAL, at, "EMULATOR_CONTEXT: a balloon target of %u bytes", h[1]);
			memcpy(r->target, rec->body + pos, h[1]);
			r->target[h[1]] = 0;
			break;
		default:
			return bad(r, -EINVAL, at, "EMULATOR_CONTEXT: unknown section %u", h[0]);
		}
		pos += padded;
	}
	return 0;
}

/* the balloon's target as it was, and the guest's store watches, set again on its new connection */
static int watches(struct restorer *r)
{
	struct xs_handle *h;
	char *save = NULL, path[64];
	int rc = 0;

	if (!r->target[0] && (!r->watches || !r->watches[0]) && (!r->guest_store || !r->guest_store[0]))
		return 0;
	h = xs_open(XS_OPEN_SOCKETONLY);
	if (!h)
		return bad(r, -errno, r->offset, "connecting to the store");
	snprintf(path, sizeof(path), "/local/domain/%u/memory/target", r->domid);
	if (r->target[0] && !xs_write(h, XBT_NULL, path, r->target, (unsigned int)strlen(r->target)))
		rc = bad(r, errno ? -errno : -EIO, r->offset, "writing %s", path);
	/* what the guest wrote, where it wrote it (its nodes keep the guest's permissions) */
	for (char *line = r->guest_store ? strtok_r(r->guest_store, "\n", &save) : NULL; line && !rc;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t'), p[600];

		if (!tab || strstr(line, "..") || line[0] == '/')
			continue;
		*tab = 0;
		snprintf(p, sizeof(p), "/local/domain/%u/%s", r->domid, line);
		if (!xs_write(h, XBT_NULL, p, tab + 1, (unsigned int)strlen(tab + 1)))
			rc = bad(r, errno ? -errno : -EIO, r->offset, "writing %s", p);
	}
	save = NULL;

	for (char *line = r->watches ? strtok_r(r->watches, "\n", &save) : NULL; line && !rc;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t'), data[1024], *reply;
		int n;

		if (!tab)
			continue;
		*tab = 0;
		n = snprintf(data, sizeof(data), "%u%c%s%c%s", r->domid, 0, line, 0, tab + 1);
		if (n < 0 || (size_t)n >= sizeof(data)) {
			rc = bad(r, -E2BIG, r->offset, "a store watch of %zu bytes", strlen(line));
			break;
		}
		reply = xs_control_command(h, "watch", data, (unsigned int)n + 1);
		if (!reply)
			rc = bad(r, errno ? -errno : -EIO, r->offset, "setting the guest's store watch on %s: %s", line,
				 strerror(errno));
		free(reply);
	}
	xs_close(h);
	return rc;
}

static uint32_t dom_type(const struct pm_domain_config *cfg)
{
	return strcmp(cfg->board, "virt") ? PM_LIBXC_DOM_X86_HVM : PM_LIBXC_DOM_PHYSMAP_ARM64;
}

/* xl's header: the configuration */
static int header(struct restorer *r, const struct pm_restore_opts *o, struct pm_domain_config *cfg)
{
	struct pm_stream_cursor c;
	char cerr[PM_CONFIG_ERR_LEN];
	const char *json;
	uint32_t h[4];
	int rc = get(r, 0, PM_XL_MAGIC_LEN + 16, "xl's header");

	if (rc)
		return rc;
	memcpy(h, r->buf + PM_XL_MAGIC_LEN, 16);
	if (memcmp(r->buf, PM_XL_MAGIC, PM_XL_MAGIC_LEN))
		return bad(r, -EINVAL, 0, "not a save file (no xl header)");
	if (h[0] != PM_XL_BYTEORDER)
		return bad(r, -EINVAL, PM_XL_MAGIC_LEN, "xl's header: byte order mark 0x%08x, not this host's", h[0]);
	if (!(h[1] & PM_XL_MANDATORY_STREAMV2))
		return bad(r, -EINVAL, PM_XL_MAGIC_LEN + 4, "xl's header: no STREAMv2 flag: an xl v1 stream, not read");
	if (h[1] & ~(PM_XL_MANDATORY_JSON | PM_XL_MANDATORY_STREAMV2))
		return bad(r, -EINVAL, PM_XL_MAGIC_LEN + 4, "xl's header: mandatory flags 0x%x physmap does not know",
			   h[1] & ~(PM_XL_MANDATORY_JSON | PM_XL_MANDATORY_STREAMV2));
	if (h[2])
		return bad(r, -EINVAL, PM_XL_MAGIC_LEN + 8, "xl's header: optional-data flags 0x%x physmap does not know",
			   h[2]);
	if (h[3] > (1u << 20))
		return bad(r, -EINVAL, PM_XL_MAGIC_LEN + 12, "a configuration of %u bytes", h[3]);
	rc = get(r, PM_XL_MAGIC_LEN + 16, h[3], "the configuration");
	if (rc)
		return rc;
	c = (struct pm_stream_cursor){ r->buf, PM_XL_MAGIC_LEN + 16 + (size_t)h[3], 0 };
	if (pm_stream_get_xl_header(&c, &json))
		return bad(r, -EINVAL, PM_XL_MAGIC_LEN + 16, "xl's header: its configuration is not NUL-terminated");
	if (!json && !o->config)
		return bad(r, -EINVAL, PM_XL_MAGIC_LEN, "no configuration in the stream, and none given");
	if (o->config)
		rc = pm_domain_config_load(o->config, o->overrides, o->nr_overrides, cfg, cerr, sizeof(cerr));
	else
		rc = pm_domain_config_from_json(json, r->where, o->overrides, o->nr_overrides, cfg, cerr,
						sizeof(cerr));
	if (rc)
		snprintf(r->err, r->errlen, "%s", cerr);
	return rc;
}

/* the libxl header and its first record, before anything is built; an incoming one's name */
static int libxl_start(struct restorer *r, const struct pm_restore_opts *o, struct pm_domain_config *cfg)
{
	struct pm_stream_record rec;
	struct pm_stream_cursor c;
	uint64_t at = r->offset;
	uint32_t other;
	char *name = NULL;
	int rc = get(r, 0, 16, "the libxl header");

	if (rc)
		return rc;
	c = (struct pm_stream_cursor){ r->buf, 16, 0 };
	if (pm_stream_get_libxl_header(&c))
		return bad(r, -EINVAL, at, "not a libxl v2 stream");
	at = r->offset;
	rc = record(r, &rec, "libxl");
	if (rc)
		return rc;
	if (rec.type != PM_LIBXL_LIBXC_CONTEXT || rec.len)
		return bad(r, -EINVAL, at, "libxl record 0x%x where LIBXC_CONTEXT starts the stream", rec.type);
	/* its own source, on this host: built under another name until that one goes (as xl) */
	if (!o->incoming || pm_hv_domain_find(r->hv, cfg->name, &other))
		return 0;
	if (pm__asprintf(&name, "%s--incoming", cfg->name) < 0 || !name)
		return bad(r, -ENOMEM, r->offset, "out of memory");
	free(cfg->name);
	cfg->name = name;
	return 0;
}

/* an HVM or PVH guest's libxc stream into the shell built for it: its pages, vCPUs, context */
static int libxc_in(struct restorer *r, const struct pm_domain_config *cfg)
{
	struct pm_hv_dominfo info;
	int rc = pm_hv_domain_getinfo(r->hv, r->domid, &info);

	if (rc)
		return bad(r, rc, r->offset, "the new domain: %s", strerror(-rc));
	r->max_pfn = pm__build_max_pfn(r->b);
	r->vcpus = info.vcpus;
	r->have = pm__calloc((size_t)((r->max_pfn + 7) / 8), 1);
	r->seen = pm__calloc((size_t)((r->max_pfn + 7) / 8), 1);
	r->mfns = pm__malloc(PM_PAGE_DATA_MAX * sizeof(*r->mfns));
	r->pfns = pm__malloc(PM_PAGE_DATA_MAX * sizeof(*r->pfns));
	r->st = pm__calloc(r->vcpus, sizeof(*r->st));
	if (!r->have || !r->seen || !r->mfns || !r->pfns || !r->st)
		return bad(r, -ENOMEM, r->offset, "out of memory");
	pm__trace("restore: shell built");
	r->expected = cfg->memory / 4096;
	r->t0 = r->reported = now_ns();
	rc = libxc(r, dom_type(cfg));
	if (!rc)
		pm__trace("restore: libxc stream read");
	return rc;
}

/* the libxl records after the libxc stream, to END: the emulator's context once */
static int libxl_records(struct restorer *r)
{
	struct pm_stream_record rec;
	bool emulator = false, sim = !strcmp(pm_hv_backend(r->hv), "sim");
	uint64_t at;
	int rc;

	for (;;) {
		at = r->offset;
		rc = record(r, &rec, "libxl");
		if (rc)
			return rc;
		if (rec.type == PM_LIBXL_END) {
			if (rec.len)
				return bad(r, -EINVAL, at, "libxl END with a body");
			break;
		}
		if (rec.type == PM_LIBXL_EMULATOR_XENSTORE_DATA)
			continue;   /* physmap-dm keeps no store entries of its own */
		if (rec.type != PM_LIBXL_EMULATOR_CONTEXT || emulator)
			return bad(r, -EINVAL, at, "libxl record 0x%x: unknown, repeated or out of order", rec.type);
		emulator = true;
		if ((rc = context(r, &rec, at)))
			return rc;
	}
	/* physmap's own streams always carry it: one without has lost the devices and the store's state */
	if (!emulator && sim)
		return bad(r, -EINVAL, at, "libxl END without EMULATOR_CONTEXT (the device model's and store's state)");
	if (!r->devices && pm__build_has_dm(r->b) && sim)
		return bad(r, -EINVAL, at, "EMULATOR_CONTEXT without the devices' state, and the board has devices");
	return 0;
}

/* everything read and sound: the domain's state (context or vCPUs), its holes and store, its devices */
static int load_state(struct restorer *r, const struct pm_domain_config *cfg)
{
	char what[256] = "";
	int rc;

	if (r->hvm_ctx && (rc = pm__hv_hvm_context_set(r->hv, r->domid, r->hvm_ctx, r->hvm_ctx_len)))
		return bad(r, rc, r->offset, "loading the HVM context: %s", strerror(-rc));
	for (unsigned int i = 0; !r->hvm_ctx && i < r->vcpus; i++) {
		rc = pm_hv_vcpu_set_state(r->hv, r->domid, i, &r->st[i]);
		if (rc)
			return bad(r, rc, r->offset, "setting vCPU %u: %s", i, strerror(-rc));
	}
	pm__trace("restore: vCPUs set");
	rc = pm__build_restored(r->b, r->firmware);
	if (rc)
		return rc;
	pm__trace("restore: holes, store");
	if (r->devices && !strcmp(pm_hv_backend(r->hv), "sim")) {
		rc = pm__dm_control(pm_hv_rundir(r->hv), cfg->name, r->devices, r->devices_len, NULL, NULL, what,
				    sizeof(what));
		if (rc)
			return bad(r, rc, r->offset, "the devices' state: %s", what[0] ? what : strerror(-rc));
	}
	pm__trace("restore: devices loaded");
	return 0;
}

int pm_domain_restore(struct pm_hv *hv, int fd, const struct pm_restore_opts *o, uint32_t *domid,
		      struct pm_domain_config *cfg, char *err, size_t errlen)
{
	struct restorer r = { .hv = hv, .fd = fd, .where = o->where ? o->where : "the stream", .o = o, .err = err,
			      .errlen = errlen };
	bool pv;
	int rc;

	err[0] = 0;
	pm_domain_config_init(cfg);
	if (pm_hv_cannot_save(hv)) {
		snprintf(err, errlen, "%s: %s", r.where, pm_hv_cannot_save(hv));
		return -EOPNOTSUPP;
	}
	rc = header(&r, o, cfg);
	if (!rc)
		rc = libxl_start(&r, o, cfg);
	if (!rc)
		rc = pm__build_begin(hv, cfg, true, &r.b, err, errlen);
	if (rc)
		goto out;
	if (o->unfinished)
		pm__build_unfinished(r.b);
	r.domid = pm__build_domid(r.b);
	pv = cfg->type && !strcmp(cfg->type, "pv");
	/* libxenguest reads a PV guest's libxc stream, as libxl has it do */
	rc = pv ? pm__build_pv_restore(r.b, fd) : libxc_in(&r, cfg);
	if (!rc && pv)
		pm__trace("restore: PV memory and vCPUs in");
	if (!rc)
		rc = libxl_records(&r);
	if (!rc && !pv)
		rc = load_state(&r, cfg);
	if (!rc) {
		rc = watches(&r);
		pm__trace("restore: watches set");
	}
out:
	if (!rc)
		*domid = r.domid;
	pm__build_end(r.b, rc);
	if (rc)
		pm_domain_config_dispose(cfg);
	free(r.buf);
	free(r.have);
	free(r.seen);
	free(r.mfns);
	free(r.pfns);
	free(r.st);
	free(r.hvm_ctx);
	free(r.devices);
	free(r.watches);
	free(r.guest_store);
	return rc;
}
