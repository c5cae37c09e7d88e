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

/* what the command line asks */
struct args {
	const char *load, *console, *logpath, *qtest, *sim, *backend, *rundir, *input, *control;
	uint64_t domid, ready;
	const char **devices;
	size_t nr_devices;
	bool mtree, flat, disabled, json, want_qtest;
};

/* the options into @a (@a->devices allocated). returns: 0; 1 (done: help said); -1 (said why) */
static int parse_args(int argc, char **argv, struct args *a)
{
	struct pm_getopt g = { 0 };
	int c, rc = 0;

	a->devices = calloc((size_t)argc, sizeof(*a->devices));
	if (!a->devices || pm_getopt_init(&g, opts, NR_OPTS)) {
		fprintf(stderr, "physmap-dm: out of memory\n");
		pm_getopt_dispose(&g);
		return -1;
	}
	while (!rc && (c = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1) {
		switch (c) {
		case 'l': a->load = optarg; break;
		case 'd': a->devices[a->nr_devices++] = optarg; break;
		case 'm': a->mtree = true; break;
		case 'f': a->flat = true; break;
		case 'D': a->disabled = true; break;
		case 'j': a->json = true; break;
		case 'q': a->want_qtest = true; a->qtest = optarg; break;
		case 'c': a->console = optarg; break;
		case 'L': a->logpath = optarg; break;
		case 's': a->sim = optarg; a->backend = "sim"; break;
		case 'x': a->sim = optarg; a->backend = "xen"; break;
		case 'r': a->rundir = optarg; break;
		case 'i': a->input = optarg; break;
		case 'C': a->control = optarg; break;
		case 'R':
			if (pm_dm_parse_u64(optarg, &a->ready) || a->ready > 1024) {
				fprintf(stderr, "physmap-dm: --ready-fd %s: not a file descriptor\n", optarg);
				rc = -1;
			}
			break;
		case 'h': usage(stdout); rc = 1; break;
		default: usage(stderr); rc = -1; break;
		}
	}
	pm_getopt_dispose(&g);
	if (!rc && optind < argc) {
		fprintf(stderr, "physmap-dm: unexpected argument \"%s\"\n", argv[optind]);
		rc = -1;
	}
	return rc;
}

/* the options that go together, and --device help. returns: 0; 1 (done: the models listed); -1 (said why) */
static int check_args(struct args *a)
{
	for (size_t i = 0; i < a->nr_devices; i++) {
		if (strcmp(a->devices[i], "help"))
			continue;
		for (size_t j = 0; pm_hw_list[j]; j++)
			printf("%-14s %s\n", pm_hw_list[j]->model, pm_hw_list[j]->summary);
		return 1;
	}
	if (a->qtest && strncmp(a->qtest, "unix:", 5)) {
		fprintf(stderr, "physmap-dm: --qtest=%s: expected unix:PATH\n", a->qtest);
		return -1;
	}
	if (a->sim && (pm_dm_parse_u64(a->sim, &a->domid) || !a->domid || a->domid >= 0x7ff0)) {
		fprintf(stderr, "physmap-dm: --%s %s: not a domain id\n", a->backend, a->sim);
		return -1;
	}
	if (a->sim && !a->rundir && !strcmp(a->backend, "sim")) {
		fprintf(stderr, "physmap-dm: --sim: no run directory (--rundir or $PHYSMAP_RUNDIR)\n");
		return -1;
	}
	if ((a->flat || a->disabled || a->json) && !a->mtree) {
		fprintf(stderr, "physmap-dm: -f, -D and --json go with --mtree\n");
		return -1;
	}
	return 0;
}

/* the log and the console opened as asked. returns: 0; -1 (said why) */
static int open_outputs(const struct args *a, FILE **log, int *console_fd)
{
	if (a->logpath && !(*log = fopen(a->logpath, "a"))) {
		*log = stderr;
		fprintf(stderr, "physmap-dm: --log %s: %s\n", a->logpath, strerror(errno));
		return -1;
	}
	if (a->console) {
		*console_fd = open(a->console, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (*console_fd < 0) {
			fprintf(stderr, "physmap-dm: --console %s: %s\n", a->console, strerror(errno));
			return -1;
		}
	} else if (a->want_qtest && !a->qtest) {
		*console_fd = 2;   /* stdout carries qtest's answers */
	}
	return 0;
}

/* the memory system: --load's description, then every --device in one transaction. returns: 0; -1 (said why) */
static int build(struct pm_dm *dm, const struct args *a)
{
	char err[512] = "";

	if (a->load) {
		char *text = read_file(a->load, err, sizeof(err));
		struct pm_load_hooks hooks;

		pm_hw_logger_hooks(dm, &hooks);
		if (!text || pm_dm_load(dm, text, &hooks, err, sizeof(err))) {
			fprintf(stderr, "physmap-dm: %s: %s\n", a->load, err);
			free(text);
			return -1;
		}
		free(text);
	}
	/* one view rendered, not one a device */
	pm_mem_begin(dm->mem);
	for (size_t i = 0; i < a->nr_devices; i++) {
		if (add_device(dm, a->devices[i], err, sizeof(err))) {
			pm_mem_commit(dm->mem);
			fprintf(stderr, "physmap-dm: --device %s: %s\n", a->devices[i], err);
			return -1;
		}
	}
	pm_mem_commit(dm->mem);
	return 0;
}

/* what was asked of it: the region tree printed, qtest served, a domain served. returns: 0; -1 (said why) */
static int act(struct pm_dm *dm, const struct args *a)
{
	char err[512] = "";

	if (a->mtree) {
		char *text = NULL;
		long n = a->json ? pm_mem_mtree_json(dm->mem, a->flat, &text)
				 : pm_mem_mtree(dm->mem, a->flat, a->disabled, &text);

		if (n < 0) {
			fprintf(stderr, "physmap-dm: mtree: out of memory\n");
			return -1;
		}
		fputs(text, stdout);
		if (a->json)
			putchar('\n');
		free(text);
	}
	if (a->want_qtest && a->qtest && serve_unix(dm, a->qtest + 5, err, sizeof(err))) {
		fprintf(stderr, "physmap-dm: --qtest=%s: %s\n", a->qtest, err);
		return -1;
	}
	if (a->want_qtest && !a->qtest && pm_qtest_serve(dm, stdin, stdout)) {
		fprintf(stderr, "physmap-dm: qtest: cannot write the answers\n");
		return -1;
	}
	if (a->sim) {
		/* the simulator of that run directory: the backend finds it there */
		if (a->rundir)
			setenv("PHYSMAP_RUNDIR", a->rundir, 1);
		if (pm_ioreq_serve(dm, a->backend, (uint32_t)a->domid, a->ready == (uint64_t)-1 ? -1 : (int)a->ready,
				   a->input, a->control, err, sizeof(err))) {
			fprintf(stderr, "physmap-dm: --%s %s: %s\n", a->backend, a->sim, err);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { .backend = "sim", .rundir = getenv("PHYSMAP_RUNDIR"), .ready = (uint64_t)-1 };
	struct pm_dm dm = { 0 };
	FILE *log = stderr;
	int console_fd = 1, ret = 1, rc;

	/* a console or control client that leaves while it is answered is its loss, not the model's */
	signal(SIGPIPE, SIG_IGN);
	rc = parse_args(argc, argv, &a);
	if (!rc)
		rc = check_args(&a);
	if (rc) {
		free(a.devices);
		return rc > 0 ? 0 : 1;
	}
	if (open_outputs(&a, &log, &console_fd))
		goto out_early;
	if (pm_dm_init(&dm, console_fd, log)) {
		fprintf(stderr, "physmap-dm: out of memory\n");
		goto out;
	}
	if (!build(&dm, &a) && !act(&dm, &a))
		ret = fflush(stdout) ? 1 : 0;
out:
	pm_dm_dispose(&dm);
	if (console_fd > 2)
		close(console_fd);
out_early:
	if (log && log != stderr)
		fclose(log);
	free(a.devices);
	return ret;
}
