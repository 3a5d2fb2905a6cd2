// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Finished syscalls into the per-syscall and per-thread counts: a call
 * interrupted by a signal and restarted is counted once, its parts merged.
 */
#include <stdlib.h>
#include <string.h>
#include "account.h"
#include "account_parts.h"

struct syscall_stats *account_syscall_stats(struct account *a, long nr)
{
	if (nr < 0 || nr >= SYSCALL_MAX_NR)
		return &a->syscalls[SYSCALL_OTHER];
	return &a->syscalls[nr];
}

/*
 * The slot of nr in the thread's small table. When it is full, the slot
 * with the fewest calls goes to the newcomer and its counts to "other"
 * (the last slot): the busy syscalls stay, whatever came first.
 */
struct thread_syscall *thread_syscall_slot(struct thread_stats *t, long nr)
{
	struct thread_syscall *other = &t->syscalls[THREAD_SYSCALL_SLOTS], *min;
	int i;

	for (i = 0; i < t->nsyscalls; i++)
		if (t->syscalls[i].nr == nr)
			return &t->syscalls[i];
	if (t->nsyscalls < THREAD_SYSCALL_SLOTS) {
		memset(&t->syscalls[t->nsyscalls], 0, sizeof(t->syscalls[0]));
		t->syscalls[t->nsyscalls].nr = (int32_t)nr;
		return &t->syscalls[t->nsyscalls++];
	}
	if (nr < 0)
		return other;
	/* Space-saving: the newcomer inherits the evicted score, so it is not evicted next. */
	min = &t->syscalls[0];
	for (i = 1; i < THREAD_SYSCALL_SLOTS; i++)
		if (t->syscalls[i].score < min->score)
			min = &t->syscalls[i];
	other->nr = -1;
	other->calls += min->calls;
	other->blocking += min->blocking;
	other->eagain += min->eagain;
	other->blocked_ns += min->blocked_ns;
	i = (int)min->score;
	memset(min, 0, sizeof(*min));
	min->nr = (int32_t)nr;
	min->score = (uint32_t)i;
	return min;
}

static void add_complete(struct account *a, struct thread_stats *t, const struct call_record *c)
{
	struct syscall_stats *s = account_syscall_stats(a, c->nr);
	bool blocking = call_is_blocking(c);
	uint64_t n = call_count(c);
	struct thread_syscall *ts;

	s->calls += n;
	if (blocking)
		s->blocking += n;
	else
		s->nonblocking += n;
	if (is_eagain_return(c->ret))
		s->eagain += n;
	else if (is_error_return(c->ret))
		s->errors += n;
	s->blocked_ns += c->blocked_ns;
	s->runq_ns += c->runq_ns;
	/* --sched-only: seen from its first sleep, so its duration is not known. */
	if (!(c->hdr.flags & (CALL_UNTIMED | CALL_SCHED_ONLY))) {
		s->timed_calls++;
		if (!blocking) {
			s->nonblocking_timed_calls++;
			s->nonblocking_timed_ns += c->duration_ns;
		}
		s->total_ns += c->duration_ns;
		if (c->duration_ns > s->max_ns)
			s->max_ns = c->duration_ns;
		s->hist[hist_slot(c->duration_ns)]++;
	}

	ts = thread_syscall_slot(t, c->nr);
	ts->calls += n;
	ts->score += n;
	ts->blocked_ns += c->blocked_ns;
	t->calls += n;
	if (blocking) {
		t->blocking_calls += n;
		ts->blocking += n;
	}
	if (is_eagain_return(c->ret)) {
		t->eagain_calls += n;
		ts->eagain += n;
	}
	/* A folded record's waits are alike: judged once, for all of their time. */
	if (c->blocked_ns)
		account_judge_wait(a, t, c);
	account_notify_call(a, c, t);
	if (blocking && c->blocked_ns) {
		struct waker_stat who;

		waker_of_call(c, &who);
		waker_add(t->wakers, &t->nwakers, THREAD_WAKER_SLOTS, &who, n, c->blocked_ns);
	}
}

uint64_t syscall_time_ns(const struct syscall_stats *s)
{
	uint64_t untimed = s->calls > s->timed_calls ? s->calls - s->timed_calls : 0;

	if (!untimed || !s->nonblocking_timed_calls)
		return s->total_ns;
	return s->total_ns + (uint64_t)((double)untimed * (double)s->nonblocking_timed_ns /
					(double)s->nonblocking_timed_calls);
}

bool syscall_time_estimated(const struct syscall_stats *s)
{
	return s->calls > s->timed_calls;
}

/* Adds the parts of an interrupted call into the call that completes it. */
static void merge_calls(struct call_record *into, const struct call_record *from)
{
	into->nr = from->nr;
	into->hdr.flags |= from->hdr.flags & CALL_UNTIMED;
	into->enter_ns = from->enter_ns;
	into->duration_ns += from->duration_ns;
	into->blocked_ns += from->blocked_ns;
	into->runq_ns += from->runq_ns;
	into->voluntary += from->voluntary;
	into->involuntary += from->involuntary;
}

void account_flush_pending(struct account *a, struct thread_stats *t)
{
	if (!t->pending.active)
		return;
	t->pending.active = false;
	add_complete(a, t, &t->pending.call);
}

void account_call(struct account *a, const struct call_record *c)
{
	struct thread_stats *t = account_thread(a, c->hdr.tid, c->hdr.tgid);
	struct call_record merged;

	if (!t)
		return;
	/* Ended after the final snapshot, which already counted it as in progress. */
	if (t->final_ns && !(c->hdr.flags & CALL_IN_PROGRESS) &&
	    c->enter_ns + c->duration_ns > t->final_ns) {
		a->late_calls++;
		return;
	}
	if (c->hdr.flags & (CALL_BEGAN_BEFORE | CALL_IN_PROGRESS)) {
		struct syscall_stats *s = account_syscall_stats(a, c->nr);

		/* Cut by the window: its time counts, its call is not complete. */
		s->partial_calls++;
		s->partial_ns += c->duration_ns;
		s->partial_blocked_ns += c->blocked_ns;
		thread_syscall_slot(t, c->nr)->blocked_ns += c->blocked_ns;
		if (c->blocked_ns)
			account_judge_wait(a, t, c);
		account_notify_call(a, c, t);
		return;
	}
	merged = *c;
	if (t->pending.active) {
		static long restart_nr = -2;

		if (restart_nr == -2)
			restart_nr = syscall_number("restart_syscall");

		if (c->nr == t->pending.call.nr || c->nr == restart_nr) {
			merge_calls(&merged, &t->pending.call);
			account_syscall_stats(a, merged.nr)->restarts++;
			t->pending.active = false;
		} else {
			account_flush_pending(a, t);
		}
	}
	if (is_restart_return(merged.ret)) {
		/* Wait for the retry, so the call is counted once. */
		t->pending.active = true;
		t->pending.call = merged;
		return;
	}
	add_complete(a, t, &merged);
}

void account_finish(struct account *a)
{
	size_t i;

	for (i = 0; i < a->nthreads; i++)
		account_flush_pending(a, &a->threads[i]);
}
