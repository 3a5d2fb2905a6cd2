// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Spins on the CPU for the given ms, making no syscalls while it does.
 * Usage: cpu_bound [ms]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	double ms = argc > 1 ? atof(argv[1]) : 300, start = now_ms();
	volatile unsigned long x = 0;

	/* clock_gettime is a vDSO call: no syscall, no switch. */
	while (now_ms() - start < ms)
		x++;
	fprintf(stderr, "spun %.0f ms\n", ms);
	return 0;
}
