/*
 * bench-engine.c - the simulator's x86 engines side by side (issue 29):
 * the 32-bit x86 test guest on KVM and, as the baseline in the same run,
 * on Unicorn, each timing with its TSC
 *   - a port I/O ioreq round trip (4096 reads of COM1's line status
 *     register, through physmap-dm and back): median;
 *   - a hypercall round trip (4096 xen_version): median;
 *   - guest instructions per second (a loop of two instructions).
 * Where KVM cannot serve, the figures say so (value 0, not met) rather
 * than pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench-boot.h"

struct engine_figures {
	double pio, hypercall, ips;   /* ns, ns, instructions per second */
	bool ok;
};

/* the numbers after KEY on a line of a console log: "M ns, p99 P ns" or "I instructions in T ns" */
static bool scan(const char *log, const char *key, double *a, double *b)
{
	char line[256];
	bool found = false;
	FILE *f = fopen(log, "r");

	while (f && !found && fgets(line, sizeof(line), f)) {
		char *p = line + strlen(key), *e;

		if (strncmp(line, key, strlen(key)))
			continue;
		*a = strtod(p, &e);
		p = strpbrk(e, "0123456789");
		if (e == line + strlen(key) || !p)
			continue;
		p = strpbrk(p, "0123456789") ? p : NULL;
		*b = strtod(p, &e);
		found = e != p;
	}
	if (f)
		fclose(f);
	return found;
}

static void run(const char *engine, struct engine_figures *out)
{
	const char *img = getenv("PM_GUEST_X86") ? getenv("PM_GUEST_X86") : "tests/guests/x86/guest.elf";
	char cfg[512], log[160];
	double p99, n, t;

	memset(out, 0, sizeof(*out));
	if (access(img, R_OK)) {
		fprintf(stderr, "bench-engine: %s: not there (is the x86 guest built?)\n", img);
		exit(1);
	}
	setenv("PHYSMAP_SIM_ENGINE", engine, 1);
	snprintf(cfg, sizeof(cfg), "name = \"b\"\nboard = \"pc\"\ntype = \"pvh\"\nmemory = 64\nkernel = \"%s\"\n"
		 "cmdline = \"iotiming=0x3fd hctiming ips=50000000\"\non_poweroff = \"preserve\"\n", img);
	if (!bench_boot("bench-engine", cfg, log, sizeof(log)))
		return;
	out->ok = scan(log, "timing pio: median ", &out->pio, &p99) &&
		  scan(log, "timing hypercall: median ", &out->hypercall, &p99) &&
		  scan(log, "ips: ", &n, &t) && t > 0;
	if (out->ok)
		out->ips = n / (t / 1e9);
	else
		fprintf(stderr, "bench-engine: %s: the guest printed no timings\n", engine);
	bench_boot_end();
}

int main(void)
{
	struct engine_figures kvm, uc;

	bench_use_build();
	run("unicorn", &uc);
	run("kvm", &kvm);
	if (!uc.ok)
		return 1;
	figure("sim.kvm.pio_round_trip.median", kvm.pio / 1000, "us", "the same on Unicorn", uc.pio / 1000,
	       "KVM's, reported (lower is better)", kvm.ok);
	figure("sim.kvm.hypercall_round_trip.median", kvm.hypercall / 1000, "us", "the same on Unicorn",
	       uc.hypercall / 1000, "KVM's, reported (lower is better)", kvm.ok);
	figure("sim.kvm.guest_instructions_per_second", kvm.ips / 1e6, "M/s", "the same loop on Unicorn",
	       uc.ips / 1e6, "KVM's, reported (higher is better)", kvm.ok);
	return 0;
}
