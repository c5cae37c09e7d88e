/*
 * test-p2m-concurrency.c - lock-free readers against one writer
 *
 * The writer only ever gives pfn p one of four values: missing, identity,
 * p + A (RAM) or (p + B) | foreign. Readers look up random pfns and walk
 * runs while the writer sets, splits, clears and merges leaves and mids;
 * any other value is a torn entry or a read of a recycled page. Freed pages
 * are poisoned by the allocator (and, under ASan, any read of one is a
 * use-after-free report). Built twice: with the build's sanitizers and with
 * ThreadSanitizer.
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

static void p2m_readers_see_only_old_or_new_values(void **state)
{
	struct counting_alloc c = { 0 };
	struct pm_p2m_allocator a = {
		.alloc_page = poisoning_alloc,
		.free_page = poisoning_free,
		.opaque = &c,
	};
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

	(void)state;
	assert_int_equal(pm_p2m_create(MAX_PFN, &a, &sh.p2m), 0);
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
	print_message("# %ld writes, %ld concurrent reads\n", writes, sh.reads);
	assert_true(sh.reads > 0);
	pm_p2m_stats(sh.p2m, &kept);
	pm__p2m_recount(sh.p2m, &counted, &bad_pages);
	assert_memory_equal(&kept, &counted, sizeof(kept));
	assert_int_equal(bad_pages, 0);
	pm_p2m_free(sh.p2m);
	assert_int_equal(__atomic_load_n(&c.live, __ATOMIC_RELAXED), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(p2m_readers_see_only_old_or_new_values),
	};

	return cmocka_run_group_tests_name("p2m-concurrency", tests, NULL, NULL);
}
