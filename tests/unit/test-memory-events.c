/*
 * test-memory-events.c - what happens around the flat views: listeners and
 * their diffs, dirty logging, coalesced MMIO, write notifiers, mmio-exec
 * and the lifetime of its regions; plus readonly, disable and move as the
 * listeners see them.
 */
#include <errno.h>
#include <sys/mman.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "memory.h"

#define KiB (UINT64_C(1) << 10)

/* a device that records its accesses as text */
struct dev {
	char log[4096];
	unsigned reads, writes;
};

static void logf_(struct dev *d, const char *fmt, ...)
{
	size_t n = strlen(d->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->log + n, sizeof(d->log) - n, fmt, ap);
	va_end(ap);
}

static uint64_t dev_read(void *opaque, uint64_t addr, unsigned size)
{
	struct dev *d = opaque;

	d->reads++;
	logf_(d, "r%u@%" PRIx64 ";", size, addr);
	return 0x1234;
}

static void dev_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	struct dev *d = opaque;

	d->writes++;
	logf_(d, "w%u@%" PRIx64 "=%" PRIx64 ";", size, addr, val);
}

static const struct pm_mr_ops dev_ops = {
	.read = dev_read, .write = dev_write,
	.valid = { .min_access_size = 1, .max_access_size = 8 },
};

/* a listener that records every call as "name start+size;" */
struct rec {
	struct pm_mem_listener l;
	char log[8192];
};

static void recf(struct pm_mem_listener *l, const char *fmt, ...)
{
	struct rec *r = (struct rec *)l;
	size_t n = strlen(r->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->log + n, sizeof(r->log) - n, fmt, ap);
	va_end(ap);
}

static void rec_begin(struct pm_mem_listener *l) { recf(l, "begin;"); }
static void rec_commit(struct pm_mem_listener *l) { recf(l, "commit;"); }
#define REC_RANGE(fn, what)                                                                  \
	static void fn(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r) \
	{                                                                                     \
		(void)as;                                                                     \
		recf(l, what " %s %" PRIx64 "+%" PRIx64 "%s;", pm_mr_name(r->mr), r->start, r->size, \
		     r->readonly ? " ro" : "");                                               \
	}
REC_RANGE(rec_add, "add")
REC_RANGE(rec_del, "del")
REC_RANGE(rec_nop, "nop")
REC_RANGE(rec_log_start, "log_start")
REC_RANGE(rec_log_stop, "log_stop")

static void rec_co_add(struct pm_mem_listener *l, struct pm_as *as, uint64_t s, uint64_t n)
{
	(void)as;
	recf(l, "co_add %" PRIx64 "+%" PRIx64 ";", s, n);
}

static void rec_co_del(struct pm_mem_listener *l, struct pm_as *as, uint64_t s, uint64_t n)
{
	(void)as;
	recf(l, "co_del %" PRIx64 "+%" PRIx64 ";", s, n);
}

static void rec_wn_add(struct pm_mem_listener *l, struct pm_as *as, uint64_t a, unsigned size,
		       bool match, uint64_t data)
{
	(void)as;
	recf(l, "wn_add %" PRIx64 "/%u%s%" PRIx64 ";", a, size, match ? "=" : "~", data);
}

static void rec_wn_del(struct pm_mem_listener *l, struct pm_as *as, uint64_t a, unsigned size,
		       bool match, uint64_t data)
{
	(void)as;
	recf(l, "wn_del %" PRIx64 "/%u%s%" PRIx64 ";", a, size, match ? "=" : "~", data);
}

static void rec_init(struct rec *r, int priority)
{
	memset(r, 0, sizeof(*r));
	r->l = (struct pm_mem_listener){
		.priority = priority, .begin = rec_begin, .commit = rec_commit,
		.region_add = rec_add, .region_del = rec_del, .region_nop = rec_nop,
		.log_start = rec_log_start, .log_stop = rec_log_stop,
		.coalesced_add = rec_co_add, .coalesced_del = rec_co_del,
		.notifier_add = rec_wn_add, .notifier_del = rec_wn_del,
	};
}

static void listener_sees_adds_dels_and_nops_of_each_commit(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", 0x100000);
	struct pm_mr *ram = pm_mr_new_ram(mem, "ram", 0x10000);
	struct pm_mr *rom = pm_mr_new_rom(mem, "rom", 0x1000);
	struct pm_mr *hi = pm_mr_new_ram(mem, "hi", 0x1000);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	struct rec r;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, 0, ram, 0), 0);
	rec_init(&r, 0);
	/* registration replays the current view */
	assert_int_equal(pm_mem_listener_register(mem, &r.l, as), 0);
	assert_string_equal(r.log, "begin;add ram 0+10000;commit;");
	assert_int_equal(pm_mem_listener_register(mem, &r.l, as), -EEXIST);
	/* a ROM over the middle: ram is split; the old whole range goes first */
	r.log[0] = 0;
	assert_int_equal(pm_mr_add_subregion(root, 0x4000, rom, 1), 0);
	assert_string_equal(r.log, "begin;del ram 0+10000;add ram 0+4000;add rom 4000+1000 ro;"
				   "add ram 5000+b000;commit;");
	/* moving the ROM: ram's first piece grows (merged), so it is new too */
	r.log[0] = 0;
	assert_int_equal(pm_mr_set_address(rom, 0x8000), 0);
	assert_string_equal(r.log, "begin;del ram 0+4000;del rom 4000+1000 ro;del ram 5000+b000;"
				   "add ram 0+8000;add rom 8000+1000 ro;add ram 9000+7000;commit;");
	/* adding elsewhere: the ranges that stay are nops */
	r.log[0] = 0;
	assert_int_equal(pm_mr_add_subregion(root, 0x80000, hi, 0), 0);
	assert_string_equal(r.log, "begin;nop ram 0+8000;nop rom 8000+1000 ro;nop ram 9000+7000;"
				   "add hi 80000+1000;commit;");
	assert_int_equal(pm_mr_del_subregion(hi), 0);
	/* disabling it joins ram again; readonly ram is a different range */
	r.log[0] = 0;
	pm_mem_begin(mem);
	assert_int_equal(pm_mr_set_enabled(rom, false), 0);
	assert_int_equal(pm_mr_set_readonly(ram, true), 0);
	assert_int_equal(pm_mem_commit(mem), 0);
	assert_string_equal(r.log, "begin;del ram 0+8000;del rom 8000+1000 ro;"
				   "del ram 9000+7000;add ram 0+10000 ro;commit;");
	/* a commit with no change calls nobody */
	r.log[0] = 0;
	pm_mem_begin(mem);
	assert_int_equal(pm_mem_commit(mem), 0);
	assert_string_equal(r.log, "");
	/* unregistration replays deletions */
	pm_mem_listener_unregister(mem, &r.l);
	assert_string_equal(r.log, "begin;del ram 0+10000 ro;commit;");
	pm_mem_free(mem);
}

static struct pm_mem_listener *order[8];
static size_t nr_order;

static void note_add(struct pm_mem_listener *l, struct pm_as *as, const struct pm_flat_range *r)
{
	(void)as;
	(void)r;
	order[nr_order++] = l;
}

static void listeners_run_by_priority_adds_ascending_dels_descending(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", 0x10000);
	struct pm_mr *ram = pm_mr_new_ram(mem, "ram", 0x1000);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	struct pm_mem_listener hi = { .priority = 10, .region_add = note_add, .region_del = note_add };
	struct pm_mem_listener lo = { .priority = -5, .region_add = note_add, .region_del = note_add };
	struct pm_mem_listener mid = { .priority = 0, .region_add = note_add, .region_del = note_add };

	(void)state;
	assert_int_equal(pm_mem_listener_register(mem, &hi, NULL), 0);
	assert_int_equal(pm_mem_listener_register(mem, &lo, as), 0);
	assert_int_equal(pm_mem_listener_register(mem, &mid, NULL), 0);
	nr_order = 0;
	assert_int_equal(pm_mr_add_subregion(root, 0, ram, 0), 0);
	assert_int_equal(nr_order, 3);
	assert_ptr_equal(order[0], &lo);
	assert_ptr_equal(order[1], &mid);
	assert_ptr_equal(order[2], &hi);
	nr_order = 0;
	assert_int_equal(pm_mr_del_subregion(ram), 0);
	assert_int_equal(nr_order, 3);
	assert_ptr_equal(order[0], &hi);
	assert_ptr_equal(order[1], &mid);
	assert_ptr_equal(order[2], &lo);
	/* a listener of every space hears a new space's view */
	nr_order = 0;
	assert_int_equal(pm_mr_add_subregion(root, 0, ram, 0), 0);
	nr_order = 0;
	assert_non_null(pm_as_new(mem, "other", root));
	assert_int_equal(nr_order, 2);     /* hi and mid; lo listens to "memory" only */
	pm_mem_listener_unregister(mem, &hi);
	pm_mem_listener_unregister(mem, &lo);
	pm_mem_listener_unregister(mem, &mid);
	pm_mem_free(mem);
}

static void dirty_log_records_written_pages_until_collected(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", 0x100000);
	struct pm_mr *ram = pm_mr_new_ram(mem, "ram", 0x40000);    /* 64 pages */
	struct pm_as *as = pm_as_new(mem, "memory", root);
	unsigned long bm[2];
	struct rec r;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, 0x10000, ram, 0), 0);
	rec_init(&r, 0);
	assert_int_equal(pm_mem_listener_register(mem, &r.l, as), 0);
	r.log[0] = 0;
	/* nothing is logged before logging starts */
	assert_int_equal(pm_as_write(as, 0x10000, 1, 4), PM_MEM_OK);
	assert_int_equal(pm_mr_set_dirty_log(ram, true), 0);
	assert_string_equal(r.log, "begin;nop ram 10000+40000;log_start ram 10000+40000;commit;");
	assert_int_equal(pm_mr_dirty_get_and_clear(ram, 0, 0x40000, bm), 0);
	/* a write to page 0, one across pages 3 and 4, a buffer over 62..63 */
	assert_int_equal(pm_as_write(as, 0x10000, 1, 1), PM_MEM_OK);
	assert_int_equal(pm_as_write(as, 0x10000 + 4 * 4096 - 2, 0xffffffff, 4), PM_MEM_OK);
	uint8_t buf[4097] = { 0 };
	assert_int_equal(pm_as_rw_buf(as, 0x10000 + 62 * 4096 + 10, buf, sizeof(buf), true), PM_MEM_OK);
	/* reads do not dirty */
	assert_int_equal(pm_as_rw_buf(as, 0x10000 + 20 * 4096, buf, 16, false), PM_MEM_OK);
	/* a writer outside the access path says so */
	pm_mr_set_dirty(ram, 40 * 4096, 1);
	assert_int_equal(pm_mr_dirty_get_and_clear(ram, 0, 0x40000, bm), 6);
	assert_int_equal(bm[0], (1UL << 0) | (1UL << 3) | (1UL << 4) | (1UL << 40) |
				(1UL << 62) | (1UL << 63));
	/* collected means cleared */
	assert_int_equal(pm_mr_dirty_get_and_clear(ram, 0, 0x40000, bm), 0);
	/* a window that starts mid-word: bit 0 is page 5 */
	assert_int_equal(pm_as_write(as, 0x10000 + 6 * 4096, 1, 1), PM_MEM_OK);
	assert_int_equal(pm_mr_dirty_get_and_clear(ram, 5 * 4096, 3 * 4096, bm), 1);
	assert_int_equal(bm[0], 2);
	assert_int_equal(pm_mr_dirty_get_and_clear(ram, 1, 4096, bm), -EINVAL);
	/* stopping: listeners hear it, writes are no longer recorded */
	r.log[0] = 0;
	assert_int_equal(pm_mr_set_dirty_log(ram, false), 0);
	assert_string_equal(r.log, "begin;nop ram 10000+40000;log_stop ram 10000+40000;commit;");
	assert_int_equal(pm_as_write(as, 0x10000, 1, 1), PM_MEM_OK);
	assert_int_equal(pm_mr_dirty_get_and_clear(ram, 0, 0x40000, NULL), 0);
	assert_int_equal(pm_mr_set_dirty_log(root, true), -EINVAL);
	pm_mem_listener_unregister(mem, &r.l);
	pm_mem_free(mem);
}

static void coalesced_writes_wait_until_a_read_or_flush(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", 0x100000);
	struct dev d = { 0 }, other = { 0 };
	struct pm_mr *mmio = pm_mr_new_mmio(mem, "dev", 0x1000, &dev_ops, &d);
	struct pm_mr *o = pm_mr_new_mmio(mem, "other", 0x1000, &dev_ops, &other);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	uint64_t v;
	struct rec r;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, 0x10000, mmio, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x20000, o, 0), 0);
	rec_init(&r, 0);
	assert_int_equal(pm_mem_listener_register(mem, &r.l, as), 0);
	r.log[0] = 0;
	assert_int_equal(pm_mr_add_coalescing(mmio, 0x100, 0x10), 0);
	assert_string_equal(r.log, "begin;nop dev 10000+1000;nop other 20000+1000;"
				   "co_add 10100+10;commit;");
	assert_int_equal(pm_mr_add_coalescing(mmio, 0xff0, 0x20), -EINVAL);
	assert_int_equal(pm_mr_add_coalescing(root, 0, 0x10), -EINVAL);
	/* two coalesced writes: the device sees nothing yet */
	assert_int_equal(pm_as_write(as, 0x10100, 0xaa, 1), PM_MEM_OK);
	assert_int_equal(pm_as_write(as, 0x10104, 0xbbcc, 2), PM_MEM_OK);
	assert_int_equal(d.writes, 0);
	/* a read of the device flushes them first, in order */
	assert_int_equal(pm_as_read(as, 0x10000, &v, 4), PM_MEM_OK);
	assert_string_equal(d.log, "w1@100=aa;w2@104=bbcc;r4@0;");
	/* a write outside the range, to another device, also flushes */
	d.log[0] = 0;
	assert_int_equal(pm_as_write(as, 0x1010c, 7, 4), PM_MEM_OK);
	assert_int_equal(pm_as_write(as, 0x20000, 1, 4), PM_MEM_OK);
	assert_string_equal(d.log, "w4@10c=7;");
	assert_string_equal(other.log, "w4@0=1;");
	/* more writes than the queue holds are all delivered, in order */
	d.log[0] = 0;
	d.writes = 0;
	for (unsigned i = 0; i < 300; i++)
		assert_int_equal(pm_as_write(as, 0x10100, i & 0xff, 1), PM_MEM_OK);
	assert_true(d.writes <= 300);
	long flushed = pm_mem_flush_coalesced(mem);
	assert_int_equal(d.writes, 300);
	assert_int_equal(flushed + 256, 300);
	assert_int_equal(pm_mem_flush_coalesced(mem), 0);
	/* clearing */
	r.log[0] = 0;
	assert_int_equal(pm_mr_clear_coalescing(mmio), 0);
	assert_string_equal(r.log, "begin;nop dev 10000+1000;nop other 20000+1000;"
				   "co_del 10100+10;commit;");
	d.writes = 0;
	assert_int_equal(pm_as_write(as, 0x10100, 1, 1), PM_MEM_OK);
	assert_int_equal(d.writes, 1);
	pm_mem_listener_unregister(mem, &r.l);
	pm_mem_free(mem);
}

struct kick {
	unsigned n;
	uint64_t addr, val;
	unsigned size;
};

static void kicked(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
	struct kick *k = opaque;

	k->n++;
	k->addr = addr;
	k->val = val;
	k->size = size;
}

static void write_notifiers_fire_instead_of_the_device(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", 0x100000);
	struct pm_mr *win = pm_mr_new_container(mem, "win", 0x2000);
	struct dev d = { 0 };
	struct pm_mr *mmio = pm_mr_new_mmio(mem, "virtio", 0x1000, &dev_ops, &d);
	struct pm_mr *cover = pm_mr_new_ram(mem, "cover", 0x1000);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	struct kick any = { 0 }, two = { 0 };
	struct rec r;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(win, 0x1000, mmio, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x40000, win, 0), 0);
	rec_init(&r, 0);
	assert_int_equal(pm_mem_listener_register(mem, &r.l, as), 0);
	r.log[0] = 0;
	/* QueueNotify at 0x50: any value of 4 bytes; and a data match for 2 */
	pm_mem_begin(mem);
	assert_int_equal(pm_mr_add_write_notifier(mmio, 0x50, 4, false, 0, kicked, &any), 0);
	assert_int_equal(pm_mr_add_write_notifier(mmio, 0x60, 0, true, 2, kicked, &two), 0);
	assert_int_equal(pm_mem_commit(mem), 0);
	/* listeners hear absolute addresses */
	assert_string_equal(r.log, "begin;nop virtio 41000+1000;wn_add 41050/4~0;wn_add 41060/0=2;commit;");
	assert_int_equal(pm_mr_add_write_notifier(mmio, 0x50, 4, false, 0, kicked, &any), -EEXIST);
	assert_int_equal(pm_mr_add_write_notifier(mmio, 0x50, 3, false, 0, kicked, &any), -EINVAL);
	assert_int_equal(pm_mr_add_write_notifier(root, 0x50, 4, false, 0, kicked, &any), -EINVAL);
	assert_int_equal(pm_as_write(as, 0x41050, 3, 4), PM_MEM_OK);
	assert_int_equal(any.n, 1);
	assert_int_equal(any.addr, 0x41050);
	assert_int_equal(any.val, 3);
	assert_int_equal(d.writes, 0);
	/* wrong size goes to the device; so does a non-matching value */
	assert_int_equal(pm_as_write(as, 0x41050, 3, 2), PM_MEM_OK);
	assert_int_equal(pm_as_write(as, 0x41060, 1, 2), PM_MEM_OK);
	assert_int_equal(d.writes, 2);
	assert_int_equal(pm_as_write(as, 0x41060, 2, 1), PM_MEM_OK);
	assert_int_equal(two.n, 1);
	assert_int_equal(two.size, 1);
	assert_int_equal(d.writes, 2);
	/* reads never notify */
	uint64_t v;
	assert_int_equal(pm_as_read(as, 0x41050, &v, 4), PM_MEM_OK);
	assert_int_equal(any.n, 1);
	/* a region covering the notifier's address hides it */
	r.log[0] = 0;
	assert_int_equal(pm_mr_add_subregion(root, 0x41000, cover, 1), 0);
	assert_string_equal(r.log, "begin;del virtio 41000+1000;add cover 41000+1000;"
				   "wn_del 41050/4~0;wn_del 41060/0=2;commit;");
	assert_int_equal(pm_as_write(as, 0x41050, 3, 4), PM_MEM_OK);
	assert_int_equal(any.n, 1);
	assert_int_equal(pm_mr_del_subregion(cover), 0);
	assert_int_equal(pm_mr_del_write_notifier(mmio, 0x50, 4, false, 0, kicked, &any), 0);
	assert_int_equal(pm_mr_del_write_notifier(mmio, 0x50, 4, false, 0, kicked, &any), -ENOENT);
	assert_int_equal(pm_as_write(as, 0x41050, 3, 4), PM_MEM_OK);
	assert_int_equal(any.n, 1);
	assert_int_equal(d.writes, 3);
	pm_mem_listener_unregister(mem, &r.l);
	pm_mem_free(mem);
}

/* a flash-like device: request_exec hands back one page of its contents */
struct flash {
	struct pm_mr *mr;
	uint8_t page[4096];
	unsigned requests, freed;
	bool misalign;
};

static void exec_freed(void *opaque)
{
	((struct flash *)opaque)->freed++;
}

static struct pm_mr *flash_exec(void *opaque, uint64_t offset, uint64_t *at)
{
	struct flash *f = opaque;
	struct pm_mr *ram = pm_mr_new_ram(pm_mr_mem(f->mr), "flash.exec", 4096);

	f->requests++;
	if (!ram)
		return NULL;
	memcpy(pm_mr_ram(ram), f->page, sizeof(f->page));
	pm_mr_set_destructor(ram, exec_freed, f);
	*at = (offset & ~UINT64_C(4095)) + (f->misalign ? 8 : 0);
	return ram;
}

static uint64_t flash_read(void *opaque, uint64_t addr, unsigned size)
{
	(void)opaque;
	(void)addr;
	(void)size;
	return 0xdead;
}

static const struct pm_mr_ops flash_ops = {
	.read = flash_read, .request_exec = flash_exec,
	.valid = { .min_access_size = 1, .max_access_size = 8 },
};

struct holder {
	struct pm_as *as;
	uint64_t addr;
	volatile int stage;     /* 1: holding the section; 2: may let go */
	uint8_t seen[16];
};

static void *hold_section(void *arg)
{
	struct holder *h = arg;
	struct pm_section s;

	pm_mem_read_lock();
	pm_as_translate(h->as, h->addr, 16, &s);
	h->stage = 1;
	while (h->stage != 2)
		usleep(1000);
	/* still "executing" from the RAM the device handed back */
	memcpy(h->seen, pm_mr_ram(s.mr) + s.offset, sizeof(h->seen));
	pm_mem_read_unlock();
	return NULL;
}

static void mmio_exec_region_outlives_its_readers_after_invalidate(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", 0x10000000);
	struct flash f = { 0 };
	struct pm_as *as = pm_as_new(mem, "memory", root);
	struct pm_section s;
	struct holder h = { .as = as, .addr = 0x1000010 };
	pthread_t t;
	uint64_t v;

	(void)state;
	f.mr = pm_mr_new_mmio(mem, "flash", 0x10000, &flash_ops, &f);
	memset(f.page, 0x5a, sizeof(f.page));
	assert_int_equal(pm_mr_add_subregion(root, 0x1000000, f.mr, 0), 0);
	/* before: the device answers reads */
	assert_int_equal(pm_as_read(as, 0x1000010, &v, 2), PM_MEM_OK);
	assert_int_equal(v, 0xdead);
	/* nothing mapped, and plain RAM needs no device */
	assert_int_equal(pm_as_request_exec(as, 0x2000000, &s), -ENXIO);
	/* exec: the page becomes RAM with the device's contents */
	assert_int_equal(pm_as_request_exec(as, 0x1000010, &s), 0);
	assert_int_equal(f.requests, 1);
	assert_string_equal(pm_mr_name(s.mr), "flash.exec");
	assert_int_equal(s.offset, 0x10);
	assert_int_equal(pm_as_read(as, 0x1000010, &v, 2), PM_MEM_OK);
	assert_int_equal(v, 0x5a5a);
	/* the rest of the window is still the device */
	assert_int_equal(pm_as_read(as, 0x1001000, &v, 2), PM_MEM_OK);
	assert_int_equal(v, 0xdead);
	/* asking again while mapped: it is RAM already */
	assert_int_equal(pm_as_request_exec(as, 0x1000020, &s), 0);
	assert_int_equal(f.requests, 1);
	/* a reader holds the section across the invalidation */
	assert_int_equal(pthread_create(&t, NULL, hold_section, &h), 0);
	while (h.stage != 1)
		usleep(1000);
	assert_int_equal(pm_mr_invalidate_exec(f.mr), 1);
	assert_int_equal(pm_as_read(as, 0x1000010, &v, 2), PM_MEM_OK);
	assert_int_equal(v, 0xdead);            /* new readers see the device */
	usleep(50000);
	assert_int_equal(f.freed, 0);           /* the grace period is not over */
	h.stage = 2;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(h.seen[0], 0x5a);
	assert_int_equal(h.seen[15], 0x5a);
	/* after the reader left, a grace period frees it */
	for (int i = 0; i < 500 && !f.freed; i++)
		usleep(10000);
	assert_int_equal(f.freed, 1);
	/* a region the core cannot use is refused and freed */
	f.misalign = true;
	assert_int_equal(pm_as_request_exec(as, 0x1000010, &s), -EINVAL);
	for (int i = 0; i < 500 && f.freed < 2; i++)
		usleep(10000);
	assert_int_equal(f.freed, 2);
	pm_mem_free(mem);
}

/* with shared RAM, another mapping of a region's memfd sees what the region holds */
static void shared_ram_is_a_memfd_another_mapping_sees(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *private_ram, *shared;
	uint8_t *view;
	int fd;

	(void)state;
	assert_non_null(mem);
	private_ram = pm_mr_new_ram(mem, "private", 8192);
	pm_mem_share_ram(mem, true);
	shared = pm_mr_new_ram(mem, "shared", 8192);
	pm_mem_share_ram(mem, false);
	assert_non_null(private_ram);
	assert_non_null(shared);
	assert_int_equal(pm_mr_ram_fd(private_ram), -ENOENT);
	fd = pm_mr_ram_fd(shared);
	assert_true(fd >= 0);
	view = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(view != MAP_FAILED);
	pm_mr_ram(shared)[4096 + 7] = 0x5a;
	assert_int_equal(view[4096 + 7], 0x5a);
	munmap(view, 8192);
	pm_mem_free(mem);
}

static void readonly_and_rom_drop_writes_but_not_reads(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", 0x100000);
	struct pm_mr *ram = pm_mr_new_ram(mem, "ram", 0x1000);
	struct pm_mr *rom = pm_mr_new_rom(mem, "rom", 0x1000);
	struct pm_mr *win = pm_mr_new_container(mem, "win", 0x1000);
	struct pm_mr *inner = pm_mr_new_ram(mem, "inner", 0x1000);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	uint64_t v;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(root, 0, ram, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x1000, rom, 0), 0);
	assert_int_equal(pm_mr_add_subregion(win, 0, inner, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x2000, win, 0), 0);
	pm_mr_ram(rom)[0] = 0x42;
	assert_int_equal(pm_as_write(as, 0x1000, 0x99, 1), PM_MEM_OK);
	assert_int_equal(pm_as_read(as, 0x1000, &v, 1), PM_MEM_OK);
	assert_int_equal(v, 0x42);
	assert_int_equal(pm_as_write(as, 0, 0x11, 1), PM_MEM_OK);
	assert_int_equal(pm_mr_set_readonly(ram, true), 0);
	assert_int_equal(pm_as_write(as, 0, 0x22, 1), PM_MEM_OK);
	assert_int_equal(pm_as_read(as, 0, &v, 1), PM_MEM_OK);
	assert_int_equal(v, 0x11);
	/* a readonly container makes what it shows readonly */
	assert_int_equal(pm_mr_set_readonly(win, true), 0);
	assert_int_equal(pm_as_write(as, 0x2000, 0x33, 1), PM_MEM_OK);
	assert_int_equal(pm_mr_ram(inner)[0], 0);
	assert_int_equal(pm_mr_set_readonly(win, false), 0);
	assert_int_equal(pm_as_write(as, 0x2000, 0x33, 1), PM_MEM_OK);
	assert_int_equal(pm_mr_ram(inner)[0], 0x33);
	pm_mem_free(mem);
}

static void disabled_container_hides_its_subregions_and_move_follows(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", 0x100000);
	struct pm_mr *bus = pm_mr_new_container(mem, "bus", 0x10000);
	struct dev d = { 0 };
	struct pm_mr *mmio = pm_mr_new_mmio(mem, "dev", 0x100, &dev_ops, &d);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	uint64_t v;

	(void)state;
	assert_int_equal(pm_mr_add_subregion(bus, 0x100, mmio, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x10000, bus, 0), 0);
	assert_int_equal(pm_as_read(as, 0x10100, &v, 4), PM_MEM_OK);
	assert_int_equal(pm_mr_set_enabled(bus, false), 0);
	assert_int_equal(pm_as_read(as, 0x10100, &v, 4), PM_MEM_UNASSIGNED);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(pm_mr_set_enabled(bus, true), 0);
	/* moving the container moves the device with it */
	assert_int_equal(pm_mr_set_address(bus, 0x30000), 0);
	assert_int_equal(pm_as_read(as, 0x10100, &v, 4), PM_MEM_UNASSIGNED);
	d.log[0] = 0;
	assert_int_equal(pm_as_read(as, 0x30104, &v, 4), PM_MEM_OK);
	assert_string_equal(d.log, "r4@4;");
	pm_mem_free(mem);
}

/*
 * RCU: a fixed RAM region of 0xaa bytes at [0, 64K) under a moving RAM
 * region of 0x55 bytes (higher priority) and an alias of it that changes
 * its window. A reader may see 0xaa or 0x55 anywhere in [0, 64K) and never
 * anything else; above 64K only 0x55 or unassigned (all ones).
 */
struct stress {
	struct pm_as *as;
	volatile int stop;
	unsigned long reads, bad;
	unsigned seed;
};

static void *stress_reader(void *arg)
{
	struct stress *st = arg;
	unsigned seed = st->seed;

	while (!st->stop) {
		uint64_t addr = (uint64_t)(rand_r(&seed) % (128 * 1024)) & ~UINT64_C(7);
		uint64_t v;
		int rc = pm_as_read(st->as, addr, &v, 8);

		st->reads++;
		if (addr < 64 * 1024) {
			for (int i = 0; i < 8; i++) {
				uint8_t b = (uint8_t)(v >> (8 * i));

				if (rc != PM_MEM_OK || (b != 0xaa && b != 0x55))
					st->bad++;
			}
		} else if (!(rc == PM_MEM_OK && v == UINT64_C(0x5555555555555555)) &&
			   !(rc == PM_MEM_UNASSIGNED && v == UINT64_MAX)) {
			/* an 8-byte read may straddle the moving region's edge */
			for (int i = 0; i < 8; i++) {
				uint8_t b = (uint8_t)(v >> (8 * i));

				if (b != 0x55 && b != 0xff)
					st->bad++;
			}
		}
	}
	return NULL;
}

static void readers_dispatch_while_a_writer_commits_thousands_of_changes(void **state)
{
	struct pm_mem *mem = pm_mem_new();
	struct pm_mr *root = pm_mr_new_container(mem, "root", PM_MR_SIZE_2_64);
	struct pm_mr *base = pm_mr_new_ram(mem, "base", 64 * 1024);
	struct pm_mr *mover = pm_mr_new_ram(mem, "mover", 16 * 1024);
	struct pm_mr *alias = pm_mr_new_alias(mem, "window", 4096, mover, 0);
	struct pm_as *as = pm_as_new(mem, "memory", root);
	struct stress st[2] = { { .as = as, .seed = 1 }, { .as = as, .seed = 2 } };
	pthread_t t[2];
	unsigned seed = 3;

	(void)state;
	memset(pm_mr_ram(base), 0xaa, 64 * 1024);
	memset(pm_mr_ram(mover), 0x55, 16 * 1024);
	assert_int_equal(pm_mr_add_subregion(root, 0, base, 0), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0, mover, 1), 0);
	assert_int_equal(pm_mr_add_subregion(root, 0x10000, alias, 2), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, stress_reader, &st[i]), 0);
	for (int i = 0; i < 5000; i++) {
		switch (rand_r(&seed) % 5) {
		case 0:
			pm_mr_set_address(mover, (uint64_t)(rand_r(&seed) % 32) * 4096 + (rand_r(&seed) % 2) * 256);
			break;
		case 1:
			pm_mr_set_enabled(mover, rand_r(&seed) % 2);
			break;
		case 2:
			pm_mr_set_alias_offset(alias, (uint64_t)(rand_r(&seed) % 3) * 4096);
			break;
		case 3:
			pm_mr_set_address(alias, 0x10000 + (uint64_t)(rand_r(&seed) % 16) * 4096);
			break;
		default:
			pm_mem_begin(mem);
			pm_mr_del_subregion(alias);
			pm_mr_add_subregion(root, 0x10000 + (uint64_t)(rand_r(&seed) % 8) * 512, alias, 2);
			assert_int_equal(pm_mem_commit(mem), 0);
		}
	}
	st[0].stop = st[1].stop = 1;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_true(st[0].reads > 0 && st[1].reads > 0);
	assert_int_equal(st[0].bad + st[1].bad, 0);
	pm_mem_free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listener_sees_adds_dels_and_nops_of_each_commit),
		cmocka_unit_test(listeners_run_by_priority_adds_ascending_dels_descending),
		cmocka_unit_test(dirty_log_records_written_pages_until_collected),
		cmocka_unit_test(coalesced_writes_wait_until_a_read_or_flush),
		cmocka_unit_test(write_notifiers_fire_instead_of_the_device),
		cmocka_unit_test(mmio_exec_region_outlives_its_readers_after_invalidate),
		cmocka_unit_test(shared_ram_is_a_memfd_another_mapping_sees),
		cmocka_unit_test(readonly_and_rom_drop_writes_but_not_reads),
		cmocka_unit_test(disabled_container_hides_its_subregions_and_move_follows),
		cmocka_unit_test(readers_dispatch_while_a_writer_commits_thousands_of_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
