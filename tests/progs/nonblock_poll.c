// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Polls an empty O_NONBLOCK pipe: every read returns EAGAIN and none
 * blocks. Non-blocking, and still synchronous.
 * Usage: nonblock_poll [reads] [delay_ms]
 * delay_ms: sleep first, so a tracer attached by PID sees only the polling.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long reads = argc > 1 ? atol(argv[1]) : 100000, i, eagain = 0;
	int fds[2];
	char c;

	if (pipe2(fds, O_NONBLOCK))
		return 1;
	if (argc > 2)
		usleep(atoi(argv[2]) * 1000);
	for (i = 0; i < reads; i++)
		if (read(fds[0], &c, 1) < 0 && errno == EAGAIN)
			eagain++;
	fprintf(stderr, "%ld reads, %ld EAGAIN\n", reads, eagain);
	return eagain == reads ? 0 : 1;
}
