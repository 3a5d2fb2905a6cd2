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
	uint64_t proc_reads;	   /* lookups that read /proc/PID/fd (the rest: the kernel side told) */
};

/*
 * The file behind an fd as the kernel side read it from the task's fd table
 * at the call's first sleep (call_record's fd_ino, fd_dev, fd_mode); mode 0:
 * not read (or an anonymous inode: an eventfd).
 */
struct fd_file {
	uint64_t ino;
	uint32_t dev; /* a character device's own number (major << 20 | minor) */
	uint16_t mode;
};

void fd_kinds_init(struct fd_kinds *k);
void fd_kinds_free(struct fd_kinds *k);
/*
 * The kind of fd in process tgid; FD_UNKNOWN if it is gone or cannot be
 * asked. With file (may be NULL) read by the kernel side, a FIFO, a file
 * or a terminal is known from its mode alone, and a socket already asked
 * from its inode: /proc is read only for what they do not tell (anonymous
 * inodes, a call that did not sleep) and a socket is asked once.
 */
enum fd_kind fd_kinds_lookup(struct fd_kinds *k, pid_t tgid, int fd, const struct fd_file *file,
			     uint64_t now_ns);

/* The pure parts, for the unit tests. What a /proc/PID/fd link names (a socket: *inode set). */
enum fd_kind fd_link_kind(const char *link, unsigned long *inode);
/*
 * What an inode's mode (and a character device's number) says: FD_IPC for a
 * FIFO, FD_FILE for a file, directory or block device, FD_TTY for a terminal
 * (majors 4, 5 and the ptys' 136-143), FD_OTHER for another character
 * device; FD_UNKNOWN for a socket (to be asked) or no mode (/proc tells).
 */
enum fd_kind fd_mode_kind(uint16_t mode, uint32_t dev);

/* What a socket said of itself. */
struct fd_socket_facts {
	int domain, type;
	bool connected;	     /* it has a peer */
	bool named;	     /* AF_UNIX: bound to a path (an accepted socket has its listener's) */
	uint16_t local_port; /* AF_INET, AF_INET6 */
};

enum fd_kind fd_socket_kind(const struct fd_socket_facts *f, const uint16_t *listening, int n);

#endif
