/*
 * physmap-dm.c - the device-model process: builds a memory system (from a
 * region-tree file and/or device options), then prints it or serves
 * accesses (the test transport now; the simulator's and Xen's ioreqs later)
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "physmap/size.h"
#include "opts.h"
#include "dm.h"
#include "transport/qtest.h"
#include "transport/ioreq.h"

static const struct pm_opt opts[] = {
	{ "load", required_argument, 'l', "FILE", "load a region tree (docs/specs/region-tree.md)" },
	{ "device", required_argument, 'd', "MODEL,addr=A[,size=S][,pio][,name=N][,irq=I]",
	  "add a device (repeatable); --device help lists the models" },
	{ "mtree", no_argument, 'm', NULL, "print the memory tree as QEMU's info mtree, then exit" },
	{ "flat", no_argument, 'f', NULL, "with --mtree: the flat view of each address space" },
	{ "disabled", no_argument, 'D', NULL, "with --mtree: disabled regions too" },
	{ "json", no_argument, 'j', NULL, "with --mtree: JSON (the region-tree format, or flat ranges)" },
	{ "qtest", optional_argument, 'q', "unix:PATH",
	  "serve the test protocol on stdin/stdout, or on a unix socket (one session)" },
	{ "console", required_argument, 'c', "FILE",
	  "guest serial output (default stdout; stderr with --qtest on stdio)" },
	{ "log", required_argument, 'L', "FILE", "what logging devices report (default stderr)" },
	{ "sim", required_argument, 's', "DOMID",
	  "be DOMID's device model on physmap-sim: serve its ioreqs until the domain is gone" },
	{ "xen", required_argument, 'x', "DOMID",
	  "be DOMID's device model on Xen: an ioreq server (libxendevicemodel) until the domain is gone" },
	{ "rundir", required_argument, 'r', "DIR", "with --sim: the simulator's run directory (default $PHYSMAP_RUNDIR)" },
	{ "ready-fd", required_argument, 'R', "FD", "with --sim or --xen: write \"ready\" to FD once the ranges are claimed" },
	{ "console-input", required_argument, 'i', "SOCKET",
	  "with --sim or --xen: listen on this unix socket for what is typed at the console (to the UART)" },
	{ "control", required_argument, 'C', "SOCKET",
	  "with --sim or --xen: listen on this unix socket for the toolstack's save and load of the devices' state" },
	{ "help", no_argument, 'h', NULL, "show this help" },
};
#define NR_OPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *f)
{
	pm_usage(f, "physmap-dm", "[options]", opts, NR_OPTS);
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *b = realloc(buf, cap = cap ? 2 * cap : 65536);

			if (!b) {
				snprintf(err, errlen, "out of memory");
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);

		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s", strerror(errno));
		free(buf);
		buf = NULL;
	} else {
		buf[len] = 0;
	}
	fclose(f);
	return buf;
}

/* MODEL,addr=A[,size=S][,pio][,name=N][,irq=I] */
static int add_device(struct pm_dm *dm, const char *spec, char *err, size_t errlen)
{
	char *copy = strdup(spec), *save = NULL, *tok, *name = NULL;
	struct pm_dev_args a = { .irq = -1 };
	const struct pm_hw *hw;
	bool have_addr = false;
	int rc = -EINVAL;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	tok = strtok_r(copy, ",", &save);
	hw = tok ? pm_hw_find(tok) : NULL;
	if (!hw) {
		snprintf(err, errlen, "no device model \"%s\" (--device help lists them)", tok ? tok : "");
		goto out;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(tok, '=');
		uint64_t v;

		if (!strcmp(tok, "pio")) {
			a.pio = 1;
			continue;
		}
		if (!eq) {
			snprintf(err, errlen, "\"%s\": expected key=value", tok);
			goto out;
		}
		*eq++ = 0;
		if (!strcmp(tok, "name")) {
			name = eq;
			continue;
		}
		/* sizes may also be xl sizes ("4k", "2m"); a bare number is bytes */
		if (pm_dm_parse_u64(eq, &v) &&
		    (strcmp(tok, "size") || pm_size_parse(eq, PM_SIZE_B, &v))) {
			snprintf(err, errlen, "%s: \"%s\" is not a number", tok, eq);
			goto out;
		}
		if (!strcmp(tok, "addr")) {
			a.addr = v;
			have_addr = true;
		} else if (!strcmp(tok, "size")) {
			a.size = v;
		} else if (!strcmp(tok, "irq") && v <= 1023) {
			a.irq = (int)v;
		} else {
			snprintf(err, errlen, "%s: unknown key, or value out of range", tok);
			goto out;
		}
	}
	if (!have_addr) {
		snprintf(err, errlen, "addr: missing");
		goto out;
	}
	if (a.pio && a.addr + (a.size ? a.size : 1) > 0x10000) {
		snprintf(err, errlen, "addr: port 0x%" PRIx64 " is beyond the 64 KiB I/O space", a.addr);
		goto out;
	}
	if ((a.pio && !dm->io) || (!a.pio && !dm->sysmem)) {
		snprintf(err, errlen, "the loaded tree has no \"%s\" address space", a.pio ? "I/O" : "memory");
		goto out;
	}
	a.name = name ? name : hw->model;
	rc = hw->create(dm, &a, err, errlen);
out:
	free(copy);
	return rc;
}

/* listen on @path, serve one session */
static int serve_unix(struct pm_dm *dm, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = -1, c = -1, rc = -1;
	FILE *in = NULL, *out = NULL;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long");
		return -1;
	}
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) || listen(s, 1)) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	c = accept(s, NULL, NULL);
	if (c < 0) {
		snprintf(err, errlen, "accept: %s", strerror(errno));
		goto out;
	}
	in = fdopen(c, "r");
	out = in ? fdopen(dup(c), "w") : NULL;
	if (!in || !out) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	rc = pm_qtest_serve(dm, in, out) ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "write: %s", strerror(EIO));
out:
	if (in)
		fclose(in);
	else if (c >= 0)
		close(c);
	if (out)
		fclose(out);
	if (s >= 0) {
		close(s);
		unlink(path);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct pm_getopt g = { 0 };
	char err[512] = "";
	const char *load = NULL, *console = NULL, *logpath = NULL, *qtest = NULL;
	const char *sim = NULL, *backend = "sim", *rundir = getenv("PHYSMAP_RUNDIR"), *input = NULL, *control = NULL;
	uint64_t domid = 0, ready = (uint64_t)-1;
	const char **devices = NULL;
	size_t nr_devices = 0;
	bool mtree = false, flat = false, disabled = false, json = false, want_qtest = false;
	struct pm_dm dm = { 0 };
	FILE *log = stderr;
	int console_fd = 1, ret = 1, c;

	/* a console or control client that leaves while it is answered is its loss, not the model's */
	signal(SIGPIPE, SIG_IGN);
	devices = calloc((size_t)argc, sizeof(*devices));
	if (!devices || pm_getopt_init(&g, opts, NR_OPTS)) {
		fprintf(stderr, "physmap-dm: out of memory\n");
		free(devices);
		pm_getopt_dispose(&g);
		return 1;
	}
	while ((c = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1) {
		switch (c) {
		case 'l': load = optarg; break;
		case 'd': devices[nr_devices++] = optarg; break;
		case 'm': mtree = true; break;
		case 'f': flat = true; break;
		case 'D': disabled = true; break;
		case 'j': json = true; break;
		case 'q': want_qtest = true; qtest = optarg; break;
		case 'c': console = optarg; break;
		case 'L': logpath = optarg; break;
		case 's': sim = optarg; backend = "sim"; break;
		case 'x': sim = optarg; backend = "xen"; break;
		case 'r': rundir = optarg; break;
		case 'i': input = optarg; break;
		case 'C': control = optarg; break;
		case 'R':
			if (pm_dm_parse_u64(optarg, &ready) || ready > 1024) {
				fprintf(stderr, "physmap-dm: --ready-fd %s: not a file descriptor\n", optarg);
				free(devices);
				pm_getopt_dispose(&g);
				return 1;
			}
			break;
		case 'h': usage(stdout); free(devices); pm_getopt_dispose(&g); return 0;
		default: usage(stderr); free(devices); pm_getopt_dispose(&g); return 1;
		}
	}
	pm_getopt_dispose(&g);
	if (optind < argc) {
		fprintf(stderr, "physmap-dm: unexpected argument \"%s\"\n", argv[optind]);
		goto out_early;
	}
	for (size_t i = 0; i < nr_devices; i++) {
		if (strcmp(devices[i], "help"))
			continue;
		for (size_t j = 0; pm_hw_list[j]; j++)
			printf("%-14s %s\n", pm_hw_list[j]->model, pm_hw_list[j]->summary);
		free(devices);
		return 0;
	}
	if (qtest && strncmp(qtest, "unix:", 5)) {
		fprintf(stderr, "physmap-dm: --qtest=%s: expected unix:PATH\n", qtest);
		goto out_early;
	}
	if (sim && (pm_dm_parse_u64(sim, &domid) || !domid || domid >= 0x7ff0)) {
		fprintf(stderr, "physmap-dm: --%s %s: not a domain id\n", backend, sim);
		goto out_early;
	}
	if (sim && !rundir && !strcmp(backend, "sim")) {
		fprintf(stderr, "physmap-dm: --sim: no run directory (--rundir or $PHYSMAP_RUNDIR)\n");
		goto out_early;
	}
	if ((flat || disabled || json) && !mtree) {
		fprintf(stderr, "physmap-dm: -f, -D and --json go with --mtree\n");
		goto out_early;
	}
	if (logpath && !(log = fopen(logpath, "a"))) {
		fprintf(stderr, "physmap-dm: --log %s: %s\n", logpath, strerror(errno));
		goto out_early;
	}
	if (console) {
		console_fd = open(console, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (console_fd < 0) {
			fprintf(stderr, "physmap-dm: --console %s: %s\n", console, strerror(errno));
			goto out_early;
		}
	} else if (want_qtest && !qtest) {
		console_fd = 2;
	}
	if (pm_dm_init(&dm, console_fd, log)) {
		fprintf(stderr, "physmap-dm: out of memory\n");
		goto out;
	}
	if (load) {
		char *text = read_file(load, err, sizeof(err));

		if (!text || pm_dm_load(&dm, text, err, sizeof(err))) {
			fprintf(stderr, "physmap-dm: %s: %s\n", load, err);
			free(text);
			goto out;
		}
		free(text);
	}
	/* every device in one transaction: one view rendered, not one a device */
	pm_mem_begin(dm.mem);
	for (size_t i = 0; i < nr_devices; i++) {
		if (add_device(&dm, devices[i], err, sizeof(err))) {
			pm_mem_commit(dm.mem);
			fprintf(stderr, "physmap-dm: --device %s: %s\n", devices[i], err);
			goto out;
		}
	}
	pm_mem_commit(dm.mem);
	if (mtree) {
		char *text = NULL;
		long n = json ? pm_mem_mtree_json(dm.mem, flat, &text)
			      : pm_mem_mtree(dm.mem, flat, disabled, &text);

		if (n < 0) {
			fprintf(stderr, "physmap-dm: mtree: out of memory\n");
			goto out;
		}
		fputs(text, stdout);
		if (json)
			putchar('\n');
		free(text);
	}
	if (want_qtest) {
		if (qtest) {
			if (serve_unix(&dm, qtest + 5, err, sizeof(err))) {
				fprintf(stderr, "physmap-dm: --qtest=%s: %s\n", qtest, err);
				goto out;
			}
		} else if (pm_qtest_serve(&dm, stdin, stdout)) {
			fprintf(stderr, "physmap-dm: qtest: cannot write the answers\n");
			goto out;
		}
	}
	if (sim) {
		int rc;

		/* the simulator of that run directory: the backend finds it there */
		if (rundir)
			setenv("PHYSMAP_RUNDIR", rundir, 1);
		rc = pm_ioreq_serve(&dm, backend, (uint32_t)domid, ready == (uint64_t)-1 ? -1 : (int)ready, input,
				    control, err, sizeof(err));

		if (rc) {
			fprintf(stderr, "physmap-dm: --%s %s: %s\n", backend, sim, err);
			goto out;
		}
	}
	ret = fflush(stdout) ? 1 : 0;
out:
	pm_dm_dispose(&dm);
	if (console_fd > 2)
		close(console_fd);
out_early:
	if (log && log != stderr)
		fclose(log);
	free(devices);
	return ret;
}
