/*
 * tools/sim/say.c - the simulator's log: one dated line at a time on its
 * stderr ($RUNDIR/sim.log once it runs in the background)
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "sim.h"

void sim_say(const char *fmt, ...)
{
	char when[32];
	time_t t = time(NULL);
	va_list ap;

	strftime(when, sizeof(when), "%F %T", localtime(&t));
	fprintf(stderr, "%s physmap-sim: ", when);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}
