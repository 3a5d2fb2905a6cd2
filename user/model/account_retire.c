// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Dead threads past ACCOUNT_MAX_EXITED_THREADS are folded into one entry per
 * group of their process, so a thread-churning target keeps memory flat.
 */
#include <string.h>
#include "account.h"
#include "account_parts.h"

/* Adds dead thread t into the aggregate entry g of its group. */
static void fold_thread(struct thread_stats *g, const struct thread_stats *t)
{
	int i, c;

	g->retired += t->retired ? t->retired : 1;
	g->end.oncpu_ns += thread_oncpu_ns(t);
	g->end.run_delay_ns += thread_runq_ns(t);
	if (t->have_base && t->have_end) {
		g->end.nvcsw += t->end.nvcsw - t->base.nvcsw;
		g->end.nivcsw += t->end.nivcsw - t->base.nivcsw;
	}
	g->blocked_ns += t->blocked_ns;
	g->blocked_outside_ns += t->blocked_outside_ns;
	g->voluntary += t->voluntary;
	g->involuntary += t->involuntary;
	g->tp_oncpu_ns += t->tp_oncpu_ns;
	g->tp_runq_ns += t->tp_runq_ns;
	g->calls += t->calls;
	g->blocking_calls += t->blocking_calls;
	g->eagain_calls += t->eagain_calls;
	for (c = 0; c < CLASS_COUNT; c++)
		g->class_blocked_ns[c] += t->class_blocked_ns[c];
	for (c = 0; c < WAIT_REASON_COUNT; c++)
		g->reason_blocked_ns[c] += t->reason_blocked_ns[c];
	if (!g->first_ns || (t->first_ns && t->first_ns < g->first_ns))
		g->first_ns = t->first_ns;
	if (t->last_ns > g->last_ns)
		g->last_ns = t->last_ns;
	for (i = 0; i < t->nwakers; i++)
		waker_add(g->wakers, &g->nwakers, THREAD_WAKER_SLOTS, &t->wakers[i],
			  t->wakers[i].wakeups, t->wakers[i].blocked_ns);
	for (i = 0; i <= THREAD_SYSCALL_SLOTS; i++) {
		const struct thread_syscall *src = &t->syscalls[i];
		struct thread_syscall *dst;

		if (i >= t->nsyscalls && (i < THREAD_SYSCALL_SLOTS || src->nr != -1))
			continue;
		dst = thread_syscall_slot(g, src->nr);
		dst->calls += src->calls;
		dst->blocking += src->blocking;
		dst->eagain += src->eagain;
		dst->blocked_ns += src->blocked_ns;
	}
}

void group_name(const char *comm, char *out, size_t len)
{
	size_t o = 0, i;

	if (!len)
		return;
	/* A comm from a record may fill all its bytes with no NUL: stop at its size. */
	for (i = 0; i < BLOCKSCOPE_COMM_LEN && comm[i] && o + 1 < len; i++)
		if (comm[i] < '0' || comm[i] > '9')
			out[o++] = comm[i];
	out[o] = '\0';
}

/* Folds every dead thread into its group's aggregate and rebuilds the index. */
void account_retire_exited(struct account *a)
{
	size_t i, j, kept = 0;

	for (i = 0; i < a->nthreads; i++) {
		struct thread_stats dead = a->threads[i];
		char group[BLOCKSCOPE_COMM_LEN];

		if (!dead.exited || dead.tid == 0) {
			a->threads[kept++] = dead;
			continue;
		}
		group_name(dead.comm, group, sizeof(group));
		for (j = 0; j < kept; j++)
			if (a->threads[j].tid == 0 && a->threads[j].tgid == dead.tgid &&
			    a->threads[j].process_seq == dead.process_seq &&
			    strcmp(a->threads[j].comm, group) == 0)
				break;
		if (j == kept) {
			/* kept <= i, and dead is a copy: the slot is free to reuse. */
			struct thread_stats *g = &a->threads[kept++];

			memset(g, 0, sizeof(*g));
			g->tgid = dead.tgid;
			g->process_seq = dead.process_seq;
			g->exited = g->born = true;
			g->have_base = g->have_end = true;
			memcpy(g->comm, group, sizeof(g->comm));
		}
		fold_thread(&a->threads[j], &dead);
		a->retired_threads++;
		/* An aggregate has no timeline: the occupancy of its group leaves it out. */
		if (dead.spans.n)
			a->spans_retired++;
		account_drop_spans(a, &dead, false);
	}
	a->nthreads = kept;
	a->nexited = 0;
	account_index_rebuild(a);
}
