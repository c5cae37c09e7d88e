/*
 * qtest.c - the test transport (see qtest.h for the commands)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qtest.h"

#define MAX_BUF 4096u

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static unsigned width(char c)
{
	return c == 'b' ? 1 : c == 'w' ? 2 : c == 'l' ? 4 : c == 'q' ? 8 : 0;
}

/* one command; returns 1 to end the session */
static int command(struct pm_dm *dm, char *line, FILE *out)
{
	char *argv[8];
	int argc = 0;
	uint64_t a, v, len;
	unsigned w;

	for (char *tok = strtok(line, " \t\r\n"); tok && argc < 8; tok = strtok(NULL, " \t\r\n"))
		argv[argc++] = tok;
	if (argc == 0)
		return 0;
	const char *cmd = argv[0];
	size_t n = strlen(cmd);

	if ((!strncmp(cmd, "read", 4) && n == 5 && (w = width(cmd[4]))) ||
	    (!strncmp(cmd, "in", 2) && n == 3 && (w = width(cmd[2])) && w <= 4)) {
		struct pm_as *as = cmd[0] == 'i' ? dm->as_io : dm->as_mem;

		if (argc != 2 || pm_dm_parse_u64(argv[1], &a))
			return fprintf(out, "ERR usage: %s ADDR\n", cmd), 0;
		if (!as)
			return fprintf(out, "ERR no %s address space\n", cmd[0] == 'i' ? "I/O" : "memory"), 0;
		v = 0;
		pm_as_read(as, a, &v, w);
		fprintf(out, "OK 0x%016" PRIx64 "\n", v);
		return 0;
	}
	if ((!strncmp(cmd, "write", 5) && n == 6 && (w = width(cmd[5]))) ||
	    (!strncmp(cmd, "out", 3) && n == 4 && (w = width(cmd[3])) && w <= 4)) {
		struct pm_as *as = cmd[0] == 'o' ? dm->as_io : dm->as_mem;

		if (argc != 3 || pm_dm_parse_u64(argv[1], &a) || pm_dm_parse_u64(argv[2], &v))
			return fprintf(out, "ERR usage: %s ADDR VALUE\n", cmd), 0;
		if (w < 8 && v >> (8 * w))
			return fprintf(out, "ERR %s: value 0x%" PRIx64 " does not fit %u bytes\n", cmd, v, w), 0;
		if (!as)
			return fprintf(out, "ERR no %s address space\n", cmd[0] == 'o' ? "I/O" : "memory"), 0;
		pm_as_write(as, a, v, w);
		fprintf(out, "OK\n");
		return 0;
	}
	if (!strcmp(cmd, "read")) {
		uint8_t buf[MAX_BUF];

		if (argc != 3 || pm_dm_parse_u64(argv[1], &a) || pm_dm_parse_u64(argv[2], &len) || len == 0 ||
		    len > MAX_BUF)
			return fprintf(out, "ERR usage: read ADDR LEN (LEN 1..%u)\n", MAX_BUF), 0;
		if (!dm->as_mem)
			return fprintf(out, "ERR no memory address space\n"), 0;
		pm_as_rw_buf(dm->as_mem, a, buf, len, false);
		fprintf(out, "OK 0x");
		for (uint64_t i = 0; i < len; i++)
			fprintf(out, "%02x", buf[i]);
		fprintf(out, "\n");
		return 0;
	}
	if (!strcmp(cmd, "write")) {
		uint8_t buf[MAX_BUF];
		const char *hex = argc == 4 ? argv[3] : "";

		if (argc != 4 || pm_dm_parse_u64(argv[1], &a) || pm_dm_parse_u64(argv[2], &len) || len == 0 ||
		    len > MAX_BUF || strncmp(hex, "0x", 2) || strlen(hex + 2) != 2 * len)
			return fprintf(out, "ERR usage: write ADDR LEN 0xBYTES (2*LEN digits)\n"), 0;
		for (uint64_t i = 0; i < len; i++) {
			int hi = hexval(hex[2 + 2 * i]), lo = hexval(hex[3 + 2 * i]);

			if (hi < 0 || lo < 0)
				return fprintf(out, "ERR write: not a hex digit in %s\n", hex), 0;
			buf[i] = (uint8_t)(hi << 4 | lo);
		}
		if (!dm->as_mem)
			return fprintf(out, "ERR no memory address space\n"), 0;
		pm_as_rw_buf(dm->as_mem, a, buf, len, true);
		fprintf(out, "OK\n");
		return 0;
	}
	if (!strcmp(cmd, "mtree")) {
		bool flat = false, disabled = false;
		char *text = NULL;

		for (int i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "-f"))
				flat = true;
			else if (!strcmp(argv[i], "-D"))
				disabled = true;
			else
				return fprintf(out, "ERR mtree: unknown option %s\n", argv[i]), 0;
		}
		if (pm_mem_mtree(dm->mem, flat, disabled, &text) < 0)
			return fprintf(out, "ERR mtree: out of memory\n"), 0;
		fputs(text, out);
		free(text);
		fprintf(out, "OK\n");
		return 0;
	}
	if (!strcmp(cmd, "flush")) {
		fprintf(out, "OK %ld\n", pm_mem_flush_coalesced(dm->mem));
		return 0;
	}
	if (!strcmp(cmd, "quit")) {
		fprintf(out, "OK\n");
		return 1;
	}
	fprintf(out, "ERR unknown command \"%s\"\n", cmd);
	return 0;
}

int pm_qtest_serve(struct pm_dm *dm, FILE *in, FILE *out)
{
	char line[2 * MAX_BUF + 64];
	int done = 0;

	while (!done && fgets(line, sizeof(line), in)) {
		if (!strchr(line, '\n') && !feof(in)) {
			int c;

			/* an overlong line: drop the rest of it */
			while ((c = fgetc(in)) != EOF && c != '\n')
				;
			fprintf(out, "ERR line too long\n");
		} else {
			done = command(dm, line, out);
		}
		if (fflush(out))
			return -EIO;
	}
	return 0;
}
