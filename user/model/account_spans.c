// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The account keeps each thread's blocking waits of the window with their
 * times and classes: occupancy.c needs to know *when* a pool thread waited
 * for work, not only for how long, to count how many were busy at once.
 * Bounded per thread and per account; past the bound the thread's waits
 * stop at full_ns, and occupancy is measured up to there.
 */
#include <stdlib.h>
#include "account.h"
#include "account_parts.h"
#include "syscalls.h"

static long futex_number(void)
{
	static long nr = -2;

	if (nr == -2)
		nr = syscall_number("futex");
	return nr;
}

void account_note_span(struct account *a, struct thread_stats *t, const struct call_record *c,
		       enum wait_class cls)
{
	struct wait_spans *s = &t->spans;
	struct wait_span *w;
	uint64_t end = c->woken_ns ? c->woken_ns : c->enter_ns + c->duration_ns;
	uint64_t start = c->enter_ns;

	uint64_t futex = c->nr == futex_number() ? c->args[0] & ~(uint64_t)7 : 0;

	/* Untimed and never woken: its sleep is all that is known of it. */
	if (!start || start > end)
		start = end > c->blocked_ns ? end - c->blocked_ns : 0;
	if (s->full_ns)
		return;
	/*
	 * A wait of the same class right after the last, inside one job (no
	 * wait for work between them): occupancy books only their sums to the
	 * job, so they are one span. Not a futex wait (it may be rebooked as a
	 * shared lock), not a wait for work (it ends a job). A thread sleeping
	 * 3,000 times a second in nanosleep kept 15,000 spans in 5 s; one now.
	 */
	if (s->n && cls != CLASS_IDLE && !futex) {
		w = &s->v[s->n - 1];
		if (w->cls == (uint8_t)cls && !w->futex_word && w->end_ns <= start) {
			w->end_ns = end;
			w->blocked_ns += c->blocked_ns;
			w->runq_ns += c->runq_ns;
			w->calls += c->calls ? c->calls : 1;
			return;
		}
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? 2 * s->cap : 16;
		struct wait_span *v;

		if (cap > THREAD_MAX_SPANS)
			cap = THREAD_MAX_SPANS;
		v = s->n < cap && a->nspans + (cap - s->n) <= ACCOUNT_MAX_SPANS ?
			    realloc(s->v, cap * sizeof(*v)) :
			    NULL;
		if (!v) {
			/* No room: what follows this wait is not known, so neither is it. */
			s->full_ns = start ? start : 1;
			return;
		}
		a->nspans += cap - s->cap;
		s->v = v;
		s->cap = cap;
	}
	w = &s->v[s->n++];
	w->start_ns = start;
	w->end_ns = end;
	w->blocked_ns = c->blocked_ns;
	w->runq_ns = c->runq_ns;
	w->futex_word = futex;
	w->calls = c->calls ? c->calls : 1;
	w->cls = (uint8_t)cls;
}

void account_drop_spans(struct account *a, struct thread_stats *t, bool keep)
{
	t->spans.n = 0;
	t->spans.full_ns = 0;
	if (keep)
		return;
	a->nspans -= a->nspans < t->spans.cap ? a->nspans : t->spans.cap;
	free(t->spans.v);
	t->spans.v = NULL;
	t->spans.cap = 0;
}
