/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef CONSUME_H
#define CONSUME_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "account.h"
#include "tracer.h"

/* Why tracing stopped. */
enum stop_reason {
	STOP_SIGNAL,
	STOP_DURATION,
	STOP_TARGETS_EXITED,
	STOP_ERROR,
	STOP_INTERVAL, /* not a stop: time for an interval report */
	STOP_QUIT,     /* q pressed in --top */
};

struct session {
	struct tracer *tracer;
	struct account *acct;
	pid_t *targets; /* the processes asked for, less those seen gone */
	int ntargets;
	pid_t child; /* the launched command, or 0 */
	int child_status;
	uint64_t deadline_ns; /* 0: none */
	uint64_t next_report_ns; /* --interval: 0 when off */
	volatile sig_atomic_t *stop_signal;
	bool (*quit_pressed)(void); /* --top: polled between reads, or NULL */
	bool progress;		    /* a progress line on stderr (a terminal) */
	/* --cgroup, --serve: targets exiting do not stop the trace (new ones may come) */
	bool until_stopped;
	uint64_t start_ns;
	uint64_t last_progress_ns;
};

/* The ring buffer's callback: one record into the account. */
int consume_record(void *ctx, const void *data, size_t size);
/* Takes records until a stop condition holds; returns the reason. */
enum stop_reason consume_until_stop(struct session *s);
const char *consume_stop_text(enum stop_reason r, int signal);

#endif
