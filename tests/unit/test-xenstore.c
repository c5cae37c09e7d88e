/*
 * test-xenstore.c - the simulator's store through Xen's own libxenstore
 * (dom0 on the main socket, unprivileged domains on their domain sockets)
 * and through guest rings: transactions, watches, permissions, quotas,
 * and guests that break the ring protocol
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <xenstore.h>

#include "xs.h"

#define NR_RINGS 4

struct fixture {
	struct pm_xs *xs;
	pthread_t thread;
	int stop[2];
	char dir[64];
	char sock[96];
	struct xs_handle *h;          /* dom0 */
	struct xenstore_domain_interface *ring[NR_RINGS];   /* by mfn */
	unsigned int notified;
};

static struct xenstore_domain_interface *map_ring(void *opaque, unsigned int domid,
						  uint64_t mfn, unsigned int evtchn)
{
	struct fixture *f = opaque;

	if (mfn >= NR_RINGS) {
		errno = EINVAL;
		return NULL;
	}
	return f->ring[mfn];
}

static void notify(void *opaque, unsigned int domid, unsigned int evtchn)
{
	struct fixture *f = opaque;

	__atomic_add_fetch(&f->notified, 1, __ATOMIC_SEQ_CST);
}

static void *run(void *arg)
{
	struct fixture *f = arg;

	pm_xs_run(f->xs, f->stop[0]);
	return NULL;
}

static const struct pm_xs_ring_ops ring_ops = { .map_ring = map_ring, .notify = notify };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/pm-xs-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/socket", f->dir);
	/* ring 0 stays idle: domains introduced without a guest behind them share it */
	for (int i = 0; i < NR_RINGS; i++)
		f->ring[i] = calloc(1, 4096);
	assert_int_equal(pm_xs_new(&ring_ops, f, &f->xs), 0);
	assert_int_equal(pm_xs_listen(f->xs, f->sock), 0);
	assert_int_equal(pm_xs_set_domain_socket_dir(f->xs, f->dir), 0);
	assert_int_equal(pipe(f->stop), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, run, f), 0);
	setenv("XENSTORED_PATH", f->sock, 1);
	f->h = xs_open(XS_OPEN_SOCKETONLY);
	assert_non_null(f->h);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	xs_close(f->h);
	assert_int_equal(write(f->stop[1], "x", 1), 1);
	pthread_join(f->thread, NULL);
	assert_int_equal(pm_xs_check(f->xs), 0);
	pm_xs_free(f->xs);
	close(f->stop[0]);
	close(f->stop[1]);
	for (int i = 0; i < NR_RINGS; i++)
		free(f->ring[i]);
	assert_int_equal(rmdir(f->dir), 0);   /* every socket file is gone */
	free(f);
	return 0;
}

/* ---- helpers ----------------------------------------------------------------- */

static void put(struct xs_handle *h, xs_transaction_t t, const char *path, const char *v)
{
	if (!xs_write(h, t, path, v, (unsigned int)strlen(v)))
		fail_msg("write %s: %s", path, strerror(errno));
}

/* the value, or "<ENOENT>"-style text for an error; caller frees */
static char *get(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	unsigned int len;
	char *v = xs_read(h, t, path, &len), *e;

	if (v)
		return v;
	if (asprintf(&e, "<%s>", errno == ENOENT ? "ENOENT" : errno == EACCES ? "EACCES" :
				  strerror(errno)) < 0)
		return NULL;
	return e;
}

#define assert_value(h, t, path, want) do {             \
	char *v_ = get(h, t, path);                     \
	assert_string_equal(v_, want);                  \
	free(v_);                                       \
} while (0)

static void introduce(struct fixture *f, unsigned int domid, unsigned long mfn)
{
	char home[32];
	struct xs_permissions p = { .id = domid, .perms = XS_PERM_NONE };

	snprintf(home, sizeof(home), "/local/domain/%u", domid);
	if (!xs_mkdir(f->h, XBT_NULL, home) || !xs_set_permissions(f->h, XBT_NULL, home, &p, 1))
		fail_msg("home of dom%u: %s", domid, strerror(errno));
	if (!xs_introduce_domain(f->h, domid, mfn, 1))
		fail_msg("introduce dom%u: %s", domid, strerror(errno));
}

/* the owner in path's permission list, as dom0 reads it */
static unsigned int owner_of(struct fixture *f, const char *path)
{
	struct xs_permissions *p;
	unsigned int n, owner;

	p = xs_get_permissions(f->h, XBT_NULL, path, &n);
	if (!p)
		fail_msg("permissions of %s: %s", path, strerror(errno));
	owner = p[0].id;
	free(p);
	return owner;
}

/* a libxenstore handle that is domain domid (through its domain socket) */
static struct xs_handle *open_as(struct fixture *f, unsigned int domid)
{
	char path[128];
	struct xs_handle *h;

	snprintf(path, sizeof(path), "%s/domain-%u", f->dir, domid);
	setenv("XENSTORED_PATH", path, 1);
	h = xs_open(XS_OPEN_SOCKETONLY);
	setenv("XENSTORED_PATH", f->sock, 1);
	assert_non_null(h);
	return h;
}

/* the next watch event as "path token", or "none" after timeout_ms */
static char *next_event(struct xs_handle *h, int timeout_ms)
{
	struct pollfd p = { .fd = xs_fileno(h), .events = POLLIN };
	unsigned int n;
	char **ev, *s;

	for (int waited = 0;; waited += 10) {
		ev = xs_check_watch(h);
		if (ev)
			break;
		if (waited >= timeout_ms)
			return strdup("none");
		poll(&p, 1, 10);
	}
	(void)n;
	if (asprintf(&s, "%s %s", ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]) < 0)
		s = NULL;
	free(ev);
	return s;
}

#define assert_event(h, want) do {                      \
	char *e_ = next_event(h, 2000);                 \
	assert_string_equal(e_, want);                  \
	free(e_);                                       \
} while (0)
#define assert_no_event(h) do {                         \
	char *e_ = next_event(h, 100);                  \
	assert_string_equal(e_, "none");                \
	free(e_);                                       \
} while (0)

/* ---- transactions --------------------------------------------------------------- */

static void tx_conflict_is_eagain_and_applies_nothing(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *other = xs_open(XS_OPEN_SOCKETONLY);
	xs_transaction_t t;

	put(f->h, XBT_NULL, "/t/a", "0");
	t = xs_transaction_start(f->h);
	assert_int_not_equal(t, XBT_NULL);
	assert_value(f->h, t, "/t/a", "0");
	put(f->h, t, "/t/a", "1");
	put(f->h, t, "/t/b", "1");
	put(other, XBT_NULL, "/t/a", "other");
	assert_false(xs_transaction_end(f->h, t, false));
	assert_int_equal(errno, EAGAIN);
	assert_value(f->h, XBT_NULL, "/t/a", "other");
	assert_value(f->h, XBT_NULL, "/t/b", "<ENOENT>");
	xs_close(other);
}

static void tx_sees_its_snapshot_and_its_own_writes(void **state)
{
	struct fixture *f = *state;
	xs_transaction_t t;

	put(f->h, XBT_NULL, "/s/x", "before");
	t = xs_transaction_start(f->h);
	assert_value(f->h, t, "/s/x", "before");
	put(f->h, XBT_NULL, "/s/x", "outside");
	assert_value(f->h, t, "/s/x", "before");
	put(f->h, t, "/s/y", "mine");
	assert_value(f->h, t, "/s/y", "mine");
	assert_value(f->h, XBT_NULL, "/s/y", "<ENOENT>");
	assert_true(xs_transaction_end(f->h, t, true));
}

static void tx_on_disjoint_nodes_both_commit(void **state)
{
	struct fixture *f = *state;
	xs_transaction_t t1, t2;

	put(f->h, XBT_NULL, "/d/one/v", "0");
	put(f->h, XBT_NULL, "/d/two/v", "0");
	t1 = xs_transaction_start(f->h);
	t2 = xs_transaction_start(f->h);
	assert_int_not_equal(t1, t2);
	put(f->h, t1, "/d/one/v", "1");
	put(f->h, t2, "/d/two/v", "2");
	assert_true(xs_transaction_end(f->h, t1, false));
	assert_true(xs_transaction_end(f->h, t2, false));
	assert_value(f->h, XBT_NULL, "/d/one/v", "1");
	assert_value(f->h, XBT_NULL, "/d/two/v", "2");
}

static void tx_creating_a_sibling_conflicts_with_a_directory_reader(void **state)
{
	struct fixture *f = *state;
	unsigned int n;
	char **dir;
	xs_transaction_t t;

	put(f->h, XBT_NULL, "/dir/a", "");
	t = xs_transaction_start(f->h);
	dir = xs_directory(f->h, t, "/dir", &n);
	assert_int_equal(n, 1);
	free(dir);
	put(f->h, t, "/dir-count", "1");
	put(f->h, XBT_NULL, "/dir/b", "");
	assert_false(xs_transaction_end(f->h, t, false));
	assert_int_equal(errno, EAGAIN);
}

static void tx_events_fire_only_at_commit(void **state)
{
	struct fixture *f = *state;
	xs_transaction_t t;

	assert_true(xs_watch(f->h, "/ev", "tok"));
	assert_event(f->h, "/ev tok");
	t = xs_transaction_start(f->h);
	put(f->h, t, "/ev/x", "1");
	assert_no_event(f->h);
	assert_true(xs_transaction_end(f->h, t, false));
	assert_event(f->h, "/ev/x tok");
	t = xs_transaction_start(f->h);
	put(f->h, t, "/ev/y", "1");
	assert_true(xs_transaction_end(f->h, t, true));
	assert_no_event(f->h);
	assert_value(f->h, XBT_NULL, "/ev/y", "<ENOENT>");
}

static void tx_rm_then_recreate_in_one_transaction(void **state)
{
	struct fixture *f = *state;
	xs_transaction_t t;

	put(f->h, XBT_NULL, "/rr/a/deep", "old");
	t = xs_transaction_start(f->h);
	assert_true(xs_rm(f->h, t, "/rr/a"));
	assert_value(f->h, t, "/rr/a/deep", "<ENOENT>");
	put(f->h, t, "/rr/a/new", "n");
	assert_true(xs_transaction_end(f->h, t, false));
	assert_value(f->h, XBT_NULL, "/rr/a/deep", "<ENOENT>");
	assert_value(f->h, XBT_NULL, "/rr/a/new", "n");
	assert_int_equal(pm_xs_check(f->xs), 0);
}

/* ---- watches ----------------------------------------------------------------------- */

static void watch_fires_on_registration_and_for_descendants_only(void **state)
{
	struct fixture *f = *state;

	assert_true(xs_watch(f->h, "/w", "t1"));
	assert_event(f->h, "/w t1");
	put(f->h, XBT_NULL, "/w/a/b", "1");
	assert_event(f->h, "/w/a/b t1");
	put(f->h, XBT_NULL, "/wx", "1");     /* a sibling that shares a prefix */
	assert_no_event(f->h);
	assert_true(xs_unwatch(f->h, "/w", "t1"));
	put(f->h, XBT_NULL, "/w/a/b", "2");
	assert_no_event(f->h);
}

static void watch_below_a_removed_node_fires_with_its_own_path(void **state)
{
	struct fixture *f = *state;

	put(f->h, XBT_NULL, "/rm/a/b/c", "1");
	assert_true(xs_watch(f->h, "/rm/a/b", "deep"));
	assert_event(f->h, "/rm/a/b deep");
	assert_true(xs_rm(f->h, XBT_NULL, "/rm/a"));
	assert_event(f->h, "/rm/a/b deep");
}

static void events_come_in_the_order_the_watches_were_set(void **state)
{
	struct fixture *f = *state;
	const char *paths[] = { "/o/a/b", "/", "/o", "/o/ab", "/o/a/b/c/d" };
	char tok[16], want[64];

	for (int i = 0; i < 5; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		snprintf(want, sizeof(want), "%s %s", paths[i], tok);
		assert_true(xs_watch(f->h, paths[i], tok));
		assert_event(f->h, want);
	}
	put(f->h, XBT_NULL, "/o/a/b/c", "1");   /* its ancestors' watches, not a sibling's or a child's */
	assert_event(f->h, "/o/a/b/c t0");
	assert_event(f->h, "/o/a/b/c t1");
	assert_event(f->h, "/o/a/b/c t2");
	assert_no_event(f->h);
	assert_true(xs_rm(f->h, XBT_NULL, "/o/a"));   /* below it: each with its own path; not "/o/ab" */
	assert_event(f->h, "/o/a/b t0");
	assert_event(f->h, "/o/a t1");
	assert_event(f->h, "/o/a t2");
	assert_event(f->h, "/o/a/b/c/d t4");
	assert_no_event(f->h);
}

static void forty_watches_on_one_path_all_fire_in_order(void **state)
{
	struct fixture *f = *state;
	char tok[16], want[64];

	for (int i = 0; i < 40; i++) {
		snprintf(tok, sizeof(tok), "m%02d", i);
		assert_true(xs_watch(f->h, "/many", tok));
		snprintf(want, sizeof(want), "/many %s", tok);
		assert_event(f->h, want);
	}
	assert_true(xs_unwatch(f->h, "/many", "m07"));
	put(f->h, XBT_NULL, "/many/x", "1");
	for (int i = 0; i < 40; i++) {
		if (i == 7)
			continue;
		snprintf(want, sizeof(want), "/many/x m%02d", i);
		assert_event(f->h, want);
	}
	assert_no_event(f->h);
}

static void watch_from_a_domain_is_relative_and_sees_only_readable_nodes(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *d;

	introduce(f, 5, 0);
	d = open_as(f, 5);
	assert_true(xs_watch(d, "device", "dev"));
	assert_event(d, "device dev");
	put(f->h, XBT_NULL, "/local/domain/5/device/vif/0", "x");
	assert_event(d, "device/vif/0 dev");
	assert_true(xs_watch(d, "/secret", "s"));
	assert_event(d, "/secret s");
	put(f->h, XBT_NULL, "/secret/key", "dom0 only");
	assert_no_event(d);
	xs_close(d);
}

static void introduce_and_release_fire_the_special_watches(void **state)
{
	struct fixture *f = *state;

	assert_true(xs_watch(f->h, "@introduceDomain", "in"));
	assert_event(f->h, "@introduceDomain in");
	assert_true(xs_watch(f->h, "@releaseDomain", "out"));
	assert_event(f->h, "@releaseDomain out");
	introduce(f, 6, 0);
	assert_event(f->h, "@introduceDomain in");
	assert_true(xs_is_domain_introduced(f->h, 6));
	assert_int_equal(pm_xs_domain_shutdown(f->xs, 6), 0);
	assert_event(f->h, "@releaseDomain out");
	assert_int_equal(pm_xs_domain_shutdown(f->xs, 6), 0);
	assert_no_event(f->h);                  /* once, until RESUME */
	assert_true(xs_resume_domain(f->h, 6));
	assert_int_equal(pm_xs_domain_shutdown(f->xs, 6), 0);
	assert_event(f->h, "@releaseDomain out");
	assert_true(xs_release_domain(f->h, 6));
	assert_event(f->h, "@releaseDomain out");
	assert_false(xs_is_domain_introduced(f->h, 6));
}

/* ---- permissions --------------------------------------------------------------------- */

static void domain_cannot_read_or_write_dom0_nodes(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *d;

	put(f->h, XBT_NULL, "/tool/secret", "s");
	introduce(f, 7, 0);
	d = open_as(f, 7);
	assert_value(d, XBT_NULL, "/tool/secret", "<EACCES>");
	assert_value(d, XBT_NULL, "/tool/nothere", "<EACCES>");   /* not even whether it exists */
	assert_false(xs_write(d, XBT_NULL, "/tool/secret", "x", 1));
	assert_int_equal(errno, EACCES);
	assert_false(xs_rm(d, XBT_NULL, "/tool"));
	assert_int_equal(errno, EACCES);
	assert_value(f->h, XBT_NULL, "/tool/secret", "s");
	xs_close(d);
}

static void domain_owns_its_nodes_but_cannot_give_them_away(void **state)
{
	struct fixture *f = *state;
	struct xs_permissions mine[2] = { { 8, XS_PERM_NONE }, { 9, XS_PERM_READ } };
	struct xs_permissions away = { 0, XS_PERM_NONE };
	struct xs_handle *d;

	introduce(f, 8, 0);
	d = open_as(f, 8);
	put(d, XBT_NULL, "data/x", "1");
	assert_int_equal(owner_of(f, "/local/domain/8/data/x"), 8);
	assert_true(xs_set_permissions(d, XBT_NULL, "data/x", mine, 2));
	assert_false(xs_set_permissions(d, XBT_NULL, "data/x", &away, 1));
	assert_int_equal(errno, EPERM);
	xs_close(d);
}

static void a_read_entry_grants_reading_only(void **state)
{
	struct fixture *f = *state;
	struct xs_permissions p[2] = { { 0, XS_PERM_NONE }, { 10, XS_PERM_READ } };
	struct xs_handle *d;

	put(f->h, XBT_NULL, "/shared/v", "hello");
	assert_true(xs_set_permissions(f->h, XBT_NULL, "/shared/v", p, 2));
	introduce(f, 10, 0);
	d = open_as(f, 10);
	assert_value(d, XBT_NULL, "/shared/v", "hello");
	assert_false(xs_write(d, XBT_NULL, "/shared/v", "no", 2));
	assert_int_equal(errno, EACCES);
	xs_close(d);
}

static void set_target_gives_a_device_model_its_guest_nodes(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *dm;

	introduce(f, 11, 0);      /* the guest */
	introduce(f, 12, 0);      /* its device-model domain */
	put(f->h, XBT_NULL, "/local/domain/11/device-model", "");
	dm = open_as(f, 12);
	assert_false(xs_write(dm, XBT_NULL, "/local/domain/11/device-model/state", "running", 7));
	assert_int_equal(errno, EACCES);
	assert_true(xs_set_target(f->h, 12, 11));
	put(dm, XBT_NULL, "/local/domain/11/device-model/state", "running");
	assert_value(f->h, XBT_NULL, "/local/domain/11/device-model/state", "running");
	xs_close(dm);
}

static void release_hands_the_domains_nodes_to_dom0(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *d;

	introduce(f, 13, 0);
	d = open_as(f, 13);
	put(d, XBT_NULL, "mine", "1");
	xs_close(d);
	assert_int_equal(owner_of(f, "/local/domain/13/mine"), 13);
	assert_true(xs_release_domain(f->h, 13));
	assert_int_equal(owner_of(f, "/local/domain/13/mine"), 0);
}

/* ---- quotas ------------------------------------------------------------------------------ */

static void quota_on_nodes_is_enospc_and_creates_nothing(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *d;
	char *r;

	r = xs_control_command(f->h, "quota", "set\0nodes\0" "4", 12);
	assert_non_null(r);
	free(r);
	introduce(f, 14, 0);     /* the home is dom14's: 1 node */
	d = open_as(f, 14);
	put(d, XBT_NULL, "a", "1");
	put(d, XBT_NULL, "b", "1");
	assert_false(xs_write(d, XBT_NULL, "c/d", "1", 1));   /* needs 2, has room for 1 */
	assert_int_equal(errno, ENOSPC);
	assert_value(f->h, XBT_NULL, "/local/domain/14/c", "<ENOENT>");
	put(d, XBT_NULL, "c", "1");
	assert_false(xs_write(d, XBT_NULL, "e", "1", 1));
	assert_int_equal(errno, ENOSPC);
	assert_true(xs_rm(d, XBT_NULL, "a"));
	put(d, XBT_NULL, "e", "1");
	xs_close(d);
}

static void quota_on_value_size_watches_and_transactions(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *d;
	xs_transaction_t t[11];
	char big[2049], tok[16];
	int i;

	memset(big, 'v', sizeof(big));
	introduce(f, 15, 0);
	d = open_as(f, 15);
	assert_false(xs_write(d, XBT_NULL, "big", big, 2049));
	assert_int_equal(errno, ENOSPC);
	assert_true(xs_write(d, XBT_NULL, "big", big, 2048));
	assert_true(xs_write(f->h, XBT_NULL, "/dom0-may", big, 2049));
	for (i = 0; i < 128; i++) {
		snprintf(tok, sizeof(tok), "%d", i);
		assert_true(xs_watch(d, "w", tok));
	}
	assert_false(xs_watch(d, "w", "one-too-many"));
	assert_int_equal(errno, E2BIG);
	for (i = 0; i < 10; i++)
		assert_int_not_equal(t[i] = xs_transaction_start(d), XBT_NULL);
	assert_int_equal(xs_transaction_start(d), XBT_NULL);
	assert_int_equal(errno, ENOSPC);
	for (i = 0; i < 10; i++)
		assert_true(xs_transaction_end(d, t[i], true));
	xs_close(d);
}

static void a_closed_connection_takes_its_watches_and_transactions_along(void **state)
{
	struct fixture *f = *state;
	struct xs_handle *d;
	char *r;

	introduce(f, 16, 0);
	d = open_as(f, 16);
	for (int i = 0; i < 10; i++)
		assert_int_not_equal(xs_transaction_start(d), XBT_NULL);
	assert_true(xs_watch(d, "w", "tok"));
	xs_close(d);
	usleep(100 * 1000);       /* the store sees the hang-up */
	r = xs_control_command(f->h, "quota", "16", 3);
	assert_non_null(r);
	assert_non_null(strstr(r, "watches       0\ntransactions  0\n"));
	free(r);
	d = open_as(f, 16);
	assert_int_not_equal(xs_transaction_start(d), XBT_NULL);
	xs_close(d);
}

/* ---- large directories ----------------------------------------------------------------------- */

static void directory_of_1000_children_comes_whole_and_in_order(void **state)
{
	struct fixture *f = *state;
	char path[64], **dir;
	unsigned int n;

	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/big/child-number-%04d", i);
		put(f->h, XBT_NULL, path, "");
	}
	dir = xs_directory(f->h, XBT_NULL, "/big", &n);   /* > 4096 bytes: DIRECTORY_PART */
	assert_non_null(dir);
	assert_int_equal(n, 1000);
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "child-number-%04d", i);
		assert_string_equal(dir[i], path);
	}
	free(dir);
}

/* ---- guest rings --------------------------------------------------------------------------------- */

/* as a guest does: waits for room (the store consumes after a kick) */
static void ring_put(struct fixture *f, struct xenstore_domain_interface *r, const void *buf,
		     uint32_t len)
{
	XENSTORE_RING_IDX prod = r->req_prod;

	for (int i = 0; prod + len - __atomic_load_n(&r->req_cons, __ATOMIC_ACQUIRE) >
			XENSTORE_RING_SIZE; i++) {
		if (i == 2000)
			fail_msg("the store does not consume requests");
		pm_xs_kick(f->xs);
		usleep(1000);
	}
	for (uint32_t i = 0; i < len; i++)
		r->req[MASK_XENSTORE_IDX(prod + i)] = ((const char *)buf)[i];
	__atomic_store_n(&r->req_prod, prod + len, __ATOMIC_RELEASE);
}

static void ring_request(struct fixture *f, struct xenstore_domain_interface *r, uint32_t type,
			 const void *body, uint32_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = 77, .len = len };

	ring_put(f, r, &h, sizeof(h));
	ring_put(f, r, body, len);
	pm_xs_kick(f->xs);
}

/* waits for one reply; its payload as text with nuls shown as '|' */
static char *ring_reply(struct fixture *f, struct xenstore_domain_interface *r, uint32_t *type)
{
	struct xsd_sockmsg h;
	char *s;

	for (int i = 0; i < 2000; i++) {
		XENSTORE_RING_IDX cons = r->rsp_cons;
		XENSTORE_RING_IDX prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_ACQUIRE);

		if (prod - cons >= sizeof(h)) {
			for (uint32_t k = 0; k < sizeof(h); k++)
				((char *)&h)[k] = r->rsp[MASK_XENSTORE_IDX(cons + k)];
			if (prod - cons >= sizeof(h) + h.len) {
				s = calloc(1, h.len + 1);
				for (uint32_t k = 0; k < h.len; k++) {
					s[k] = r->rsp[MASK_XENSTORE_IDX(cons + sizeof(h) + k)];
					if (!s[k])
						s[k] = '|';
				}
				__atomic_store_n(&r->rsp_cons, cons + (uint32_t)sizeof(h) + h.len,
						 __ATOMIC_RELEASE);
				pm_xs_kick(f->xs);   /* room in the reply ring: tell the store */
				*type = h.type;
				return s;
			}
		}
		usleep(1000);
	}
	return strdup("<no reply>");
}

static void ring_request_reply_and_notify(void **state)
{
	struct fixture *f = *state;
	struct xenstore_domain_interface *r = f->ring[1];
	uint32_t type;
	char *s;

	/* the guest speaks before the toolstack introduces it */
	ring_request(f, r, XS_WRITE, "name\0guest20", 12);
	introduce(f, 20, 1);
	s = ring_reply(f, r, &type);
	assert_string_equal(s, "OK|");
	assert_int_equal(type, XS_WRITE);
	free(s);
	assert_value(f->h, XBT_NULL, "/local/domain/20/name", "guest20");
	ring_request(f, r, XS_READ, "name", 5);
	s = ring_reply(f, r, &type);
	assert_string_equal(s, "guest20");
	free(s);
	assert_true(__atomic_load_n(&f->notified, __ATOMIC_SEQ_CST) > 0);
	assert_int_equal(r->server_features & XENSTORE_SERVER_FEATURE_ERROR,
			 XENSTORE_SERVER_FEATURE_ERROR);
}

static void ring_with_nonsense_indexes_is_cut_off_and_the_store_serves_on(void **state)
{
	struct fixture *f = *state;
	struct xenstore_domain_interface *r = f->ring[2];

	introduce(f, 21, 2);
	r->req_prod = r->req_cons + 5000;   /* more than a ring apart */
	pm_xs_kick(f->xs);
	for (int i = 0; i < 2000 && !__atomic_load_n(&r->error, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	assert_int_equal(r->error, XENSTORE_ERROR_RINGIDX);
	put(f->h, XBT_NULL, "/still", "served");
	assert_value(f->h, XBT_NULL, "/still", "served");
}

static void ring_with_an_oversized_message_gets_a_protocol_error(void **state)
{
	struct fixture *f = *state;
	struct xenstore_domain_interface *r = f->ring[3];
	struct xsd_sockmsg h = { .type = XS_READ, .len = XENSTORE_PAYLOAD_MAX + 1 };

	introduce(f, 22, 3);
	ring_put(f, r, &h, sizeof(h));
	pm_xs_kick(f->xs);
	for (int i = 0; i < 2000 && !__atomic_load_n(&r->error, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	assert_int_equal(r->error, XENSTORE_ERROR_PROTO);
	assert_value(f->h, XBT_NULL, "/local/domain/22", "");
}

static void ring_flood_without_reading_replies_does_not_block_others(void **state)
{
	struct fixture *f = *state;
	struct xenstore_domain_interface *r = f->ring[1];
	uint32_t type;
	int replies = 0;
	char *s;

	introduce(f, 23, 1);
	/* 60 requests of 21 bytes: more than fit in the reply ring and the quota */
	for (int i = 0; i < 60; i++)
		ring_request(f, r, XS_GET_DOMAIN_PATH, "23", 3);
	put(f->h, XBT_NULL, "/dom0/still", "fine");
	assert_value(f->h, XBT_NULL, "/dom0/still", "fine");
	/* once the guest reads, every request is answered */
	for (; replies < 60; replies++) {
		s = ring_reply(f, r, &type);
		if (strcmp(s, "/local/domain/23|")) {
			free(s);
			break;
		}
		free(s);
	}
	assert_int_equal(replies, 60);
}

static void outstanding_quota_stops_reading_until_replies_are_taken(void **state)
{
	struct fixture *f = *state;
	struct pm_xs_conn *c;
	char msg[16 + 3], buf[8192];
	struct xsd_sockmsg h = { .type = XS_GET_DOMAIN_PATH, .len = 3 };
	size_t got = 0, n;

	memcpy(msg, &h, 16);
	memcpy(msg + 16, "24", 3);
	assert_int_equal(pm_xs_conn_open(f->xs, 24, &c), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(pm_xs_conn_send(c, msg, sizeof(msg)), 0);
	n = pm_xs_conn_recv(c, buf, sizeof(buf));
	assert_int_equal(n, 20 * (16 + 17));     /* the quota's worth */
	while ((n = pm_xs_conn_recv(c, buf, sizeof(buf))))
		got += n;
	assert_int_equal(got, 30 * (16 + 17));   /* the rest, once taken */
	pm_xs_conn_close(c);
}

/* ---- malformed messages ------------------------------------------------------------------------------ */

/* every file of tests/fuzz/corpus/xs/ into a guest's and dom0's connection */
static void malformed_corpus_gets_errors_never_breaks_the_store(void **state)
{
	struct fixture *f = *state;
	const char *top = getenv("top_srcdir");
	char path[512], data[70000], out[8192];
	int files = 0;

	assert_non_null(top);
	for (int i = 0;; i++) {
		FILE *fp;
		size_t len;

		snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/xs/malformed-%02d", top, i);
		fp = fopen(path, "rb");
		if (!fp)
			break;
		len = fread(data, 1, sizeof(data), fp);
		fclose(fp);
		for (unsigned int domid = 0; domid <= 30; domid += 30) {
			struct pm_xs_conn *c;
			int rc;

			assert_int_equal(pm_xs_conn_open(f->xs, domid, &c), 0);
			rc = pm_xs_conn_send(c, data, len);
			if (rc && rc != -EPROTO && rc != -EBUSY)
				fail_msg("%s: send returned %d", path, rc);
			while (pm_xs_conn_recv(c, out, sizeof(out)))
				;
			pm_xs_conn_close(c);
			if (pm_xs_check(f->xs))
				fail_msg("%s (dom%u): store inconsistent", path, domid);
		}
		files++;
	}
	assert_true(files >= 10);
	put(f->h, XBT_NULL, "/after/corpus", "ok");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(tx_conflict_is_eagain_and_applies_nothing),
		T(tx_sees_its_snapshot_and_its_own_writes),
		T(tx_on_disjoint_nodes_both_commit),
		T(tx_creating_a_sibling_conflicts_with_a_directory_reader),
		T(tx_events_fire_only_at_commit),
		T(tx_rm_then_recreate_in_one_transaction),
		T(watch_fires_on_registration_and_for_descendants_only),
		T(watch_below_a_removed_node_fires_with_its_own_path),
		T(events_come_in_the_order_the_watches_were_set),
		T(forty_watches_on_one_path_all_fire_in_order),
		T(watch_from_a_domain_is_relative_and_sees_only_readable_nodes),
		T(introduce_and_release_fire_the_special_watches),
		T(domain_cannot_read_or_write_dom0_nodes),
		T(domain_owns_its_nodes_but_cannot_give_them_away),
		T(a_read_entry_grants_reading_only),
		T(set_target_gives_a_device_model_its_guest_nodes),
		T(release_hands_the_domains_nodes_to_dom0),
		T(quota_on_nodes_is_enospc_and_creates_nothing),
		T(quota_on_value_size_watches_and_transactions),
		T(a_closed_connection_takes_its_watches_and_transactions_along),
		T(directory_of_1000_children_comes_whole_and_in_order),
		T(ring_request_reply_and_notify),
		T(ring_with_nonsense_indexes_is_cut_off_and_the_store_serves_on),
		T(ring_with_an_oversized_message_gets_a_protocol_error),
		T(ring_flood_without_reading_replies_does_not_block_others),
		T(outstanding_quota_stops_reading_until_replies_are_taken),
		T(malformed_corpus_gets_errors_never_breaks_the_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
