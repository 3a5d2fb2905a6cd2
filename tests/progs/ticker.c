// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Wakeups with one known cause each, for the wakers test:
 *   ticker sleep COUNT USEC   nanosleep USEC, COUNT times: only its own timer wakes it
 *   ticker write COUNT USEC [FIFO]  a byte every USEC to FIFO (else stdout)
 *   ticker read [FIFO]        reads FIFO (else stdin) until EOF: woken by the writer;
 *                             opening a FIFO waits for the other end, so the
 *                             writer begins only once the reader is there
 *   ticker tcp COUNT USEC     reads a loopback TCP connection whose peer, a child
 *                             process named "peer", writes a byte every USEC
 * Bounded: COUNT times, and the reader stops at EOF.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pause_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int drain(int fd)
{
	char buf[64];
	ssize_t n;
	long got = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got += n;
	printf("read %ld bytes\n", got);
	return n < 0;
}

static int tcp(int count, long us)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c, i;
	pid_t peer;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len)) {
		perror("ticker: listen");
		return 1;
	}
	peer = fork();
	if (peer == 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		prctl(PR_SET_NAME, "peer");
		if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)))
			_exit(1);
		for (i = 0; i < count; i++) {
			pause_us(us);
			if (write(s, "x", 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	c = accept(l, NULL, NULL);
	if (c < 0) {
		perror("ticker: accept");
		return 1;
	}
	i = drain(c);
	waitpid(peer, NULL, 0);
	return i;
}

int main(int argc, char **argv)
{
	int count = argc > 2 && strcmp(argv[1], "read") ? atoi(argv[2]) : 300, i;
	long us = argc > 3 ? atol(argv[3]) : 1000;

	if (argc < 2 || count <= 0 || count > 100000 || us <= 0 || us > 1000000) {
		fprintf(stderr, "usage: ticker sleep|write|tcp COUNT USEC, or ticker read\n");
		return 2;
	}
	if (strcmp(argv[1], "sleep") == 0) {
		for (i = 0; i < count; i++)
			pause_us(us);
		return 0;
	}
	if (strcmp(argv[1], "write") == 0) {
		int fd = argc > 4 ? open(argv[4], O_WRONLY) : STDOUT_FILENO;

		for (i = 0; i < count && fd >= 0; i++) {
			pause_us(us);
			if (write(fd, "x", 1) != 1)
				return 1;
		}
		return fd < 0;
	}
	if (strcmp(argv[1], "read") == 0) {
		int fd = argc > 2 ? open(argv[2], O_RDONLY) : STDIN_FILENO;

		return fd < 0 || drain(fd);
	}
	if (strcmp(argv[1], "tcp") == 0)
		return tcp(count, us);
	fprintf(stderr, "ticker: unknown mode '%s'\n", argv[1]);
	return 2;
}
