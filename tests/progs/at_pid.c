// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * An unrelated process that takes a given, freed PID: for the PID-reuse
 * tests. clone3() with set_tid (root, Linux 5.5+) creates the child with
 * exactly that PID in our PID namespace, or fails (EEXIST if it is taken).
 *
 * The child names itself "pidreuse", starts 2 threads and forks 1 process;
 * all 4 make a getppid() and a 1 ms nanosleep (a blocking call) in a loop
 * for SECONDS (the forked one for half as long). If a tracer mixed the
 * PID's new owner in, its threads, calls, children and name would all show.
 *
 * Usage: at_pid PID SECONDS [detach]
 * Prints "pid=PID" once the child runs; exits with the child's status, or
 * at once with "detach" (the child is then reparented and runs on alone).
 * The child execs this program again ("--child SECONDS"), so that glibc,
 * which a raw clone3 leaves with the parent's TID cached, starts afresh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *unused)
{
	struct timespec ms = { 0, 1000000 };
	double end = now_s() + seconds;

	(void)unused;
	while (now_s() < end) {
		(void)syscall(SYS_getppid);
		nanosleep(&ms, NULL);
	}
	return NULL;
}

static int child_main(void)
{
	pthread_t th[2];
	pid_t grandchild;
	int i;

	prctl(PR_SET_NAME, "pidreuse");
	for (i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, work, NULL))
			return 1;
	grandchild = fork();
	if (grandchild == 0) {
		seconds /= 2; /* so that its parent is the last one left */
		work(NULL);
		_exit(0);
	}
	work(NULL);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (grandchild > 0)
		waitpid(grandchild, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct clone_args args;
	pid_t want, got;
	int status;

	if (argc == 3 && strcmp(argv[1], "--child") == 0) {
		seconds = atof(argv[2]);
		return child_main();
	}
	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "detach") == 0)) {
		fprintf(stderr, "usage: at_pid PID SECONDS [detach]\n");
		return 2;
	}
	want = (pid_t)atoi(argv[1]);
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uint64_t)(uintptr_t)&want;
	args.set_tid_size = 1;
	got = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (got < 0) {
		fprintf(stderr, "at_pid: clone3 with set_tid=%d: %s\n", want, strerror(errno));
		return 3;
	}
	if (got == 0) {
		char *child_argv[] = { argv[0], "--child", argv[2], NULL };

		execv("/proc/self/exe", child_argv);
		_exit(127);
	}
	printf("pid=%d\n", got);
	fflush(stdout);
	if (argc == 4)
		return 0;
	if (waitpid(got, &status, 0) != got)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
