/*
 * test-p2m-concurrency.c - lock-free readers against one writer
 *
 * The writer only ever gives pfn p one of four values: missing, identity,
 * p + A (RAM) or (p + B) | foreign. Readers look up random pfns and walk
 * runs while the writer sets, splits, clears and merges leaves and mids;
 * any other value is a torn entry or a read of a recycled page. Twice: on
 * an allocator that poisons freed pages (and, under ASan, any read of one
 * is a use-after-free report), whose lookups take a read section; and on
 * the default allocator, whose lookups read without one and must notice
 * every page that left the tree and was written again. Built twice: with
 * the build's sanitizers and with ThreadSanitizer.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>
#include <urcu/urcu-bp.h>

/*
 * Lookups stall now and then between their loads, so that the writer can
 * take pages out of the tree and write them again under a lookup that
 * read them: what the generation must catch.
 */
void lookup_stall(void);
#define PM__P2M_LOOKUP_STALL() lookup_stall()
#include "physmap/p2m.h"
#include "p2m-internal.h"
#include "p2m-testlib.h"

#define LEAF    UINT64_C(512)
#define MID     (UINT64_C(1) << 18)
#define MAX_PFN (4 * MID)
#define OFF_A   UINT64_C(0x100000000)
#define OFF_B   UINT64_C(0x200000000)
#define READERS 3

struct shared {
	struct pm_p2m *p2m;
	int stop;
	long bad;                  /* values no writer wrote */
	long reads;
	uint64_t bad_pfn, bad_value;
};

/* armed: at its Nth stall, the lookup's thread plays the writer */
static struct pm_p2m *stall_tree;
static int stall_at, stall_n;

static void write_under_the_lookup(void);

void lookup_stall(void)
{
	static __thread unsigned n;

	if (stall_at) {
		if (++stall_n == stall_at) {
			stall_at = 0;
			write_under_the_lookup();
		}
		return;
	}
	if (++n % 8 == 0)
		usleep(20);
}

static int allowed(uint64_t pfn, uint64_t v)
{
	return v == PM_P2M_INVALID || v == (pfn | PM_P2M_IDENTITY_BIT) ||
	       v == pfn + OFF_A || v == ((pfn + OFF_B) | PM_P2M_FOREIGN_BIT);
}

static void report(struct shared *sh, uint64_t pfn, uint64_t v)
{
	if (__atomic_add_fetch(&sh->bad, 1, __ATOMIC_RELAXED) == 1) {
		sh->bad_pfn = pfn;
		sh->bad_value = v;
	}
}

static void *reader(void *arg)
{
	struct shared *sh = arg;
	uint64_t rng = (uint64_t)(uintptr_t)&rng | 1;
	long reads = 0;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		uint64_t p = rng_below(&rng, MAX_PFN);

		if (reads % 64 == 63) {
			struct pm_p2m_run r;

			/* a run's implied values must each be allowed */
			if (pm_p2m_next_run(sh->p2m, p, &r) == 0) {
				uint64_t v = r.kind == PM_P2M_RAM ? r.mfn :
					     r.kind == PM_P2M_FOREIGN ? r.mfn | PM_P2M_FOREIGN_BIT :
					     r.kind == PM_P2M_IDENTITY ? p | PM_P2M_IDENTITY_BIT :
					     PM_P2M_INVALID;
				if (!allowed(p, v) || r.end <= r.start)
					report(sh, p, v);
			}
		} else {
			uint64_t v = pm_p2m_lookup(sh->p2m, p);

			if (!allowed(p, v))
				report(sh, p, v);
		}
		reads++;
	}
	__atomic_add_fetch(&sh->reads, reads, __ATOMIC_RELAXED);
	return NULL;
}

static void *poisoning_alloc(void *opaque)
{
	return counting_alloc_page(opaque);
}

static void poisoning_free(void *opaque, void *page)
{
	memset(page, 0x5a, PM_P2M_PAGE_SIZE);
	counting_free_page(opaque, page);
}

/* Readers against one writer on a tree of @a (NULL: the default). */
static void hammer(const struct pm_p2m_allocator *a)
{
	struct shared sh = { 0 };
	pthread_t readers[READERS];
	const char *env = getenv("P2M_WRITES");
#if defined(__SANITIZE_THREAD__)
	long writes = env ? atol(env) : 4000;   /* TSan runs ~15x slower */
#else
	long writes = env ? atol(env) : 20000;
#endif
	uint64_t rng = 0xc0ffee;
	struct pm_p2m_stats kept, counted;
	uint64_t bad_pages;

	assert_int_equal(pm_p2m_create(MAX_PFN, a, &sh.p2m), 0);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, reader, &sh), 0);

	for (long i = 0; i < writes; i++) {
		uint64_t s = rng_below(&rng, MAX_PFN);
		uint64_t len = rng_below(&rng, 4) == 0 ? rng_below(&rng, 2 * MID) :
			       rng_below(&rng, 4 * LEAF);
		uint64_t e = s + len > MAX_PFN ? MAX_PFN : s + len;
		int rc = 0;

		/* align some ranges so whole leaves and mids change */
		if (rng_below(&rng, 3) == 0) {
			s &= ~(LEAF - 1);
			e = (e + LEAF - 1) & ~(LEAF - 1);
			e = e > MAX_PFN ? MAX_PFN : e;
		}
		switch (rng_below(&rng, 5)) {
		case 0: rc = pm_p2m_set_range(sh.p2m, s, s + OFF_A, e - s); break;
		case 1: rc = pm_p2m_set_range(sh.p2m, s, (s + OFF_B) | PM_P2M_FOREIGN_BIT, e - s); break;
		case 2: rc = pm_p2m_clear_range(sh.p2m, s, e); break;
		case 3: rc = pm_p2m_set_identity(sh.p2m, s, e) < 0; break;
		case 4: rc = pm_p2m_set(sh.p2m, s, rng_below(&rng, 2) ? PM_P2M_INVALID :
					s | PM_P2M_IDENTITY_BIT); break;
		}
		assert_int_equal(rc, 0);
	}
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < READERS; i++)
		pthread_join(readers[i], NULL);

	if (sh.bad)
		fail_msg("%ld bad reads, first pfn 0x%" PRIx64 " = 0x%" PRIx64,
			 sh.bad, sh.bad_pfn, sh.bad_value);
	/* pages left the tree and were written again while lookups ran */
	if (!a)
		assert_true(((const struct pm__p2m_front *)(const void *)sh.p2m)->recycled > 100);
	print_message("# %ld writes, %ld concurrent reads\n", writes, sh.reads);
	assert_true(sh.reads > 0);
	pm_p2m_stats(sh.p2m, &kept);
	pm__p2m_recount(sh.p2m, &counted, &bad_pages);
	assert_memory_equal(&kept, &counted, sizeof(kept));
	assert_int_equal(bad_pages, 0);
	pm_p2m_free(sh.p2m);
}

static void p2m_readers_see_only_old_or_new_values(void **state)
{
	struct counting_alloc c = { 0 };
	struct pm_p2m_allocator a = {
		.alloc_page = poisoning_alloc,
		.free_page = poisoning_free,
		.opaque = &c,
	};

	(void)state;
	hammer(&a);
	assert_int_equal(__atomic_load_n(&c.live, __ATOMIC_RELAXED), 0);
}

static void p2m_lookups_without_read_section_see_only_old_or_new_values(void **state)
{
	(void)state;
	hammer(NULL);
}

/*
 * The writer, while a lookup holds the mid (first stall) or the leaf
 * (second) it read: GiB 0 leaves the tree, its grace period passes (the
 * lookup is in no read section), and GiB 1 is populated from the very
 * pages GiB 0 gave back (the mid from the spare list, the leaves from the
 * pool, both last in first out).
 */
static void write_under_the_lookup(void)
{
	assert_int_equal(pm_p2m_clear_range(stall_tree, 0, MID), 0);
	urcu_bp_barrier();
	assert_int_equal(pm_p2m_set_range(stall_tree, MID, MID + OFF_B, MID), 0);
}

static __attribute__((unused)) void
p2m_lookup_retries_when_pages_it_read_were_written_again(void **state)
{
	(void)state;
	for (int at = 1; at <= 2; at++) {
		uint64_t v;

		assert_int_equal(pm_p2m_create(2 * MID, NULL, &stall_tree), 0);
		assert_int_equal(pm_p2m_set_range(stall_tree, 0, OFF_A, MID), 0);
		stall_n = 0;
		stall_at = at;
		v = pm_p2m_lookup(stall_tree, 5 * LEAF + 7);
		assert_int_equal(stall_at, 0);   /* the write did run under it */
		/* before the clear or after it: never GiB 1's entry it now holds */
		if (v != PM_P2M_INVALID && v != 5 * LEAF + 7 + OFF_A)
			fail_msg("stall %d: 0x%" PRIx64, at, v);
		assert_int_equal(pm_p2m_lookup(stall_tree, MID + 5 * LEAF + 7),
				 MID + 5 * LEAF + 7 + OFF_B);
		pm_p2m_free(stall_tree);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p2m_readers_see_only_old_or_new_values),
		cmocka_unit_test(p2m_lookups_without_read_section_see_only_old_or_new_values),
#if !defined(__SANITIZE_THREAD__)   /* its lookups never read without a read section */
		cmocka_unit_test(p2m_lookup_retries_when_pages_it_read_were_written_again),
#endif
	};

	return cmocka_run_group_tests_name("p2m-concurrency", tests, NULL, NULL);
}
