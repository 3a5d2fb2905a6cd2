// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A judgement made once the groups are known (after roles.c): a futex that
 * threads of different groups of one process wait on is a lock they share
 * (CPython's GIL, a global mutex), not a queue between a producer and a
 * pool. The waits the account booked on it as idle or WT are rebooked as
 * sync, in the thread's totals and in the futex's slot.
 */
#include <stdlib.h>
#include <string.h>
#include "shared_locks.h"
#include "util.h"

/* Takes up to *ns out of the given reasons, in order; what could not be found stays. */
static void take_from(struct thread_stats *t, const enum wait_reason *from, int n, uint64_t *ns)
{
	int i;

	for (i = 0; i < n && *ns; i++) {
		uint64_t part = t->reason_blocked_ns[from[i]] < *ns ? t->reason_blocked_ns[from[i]] : *ns;

		t->reason_blocked_ns[from[i]] -= part;
		*ns -= part;
	}
}

/* One futex slot of t, rebooked as a lock shared between groups. */
static void rebook_shared(struct thread_stats *t, struct futex_home *f)
{
	static const enum wait_reason idle[] = { WAIT_HANDED_WORK, WAIT_TIMED_OUT, WAIT_CUT_IDLE };
	static const enum wait_reason wait[] = { WAIT_RESULT, WAIT_FROM_OUTSIDE, WAIT_CUT_WAIT };
	uint64_t moved_idle = f->class_ns[CLASS_IDLE], moved_wait = f->class_ns[CLASS_WAIT];
	uint64_t left_idle = moved_idle, left_wait = moved_wait;

	take_from(t, idle, 3, &left_idle);
	take_from(t, wait, 3, &left_wait);
	moved_idle -= left_idle;
	moved_wait -= left_wait;
	t->class_blocked_ns[CLASS_IDLE] -= moved_idle;
	t->class_blocked_ns[CLASS_WAIT] -= moved_wait;
	t->class_blocked_ns[CLASS_SYNC] += moved_idle + moved_wait;
	t->reason_blocked_ns[WAIT_SHARED_LOCK] += moved_idle + moved_wait;
	f->class_ns[CLASS_SYNC] += moved_idle + moved_wait;
	f->class_ns[CLASS_IDLE] -= moved_idle;
	f->class_ns[CLASS_WAIT] -= moved_wait;
	f->shared = true;
}

/*
 * A thread's wait on a futex word (as its slot's latest word: 8 bytes, a
 * condition variable's pair), other than as a mutex.
 */
struct futex_user {
	uint64_t uaddr, word;
	uint32_t tgid, process_seq;
	const char *group;
};

static int by_address(const void *x, const void *y)
{
	const struct futex_user *a = x, *b = y;

	if (a->uaddr != b->uaddr)
		return a->uaddr < b->uaddr ? -1 : 1;
	if (a->word != b->word)
		return a->word < b->word ? -1 : 1;
	if (a->tgid != b->tgid)
		return a->tgid < b->tgid ? -1 : 1;
	return 0;
}

/*
 * Whether the futex word of f in t's process is waited on by a thread of
 * another group: the same word, not only the same block, or a queue that
 * sits beside a lock the main thread takes (V8's task queue) would pass
 * for a GIL.
 */
static bool shared_between_groups(const struct futex_user *u, size_t n,
				  const struct thread_stats *t, const struct futex_home *f)
{
	struct futex_user key = { .uaddr = f->uaddr, .word = f->word, .tgid = t->tgid };
	size_t i;

	for (i = sorted_first(&key, u, n, sizeof(*u), by_address); i < n && by_address(&u[i], &key) == 0;
	     i++)
		if (u[i].process_seq == t->process_seq && strcmp(u[i].group, t->group) != 0)
			return true;
	return false;
}

void shared_locks_rebook(struct account *a)
{
	struct futex_user *u = malloc((a->nthreads * THREAD_FUTEX_SLOTS + 1) * sizeof(*u));
	size_t i, n = 0;
	int k;

	if (!u)
		return;
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];

		if (!t->tid || t->role == ROLE_RUNTIME)
			continue;
		for (k = 0; k < THREAD_FUTEX_SLOTS; k++)
			if (t->futexes[k].blocked_ns && t->futexes[k].word)
				u[n++] = (struct futex_user){ t->futexes[k].uaddr, t->futexes[k].word,
							      t->tgid, t->process_seq, t->group };
	}
	qsort(u, n, sizeof(*u), by_address);
	for (i = 0; i < a->nthreads; i++) {
		struct thread_stats *t = &a->threads[i];

		if (!t->tid || t->role == ROLE_RUNTIME)
			continue;
		for (k = 0; k < THREAD_FUTEX_SLOTS; k++) {
			struct futex_home *f = &t->futexes[k];

			if (f->blocked_ns && !f->shared && f->word &&
			    shared_between_groups(u, n, t, f))
				rebook_shared(t, f);
		}
	}
	free(u);
}
