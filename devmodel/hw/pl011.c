/*
 * pl011.c - ARM PrimeCell PL011 UART (the registers Linux's amba-pl011
 * driver and a bare guest use)
 *
 * Glossary: DR data, RSR/ECR receive status / error clear, FR flags,
 * IBRD/FBRD integer/fractional baud divisor, LCR_H line control, CR
 * control, IFLS FIFO interrupt levels, IMSC interrupt mask, RIS/MIS raw /
 * masked interrupt status, ICR interrupt clear.
 *
 * Transmission is immediate (the console sink never blocks the guest), so
 * the TX FIFO is always empty: FR has TXFE, and the TX interrupt is raised
 * after every write to DR, as QEMU's model does. The receive FIFO (16
 * bytes, 1 with FIFOs off) is fed by the console's input (pxl console).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../dm.h"

enum {
	DR = 0x000, RSR = 0x004, FR = 0x018, ILPR = 0x020, IBRD = 0x024, FBRD = 0x028,
	LCR_H = 0x02c, CR = 0x030, IFLS = 0x034, IMSC = 0x038, RIS = 0x03c, MIS = 0x040,
	ICR = 0x044, DMACR = 0x048, ID = 0xfe0,
};

#define FR_RXFE  0x10
#define FR_TXFF  0x20
#define FR_RXFF  0x40
#define FR_TXFE  0x80
#define INT_RX   0x10
#define INT_TX   0x20
#define LCR_FEN  0x10

/* PeriphID0-3 then PCellID0-3: part 0x011, designer ARM, revision 1 */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl011 {
	struct pm_dm *dm;
	uint32_t ibrd, fbrd, lcr, cr, ifls, imsc, ris, dmacr, ilpr, rsr;
	uint8_t rx[16];
	unsigned rx_head, rx_count;
};

static unsigned fifo_depth(const struct pl011 *s)
{
	return (s->lcr & LCR_FEN) ? 16 : 1;
}

static uint64_t pl011_read(void *opaque, uint64_t addr, unsigned size)
{
	struct pl011 *s = opaque;
	uint32_t v;

	(void)size;
	if (addr >= ID && addr < ID + 32)
		return addr % 4 ? 0 : pl011_id[(addr - ID) / 4];
	switch (addr) {
	case DR:
		if (!s->rx_count)
			return 0;
		v = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % 16;
		if (--s->rx_count == 0)
			s->ris &= ~(uint32_t)INT_RX;
		return v;
	case RSR:
		return s->rsr;
	case FR:
		v = FR_TXFE;
		if (!s->rx_count)
			v |= FR_RXFE;
		if (s->rx_count == fifo_depth(s))
			v |= FR_RXFF;
		return v;
	case ILPR:
		return s->ilpr;
	case IBRD:
		return s->ibrd;
	case FBRD:
		return s->fbrd;
	case LCR_H:
		return s->lcr;
	case CR:
		return s->cr;
	case IFLS:
		return s->ifls;
	case IMSC:
		return s->imsc;
	case RIS:
		return s->ris;
	case MIS:
		return s->ris & s->imsc;
	case DMACR:
		return s->dmacr;
	default:
		return 0;
	}
}

static void pl011_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	struct pl011 *s = opaque;
	uint8_t ch;

	(void)size;
	switch (addr) {
	case DR:
		ch = (uint8_t)val;
		pm_console_write(&s->dm->console, &ch, 1);
		s->ris |= INT_TX;
		break;
	case RSR:
		s->rsr = 0;
		break;
	case ILPR:
		s->ilpr = (uint32_t)val & 0xff;
		break;
	case IBRD:
		s->ibrd = (uint32_t)val & 0xffff;
		break;
	case FBRD:
		s->fbrd = (uint32_t)val & 0x3f;
		break;
	case LCR_H:
		/* turning the FIFO off empties it, as the hardware does */
		if ((s->lcr ^ (uint32_t)val) & LCR_FEN)
			s->rx_count = 0;
		s->lcr = (uint32_t)val & 0xff;
		break;
	case CR:
		s->cr = (uint32_t)val & 0xffff;
		break;
	case IFLS:
		s->ifls = (uint32_t)val & 0x3f;
		break;
	case IMSC:
		s->imsc = (uint32_t)val & 0x7ff;
		break;
	case ICR:
		s->ris &= ~(uint32_t)val;
		break;
	case DMACR:
		s->dmacr = (uint32_t)val & 0x7;
		break;
	default:
		break;
	}
}

static const struct pm_mr_ops pl011_ops = {
	.read = pl011_read, .write = pl011_write,
	.endianness = PM_ENDIAN_LITTLE,
	.valid = { .min_access_size = 1, .max_access_size = 4 },
	.impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* typed bytes into the receive FIFO, as many as fit */
static size_t pl011_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct pl011 *s = opaque;
	size_t n = 0;

	while (n < len && s->rx_count < fifo_depth(s)) {
		s->rx[(s->rx_head + s->rx_count) % 16] = buf[n++];
		s->rx_count++;
	}
	if (n)
		s->ris |= INT_RX;
	return n;
}

/* the state a save carries: the registers, then the receive FIFO as it stands */
static int pl011_save(void *opaque, struct pm_vmstate_buf *out)
{
	const struct pl011 *s = opaque;
	uint32_t w[12] = { s->ibrd, s->fbrd, s->lcr, s->cr, s->ifls, s->imsc, s->ris, s->dmacr, s->ilpr,
			   s->rsr, s->rx_head, s->rx_count };
	int rc = pm_vmstate_put(out, w, sizeof(w));

	return rc ? rc : pm_vmstate_put(out, s->rx, sizeof(s->rx));
}

static int pl011_load(void *opaque, const uint8_t *buf, size_t len)
{
	struct pl011 *s = opaque;
	uint32_t w[12];

	if (len != sizeof(w) + sizeof(s->rx))
		return -EINVAL;
	memcpy(w, buf, sizeof(w));
	if (w[10] >= 16 || w[11] > 16)
		return -EINVAL;
	s->ibrd = w[0], s->fbrd = w[1], s->lcr = w[2], s->cr = w[3], s->ifls = w[4], s->imsc = w[5];
	s->ris = w[6], s->dmacr = w[7], s->ilpr = w[8], s->rsr = w[9], s->rx_head = w[10], s->rx_count = w[11];
	memcpy(s->rx, buf + sizeof(w), sizeof(s->rx));
	return 0;
}

static const struct pm_vmstate_ops pl011_vmstate = { pl011_save, pl011_load };

static void pl011_free(void *opaque)
{
	struct pl011 *s = opaque;

	if (s->dm->console.input_opaque == s)
		s->dm->console.input = NULL;
	free(s);
}

static int pl011_create(struct pm_dm *dm, const struct pm_dev_args *a, char *err, size_t errlen)
{
	struct pl011 *s;
	int rc;

	if (a->pio) {
		snprintf(err, errlen, "a PL011 sits in the memory space, not at a port");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dm = dm;
	/* reset values: CR has TXE and RXE set; IFLS both at half */
	s->cr = 0x300;
	s->ifls = 0x12;
	rc = pm_dm_map_mmio(dm, a, 0x1000, &pl011_ops, s, pl011_free, err, errlen);
	if (!rc)
		pm_console_set_input(&dm->console, pl011_input, s);
	if (!rc && (rc = pm_dm_vmstate_register(dm, a->name, &pl011_vmstate, s)))
		snprintf(err, errlen, "registering its state: %s", strerror(-rc));
	return rc;
}

const struct pm_hw pm_hw_pl011 = {
	.model = "pl011",
	.summary = "ARM PrimeCell PL011 UART (4 KiB)",
	.create = pl011_create,
};
