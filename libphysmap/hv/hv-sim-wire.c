/*
 * hv-sim-wire.c - physmap-sim's protocol (sim-proto.h,
 * docs/specs/sim-protocol.md) on the backend's socket: a request, its
 * descriptors, its reply (see hv-sim.h)
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hv-internal.h"
#include "hv-sim.h"
#include "sim-proto.h"

int pm__sim_call_fds(struct pm_hv *hv, uint32_t op, const void *req, uint32_t len, int in_fd, void *rep,
		     uint32_t replen, uint32_t *got, int *fds, int max_fds, int *nr_fds)
{
	struct sim_conn *c = hv->priv;
	struct pm_sim_hdr h = { op, len, ++c->seq, 0 };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)req, len } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * PM_SIM_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	size_t off = 0;
	ssize_t r;

	if (nr_fds)
		*nr_fds = 0;
	if (in_fd >= 0) {
		struct cmsghdr *cm;

		memset(ctl.buf, 0, sizeof(ctl.buf));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &in_fd, sizeof(int));
	}
	r = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
	if (r != (ssize_t)(sizeof(h) + len))
		return r < 0 ? -errno : -EIO;
	/* the header, with descriptors if some come along */
	iov[0] = (struct iovec){ &h, sizeof(h) };
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	r = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	if (r != sizeof(h))
		return r < 0 ? -errno : -EIO;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		int n, got_fds[PM_SIM_MAX_FDS];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(got_fds, CMSG_DATA(cm), sizeof(int) * (size_t)n);
		for (int i = 0; i < n; i++) {
			if (op == PM_SIM_HELLO && i == 0) {
				if (c->pool_fd >= 0)
					close(c->pool_fd);
				c->pool_fd = got_fds[i];
			} else if (fds && nr_fds && *nr_fds < max_fds) {
				fds[(*nr_fds)++] = got_fds[i];
			} else {
				close(got_fds[i]);
			}
		}
	}
	if (h.seq != c->seq || h.op != op || h.len > replen)
		return -EIO;
	while (off < h.len) {
		r = read(c->fd, (char *)rep + off, h.len - off);
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		off += (size_t)r;
	}
	if (got)
		*got = h.len;
	return h.status;
}

int pm__sim_fd(const struct pm_hv *hv)
{
	return ((const struct sim_conn *)hv->priv)->fd;
}
