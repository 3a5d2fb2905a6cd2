/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef LOOPS_H
#define LOOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "account.h"

/*
 * Event loops (docs/loops.md): a thread that waits for new work in a
 * readiness call (epoll_wait, epoll_pwait(2), poll, ppoll, select,
 * pselect6) asking about more than one source of work. Such a thread is
 * judged by its turns (from the return of its wait to its next wait) and by
 * what blocks it between them, never sized: a blocking call there holds
 * every connection the loop serves. A stage fed by the account's finished
 * calls (the kernel sends each readiness call by itself and timed); pure.
 */

/* --stall's default: a turn longer than this is a stall. */
#define LOOPS_DEFAULT_STALL_NS (10ull * 1000 * 1000)
/*
 * Readiness calls a thread must make in the window to be a loop: one, as a
 * loop held in one turn all window (a coroutine that never yields) makes
 * no more. It must still have asked about more than one fd.
 */
#define LOOPS_MIN_WAITS 1
/* Blocking calls other than its wait, told apart per loop thread (the rest share one slot). */
#define LOOPS_CALL_SLOTS 8
/* Turn lengths: 16 slots per power of two (within 6%), up to 2^47 ns. */
#define LOOPS_HIST_SUB 16
#define LOOPS_HIST_SLOTS (45 * LOOPS_HIST_SUB)
/* Blocked on the loop above this share of its time: that is the finding. */
#define LOOPS_BLOCKED_FINDING 0.05
/* On a CPU above this share of its time: the loop is the bottleneck. */
#define LOOPS_BUSY_FINDING 0.9

/*
 * The turn-length buckets of --serve's histogram (blockscope_loop_turn_seconds),
 * their upper bounds: from 100 us (a healthy turn) to 1 s (a stall anyone
 * sees); counted exactly as the turns end, not read from the log-linear
 * slots above (whose bounds are not these).
 */
#define LOOPS_TURN_BUCKETS 11
extern const uint64_t loops_turn_bucket_ns[LOOPS_TURN_BUCKETS];

/* One kind of blocking call on a loop: a syscall and what its wait meant. */
struct loop_call {
	int32_t nr;	/* -1: the calls that did not fit */
	uint8_t reason; /* enum wait_reason */
	uint64_t calls, blocked_ns, max_ns;
};

struct loop_thread {
	uint32_t tid, tgid;
	int32_t wait_nr;      /* its readiness syscall (the last seen) */
	uint64_t waits;	      /* readiness calls seen */
	uint32_t max_sources; /* most fds a wait asked about (maxevents, nfds) */
	bool in_turn;	      /* a wait returned at turn_start_ns */
	uint64_t turn_start_ns;
	uint64_t turns, turn_max_ns, stalls, stalled_ns;
	/* The turn under way: blocked, and on the run queue, in its calls so far. */
	uint64_t turn_blocked_ns, turn_runq_ns;
	/*
	 * The stalls split: blocked in calls, on the run queue inside calls
	 * (preemptions between calls are not seen apart: they are in the rest),
	 * and the rest, on a CPU.
	 */
	uint64_t stall_blocked_ns, stall_runq_ns;
	/* Blocked in calls on the loop whose waits were judged idle (a FIFO its helper wrote). */
	uint64_t idle_on_loop_ns;
	uint32_t hist[LOOPS_HIST_SLOTS];
	/* Turns at most loops_turn_bucket_ns[b] long (and over the one before), and their sum. */
	uint64_t turn_bucket[LOOPS_TURN_BUCKETS], turn_sum_ns;
	struct loop_call calls[LOOPS_CALL_SLOTS + 1];
	int ncalls;
};

struct loops {
	struct loop_thread *t;
	size_t n, cap;
	uint32_t *index; /* open addressing: tid -> 1 + index into t (0: empty) */
	size_t index_cap;
	uint64_t stall_ns;
	/*
	 * --sched-only: a turn runs from one sleep in the wait to the next, so
	 * a busy loop's back-to-back turns are one long span: over the threshold
	 * on a CPU, that is not told apart from a stall (blocked ones are).
	 */
	bool sleeps_only;
	/*
	 * Threads found to be loops in an earlier window (--interval, --serve),
	 * by TID and TGID: one that makes no readiness call in a later window
	 * (a loop that never sleeps in its wait, seen with --sched-only between
	 * --serve's seconds of syscall hooks) stays a loop, never sized.
	 */
	struct loop_known {
		uint32_t tid, tgid;
	} *known;
	size_t nknown, known_cap;
};

void loops_init(struct loops *l, uint64_t stall_ns);
void loops_free(struct loops *l);
/* Forgets what was counted (--interval: a new window); the threads' turns restart. */
void loops_reset(struct loops *l);
/* The account observer's hook: each finished call, with its thread (its wait judged). */
void loops_on_call(void *ctx, const struct call_record *c, const struct thread_stats *t);
/*
 * And each call cut by the window: a wait that began before it starts a turn
 * where it returns, one still going on at the stop ends the turn where it
 * began; either makes its thread known as waiting so (an idle worker asleep
 * in epoll_wait all window long is a loop). A blocking call cut so is not
 * counted on the loop: its time is partial.
 */
void loops_on_cut_call(void *ctx, const struct call_record *c, const struct thread_stats *t);
/* Whether syscall nr is a readiness call (a loop's wait). */
bool loops_readiness_call(long nr);
const struct loop_thread *loops_find(const struct loops *l, uint32_t tid);

/*
 * After roles_assign(): the loop threads get ROLE_LOOP (a group of its own
 * when they shared theirs with threads that are not loops). A Go program's
 * Ms, a runtime's service threads and a master process keep their roles.
 */
void loops_mark(struct loops *l, struct account *a);

/* What the report says of one loop thread. */
struct loop_summary {
	const struct loop_thread *lt;
	const struct thread_stats *t;
	uint64_t traced_ns; /* on CPU, on the run queue and blocked */
	uint64_t oncpu_ns, runq_ns;
	double busy;
	uint64_t turn_p50_ns, turn_p99_ns;
	/*
	 * The turn still going on when the window closed (0: none), from its
	 * wait's return to the thread's last snapshot; a stall if it is over
	 * the threshold, and then in the stall figures below (not in turns).
	 */
	uint64_t open_turn_ns;
	uint64_t stalls, stalled_ns, stall_blocked_ns, stall_runq_ns;
	/* Blocked in calls other than its wait, and outside syscalls (page faults). */
	uint64_t blocked_on_loop_ns, outside_ns;
	double blocked_share;
	bool sleeps_only; /* turns between sleeps (--sched-only): see struct loops */
	struct loop_call calls[LOOPS_CALL_SLOTS + 1]; /* most blocked time first */
	int ncalls;
};

/* The turn length below which a share q (0..1) of the turns fall. */
uint64_t loops_turn_quantile(const struct loop_thread *lt, double q);
/*
 * The loop threads (ROLE_LOOP, after loops_mark) into *out (free() it), by
 * process then TID; returns how many, -1 when out of memory.
 */
int loops_summarize(const struct loops *l, const struct account *a, struct loop_summary **out);
/* The finding that leads the loop's paragraph, in one sentence. cores: N. */
void loops_finding(const struct loop_summary *s, double cores, char *buf, size_t len);

#endif
