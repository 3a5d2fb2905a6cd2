// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The text report, for a person. */
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "report_busy.h"
#include "roles.h"
#include "syscalls.h"
#include "verify.h"
#include "wakers.h"

static const struct account *sort_account;

static uint64_t syscall_time(const struct syscall_stats *s)
{
	uint64_t t = syscall_time_ns(s) + s->partial_ns, b = s->blocked_ns + s->partial_blocked_ns;

	/* --sched-only measures no call's duration: its blocked time then. */
	return t > b ? t : b;
}

/* A count only the syscall hooks make: "-" under --sched-only, not a zero that looks like data. */
static const char *hook_count(const struct report *r, uint64_t n, char *buf, size_t len)
{
	if (r->opts->sched_only)
		return "-";
	snprintf(buf, len, "%llu", (unsigned long long)n);
	return buf;
}

static int by_time_desc(const void *x, const void *y)
{
	const struct syscall_stats *a = &sort_account->syscalls[*(const int *)x];
	const struct syscall_stats *b = &sort_account->syscalls[*(const int *)y];

	if (syscall_time(a) != syscall_time(b))
		return syscall_time(a) < syscall_time(b) ? 1 : -1;
	if (a->calls != b->calls)
		return a->calls < b->calls ? 1 : -1;
	return *(const int *)x - *(const int *)y;
}

size_t report_syscall_order(const struct account *a, int *order)
{
	size_t n = 0;
	int nr;

	for (nr = 0; nr <= SYSCALL_MAX_NR; nr++)
		if (a->syscalls[nr].calls || a->syscalls[nr].partial_calls)
			order[n++] = nr;
	sort_account = a;
	qsort(order, n, sizeof(*order), by_time_desc);
	return n;
}

static const char *name_of(int nr, char *buf, size_t len)
{
	const char *name = nr == SYSCALL_OTHER ? "other" : syscall_name(nr);

	if (name)
		return name;
	snprintf(buf, len, "syscall_%d", nr);
	return buf;
}

static void print_histogram(FILE *out, const struct syscall_stats *s)
{
	uint64_t most = 0;
	int i, first = -1, last = -1;

	for (i = 0; i < HIST_SLOTS; i++) {
		if (!s->hist[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (s->hist[i] > most)
			most = s->hist[i];
	}
	for (i = first; i >= 0 && i <= last; i++) {
		unsigned long long lo = i ? 1ull << i : 0, hi = (2ull << i) - 1;
		int bar = (int)(s->hist[i] * 40 / most);

		fprintf(out, "      %10llu -> %-10llu us : %-8llu |%.*s%*s|\n", lo, hi,
			(unsigned long long)s->hist[i], bar,
			"****************************************", 40 - bar, "");
	}
}

/*
 * --sched-only: the blocking calls, each read at its thread's voluntary
 * switch-out; what only the syscall hooks can see is said to be missing.
 */
static void print_blocking_syscalls(FILE *out, const struct report *r)
{
	const struct account *a = r->acct;
	int order[SYSCALL_MAX_NR + 1];
	size_t n = report_syscall_order(a, order), i;
	char b1[32], b2[32], nb[32];

	fprintf(out, "\nBLOCKING SYSCALLS (--sched-only: read at each voluntary switch-out; calls "
		     "that did not block, EAGAIN, errors and call durations need the syscall hooks)\n");
	fprintf(out, "%-18s %9s %11s %11s %9s\n", "syscall", "blocking", "blocked", "run-queue",
		"cut");
	for (i = 0; i < n; i++) {
		const struct syscall_stats *s = &a->syscalls[order[i]];

		if (!s->blocking && !s->partial_calls)
			continue; /* an exec the kernel side told the stacks of */
		fprintf(out, "%-18s %9llu %11s %11s %9llu\n", name_of(order[i], nb, sizeof(nb)),
			(unsigned long long)s->blocking,
			format_ns(s->blocked_ns + s->partial_blocked_ns, b1, sizeof(b1)),
			format_ns(s->runq_ns, b2, sizeof(b2)), (unsigned long long)s->partial_calls);
	}
	fprintf(out, "cut: calls cut by the tracing window (asleep at its start or end), not in "
		     "blocking; their blocked time inside it is.\n");
}

static void print_syscalls(FILE *out, const struct report *r)
{
	const struct account *a = r->acct;
	int order[SYSCALL_MAX_NR + 1];
	size_t n = report_syscall_order(a, order), i;
	char b1[32], b2[32], b3[32], nb[32];
	bool any_partial = false, any_estimated = false;

	fprintf(out, "\nSYSCALLS (blocking: the thread switched out voluntarily inside the call)\n");
	fprintf(out, "%-18s %9s %9s %9s %8s %7s %11s %11s %11s\n", "syscall", "calls", "blocking",
		"non-blk", "EAGAIN", "errors", "total", "blocked", "max");
	for (i = 0; i < n; i++) {
		const struct syscall_stats *s = &a->syscalls[order[i]];
		double pct = s->calls ? 100.0 * (double)s->blocking / (double)s->calls : 0;

		if (s->partial_calls)
			any_partial = true;
		if (!s->calls)
			continue;
		b1[0] = '~';
		format_ns(syscall_time_ns(s), b1 + 1, sizeof(b1) - 1);
		if (!s->timed_calls) /* none of its calls timed: nothing to estimate from */
			snprintf(b1, sizeof(b1), "~?");
		if (syscall_time_estimated(s))
			any_estimated = true;
		fprintf(out, "%-18s %9llu %8.1f%% %9llu %8llu %7llu %11s %11s %11s\n",
			name_of(order[i], nb, sizeof(nb)), (unsigned long long)s->calls, pct,
			(unsigned long long)s->nonblocking, (unsigned long long)s->eagain,
			(unsigned long long)s->errors, syscall_time_estimated(s) ? b1 : b1 + 1,
			format_ns(s->blocked_ns, b2, sizeof(b2)), format_ns(s->max_ns, b3, sizeof(b3)));
		if (r->opts->histogram) {
			if (syscall_time_estimated(s))
				fprintf(out, "      (the %llu timed calls)\n",
					(unsigned long long)s->timed_calls);
			print_histogram(out, s);
		}
	}
	if (any_estimated)
		fprintf(out,
			"~ estimated: one in %u calls of a syscall that never blocked in its thread is "
			"timed (--time-sample; ~? none was); max and histograms are of the timed calls. "
			"Counts, blocking and blocked time are exact.\n",
			r->opts->time_sample);
	if (!any_partial)
		return;
	fprintf(out, "\nCALLS CUT BY THE TRACING WINDOW (begun before it or unfinished at its end; "
		     "time counted inside the window only)\n");
	fprintf(out, "%-18s %9s %11s %11s\n", "syscall", "calls", "time", "blocked");
	for (i = 0; i < n; i++) {
		const struct syscall_stats *s = &a->syscalls[order[i]];

		if (!s->partial_calls)
			continue;
		fprintf(out, "%-18s %9llu %11s %11s\n", name_of(order[i], nb, sizeof(nb)),
			(unsigned long long)s->partial_calls,
			format_ns(s->partial_ns, b1, sizeof(b1)),
			format_ns(s->partial_blocked_ns, b2, sizeof(b2)));
	}
}

static void print_threads(FILE *out, const struct report *r)
{
	const struct account *a = r->acct;
	char b1[32], b2[32], b3[32], nc[24];
	size_t i;

	fprintf(out, "\nTHREADS (on-CPU and run-queue: the kernel's schedstat; blocked: voluntary "
		     "switch-out to wakeup)\n");
	fprintf(out, "%8s %8s %-16s %11s %11s %11s %8s %8s %9s %9s\n", "tid", "pid", "comm",
		"on-CPU", "run-queue", "blocked", "vol", "invol", "calls", "blocking");
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];

		if (t->retired) {
			fprintf(out, "%8s %8u %-16s %11s %11s %11s %8llu %8llu %9s %9llu  (%u exited threads, folded)\n",
				"-", t->tgid, t->comm, format_ns(thread_oncpu_ns(t), b1, sizeof(b1)),
				format_ns(thread_runq_ns(t), b2, sizeof(b2)),
				format_ns(t->blocked_ns, b3, sizeof(b3)), (unsigned long long)t->voluntary,
				(unsigned long long)t->involuntary, hook_count(r, t->calls, nc, sizeof(nc)),
				(unsigned long long)t->blocking_calls, t->retired);
			continue;
		}
		fprintf(out, "%8u %8u %-16s %11s %11s %11s %8llu %8llu %9s %9llu%s\n", t->tid,
			t->tgid, t->comm, format_ns(thread_oncpu_ns(t), b1, sizeof(b1)),
			format_ns(thread_runq_ns(t), b2, sizeof(b2)),
			format_ns(t->blocked_ns, b3, sizeof(b3)), (unsigned long long)t->voluntary,
			(unsigned long long)t->involuntary, hook_count(r, t->calls, nc, sizeof(nc)),
			(unsigned long long)t->blocking_calls,
			t->born && t->exited ? "  (came and went)" :
			t->born		     ? "  (came)" :
			t->exited	     ? "  (went)" :
					       "");
	}
}

static void print_sizing_row(FILE *out, const char *label, const struct sizing *s)
{
	char ct[32], wt[32], idle[32], sync[32], rq[32], rec[16];

	if (s->recommended)
		snprintf(rec, sizeof(rec), "%ld", s->recommended);
	else
		snprintf(rec, sizeof(rec), "%s", s->role == ROLE_POOL ? "-" : role_name(s->role));
	fprintf(out, "%-22s %7d %11s %11s %11s %11s %11s %7.2f %11s\n", label, s->split.threads,
		format_ns(s->split.compute_ns, ct, sizeof(ct)),
		format_ns(s->split.wait_ns, wt, sizeof(wt)),
		format_ns(s->split.idle_ns, idle, sizeof(idle)),
		format_ns(s->split.sync_ns, sync, sizeof(sync)),
		format_ns(s->split.runq_ns, rq, sizeof(rq)), s->wait_compute_ratio, rec);
}

static void print_warnings(FILE *out, const char *label, const struct sizing *s)
{
	int i;

	for (i = 0; i < s->nwarnings; i++)
		fprintf(out, "  warning (%s): %s\n", label, s->warnings[i]);
}

/* Threads left out of the total: all but the pools'. */
static int left_out_threads(const struct report *r)
{
	size_t i;
	int n = 0;

	for (i = 0; i < r->ngroups; i++)
		if (r->groups[i].role != ROLE_POOL || !r->groups[i].did_work)
			n += r->groups[i].split.threads;
	return n;
}

/*
 * One line for the runtime's service threads and one for the groups that
 * did no work: the table leads with the pools that did.
 */
static void print_folded(FILE *out, const struct report *r)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		struct sizing sum = { .role = pass ? ROLE_RUNTIME : ROLE_MAIN };
		char names[160] = "", label[32];
		size_t i, len = 0;
		int groups = 0;

		for (i = 0; i < r->ngroups; i++) {
			const struct sizing *g = &r->groups[i];

			if (pass ? g->role != ROLE_RUNTIME : g->did_work || g->role == ROLE_RUNTIME)
				continue;
			/* The row shows their role when they share one (make demo's idle acceptor: a loop). */
			if (!pass && (groups ? sum.role != g->role : true))
				sum.role = groups ? ROLE_MAIN : (enum thread_role)g->role;
			groups++;
			sum.split.threads += g->split.threads;
			sum.split.compute_ns += g->split.compute_ns;
			sum.split.wait_ns += g->split.wait_ns;
			sum.split.idle_ns += g->split.idle_ns;
			sum.split.sync_ns += g->split.sync_ns;
			sum.split.runq_ns += g->split.runq_ns;
			if (len < sizeof(names) - 1)
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
							groups > 1 ? ", " : "", g->group);
		}
		if (!groups)
			continue;
		sum.wait_compute_ratio = sum.split.compute_ns ?
			(double)sum.split.wait_ns / (double)sum.split.compute_ns : 0;
		snprintf(label, sizeof(label), "(%d %s groups)", groups, pass ? "runtime" : "idle");
		print_sizing_row(out, label, &sum);
		fprintf(out, "%-22s   %s: %s\n", "",
			pass ? "runtime service threads, not sized" :
			       "did (almost) no work (under 1 ms on CPU, or 1% and idle 90% of the time)",
			names);
	}
}

static void print_sizing(FILE *out, const struct report *r)
{
	size_t i;

	fprintf(out, "\nTHREAD GROUPS AND POOL SIZING: N x U x (1 + WT/CT)\n");
	fprintf(out, "%-22s %7s %11s %11s %11s %11s %11s %7s %11s\n", "group", "threads",
		"CT on-CPU", "WT wait", "idle", "sync", "run-queue", "WT/CT", "recommended");
	for (i = 0; i < r->ngroups; i++)
		if (r->groups[i].did_work && r->groups[i].role != ROLE_RUNTIME)
			print_sizing_row(out, r->groups[i].group[0] ? r->groups[i].group : "(unnamed)",
					 &r->groups[i]);
	print_folded(out, r);
	if (!r->total.split.threads)
		fprintf(out, "(no pool that did work: nothing to size)\n");
	else
		print_sizing_row(out, left_out_threads(r) ? "(the pools together)" : "(all threads)",
				 &r->total);
	fprintf(out, "\nN = %g CPUs (%s), U = %.2f.\n"
		     "WT: a unit of work waits (backends, files, sleeps, results from other threads, page "
		     "faults); idle: waiting for new work (event loops, accept, a client's next request, a "
		     "pool waiting for a job); sync: threads waiting on each other (contended locks, a lock "
		     "or the GIL passed between siblings). Why, per thread: -t or JSON wait_reasons.\n",
		r->cores, r->cores_source, r->total.utilization);
	if (r->cpu_busy >= 0)
		fprintf(out, "The CPUs it may run on were %.0f%% busy (all work on them, /proc/stat).\n",
			100 * r->cpu_busy);
	for (i = 0; i < r->ngroups; i++) {
		const struct sizing *s = &r->groups[i];

		if (!s->recommended)
			continue;
		fprintf(out, "  %s: %g x %.2f x (1 + %.2f) = %.2f -> %ld threads\n",
			s->group[0] ? s->group : "(unnamed)", s->cores, s->utilization,
			s->wait_compute_ratio, s->cores * s->utilization * (1 + s->wait_compute_ratio),
			s->recommended);
		if (r->occupancy)
			report_busy_text(out, s, &r->occupancy[i]);
		if (s->role == ROLE_POOL) {
			struct pool_setting p;

			group_setting(r->acct, s->group, &p);
			report_setting_text(out, s, &p);
		}
	}
	for (i = 0; i < r->ngroups; i++)
		print_warnings(out, r->groups[i].group, &r->groups[i]);
	print_warnings(out, "all threads", &r->total);
	if (r->total.runq_on_idle_cpus)
		fprintf(out,
			"  note: run-queue wait is %.0f%% of CPU time, but on CPUs %.0f%% busy: the "
			"latency of each wakeup, not a shortage of CPUs; more threads would not "
			"shorten it\n",
			100.0 * (double)r->total.split.runq_ns / (double)r->total.split.compute_ns,
			100 * r->cpu_busy);
}

static void print_process_table(FILE *out, const struct report *r)
{
	const struct account *a = r->acct;
	char b1[32], b2[32], b3[32], nc[24], ne[24];
	size_t i;

	fprintf(out, "\nPROCESSES\n%8s %-16s %7s %11s %11s %11s %9s %9s %8s\n", "pid", "comm",
		"threads", "on-CPU", "blocked", "run-queue", "calls", "blocking", "EAGAIN");
	for (i = 0; i < a->nprocesses; i++) {
		const struct process_stats *p = &a->processes[i];
		struct process_totals pt;

		process_totals(a, p, &pt);
		fprintf(out, "%8u %-16s %7d %11s %11s %11s %9s %9llu %8s\n", p->tgid, p->comm,
			pt.threads, format_ns(pt.oncpu_ns, b1, sizeof(b1)),
			format_ns(pt.blocked_ns, b2, sizeof(b2)), format_ns(pt.runq_ns, b3, sizeof(b3)),
			hook_count(r, pt.calls, nc, sizeof(nc)), (unsigned long long)pt.blocking_calls,
			hook_count(r, pt.eagain_calls, ne, sizeof(ne)));
	}
}

static void print_wakers(FILE *out, const struct report *r)
{
	struct waker_stat w[8];
	char label[48], b[32];
	size_t g;
	int n, i;

	fprintf(out, "\nWHO WAKES EACH GROUP (blocking calls, by the waking process)\n");
	for (g = 0; g < r->ngroups; g++) {
		n = wakers_of_group(r->acct, r->groups[g].group, w, 8);
		if (!n)
			continue;
		fprintf(out, "  %-18s", r->groups[g].group[0] ? r->groups[g].group : "(unnamed)");
		for (i = 0; i < n; i++)
			fprintf(out, "%s%s %llu x, %s", i ? "; " : "", waker_label(&w[i], label, sizeof(label)),
				(unsigned long long)w[i].wakeups, format_ns(w[i].blocked_ns, b, sizeof(b)));
		fputc('\n', out);
	}
}

static void print_processes(FILE *out, const struct report *r)
{
	const struct account *a = r->acct;
	size_t i;

	for (i = 0; i < a->nprocesses; i++) {
		const struct process_stats *p = &a->processes[i];

		if (!p->came && !p->went)
			continue;
		fprintf(out, "  process %u (%s)%s%s", p->tgid, p->comm,
			p->came ? " came (forked while traced)" : "",
			p->went ? (p->came ? " and went" : " went (exited while traced)") : "");
		if (p->went)
			fprintf(out, ", exit status %d", p->exit_code >> 8 & 0xff);
		fprintf(out, "\n");
	}
}

/* Loop threads shown one by one; the rest are in the JSON's loops[]. */
#define REPORT_MAX_LOOPS 8

/* Frames of a loop's blocking call site shown in the text (the JSON has them all). */
#define REPORT_LOOP_SITE_FRAMES 6

/* --stacks: where the loop makes that call, innermost first. */
static void print_loop_site(FILE *out, const struct report *r, const struct loop_summary *l,
			    const struct loop_call *c)
{
	const struct stack_entry *e =
		c->nr >= 0 && r->stacks ?
			stacks_site_of(r->stacks, l->t->tgid, l->t->tid, l->t->comm, c->nr) :
			NULL;
	int f;

	if (!e)
		return;
	fprintf(out, "    at");
	for (f = 0; f < e->nuser && f < REPORT_LOOP_SITE_FRAMES; f++)
		fprintf(out, "%s%s", f ? " < " : " ", e->user_frames[f]);
	fprintf(out, "%s\n", e->nuser > REPORT_LOOP_SITE_FRAMES ? " < ..." : "");
}

/* Event loops, each led by its finding (loops.c): never sized, so apart from the pools. */
static void print_loops(FILE *out, const struct report *r)
{
	struct loop_summary *s = NULL;
	char b1[32], b2[32], b3[32], b4[32], b5[32], finding[400];
	int n = r->loops ? loops_summarize(r->loops, r->acct, &s) : 0, i, k;

	if (n > 0) {
		fprintf(out, "\nEVENT LOOPS (one thread each, never sized: a blocking call on a loop holds "
			     "every connection it serves; a stall is a turn over %s)\n",
			format_ns(r->loops->stall_ns, b1, sizeof(b1)));
	}
	for (i = 0; i < n && i < REPORT_MAX_LOOPS; i++) {
		const struct loop_summary *l = &s[i];
		const char *wait = syscall_name(l->lt->wait_nr);

		loops_finding(l, r->cores, finding, sizeof(finding));
		fprintf(out, "%s[%u] (pid %u, group %s, waits in %s): %s\n", l->t->comm, l->t->tid,
			l->t->tgid, l->t->group, wait ? wait : "?", finding);
		fprintf(out,
			"  turns %llu: p50 %s, p99 %s, max %s; on CPU %.0f%%; blocked on the loop %s "
			"(%.0f%%); stalls %llu (%s)\n",
			(unsigned long long)l->lt->turns, format_ns(l->turn_p50_ns, b1, sizeof(b1)),
			format_ns(l->turn_p99_ns, b2, sizeof(b2)),
			format_ns(l->lt->turn_max_ns, b3, sizeof(b3)), 100 * l->busy,
			format_ns(l->blocked_on_loop_ns, b4, sizeof(b4)), 100 * l->blocked_share,
			(unsigned long long)l->stalls,
			format_ns(l->stalled_ns, b5, sizeof(b5)));
		if (l->stalls)
			fprintf(out, "  stalls: %s blocked in calls, %s on the run queue in calls, %s "
				     "on a CPU (or preempted between calls)\n",
				format_ns(l->stall_blocked_ns, b1, sizeof(b1)),
				format_ns(l->stall_runq_ns, b2, sizeof(b2)),
				format_ns(sub_clamped(l->stalled_ns, l->stall_blocked_ns +
								      l->stall_runq_ns),
					  b3, sizeof(b3)));
		for (k = 0; k < l->ncalls && k < 4; k++) {
			const struct loop_call *c = &l->calls[k];
			const char *name = c->nr >= 0 ? syscall_name(c->nr) : NULL;

			fprintf(out, "  blocking on the loop: %s (%s) %llu calls, %s, max %s\n",
				name ? name : "other calls",
				wait_reason_name((enum wait_reason)c->reason),
				(unsigned long long)c->calls, format_ns(c->blocked_ns, b1, sizeof(b1)),
				format_ns(c->max_ns, b2, sizeof(b2)));
			print_loop_site(out, r, l, c);
		}
		if (l->outside_ns)
			fprintf(out, "  blocking on the loop: outside syscalls (page faults) %s\n",
				format_ns(l->outside_ns, b1, sizeof(b1)));
	}
	if (n > REPORT_MAX_LOOPS)
		fprintf(out, "and %d more loops (JSON: loops[])\n", n - REPORT_MAX_LOOPS);
	free(s);
}

void report_text(FILE *out, const struct report *r)
{
	const struct account *a = r->acct;
	size_t i;

	if (r->interval)
		fprintf(out, "\n--- interval %d ---\n", r->interval);
	fprintf(out, "blockscope: traced");
	for (i = 0; i < a->nprocesses && i < 8; i++)
		fprintf(out, "%s %s[%u]", i ? "," : "", a->processes[i].comm, a->processes[i].tgid);
	if (a->nprocesses > 8)
		fprintf(out, " and %zu more", a->nprocesses - 8);
	fprintf(out, " for %.2f s (%s); %llu records, %llu lost; ", (double)r->duration_ns / 1e9,
		r->stop_reason, (unsigned long long)a->records, (unsigned long long)r->lost);
	if (r->opts->sched_only)
		fprintf(out, "syscall hooks off (--sched-only)%s\n",
			r->user_return_unseen ? "; returns to user space unseen on this kernel: "
						"calls told apart by their CPU time (docs/definitions.md)" :
						"");
	else
		fprintf(out, "%llu non-blocking calls counted in the kernel\n",
			(unsigned long long)a->kernel_counted_calls);
	if (r->snapshot_races)
		fprintf(out, "WARNING: %llu times a thread's folded calls changed while a snapshot took "
			     "them: its call counts may be off by as many.\n",
			(unsigned long long)r->snapshot_races);
	if (r->records_late)
		fprintf(out, "WARNING: %llu records came too late to be put back in time order: a "
			     "wait they woke may be judged from its waker's older wait "
			     "(docs/definitions.md).\n",
			(unsigned long long)r->records_late);
	if (r->lost || r->storage_misses || r->tgid_misses || a->malformed)
		fprintf(out,
			"WARNING: incomplete data: %llu records lost (ring buffer full; %llu "
			"non-blocking calls among them), %llu threads "
			"without state, %llu children not followed, %llu malformed records.\n"
			"  Lost records are almost all finished calls: per-syscall counts and times below "
			"are low by about that many calls. Per-thread on-CPU, run-queue and switch counts "
			"come from the kernel's counters and stay complete, unless a thread's exit record "
			"was among those lost. A larger --ring-size or a narrower target helps.\n",
			(unsigned long long)r->lost, (unsigned long long)r->lost_calls,
			(unsigned long long)r->storage_misses,
			(unsigned long long)r->tgid_misses, (unsigned long long)a->malformed);
	print_processes(out, r);
	if (r->opts->sched_only)
		print_blocking_syscalls(out, r);
	else
		print_syscalls(out, r);
	if (a->nprocesses > 1)
		print_process_table(out, r);
	if (r->opts->threads)
		print_threads(out, r);
	print_sizing(out, r);
	print_loops(out, r);
	print_wakers(out, r);
	if (r->stacks)
		stacks_print_top(out, r->stacks, 10);
	if (r->opts->verify)
		verify_print(out, a);
}
