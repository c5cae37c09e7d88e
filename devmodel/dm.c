/*
 * dm.c - a device model's memory system and console: what devices use (the
 * models themselves, and their registry, are in hw/)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dm.h"

int pm_dm_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

int pm_dm_map_mmio(struct pm_dm *dm, const struct pm_dev_args *a, uint64_t size,
		   const struct pm_mr_ops *ops, void *state, void (*release)(void *),
		   char *err, size_t errlen)
{
	struct pm_mr *mr = pm_mr_new_mmio(dm->mem, a->name, a->size ? a->size : size, ops, state);
	int rc;

	if (!mr) {
		release(state);
		return -ENOMEM;
	}
	pm_mr_set_destructor(mr, release, state);
	rc = pm_mr_add_subregion(a->pio ? dm->io : dm->sysmem, a->addr, mr, 0);
	if (rc)
		snprintf(err, errlen, "cannot map it (%s)", strerror(-rc));
	return rc;
}

void pm_console_set_input(struct pm_console *con, size_t (*fn)(void *, const uint8_t *, size_t),
			  void *opaque)
{
	if (con->input)
		return;
	con->input = fn;
	con->input_opaque = opaque;
}

size_t pm_console_input(struct pm_console *con, const uint8_t *buf, size_t len)
{
	return con->input ? con->input(con->input_opaque, buf, len) : 0;
}

void pm_console_write(struct pm_console *con, const void *buf, size_t len)
{
	const char *p = buf;

	while (con->fd >= 0 && len) {
		ssize_t r = write(con->fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		len -= (size_t)r;
	}
}

int pm_dm_init(struct pm_dm *dm, int console_fd, FILE *log)
{
	memset(dm, 0, sizeof(*dm));
	dm->console.fd = console_fd;
	dm->log = log;
	dm->mem = pm_mem_new();
	if (!dm->mem)
		return -ENOMEM;
	dm->sysmem = pm_mr_new_container(dm->mem, "system", PM_MR_SIZE_2_64);
	dm->io = pm_mr_new_container(dm->mem, "io", 0x10000);
	if (!dm->sysmem || !dm->io)
		goto fail;
	dm->as_mem = pm_as_new(dm->mem, "memory", dm->sysmem);
	dm->as_io = pm_as_new(dm->mem, "I/O", dm->io);
	if (!dm->as_mem || !dm->as_io)
		goto fail;
	return 0;
fail:
	pm_mem_free(dm->mem);
	dm->mem = NULL;
	return -ENOMEM;
}

void pm_dm_dispose(struct pm_dm *dm)
{
	pm_mem_free(dm->mem);
	dm->mem = NULL;
	free(dm->vmstate);
	dm->vmstate = NULL;
	dm->nr_vmstate = 0;
}

int pm_dm_load(struct pm_dm *dm, const char *text, const struct pm_load_hooks *hooks, char *err, size_t errlen)
{
	struct pm_mem *mem = pm_mem_load_json(text, hooks, err, errlen);

	if (!mem)
		return -EINVAL;
	pm_mem_free(dm->mem);
	dm->mem = mem;
	dm->as_mem = pm_mem_find_as(mem, "memory");
	dm->as_io = pm_mem_find_as(mem, "I/O");
	dm->sysmem = dm->as_mem ? pm_as_root(dm->as_mem) : NULL;
	dm->io = dm->as_io ? pm_as_root(dm->as_io) : NULL;
	return 0;
}
