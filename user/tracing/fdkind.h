/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef FDKIND_H
#define FDKIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "waits.h"

/*
 * What a traced process's fd is: /proc/PID/fd names pipes, files and
 * terminals; a socket is asked itself on a copy of the fd (pidfd_getfd):
 * its family, type, local port and peer. A TCP connection whose local port
 * some socket listens on (sock_diag, our network namespace) was accepted.
 * Answers are kept by socket inode.
 */
#define FDKIND_MAX_LISTENING 1024

struct fd_socket {
	unsigned long inode; /* 0: empty slot */
	enum fd_kind kind;
};

struct fd_kinds {
	struct fd_socket *sockets; /* open addressing by inode */
	size_t cap, n;
	int pidfd; /* of pid, the last process asked */
	pid_t pid;
	bool pid_same_netns;
	uint16_t listening[FDKIND_MAX_LISTENING];
	int nlistening;
	uint64_t listen_ns; /* when the listening ports were read */
	bool listen_read;
	uint64_t lookups, unknown; /* for the curious: how often it could not tell */
};

void fd_kinds_init(struct fd_kinds *k);
void fd_kinds_free(struct fd_kinds *k);
/* The kind of fd in process tgid now; FD_UNKNOWN if it is gone or cannot be asked. */
enum fd_kind fd_kinds_lookup(struct fd_kinds *k, pid_t tgid, int fd, uint64_t now_ns);

/* The pure parts, for the unit tests. What a /proc/PID/fd link names (a socket: *inode set). */
enum fd_kind fd_link_kind(const char *link, unsigned long *inode);

/* What a socket said of itself. */
struct fd_socket_facts {
	int domain, type;
	bool connected;	     /* it has a peer */
	bool named;	     /* AF_UNIX: bound to a path (an accepted socket has its listener's) */
	uint16_t local_port; /* AF_INET, AF_INET6 */
};

enum fd_kind fd_socket_kind(const struct fd_socket_facts *f, const uint16_t *listening, int n);

#endif
