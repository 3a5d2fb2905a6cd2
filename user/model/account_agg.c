// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Non-blocking calls the kernel counted in its per-thread slots: each slot
 * runs in generations; an ended generation comes once, as a record, and a
 * running one is read at each snapshot. Only what is new is added.
 */
#include <stdlib.h>
#include <string.h>
#include "account.h"
#include "account_parts.h"
#include "util.h"

/* Adds what the kernel counted of nr since the part already taken. */
static void add_aggregated(struct account *a, struct thread_stats *t, const struct agg_counts *now,
			   const struct agg_counts *taken)
{
	struct syscall_stats *s = account_syscall_stats(a, now->nr);
	struct thread_syscall *ts;
	uint64_t calls = sub_clamped(now->calls, taken ? taken->calls : 0);
	uint64_t eagain = sub_clamped(now->eagain, taken ? taken->eagain : 0);
	uint64_t timed = sub_clamped(now->timed, taken ? taken->timed : 0);
	uint64_t timed_ns = sub_clamped(now->total_ns, taken ? taken->total_ns : 0);
	int i;

	if (!calls)
		return;
	a->kernel_counted_calls += calls;
	s->calls += calls;
	s->nonblocking += calls;
	s->eagain += eagain;
	s->errors += sub_clamped(now->errors, taken ? taken->errors : 0);
	s->timed_calls += timed;
	s->nonblocking_timed_calls += timed;
	s->nonblocking_timed_ns += timed_ns;
	s->total_ns += timed_ns;
	s->runq_ns += sub_clamped(now->runq_ns, taken ? taken->runq_ns : 0);
	if (now->max_ns > s->max_ns)
		s->max_ns = now->max_ns;
	for (i = 0; i < HIST_SLOTS; i++)
		s->hist[i] += sub_clamped(now->hist[i], taken ? taken->hist[i] : 0);

	ts = thread_syscall_slot(t, now->nr);
	ts->calls += (uint32_t)calls;
	ts->score += (uint32_t)calls;
	ts->eagain += (uint32_t)eagain;
	t->calls += calls;
	t->eagain_calls += eagain;
}

void account_agg(struct account *a, const struct agg_record *r)
{
	struct thread_stats *t = account_thread(a, r->hdr.tid, r->hdr.tgid);
	unsigned slot = r->c.slot & (AGG_SLOTS - 1);
	bool ended = r->hdr.flags & AGG_ENDED;
	struct agg_taken *taken, *hit = NULL;
	int i;

	if (!t)
		return;
	/* Ended after the final snapshot, which took all it had before. */
	if (ended && t->final_ns && r->ts_ns > t->final_ns) {
		a->late_calls += r->c.calls;
		return;
	}
	if (!t->agg) {
		t->agg = calloc(1, sizeof(*t->agg));
		if (!t->agg) {
			a->malformed++;
			return;
		}
	}
	taken = t->agg->taken[slot];
	/* A snapshot that caught a generation as it ended: the end is counted already. */
	if (!ended && r->c.gen < t->agg->ended_before[slot])
		return;
	for (i = 0; i < 2; i++)
		if (taken[i].valid && taken[i].c.gen == r->c.gen && taken[i].c.nr == r->c.nr)
			hit = &taken[i];
	add_aggregated(a, t, &r->c, hit ? &hit->c : NULL);
	if (ended) {
		if (hit)
			hit->valid = false;
		t->agg->ended_before[slot] = r->c.gen + 1;
		return;
	}
	if (!hit) {
		/* Keep the newer of the two generations remembered. */
		hit = !taken[0].valid			 ? &taken[0] :
		      !taken[1].valid			 ? &taken[1] :
		      taken[0].c.gen < taken[1].c.gen ? &taken[0] :
							   &taken[1];
		hit->valid = true;
	}
	hit->c = r->c;
}
