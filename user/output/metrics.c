// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The text of /metrics, from plain numbers (metrics.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"

const char *const metrics_warning_names[WARN_COUNT] = {
    [WARN_RUNQUEUE_SATURATED] = "runqueue_saturated",
    [WARN_LOCK_CONTENTION] = "lock_contention",
    [WARN_TOO_LITTLE_CPU] = "too_little_cpu",
};

/* Length of the UTF-8 sequence at s (1 to 4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

size_t metrics_escape_label(const char *in, char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if (!len)
		return 0;
	while (*s) {
		char esc[2] = {0};
		size_t n = utf8_len(s), need;

		if (*s == '\\' || *s == '"' || *s == '\n') {
			esc[0] = '\\';
			esc[1] = *s == '\n' ? 'n' : (char)*s;
			need = 2;
		} else {
			need = n ? n : 1;
		}
		if (o + need >= len)
			break;
		if (esc[0])
			memcpy(out + o, esc, 2);
		else if (n)
			memcpy(out + o, s, n);
		else
			out[o] = '?';
		o += need;
		s += n ? n : 1;
	}
	out[o] = '\0';
	return o;
}

/* # HELP and # TYPE; OpenMetrics names a counter's family without _total. */
static void family(FILE *f, enum metrics_format fmt, const char *name, const char *type,
		   const char *help)
{
	int n = (int)strlen(name);

	if (fmt == METRICS_OPENMETRICS && strcmp(type, "counter") == 0 && n > 6 &&
	    strcmp(name + n - 6, "_total") == 0)
		n -= 6;
	fprintf(f, "# HELP %.*s %s\n# TYPE %.*s %s\n", n, name, help, n, name, type);
}

/* name{k1="v1",k2="v2",...}: labels as pairs, ended by NULL. */
static void series(FILE *f, const char *name, ...)
{
	const char *k;
	va_list ap;
	int i = 0;

	fputs(name, f);
	va_start(ap, name);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		char esc[512];

		metrics_escape_label(v, esc, sizeof(esc));
		fprintf(f, "%s%s=\"%s\"", i++ ? "," : "{", k, esc);
	}
	va_end(ap);
	if (i)
		fputc('}', f);
	fputc(' ', f);
}

/* Seconds from nanoseconds, exactly: a counter never loses a digit. */
static void seconds(FILE *f, uint64_t ns)
{
	fprintf(f, "%llu.%09llu\n", (unsigned long long)(ns / 1000000000ull),
		(unsigned long long)(ns % 1000000000ull));
}

static void count(FILE *f, uint64_t n)
{
	fprintf(f, "%llu\n", (unsigned long long)n);
}

#define G(i) (d->groups[i].group)

/*
 * What the syscall hooks saw: 1 all the time; a duty cycle (--serve's
 * default), whose non-blocking and EAGAIN counts are sampled="1", scaled up
 * by 1/ratio; 0 never (--sched-only), and those series are left out.
 */
static void render_hooks(FILE *f, const struct metrics_data *d, enum metrics_format fmt)
{
	family(f, fmt, "blockscope_syscall_hooks_duty_ratio", "gauge",
	       "Share of the time the syscall hooks are attached. Below 1, series labelled "
	       "sampled=\"1\" are counted while they are and scaled by 1/ratio; at 0, non-blocking "
	       "and EAGAIN counts are not measured. Blocking calls and all times come from the "
	       "scheduler: always exact.");
	fprintf(f, "blockscope_syscall_hooks_duty_ratio %.6g\n",
		d->hooks == HOOKS_ALWAYS ? 1.0 : d->hooks == HOOKS_NEVER ? 0.0 : d->hooks_duty);
}

static void render_syscalls(FILE *f, const struct metrics_data *d, enum metrics_format fmt)
{
	size_t i;

	family(f, fmt, "blockscope_syscalls_total", "counter",
	       "Finished syscalls by thread group and syscall (20 syscalls get labels, by most "
	       "time, and keep them; the rest count as other). class blocking: the thread "
	       "switched out voluntarily inside the call.");
	for (i = 0; i < d->nsyscalls; i++) {
		const struct metrics_syscall *s = &d->syscalls[i];

		series(f, "blockscope_syscalls_total", "group", s->group, "syscall", s->syscall,
		       "class", "blocking", NULL);
		count(f, s->blocking);
		/* Without the syscall hooks nothing counts them: no zero that looks like data. */
		if (d->hooks == HOOKS_NEVER)
			continue;
		series(f, "blockscope_syscalls_total", "group", s->group, "syscall", s->syscall,
		       "class", "nonblocking",
		       d->hooks == HOOKS_DUTY ? "sampled" : NULL, "1", NULL);
		count(f, s->nonblocking);
	}
	render_hooks(f, d, fmt);
	if (d->hooks != HOOKS_NEVER)
		family(f, fmt, "blockscope_syscall_eagain_total", "counter",
		       "Finished syscalls that returned EAGAIN: a non-blocking call with nothing to do.");
	for (i = 0; i < d->nsyscalls && d->hooks != HOOKS_NEVER; i++) {
		series(f, "blockscope_syscall_eagain_total", "group", d->syscalls[i].group,
		       "syscall", d->syscalls[i].syscall,
		       d->hooks == HOOKS_DUTY ? "sampled" : NULL, "1", NULL);
		count(f, d->syscalls[i].eagain);
	}
	family(f, fmt, "blockscope_syscall_blocked_seconds_total", "counter",
	       "Time blocked inside each syscall: voluntary switch-out to wakeup.");
	for (i = 0; i < d->nsyscalls; i++) {
		series(f, "blockscope_syscall_blocked_seconds_total", "group", d->syscalls[i].group,
		       "syscall", d->syscalls[i].syscall, NULL);
		seconds(f, d->syscalls[i].blocked_ns);
	}
}

static void render_times(FILE *f, const struct metrics_data *d, enum metrics_format fmt)
{
	static const char *const classes[] = {"wait", "idle", "sync"};
	size_t i;
	int c;

	family(f, fmt, "blockscope_blocked_seconds_total", "counter",
	       "Time the threads were blocked, by sizing class: wait (I/O, sleeps, page faults: "
	       "the WT of the formula), idle (waiting for new work), sync (futex).");
	for (i = 0; i < d->ngroups; i++) {
		const uint64_t ns[] = {d->groups[i].wait_ns, d->groups[i].idle_ns,
				       d->groups[i].sync_ns};

		for (c = 0; c < 3; c++) {
			series(f, "blockscope_blocked_seconds_total", "group", G(i), "class",
			       classes[c], NULL);
			seconds(f, ns[c]);
		}
	}
	family(f, fmt, "blockscope_oncpu_seconds_total", "counter",
	       "Time on a CPU (the CT of the formula), from the kernel's schedstat.");
	for (i = 0; i < d->ngroups; i++) {
		series(f, "blockscope_oncpu_seconds_total", "group", G(i), NULL);
		seconds(f, d->groups[i].oncpu_ns);
	}
	family(f, fmt, "blockscope_runqueue_seconds_total", "counter",
	       "Time runnable but waiting for a CPU, from the kernel's schedstat.");
	for (i = 0; i < d->ngroups; i++) {
		series(f, "blockscope_runqueue_seconds_total", "group", G(i), NULL);
		seconds(f, d->groups[i].runq_ns);
	}
	family(f, fmt, "blockscope_switches_total", "counter",
	       "Context switches out: voluntary (the thread went to sleep) or involuntary "
	       "(preempted).");
	for (i = 0; i < d->ngroups; i++) {
		series(f, "blockscope_switches_total", "group", G(i), "kind", "voluntary", NULL);
		count(f, d->groups[i].voluntary);
		series(f, "blockscope_switches_total", "group", G(i), "kind", "involuntary", NULL);
		count(f, d->groups[i].involuntary);
	}
	family(f, fmt, "blockscope_pool_jobs_total", "counter",
	       "Jobs the group's threads were handed: busy periods begun by the end of a wait for "
	       "new work. A thread that takes its next job without waiting (a saturated pool) "
	       "counts one.");
	for (i = 0; i < d->ngroups; i++) {
		series(f, "blockscope_pool_jobs_total", "group", G(i), NULL);
		count(f, d->groups[i].jobs);
	}
	family(f, fmt, "blockscope_events_lost_total", "counter",
	       "Records the kernel could not deliver (ring buffer full): counts are low by this "
	       "many.");
	series(f, "blockscope_events_lost_total", NULL);
	count(f, d->events_lost);
}

static void render_gauges(FILE *f, const struct metrics_data *d, enum metrics_format fmt)
{
	char window[96];
	size_t i;
	int w;

	snprintf(window, sizeof(window), "over the last %d s", d->window_s);
	family(f, fmt, "blockscope_threads", "gauge",
	       "Threads of the group seen in the last second.");
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].sized)
			continue;
		series(f, "blockscope_threads", "group", G(i), NULL);
		fprintf(f, "%d\n", d->groups[i].threads);
	}
	fprintf(f, "# HELP blockscope_wait_compute_ratio WT/CT of the group %s.\n", window);
	fputs("# TYPE blockscope_wait_compute_ratio gauge\n", f);
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].sized)
			continue;
		series(f, "blockscope_wait_compute_ratio", "group", G(i), NULL);
		fprintf(f, "%.6g\n", d->groups[i].wait_compute_ratio);
	}
	fprintf(
	    f,
	    "# HELP blockscope_recommended_threads Pool size N x U x (1 + WT/CT), rounded up, %s "
	    "(0: nothing on CPU to size from).\n",
	    window);
	fputs("# TYPE blockscope_recommended_threads gauge\n", f);
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].sized)
			continue;
		series(f, "blockscope_recommended_threads", "group", G(i), NULL);
		fprintf(f, "%ld\n", d->groups[i].recommended);
	}
	family(f, fmt, "blockscope_group_cores", "gauge",
	       "N of the group's sizing: the CPUs its threads may run on (their CPU affinity), "
	       "at most blockscope_cores.");
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].sized)
			continue;
		series(f, "blockscope_group_cores", "group", G(i), NULL);
		fprintf(f, "%.6g\n", d->groups[i].cores);
	}
	family(f, fmt, "blockscope_pool_busy_threads", "gauge",
	       "Threads of the pool busy with a job (from the end of a wait for work to the start "
	       "of the next), on average over the last second: the demand beside "
	       "blockscope_recommended_threads, the capacity.");
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].sized || !d->groups[i].busy_known)
			continue;
		series(f, "blockscope_pool_busy_threads", "group", G(i), NULL);
		fprintf(f, "%.6g\n", d->groups[i].busy_mean);
	}
	family(f, fmt, "blockscope_pool_busy_threads_max", "gauge",
	       "The most threads of the pool busy at once in the last second.");
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].sized || !d->groups[i].busy_known)
			continue;
		series(f, "blockscope_pool_busy_threads_max", "group", G(i), NULL);
		fprintf(f, "%u\n", d->groups[i].busy_max);
	}
	family(f, fmt, "blockscope_pool_all_busy_ratio", "gauge",
	       "Share of the last second every thread of the pool was busy: work queued then.");
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].sized || !d->groups[i].busy_known)
			continue;
		series(f, "blockscope_pool_all_busy_ratio", "group", G(i), NULL);
		fprintf(f, "%.6g\n", d->groups[i].all_busy_ratio);
	}
	fprintf(
	    f,
	    "# HELP blockscope_sizing_warning 1 while a warning qualifies the group's sizing %s: "
	    "runqueue_saturated, lock_contention, too_little_cpu.\n",
	    window);
	fputs("# TYPE blockscope_sizing_warning gauge\n", f);
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].sized)
			continue;
		for (w = 0; w < WARN_COUNT; w++) {
			series(f, "blockscope_sizing_warning", "group", G(i), "reason",
			       metrics_warning_names[w], NULL);
			fprintf(f, "%d\n", d->groups[i].warning[w] ? 1 : 0);
		}
	}
	family(f, fmt, "blockscope_cores", "gauge",
	       "N of the sizing: the CPUs the target may use (or --cores); a group on fewer CPUs "
	       "is sized with those (blockscope_group_cores).");
	series(f, "blockscope_cores", NULL);
	fprintf(f, "%.6g\n", d->cores);
	family(f, fmt, "blockscope_utilization", "gauge",
	       "U of the sizing: the target CPU utilisation.");
	series(f, "blockscope_utilization", NULL);
	fprintf(f, "%.6g\n", d->utilization);
	family(f, fmt, "blockscope_process_threads", "gauge",
	       "Threads of each traced process alive at the last refresh (the 64 with the most).");
	for (i = 0; i < d->nprocesses; i++) {
		char pid[16];

		snprintf(pid, sizeof(pid), "%u", d->processes[i].pid);
		series(f, "blockscope_process_threads", "pid", pid, "comm", d->processes[i].comm,
		       NULL);
		fprintf(f, "%d\n", d->processes[i].threads);
	}
}

/* Event loops' groups (docs/loops.md), when there are any: what blocks them, turns, stalls. */
static void render_loops(FILE *f, const struct metrics_data *d, enum metrics_format fmt)
{
	size_t i, n = 0;

	for (i = 0; i < d->ngroups; i++)
		n += d->groups[i].loop;
	if (!n)
		return;
	family(f, fmt, "blockscope_loop_blocked_seconds_total", "counter",
	       "Time an event loop's threads were blocked in calls other than their wait (and in "
	       "page faults): every connection on the loop waited meanwhile.");
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].loop)
			continue;
		series(f, "blockscope_loop_blocked_seconds_total", "group", G(i), NULL);
		seconds(f, d->groups[i].loop_blocked_ns);
	}
	family(f, fmt, "blockscope_loop_turns_total", "counter",
	       "An event loop's turns: from the return of its wait to its next wait.");
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].loop)
			continue;
		series(f, "blockscope_loop_turns_total", "group", G(i), NULL);
		count(f, d->groups[i].loop_turns);
	}
	family(f, fmt, "blockscope_loop_turn_seconds", "histogram",
	       "An event loop's turns by length: the kernel-side event-loop delay.");
	for (i = 0; i < d->ngroups; i++) {
		uint64_t upto = 0;
		int b;

		if (!d->groups[i].loop)
			continue;
		for (b = 0; b < LOOPS_TURN_BUCKETS; b++) {
			char le[32];

			upto += d->groups[i].loop_turn_bucket[b];
			snprintf(le, sizeof(le), "%g", (double)loops_turn_bucket_ns[b] / 1e9);
			series(f, "blockscope_loop_turn_seconds_bucket", "group", G(i), "le", le, NULL);
			count(f, upto);
		}
		series(f, "blockscope_loop_turn_seconds_bucket", "group", G(i), "le", "+Inf", NULL);
		count(f, d->groups[i].loop_turns);
		series(f, "blockscope_loop_turn_seconds_sum", "group", G(i), NULL);
		seconds(f, d->groups[i].loop_turn_sum_ns);
		series(f, "blockscope_loop_turn_seconds_count", "group", G(i), NULL);
		count(f, d->groups[i].loop_turns);
	}
	family(f, fmt, "blockscope_loop_stalls_total", "counter",
	       "An event loop's turns longer than --stall (default 10 ms).");
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].loop)
			continue;
		series(f, "blockscope_loop_stalls_total", "group", G(i), NULL);
		count(f, d->groups[i].loop_stalls);
	}
	family(f, fmt, "blockscope_loop_busy_ratio", "gauge",
	       "On-CPU share of an event loop's threads' time in the last second (1: the loop is "
	       "the bottleneck).");
	for (i = 0; i < d->ngroups; i++) {
		if (!d->groups[i].loop)
			continue;
		series(f, "blockscope_loop_busy_ratio", "group", G(i), NULL);
		fprintf(f, "%.6g\n", d->groups[i].loop_busy);
	}
}

int metrics_render(const struct metrics_data *d, enum metrics_format fmt, char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);

	if (!f)
		return -1;
	render_syscalls(f, d, fmt);
	render_times(f, d, fmt);
	render_gauges(f, d, fmt);
	render_loops(f, d, fmt);
	if (fmt == METRICS_OPENMETRICS)
		fputs("# EOF\n", f);
	if (ferror(f)) {
		fclose(f);
		free(*text);
		*text = NULL;
		return -1;
	}
	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}
