/*
 * p2m-internal.h - what the rest of libphysmap and the tests may use of the
 * P2M beyond its public header.
 */
#ifndef PHYSMAP_P2M_INTERNAL_H
#define PHYSMAP_P2M_INTERNAL_H

#include "physmap/p2m.h"

/**
 * pm__p2m_recount - recompute the statistics by walking the whole tree
 * @bad_pages: receives the number of real pages that break the invariants
 *     (a real leaf wholly missing or identity, a real mid pointing only at
 *     one leaf sentinel); 0 in a healthy tree
 * For tests: the result must equal pm_p2m_stats().
 * returns: 0 (cannot fail)
 */
int pm__p2m_recount(const struct pm_p2m *p2m, struct pm_p2m_stats *stats,
		    uint64_t *bad_pages);

/**
 * pm__p2m_reserve - set aside @pages pages for the writes that follow
 * While pages are reserved, write operations draw on them before they
 * allocate, so a caller that reserved an upper bound for a sequence of
 * writes can run it without an allocation failure half way.
 * pm__p2m_unreserve() frees what is left.
 * returns:
 *   0, on success
 *   -ENOMEM, if the pages could not be allocated (none are kept)
 */
int pm__p2m_reserve(struct pm_p2m *p2m, size_t pages);
void pm__p2m_unreserve(struct pm_p2m *p2m);

#endif /* PHYSMAP_P2M_INTERNAL_H */
