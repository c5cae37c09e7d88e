/*
 * tests/bench/bench-store-ops.c - one store client's costs, for
 * bench-scale.sh to measure at 10, 100 and 1000 domains: the median of
 * 2000 reads of a node, and of 200 watch round trips (a write of a
 * watched node until its event comes back), through libxenstore on
 * $XENSTORED_PATH. Prints "READ_NS WATCH_NS".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenstore.h>

#define READS 2000
#define WATCHES 200

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static long long median(long long *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

int main(void)
{
	static long long t[READS];
	struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
	const char *node = "/bench-store-ops";
	unsigned int len, n;
	long long r, w;
	char **ev;
	int ret = 1;

	if (!h || !xs_write(h, XBT_NULL, node, "x", 1) || !xs_watch(h, node, "b")) {
		fprintf(stderr, "bench-store-ops: the store at $XENSTORED_PATH does not answer\n");
		goto out;
	}
	free(xs_read_watch(h, &n));   /* the event of the watch's registration */
	for (int i = 0; i < READS; i++) {
		long long t0 = now_ns();
		char *v = xs_read(h, XBT_NULL, node, &len);

		t[i] = now_ns() - t0;
		free(v);
	}
	r = median(t, READS);
	for (int i = 0; i < WATCHES; i++) {
		long long t0 = now_ns();

		if (!xs_write(h, XBT_NULL, node, "y", 1))
			goto out;
		ev = xs_read_watch(h, &n);
		t[i] = now_ns() - t0;
		free(ev);
	}
	w = median(t, WATCHES);
	printf("%lld %lld\n", r, w);
	xs_rm(h, XBT_NULL, node);
	ret = 0;
out:
	if (h)
		xs_close(h);
	return ret;
}
