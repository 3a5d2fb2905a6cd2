// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * relay: one thread ("relay-waker") wakes another ("relay-waiter") after
 * waits of two kinds, by turns: a 10 ms nanosleep (a wait for a result: WT)
 * or a 1 ms epoll_wait that times out (a wait for new work: idle). Between
 * its wakeup and the hand-over it computes 2 ms, and 3 ms after it, with no
 * syscall (the clock is read in the vDSO). The waiter waits on a futex word
 * of its own for each kind (so two waits in a row differ in their
 * arguments and are never folded into one record).
 *
 * What the waiter's waits mean follows from what the waker waited for just
 * before it woke it (waits.c): after a sleep, a result came (WT, ~15 ms a
 * round); after the timed-out epoll_wait, work was handed over (idle, ~6 ms).
 * Without the syscall hooks (--sched-only) the waker's record leaves at its
 * next switch-out, 3 ms after the waiter's: only records put back in time
 * order (tracing/reorder.c) judge the waiter right.
 *
 * With --name-late each thread names itself once it runs, as most runtimes
 * do (until then both are called "relay", like the process): a tracer that
 * knew only the names threads were born with would take them for one group.
 *
 *   relay [--rounds N] [--name-late]   (prints RELAY rounds=N when done)
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Each word on a cache line of its own. */
static _Alignas(64) _Atomic unsigned words[2][16];
static long rounds = 200;
static int name_late;

static void spin_us(long us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

static void *waker(void *arg)
{
	struct timespec sleep = { 0, 10 * 1000000L };
	struct epoll_event ev;
	int ep = epoll_create1(0);
	long r;

	(void)arg;
	if (name_late)
		pthread_setname_np(pthread_self(), "relay-waker");
	if (ep < 0) {
		perror("relay: epoll_create1");
		exit(1);
	}
	for (r = 0; r < rounds; r++) {
		int k = (int)(r % 2);

		if (k == 0)
			nanosleep(&sleep, NULL);
		else
			epoll_wait(ep, &ev, 1, 1);
		spin_us(2000);
		atomic_fetch_add(&words[k][0], 1);
		syscall(SYS_futex, &words[k][0], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		spin_us(3000);
	}
	close(ep);
	return NULL;
}

static void *waiter(void *arg)
{
	unsigned seen[2] = { 0, 0 };
	long r;

	(void)arg;
	if (name_late)
		pthread_setname_np(pthread_self(), "relay-waiter");
	for (r = 0; r < rounds; r++) {
		int k = (int)(r % 2);

		while (atomic_load(&words[k][0]) == seen[k])
			syscall(SYS_futex, &words[k][0], FUTEX_WAIT_PRIVATE, seen[k], NULL, NULL, 0);
		seen[k]++;
	}
	return NULL;
}

/*
 * The two threads on CPUs of their own: the waiter woken on the waker's CPU
 * would preempt it, and that switch-out would send the waker's record
 * first. Where there is one CPU, no pinning.
 */
static pthread_attr_t *on_cpu(pthread_attr_t *attr, int cpu)
{
	cpu_set_t set;

	pthread_attr_init(attr);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return attr;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_setaffinity_np(attr, sizeof(set), &set);
	return attr;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "rounds", required_argument, NULL, 'r' },
					      { "name-late", no_argument, NULL, 'n' },
					      { NULL, 0, NULL, 0 } };
	pthread_attr_t attr;
	pthread_t w, x;
	int c;

	while ((c = getopt_long(argc, argv, "r:n", opts, NULL)) != -1) {
		if (c == 'n')
			name_late = 1;
		else if (c != 'r' || (rounds = atol(optarg)) <= 0) {
			fprintf(stderr, "usage: relay [--rounds N] [--name-late]\n");
			return 2;
		}
	}
	/*
	 * Each thread takes its name from its creator: a tracer knows a
	 * thread by the name in its fork record while the trace runs, and
	 * two threads both called "relay" would be one group (their waits on
	 * each other then read as contention between siblings).
	 */
	if (!name_late)
		prctl(PR_SET_NAME, "relay-waiter");
	if (pthread_create(&x, on_cpu(&attr, 1), waiter, NULL))
		goto fail;
	if (!name_late)
		prctl(PR_SET_NAME, "relay-waker");
	if (pthread_create(&w, on_cpu(&attr, 0), waker, NULL))
		goto fail;
	prctl(PR_SET_NAME, "relay");
	pthread_join(w, NULL);
	pthread_join(x, NULL);
	printf("RELAY rounds=%ld\n", rounds);
	return 0;
fail:
	perror("relay: pthread_create");
	return 1;
}
