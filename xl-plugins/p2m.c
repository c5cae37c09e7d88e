/*
 * xl-plugins/p2m.c - pxl p2m: a domain's guest physical map as runs of
 * ram / identity / missing / foreign pfns (a table, JSON or an SVG
 * picture), one pfn's tree path, or the tree's statistics
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/domain.h"
#include "physmap/p2m.h"
#include "physmap/size.h"
#include "pxl-json.h"
#include "pxl-util.h"

enum { OPT_PFN, OPT_STATS, OPT_JSON, OPT_SVG };

static const struct pm_opt opts[] = {
	[OPT_PFN] = { "pfn", required_argument, 'p', "PFN", "the tree path of one pfn (0x... or decimal)" },
	[OPT_STATS] = { "stats", no_argument, 's', NULL, "the tree's pages and sentinel references" },
	[OPT_JSON] = { "json", no_argument, 'j', NULL, "runs as JSON" },
	[OPT_SVG] = { "svg", required_argument, 'S', "FILE", "a picture of the runs, labelled, as SVG" },
};

#define CHUNK 65536

static const char *page_kind(enum pm_p2m_page_kind k)
{
	return k == PM_P2M_PAGE_MISSING ? "missing sentinel" :
	       k == PM_P2M_PAGE_IDENTITY ? "identity sentinel" : "real";
}

static int explain(const struct pxl_args *a, struct pm_hv *hv, uint32_t domid)
{
	struct pm_p2m_path path;
	char *end;
	uint64_t pfn;
	int rc;

	errno = 0;
	pfn = strtoull(a->opt[OPT_PFN], &end, 0);
	if (errno || *end || end == a->opt[OPT_PFN]) {
		fprintf(stderr, "%s: --pfn %s: not a number\n", a->prog, a->opt[OPT_PFN]);
		return PXL_USAGE;
	}
	rc = pm_hv_p2m_explain(hv, domid, pfn, &path);
	if (rc) {
		fprintf(stderr, "%s: pfn 0x%" PRIx64 ": %s\n", a->prog, pfn,
			rc == -ERANGE ? "beyond the domain's max_pfn" : strerror(-rc));
		return PXL_FAIL;
	}
	printf("pfn 0x%" PRIx64 ": top[%" PRIu64 "] -> %s mid, [%u] -> %s leaf, [%u] = 0x%016" PRIx64
	       " (%s)\n", pfn, path.top_index, page_kind(path.mid), path.mid_index,
	       page_kind(path.leaf), path.leaf_index, path.value,
	       pm_p2m_kind_name(pm_p2m_kind_of(path.value)));
	return PXL_OK;
}

static int stats(const struct pxl_args *a, struct pm_hv *hv, uint32_t domid)
{
	struct pm_p2m_stats st;
	int rc = pm_hv_p2m_stats(hv, domid, &st);

	if (rc) {
		fprintf(stderr, "%s: %s\n", a->prog, strerror(-rc));
		return PXL_FAIL;
	}
	printf("top entries            : %" PRIu64 "\n", st.top_entries);
	printf("mid pages              : %" PRIu64 "\n", st.mids);
	printf("leaf pages             : %" PRIu64 "\n", st.leaves);
	printf("tree bytes             : %" PRIu64 "\n", st.bytes);
	printf("top -> mid_missing     : %" PRIu64 "\n", st.top_to_mid_missing);
	printf("top -> mid_identity    : %" PRIu64 "\n", st.top_to_mid_identity);
	printf("mid -> missing         : %" PRIu64 "\n", st.mid_to_missing);
	printf("mid -> identity        : %" PRIu64 "\n", st.mid_to_identity);
	return PXL_OK;
}

/* one run as a JSON object (addresses as hex strings, as the table shows them). returns: 0; -ENOMEM */
static int emit_json(const struct pm_p2m_run *r, bool last)
{
	yajl_gen g = pxl_json_object();
	char hex[24];

	pxl_json_str(g, "kind", pm_p2m_kind_name(r->kind));
	snprintf(hex, sizeof(hex), "0x%" PRIx64, r->start);
	pxl_json_str(g, "start", hex);
	snprintf(hex, sizeof(hex), "0x%" PRIx64, r->end);
	pxl_json_str(g, "end", hex);
	if ((r->kind == PM_P2M_RAM || r->kind == PM_P2M_FOREIGN) && r->mfn == PM_HV_FRAME_UNKNOWN) {
		pxl_json_null(g, "mfn");
	} else if (r->kind == PM_P2M_RAM || r->kind == PM_P2M_FOREIGN) {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, r->mfn);
		pxl_json_str(g, "mfn", hex);
	}
	return pxl_json_line(g, last);
}

/* one run out: a table row */
static void emit(const struct pm_p2m_run *r)
{
	char size[32], pfns[48];

	pm_size_format((r->end - r->start) * 4096, size, sizeof(size));
	snprintf(pfns, sizeof(pfns), "0x%" PRIx64 "-0x%" PRIx64, r->start, r->end);
	printf("%-10s %-28s %-12s", pm_p2m_kind_name(r->kind), pfns, size);
	if ((r->kind == PM_P2M_RAM || r->kind == PM_P2M_FOREIGN) && r->mfn == PM_HV_FRAME_UNKNOWN)
		printf(" (Xen does not say)");
	else if (r->kind == PM_P2M_RAM || r->kind == PM_P2M_FOREIGN)
		printf(" 0x%" PRIx64 "-0x%" PRIx64, r->mfn, r->mfn + (r->end - r->start));
	printf("\n");
}

/* a band of the picture: a run, or the part of one a board window covers */
struct band {
	uint64_t start, end;      /* pfns */
	const struct pm_p2m_run *run;   /* NULL: a window past the P2M */
	const struct pm_domain_region *w;   /* the window it shows, or NULL */
};

static int add_band(struct band **b, size_t *n, size_t *cap, struct band x)
{
	if (*n == *cap) {
		struct band *g = realloc(*b, (*cap = *cap ? 2 * *cap : 64) * sizeof(**b));

		if (!g)
			return -ENOMEM;
		*b = g;
	}
	(*b)[(*n)++] = x;
	return 0;
}

/*
 * the runs, those that are not RAM cut where the board's windows (MMIO,
 * ROM, reserved) begin and end, then the windows past the P2M
 */
static int bands(const struct pm_p2m_run *r, size_t n, uint64_t max_pfn, const struct pm_domain_region *w,
		 long nw, struct band **out, size_t *nb)
{
	size_t cap = 0;
	int rc = 0;

	*out = NULL;
	*nb = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		uint64_t at = r[i].start;

		for (long j = 0; r[i].kind != PM_P2M_RAM && j < nw && !rc && at < r[i].end; j++) {
			uint64_t a = w[j].base / 4096, e = (w[j].base + w[j].size + 4095) / 4096;

			if (e <= at || a >= r[i].end)
				continue;
			a = a > at ? a : at;
			e = e < r[i].end ? e : r[i].end;
			if (a > at)
				rc = add_band(out, nb, &cap, (struct band){ at, a, &r[i], NULL });
			if (!rc)
				rc = add_band(out, nb, &cap, (struct band){ a, e, &r[i], &w[j] });
			at = e;
		}
		if (!rc && at < r[i].end)
			rc = add_band(out, nb, &cap, (struct band){ at, r[i].end, &r[i], NULL });
	}
	for (long j = 0; j < nw && !rc; j++) {
		uint64_t a = w[j].base / 4096, e = (w[j].base + w[j].size + 4095) / 4096;

		if (e > max_pfn)
			rc = add_band(out, nb, &cap, (struct band){ a > max_pfn ? a : max_pfn, e, NULL, &w[j] });
	}
	return rc;
}

/*
 * The picture: one band per run, top to bottom by address, the board's
 * windows drawn apart (and those past the P2M after it). A band's height
 * grows with the logarithm of its size, so a 384 KiB hole and 3 GiB of RAM
 * are both visible and still clearly unequal; each band is labelled with
 * its addresses, size and kind (and frames for RAM, names for windows).
 */
/* the colours of the picture, each named as the text output names the kind */
#define SVG_MMIO "#f57900"          /* an MMIO window over the P2M */
#define SVG_MMIO_PAST "#fcaf3e"     /* an MMIO window past the P2M's end */
#define SVG_ROM "#75507b"
static const char *const svg_fill[] = {   /* by enum pm_p2m_kind */
	[PM_P2M_MISSING] = "#d9d9d9", [PM_P2M_RAM] = "#4e9a06", [PM_P2M_IDENTITY] = "#3465a4",
	[PM_P2M_FOREIGN] = "#c4a000",
};
static const struct {
	const char *fill, *name;
	bool dashed;
} svg_legend[] = {
	{ "#4e9a06", "ram", false },
	{ "#3465a4", "identity (a hole passed through)", false },
	{ "#d9d9d9", "missing (unpopulated, ballooned out)", false },
	{ "#c4a000", "foreign (another domain's frame)", false },
	{ SVG_MMIO, "mmio window", false },
	{ SVG_ROM, "rom window", false },
	{ SVG_MMIO_PAST, "mmio window past the P2M", true },
	{ "#ffffff", "reserved window past the P2M", true },
};
#define SVG_ROW 20   /* a legend row */

static int svg(const struct pxl_args *a, const char *name, const struct band *b, size_t n)
{
	size_t nl = sizeof(svg_legend) / sizeof(svg_legend[0]);
	FILE *f = fopen(a->opt[OPT_SVG], "w");
	double y = 40, h;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->opt[OPT_SVG], strerror(errno));
		return PXL_FAIL;
	}
	for (size_t i = 0; i < n; i++)
		y += 14 + 4 * __builtin_log2((double)(b[i].end - b[i].start));
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"%.0f\" "
		"font-family=\"monospace\" font-size=\"12\">\n", y + 40 + (double)nl * SVG_ROW);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
	fprintf(f, "<text x=\"20\" y=\"24\" font-size=\"15\">%s: guest physical memory "
		"(band height grows with log2 of the size)</text>\n", name);
	y = 40;
	for (size_t i = 0; i < n; i++) {
		const struct pm_p2m_run *r = b[i].run;
		const char *colour = r ? svg_fill[r->kind & 3] : "#ffffff";
		char size[32];

		h = 14 + 4 * __builtin_log2((double)(b[i].end - b[i].start));
		pm_size_format((b[i].end - b[i].start) * 4096, size, sizeof(size));
		if (b[i].w && !strcmp(b[i].w->kind, "mmio"))
			colour = r ? SVG_MMIO : SVG_MMIO_PAST;
		else if (b[i].w && !strcmp(b[i].w->kind, "rom"))
			colour = SVG_ROM;
		fprintf(f, "<rect x=\"20\" y=\"%.1f\" width=\"200\" height=\"%.1f\" fill=\"%s\" "
			"stroke=\"#2e3436\"%s/>\n", y, h, colour, r ? "" : " stroke-dasharray=\"4 3\"");
		fprintf(f, "<text x=\"232\" y=\"%.1f\">0x%09" PRIx64 "000-0x%09" PRIx64 "000  %-6s %s",
			y + h / 2 + 4, b[i].start, b[i].end, size, r ? pm_p2m_kind_name(r->kind) : "past the P2M");
		if (r && (r->kind == PM_P2M_RAM || r->kind == PM_P2M_FOREIGN) && r->mfn != PM_HV_FRAME_UNKNOWN)
			fprintf(f, "  mfn 0x%" PRIx64, r->mfn + (b[i].start - r->start));
		if (b[i].w)
			fprintf(f, "  %s %s", b[i].w->kind, b[i].w->name);
		fprintf(f, "</text>\n");
		y += h;
	}
	/* the legend: a swatch and the text output's name for each colour, a row each */
	y += 20;
	for (size_t i = 0; i < nl; i++, y += SVG_ROW) {
		fprintf(f, "<rect x=\"20\" y=\"%.0f\" width=\"28\" height=\"14\" fill=\"%s\" stroke=\"#2e3436\"%s/>\n",
			y, svg_legend[i].fill, svg_legend[i].dashed ? " stroke-dasharray=\"4 3\"" : "");
		fprintf(f, "<text x=\"58\" y=\"%.0f\">%s</text>\n", y + 11, svg_legend[i].name);
	}
	fprintf(f, "</svg>\n");
	if (fclose(f)) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->opt[OPT_SVG], strerror(errno));
		return PXL_FAIL;
	}
	return PXL_OK;
}

/* what the hypervisor's M2P said of the RAM entries (xen, PV guests): checked < 0 if it could not */
struct m2p_check {
	long long checked, bad;
};

/* the runs, coalesced from the entries read in chunks; *out malloc'ed */
static int collect(const struct pxl_args *a, struct pm_hv *hv, uint32_t domid, uint64_t max_pfn,
		   struct pm_p2m_run **out, size_t *nr, struct m2p_check *m2p)
{
	uint64_t *v = malloc(CHUNK * sizeof(*v));
	struct pm_p2m_run *r = NULL;
	size_t n = 0, cap = 0;
	int rc = v ? 0 : -ENOMEM;

	for (uint64_t base = 0; base < max_pfn && !rc; base += CHUNK) {
		uint64_t cnt = max_pfn - base < CHUNK ? max_pfn - base : CHUNK;

		rc = pm_hv_p2m_read(hv, domid, base, cnt, v);
		if (!rc && m2p->checked >= 0) {
			long bad = pm_hv_p2m_check(hv, domid, base, cnt, v);

			if (bad < 0) {
				m2p->checked = -1;
			} else {
				m2p->bad += bad;
				for (uint64_t i = 0; i < cnt; i++)
					m2p->checked += pm_p2m_kind_of(v[i]) == PM_P2M_RAM;
			}
		}
		for (uint64_t i = 0; !rc && i < cnt; i++) {
			enum pm_p2m_kind k = pm_p2m_kind_of(v[i]);
			uint64_t mfn = v[i] & ~(3ull << 62);
			bool frames = k == PM_P2M_RAM || k == PM_P2M_FOREIGN;
			struct pm_p2m_run *last = n ? &r[n - 1] : NULL;

			if (last && k == last->kind &&
			    (!frames || mfn == last->mfn + (base + i - last->start) ||
			     (mfn == PM_HV_FRAME_UNKNOWN && last->mfn == PM_HV_FRAME_UNKNOWN))) {
				last->end++;
				continue;
			}
			if (n == cap) {
				struct pm_p2m_run *g = realloc(r, (cap = cap ? 2 * cap : 64) * sizeof(*r));

				if (!g) {
					rc = -ENOMEM;
					break;
				}
				r = g;
			}
			r[n++] = (struct pm_p2m_run){ base + i, base + i + 1, k, frames ? mfn : 0 };
		}
	}
	free(v);
	if (rc) {
		free(r);
		fprintf(stderr, "%s: reading the P2M: %s\n", a->prog, strerror(-rc));
		return PXL_FAIL;
	}
	*out = r;
	*nr = n;
	return PXL_OK;
}

static int runs(const struct pxl_args *a, struct pm_hv *hv, uint32_t domid,
		const struct pm_hv_dominfo *info)
{
	struct pm_p2m_run *r;
	struct m2p_check m2p = { 0, 0 };
	size_t n;
	int rc = collect(a, hv, domid, info->max_pfn, &r, &n, &m2p);

	if (rc)
		return rc;
	if (a->opt[OPT_SVG]) {
		struct pm_domain_region *w = NULL;
		long nw = pm_domain_regions(domid, &w);   /* none on record: the runs alone */
		struct band *b;
		size_t nb;

		if (bands(r, n, info->max_pfn, w, nw > 0 ? nw : 0, &b, &nb)) {
			fprintf(stderr, "%s: out of memory\n", a->prog);
			rc = PXL_FAIL;
		} else {
			rc = svg(a, info->name, b, nb);
		}
		free(b);
		free(w);
	} else if (a->opt[OPT_JSON]) {
		int e = 0;

		printf("[\n");
		for (size_t i = 0; i < n && !e; i++)
			e = emit_json(&r[i], i + 1 == n);
		printf("]\n");
		if (e) {
			fprintf(stderr, "%s: %s\n", a->prog, strerror(-e));
			rc = PXL_FAIL;
		}
	} else {
		printf("%-10s %-28s %-12s %s\n", "kind", "pfns [start, end)", "size", "mfns");
		for (size_t i = 0; i < n; i++)
			emit(&r[i]);
		if (m2p.checked > 0)
			printf("Xen's M2P: %lld RAM pfns checked, %lld disagree\n", m2p.checked, m2p.bad);
	}
	free(r);
	return rc;
}

static int run(const struct pxl_args *a)
{
	struct pm_hv_dominfo info;
	struct pm_hv *hv;
	uint32_t domid;
	int rc = pxl_open_domain(a, &hv, &domid);

	if (rc)
		return rc;
	/* on Xen, dom0 is a PV guest like any (Linux's P2M); in the simulator, the toolstack */
	if (!domid && strcmp(pm_hv_backend(hv), "xen")) {
		fprintf(stderr, "%s: dom0 is the toolstack: its P2M is not the simulator's\n", a->prog);
		rc = PXL_FAIL;
	}
	if (!rc && pm_hv_domain_getinfo(hv, domid, &info))
		rc = PXL_FAIL;
	if (!rc) {
		if (a->opt[OPT_PFN])
			rc = explain(a, hv, domid);
		else if (a->opt[OPT_STATS])
			rc = stats(a, hv, domid);
		else
			rc = runs(a, hv, domid, &info);
	}
	pm_hv_close(hv);
	return rc;
}

static const struct pxl_cmd p2m = {
	.name = "p2m",
	.summary = "a domain's P2M: ram / identity / missing runs, one pfn's tree path, the tree's stats",
	.synopsis = "DOMAIN",
	.opts = opts,
	.nr_opts = sizeof(opts) / sizeof(opts[0]),
	.min_args = 1,
	.max_args = 1,
	.run = run,
};

static const struct pxl_cmd *const cmds[] = { &p2m, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
