/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef OCCUPANCY_H
#define OCCUPANCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "account.h"

/*
 * Demand beside capacity (issue 26): how many of a group's threads were
 * busy, how often all were, and what each job cost. A thread is busy from
 * the end of a wait for work (an idle-class wait: it was handed a job) to
 * the start of its next one; a job is one such busy period.
 */

/* A distribution over the jobs: nearest-rank percentiles. */
struct job_dist {
	double mean;
	uint64_t p50, p99, max;
};

struct occupancy {
	bool known;	    /* some thread of the group had time in the window */
	int threads;	    /* the most threads of the group alive at once */
	uint64_t window_ns; /* the time measured: the group's first to last traced moment */
	/* Measured only up to here: waits past it were not kept (ACCOUNT_MAX_SPANS). */
	bool cut;
	/* Time-weighted over the window. */
	double busy_mean;
	uint32_t busy_p50, busy_p99, busy_max;
	double all_busy_share; /* every live thread of the group busy: work queues then */
	uint64_t jobs;	       /* busy periods, those cut by the window's edges included */
	/*
	 * Of them, begun and ended by a wait for work inside the window: a
	 * thread that takes its next job without waiting (a saturated pool)
	 * shows one busy period, not its jobs, and none of them is whole.
	 */
	uint64_t jobs_whole;
	/* Begun by a wait for work inside the window: over windows that follow each other, each job once. */
	uint64_t jobs_begun;
	double jobs_per_s;
	struct job_dist job_ns;	     /* each job's length: the busy period */
	struct job_dist job_ct_ns;   /* its on-CPU time */
	struct job_dist job_wt_ns;   /* its waits for I/O, sleeps and results (WT) */
	struct job_dist job_sync_ns; /* its waits on other threads (locks) */
	struct job_dist job_runq_ns; /* its run-queue time, after its wakeup and inside it */
};

/* One busy period of one thread, with what it was made of. */
struct job {
	uint64_t start_ns, end_ns;
	uint64_t wt_ns, sync_ns, runq_ns, ct_ns;
	bool begun; /* began with the end of a wait for work, not at the window's start */
	bool whole; /* and ended with the start of one, not at the window's end */
};

/*
 * The busy periods of t, a thread of a, between from_ns and to_ns (its own
 * traced time clipped to them), in time order, into a new array (*jobs,
 * free() it). Returns their count, or -1 when out of memory.
 */
long occupancy_thread_jobs(const struct account *a, const struct thread_stats *t, uint64_t from_ns,
			   uint64_t to_ns, struct job **jobs);

/* The occupancy of the threads whose group (roles.h thread_group) is group. -1: out of memory. */
int occupancy_of_group(const struct account *a, const char *group, struct occupancy *out);

#endif
