// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The modes: each consumes records until a stop, and closes a window
 * (the whole trace, or one interval) into a report, a screen or a page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "exporter.h"
#include "modes.h"
#include "occupancy.h"
#include "roles.h"
#include "runtime_probe.h"
#include "procfs.h"
#include "sizing.h"
#include "top.h"
#include "util.h"

/* How a closed window is shown. */
typedef int (*render_fn)(FILE *out, const struct report *rep, bool final);

/*
 * The kernel's last word on every thread of a window: the iterator's
 * snapshot, schedstat (which includes the running slice that the task's
 * counters do not yet), what is left in the ring.
 */
static int close_window(struct run *r, bool final, char *err, size_t errlen)
{
	struct thread_counters c;
	size_t i;

	if (tracer_snapshot(&r->tracer, final ? SNAPSHOT_FINAL : SNAPSHOT_INTERVAL, err, errlen))
		return -1;
	/* Everything of the window into the account before it is read. */
	reorder_flush(&r->order);
	for (i = 0; i < r->acct.nthreads; i++) {
		struct thread_stats *t = &r->acct.threads[i];

		if (t->exited || !t->tid)
			continue;
		if (proc_thread_counters((pid_t)t->tgid, (pid_t)t->tid, &c) == 0)
			account_set_end(&r->acct, t->tid, &c);
	}
	tracer_drain(&r->tracer);
	reorder_flush(&r->order);
	/* What runtime each new process runs, for roles.c (a Go program's threads are its Ms). */
	for (i = 0; i < r->acct.nprocesses; i++) {
		struct process_stats *p = &r->acct.processes[i];

		if (p->runtime == RUNTIME_UNPROBED)
			p->runtime = p->went ? RUNTIME_NATIVE : runtime_probe((pid_t)p->tgid);
		/* A launched env or shell may have exec'd the runtime since (probe_launched). */
		else if (r->launched && p->tgid == (uint32_t)r->launch.pid && !p->went &&
			 p->runtime == RUNTIME_NATIVE) {
			p->runtime = runtime_probe((pid_t)p->tgid);
			p->settings_read = false; /* and its command line with it */
		}
		/* Where its pool settings are set (setting.c), once a process, as it was started. */
		if (!p->settings_read && !p->went &&
		    runtime_settings((pid_t)p->tgid, p->settings_env, p->settings_cmdline,
				     sizeof(p->settings_env)) == 0)
			p->settings_read = true;
		/* Node.js: where its images' statics are, for roles.c (V8's workers, libuv's pool). */
		if (p->runtime == RUNTIME_NODE && !p->went)
			p->nstatics = (uint8_t)runtime_statics((pid_t)p->tgid, p->statics,
							       PROCESS_STATIC_RANGES);
	}
	if (final)
		account_finish(&r->acct);
	return 0;
}

/* How busy the target's CPUs were since the last call (-1 if unknown); starts the next window. */
static double window_cpu_busy(struct cpu_mark *cpu)
{
	uint64_t busy, total;

	if (cpu_mark_advance(cpu, &busy, &total) || !total)
		return -1;
	return busy >= total ? 1 : (double)busy / (double)total;
}

/* The window's share of the kernel's misses: they are counted from the start. */
static void take_misses(struct run *r)
{
	struct tracer_misses now;
	struct report *rep = &r->report;

	tracer_read_misses(&r->tracer, &now);
	rep->lost = now.lost - r->reported.lost;
	rep->lost_calls = now.lost_calls - r->reported.lost_calls;
	rep->storage_misses = now.storage - r->reported.storage;
	rep->tgid_misses = now.tgid - r->reported.tgid;
	rep->snapshot_races = now.owner - r->reported.owner;
	rep->user_return_unseen = now.user_return_unseen;
	rep->records_late = r->order.late - r->reported_late;
	r->reported = now;
	r->reported_late = r->order.late;
}

/* Each sized group's demand beside its size (occupancy.c). */
static int group_occupancy(struct report *rep)
{
	size_t i;

	rep->occupancy = calloc(rep->ngroups ? rep->ngroups : 1, sizeof(*rep->occupancy));
	if (!rep->occupancy)
		return -1;
	for (i = 0; i < rep->ngroups; i++)
		if (occupancy_of_group(rep->acct, rep->groups[i].group, &rep->occupancy[i])) {
			free(rep->occupancy);
			rep->occupancy = NULL;
			return -1;
		}
	return 0;
}

/* Closes the window, sizes it and renders it. */
static int write_report(struct run *r, enum stop_reason why, render_fn render, char *err,
			size_t errlen)
{
	struct report *rep = &r->report;
	const struct options *o = r->opts;
	bool final = why != STOP_INTERVAL;
	int rc;

	if (close_window(r, final, err, errlen))
		return -1;
	if (final && why_finish(&r->why, o, &r->tracer, &r->acct, monotonic_ns(), err, errlen))
		return -1;
	rep->stacks = final && r->why.stacks_on ? &r->why.stacks : NULL;
	take_misses(r);
	rep->stop_reason = final ? consume_stop_text(why, *r->stop_signal) : "interval";
	rep->cpu_busy = window_cpu_busy(&r->cpu);
	cpu_window_advance(&r->cpu_start, &r->cpu_window);
	roles_assign(&r->acct);
	loops_mark(&r->loops, &r->acct);
	rep->loops = &r->loops;
	if (sizing_by_group_cpus(&r->acct, rep->cores, r->cores_given, o->utilization,
				 rep->cpu_busy, &r->cpu_window, &rep->total, &rep->groups,
				 &rep->ngroups)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (group_occupancy(rep)) {
		free(rep->groups);
		rep->groups = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = render(r->out, rep, final);
	free(rep->groups);
	rep->groups = NULL;
	free(rep->occupancy);
	rep->occupancy = NULL;
	if (rep->lost)
		fprintf(stderr, "blockscope: warning: %llu records were lost (ring buffer full; %llu "
				"non-blocking calls among them): counts are low\n",
			(unsigned long long)rep->lost, (unsigned long long)rep->lost_calls);
	if (rc || fflush(r->out) == EOF) {
		snprintf(err, errlen, "cannot write the report: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int render_report(FILE *out, const struct report *rep, bool final)
{
	(void)final;
	if (rep->opts->json)
		return report_json(out, rep);
	report_text(out, rep);
	return 0;
}

static int render_top(FILE *out, const struct report *rep, bool final)
{
	struct winsize ws;

	/* A live view ends with the screen as it was. */
	if (!final)
		top_draw(out, rep, ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_row : 40);
	return 0;
}

static enum stop_reason consume(struct run *r, uint64_t next_report_ns, char *err, size_t errlen)
{
	enum stop_reason why;

	r->session.next_report_ns = next_report_ns;
	why = consume_until_stop(&r->session);
	if (r->session.progress)
		fputs("\r\033[K", stderr);
	if (why == STOP_ERROR)
		snprintf(err, errlen, "reading the ring buffer failed: %s", strerror(errno));
	return why;
}

/* Windows of interval_s (0: one window, the whole trace), each closed into a report. */
static int report_windows(struct run *r, double interval_s, render_fn render, char *err,
			  size_t errlen)
{
	for (;;) {
		uint64_t start = monotonic_ns();
		enum stop_reason why;

		why = consume(r, interval_s > 0 ? start + (uint64_t)(interval_s * 1e9) : 0, err,
			      errlen);
		if (why == STOP_ERROR)
			return -1;
		r->report.start_ns = interval_s > 0 ? start : r->t0;
		r->report.duration_ns = monotonic_ns() - r->report.start_ns;
		if (interval_s > 0)
			r->report.interval++;
		if (write_report(r, why, render, err, errlen))
			return -1;
		if (why != STOP_INTERVAL)
			return 0;
		account_start_interval(&r->acct);
		loops_reset(&r->loops);
	}
}

int mode_once(struct run *r, char *err, size_t errlen)
{
	return report_windows(r, 0, render_report, err, errlen);
}

int mode_intervals(struct run *r, char *err, size_t errlen)
{
	return report_windows(r, r->opts->interval_s, render_report, err, errlen);
}

int mode_top(struct run *r, char *err, size_t errlen)
{
	int rc;

	if (!top_begin()) {
		snprintf(err, errlen, "--top needs a terminal on stdin");
		return -1;
	}
	r->session.quit_pressed = top_quit_pressed;
	rc = report_windows(r, r->opts->interval_s, render_top, err, errlen);
	top_end();
	return rc;
}

/* Renders the exporter's totals and hands both formats to the endpoint. */
static int publish(struct exporter *ex, struct serve *srv)
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

/*
 * One second of the account into the exporter's totals, a new page for
 * /metrics, and the account starts the next second from zero.
 */
static int refresh_metrics(struct run *r, struct exporter *ex, uint64_t *records, char *err,
			   size_t errlen)
{
	uint64_t busy, total;

	if (close_window(r, false, err, errlen))
		return -1;
	*records += r->acct.records;
	cpu_mark_advance(&r->cpu, &busy, &total); /* both 0: unknown this second */
	exporter_cpu(ex, busy, total);
	cpu_window_advance(&r->cpu_start, &r->cpu_window);
	exporter_cpu_window(ex, &r->cpu_window);
	roles_assign(&r->acct);
	loops_mark(&r->loops, &r->acct);
	if (exporter_update(ex, &r->acct, tracer_misses(&r->tracer, MISS_RINGBUF)) ||
	    exporter_loops(ex, &r->loops, &r->acct) || publish(ex, r->serve)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	account_start_interval(&r->acct);
	loops_reset(&r->loops);
	return 0;
}

/* --serve's duty cycle: whether the syscall hooks are on in second k of the trace. */
static bool hooks_wanted(const struct options *o, uint64_t k)
{
	if (!o->sched_only)
		return true;
	return o->hooks_period_s && k % (uint64_t)o->hooks_period_s < (uint64_t)o->hooks_on_s;
}

/*
 * Second k ends: the hooks go off before its snapshot (so that what they
 * counted is in it) and come on after, for second k + 1; the exporter
 * scales what a second with the hooks on counted.
 */
static int refresh_duty(struct run *r, struct exporter *ex, uint64_t k, uint64_t *records,
			char *err, size_t errlen)
{
	bool was_on = r->tracer.hooks_on, next_on = hooks_wanted(r->opts, k + 1);

	if (!next_on && tracer_syscall_hooks(&r->tracer, false, err, errlen))
		return -1;
	exporter_sampled(ex, was_on);
	if (refresh_metrics(r, ex, records, err, errlen))
		return -1;
	return next_on ? tracer_syscall_hooks(&r->tracer, true, err, errlen) : 0;
}

static int serve_until_stop(struct run *r, struct exporter *ex, char *err, size_t errlen)
{
	uint64_t next = r->t0, records = 0, k = 0;
	enum stop_reason why;

	if (publish(ex, r->serve)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fprintf(stderr, "blockscope: serving %s\n", r->url);
	for (;;) {
		uint64_t now = monotonic_ns();

		/* Every second on the second; a slow refresh skips, never bunches. */
		next += 1000000000ull;
		if (next <= now)
			next = now + 1000000000ull - (now - r->t0) % 1000000000ull;
		why = consume(r, next, err, errlen);
		if (why == STOP_ERROR)
			return -1;
		if (why != STOP_INTERVAL)
			break;
		if (refresh_duty(r, ex, k++, &records, err, errlen))
			return -1;
	}
	fprintf(stderr, "blockscope: served %s for %.1f s (%s): %llu scrapes, %llu records, %llu lost\n",
		r->url, (double)(monotonic_ns() - r->t0) / 1e9,
		consume_stop_text(why, *r->stop_signal), (unsigned long long)serve_scrapes(r->serve),
		(unsigned long long)(records + r->acct.records),
		(unsigned long long)tracer_misses(&r->tracer, MISS_RINGBUF));
	return 0;
}

int mode_serve(struct run *r, char *err, size_t errlen)
{
	const struct options *o = r->opts;
	struct exporter ex;
	int rc;

	if (exporter_init(&ex, o->window_s, r->report.cores, r->cores_given, o->utilization,
			  (int)sysconf(_SC_NPROCESSORS_CONF))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Always (period 0), never (on 0), or on_s of every period_s seconds. */
	exporter_hooks(&ex, o->sched_only ? o->hooks_on_s : 0,
		       !o->sched_only ? 0 : o->hooks_period_s ? o->hooks_period_s : 1);
	/* Second 0 of the duty cycle: the hooks come on with the endpoint. */
	rc = hooks_wanted(r->opts, 0) ? tracer_syscall_hooks(&r->tracer, true, err, errlen) : 0;
	if (!rc)
		rc = serve_until_stop(r, &ex, err, errlen);
	exporter_free(&ex);
	return rc;
}
