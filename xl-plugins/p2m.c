/*
 * xl-plugins/p2m.c - pxl p2m: a domain's guest physical map as runs of
 * ram / identity / missing / foreign pfns, one pfn's tree path, or the
 * tree's statistics
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/p2m.h"
#include "physmap/size.h"
#include "pxl-util.h"

enum { OPT_PFN, OPT_STATS, OPT_JSON };

static const struct pm_opt opts[] = {
	[OPT_PFN] = { "pfn", required_argument, 'p', "PFN", "the tree path of one pfn (0x... or decimal)" },
	[OPT_STATS] = { "stats", no_argument, 's', NULL, "the tree's pages and sentinel references" },
	[OPT_JSON] = { "json", no_argument, 'j', NULL, "runs as JSON" },
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

/* one run out: a table row or a JSON object */
static void emit(const struct pm_p2m_run *r, bool json, bool first)
{
	char size[32], pfns[48];

	pm_size_format((r->end - r->start) * 4096, size, sizeof(size));
	if (json) {
		printf("%s    {\"kind\": \"%s\", \"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64 "\"",
		       first ? "" : ",\n", pm_p2m_kind_name(r->kind), r->start, r->end);
		if (r->kind == PM_P2M_RAM || r->kind == PM_P2M_FOREIGN)
			printf(", \"mfn\": \"0x%" PRIx64 "\"", r->mfn);
		printf("}");
		return;
	}
	snprintf(pfns, sizeof(pfns), "0x%" PRIx64 "-0x%" PRIx64, r->start, r->end);
	printf("%-10s %-28s %-12s", pm_p2m_kind_name(r->kind), pfns, size);
	if (r->kind == PM_P2M_RAM || r->kind == PM_P2M_FOREIGN)
		printf(" 0x%" PRIx64 "-0x%" PRIx64, r->mfn, r->mfn + (r->end - r->start));
	printf("\n");
}

/* the runs, from the entries read in chunks */
static int runs(const struct pxl_args *a, struct pm_hv *hv, uint32_t domid, uint64_t max_pfn)
{
	uint64_t *v = malloc(CHUNK * sizeof(*v));
	struct pm_p2m_run cur = { 0 };
	bool json = a->opt[OPT_JSON], first = true, have = false;
	int rc = 0;

	if (!v) {
		fprintf(stderr, "%s: out of memory\n", a->prog);
		return PXL_FAIL;
	}
	if (json)
		printf("[\n");
	else
		printf("%-10s %-28s %-12s %s\n", "kind", "pfns [start, end)", "size", "mfns");
	for (uint64_t base = 0; base < max_pfn && !rc; base += CHUNK) {
		uint64_t n = max_pfn - base < CHUNK ? max_pfn - base : CHUNK;

		rc = pm_hv_p2m_read(hv, domid, base, n, v);
		for (uint64_t i = 0; !rc && i < n; i++) {
			enum pm_p2m_kind k = pm_p2m_kind_of(v[i]);
			uint64_t mfn = v[i] & ~(3ull << 62);
			bool frames = k == PM_P2M_RAM || k == PM_P2M_FOREIGN;

			if (have && k == cur.kind && (!frames || mfn == cur.mfn + (base + i - cur.start))) {
				cur.end++;
				continue;
			}
			if (have) {
				emit(&cur, json, first);
				first = false;
			}
			cur = (struct pm_p2m_run){ base + i, base + i + 1, k, frames ? mfn : 0 };
			have = true;
		}
	}
	if (!rc && have)
		emit(&cur, json, first);
	if (json)
		printf("\n]\n");
	free(v);
	if (rc) {
		fprintf(stderr, "%s: reading the P2M: %s\n", a->prog, strerror(-rc));
		return PXL_FAIL;
	}
	return PXL_OK;
}

static int run(const struct pxl_args *a)
{
	struct pm_hv_dominfo info;
	struct pm_hv *hv;
	uint32_t domid;
	int rc = pxl_open_domain(a, &hv, &domid);

	if (rc)
		return rc;
	if (!domid) {
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
			rc = runs(a, hv, domid, info.max_pfn);
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
