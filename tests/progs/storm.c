// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * storm: a syscall storm, the load of the overhead benchmark (scripts/bench.sh).
 *
 *   --mode getppid   N getppid() calls, the cheapest real syscall
 *   --mode read      N read()s of 1 byte from /dev/zero
 *   --mode readseek  N pairs of read() and lseek() on /dev/zero: two syscalls
 *                    (0 and 8) that share a set of blockscope's kernel slots
 *   --mode rate      getppid() paced at R calls/s (over all threads) for S s
 *   --mode pipe      one read() of a pipe that sleeps until a byte comes 20 ms
 *                    later, then N pairs of 1-byte write() and read() on the
 *                    pipe, which never sleep: read is a syscall that has slept
 *
 * The timed loop is clocked by the program itself (CLOCK_MONOTONIC, a vDSO
 * call: no syscall of its own), so the start-up of the process and of a
 * tracer are not in the figure. With --wait-signal or --wait-file the loop
 * starts only on a go (SIGUSR1, or the file appearing) so a tracer can
 * attach by PID first. Every wait and loop is bounded in time.
 *
 * Output, one line each on stdout:
 *   READY pid=PID                      (when waiting for the go)
 *   STORM mode=M threads=T calls=N elapsed_ns=N ns_per_call=F cpu_ns_per_call=F rate=F
 *         target_rate=R
 * (one line) where ns_per_call is wall time (the loop's time x threads / calls),
 * cpu_ns_per_call the threads' CPU time over the calls (tracing work done in
 * the caller's context counts; waiting for a CPU or for a ptrace stop does
 * not), and rate the calls per second achieved over all threads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "go.h"

enum mode { MODE_GETPPID, MODE_READ, MODE_READSEEK, MODE_RATE, MODE_PIPE };

static enum mode mode = MODE_GETPPID;
static long long calls = 1000000;
static double rate;	   /* calls/s over all threads, rate mode */
static double seconds = 1; /* rate mode */
static int nthreads = 1;
static int wait_signal;
static const char *wait_file;
static double wait_max = 60;
static int zero_fd = -1;
/* The threads exist before the go (as a real pool would); they start together. */
static pthread_barrier_t start_line;

struct worker {
	pthread_t thread;
	long long done;
	long long elapsed_ns;
	long long cpu_ns; /* the thread's CPU time in its loop, user + system */
};


/* Unlike wall time, this leaves out time spent waiting for a CPU held by
 * another process, which makes it the steadier figure on a busy machine. */
static long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: storm [OPTIONS]\n"
		"\n"
		"A syscall storm that times its own loop. Prints one line\n"
		"\"STORM mode=M threads=T calls=N elapsed_ns=N ns_per_call=F cpu_ns_per_call=F\n"
		"rate=F target_rate=R\".\n"
		"\n"
		"Options:\n"
		"  --mode M          getppid (default), read (1-byte reads of /dev/zero),\n"
		"                    readseek (read and lseek of /dev/zero, in turn),\n"
		"                    rate (getppid paced at --rate for --seconds), or pipe\n"
		"                    (a read of a pipe that sleeps, then N write+read pairs)\n"
		"  --calls N         calls per thread in getppid/read mode (default 1000000)\n"
		"  --rate R          rate mode: R calls/s over all threads\n"
		"  --seconds S       rate mode: run for S seconds (default 1)\n"
		"  --threads T       run the loop in T threads (default 1)\n"
		"  --wait-signal     print \"READY pid=PID\", start on SIGUSR1\n"
		"  --wait-file PATH  print \"READY pid=PID\", start once PATH exists\n"
		"  --wait-max S      give up (exit 3) if no go within S seconds (default 60)\n"
		"  --help            show this help\n");
}


static void one_call(void)
{
	char c;

	if (mode == MODE_READ || mode == MODE_READSEEK) {
		if (read(zero_fd, &c, 1) != 1) {
			perror("storm: read /dev/zero");
			exit(1);
		}
		if (mode == MODE_READSEEK && lseek(zero_fd, 0, SEEK_SET) < 0) {
			perror("storm: lseek /dev/zero");
			exit(1);
		}
	} else {
		getppid();
	}
}

/* A fixed count of calls as fast as they go. */
static void run_count(struct worker *w)
{
	long long i, t0 = now_ns(), c0 = thread_cpu_ns();

	for (i = 0; i < calls; i++)
		one_call();
	w->elapsed_ns = now_ns() - t0;
	w->cpu_ns = thread_cpu_ns() - c0;
	w->done = calls;
}

static void *feed_later(void *arg)
{
	usleep(20000);
	if (write(*(int *)arg, "x", 1) != 1)
		perror("storm: write pipe");
	return NULL;
}

/* A read that sleeps once, then reads of the same syscall that never do. */
static void run_pipe(struct worker *w)
{
	long long i, t0, c0;
	pthread_t feeder;
	int fds[2];
	char c;

	if (pipe(fds) || pthread_create(&feeder, NULL, feed_later, &fds[1])) {
		perror("storm: pipe");
		exit(1);
	}
	if (read(fds[0], &c, 1) != 1) {
		perror("storm: read pipe");
		exit(1);
	}
	pthread_join(feeder, NULL);
	t0 = now_ns();
	c0 = thread_cpu_ns();
	for (i = 0; i < calls; i++) {
		if (write(fds[1], "x", 1) != 1 || read(fds[0], &c, 1) != 1) {
			perror("storm: pipe");
			exit(1);
		}
	}
	w->elapsed_ns = now_ns() - t0;
	w->cpu_ns = thread_cpu_ns() - c0;
	w->done = calls;
	close(fds[0]);
	close(fds[1]);
}

/*
 * Calls paced to this thread's share of the rate: the loop checks the clock
 * every few calls and runs whatever calls are due. Ahead of schedule it
 * sleeps when the next call is far off (>= 100 us: threads at a low rate
 * leave the CPUs to the others and to the tracer's collector), and spins
 * otherwise. It never runs past --seconds, so a thread that cannot keep up
 * simply achieves a lower rate, which the output line reports.
 */
static void run_rate(struct worker *w)
{
	double per_ns = rate / nthreads / 1e9;
	long long t0 = now_ns(), end = t0 + (long long)(seconds * 1e9), c0 = thread_cpu_ns();
	long long done = 0, now = t0;
	int batch = rate / nthreads >= 100000 ? 16 : 1;
	int i;

	while (now < end) {
		long long due = (long long)((double)(now - t0) * per_ns);

		if (done < due) {
			for (i = 0; i < batch; i++)
				getppid();
			done += batch;
		} else {
			long long next = t0 + (long long)((double)(done + 1) / per_ns);
			long long gap = (next < end ? next : end) - now;

			if (gap >= 100000) {
				struct timespec ts = { 0, gap < 100000000 ? gap : 100000000 };

				nanosleep(&ts, NULL);
			}
		}
		now = now_ns();
	}
	w->elapsed_ns = now - t0;
	w->cpu_ns = thread_cpu_ns() - c0;
	w->done = done;
}

static void *run(void *arg)
{
	if (nthreads > 1)
		pthread_barrier_wait(&start_line);
	if (mode == MODE_RATE)
		run_rate(arg);
	else if (mode == MODE_PIPE)
		run_pipe(arg);
	else
		run_count(arg);
	return NULL;
}

static void parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "calls", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "wait-signal", no_argument, NULL, 'S' },
		{ "wait-file", required_argument, NULL, 'F' },
		{ "wait-max", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "getppid"))
				mode = MODE_GETPPID;
			else if (!strcmp(optarg, "read"))
				mode = MODE_READ;
			else if (!strcmp(optarg, "readseek"))
				mode = MODE_READSEEK;
			else if (!strcmp(optarg, "rate"))
				mode = MODE_RATE;
			else if (!strcmp(optarg, "pipe"))
				mode = MODE_PIPE;
			else {
				fprintf(stderr, "storm: unknown mode '%s'\n", optarg);
				exit(2);
			}
			break;
		case 'n':
			calls = atoll(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'S':
			wait_signal = 1;
			break;
		case 'F':
			wait_file = optarg;
			break;
		case 'W':
			wait_max = atof(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc || calls <= 0 || nthreads <= 0 || nthreads > 4096 ||
	    (mode == MODE_RATE && (rate <= 0 || seconds <= 0 || seconds > 3600)) ||
	    wait_max <= 0) {
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct worker *w;
	long long total = 0, elapsed = 0, cpu = 0;
	sigset_t set;
	int i;

	parse(argc, argv);
	/* Blocked before any thread exists, so every thread inherits it. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (mode == MODE_READ || mode == MODE_READSEEK) {
		zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		if (zero_fd < 0) {
			perror("storm: /dev/zero");
			return 1;
		}
	}
	w = calloc((size_t)nthreads, sizeof(*w));
	if (!w)
		return 1;
	if (nthreads == 1) {
		if ((wait_signal || wait_file) && wait_for_go("storm", wait_signal, wait_file, wait_max))
			return 3;
		run(&w[0]);
	} else {
		pthread_barrier_init(&start_line, NULL, (unsigned)nthreads + 1);
		for (i = 0; i < nthreads; i++)
			if (pthread_create(&w[i].thread, NULL, run, &w[i])) {
				fprintf(stderr, "storm: cannot create thread %d\n", i);
				return 1;
			}
		if ((wait_signal || wait_file) && wait_for_go("storm", wait_signal, wait_file, wait_max))
			_exit(3); /* the threads wait at the barrier forever */
		pthread_barrier_wait(&start_line);
		for (i = 0; i < nthreads; i++)
			pthread_join(w[i].thread, NULL);
	}
	for (i = 0; i < nthreads; i++) {
		total += w[i].done;
		cpu += w[i].cpu_ns;
		if (w[i].elapsed_ns > elapsed)
			elapsed = w[i].elapsed_ns;
	}
	if (elapsed <= 0)
		elapsed = 1;
	/* ns_per_call is per thread: each thread's loop time over its calls. */
	printf("STORM mode=%s threads=%d calls=%lld elapsed_ns=%lld ns_per_call=%.1f "
	       "cpu_ns_per_call=%.1f rate=%.0f target_rate=%.0f\n",
	       mode == MODE_READ ? "read" : mode == MODE_READSEEK ? "readseek" :
	       mode == MODE_RATE ? "rate" : mode == MODE_PIPE ? "pipe" : "getppid", nthreads, total,
	       elapsed, (double)elapsed * nthreads / (double)total, (double)cpu / (double)total,
	       (double)total * 1e9 / (double)elapsed, rate);
	free(w);
	return 0;
}
