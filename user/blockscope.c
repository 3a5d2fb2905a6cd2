// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * blockscope: which calls of a process block, where its threads' time goes,
 * and how many threads its pool should have. This file only orchestrates:
 * parse, attach, consume, account, size, report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <libgen.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "account.h"
#include "attach.h"
#include "consume.h"
#include "exporter.h"
#include "launch.h"
#include "options.h"
#include "procfs.h"
#include "report.h"
#include "serve.h"
#include "webconfig.h"
#include "sizing.h"
#include "top.h"
#include "why.h"

static volatile sig_atomic_t stop_signal;
/* Call sites and timelines, closed with the final report. */
static struct why sites;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must cut the poll short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

__attribute__((format(printf, 1, 2))) static void error_line(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "blockscope: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

/* schedstat includes the running slice that the task's counters do not yet. */
static void read_end_counters(struct account *a)
{
	struct thread_counters c;
	size_t i;

	for (i = 0; i < a->nthreads; i++) {
		struct thread_stats *t = &a->threads[i];

		if (!t->exited && proc_thread_counters((pid_t)t->tgid, (pid_t)t->tid, &c) == 0)
			account_set_end(a, t->tid, &c);
	}
}

/*
 * The kernel's last word on every thread of a window (the whole trace, or
 * one interval): the iterator's snapshot, schedstat, what is left in the ring.
 */
static int close_window(struct tracer *tracer, struct account *acct, bool final, char *err,
			size_t errlen)
{
	if (tracer_snapshot(tracer, final ? SNAPSHOT_FINAL : SNAPSHOT_INTERVAL, err, errlen))
		return -1;
	read_end_counters(acct);
	tracer_drain(tracer);
	if (final)
		account_finish(acct);
	return 0;
}

static void add_target(struct options *o, pid_t tgid)
{
	int i;

	for (i = 0; i < o->npids; i++)
		if (o->pids[i] == tgid)
			return;
	if (o->npids < MAX_TARGET_PIDS)
		o->pids[o->npids++] = tgid;
}

static void add_named(pid_t pid, void *arg)
{
	if (getpid() != pid)
		add_target(arg, pid);
}

static void add_descendants(pid_t pid, void *arg)
{
	add_target(arg, pid);
	proc_for_each_child(pid, add_descendants, arg);
}

static void add_cgroup_member(pid_t pid, void *arg)
{
	if (getpid() != pid)
		add_target(arg, pid);
}

/* How busy the target's CPUs were since the last call (-1 if unknown); starts the next window. */
static double window_cpu_busy(struct cpu_mark *cpu)
{
	uint64_t busy, total;

	if (cpu_mark_advance(cpu, &busy, &total) || !total)
		return -1;
	return busy >= total ? 1 : (double)busy / (double)total;
}

/*
 * --serve: one second of the account into the exporter's totals, a new page
 * for /metrics, and the account starts the next second from zero.
 */
static int refresh_metrics(struct tracer *tracer, struct account *acct, struct exporter *ex,
			   struct cpu_mark *cpu, struct serve *srv, uint64_t *records, char *err,
			   size_t errlen)
{
	char *text = NULL, *om = NULL;
	size_t len = 0, omlen = 0;
	uint64_t busy, total;

	if (close_window(tracer, acct, false, err, errlen))
		return -1;
	*records += acct->records;
	cpu_mark_advance(cpu, &busy, &total); /* both 0: unknown this second */
	exporter_cpu(ex, busy, total);
	if (exporter_update(ex, acct, tracer_misses(tracer, MISS_RINGBUF)) ||
	    exporter_render(ex, METRICS_PROMETHEUS, &text, &len) ||
	    exporter_render(ex, METRICS_OPENMETRICS, &om, &omlen)) {
		free(text);
		free(om);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	serve_publish(srv, text, len, om, omlen);
	account_start_interval(acct);
	return 0;
}

static int publish_empty(struct exporter *ex, struct serve *srv)
{
	char *text = NULL, *om = NULL;
	size_t len = 0, omlen = 0;

	if (exporter_render(ex, METRICS_PROMETHEUS, &text, &len) ||
	    exporter_render(ex, METRICS_OPENMETRICS, &om, &omlen)) {
		free(text);
		free(om);
		return -1;
	}
	serve_publish(srv, text, len, om, omlen);
	return 0;
}

/* Turns -p, -n and --children into a list of distinct TGIDs. */
/*
 * Closes the window (the whole trace, or one interval): the kernel's last
 * word on every thread, then sizing and the report. Misses are counted
 * in the kernel from the start, so each report gets its share of them.
 */
static int write_report(struct tracer *tracer, struct report *report, enum stop_reason why,
			FILE *out, char *err, size_t errlen)
{
	struct account *acct = (struct account *)report->acct;
	const struct options *o = report->opts;
	bool final = why != STOP_INTERVAL;
	uint64_t lost, lost_calls, storage, tgid;
	int rc;

	if (close_window(tracer, acct, final, err, errlen))
		return -1;
	if (final && why_finish(&sites, o, tracer, acct, monotonic_ns(), err, errlen))
		return -1;
	report->stacks = final && sites.stacks_on ? &sites.stacks : NULL;
	lost = tracer_misses(tracer, MISS_RINGBUF);
	storage = tracer_misses(tracer, MISS_STORAGE);
	tgid = tracer_misses(tracer, MISS_TGID_MAP);
	lost_calls = tracer_misses(tracer, MISS_AGG_CALLS);
	report->lost = lost - report->lost_before;
	report->lost_calls = lost_calls - report->lost_calls_before;
	report->lost_calls_before = lost_calls;
	report->storage_misses = storage - report->storage_before;
	report->tgid_misses = tgid - report->tgid_before;
	report->lost_before = lost;
	report->storage_before = storage;
	report->tgid_before = tgid;
	report->stop_reason = final ? stop_reason_text(why, stop_signal) : "interval";
	acct->lost = report->lost;
	report->cpu_busy = window_cpu_busy(&report->cpu);
	if (sizing_by_group(acct, report->cores, o->utilization, report->cpu_busy, &report->total,
			    &report->groups, &report->ngroups)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (o->top && !final) {
		struct winsize ws;

		top_draw(out, report, ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_row : 40);
		rc = 0;
	} else if (o->top) {
		rc = 0; /* a live view ends with the screen as it was */
	} else {
		rc = o->json ? report_json(out, report) : (report_text(out, report), 0);
	}
	free(report->groups);
	report->groups = NULL;
	if (report->lost)
		error_line("warning: %llu records were lost (ring buffer full; %llu non-blocking "
			   "calls among them): counts are low",
			   (unsigned long long)report->lost, (unsigned long long)report->lost_calls);
	if (rc || fflush(out) == EOF) {
		snprintf(err, errlen, "cannot write the report: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int resolve_targets(struct options *o)
{
	pid_t given[MAX_TARGET_PIDS];
	int i, n = o->npids;

	memcpy(given, o->pids, sizeof(given));
	o->npids = 0;
	for (i = 0; i < n; i++) {
		pid_t tgid = proc_tgid_of(given[i]);

		if (tgid < 0) {
			error_line("no such process: %d", given[i]);
			return -1;
		}
		add_target(o, tgid);
	}
	o->npids_given = o->npids;
	for (i = 0; i < o->nnames; i++)
		if (proc_for_each_named(o->names[i], add_named, o) <= 0) {
			error_line("no process named '%s'", o->names[i]);
			return -1;
		}
	if (o->children) {
		n = o->npids;
		for (i = 0; i < n; i++)
			proc_for_each_child(o->pids[i], add_descendants, o);
	}
	if (o->npids == MAX_TARGET_PIDS)
		error_line("warning: tracing only the first %d processes", MAX_TARGET_PIDS);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct account acct;
	struct tracer tracer;
	struct tracer_config cfg = { 0 };
	struct cgroup_target cg = { 0 };
	struct exporter ex;
	bool have_exporter = false;
	struct serve *srv = NULL;
	char url[400] = "";
	uint64_t served_records = 0;
	struct launch launch = { .pid = -1 };
	struct session session = { 0 };
	struct report report = { 0 };
	enum stop_reason why;
	char err[512];
	uint64_t t0;
	FILE *out = stdout;
	int i, rc = 1;

	options_parse(argc, argv, &o);
	if (o.output) {
		/* Opened first, so a bad path fails before anything is traced. */
		out = fopen(o.output, "we");
		if (!out) {
			error_line("cannot write '%s': %s", o.output, strerror(errno));
			return 1;
		}
	}
	if (o.cgroup) {
		if (cgroup_target_open(o.cgroup, &cg, err, sizeof(err))) {
			error_line("%s", err);
			return 1;
		}
		if (proc_cgroup_id(getpid()) == cg.id) {
			error_line("blockscope is itself in cgroup %s: run it from outside the cgroup, "
				   "or it would trace itself",
				   o.cgroup);
			return 1;
		}
	}
	if (!o.command && resolve_targets(&o))
		return 1;
	/* Listening first: a bad address fails before anything is loaded. */
	if (o.serve) {
		srv = serve_start(o.serve_host, o.serve_port, o.web, url, sizeof(url), err,
				  sizeof(err));
		if (!srv) {
			error_line("%s", err);
			return 1;
		}
	}
	if (account_init(&acct, &o.overrides)) {
		error_line("out of memory");
		serve_stop(srv);
		return 1;
	}
	cfg.cgroup_id = cg.id;
	cfg.follow = o.follow;
	cfg.verbose = o.verbose;
	cfg.ring_kb = o.ring_kb;
	cfg.stream_all = o.stream_all;
	cfg.time_sample = o.time_sample;
	why_setup(&sites, &o, &acct, &cfg);
	if (tracer_open(&tracer, &cfg, consume_record, &acct, err, sizeof(err))) {
		error_line("%s", err);
		account_free(&acct);
		serve_stop(srv);
		return 1;
	}
	install_signals();
	/*
	 * --cgroup: its processes now, like -p. Threads that join later are
	 * adopted by the kernel side at their first syscall.
	 */
	if (o.cgroup) {
		int before = o.npids;

		if (cgroup_for_each_proc(cg.path, add_cgroup_member, &o) < 0) {
			error_line("cannot read %s/cgroup.procs: %s", cg.path, strerror(errno));
			goto out;
		}
		for (i = before; i < o.npids; i++)
			if (proc_tgid_of(o.pids[i]) < 0)
				o.pids[i--] = o.pids[--o.npids]; /* gone already */
	}
	if (o.command) {
		if (launch_prepare(&launch, o.command, err, sizeof(err))) {
			error_line("%s", err);
			goto out;
		}
		o.pids[o.npids++] = launch.pid;
	}
	for (i = 0; i < o.npids; i++) {
		struct process_stats *p = account_process(&acct, (uint32_t)o.pids[i]);

		if (tracer_trace_process(&tracer, o.pids[i], o.command != NULL)) {
			error_line("cannot add process %d to the traced set: %s", o.pids[i],
				   strerror(errno));
			goto out;
		}
		if (p) {
			if (o.command)
				snprintf(p->comm, sizeof(p->comm), "%s", basename(o.command[0]));
			else
				proc_comm(o.pids[i], 0, p->comm, sizeof(p->comm));
		}
	}
	/* The window opens with the baseline, so no thread's is longer than the trace. */
	t0 = monotonic_ns();
	why_start(&sites, t0);
	/* And so does the count of how busy the target's CPUs are. */
	report.cpu.pid = o.npids ? o.pids[0] : 0;
	window_cpu_busy(&report.cpu);
	if (tracer_snapshot(&tracer, SNAPSHOT_BASELINE, err, sizeof(err))) {
		error_line("%s", err);
		goto out;
	}
	/* A launched command is traced from birth: its base is zero. */
	for (i = 0; i < o.npids; i++) {
		if (o.command) {
			struct thread_counters zero = { 0 };
			struct thread_stats *t = account_thread(&acct, (uint32_t)launch.pid,
							       (uint32_t)launch.pid);

			account_set_base(&acct, (uint32_t)launch.pid, (uint32_t)launch.pid, &zero);
			if (t)
				t->born = true;
		} else if (proc_for_each_thread(o.pids[i], read_base, &acct) < 0 && !o.cgroup &&
			   i < o.npids_given) {
			/*
			 * A cgroup's processes, or those found by name or as
			 * descendants, may come and go: a gone one is no error.
			 */
			error_line("process %d exited before tracing began", o.pids[i]);
			goto out;
		}
	}
	report.cores = o.cores;
	report.cores_source = "--cores";
	if (!o.cores && o.cgroup) {
		report.cores = cgroup_usable_cpus(cg.path);
		report.cores_source = "the cgroup's cpu.max and cpuset.cpus.effective";
		if (report.cores <= 0 && o.npids) {
			/* A hybrid host: the cpu controller is bound to cgroup v1. */
			report.cores = proc_usable_cpus(o.pids[0]);
			report.cores_source = "its first process's CPU affinity and cpu quota (the "
					      "cgroup v2 hierarchy has no cpu controller here)";
		}
	} else if (!o.cores) {
		report.cores = proc_usable_cpus(o.pids[0]);
		report.cores_source = "the target's CPU affinity and cgroup cpu.max";
	}
	if (report.cores <= 0) {
		report.cores = (double)sysconf(_SC_NPROCESSORS_ONLN);
		report.cores_source = "online CPUs";
	}
	if (o.command && launch_start(&launch, o.command, err, sizeof(err))) {
		error_line("%s", err);
		goto out;
	}

	session.tracer = &tracer;
	session.acct = &acct;
	session.targets = o.pids;
	session.ntargets = o.npids;
	session.child = o.command ? launch.pid : 0;
	session.deadline_ns = o.duration_s > 0 ? t0 + (uint64_t)(o.duration_s * 1e9) : 0;
	session.stop_signal = &stop_signal;
	session.start_ns = session.last_progress_ns = t0;
	/* Long fixed runs say they are alive, where a person is watching. */
	session.progress = !o.top && !o.serve && o.duration_s >= 5 && isatty(STDERR_FILENO);
	/* A cgroup may get new processes, and a scraper wants the endpoint up. */
	session.until_stopped = o.cgroup || o.serve;
	report.acct = &acct;
	report.opts = &o;
	if (o.top) {
		if (!top_begin()) {
			error_line("--top needs a terminal on stdin");
			goto out;
		}
		session.quit_pressed = top_quit_pressed;
	}
	if (o.serve) {
		uint64_t next = t0;

		if (exporter_init(&ex, o.window_s, report.cores, o.utilization)) {
			error_line("out of memory");
			goto out;
		}
		have_exporter = true;
		if (publish_empty(&ex, srv)) {
			error_line("out of memory");
			goto out;
		}
		fprintf(stderr, "blockscope: serving %s\n", url);
		for (;;) {
			uint64_t now = monotonic_ns();

			/* Every second on the second; a slow refresh skips, never bunches. */
			next += 1000000000ull;
			if (next <= now)
				next = now + 1000000000ull - (now - t0) % 1000000000ull;
			session.next_report_ns = next;
			why = consume_until_stop(&session);
			if (why == STOP_ERROR) {
				error_line("reading the ring buffer failed: %s", strerror(errno));
				goto out;
			}
			if (why != STOP_INTERVAL)
				break;
			if (refresh_metrics(&tracer, &acct, &ex, &report.cpu, srv, &served_records,
					    err, sizeof(err))) {
				error_line("%s", err);
				goto out;
			}
		}
		fprintf(stderr, "blockscope: served %s for %.1f s (%s): %llu scrapes, %llu records, %llu lost\n",
			url, (double)(monotonic_ns() - t0) / 1e9, stop_reason_text(why, stop_signal),
			(unsigned long long)serve_scrapes(srv),
			(unsigned long long)(served_records + acct.records),
			(unsigned long long)tracer_misses(&tracer, MISS_RINGBUF));
		rc = 0;
		goto out;
	}
	for (;;) {
		uint64_t start = monotonic_ns();

		session.next_report_ns = o.interval_s > 0 ? start + (uint64_t)(o.interval_s * 1e9) : 0;
		why = consume_until_stop(&session);
		if (session.progress)
			fputs("\r\033[K", stderr);
		if (why == STOP_ERROR) {
			error_line("reading the ring buffer failed: %s", strerror(errno));
			goto out;
		}
		report.duration_ns = monotonic_ns() - (o.interval_s > 0 ? start : t0);
		if (o.interval_s > 0)
			report.interval++;
		if (write_report(&tracer, &report, why, out, err, sizeof(err))) {
			error_line("%s", err);
			goto out;
		}
		if (why != STOP_INTERVAL)
			break;
		account_start_interval(&acct);
	}
	rc = 0;
	if (out != stdout && fclose(out) == EOF) {
		error_line("cannot write the report: %s", strerror(errno));
		rc = 1;
	}
	out = stdout;
out:
	top_end();
	if (out != stdout)
		fclose(out);
	if (launch.pid > 0 && session.child == 0)
		launch_abort(&launch); /* prepared, never started */
	/* The endpoint goes before the tracer: no page is served from a dead one. */
	serve_stop(srv);
	webconfig_free(o.web);
	if (have_exporter)
		exporter_free(&ex);
	tracer_close(&tracer);
	why_free(&sites);
	account_free(&acct);
	return rc;
}
