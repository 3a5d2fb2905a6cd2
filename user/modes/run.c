// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The steps every mode shares: prepare, attach, start (baseline and N), close. */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "procfs.h"
#include "runtime_probe.h"
#include "run.h"
#include "targets.h"
#include "util.h"

int run_prepare(struct run *r, struct options *o, volatile sig_atomic_t *stop_signal, char *err,
		size_t errlen)
{
	r->opts = o;
	r->stop_signal = stop_signal;
	r->out = stdout;
	if (o->output) {
		/* Opened first, so a bad path fails before anything is traced. */
		r->out = fopen(o->output, "we");
		if (!r->out) {
			r->out = stdout;
			snprintf(err, errlen, "cannot write '%s': %s", o->output, strerror(errno));
			return -1;
		}
	}
	if (o->cgroup) {
		if (cgroup_target_open(o->cgroup, &r->cgroup, err, errlen))
			return -1;
		if (proc_cgroup_id(getpid()) == r->cgroup.id) {
			snprintf(err, errlen,
				 "blockscope is itself in cgroup %s: run it from outside the cgroup, "
				 "or it would trace itself",
				 o->cgroup);
			return -1;
		}
	}
	if (!o->command && targets_resolve(o, err, errlen))
		return -1;
	/* Listening first: a bad address fails before anything is loaded. */
	if (o->serve) {
		r->serve = serve_start(o->serve_host, o->serve_port, o->web, r->url, sizeof(r->url),
				       err, errlen);
		if (!r->serve)
			return -1;
	}
	return 0;
}

static int take_record(void *ctx, const void *data, size_t size)
{
	return consume_record(ctx, data, size);
}

static enum fd_kind fd_kind_of(void *ctx, uint32_t tgid, int fd)
{
	return fd_kinds_lookup(ctx, (pid_t)tgid, fd, monotonic_ns());
}

int run_attach(struct run *r, char *err, size_t errlen)
{
	const struct options *o = r->opts;
	struct tracer_config cfg = {
		.cgroup_id = r->cgroup.id,
		.follow = o->follow,
		.verbose = o->verbose,
		.ring_kb = o->ring_kb,
		.stream_all = o->stream_all,
		.time_sample = o->time_sample,
		.sched_only = o->sched_only,
	};

	if (account_init(&r->acct, &o->overrides)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd_kinds_init(&r->fds);
	r->acct.fd_kind_of = fd_kind_of;
	r->acct.fd_ctx = &r->fds;
	/* The stages hook into the account and say what they need of the tracer. */
	why_setup(&r->why, o, &r->acct, &cfg);
	{
		struct account_observer loops = { .on_call = loops_on_call, .ctx = &r->loops };

		loops_init(&r->loops, o->stall_ns);
		account_observe(&r->acct, &loops);
	}
	return tracer_open(&r->tracer, &cfg, take_record, &r->acct, err, errlen);
}

static void read_base(pid_t pid, pid_t tid, void *arg)
{
	struct account *a = arg;
	struct thread_counters c;
	struct thread_stats *t;

	if (proc_thread_counters(pid, tid, &c))
		return; /* gone already: its exit record will say so */
	account_set_base(a, (uint32_t)tid, (uint32_t)pid, &c);
	t = account_find_thread(a, (uint32_t)tid);
	if (t && !t->comm[0])
		proc_comm(pid, tid, t->comm, sizeof(t->comm));

}

/* Puts each target in the kernel's traced set and names its process entry. */
static int trace_targets(struct run *r, char *err, size_t errlen)
{
	struct options *o = r->opts;
	pid_t parent;
	int i;

	if (o->cgroup && targets_add_cgroup(o, r->cgroup.path, err, errlen))
		return -1;
	if (o->command) {
		if (launch_prepare(&r->launch, o->command, err, errlen))
			return -1;
		o->pids[o->npids++] = r->launch.pid;
	}
	for (i = 0; i < o->npids; i++) {
		struct process_stats *p = account_process(&r->acct, (uint32_t)o->pids[i]);

		if (tracer_trace_process(&r->tracer, o->pids[i], o->command != NULL)) {
			snprintf(err, errlen, "cannot add process %d to the traced set: %s",
				 o->pids[i], strerror(errno));
			return -1;
		}
		if (p) {
			if (o->command)
				snprintf(p->comm, sizeof(p->comm), "%s", basename(o->command[0]));
			else
				proc_comm(o->pids[i], 0, p->comm, sizeof(p->comm));
			/*
			 * Its runtime, before its threads' first waits are judged
			 * (waits.c). A command launched here is still blockscope
			 * until it execs: it is probed at the report (roles only).
			 */
			if (!o->command)
				p->runtime = runtime_probe(o->pids[i]);
			/* A master and its workers, told apart by roles.c. */
			parent = o->command ? -1 : proc_parent_of(o->pids[i]);
			if (parent > 0)
				p->parent_tgid = (uint32_t)parent;
		}
	}
	return 0;
}

/* Each thread's counters when the window opens (a launched command's are zero). */
static int read_baselines(struct run *r, char *err, size_t errlen)
{
	const struct options *o = r->opts;
	int i;

	for (i = 0; i < o->npids; i++) {
		if (o->command) {
			struct thread_counters zero = { 0 };
			uint32_t pid = (uint32_t)r->launch.pid;
			struct thread_stats *t = account_thread(&r->acct, pid, pid);

			account_set_base(&r->acct, pid, pid, &zero);
			if (t)
				t->born = true;
		} else if (proc_for_each_thread(o->pids[i], read_base, &r->acct) < 0 && !o->cgroup &&
			   i < o->npids_given) {
			/*
			 * A cgroup's processes, or those found by name or as
			 * descendants, may come and go: a gone one is no error.
			 */
			snprintf(err, errlen, "process %d exited before tracing began", o->pids[i]);
			return -1;
		}
	}
	return 0;
}

/* N of the sizing formula, and where it came from. */
static void find_cores(struct run *r)
{
	const struct options *o = r->opts;
	struct report *rep = &r->report;

	rep->cores = o->cores;
	rep->cores_source = "--cores";
	r->cores_given = o->cores > 0;
	if (!o->cores && o->cgroup) {
		rep->cores = cgroup_usable_cpus(r->cgroup.path);
		rep->cores_source = "the cgroup's cpu.max and cpuset.cpus.effective";
		if (rep->cores <= 0 && o->npids) {
			/* A hybrid host: the cpu controller is bound to cgroup v1. */
			rep->cores = proc_usable_cpus(o->pids[0]);
			rep->cores_source = "its first process's CPU affinity and cpu quota (the "
					    "cgroup v2 hierarchy has no cpu controller here)";
		}
	} else if (!o->cores) {
		rep->cores = proc_usable_cpus(o->pids[0]);
		rep->cores_source = "the target's CPU affinity and cgroup cpu.max";
	}
	if (rep->cores <= 0) {
		rep->cores = (double)sysconf(_SC_NPROCESSORS_ONLN);
		rep->cores_source = "online CPUs";
	}
}

int run_start(struct run *r, char *err, size_t errlen)
{
	struct options *o = r->opts;
	struct session *s = &r->session;

	if (trace_targets(r, err, errlen))
		return -1;
	/* The window opens with the baseline, so no thread's is longer than the trace. */
	r->t0 = monotonic_ns();
	why_start(&r->why, r->t0, &r->tracer, o->pids, o->npids);
	/* And so does the count of how busy the target's CPUs are. */
	r->cpu.pid = o->npids ? o->pids[0] : 0;
	cpu_mark_advance(&r->cpu, &(uint64_t){ 0 }, &(uint64_t){ 0 });
	cpu_window_advance(&r->cpu_start, &r->cpu_window);
	if (tracer_snapshot(&r->tracer, SNAPSHOT_BASELINE, err, errlen) ||
	    read_baselines(r, err, errlen))
		return -1;
	find_cores(r);
	if (o->command) {
		if (launch_start(&r->launch, o->command, err, errlen))
			return -1;
		r->launched = true;
	}
	s->tracer = &r->tracer;
	s->acct = &r->acct;
	s->targets = o->pids;
	s->ntargets = o->npids;
	s->child = o->command ? r->launch.pid : 0;
	s->deadline_ns = o->duration_s > 0 ? r->t0 + (uint64_t)(o->duration_s * 1e9) : 0;
	s->stop_signal = r->stop_signal;
	s->start_ns = s->last_progress_ns = r->t0;
	/* Long fixed runs say they are alive, where a person is watching. */
	s->progress = !o->top && !o->serve && o->duration_s >= 5 && isatty(STDERR_FILENO);
	/* A cgroup may get new processes, and a scraper wants the endpoint up. */
	s->until_stopped = o->cgroup || o->serve;
	r->report.acct = &r->acct;
	r->report.opts = o;
	return 0;
}

int run_close(struct run *r, char *err, size_t errlen)
{
	int rc = 0;

	if (r->out && r->out != stdout && fclose(r->out) == EOF) {
		snprintf(err, errlen, "cannot write the report: %s", strerror(errno));
		rc = -1;
	}
	r->out = stdout;
	if (!r->launched)
		launch_abort(&r->launch); /* prepared, never started */
	/* The endpoint goes before the tracer: no page is served from a dead one. */
	serve_stop(r->serve);
	r->serve = NULL;
	tracer_close(&r->tracer);
	why_free(&r->why);
	loops_free(&r->loops);
	account_free(&r->acct);
	fd_kinds_free(&r->fds);
	return rc;
}
