/*
 * events-test.c - a test device for the two ways a write can avoid a round
 * trip to the device model: a coalesced register (KVM's coalesced MMIO,
 * Xen's buffered ioreqs) and a doorbell with a write notifier (ioeventfd)
 *
 * One 4 KiB page of 32-bit registers:
 *
 *   0x00 QUEUE  coalesced: each write adds its value to SUM and counts
 *   0x04 COUNT  read: writes QUEUE received
 *   0x08 SUM    read: their sum (mod 2^32)
 *   0x10 BELL   a write notifier (any value): counts a notification
 *   0x14 RINGS  read: notifications received
 *
 * A coalesced write may reach the device late but never after a later
 * access to it, so COUNT and SUM are exact when read. Notifications may
 * merge (several rings, one notification), as ioeventfds do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dm.h"

#define SIZE 0x1000u

enum { QUEUE = 0x00, COUNT = 0x04, SUM = 0x08, BELL = 0x10, RINGS = 0x14 };

struct evtest {
	uint32_t count, sum, rings;
};

static uint64_t et_read(void *opaque, uint64_t addr, unsigned size)
{
	struct evtest *e = opaque;

	(void)size;
	switch (addr) {
	case COUNT:
		return e->count;
	case SUM:
		return e->sum;
	case RINGS:
		return e->rings;
	}
	return 0;
}

static void et_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	struct evtest *e = opaque;

	(void)size;
	if (addr == QUEUE) {
		e->count++;
		e->sum += (uint32_t)val;
	}
}

static void et_bell(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	struct evtest *e = opaque;

	(void)addr, (void)val, (void)size;
	e->rings++;
}

static const struct pm_mr_ops et_ops = {
	.read = et_read, .write = et_write,
	.endianness = PM_ENDIAN_LITTLE,
	.valid = { .min_access_size = 4, .max_access_size = 4 },
};

static int et_save(void *opaque, struct pm_vmstate_buf *out)
{
	const struct evtest *e = opaque;
	uint32_t w[3] = { e->count, e->sum, e->rings };

	return pm_vmstate_put(out, w, sizeof(w));
}

static int et_load(void *opaque, const uint8_t *buf, size_t len)
{
	struct evtest *e = opaque;
	uint32_t w[3];

	if (len != sizeof(w))
		return -EINVAL;
	memcpy(w, buf, sizeof(w));
	e->count = w[0], e->sum = w[1], e->rings = w[2];
	return 0;
}

static const struct pm_vmstate_ops et_vmstate = { et_save, et_load };

static int et_create(struct pm_dm *dm, const struct pm_dev_args *a, char *err, size_t errlen)
{
	struct evtest *e = calloc(1, sizeof(*e));
	struct pm_mr *mr;
	int rc = -ENOMEM;

	if (!e)
		return -ENOMEM;
	pm_mem_begin(dm->mem);
	mr = pm_mr_new_mmio(dm->mem, a->name, SIZE, &et_ops, e);
	if (!mr) {
		free(e);
		goto out;
	}
	pm_mr_set_destructor(mr, free, e);
	rc = pm_mr_add_coalescing(mr, QUEUE, 4);
	if (!rc)
		rc = pm_mr_add_write_notifier(mr, BELL, 4, false, 0, et_bell, e);
	if (!rc)
		rc = pm_mr_add_subregion(a->pio ? dm->io : dm->sysmem, a->addr, mr, 0);
	if (!rc)
		rc = pm_dm_vmstate_register(dm, a->name, &et_vmstate, e);
out:
	if (pm_mem_commit(dm->mem) && !rc)
		rc = -ENOMEM;
	if (rc)
		snprintf(err, errlen, "cannot map it (%s)", strerror(-rc));
	return rc;
}

const struct pm_hw pm_hw_events_test = {
	.model = "events-test",
	.summary = "a coalesced register and a doorbell with a write notifier",
	.create = et_create,
};
