// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * True contention: THREADS threads ("locker-N") take one mutex in turn and
 * burn HOLD_US of CPU holding it, then sleep SLEEP_US (a little I/O-like
 * wait): most of their blocked time is waiting for each other.
 * Usage: hotlock [threads] [hold_us] [sleep_us] [seconds]   (bounded)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long hold_us = 500, sleep_us = 200;
static double seconds = 2;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void burn_us(long us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

static void *locker(void *arg)
{
	char name[16];
	double end = now_s() + seconds;

	snprintf(name, sizeof(name), "locker-%ld", (long)arg);
	pthread_setname_np(pthread_self(), name);
	while (now_s() < end) {
		pthread_mutex_lock(&lock);
		burn_us(hold_us);
		pthread_mutex_unlock(&lock);
		usleep((useconds_t)sleep_us);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 6;
	pthread_t t[64];
	long i;

	if (argc > 2)
		hold_us = atol(argv[2]);
	if (argc > 3)
		sleep_us = atol(argv[3]);
	if (argc > 4)
		seconds = atof(argv[4]);
	if (threads < 1 || threads > 64 || hold_us < 0 || sleep_us < 0 || seconds <= 0 || seconds > 60) {
		fprintf(stderr, "usage: hotlock [threads 1-64] [hold_us] [sleep_us] [seconds <= 60]\n");
		return 2;
	}
	for (i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, locker, (void *)i);
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return 0;
}
