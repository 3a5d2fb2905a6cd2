/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef CPUSTAT_H
#define CPUSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "sizing.h"

#define PROC_MAX_CPUS 1024
/*
 * Jiffies of the CPUs in use[] (NULL: every CPU) from /proc/stat's text:
 * *total of all time but guest time, *busy of all but idle and iowait
 * (steal counts as busy: the CPU was not ours to run on). Returns -1 if no
 * such CPU line is found.
 */
int parse_cpu_jiffies(const char *stat_text, const bool *use, uint64_t *busy, uint64_t *total);
/* The same for the CPUs that pid may run on (every CPU if pid is 0 or gone). */
int proc_cpu_jiffies(pid_t pid, uint64_t *busy, uint64_t *total);

/* Where the last window of a target's CPU time ended. */
struct cpu_mark {
	pid_t pid; /* whose CPU affinity says which CPUs; 0: all */
	bool marked;
	uint64_t busy, total; /* jiffies at the mark */
};
/*
 * The jiffies busy and in all on those CPUs since the last mark, which
 * moves to now. Returns -1, with both 0, on the first call or when
 * /proc/stat fails.
 */
int cpu_mark_advance(struct cpu_mark *m, uint64_t *busy, uint64_t *total);

/* Each CPU's jiffies at one moment, busy and in all. */
struct cpu_sample {
	bool ok;
	uint64_t busy[SIZING_MAX_CPUS], total[SIZING_MAX_CPUS];
};

int parse_cpu_sample(const char *stat_text, struct cpu_sample *s);
/*
 * Each CPU's jiffies since *start into w (w->known false on the first call
 * or when /proc/stat fails); *start moves to now.
 */
void cpu_window_advance(struct cpu_sample *start, struct cpu_window *w);

#endif
