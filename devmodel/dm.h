/*
 * devmodel/dm.h - physmap-dm's process-wide pieces: the memory system with
 * its two address spaces, the console sink, the access log, and the device
 * models (devmodel/hw/, one per file) that instantiate into it
 */
#ifndef PHYSMAP_DM_DM_H
#define PHYSMAP_DM_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memory.h"

/**
 * struct pm_console - where guest-visible serial output goes, and where
 * typed input comes in
 * @fd: the sink (not owned); bytes are written as they come
 * @input: the UART that receives input (the first to ask), or NULL; it
 *     takes what fits its receive FIFO and returns how much that was
 */
struct pm_vmstate_buf;

struct pm_console {
	int fd;
	size_t (*input)(void *opaque, const uint8_t *buf, size_t len);
	void *input_opaque;
};

/** pm_console_write - one byte (or several) to the sink; errors are dropped */
void pm_console_write(struct pm_console *con, const void *buf, size_t len);

/** pm_console_set_input - @fn receives the console's input, unless a UART does already */
void pm_console_set_input(struct pm_console *con, size_t (*fn)(void *, const uint8_t *, size_t),
			  void *opaque);

/** pm_console_input - typed bytes to the UART. returns: how many it took (0: none, or its FIFO is full) */
size_t pm_console_input(struct pm_console *con, const uint8_t *buf, size_t len);

/**
 * struct pm_dm - one device model
 * @mem: the memory system; @sysmem / @io: roots of "memory" (2^64) and
 *     "I/O" (64 KiB), as QEMU's
 * @log: where logging devices report accesses (may be NULL)
 */
struct pm_dm {
	struct pm_mem *mem;
	struct pm_mr *sysmem, *io;
	struct pm_as *as_mem, *as_io;
	struct pm_console console;
	FILE *log;
	struct pm_vmstate *vmstate;   /* what a save carries, in registration order */
	size_t nr_vmstate;
};

/**
 * pm_dm_init - an empty device model: memory and I/O spaces, console to
 * @console_fd, access log to @log
 * returns: 0; -ENOMEM
 */
int pm_dm_init(struct pm_dm *dm, int console_fd, FILE *log);

/**
 * pm_dm_load - replace @dm's memory with a region-tree document, its MMIO
 * and ROMD regions given devices by @hooks (pm_hw_logger_hooks: logging
 * ones); "memory" and "I/O" are looked up
 * returns: 0; -EINVAL with @err set (the old memory stays)
 */
int pm_dm_load(struct pm_dm *dm, const char *text, const struct pm_load_hooks *hooks, char *err, size_t errlen);

/** pm_dm_dispose - free everything (devices' state through their regions) */
void pm_dm_dispose(struct pm_dm *dm);

/**
 * struct pm_dev_args - where a device goes
 * @name: instance name (region names derive from it)
 * @addr: base address in the memory space, or port in the I/O space
 * @size: the window, 0 for the model's own size
 * @pio: 1: in the I/O space
 * @irq: its interrupt line, -1 for none
 */
struct pm_dev_args {
	const char *name;
	uint64_t addr, size;
	int pio;
	int irq;
};

/**
 * struct pm_hw - a device model
 * @create: instantiate at @a, adding its regions to @dm (in one
 *     transaction); returns 0, or a negative errno with @err set
 */
struct pm_hw {
	const char *model;
	const char *summary;
	int (*create)(struct pm_dm *dm, const struct pm_dev_args *a, char *err, size_t errlen);
};

/**
 * pm_dm_map_mmio - the usual end of a device's create: an MMIO region of
 * @size bytes (a->size if set) with @ops on @state, @state freed by
 * @release when the region goes (and at once if the region cannot be
 * made), mapped at a->addr in the memory or I/O space
 * returns: 0; -ENOMEM; -EINVAL with @err set
 */
int pm_dm_map_mmio(struct pm_dm *dm, const struct pm_dev_args *a, uint64_t size,
		   const struct pm_mr_ops *ops, void *state, void (*release)(void *),
		   char *err, size_t errlen);

/**
 * pm_dm_parse_u64 - a whole string as a number: decimal, 0x hex or 0 octal
 * returns: 0; -EINVAL (empty, signed, trailing characters, out of range)
 */
int pm_dm_parse_u64(const char *s, uint64_t *v);

/** pm_hw_find - the model called @model, or NULL; pm_hw_list - all, NULL-terminated */
const struct pm_hw *pm_hw_find(const char *model);
extern const struct pm_hw *const pm_hw_list[];

/* ---- device state, for save, restore and migration ---- */

/**
 * struct pm_vmstate_ops - one device's guest-visible state
 * @save: append it to @out (pm_vmstate_put); returns 0 or -ENOMEM
 * @load: take it back from [@buf, @buf + @len), as @save wrote it;
 *     returns 0, or -EINVAL (the device's state is then unchanged)
 */
struct pm_vmstate_ops {
	int (*save)(void *opaque, struct pm_vmstate_buf *out);
	int (*load)(void *opaque, const uint8_t *buf, size_t len);
};

struct pm_vmstate {
	char id[64];
	const struct pm_vmstate_ops *ops;
	void *opaque;
};

/** struct pm_vmstate_buf - bytes being saved (data malloc'ed) */
struct pm_vmstate_buf {
	uint8_t *data;
	size_t len, cap;
};

/** pm_vmstate_put - append @len bytes. returns: 0; -ENOMEM */
int pm_vmstate_put(struct pm_vmstate_buf *b, const void *data, size_t len);

/**
 * pm_dm_vmstate_register - the device @id (its instance name, unique)
 * has state @ops save and load; @opaque lives as long as @dm
 * returns: 0; -EEXIST (the id is taken); -ENOMEM
 */
int pm_dm_vmstate_register(struct pm_dm *dm, const char *id, const struct pm_vmstate_ops *ops, void *opaque);

/**
 * pm_dm_save - every registered device's state, as one blob: for each,
 * u16 id length, the id, u32 state length, the state (little-endian)
 * returns: 0 with @out filled (free out->data); -ENOMEM
 */
int pm_dm_save(struct pm_dm *dm, struct pm_vmstate_buf *out);

/**
 * pm_dm_load_state - give each device the state a blob of pm_dm_save
 * holds; a device the blob does not name keeps its state
 * returns: 0; -EINVAL with @err naming the device (a truncated blob, a
 *   device this model lacks, a state the device refuses: devices named
 *   before it in the blob were loaded)
 */
int pm_dm_load_state(struct pm_dm *dm, const uint8_t *buf, size_t len, char *err, size_t errlen);

/**
 * pm_hw_logger_ops - ops that log every access to dm->log as
 * "NAME read|write OFFSET SIZE VALUE" (reads give 0); @opaque from
 * pm_hw_logger_new (freed by the region's destructor)
 */
extern const struct pm_mr_ops pm_hw_logger_ops;
void *pm_hw_logger_new(struct pm_dm *dm, const char *name);
void pm_hw_logger_free(void *opaque);
/** pm_hw_logger_hooks - pm_dm_load's hooks that give each loaded MMIO or ROMD region a logger of @dm */
void pm_hw_logger_hooks(struct pm_dm *dm, struct pm_load_hooks *hooks);

#endif /* PHYSMAP_DM_DM_H */
