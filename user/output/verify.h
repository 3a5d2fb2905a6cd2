/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef VERIFY_H
#define VERIFY_H

#include <stdbool.h>
#include <stdio.h>
#include "account.h"

/* The agreement targets of --verify. */
#define VERIFY_ONCPU_SHARE 0.01
#define VERIFY_RUNQ_SHARE 0.03
#define VERIFY_FLOOR_NS 1000000ull
#define VERIFY_SWITCHES 2

/*
 * One thread's numbers beside the kernel's own: schedstat and status read
 * when the window opened and closed (or zero at birth, or the counters
 * read in BPF at the thread's final switch-out when it died inside it).
 */
struct verify_result {
	bool checkable; /* both ends known */
	int64_t oncpu_diff_ns;	  /* reported - kernel */
	int64_t runq_diff_ns;
	int64_t tp_oncpu_diff_ns; /* tracepoint clock - kernel */
	int64_t tp_runq_diff_ns;
	int64_t voluntary_diff;	  /* our count by the rule - the kernel's */
	int64_t involuntary_diff;
	uint64_t kernel_oncpu_ns, kernel_runq_ns, kernel_voluntary, kernel_involuntary;
	bool ok;
};

void verify_thread(const struct thread_stats *t, struct verify_result *v);
/* Prints the agreement table; returns the number of threads off target. */
int verify_print(FILE *out, const struct account *a);

#endif
