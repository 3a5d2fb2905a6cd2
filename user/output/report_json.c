// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The JSON report (--json), one document, built with json-c. */
#include <json-c/json.h>
#include <string.h>
#include "report.h"
#include "report_busy.h"
#include "syscalls.h"
#include "verify.h"
#include "roles.h"
#include "wakers.h"

static void add_int(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static void add_double(json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, json_object_new_double(v));
}

static void add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

/*
 * The futex objects (64-byte blocks) a thread waited on most, as roles.c
 * saw them: [{"object", "ns", "idle_ns", "wait_ns", "sync_ns",
 * "for_work_ns", "mutex_ns", "passed_ns", "shared"}], the busiest first.
 * A pool's job queue, a GIL and a mutex show apart here.
 */
static struct json_object *futexes_json(const struct thread_stats *t)
{
	struct json_object *arr = json_object_new_array();
	bool taken[THREAD_FUTEX_SLOTS] = { false };
	char addr[32];
	int k, i;

	for (k = 0; k < THREAD_FUTEX_SLOTS; k++) {
		const struct futex_home *f;
		struct json_object *o;
		int best = -1;

		for (i = 0; i < THREAD_FUTEX_SLOTS; i++)
			if (!taken[i] && t->futexes[i].blocked_ns &&
			    (best < 0 || t->futexes[i].blocked_ns > t->futexes[best].blocked_ns))
				best = i;
		if (best < 0)
			break;
		taken[best] = true;
		f = &t->futexes[best];
		o = json_object_new_object();
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)f->uaddr);
		add_str(o, "object", addr);
		add_int(o, "ns", f->blocked_ns);
		add_int(o, "idle_ns", f->class_ns[CLASS_IDLE]);
		add_int(o, "wait_ns", f->class_ns[CLASS_WAIT]);
		add_int(o, "sync_ns", f->class_ns[CLASS_SYNC]);
		add_int(o, "for_work_ns", f->for_work_ns);
		add_int(o, "mutex_ns", f->mutex_ns);
		add_int(o, "passed_ns", f->passed_ns);
		json_object_object_add(o, "shared", json_object_new_boolean(f->shared));
		json_object_array_add(arr, o);
	}
	return arr;
}

/*
 * Blocked time by what it waited for: [{"reason", "class", "ns"}], largest
 * first, the reasons with no time left out.
 */
static struct json_object *wait_reasons_json(const uint64_t *ns)
{
	struct json_object *arr = json_object_new_array();
	bool taken[WAIT_REASON_COUNT] = { false };
	struct json_object *o;
	int k, r;

	for (k = 0; k < WAIT_REASON_COUNT; k++) {
		int best = -1;

		for (r = 0; r < WAIT_REASON_COUNT; r++)
			if (!taken[r] && ns[r] && (best < 0 || ns[r] > ns[best]))
				best = r;
		if (best < 0)
			break;
		taken[best] = true;
		o = json_object_new_object();

		add_str(o, "reason", wait_reason_name((enum wait_reason)best));
		add_str(o, "class", wait_class_name(wait_reason_class((enum wait_reason)best)));
		add_int(o, "ns", ns[best]);
		add_str(o, "why", wait_reason_text((enum wait_reason)best));
		json_object_array_add(arr, o);
	}
	return arr;
}

/*
 * --sched-only: what only the syscall hooks can measure (every call, the
 * non-blocking ones, returns, durations) is left out, not written as zero.
 */
static void drop_unmeasured(json_object *o, bool sched_only)
{
	static const char *const keys[] = {
		"calls", "nonblocking", "eagain", "errors", "restarts", "total_ns", "timed_calls",
		"timed_ns", "max_ns", "hist_log2_us", "partial_ns", "eagain_calls",
		"kernel_counted_calls", "lost_kernel_counted_calls", "time_sample",
	};
	size_t i;

	for (i = 0; sched_only && i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_del(o, keys[i]);
}

static json_object *syscall_json(const struct syscall_stats *s, int nr)
{
	json_object *o = json_object_new_object(), *hist;
	const char *name = nr == SYSCALL_OTHER ? "other" : syscall_name(nr);
	char buf[32];
	int i;

	if (!name) {
		snprintf(buf, sizeof(buf), "syscall_%d", nr);
		name = buf;
	}
	add_str(o, "name", name);
	json_object_object_add(o, "nr", json_object_new_int(nr == SYSCALL_OTHER ? -1 : nr));
	add_int(o, "calls", s->calls);
	add_int(o, "blocking", s->blocking);
	add_int(o, "nonblocking", s->nonblocking);
	add_int(o, "eagain", s->eagain);
	add_int(o, "errors", s->errors);
	add_int(o, "restarts", s->restarts);
	/* With --time-sample, total_ns includes an estimate for the untimed calls. */
	add_int(o, "total_ns", syscall_time_ns(s));
	add_int(o, "timed_calls", s->timed_calls);
	add_int(o, "timed_ns", s->total_ns);
	add_int(o, "blocked_ns", s->blocked_ns);
	add_int(o, "runq_ns", s->runq_ns);
	add_int(o, "max_ns", s->max_ns);
	add_int(o, "partial_calls", s->partial_calls);
	add_int(o, "partial_ns", s->partial_ns);
	add_int(o, "partial_blocked_ns", s->partial_blocked_ns);
	hist = json_object_new_array();
	for (i = 0; i < HIST_SLOTS; i++)
		json_object_array_add(hist, json_object_new_int64((int64_t)s->hist[i]));
	json_object_object_add(o, "hist_log2_us", hist);
	return o;
}

static void add_hooks(json_object *root, const struct options *o)
{
	json_object *arr = json_object_new_array();

	add_str(root, "syscall_hooks", o->sched_only ? "off" : "on");
	if (o->sched_only) {
		json_object_array_add(arr, json_object_new_string("calls that did not block"));
		json_object_array_add(arr, json_object_new_string("EAGAIN and error returns"));
		json_object_array_add(arr, json_object_new_string("call durations"));
	}
	json_object_object_add(root, "not_measured", arr);
}

static const char *nr_name(int nr, char *buf, size_t len)
{
	const char *name = nr < 0 ? "other" : syscall_name(nr);

	if (name)
		return name;
	snprintf(buf, len, "syscall_%d", nr);
	return buf;
}

static json_object *thread_json(const struct thread_stats *t, bool sched_only)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char buf[32];
	int i;

	for (i = 0; i <= THREAD_SYSCALL_SLOTS; i++) {
		const struct thread_syscall *s = &t->syscalls[i];
		json_object *so;

		if (i >= t->nsyscalls && (i < THREAD_SYSCALL_SLOTS || s->nr != -1))
			continue;
		so = json_object_new_object();
		add_str(so, "name", nr_name(s->nr, buf, sizeof(buf)));
		add_int(so, "calls", s->calls);
		add_int(so, "blocking", s->blocking);
		add_int(so, "eagain", s->eagain);
		add_int(so, "blocked_ns", s->blocked_ns);
		drop_unmeasured(so, sched_only);
		json_object_array_add(arr, so);
	}

	add_int(o, "tid", t->tid);
	if (t->retired)
		add_int(o, "retired_threads", t->retired);
	add_int(o, "pid", t->tgid);
	add_str(o, "comm", t->comm);
	{
		char buf[GROUP_NAME_LEN];

		add_str(o, "group", thread_group(t, buf, sizeof(buf)));
		add_str(o, "role", role_name(t->group[0] ? (enum thread_role)t->role : ROLE_POOL));
	}
	add_int(o, "oncpu_ns", thread_oncpu_ns(t));
	add_int(o, "blocked_ns", t->blocked_ns);
	add_int(o, "runq_ns", thread_runq_ns(t));
	add_int(o, "voluntary_switches", t->voluntary);
	add_int(o, "involuntary_switches", t->involuntary);
	add_int(o, "kernel_voluntary_switches", t->end.nvcsw - t->base.nvcsw);
	add_int(o, "kernel_involuntary_switches", t->end.nivcsw - t->base.nivcsw);
	add_int(o, "blocked_outside_syscalls_ns", t->blocked_outside_ns);
	add_int(o, "wait_ns", thread_wait_ns(t));
	add_int(o, "idle_wait_ns", t->class_blocked_ns[CLASS_IDLE]);
	add_int(o, "sync_wait_ns", t->class_blocked_ns[CLASS_SYNC]);
	json_object_object_add(o, "wait_reasons", wait_reasons_json(t->reason_blocked_ns));
	json_object_object_add(o, "futexes", futexes_json(t));
	add_int(o, "calls", t->calls);
	add_int(o, "blocking_calls", t->blocking_calls);
	add_int(o, "eagain_calls", t->eagain_calls);
	add_int(o, "traced_ns", t->last_ns > t->first_ns ? t->last_ns - t->first_ns : 0);
	json_object_object_add(o, "born", json_object_new_boolean(t->born));
	json_object_object_add(o, "exited", json_object_new_boolean(t->exited));
	json_object_object_add(o, "counters_known",
			       json_object_new_boolean(t->have_base && t->have_end));
	drop_unmeasured(o, sched_only);
	json_object_object_add(o, "syscalls", arr);
	add_int(o, "tp_oncpu_ns", t->tp_oncpu_ns);
	add_int(o, "tp_runq_ns", t->tp_runq_ns);
	add_str(o, "base_source", !t->have_base ? "unknown" : t->base_from_proc ? "proc" : t->born ? "birth" : "adopted");
	add_str(o, "end_source", !t->have_end ? "unknown" : t->end_from_proc ? "proc" : "final_switch");
	{
		struct verify_result v;
		json_object *vo = json_object_new_object();

		verify_thread(t, &v);
		json_object_object_add(vo, "checkable", json_object_new_boolean(v.checkable));
		json_object_object_add(vo, "ok", json_object_new_boolean(v.ok));
		json_object_object_add(vo, "oncpu_diff_ns", json_object_new_int64(v.oncpu_diff_ns));
		json_object_object_add(vo, "runq_diff_ns", json_object_new_int64(v.runq_diff_ns));
		json_object_object_add(vo, "tp_oncpu_diff_ns", json_object_new_int64(v.tp_oncpu_diff_ns));
		json_object_object_add(vo, "tp_runq_diff_ns", json_object_new_int64(v.tp_runq_diff_ns));
		json_object_object_add(vo, "voluntary_diff", json_object_new_int64(v.voluntary_diff));
		json_object_object_add(vo, "involuntary_diff", json_object_new_int64(v.involuntary_diff));
		json_object_object_add(o, "verify", vo);
	}
	return o;
}

static void add_sizing_keys(json_object *o, const struct sizing *s)
{
	json_object *w = json_object_new_array();
	int i;

	add_double(o, "cores", s->cores);
	add_double(o, "utilization", s->utilization);
	add_int(o, "compute_ns", s->split.compute_ns);
	add_int(o, "wait_ns", s->split.wait_ns);
	add_int(o, "idle_wait_ns", s->split.idle_ns);
	add_int(o, "sync_wait_ns", s->split.sync_ns);
	add_int(o, "runq_ns", s->split.runq_ns);
	add_double(o, "wait_compute_ratio", s->wait_compute_ratio);
	/* How busy the CPUs these threads could run on were (their union), or null. */
	json_object_object_add(o, "cpu_busy", s->split.cpu_busy_known ?
						      json_object_new_double(s->split.cpu_busy) : NULL);
	add_int(o, "recommended_threads", (uint64_t)s->recommended);
	/* Run-queue wait above the warning's share, on CPUs too idle for contention. */
	json_object_object_add(o, "runq_on_idle_cpus", json_object_new_boolean(s->runq_on_idle_cpus));
	for (i = 0; i < s->nwarnings; i++)
		json_object_array_add(w, json_object_new_string(s->warnings[i]));
	json_object_object_add(o, "warnings", w);
}

/* loops[]: one object per loop thread (docs/loops.md). */
static json_object *loops_json(const struct report *r)
{
	json_object *arr = json_object_new_array();
	struct loop_summary *s = NULL;
	int n = r->loops ? loops_summarize(r->loops, r->acct, &s) : 0, i, k;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object(), *calls = json_object_new_array();
		const char *wait = syscall_name(s[i].lt->wait_nr);
		char finding[400];

		add_int(o, "tid", s[i].t->tid);
		add_int(o, "pid", s[i].t->tgid);
		add_str(o, "comm", s[i].t->comm);
		add_str(o, "group", s[i].t->group);
		add_str(o, "wait_syscall", wait ? wait : "?");
		add_int(o, "turns", s[i].lt->turns);
		add_int(o, "turn_p50_ns", s[i].turn_p50_ns);
		add_int(o, "turn_p99_ns", s[i].turn_p99_ns);
		add_int(o, "turn_max_ns", s[i].lt->turn_max_ns);
		add_double(o, "busy", s[i].busy);
		add_int(o, "traced_ns", s[i].traced_ns);
		add_int(o, "blocked_on_loop_ns", s[i].blocked_on_loop_ns);
		add_double(o, "blocked_on_loop_share", s[i].blocked_share);
		add_int(o, "stalls", s[i].stalls);
		add_int(o, "stalled_ns", s[i].stalled_ns);
		add_int(o, "stall_threshold_ns", r->loops->stall_ns);
		/* A turn still going on at the end (a stall, if over the threshold). */
		add_int(o, "open_turn_ns", s[i].open_turn_ns);
		/* Each stall split: blocked in calls, run queue inside calls, the rest on a CPU. */
		add_int(o, "stall_blocked_ns", s[i].stall_blocked_ns);
		add_int(o, "stall_runq_ns", s[i].stall_runq_ns);
		add_int(o, "stall_oncpu_ns",
			sub_clamped(s[i].stalled_ns,
				    s[i].stall_blocked_ns + s[i].stall_runq_ns));
		add_int(o, "waits", s[i].lt->waits);
		for (k = 0; k < s[i].ncalls; k++) {
			json_object *c = json_object_new_object();
			const char *name = s[i].calls[k].nr >= 0 ? syscall_name(s[i].calls[k].nr) : NULL;

			add_str(c, "syscall", name ? name : "other");
			add_str(c, "reason", wait_reason_name((enum wait_reason)s[i].calls[k].reason));
			add_int(c, "calls", s[i].calls[k].calls);
			add_int(c, "blocked_ns", s[i].calls[k].blocked_ns);
			add_int(c, "max_ns", s[i].calls[k].max_ns);
			/* --stacks: where the loop makes the call (its longest-blocked site). */
			if (r->stacks && s[i].calls[k].nr >= 0) {
				const struct stack_entry *e = stacks_site_of(
					r->stacks, s[i].t->tgid, s[i].t->tid, s[i].t->comm, s[i].calls[k].nr);

				if (e) {
					json_object *frames = json_object_new_array();
					int f;

					for (f = 0; f < e->nuser; f++)
						json_object_array_add(frames,
								      json_object_new_string(e->user_frames[f]));
					json_object_object_add(c, "stack", frames);
				}
			}
			json_object_array_add(calls, c);
		}
		/* Blocked outside syscalls (page faults): one entry, its calls not counted. */
		if (s[i].outside_ns) {
			json_object *c = json_object_new_object();

			add_str(c, "syscall", "none");
			add_str(c, "reason", "outside-syscalls");
			add_int(c, "calls", 0);
			add_int(c, "blocked_ns", s[i].outside_ns);
			add_int(c, "max_ns", 0);
			json_object_array_add(calls, c);
		}
		json_object_object_add(o, "blocking_calls", calls);
		loops_finding(&s[i], r->cores, finding, sizeof(finding));
		add_str(o, "finding", finding);
		json_object_array_add(arr, o);
	}
	free(s);
	return arr;
}

int report_json(FILE *out, const struct report *r)
{
	const struct account *a = r->acct;
	json_object *root = json_object_new_object(), *arr, *o, *sizing;
	int order[SYSCALL_MAX_NR + 1];
	size_t n, i;
	int rc;

	add_int(root, "duration_ns", r->duration_ns);
	add_int(root, "start_ns", r->start_ns);
	if (r->interval)
		add_int(root, "interval", (uint64_t)r->interval);
	add_str(root, "stop_reason", r->stop_reason);
	/* One in time_sample calls of never-blocking syscalls timed: see timed_calls. */
	add_int(root, "time_sample", r->opts->time_sample);
	add_hooks(root, r->opts);
	drop_unmeasured(root, r->opts->sched_only);

	arr = json_object_new_array();
	for (i = 0; i < a->nprocesses; i++) {
		const struct process_stats *p = &a->processes[i];
		struct process_totals pt;

		process_totals(a, p, &pt);
		o = json_object_new_object();
		add_int(o, "pid", p->tgid);
		add_str(o, "comm", p->comm);
		json_object_object_add(o, "threads", json_object_new_int(pt.threads));
		add_int(o, "oncpu_ns", pt.oncpu_ns);
		add_int(o, "blocked_ns", pt.blocked_ns);
		add_int(o, "runq_ns", pt.runq_ns);
		add_int(o, "wait_ns", pt.wait_ns);
		add_int(o, "idle_wait_ns", pt.idle_ns);
		add_int(o, "sync_wait_ns", pt.sync_ns);
		add_int(o, "calls", pt.calls);
		add_int(o, "blocking_calls", pt.blocking_calls);
		add_int(o, "eagain_calls", pt.eagain_calls);
		json_object_object_add(o, "came", json_object_new_boolean(p->came));
		json_object_object_add(o, "went", json_object_new_boolean(p->went));
		if (p->came || p->parent_tgid)
			add_int(o, "parent", p->parent_tgid);
		if (p->runtime > RUNTIME_NATIVE)
			add_str(o, "runtime", runtime_name((enum process_runtime)p->runtime));
		drop_unmeasured(o, r->opts->sched_only);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "targets", arr);

	o = json_object_new_object();
	add_int(o, "received", a->records);
	add_int(o, "lost", r->lost);
	add_int(o, "lost_kernel_counted_calls", r->lost_calls);
	add_int(o, "kernel_counted_calls", a->kernel_counted_calls);
	add_int(o, "malformed", a->malformed);
	add_int(o, "threads_without_state", r->storage_misses);
	add_int(o, "children_not_followed", r->tgid_misses);
	if (r->opts->sched_only) {
		add_int(o, "snapshot_races", r->snapshot_races);
		add_int(o, "records_out_of_order", r->records_late);
		json_object_object_add(o, "returns_to_user_seen",
				       json_object_new_boolean(!r->user_return_unseen));
	}
	add_int(o, "retired_threads", a->retired_threads);
	drop_unmeasured(o, r->opts->sched_only);
	json_object_object_add(root, "events", o);

	arr = json_object_new_array();
	n = report_syscall_order(a, order);
	for (i = 0; i < n; i++) {
		json_object *so = syscall_json(&a->syscalls[order[i]], order[i]);

		drop_unmeasured(so, r->opts->sched_only);
		json_object_array_add(arr, so);
	}
	json_object_object_add(root, "syscalls", arr);

	arr = json_object_new_array();
	for (i = 0; i < a->nthreads; i++)
		json_object_array_add(arr, thread_json(&a->threads[i], r->opts->sched_only));
	json_object_object_add(root, "threads", arr);

	sizing = json_object_new_object();
	add_sizing_keys(sizing, &r->total);
	add_str(sizing, "cores_source", r->cores_source);
	/* How busy the CPUs it may run on were; null if /proc/stat could not say. */
	json_object_object_add(sizing, "cpu_busy",
			       r->cpu_busy >= 0 ? json_object_new_double(r->cpu_busy) : NULL);
	arr = json_object_new_array();
	for (i = 0; i < r->ngroups; i++) {
		o = json_object_new_object();
		uint64_t reasons[WAIT_REASON_COUNT] = { 0 };
		size_t t;
		int k;

		add_str(o, "group", r->groups[i].group);
		add_str(o, "role", role_name((enum thread_role)r->groups[i].role));
		json_object_object_add(o, "did_work", json_object_new_boolean(r->groups[i].did_work));
		json_object_object_add(o, "threads", json_object_new_int(r->groups[i].split.threads));
		add_sizing_keys(o, &r->groups[i]);
		/* A loop cannot be given threads: it has no size (loops[] says what it does). */
		if (r->groups[i].role == ROLE_LOOP)
			json_object_object_del(o, "recommended_threads");
		if (r->occupancy)
			report_busy_json(o, &r->groups[i], &r->occupancy[i]);
		if (r->groups[i].role == ROLE_POOL) {
			struct pool_setting ps;

			group_setting(a, r->groups[i].group, &ps);
			report_setting_json(o, &r->groups[i], &ps);
		}
		for (t = 0; t < a->nthreads; t++) {
			char buf[GROUP_NAME_LEN];

			if (strcmp(thread_group(&a->threads[t], buf, sizeof(buf)), r->groups[i].group))
				continue;
			for (k = 0; k < WAIT_REASON_COUNT; k++)
				reasons[k] += a->threads[t].reason_blocked_ns[k];
		}
		json_object_object_add(o, "wait_reasons", wait_reasons_json(reasons));
		json_object_array_add(arr, o);
	}
	json_object_object_add(sizing, "groups", arr);
	json_object_object_add(root, "sizing", sizing);
	json_object_object_add(root, "loops", loops_json(r));

	arr = json_object_new_array();
	for (i = 0; i < r->ngroups; i++) {
		struct waker_stat w[8];
		char label[48];
		int k, nw = wakers_of_group(a, r->groups[i].group, w, 8);

		for (k = 0; k < nw; k++) {
			o = json_object_new_object();
			add_str(o, "group", r->groups[i].group);
			json_object_object_add(o, "waker_pid", json_object_new_int64(w[k].tgid == UINT32_MAX ? -1 : (int64_t)w[k].tgid));
			add_str(o, "waker_comm", w[k].comm);
			add_str(o, "waker", waker_label(&w[k], label, sizeof(label)));
			add_str(o, "waker_kind", w[k].tgid == UINT32_MAX ? "others" : waker_kind_name(w[k].kind));
			add_int(o, "wakeups", w[k].wakeups);
			add_int(o, "blocked_ns", w[k].blocked_ns);
			json_object_array_add(arr, o);
		}
	}
	json_object_object_add(root, "wakers", arr);

	if (r->stacks) {
		size_t k;

		arr = json_object_new_array();
		for (k = 0; k < r->stacks->n; k++) {
			const struct stack_entry *e = &r->stacks->e[k];
			json_object *frames = json_object_new_array(), *kframes = json_object_new_array();
			const char *name = syscall_name(e->nr);
			int f;

			for (f = 0; f < e->nuser; f++)
				json_object_array_add(frames, json_object_new_string(e->user_frames[f]));
			for (f = 0; f < e->nkernel; f++)
				json_object_array_add(kframes, json_object_new_string(e->kernel_frames[f]));
			o = json_object_new_object();
			add_int(o, "pid", e->tgid);
			add_str(o, "comm", e->comm);
			add_str(o, "syscall", name ? name : "?");
			add_int(o, "calls", e->count);
			add_int(o, "blocked_ns", e->blocked_ns);
			json_object_object_add(o, "user_stack", frames);
			json_object_object_add(o, "kernel_stack", kframes);
			json_object_array_add(arr, o);
		}
		json_object_object_add(root, "call_sites", arr);
	}

	/* With --interval, one document per line, for log shippers and jq. */
	rc = fprintf(out, "%s\n",
		     json_object_to_json_string_ext(root, (r->opts->interval_s > 0 ?
								   JSON_C_TO_STRING_PLAIN :
								   JSON_C_TO_STRING_PRETTY) |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return rc < 0 ? -1 : 0;
}
