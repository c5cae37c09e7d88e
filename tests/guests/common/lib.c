/*
 * tests/guests/common/lib.c - printing and parsing for the test guests
 *
 * Output goes to the board's UART (an MMIO device, so through the device
 * model) when the firmware table names one, else a line at a time to the
 * hypervisor's console (console_io). Both land in the console log.
 */
#include "guest.h"

static char line[128];
static ulong line_len;

void *memset(void *d, int c, ulong n)
{
	u8 *p = d;

	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, ulong n)
{
	u8 *p = d;
	const u8 *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

ulong strlen_(const char *s)
{
	ulong n = 0;

	while (s[n])
		n++;
	return n;
}

long console_write(const char *s, ulong len)
{
	return hypercall(HYPERVISOR_console_io, CONSOLEIO_write, len, (ulong)s, 0, 0);
}

static void flush_line(void)
{
	if (line_len)
		console_write(line, line_len);
	line_len = 0;
}

static void putc_(char c)
{
	if (uart_base) {
		uart_putc(c);
		return;
	}
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line))
		flush_line();
}

void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

void put_hex(u64 v)
{
	char b[19];
	int i = 18;

	b[i] = 0;
	do {
		b[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	b[--i] = 'x';
	b[--i] = '0';
	puts_(b + i);
}

void put_dec(u64 v)
{
	char b[21];
	int i = 20;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(b + i);
}

/* decimal or 0x-hex; *end after the digits */
u64 parse_num(const char *s, const char **end)
{
	u64 v = 0;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		v = v * (u64)base + (u64)d;
	}
	if (end)
		*end = s;
	return v;
}

/* whether the word at w (ended by a space or NUL) is name or name=value */
int word_is(const char *w, const char *name, const char **value)
{
	while (*name && *w == *name) {
		w++;
		name++;
	}
	if (*name)
		return 0;
	if (*w == '=') {
		if (value)
			*value = w + 1;
		return 1;
	}
	return *w == ' ' || *w == 0;
}

void shutdown(u32 reason)
{
	struct sched_shutdown sd = { reason };

	flush_line();
	for (;;)
		hypercall(HYPERVISOR_sched_op, SCHEDOP_shutdown, (ulong)&sd, 0, 0, 0);
}

/*
 * one flag a vCPU, each written by its vCPU alone: on the simulator each
 * vCPU is an engine of its own, and a read-modify-write two of them race
 * on (a shared counter's increment) can lose one
 */
static volatile u8 vcpu_up[64];

void smp_report(ulong index)
{
	char line[] = "vcpu N up\n";

	line[5] = (char)('0' + index % 10);
	/* console_io: one call a line, so lines of several vCPUs do not mix */
	console_write(line, sizeof(line) - 1);
	if (index < sizeof(vcpu_up))
		vcpu_up[index] = 1;
}

static int vcpus_up(void)
{
	int n = 0;

	for (ulong i = 1; i < sizeof(vcpu_up); i++)
		n += vcpu_up[i];
	return n;
}

int smp_wait(int asked)
{
	while (vcpus_up() < asked)
		hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
	return vcpus_up();
}

#define XENMEM_add_to_physmap 7
#define XENMAPSPACE_shared_info 0

#define XENMAPSPACE_grant_table 1

/* XENMAPSPACE @space's frame @idx put at @page (XENMEM_add_to_physmap). returns: 0; Xen's error */
static long map_frame(u32 space, ulong idx, u8 *page)
{
	struct { u16 domid, size; u32 space; ulong idx, gpfn; } map = { DOMID_SELF, 0, space, idx, (ulong)page >> 12 };

	return hypercall(HYPERVISOR_memory_op, XENMEM_add_to_physmap, (ulong)&map, 0, 0, 0);
}

/* @page made XENMAPSPACE @space's index 0 the first time; NULL if it cannot be */
static volatile void *map_once(u32 space, u8 *page, int *mapped)
{
	if (!*mapped && !map_frame(space, 0, page))
		*mapped = 1;
	return *mapped ? page : 0;
}

static u8 shinfo[4096] __attribute__((aligned(4096)));
static int shinfo_mapped;

volatile u8 *shared_info(void)
{
	return map_once(XENMAPSPACE_shared_info, shinfo, &shinfo_mapped);
}

void event_wait(u32 port)
{
	/* struct sched_poll: a handle, nr_ports, timeout (0: none), at this port's alignment */
	struct { ulong ports; u32 nr_ports; u64 timeout; } poll = { (ulong)&port, 1, 0 };
	volatile u8 *sh = shared_info();
	unsigned int bits = 8 * sizeof(ulong);

	/* without the page the bit could not be cleared: poll would never block again */
	if (!sh || hypercall(HYPERVISOR_sched_op, SCHEDOP_poll, (ulong)&poll, 0, 0, 0))
		hypercall(HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0);
	if (sh) {
		volatile ulong *pending = (volatile ulong *)(sh + shinfo_pending_offset);

		__atomic_fetch_and(&pending[port / bits], ~(1ul << (port % bits)), __ATOMIC_SEQ_CST);
		sh[0] = 0;   /* vcpu_info[0].evtchn_upcall_pending: Xen kicks a blocked vCPU when it rises */
	}
}

void say_num(const char *prefix, const char *what, long v)
{
	puts_(prefix);
	puts_(what);
	if (v < 0) {
		puts_("-");
		v = -v;
	}
	put_dec((u64)v);
	puts_("\n");
}

#define GTAB_FRAMES 4
static u8 gtab[GTAB_FRAMES * 4096] __attribute__((aligned(4096)));
static int gtab_mapped, gtab_frames = 1;

volatile void *grant_table(void)
{
	return map_once(XENMAPSPACE_grant_table, gtab, &gtab_mapped);
}

void xen_mappings_lost(void)
{
	shinfo_mapped = 0;
	gtab_mapped = 0;
	gtab_frames = 1;
}

volatile void *grant_entries(u32 n)
{
	if (!grant_table())
		return 0;
	while ((u32)gtab_frames * 512 < n) {
		if (gtab_frames == GTAB_FRAMES || map_frame(XENMAPSPACE_grant_table, (ulong)gtab_frames,
							   gtab + gtab_frames * 4096))
			return 0;
		gtab_frames++;
	}
	return gtab;
}
