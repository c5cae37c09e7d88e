/*
 * tools/common/unixsock.h - listening unix sockets for the daemons
 */
#ifndef PHYSMAP_TOOLS_UNIXSOCK_H
#define PHYSMAP_TOOLS_UNIXSOCK_H

#include <sys/resource.h>
#include <sys/types.h>

/**
 * pm_listen_unix - a non-blocking, close-on-exec unix stream socket
 * listening at path, mode 0600 from its first moment. A socket file
 * already there (left by a dead daemon) is replaced; any other file is not.
 * returns: the descriptor; -EEXIST (path is no socket); -ENAMETOOLONG;
 *   -errno from socket/bind/listen
 */
int pm_listen_unix(const char *path, int backlog);

/** pm_listen_unix_id - pm_listen_unix, and the socket file's inode in *@ino (for pm_unlink_unix) */
int pm_listen_unix_id(const char *path, int backlog, ino_t *ino);

/**
 * pm_unlink_unix - close @fd and remove the socket file bound at @path
 * (inode @ino), there or wherever a rename in the same directory put it (a
 * domain renamed); another socket put at @path since (a new domain of the
 * old name) is not removed
 */
void pm_unlink_unix(int fd, const char *path, ino_t ino);

/**
 * pm_raise_nofile - a daemon's open-files limit raised to its hard limit
 * (its descriptors grow with the domains it serves)
 * returns: the limit now (RLIM_INFINITY where there is none); 0 if it cannot say
 */
rlim_t pm_raise_nofile(void);

#endif
