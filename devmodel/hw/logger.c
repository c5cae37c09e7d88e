/*
 * logger.c - a device that logs every access and otherwise does nothing:
 * what loaded MMIO regions get, and `--device logger` for tests
 *
 * Lines: "NAME read 0xOFFSET SIZE -> 0xVALUE" and
 * "NAME write 0xOFFSET SIZE 0xVALUE". Reads give 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../dm.h"

struct logger {
	struct pm_dm *dm;
	char name[64];
};

static uint64_t logger_read(void *opaque, uint64_t addr, unsigned size)
{
	struct logger *l = opaque;

	if (l->dm->log) {
		fprintf(l->dm->log, "%s read 0x%" PRIx64 " %u -> 0x0\n", l->name, addr, size);
		fflush(l->dm->log);
	}
	return 0;
}

static void logger_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	struct logger *l = opaque;

	if (l->dm->log) {
		fprintf(l->dm->log, "%s write 0x%" PRIx64 " %u 0x%" PRIx64 "\n", l->name, addr, size, val);
		fflush(l->dm->log);
	}
}

const struct pm_mr_ops pm_hw_logger_ops = {
	.read = logger_read, .write = logger_write,
	.valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

void *pm_hw_logger_new(struct pm_dm *dm, const char *name)
{
	struct logger *l = calloc(1, sizeof(*l));

	if (l) {
		l->dm = dm;
		snprintf(l->name, sizeof(l->name), "%s", name);
	}
	return l;
}

void pm_hw_logger_free(void *opaque)
{
	free(opaque);
}

static int logger_create(struct pm_dm *dm, const struct pm_dev_args *a, char *err, size_t errlen)
{
	struct logger *l = pm_hw_logger_new(dm, a->name);

	if (!l)
		return -ENOMEM;
	return pm_dm_map_mmio(dm, a, 0x1000, &pm_hw_logger_ops, l, pm_hw_logger_free, err, errlen);
}

const struct pm_hw pm_hw_logger = {
	.model = "logger",
	.summary = "logs every access (default size 4 KiB)",
	.create = logger_create,
};

static int loaded_device(void *ctx, const char *id, const char *name, const struct pm_mr_ops **ops,
			 void **opaque)
{
	(void)id;
	*opaque = pm_hw_logger_new(ctx, name);
	if (!*opaque)
		return -ENOMEM;
	*ops = &pm_hw_logger_ops;
	return 0;
}

void pm_hw_logger_hooks(struct pm_dm *dm, struct pm_load_hooks *hooks)
{
	*hooks = (struct pm_load_hooks){ .device = loaded_device, .release = pm_hw_logger_free, .ctx = dm };
}
