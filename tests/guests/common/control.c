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
 */
#include "guest.h"

static int ready;

void control_init(void)
{
	if (xs_init() || xs_write("control/feature-poweroff", "1") || xs_write("control/feature-reboot", "1") ||
	    xs_watch("control/shutdown", "control")) {
		puts_("control: no store\n");
		shutdown(SHUTDOWN_crash);
	}
	ready = 1;
	puts_("control: ready\n");
}

int control_ready(void)
{
	return ready;
}

void control_poll(void)
{
	static const struct { const char *req; u32 reason; } reqs[] = {
		{ "poweroff", SHUTDOWN_poweroff }, { "halt", SHUTDOWN_poweroff }, { "reboot", SHUTDOWN_reboot },
		{ "crash", SHUTDOWN_crash },       { "watchdog", SHUTDOWN_watchdog },
		{ "soft-reset", SHUTDOWN_soft_reset },
	};
	char v[32];

	if (!ready || xs_read("control/shutdown", v, sizeof(v)) <= 0)
		return;
	xs_write("control/shutdown", "");
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
