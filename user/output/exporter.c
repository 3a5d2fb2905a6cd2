// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --serve: totals, the sizing window and bounded labels across intervals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exporter.h"
#include "occupancy.h"
#include "roles.h"
#include "syscalls.h"
#include "util.h"

int exporter_init(struct exporter *e, int window_s, double cores, bool cores_given,
		  double utilization, int ncpus)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->window_s = window_s > 0 ? window_s : 1;
	e->sample_scale = 1; /* the syscall hooks always on, unless exporter_hooks() says */
	e->hooks_duty = 1;
	e->cores = cores;
	e->cores_given = cores_given;
	e->utilization = utilization;
	e->ncpus = ncpus < 1 ? 1 : ncpus > SIZING_MAX_CPUS ? SIZING_MAX_CPUS : ncpus;
	for (i = 0; i <= EXPORTER_MAX_GROUPS; i++) {
		e->groups[i].ring = calloc((size_t)e->window_s, sizeof(struct sizing_input));
		if (!e->groups[i].ring) {
			exporter_free(e);
			return -1;
		}
	}
	e->cpu_busy_ring = calloc((size_t)e->window_s, sizeof(uint64_t));
	e->cpu_total_ring = calloc((size_t)e->window_s, sizeof(uint64_t));
	e->percpu_busy_ring = calloc((size_t)e->window_s * (size_t)e->ncpus, sizeof(uint64_t));
	e->percpu_total_ring = calloc((size_t)e->window_s * (size_t)e->ncpus, sizeof(uint64_t));
	if (!e->cpu_busy_ring || !e->cpu_total_ring || !e->percpu_busy_ring ||
	    !e->percpu_total_ring) {
		exporter_free(e);
		return -1;
	}
	snprintf(e->groups[EXPORTER_MAX_GROUPS].name, GROUP_NAME_LEN, "%s", EXPORTER_OTHER_GROUP);
	return 0;
}

void exporter_cpu(struct exporter *e, uint64_t busy, uint64_t total)
{
	size_t slot = (size_t)(e->intervals % (uint64_t)e->window_s);

	e->cpu_busy_ring[slot] = busy;
	e->cpu_total_ring[slot] = total;
}

void exporter_cpu_window(struct exporter *e, const struct cpu_window *w)
{
	size_t slot = (size_t)(e->intervals % (uint64_t)e->window_s);
	uint64_t *busy = &e->percpu_busy_ring[slot * (size_t)e->ncpus];
	uint64_t *total = &e->percpu_total_ring[slot * (size_t)e->ncpus];
	int cpu;

	for (cpu = 0; cpu < e->ncpus; cpu++) {
		busy[cpu] = w->known ? w->busy[cpu] : 0;
		total[cpu] = w->known ? w->total[cpu] : 0;
	}
}

/* Each CPU's jiffies over the window, as the report's window has them; NULL if out of memory. */
static struct cpu_window *window_cpus(const struct exporter *e)
{
	struct cpu_window *w = calloc(1, sizeof(*w));
	size_t k;
	int cpu;

	if (!w)
		return NULL;
	for (k = 0; k < (size_t)e->window_s; k++)
		for (cpu = 0; cpu < e->ncpus; cpu++) {
			w->busy[cpu] += e->percpu_busy_ring[k * (size_t)e->ncpus + (size_t)cpu];
			w->total[cpu] += e->percpu_total_ring[k * (size_t)e->ncpus + (size_t)cpu];
			w->known |= w->total[cpu] > 0;
		}
	return w;
}

void exporter_free(struct exporter *e)
{
	int i;

	for (i = 0; i <= EXPORTER_MAX_GROUPS; i++) {
		free(e->groups[i].ring);
		free(e->groups[i].syscalls);
		e->groups[i].ring = NULL;
		e->groups[i].syscalls = NULL;
	}
	free(e->cpu_busy_ring);
	free(e->cpu_total_ring);
	free(e->percpu_busy_ring);
	free(e->percpu_total_ring);
	e->cpu_busy_ring = e->cpu_total_ring = NULL;
	e->percpu_busy_ring = e->percpu_total_ring = NULL;
}

/* The group of a thread, taking a label of its own while there are some left. */
static struct exporter_group *group_of(struct exporter *e, const struct thread_stats *t)
{
	char name[GROUP_NAME_LEN], buf[GROUP_NAME_LEN];
	int i;

	snprintf(name, sizeof(name), "%s", thread_group(t, buf, sizeof(buf)));
	if (!name[0])
		snprintf(name, sizeof(name), "?");
	for (i = 0; i < e->ngroups; i++)
		if (strcmp(e->groups[i].name, name) == 0)
			return &e->groups[i];
	if (e->ngroups < EXPORTER_MAX_GROUPS && strcmp(name, EXPORTER_OTHER_GROUP) != 0) {
		memcpy(e->groups[e->ngroups].name, name, sizeof(name));
		return &e->groups[e->ngroups++];
	}
	e->other_group_used = true;
	return &e->groups[EXPORTER_MAX_GROUPS];
}

static struct exporter_syscall *syscall_of(struct exporter_group *g, int nr)
{
	struct exporter_syscall *n;
	size_t i;

	for (i = 0; i < g->nsyscalls; i++)
		if (g->syscalls[i].nr == nr)
			return &g->syscalls[i];
	n = array_room(g->syscalls, g->nsyscalls, &g->syscalls_cap, 8, sizeof(*n));
	if (!n)
		return NULL;
	g->syscalls = n;
	memset(&g->syscalls[g->nsyscalls], 0, sizeof(g->syscalls[0]));
	g->syscalls[g->nsyscalls].nr = nr;
	return &g->syscalls[g->nsyscalls++];
}

static const uint64_t *rank_ns; /* for the qsort below */

static int by_time_desc(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;

	if (rank_ns[a] != rank_ns[b])
		return rank_ns[a] < rank_ns[b] ? 1 : -1;
	return a - b;
}

/*
 * Free labels go to the syscalls with the most time since start, and are
 * never taken back: a count never moves from one series to another, so
 * every series only grows and together they sum to every call. Once the
 * labels are taken, other syscalls are counted as "other".
 */
static void choose_labels(struct exporter *e)
{
	int cand[SYSCALL_OTHER], n = 0, i, nr;

	if (e->nlabelled >= EXPORTER_SYSCALL_LABELS)
		return;
	for (nr = 0; nr < SYSCALL_OTHER; nr++)
		if (!e->labelled[nr] && e->syscall_ns[nr] > 0)
			cand[n++] = nr;
	rank_ns = e->syscall_ns;
	qsort(cand, (size_t)n, sizeof(cand[0]), by_time_desc);
	for (i = 0; i < n && e->nlabelled < EXPORTER_SYSCALL_LABELS; i++) {
		e->labelled[cand[i]] = true;
		e->nlabelled++;
	}
}

static int add_thread_syscalls(struct exporter *e, struct exporter_group *g,
			       const struct thread_stats *t)
{
	int i;

	for (i = 0; i <= THREAD_SYSCALL_SLOTS; i++) {
		const struct thread_syscall *s = &t->syscalls[i];
		struct exporter_syscall *x;
		int nr;

		/* Slots in use, and the shared one (nr -1) past them. */
		if (i >= t->nsyscalls && (i < THREAD_SYSCALL_SLOTS || s->nr != -1))
			continue;
		if (!s->calls && !s->blocked_ns)
			continue;
		nr = s->nr >= 0 && s->nr < SYSCALL_OTHER && e->labelled[s->nr] ? s->nr
									       : SYSCALL_OTHER;
		x = syscall_of(g, nr);
		if (!x)
			return -1;
		x->blocking += s->blocking;
		x->nonblocking += exporter_scale(s->calls - s->blocking, e->sample_scale);
		x->eagain += exporter_scale(s->eagain, e->sample_scale);
		x->blocked_ns += s->blocked_ns;
	}
	return 0;
}

static int by_threads_desc(const void *x, const void *y)
{
	const struct exporter_process *a = x, *b = y;

	if (a->threads != b->threads)
		return b->threads - a->threads;
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static int by_pid(const void *x, const void *y)
{
	const struct exporter_process *a = x, *b = y;

	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* The live processes and their live threads, the largest first, at most EXPORTER_MAX_PROCESSES. */
static int count_processes(struct exporter *e, const struct account *a)
{
	struct exporter_process *all;
	uint32_t *tgids = malloc((a->nthreads ? a->nthreads : 1) * sizeof(*tgids));
	size_t i, n = 0, np = 0;

	if (!tgids)
		return -1;
	for (i = 0; i < a->nthreads; i++)
		if (a->threads[i].tid && !a->threads[i].exited)
			tgids[n++] = a->threads[i].tgid;
	qsort(tgids, n, sizeof(*tgids), cmp_u32);
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all) {
		free(tgids);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (np && all[np - 1].pid == tgids[i]) {
			all[np - 1].threads++;
			continue;
		}
		all[np].pid = tgids[i];
		all[np++].threads = 1;
	}
	free(tgids);
	qsort(all, np, sizeof(*all), by_threads_desc);
	if (np > EXPORTER_MAX_PROCESSES)
		np = EXPORTER_MAX_PROCESSES;
	qsort(all, np, sizeof(*all), by_pid);
	for (i = 0; i < np; i++) {
		size_t j;

		snprintf(all[i].comm, sizeof(all[i].comm), "?");
		for (j = 0; j < a->nprocesses; j++)
			if (a->processes[j].tgid == all[i].pid && a->processes[j].comm[0])
				memcpy(all[i].comm, a->processes[j].comm, sizeof(all[i].comm));
	}
	memcpy(e->processes, all, np * sizeof(*all));
	e->nprocesses = (int)np;
	free(all);
	return 0;
}

void exporter_hooks(struct exporter *e, int on_s, int period_s)
{
	e->hooks = !period_s ? HOOKS_ALWAYS : !on_s ? HOOKS_NEVER : HOOKS_DUTY;
	e->hooks_duty = period_s ? (double)on_s / (double)period_s : 1;
	e->sample_scale = e->hooks == HOOKS_ALWAYS ? 1 : 0;
}

void exporter_sampled(struct exporter *e, bool hooks_were_on)
{
	if (e->hooks == HOOKS_DUTY)
		e->sample_scale = hooks_were_on ? 1 / e->hooks_duty : 0;
}

uint64_t exporter_scale(uint64_t n, double scale)
{
	return (uint64_t)((double)n * scale + 0.5);
}

/*
 * Each labelled group's demand in the second just added: its busy threads
 * and all-busy share, and the jobs begun in it (each job is begun in one
 * second only, so the counter counts it once). "(other)" mixes unrelated
 * threads: no occupancy.
 */
static int add_occupancy(struct exporter *e, const struct account *a)
{
	int g;

	for (g = 0; g < e->ngroups; g++) {
		struct exporter_group *x = &e->groups[g];
		struct occupancy o;

		x->busy_known = false;
		if (!x->last_threads)
			continue;
		if (occupancy_of_group(a, x->name, &o))
			return -1;
		if (!o.known)
			continue;
		x->jobs += o.jobs_begun;
		x->busy_known = true;
		x->busy_mean = o.busy_mean;
		x->busy_max = o.busy_max;
		x->all_busy = o.all_busy_share;
	}
	return 0;
}

int exporter_update(struct exporter *e, const struct account *a, uint64_t events_lost_total)
{
	size_t slot = (size_t)(e->intervals % (uint64_t)e->window_s), i;
	int nr, g;

	for (nr = 0; nr < SYSCALL_OTHER; nr++)
		e->syscall_ns[nr] += syscall_time_ns(&a->syscalls[nr]) + a->syscalls[nr].partial_ns;
	choose_labels(e);
	for (g = 0; g <= EXPORTER_MAX_GROUPS; g++)
		memset(&e->groups[g].ring[slot], 0, sizeof(struct sizing_input));
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];
		struct exporter_group *x = group_of(e, t);

		x->oncpu_ns += thread_oncpu_ns(t);
		x->runq_ns += thread_runq_ns(t);
		x->wait_ns += thread_wait_ns(t);
		x->idle_ns += t->class_blocked_ns[CLASS_IDLE];
		x->sync_ns += t->class_blocked_ns[CLASS_SYNC];
		x->voluntary += t->voluntary;
		x->involuntary += t->involuntary;
		sizing_input_add_thread(&x->ring[slot], t);
		x->role = t->role;
		if (add_thread_syscalls(e, x, t))
			return -1;
	}
	for (g = 0; g <= EXPORTER_MAX_GROUPS; g++)
		e->groups[g].last_threads = e->groups[g].ring[slot].split.threads;
	if (add_occupancy(e, a))
		return -1;
	if (events_lost_total > e->events_lost)
		e->events_lost = events_lost_total;
	e->intervals++;
	return count_processes(e, a);
}

int exporter_loops(struct exporter *e, const struct loops *l, const struct account *a)
{
	struct loop_summary *s = NULL;
	int n = loops_summarize(l, a, &s), i, g;

	if (n < 0)
		return -1;
	for (g = 0; g <= EXPORTER_MAX_GROUPS; g++)
		e->groups[g].loop_oncpu_ns = e->groups[g].loop_traced_ns = 0;
	for (i = 0; i < n; i++) {
		struct exporter_group *x = group_of(e, s[i].t);

		x->loop = true;
		x->loop_blocked_ns += s[i].blocked_on_loop_ns;
		x->loop_turns += s[i].lt->turns;
		x->loop_turn_sum_ns += s[i].lt->turn_sum_ns;
		for (g = 0; g < LOOPS_TURN_BUCKETS; g++)
			x->loop_turn_bucket[g] += s[i].lt->turn_bucket[g];
		x->loop_stalls += s[i].stalls;
		x->loop_oncpu_ns += s[i].oncpu_ns;
		x->loop_traced_ns += s[i].traced_ns;
	}
	free(s);
	return 0;
}

void exporter_warnings(const struct time_split *split, bool flags[WARN_COUNT])
{
	struct sizing s;

	/* sizing_compute() owns the rules; the warnings do not depend on N or U. */
	sizing_compute(&s, split, 1, 1);
	memset(flags, 0, WARN_COUNT * sizeof(flags[0]));
	flags[WARN_TOO_LITTLE_CPU] = s.too_little_cpu;
	flags[WARN_RUNQUEUE_SATURATED] = s.cpus_saturated;
	flags[WARN_LOCK_CONTENTION] = s.lock_contention;
}

static int by_name(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;

	return strcmp(a, b);
}

static const char *label_of(int nr, char *buf, size_t len)
{
	const char *name = nr == SYSCALL_OTHER ? "other" : syscall_name(nr);

	if (name)
		return name;
	snprintf(buf, len, "syscall_%d", nr);
	return buf;
}

struct named_syscall {
	const char *name; /* first: sorted with by_name */
	const struct exporter_syscall *s;
};

static int by_syscall_label(const void *x, const void *y)
{
	const struct named_syscall *a = x, *b = y;

	/* "other" last, the rest by name. */
	if ((a->s->nr == SYSCALL_OTHER) != (b->s->nr == SYSCALL_OTHER))
		return a->s->nr == SYSCALL_OTHER ? 1 : -1;
	return strcmp(a->name, b->name);
}

int exporter_render(const struct exporter *e, enum metrics_format f, char **text, size_t *len)
{
	const struct exporter_group *order[EXPORTER_MAX_GROUPS + 1];
	struct metrics_group groups[EXPORTER_MAX_GROUPS + 1];
	struct metrics_process procs[EXPORTER_MAX_PROCESSES];
	struct metrics_syscall *sys = NULL;
	struct metrics_data d = {0};
	char(*names)[24] = NULL;
	struct cpu_window *cw = NULL;
	size_t nsys = 0, cap = 0, i, j;
	int ng = 0, rc = -1, w;
	uint64_t cpu_busy = 0, cpu_total = 0;

	for (i = 0; i < (size_t)e->ngroups; i++)
		order[ng++] = &e->groups[i];
	qsort(order, (size_t)ng, sizeof(order[0]), by_name); /* name is the first member */
	if (e->other_group_used)
		order[ng++] = &e->groups[EXPORTER_MAX_GROUPS];
	for (i = 0; i < (size_t)ng; i++)
		cap += order[i]->nsyscalls;
	sys = calloc(cap ? cap : 1, sizeof(*sys));
	names = calloc(cap ? cap : 1, sizeof(*names));
	cw = window_cpus(e);
	if (!sys || !names || !cw)
		goto out;
	memset(groups, 0, sizeof(groups));
	for (w = 0; w < e->window_s; w++) {
		cpu_busy += e->cpu_busy_ring[w];
		cpu_total += e->cpu_total_ring[w];
	}
	for (i = 0; i < (size_t)ng; i++) {
		const struct exporter_group *g = order[i];
		struct metrics_group *m = &groups[i];
		struct named_syscall ns[SYSCALL_MAX_NR + 2];
		struct sizing_input sum = { 0 };
		size_t n = 0;
		int k;

		m->group = g->name;
		m->oncpu_ns = g->oncpu_ns;
		m->runq_ns = g->runq_ns;
		m->wait_ns = g->wait_ns;
		m->idle_ns = g->idle_ns;
		m->sync_ns = g->sync_ns;
		m->voluntary = g->voluntary;
		m->loop = g->loop;
		m->loop_blocked_ns = g->loop_blocked_ns;
		m->loop_turns = g->loop_turns;
		m->loop_turn_sum_ns = g->loop_turn_sum_ns;
		memcpy(m->loop_turn_bucket, g->loop_turn_bucket, sizeof(m->loop_turn_bucket));
		m->loop_stalls = g->loop_stalls;
		m->loop_busy = g->loop_traced_ns ?
			(double)g->loop_oncpu_ns / (double)g->loop_traced_ns : 0;
		m->involuntary = g->involuntary;
		m->jobs = g->jobs;
		m->busy_known = g->busy_known;
		m->busy_mean = g->busy_mean;
		m->busy_max = g->busy_max;
		m->all_busy_ratio = g->all_busy;
		for (k = 0; k < e->window_s; k++)
			sizing_input_add(&sum, &g->ring[k]);
		/*
		 * Sized as the report sizes this window (sizing_group): N of the
		 * group's own CPUs, only pools that did work. Threads of unrelated
		 * names share "(other)": no pool to size.
		 */
		if (sum.split.threads > 0 && g != &e->groups[EXPORTER_MAX_GROUPS]) {
			struct sizing s;

			sizing_group(&s, &sum, g->role, e->cores, e->cores_given, e->utilization,
				     cpu_total ? (double)cpu_busy / (double)cpu_total : -1, cw);
			m->sized = g->role == ROLE_POOL && s.did_work;
			if (m->sized) {
				m->threads = g->last_threads;
				m->cores = s.cores;
				m->wait_compute_ratio = s.wait_compute_ratio;
				m->recommended = s.recommended;
				m->warning[WARN_TOO_LITTLE_CPU] = s.too_little_cpu;
				m->warning[WARN_RUNQUEUE_SATURATED] = s.cpus_saturated;
				m->warning[WARN_LOCK_CONTENTION] = s.lock_contention;
			}
		}
		for (j = 0; j < g->nsyscalls; j++) {
			const struct exporter_syscall *s = &g->syscalls[j];

			ns[n].s = s;
			ns[n].name = label_of(s->nr, names[nsys + n], sizeof(names[0]));
			n++;
		}
		qsort(ns, n, sizeof(ns[0]), by_syscall_label);
		for (j = 0; j < n; j++) {
			struct metrics_syscall *x = &sys[nsys++];

			x->group = g->name;
			x->syscall = ns[j].name;
			x->blocking = ns[j].s->blocking;
			x->nonblocking = ns[j].s->nonblocking;
			x->eagain = ns[j].s->eagain;
			x->blocked_ns = ns[j].s->blocked_ns;
		}
	}
	for (i = 0; i < (size_t)e->nprocesses; i++) {
		procs[i].pid = e->processes[i].pid;
		procs[i].comm = e->processes[i].comm;
		procs[i].threads = e->processes[i].threads;
	}
	d.syscalls = sys;
	d.nsyscalls = nsys;
	d.groups = groups;
	d.ngroups = (size_t)ng;
	d.processes = procs;
	d.nprocesses = (size_t)e->nprocesses;
	d.events_lost = e->events_lost;
	d.cores = e->cores;
	d.utilization = e->utilization;
	d.window_s = e->window_s;
	d.hooks = e->hooks;
	d.hooks_duty = e->hooks_duty;
	rc = metrics_render(&d, f, text, len);
out:
	free(sys);
	free(names);
	free(cw);
	return rc;
}
