// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The account's side of the wait judgement (waits.c): gathers the facts of
 * each blocking call (its fd, its waker and what the waker had waited for
 * just before) and books the verdict into the thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "account.h"
#include "account_parts.h"
#include "util.h"

/* Reasons that say what a thread does by itself, not how it waits on others. */
static bool says_what_it_does(enum wait_reason r)
{
	switch (r) {
	case WAIT_EVENT_LOOP:
	case WAIT_ACCEPT:
	case WAIT_SIGNAL_OR_CHILD:
	case WAIT_CLIENT_REQUEST:
	case WAIT_INPUT:
	case WAIT_BACKEND:
	case WAIT_PEER_TAKES:
	case WAIT_FILE_IO:
	case WAIT_SLEEP:
		return true;
	default:
		return false;
	}
}

enum wait_reason thread_main_reason(const struct thread_stats *t)
{
	enum wait_reason best = WAIT_REASON_COUNT;
	int r;

	for (r = 0; r < WAIT_REASON_COUNT; r++)
		if (says_what_it_does((enum wait_reason)r) && t->reason_blocked_ns[r] &&
		    (best == WAIT_REASON_COUNT || t->reason_blocked_ns[r] > t->reason_blocked_ns[best]))
			best = (enum wait_reason)r;
	return best;
}

uint64_t thread_home_futex(const struct thread_stats *t)
{
	uint64_t best = 0, ns = 0;
	int i;

	for (i = 0; i < THREAD_FUTEX_SLOTS; i++)
		if (t->futexes[i].blocked_ns > ns) {
			ns = t->futexes[i].blocked_ns;
			best = t->futexes[i].uaddr;
		}
	return best;
}

/*
 * Whether two threads of a process do the same job, as far as is known
 * while the trace runs: the same name, and for threads a runtime leaves
 * unnamed (every thread called like the process) the same pool futex or
 * the same kind of wait. roles.c makes the final groups at report time.
 */
static bool siblings(const struct account *a, const struct thread_stats *x,
		     const struct thread_stats *y)
{
	char gx[BLOCKSCOPE_COMM_LEN], gy[BLOCKSCOPE_COMM_LEN];
	const struct thread_stats *main_thread = account_find_thread(a, x->tgid);
	uint64_t hx, hy;

	group_name(x->comm, gx, sizeof(gx));
	group_name(y->comm, gy, sizeof(gy));
	if (strcmp(gx, gy) != 0)
		return false;
	if (!main_thread || strncmp(main_thread->comm, x->comm, BLOCKSCOPE_COMM_LEN) != 0)
		return true; /* named threads: the name says the job */
	hx = thread_home_futex(x);
	hy = thread_home_futex(y);
	if (hx && hx == hy)
		return true;
	return thread_main_reason(x) == thread_main_reason(y);
}

/*
 * The class of t's latest wait that ended by before_ns (0: any time) in
 * syscall nr (-1: any); false if none is known. past_mutexes: a mutex
 * taken on the way does not count; what the thread was doing shows in the
 * wait before it (a producer that took its queue's lock to hand a job over
 * had been given that job: not a result, not a lock passed round).
 */
static bool latest_wait(const struct thread_stats *t, long nr, uint64_t before_ns,
			bool past_mutexes, enum wait_class *cls)
{
	uint64_t best = 0;
	bool found = false;
	int i;

	for (i = 0; i < THREAD_RECENT_WAITS; i++) {
		const struct wait_mark *m = &t->recent[i];

		if (!m->woken_ns || m->woken_ns <= best || (nr >= 0 && m->nr != nr) ||
		    (before_ns && m->woken_ns > before_ns) || (past_mutexes && m->mutex))
			continue;
		best = m->woken_ns;
		*cls = (enum wait_class)m->cls;
		found = true;
	}
	return found;
}

/* Whether t's latest wait on the object of futex word uaddr, other than as a mutex, was on it too. */
static bool waits_here(const struct thread_stats *t, uint64_t uaddr)
{
	int i;

	for (i = 0; i < THREAD_FUTEX_SLOTS; i++)
		if (t->futexes[i].uaddr == (uaddr & ~(uint64_t)63) &&
		    t->futexes[i].word == (uaddr & ~(uint64_t)7))
			return true;
	return false;
}

/*
 * One wait on the futex word, into the slot of its object (64-byte block).
 * passed: its waker waits on the same word too (waits_here). Full slots: the newcomer takes the least
 * used slot and inherits its score (space-saving), so a futex used once per
 * request (a future's lock) never pushes out the one used all the time (a
 * pool's queue, a GIL).
 */
static void note_futex(struct thread_stats *t, uint64_t word, uint64_t ns, enum wait_reason r,
		       bool passed)
{
	uint64_t uaddr = word & ~(uint64_t)63;
	struct futex_home *f = NULL, *min = &t->futexes[0];
	int i;

	for (i = 0; i < THREAD_FUTEX_SLOTS && !f; i++) {
		if (t->futexes[i].uaddr == uaddr && t->futexes[i].score)
			f = &t->futexes[i];
		else if (t->futexes[i].score < min->score)
			min = &t->futexes[i];
	}
	if (!f) {
		uint64_t inherited = min->score;

		f = min;
		memset(f, 0, sizeof(*f));
		f->uaddr = uaddr;
		f->score = inherited;
	}
	f->score += ns;
	f->blocked_ns += ns;
	f->class_ns[wait_reason_class(r)] += ns;
	if (r == WAIT_HANDED_WORK || r == WAIT_CUT_IDLE)
		f->for_work_ns += ns;
	if (r == WAIT_MUTEX)
		f->mutex_ns += ns;
	else
		f->word = word & ~(uint64_t)7;
	if (passed)
		f->passed_ns += ns;
}

/* Looked up once: this runs for every blocking call. */
static long futex_nr(void)
{
	static long nr = -2;

	if (nr == -2)
		nr = syscall_number("futex");
	return nr;
}

void account_judge_wait(struct account *a, struct thread_stats *t, const struct call_record *c)
{
	struct wait_facts f = {
		.nr = c->nr,
		.fd = FD_UNKNOWN,
		.waker_kind = c->waker_kind,
		.overrides = &a->overrides,
	};
	const struct thread_stats *w = NULL;
	enum wait_reason r;
	enum wait_class cls;

	memcpy(f.args, c->args, sizeof(f.args));
	f.go_runtime = t->runtime == RUNTIME_GO;
	f.waker_unknown = c->waker_kind == WAKER_TASK && c->waker_tgid == 0;
	if (c->hdr.flags & CALL_IN_PROGRESS) {
		f.cut = true;
		/* A mutex taken on the way says nothing of a wait on a condition. */
		f.cut_known = latest_wait(t, c->nr, 0, true, &f.cut_like);
	}
	if (a->fd_kind_of && wait_needs_fd(c->nr) && c->args[0] <= 0x7fffffff)
		f.fd = a->fd_kind_of(a->fd_ctx, t->tgid, (int)c->args[0], c);
	if (c->waker_kind == WAKER_TASK && c->waker_tid && c->waker_tid != t->tid) {
		w = account_find_thread(a, c->waker_tid);

		/*
		 * A thread of a traced process counts as one of ours: a server's
		 * processes (PostgreSQL's backends, Apache's children) wait on
		 * each other as threads do.
		 */
		f.waker_in_process = c->waker_tgid == t->tgid || (w && w->tgid == c->waker_tgid);
		f.waker_same_process = c->waker_tgid == t->tgid;
		if (w && w->tgid == c->waker_tgid) {
			f.waker_sibling = siblings(a, t, w);
			f.waker_known = latest_wait(w, -1, c->woken_ns, true, &f.waker_last);
		}
	}
	r = wait_judge(&f);
	cls = wait_reason_class(r);
	t->reason_blocked_ns[r] += c->blocked_ns;
	t->class_blocked_ns[cls] += c->blocked_ns;
	t->last_reason = (uint8_t)r;
	/*
	 * By the 64 bytes it sits in: a glibc condition variable's waiters
	 * sleep on one of two words (__g_signals[0] or [1], by turns), and one
	 * object (a queue, the GIL with its mutex) is one place to wait.
	 */
	if (c->nr == futex_nr())
		note_futex(t, c->args[0], c->blocked_ns, r, w && waits_here(w, c->args[0]));
	if (c->woken_ns) {
		struct wait_mark *m = &t->recent[t->recent_next++ % THREAD_RECENT_WAITS];

		m->woken_ns = c->woken_ns;
		m->nr = (int32_t)c->nr;
		m->cls = (uint8_t)cls;
		/* A lock taken on the way, as a mutex is: says nothing of the work. */
		m->mutex = r == WAIT_MUTEX || r == WAIT_MMAP_LOCK;
	}
	account_note_span(a, t, c, cls);
}
