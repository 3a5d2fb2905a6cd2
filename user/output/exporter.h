/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --serve: what /metrics says, kept across the one-second intervals of the
 * account. The account starts from zero each interval; the exporter adds
 * each interval into totals that only grow (counters never go backwards,
 * even as threads and processes come and go), keeps a ring of per-second
 * time splits per thread group for the sizing gauges, and bounds the number
 * of series: at most EXPORTER_SYSCALL_LABELS syscalls (those with the most
 * time when a label is free; a label is never taken back) and
 * EXPORTER_MAX_GROUPS groups have labels of their own; the rest are counted
 * as syscall "other" and group "(other)".
 */
#ifndef EXPORTER_H
#define EXPORTER_H

#include <stdbool.h>
#include <stdint.h>
#include "account.h"
#include "loops.h"
#include "metrics.h"
#include "sizing.h"

#define EXPORTER_SYSCALL_LABELS 20
#define EXPORTER_MAX_GROUPS	32
#define EXPORTER_MAX_PROCESSES	64
/* The group label of threads past EXPORTER_MAX_GROUPS groups. */
#define EXPORTER_OTHER_GROUP "(other)"

/* One group's calls of one syscall since it got its label. */
struct exporter_syscall {
	int nr; /* SYSCALL_OTHER: the calls of syscalls without a label */
	uint64_t blocking, nonblocking, eagain, blocked_ns;
};

struct exporter_group {
	char name[GROUP_NAME_LEN];
	uint64_t oncpu_ns, runq_ns, wait_ns, idle_ns, sync_ns, voluntary, involuntary;
	struct exporter_syscall *syscalls;
	size_t nsyscalls, syscalls_cap;
	struct sizing_input *ring; /* window_s one-second slots: what sizing_group() sizes */
	int last_threads;	 /* threads in the latest slot */
	uint8_t role;		 /* enum thread_role of its threads in the latest slot (roles.c) */
	/* Its event loops (loops.c): since start, and the latest second's on-CPU share. */
	bool loop;
	uint64_t loop_blocked_ns, loop_turns, loop_stalls;
	uint64_t loop_turn_bucket[LOOPS_TURN_BUCKETS], loop_turn_sum_ns;
	uint64_t loop_oncpu_ns, loop_traced_ns;
	uint64_t jobs;		 /* jobs begun since start (occupancy.c) */
	/* Its occupancy in the latest second, when known. */
	bool busy_known;
	double busy_mean, all_busy;
	uint32_t busy_max;
};

struct exporter_process {
	uint32_t pid;
	char comm[BLOCKSCOPE_COMM_LEN];
	int threads;
};

struct exporter {
	int window_s;
	double cores, utilization;
	bool cores_given; /* --cores: N for every group; else each group's CPUs, at most cores */
	uint64_t intervals; /* added so far; the ring slot is intervals % window_s */
	uint64_t events_lost;
	/* every syscall's time since start, to rank them for labels */
	uint64_t syscall_ns[SYSCALL_MAX_NR + 1];
	bool labelled[SYSCALL_MAX_NR + 1];
	int nlabelled;
	/* groups[EXPORTER_MAX_GROUPS] is EXPORTER_OTHER_GROUP */
	struct exporter_group groups[EXPORTER_MAX_GROUPS + 1];
	int ngroups;
	bool other_group_used;
	struct exporter_process processes[EXPORTER_MAX_PROCESSES];
	int nprocesses;
	/* The syscall hooks: always, a duty cycle or never (metrics.h). */
	enum metrics_hooks hooks;
	double hooks_duty;
	/* What the next exporter_update scales non-blocking and EAGAIN counts by. */
	double sample_scale;
	/* Jiffies of the target's CPUs, busy and in all, per second of the window. */
	uint64_t *cpu_busy_ring, *cpu_total_ring;
	/* Each CPU's jiffies (ncpus of them) per second of the window: a group's busy share. */
	int ncpus;
	uint64_t *percpu_busy_ring, *percpu_total_ring;
};

/*
 * N is each group's CPUs, as in the report (sizing_by_group_cpus), at most
 * cores, or cores for every group if cores_given; ncpus: the CPUs whose
 * jiffies exporter_cpu_window() keeps (at most SIZING_MAX_CPUS).
 */
int exporter_init(struct exporter *e, int window_s, double cores, bool cores_given,
		  double utilization, int ncpus);
void exporter_free(struct exporter *e);

/*
 * Adds one interval of the account (what it holds since the last
 * account_start_interval, sized and closed), with the kernel's running
 * count of lost records. Returns 0, or -1 when out of memory.
 */
int exporter_update(struct exporter *e, const struct account *a, uint64_t events_lost_total);

/*
 * Adds the second's event loops (after exporter_update, with the same
 * account, loops_mark() done): their blocked time, turns and stalls, and
 * their on-CPU share. Returns 0, or -1 when out of memory.
 */
int exporter_loops(struct exporter *e, const struct loops *l, const struct account *a);

/*
 * How busy the target's CPUs were in the second exporter_update will add
 * next (jiffies from /proc/stat; total 0: unknown). The sizing gauges read
 * it over the window, as the report does (SIZING_MIN_BUSY).
 */
void exporter_cpu(struct exporter *e, uint64_t busy, uint64_t total);
/* The same second, CPU by CPU (w->known false: unknown): the busy share of a group's own CPUs. */
void exporter_cpu_window(struct exporter *e, const struct cpu_window *w);

/*
 * The syscall hooks are on a duty cycle (on_s of every period_s seconds;
 * period_s 0: always, on_s 0 too: never). Then, before each update, whether
 * they were on for the whole second it adds: its non-blocking and EAGAIN
 * counts are scaled by period_s / on_s, or by 0.
 */
void exporter_hooks(struct exporter *e, int on_s, int period_s);
void exporter_sampled(struct exporter *e, bool hooks_were_on);
/* n calls counted in a sampled second, as the whole period's estimate. */
uint64_t exporter_scale(uint64_t n, double scale);

/* The sizing warnings that hold for a split: what sizing_compute() warns of, as flags. */
void exporter_warnings(const struct time_split *split, bool flags[WARN_COUNT]);

/* Renders the current state (metrics_render's contract). */
int exporter_render(const struct exporter *e, enum metrics_format f, char **text, size_t *len);

#endif
