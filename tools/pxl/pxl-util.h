/*
 * tools/pxl/pxl-util.h - what several plugins do alike
 */
#ifndef PHYSMAP_PXL_UTIL_H
#define PHYSMAP_PXL_UTIL_H

#include <stdbool.h>

#include "physmap/config.h"
#include "physmap/domain.h"
#include "physmap/hv.h"
#include "physmap/board.h"
#include "pxl-plugin.h"

/**
 * pxl_load_config - argv[0] is a config file, argv[1..] KEY=VALUE overrides;
 * prints the warnings ("PROG: warning: ...") and, on failure, the one-line
 * error ("PROG: guest.cfg:3: ...")
 * returns: PXL_OK, with cfg to dispose; PXL_FAIL
 */
int pxl_load_config(const struct pxl_args *a, struct pm_domain_config *cfg);

/**
 * pxl_layout - the board's machine for cfg (errors printed as above)
 * returns: PXL_OK, with layout to dispose; PXL_FAIL
 */
int pxl_layout(const struct pxl_args *a, const struct pm_domain_config *cfg,
	       struct pm_board_layout *layout);

/**
 * pxl_config_layout - pxl_load_config, then pxl_layout
 * returns: PXL_OK with cfg and layout to dispose; PXL_FAIL (nothing to dispose)
 */
int pxl_config_layout(const struct pxl_args *a, struct pm_domain_config *cfg,
		      struct pm_board_layout *layout);

/**
 * pxl_hv_open - the backend ($PHYSMAP_CONNECT or --connect), errors printed
 * returns: PXL_OK with *hv to close; PXL_FAIL
 */
int pxl_hv_open(const struct pxl_args *a, struct pm_hv **hv);

/**
 * pxl_domain - the domain named by id or name in arg, errors printed
 * returns: PXL_OK and *domid; PXL_FAIL
 */
int pxl_domain(const struct pxl_args *a, struct pm_hv *hv, const char *arg, uint32_t *domid);

/**
 * pxl_open_domain - the backend and the domain argv[0] names (errors
 * printed; on failure nothing is left open)
 * returns: PXL_OK with *hv to close; PXL_FAIL
 */
int pxl_open_domain(const struct pxl_args *a, struct pm_hv **hv, uint32_t *domid);

/**
 * pxl_list - the backend, and every domain it holds (errors printed; on
 * failure nothing is left open)
 * @v: receives a malloc'ed array (free())
 * returns: the count, with *hv to close; -1
 */
long pxl_list(const struct pxl_args *a, struct pm_hv **hv, struct pm_hv_dominfo **v);

/**
 * pxl_check_named - every positional argument from @from on names a domain
 * (an error printed for the first that does not)
 * returns: PXL_OK; PXL_FAIL
 */
int pxl_check_named(const struct pxl_args *a, struct pm_hv *hv, int from);

/**
 * pxl_each_named - @fn for each domain of @v the positional arguments from
 * @from on name, in their order, or for each when there are none
 */
void pxl_each_named(const struct pxl_args *a, struct pm_hv *hv, int from, const struct pm_hv_dominfo *v, long n,
		    void (*fn)(struct pm_hv *hv, const struct pm_hv_dominfo *d, void *arg), void *arg);

/**
 * pxl_console - print @domid's console log; with @follow, keep printing
 * what comes until the domain stops or is gone, or Ctrl-] on a terminal
 * returns: PXL_OK; PXL_FAIL (said why: no such domain, no log)
 */
int pxl_console(const struct pxl_args *a, struct pm_hv *hv, uint32_t domid, bool follow);

/**
 * pxl_stage - a stage of a command, as libphysmap's trace lines: with
 * $PHYSMAP_TRACE, "physmap[PID]: MS WHAT" on stderr (MS on the monotonic
 * clock); with $PHYSMAP_STOP_AT=WHAT the process stops itself there
 * (SIGSTOP), for a test to act at that stage
 */
void pxl_stage(const char *what);

/** pxl_monitor_needed - whether @cfg restarts on something, or on Xen is destroyed on something (the toolstack's job) */
bool pxl_monitor_needed(struct pm_hv *hv, const struct pm_domain_config *cfg);

/**
 * pxl_monitor_spawn - leave a detached monitor that builds @domid again
 * from @cfg when it stops for a restarting reason, and leaves with it
 * returns: PXL_OK; PXL_FAIL (said why)
 */
int pxl_monitor_spawn(const struct pxl_args *a, struct pm_hv *hv, const struct pm_domain_config *cfg,
		      uint32_t domid);

/**
 * pxl_file_open - an unnamed file (O_TMPFILE) in the directory @path
 * names, to be written and then given @path by pxl_file_commit: a pxl
 * killed while it writes leaves no file at all
 * returns: the descriptor; -errno with @err "PATH: why"
 */
int pxl_file_open(const char *path, char *err, size_t errlen);

/**
 * pxl_file_commit - @fd (pxl_file_open's) synced and named @path, and
 * closed either way; @exclusive: refused if @path exists (else replaced)
 * returns: 0; -errno with @err "PATH: why"
 */
int pxl_file_commit(int fd, const char *path, bool exclusive, char *err, size_t errlen);

/**
 * pxl_dump_core - @domid's core (pm_domain_dump_core) written to @path:
 * into an unnamed file first (pxl_file_open), given @path once whole, so
 * a failure or a kill leaves no file and an old @path as it was
 * @err: a line on failure
 * returns: 0; -errno
 */
int pxl_dump_core(struct pm_hv *hv, uint32_t domid, const char *path, struct pm_dump_report *rep, char *err,
		  size_t errlen);

/** pxl_dump_dir - where a coredump-* action writes cores: xl's /var/lib/xen/dump on xen, RUNDIR/dump on the simulator */
void pxl_dump_dir(struct pm_hv *hv, char *dir, size_t len);

#endif
