/*
 * tests/fuzz/fuzz-stream.c - libFuzzer target: any bytes as a save file,
 * read as pxl restore reads one before it builds anything: xl's header and
 * its JSON configuration, the libxl and libxc headers, every record, the
 * pages' pfns and the vCPUs' state
 *
 * Every record read is written again by the writer and must come out
 * byte for byte as it went in; nothing read may be trusted past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/config.h"
#include "physmap/stream.h"
#include "save-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VCPUS 4

/* a record written again must be the bytes it was read from */
static void same_again(const struct pm_stream_record *r, const uint8_t *at, size_t len)
{
	struct pm_stream_buf b = { 0 };

	if (pm_stream_put_record(&b, r->type, NULL, 0, r->body, r->len))
		abort();
	if (b.len != len || memcmp(b.data, at, len))
		abort();
	pm_stream_buf_dispose(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_stream_cursor c = { data, size, 0 };
	struct pm_hv_vcpu_state st[VCPUS];
	struct pm_domain_config cfg;
	struct pm_stream_record r;
	uint32_t type;
	char err[256];
	const char *json;

	if (pm_stream_get_xl_header(&c, &json))
		return 0;
	if (json && !pm_domain_config_from_json(json, "fuzz", NULL, 0, &cfg, err, sizeof(err)))
		pm_domain_config_dispose(&cfg);
	if (pm_stream_get_libxl_header(&c))
		return 0;
	for (int stream = 0; stream < 2; stream++) {
		/* the libxl records, the libxc stream after LIBXC_CONTEXT, then libxl's again */
		if (stream == 1 && pm_stream_get_libxc_header(&c, &type))
			return 0;
		for (;;) {
			size_t at = c.pos;
			uint32_t count;
			const uint8_t *pages;

			if (pm_stream_get_record(&c, &r))
				return 0;
			if (r.len > c.len || r.body < data || r.body + r.len > data + size)
				abort();   /* a body past what was read */
			same_again(&r, data + at, c.pos - at);
			if (!stream && r.type == PM_LIBXL_LIBXC_CONTEXT)
				break;
			if (stream && r.type == PM_LIBXC_PAGE_DATA && !pm_stream_page_data(&r, &count, &pages))
				for (uint32_t i = 0; i < count; i++)
					(void)pm_stream_page_pfn(&r, i);
			if (stream && (r.type == PM_LIBXC_HVM_CONTEXT || r.type == PM_LIBXC_PHYSMAP_VCPUS))
				(void)pm__vcpus_get(&r, st, VCPUS, err, sizeof(err));
			if (r.type == PM_LIBXC_END)
				break;
		}
	}
	return 0;
}
