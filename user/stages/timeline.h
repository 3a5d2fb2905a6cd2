/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TIMELINE_H
#define TIMELINE_H

#include <stdio.h>
#include <stdint.h>
#include "account.h"

/* What a thread was doing during a slice. */
enum slice_state {
	SLICE_ONCPU = 0,
	SLICE_RUNNABLE = 1,
	SLICE_BLOCKED = 2,
};

struct slice {
	uint32_t tid;
	uint32_t tgid;
	enum slice_state state;
	long nr; /* SLICE_BLOCKED: the syscall it slept in, or -1 */
	uint64_t start_ns;
	uint64_t end_ns;
};

/* The scheduling events of a trace (--timeline), bounded in number. */
struct timeline {
	struct sched_record *events;
	size_t n, cap, max;
	uint64_t dropped; /* events past max */
	uint64_t start_ns, end_ns;
};

void timeline_init(struct timeline *tl, size_t max_events);
void timeline_free(struct timeline *tl);
void timeline_add(struct timeline *tl, const struct sched_record *r);

/*
 * Rebuilds every thread's slices. On-CPU slices take their length from
 * the kernel's own counter (se.sum_exec_runtime) at each switch-out, so
 * they add up to the on-CPU time the report gives; runnable and blocked
 * slices fill the rest by tracepoint clock. Returns the count (free *out).
 */
size_t timeline_slices(struct timeline *tl, const struct account *a, struct slice **out);

/* Chrome/Perfetto trace-event JSON: a track per thread, instant wakeups. */
int timeline_write_json(FILE *f, struct timeline *tl, const struct account *a);
/* A self-contained SVG: a row per thread, time left to right. */
int timeline_write_svg(FILE *f, struct timeline *tl, const struct account *a);

#endif
