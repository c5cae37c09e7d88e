/*
 * tests/guests/common/control.c - a PV control driver: the guest answers
 * the toolstack's requests in control/shutdown as Linux's
 * drivers/xen/manage.c does
 *
 * It says control/feature-poweroff and feature-reboot = 1, watches
 * control/shutdown, and on a request clears the node (the answer the
 * toolstack may look for) and stops with that reason: "poweroff" and
 * "halt" power off, "reboot" reboots. For tests, "crash", "watchdog" and
 * "soft-reset" stop it with those reasons, so every on_* action can be
 * driven from outside. Other requests are said and ignored.
 *
 * "suspend" (a save or a migration, as libxl asks a guest that says
 * control/feature-suspend) is SCHEDOP_shutdown(SHUTDOWN_suspend): the call
 * returns 1 where the toolstack cancelled it (save -c: all is as it was),
 * 0 in a new domain (restored, migrated), where shared info, the grant
 * table and the store's channel are found again, the watches set again,
 * and the frontends connect again when they next look (control_resumes).
 *
 * It follows cpu/N/availability too, as Linux's drivers/xen/cpu_hotplug.c
 * does: a vCPU the toolstack says online is brought up, one it says
 * offline is taken down (arch_vcpu_online; x86 only: the virt board has no
 * CPU hotplug), and the guest says "cpu N: online" or "cpu N: offline".
 */
#include "guest.h"

#define SHUTDOWN_suspend 2

static int ready, resumes;
static char cpu_on[16] = { 1 };   /* vCPU 0 always */

/* what it says it does, and the watches (again in a new domain, whose store has neither) */
static int announce(void)
{
	return xs_write("control/feature-poweroff", "1") || xs_write("control/feature-reboot", "1") ||
	       xs_write("control/feature-suspend", "1") || xs_watch("control/shutdown", "control") ||
	       xs_watch("cpu", "cpu");
}

void control_init(void)
{
	if (xs_init() || announce()) {
		puts_("control: no store\n");
		shutdown(SHUTDOWN_crash);
	}
	ready = 1;
	puts_("control: ready\n");
}

int control_resumes(void)
{
	return resumes;
}

/* SHUTDOWN_suspend, and what a resume needs */
static void suspend(void)
{
	struct sched_shutdown sd = { SHUTDOWN_suspend };
	long cancelled;

	puts_("control: suspend\n");
	cancelled = hypercall(HYPERVISOR_sched_op, SCHEDOP_shutdown, (ulong)&sd, 0, 0, 0);
	if (cancelled) {
		say_num("control: ", "suspend cancelled ", cancelled);
		return;
	}
	xen_mappings_lost();
	if (xs_resumed()) {
		puts_("control: resumed without a store\n");
		shutdown(SHUTDOWN_crash);
	}
	if (announce()) {
		puts_("control: resumed, the store refuses its features or watches\n");
		shutdown(SHUTDOWN_crash);
	}
	resumes++;
	puts_("control: resumed\n");
}

int control_ready(void)
{
	return ready;
}

/* CPU hotplug, as Linux's drivers/xen/cpu_hotplug.c: each cpu/N/availability followed */
static void cpus_poll(void)
{
	char path[32], v[16];

	for (int i = 1; i < (int)sizeof(cpu_on); i++) {
		ulong n = 4;
		int want;

		memcpy(path, "cpu/", 4);
		if (i >= 10)
			path[n++] = (char)('0' + i / 10);
		path[n++] = (char)('0' + i % 10);
		memcpy(path + n, "/availability", sizeof("/availability"));
		if (xs_read(path, v, sizeof(v)) <= 0)
			break;
		want = word_is(v, "online", 0);
		if (want == cpu_on[i])
			continue;
		puts_("cpu ");
		put_dec((u64)i);
		if (arch_vcpu_online(i, want)) {
			puts_(": cannot go ");
			puts_(v);
			puts_("\n");
			continue;
		}
		cpu_on[i] = (char)want;
		puts_(want ? ": online\n" : ": offline\n");
	}
}

void control_poll(void)
{
	static const struct { const char *req; u32 reason; } reqs[] = {
		{ "poweroff", SHUTDOWN_poweroff }, { "halt", SHUTDOWN_poweroff }, { "reboot", SHUTDOWN_reboot },
		{ "crash", SHUTDOWN_crash },       { "watchdog", SHUTDOWN_watchdog },
		{ "soft-reset", SHUTDOWN_soft_reset },
	};
	char v[32];

	if (!ready)
		return;
	cpus_poll();
	if (xs_read("control/shutdown", v, sizeof(v)) <= 0)
		return;
	xs_write("control/shutdown", "");
	if (word_is(v, "suspend", 0)) {
		suspend();
		return;
	}
	puts_("control: ");
	puts_(v);
	for (u32 i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (word_is(v, reqs[i].req, 0)) {
			puts_("\n");
			shutdown(reqs[i].reason);
		}
	puts_(" (not a request this guest knows)\n");
}

void control_wait(void)
{
	for (;;) {
		control_poll();
		xs_wait_watch();
	}
}
