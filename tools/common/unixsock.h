/*
 * tools/common/unixsock.h - listening unix sockets for the daemons
 */
#ifndef PHYSMAP_TOOLS_UNIXSOCK_H
#define PHYSMAP_TOOLS_UNIXSOCK_H

/**
 * pm_listen_unix - a non-blocking, close-on-exec unix stream socket
 * listening at path, mode 0600 from its first moment. A socket file
 * already there (left by a dead daemon) is replaced; any other file is not.
 * returns: the descriptor; -EEXIST (path is no socket); -ENAMETOOLONG;
 *   -errno from socket/bind/listen
 */
int pm_listen_unix(const char *path, int backlog);

#endif
