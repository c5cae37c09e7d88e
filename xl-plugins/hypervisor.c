/*
 * xl-plugins/hypervisor.c - the hypervisor's own: pxl dmesg, debug-keys,
 * cpupool-list, trigger (and button-press), sched-credit, sched-credit2,
 * getenforce, setenforce, as xl(1) has them
 *
 * On the simulator dmesg is its log, and there is one CPU pool (Pool-0,
 * every host CPU); it has no debug keys, no credit2 scheduler (its vCPUs
 * are host threads) and no trigger wires yet: those say so and exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stdint.h>

#include "physmap/domain.h"
#include "pxl-util.h"

/* xl returns -1 from main for some outcomes: its exit status is 255 */
#define XL_MINUS_ONE 255

static int unsupported(const struct pxl_args *a, struct pm_hv *hv, const char *what)
{
	fprintf(stderr, "%s: the %s backend has no %s\n", a->prog, pm_hv_backend(hv), what);
	return PXL_FAIL;
}

enum { DMESG_CLEAR };

static const struct pm_opt dmesg_opts[] = {
	[DMESG_CLEAR] = { "clear", no_argument, 'c', NULL, "empty the ring after printing it" },
};

static int dmesg_run(const struct pxl_args *a)
{
	struct pm_hv *hv;
	char *text = NULL;
	long n;
	int rc = pxl_hv_open(a, &hv);

	if (rc)
		return rc;
	n = pm_hv_console_read(hv, a->opt[DMESG_CLEAR] != NULL, &text);
	if (n < 0)
		fprintf(stderr, "%s: %s\n", a->prog, strerror((int)-n));
	else
		fwrite(text, 1, (size_t)n, stdout);
	free(text);
	pm_hv_close(hv);
	return n < 0 ? PXL_FAIL : PXL_OK;
}

static int debug_keys_run(const struct pxl_args *a)
{
	struct pm_hv *hv;
	int rc = pxl_hv_open(a, &hv);

	if (rc)
		return rc;
	rc = pm_hv_debug_keys(hv, a->argv[0]);
	if (rc == -EOPNOTSUPP)
		rc = unsupported(a, hv, "debug keys");
	else if (rc) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->argv[0], strerror(-rc));
		rc = PXL_FAIL;
	}
	pm_hv_close(hv);
	return rc;
}

enum { POOL_CPUS };

static const struct pm_opt pool_opts[] = {
	[POOL_CPUS] = { "cpus", no_argument, 'c', NULL, "each pool's CPU list" },
};

static int cpupool_list_run(const struct pxl_args *a)
{
	struct pm_hv_cpupool *p = NULL;
	struct pm_hv *hv;
	long n;
	bool found = false;
	int rc = pxl_hv_open(a, &hv);

	if (rc)
		return rc;
	n = pm_hv_cpupools(hv, &p);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", a->prog, strerror((int)-n));
		pm_hv_close(hv);
		return PXL_FAIL;
	}
	for (long i = 0; a->argc && i < n; i++)
		found = found || !strcmp(p[i].name, a->argv[0]);
	if (a->argc && !found) {
		fprintf(stderr, "%s: %s: no such CPU pool\n", a->prog, a->argv[0]);
		rc = PXL_FAIL;
	}
	/* xl_cpupool.c's main_cpupoollist, byte for byte */
	if (!rc)
		printf("%-19s%s\n", "Name", a->opt[POOL_CPUS] ? "CPU list" : "CPUs   Sched     Active   Domain count");
	for (long i = 0; !rc && i < n; i++) {
		unsigned int cpus = 0;

		if (a->argc && strcmp(p[i].name, a->argv[0]))
			continue;
		printf("%-19s", p[i].name);
		for (unsigned int c = 0; c < 64 * PM_HV_CPUMAP_WORDS; c++)
			if ((p[i].cpus[c / 64] >> (c % 64)) & 1) {
				if (a->opt[POOL_CPUS])
					printf("%s%u", cpus ? "," : "", c);
				cpus++;
			}
		if (!a->opt[POOL_CPUS])
			printf("%3u %9s       y       %4u", cpus, p[i].scheduler, p[i].nr_domains);
		putchar('\n');
	}
	free(p);
	pm_hv_close(hv);
	return rc;
}

static int trigger_run(const struct pxl_args *a)
{
	static const char *const names[] = {
		[PM_HV_TRIGGER_NMI] = "nmi",   [PM_HV_TRIGGER_RESET] = "reset", [PM_HV_TRIGGER_INIT] = "init",
		[PM_HV_TRIGGER_POWER] = "power", [PM_HV_TRIGGER_SLEEP] = "sleep",
	};
	struct pm_hv *hv;
	uint32_t domid;
	unsigned long vcpu = 0;
	unsigned int t = 0;
	char *end = NULL;
	int rc;

	while (t < sizeof(names) / sizeof(names[0]) && strcmp(names[t], a->argv[1]))
		t++;
	if (!strcmp(a->argv[1], "s3resume")) {
		/* libxl wakes only an HVM guest from S3 (its device model's); physmap builds PVH and PV ones */
		rc = pxl_open_domain(a, &hv, &domid);
		if (rc)
			return rc;
		fprintf(stderr, "%s: %s: s3resume: only an HVM guest (its device model) resumes from S3\n", a->prog,
			a->argv[0]);
		pm_hv_close(hv);
		return PXL_OK;   /* as xl, whose trigger exits 0 whatever libxl answers */
	}
	if (t == sizeof(names) / sizeof(names[0])) {
		fprintf(stderr, "%s: %s: not a trigger (nmi, reset, init, power, sleep, s3resume)\n", a->prog, a->argv[1]);
		return PXL_FAIL;
	}
	if (a->argc > 2 && ((vcpu = strtoul(a->argv[2], &end, 10)), *end || end == a->argv[2])) {
		fprintf(stderr, "%s: %s: not a vCPU number: vCPU 0 (as xl)\n", a->prog, a->argv[2]);
		vcpu = 0;
	}
	rc = pxl_open_domain(a, &hv, &domid);
	if (rc)
		return rc;
	rc = pm_hv_trigger(hv, domid, (enum pm_hv_trigger)t, (unsigned int)vcpu);
	if (rc == -EOPNOTSUPP)
		rc = unsupported(a, hv, "trigger wires to its guests' platforms yet");
	else if (rc) {
		fprintf(stderr, "%s: %s: %s: %s\n", a->prog, a->argv[0], a->argv[1],
			rc == -EINVAL ? "the hypervisor refused it (not one this guest has)" : strerror(-rc));
		/* xl's trigger exits 0 whatever libxl answers: a refusal is said, as libxl logs it */
		rc = rc == -EINVAL ? PXL_OK : PXL_FAIL;
	}
	pm_hv_close(hv);
	return rc;
}

enum { C2_DOMAIN, C2_WEIGHT, C2_CAP };

static const struct pm_opt c2_opts[] = {
	[C2_DOMAIN] = { "domain", required_argument, 'd', "DOMAIN", "this domain's parameters" },
	[C2_WEIGHT] = { "weight", required_argument, 'w', "WEIGHT", "set its weight (1-65535)" },
	[C2_CAP] = { "cap", required_argument, 'c', "CAP", "set its cap (percent of one CPU; 0: none)" },
};

static int credit_row(struct pm_hv *hv, unsigned int version, const struct pm_hv_dominfo *d)
{
	int w = -1, c = -1;
	int rc = pm_hv_sched_credit(hv, d->domid, version, false, &w, &c);

	if (!rc)
		printf("%-33s %4u %6d %4d\n", d->name, d->domid, w, c);
	return rc;
}

/* xl sched-credit / sched-credit2 (xl_sched.c's formats) */
static int sched_run(const struct pxl_args *a, unsigned int version)
{
	const char *sched = version == 1 ? "credit" : "credit2";
	struct pm_hv_cpupool *pools = NULL;
	struct pm_hv_dominfo info;
	struct pm_hv *hv;
	uint32_t domid;
	bool any = false;
	int rc = pxl_hv_open(a, &hv);
	long n;

	if (rc)
		return rc;
	if (a->opt[C2_DOMAIN]) {
		int w = a->opt[C2_WEIGHT] ? atoi(a->opt[C2_WEIGHT]) : -1, c = a->opt[C2_CAP] ? atoi(a->opt[C2_CAP]) : -1;

		rc = pxl_domain(a, hv, a->opt[C2_DOMAIN], &domid);
		if (!rc)
			rc = pm_hv_domain_getinfo(hv, domid, &info) ? PXL_FAIL : PXL_OK;
		if (!rc && (a->opt[C2_WEIGHT] || a->opt[C2_CAP])) {
			rc = pm_hv_sched_credit(hv, domid, version, true, &w, &c);
		} else if (!rc && !(rc = pm_hv_sched_credit(hv, domid, version, false, &w, &c))) {
			printf("%-33s %4s %6s %4s\n", "Name", "ID", "Weight", "Cap");
			printf("%-33s %4u %6d %4d\n", info.name, domid, w, c);
		}
	} else {
		/* each pool this scheduler runs, and its domains (one pool: every domain) */
		n = pm_hv_cpupools(hv, &pools);
		for (long p = 0; !rc && p < n; p++) {
			struct pm_hv_dominfo *dv = NULL;
			long nd;

			if (strcmp(pools[p].scheduler, sched))
				continue;
			any = true;
			if (version == 2 && pools[p].ratelimit_us >= 0)
				printf("Cpupool %s: ratelimit=%dus\n", pools[p].name, pools[p].ratelimit_us);
			else
				printf("Cpupool %s: [sched params unavailable]\n", pools[p].name);
			printf("%-33s %4s %6s %4s\n", "Name", "ID", "Weight", "Cap");
			nd = pm_hv_domain_list(hv, &dv);
			for (long i = 0; i < nd && !rc; i++)
				rc = credit_row(hv, version, &dv[i]);
			free(dv);
		}
		if (!rc && !any && strcmp(pm_hv_backend(hv), "xen"))
			rc = -EOPNOTSUPP;
		else if (!rc && !any)
			rc = PXL_OK;   /* on Xen, as xl: no pool runs it, nothing said (EXIT_SUCCESS) */
	}
	if (rc == -EOPNOTSUPP) {
		char what[96];

		snprintf(what, sizeof(what), "%s scheduler running%s", sched,
			 strcmp(pm_hv_backend(hv), "xen") ? " (its vCPUs are host threads)" : "");
		rc = unsupported(a, hv, what);
	} else if (rc < 0) {
		fprintf(stderr, "%s: %s\n", a->prog, rc == -EINVAL ? "weight 1-65535, cap 0-65535" : strerror(-rc));
		rc = PXL_FAIL;
	}
	free(pools);
	pm_hv_close(hv);
	return rc;
}

static int sched_credit_run(const struct pxl_args *a)
{
	return sched_run(a, 1);
}

static int sched_credit2_run(const struct pxl_args *a)
{
	return sched_run(a, 2);
}

/* getenforce / setenforce: as xl_flask.c says it */
static int enforce(const struct pxl_args *a, int set)
{
	struct pm_hv *hv;
	int rc = pxl_hv_open(a, &hv), mode;

	if (rc)
		return rc;
	mode = pm_hv_flask_enforce(hv, set);
	if (mode == -ENOSYS) {
		printf("Flask XSM Disabled\n");
		pm_hv_close(hv);
		return XL_MINUS_ONE;
	}
	else if (mode < 0)
		fprintf(stderr, "%s: %s\n", a->prog, strerror(-mode));
	else if (set < 0)
		printf("%s\n", mode ? "Enforcing" : "Permissive");
	pm_hv_close(hv);
	return mode < 0 ? PXL_FAIL : PXL_OK;
}

static int getenforce_run(const struct pxl_args *a)
{
	return enforce(a, -1);
}

static int setenforce_run(const struct pxl_args *a)
{
	const char *m = a->argv[0];
	int set = -1;

	if (!strcmp(m, "1") || !strcasecmp(m, "enforcing"))
		set = 1;
	else if (!strcmp(m, "0") || !strcasecmp(m, "permissive"))
		set = 0;

	if (set < 0) {
		fprintf(stderr, "%s: %s: not a mode (1, Enforcing, 0, Permissive)\n", a->prog, m);
		return PXL_FAIL;
	}
	return enforce(a, set);
}

static int button_press_run(const struct pxl_args *a)
{
	struct pxl_args t = *a;

	/* xl's deprecated name for trigger power / sleep */
	fprintf(stderr, "WARNING: \"button-press\" is deprecated. Please use \"trigger\"\n");
	if (strcmp(a->argv[1], "power") && strcmp(a->argv[1], "sleep")) {
		fprintf(stderr, "%s: %s: not a button (power, sleep)\n", a->prog, a->argv[1]);
		return PXL_FAIL;
	}
	t.argc = 2;
	return trigger_run(&t);
}

static const struct pxl_cmd dmesg_cmd = {
	.name = "dmesg", .summary = "the hypervisor's console ring (the simulator's log)",
	.opts = dmesg_opts, .nr_opts = 1, .min_args = 0, .max_args = 0, .run = dmesg_run,
};
/* xl set-parameters: Xen's runtime parameters, its command line's syntax */
static int set_parameters_run(const struct pxl_args *a)
{
	char params[1024];
	const char *bad = NULL;
	struct pm_hv *hv;
	int rc = pxl_hv_open(a, &hv);

	if (rc)
		return rc;
	/* as xl: PARAMS is one argument (quote several words); what follows it is not set */
	snprintf(params, sizeof(params), "%s", a->argv[0]);
	if (a->argc > 1)
		fprintf(stderr, "%s: only \"%s\" is set (quote several parameters as one argument, as for xl)\n",
			a->prog, params);
	rc = pm_hv_set_parameters(hv, params, &bad);
	if (rc == -EOPNOTSUPP && !strcmp(pm_hv_backend(hv), "xen"))
		rc = unsupported(a, hv, "hypfs to set parameters through");
	else if (rc == -EOPNOTSUPP)
		rc = unsupported(a, hv, "runtime parameters (it has no command line)");
	else if (rc) {
		fprintf(stderr, "%s: %.*s: %s\n", a->prog, (int)strcspn(bad ? bad : params, " \t"), bad ? bad : params,
			rc == -ENOENT ? "no such runtime parameter" : rc == -EINVAL ? "refused (pxl dmesg may say why)"
								      : strerror(-rc));
		rc = PXL_FAIL;
	}
	pm_hv_close(hv);
	return rc;
}

static const struct pxl_cmd debug_keys_cmd = {
	.name = "debug-keys", .summary = "send debug keys to Xen (what they print: pxl dmesg)", .synopsis = "KEYS",
	.min_args = 1, .max_args = 1, .run = debug_keys_run,
};
static const struct pxl_cmd set_parameters_cmd = {
	.name = "set-parameters", .summary = "set Xen's runtime parameters (NAME=VALUE, NAME, noNAME; through hypfs)",
	.synopsis = "PARAMS [IGNORED...]", .min_args = 1, .max_args = -1, .run = set_parameters_run,
};
static const struct pxl_cmd cpupool_list_cmd = {
	.name = "cpupool-list", .summary = "the CPU pools: CPUs, scheduler, domains", .synopsis = "[POOL]",
	.opts = pool_opts, .nr_opts = 1, .min_args = 0, .max_args = 1, .run = cpupool_list_run,
};
static const struct pxl_cmd trigger_cmd = {
	.name = "trigger", .summary = "press a button of a domain's platform: nmi, reset, init, power, sleep, s3resume",
	.synopsis = "DOMAIN TRIGGER [VCPU]", .min_args = 2, .max_args = 3, .run = trigger_run,
};
static const struct pxl_cmd sched_credit_cmd = {
	.name = "sched-credit", .summary = "credit weights and caps (Xen's credit scheduler)",
	.opts = c2_opts, .nr_opts = 3, .min_args = 0, .max_args = 0, .run = sched_credit_run,
};
static const struct pxl_cmd sched_credit2_cmd = {
	.name = "sched-credit2", .summary = "credit2 weights and caps (Xen's default scheduler)",
	.opts = c2_opts, .nr_opts = 3, .min_args = 0, .max_args = 0, .run = sched_credit2_run,
};
static const struct pxl_cmd button_press_cmd = {
	.name = "button-press", .summary = "press a domain's power or sleep button (xl's old name for trigger)",
	.synopsis = "DOMAIN power|sleep", .min_args = 2, .max_args = 2, .run = button_press_run,
};

static const struct pxl_cmd getenforce_cmd = {
	.name = "getenforce", .summary = "Xen's FLASK (XSM) mode: Enforcing, Permissive, or disabled",
	.min_args = 0, .max_args = 0, .run = getenforce_run,
};
static const struct pxl_cmd setenforce_cmd = {
	.name = "setenforce", .summary = "set Xen's FLASK mode (1 or Enforcing, 0 or Permissive)",
	.synopsis = "MODE", .min_args = 1, .max_args = 1, .run = setenforce_run,
};

static const struct pxl_cmd *const cmds[] = { &dmesg_cmd, &debug_keys_cmd, &set_parameters_cmd, &cpupool_list_cmd,
					      &trigger_cmd,
					      &sched_credit_cmd, &sched_credit2_cmd, &button_press_cmd,
					      &getenforce_cmd, &setenforce_cmd, NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION, cmds };
