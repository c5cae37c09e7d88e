/*
 * tests/integration/stream-sample.c - writes a PC guest's save file as
 * physmap's stream code lays it out (xl header with JSON, libxl v2 stream,
 * libxc v3 HVM stream with pages, a hole, HVM params and context, the
 * emulator's records) to FILE, for Xen's verify-stream-v2 to judge:
 *
 *   stream-sample FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/stream.h"

int main(int argc, char **argv)
{
	static uint8_t pages[3 * 4096];
	uint64_t pfns[4] = { 0x0, 0x1, 0x9f | (PM_PAGE_XTAB << PM_PAGE_TYPE_SHIFT), 0x100 };
	uint32_t params_head[2] = { 2, 0 };
	uint64_t params[4] = { 1, 0x40000, 2, 2 };   /* HVM_PARAM_STORE_PFN, _EVTCHN */
	struct pm_stream_emulator emu = { PM_EMULATOR_QEMU_UPSTREAM, 0 };
	struct pm_stream_buf b = { 0 };
	FILE *f;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: stream-sample FILE\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(pages); i++)
		pages[i] = (uint8_t)(i * 7);
	rc = pm_stream_put_xl_header(&b, "{\"c_info\": {\"type\": \"pvh\", \"name\": \"pc-guest\"}}");
	rc = rc ?: pm_stream_put_libxl_header(&b);
	rc = rc ?: pm_stream_put_record(&b, PM_LIBXL_LIBXC_CONTEXT, NULL, 0, NULL, 0);
	rc = rc ?: pm_stream_put_libxc_header(&b, PM_LIBXC_DOM_X86_HVM, 4, 17);
	rc = rc ?: pm_stream_put_record(&b, PM_LIBXC_STATIC_DATA_END, NULL, 0, NULL, 0);
	rc = rc ?: pm_stream_put_page_data(&b, pfns, 4, pages);
	rc = rc ?: pm_stream_put_record(&b, PM_LIBXC_HVM_CONTEXT, NULL, 0, "physmap", 8);
	rc = rc ?: pm_stream_put_record(&b, PM_LIBXC_HVM_PARAMS, params_head, sizeof(params_head), params,
					sizeof(params));
	rc = rc ?: pm_stream_put_record(&b, PM_LIBXC_END, NULL, 0, NULL, 0);
	/* the store's data empty: 4.17's verifier under Python 3 refuses any (docs/specs/stream.md) */
	rc = rc ?: pm_stream_put_record(&b, PM_LIBXL_EMULATOR_XENSTORE_DATA, &emu, sizeof(emu), NULL, 0);
	rc = rc ?: pm_stream_put_record(&b, PM_LIBXL_EMULATOR_CONTEXT, &emu, sizeof(emu), "dm-state", 8);
	rc = rc ?: pm_stream_put_record(&b, PM_LIBXL_END, NULL, 0, NULL, 0);
	if (rc) {
		fprintf(stderr, "stream-sample: %d\n", rc);
		return 1;
	}
	f = fopen(argv[1], "wb");
	if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	pm_stream_buf_dispose(&b);
	return 0;
}
