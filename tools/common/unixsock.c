/*
 * tools/common/unixsock.c - listening unix sockets for the daemons
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "unixsock.h"

int pm_listen_unix(const char *path, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* the umask, not a later chmod: no moment when others may connect */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc || listen(fd, backlog)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int pm_listen_unix_id(const char *path, int backlog, ino_t *ino)
{
	int fd = pm_listen_unix(path, backlog);
	struct stat st;

	if (fd >= 0) {
		if (lstat(path, &st)) {
			int rc = -errno;

			close(fd);
			return rc;
		}
		*ino = st.st_ino;
	}
	return fd;
}

/* the socket file of inode @ino in @dir, wherever a rename put it, removed */
static void unlink_renamed(const char *dir, ino_t ino)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char p[4096];
		struct stat st;

		if (e->d_ino != ino || snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p))
			continue;
		if (!lstat(p, &st) && S_ISSOCK(st.st_mode) && st.st_ino == ino) {
			unlink(p);
			break;
		}
	}
	if (d)
		closedir(d);
}

void pm_unlink_unix(int fd, const char *path, ino_t ino)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	char dir[4096];

	close(fd);
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode) && st.st_ino == ino) {
		unlink(path);
		return;
	}
	/* renamed since (its domain was): found by its inode beside where it was made */
	if (slash && snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) < (int)sizeof(dir))
		unlink_renamed(slash == path ? "/" : dir, ino);
}

rlim_t pm_raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return 0;
	if (r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &r);   /* kept as it was if refused */
		if (getrlimit(RLIMIT_NOFILE, &r))
			return 0;
	}
	return r.rlim_cur;
}
