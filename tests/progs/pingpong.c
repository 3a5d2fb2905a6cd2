// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * pingpong: two threads hand a token back and forth, over two pipes (each
 * hand-over a write, a blocking read, a wakeup and a context switch) or over
 * a futex word. Each round trip costs at least two context switches, which
 * is what the scheduler hooks of a tracer (sched_switch, sched_wakeup) add
 * to. Both threads are pinned to one CPU by default, so every hand-over is a
 * real switch rather than a wakeup of an idle CPU.
 *
 * Two more modes test how --sched-only tells calls apart without sys_exit:
 * --epoll, where each thread waits in epoll_wait (edge-triggered, its
 * socket never read but every 64 rounds) and hands over with send(), so its
 * two sleeps are a few µs apart with no read or write between; and --bulk,
 * where one thread writes BULK bytes per round in one write() into a 1 MB
 * pipe that the other empties in 1 MB reads, so each write sleeps many
 * times with a megabyte of copying between sleeps.
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
#include <fcntl.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
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
static int use_epoll, ep_ping, ep_pong, sock[2]; /* --epoll: sock[0] ping's end, sock[1] pong's */
static long long bulk;				  /* --bulk: bytes per write */
static char *bulk_buf;
#define BULK_PIPE (1 << 20)
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
		   "  --epoll           wait in epoll_wait, hand over with send() on a socketpair\n"
		   "  --bulk BYTES      one write() of BYTES per round into a 1 MB pipe, read in 1 MB\n"
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

/* --epoll: one edge-triggered epoll set per thread, on its end of the socketpair. */
static int epoll_on(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("pingpong: epoll");
	return ep;
}

static void epoll_pass(int fd)
{
	if (send(fd, "x", 1, MSG_DONTWAIT) != 1)
		die("pingpong: send");
}

/* Each send is a new edge; the bytes are drained now and then, not read per round. */
static void epoll_take(int ep, int fd, long long round)
{
	struct epoll_event ev;
	char drain[256];

	while (epoll_wait(ep, &ev, 1, -1) != 1)
		if (errno != EINTR)
			die("pingpong: epoll_wait");
	if (round % 64 == 63)
		while (recv(fd, drain, sizeof(drain), MSG_DONTWAIT) > 0)
			;
}

/* --bulk: the writer's side, one call per round. */
static void bulk_write(void)
{
	if (write(ping[1], bulk_buf, (size_t)bulk) != bulk)
		die("pingpong: write");
}

/* --bulk: the reader's side, until the round's bytes are in. */
static void bulk_read(void)
{
	long long got = 0;
	ssize_t n;

	while (got < bulk) {
		n = read(ping[0], bulk_buf + BULK_PIPE,
			 bulk - got < BULK_PIPE ? (size_t)(bulk - got) : BULK_PIPE);
		if (n <= 0)
			die("pingpong: read");
		got += n;
	}
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
		if (bulk) {
			bulk_read();
		} else if (use_epoll) {
			epoll_take(ep_pong, sock[1], i);
			epoll_pass(sock[1]);
		} else if (use_futex) {
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
		{ "epoll", no_argument, NULL, 'e' },
		{ "bulk", required_argument, NULL, 'b' },
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
		case 'e':
			use_epoll = 1;
			break;
		case 'b':
			bulk = atoll(optarg);
			if (bulk <= 0) {
				usage(stderr);
				exit(2);
			}
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
	if (use_epoll) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock))
			die("pingpong: socketpair");
		ep_ping = epoll_on(sock[0]);
		ep_pong = epoll_on(sock[1]);
	}
	if (bulk) {
		/* One buffer for both sides: the writer's BULK bytes, then the reader's 1 MB. */
		bulk_buf = calloc(1, (size_t)bulk + BULK_PIPE);
		if (!bulk_buf || fcntl(ping[1], F_SETPIPE_SZ, BULK_PIPE) < 0)
			die("pingpong: --bulk");
	}
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
		if (bulk) {
			bulk_write();
		} else if (use_epoll) {
			epoll_pass(sock[0]);
			epoll_take(ep_ping, sock[0], i);
		} else if (use_futex) {
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
	       bulk ? "bulk" : use_epoll ? "epoll" : use_futex ? "futex" : "pipe", rounds, elapsed, (double)elapsed / (double)rounds,
	       (double)cpu_ns / (double)rounds);
	return 0;
}
