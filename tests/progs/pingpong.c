// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * pingpong: two threads hand a token back and forth, over two pipes (each
 * hand-over a write, a blocking read, a wakeup and a context switch) or over
 * a futex word. Each round trip costs at least two context switches, which
 * is what the scheduler hooks of a tracer (sched_switch, sched_wakeup) add
 * to. Both threads are pinned to one CPU by default, so every hand-over is a
 * real switch rather than a wakeup of an idle CPU.
 *
 * Like storm, it can wait for a go (SIGUSR1 or a file) so a tracer attaches
 * first; it times its own loop and prints one line:
 *   PINGPONG mode=M rounds=N elapsed_ns=N ns_per_round_trip=F cpu_ns_per_round_trip=F
 * cpu_ns is the process's CPU time in the loop (both threads, the scheduler
 * and any tracer's programs run in them included): on a VM it leaves out
 * the time the host gave the CPU to others, which wall time does not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "go.h"

static long long rounds = 100000;
static int use_futex;
static int cpu = 0; /* -1: not pinned */
static int wait_signal;
static const char *wait_file;
static double wait_max = 60;

static int ping[2], pong[2];
static _Atomic int word; /* futex mode: 0 = ping's turn, 1 = pong's turn */


static void usage(FILE *f)
{
	fprintf(f, "Usage: pingpong [OPTIONS]\n"
		   "\n"
		   "Two threads pass a token back and forth; prints\n"
		   "\"PINGPONG mode=M rounds=N elapsed_ns=N ns_per_round_trip=F\n"
		   "cpu_ns_per_round_trip=F\".\n"
		   "\n"
		   "Options:\n"
		   "  --rounds N        round trips (default 100000)\n"
		   "  --futex           hand over with a futex word instead of pipes\n"
		   "  --cpu C           pin both threads to CPU C (default 0; -1: do not pin)\n"
		   "  --wait-signal     print \"READY pid=PID\", start on SIGUSR1\n"
		   "  --wait-file PATH  print \"READY pid=PID\", start once PATH exists\n"
		   "  --wait-max S      give up (exit 3) if no go within S seconds (default 60)\n"
		   "  --help            show this help\n");
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void futex_wait(int val)
{
	syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(void)
{
	syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Waits until the word is `turn`; a futex wait returns on any change. */
static void futex_await(int turn)
{
	int v;

	while ((v = atomic_load(&word)) != turn)
		futex_wait(v);
}

static long long process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pass(int fd)
{
	char c = 'x';

	if (write(fd, &c, 1) != 1)
		die("pingpong: write");
}

static void take(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		die("pingpong: read");
}

static void pin(void)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("pingpong: sched_setaffinity");
}

/* The other thread: answers every ping. */
static void *ponger(void *arg)
{
	long long i;

	(void)arg;
	pin();
	for (i = 0; i < rounds; i++) {
		if (use_futex) {
			futex_await(1);
			atomic_store(&word, 0);
			futex_wake();
		} else {
			take(ping[0]);
			pass(pong[1]);
		}
	}
	return NULL;
}


static void parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'n' },
		{ "futex", no_argument, NULL, 'f' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "wait-signal", no_argument, NULL, 'S' },
		{ "wait-file", required_argument, NULL, 'F' },
		{ "wait-max", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			rounds = atoll(optarg);
			break;
		case 'f':
			use_futex = 1;
			break;
		case 'c':
			cpu = atoi(optarg);
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
	if (optind < argc || rounds <= 0 || wait_max <= 0) {
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	pthread_t other;
	long long i, t0, elapsed, cpu0, cpu_ns;
	sigset_t set;

	parse(argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (pipe(ping) || pipe(pong))
		die("pingpong: pipe");
	pin();
	/* The thread exists before the go, so a tracer attached by PID sees it. */
	if (pthread_create(&other, NULL, ponger, NULL))
		die("pingpong: pthread_create");
	if ((wait_signal || wait_file) && wait_for_go("pingpong", wait_signal, wait_file, wait_max)) {
		/* release the ponger so the process can end */
		exit(3);
	}
	cpu0 = process_cpu_ns();
	t0 = now_ns();
	for (i = 0; i < rounds; i++) {
		if (use_futex) {
			atomic_store(&word, 1);
			futex_wake();
			futex_await(0);
		} else {
			pass(ping[1]);
			take(pong[0]);
		}
	}
	elapsed = now_ns() - t0;
	cpu_ns = process_cpu_ns() - cpu0;
	pthread_join(other, NULL);
	printf("PINGPONG mode=%s rounds=%lld elapsed_ns=%lld ns_per_round_trip=%.1f "
	       "cpu_ns_per_round_trip=%.1f\n",
	       use_futex ? "futex" : "pipe", rounds, elapsed, (double)elapsed / (double)rounds,
	       (double)cpu_ns / (double)rounds);
	return 0;
}
