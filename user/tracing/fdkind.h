/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef FDKIND_H
#define FDKIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "waits.h"

/*
 * What a traced process's fd is: read from /proc/PID/fd and the socket
 * tables of its network namespace (/proc/PID/net/{tcp,tcp6,udp,udp6,unix}).
 * Sockets are looked up by inode in a table rebuilt, at most every
 * FDKIND_REFRESH_NS, when an inode is not in it.
 */
#define FDKIND_REFRESH_NS (100ull * 1000 * 1000)

struct fd_socket {
	unsigned long inode; /* 0: empty slot */
	enum fd_kind kind;
};

struct fd_kinds {
	struct fd_socket *sockets; /* open addressing by inode */
	size_t cap, n;
	pid_t table_pid;	/* whose namespace the table was read from */
	uint64_t table_ns;	/* when */
	uint64_t lookups, unknown; /* for the curious: how often it could not tell */
};

void fd_kinds_init(struct fd_kinds *k);
void fd_kinds_free(struct fd_kinds *k);
/* The kind of fd in process tgid now; FD_UNKNOWN if it is gone or unreadable. */
enum fd_kind fd_kinds_lookup(struct fd_kinds *k, pid_t tgid, int fd, uint64_t now_ns);

/*
 * The pure parts, for the unit tests. fd_link_kind: what a /proc/PID/fd
 * link names; a socket is FD_OTHER with *inode set (its kind is in the
 * tables). The table parsers call add for each socket of the text.
 */
enum fd_kind fd_link_kind(const char *link, unsigned long *inode);
typedef void (*fd_socket_fn)(void *ctx, unsigned long inode, enum fd_kind kind);
/* /proc/net/tcp or tcp6: a connection whose local port some socket listens on was accepted. */
int fd_parse_tcp(const char *text, fd_socket_fn add, void *ctx);
/* /proc/net/udp or udp6: unconnected sockets wait for requests; connected ones for answers. */
int fd_parse_udp(const char *text, fd_socket_fn add, void *ctx);
/* /proc/net/unix: a connected socket with the path of a listener is the accepting side. */
int fd_parse_unix(const char *text, fd_socket_fn add, void *ctx);

#endif
