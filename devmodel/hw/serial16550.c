/*
 * serial16550.c - a 16550A UART on port I/O (COM1 at 0x3f8 on pc)
 *
 * Glossary: RBR/THR receive buffer / transmit holding (offset 0), DLL/DLM
 * divisor latch low/high (offsets 0/1 while LCR.DLAB is set), IER interrupt
 * enable, IIR/FCR interrupt identification (read) / FIFO control (write),
 * LCR line control, MCR modem control, LSR line status, MSR modem status,
 * SCR scratch.
 *
 * Enough for Linux's 8250 autoconfig to find a 16550A (scratch register,
 * FIFO bits 0xc0 in IIR once FCR enables them, loopback reflected in MSR)
 * and for polled and THRE-interrupt output. Transmission is immediate: the
 * holding register is always empty (LSR THRE|TEMT). In loopback mode what
 * is transmitted comes back on RBR instead of the console.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../dm.h"

enum { RBR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define LCR_DLAB  0x80
#define LSR_DR    0x01
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define IER_RDI   0x01
#define IER_THRI  0x02
#define IIR_NONE  0x01
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define MCR_LOOP  0x10
#define FCR_EN    0x01

struct uart {
	struct pm_dm *dm;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending;        /* THR empty, reported until IIR is read or THR written */
	uint8_t rx[16];
	unsigned rx_head, rx_count;
};

static uint8_t iir(const struct uart *s)
{
	uint8_t fifo = (s->fcr & FCR_EN) ? 0xc0 : 0;

	if ((s->ier & IER_RDI) && s->rx_count)
		return fifo | IIR_RDI;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NONE;
}

static uint8_t msr(const struct uart *s)
{
	/* loopback: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD */
	if (s->mcr & MCR_LOOP)
		return (uint8_t)(((s->mcr & 0x01) << 5) | ((s->mcr & 0x02) << 3) |
				 ((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4));
	/* a terminal is attached: DCD, DSR and CTS */
	return 0xb0;
}

static uint64_t uart_read(void *opaque, uint64_t addr, unsigned size)
{
	struct uart *s = opaque;
	uint8_t v;

	(void)size;
	switch (addr) {
	case RBR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (!s->rx_count)
			return 0;
		v = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % 16;
		s->rx_count--;
		return v;
	case IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case IIR:
		v = iir(s);
		/* reading IIR while it reports THRE clears that source */
		if ((v & 0x0f) == IIR_THRI)
			s->thri_pending = false;
		return v;
	case LCR:
		return s->lcr;
	case MCR:
		return s->mcr;
	case LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
	case MSR:
		return msr(s);
	case SCR:
		return s->scr;
	default:
		return 0xff;
	}
}

static void uart_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	struct uart *s = opaque;
	uint8_t b = (uint8_t)val;

	(void)size;
	switch (addr) {
	case RBR:
		if (s->lcr & LCR_DLAB) {
			s->dll = b;
			break;
		}
		if (s->mcr & MCR_LOOP) {
			if (s->rx_count < ((s->fcr & FCR_EN) ? 16u : 1u)) {
				s->rx[(s->rx_head + s->rx_count) % 16] = b;
				s->rx_count++;
			}
		} else {
			pm_console_write(&s->dm->console, &b, 1);
		}
		s->thri_pending = true;
		break;
	case IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = b;
			break;
		}
		/* enabling THRI with an empty holding register raises it at once */
		if (!(s->ier & IER_THRI) && (b & IER_THRI))
			s->thri_pending = true;
		s->ier = b & 0x0f;
		break;
	case IIR:         /* FCR */
		if (b & 0x02)
			s->rx_count = 0;          /* clear the receive FIFO */
		s->fcr = b & 0xc9;
		break;
	case LCR:
		s->lcr = b;
		break;
	case MCR:
		s->mcr = b & 0x1f;
		break;
	case SCR:
		s->scr = b;
		break;
	default:
		break;
	}
}

static const struct pm_mr_ops uart_ops = {
	.read = uart_read, .write = uart_write,
	.endianness = PM_ENDIAN_LITTLE,
	.valid = { .min_access_size = 1, .max_access_size = 1 },
};

/* typed bytes into the receive FIFO (16 bytes, 1 with FIFOs off), as many as fit */
static size_t uart_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct uart *s = opaque;
	unsigned depth = (s->fcr & FCR_EN) ? 16 : 1;
	size_t n = 0;

	while (n < len && s->rx_count < depth) {
		s->rx[(s->rx_head + s->rx_count) % 16] = buf[n++];
		s->rx_count++;
	}
	return n;
}

/* the state a save carries: the registers, then the receive FIFO as it stands */
static int uart_save(void *opaque, struct pm_vmstate_buf *out)
{
	const struct uart *s = opaque;
	uint8_t b[10] = { s->ier, s->lcr, s->mcr, s->scr, s->fcr, s->dll, s->dlm, s->thri_pending,
			  (uint8_t)s->rx_head, (uint8_t)s->rx_count };
	int rc = pm_vmstate_put(out, b, sizeof(b));

	return rc ? rc : pm_vmstate_put(out, s->rx, sizeof(s->rx));
}

static int uart_load(void *opaque, const uint8_t *buf, size_t len)
{
	struct uart *s = opaque;

	if (len != 10 + sizeof(s->rx) || buf[7] > 1 || buf[8] >= 16 || buf[9] > 16)
		return -EINVAL;
	s->ier = buf[0], s->lcr = buf[1], s->mcr = buf[2], s->scr = buf[3], s->fcr = buf[4];
	s->dll = buf[5], s->dlm = buf[6], s->thri_pending = buf[7], s->rx_head = buf[8], s->rx_count = buf[9];
	memcpy(s->rx, buf + 10, sizeof(s->rx));
	return 0;
}

static const struct pm_vmstate_ops uart_vmstate = { uart_save, uart_load };

static void uart_free(void *opaque)
{
	struct uart *s = opaque;

	if (s->dm->console.input_opaque == s)
		s->dm->console.input = NULL;
	free(s);
}

static int uart_create(struct pm_dm *dm, const struct pm_dev_args *a, char *err, size_t errlen)
{
	struct uart *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->dm = dm;
	s->dll = 12;          /* 9600 baud from 1.8432 MHz */
	rc = pm_dm_map_mmio(dm, a, 8, &uart_ops, s, uart_free, err, errlen);
	if (!rc)
		pm_console_set_input(&dm->console, uart_input, s);
	if (!rc && (rc = pm_dm_vmstate_register(dm, a->name, &uart_vmstate, s)))
		snprintf(err, errlen, "registering its state: %s", strerror(-rc));
	return rc;
}

const struct pm_hw pm_hw_serial16550 = {
	.model = "16550",
	.summary = "16550A UART, 8 ports (pc: COM1 at I/O 0x3f8)",
	.create = uart_create,
};
