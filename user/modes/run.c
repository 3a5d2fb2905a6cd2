// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The steps every mode shares: prepare, attach, start (baseline and N), close. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "procfs.h"
#include "runtime_probe.h"
#include "run.h"
#include "targets.h"
#include "util.h"

/* --hold's file is written under a temporary name and renamed: it appears whole. */
static int open_hold_file(const char *path)
{
	char tmp[4096];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void on_start_signal(int sig)
{
	(void)sig;
}

/*
 * --hold: attached; says so in the file, then waits for SIGUSR1 (or a stop).
 * The window, -d and a launched command all start after it, so that two
 * tracers that attached at different speeds (the default mode loads more
 * programs than --sched-only) see the same interval.
 */
static int hold_until_started(struct run *r, char *err, size_t errlen)
{
	const char *path = r->opts->hold;
	struct sigaction sa = { .sa_handler = on_start_signal };
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	sigset_t usr1, old;
	char tmp[4096], pid[32];
	int n, sig = -1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	/* Blocked since run_prepare: a signal sent early is kept, and opens the window now. */
	sigprocmask(SIG_BLOCK, &usr1, &old);
	sigdelset(&old, SIGUSR1);
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (write(r->hold_fd, pid, (size_t)n) != n || close(r->hold_fd) || rename(tmp, path)) {
		r->hold_fd = -1;
		snprintf(err, errlen, "cannot write --hold file '%s': %s", path, strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	r->hold_fd = -1;
	while (sig != SIGUSR1 && !*r->stop_signal)
		sig = sigtimedwait(&usr1, NULL, &tick);
	/* A later SIGUSR1 must not kill us; a handler (unlike SIG_IGN) is not inherited by exec. */
	sigaction(SIGUSR1, &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (sig != SIGUSR1) {
		snprintf(err, errlen, "stopped by signal %d while held (--hold): no report",
			 (int)*r->stop_signal);
		return -1;
	}
	return 0;
}

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
	if (o->hold) {
		sigset_t usr1;

		/* From now on a start signal waits for the hold, instead of killing us. */
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		/*
		 * Its existence will mean "attached": a stale one goes now, and
		 * a path that cannot be written fails before anything is loaded.
		 */
		if ((unlink(o->hold) && errno != ENOENT) ||
		    (r->hold_fd = open_hold_file(o->hold)) < 0) {
			snprintf(err, errlen, "cannot write --hold file '%s': %s", o->hold,
				 strerror(errno));
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
	return reorder_push(ctx, data, size);
}

static enum fd_kind fd_kind_of(void *ctx, uint32_t tgid, int fd, const struct call_record *c)
{
	struct fd_file file = { .ino = c->fd_ino, .dev = c->fd_dev, .mode = c->fd_mode };

	return fd_kinds_lookup(ctx, (pid_t)tgid, fd, &file, monotonic_ns());
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
		struct account_observer loops = { .on_call = loops_on_call,
						  .on_cut_call = loops_on_cut_call,
						  .ctx = &r->loops };

		loops_init(&r->loops, o->stall_ns);
		r->loops.sleeps_only = o->sched_only;
		account_observe(&r->acct, &loops);
	}
	/* With the syscall hooks records come in order already (reorder.h). */
	reorder_init(&r->order, o->sched_only ? REORDER_SCHED_ONLY_LAG_NS : 0, REORDER_MAX_BYTES,
		     consume_record, &r->acct);
	return tracer_open(&r->tracer, &cfg, take_record, &r->order, err, errlen);
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

/*
 * The launched command has exec'd (launch_start saw its close-on-exec pipe
 * close) and nothing of it is consumed yet: its runtime now, so that its
 * first waits are judged as a Go program's (waits.c) while it runs, not
 * only its roles at the report. Its threads seen so far (the baseline's)
 * take it too. A command that execs again (env, a shell's exec) is probed
 * as it is now, and again at the report for its roles.
 */
static void probe_launched(struct run *r)
{
	uint32_t pid = (uint32_t)r->launch.pid;
	struct process_stats *p = account_process(&r->acct, pid);
	uint8_t runtime = runtime_probe(r->launch.pid);
	size_t i;

	if (p)
		p->runtime = runtime;
	for (i = 0; i < r->acct.nthreads; i++)
		if (r->acct.threads[i].tgid == pid)
			r->acct.threads[i].runtime = runtime;
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

/*
 * Every traced thread's state, made by the task iterator. Making one can
 * fail (MISS_STORAGE) when another BPF program holds task storage on that
 * CPU; the thread would then go unseen all trace (an Apache child's main
 * thread asleep on its pipe, once in five runs of two tracers released
 * together). The iterator only makes what is missing, so it runs again
 * while a pass met a miss; the misses it made good are no loss to report.
 */
static int baseline_states(struct run *r, char *err, size_t errlen)
{
	uint64_t before;
	int pass;

	for (pass = 0; pass < 4; pass++) {
		before = tracer_misses(&r->tracer, MISS_STORAGE);
		if (tracer_snapshot(&r->tracer, SNAPSHOT_BASELINE, err, errlen))
			return -1;
		reorder_flush(&r->order);
		if (tracer_misses(&r->tracer, MISS_STORAGE) == before) {
			r->reported.storage = before;
			return 0;
		}
	}
	return 0; /* still missing: reported as threads without state */
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

	if (o->hold && hold_until_started(r, err, errlen))
		return -1;
	if (trace_targets(r, err, errlen))
		return -1;
	/* The window opens with the baseline, so no thread's is longer than the trace. */
	r->t0 = monotonic_ns();
	why_start(&r->why, r->t0, &r->tracer, o->pids, o->npids);
	/* And so does the count of how busy the target's CPUs are. */
	r->cpu.pid = o->npids ? o->pids[0] : 0;
	cpu_mark_advance(&r->cpu, &(uint64_t){ 0 }, &(uint64_t){ 0 });
	cpu_window_advance(&r->cpu_start, &r->cpu_window);
	if (baseline_states(r, err, errlen) || read_baselines(r, err, errlen))
		return -1;
	find_cores(r);
	if (o->command) {
		if (launch_start(&r->launch, o->command, err, errlen))
			return -1;
		r->launched = true;
		probe_launched(r);
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
	if (r->hold_fd > 0) {
		/* Failed before the hold: no file may say it was attached. */
		char tmp[4096];

		close(r->hold_fd);
		snprintf(tmp, sizeof(tmp), "%s.tmp", r->opts->hold);
		unlink(tmp);
	}
	r->hold_fd = -1;
	if (!r->launched)
		launch_abort(&r->launch); /* prepared, never started */
	/* The endpoint goes before the tracer: no page is served from a dead one. */
	serve_stop(r->serve);
	r->serve = NULL;
	tracer_close(&r->tracer);
	why_free(&r->why);
	loops_free(&r->loops);
	reorder_free(&r->order);
	account_free(&r->acct);
	fd_kinds_free(&r->fds);
	return rc;
}
