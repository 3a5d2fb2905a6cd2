// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Built by test_stacks.sh as programs are usually built (gcc -O2 -g, no
 * frame pointers, Debian's libc without them too): blocks in nanosleep and
 * read from its own named functions; each round forks a child that sleeps,
 * writes to the pipe the parent reads, and exits (reaped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) void sleep_in_own_function(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) ssize_t read_in_own_function(int fd)
{
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));

	__asm__ volatile("" ::: "memory");
	return n;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	int p[2];

	if (pipe(p))
		return 1;
	for (int i = 0; i < rounds; i++) {
		sleep_in_own_function(5);
		if (fork() == 0) {
			struct timespec ts = { 0, 2000000L };
			nanosleep(&ts, NULL);
			if (write(p[1], "x", 1) != 1)
				_exit(1);
			_exit(0);
		}
		read_in_own_function(p[0]);
		wait(NULL);
	}
	return 0;
}
