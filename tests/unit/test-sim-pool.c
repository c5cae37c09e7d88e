/*
 * test-sim-pool.c - the simulator's frame pool: whole extents when one
 * fits, largest first when none does, merging on free, refusals that
 * change nothing, and host memory given back by hole punching
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pool.h"

static void alloc_one(struct sim_pool *p, uint64_t count, uint64_t want_start)
{
	struct sim_extent *r;

	assert_int_equal(sim_pool_alloc(p, count, &r), 1);
	assert_int_equal(r[0].start, want_start);
	assert_int_equal(r[0].end - r[0].start, count);
	free(r);
}

static void a_request_that_fits_an_extent_takes_the_smallest_such(void **state)
{
	struct sim_pool p;

	assert_int_equal(sim_pool_init(&p, 1000), 0);
	alloc_one(&p, 1000, 0);
	/* free extents [100, 110) and [500, 600): 8 frames come from the small one */
	assert_int_equal(sim_pool_free(&p, 500, 100), 0);
	assert_int_equal(sim_pool_free(&p, 100, 10), 0);
	alloc_one(&p, 8, 100);
	assert_int_equal(p.free, 102);
	sim_pool_dispose(&p);
}

static void a_request_no_extent_holds_takes_the_largest_first(void **state)
{
	struct sim_pool p;
	struct sim_extent *r;

	assert_int_equal(sim_pool_init(&p, 1000), 0);
	alloc_one(&p, 1000, 0);
	assert_int_equal(sim_pool_free(&p, 0, 10), 0);
	assert_int_equal(sim_pool_free(&p, 200, 50), 0);
	assert_int_equal(sim_pool_free(&p, 900, 20), 0);
	assert_int_equal(sim_pool_alloc(&p, 75, &r), 3);
	assert_int_equal(r[0].start, 200);
	assert_int_equal(r[0].end, 250);
	assert_int_equal(r[1].start, 900);
	assert_int_equal(r[1].end, 920);
	assert_int_equal(r[2].start, 0);
	assert_int_equal(r[2].end, 5);
	free(r);
	assert_int_equal(p.free, 5);
	sim_pool_dispose(&p);
}

static void too_large_a_request_takes_nothing(void **state)
{
	struct sim_pool p;
	struct sim_extent *r;

	assert_int_equal(sim_pool_init(&p, 100), 0);
	assert_int_equal(sim_pool_alloc(&p, 101, &r), -ENOMEM);
	assert_null(r);
	assert_int_equal(p.free, 100);
	assert_int_equal(p.n, 1);
	sim_pool_dispose(&p);
}

static void freeing_merges_neighbours_and_refuses_double_frees(void **state)
{
	struct sim_pool p;

	assert_int_equal(sim_pool_init(&p, 300), 0);
	alloc_one(&p, 300, 0);
	assert_int_equal(sim_pool_free(&p, 0, 100), 0);
	assert_int_equal(sim_pool_free(&p, 200, 100), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(sim_pool_free(&p, 50, 10), -EINVAL);     /* free already */
	assert_int_equal(sim_pool_free(&p, 290, 20), -EINVAL);    /* beyond the pool */
	assert_int_equal(sim_pool_free(&p, 100, 100), 0);         /* joins both */
	assert_int_equal(p.n, 1);
	assert_int_equal(p.ext[0].start, 0);
	assert_int_equal(p.ext[0].end, 300);
	assert_int_equal(p.free, 300);
	sim_pool_dispose(&p);
}

static void freed_frames_give_host_memory_back(void **state)
{
	struct sim_pool p;
	struct stat st;
	char *m;

	assert_int_equal(sim_pool_init(&p, 256), 0);
	alloc_one(&p, 256, 0);
	m = mmap(NULL, 256 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, p.fd, 0);
	assert_true(m != MAP_FAILED);
	memset(m, 0xaa, 256 * 4096);
	assert_int_equal(fstat(p.fd, &st), 0);
	assert_true(st.st_blocks * 512 >= 256 * 4096);
	assert_int_equal(sim_pool_free(&p, 0, 256), 0);
	assert_int_equal(fstat(p.fd, &st), 0);
	assert_int_equal(st.st_blocks, 0);
	assert_int_equal(m[4096 * 17], 0);      /* and what the frames held is gone */
	munmap(m, 256 * 4096);
	sim_pool_dispose(&p);
}

static void freeing_every_other_frame_never_fails(void **state)
{
	struct sim_pool p;
	struct sim_extent *r;

	(void)state;
	assert_int_equal(sim_pool_init(&p, 1001), 0);
	assert_int_equal(sim_pool_alloc(&p, 1001, &r), 1);
	free(r);
	for (uint64_t m = 0; m < 1001; m += 2)
		assert_int_equal(sim_pool_free(&p, m, 1), 0);
	assert_int_equal(p.n, 501);     /* the most there can be, no memory asked for */
	assert_int_equal(p.free, 501);
	for (uint64_t m = 1; m < 1001; m += 2)
		assert_int_equal(sim_pool_free(&p, m, 1), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.free, 1001);
	sim_pool_dispose(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_request_that_fits_an_extent_takes_the_smallest_such),
		cmocka_unit_test(a_request_no_extent_holds_takes_the_largest_first),
		cmocka_unit_test(too_large_a_request_takes_nothing),
		cmocka_unit_test(freeing_merges_neighbours_and_refuses_double_frees),
		cmocka_unit_test(freed_frames_give_host_memory_back),
		cmocka_unit_test(freeing_every_other_frame_never_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
