/*
 * test-config.c - xl.cfg files into domain configurations: xl's syntax
 * through libxlutil, defaults as xl's, overrides, and one-line errors
 * naming file, line and key for every kind of bad input
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "physmap/config.h"

static char dir[] = "/tmp/pm-config-test-XXXXXX";
static char path[128], kernel[128];

/* writes text as the test's config file */
static void cfg_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int load(const char *text, const char *const *ov, size_t n,
		struct pm_domain_config *cfg, char *err)
{
	cfg_file(text);
	return pm_domain_config_load(path, ov, n, cfg, err, PM_CONFIG_ERR_LEN);
}

/* expects text (with overrides) to fail with exactly want */
static void expect_error(const char *text, const char *const *ov, size_t n, const char *want)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN], full[PM_CONFIG_ERR_LEN];

	const char *at = strstr(want, "%s");

	assert_int_equal(load(text, ov, n, &cfg, err), -EINVAL);
	/* "%s" in want stands for the config file's path */
	if (at)
		snprintf(full, sizeof(full), "%.*s%s%s", (int)(at - want), want, path, at + 2);
	else
		snprintf(full, sizeof(full), "%s", want);
	assert_string_equal(err, full);
	assert_null(cfg.name);   /* nothing is left behind */
	assert_int_equal(cfg.nr_opts, 0);
}

static int group_setup(void **state)
{
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/guest.cfg", dir);
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dir);
	f = fopen(kernel, "w");
	assert_non_null(f);
	fclose(f);
	return 0;
}

static int group_teardown(void **state)
{
	unlink(path);
	unlink(kernel);
	rmdir(dir);
	return 0;
}

static void a_minimal_file_gets_xls_defaults(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN];

	assert_int_equal(load("name = \"g\"\n", NULL, 0, &cfg, err), 0);
	assert_string_equal(cfg.name, "g");
	assert_string_equal(cfg.type, "pvh");
	assert_string_equal(cfg.board, "pc");
	assert_int_equal(cfg.memory, 128ull << 20);
	assert_int_equal(cfg.maxmem, 128ull << 20);
	assert_int_equal(cfg.vcpus, 1);
	assert_int_equal(cfg.maxvcpus, 1);
	assert_int_equal(cfg.on_poweroff, PM_ACTION_DESTROY);
	assert_int_equal(cfg.on_reboot, PM_ACTION_RESTART);
	assert_int_equal(cfg.on_crash, PM_ACTION_DESTROY);
	assert_null(cfg.kernel);
	assert_int_equal(cfg.nr_warnings, 0);
	pm_domain_config_dispose(&cfg);
	pm_domain_config_dispose(&cfg);   /* idempotent */
}

static void a_full_virt_file_resolves_every_key(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN], text[1024];

	snprintf(text, sizeof(text),
		 "# an ARM guest\n"
		 "name = 'arm1'; board = \"virt\"\n"
		 "memory = 512\n"
		 "maxmem = \"1g\"\n"
		 "vcpus = 2\nmaxvcpus = 4\n"
		 "kernel = \"%s\"\n"
		 "root = \"/dev/vda\"\nextra = \"console=hvc0\"\n"
		 "on_crash = \"preserve\"\n"
		 "gic_version = 2\nhighmem = 0\n", kernel);
	assert_int_equal(load(text, NULL, 0, &cfg, err), 0);
	assert_string_equal(cfg.board, "virt");
	assert_int_equal(cfg.memory, 512ull << 20);
	assert_int_equal(cfg.maxmem, 1ull << 30);
	assert_int_equal(cfg.vcpus, 2);
	assert_int_equal(cfg.maxvcpus, 4);
	assert_string_equal(cfg.kernel, kernel);
	assert_string_equal(cfg.cmdline, "root=/dev/vda console=hvc0");
	assert_int_equal(cfg.on_crash, PM_ACTION_PRESERVE);
	assert_int_equal(cfg.nr_opts, 2);
	assert_string_equal(cfg.opts[0].key, "gic_version");
	assert_string_equal(cfg.opts[0].value, "2");
	assert_string_equal(cfg.opts[1].key, "highmem");
	pm_domain_config_dispose(&cfg);
}

static void overrides_win_and_bare_words_are_strings(void **state)
{
	const char *ov[] = { "memory=1024", "name=other", "cmdline=quiet loglevel=3" };
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN];

	assert_int_equal(load("name = \"g\"\nmemory = 256\nmaxmem = 2048\n", ov, 3, &cfg, err), 0);
	assert_int_equal(cfg.memory, 1024ull << 20);
	assert_string_equal(cfg.name, "other");
	assert_string_equal(cfg.cmdline, "quiet loglevel=3");
	pm_domain_config_dispose(&cfg);
}

static void unknown_key_names_file_line_and_a_suggestion(void **state)
{
	expect_error("name = \"g\"\n\nmemroy = 512\n", NULL, 0,
		     "%s:3: memroy: unknown key (did you mean 'memory'?)");
	expect_error("name = \"g\"\nfrobnicate = 1\n", NULL, 0, "%s:2: frobnicate: unknown key");
}

static void unknown_key_in_an_override_names_the_command_line(void **state)
{
	const char *ov[] = { "vcpus=2", "vcpu=2" };

	expect_error("name = \"g\"\n", ov, 2,
		     "command line:2: vcpu: unknown key (did you mean 'vcpus'?)");
}

static void xl_keys_not_implemented_are_warnings(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN], want[256];

	assert_int_equal(load("name = \"g\"\ndisk = [ 'phy:/dev/vg/g,xvda,w' ]\n"
			      "vif = [ 'bridge=xenbr0' ]\n", NULL, 0, &cfg, err), 0);
	assert_int_equal(cfg.nr_warnings, 2);
	snprintf(want, sizeof(want), "%s:2: disk: an xl key physmap does not implement yet; ignored",
		 path);
	assert_string_equal(cfg.warnings[0], want);
	pm_domain_config_dispose(&cfg);
}

static void a_syntax_error_is_libxlutils_report_with_its_line(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN], want[256];

	assert_int_equal(load("name = \"g\"\nmemory = = 5\n", NULL, 0, &cfg, err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2:", path);
	assert_memory_equal(err, want, strlen(want));
	assert_null(strchr(err, '\n'));
}

static void bad_values_are_errors_at_their_key(void **state)
{
	expect_error("name = \"g\"\nmemory = \"lots\"\n", NULL, 0,
		     "%s:2: memory: \"lots\" is not a size (a number of MiB, or 512m, 2g, ...)");
	expect_error("name = \"g\"\nvcpus = 0\n", NULL, 0,
		     "%s:2: vcpus: \"0\" is not a number of vCPUs from 1 to 128");
	expect_error("name = \"g\"\non_crash = \"explode\"\n", NULL, 0,
		     "%s:2: on_crash: \"explode\" is not one of destroy, restart, preserve, "
		     "rename-restart, coredump-destroy, coredump-restart, soft-reset");
	expect_error("name = \"g\"\nboard = \"sparc\"\n", NULL, 0,
		     "%s:2: board: \"sparc\" is not a board (pc, q35, virt)");
	expect_error("name = \"g\"\ntype = \"hvm-pv\"\n", NULL, 0,
		     "%s:2: type: \"hvm-pv\": one of pvh, hvm, pv");
	expect_error("name = [ \"a\" ]\n", NULL, 0,
		     "%s:1: name: expected a single value, not a list");
}

static void memory_above_maxmem_is_an_error(void **state)
{
	expect_error("name = \"g\"\nmemory = 1024\nmaxmem = 512\n", NULL, 0,
		     "%s:3: maxmem: 512 MiB is less than memory (1024 MiB)");
}

static void a_missing_name_or_a_numeric_one_is_an_error(void **state)
{
	expect_error("memory = 256\n", NULL, 0, "%s: name: missing: every domain needs a name");
	expect_error("name = \"42\"\n", NULL, 0,
		     "%s:1: name: \"42\": all digits would read as a domain id");
}

static void a_missing_kernel_names_the_file(void **state)
{
	expect_error("name = \"g\"\nkernel = \"/no/such/vmlinuz\"\n", NULL, 0,
		     "%s:2: kernel: /no/such/vmlinuz: No such file or directory");
}

static void a_key_of_another_board_says_whose_it_is(void **state)
{
	expect_error("name = \"g\"\nboard = \"pc\"\ngic_version = 3\n", NULL, 0,
		     "%s:3: gic_version: a key of board 'virt', not of 'pc'");
}

static void a_bad_board_value_is_the_boards_message_at_its_line(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN], want[256];

	assert_int_equal(load("name = \"g\"\nboard = \"virt\"\n\ngic_version = 7\n", NULL, 0,
			      &cfg, err), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: board 'virt': gic_version:", path);
	assert_memory_equal(err, want, strlen(want));
}

static void an_unreadable_file_is_its_errno(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN];

	assert_int_equal(pm_domain_config_load("/no/such.cfg", NULL, 0, &cfg, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/no/such.cfg: No such file or directory");
}

static void an_override_without_equals_is_an_error(void **state)
{
	const char *ov[] = { "memory" };

	expect_error("name = \"g\"\n", ov, 1, "command line:1: \"memory\": expected key=value");
}

static void json_has_every_field(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN], *json;

	assert_int_equal(load("name = \"j\"\nboard = \"virt\"\nmemory = 256\ngic_version = 3\n"
			      "vfb = [ 'vnc=1' ]\n", NULL, 0, &cfg, err), 0);
	assert_true(pm_domain_config_json(&cfg, &json) > 0);
	assert_non_null(strstr(json, "\"name\": \"j\""));
	assert_non_null(strstr(json, "\"memory\": 268435456"));
	assert_non_null(strstr(json, "\"gic_version\": \"3\""));
	assert_non_null(strstr(json, "\"on_reboot\": \"restart\""));
	assert_non_null(strstr(json, "vfb: an xl key physmap does not implement yet; ignored"));
	free(json);
	pm_domain_config_dispose(&cfg);
}

static void json_read_back_is_the_same_configuration(void **state)
{
	static const char *const ov[] = { "on_crash=preserve" };
	struct pm_domain_config cfg, back;
	char err[PM_CONFIG_ERR_LEN], *json, *again;

	assert_int_equal(load("name = \"j\"\nboard = \"virt\"\nmemory = 256\nmaxmem = 512\nvcpus = 2\n"
			      "gic_version = 3\ncmdline = 'a \"quoted\" word'\n", NULL, 0, &cfg, err), 0);
	assert_true(pm_domain_config_json(&cfg, &json) > 0);
	/* the kernel need not exist where a saved guest is restored */
	free(cfg.kernel);
	cfg.kernel = strdup("/nonexistent/vmlinuz");
	free(json);
	assert_true(pm_domain_config_json(&cfg, &json) > 0);
	assert_int_equal(pm_domain_config_from_json(json, "j.save", NULL, 0, &back, err, sizeof(err)), 0);
	assert_true(pm_domain_config_json(&back, &again) > 0);
	/* the same but for where it came from */
	assert_string_equal(strstr(json, "\"name\""), strstr(again, "\"name\""));
	free(again);
	pm_domain_config_dispose(&back);
	/* overrides apply on top, as to a file */
	assert_int_equal(pm_domain_config_from_json(json, "j.save", ov, 1, &back, err, sizeof(err)), 0);
	assert_int_equal(back.on_crash, PM_ACTION_PRESERVE);
	assert_int_equal(back.maxmem, 512ull << 20);
	pm_domain_config_dispose(&back);
	free(json);
	pm_domain_config_dispose(&cfg);
}

static void json_that_is_not_a_configuration_is_an_error(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN];

	assert_int_equal(pm_domain_config_from_json("[1, 2]", "x.save", NULL, 0, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "x.save: not a configuration"));
	assert_int_equal(pm_domain_config_from_json("{\"name\": \"a\", \"memory\": -4}", "x.save", NULL, 0, &cfg, err,
						    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "x.save: memory: not a positive number"));
	assert_int_equal(pm_domain_config_from_json("{\"name\": \"a\", \"board_opts\": {\"Bad-Key\": \"1\"}}",
						    "x.save", NULL, 0, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "board_opts: Bad-Key"));
	assert_int_equal(pm_domain_config_from_json("{\"name\": \"a\", \"board\": \"nope\"}", "x.save", NULL, 0, &cfg,
						    err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "board"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_read_back_is_the_same_configuration),
		cmocka_unit_test(json_that_is_not_a_configuration_is_an_error),
		cmocka_unit_test(a_minimal_file_gets_xls_defaults),
		cmocka_unit_test(a_full_virt_file_resolves_every_key),
		cmocka_unit_test(overrides_win_and_bare_words_are_strings),
		cmocka_unit_test(unknown_key_names_file_line_and_a_suggestion),
		cmocka_unit_test(unknown_key_in_an_override_names_the_command_line),
		cmocka_unit_test(xl_keys_not_implemented_are_warnings),
		cmocka_unit_test(a_syntax_error_is_libxlutils_report_with_its_line),
		cmocka_unit_test(bad_values_are_errors_at_their_key),
		cmocka_unit_test(memory_above_maxmem_is_an_error),
		cmocka_unit_test(a_missing_name_or_a_numeric_one_is_an_error),
		cmocka_unit_test(a_missing_kernel_names_the_file),
		cmocka_unit_test(a_key_of_another_board_says_whose_it_is),
		cmocka_unit_test(a_bad_board_value_is_the_boards_message_at_its_line),
		cmocka_unit_test(an_unreadable_file_is_its_errno),
		cmocka_unit_test(an_override_without_equals_is_an_error),
		cmocka_unit_test(json_has_every_field),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
