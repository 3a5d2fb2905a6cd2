/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The text of /metrics: plain numbers in, the Prometheus text exposition
 * format (0.0.4) or OpenMetrics 1.0 out. Pure: no tracer, no account, no I/O
 * but into a memory buffer, so every line can be unit-tested.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "loops.h"

enum metrics_format {
	METRICS_PROMETHEUS,  /* text/plain; version=0.0.4 */
	METRICS_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

/* Why a sizing does not hold; the reason label of blockscope_sizing_warning. */
enum metrics_warning {
	WARN_RUNQUEUE_SATURATED, /* run-queue wait above 10% of CT: more threads will not help */
	WARN_LOCK_CONTENTION,	 /* futex waits above I/O waits: more threads make it worse */
	WARN_TOO_LITTLE_CPU,	 /* under 10 ms on CPU in the window: too little to size from */
	WARN_COUNT,
};
extern const char *const metrics_warning_names[WARN_COUNT];

/* One thread group's calls of one syscall ("other": the rest), since start. */
struct metrics_syscall {
	const char *group;
	const char *syscall;
	uint64_t blocking, nonblocking, eagain, blocked_ns;
};

/* One thread group: counters since start, and gauges over the window. */
struct metrics_group {
	const char *group;
	uint64_t oncpu_ns, runq_ns;
	uint64_t wait_ns, idle_ns, sync_ns; /* blocked, by sizing class */
	uint64_t voluntary, involuntary;    /* switch-outs */
	bool sized;			    /* seen in the window: the gauges below hold */
	int threads;
	double cores; /* N of its sizing: the CPUs its threads may run on, at most the target's */
	double wait_compute_ratio;
	long recommended;
	bool warning[WARN_COUNT];
	/* An event loop's group (docs/loops.md): never sized; its loop series instead. */
	bool loop;
	uint64_t loop_blocked_ns, loop_turns, loop_stalls; /* since start */
	/* Turns by length (loops_turn_bucket_ns's bounds, not cumulative), and their sum. */
	uint64_t loop_turn_bucket[LOOPS_TURN_BUCKETS], loop_turn_sum_ns;
	double loop_busy;				   /* on-CPU share in the last second */
	/* Demand (occupancy.c): jobs since start; over the last second, when busy_known. */
	uint64_t jobs;
	bool busy_known;
	double busy_mean, all_busy_ratio;
	uint32_t busy_max;
};

/* A traced process alive at the last refresh. */
struct metrics_process {
	uint32_t pid;
	const char *comm;
	int threads;
};

struct metrics_data {
	const struct metrics_syscall *syscalls;
	size_t nsyscalls;
	const struct metrics_group *groups;
	size_t ngroups;
	const struct metrics_process *processes;
	size_t nprocesses;
	uint64_t events_lost; /* records the kernel could not deliver, since start */
	double cores;	      /* N of the sizing */
	double utilization;   /* U of the sizing */
	int window_s;
	/*
	 * The syscall hooks (--syscall-hooks): HOOKS_ALWAYS, or on for a duty
	 * cycle of hooks_duty (non-blocking and EAGAIN counts sampled and
	 * scaled up, labelled sampled="1"), or never (those series left out).
	 */
	enum metrics_hooks { HOOKS_ALWAYS = 0, HOOKS_DUTY, HOOKS_NEVER } hooks;
	double hooks_duty;
};

/*
 * Renders d into a new NUL-terminated buffer (*text, *len; free() it).
 * Returns 0, or -1 when out of memory.
 */
int metrics_render(const struct metrics_data *d, enum metrics_format f, char **text, size_t *len);

/*
 * A label value as the format wants it: backslash, double quote and newline
 * escaped, and bytes that are not UTF-8 (a thread may name itself anything)
 * replaced with '?', which would otherwise make a scraper reject the page.
 * Returns the length written (truncated to fit len).
 */
size_t metrics_escape_label(const char *in, char *out, size_t len);

#endif
