// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The kernel's records back in time order (see reorder.h for why). */
#include <stdlib.h>
#include <string.h>
#include "blockscope.h"
#include "reorder.h"
#include "util.h"

void reorder_init(struct reorder *r, uint64_t lag_ns, size_t max_bytes, reorder_sink sink,
		  void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->lag_ns = lag_ns;
	r->max_bytes = max_bytes;
	r->sink = sink;
	r->ctx = ctx;
}

void reorder_free(struct reorder *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->heap[i].data);
	free(r->heap);
	r->heap = NULL;
	r->n = r->cap = r->bytes = 0;
}

/*
 * A call is placed where it ended (its exit, or with --sched-only its last
 * wakeup): that is when what it waited for is known to the threads it
 * wakes next. A stack copy where its call began, so it still comes just
 * before its call (stacks.c pairs them by thread). The rest where they
 * were read.
 */
uint64_t reorder_key(const void *data, size_t size)
{
	const struct record_header *h = data;

	if (size < sizeof(*h))
		return 0;
	switch (h->type) {
	case RECORD_CALL:
		if (size >= sizeof(struct call_record)) {
			const struct call_record *c = data;
			uint64_t end = c->enter_ns + c->duration_ns;

			return c->woken_ns > end ? c->woken_ns : end;
		}
		break;
	case RECORD_THREAD:
		if (size >= sizeof(struct thread_record))
			return ((const struct thread_record *)data)->last_ns;
		break;
	case RECORD_FORK:
		if (size >= sizeof(struct fork_record))
			return ((const struct fork_record *)data)->ts_ns;
		break;
	case RECORD_PROCESS_EXIT:
		if (size >= sizeof(struct process_exit_record))
			return ((const struct process_exit_record *)data)->ts_ns;
		break;
	case RECORD_SCHED:
		if (size >= sizeof(struct sched_record))
			return ((const struct sched_record *)data)->ts_ns;
		break;
	case RECORD_AGG:
		if (size >= sizeof(struct agg_record))
			return ((const struct agg_record *)data)->ts_ns;
		break;
	case RECORD_RENAME:
		if (size >= sizeof(struct rename_record))
			return ((const struct rename_record *)data)->ts_ns;
		break;
	case RECORD_USTACK:
		if (size >= USTACK_HEADER_SIZE)
			return ((const struct ustack_record *)data)->enter_ns;
		break;
	}
	return 0;
}

static bool before(const struct reorder_item *a, const struct reorder_item *b)
{
	return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void sift_up(struct reorder_item *h, size_t i)
{
	while (i > 0 && before(&h[i], &h[(i - 1) / 2])) {
		struct reorder_item t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void sift_down(struct reorder_item *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct reorder_item t;

		if (l < n && before(&h[l], &h[m]))
			m = l;
		if (l + 1 < n && before(&h[l + 1], &h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* The oldest record held, to the sink. */
static void release_oldest(struct reorder *r)
{
	struct reorder_item top = r->heap[0];

	r->heap[0] = r->heap[--r->n];
	sift_down(r->heap, r->n, 0);
	r->bytes -= top.size;
	if (top.key > r->released)
		r->released = top.key;
	r->sink(r->ctx, top.data, top.size);
	free(top.data);
}

static void release_old(struct reorder *r)
{
	while (r->n && (r->heap[0].key + r->lag_ns <= r->newest || r->bytes > r->max_bytes)) {
		if (r->heap[0].key + r->lag_ns > r->newest)
			r->forced++;
		release_oldest(r);
	}
}

int reorder_push(struct reorder *r, const void *data, size_t size)
{
	uint64_t key = reorder_key(data, size);
	struct reorder_item it, *h;

	if (!r->lag_ns && !r->n)
		return r->sink(r->ctx, data, size);
	/* No time of its own: it goes after everything seen so far (released keys were pushed: <= newest). */
	if (!key)
		key = r->newest;
	if (key < r->released)
		r->late++;
	if (key > r->newest)
		r->newest = key;
	h = array_room(r->heap, r->n, &r->cap, 1024, sizeof(*h));
	if (!h)
		goto at_once;
	r->heap = h;
	it.data = malloc(size ? size : 1);
	if (!it.data)
		goto at_once;
	memcpy(it.data, data, size);
	it.size = size;
	it.key = key;
	it.seq = r->seq++;
	r->heap[r->n] = it;
	sift_up(r->heap, r->n++);
	r->bytes += size;
	if (r->n > r->most_held)
		r->most_held = r->n;
	release_old(r);
	return 0;

at_once:
	/* Out of memory: what is held goes first, then this one, as they came. */
	r->forced += r->n + 1;
	reorder_flush(r);
	return r->sink(r->ctx, data, size);
}

void reorder_flush(struct reorder *r)
{
	while (r->n)
		release_oldest(r);
}
