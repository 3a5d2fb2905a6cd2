/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef RUN_H
#define RUN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "account.h"
#include "cgroup.h"
#include "consume.h"
#include "cpustat.h"
#include "fdkind.h"
#include "launch.h"
#include "loops.h"
#include "options.h"
#include "reorder.h"
#include "report.h"
#include "serve.h"
#include "tracer.h"
#include "why.h"

/*
 * One run of blockscope, from the options to the last report: what every
 * mode shares. Zeroed, it is safe to close at any step.
 */
struct run {
	struct options *opts;
	volatile sig_atomic_t *stop_signal;
	FILE *out;			/* the report: stdout or -o FILE */
	struct cgroup_target cgroup;	/* --cgroup */
	struct serve *serve;		/* --serve: listening from the start */
	char url[400];
	struct account acct;
	struct reorder order;		/* records in time order on their way to acct */
	struct fd_kinds fds;		/* what the targets' fds are, for what their waits mean */
	struct tracer tracer;
	struct why why;			/* --stacks, --timeline */
	struct loops loops;		/* event loops: their turns and what blocks them */
	struct launch launch;		/* -- COMMAND */
	bool launched;			/* its gate is open: it is ours to reap, not to kill */
	struct session session;
	struct report report;
	struct cpu_mark cpu;		/* the window's start, in the target's CPUs' jiffies */
	struct cpu_sample cpu_start;	/* the window's start, each CPU's jiffies */
	struct cpu_window cpu_window;	/* the last window closed, each CPU's jiffies */
	bool cores_given;		/* --cores: N for every group */
	struct tracer_misses reported;	/* misses already in a report */
	uint64_t reported_late;		/* records out of order already in a report */
	uint64_t t0;			/* when the window opened */
	int hold_fd;			/* --hold's file, until it is written (0: none) */
};

/*
 * Checks that need no kernel, so bad input fails before anything is loaded:
 * the report file, the cgroup, the targets, the listening address.
 */
int run_prepare(struct run *r, struct options *o, volatile sig_atomic_t *stop_signal, char *err,
		size_t errlen);
/* Loads and attaches the BPF programs, with the account and stages they feed. */
int run_attach(struct run *r, char *err, size_t errlen);
/*
 * Puts the targets in the traced set (starting -- COMMAND held at its gate),
 * takes every thread's baseline, finds N, then lets a launched command go.
 */
int run_start(struct run *r, char *err, size_t errlen);
/* Frees everything, in the reverse order; -1 with err if the report file failed. */
int run_close(struct run *r, char *err, size_t errlen);

#endif
