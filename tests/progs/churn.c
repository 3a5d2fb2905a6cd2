// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Thread churn: creates short-lived threads, each making exactly CALLS
 * getppid() calls, for SECONDS, a few at a time. Waits WAIT_MS first so a
 * tracer can attach. Prints "threads=N calls_each=K" at the end to stderr.
 * Usage: churn SECONDS [CALLS] [WAIT_MS]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int calls_each = 10;

static void *worker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < calls_each; i++)
		syscall(SYS_getppid); /* a real syscall every time, never cached */
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 60, end;
	long created = 0;
	int i;

	if (argc > 2)
		calls_each = atoi(argv[2]);
	if (argc > 3)
		usleep(atoi(argv[3]) * 1000);
	end = now_s() + seconds;
	while (now_s() < end) {
		pthread_t t[8];

		for (i = 0; i < 8; i++)
			if (pthread_create(&t[i], NULL, worker, NULL) == 0)
				created++;
			else
				t[i] = 0;
		for (i = 0; i < 8; i++)
			if (t[i])
				pthread_join(t[i], NULL);
		usleep(500); /* a few thousand threads a second, not a fork bomb */
	}
	fprintf(stderr, "threads=%ld calls_each=%d\n", created, calls_each);
	return 0;
}
