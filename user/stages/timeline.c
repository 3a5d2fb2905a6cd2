// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --timeline and --svg: each thread's on-CPU, runnable and blocked slices over time. */
#include <stdlib.h>
#include <string.h>
#include "classify.h"
#include "syscalls.h"
#include "timeline.h"
#include "wakers.h"
#include "util.h"

void timeline_init(struct timeline *tl, size_t max_events)
{
	memset(tl, 0, sizeof(*tl));
	tl->max = max_events;
}

void timeline_free(struct timeline *tl)
{
	free(tl->events);
	memset(tl, 0, sizeof(*tl));
}

void timeline_add(struct timeline *tl, const struct sched_record *r)
{
	if (!tl->max)
		return;
	if (tl->n == tl->max) {
		tl->dropped++;
		return;
	}
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 4096;
		struct sched_record *e;

		if (cap > tl->max)
			cap = tl->max;
		e = realloc(tl->events, cap * sizeof(*e));
		if (!e) {
			tl->dropped++;
			return;
		}
		tl->events = e;
		tl->cap = cap;
	}
	tl->events[tl->n++] = *r;
}

static int by_thread_then_time(const void *x, const void *y)
{
	const struct sched_record *a = x, *b = y;

	if (a->hdr.tid != b->hdr.tid)
		return a->hdr.tid < b->hdr.tid ? -1 : 1;
	if (a->ts_ns != b->ts_ns)
		return a->ts_ns < b->ts_ns ? -1 : 1;
	return 0;
}

struct builder {
	struct slice *s;
	size_t n, cap;
};

static void emit(struct builder *b, const struct sched_record *e, enum slice_state st, long nr,
		 uint64_t start, uint64_t end)
{
	struct slice *s;

	if (end <= start)
		return;
	s = array_room(b->s, b->n, &b->cap, 4096, sizeof(*s));
	if (!s)
		return;
	b->s = s;
	b->s[b->n++] = (struct slice){ e->hdr.tid, e->hdr.tgid, st, nr, start, end };
}

size_t timeline_slices(struct timeline *tl, const struct account *a, struct slice **out)
{
	struct builder b = { 0 };
	size_t i = 0, n;

	qsort(tl->events, tl->n, sizeof(*tl->events), by_thread_then_time);
	while (i < tl->n) {
		const struct sched_record *e = &tl->events[i];
		const struct thread_stats *t = account_find_thread(a, e->hdr.tid);
		uint32_t tid = e->hdr.tid;
		/* The kernel's on-CPU total at the last switch-out (or the base). */
		uint64_t last_total = t && t->have_base ? t->base.oncpu_ns : 0;
		uint64_t mark = tl->start_ns, oncpu_end = tl->start_ns;
		/* Before its first event: runnable if that is a switch-in, asleep if a wakeup. */
		enum slice_state state = e->hdr.flags == SCHED_WAKEUP ? SLICE_BLOCKED : SLICE_RUNNABLE;
		long nr = -1;

		for (; i < tl->n && tl->events[i].hdr.tid == tid; i++) {
			e = &tl->events[i];
			switch (e->hdr.flags) {
			case SCHED_IN:
				if (state != SLICE_ONCPU)
					emit(&b, e, state, nr, mark, e->ts_ns);
				state = SLICE_ONCPU;
				break;
			case SCHED_OUT_BLOCKED:
			case SCHED_OUT_PREEMPTED: {
				uint64_t len = e->oncpu_total_ns > last_total ?
						       e->oncpu_total_ns - last_total :
						       0;
				uint64_t start = len < e->ts_ns - oncpu_end ? e->ts_ns - len : oncpu_end;
				size_t k;

				/*
				 * The kernel books on-CPU from its run-queue clock, which can run
				 * from before the wakeup was traced: the waits before yield to it.
				 */
				for (k = b.n; k > 0 && b.s[k - 1].tid == tid &&
					      b.s[k - 1].state != SLICE_ONCPU;
				     k--) {
					struct slice *w = &b.s[k - 1];

					if (w->end_ns > start)
						w->end_ns = start > w->start_ns ? start : w->start_ns;
				}
				emit(&b, e, SLICE_ONCPU, -1, start, e->ts_ns);
				oncpu_end = e->ts_ns;
				last_total = e->oncpu_total_ns;
				state = e->hdr.flags == SCHED_OUT_BLOCKED ? SLICE_BLOCKED : SLICE_RUNNABLE;
				nr = e->nr;
				break;
			}
			case SCHED_WAKEUP:
				if (state == SLICE_BLOCKED)
					emit(&b, e, SLICE_BLOCKED, nr, mark, e->ts_ns);
				state = SLICE_RUNNABLE;
				break;
			default:
				continue;
			}
			mark = e->ts_ns;
		}
		/* Close the last slice at the end of the trace (or of the thread). */
		if (t && state == SLICE_ONCPU && t->have_end && t->end.oncpu_ns > last_total) {
			uint64_t end = t->exited ? t->last_ns : tl->end_ns;

			emit(&b, &tl->events[i - 1], SLICE_ONCPU, -1, mark, end);
		} else if (!(t && t->exited)) {
			emit(&b, &tl->events[i - 1], state, nr, mark, tl->end_ns);
		}
	}
	/* Drop the waits that yielded all their time. */
	for (i = 0, n = 0; i < b.n; i++)
		if (b.s[i].end_ns > b.s[i].start_ns)
			b.s[n++] = b.s[i];
	*out = b.s;
	return n;
}

static const char *state_name(const struct slice *s, char *buf, size_t len)
{
	const char *name;

	switch (s->state) {
	case SLICE_ONCPU:
		return "on-CPU";
	case SLICE_RUNNABLE:
		return "runnable";
	default:
		name = s->nr >= 0 ? syscall_name(s->nr) : NULL;
		snprintf(buf, len, "blocked: %s", name ? name : s->nr >= 0 ? "syscall" : "outside syscalls");
		return buf;
	}
}

int timeline_write_json(FILE *f, struct timeline *tl, const struct account *a)
{
	struct slice *s;
	size_t n = timeline_slices(tl, a, &s), i;
	char buf[64];
	bool first = true;

	fprintf(f, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"dropped_events\":%llu},\"traceEvents\":[\n",
		(unsigned long long)tl->dropped);
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];

		if (!t->tid)
			continue;
		fprintf(f, "%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":\"%s\"}}",
			first ? "" : ",\n", t->tgid, t->tid, t->comm);
		first = false;
	}
	for (i = 0; i < n; i++)
		fprintf(f, "%s{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":%.3f,\"dur\":%.3f}",
			first && i == 0 ? "" : ",\n", state_name(&s[i], buf, sizeof(buf)),
			s[i].state == SLICE_ONCPU ? "oncpu" : s[i].state == SLICE_RUNNABLE ? "runnable" : "blocked",
			s[i].tgid, s[i].tid, (double)(s[i].start_ns - tl->start_ns) / 1e3,
			(double)(s[i].end_ns - s[i].start_ns) / 1e3);
	for (i = 0; i < tl->n; i++) {
		const struct sched_record *e = &tl->events[i];

		if (e->hdr.flags != SCHED_WAKEUP || e->ts_ns < tl->start_ns)
			continue;
		fprintf(f, ",\n{\"name\":\"wakeup\",\"ph\":\"i\",\"s\":\"t\",\"pid\":%u,\"tid\":%u,\"ts\":%.3f,\"args\":{\"waker_tid\":%u,\"waker_kind\":\"%s\"}}",
			e->hdr.tgid, e->hdr.tid, (double)(e->ts_ns - tl->start_ns) / 1e3, e->waker_tid,
			waker_kind_name(e->waker_kind));
	}
	fprintf(f, "\n]}\n");
	free(s);
	return ferror(f) ? -1 : 0;
}

/* Colours: on-CPU green, runnable orange, blocked by what it means for sizing. */
static const char *colour(const struct slice *s, const struct account *a)
{
	if (s->state == SLICE_ONCPU)
		return "#2ca02c";
	if (s->state == SLICE_RUNNABLE)
		return "#ff7f0e";
	switch (s->nr >= 0 ? syscall_class(s->nr, &a->overrides) : CLASS_WAIT) {
	case CLASS_IDLE:
		return "#c7c7c7";
	case CLASS_SYNC:
		return "#d62728";
	default:
		return "#1f77b4";
	}
}

#define SVG_WIDTH 1200
#define SVG_LABEL 170
#define SVG_ROW 20

int timeline_write_svg(FILE *f, struct timeline *tl, const struct account *a)
{
	const double plot = SVG_WIDTH - SVG_LABEL - 10;
	double span = tl->end_ns > tl->start_ns ? (double)(tl->end_ns - tl->start_ns) : 1;
	struct slice *s;
	size_t n = timeline_slices(tl, a, &s), i, row = 0, rows = 0;
	int tick, height;

	for (i = 0; i < a->nthreads; i++)
		rows += a->threads[i].tid != 0;
	height = (int)(rows * SVG_ROW) + 90;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "font-family=\"sans-serif\" font-size=\"12\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		SVG_WIDTH, height);
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];
		/* Slices come grouped by thread, in time order: sweep them once. */
		size_t first = 0, k;
		const char *run_colour = NULL;
		int px, run_start = 0;
		double y;

		if (!t->tid)
			continue;
		while (first < n && s[first].tid != t->tid)
			first++;
		y = 30 + (double)row * SVG_ROW;
		fprintf(f, "<text x=\"4\" y=\"%.0f\">%s %u</text>\n", y + 14, t->comm, t->tid);
		k = first;
		for (px = 0; px <= (int)plot; px++) {
			double lo = (double)tl->start_ns + span * px / plot;
			double hi = (double)tl->start_ns + span * (px + 1) / plot;
			double best = 0;
			const char *c = NULL;
			size_t j;

			while (k < n && s[k].tid == t->tid && (double)s[k].end_ns <= lo)
				k++;
			/* The state that fills most of this pixel column wins it. */
			for (j = k; j < n && s[j].tid == t->tid && (double)s[j].start_ns < hi; j++) {
				double a0 = (double)s[j].start_ns > lo ? (double)s[j].start_ns : lo;
				double a1 = (double)s[j].end_ns < hi ? (double)s[j].end_ns : hi;

				if (a1 - a0 > best) {
					best = a1 - a0;
					c = colour(&s[j], a);
				}
			}
			if (c != run_colour || px == (int)plot) {
				if (run_colour)
					fprintf(f, "<rect x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
						SVG_LABEL + run_start, y, px - run_start, SVG_ROW - 4, run_colour);
				run_colour = c;
				run_start = px;
			}
		}
		row++;
	}
	/* Time axis. */
	for (tick = 0; tick <= 10; tick++) {
		double x = SVG_LABEL + plot * tick / 10;

		fprintf(f, "<line x1=\"%.1f\" y1=\"24\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n"
			   "<text x=\"%.1f\" y=\"18\" text-anchor=\"middle\">%.0f ms</text>\n",
			x, x, height - 60, x, span / 1e6 * tick / 10);
	}
	fprintf(f, "<g transform=\"translate(%d,%d)\">"
		   "<rect width=\"12\" height=\"12\" fill=\"#2ca02c\"/><text x=\"16\" y=\"11\">on-CPU</text>"
		   "<rect x=\"90\" width=\"12\" height=\"12\" fill=\"#ff7f0e\"/><text x=\"106\" y=\"11\">runnable (waiting for a CPU)</text>"
		   "<rect x=\"300\" width=\"12\" height=\"12\" fill=\"#1f77b4\"/><text x=\"316\" y=\"11\">blocked: I/O, sleep (WT)</text>"
		   "<rect x=\"490\" width=\"12\" height=\"12\" fill=\"#c7c7c7\"/><text x=\"506\" y=\"11\">blocked: waiting for work (idle)</text>"
		   "<rect x=\"720\" width=\"12\" height=\"12\" fill=\"#d62728\"/><text x=\"736\" y=\"11\">blocked: futex (sync)</text>"
		   "</g>\n</svg>\n",
		SVG_LABEL, height - 40);
	free(s);
	return ferror(f) ? -1 : 0;
}
