/*
 * tools/sim/kvm.h - x86 vCPUs on KVM: one VM per domain, its memory slots
 * following the P2M, one thread per vCPU in KVM_RUN
 *
 * The engine is chosen once per simulator (sim_kvm_open): PHYSMAP_SIM_ENGINE
 * = kvm or unicorn forces one; unset, x86 guests run on Unicorn (KVM is
 * opt-in until every suite passes on it, issue 29). aarch64 guests always
 * run on Unicorn.
 */
#ifndef PHYSMAP_SIM_KVM_H
#define PHYSMAP_SIM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

struct sim_vcpu;

/*
 * the port of the `out` in each stub of the hypercall page the guest asks
 * for (MSR 0x40000000); an `out` to it from anywhere else is port I/O
 */
#define SIM_KVM_HYPERCALL_PORT 0xe2

/**
 * sim_kvm_open - choose the simulator's x86 engine from @want ("kvm",
 * "unicorn" or NULL) and, for KVM, open /dev/kvm
 * @why: on failure, what KVM lacks (for the log)
 * returns: 0 (s->engine set); -ENODEV when @want is "kvm" and KVM cannot
 *   serve (@why says why); -EINVAL for another @want
 */
int sim_kvm_open(struct sim *s, const char *want, char *why, size_t len);

/** sim_kvm_close - close /dev/kvm; idempotent */
void sim_kvm_close(struct sim *s);

/** sim_kvm_engine - "kvm" or "unicorn": what runs @s's x86 vCPUs */
const char *sim_kvm_engine(const struct sim *s);

/**
 * sim_kvm_vcpu_init - @v's KVM vCPU (the domain's VM made first, its
 * memory mapped), or the one it had, in the PVH entry state of v->ctx
 * (s->lock held)
 * returns: 0; -errno from KVM
 */
int sim_kvm_vcpu_init(struct sim_vcpu *v);

/** sim_kvm_vcpu_thread - a KVM vCPU's thread (pthread start routine) */
void *sim_kvm_vcpu_thread(void *arg);

/** sim_kvm_vcpu_close - free @v's KVM vCPU (its domain going, its thread ended); idempotent */
void sim_kvm_vcpu_close(struct sim_vcpu *v);

/**
 * sim_kvm_dirty_log - KVM logs the writes to @d's RAM (its slots with
 * KVM_MEM_LOG_DIRTY_PAGES, those made later too) into @bitmap (a bit a
 * pfn, the caller's; NULL: stop, what was logged harvested first); s->lock
 * held. returns: 0; -EOPNOTSUPP (not a KVM domain); -errno (nothing on)
 */
int sim_kvm_dirty_log(struct sim_domain *d, uint8_t *bitmap);

/** sim_kvm_dirty_harvest - what KVM logged since the last look, into the bitmap (s->lock held) */
void sim_kvm_dirty_harvest(struct sim_domain *d);

/** sim_kvm_domain_free - close @d's VM and vCPUs (their threads ended); idempotent */
void sim_kvm_domain_free(struct sim_domain *d);

/**
 * sim_kvm_changed - the P2M of [pfn, pfn + count) changed: its memory
 * slots follow at once (s->lock held). KVM_SET_USER_MEMORY_REGION returns
 * once no vCPU can reach the old frames, so freed frames are never written.
 * returns: 0; -errno (the domain's memory is then not what its P2M says:
 *   the caller crashes it)
 */
int sim_kvm_changed(struct sim_domain *d, uint64_t pfn, uint64_t count);

/**
 * sim_kvm_interrupt - a fixed, edge-triggered interrupt of @vector to @v's
 * local APIC (KVM_SIGNAL_MSI to its APIC id; any thread), as Xen's vlapic
 * takes an upcall; a vCPU not yet made gets none
 */
void sim_kvm_interrupt(struct sim_vcpu *v, uint8_t vector);

/** sim_kvm_kick - make @v leave KVM_RUN now (any thread) */
void sim_kvm_kick(struct sim_vcpu *v);

/**
 * sim_kvm_get_state / sim_kvm_put_state - @v's registers as <physmap/hv.h>
 * lists them for x86: get, the whole list (PM_HV_X86_NR); put, @nr of
 * them (the flat 14 leave its segments, EFER, MSRs and FPU as they are)
 */
void sim_kvm_get_state(struct sim_vcpu *v, uint64_t *reg);
void sim_kvm_put_state(struct sim_vcpu *v, const uint64_t *reg, unsigned int nr);

/* ---- between kvm.c and kvm-emulate.c ---- */

/** sim_kvm_ioctl - ioctl(2) again on EINTR; returns: its result; -errno */
int sim_kvm_ioctl(int fd, unsigned long req, void *arg);

/**
 * sim_kvm_linear_copy - linear [la, la + len) of @v copied in (@out) or out
 * of @buf through the guest's page tables (KVM_TRANSLATE), page by page;
 * takes s->lock
 * returns: 0; -EFAULT (a page not mapped, or not the domain's memory)
 */
int sim_kvm_linear_copy(struct sim_vcpu *v, uint64_t la, void *buf, size_t len, bool out);

/**
 * sim_kvm_emulate - the instruction at @v's rip, which KVM could not
 * emulate (KVM_INTERNAL_ERROR_EMULATION), done here where the CPU's or
 * Xen's behaviour is known (kvm-emulate.c)
 * @why: set when the domain must crash, naming the pc and the bytes
 * returns: whether it was done (or a fault it raises is on its way)
 */
bool sim_kvm_emulate(struct sim_vcpu *v, char *why, size_t len);

#endif
