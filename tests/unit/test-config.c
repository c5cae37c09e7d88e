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
#include <sys/stat.h>
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
	fputs("\x7f" "ELF", f);   /* not empty: what it holds is the builder's to judge */
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
	/* the virt board cannot hot-plug vCPUs: maxvcpus warned about, naming where, and ignored */
	assert_int_equal(cfg.maxvcpus, 2);
	assert_int_equal(cfg.nr_warnings, 1);
	assert_non_null(strstr(cfg.warnings[0], ":6: maxvcpus: board 'virt' cannot hot-plug vCPUs"));
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
	/* a dot belongs to a key, as libxlutil reads it: never taken for the key before the dot */
	expect_error("name = \"g\"\ncpu.. = 4\n", NULL, 0, "%s:2: cpu..: unknown key (did you mean 'cpuid'?)");
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

	assert_int_equal(load("name = \"g\"\nvfb = [ 'vnc=1' ]\n"
			      "pci = [ '01:00.0' ]\n", NULL, 0, &cfg, err), 0);
	assert_int_equal(cfg.nr_warnings, 2);
	snprintf(want, sizeof(want), "%s:2: vfb: %s; ignored", path,
		 "a graphical console's: physmap has no framebuffer, VGA or remote display");
	assert_string_equal(cfg.warnings[0], want);
	snprintf(want, sizeof(want), "%s:3: pci: %s; ignored", path,
		 "host device passthrough: neither backend passes host devices to guests");
	assert_string_equal(cfg.warnings[1], want);
	pm_domain_config_dispose(&cfg);
}

static void every_key_of_xl_cfg_is_known(void **state)
{
	/* xl.cfg(5) of Xen 4.17, its top-level keys: each honoured, a board's, or ignored with a reason */
	static const char *const keys[] = {
		"acpi", "acpi_firmware", "acpi_laptop_slate", "acpi_s3", "acpi_s4", "altp2m", "altp2mhvm",
		"apic", "bios", "bios_path_override", "boot", "bootloader", "bootloader_args", "builder", "cap",
		"channel", "cmdline", "cpu_weight", "cpuid", "cpus", "cpus_soft", "device_model_args",
		"device_model_args_hvm", "device_model_args_pv", "device_model_override",
		"device_model_stubdomain_override", "device_model_stubdomain_seclabel", "device_model_user",
		"device_model_version", "device_tree", "disk", "dm_restrict", "driver_domain", "dtdev",
		"e820_host", "extra", "firmware", "gfx_passthru", "gic_version", "hap", "hdtype", "hpet",
		"init_seclabel", "iomem", "ioports", "irqs", "kernel", "keymap", "localtime",
		"max_event_channels", "max_grant_frames", "max_grant_version", "max_maptrack_frames", "maxmem",
		"maxvcpus", "mca_caps", "memory", "mmio_hole", "ms_vm_genid", "msr_relaxed", "name", "nestedhvm",
		"nographic", "nomigrate", "nx", "on_crash", "on_poweroff", "on_reboot", "on_soft_reset",
		"on_watchdog", "oos", "opengl", "p9", "pae", "passthrough", "pci", "pci_msitranslate",
		"pci_permissive", "pci_power_mgmt", "pci_seize", "pool", "pvcalls", "pvshim", "pvshim_cmdline",
		"pvshim_extra", "pvshim_path", "ramdisk", "rdm", "rdm_mem_boundary", "root", "rtc_timeoffset",
		"sdl", "seclabel", "serial", "shadow_memory", "smbios_firmware", "soundhw", "spice",
		"spice_clipboard_sharing", "spice_image_compression", "spice_streaming_video", "spiceagent_mouse",
		"spicedisable_ticketing", "spicehost", "spicepasswd", "spiceport", "spicetls_port",
		"spiceusbredirection", "spicevdagent", "stdvga", "stubdomain_cmdline", "stubdomain_kernel",
		"stubdomain_memory", "stubdomain_ramdisk", "tee", "timer_mode", "tsc_mode", "type", "usb",
		"usbctrl", "usbdev", "usbdevice", "usbversion", "uuid", "vcpus", "vdispl", "vendor_device",
		"vfb", "vga", "videoram", "vif", "viridian", "vkb", "vkb_device", "vmtrace_buf_kb", "vnc",
		"vncdisplay", "vnclisten", "vncpasswd", "vncunused", "vnuma", "vpmu", "vpt_align", "vsnd",
		"vtpm", "vuart", "xen_platform_pci", "xend_suspend_evtchn_compat",
	};
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct pm_config_key *t[] = { pm_config_keys_honoured(), pm_config_keys_ignored() };
		bool found = false;

		for (int j = 0; j < 2 && !found; j++)
			for (const struct pm_config_key *k = t[j]; k->key && !found; k++)
				if (!strcmp(k->key, keys[i])) {
					found = true;
					/* an ignored key says why; an honoured one what each backend does */
					assert_true(j ? k->why && *k->why : k->sim && *k->sim);
				}
		if (!found)
			fail_msg("%s: not in physmap's key tables", keys[i]);
		n++;
	}
	assert_int_equal(n, 148);
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
		     "%s:2: vcpus: \"0\" is not a number of vCPUs from 1 to 4096");
	expect_error("name = \"g\"\non_crash = \"explode\"\n", NULL, 0,
		     "%s:2: on_crash: \"explode\" is not one of destroy, restart, preserve, "
		     "rename-restart, coredump-destroy, coredump-restart, soft-reset");
	expect_error("name = \"g\"\nboard = \"sparc\"\n", NULL, 0,
		     "%s:2: board: \"sparc\" is not a board (pc, q35, virt, xenarm)");
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

static void names_follow_xls_rules(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN], text[128];

	expect_error("name = \"-p\"\n", NULL, 0, "%s:1: name: \"-p\": a leading '-' would read as an option");
	expect_error("name = \"..\"\n", NULL, 0, "%s:1: name: \"..\": '.' and '..' name directories");
	expect_error("name = \"a/b\"\n", NULL, 0, "%s:1: name: \"a/b\": use letters, digits, '_', '.', '-'");
	snprintf(text, sizeof(text), "name = \"%050d\"\n", 7);
	text[8] = 'x';
	assert_int_equal(load(text, NULL, 0, &cfg, err), -EINVAL);
	assert_non_null(strstr(err, ": 50 bytes: a name has 1 to 49"));
	/* 49 bytes: NAME--migratedaway still fits the backends' 63 */
	snprintf(text, sizeof(text), "name = \"%049d\"\n", 7);
	text[8] = 'x';
	assert_int_equal(load(text, NULL, 0, &cfg, err), 0);
	assert_int_equal(strlen(cfg.name), PM_DOMAIN_NAME_MAX);
	pm_domain_config_dispose(&cfg);
	assert_int_equal(pm_domain_name_check("a.b-c_1", err, sizeof(err)), 0);
	assert_int_equal(pm_domain_name_check("", err, sizeof(err)), -EINVAL);
}

static void a_kernel_that_is_not_a_regular_file_is_refused_unread(void **state)
{
	char fifo[160], text[256], want[320];

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* opened without blocking: a FIFO nobody writes to never hangs the load */
	snprintf(text, sizeof(text), "name = \"g\"\nkernel = \"%s\"\n", fifo);
	snprintf(want, sizeof(want), "%%s:2: kernel: %s: a FIFO, not a regular file", fifo);
	expect_error(text, NULL, 0, want);
	unlink(fifo);
	snprintf(text, sizeof(text), "name = \"g\"\nkernel = \"%s\"\n", dir);
	snprintf(want, sizeof(want), "%%s:2: kernel: %s: a directory, not a regular file", dir);
	expect_error(text, NULL, 0, want);
	expect_error("name = \"g\"\nkernel = \"/dev/zero\"\n", NULL, 0,
		     "%s:2: kernel: /dev/zero: a character device, not a regular file");
}

static void an_empty_kernel_or_one_larger_than_memory_is_refused(void **state)
{
	char empty[160], text[256], want[320];
	FILE *f;

	snprintf(empty, sizeof(empty), "%s/empty", dir);
	f = fopen(empty, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(text, sizeof(text), "name = \"g\"\nkernel = \"%s\"\n", empty);
	snprintf(want, sizeof(want), "%%s:2: kernel: %s: an empty file", empty);
	expect_error(text, NULL, 0, want);
	/* 2 MiB of kernel for a guest of 1 MiB */
	assert_int_equal(truncate(empty, 2 << 20), 0);
	snprintf(text, sizeof(text), "name = \"g\"\nmemory = \"1m\"\nkernel = \"%s\"\n", empty);
	snprintf(want, sizeof(want), "%%s:3: kernel: %s: 2 MiB, more than the 1 MiB such a file may have", empty);
	expect_error(text, NULL, 0, want);
	unlink(empty);
}

static void a_config_that_is_not_a_regular_file_is_refused_unread(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN];
	FILE *f;

	assert_int_equal(pm_domain_config_load("/dev/zero", NULL, 0, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/dev/zero: a character device, not a regular file");
	assert_int_equal(pm_domain_config_load(dir, NULL, 0, &cfg, err, sizeof(err)), -EISDIR);
	/* more than 1 MiB: refused before it is read */
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(truncate(path, (1 << 20) + 1), 0);
	assert_int_equal(pm_domain_config_load(path, NULL, 0, &cfg, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, ": 1048577 bytes, more than the 1 MiB such a file may have"));
	assert_null(cfg.name);
}

static void a_key_set_twice_is_said_and_the_last_wins(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN], want[256];

	assert_int_equal(load("name = \"a\"\nmemory = 64\nname = \"b\"\nextra = \"x\"\nextra += \"y\"\n", NULL, 0,
			      &cfg, err), 0);
	assert_string_equal(cfg.name, "b");
	/* += adds to the value: no slip there */
	assert_int_equal(cfg.nr_warnings, 1);
	snprintf(want, sizeof(want), "%s:3: name: set again; line 1's value is replaced", path);
	assert_string_equal(cfg.warnings[0], want);
	pm_domain_config_dispose(&cfg);
}

static void text_that_is_not_utf8_is_refused_at_its_line(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN];
	const char *ov[] = { "extra=\x01" };

	/* its values go into JSON (the store, save files), which holds UTF-8 only */
	expect_error("name = \"g\"\nextra = \"early\xff\xff" "con\"\n", NULL, 0, "%s:2: byte 0xff: not UTF-8 text");
	expect_error("name = \"g\"\n# \xc0\xaf an overlong slash\n", NULL, 0, "%s:2: byte 0xc0: not UTF-8 text");
	expect_error("name = \"g\"\n", ov, 1, "command line:1: extra: not one line of UTF-8 text");
	assert_int_equal(load("name = \"g\"\nextra = \"caf\xc3\xa9 \xe2\x82\xac\"\n", NULL, 0, &cfg, err), 0);
	pm_domain_config_dispose(&cfg);
	/* a refusal that quotes a value with a newline in it (xl's "\n") is still one line */
	assert_int_equal(load("name = \"g\"\nvif = [ \"mac=zz\\nq\" ]\n", NULL, 0, &cfg, err), -EINVAL);
	assert_null(strchr(err, '\n'));
	assert_non_null(strstr(err, ":2: vif: \"mac=zz q\""));
}

static void kernel_format_is_auto_or_raw(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN];

	assert_int_equal(load("name = \"g\"\nkernel_format = \"raw\"\n", NULL, 0, &cfg, err), 0);
	assert_true(cfg.kernel_raw);
	pm_domain_config_dispose(&cfg);
	assert_int_equal(load("name = \"g\"\nkernel_format = \"auto\"\n", NULL, 0, &cfg, err), 0);
	assert_false(cfg.kernel_raw);
	pm_domain_config_dispose(&cfg);
	expect_error("name = \"g\"\nkernel_format = \"elf\"\n", NULL, 0,
		     "%s:2: kernel_format: \"elf\": auto (an ELF file, a bzImage or an arm64 Image) or raw");
}

static void a_key_of_another_board_says_whose_it_is(void **state)
{
	expect_error("name = \"g\"\nboard = \"pc\"\ncompat = \"7.2\"\nhighmem = 0\n", NULL, 0,
		     "%s:4: highmem: a key of board 'virt', not of 'pc'");
}

static void an_xl_key_of_another_board_is_a_warning(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN], want[256];

	assert_int_equal(load("name = \"g\"\nboard = \"pc\"\ngic_version = \"v3\"\n", NULL, 0, &cfg, err), 0);
	assert_int_equal(cfg.nr_warnings, 1);
	snprintf(want, sizeof(want), "%s:3: gic_version: a key of board 'virt'; board 'pc' has no use for it; ignored",
		 path);
	assert_string_equal(cfg.warnings[0], want);
	assert_int_equal(cfg.nr_opts, 0);
	pm_domain_config_dispose(&cfg);
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
	assert_non_null(strstr(json, "vfb: a graphical console's"));
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

static void vdev_numbers_follow_xens_vbd_interface(void **state)
{
	static const struct {
		const char *vdev;
		uint32_t devid;
	} good[] = {
		{ "xvda", 51712 }, { "xvdb", 51728 }, { "xvda1", 51713 }, { "xvdp15", 202 << 8 | 15 << 4 | 15 },
		{ "xvdq", 1u << 28 | 16 << 8 }, { "xvda16", 1u << 28 | 16 }, { "xvdtq37", 1u << 28 | 536 << 8 | 37 },
		{ "d0", 51712 }, { "d0p0", 51712 }, { "d1p2", 51730 }, { "d536p37", 1u << 28 | 536 << 8 | 37 },
		{ "sda", 8 << 8 }, { "sdb3", 8 << 8 | 1 << 4 | 3 }, { "hda", 3 << 8 }, { "hdb", 3 << 8 | 1 << 6 },
		{ "hdc2", 22 << 8 | 2 }, { "hdd63", 22 << 8 | 1 << 6 | 63 }, { "51712", 51712 }, { "0xca00", 51712 },
		{ "0145000", 51712 },
	};
	static const char *const bad[] = { "", "xvd", "xvdA", "xvda01", "xvd1", "sdq", "sda16", "hde",
					   "hda64", "d", "dp1", "d01", "d1p", "d1x", "0", "foo", "xvda-1",
					   "536870912" };
	uint32_t devid;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		devid = 0;
		if (pm_vdev_number(good[i].vdev, &devid) || devid != good[i].devid)
			fail_msg("%s: want %u, got %u", good[i].vdev, good[i].devid, devid);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pm_vdev_number(bad[i], &devid) != -EINVAL)
			fail_msg("%s: taken as %u", bad[i], devid);
}

static void disks_read_as_xl_reads_them(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN], text[1024];

	(void)state;
	snprintf(text, sizeof(text),
		 "name = \"g\"\ndisk = [ '%s,raw,xvda,rw', 'vdev=xvdb, access=ro, discard, script=block-x, target=%s',\n"
		 "         ',,hdc:cdrom,r', 'vdev=d1p2,devtype=cdrom,target=%s' ]\n", kernel, kernel, kernel);
	assert_int_equal(load(text, NULL, 0, &cfg, err), 0);
	assert_int_equal(cfg.nr_disks, 4);
	assert_int_equal(cfg.nr_warnings, 0);
	assert_string_equal(cfg.disks[0].target, kernel);
	assert_string_equal(cfg.disks[0].vdev, "xvda");
	assert_int_equal(cfg.disks[0].devid, 51712);
	assert_int_equal(cfg.disks[0].format, PM_DISK_FORMAT_RAW);
	assert_true(cfg.disks[0].readwrite);
	assert_int_equal(cfg.disks[0].discard, -1);
	assert_int_equal(cfg.disks[1].devid, 51728);
	assert_false(cfg.disks[1].readwrite);
	assert_int_equal(cfg.disks[1].discard, 1);
	assert_string_equal(cfg.disks[1].script, "block-x");
	/* xl's legacy hdc:cdrom, empty */
	assert_null(cfg.disks[2].target);
	assert_true(cfg.disks[2].cdrom);
	assert_int_equal(cfg.disks[2].devid, 22 << 8);
	assert_int_equal(cfg.disks[2].format, PM_DISK_FORMAT_EMPTY);
	assert_true(cfg.disks[3].cdrom);
	assert_int_equal(cfg.disks[3].devid, 51730);
	pm_domain_config_dispose(&cfg);
	assert_int_equal(cfg.nr_disks, 0);
}

static void bad_disks_are_refused_by_name(void **state)
{
	char text[1024], want[PM_CONFIG_ERR_LEN];

	(void)state;
	expect_error("name = \"g\"\ndisk = [ '/nonexistent.img,raw,xvda,rw' ]\n", NULL, 0,
		     "%s:2: disk: \"/nonexistent.img,raw,xvda,rw\": target /nonexistent.img: No such file or directory");
	expect_error("name = \"g\"\ndisk = [ 'xvda,/x' ]\n", NULL, 0,
		     "%s:2: disk: \"xvda,/x\": unknown value for format: near `/x'");
	expect_error("name = \"g\"\n\ndisk = [ 'vdev=xvda,colour=red,target=/x' ]\n", NULL, 0,
		     "%s:3: disk: \"vdev=xvda,colour=red,target=/x\": unknown parameter: near `colour=r'");
	snprintf(text, sizeof(text), "name = \"g\"\ndisk = [ '%s,qcow2,xvda' ]\n", kernel);
	snprintf(want, sizeof(want), "%%s:2: disk: \"%s,qcow2,xvda\": format qcow2 is QEMU's to read, not physmap's "
		 "(raw images and block devices only)", kernel);
	expect_error(text, NULL, 0, want);
	snprintf(text, sizeof(text), "name = \"g\"\ndisk = [ 'vdev=xvda,backendtype=tap,target=%s' ]\n", kernel);
	snprintf(want, sizeof(want), "%%s:2: disk: \"vdev=xvda,backendtype=tap,target=%s\": backendtype tap is not "
		 "served by physmap (phy, dom0's blkback; qdisk, physmap-dm)", kernel);
	expect_error(text, NULL, 0, want);
	snprintf(text, sizeof(text), "name = \"g\"\ndisk = [ '%s,raw,xvda', '%s,raw,51712' ]\n", kernel, kernel);
	snprintf(want, sizeof(want), "%%s:2: disk: \"%s,raw,51712\": vdev 51712 given twice (also as xvda)", kernel);
	expect_error(text, NULL, 0, want);
	snprintf(text, sizeof(text), "name = \"g\"\ndisk = [ '%s,raw,hde' ]\n", kernel);
	snprintf(want, sizeof(want), "%%s:2: disk: \"%s,raw,hde\": vdev hde is not a disk name (xvda, hdc, sdb3, d0p1, "
		 "or its number)", kernel);
	expect_error(text, NULL, 0, want);
	expect_error("name = \"g\"\ndisk = [ 'vdev=xvda,target=/tmp' ]\n", NULL, 0,
		     "%s:2: disk: \"vdev=xvda,target=/tmp\": target /tmp: not a file or a block device");
	expect_error("name = \"g\"\ndisk = [ 'vdev=xvda' ]\n", NULL, 0,
		     "%s:2: disk: \"vdev=xvda\": no target specified (and device not removable)");
}

static void vifs_read_as_xl_reads_them(void **state)
{
	struct pm_domain_config cfg;
	char err[PM_CONFIG_ERR_LEN];

	(void)state;
	assert_int_equal(load("name = \"g\"\nvif = [ 'mac=00:16:3E:0a:0b:0c, bridge=br1, ip=10.0.0.2', "
			      "'rate=10Mb/s@20ms,mtu=9000,vifname=guest0,type=ioemu,model=e1000', '' ]\n",
			      NULL, 0, &cfg, err), 0);
	assert_int_equal(cfg.nr_nics, 3);
	assert_int_equal(cfg.nics[0].devid, 0);
	assert_true(cfg.nics[0].mac_set);
	assert_memory_equal(cfg.nics[0].mac, "\x00\x16\x3e\x0a\x0b\x0c", 6);
	assert_string_equal(cfg.nics[0].bridge, "br1");
	assert_string_equal(cfg.nics[0].ip, "10.0.0.2");
	assert_int_equal(cfg.nics[1].devid, 1);
	assert_false(cfg.nics[1].mac_set);
	assert_null(cfg.nics[1].bridge);   /* xenbr0 when built, as libxl defaults it */
	assert_int_equal(cfg.nics[1].rate_bytes_per_interval, 10000000 / 8 / 50);
	assert_int_equal(cfg.nics[1].rate_interval_usecs, 20000);
	assert_int_equal(cfg.nics[1].mtu, 9000);
	assert_string_equal(cfg.nics[1].vifname, "guest0");
	assert_int_equal(cfg.nics[1].type, PM_NIC_TYPE_IOEMU);
	assert_string_equal(cfg.nics[1].model, "e1000");
	assert_int_equal(cfg.nics[2].devid, 2);   /* an empty spec is a vif with every default */
	pm_domain_config_dispose(&cfg);
}

static void bad_vifs_are_refused_by_name(void **state)
{
	(void)state;
	expect_error("name = \"g\"\nvif = [ 'mac=00:16:3e:zz:00:01' ]\n", NULL, 0,
		     "%s:2: vif: \"mac=00:16:3e:zz:00:01\": mac 00:16:3e:zz:00:01 is not a unicast MAC address "
		     "(00:16:3e:xx:xx:xx)");
	expect_error("name = \"g\"\nvif = [ 'mac=01:16:3e:00:00:01' ]\n", NULL, 0,
		     "%s:2: vif: \"mac=01:16:3e:00:00:01\": mac 01:16:3e:00:00:01 is not a unicast MAC address "
		     "(00:16:3e:xx:xx:xx)");
	expect_error("name = \"g\"\nvif = [ 'bridge=b, colour=red' ]\n", NULL, 0,
		     "%s:2: vif: \"bridge=b, colour=red\": colour=red: unknown key (mac, bridge, ip, type, model, "
		     "vifname, script, backend, rate, mtu, gatewaydev)");
	expect_error("name = \"g\"\nvif = [ 'mtu=20' ]\n", NULL, 0,
		     "%s:2: vif: \"mtu=20\": mtu 20: a number from 68 to 65535");
	expect_error("name = \"g\"\nvif = [ 'rate=fast' ]\n", NULL, 0,
		     "%s:2: vif: \"rate=fast\": rate fast is not a rate (10Mb/s, 1MB/s@20ms, ...)");
	expect_error("name = \"g\"\nvif = [ 'mac=00:16:3e:00:00:01', 'mac=00:16:3e:00:00:01' ]\n", NULL, 0,
		     "%s:2: vif: \"mac=00:16:3e:00:00:01\": mac 00:16:3e:00:00:01 given twice");
	expect_error("name = \"g\"\nvif = [ 'backend=driverdom' ]\n", NULL, 0,
		     "%s:2: vif: \"backend=driverdom\": backend driverdom: networks are served by dom0 only "
		     "(no driver domains yet)");
}

static void devices_survive_the_json_of_a_save_file(void **state)
{
	struct pm_domain_config cfg, back;
	char err[PM_CONFIG_ERR_LEN], text[1024], *json, *again;

	(void)state;
	snprintf(text, sizeof(text),
		 "name = \"g\"\ndisk = [ '%s,raw,xvda,rw', 'vdev=xvdb,access=ro,no-discard,direct-io-safe,target=%s', "
		 "',,hdc:cdrom,r' ]\nvif = [ 'mac=00:16:3e:00:00:01,bridge=br1,rate=1MB/s@20ms,mtu=1400,type=vif', "
		 "'vifname=v1,script=vif-route,ip=10.0.0.9' ]\n", kernel, kernel);
	assert_int_equal(load(text, NULL, 0, &cfg, err), 0);
	assert_true(pm_domain_config_json(&cfg, &json) > 0);
	assert_non_null(strstr(json, "\"pdev_path\": \""));
	assert_non_null(strstr(json, "\"mac\": \"00:16:3e:00:00:01\""));
	if (pm_domain_config_from_json(json, "g.save", NULL, 0, &back, err, sizeof(err)))
		fail_msg("%s\n%s", err, json);
	assert_true(pm_domain_config_json(&back, &again) > 0);
	assert_string_equal(strstr(json, "\"name\""), strstr(again, "\"name\""));
	assert_int_equal(back.nics[0].rate_bytes_per_interval, cfg.nics[0].rate_bytes_per_interval);
	free(json);
	free(again);
	pm_domain_config_dispose(&back);
	pm_domain_config_dispose(&cfg);
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
		cmocka_unit_test(every_key_of_xl_cfg_is_known),
		cmocka_unit_test(a_syntax_error_is_libxlutils_report_with_its_line),
		cmocka_unit_test(bad_values_are_errors_at_their_key),
		cmocka_unit_test(memory_above_maxmem_is_an_error),
		cmocka_unit_test(a_missing_name_or_a_numeric_one_is_an_error),
		cmocka_unit_test(a_missing_kernel_names_the_file),
		cmocka_unit_test(a_key_of_another_board_says_whose_it_is),
		cmocka_unit_test(an_xl_key_of_another_board_is_a_warning),
		cmocka_unit_test(a_bad_board_value_is_the_boards_message_at_its_line),
		cmocka_unit_test(an_unreadable_file_is_its_errno),
		cmocka_unit_test(names_follow_xls_rules),
		cmocka_unit_test(a_kernel_that_is_not_a_regular_file_is_refused_unread),
		cmocka_unit_test(an_empty_kernel_or_one_larger_than_memory_is_refused),
		cmocka_unit_test(a_config_that_is_not_a_regular_file_is_refused_unread),
		cmocka_unit_test(a_key_set_twice_is_said_and_the_last_wins),
		cmocka_unit_test(kernel_format_is_auto_or_raw),
		cmocka_unit_test(text_that_is_not_utf8_is_refused_at_its_line),
		cmocka_unit_test(an_override_without_equals_is_an_error),
		cmocka_unit_test(json_has_every_field),
		cmocka_unit_test(vdev_numbers_follow_xens_vbd_interface),
		cmocka_unit_test(disks_read_as_xl_reads_them),
		cmocka_unit_test(bad_disks_are_refused_by_name),
		cmocka_unit_test(vifs_read_as_xl_reads_them),
		cmocka_unit_test(bad_vifs_are_refused_by_name),
		cmocka_unit_test(devices_survive_the_json_of_a_save_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
