/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TRACER_H
#define TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "blockscope.h"

struct blockscope_bpf;
struct ring_buffer;
struct bpf_link;

/* Called for each record the kernel sends; returns 0 to go on. */
typedef int (*record_fn)(void *ctx, const void *data, size_t size);

#define TRACER_MAX_LINKS 24

struct tracer {
	struct blockscope_bpf *skel;
	struct bpf_link *links[TRACER_MAX_LINKS];
	int nlinks;
	struct ring_buffer *ring;
	/* --sched-only: the syscall programs, loaded but attached only on demand */
	struct bpf_program *sys_progs[2];
	struct bpf_link *sys_links[2];
	bool hooks_on;
	record_fn on_record;
	void *ctx;
};

/* What the programs are loaded for: set before tracer_open(). */
struct tracer_config {
	bool follow;	  /* trace processes forked by traced ones */
	bool verbose;	  /* libbpf's own messages */
	unsigned ring_kb; /* 0: the default size */
	uint64_t cgroup_id; /* --cgroup: adopt the threads of this cgroup v2; 0: none */
	bool sched_events; /* --timeline: a record per switch and wakeup */
	unsigned stacks;   /* --stacks: 1 user stacks, 2 also kernel stacks */
	unsigned stack_bytes; /* --stacks: user stack copied per blocking call (0: frame pointers only) */
	bool stream_all;   /* no counting of non-blocking calls in the kernel */
	unsigned time_sample; /* one in K calls timed, a power of 2; 0 or 1: every call */
	/*
	 * --sched-only: the syscall hooks are left detached (tracer_syscall_hooks
	 * attaches them for a while); blocking calls are read at the switch-out.
	 */
	bool sched_only;
};

/* The kernel side's miss counters, each since the programs were loaded. */
struct tracer_misses {
	uint64_t lost;	     /* records the ring buffer had no room for */
	uint64_t lost_calls; /* non-blocking calls inside those records */
	uint64_t storage;    /* threads whose state could not be made */
	uint64_t tgid;	     /* followed children that did not fit the traced set */
	uint64_t ustack;     /* --stacks: user stack copies not taken (ring half full) */
	uint64_t owner;	     /* --sched-only: a thread's held calls raced a snapshot */
	/* --sched-only: no return to user space seen (TIF_NEED_FPU_LOAD): the fallback rule */
	bool user_return_unseen;
};

/*
 * Checks what the programs need (root, BTF), loads and attaches them.
 * On failure, returns -1 with a one-line reason in err.
 */
int tracer_open(struct tracer *t, const struct tracer_config *cfg, record_fn fn, void *ctx,
		char *err, size_t errlen);
/* Adds a process to the traced set. from_birth: its counters start at zero. */
int tracer_trace_process(struct tracer *t, pid_t tgid, bool from_birth);
/* Runs the task iterator in the given mode; its records go to the callback. */
int tracer_snapshot(struct tracer *t, enum snapshot_mode mode, char *err, size_t errlen);
/* Waits up to timeout_ms for records and hands them to the callback. */
int tracer_poll(struct tracer *t, int timeout_ms);
/* Takes everything still in the ring buffer. */
int tracer_drain(struct tracer *t);
uint64_t tracer_misses(struct tracer *t, enum miss_counter which);
void tracer_read_misses(struct tracer *t, struct tracer_misses *m);
/* The map of stacks that call records point into (--stacks). */
int tracer_stacks_fd(struct tracer *t);
/*
 * --sched-only: attaches (on) or detaches the sys_enter/sys_exit programs.
 * Returns 0, or -1 with a one-line reason in err.
 */
int tracer_syscall_hooks(struct tracer *t, bool on, char *err, size_t errlen);
/* Detaches and unloads; a zeroed tracer (never opened) is fine too. */
void tracer_close(struct tracer *t);

#endif
