/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef SIZING_H
#define SIZING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "account.h"

#define SIZING_MAX_WARNINGS 4
#define SIZING_WARNING_LEN 200
/* Below this much on-CPU time the ratio WT/CT is mostly noise. */
#define SIZING_MIN_COMPUTE_NS (10ull * 1000 * 1000)
/* Run-queue wait above this share of CT: the CPUs are contended (above 1: saturated). */
#define SIZING_MAX_RUNQ_SHARE 0.10
/*
 * Below this busy share of the target's CPUs, run-queue wait is wakeup
 * latency, not a shortage of CPUs: no contention warning.
 */
#define SIZING_MIN_BUSY 0.5
/* Below this much futex wait, "more than for I/O" says nothing (an event loop has WT = 0). */
#define SIZING_MIN_SYNC_NS (1ull * 1000 * 1000)

/* CPUs told apart for N and the busy share: those of a thread's CPU set. */
#define SIZING_MAX_CPUS (THREAD_CPU_WORDS * 64)

/*
 * Each CPU's jiffies, busy and in all, over the window (/proc/stat): the
 * busy share of the CPUs a group could run on, whichever they are.
 */
struct cpu_window {
	bool known;
	uint64_t busy[SIZING_MAX_CPUS], total[SIZING_MAX_CPUS];
};

/* Where the time of a set of threads went, by what it means for sizing. */
struct time_split {
	int threads;
	uint64_t compute_ns; /* CT: on-CPU */
	uint64_t wait_ns;    /* WT: blocked in I/O and sleeps, and outside syscalls */
	uint64_t idle_ns;    /* blocked waiting for new work */
	uint64_t sync_ns;    /* blocked waiting for other threads (futex) */
	uint64_t runq_ns;    /* runnable, waiting for a CPU */
	/* How busy the CPUs the target may use were (0..1), from /proc/stat. */
	bool cpu_busy_known;
	double cpu_busy;
};

/* Below this much on-CPU time a group did no work: it folds into one line. */
#define SIZING_NO_WORK_NS (1ull * 1000 * 1000)
/*
 * Nor did a pool given (almost) no jobs: its threads on a CPU under
 * SIZING_MIN_BUSY_SHARE of the time they were traced and waiting for work
 * (idle) at least SIZING_IDLE_SHARE of it, like Node's V8 platform workers
 * beside a busy libuv pool. Its few waits say nothing of a size, and
 * hand-offs between its threads would read as lock contention. A big pool
 * that computes little but waits for results (Apache's workers on
 * keep-alive connections) is still sized.
 */
#define SIZING_MIN_BUSY_SHARE 0.01
#define SIZING_IDLE_SHARE 0.9

struct sizing {
	char group[GROUP_NAME_LEN]; /* "" for the whole target */
	uint8_t role;		    /* enum thread_role: only pools are sized */
	bool did_work;		    /* SIZING_NO_WORK_NS on CPU, and not a pool given no jobs */
	double cores;
	double utilization;
	struct time_split split;
	double wait_compute_ratio;
	long recommended; /* 0 when nothing ran on CPU (too_little_cpu warns below 10 ms) */
	int nwarnings;
	char warnings[SIZING_MAX_WARNINGS][SIZING_WARNING_LEN];
	/* Which rules gave the warnings above, for machines (the metrics). */
	bool too_little_cpu, cpus_saturated, lock_contention;
	/* Run-queue wait above the share, but on CPUs mostly idle: latency, no warning. */
	bool runq_on_idle_cpus;
	/*
	 * A runtime's helper threads beside an event loop (V8's platform
	 * workers, libuv's pool given little): unnamed threads of processes
	 * that run a loop, computing less than their loops. They hand tasks
	 * round among themselves, which is not a contended pool: no
	 * lock-contention warning. Set by sizing_by_group_cpus().
	 */
	bool loop_helpers;
};

/* N x U x (1 + WT/CT), rounded up, with the warnings that qualify it. */
void sizing_compute(struct sizing *s, const struct time_split *split, double cores,
		    double utilization);

void split_add_thread(struct time_split *split, const struct thread_stats *t);

/*
 * What one group's sizing is made of: its threads' time split, the CPUs they
 * could run on and how long they were traced. The report sums it over its
 * window, --serve over each second of its sliding window; both size it with
 * sizing_group(), so that they cannot size one window differently.
 */
struct sizing_input {
	struct time_split split;
	uint64_t cpus[THREAD_CPU_WORDS];
	bool cpus_known;
	uint64_t traced_ns;
	/* A runtime's helpers beside a loop (struct sizing's loop_helpers); the report's only. */
	bool loop_helpers;
};

void sizing_input_add_thread(struct sizing_input *in, const struct thread_stats *t);
void sizing_input_add(struct sizing_input *to, const struct sizing_input *from);
/*
 * One group (role: enum thread_role) sized as sizing_by_group_cpus() sizes
 * it: into out, whose group name the caller sets. Only a pool that did work
 * gets a size and warnings.
 */
void sizing_group(struct sizing *out, const struct sizing_input *in, uint8_t role, double cores,
		  bool cores_given, double utilization, double cpu_busy,
		  const struct cpu_window *cw);

/*
 * Sizes the whole target into *total and each thread group into a new array
 * (*groups, *ngroups; free() it): pools first, largest CT first, then main
 * threads, runtime service threads and connection threads, which are not
 * sized (recommended 0) and not in the total. cpu_busy: how busy the target's CPUs were in the
 * window (0..1), or negative if not known. Groups are those roles_assign()
 * gave, or the names without digits before it ran.
 */
int sizing_by_group(const struct account *a, double cores, double utilization,
		    double cpu_busy, struct sizing *total, struct sizing **groups, size_t *ngroups);
/*
 * The same, with N as each group's threads ran: the CPUs in the union of
 * their CPU sets (at most cores, the process's own cap from its affinity
 * and cgroup quota, unless cores_given: --cores says N for every group),
 * and the busy share measured over those CPUs in cw (NULL: cpu_busy).
 */
int sizing_by_group_cpus(const struct account *a, double cores, bool cores_given,
			 double utilization, double cpu_busy, const struct cpu_window *cw,
			 struct sizing *total, struct sizing **groups, size_t *ngroups);

#endif
