/*
 * libphysmap/file.c - bounded reads of the regular files a domain is built
 * from (file-internal.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-internal.h"
#include "file-internal.h"

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a regular file";
}

static const char *size_text(uint64_t n, char *buf, size_t len)
{
	if (n >= 1ull << 30 && !(n % (1ull << 30)))
		snprintf(buf, len, "%llu GiB", (unsigned long long)(n >> 30));
	else if (n >= 1ull << 20 && !(n % (1ull << 20)))
		snprintf(buf, len, "%llu MiB", (unsigned long long)(n >> 20));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
	return buf;
}

/* @fd's file judged: regular and at most @max bytes */
static int judge(int fd, const char *path, uint64_t max, uint64_t *size, char *err, size_t errlen)
{
	struct stat st;
	char a[32], b[32];

	if (fstat(fd, &st)) {
		int rc = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s, not a regular file", path, kind_of(st.st_mode));
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s: %s, more than the %s such a file may have", path,
			 size_text((uint64_t)st.st_size, a, sizeof(a)), size_text(max, b, sizeof(b)));
		return -EFBIG;
	}
	if (size)
		*size = (uint64_t)st.st_size;
	return 0;
}

/* opened without blocking (a FIFO would wait for a writer), then judged */
static int open_regular(const char *path, uint64_t max, uint64_t *size, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	int rc;

	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = judge(fd, path, max, size, err, errlen);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int pm__file_check(const char *path, uint64_t max, uint64_t *size, char *err, size_t errlen)
{
	int fd = open_regular(path, max, size, err, errlen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int pm__file_read(const char *path, uint64_t max, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	uint64_t size;
	uint8_t *b = NULL;
	size_t got = 0;
	int fd = open_regular(path, max, &size, err, errlen), rc = 0;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return fd;
	b = pm__malloc((size_t)size + 1);
	if (!b) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		goto out;
	}
	/* the size fstat gave, and one byte more to see that it did not grow */
	for (;;) {
		ssize_t n = read(fd, b + got, (size_t)size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: reading it: %s", path, strerror(-rc));
			goto out;
		}
		if (!n)
			break;
		got += (size_t)n;
		if (got > size) {
			rc = -EIO;
			snprintf(err, errlen, "%s: it grew while it was read", path);
			goto out;
		}
	}
	b[got] = 0;
	*buf = b;
	*len = got;
	b = NULL;
out:
	free(b);
	close(fd);
	return rc;
}
