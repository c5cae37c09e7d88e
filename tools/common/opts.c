/*
 * tools/common/opts.c - getopt tables and help text from one option table
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

int pm_getopt_init(struct pm_getopt *g, const struct pm_opt *opts, size_t n)
{
	size_t k = 0;

	g->longs = calloc(n + 1, sizeof(*g->longs));
	/* room for a leading mode character ("+") a caller may insert */
	g->shorts = calloc(3 * n + 2, 1);
	if (!g->longs || !g->shorts)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		g->longs[i] = (struct option){ opts[i].name, opts[i].has_arg, NULL, opts[i].val };
		g->shorts[k++] = (char)opts[i].val;
		for (int j = 0; j < opts[i].has_arg; j++)
			g->shorts[k++] = ':';
	}
	return 0;
}

void pm_getopt_dispose(struct pm_getopt *g)
{
	free(g->longs);
	free(g->shorts);
	g->longs = NULL;
	g->shorts = NULL;
}

void pm_man_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
		if (*s == '\n' && (s[1] == '.' || s[1] == '\''))
			fputs("\\&", f);
	}
}

void pm_man_options(FILE *f, const struct pm_opt *opts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(f, ".TP\n\\fB\\-%c\\fR, \\fB\\-\\-", opts[i].val);
		pm_man_text(f, opts[i].name);
		fputs("\\fR", f);
		if (opts[i].arg && opts[i].has_arg == optional_argument)
			fputs("[=\\fI", f);
		else if (opts[i].arg)
			fputs(" \\fI", f);
		if (opts[i].arg) {
			pm_man_text(f, opts[i].arg);
			fputs(opts[i].has_arg == optional_argument ? "\\fR]" : "\\fR", f);
		}
		fputc('\n', f);
		pm_man_text(f, opts[i].help);
		fputc('\n', f);
	}
}

void pm_usage(FILE *f, const char *prog, const char *synopsis,
	      const struct pm_opt *opts, size_t n)
{
	const char *format = getenv("PM_HELP_FORMAT");

	if (format && !strcmp(format, "man")) {
		fputs(".SH SYNOPSIS\n.B ", f);
		pm_man_text(f, prog);
		fputc('\n', f);
		pm_man_text(f, synopsis);
		fputs("\n.SH OPTIONS\n", f);
		pm_man_options(f, opts, n);
		return;
	}
	fprintf(f, "usage: %s %s\n\noptions:\n", prog, synopsis);
	for (size_t i = 0; i < n; i++) {
		char left[64];

		if (opts[i].has_arg == optional_argument)
			snprintf(left, sizeof(left), "-%c, --%s[=%s]", opts[i].val, opts[i].name, opts[i].arg);
		else if (opts[i].arg)
			snprintf(left, sizeof(left), "-%c, --%s %s", opts[i].val, opts[i].name, opts[i].arg);
		else
			snprintf(left, sizeof(left), "-%c, --%s", opts[i].val, opts[i].name);
		if (strlen(left) > 28)
			fprintf(f, "  %s\n  %-28s  %s\n", left, "", opts[i].help);
		else
			fprintf(f, "  %-28s  %s\n", left, opts[i].help);
	}
}
