/*
 * device-ops.c - calling a device's ops: an access of the size the guest
 * made, fitted to the sizes the device takes (split or widened), and the
 * queue of coalesced writes that wait for it (what becomes Xen's buffered
 * ioreq ring), flushed in order before any other access of a device, on
 * commit and on demand. Calls nothing of the memory API above it.
 */
#include <pthread.h>
#include <string.h>

#include "memory-internal.h"

/*
 * One device access of @size bytes at @offset, bytes in guest (little-endian)
 * order in @buf. Checks the valid sizes, then fits the impl sizes: split
 * into several smaller accesses, or widened to one aligned larger access.
 */
int pm__mmio_access(struct pm_mr *mr, uint64_t offset, uint8_t *buf, unsigned size, bool write)
{
	const struct pm_mr_ops *ops = mr->ops;
	unsigned vmin = ops->valid.min_access_size ? ops->valid.min_access_size : 1;
	unsigned vmax = ops->valid.max_access_size ? ops->valid.max_access_size : 4;
	unsigned imin = ops->impl.min_access_size ? ops->impl.min_access_size : vmin;
	unsigned imax = ops->impl.max_access_size ? ops->impl.max_access_size : vmax;
	bool big = ops->endianness == PM_ENDIAN_BIG;
	unsigned step;

	if (size < vmin || size > vmax || (!ops->valid.unaligned && offset % size))
		return PM_MEM_DECODE_ERROR;
	step = size < imin ? imin : size > imax ? imax : size;
	if (step > size) {
		/* widen: one aligned access that contains this one */
		uint64_t base = offset & ~(uint64_t)(step - 1);
		unsigned shift = (unsigned)(offset - base);
		uint8_t wide[8] = { 0 };

		if (shift + size > step)
			return PM_MEM_DECODE_ERROR;
		if (write) {
			memcpy(wide + (big ? step - shift - size : shift), buf, size);
			if (ops->write)
				ops->write(mr->opaque, base, pm__bytes_load(wide, step, big), step);
		} else {
			pm__bytes_store(wide, step, ops->read ? ops->read(mr->opaque, base, step) : 0, big);
			memcpy(buf, wide + (big ? step - shift - size : shift), size);
		}
		return PM_MEM_OK;
	}
	for (unsigned i = 0; i < size; i += step) {
		unsigned at = big ? size - step - i : i;

		if (write) {
			if (ops->write)
				ops->write(mr->opaque, offset + i, pm__bytes_load(buf + at, step, big), step);
		} else {
			pm__bytes_store(buf + at, step, ops->read ? ops->read(mr->opaque, offset + i, step) : 0, big);
		}
	}
	return PM_MEM_OK;
}

/*
 * The queue is a ring (head, nr_queued). Device ops run with the lock held,
 * so a region cannot be forgotten (and freed) under a flush; the lock is
 * recursive so that a device that writes to a coalesced range from its own
 * op does not deadlock.
 */

long pm_mem_flush_coalesced(struct pm_mem *mem)
{
	long n = 0;

	pthread_mutex_lock(&mem->qlock);
	while (mem->nr_queued) {
		struct pm_qw w = mem->queue[mem->qhead];
		uint8_t b[8];

		mem->qhead = (mem->qhead + 1) % PM_QUEUE_MAX;
		__atomic_store_n(&mem->nr_queued, mem->nr_queued - 1, __ATOMIC_RELEASE);
		pm__bytes_store(b, w.size, w.val, false);
		pm__mmio_access(w.mr, w.offset, b, w.size, true);
		n++;
	}
	pthread_mutex_unlock(&mem->qlock);
	return n;
}

void pm__queue_write(struct pm_mem *mem, struct pm_mr *mr, uint64_t offset, uint64_t val, unsigned size)
{
	pthread_mutex_lock(&mem->qlock);
	if (mem->nr_queued == PM_QUEUE_MAX)
		pm_mem_flush_coalesced(mem);
	mem->queue[(mem->qhead + mem->nr_queued) % PM_QUEUE_MAX] = (struct pm_qw){
		.mr = mr, .offset = offset, .val = val, .size = size,
	};
	__atomic_store_n(&mem->nr_queued, mem->nr_queued + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mem->qlock);
}

void pm__queue_forget(struct pm_mem *mem, const struct pm_mr *mr)
{
	size_t keep = 0;

	pthread_mutex_lock(&mem->qlock);
	for (size_t i = 0; i < mem->nr_queued; i++) {
		struct pm_qw w = mem->queue[(mem->qhead + i) % PM_QUEUE_MAX];

		if (w.mr != mr)
			mem->queue[(mem->qhead + keep++) % PM_QUEUE_MAX] = w;
	}
	__atomic_store_n(&mem->nr_queued, keep, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mem->qlock);
}
