/*
 * tools/common/opts.h - option tables for the project's programs: one
 * table gives getopt_long its long and short options and --help its text
 */
#ifndef PHYSMAP_TOOLS_OPTS_H
#define PHYSMAP_TOOLS_OPTS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

struct pm_opt {
	const char *name;
	int has_arg;          /* no_argument, required_argument, optional_argument */
	int val;
	const char *arg;      /* the argument's name in the help, or NULL */
	const char *help;
};

/* the whole table for getopt_long */
struct pm_getopt {
	struct option *longs;
	char *shorts;
};

/**
 * pm_getopt_init - build getopt_long's tables from opts[0..n)
 * returns: 0; -ENOMEM (then pm_getopt_dispose is still safe)
 */
int pm_getopt_init(struct pm_getopt *g, const struct pm_opt *opts, size_t n);
void pm_getopt_dispose(struct pm_getopt *g);

/**
 * pm_usage - "usage: PROG SYNOPSIS", then one line per option; with
 * PM_HELP_FORMAT=man in the environment, the same as a manual page's
 * SYNOPSIS and OPTIONS sections instead (man(7) macros), so that the
 * pages say what --help says
 */
void pm_usage(FILE *f, const char *prog, const char *synopsis,
	      const struct pm_opt *opts, size_t n);

/** pm_man_text - @s as roff text: backslashes escaped, a leading dot or quote made literal */
void pm_man_text(FILE *f, const char *s);

/** pm_man_options - opts[0..n) as man(7) .TP entries */
void pm_man_options(FILE *f, const struct pm_opt *opts, size_t n);

#endif
