// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* /metrics: the exposition text line by line, label escaping, bounded labels, the window. */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include "unit.h"
#include "exporter.h"
#include "loops.h"
#include "roles.h"
#include "metrics.h"
#include "sizing.h"

#define MS 1000000ull

/* Splits text into lines (in place); returns the count. */
static size_t split_lines(char *text, char **lines, size_t max)
{
	size_t n = 0;
	char *p = text, *nl;

	while (*p && n < max) {
		nl = strchr(p, '\n');
		assert_non_null(nl); /* every line ends with a newline */
		*nl = '\0';
		lines[n++] = p;
		p = nl + 1;
	}
	return n;
}

static void fixed_exposition(void **state)
{
	static const char *const expected[] = {
		"# HELP blockscope_syscalls_total Finished syscalls by thread group and syscall (20 syscalls get labels, by most time, and keep them; the rest count as other). class blocking: the thread switched out voluntarily inside the call.",
		"# TYPE blockscope_syscalls_total counter",
		"blockscope_syscalls_total{group=\"worker-\",syscall=\"read\",class=\"blocking\"} 5009",
		"blockscope_syscalls_total{group=\"worker-\",syscall=\"read\",class=\"nonblocking\"} 15",
		"blockscope_syscalls_total{group=\"worker-\",syscall=\"other\",class=\"blocking\"} 0",
		"blockscope_syscalls_total{group=\"worker-\",syscall=\"other\",class=\"nonblocking\"} 7",
		"# HELP blockscope_syscall_hooks_duty_ratio Share of the time the syscall hooks are attached. Below 1, series labelled sampled=\"1\" are counted while they are and scaled by 1/ratio; at 0, non-blocking and EAGAIN counts are not measured. Blocking calls and all times come from the scheduler: always exact.",
		"# TYPE blockscope_syscall_hooks_duty_ratio gauge",
		"blockscope_syscall_hooks_duty_ratio 1",
		"# HELP blockscope_syscall_eagain_total Finished syscalls that returned EAGAIN: a non-blocking call with nothing to do.",
		"# TYPE blockscope_syscall_eagain_total counter",
		"blockscope_syscall_eagain_total{group=\"worker-\",syscall=\"read\"} 3",
		"blockscope_syscall_eagain_total{group=\"worker-\",syscall=\"other\"} 0",
		"# HELP blockscope_syscall_blocked_seconds_total Time blocked inside each syscall: voluntary switch-out to wakeup.",
		"# TYPE blockscope_syscall_blocked_seconds_total counter",
		"blockscope_syscall_blocked_seconds_total{group=\"worker-\",syscall=\"read\"} 17.074478642",
		"blockscope_syscall_blocked_seconds_total{group=\"worker-\",syscall=\"other\"} 0.000000001",
		"# HELP blockscope_blocked_seconds_total Time the threads were blocked, by sizing class: wait (I/O, sleeps, page faults: the WT of the formula), idle (waiting for new work), sync (futex).",
		"# TYPE blockscope_blocked_seconds_total counter",
		"blockscope_blocked_seconds_total{group=\"worker-\",class=\"wait\"} 3.000000000",
		"blockscope_blocked_seconds_total{group=\"worker-\",class=\"idle\"} 0.000000000",
		"blockscope_blocked_seconds_total{group=\"worker-\",class=\"sync\"} 0.250000000",
		"blockscope_blocked_seconds_total{group=\"acceptor\",class=\"wait\"} 0.000000000",
		"blockscope_blocked_seconds_total{group=\"acceptor\",class=\"idle\"} 12.500000000",
		"blockscope_blocked_seconds_total{group=\"acceptor\",class=\"sync\"} 0.000000000",
		"# HELP blockscope_oncpu_seconds_total Time on a CPU (the CT of the formula), from the kernel's schedstat.",
		"# TYPE blockscope_oncpu_seconds_total counter",
		"blockscope_oncpu_seconds_total{group=\"worker-\"} 1.000000000",
		"blockscope_oncpu_seconds_total{group=\"acceptor\"} 0.002000000",
		"# HELP blockscope_runqueue_seconds_total Time runnable but waiting for a CPU, from the kernel's schedstat.",
		"# TYPE blockscope_runqueue_seconds_total counter",
		"blockscope_runqueue_seconds_total{group=\"worker-\"} 0.200000000",
		"blockscope_runqueue_seconds_total{group=\"acceptor\"} 0.000001000",
		"# HELP blockscope_switches_total Context switches out: voluntary (the thread went to sleep) or involuntary (preempted).",
		"# TYPE blockscope_switches_total counter",
		"blockscope_switches_total{group=\"worker-\",kind=\"voluntary\"} 800",
		"blockscope_switches_total{group=\"worker-\",kind=\"involuntary\"} 1200",
		"blockscope_switches_total{group=\"acceptor\",kind=\"voluntary\"} 10",
		"blockscope_switches_total{group=\"acceptor\",kind=\"involuntary\"} 0",
		"# HELP blockscope_pool_jobs_total Jobs the group's threads were handed: busy periods begun by the end of a wait for new work. A thread that takes its next job without waiting (a saturated pool) counts one.",
		"# TYPE blockscope_pool_jobs_total counter",
		"blockscope_pool_jobs_total{group=\"worker-\"} 1234",
		"blockscope_pool_jobs_total{group=\"acceptor\"} 0",
		"# HELP blockscope_events_lost_total Records the kernel could not deliver (ring buffer full): counts are low by this many.",
		"# TYPE blockscope_events_lost_total counter",
		"blockscope_events_lost_total 42",
		"# HELP blockscope_threads Threads of the group seen in the last second.",
		"# TYPE blockscope_threads gauge",
		"blockscope_threads{group=\"worker-\"} 4",
		"# HELP blockscope_wait_compute_ratio WT/CT of the group over the last 60 s.",
		"# TYPE blockscope_wait_compute_ratio gauge",
		"blockscope_wait_compute_ratio{group=\"worker-\"} 3",
		"# HELP blockscope_recommended_threads Pool size N x U x (1 + WT/CT), rounded up, over the last 60 s (0: nothing on CPU to size from).",
		"# TYPE blockscope_recommended_threads gauge",
		"blockscope_recommended_threads{group=\"worker-\"} 8",
		"# HELP blockscope_group_cores N of the group's sizing: the CPUs its threads may run on (their CPU affinity), at most blockscope_cores.",
		"# TYPE blockscope_group_cores gauge",
		"blockscope_group_cores{group=\"worker-\"} 2",
		"# HELP blockscope_pool_busy_threads Threads of the pool busy with a job (from the end of a wait for work to the start of the next), on average over the last second: the demand beside blockscope_recommended_threads, the capacity.",
		"# TYPE blockscope_pool_busy_threads gauge",
		"blockscope_pool_busy_threads{group=\"worker-\"} 2.5",
		"# HELP blockscope_pool_busy_threads_max The most threads of the pool busy at once in the last second.",
		"# TYPE blockscope_pool_busy_threads_max gauge",
		"blockscope_pool_busy_threads_max{group=\"worker-\"} 4",
		"# HELP blockscope_pool_all_busy_ratio Share of the last second every thread of the pool was busy: work queued then.",
		"# TYPE blockscope_pool_all_busy_ratio gauge",
		"blockscope_pool_all_busy_ratio{group=\"worker-\"} 0.25",
		"# HELP blockscope_sizing_warning 1 while a warning qualifies the group's sizing over the last 60 s: runqueue_saturated, lock_contention, too_little_cpu.",
		"# TYPE blockscope_sizing_warning gauge",
		"blockscope_sizing_warning{group=\"worker-\",reason=\"runqueue_saturated\"} 1",
		"blockscope_sizing_warning{group=\"worker-\",reason=\"lock_contention\"} 0",
		"blockscope_sizing_warning{group=\"worker-\",reason=\"too_little_cpu\"} 0",
		"# HELP blockscope_cores N of the sizing: the CPUs the target may use (or --cores); a group on fewer CPUs is sized with those (blockscope_group_cores).",
		"# TYPE blockscope_cores gauge",
		"blockscope_cores 2",
		"# HELP blockscope_utilization U of the sizing: the target CPU utilisation.",
		"# TYPE blockscope_utilization gauge",
		"blockscope_utilization 1",
		"# HELP blockscope_process_threads Threads of each traced process alive at the last refresh (the 64 with the most).",
		"# TYPE blockscope_process_threads gauge",
		"blockscope_process_threads{pid=\"4242\",comm=\"pool_server\"} 5",
	};
	struct metrics_syscall sys[] = {
		{ "worker-", "read", 5009, 15, 3, 17074478642ull },
		{ "worker-", "other", 0, 7, 0, 1 },
	};
	struct metrics_group groups[] = {
		{ .group = "worker-", .oncpu_ns = 1000 * MS, .runq_ns = 200 * MS,
		  .wait_ns = 3000 * MS, .sync_ns = 250 * MS, .voluntary = 800, .involuntary = 1200,
		  .sized = true, .threads = 4, .cores = 2, .wait_compute_ratio = 3.0, .recommended = 8,
		  .warning = { [WARN_RUNQUEUE_SATURATED] = true }, .jobs = 1234, .busy_known = true,
		  .busy_mean = 2.5, .all_busy_ratio = 0.25, .busy_max = 4 },
		{ .group = "acceptor", .oncpu_ns = 2 * MS, .runq_ns = 1000, .idle_ns = 12500 * MS,
		  .voluntary = 10 }, /* not in the window: counters only */
	};
	struct metrics_process procs[] = { { 4242, "pool_server", 5 } };
	struct metrics_data d = { sys, 2, groups, 2, procs, 1, 42, 2.0, 1.0, 60, HOOKS_ALWAYS, 1 };
	char *text = NULL, *lines[200];
	size_t len, n, i;

	(void)state;
	assert_int_equal(metrics_render(&d, METRICS_PROMETHEUS, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	n = split_lines(text, lines, 200);
	for (i = 0; i < n && i < sizeof(expected) / sizeof(expected[0]); i++)
		assert_string_equal(lines[i], expected[i]);
	assert_int_equal(n, sizeof(expected) / sizeof(expected[0]));
	free(text);
}

static void openmetrics_names_families(void **state)
{
	struct metrics_syscall sys[] = { { "g", "read", 1, 2, 0, 0 } };
	struct metrics_group groups[] = { { .group = "g", .oncpu_ns = 1 } };
	struct metrics_data d = { sys, 1, groups, 1, NULL, 0, 0, 1.5, 1.0, 10, HOOKS_ALWAYS, 1 };
	char *text = NULL;
	size_t len;

	(void)state;
	assert_int_equal(metrics_render(&d, METRICS_OPENMETRICS, &text, &len), 0);
	/* A counter's family has no _total; its samples do. */
	assert_non_null(strstr(text, "\n# TYPE blockscope_syscalls counter\n"));
	assert_non_null(strstr(text, "\n# TYPE blockscope_oncpu_seconds counter\n"));
	assert_non_null(strstr(text, "blockscope_syscalls_total{group=\"g\",syscall=\"read\",class=\"nonblocking\"} 2\n"));
	assert_null(strstr(text, "# TYPE blockscope_syscalls_total"));
	assert_non_null(strstr(text, "\nblockscope_cores 1.5\n"));
	assert_int_equal(strcmp(text + len - 6, "# EOF\n"), 0);
	free(text);
	assert_int_equal(metrics_render(&d, METRICS_PROMETHEUS, &text, &len), 0);
	assert_null(strstr(text, "# EOF"));
	assert_non_null(strstr(text, "# TYPE blockscope_syscalls_total counter\n"));
	free(text);
}

static void label_escaping(void **state)
{
	struct metrics_group groups[] = { { .group = "a\\b\"c\nd", .voluntary = 1 } };
	struct metrics_data d = { NULL, 0, groups, 1, NULL, 0, 0, 1, 1, 60, HOOKS_ALWAYS, 1 };
	char out[64], *text = NULL;
	size_t len;

	(void)state;
	assert_int_equal(metrics_escape_label("a\\b\"c\nd", out, sizeof(out)), 10);
	assert_string_equal(out, "a\\\\b\\\"c\\nd");
	metrics_escape_label("plain-name_1", out, sizeof(out));
	assert_string_equal(out, "plain-name_1");
	/* UTF-8 stays; bytes that are not UTF-8 become '?'. */
	metrics_escape_label("caf\xc3\xa9", out, sizeof(out));
	assert_string_equal(out, "caf\xc3\xa9");
	metrics_escape_label("x\xff\xc3(\xe2\x82y", out, sizeof(out));
	assert_string_equal(out, "x?\?(?\?y");
	metrics_escape_label("\xed\xa0\x80", out, sizeof(out)); /* a surrogate */
	assert_string_equal(out, "???");
	/* Truncated on a whole character or escape, always terminated. */
	assert_int_equal(metrics_escape_label("ab\"cd", out, 4), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(metrics_escape_label("xyz", out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(metrics_render(&d, METRICS_PROMETHEUS, &text, &len), 0);
	assert_non_null(strstr(text, "\nblockscope_switches_total{group=\"a\\\\b\\\"c\\nd\",kind=\"voluntary\"} 1\n"));
	free(text);
}

/* ---- the exporter, fed by a real account ---- */

static struct account a;
static struct exporter e;

static int setup(void **state)
{
	(void)state;
	if (account_init(&a, NULL))
		return -1;
	return exporter_init(&e, 5, 2.0, false, 1.0, 2);
}

static int teardown(void **state)
{
	(void)state;
	exporter_free(&e);
	account_free(&a);
	return 0;
}

/* The syscalls a thread may call in the tests: 36 distinct numbers. */
static const char *const names[] = {
	"read",	     "write",	   "open",	 "close",	"stat",	   "fstat",
	"lstat",     "poll",	   "lseek",	 "mmap",	"mprotect", "munmap",
	"brk",	     "ioctl",	   "pread64",	 "pwrite64",	"readv",   "writev",
	"access",    "pipe",	   "select",	 "sched_yield", "mremap",  "msync",
	"mincore",   "madvise",	   "dup",	 "dup2",	"pause",   "nanosleep",
	"getitimer", "alarm",	   "setitimer",	 "getpid",	"sendfile", "socket",
};

/* One thread named comm (tid) with calls of names[first..first+n), the k-th taking (k+1) ms. */
static void thread_calls(uint32_t tid, const char *comm, int first, int n, int repeat)
{
	struct thread_record r = make_thread(tid, comm, 0, 0, 0);
	int i, k;

	account_record(&a, &r, sizeof(r));
	for (i = first; i < first + n; i++)
		for (k = 0; k < repeat; k++) {
			struct call_record c = make_call(tid, names[i], 0, (uint64_t)(i + 1) * MS, 0, 0);

			c.hdr.tgid = 100;
			account_record(&a, &c, sizeof(c));
		}
}

/* Sums the values of the lines of text starting with prefix; counts distinct label sets. */
static uint64_t sum_of(const char *text, const char *prefix, int *nseries)
{
	const char *p = text;
	uint64_t sum = 0;
	size_t plen = strlen(prefix);

	*nseries = 0;
	while (p && *p) {
		if (strncmp(p, prefix, plen) == 0) {
			const char *sp = strchr(p, ' ');

			sum += strtoull(sp + 1, NULL, 10);
			(*nseries)++;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return sum;
}

/* The value of the one line starting with prefix ... " ", or -1. */
static long long value_of(const char *text, const char *series_prefix)
{
	const char *p = strstr(text, series_prefix);

	return p ? strtoll(strchr(p, ' ') + 1, NULL, 10) : -1;
}

/*
 * --serve's duty cycle (hooks on 1 s in 10): a second with the hooks on
 * counts non-blocking calls and EAGAIN ten times over, a second without
 * them counts none; blocking calls count as they are, every second.
 */
static void duty_cycle_scales(void **state)
{
	char *t = NULL;
	size_t len;
	int sec;

	(void)state;
	assert_int_equal(exporter_scale(7, 10), 70);
	assert_int_equal(exporter_scale(3, 2.5), 8); /* 7.5, rounded */
	assert_int_equal(exporter_scale(5, 0), 0);
	exporter_hooks(&e, 1, 10);
	for (sec = 0; sec < 10; sec++) {
		struct call_record blocking = make_call(1, "read", 0, 2 * MS, 2 * MS, 1);
		struct call_record eagain = make_call(1, "read", -11, 1000, 0, 0);
		struct thread_record r = make_thread(1, "pool-1", 0, 0, 0);

		r.hdr.tgid = 100;
		account_record(&a, &r, sizeof(r));
		blocking.hdr.tgid = eagain.hdr.tgid = 100;
		account_record(&a, &blocking, sizeof(blocking));
		/* Without the hooks no non-blocking call is seen at all. */
		if (sec == 0)
			account_record(&a, &eagain, sizeof(eagain));
		exporter_sampled(&e, sec == 0);
		assert_int_equal(exporter_update(&e, &a, 0), 0);
		account_start_interval(&a);
	}
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &t, &len), 0);
	assert_non_null(strstr(t, "\nblockscope_syscall_hooks_duty_ratio 0.1\n"));
	assert_int_equal(value_of(t, "blockscope_syscalls_total{group=\"pool-\",syscall=\"read\",class=\"blocking\"}"), 10);
	assert_int_equal(value_of(t, "blockscope_syscalls_total{group=\"pool-\",syscall=\"read\",class=\"nonblocking\",sampled=\"1\"}"), 10);
	assert_int_equal(value_of(t, "blockscope_syscall_eagain_total{group=\"pool-\",syscall=\"read\",sampled=\"1\"}"), 10);
	free(t);
	/* Never on (--syscall-hooks=off): those series are not there at all. */
	exporter_hooks(&e, 0, 1);
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &t, &len), 0);
	assert_non_null(strstr(t, "\nblockscope_syscall_hooks_duty_ratio 0\n"));
	assert_null(strstr(t, "class=\"nonblocking\""));
	assert_null(strstr(t, "blockscope_syscall_eagain_total"));
	assert_non_null(strstr(t, "class=\"blocking\"}"));
	free(t);
}

static void cardinality_bound(void **state)
{
	char *t1 = NULL, *t2 = NULL;
	size_t len;
	int n, i;
	uint64_t total;

	(void)state;
	/* 36 syscalls over 3 threads, 12 each (fewer than a thread keeps by name). */
	thread_calls(1, "pool-1", 0, 12, 2);
	thread_calls(2, "pool-2", 12, 12, 2);
	thread_calls(3, "pool-3", 24, 12, 2);
	assert_int_equal(exporter_update(&e, &a, 0), 0);
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &t1, &len), 0);
	/* 20 syscalls (the 20 with the most time: names[16..35]) and other, two classes each. */
	total = sum_of(t1, "blockscope_syscalls_total{", &n);
	assert_int_equal(n, 2 * (EXPORTER_SYSCALL_LABELS + 1));
	assert_int_equal(total, 72);
	assert_int_equal(value_of(t1, "blockscope_syscalls_total{group=\"pool-\",syscall=\"other\",class=\"nonblocking\"}"), 32);
	assert_int_equal(value_of(t1, "blockscope_syscalls_total{group=\"pool-\",syscall=\"socket\",class=\"nonblocking\"}"), 2);
	assert_int_equal(value_of(t1, "blockscope_syscalls_total{group=\"pool-\",syscall=\"read\","), -1);
	/* A new interval: read takes more time than any, yet every label is taken. */
	account_start_interval(&a);
	for (i = 0; i < 10; i++) {
		struct call_record c = make_call(1, "read", 0, 100 * MS, 0, 0);

		c.hdr.tgid = 100;
		account_record(&a, &c, sizeof(c));
	}
	thread_calls(2, "pool-2", 16, 1, 1); /* one more readv, which has a label */
	assert_int_equal(exporter_update(&e, &a, 0), 0);
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &t2, &len), 0);
	total = sum_of(t2, "blockscope_syscalls_total{", &n);
	assert_int_equal(n, 2 * (EXPORTER_SYSCALL_LABELS + 1));
	assert_int_equal(total, 72 + 10 + 1); /* nothing lost, nothing counted twice */
	/* A label is never taken back: no count moves, no series goes back or away. */
	assert_int_equal(value_of(t2, "blockscope_syscalls_total{group=\"pool-\",syscall=\"other\",class=\"nonblocking\"}"), 42);
	assert_int_equal(value_of(t2, "blockscope_syscalls_total{group=\"pool-\",syscall=\"readv\",class=\"nonblocking\"}"), 3);
	assert_int_equal(value_of(t2, "blockscope_syscalls_total{group=\"pool-\",syscall=\"read\","), -1);
	/* Every series of the first page still there has not gone back. */
	for (const char *p = t1; (p = strstr(p, "\nblockscope_syscalls_total{"));) {
		char key[256];
		const char *sp = strchr(p + 1, ' ');
		long long before = strtoll(sp + 1, NULL, 10), after;

		snprintf(key, sizeof(key), "%.*s", (int)(sp - p), p);
		after = value_of(t2, key);
		assert_true(after >= before);
		p = sp;
	}
	free(t1);
	free(t2);
}

static void group_bound(void **state)
{
	char comm[8], *text = NULL;
	size_t len;
	int i, n;

	(void)state;
	for (i = 0; i < EXPORTER_MAX_GROUPS + 8; i++) {
		struct thread_record r;

		/* Names that differ in letters, not digits: one group each. */
		snprintf(comm, sizeof(comm), "g%c%c", 'a' + i / 26, 'a' + i % 26);
		r = make_thread((uint32_t)(i + 1), comm, 0, 0, 0);
		r.voluntary = 1;
		account_record(&a, &r, sizeof(r));
	}
	assert_int_equal(exporter_update(&e, &a, 7), 0);
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &text, &len), 0);
	assert_int_equal(sum_of(text, "blockscope_switches_total{", &n), EXPORTER_MAX_GROUPS + 8);
	assert_int_equal(n, 2 * (EXPORTER_MAX_GROUPS + 1));
	assert_int_equal(value_of(text, "blockscope_switches_total{group=\"(other)\",kind=\"voluntary\"}"), 8);
	/* Unrelated threads in (other) have no pool to size. */
	assert_null(strstr(text, "blockscope_threads{group=\"(other)\"}"));
	assert_int_equal(value_of(text, "\nblockscope_events_lost_total "), 7);
	free(text);
}

/* One interval of a pool: 4 threads, each cpu ms on CPU, wait ms blocked in read and runq ms queued. */
static void pool_interval_runq(uint64_t cpu_ms, uint64_t wait_ms, uint64_t runq_ms)
{
	static uint64_t oncpu[5], runq[5];
	uint32_t tid;

	for (tid = 1; tid <= 4; tid++) {
		struct thread_counters zero = { 0 };
		struct thread_record r;
		struct call_record c = make_call(tid, "read", 1, wait_ms * MS, wait_ms * MS, 1);

		if (!account_find_thread(&a, tid))
			account_set_base(&a, tid, tid, &zero);
		oncpu[tid] += cpu_ms * MS;
		runq[tid] += runq_ms * MS;
		r = make_thread(tid, "worker-1", oncpu[tid], runq[tid], 0);
		account_record(&a, &r, sizeof(r));
		account_record(&a, &c, sizeof(c));
	}
	assert_int_equal(exporter_update(&e, &a, 0), 0);
	account_start_interval(&a);
}

static void pool_interval(uint64_t cpu_ms, uint64_t wait_ms)
{
	pool_interval_runq(cpu_ms, wait_ms, 0);
}

/*
 * The runqueue_saturated gauge after n seconds of a pool with run-queue 20%
 * of CT, on CPUs busy busy jiffies of total each second.
 */
static long long runq_gauge_after(int n, uint64_t busy, uint64_t total)
{
	char *text = NULL;
	size_t len;
	long long v;
	int i;

	for (i = 0; i < n; i++) {
		exporter_cpu(&e, busy, total);
		pool_interval_runq(100, 300, 20);
	}
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &text, &len), 0);
	v = value_of(text, "blockscope_sizing_warning{group=\"worker-\",reason=\"runqueue_saturated\"}");
	free(text);
	return v;
}

/* The run-queue gauge asks how busy the CPUs were over the window, as the report does. */
static void runqueue_warning_reads_cpu_busy(void **state)
{
	(void)state;
	/* On CPUs 10% busy: wakeup latency, no warning (two windows: the first second
	 * also holds what an earlier test left in the static counters). */
	assert_int_equal(runq_gauge_after(10, 20, 200), 0);
	/* The same on CPUs 90% busy, over a whole window: contention. */
	assert_int_equal(runq_gauge_after(5, 180, 200), 1);
	/* Not known (no /proc/stat): the run-queue share alone decides, as before. */
	assert_int_equal(runq_gauge_after(5, 0, 0), 1);
}

/* A main thread (roles.c) is exported, not sized: its joining says nothing of a pool. */
static void only_pools_sized(void **state)
{
	struct thread_counters zero = { 0 };
	struct thread_record r = make_thread(9, "server", 200 * MS, 0, 0);
	struct thread_stats *t;
	char *text = NULL;
	size_t len;
	int i;

	(void)state;
	account_set_base(&a, 9, 9, &zero);
	account_record(&a, &r, sizeof(r));
	t = account_find_thread(&a, 9);
	t->role = ROLE_MAIN;
	snprintf(t->group, sizeof(t->group), "server main");
	for (i = 0; i < 5; i++)
		pool_interval(100, 300);
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &text, &len), 0);
	/* (Its value depends on what earlier tests left in pool_interval's counters.) */
	assert_true(value_of(text, "blockscope_recommended_threads{group=\"worker-\"}") > 0);
	assert_null(strstr(text, "blockscope_recommended_threads{group=\"server main\"}"));
	assert_non_null(strstr(text, "blockscope_oncpu_seconds_total{group=\"server main\"}"));
	free(text);
}

static void sliding_window(void **state)
{
	char *text = NULL;
	size_t len;
	int i;

	(void)state;
	/* Window of 5 s: WT/CT 3 on 2 cores gives 8 threads. */
	for (i = 0; i < 5; i++)
		pool_interval(100, 300);
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &text, &len), 0);
	assert_non_null(strstr(text, "\nblockscope_wait_compute_ratio{group=\"worker-\"} 3\n"));
	assert_int_equal(value_of(text, "blockscope_recommended_threads{group=\"worker-\"}"), 8);
	assert_int_equal(value_of(text, "blockscope_threads{group=\"worker-\"}"), 4);
	assert_int_equal(value_of(text, "blockscope_sizing_warning{group=\"worker-\",reason=\"too_little_cpu\"}"), 0);
	free(text);
	/* The load turns to pure CPU: after a whole window the old seconds are gone. */
	for (i = 0; i < 5; i++)
		pool_interval(100, 0);
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &text, &len), 0);
	assert_non_null(strstr(text, "\nblockscope_wait_compute_ratio{group=\"worker-\"} 0\n"));
	assert_int_equal(value_of(text, "blockscope_recommended_threads{group=\"worker-\"}"), 2);
	/* Counters keep everything since start. */
	assert_non_null(strstr(text, "\nblockscope_oncpu_seconds_total{group=\"worker-\"} 4.000000000\n"));
	assert_non_null(strstr(text, "\nblockscope_blocked_seconds_total{group=\"worker-\",class=\"wait\"} 6.000000000\n"));
	free(text);
}

static void warnings_match_sizing(void **state)
{
	const struct time_split splits[] = {
		{ 4, 1000 * MS, 1000 * MS, 0, 0, 200 * MS, false, 0 },	    /* run-queue 20% */
		{ 4, 1000 * MS, 1000 * MS, 0, 1500 * MS, 50 * MS, false, 0 }, /* futex above I/O */
		{ 4, 2 * MS, 1000 * MS, 0, 0, 0, false, 0 },		    /* too little CPU */
		{ 4, 0, 1000 * MS, 0, 0, 0, false, 0 },			    /* nothing on CPU */
		{ 4, 2 * MS, 0, 0, 1 * MS, 1 * MS, false, 0 },		    /* all three */
		{ 4, 1000 * MS, 3000 * MS, 0, 0, 0, false, 0 },		    /* none */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		bool flags[WARN_COUNT];
		struct sizing s;
		int w, n = 0;

		sizing_compute(&s, &splits[i], 2, 1.0);
		exporter_warnings(&splits[i], flags);
		for (w = 0; w < WARN_COUNT; w++)
			n += flags[w];
		assert_int_equal(n, s.nwarnings);
	}
}

/* ---- /metrics and the report size the same window alike (issue 27, item 1) ---- */

#define SEC 1000000000ull
#define AGREE_SECONDS 5

/* What one thread does each second, and where it may run. */
struct agree_thread {
	uint32_t tid, tgid;
	const char *comm;
	uint64_t cpus;	       /* its affinity: a bit per CPU */
	uint64_t oncpu_ms;     /* a second's CPU time */
	const char *call;      /* the call it blocks in each second (NULL: none) */
	uint64_t blocked_ms;
};

static const struct agree_thread agree_threads[] = {
	/* 4 spinners pinned with taskset -c 0: N is 1, not the machine's 2. */
	{ 301, 300, "spin-1", 0x1, 250, NULL, 0 },
	{ 302, 300, "spin-2", 0x1, 250, NULL, 0 },
	{ 303, 300, "spin-3", 0x1, 250, NULL, 0 },
	{ 304, 300, "spin-4", 0x1, 250, NULL, 0 },
	/* A pool on both CPUs: WT/CT 3. */
	{ 101, 100, "worker-1", 0x3, 100, "read", 300 },
	{ 102, 100, "worker-2", 0x3, 100, "read", 300 },
	{ 103, 100, "worker-3", 0x3, 100, "read", 300 },
	/* A mixed process: a pool pinned to CPU 1, and one given (almost) no work. */
	{ 401, 400, "io-1", 0x2, 50, "read", 150 },
	{ 402, 400, "io-2", 0x2, 50, "read", 150 },
	{ 403, 400, "idle-1", 0x3, 0, "epoll_wait", 990 },
	{ 404, 400, "idle-2", 0x3, 0, "epoll_wait", 990 },
};
#define NAGREE (sizeof(agree_threads) / sizeof(agree_threads[0]))

/* Second sec of every thread into account x. */
static void agree_second(struct account *x, int sec)
{
	size_t i;

	for (i = 0; i < NAGREE; i++) {
		const struct agree_thread *t = &agree_threads[i];
		/* 100 us a second for the idle ones: a pool given no jobs. */
		uint64_t oncpu = (uint64_t)(sec + 1) * (t->oncpu_ms ? t->oncpu_ms * MS : MS / 10);
		struct thread_record r = make_thread(t->tid, t->comm, oncpu, 0, 0);
		struct thread_counters zero = { 0 };

		if (!account_find_thread(x, t->tid))
			account_set_base(x, t->tid, t->tgid, &zero);
		r.hdr.tgid = t->tgid;
		r.cpus[0] = t->cpus;
		r.first_ns = SEC;
		r.last_ns = (uint64_t)(sec + 2) * SEC;
		account_record(x, &r, sizeof(r));
		if (t->call) {
			struct call_record c = make_call(t->tid, t->call, 1, t->blocked_ms * MS,
							 t->blocked_ms * MS, 1);

			c.hdr.tgid = t->tgid;
			account_record(x, &c, sizeof(c));
		}
	}
}

static void metrics_agree_with_report(void **state)
{
	struct account whole, second;
	struct exporter ex;
	struct cpu_window cw, one;
	struct sizing total, *groups = NULL;
	size_t ngroups = 0, i;
	char *text = NULL, series[128];
	size_t len;
	int sec, sized = 0;

	(void)state;
	memset(&cw, 0, sizeof(cw));
	memset(&one, 0, sizeof(one));
	/* CPU 0 busy, CPU 1 half busy, every second. */
	one.known = cw.known = true;
	one.busy[0] = 100, one.total[0] = 100;
	one.busy[1] = 50, one.total[1] = 100;
	assert_int_equal(account_init(&whole, NULL), 0);
	assert_int_equal(account_init(&second, NULL), 0);
	assert_int_equal(exporter_init(&ex, AGREE_SECONDS, 2.0, false, 1.0, 2), 0);
	/* The same records, a second at a time into --serve's account, all into the report's. */
	for (sec = 0; sec < AGREE_SECONDS; sec++) {
		int c;

		agree_second(&whole, sec);
		agree_second(&second, sec);
		for (c = 0; c < 2; c++) {
			cw.busy[c] += one.busy[c];
			cw.total[c] += one.total[c];
		}
		exporter_cpu(&ex, one.busy[0] + one.busy[1], one.total[0] + one.total[1]);
		exporter_cpu_window(&ex, &one);
		roles_assign(&second);
		assert_int_equal(exporter_update(&ex, &second, 0), 0);
		account_start_interval(&second);
	}
	roles_assign(&whole);
	assert_int_equal(sizing_by_group_cpus(&whole, 2, false, 1.0, 0.75, &cw, &total, &groups,
					      &ngroups), 0);
	assert_int_equal(exporter_render(&ex, METRICS_PROMETHEUS, &text, &len), 0);
	for (i = 0; i < ngroups; i++) {
		const struct sizing *s = &groups[i];
		long long m;

		snprintf(series, sizeof(series), "blockscope_recommended_threads{group=\"%s\"}",
			 s->group);
		m = value_of(text, series);
		print_message("  %-10s report %ld (N %g)  /metrics %lld\n", s->group,
			      s->role == ROLE_POOL && s->did_work ? s->recommended : -1, s->cores, m);
	}
	for (i = 0; i < ngroups; i++) {
		const struct sizing *s = &groups[i];
		long long m;

		snprintf(series, sizeof(series), "blockscope_recommended_threads{group=\"%s\"}",
			 s->group);
		m = value_of(text, series);
		/* Sized on /metrics exactly when the report sizes it, and alike (-1: not sized). */
		if (s->role == ROLE_POOL && s->did_work) {
			assert_int_equal(m, s->recommended);
			sized++;
		} else {
			assert_int_equal(m, -1);
		}
	}
	/* The cases the test is about did come out: spinners 1, pool 8, pinned pool 4. */
	assert_int_equal(sized, 3);
	for (i = 0; i < ngroups; i++) {
		if (strcmp(groups[i].group, "spin-") == 0)
			assert_int_equal(groups[i].recommended, 1);
		if (strcmp(groups[i].group, "worker-") == 0)
			assert_int_equal(groups[i].recommended, 8);
		if (strcmp(groups[i].group, "io-") == 0)
			assert_int_equal(groups[i].recommended, 4);
	}
	free(text);
	free(groups);
	exporter_free(&ex);
	account_free(&whole);
	account_free(&second);
}

/*
 * An event loop's group: its loop series (blocked on the loop, turns,
 * stalls: counters that add up over the seconds; the busy share of the last
 * second), and no recommended size.
 */
static void loop_series(void **state)
{
	struct account_observer o;
	struct thread_counters zero = { 0 };
	struct loops l;
	char *text = NULL;
	size_t len;
	int sec, k;

	(void)state;
	loops_init(&l, 0);
	o = (struct account_observer){ .on_call = loops_on_call, .ctx = &l };
	account_observe(&a, &o);
	for (sec = 0; sec < 2; sec++) {
		/* The kernel's running totals: 100 ms on a CPU and 400 ms blocked a second. */
		struct thread_record r = make_thread(77, "loop", 100 * MS * (uint64_t)(sec + 1), 0, 0);
		uint64_t at = (uint64_t)sec * 1000 * MS;

		if (!sec)
			account_set_base(&a, 77, 77, &zero);
		r.blocked_ns = 400 * MS * (uint64_t)(sec + 1);
		account_record(&a, &r, sizeof(r));
		/* 11 waits: 10 turns, each blocked 40 ms in a read (a stall). */
		for (k = 0; k < 11; k++) {
			struct call_record w = make_call(77, "epoll_wait", 1, 1 * MS, 1 * MS, 1);
			struct call_record b = make_call(77, "read", 1, 40 * MS, 40 * MS, 1);

			w.enter_ns = at;
			w.args[2] = 64;
			account_call(&a, &w);
			if (k < 10) {
				b.enter_ns = at + 2 * MS;
				account_call(&a, &b);
			}
			at += 50 * MS;
		}
		roles_assign(&a);
		loops_mark(&l, &a);
		assert_int_equal(exporter_update(&e, &a, 0), 0);
		assert_int_equal(exporter_loops(&e, &l, &a), 0);
		account_start_interval(&a);
		loops_reset(&l);
	}
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &text, &len), 0);
	assert_non_null(strstr(text, "\nblockscope_loop_blocked_seconds_total{group=\"loop\"} 0.800000000\n"));
	/* 10 a second, and the turn from the first second's last wait to the next's first (499 ms). */
	assert_int_equal(value_of(text, "blockscope_loop_turns_total{group=\"loop\"}"), 21);
	assert_int_equal(value_of(text, "blockscope_loop_stalls_total{group=\"loop\"}"), 21);
	/* 100 ms on a CPU of 500 ms. */
	assert_non_null(strstr(text, "\nblockscope_loop_busy_ratio{group=\"loop\"} 0.2\n"));
	assert_null(strstr(text, "blockscope_recommended_threads{group=\"loop\"}"));
	/* Turns of 49 ms (a wait's return to the next wait) and the one of 499: cumulative buckets. */
	assert_int_equal(value_of(text, "blockscope_loop_turn_seconds_bucket{group=\"loop\",le=\"0.025\"}"), 0);
	assert_int_equal(value_of(text, "blockscope_loop_turn_seconds_bucket{group=\"loop\",le=\"0.05\"}"), 20);
	assert_int_equal(value_of(text, "blockscope_loop_turn_seconds_bucket{group=\"loop\",le=\"0.25\"}"), 20);
	assert_int_equal(value_of(text, "blockscope_loop_turn_seconds_bucket{group=\"loop\",le=\"1\"}"), 21);
	assert_int_equal(value_of(text, "blockscope_loop_turn_seconds_bucket{group=\"loop\",le=\"+Inf\"}"), 21);
	assert_int_equal(value_of(text, "blockscope_loop_turn_seconds_count{group=\"loop\"}"), 21);
	assert_non_null(strstr(text, "\nblockscope_loop_turn_seconds_sum{group=\"loop\"} 1.479000000\n"));
	free(text);
	assert_int_equal(exporter_render(&e, METRICS_OPENMETRICS, &text, &len), 0);
	assert_non_null(strstr(text, "# TYPE blockscope_loop_turn_seconds histogram\n"));
	assert_non_null(strstr(text, "# TYPE blockscope_loop_stalls counter\n"));
	assert_non_null(strstr(text, "# TYPE blockscope_loop_busy_ratio gauge\n"));
	free(text);
	loops_free(&l);
}

/* A wait for work of worker tid from start to end (ms), woken by a timer: idle whoever wakes it. */
static void idle_wait(uint32_t tid, uint64_t start_ms, uint64_t end_ms)
{
	struct call_record c = make_call(tid, "epoll_wait", 1, (end_ms - start_ms) * MS,
					 (end_ms - start_ms) * MS, 1);

	c.hdr.tgid = 100;
	c.enter_ns = 1000 * MS + start_ms * MS;
	c.woken_ns = 1000 * MS + end_ms * MS;
	c.waker_kind = WAKER_TIMER;
	account_record(&a, &c, sizeof(c));
}

/* The snapshot ending a second at end_ms; asleep_since_ms: in epoll_wait since then (0: not). */
static void worker_second(uint64_t end_ms, uint64_t asleep_since_ms)
{
	/* Its jobs on a CPU (a tenth of the time): a pool that did work, so sized (sizing_group). */
	struct thread_record r = make_thread(1, "worker-1", end_ms * MS / 10, 0, 0);
	r.hdr.tgid = 100;
	r.first_ns = 1000 * MS;
	r.last_ns = 1000 * MS + end_ms * MS;
	if (asleep_since_ms) {
		r.hdr.flags |= THREAD_SLEEPING | THREAD_IN_CALL;
		r.current_nr = syscall_number("epoll_wait");
		r.call_enter_ns = 1000 * MS + asleep_since_ms * MS;
	}
	account_record(&a, &r, sizeof(r));
}

static double gauge_of(const char *text, const char *series_prefix)
{
	const char *p = strstr(text, series_prefix);

	return p ? strtod(strchr(p, ' ') + 1, NULL) : -1;
}

/*
 * Demand per second: busy threads and the all-busy share of the second,
 * and jobs counted once each though a wait for work spans two seconds.
 */
static void pool_demand_per_second(void **state)
{
	char *text = NULL;
	size_t len;

	struct thread_counters zero = { 0 };

	(void)state;
	account_set_base(&a, 1, 100, &zero); /* traced from its start: its CPU time counts */
	/* Second 1: a job 10-30 ms, then asleep for work from 30 ms to the end (100 ms). */
	idle_wait(1, 0, 10);
	worker_second(100, 30);
	assert_int_equal(exporter_update(&e, &a, 0), 0);
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &text, &len), 0);
	assert_true(fabs(gauge_of(text, "blockscope_pool_busy_threads{group=\"worker-\"}") - 0.2) < 1e-6);
	assert_int_equal(value_of(text, "blockscope_pool_busy_threads_max{group=\"worker-\"}"), 1);
	assert_true(fabs(gauge_of(text, "blockscope_pool_all_busy_ratio{group=\"worker-\"}") - 0.2) < 1e-6);
	assert_int_equal(value_of(text, "blockscope_pool_jobs_total{group=\"worker-\"}"), 1);
	free(text);
	/* Second 2: that wait ends at 120 ms; a job to 150 ms, then waits to the end (200 ms). */
	account_start_interval(&a);
	idle_wait(1, 30, 120);
	idle_wait(1, 150, 200);
	worker_second(200, 0);
	assert_int_equal(exporter_update(&e, &a, 0), 0);
	assert_int_equal(exporter_render(&e, METRICS_PROMETHEUS, &text, &len), 0);
	assert_true(fabs(gauge_of(text, "blockscope_pool_busy_threads{group=\"worker-\"}") - 0.3) < 1e-6);
	assert_int_equal(value_of(text, "blockscope_pool_jobs_total{group=\"worker-\"}"), 2);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixed_exposition),
		cmocka_unit_test(openmetrics_names_families),
		cmocka_unit_test(label_escaping),
		cmocka_unit_test_setup_teardown(cardinality_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(duty_cycle_scales, setup, teardown),
		cmocka_unit_test_setup_teardown(group_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(sliding_window, setup, teardown),
		cmocka_unit_test_setup_teardown(loop_series, setup, teardown),
		cmocka_unit_test_setup_teardown(only_pools_sized, setup, teardown),
		cmocka_unit_test_setup_teardown(runqueue_warning_reads_cpu_busy, setup, teardown),
		cmocka_unit_test(warnings_match_sizing),
		cmocka_unit_test(metrics_agree_with_report),
		cmocka_unit_test_setup_teardown(pool_demand_per_second, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
