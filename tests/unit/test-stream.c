/*
 * tests/unit/test-stream.c - Xen's save stream, record by record
 * (<physmap/stream.h>): what is written reads back, and a reader refuses
 * every truncation, oversized record, bad padding, bad header and bad
 * PAGE_DATA without reading past what it was given.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "physmap/stream.h"

/* a stream: xl header with @json, libxl header, LIBXC_CONTEXT, a libxc HVM stream (two pages and a hole, params), END, END */
static void sample(struct pm_stream_buf *b, const char *json)
{
	static uint8_t pages[2 * 4096];
	uint64_t pfns[3] = { 0x100, 0x101, 0x200 | (PM_PAGE_XTAB << PM_PAGE_TYPE_SHIFT) };
	uint32_t params_head[2] = { 1, 0 };
	uint64_t param[2] = { 1 /* HVM_PARAM_STORE_PFN */, 0xfeffc };

	memset(pages, 0xa5, 4096);
	memset(pages + 4096, 0x5a, 4096);
	assert_int_equal(pm_stream_put_xl_header(b, json), 0);
	assert_int_equal(pm_stream_put_libxl_header(b), 0);
	assert_int_equal(pm_stream_put_record(b, PM_LIBXL_LIBXC_CONTEXT, NULL, 0, NULL, 0), 0);
	assert_int_equal(pm_stream_put_libxc_header(b, PM_LIBXC_DOM_X86_HVM, 4, 17), 0);
	assert_int_equal(pm_stream_put_page_data(b, pfns, 3, pages), 0);
	assert_int_equal(pm_stream_put_record(b, PM_LIBXC_HVM_PARAMS, params_head, sizeof(params_head), param,
					      sizeof(param)), 0);
	assert_int_equal(pm_stream_put_record(b, PM_LIBXC_HVM_CONTEXT, NULL, 0, "ctx", 3), 0);
	assert_int_equal(pm_stream_put_record(b, PM_LIBXC_END, NULL, 0, NULL, 0), 0);
	assert_int_equal(pm_stream_put_record(b, PM_LIBXL_END, NULL, 0, NULL, 0), 0);
}

/* reads the sample back; returns the first error, 0 when all of it read as written */
static int read_sample(const uint8_t *data, size_t len)
{
	struct pm_stream_cursor c = { data, len, 0 };
	struct pm_stream_record r;
	uint32_t type;
	const char *json;
	const uint8_t *pages;
	uint32_t count;
	int rc;

	if ((rc = pm_stream_get_xl_header(&c, &json)) || (rc = pm_stream_get_libxl_header(&c)) ||
	    (rc = pm_stream_get_record(&c, &r)))
		return rc;
	assert_int_equal(r.type, PM_LIBXL_LIBXC_CONTEXT);
	if ((rc = pm_stream_get_libxc_header(&c, &type)) || (rc = pm_stream_get_record(&c, &r)))
		return rc;
	assert_int_equal(type, PM_LIBXC_DOM_X86_HVM);
	assert_int_equal(pm_stream_page_data(&r, &count, &pages), 0);
	assert_int_equal(count, 3);
	assert_int_equal(pm_stream_page_pfn(&r, 1), 0x101);
	assert_int_equal(pm_stream_page_pfn(&r, 2) >> PM_PAGE_TYPE_SHIFT, PM_PAGE_XTAB);
	assert_int_equal(pages[0], 0xa5);
	assert_int_equal(pages[4096 + 4095], 0x5a);
	if ((rc = pm_stream_get_record(&c, &r)))
		return rc;
	assert_int_equal(r.type, PM_LIBXC_HVM_PARAMS);
	assert_int_equal(r.len, 24);
	if ((rc = pm_stream_get_record(&c, &r)))
		return rc;
	assert_int_equal(r.type, PM_LIBXC_HVM_CONTEXT);
	assert_memory_equal(r.body, "ctx", 3);
	if ((rc = pm_stream_get_record(&c, &r)))
		return rc;
	assert_int_equal(r.type, PM_LIBXC_END);
	if ((rc = pm_stream_get_record(&c, &r)))
		return rc;
	assert_int_equal(r.type, PM_LIBXL_END);
	assert_int_equal(c.pos, len);
	assert_string_equal(json, "{\"c_info\": {\"name\": \"pc\"}}");
	return 0;
}

static void a_written_stream_reads_back_record_by_record(void **state)
{
	struct pm_stream_buf b = { 0 };

	(void)state;
	sample(&b, "{\"c_info\": {\"name\": \"pc\"}}");
	assert_int_equal(b.len % 8, (32 + 16 + 27) % 8);   /* only the xl header's JSON (26 bytes and its NUL) is unpadded */
	assert_int_equal(read_sample(b.data, b.len), 0);
	pm_stream_buf_dispose(&b);
}

static void every_truncation_is_refused_and_nothing_is_read_past_it(void **state)
{
	struct pm_stream_buf b = { 0 };

	(void)state;
	sample(&b, "{\"c_info\": {\"name\": \"pc\"}}");
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *copy = malloc(len ? len : 1);   /* exactly len: ASan sees any read past it */
		int rc;

		memcpy(copy, b.data, len);
		rc = read_sample(copy, len);
		if (rc != -ENODATA)
			fail_msg("truncated at %zu of %zu: %d, not -ENODATA", len, b.len, rc);
		free(copy);
	}
	pm_stream_buf_dispose(&b);
}

static void oversized_records_and_dirty_padding_are_refused(void **state)
{
	struct pm_stream_buf b = { 0 };
	struct pm_stream_record r;
	uint32_t big[2] = { PM_LIBXC_HVM_CONTEXT, PM_STREAM_RECORD_MAX + 1 };
	struct pm_stream_cursor c = { (const uint8_t *)big, sizeof(big), 0 };

	(void)state;
	assert_int_equal(pm_stream_get_record(&c, &r), -E2BIG);
	assert_int_equal(pm_stream_put_record(&b, PM_LIBXC_HVM_CONTEXT, NULL, 0, "abc", 3), 0);
	b.data[8 + 5] = 1;   /* in the padding */
	c = (struct pm_stream_cursor){ b.data, b.len, 0 };
	assert_int_equal(pm_stream_get_record(&c, &r), -EINVAL);
	assert_int_equal(pm_stream_put_record(&b, 1, NULL, PM_STREAM_RECORD_MAX, NULL, 1), -E2BIG);
	pm_stream_buf_dispose(&b);
}

static void bad_headers_are_refused(void **state)
{
	struct pm_stream_buf b = { 0 };
	struct pm_stream_cursor c;
	uint32_t type;
	const char *json;

	(void)state;
	assert_int_equal(pm_stream_put_xl_header(&b, "{}"), 0);
	b.data[0] = 'x';
	c = (struct pm_stream_cursor){ b.data, b.len, 0 };
	assert_int_equal(pm_stream_get_xl_header(&c, &json), -EINVAL);
	b.data[0] = 'X';
	b.data[b.len - 1] = '}';   /* the JSON's NUL gone */
	c = (struct pm_stream_cursor){ b.data, b.len, 0 };
	assert_int_equal(pm_stream_get_xl_header(&c, &json), -EINVAL);
	pm_stream_buf_dispose(&b);

	assert_int_equal(pm_stream_put_libxc_header(&b, PM_LIBXC_DOM_X86_PV, 4, 17), 0);
	c = (struct pm_stream_cursor){ b.data, b.len, 0 };
	assert_int_equal(pm_stream_get_libxc_header(&c, &type), -EINVAL);   /* PV: not ours */
	pm_stream_buf_dispose(&b);
	assert_int_equal(pm_stream_put_libxc_header(&b, PM_LIBXC_DOM_PHYSMAP_ARM64, 4, 17), 0);
	c = (struct pm_stream_cursor){ b.data, b.len, 0 };
	assert_int_equal(pm_stream_get_libxc_header(&c, &type), 0);
	assert_int_equal(type, PM_LIBXC_DOM_PHYSMAP_ARM64);
	b.data[23] = 1;   /* big-endian option */
	c = (struct pm_stream_cursor){ b.data, b.len, 0 };
	assert_int_equal(pm_stream_get_libxc_header(&c, &type), -EINVAL);
	pm_stream_buf_dispose(&b);
}

static void page_data_whose_parts_do_not_add_up_is_refused(void **state)
{
	uint64_t ok[1] = { 5 }, bad_type[1] = { 5 | (0x7ull << PM_PAGE_TYPE_SHIFT) }, reserved[1] = { 1ull << 55 };
	static uint8_t page[4096];
	struct pm_stream_buf b = { 0 };
	struct pm_stream_cursor c;
	struct pm_stream_record r;
	const uint8_t *pages;
	uint32_t count;

	(void)state;
	assert_int_equal(pm_stream_put_page_data(&b, bad_type, 1, page), -EINVAL);
	assert_int_equal(pm_stream_put_page_data(&b, reserved, 1, page), -EINVAL);
	assert_int_equal(pm_stream_put_page_data(&b, ok, 0, page), -EINVAL);
	assert_int_equal(pm_stream_put_page_data(&b, ok, 1, page), 0);
	c = (struct pm_stream_cursor){ b.data, b.len, 0 };
	assert_int_equal(pm_stream_get_record(&c, &r), 0);
	assert_int_equal(pm_stream_page_data(&r, &count, &pages), 0);
	r.len -= 8;   /* a page short */
	assert_int_equal(pm_stream_page_data(&r, &count, &pages), -EINVAL);
	r.len += 8;
	b.data[8 + 8 + 7] = 0x70;   /* pfn 0's type: 7, unknown */
	assert_int_equal(pm_stream_page_data(&r, &count, &pages), -EINVAL);
	pm_stream_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_written_stream_reads_back_record_by_record),
		cmocka_unit_test(every_truncation_is_refused_and_nothing_is_read_past_it),
		cmocka_unit_test(oversized_records_and_dirty_padding_are_refused),
		cmocka_unit_test(bad_headers_are_refused),
		cmocka_unit_test(page_data_whose_parts_do_not_add_up_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
