/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef REORDER_H
#define REORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The kernel's records put back in time order before the account takes
 * them. A wait is judged by what its waker had waited for just before it
 * woke the waiter (waits.c), so the waker's record must be in first.
 * With the syscall hooks it is: a call's record leaves at its sys_exit,
 * before the thread can wake anyone. Without them (--sched-only) a call's
 * record leaves at the thread's next switch-out, or later still when its
 * repeats are folded: a waker that runs on after its wakeup sends its
 * record after the waiter's. So records wait here, ordered by the time
 * they describe (reorder_key), until records lag_ns newer have come, or
 * until the window closes (reorder_flush). lag_ns 0: they pass at once.
 */

/* Where released records go (the account). */
typedef int (*reorder_sink)(void *ctx, const void *data, size_t size);

struct reorder_item {
	uint64_t key; /* the time the record describes */
	uint64_t seq; /* arrival order: ties keep it */
	void *data;
	size_t size;
};

struct reorder {
	uint64_t lag_ns;
	size_t max_bytes; /* held past this: the oldest go early (forced) */
	reorder_sink sink;
	void *ctx;
	struct reorder_item *heap; /* a min-heap by (key, seq) */
	size_t n, cap, bytes;
	uint64_t newest;   /* the newest key seen */
	uint64_t released; /* the newest key released */
	uint64_t seq;
	/* What the reports may say of it. */
	uint64_t forced;      /* released before their lag: max_bytes reached, or no memory */
	uint64_t late;	      /* came after a newer record had been released: still out of order */
	size_t most_held;     /* records held at once, at most */
};

/*
 * --sched-only's lag: a waker's record leaves at its next switch-out, which
 * under contention comes within a few scheduler slices (ms); one that runs
 * a quarter of a second without one is left out of order (counted as late
 * if a newer record went first).
 */
#define REORDER_SCHED_ONLY_LAG_NS 250000000ull
/* Records held more than this many bytes at once go early. */
#define REORDER_MAX_BYTES (64u << 20)

void reorder_init(struct reorder *r, uint64_t lag_ns, size_t max_bytes, reorder_sink sink,
		  void *ctx);
void reorder_free(struct reorder *r);
/* The time a record describes, by its type; 0: none (it is taken as the newest so far). */
uint64_t reorder_key(const void *data, size_t size);
/* One record from the kernel; those old enough are released. */
int reorder_push(struct reorder *r, const void *data, size_t size);
/* Releases every record held, in order: the window is closing. */
void reorder_flush(struct reorder *r);

#endif
