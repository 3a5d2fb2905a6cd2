/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The go of the benchmark's loads (storm, pingpong): each prints
 * "READY pid=PID" and starts its timed loop only on SIGUSR1 (blocked by the
 * caller before any thread exists) or once a file appears, so that a tracer
 * can attach by PID first. Bounded: no go within wait_max seconds, -1.
 */
#ifndef PROGS_GO_H
#define PROGS_GO_H

#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* by_signal: wait for SIGUSR1; else for the file. prog names the error line. */
static int wait_for_go(const char *prog, int by_signal, const char *file, double wait_max)
{
	long long deadline = now_ns() + (long long)(wait_max * 1e9);
	sigset_t set;

	printf("READY pid=%d\n", getpid());
	fflush(stdout);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	while (now_ns() < deadline) {
		if (by_signal) {
			struct timespec slice = { 0, 100000000 };

			/* EINTR too: a ptrace attach (strace -p) interrupts the wait. */
			if (sigtimedwait(&set, NULL, &slice) == SIGUSR1)
				return 0;
		} else {
			struct timespec tick = { 0, 1000000 };

			if (access(file, F_OK) == 0)
				return 0;
			nanosleep(&tick, NULL);
		}
	}
	fprintf(stderr, "%s: no go within %.0f s\n", prog, wait_max);
	return -1;
}

#endif
