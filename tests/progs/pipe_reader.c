// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A thread blocked in read() on a pipe that another thread feeds every few
 * ms: nearly every read should be classified blocking.
 * Usage: pipe_reader [messages] [interval_us]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int fds[2];
static int messages = 200;
static int interval_us = 3000;

static void *feeder(void *arg)
{
	int i;

	(void)arg;
	pthread_setname_np(pthread_self(), "feeder");
	for (i = 0; i < messages; i++) {
		usleep(interval_us);
		if (write(fds[1], "x", 1) != 1)
			break;
	}
	close(fds[1]);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	char c;
	int got = 0;

	if (argc > 1)
		messages = atoi(argv[1]);
	if (argc > 2)
		interval_us = atoi(argv[2]);
	if (pipe(fds))
		return 1;
	pthread_setname_np(pthread_self(), "reader");
	pthread_create(&t, NULL, feeder, NULL);
	while (read(fds[0], &c, 1) == 1)
		got++;
	pthread_join(t, NULL);
	fprintf(stderr, "read %d messages\n", got);
	return got == messages ? 0 : 1;
}
