// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Point "Pinned threads" of issue 14: a process whose CPU-bound threads are
 * all pinned to one CPU. THREADS spinners ("spin-N", default 4), each
 * pinned to CPU (default 0) before it spins, for SECONDS (default 10); the
 * main thread ("pinned") only starts and joins them. Whatever CPUs the
 * process may use, its work can use one CPU: the right N is 1, that CPU
 * is ~100% busy, its run queue is saturated, and the right size is 1.
 * Prints "pinned_spin pid=PID cpu=CPU" first, so that a tracer can attach
 * by PID. No system call while spinning (the clock is the vDSO's).
 * WORKERS (default 0) more threads ("work-N"), not pinned, each spin 1 ms
 * and sleep 3 ms in turn (WT/CT 3): a process with a pinned group beside a
 * pool that may use every CPU, whose N differ (issue 27).
 * Usage: pinned_spin [SECONDS] [THREADS] [CPU] [WORKERS]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

static double seconds = 10;
static int cpu;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
	char name[16];
	cpu_set_t set;
	volatile unsigned long x = 0;
	double end = now_s() + seconds;

	snprintf(name, sizeof(name), "spin-%ld", (long)arg);
	prctl(PR_SET_NAME, name);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		fprintf(stderr, "pinned_spin: cannot pin to CPU %d\n", cpu);
		exit(1);
	}
	while (now_s() < end)
		for (int i = 0; i < 100000; i++)
			x++;
	return NULL;
}

/* An unpinned worker: 1 ms on CPU, then 3 ms asleep, until the end. */
static void *work(void *arg)
{
	char name[16];
	volatile unsigned long x = 0;
	double end = now_s() + seconds;
	struct timespec nap = { 0, 3000000 };

	snprintf(name, sizeof(name), "work-%ld", (long)arg);
	prctl(PR_SET_NAME, name);
	while (now_s() < end) {
		double until = now_s() + 0.001;

		while (now_s() < until)
			for (int i = 0; i < 1000; i++)
				x++;
		nanosleep(&nap, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[MAX_THREADS], w[MAX_THREADS];
	int n = 4, nw = 0, i;

	if (argc > 1)
		seconds = atof(argv[1]);
	if (argc > 2)
		n = atoi(argv[2]);
	if (argc > 3)
		cpu = atoi(argv[3]);
	if (argc > 4)
		nw = atoi(argv[4]);
	if (seconds <= 0 || seconds > 3600 || n < 1 || n > MAX_THREADS || cpu < 0 ||
	    cpu >= CPU_SETSIZE || nw < 0 || nw > MAX_THREADS) {
		fprintf(stderr, "usage: pinned_spin [SECONDS (0-3600)] [THREADS (1-%d)] [CPU] [WORKERS (0-%d)]\n",
			MAX_THREADS, MAX_THREADS);
		return 2;
	}
	prctl(PR_SET_NAME, "pinned");
	printf("pinned_spin pid=%d cpu=%d\n", getpid(), cpu);
	fflush(stdout);
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, spin, (void *)(long)i)) {
			fprintf(stderr, "pinned_spin: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < nw; i++)
		if (pthread_create(&w[i], NULL, work, (void *)(long)i)) {
			fprintf(stderr, "pinned_spin: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < nw; i++)
		pthread_join(w[i], NULL);
	return 0;
}
