// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The account's tables: TID -> thread entry (open addressing over the thread
 * array) and the process entries, one per process seen on a PID.
 */
#include <stdlib.h>
#include <string.h>
#include "account.h"
#include "account_parts.h"
#include "util.h"

static size_t slot_of(uint32_t tid, size_t cap)
{
	/* Fibonacci hashing spreads consecutive TIDs. */
	return (size_t)((tid * 2654435761u) & (cap - 1));
}

/* Fills idx (cap slots, zeroed) from the thread table: a reused TID's newest entry wins. */
static void index_fill(const struct account *a, uint32_t *idx, size_t cap)
{
	size_t i;

	for (i = 0; i < a->nthreads; i++) {
		uint32_t tid = a->threads[i].tid;
		size_t s = slot_of(tid, cap);

		if (tid == 0)
			continue; /* an aggregate of retired threads */
		while (idx[s] && a->threads[idx[s] - 1].tid != tid)
			s = (s + 1) & (cap - 1);
		idx[s] = (uint32_t)(i + 1);
	}
}

static int index_grow(struct account *a)
{
	size_t cap = a->index_cap * 2;
	uint32_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		return -1;
	index_fill(a, idx, cap);
	free(a->index);
	a->index = idx;
	a->index_cap = cap;
	return 0;
}

void account_index_rebuild(struct account *a)
{
	memset(a->index, 0, a->index_cap * sizeof(*a->index));
	index_fill(a, a->index, a->index_cap);
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

/* The live process on a PID now: after a reuse, not the one that went. */
static struct process_stats *live_process(struct account *a, uint32_t tgid)
{
	size_t i;

	for (i = a->nprocesses; i > 0; i--)
		if (a->processes[i - 1].tgid == tgid && !a->processes[i - 1].went)
			return &a->processes[i - 1];
	return NULL;
}

static struct thread_stats *new_thread(struct account *a, uint32_t tid, uint32_t tgid)
{
	struct process_stats *p = live_process(a, tgid);
	struct thread_stats *t;
	size_t s;

	if ((a->nthreads + 1) * 2 > a->index_cap && index_grow(a))
		return NULL;
	t = array_room(a->threads, a->nthreads, &a->threads_cap, 64, sizeof(*t));
	if (!t)
		return NULL;
	a->threads = t;
	t = &a->threads[a->nthreads];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->tgid = tgid;
	t->process_seq = p ? p->seq : 0;
	t->runtime = p ? p->runtime : RUNTIME_UNPROBED;
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
	struct process_stats *p = live_process(a, tgid);

	if (p)
		return p;
	p = array_room(a->processes, a->nprocesses, &a->processes_cap, 16, sizeof(*p));
	if (!p)
		return NULL;
	a->processes = p;
	p = &a->processes[a->nprocesses++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	p->seq = ++a->process_seqs;
	return p;
}
