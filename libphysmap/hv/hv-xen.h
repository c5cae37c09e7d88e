/*
 * hv-xen.h - what hv-xen.c and hv-xen-ioreq.c share
 */
#ifndef PHYSMAP_HV_XEN_H
#define PHYSMAP_HV_XEN_H

#include <stddef.h>
#include <stdint.h>

#include "physmap/hv.h"

/* a RAM entry of an HVM domain's P2M: Xen does not say which machine frame */
#define PM_HV_XEN_FRAME PM_HV_FRAME_UNKNOWN

struct binding;
struct dirty;

/* the xen backend's handles (pm_hv.priv) */
struct pm_xen {
	struct xc_interface_core *xch;
	struct xenforeignmemory_handle *fmem;
	struct xencall_handle *call;
	struct binding *bind;    /* the channels pm_hv_evtchn_bind bound */
	size_t nr_bind;
	struct dirty *dirty;
	struct xengntdev_handle *gnt;   /* /dev/xen/gntdev, opened at the first grant map */
	struct xentoollog_logger *log;  /* what every handle of the Xen libraries logs to: quiet */
};

#endif
