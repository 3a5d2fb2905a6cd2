// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What an fd is: an accepted connection, one the process opened, a pipe, a
 * file. A socket is asked directly, on a copy of the fd (pidfd_getfd).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include "fdkind.h"

/* Listening ports are read again at most this often when a port is not among them. */
#define LISTEN_REFRESH_NS (1000ull * 1000 * 1000)

void fd_kinds_init(struct fd_kinds *k)
{
	memset(k, 0, sizeof(*k));
	k->pidfd = -1;
}

void fd_kinds_free(struct fd_kinds *k)
{
	if (k->pidfd >= 0)
		close(k->pidfd);
	free(k->sockets);
	memset(k, 0, sizeof(*k));
	k->pidfd = -1;
}

enum fd_kind fd_link_kind(const char *link, unsigned long *inode)
{
	*inode = 0;
	if (sscanf(link, "socket:[%lu]", inode) == 1)
		return FD_OTHER;
	if (strncmp(link, "pipe:", 5) == 0 || strcmp(link, "anon_inode:[eventfd]") == 0)
		return FD_IPC;
	if (strncmp(link, "/dev/pts/", 9) == 0 || strncmp(link, "/dev/tty", 8) == 0 ||
	    strcmp(link, "/dev/console") == 0)
		return FD_TTY;
	if (link[0] == '/')
		return FD_FILE;
	return FD_OTHER;
}

enum fd_kind fd_mode_kind(uint16_t mode, uint32_t dev)
{
	unsigned int major = dev >> 20;

	switch (mode & S_IFMT) {
	case S_IFIFO:
		return FD_IPC;
	case S_IFREG:
	case S_IFDIR:
	case S_IFBLK:
		return FD_FILE;
	case S_IFCHR:
		/* tty0-63 and ttyS (4), /dev/tty and the console (5), the ptys (136-143). */
		return major == 4 || major == 5 || (major >= 136 && major <= 143) ? FD_TTY : FD_OTHER;
	default:
		return FD_UNKNOWN; /* a socket, to be asked; or no mode: /proc tells */
	}
}

enum fd_kind fd_socket_kind(const struct fd_socket_facts *f, const uint16_t *listening, int n)
{
	int i;

	if (f->domain == AF_UNIX)
		/* An accepted unix socket carries its listener's path; a client's has none. */
		return f->named ? FD_SERVER_CONN : FD_IPC;
	if (f->domain != AF_INET && f->domain != AF_INET6)
		return FD_OTHER;
	if (f->type == SOCK_DGRAM)
		/* Unconnected: it waits for whoever sends the next request. */
		return f->connected ? FD_CLIENT_CONN : FD_SERVER_CONN;
	if (f->type != SOCK_STREAM || !f->connected)
		return FD_OTHER;
	for (i = 0; i < n; i++)
		if (listening[i] == f->local_port)
			return FD_SERVER_CONN; /* accepted: its local port is a listener's */
	return FD_CLIENT_CONN;
}

static size_t slot(unsigned long inode, size_t cap)
{
	return (size_t)((inode * 2654435761u) & (cap - 1));
}

static void put(struct fd_kinds *k, unsigned long inode, enum fd_kind kind)
{
	size_t s;

	if ((k->n + 1) * 2 > k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 1024, i;
		struct fd_socket *grown;

		/* Sockets come and go: past a size, start again rather than grow. */
		if (k->cap >= 65536) {
			memset(k->sockets, 0, k->cap * sizeof(*k->sockets));
			k->n = 0;
		} else {
			grown = calloc(cap, sizeof(*grown));
			if (!grown)
				return;
			for (i = 0; i < k->cap; i++)
				if (k->sockets[i].inode) {
					s = slot(k->sockets[i].inode, cap);
					while (grown[s].inode)
						s = (s + 1) & (cap - 1);
					grown[s] = k->sockets[i];
				}
			free(k->sockets);
			k->sockets = grown;
			k->cap = cap;
		}
	}
	s = slot(inode, k->cap);
	while (k->sockets[s].inode && k->sockets[s].inode != inode)
		s = (s + 1) & (k->cap - 1);
	if (!k->sockets[s].inode)
		k->n++;
	k->sockets[s].inode = inode;
	k->sockets[s].kind = kind;
}

static const struct fd_socket *find(const struct fd_kinds *k, unsigned long inode)
{
	size_t s;

	if (!k->cap)
		return NULL;
	for (s = slot(inode, k->cap); k->sockets[s].inode; s = (s + 1) & (k->cap - 1))
		if (k->sockets[s].inode == inode)
			return &k->sockets[s];
	return NULL;
}

/*
 * The TCP ports something listens on, by sock_diag: the kernel walks only
 * its listening sockets for this (reading /proc/net/tcp walks every
 * connection, and stalls the collector on a busy server).
 */
static void read_listening(struct fd_kinds *k, uint64_t now_ns)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	size_t f;

	k->listen_ns = now_ns;
	k->listen_read = true;
	k->nlistening = 0;
	if (fd < 0)
		return;
	for (f = 0; f < 2; f++) {
		struct {
			struct nlmsghdr nlh;
			struct inet_diag_req_v2 r;
		} req = {
			.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
				 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
			.r = { .sdiag_family = (uint8_t)families[f], .sdiag_protocol = IPPROTO_TCP,
			       .idiag_states = 1u << 10 /* TCP_LISTEN */ },
		};
		char buf[16384];
		bool done = false;

		if (send(fd, &req, sizeof(req), 0) < 0)
			break;
		while (!done) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			struct nlmsghdr *h = (struct nlmsghdr *)buf;

			if (n <= 0)
				break;
			for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
				const struct inet_diag_msg *m = NLMSG_DATA(h);

				if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
					done = true;
					break;
				}
				if (k->nlistening < FDKIND_MAX_LISTENING)
					k->listening[k->nlistening++] = ntohs(m->id.idiag_sport);
			}
		}
	}
	close(fd);
}

/* Whether tgid lives in our network namespace: its ports are the ones sock_diag sees. */
static bool same_netns(pid_t tgid)
{
	char path[64];
	struct stat ours, theirs;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", tgid);
	return stat("/proc/self/ns/net", &ours) == 0 && stat(path, &theirs) == 0 &&
	       ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev;
}

/* A copy of the target's fd (pidfd_getfd), to ask the socket itself; -1 if not possible. */
static int borrow_fd(struct fd_kinds *k, pid_t tgid, int fd)
{
	if (k->pidfd < 0 || k->pid != tgid) {
		if (k->pidfd >= 0)
			close(k->pidfd);
		k->pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
		k->pid = tgid;
		k->pid_same_netns = k->pidfd >= 0 && same_netns(tgid);
	}
	return k->pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, k->pidfd, fd, 0);
}

static enum fd_kind ask_socket(struct fd_kinds *k, pid_t tgid, int fd, uint64_t now_ns)
{
	struct fd_socket_facts f = { 0 };
	struct sockaddr_storage local, peer;
	socklen_t len = sizeof(int), llen = sizeof(local), plen = sizeof(peer);
	int copy = borrow_fd(k, tgid, fd), i;
	enum fd_kind kind;

	if (copy < 0)
		return FD_UNKNOWN;
	if (getsockopt(copy, SOL_SOCKET, SO_DOMAIN, &f.domain, &len) ||
	    getsockopt(copy, SOL_SOCKET, SO_TYPE, &f.type, &len) ||
	    getsockname(copy, (struct sockaddr *)&local, &llen)) {
		close(copy);
		return FD_UNKNOWN;
	}
	f.connected = getpeername(copy, (struct sockaddr *)&peer, &plen) == 0;
	close(copy);
	if (f.domain == AF_UNIX)
		f.named = llen > sizeof(sa_family_t) && ((struct sockaddr_un *)&local)->sun_path[0];
	else if (f.domain == AF_INET)
		f.local_port = ntohs(((struct sockaddr_in *)&local)->sin_port);
	else if (f.domain == AF_INET6)
		f.local_port = ntohs(((struct sockaddr_in6 *)&local)->sin6_port);
	if ((f.domain == AF_INET || f.domain == AF_INET6) && f.type == SOCK_STREAM) {
		if (!k->pid_same_netns)
			return FD_UNKNOWN; /* its listeners are in a namespace we do not read */
		for (i = 0; i < k->nlistening && k->listening[i] != f.local_port; i++)
			;
		/* Not a known listener's: a new listener, or really a client. */
		if (i == k->nlistening &&
		    (!k->listen_read || now_ns - k->listen_ns >= LISTEN_REFRESH_NS))
			read_listening(k, now_ns);
	}
	kind = fd_socket_kind(&f, k->listening, k->nlistening);
	return kind;
}

enum fd_kind fd_kinds_lookup(struct fd_kinds *k, pid_t tgid, int fd, const struct fd_file *file,
			     uint64_t now_ns)
{
	char path[64], link[256];
	const struct fd_socket *s;
	unsigned long inode;
	enum fd_kind kind;
	ssize_t n;

	k->lookups++;
	if (file && file->mode) {
		kind = fd_mode_kind(file->mode, file->dev);
		if (kind != FD_UNKNOWN)
			return kind;
		if ((file->mode & S_IFMT) == S_IFSOCK && file->ino) {
			/* A socket: asked once (its fd may be gone by now), then known by inode. */
			s = find(k, (unsigned long)file->ino);
			if (s)
				return s->kind;
			kind = ask_socket(k, tgid, fd, now_ns);
			if (kind == FD_UNKNOWN)
				k->unknown++;
			else
				put(k, (unsigned long)file->ino, kind);
			return kind;
		}
	}
	k->proc_reads++;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", tgid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0) {
		k->unknown++;
		return FD_UNKNOWN; /* closed since, or the process is gone */
	}
	link[n] = '\0';
	kind = fd_link_kind(link, &inode);
	if (!inode)
		return kind;
	s = find(k, inode);
	if (s)
		return s->kind;
	kind = ask_socket(k, tgid, fd, now_ns);
	if (kind == FD_UNKNOWN)
		k->unknown++;
	else
		put(k, inode, kind);
	return kind;
}
