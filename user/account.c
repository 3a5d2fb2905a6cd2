// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Per-syscall and per-thread accounting of the kernel's records. Pure logic:
 * it takes records as plain data, so the unit tests drive it without a kernel.
 */
#include <stdlib.h>
#include <string.h>
#include "account.h"

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

	for (i = 0; i < a->nthreads; i++)
		free(a->threads[i].agg);
	free(a->threads);
	free(a->index);
	free(a->processes);
	memset(a, 0, sizeof(*a));
}

static size_t slot_of(uint32_t tid, size_t cap)
{
	/* Fibonacci hashing spreads consecutive TIDs. */
	return (size_t)((tid * 2654435761u) & (cap - 1));
}

static int index_grow(struct account *a)
{
	size_t cap = a->index_cap * 2, i;
	uint32_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		return -1;
	for (i = 0; i < a->nthreads; i++) {
		size_t s = slot_of(a->threads[i].tid, cap);

		if (a->threads[i].tid == 0)
			continue; /* an aggregate of retired threads */
		/* Only the newest entry of a reused TID is indexed. */
		while (idx[s] && a->threads[idx[s] - 1].tid != a->threads[i].tid)
			s = (s + 1) & (cap - 1);
		idx[s] = (uint32_t)(i + 1);
	}
	free(a->index);
	a->index = idx;
	a->index_cap = cap;
	return 0;
}

static size_t index_probe(const struct account *a, uint32_t tid)
{
	size_t s = slot_of(tid, a->index_cap);

	while (a->index[s] && a->threads[a->index[s] - 1].tid != tid)
		s = (s + 1) & (a->index_cap - 1);
	return s;
}

struct thread_stats *account_find_thread(const struct account *a, uint32_t tid)
{
	size_t s = index_probe(a, tid);

	return a->index[s] ? &a->threads[a->index[s] - 1] : NULL;
}

static struct thread_stats *new_thread(struct account *a, uint32_t tid, uint32_t tgid)
{
	struct thread_stats *t;
	size_t s;

	if ((a->nthreads + 1) * 2 > a->index_cap && index_grow(a))
		return NULL;
	if (a->nthreads == a->threads_cap) {
		size_t cap = a->threads_cap ? a->threads_cap * 2 : 64;
		struct thread_stats *n = realloc(a->threads, cap * sizeof(*n));

		if (!n)
			return NULL;
		a->threads = n;
		a->threads_cap = cap;
	}
	t = &a->threads[a->nthreads];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->tgid = tgid;
	/* The live process on that PID now: after a reuse, not the one that went. */
	for (s = a->nprocesses; s > 0; s--)
		if (a->processes[s - 1].tgid == tgid && !a->processes[s - 1].went) {
			t->process_seq = a->processes[s - 1].seq;
			break;
		}
	s = index_probe(a, tid);
	a->index[s] = (uint32_t)(++a->nthreads);
	return t;
}

struct thread_stats *account_thread(struct account *a, uint32_t tid, uint32_t tgid)
{
	struct thread_stats *t = account_find_thread(a, tid);

	/* A TID reused after its thread died is a new thread. */
	if (t && !t->exited)
		return t;
	return new_thread(a, tid, tgid);
}

struct process_stats *account_process(struct account *a, uint32_t tgid)
{
	struct process_stats *p;
	size_t i;

	for (i = a->nprocesses; i > 0; i--)
		if (a->processes[i - 1].tgid == tgid && !a->processes[i - 1].went)
			return &a->processes[i - 1];
	if (a->nprocesses == a->processes_cap) {
		size_t cap = a->processes_cap ? a->processes_cap * 2 : 16;
		struct process_stats *n = realloc(a->processes, cap * sizeof(*n));

		if (!n)
			return NULL;
		a->processes = n;
		a->processes_cap = cap;
	}
	p = &a->processes[a->nprocesses++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	p->seq = ++a->process_seqs;
	return p;
}

int hist_slot(uint64_t ns)
{
	return blockscope_hist_slot(ns);
}

static struct syscall_stats *stats_of(struct account *a, long nr)
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
static struct thread_syscall *thread_syscall_of(struct thread_stats *t, long nr)
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

void waker_add(struct waker_stat *table, int *n, int cap, uint32_t tgid, const char *comm,
	       uint64_t wakeups, uint64_t blocked_ns)
{
	struct waker_stat *w = NULL;
	int i;

	for (i = 0; i < *n; i++)
		if (table[i].tgid == tgid && strncmp(table[i].comm, comm, BLOCKSCOPE_COMM_LEN) == 0)
			w = &table[i];
	if (!w && *n < cap) {
		w = &table[(*n)++];
		w->tgid = tgid;
		memcpy(w->comm, comm, BLOCKSCOPE_COMM_LEN);
		w->comm[BLOCKSCOPE_COMM_LEN - 1] = '\0';
		w->wakeups = w->blocked_ns = 0;
	} else if (!w) {
		/* Full: the last slot becomes "(others)", keeping what it had. */
		w = &table[cap - 1];
		w->tgid = UINT32_MAX;
		strcpy(w->comm, "(others)");
	}
	w->wakeups += wakeups;
	w->blocked_ns += blocked_ns;
}

static void add_complete(struct account *a, struct thread_stats *t, const struct call_record *c)
{
	struct syscall_stats *s = stats_of(a, c->nr);
	bool blocking = call_is_blocking(c);
	struct thread_syscall *ts;

	s->calls++;
	if (blocking)
		s->blocking++;
	else
		s->nonblocking++;
	if (is_eagain_return(c->ret))
		s->eagain++;
	else if (is_error_return(c->ret))
		s->errors++;
	s->blocked_ns += c->blocked_ns;
	s->runq_ns += c->runq_ns;
	if (!(c->hdr.flags & CALL_UNTIMED)) {
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

	ts = thread_syscall_of(t, c->nr);
	ts->calls++;
	ts->score++;
	ts->blocked_ns += c->blocked_ns;
	t->calls++;
	if (blocking) {
		t->blocking_calls++;
		ts->blocking++;
	}
	if (is_eagain_return(c->ret)) {
		t->eagain_calls++;
		ts->eagain++;
	}
	t->class_blocked_ns[syscall_class(c->nr, &a->overrides)] += c->blocked_ns;
	if (a->on_call)
		a->on_call(a->call_ctx, c, t);
	if (blocking && c->blocked_ns) {
		char waker[BLOCKSCOPE_COMM_LEN];

		/* By role, not by thread: "conn-3" and "conn-9" of one process are one waker. */
		group_name(c->waker_comm, waker, sizeof(waker));
		waker_add(t->wakers, &t->nwakers, THREAD_WAKER_SLOTS, c->waker_tgid, waker, 1,
			  c->blocked_ns);
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

static void flush_pending(struct account *a, struct thread_stats *t)
{
	if (!t->pending.active)
		return;
	t->pending.active = false;
	add_complete(a, t, &t->pending.call);
}

static uint64_t less(uint64_t a, uint64_t b)
{
	/* A snapshot read while the thread was counting may be ahead in one field. */
	return a > b ? a - b : 0;
}

/* Adds what the kernel counted of nr since the part already taken. */
static void add_aggregated(struct account *a, struct thread_stats *t, const struct agg_counts *now,
			   const struct agg_counts *taken)
{
	struct syscall_stats *s = stats_of(a, now->nr);
	struct thread_syscall *ts;
	uint64_t calls = less(now->calls, taken ? taken->calls : 0);
	uint64_t eagain = less(now->eagain, taken ? taken->eagain : 0);
	uint64_t timed = less(now->timed, taken ? taken->timed : 0);
	uint64_t timed_ns = less(now->total_ns, taken ? taken->total_ns : 0);
	int i;

	if (!calls)
		return;
	a->kernel_counted_calls += calls;
	s->calls += calls;
	s->nonblocking += calls;
	s->eagain += eagain;
	s->errors += less(now->errors, taken ? taken->errors : 0);
	s->timed_calls += timed;
	s->nonblocking_timed_calls += timed;
	s->nonblocking_timed_ns += timed_ns;
	s->total_ns += timed_ns;
	s->runq_ns += less(now->runq_ns, taken ? taken->runq_ns : 0);
	if (now->max_ns > s->max_ns)
		s->max_ns = now->max_ns;
	for (i = 0; i < HIST_SLOTS; i++)
		s->hist[i] += less(now->hist[i], taken ? taken->hist[i] : 0);

	ts = thread_syscall_of(t, now->nr);
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
		struct syscall_stats *s = stats_of(a, c->nr);

		/* Cut by the window: its time counts, its call is not complete. */
		s->partial_calls++;
		s->partial_ns += c->duration_ns;
		s->partial_blocked_ns += c->blocked_ns;
		thread_syscall_of(t, c->nr)->blocked_ns += c->blocked_ns;
		t->class_blocked_ns[syscall_class(c->nr, &a->overrides)] += c->blocked_ns;
		return;
	}
	merged = *c;
	if (t->pending.active) {
		long restart_nr = syscall_number("restart_syscall");

		if (c->nr == t->pending.call.nr || c->nr == restart_nr) {
			merge_calls(&merged, &t->pending.call);
			stats_of(a, merged.nr)->restarts++;
			t->pending.active = false;
		} else {
			flush_pending(a, t);
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

static void counters_from_record(struct thread_counters *c, const struct thread_record *r)
{
	c->oncpu_ns = r->oncpu_ns;
	c->run_delay_ns = r->run_delay_ns;
	c->nvcsw = r->nvcsw;
	c->nivcsw = r->nivcsw;
}

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
	if (!g->first_ns || (t->first_ns && t->first_ns < g->first_ns))
		g->first_ns = t->first_ns;
	if (t->last_ns > g->last_ns)
		g->last_ns = t->last_ns;
	for (i = 0; i < t->nwakers; i++)
		waker_add(g->wakers, &g->nwakers, THREAD_WAKER_SLOTS, t->wakers[i].tgid,
			  t->wakers[i].comm, t->wakers[i].wakeups, t->wakers[i].blocked_ns);
	for (i = 0; i <= THREAD_SYSCALL_SLOTS; i++) {
		const struct thread_syscall *src = &t->syscalls[i];
		struct thread_syscall *dst;

		if (i >= t->nsyscalls && (i < THREAD_SYSCALL_SLOTS || src->nr != -1))
			continue;
		dst = thread_syscall_of(g, src->nr);
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
static void retire_exited(struct account *a)
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
	}
	a->nthreads = kept;
	a->nexited = 0;
	memset(a->index, 0, a->index_cap * sizeof(*a->index));
	for (i = 0; i < a->nthreads; i++)
		if (a->threads[i].tid != 0)
			a->index[index_probe(a, a->threads[i].tid)] = (uint32_t)(i + 1);
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
	t->current_nr = r->hdr.flags & THREAD_IN_CALL ? (long)r->current_nr : -1;
	if (r->hdr.flags & THREAD_EXITED) {
		flush_pending(a, t);
		t->exited = true;
		if (++a->nexited > ACCOUNT_MAX_EXITED_THREADS)
			retire_exited(a);
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
		if (a->on_sched)
			a->on_sched(a->sched_ctx, data);
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

void account_finish(struct account *a)
{
	size_t i;

	for (i = 0; i < a->nthreads; i++)
		flush_pending(a, &a->threads[i]);
}

void account_start_interval(struct account *a)
{
	size_t i, kept = 0, p = 0;

	memset(a->syscalls, 0, sizeof(a->syscalls));
	for (i = 0; i < a->nthreads; i++) {
		struct thread_stats *t = &a->threads[i];

		if (t->exited || t->tid == 0) {
			free(t->agg);
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
		memset(t->syscalls, 0, sizeof(t->syscalls));
		t->nsyscalls = 0;
		t->nwakers = 0;
	}
	a->nthreads = kept;
	a->nexited = 0;
	memset(a->index, 0, a->index_cap * sizeof(*a->index));
	for (i = 0; i < a->nthreads; i++)
		a->index[index_probe(a, a->threads[i].tid)] = (uint32_t)(i + 1);
	for (i = 0; i < a->nprocesses; i++) {
		if (a->processes[i].went)
			continue;
		a->processes[p] = a->processes[i];
		a->processes[p++].came = false;
	}
	a->nprocesses = p;
	a->records = a->malformed = a->kernel_counted_calls = 0;
	a->retired_threads = 0;
}

static uint64_t delta(uint64_t end, uint64_t base)
{
	return end > base ? end - base : 0;
}

uint64_t thread_oncpu_ns(const struct thread_stats *t)
{
	if (!t->have_end || !t->have_base)
		return 0;
	return delta(t->end.oncpu_ns, t->base.oncpu_ns);
}

uint64_t thread_runq_ns(const struct thread_stats *t)
{
	if (!t->have_end || !t->have_base)
		return 0;
	return delta(t->end.run_delay_ns, t->base.run_delay_ns);
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
