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

/** pm_usage - "usage: PROG SYNOPSIS", then one line per option */
void pm_usage(FILE *f, const char *prog, const char *synopsis,
	      const struct pm_opt *opts, size_t n);

#endif
