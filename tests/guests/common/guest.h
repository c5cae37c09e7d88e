/*
 * tests/guests/common/guest.h - what the freestanding test guests share:
 * Xen's guest ABI numbers (xen/include/public), the arch hooks each port
 * provides, and the little library they print with
 *
 * No libc: every function here is ours. Only Xen guest ABIs are used, so
 * the same images are meant to boot on real Xen.
 */
#ifndef PM_GUEST_H
#define PM_GUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned long ulong;

/* hypercall numbers, xen/include/public/xen.h */
#define HYPERVISOR_memory_op 12
#define HYPERVISOR_xen_version 17
#define HYPERVISOR_console_io 18
#define HYPERVISOR_sched_op 29
#define HYPERVISOR_event_channel_op 32
#define HYPERVISOR_hvm_op 34
#define HYPERVISOR_physdev_op 33
#define PHYSDEVOP_irq_status_query 5

#define CONSOLEIO_write 0
#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
#define SCHEDOP_watchdog 6
#define SCHEDOP_poll 3
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot 1
#define SHUTDOWN_crash 3
#define SHUTDOWN_watchdog 4
#define SHUTDOWN_soft_reset 5

#define XENMEM_decrease_reservation 1
#define XENMEM_current_reservation 3
#define XENMEM_maximum_reservation 4
#define XENMEM_populate_physmap 6
#define XENMEM_memory_map 9
#define DOMID_SELF 0x7ff0u

#define HVMOP_get_param 1
#define HVM_PARAM_STORE_PFN 1
#define HVM_PARAM_STORE_EVTCHN 2
#define HVM_PARAM_CONSOLE_PFN 17
#define HVM_PARAM_CONSOLE_EVTCHN 18

/* struct xen_memory_reservation with xen_ulong_t as this port's word */
struct xen_memory_reservation {
	ulong extent_start;   /* guest address of a xen_pfn_t array */
	ulong nr_extents;
	u32 extent_order;
	u32 mem_flags;
	u16 domid;
};

struct sched_watchdog {
	u32 id, timeout;
};

struct sched_shutdown {
	u32 reason;
};

struct xen_hvm_param {
	u16 domid;
	u32 index;
	u64 value;
};

/* ---- provided by each port (arm64/arch.c, x86/arch.c) ---- */

/** hypercall - op with up to five arguments; Xen's return value */
long hypercall(ulong op, ulong a0, ulong a1, ulong a2, ulong a3, ulong a4);
/** uart_putc - one byte to the board's UART; uart_base 0 means none */
void uart_putc(char c);
/** uart_getc - a received byte, or -1 if none is waiting (or no UART) */
int uart_getc(void);
/** mem_map - the RAM the firmware table describes, as [start, end) pairs */
int mem_map(const void *table, u64 *ranges, int max);
/** bootargs - the command line from the firmware table, or "" */
const char *bootargs(const void *table);
/** arch_mb - a full memory barrier (rings shared with the store) */
void arch_mb(void);
/** arch_counter / arch_counter_hz - a free-running counter and its rate */
u64 arch_counter(void);
u64 arch_counter_hz(void);
/** arch_smp - bring the other vCPUs up, each says "vcpu N up"; returns how many run (1: none came) */
int arch_smp(const void *table);
/**
 * arch_vcpu_online - CPU hotplug: vCPU @i brought online (@on) or taken
 * offline, as the toolstack's cpu/N/availability asks
 * returns: 0; nonzero where the vCPU cannot be (no such vCPU, no hotplug here)
 */
int arch_vcpu_online(int i, int on);
/** smp_report - a secondary vCPU says it is up ("vcpu N up") and is counted */
void smp_report(ulong index);
/** smp_wait - wait until @asked secondary vCPUs reported; returns how many did */
int smp_wait(int asked);
/** arch_loop - @rounds rounds of a two-instruction loop (decrement, branch) */
void arch_loop(u64 rounds);
/** arch_port_read - an 8-bit read of I/O port @port (x86; 0xff on arm64, which has none) */
u32 arch_port_read(u16 port);
/** arch_undefined - run an undefined instruction (ud2, udf): the guest has no handler */
void arch_undefined(void);
/**
 * arch_upcall_init - an IDT whose @vector counts into upcall_count and
 * ends at the local APIC (EOI), the APIC enabled, interrupts on (x86);
 * returns 0, or -1 where there is none (arm64)
 */
int arch_upcall_init(u8 vector);
/** arch_wait_interrupt - interrupts on, halt until one comes (x86: sti; hlt) */
void arch_wait_interrupt(void);
extern volatile u32 upcall_count;
/** arch_name - "arm64" or "x86" */
extern const char arch_name[];
/** testdev_base - where the board's testdev=1 puts the self-test devices */
extern const ulong testdev_base;
/** shinfo_pending_offset - where evtchn_pending[] lies in this port's shared info (xen/foreign) */
extern const ulong shinfo_pending_offset;

/** shared_info - the shared info page, mapped (XENMEM_add_to_physmap) the first time; NULL if it cannot be */
volatile u8 *shared_info(void);
/** grant_table - the grant table's frame 0 (version 1 entries), mapped the first time; NULL if it cannot be */
volatile void *grant_table(void);
/** grant_entries - the grant table with at least @n entries, its frames (at most 4: 2048 entries) mapped one after another; NULL if they cannot be */
volatile void *grant_entries(u32 n);
/** xen_mappings_lost - a resume in a new domain: shared info and grant table are mapped again when next asked for */
void xen_mappings_lost(void);

/**
 * event_wait - until @port is pending (SCHEDOP_poll; where the hypervisor
 * has no poll, SCHEDOP_block), then clear it, so that the next event wakes
 * again. Callers check what they wait for after it returns.
 */
void event_wait(u32 port);
/** arch_ret_code - two words of code: a function that returns @value (< 256) */
void arch_ret_code(u32 *code, u32 value);
extern u64 uart_base;

/** xentime_run - Xen's time and timer ABI, measured (common/xentime.c, word "xentime") */
void xentime_run(void);
/** gnttab_run - the grant table set up and its bad arguments (common/gnttab.c, word "gnttab") */
void gnttab_run(void);
/** grant_run - pages granted to dom0 (or to @peer), waited on until it wrote one (common/gnttab.c, words "grant", "share") */
void grant_run(int give_back, u16 peer);
/** gntmap_run - a backend in a guest: @dom's grants mapped and copied (common/gntmap.c, word "gntmap") */
void gntmap_run(u16 dom, int rowrite);
/** gntmap_peer - the domain id the toolstack writes to data/peer (60 s at most); 0 if none came */
u16 gntmap_peer(void);
/** blkfront_run - a block frontend reads, writes and flushes disk xvda (common/blkfront.c, word "disk") */
void blkfront_run(void);
/**
 * blkfront_log - word "disklog=SECS": a record written to each sector in
 * turn for SECS seconds, one request in flight, answering control/shutdown
 * between posting and its answer (a suspend with a write in flight), then
 * every record read back (common/blkfront.c)
 */
void blkfront_log(u64 secs);
/**
 * blkfront_bench - word "diskbench=KIB,MIB[,N]": MIB MiB of the disk read,
 * then written, sequentially in requests of KIB KiB (4: one segment; up
 * to 64: indirect), 32 in flight, persistent grants, N times over (1 if
 * not given) on one connection; says each pass's requests and time
 * (common/blkfront.c)
 */
void blkfront_bench(u32 kib, u32 mib, u32 rounds);
/** blkfront_bad - requests that are not ones, and a ring overrun (common/blkfront.c, word "diskbad") */
void blkfront_bad(void);
/** netfront_run - a network frontend answers ARP and pings, and pings a peer (common/netfront.c, word "net=IP[,PEER]") */
void netfront_run(const char *arg);
/** netfront_bad - transmit requests that are not ones, a good one, a ring overrun (common/netfront.c, word "netbad=IP,PEER") */
void netfront_bad(const char *arg);

/* ---- the library (common/lib.c) ---- */

void puts_(const char *s);
void put_hex(u64 v);
void put_dec(u64 v);
/** say_num - a line "PREFIXWHATV" (V in decimal, signed) */
void say_num(const char *prefix, const char *what, long v);
long console_write(const char *s, ulong len);
u64 parse_num(const char *s, const char **end);
int word_is(const char *w, const char *name, const char **value);
void shutdown(u32 reason) __attribute__((noreturn));
ulong strlen_(const char *s);
void *memset(void *d, int c, ulong n);
void *memcpy(void *d, const void *s, ulong n);

/* ---- the device self-tests (common/selftest.c) ---- */

void selftest_subpage(void);
void selftest_events(void);
void selftest_exec(void);
void selftest_evtchn(void);

/* ---- the xenstore client (common/xs.c) ---- */

/** xs_init - find the ring and its event channel (hvm_op get_param). returns: 0; -1 */
int xs_init(void);
/** xs_read - a node's value into out (NUL-terminated). returns: its length; -1 */
long xs_read(const char *path, char *out, u32 max);
/** xs_write / xs_watch. returns: 0; non-zero on an error reply */
int xs_write(const char *path, const char *value);
int xs_watch(const char *path, const char *token);
/** xs_wait_watch - block until a watch event arrives */
void xs_wait_watch(void);
/** xs_poll - take what the store sent, without waiting. returns: whether a watch fired since last asked */
int xs_poll(void);
/**
 * xs_resumed - after a resume in a new domain: the ring's channel found
 * again, replies left by the old store dropped; watches must be set again.
 * returns: 0; -1
 */
int xs_resumed(void);

/* ---- the balloon driver (common/balloon.c) ---- */

/** control_init - answer control/shutdown from now on (crashes the guest without a store) */
void control_init(void);
/** control_ready - whether control_init ran */
int control_ready(void);
/** control_poll - act on a request waiting in control/shutdown, if any (and control_init ran) */
void control_poll(void);
/**
 * control_resumes - how many times the guest suspended and resumed in a
 * new domain (restored, migrated): its frontends connect again when it
 * changes. A cancelled suspend (save -c) does not count.
 */
int control_resumes(void);
/** control_wait - answer requests for ever */
void control_wait(void) __attribute__((noreturn));
/** balloon_run - follow memory/target for ever (and control/shutdown); @greedy: advertise, never move */
void balloon_run(const void *table, int greedy) __attribute__((noreturn));

/** _end - the end of this image's memory (the linker script's) */
extern char _end[];

/** guest_main - the common program, called by the port's entry */
void guest_main(const void *table) __attribute__((noreturn));

#endif
