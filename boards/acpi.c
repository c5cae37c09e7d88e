/*
 * acpi.c - the ACPI tables a PVH guest finds its processors in
 *
 * A PVH kernel has no firmware to ask what the machine holds; it reads the
 * tables hvm_start_info.rsdp_paddr points at. Linux needs at least a MADT:
 * without one it runs in "virtual wire mode with no configuration", keeps
 * to one CPU and never installs Xen's per-vCPU timer, so on Xen its
 * userspace timers stop firing soon after boot. libxl builds these tables
 * for every PVH guest (with libacpi); this is the same set, reduced to what
 * a PVH machine has:
 *
 *   RSDP (ACPI 2.0) -> RSDT and XSDT -> FADT, MADT; FADT -> DSDT
 *
 * FADT: revision 5, hardware-reduced (no PM blocks, no SCI, no FACS), no
 *     VGA, the CMOS clock present only if the board has one.
 * DSDT: an empty definition block (no AML: nothing to enumerate).
 * MADT: one local APIC per vCPU, processor UID i, APIC ID 2i (Xen gives
 *     vCPU i the vLAPIC ID 2i), x2APIC entries past ID 254; no I/O APIC and
 *     no 8259s (PVH emulates only the local APIC). The vCPUs online at boot
 *     are enabled; those past them (maxvcpus > vcpus) are listed disabled,
 *     as libxl lists them, so the guest knows them as hot-pluggable.
 *
 * Every table is little-endian and sums to zero over its length; tables
 * are 16-byte aligned after the RSDP, in the order above.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "physmap/board.h"

#define RSDP_LEN        36u
#define HEADER_LEN      36u
#define FADT_LEN        268u      /* revision 5 */
#define MADT_LAPIC_LEN  8u
#define MADT_X2APIC_LEN 16u
#define LAPIC_ADDRESS   0xfee00000u

/* FADT flags and IA-PC boot architecture flags (ACPI 5.0, 5.2.9) */
#define FADT_WBINVD            (1u << 0)
#define FADT_PWR_BUTTON        (1u << 4)   /* no fixed power button */
#define FADT_SLP_BUTTON        (1u << 5)   /* no fixed sleep button */
#define FADT_HW_REDUCED_ACPI   (1u << 20)
#define BOOT_ARCH_VGA_ABSENT   (1u << 2)
#define BOOT_ARCH_CMOS_ABSENT  (1u << 5)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* the byte that makes [p, p + len) sum to zero, with it counted as 0 */
static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/* a system description table's header; its checksum is set by seal() */
static void header(uint8_t *p, const char sig[4], uint32_t len, uint8_t revision)
{
	memcpy(p, sig, 4);
	put32(p + 4, len);
	p[8] = revision;
	memcpy(p + 10, "PHYSMP", 6);        /* OEM ID */
	memcpy(p + 16, "PVH     ", 8);      /* OEM table ID */
	put32(p + 24, 1);                   /* OEM revision */
	memcpy(p + 28, "PXL ", 4);          /* creator ID */
	put32(p + 32, 1);                   /* creator revision */
}

static void seal(uint8_t *p, uint32_t len)
{
	p[9] = 0;
	p[9] = checksum(p, len);
}

static size_t align16(size_t v)
{
	return (v + 15) & ~(size_t)15;
}

long pm_board_acpi_tables(void *buf, size_t len, uint64_t gpa,
			  unsigned vcpus, unsigned online, int cmos_rtc)
{
	size_t rsdt, xsdt, fadt, dsdt, madt, end, madt_len = HEADER_LEN + 8;
	uint8_t *b = buf, *p;

	if (vcpus == 0 || vcpus > 0x7fffffffu || online == 0 || online > vcpus)
		return -EINVAL;
	for (unsigned i = 0; i < vcpus; i++)
		madt_len += 2ull * i < 255 ? MADT_LAPIC_LEN : MADT_X2APIC_LEN;
	rsdt = align16(RSDP_LEN);
	xsdt = align16(rsdt + HEADER_LEN + 2 * 4);
	fadt = align16(xsdt + HEADER_LEN + 2 * 8);
	dsdt = align16(fadt + FADT_LEN);
	madt = align16(dsdt + HEADER_LEN);
	end = madt + madt_len;
	if (len < end)
		return -ENOSPC;
	/* every pointer is 32-bit in the RSDT and the FADT's DSDT field */
	if (gpa > UINT32_MAX - end)
		return -ERANGE;
	memset(b, 0, end);

	p = b + madt;
	header(p, "APIC", (uint32_t)madt_len, 3);
	put32(p + 36, LAPIC_ADDRESS);
	put32(p + 40, 0);                   /* flags: no PC-AT 8259s */
	p += HEADER_LEN + 8;
	for (unsigned i = 0; i < vcpus; i++) {
		uint64_t id = 2ull * i;

		if (id < 255) {
			p[0] = 0;                   /* processor local APIC */
			p[1] = MADT_LAPIC_LEN;
			p[2] = (uint8_t)i;          /* ACPI processor UID (i < 128 here) */
			p[3] = (uint8_t)id;
			put32(p + 4, i < online);   /* enabled, or there to be hot-plugged */
			p += MADT_LAPIC_LEN;
		} else {
			p[0] = 9;                   /* processor local x2APIC */
			p[1] = MADT_X2APIC_LEN;
			put32(p + 4, (uint32_t)id);
			put32(p + 8, i < online);
			put32(p + 12, i);
			p += MADT_X2APIC_LEN;
		}
	}
	seal(b + madt, (uint32_t)madt_len);

	header(b + dsdt, "DSDT", HEADER_LEN, 2);
	seal(b + dsdt, HEADER_LEN);

	p = b + fadt;
	header(p, "FACP", FADT_LEN, 5);
	put32(p + 40, (uint32_t)(gpa + dsdt));
	put16(p + 109, (uint16_t)(BOOT_ARCH_VGA_ABSENT | (cmos_rtc ? 0 : BOOT_ARCH_CMOS_ABSENT)));
	put32(p + 112, FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_HW_REDUCED_ACPI);
	put64(p + 140, gpa + dsdt);         /* X_DSDT */
	seal(p, FADT_LEN);

	p = b + xsdt;
	header(p, "XSDT", HEADER_LEN + 16, 1);
	put64(p + 36, gpa + fadt);
	put64(p + 44, gpa + madt);
	seal(p, HEADER_LEN + 16);

	p = b + rsdt;
	header(p, "RSDT", HEADER_LEN + 8, 1);
	put32(p + 36, (uint32_t)(gpa + fadt));
	put32(p + 40, (uint32_t)(gpa + madt));
	seal(p, HEADER_LEN + 8);

	memcpy(b, "RSD PTR ", 8);
	memcpy(b + 9, "PHYSMP", 6);
	b[15] = 2;                          /* ACPI 2.0 and later */
	put32(b + 16, (uint32_t)(gpa + rsdt));
	put32(b + 20, RSDP_LEN);
	put64(b + 24, gpa + xsdt);
	b[8] = checksum(b, 20);
	b[32] = checksum(b, RSDP_LEN);
	return (long)end;
}
