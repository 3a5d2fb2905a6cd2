// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Threads with different mixes of CPU and sleep, each of which reads its
 * own counters from /proc/thread-self just before it ends and writes them
 * to the file named by argv[1]: the ground truth the tracer must match.
 * Line format: tid vol invol oncpu_ns runq_ns
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

struct mix {
	int rounds;
	int spin_us;
	int sleep_us;
};

static void spin_us(int us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

static void report_self(void)
{
	unsigned long long oncpu = 0, runq = 0, vol = 0, invol = 0, n;
	char line[256];
	FILE *f;

	f = fopen("/proc/thread-self/status", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "voluntary_ctxt_switches: %llu", &n) == 1)
			vol = n;
		else if (sscanf(line, "nonvoluntary_ctxt_switches: %llu", &n) == 1)
			invol = n;
	}
	if (f)
		fclose(f);
	f = fopen("/proc/thread-self/schedstat", "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &oncpu, &runq) != 2)
			oncpu = runq = 0;
		fclose(f);
	}
	pthread_mutex_lock(&out_lock);
	fprintf(out, "%d %llu %llu %llu %llu\n", gettid(), vol, invol, oncpu, runq);
	fflush(out);
	pthread_mutex_unlock(&out_lock);
}

static void *run(void *arg)
{
	const struct mix *m = arg;
	int i;

	for (i = 0; i < m->rounds; i++) {
		spin_us(m->spin_us);
		if (m->sleep_us)
			usleep(m->sleep_us);
	}
	report_self();
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct mix mixes[] = {
		{ 1, 200000, 0 },   /* CPU-bound */
		{ 100, 300, 2000 }, /* mostly asleep */
		{ 60, 1500, 1500 }, /* half and half */
		{ 40, 2000, 500 },  /* CPU-heavy with short sleeps */
	};
	static const struct mix main_mix = { 40, 2000, 1000 }; /* outweighs its exit cost */
	pthread_t t[sizeof(mixes) / sizeof(mixes[0])];
	size_t i;

	if (argc < 2) {
		fprintf(stderr, "usage: selfcheck OUTFILE\n");
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out)
		return 1;
	for (i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++)
		pthread_create(&t[i], NULL, run, (void *)&mixes[i]);
	for (i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++)
		pthread_join(t[i], NULL);
	run((void *)&main_mix);
	fclose(out);
	return 0;
}
