// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A group's demand, from the waits the account kept with their times
 * (account_spans.c): each thread's busy periods (jobs) are the gaps
 * between its waits for work, and a sweep over the group's jobs counts how
 * many were busy at each moment. The formula says how many threads the
 * CPUs can use; this says how many the load kept busy, and whether work
 * queued because all of them were.
 */
#include <stdlib.h>
#include <string.h>
#include "occupancy.h"
#include "roles.h"
#include "runtime_kind.h"
#include "waits.h"
#include "util.h"

/* A stretch of waiting for work, and the run-queue wait its wakeup left to the job after it. */
struct idle_stretch {
	uint64_t start_ns, end_ns, runq_after_ns;
};

struct stretches {
	struct idle_stretch *v;
	size_t n, cap;
};

static int push(struct stretches *s, uint64_t start, uint64_t end, uint64_t runq)
{
	struct idle_stretch *v = array_room(s->v, s->n, &s->cap, 16, sizeof(*v));

	if (!v)
		return -1;
	s->v = v;
	s->v[s->n++] = (struct idle_stretch){ start, end, runq };
	return 0;
}

/* A futex wait on an object later found to be a lock of several groups (the GIL) is sync. */
static bool shared_lock(const struct thread_stats *t, uint64_t word)
{
	int i;

	for (i = 0; word && i < THREAD_FUTEX_SLOTS; i++)
		if (t->futexes[i].shared && t->futexes[i].uaddr == (word & ~(uint64_t)63))
			return true;
	return false;
}

static enum wait_class span_class(const struct thread_stats *t, const struct wait_span *w)
{
	if (w->cls != CLASS_SYNC && shared_lock(t, w->futex_word))
		return CLASS_SYNC;
	return (enum wait_class)w->cls;
}

/*
 * Whether the call t sleeps in at the window's end waits for work, judged
 * as a call cut by the window is (waits.c): as its last complete wait in
 * that syscall, a mutex taken on the way aside; with none, a wait for
 * another thread that nothing ended is idle, any other goes by its syscall.
 */
static bool asleep_for_work(const struct account *a, const struct thread_stats *t)
{
	struct wait_facts f = {
		.nr = t->current_nr,
		.fd = FD_UNKNOWN,
		.cut = true,
		.go_runtime = t->runtime == RUNTIME_GO,
		.overrides = a ? &a->overrides : NULL,
	};
	uint64_t best = 0;
	int i;

	if (t->current_nr < 0 || !t->sleeping_at_stop || !t->call_enter_ns)
		return false;
	for (i = 0; i < THREAD_RECENT_WAITS; i++) {
		const struct wait_mark *m = &t->recent[i];

		if (m->woken_ns > best && m->nr == t->current_nr && !m->mutex) {
			best = m->woken_ns;
			f.cut_known = true;
			f.cut_like = (enum wait_class)m->cls;
		}
	}
	return wait_reason_class(wait_judge(&f)) == CLASS_IDLE;
}

/*
 * A folded record (--sched-only: repeats of one call, one after another)
 * stands for calls waits with calls - 1 short jobs between them: the time
 * its span did not sleep, shared evenly. Means and counts are kept; where
 * each short job fell is not known.
 */
static int push_idle(struct stretches *s, const struct wait_span *w)
{
	uint64_t span = w->end_ns - w->start_ns, busy, gap, sleep;
	uint32_t k, n = w->calls ? w->calls : 1;

	if (n == 1 || span <= w->blocked_ns)
		return push(s, w->start_ns, w->end_ns, w->runq_ns);
	busy = span - w->blocked_ns;
	gap = busy / (n - 1);
	sleep = w->blocked_ns / n;
	for (k = 0; k < n; k++) {
		uint64_t start = w->start_ns + k * (sleep + gap);

		if (push(s, start, k + 1 == n ? w->end_ns : start + sleep, w->runq_ns / n))
			return -1;
	}
	return 0;
}

static int by_start(const void *x, const void *y)
{
	const struct idle_stretch *a = x, *b = y;

	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return a->end_ns < b->end_ns ? -1 : a->end_ns > b->end_ns;
}

/* The job that holds moment ns (jobs sorted, not overlapping), or NULL. */
static struct job *job_at(struct job *jobs, size_t n, uint64_t ns)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (jobs[mid].end_ns <= ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && jobs[lo].start_ns <= ns ? &jobs[lo] : NULL;
}

/* The idle stretches of t inside [from, to], sorted and merged where they overlap. */
static int idle_stretches(const struct account *a, const struct thread_stats *t, uint64_t from,
			  uint64_t to, struct stretches *s)
{
	size_t i, m = 0;

	for (i = 0; i < t->spans.n; i++)
		if (span_class(t, &t->spans.v[i]) == CLASS_IDLE && push_idle(s, &t->spans.v[i]))
			return -1;
	/* Asleep waiting for work at an interval's end: no record yet says so. */
	if (asleep_for_work(a, t) && push(s, t->call_enter_ns, to, 0))
		return -1;
	for (i = 0; i < s->n; i++) {
		struct idle_stretch x = s->v[i];

		if (x.start_ns < from)
			x.start_ns = from;
		if (x.end_ns > to)
			x.end_ns = to;
		if (x.end_ns > x.start_ns)
			s->v[m++] = x;
	}
	s->n = m;
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), by_start);
	for (i = 0, m = 0; i < s->n; i++) {
		if (m && s->v[i].start_ns <= s->v[m - 1].end_ns) {
			if (s->v[i].end_ns > s->v[m - 1].end_ns) {
				s->v[m - 1].end_ns = s->v[i].end_ns;
				s->v[m - 1].runq_after_ns = s->v[i].runq_after_ns;
			}
			continue;
		}
		s->v[m++] = s->v[i];
	}
	s->n = m;
	return 0;
}

/* Each of t's other waits into the job it began in, clipped to [from, to]. */
static uint64_t book_waits(const struct thread_stats *t, uint64_t from, uint64_t to,
			   struct job *jobs, size_t n)
{
	uint64_t runq = 0;
	size_t i;

	for (i = 0; i < t->spans.n; i++) {
		const struct wait_span *w = &t->spans.v[i];
		enum wait_class cls = span_class(t, w);
		uint64_t at = w->start_ns < from ? from : w->start_ns, blocked = w->blocked_ns;
		struct job *j;

		runq += w->runq_ns;
		if (cls == CLASS_IDLE || at >= to || w->end_ns <= from)
			continue;
		j = job_at(jobs, n, at);
		if (!j)
			continue; /* inside a stretch of waiting for work (a nested wait) */
		if (w->end_ns > to && blocked > to - at)
			blocked = to - at;
		if (w->start_ns < from && blocked > w->end_ns - from)
			blocked = w->end_ns - from;
		if (cls == CLASS_WAIT)
			j->wt_ns += blocked;
		else
			j->sync_ns += blocked;
		j->runq_ns += w->runq_ns;
	}
	return runq;
}

/*
 * CT of each job: what its waits and run-queue leave of it. The thread's
 * run-queue time outside its calls (preempted while computing) is known
 * only in total (schedstat): it is shared among its jobs in proportion to
 * that rest.
 */
static void job_compute(const struct thread_stats *t, uint64_t calls_runq, struct job *jobs,
			size_t n)
{
	uint64_t outside = sub_clamped(thread_runq_ns(t), calls_runq), rest_sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t len = jobs[i].end_ns - jobs[i].start_ns;
		uint64_t used = jobs[i].wt_ns + jobs[i].sync_ns + jobs[i].runq_ns;

		if (used > len) {
			/* Waits longer than the job (a wait cut, a folded record): the job's time wins. */
			uint64_t over = used - len, cut = jobs[i].runq_ns < over ? jobs[i].runq_ns : over;

			jobs[i].runq_ns -= cut;
			over -= cut;
			cut = jobs[i].sync_ns < over ? jobs[i].sync_ns : over;
			jobs[i].sync_ns -= cut;
			jobs[i].wt_ns -= over - cut;
			used = len;
		}
		jobs[i].ct_ns = len - used;
		rest_sum += jobs[i].ct_ns;
	}
	if (!outside || !rest_sum)
		return;
	if (outside > rest_sum)
		outside = rest_sum;
	for (i = 0; i < n; i++) {
		uint64_t share = (uint64_t)((double)outside * (double)jobs[i].ct_ns / (double)rest_sum);

		if (share > jobs[i].ct_ns)
			share = jobs[i].ct_ns;
		jobs[i].runq_ns += share;
		jobs[i].ct_ns -= share;
	}
}

long occupancy_thread_jobs(const struct account *a, const struct thread_stats *t, uint64_t from_ns,
			   uint64_t to_ns, struct job **jobs)
{
	struct stretches s = { 0 };
	uint64_t from = t->first_ns > from_ns ? t->first_ns : from_ns;
	uint64_t to = t->last_ns < to_ns ? t->last_ns : to_ns, cursor, runq_after = 0, runq;
	struct job *v;
	size_t i, n = 0;

	*jobs = NULL;
	if (to <= from)
		return 0;
	if (idle_stretches(a, t, from, to, &s))
		goto oom;
	v = calloc(s.n + 1, sizeof(*v));
	if (!v)
		goto oom;
	cursor = from;
	for (i = 0; i <= s.n; i++) {
		uint64_t until = i < s.n ? s.v[i].start_ns : to;

		if (until > cursor)
			v[n++] = (struct job){ .start_ns = cursor,
					       .end_ns = until,
					       .runq_ns = runq_after,
					       .begun = i > 0,
					       .whole = i > 0 && i < s.n };
		if (i < s.n) {
			cursor = s.v[i].end_ns;
			runq_after = s.v[i].runq_after_ns;
		}
	}
	free(s.v);
	runq = book_waits(t, from, to, v, n);
	job_compute(t, runq, v, n);
	*jobs = v;
	return (long)n;
oom:
	free(s.v);
	return -1;
}

/* A change in how many of the group's threads are alive and busy. */
struct edge {
	uint64_t ns;
	int busy, alive;
};

static int by_time(const void *x, const void *y)
{
	const struct edge *a = x, *b = y;

	return a->ns < b->ns ? -1 : a->ns > b->ns;
}

static int by_value(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Nearest rank: the smallest value with at least q of them at or below it. */
static void distribution(uint64_t *v, size_t n, struct job_dist *d)
{
	double sum = 0;
	size_t i;

	memset(d, 0, sizeof(*d));
	if (!n)
		return;
	qsort(v, n, sizeof(*v), by_value);
	for (i = 0; i < n; i++)
		sum += (double)v[i];
	d->mean = sum / (double)n;
	d->p50 = v[(n + 1) / 2 - 1];
	d->p99 = v[(size_t)((double)n * 0.99 + 0.999999) - 1];
	d->max = v[n - 1];
}

struct group_jobs {
	struct job *v;
	size_t n, cap, whole, begun;
	struct edge *e;
	size_t ne, ecap;
};

static int add_edge(struct group_jobs *g, uint64_t ns, int busy, int alive)
{
	struct edge *e = array_room(g->e, g->ne, &g->ecap, 64, sizeof(*e));

	if (!e)
		return -1;
	g->e = e;
	g->e[g->ne++] = (struct edge){ ns, busy, alive };
	return 0;
}

static int add_jobs(struct group_jobs *g, const struct job *v, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	if (g->n + n > g->cap) {
		size_t cap = g->cap ? g->cap : 64;
		struct job *j;

		while (cap < g->n + n)
			cap *= 2;
		j = realloc(g->v, cap * sizeof(*j));
		if (!j)
			return -1;
		g->v = j;
		g->cap = cap;
	}
	memcpy(g->v + g->n, v, n * sizeof(*v));
	g->n += n;
	for (i = 0; i < n; i++) {
		g->whole += v[i].whole;
		g->begun += v[i].begun;
	}
	for (i = 0; i < n; i++)
		if (add_edge(g, v[i].start_ns, 1, 0) || add_edge(g, v[i].end_ns, -1, 0))
			return -1;
	return 0;
}

/* Time spent at each busy count, from the sorted edges: mean, percentiles, all-busy share. */
static int sweep(struct group_jobs *g, uint64_t from, uint64_t to, int bound, struct occupancy *o)
{
	uint64_t *at = calloc((size_t)bound + 1, sizeof(*at)), all = 0, total = to - from, sum;
	int busy = 0, alive = 0, most = 0, k;
	uint64_t prev = from;
	double weighted = 0;
	size_t i;

	if (!at)
		return -1;
	if (g->ne)
		qsort(g->e, g->ne, sizeof(*g->e), by_time);
	for (i = 0; i <= g->ne; i++) {
		uint64_t ns = i < g->ne ? g->e[i].ns : to;

		if (ns > prev) {
			int b = busy < 0 ? 0 : busy > bound ? bound : busy;

			at[b] += ns - prev;
			if (alive > 0 && busy >= alive)
				all += ns - prev;
			prev = ns;
		}
		if (i < g->ne) {
			busy += g->e[i].busy;
			alive += g->e[i].alive;
			if (alive > most)
				most = alive;
		}
	}
	o->threads = most;
	for (k = 0, sum = 0; k <= bound; k++) {
		weighted += (double)k * (double)at[k];
		if (at[k])
			o->busy_max = (uint32_t)k;
		if (sum < total / 2 + total % 2 && sum + at[k] >= total / 2 + total % 2)
			o->busy_p50 = (uint32_t)k;
		if ((double)sum < 0.99 * (double)total && (double)(sum + at[k]) >= 0.99 * (double)total)
			o->busy_p99 = (uint32_t)k;
		sum += at[k];
	}
	o->busy_mean = weighted / (double)total;
	o->all_busy_share = (double)all / (double)total;
	free(at);
	return 0;
}

static int group_distributions(struct group_jobs *g, struct occupancy *o)
{
	uint64_t *v = malloc((g->n ? g->n : 1) * sizeof(*v));
	struct job_dist *d[] = { &o->job_ns, &o->job_ct_ns, &o->job_wt_ns, &o->job_sync_ns,
				 &o->job_runq_ns };
	size_t i, k;

	if (!v)
		return -1;
	for (k = 0; k < sizeof(d) / sizeof(d[0]); k++) {
		for (i = 0; i < g->n; i++) {
			const struct job *j = &g->v[i];
			uint64_t x[] = { j->end_ns - j->start_ns, j->ct_ns, j->wt_ns, j->sync_ns,
					 j->runq_ns };

			v[i] = x[k];
		}
		distribution(v, g->n, d[k]);
	}
	free(v);
	return 0;
}

static bool in_group(const struct thread_stats *t, const char *group)
{
	char buf[GROUP_NAME_LEN];

	/* An aggregate of retired threads has no timeline. */
	return t->tid && strcmp(thread_group(t, buf, sizeof(buf)), group) == 0;
}

int occupancy_of_group(const struct account *a, const char *group, struct occupancy *out)
{
	struct group_jobs g = { 0 };
	uint64_t from = 0, to = 0, limit = UINT64_MAX;
	size_t i;
	int alive = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];

		if (!in_group(t, group) || t->last_ns <= t->first_ns)
			continue;
		if (!from || t->first_ns < from)
			from = t->first_ns;
		if (t->last_ns > to)
			to = t->last_ns;
		if (t->spans.full_ns && t->spans.full_ns < limit)
			limit = t->spans.full_ns;
	}
	if (limit < to) {
		to = limit;
		out->cut = true;
	}
	if (to <= from)
		return 0;
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];
		struct job *jobs;
		long n;

		if (!in_group(t, group) || t->last_ns <= t->first_ns || t->last_ns <= from ||
		    t->first_ns >= to)
			continue;
		n = occupancy_thread_jobs(a, t, from, to, &jobs);
		if (n < 0 || add_jobs(&g, jobs, (size_t)n) ||
		    add_edge(&g, t->first_ns > from ? t->first_ns : from, 0, 1) ||
		    add_edge(&g, t->last_ns < to ? t->last_ns : to, 0, -1)) {
			free(jobs);
			goto oom;
		}
		free(jobs);
		alive++;
	}
	out->window_ns = to - from;
	if (sweep(&g, from, to, alive, out) || group_distributions(&g, out))
		goto oom;
	out->jobs = g.n;
	out->jobs_whole = g.whole;
	out->jobs_begun = g.begun;
	out->jobs_per_s = (double)g.n * 1e9 / (double)out->window_ns;
	out->known = true;
	free(g.v);
	free(g.e);
	return 0;
oom:
	free(g.v);
	free(g.e);
	return -1;
}
