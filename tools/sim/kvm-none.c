/*
 * tools/sim/kvm-none.c - the KVM engine on a host that is not x86: KVM
 * runs a host's own architecture only, and the simulator's KVM engine is
 * for its x86 guests, so here they run on Unicorn (as aarch64 guests do
 * everywhere) and PHYSMAP_SIM_ENGINE=kvm is refused, saying why. Every
 * other function is what kvm.c does for a domain that is not on KVM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "kvm.h"
#include "vcpu.h"

int sim_kvm_open(struct sim *s, const char *want, char *why, size_t len)
{
	struct utsname u;

	(void)s;
	why[0] = 0;
	if (want && !want[0])
		want = NULL;
	if (want && strcmp(want, "kvm") && strcmp(want, "unicorn"))
		return -EINVAL;
	if (!want || strcmp(want, "kvm"))
		return 0;
	snprintf(why, len, "KVM runs the simulator's x86 guests on an x86 host only (this one is %s)",
		 uname(&u) ? "not x86" : u.machine);
	return -ENODEV;
}

void sim_kvm_close(struct sim *s)
{
	(void)s;
}

const char *sim_kvm_engine(const struct sim *s)
{
	(void)s;
	return "unicorn";
}

int sim_kvm_vcpu_init(struct sim_vcpu *v)
{
	(void)v;
	return -ENODEV;
}

void *sim_kvm_vcpu_thread(void *arg)
{
	(void)arg;
	return NULL;
}

void sim_kvm_vcpu_close(struct sim_vcpu *v)
{
	(void)v;
}

int sim_kvm_dirty_log(struct sim_domain *d, uint8_t *bitmap)
{
	(void)d, (void)bitmap;
	return -EOPNOTSUPP;
}

void sim_kvm_dirty_harvest(struct sim_domain *d)
{
	(void)d;
}

void sim_kvm_domain_free(struct sim_domain *d)
{
	(void)d;
}

int sim_kvm_changed(struct sim_domain *d, uint64_t pfn, uint64_t count)
{
	(void)d, (void)pfn, (void)count;
	return 0;
}

void sim_kvm_interrupt(struct sim_vcpu *v, uint8_t vector)
{
	(void)v, (void)vector;
}

void sim_kvm_kick(struct sim_vcpu *v)
{
	(void)v;
}

void sim_kvm_get_state(struct sim_vcpu *v, uint64_t *reg)
{
	(void)v, (void)reg;
}

void sim_kvm_put_state(struct sim_vcpu *v, const uint64_t *reg, unsigned int nr)
{
	(void)v, (void)reg, (void)nr;
}

int sim_kvm_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd, (void)req, (void)arg;
	return -ENOSYS;
}

int sim_kvm_linear_copy(struct sim_vcpu *v, uint64_t la, void *buf, size_t len, bool out)
{
	(void)v, (void)la, (void)buf, (void)len, (void)out;
	return -EFAULT;
}

bool sim_kvm_emulate(struct sim_vcpu *v, char *why, size_t len)
{
	(void)v, (void)why, (void)len;
	return false;
}
