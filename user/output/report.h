/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>
#include <stdint.h>
#include "account.h"
#include "occupancy.h"
#include "options.h"
#include "loops.h"
#include "sizing.h"
#include "stacks.h"
#include "util.h"

/* Everything a report says, gathered once so text and JSON agree. */
struct report {
	const struct account *acct;
	const struct options *opts;
	uint64_t duration_ns;
	uint64_t start_ns; /* CLOCK_MONOTONIC when the window opened: traces side by side line up */
	double cores;
	const char *cores_source; /* where N came from */
	struct sizing total;
	struct sizing *groups;
	size_t ngroups;
	struct occupancy *occupancy; /* each group's demand, beside groups (NULL: none) */
	uint64_t lost;		 /* ring buffer records dropped */
	uint64_t lost_calls;	 /* non-blocking calls inside the dropped records */
	uint64_t storage_misses; /* threads whose state could not be made */
	uint64_t tgid_misses;	 /* children that did not fit the traced set */
	uint64_t snapshot_races; /* --sched-only: held calls a snapshot and its thread both reached */
	/* --sched-only: records that came too late to be put back in time order (reorder.h) */
	uint64_t records_late;
	/* --sched-only: returns to user space unseen on this kernel, calls told apart by the fallback */
	bool user_return_unseen;
	const char *stop_reason;
	int interval; /* --interval: its number, from 1; 0 otherwise */
	struct stacks *stacks; /* --stacks: resolved call sites, or NULL */
	const struct loops *loops; /* event loops' turns (loops_mark ran), or NULL */
	/* How busy the target's CPUs were in the window (/proc/stat), or -1. */
	double cpu_busy;
};

/* Syscall numbers with any activity, most total time first; returns count. */
size_t report_syscall_order(const struct account *a, int *order);


void report_text(FILE *out, const struct report *r);
int report_json(FILE *out, const struct report *r);

#endif
