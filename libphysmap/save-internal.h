/*
 * save-internal.h - what save.c and restore.c share: the vCPU records of
 * both architectures, physmap-dm's control socket, whole reads and writes
 */
#ifndef PHYSMAP_SAVE_INTERNAL_H
#define PHYSMAP_SAVE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "physmap/hv.h"
#include "physmap/stream.h"

#define PM__PAGE 4096ull

/* our x86_32 register file's order (<physmap/hv.h>) */
enum {
	PM_X86_EAX, PM_X86_ECX, PM_X86_EDX, PM_X86_EBX, PM_X86_ESP, PM_X86_EBP, PM_X86_ESI, PM_X86_EDI,
	PM_X86_EIP, PM_X86_EFLAGS, PM_X86_CR0, PM_X86_CR2, PM_X86_CR3, PM_X86_CR4, PM_X86_NR
};

struct hvm_hw_cpu;

/**
 * pm__hw_cpu_from / pm__hw_cpu_to - an x86 vCPU state as Xen's
 * hvm_hw_cpu and back: the flat 14 registers with PVH's flat segments
 * and the FPU initialised, or the whole list (PM_HV_X86_NR); back, always
 * the whole list
 */
void pm__hw_cpu_from(struct hvm_hw_cpu *c, const struct pm_hv_vcpu_state *st);
void pm__hw_cpu_to(const struct hvm_hw_cpu *c, struct pm_hv_vcpu_state *st);

/* the HVM parameters a physmap domain has: the rings' pfns and ports */
#define PM__NR_PARAMS 4
#define PM__EVTCHN_MAX 131072u   /* Xen's FIFO event channel ABI: 2^17 ports */

/**
 * pm__vcpus_put - the libxc record of @n vCPUs' states: HVM_CONTEXT (Xen's
 * HVM save records: header, an hvm_hw_cpu a vCPU that is up, end) for
 * x86, PHYSMAP_VCPUS for aarch64
 * returns: 0; -EINVAL (mixed or unknown architectures); -ENOMEM; -E2BIG
 */
int pm__vcpus_put(struct pm_stream_buf *b, const struct pm_hv_vcpu_state *st, unsigned int n);

/**
 * pm__vcpus_get - @n vCPUs' states from a record pm__vcpus_put wrote (or
 * Xen wrote: HVM_CONTEXT's records other than CPU are skipped); vCPUs the
 * record does not name are down
 * returns: 0; -EINVAL (with @what saying what is wrong)
 */
int pm__vcpus_get(const struct pm_stream_record *r, struct pm_hv_vcpu_state *st, unsigned int n,
		  char *what, size_t len);

/**
 * pm__dm_control - ask domain @name's physmap-dm (its control socket in
 * @rundir) to "save" (*@out receives the blob: free it) or to load @in
 * returns: 0; -ENOENT (it has no device model); -EIO with @what (it
 *   refused); -errno
 */
int pm__dm_control(const char *rundir, const char *name, const void *in, size_t in_len, void **out,
		   size_t *out_len, char *what, size_t len);

/**
 * pm__trace - with $PHYSMAP_TRACE set, "physmap[PID]: MS WHAT" on stderr,
 * MS on the monotonic clock (comparable between processes): where a
 * save's, a restore's or a migration's time goes. Each WHAT is a stage a
 * test can act at: with $PHYSMAP_STOP_AT=WHAT the process stops itself
 * there (SIGSTOP) until it is continued or killed.
 */
void pm__trace(const char *what);

/** pm__write_all / pm__read_all - whole buffers, EINTR retried. returns: 0; -EPIPE / -ENODATA (EOF); -errno */
int pm__write_all(int fd, const void *buf, size_t len);
int pm__read_all(int fd, void *buf, size_t len);

#endif
