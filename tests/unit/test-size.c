/* test-size.c - xl size strings: what is accepted, what is refused */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "physmap/size.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

static uint64_t parse_ok(const char *s, unsigned shift)
{
	uint64_t v = 0;
	int rc = pm_size_parse(s, shift, &v);

	if (rc != 0)
		fail_msg("pm_size_parse(\"%s\") = %d, expected 0", s, rc);
	return v;
}

static void parse_fails(const char *s, int expected)
{
	uint64_t v = 0xfeedface;
	int rc = pm_size_parse(s, PM_SIZE_M, &v);

	if (rc != expected)
		fail_msg("pm_size_parse(\"%s\") = %d, expected %d", s, rc, expected);
	assert_int_equal(v, 0xfeedface);
}

static void size_suffixes_as_xl_accepts(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("512m", PM_SIZE_M), 512 * MiB);
	assert_int_equal(parse_ok("2g", PM_SIZE_M), 2 * GiB);
	assert_int_equal(parse_ok("1t", PM_SIZE_M), 1 * TiB);
	assert_int_equal(parse_ok("4096b", PM_SIZE_M), 4096);
	assert_int_equal(parse_ok("64k", PM_SIZE_M), 64 * KiB);
}

static void size_suffixes_ignore_case(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("512M", PM_SIZE_B), 512 * MiB);
	assert_int_equal(parse_ok("2G", PM_SIZE_B), 2 * GiB);
	assert_int_equal(parse_ok("1T", PM_SIZE_B), TiB);
	assert_int_equal(parse_ok("7B", PM_SIZE_M), 7);
	assert_int_equal(parse_ok("3K", PM_SIZE_B), 3 * KiB);
}

static void size_without_suffix_uses_default_unit(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("512", PM_SIZE_M), 512 * MiB);
	assert_int_equal(parse_ok("512", PM_SIZE_K), 512 * KiB);
	assert_int_equal(parse_ok("512", PM_SIZE_B), 512);
	assert_int_equal(parse_ok("0", PM_SIZE_G), 0);
}

static void size_garbage_is_einval(void **state)
{
	static const char *const bad[] = {
		"", "m", "-1", "+1", " 1", "1 ", "1.5g", "512mb", "0x10",
		"12q", "1gg", "g1", "1\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails(bad[i], -EINVAL);
}

static void size_overflow_is_erange(void **state)
{
	(void)state;
	/* 2^64 exactly, and a number far past it */
	parse_fails("18446744073709551616b", -ERANGE);
	parse_fails("99999999999999999999999999", -ERANGE);
	/* the number fits, the shifted value does not */
	parse_fails("16777216t", -ERANGE);
	parse_fails("17179869184g", -ERANGE);
}

static void size_largest_values_fit(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("18446744073709551615b", PM_SIZE_M), UINT64_MAX);
	assert_int_equal(parse_ok("16777215t", PM_SIZE_M), 16777215 * TiB);
}

static void size_bad_default_unit_is_einval(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(pm_size_parse("1", 7, &v), -EINVAL);
	assert_int_equal(pm_size_parse("1", 50, &v), -EINVAL);
	assert_int_equal(pm_size_parse("1", 1000, &v), -EINVAL);
}

static void size_format_uses_largest_exact_unit(void **state)
{
	char buf[24];

	(void)state;
	assert_int_equal(pm_size_format(512 * MiB, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "512M");
	pm_size_format(3 * GiB, buf, sizeof(buf));
	assert_string_equal(buf, "3G");
	pm_size_format(4100 * KiB, buf, sizeof(buf));
	assert_string_equal(buf, "4100K");
	pm_size_format(4097, buf, sizeof(buf));
	assert_string_equal(buf, "4097B");
	pm_size_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "0B");
	pm_size_format(2048 * TiB, buf, sizeof(buf));
	assert_string_equal(buf, "2048T");
	pm_size_format(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "18446744073709551615B");
}

static void size_format_reports_short_buffer(void **state)
{
	char buf[4];

	(void)state;
	assert_int_equal(pm_size_format(512 * MiB, buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(pm_size_format(64 * MiB, buf, sizeof(buf)), 3);
}

static void size_format_round_trips_through_parse(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15u;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		char buf[24];
		uint64_t back = 0;
		/* values with many trailing zero bits exercise every unit */
		uint64_t v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x >> (x & 63);
		v <<= (x >> 8) & 31;
		assert_true(pm_size_format(v, buf, sizeof(buf)) > 0);
		assert_int_equal(pm_size_parse(buf, PM_SIZE_M, &back), 0);
		assert_int_equal(back, v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(size_suffixes_as_xl_accepts),
		cmocka_unit_test(size_suffixes_ignore_case),
		cmocka_unit_test(size_without_suffix_uses_default_unit),
		cmocka_unit_test(size_garbage_is_einval),
		cmocka_unit_test(size_overflow_is_erange),
		cmocka_unit_test(size_largest_values_fit),
		cmocka_unit_test(size_bad_default_unit_is_einval),
		cmocka_unit_test(size_format_uses_largest_exact_unit),
		cmocka_unit_test(size_format_reports_short_buffer),
		cmocka_unit_test(size_format_round_trips_through_parse),
	};

	return cmocka_run_group_tests_name("size", tests, NULL, NULL);
}
