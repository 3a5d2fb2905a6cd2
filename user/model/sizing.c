// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Pool sizing: N x U x (1 + WT/CT), per thread group and for the whole target. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "roles.h"
#include "sizing.h"

__attribute__((format(printf, 2, 3))) static void warn(struct sizing *s, const char *fmt, ...)
{
	va_list ap;

	if (s->nwarnings >= SIZING_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(s->warnings[s->nwarnings++], SIZING_WARNING_LEN, fmt, ap);
	va_end(ap);
}

/* sizing_compute(), for threads that may be a runtime's helpers beside a loop. */
static void compute(struct sizing *s, const struct time_split *split, double cores,
		    double utilization, bool loop_helpers)
{
	double ct = (double)split->compute_ns, wt = (double)split->wait_ns;
	bool runq_high;

	s->loop_helpers = loop_helpers;
	s->cores = cores;
	s->utilization = utilization;
	s->split = *split;
	s->nwarnings = 0;
	s->wait_compute_ratio = ct > 0 ? wt / ct : 0;
	s->recommended = 0;
	s->too_little_cpu = s->cpus_saturated = s->lock_contention = false;
	s->runq_on_idle_cpus = false;
	if (split->compute_ns < SIZING_MIN_COMPUTE_NS) {
		s->too_little_cpu = true;
		warn(s,
		     "only %.1f ms on CPU observed: too little to size from; trace longer or under load",
		     ct / 1e6);
		if (ct <= 0)
			return;
	}
	/*
	 * A hundredth of a thread of slack, so that a ratio of 3.0000001, or a
	 * stray 96 us wait in a trace of a pool that never waits (WT/CT
	 * 0.00003: the JVM sweep), does not round to one thread more.
	 */
	s->recommended = (long)ceil(cores * utilization * (1 + s->wait_compute_ratio) - 0.01);
	if (s->recommended < 1)
		s->recommended = 1;
	runq_high = (double)split->runq_ns > SIZING_MAX_RUNQ_SHARE * ct;
	/*
	 * A server that wakes often and computes little waits a few us per
	 * wakeup even on idle CPUs: against a small CT that is a large share,
	 * and more threads would not shorten it.
	 */
	s->runq_on_idle_cpus = runq_high && split->cpu_busy_known &&
			       split->cpu_busy < SIZING_MIN_BUSY;
	s->cpus_saturated = runq_high && !s->runq_on_idle_cpus;
	/*
	 * Threads waiting on each other longer than for I/O, and for at least
	 * half as long as they compute: a server that waits for nothing (WT
	 * near 0) is not contended for a few ms of queue lock in minutes.
	 */
	s->lock_contention = !s->loop_helpers && split->sync_ns > split->wait_ns &&
			     split->sync_ns >= SIZING_MIN_SYNC_NS &&
			     2 * split->sync_ns >= split->compute_ns;
	/*
	 * Two degrees (make sweep, docs/sweep.md): a run-queue of tens of % of
	 * CT is threads colliding for busy CPUs, and the knee of throughput
	 * comes a thread or two after the formula; hundreds of % is a pool
	 * past its knee, where more threads only queue.
	 */
	if (s->cpus_saturated && split->runq_ns > ct)
		warn(s,
		     "run-queue wait is %.0f%% of CPU time: the CPUs are saturated, more threads will only queue",
		     100.0 * (double)split->runq_ns / ct);
	else if (s->cpus_saturated)
		warn(s,
		     "run-queue wait is %.0f%% of CPU time: the CPUs are contended, so throughput may need a thread or two more than this to peak; past that, more threads only queue",
		     100.0 * (double)split->runq_ns / ct);
	if (s->lock_contention)
		warn(s,
		     "threads wait on each other (contended locks, a lock or the GIL passed between siblings) %.1f ms, more than for I/O (%.1f ms): lock contention, more threads will make it worse",
		     (double)split->sync_ns / 1e6, wt / 1e6);
}

void sizing_compute(struct sizing *s, const struct time_split *split, double cores,
		    double utilization)
{
	compute(s, split, cores, utilization, false);
}

void split_add_thread(struct time_split *split, const struct thread_stats *t)
{
	split->threads += t->retired ? (int)t->retired : 1;
	split->compute_ns += thread_oncpu_ns(t);
	split->wait_ns += thread_wait_ns(t);
	split->idle_ns += t->class_blocked_ns[CLASS_IDLE];
	split->sync_ns += t->class_blocked_ns[CLASS_SYNC];
	split->runq_ns += thread_runq_ns(t);
}

static int by_compute_desc(const void *x, const void *y)
{
	const struct sizing *a = x, *b = y;

	if (a->role != b->role)
		return a->role < b->role ? -1 : 1;
	if (a->split.compute_ns != b->split.compute_ns)
		return a->split.compute_ns < b->split.compute_ns ? 1 : -1;
	return strcmp(a->group, b->group);
}

void sizing_input_add_thread(struct sizing_input *in, const struct thread_stats *t)
{
	int w;

	split_add_thread(&in->split, t);
	if (t->last_ns > t->first_ns)
		in->traced_ns += t->last_ns - t->first_ns;
	if (!t->cpus_known)
		return;
	for (w = 0; w < THREAD_CPU_WORDS; w++)
		in->cpus[w] |= t->cpus[w];
	in->cpus_known = true;
}

void sizing_input_add(struct sizing_input *to, const struct sizing_input *from)
{
	int w;

	to->split.threads += from->split.threads;
	to->split.compute_ns += from->split.compute_ns;
	to->split.wait_ns += from->split.wait_ns;
	to->split.idle_ns += from->split.idle_ns;
	to->split.sync_ns += from->split.sync_ns;
	to->split.runq_ns += from->split.runq_ns;
	to->traced_ns += from->traced_ns;
	if (!from->cpus_known)
		return;
	for (w = 0; w < THREAD_CPU_WORDS; w++)
		to->cpus[w] |= from->cpus[w];
	to->cpus_known = true;
}

/* N and the busy share of the CPUs in in; the defaults where they are not known. */
static void cpu_use_apply(const struct sizing_input *in, const struct cpu_window *cw,
			  double cores, bool cores_given, double cpu_busy, double *n,
			  struct time_split *split)
{
	uint64_t busy = 0, total = 0;
	int cpu, count = 0;

	*n = cores;
	split->cpu_busy_known = cpu_busy >= 0;
	split->cpu_busy = cpu_busy;
	if (!in->cpus_known)
		return;
	for (cpu = 0; cpu < SIZING_MAX_CPUS; cpu++) {
		if (!(in->cpus[cpu / 64] & (1ull << (cpu % 64))))
			continue;
		count++;
		if (cw && cw->known) {
			busy += cw->busy[cpu];
			total += cw->total[cpu];
		}
	}
	if (!cores_given && count > 0 && count < cores)
		*n = count;
	if (total) {
		split->cpu_busy_known = true;
		split->cpu_busy = busy >= total ? 1 : (double)busy / (double)total;
	}
}

/*
 * Whether group j's threads are a runtime's helpers beside a loop (struct
 * sizing's loop_helpers): all unnamed, of one process, which runs a loop
 * that computed more than they did.
 */
static bool beside_loops(const struct account *a, const size_t *group_of, size_t j,
			 uint64_t compute_ns)
{
	uint64_t loops = 0;
	uint32_t tgid = 0;
	bool any = false;
	size_t i;

	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];

		if (group_of[i] != j)
			continue;
		if (!t->unnamed || (tgid && t->tgid != tgid))
			return false;
		tgid = t->tgid;
	}
	for (i = 0; tgid && i < a->nthreads; i++)
		if (a->threads[i].tgid == tgid && a->threads[i].role == ROLE_LOOP &&
		    a->threads[i].group[0]) {
			loops += thread_oncpu_ns(&a->threads[i]);
			any = true;
		}
	return any && loops > compute_ns;
}

void sizing_group(struct sizing *out, const struct sizing_input *in, uint8_t role, double cores,
		  bool cores_given, double utilization, double cpu_busy,
		  const struct cpu_window *cw)
{
	struct time_split split = in->split;
	double n;

	out->did_work = split.compute_ns >= SIZING_NO_WORK_NS &&
			((double)split.compute_ns >= SIZING_MIN_BUSY_SHARE * (double)in->traced_ns ||
			 (double)split.idle_ns < SIZING_IDLE_SHARE * (double)in->traced_ns);
	cpu_use_apply(in, cw, cores, cores_given, cpu_busy, &n, &split);
	if (role == ROLE_POOL && out->did_work) {
		compute(out, &split, n, utilization, in->loop_helpers);
	} else {
		/* Not a pool: its figures, no size and no warnings. */
		out->split = split;
		out->cores = n;
		out->utilization = utilization;
		out->wait_compute_ratio = split.compute_ns ?
			(double)split.wait_ns / (double)split.compute_ns : 0;
		out->recommended = 0;
		out->nwarnings = 0;
		out->too_little_cpu = out->cpus_saturated = out->lock_contention = false;
		out->runq_on_idle_cpus = false;
		out->loop_helpers = false;
	}
	out->role = role;
}

int sizing_by_group_cpus(const struct account *a, double cores, bool cores_given,
			 double utilization, double cpu_busy, const struct cpu_window *cw,
			 struct sizing *total, struct sizing **groups, size_t *ngroups)
{
	struct sizing_input all = { 0 }, *inputs;
	struct sizing *out;
	size_t i, j, n = 0, cap = a->nthreads ? a->nthreads : 1;
	size_t *group_of;

	out = calloc(cap, sizeof(*out));
	inputs = calloc(cap, sizeof(*inputs));
	group_of = calloc(cap, sizeof(*group_of));
	if (!out || !inputs || !group_of) {
		free(out);
		free(inputs);
		free(group_of);
		return -1;
	}
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];
		char buf[GROUP_NAME_LEN];
		const char *name = thread_group(t, buf, sizeof(buf));
		uint8_t role = t->group[0] ? t->role : ROLE_POOL;

		for (j = 0; j < n; j++)
			if (strcmp(out[j].group, name) == 0)
				break;
		if (j == n) {
			snprintf(out[n].group, sizeof(out[n].group), "%s", name);
			out[n++].role = role;
		}
		sizing_input_add_thread(&inputs[j], t);
		group_of[i] = j;
	}
	for (j = 0; j < n; j++) {
		inputs[j].loop_helpers = beside_loops(a, group_of, j, inputs[j].split.compute_ns);
		sizing_group(&out[j], &inputs[j], out[j].role, cores, cores_given, utilization,
			     cpu_busy, cw);
	}
	/*
	 * The total is of the pools that worked: a main thread that starts and
	 * joins, the runtime's own threads, connection threads (whose waiting
	 * is their pool's work, sized there) and pools given no work are not.
	 */
	for (i = 0; i < a->nthreads; i++)
		if (out[group_of[i]].role == ROLE_POOL && out[group_of[i]].did_work)
			sizing_input_add_thread(&all, &a->threads[i]);
	free(inputs);
	free(group_of);
	qsort(out, n, sizeof(*out), by_compute_desc);
	memset(total, 0, sizeof(*total));
	{
		struct time_split split = all.split;
		double all_n;

		cpu_use_apply(&all, cw, cores, cores_given, cpu_busy, &all_n, &split);
		/* No pool worked (a lone event loop, say): nothing to size, and nothing to warn of. */
		if (split.threads) {
			sizing_compute(total, &split, all_n, utilization);
		} else {
			total->split = split;
			total->cores = all_n;
			total->utilization = utilization;
		}
	}
	*groups = out;
	*ngroups = n;
	return 0;
}

int sizing_by_group(const struct account *a, double cores, double utilization,
		    double cpu_busy, struct sizing *total, struct sizing **groups, size_t *ngroups)
{
	return sizing_by_group_cpus(a, cores, false, utilization, cpu_busy, NULL, total, groups,
				    ngroups);
}
