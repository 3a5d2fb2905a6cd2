// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Loads for the agreement tests. Every worker thread reads its own
 * counters from /proc/thread-self just before it ends and appends
 * "tid vol invol oncpu_ns runq_ns" to OUTFILE: the kernel's ground truth.
 *
 * Usage: agree OUTFILE few|many|pinned|churn|fork|live [seconds]
 *   few     2 threads, half CPU half sleep (threads <= cores)
 *   many    6 CPU-heavy threads on 2 cores (long run-queue waits)
 *   pinned  3 threads pinned to CPU 0
 *   churn   short-lived threads, each ~40 ms, two at a time, created all along
 *   fork    3 child processes of 1 thread each
 * (churn and fork stay within the 2 CPUs, so a thread is not kept waiting
 * for a CPU between its own last read and its end)
 *   live    2 threads that run until killed (for attach-by-PID windows)
 *   mixed   4 threads with different mixes, then the main thread reports too
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct mix {
	int spin_us;
	int sleep_us;
	double seconds; /* <= 0: forever */
	int pin_cpu;	/* -1: not pinned */
};

static int out_fd = -1;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin_us(int us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

/* The whole of a small /proc file into buf (NUL-terminated); 0 if unreadable. */
static size_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

/*
 * No stdio and no malloc here: a thread's first fopen makes its malloc
 * arena, an mmap that takes the process's mmap_lock for writing, and the
 * siblings ending at the same moment then sleep on it: voluntary switches
 * after the counters were read, which the kernel counts and blockscope sees
 * (agree_many was 3 off once, on a loaded host). Raw reads keep the time
 * between this read and the thread's end free of such waits.
 */
static void report_self(void)
{
	unsigned long long oncpu = 0, runq = 0, vol = 0, invol = 0;
	char status[4096], sched[128], line[256];
	const char *p;
	int n;

	read_small("/proc/thread-self/status", status, sizeof(status));
	read_small("/proc/thread-self/schedstat", sched, sizeof(sched));
	if ((p = strstr(status, "\nvoluntary_ctxt_switches:")))
		vol = strtoull(p + 25, NULL, 10);
	if ((p = strstr(status, "\nnonvoluntary_ctxt_switches:")))
		invol = strtoull(p + 28, NULL, 10);
	if (sscanf(sched, "%llu %llu", &oncpu, &runq) != 2)
		oncpu = runq = 0;
	/* One write per line: O_APPEND keeps lines whole across processes. */
	n = snprintf(line, sizeof(line), "%d %llu %llu %llu %llu\n", gettid(), vol, invol, oncpu,
		     runq);
	if (write(out_fd, line, (size_t)n) < 0)
		exit(1);
}

static void *run(void *arg)
{
	const struct mix *m = arg;
	double end = now_s() + m->seconds;

	if (m->pin_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(m->pin_cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	pthread_setname_np(pthread_self(), "load");
	while (m->seconds <= 0 || now_s() < end) {
		spin_us(m->spin_us);
		if (m->sleep_us)
			usleep(m->sleep_us);
	}
	report_self();
	return NULL;
}

static void run_mixes(const struct mix *m, int n)
{
	pthread_t t[16];
	int i;

	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, run, (void *)&m[i]);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static void run_threads(int n, const struct mix *m)
{
	pthread_t t[16];
	int i;

	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, run, (void *)m);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	const char *mode;
	double seconds;

	if (argc < 3) {
		fprintf(stderr, "usage: agree OUTFILE few|many|pinned|churn|fork|live|mixed [seconds]\n");
		return 2;
	}
	out_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
	if (out_fd < 0)
		return 1;
	mode = argv[2];
	seconds = argc > 3 ? atof(argv[3]) : 1.5;
	if (strcmp(mode, "few") == 0) {
		struct mix m = { 1000, 1000, seconds, -1 };

		run_threads(2, &m);
	} else if (strcmp(mode, "many") == 0) {
		struct mix m = { 2000, 500, seconds, -1 };

		run_threads(6, &m);
	} else if (strcmp(mode, "pinned") == 0) {
		struct mix m = { 1500, 500, seconds, 0 };

		run_threads(3, &m);
	} else if (strcmp(mode, "churn") == 0) {
		struct mix m = { 2000, 1000, 0.04, -1 };
		double end = now_s() + seconds;

		while (now_s() < end)
			run_threads(2, &m);
	} else if (strcmp(mode, "fork") == 0) {
		struct mix m = { 1000, 1000, seconds, -1 };
		int i;

		for (i = 0; i < 3; i++)
			if (fork() == 0) {
				run_threads(1, &m);
				_exit(0);
			}
		while (wait(NULL) > 0)
			;
	} else if (strcmp(mode, "mixed") == 0) {
		static const struct mix mixes[] = {
			{ 200000, 0, 0.2, -1 },	 /* CPU-bound */
			{ 300, 2000, 0.25, -1 }, /* mostly asleep */
			{ 1500, 1500, 0.2, -1 }, /* half and half */
			{ 2000, 500, 0.1, -1 },	 /* CPU-heavy with short sleeps */
		};
		int round;

		run_mixes(mixes, 4);
		/* 80 ms of its own CPU, however loaded the machine: it outweighs its exit. */
		for (round = 0; round < 40; round++) {
			spin_us(2000);
			usleep(1000);
		}
		report_self();
	} else if (strcmp(mode, "live") == 0) {
		struct mix m = { 1000, 1000, 0, -1 };

		run_threads(2, &m);
	} else {
		fprintf(stderr, "agree: unknown mode '%s'\n", mode);
		return 2;
	}
	return 0;
}
