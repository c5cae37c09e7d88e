/*
 * tests/guests/common/xentime.c - Xen's time and event ABI as a guest
 * sees it (word "xentime"): the pvclock in vcpu_info 0 and the wallclock
 * in the shared info, VIRQ_TIMER bound to a port, singleshot timers
 * (VCPUOP_set_singleshot_timer) waited for with SCHEDOP_poll and timed
 * by the pvclock, a periodic timer, EVTCHNOP_status, an IPI port. Each
 * line says what it measured; docs/guests.md lists them.
 */
#include "guest.h"

#define HYPERVISOR_vcpu_op 24
#define HVMOP_set_evtchn_upcall_vector 23
#define UPCALL_VECTOR 0xf3   /* Linux's HYPERVISOR_CALLBACK_VECTOR */
#define UPCALLS 10
#define VCPUOP_set_periodic_timer 6
#define VCPUOP_stop_periodic_timer 7
#define VCPUOP_set_singleshot_timer 8
#define VCPU_SSHOTTMR_future 1u
#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_send 4
#define EVTCHNOP_status 5
#define EVTCHNOP_bind_ipi 7
#define EVTCHNOP_close 3
#define VIRQ_TIMER 0
#define ROUNDS 50
#define AHEAD_NS 2000000ull   /* each singleshot timer: 2 ms ahead */

/* struct vcpu_time_info, at offset 32 of vcpu_info 0 in both x86 layouts */
struct pvclock {
	u32 version, pad0;
	u64 tsc_timestamp, system_time;
	u32 mul;
	signed char shift;
	u8 flags, pad1[2];
};

/* the system time (ns), from the pvclock; 0 when there is none */
static u64 now_ns(volatile struct pvclock *t)
{
	u32 v;
	u64 d, ns;

	do {
		v = t->version;
		arch_mb();
		d = arch_counter() - t->tsc_timestamp;
		d = t->shift >= 0 ? d << t->shift : d >> -t->shift;
		ns = t->system_time + (d >> 32) * t->mul + (((d & 0xffffffffu) * t->mul) >> 32);
		arch_mb();
	} while ((v & 1) || v != t->version);
	return v ? ns : 0;
}

static int pending(volatile u8 *sh, u32 port)
{
	volatile ulong *p = (volatile ulong *)(sh + shinfo_pending_offset);
	unsigned int bits = 8 * sizeof(ulong);

	return (p[port / bits] >> (port % bits)) & 1;
}

static void say(const char *what, u64 v, const char *unit)
{
	puts_("xentime: ");
	puts_(what);
	put_dec(v);
	puts_(unit);
}

void xentime_run(void)
{
	volatile u8 *sh = shared_info();
	volatile struct pvclock *t = (volatile struct pvclock *)(sh + 32);
	/* the wallclock after the pending and mask words */
	volatile u32 *wc = (volatile u32 *)(sh + shinfo_pending_offset + 2 * 8 * sizeof(ulong) * sizeof(ulong));
	struct { u32 virq, vcpu, port; } bv = { VIRQ_TIMER, 0, 0 };
	struct { u16 dom; u32 port, status, vcpu, u[2]; } st = { DOMID_SELF, 0, 0, 0, { 0, 0 } };
	struct { u64 timeout; u32 flags; } ss;
	u64 late_sum = 0, late_max = 0, early = 0, within = 0, t0, periodic = 0;
	long rc;

	if (!sh || !now_ns(t)) {
		puts_("xentime: no pvclock\n");
		return;
	}
	say("wallclock ", wc[1], " s\n");   /* wc_sec: the boot's wallclock */
	say("system time ", now_ns(t) / 1000000000ull, " s\n");
	rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (ulong)&bv, 0, 0, 0);
	if (rc) {
		say("bind_virq failed ", (u64)-rc, "\n");
		return;
	}
	st.port = bv.port;
	rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_status, (ulong)&st, 0, 0, 0);
	puts_("xentime: status ");
	put_dec((u64)(rc ? 99 : st.status));
	puts_(" virq ");
	put_dec(st.u[0]);
	puts_("\n");
	for (int i = 0; i < ROUNDS; i++) {
		u64 deadline = now_ns(t) + AHEAD_NS, at;
		struct { ulong ports; u32 nr_ports; u64 timeout; } poll = { (ulong)&bv.port, 1, 0 };

		ss.timeout = deadline;
		ss.flags = VCPU_SSHOTTMR_future;
		if (hypercall(HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, (ulong)&ss, 0, 0))
			break;
		while (!pending(sh, bv.port))
			hypercall(HYPERVISOR_sched_op, SCHEDOP_poll, (ulong)&poll, 0, 0, 0);
		at = now_ns(t);
		__atomic_fetch_and((volatile ulong *)(sh + shinfo_pending_offset) + bv.port / (8 * sizeof(ulong)),
				   ~(1ul << (bv.port % (8 * sizeof(ulong)))), __ATOMIC_SEQ_CST);
		if (at < deadline) {
			early++;
			continue;
		}
		late_sum += at - deadline;
		within += at - deadline < 1000000;
		if (at - deadline > late_max)
			late_max = at - deadline;
	}
	say("singleshot: late avg ", late_sum / ROUNDS / 1000, " us\n");
	say("singleshot: late max ", late_max / 1000, " us\n");
	say("singleshot: early ", early, "\n");
	say("singleshot: within 1 ms ", within, "\n");
	ss.timeout = now_ns(t) - 1000000;
	ss.flags = VCPU_SSHOTTMR_future;
	rc = hypercall(HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, (ulong)&ss, 0, 0);
	say("singleshot in the past: ", (u64)-rc, " (ETIME is 62)\n");
	/* a 5 ms periodic timer, its events counted for 100 ms */
	{
		u64 period = 5000000;

		hypercall(HYPERVISOR_vcpu_op, VCPUOP_set_periodic_timer, 0, (ulong)&period, 0, 0);
		t0 = now_ns(t);
		while (now_ns(t) - t0 < 100000000ull) {
			struct { ulong ports; u32 nr_ports; u64 timeout; } poll = { (ulong)&bv.port, 1, t0 + 100000000ull };

			hypercall(HYPERVISOR_sched_op, SCHEDOP_poll, (ulong)&poll, 0, 0, 0);
			if (pending(sh, bv.port)) {
				periodic++;
				__atomic_fetch_and((volatile ulong *)(sh + shinfo_pending_offset) +
							   bv.port / (8 * sizeof(ulong)),
						   ~(1ul << (bv.port % (8 * sizeof(ulong)))), __ATOMIC_SEQ_CST);
			}
		}
		hypercall(HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0, 0, 0);
		say("periodic 5 ms: ", periodic, " events in 100 ms\n");
	}
	/*
	 * upcalls: the vector chosen with HVMOP_set_evtchn_upcall_vector comes
	 * through the local APIC when an event is raised (an IPI to itself,
	 * then its timer while it halts); upcall_pending and the selector
	 * cleared after each, as a guest's handler does
	 */
	{
		struct { u32 vcpu; u8 vector; } uv = { 0, UPCALL_VECTOR };
		struct { u32 vcpu, port; } bi = { 0, 0 };
		u32 p, got = 0, before;

		if (arch_upcall_init(UPCALL_VECTOR) ||
		    hypercall(HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, (ulong)&uv, 0, 0, 0) ||
		    hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (ulong)&bi, 0, 0, 0)) {
			puts_("xentime: upcall: not set up\n");
		} else {
			p = bi.port;
			for (int i = 0; i < UPCALLS; i++) {
				u64 t1 = now_ns(t) + 100000000ull;

				sh[0] = 0;   /* vcpu_info[0].evtchn_upcall_pending, */
				*(volatile ulong *)(sh + sizeof(ulong)) = 0;   /* and its evtchn_pending_sel */
				before = upcall_count;
				hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, (ulong)&p, 0, 0, 0);
				while (upcall_count == before && now_ns(t) < t1)
					;
				got += upcall_count != before;
				__atomic_fetch_and((volatile ulong *)(sh + shinfo_pending_offset) + p / (8 * sizeof(ulong)),
						   ~(1ul << (p % (8 * sizeof(ulong)))), __ATOMIC_SEQ_CST);
			}
			say("upcall: ", got, " of 10 IPIs on vector 0xf3\n");
			sh[0] = 0;
			*(volatile ulong *)(sh + sizeof(ulong)) = 0;
			before = upcall_count;
			ss.timeout = now_ns(t) + 1000000;
			ss.flags = 0;
			hypercall(HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, (ulong)&ss, 0, 0);
			arch_wait_interrupt();   /* halted until the timer's upcall */
			say("upcall: timer woke it from hlt: ", (u64)(upcall_count != before), "\n");
			hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_close, (ulong)&p, 0, 0, 0);
		}
	}
	/* an IPI to itself: its port pending after the send */
	{
		struct { u32 vcpu, port; } bi = { 0, 0 };
		u32 p;

		rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (ulong)&bi, 0, 0, 0);
		p = bi.port;
		if (!rc)
			rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, (ulong)&p, 0, 0, 0);
		say("ipi: ", (u64)(!rc && pending(sh, bi.port)), " pending after send\n");
		hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_close, (ulong)&p, 0, 0, 0);
	}
}
