// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The account: the kernel's records decoded into per-thread and per-process
 * state, and the windows (base and end counters) the figures come from. Pure
 * logic: it takes records as plain data, so the unit tests drive it without
 * a kernel. Its other jobs have files of their own: account_index.c (the
 * tables), account_calls.c (finished calls), account_agg.c (calls the kernel
 * counted), account_retire.c (folding dead threads), wakers.c.
 */
#include <stdlib.h>
#include <string.h>
#include "account.h"
#include "account_parts.h"
#include "util.h"

int account_init(struct account *a, const struct class_overrides *ov)
{
	memset(a, 0, sizeof(*a));
	if (ov)
		a->overrides = *ov;
	a->index_cap = 1024;
	a->index = calloc(a->index_cap, sizeof(*a->index));
	return a->index ? 0 : -1;
}

void account_free(struct account *a)
{
	size_t i;

	for (i = 0; i < a->nthreads; i++) {
		free(a->threads[i].agg);
		free(a->threads[i].spans.v);
	}
	free(a->threads);
	free(a->index);
	free(a->processes);
	memset(a, 0, sizeof(*a));
}

int account_observe(struct account *a, const struct account_observer *o)
{
	if (a->nobservers == ACCOUNT_MAX_OBSERVERS)
		return -1;
	a->observers[a->nobservers++] = *o;
	return 0;
}

void account_notify_call(struct account *a, const struct call_record *c,
			 const struct thread_stats *t)
{
	int i;

	for (i = 0; i < a->nobservers; i++) {
		bool cut = c->hdr.flags & (CALL_BEGAN_BEFORE | CALL_IN_PROGRESS);

		if (cut && a->observers[i].on_cut_call)
			a->observers[i].on_cut_call(a->observers[i].ctx, c, t);
		else if (!cut && a->observers[i].on_call)
			a->observers[i].on_call(a->observers[i].ctx, c, t);
	}
}

int hist_slot(uint64_t ns)
{
	return blockscope_hist_slot(ns);
}

static void counters_from_record(struct thread_counters *c, const struct thread_record *r)
{
	c->oncpu_ns = r->oncpu_ns;
	c->run_delay_ns = r->run_delay_ns;
	c->nvcsw = r->nvcsw;
	c->nivcsw = r->nivcsw;
}

void account_thread_record(struct account *a, const struct thread_record *r)
{
	struct thread_stats *t = account_thread(a, r->hdr.tid, r->hdr.tgid);

	if (!t)
		return;
	if (r->hdr.flags & THREAD_EXITED) {
		/* Its last aggregated calls came just before this record. */
		free(t->agg);
		t->agg = NULL;
	}
	if (t->final_ns) {
		/* Its window is closed: what it did after the final snapshot is not ours. */
		t->exited = t->exited || (r->hdr.flags & THREAD_EXITED);
		return;
	}
	if (r->hdr.flags & THREAD_AT_STOP)
		t->final_ns = r->last_ns;
	memcpy(t->comm, r->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
	counters_from_record(&t->end, r);
	t->have_end = true;
	/* The record holds running totals: add what is new since the last one. */
	t->blocked_ns += r->blocked_ns - t->seen.blocked_ns;
	t->blocked_outside_ns += r->blocked_outside_ns - t->seen.blocked_outside_ns;
	t->voluntary += r->voluntary - t->seen.voluntary;
	t->involuntary += r->involuntary - t->seen.involuntary;
	t->tp_oncpu_ns += r->tp_oncpu_ns - t->seen.tp_oncpu_ns;
	t->tp_runq_ns += r->tp_runq_ns - t->seen.tp_runq_ns;
	t->seen.blocked_ns = r->blocked_ns;
	t->seen.blocked_outside_ns = r->blocked_outside_ns;
	t->seen.voluntary = r->voluntary;
	t->seen.involuntary = r->involuntary;
	t->seen.tp_oncpu_ns = r->tp_oncpu_ns;
	t->seen.tp_runq_ns = r->tp_runq_ns;
	if (!t->first_ns)
		t->first_ns = r->first_ns;
	t->last_ns = r->last_ns;
	t->end_from_proc = false;
	t->sleeping_at_stop = r->hdr.flags & THREAD_SLEEPING;
	memset(t->cpus, 0, sizeof(t->cpus));
	memcpy(t->cpus, r->cpus, sizeof(r->cpus));
	t->cpus_known = r->cpus[0] || r->cpus[1] || r->cpus[2] || r->cpus[3];
	t->current_nr = r->hdr.flags & THREAD_IN_CALL ? (long)r->current_nr : -1;
	t->call_enter_ns = r->hdr.flags & THREAD_IN_CALL ? r->call_enter_ns : 0;
	if (r->hdr.flags & THREAD_EXITED) {
		account_flush_pending(a, t);
		t->exited = true;
		if (++a->nexited > ACCOUNT_MAX_EXITED_THREADS)
			account_retire_exited(a);
	}
}

void account_fork(struct account *a, const struct fork_record *r)
{
	struct thread_stats *t = account_thread(a, r->hdr.tid, r->hdr.tgid);

	if (t) {
		/* Born under our eyes (counters at zero), or adopted in --cgroup. */
		t->born = !(r->hdr.flags & FORK_ADOPTED);
		t->have_base = true;
		t->base_from_proc = false;
		t->base.oncpu_ns = r->oncpu_ns;
		t->base.run_delay_ns = r->run_delay_ns;
		t->base.nvcsw = r->nvcsw;
		t->base.nivcsw = r->nivcsw;
		t->first_ns = r->ts_ns;
		memcpy(t->comm, r->comm, sizeof(t->comm));
		t->comm[sizeof(t->comm) - 1] = '\0';
	}
	if (r->hdr.tgid != r->parent_tgid) {
		struct process_stats *p = account_process(a, r->hdr.tgid);

		if (p) {
			p->came = p->followed = true;
			p->parent_tgid = r->parent_tgid;
			/* Its first thread was made just above, maybe before this entry. */
			if (t)
				t->process_seq = p->seq;
			memcpy(p->comm, r->comm, sizeof(p->comm));
			p->comm[sizeof(p->comm) - 1] = '\0';
		}
	}
}

void account_rename(struct account *a, const struct rename_record *r)
{
	struct thread_stats *t = account_find_thread(a, r->hdr.tid);

	/* A thread whose window is closed keeps the name the final snapshot gave it. */
	if (!t || t->final_ns)
		return;
	memcpy(t->comm, r->comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
}

void account_process_exit(struct account *a, const struct process_exit_record *r)
{
	struct process_stats *p = account_process(a, r->hdr.tgid);

	if (p) {
		p->went = true;
		p->exit_code = r->exit_code;
	}
}

int account_record(struct account *a, const void *data, size_t size)
{
	const struct record_header *h = data;
	int i;

	a->records++;
	if (size < sizeof(*h))
		goto bad;
	switch (h->type) {
	case RECORD_CALL:
		if (size < sizeof(struct call_record))
			goto bad;
		account_call(a, data);
		return 0;
	case RECORD_THREAD:
		if (size < sizeof(struct thread_record))
			goto bad;
		account_thread_record(a, data);
		return 0;
	case RECORD_FORK:
		if (size < sizeof(struct fork_record))
			goto bad;
		account_fork(a, data);
		return 0;
	case RECORD_PROCESS_EXIT:
		if (size < sizeof(struct process_exit_record))
			goto bad;
		account_process_exit(a, data);
		return 0;
	case RECORD_AGG:
		if (size < sizeof(struct agg_record))
			goto bad;
		account_agg(a, data);
		return 0;
	case RECORD_SCHED:
		if (size < sizeof(struct sched_record))
			goto bad;
		for (i = 0; i < a->nobservers; i++)
			if (a->observers[i].on_sched)
				a->observers[i].on_sched(a->observers[i].ctx, data);
		return 0;
	case RECORD_RENAME:
		if (size < sizeof(struct rename_record))
			goto bad;
		account_rename(a, data);
		return 0;
	case RECORD_USTACK:
		if (size < USTACK_HEADER_SIZE ||
		    size < USTACK_HEADER_SIZE + ((const struct ustack_record *)data)->size)
			goto bad;
		for (i = 0; i < a->nobservers; i++)
			if (a->observers[i].on_other)
				a->observers[i].on_other(a->observers[i].ctx, data, size);
		return 0;
	}
bad:
	a->malformed++;
	return -1;
}

void account_set_base(struct account *a, uint32_t tid, uint32_t tgid,
		      const struct thread_counters *c)
{
	struct thread_stats *t = account_thread(a, tid, tgid);

	/* A thread born after attach keeps its zero base. */
	if (!t || t->born)
		return;
	t->base = *c;
	t->have_base = true;
	t->base_from_proc = true;
}

void account_set_end(struct account *a, uint32_t tid, const struct thread_counters *c)
{
	struct thread_stats *t = account_find_thread(a, tid);

	if (!t || t->exited)
		return;
	t->end = *c;
	t->have_end = true;
	t->end_from_proc = true;
}

void account_start_interval(struct account *a)
{
	size_t i, kept = 0, p = 0;

	memset(a->syscalls, 0, sizeof(a->syscalls));
	for (i = 0; i < a->nthreads; i++) {
		struct thread_stats *t = &a->threads[i];

		if (t->exited || t->tid == 0) {
			free(t->agg);
			account_drop_spans(a, t, false);
			continue;
		}
		a->threads[kept] = *t;
		t = &a->threads[kept++];
		if (t->have_end) {
			t->base = t->end;
			t->have_base = true;
			t->base_from_proc = t->end_from_proc;
		}
		t->born = false;
		t->final_ns = 0;
		t->first_ns = t->last_ns;
		t->blocked_ns = t->blocked_outside_ns = 0;
		t->voluntary = t->involuntary = 0;
		t->tp_oncpu_ns = t->tp_runq_ns = 0;
		t->calls = t->blocking_calls = t->eagain_calls = 0;
		memset(t->class_blocked_ns, 0, sizeof(t->class_blocked_ns));
		memset(t->reason_blocked_ns, 0, sizeof(t->reason_blocked_ns));
		memset(t->futexes, 0, sizeof(t->futexes));
		memset(t->syscalls, 0, sizeof(t->syscalls));
		t->nsyscalls = 0;
		t->nwakers = 0;
		account_drop_spans(a, t, true);
	}
	a->nthreads = kept;
	a->nexited = 0;
	account_index_rebuild(a);
	for (i = 0; i < a->nprocesses; i++) {
		if (a->processes[i].went)
			continue;
		a->processes[p] = a->processes[i];
		a->processes[p++].came = false;
	}
	a->nprocesses = p;
	a->records = a->malformed = a->kernel_counted_calls = 0;
	a->retired_threads = 0;
	a->spans_retired = 0;
}

uint64_t thread_oncpu_ns(const struct thread_stats *t)
{
	if (!t->have_end || !t->have_base)
		return 0;
	return sub_clamped(t->end.oncpu_ns, t->base.oncpu_ns);
}

uint64_t thread_runq_ns(const struct thread_stats *t)
{
	if (!t->have_end || !t->have_base)
		return 0;
	return sub_clamped(t->end.run_delay_ns, t->base.run_delay_ns);
}

uint64_t thread_wait_ns(const struct thread_stats *t)
{
	return t->class_blocked_ns[CLASS_WAIT] + t->blocked_outside_ns;
}

void process_totals(const struct account *a, const struct process_stats *p,
		    struct process_totals *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];

		/* A thread seen before any entry of its PID existed goes with each. */
		if (t->tgid != p->tgid || (t->process_seq && t->process_seq != p->seq))
			continue;
		out->threads++;
		out->oncpu_ns += thread_oncpu_ns(t);
		out->runq_ns += thread_runq_ns(t);
		out->blocked_ns += t->blocked_ns;
		out->wait_ns += thread_wait_ns(t);
		out->idle_ns += t->class_blocked_ns[CLASS_IDLE];
		out->sync_ns += t->class_blocked_ns[CLASS_SYNC];
		out->calls += t->calls;
		out->blocking_calls += t->blocking_calls;
		out->eagain_calls += t->eagain_calls;
	}
}
