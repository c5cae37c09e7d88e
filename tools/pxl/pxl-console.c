/*
 * tools/pxl/pxl-console.c - a domain's console log, shown and followed
 * (pxl console, pxl create -c)
 *
 * The log is $RUNDIR/console/NAME.log, written by the backend (console_io)
 * and, with the device model, by the guest's UART. While following, what
 * is typed (or piped in) goes to the UART through the device model's
 * socket, $RUNDIR/console/NAME.sock. Following ends when the domain is
 * gone or has stopped, or on Ctrl-] from a terminal, as xl console does.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "pxl-util.h"

#define CTRL_RIGHT_BRACKET 0x1d

/* copies what the log holds now; false on a write error */
static bool drain(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return false;
	fflush(stdout);
	return true;
}

static bool stopped(struct pm_hv *hv, uint32_t domid)
{
	struct pm_hv_dominfo info;

	return pm_hv_domain_getinfo(hv, domid, &info) ||
	       info.state == PM_HV_SHUTDOWN || info.state == PM_HV_CRASHED || info.state == PM_HV_DYING;
}

/* the device model's input socket, or -1 (no device model, or none listening) */
static int input_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (!*path || (size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >= sizeof(sa.sun_path))
		return -1;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		close(s);
		s = -1;
	}
	return s;
}

int pxl_console(const struct pxl_args *a, struct pm_hv *hv, uint32_t domid, bool follow)
{
	struct pm_hv_dominfo info;
	struct pm_hv_console con;
	struct termios saved, raw;
	bool tty = follow && isatty(0) && !tcgetattr(0, &saved), typing = follow;
	int fd, in = -1, rc = pm_hv_domain_getinfo(hv, domid, &info);

	if (!rc)
		rc = pm_hv_console(hv, &info, &con);
	if (rc) {
		fprintf(stderr, "%s: domain %u: %s\n", a->prog, domid, strerror(-rc));
		return PXL_FAIL;
	}
	fd = open(con.log, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: no console log: %s: %s\n", a->prog, info.name, con.log, strerror(errno));
		return PXL_FAIL;
	}
	if (follow)
		in = input_socket(con.input);
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR;   /* the guest's \n still starts a line */
		tcsetattr(0, TCSANOW, &raw);
	}
	for (;;) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		bool gone;

		if (!drain(fd))
			break;
		if (!follow)
			break;
		gone = stopped(hv, domid);
		if (gone) {
			drain(fd);   /* the last words */
			break;
		}
		if (typing && poll(&p, 1, 50) > 0) {
			char buf[256];
			ssize_t n = read(0, buf, tty ? 1 : sizeof(buf));

			if (n <= 0) {
				typing = false;   /* input ended; the output is still followed */
				continue;
			}
			if (tty && buf[0] == CTRL_RIGHT_BRACKET)
				break;
			/* to the guest's UART through its device model; none: dropped */
			if (in >= 0 && write(in, buf, (size_t)n) != n) {
				close(in);
				in = -1;
			}
		} else if (!typing) {
			usleep(50000);
		}
	}
	if (in >= 0)
		close(in);
	if (tty) {
		tcsetattr(0, TCSANOW, &saved);
		putchar('\n');
	}
	close(fd);
	return PXL_OK;
}
