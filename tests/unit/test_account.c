// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include "unit.h"
#include "account.h"

static struct account a;

static int setup(void **state)
{
	(void)state;
	return account_init(&a, NULL);
}

static int teardown(void **state)
{
	(void)state;
	account_free(&a);
	return 0;
}

static const struct syscall_stats *stats(const char *name)
{
	return &a.syscalls[syscall_number(name)];
}

static void classifies_a_sequence(void **state)
{
	struct call_record calls[] = {
		make_call(10, "read", 1, 3000000, 2900000, 1),
		make_call(10, "read", 1, 3100000, 3000000, 2),
		make_call(10, "read", -EAGAIN, 800, 0, 0),
		make_call(10, "read", -EBADF, 500, 0, 0),
		make_call(10, "write", 1, 2000, 0, 0),
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		assert_int_equal(account_record(&a, &calls[i], sizeof(calls[i])), 0);
	assert_int_equal(stats("read")->calls, 4);
	assert_int_equal(stats("read")->blocking, 2);
	assert_int_equal(stats("read")->nonblocking, 2);
	assert_int_equal(stats("read")->eagain, 1);
	assert_int_equal(stats("read")->errors, 1);
	assert_int_equal(stats("read")->blocked_ns, 5900000);
	assert_int_equal(stats("read")->max_ns, 3100000);
	assert_int_equal(stats("read")->total_ns, 3000000 + 3100000 + 800 + 500);
	assert_int_equal(stats("write")->calls, 1);
	assert_int_equal(a.nthreads, 1);
	assert_int_equal(a.threads[0].calls, 5);
	assert_int_equal(a.threads[0].blocking_calls, 2);
	assert_int_equal(a.threads[0].class_blocked_ns[CLASS_WAIT], 5900000);
}

static void histogram_slots(void **state)
{
	(void)state;
	assert_int_equal(hist_slot(0), 0);
	assert_int_equal(hist_slot(1999), 0);
	assert_int_equal(hist_slot(2000), 1);
	assert_int_equal(hist_slot(3999), 1);
	assert_int_equal(hist_slot(4000), 2);
	assert_int_equal(hist_slot(1000000), 9); /* 1000 us in [512, 1024) */
	assert_int_equal(hist_slot(UINT64_MAX), HIST_SLOTS - 1);
}

/* The kernel's histogram slot is the collector's, for every size of call. */
static void kernel_and_collector_slots_agree(void **state)
{
	uint64_t ns;
	int shift;

	(void)state;
	for (shift = 0; shift < 64; shift++) {
		for (ns = (1ull << shift) - 1; ns <= (1ull << shift) + 1; ns++) {
			uint64_t us = ns / 1000;
			int slot = 0;

			while (us > 1 && slot < HIST_SLOTS - 1) {
				us >>= 1;
				slot++;
			}
			assert_int_equal(blockscope_hist_slot(ns), slot);
			if (ns == UINT64_MAX)
				break;
		}
	}
}

static void aggregated_calls_count(void **state)
{
	struct agg_record r = make_agg(40, "getppid", 0, 1000, 300, 0, AGG_ENDED, 10);
	struct agg_record e = make_agg(40, "read", 3, 50, 800, 20, AGG_ENDED, 10);

	(void)state;
	e.c.errors = 5;
	assert_int_equal(account_record(&a, &r, sizeof(r)), 0);
	assert_int_equal(account_record(&a, &e, sizeof(e)), 0);
	assert_int_equal(stats("getppid")->calls, 1000);
	assert_int_equal(stats("getppid")->nonblocking, 1000);
	assert_int_equal(stats("getppid")->blocking, 0);
	assert_int_equal(stats("getppid")->total_ns, 300000);
	assert_int_equal(stats("getppid")->hist[0], 1000);
	assert_int_equal(stats("read")->eagain, 20);
	assert_int_equal(stats("read")->errors, 5);
	assert_int_equal(a.threads[0].calls, 1050);
	assert_int_equal(a.threads[0].eagain_calls, 20);
	/* A record too short for its type is refused, not read past its end. */
	assert_int_equal(account_record(&a, &r, sizeof(r) - 1), -1);
}

/*
 * --sched-only folds a thread's repeats of one blocking call into a record
 * of `calls` of them with summed times: it counts as that many calls, each
 * blocking and each a wakeup by its waker, exactly as the calls one by one.
 */
static void folded_repeats_count_as_each_call(void **state)
{
	struct call_record one = make_call(50, "read", 0, 0, 2000, 1), folded = one;
	struct account apart;
	int i;

	(void)state;
	one.hdr.flags = folded.hdr.flags = CALL_SCHED_ONLY;
	one.hdr.tgid = folded.hdr.tgid = 50;
	one.waker_tid = folded.waker_tid = 51;
	one.waker_tgid = folded.waker_tgid = 50;
	strcpy(one.waker_comm, "pong");
	strcpy(folded.waker_comm, "pong");
	folded.calls = 1000;
	folded.voluntary = 1000;
	folded.blocked_ns = 1000 * 2000;
	folded.runq_ns = 1000 * 30;
	one.runq_ns = 30;
	assert_int_equal(account_record(&a, &folded, sizeof(folded)), 0);
	assert_int_equal(account_init(&apart, NULL), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(account_record(&apart, &one, sizeof(one)), 0);

	assert_int_equal(stats("read")->calls, 1000);
	assert_int_equal(stats("read")->blocking, 1000);
	assert_int_equal(stats("read")->blocked_ns, 2000000);
	assert_int_equal(stats("read")->runq_ns, 30000);
	/* Seen from its sleep: no duration, so no time in the histogram. */
	assert_int_equal(stats("read")->timed_calls, 0);
	assert_int_equal(a.threads[0].calls, 1000);
	assert_int_equal(a.threads[0].blocking_calls, 1000);
	assert_int_equal(a.threads[0].nwakers, 1);
	assert_int_equal(a.threads[0].wakers[0].wakeups, 1000);
	assert_int_equal(a.threads[0].wakers[0].blocked_ns, 2000000);
	/* The same books as the calls one by one. */
	assert_int_equal(apart.syscalls[syscall_number("read")].calls, 1000);
	assert_int_equal(apart.syscalls[syscall_number("read")].blocked_ns, 2000000);
	assert_int_equal(apart.threads[0].wakers[0].wakeups, 1000);
	for (i = 0; i < WAIT_REASON_COUNT; i++)
		assert_int_equal(apart.threads[0].reason_blocked_ns[i],
				 a.threads[0].reason_blocked_ns[i]);
	account_free(&apart);
	/* A record that says 0 calls is one call. */
	folded.calls = 0;
	folded.blocked_ns = 2000;
	assert_int_equal(account_record(&a, &folded, sizeof(folded)), 0);
	assert_int_equal(stats("read")->calls, 1001);
}

/*
 * --time-sample: untimed calls count in full, and their time is estimated at
 * the mean of the timed non-blocking calls of the syscall, never at that of
 * blocking ones; max and histogram are of the timed calls only.
 */
static void untimed_calls_estimated_from_timed(void **state)
{
	/* 1600 calls in a thread's slot, 100 of them timed at 500 ns each. */
	struct agg_record r = make_agg(43, "read", 0, 1600, 500, 0, AGG_ENDED, 10);
	/* A streamed retry that read no clock, and a blocking call. */
	struct call_record untimed = make_call(43, "read", 1, 0, 0, 0);
	struct call_record blocking = make_call(43, "read", 1, 2000000, 1900000, 1);
	const struct syscall_stats *s = stats("read");

	(void)state;
	r.c.timed = 100;
	r.c.total_ns = 100 * 500;
	r.c.hist[0] = 100;
	untimed.hdr.flags = CALL_UNTIMED;
	account_agg(&a, &r);
	assert_int_equal(account_record(&a, &untimed, sizeof(untimed)), 0);
	assert_int_equal(account_record(&a, &blocking, sizeof(blocking)), 0);
	assert_int_equal(s->calls, 1602);
	assert_int_equal(s->nonblocking, 1601);
	assert_int_equal(s->blocking, 1);
	assert_int_equal(s->timed_calls, 101);
	assert_int_equal(s->total_ns, 100 * 500 + 2000000);
	assert_int_equal(s->max_ns, 2000000);
	assert_int_equal(s->hist[0], 100);
	assert_true(syscall_time_estimated(s));
	/* 1501 untimed at 500 ns, not at (50000 + 2000000) / 101. */
	assert_int_equal(syscall_time_ns(s), 100 * 500 + 2000000 + 1501 * 500);
	assert_int_equal(a.kernel_counted_calls, 1600);
}

/* Every call timed, or none of them non-blocking: nothing to estimate. */
static void nothing_estimated_when_all_timed(void **state)
{
	struct agg_record r = make_agg(44, "write", 0, 50, 700, 0, AGG_ENDED, 10);
	struct call_record untimed = make_call(44, "close", 0, 0, 0, 0);
	const struct syscall_stats *close_stats = stats("close");

	(void)state;
	untimed.hdr.flags = CALL_UNTIMED;
	account_agg(&a, &r);
	assert_false(syscall_time_estimated(stats("write")));
	assert_int_equal(syscall_time_ns(stats("write")), 50 * 700);
	/* The only close was untimed: counted, flagged, and no time made up. */
	assert_int_equal(account_record(&a, &untimed, sizeof(untimed)), 0);
	assert_int_equal(close_stats->calls, 1);
	assert_true(syscall_time_estimated(close_stats));
	assert_int_equal(syscall_time_ns(close_stats), 0);
	assert_int_equal(close_stats->hist[0], 0);
}

/* A running total then the end of the same generation: counted once. */
static void snapshot_then_end_counts_once(void **state)
{
	struct agg_record snap = make_agg(41, "getppid", 2, 400, 300, 0, 0, 10);
	struct agg_record end = make_agg(41, "getppid", 2, 1000, 300, 0, AGG_ENDED, 20);

	(void)state;
	account_agg(&a, &snap);
	assert_int_equal(stats("getppid")->calls, 400);
	account_agg(&a, &end);
	assert_int_equal(stats("getppid")->calls, 1000);
	assert_int_equal(stats("getppid")->total_ns, 300000);
	assert_int_equal(stats("getppid")->hist[0], 1000);
	assert_int_equal(a.threads[0].calls, 1000);
}

/*
 * The next snapshot is read before the end of the generation the last one
 * saw has come through the ring: both are remembered, neither counted twice.
 */
static void end_arriving_after_the_next_snapshot(void **state)
{
	struct agg_record s1 = make_agg(42, "getppid", 5, 100, 300, 0, 0, 10);
	struct agg_record s2 = make_agg(42, "getppid", 6, 30, 300, 0, 0, 30);
	struct agg_record end5 = make_agg(42, "getppid", 5, 250, 300, 0, AGG_ENDED, 20);
	struct agg_record end6 = make_agg(42, "getppid", 6, 70, 300, 0, AGG_ENDED, 40);
	/* torn: read as generation 5 ended, after its end was counted */
	struct agg_record stale = make_agg(42, "getppid", 5, 240, 300, 0, 0, 25);

	(void)state;
	account_agg(&a, &s1);
	account_agg(&a, &s2);
	account_agg(&a, &end5);
	assert_int_equal(stats("getppid")->calls, 250 + 30);
	account_agg(&a, &stale);
	assert_int_equal(stats("getppid")->calls, 250 + 30);
	account_agg(&a, &end6);
	assert_int_equal(stats("getppid")->calls, 250 + 70);
}

/* Intervals: each report gets what was counted since the last snapshot. */
static void running_totals_across_intervals(void **state)
{
	struct agg_record s1 = make_agg(43, "write", 0, 100, 1000, 0, 0, 10);
	struct agg_record s2 = make_agg(43, "write", 0, 180, 1000, 0, 0, 20);
	struct agg_record end = make_agg(43, "write", 0, 200, 1000, 0, AGG_ENDED, 30);

	(void)state;
	account_agg(&a, &s1);
	assert_int_equal(stats("write")->calls, 100);
	account_start_interval(&a);
	account_agg(&a, &s2);
	assert_int_equal(stats("write")->calls, 80);
	assert_int_equal(stats("write")->total_ns, 80000);
	account_start_interval(&a);
	account_agg(&a, &end);
	assert_int_equal(stats("write")->calls, 20);
	assert_int_equal(a.threads[0].calls, 20);
}

/* After the final snapshot, an ended generation holds nothing new of ours. */
static void aggregates_after_the_final_snapshot_are_late(void **state)
{
	struct agg_record snap = make_agg(44, "getppid", 1, 500, 300, 0, 0, 100);
	struct thread_record end = make_thread(44, "x", 5000000, 0, THREAD_AT_STOP);
	struct agg_record after = make_agg(44, "getppid", 1, 900, 300, 0, AGG_ENDED, 200);
	struct agg_record before = make_agg(44, "read", 0, 7, 300, 0, AGG_ENDED, 90);

	(void)state;
	end.last_ns = 100;
	account_agg(&a, &snap);
	account_thread_record(&a, &end);
	account_agg(&a, &after);
	account_agg(&a, &before);
	assert_int_equal(stats("getppid")->calls, 500);
	assert_int_equal(stats("read")->calls, 7);
	assert_int_equal(a.late_calls, 400 + 500);
}

/* A thread's memory of the kernel's slots goes with it. */
static void aggregates_freed_at_thread_death(void **state)
{
	struct agg_record snap = make_agg(45, "getppid", 0, 10, 300, 0, 0, 10);
	struct thread_record died = make_thread(45, "x", 1000, 0, THREAD_EXITED);

	(void)state;
	account_agg(&a, &snap);
	assert_non_null(account_find_thread(&a, 45)->agg);
	account_thread_record(&a, &died);
	assert_null(account_find_thread(&a, 45)->agg);
}

static void restarted_call_counts_once(void **state)
{
	struct call_record first = make_call(7, "read", -512, 1000000, 900000, 1);
	struct call_record retry = make_call(7, "read", 5, 2000000, 1800000, 1);
	struct call_record lone = make_call(7, "poll", -514, 5000, 4000, 1);
	struct call_record other = make_call(7, "write", 5, 100, 0, 0);

	(void)state;
	account_call(&a, &first);
	assert_int_equal(stats("read")->calls, 0); /* waits for the retry */
	account_call(&a, &retry);
	assert_int_equal(stats("read")->calls, 1);
	assert_int_equal(stats("read")->restarts, 1);
	assert_int_equal(stats("read")->errors, 0);
	assert_int_equal(stats("read")->total_ns, 3000000);
	assert_int_equal(stats("read")->blocked_ns, 2700000);
	/* Interrupted and never retried: counted once, when the next call shows it. */
	account_call(&a, &lone);
	account_call(&a, &other);
	assert_int_equal(stats("poll")->calls, 1);
	assert_int_equal(stats("poll")->restarts, 0);
	assert_int_equal(stats("write")->calls, 1);
	/* Pending at the end: account_finish closes it. */
	account_call(&a, &lone);
	account_finish(&a);
	assert_int_equal(stats("poll")->calls, 2);
}

static void restart_syscall_completes_it(void **state)
{
	struct call_record first = make_call(8, "clock_nanosleep", -516, 1000, 900, 1);
	struct call_record again = make_call(8, "restart_syscall", 0, 5000, 4500, 1);

	(void)state;
	account_call(&a, &first);
	account_call(&a, &again);
	assert_int_equal(stats("clock_nanosleep")->calls, 1);
	assert_int_equal(stats("clock_nanosleep")->total_ns, 6000);
	assert_int_equal(stats("restart_syscall")->calls, 0);
}

static void window_cut_calls_kept_apart(void **state)
{
	struct call_record before = make_call(9, "epoll_wait", 1, 5000000, 5000000, 1);
	struct call_record after = make_call(9, "epoll_wait", 0, 7000000, 7000000, 1);

	(void)state;
	before.hdr.flags = CALL_BEGAN_BEFORE;
	after.hdr.flags = CALL_IN_PROGRESS;
	account_call(&a, &before);
	account_call(&a, &after);
	assert_int_equal(stats("epoll_wait")->calls, 0);
	assert_int_equal(stats("epoll_wait")->partial_calls, 2);
	assert_int_equal(stats("epoll_wait")->partial_ns, 12000000);
	/* Its time still counts for the thread, as idle. */
	assert_int_equal(account_find_thread(&a, 9)->class_blocked_ns[CLASS_IDLE], 12000000);
}

/* A futex wait of thread tid (process tgid), ended by waker at woken_ns. */
static struct call_record futex_wait(uint32_t tid, uint32_t tgid, uint64_t op, uint64_t val,
				     uint64_t blocked_ns, uint64_t woken_ns, uint32_t waker)
{
	struct call_record c = make_call(tid, "futex", 0, blocked_ns, blocked_ns, 1);

	c.hdr.tgid = tgid;
	c.args[0] = 0x7f0000001000ULL + 64 * val;
	c.args[1] = op;
	c.args[2] = val;
	c.woken_ns = woken_ns;
	c.waker_kind = WAKER_TASK;
	c.waker_tid = waker;
	c.waker_tgid = tgid;
	return c;
}

/*
 * Node.js: the event loop took its queue's mutex (contended) to post a task,
 * then woke a worker that had waited 2 s for one. The mutex says nothing of
 * what the loop was doing: it had been given work (its epoll wait), so the
 * worker's wait was for work, not for a result.
 */
static void producer_past_its_mutex_hands_work(void **state)
{
	struct call_record loop = make_call(50, "epoll_wait", 1, 5000000, 5000000, 1);
	struct call_record mutex = futex_wait(50, 50, 128 /* FUTEX_WAIT_PRIVATE */, 2, 20000,
					      2000000, 52);
	struct call_record job = futex_wait(51, 50, 393 /* FUTEX_WAIT_BITSET_PRIVATE|REALTIME */,
					    0, 2000000000, 3000000, 50);
	const struct thread_stats *worker;

	(void)state;
	loop.woken_ns = 1000000;
	account_call(&a, &loop);
	account_call(&a, &mutex);
	account_call(&a, &job);
	assert_int_equal(account_find_thread(&a, 50)->reason_blocked_ns[WAIT_MUTEX], 20000);
	worker = account_find_thread(&a, 51);
	assert_int_equal(worker->reason_blocked_ns[WAIT_HANDED_WORK], 2000000000);
	assert_int_equal(worker->class_blocked_ns[CLASS_WAIT], 0);
}

/*
 * V8's workers: a short mutex wait, then a wait on their task queue still
 * going on at the stop. Not the mutex's class: nothing ended it, it is idle.
 */
static void cut_wait_past_a_mutex_is_idle(void **state)
{
	struct call_record mutex = futex_wait(61, 60, 128 /* FUTEX_WAIT_PRIVATE */, 2, 30000,
					      1000000, 62);
	struct call_record cut = futex_wait(61, 60, 393, 0, 1500000000, 0, 0);
	const struct thread_stats *t;

	(void)state;
	cut.hdr.flags = CALL_IN_PROGRESS;
	cut.waker_kind = WAKER_TASK;
	account_call(&a, &mutex);
	account_call(&a, &cut);
	t = account_find_thread(&a, 61);
	assert_int_equal(t->reason_blocked_ns[WAIT_MUTEX], 30000);
	assert_int_equal(t->reason_blocked_ns[WAIT_CUT_IDLE], 1500000000);
	assert_int_equal(t->reason_blocked_ns[WAIT_CUT_SYNC], 0);
}

static void thread_counters_and_baselines(void **state)
{
	struct thread_counters base = { 1000000, 50000, 10, 2 };
	struct thread_record end = make_thread(20, "worker-3", 5000000, 150000, THREAD_AT_STOP);
	struct fork_record born = { 0 };
	struct thread_record died = make_thread(21, "worker-4", 2000000, 7000, THREAD_EXITED);
	struct thread_stats *t;

	(void)state;
	account_set_base(&a, 20, 20, &base);
	account_record(&a, &end, sizeof(end));
	t = account_find_thread(&a, 20);
	assert_non_null(t);
	assert_string_equal(t->comm, "worker-3");
	assert_int_equal(thread_oncpu_ns(t), 4000000);
	assert_int_equal(thread_runq_ns(t), 100000);

	born.hdr.type = RECORD_FORK;
	born.hdr.tid = 21;
	born.hdr.tgid = 20;
	born.parent_tid = 20;
	born.parent_tgid = 20;
	account_record(&a, &born, sizeof(born));
	/* A base read later from /proc must not replace the zero of a newborn. */
	account_set_base(&a, 21, 20, &base);
	account_record(&a, &died, sizeof(died));
	t = account_find_thread(&a, 21);
	assert_true(t->born);
	assert_true(t->exited);
	assert_int_equal(thread_oncpu_ns(t), 2000000);
	/* /proc at stop does not overwrite a dead thread's final counters. */
	account_set_end(&a, 21, &base);
	assert_int_equal(thread_oncpu_ns(t), 2000000);
	/* A new thread with the reused TID is a new entry. */
	account_record(&a, &born, sizeof(born));
	assert_int_equal(a.nthreads, 3);
	assert_false(account_find_thread(&a, 21)->exited);
}

static void unknown_base_reports_zero(void **state)
{
	struct thread_record end = make_thread(30, "x", 5000000, 0, THREAD_AT_STOP);

	(void)state;
	account_record(&a, &end, sizeof(end));
	assert_int_equal(thread_oncpu_ns(account_find_thread(&a, 30)), 0);
}

static void malformed_records_counted(void **state)
{
	struct call_record c = make_call(1, "read", 0, 1, 0, 0);
	struct record_header h = { 99, 0, 1, 1 };

	(void)state;
	assert_int_equal(account_record(&a, &c, sizeof(c) - 1), -1);
	assert_int_equal(account_record(&a, &h, sizeof(h)), -1);
	assert_int_equal(account_record(&a, &h, 2), -1);
	assert_int_equal(a.malformed, 3);
	assert_int_equal(a.nthreads, 0);
}

static void many_threads(void **state)
{
	uint32_t tid;

	(void)state;
	for (tid = 1; tid <= 5000; tid++) {
		struct call_record c = make_call(tid, "read", 0, tid, 0, 0);

		account_call(&a, &c);
	}
	assert_int_equal(a.nthreads, 5000);
	for (tid = 1; tid <= 5000; tid += 499)
		assert_int_equal(account_find_thread(&a, tid)->tid, tid);
	assert_null(account_find_thread(&a, 5001));
}

static void processes_come_and_go(void **state)
{
	struct fork_record f = { 0 };
	struct process_exit_record e = { 0 };

	(void)state;
	f.hdr.type = RECORD_FORK;
	f.hdr.tid = 501;
	f.hdr.tgid = 501;
	f.parent_tid = 500;
	f.parent_tgid = 500;
	strcpy(f.comm, "child");
	account_record(&a, &f, sizeof(f));
	e.hdr.type = RECORD_PROCESS_EXIT;
	e.hdr.tid = 501;
	e.hdr.tgid = 501;
	e.exit_code = 3 << 8;
	account_record(&a, &e, sizeof(e));
	assert_int_equal(a.nprocesses, 1);
	assert_true(a.processes[0].came);
	assert_true(a.processes[0].went);
	assert_int_equal(a.processes[0].parent_tgid, 500);
	assert_string_equal(a.processes[0].comm, "child");
}

static void fork_record(uint32_t pid, const char *comm)
{
	struct fork_record f = { 0 };

	f.hdr.type = RECORD_FORK;
	f.hdr.tid = f.hdr.tgid = pid;
	f.parent_tid = f.parent_tgid = 500;
	strcpy(f.comm, comm);
	assert_int_equal(account_record(&a, &f, sizeof(f)), 0);
}

static void calls_then_exit(uint32_t pid, int calls)
{
	struct process_exit_record e = { 0 };
	struct thread_record r = make_thread(pid, "x", 1000, 0, THREAD_EXITED);
	int i;

	for (i = 0; i < calls; i++) {
		struct call_record c = make_call(pid, "read", 1, 1000, 0, 0);

		assert_int_equal(account_record(&a, &c, sizeof(c)), 0);
	}
	assert_int_equal(account_record(&a, &r, sizeof(r)), 0);
	e.hdr.type = RECORD_PROCESS_EXIT;
	e.hdr.tid = e.hdr.tgid = pid;
	assert_int_equal(account_record(&a, &e, sizeof(e)), 0);
}

/* A PID reused inside the traced tree: two entries, each with its own threads' totals. */
static void reused_pid_keeps_processes_apart(void **state)
{
	struct process_totals first, second;

	(void)state;
	fork_record(501, "first");
	calls_then_exit(501, 3);
	fork_record(501, "second");
	calls_then_exit(501, 5);
	assert_int_equal(a.nprocesses, 2);
	assert_true(a.processes[0].seq != a.processes[1].seq);
	process_totals(&a, &a.processes[0], &first);
	process_totals(&a, &a.processes[1], &second);
	assert_int_equal(first.threads, 1);
	assert_int_equal(first.calls, 3);
	assert_int_equal(second.threads, 1);
	assert_int_equal(second.calls, 5);
}

static void dead_threads_fold_into_groups(void **state)
{
	struct thread_counters zero = { 0 };
	uint32_t tid;
	size_t i, before;
	uint64_t calls = 0, oncpu = 0;

	(void)state;
	/* A live thread that must survive every fold. */
	account_set_base(&a, 1, 1, &zero);
	for (tid = 100; tid < 100 + 3 * ACCOUNT_MAX_EXITED_THREADS; tid++) {
		struct call_record c = make_call(tid, "read", 1, 1000, 500, 1);
		struct thread_record r = make_thread(tid, tid % 2 ? "worker-7" : "io-3", 2000, 100,
						     THREAD_EXITED);

		r.hdr.tgid = 1;
		c.hdr.tgid = 1;
		account_set_base(&a, tid, 1, &zero);
		account_call(&a, &c);
		account_thread_record(&a, &r);
	}
	before = a.nthreads;
	assert_true(before <= ACCOUNT_MAX_EXITED_THREADS + 3);
	assert_true(a.retired_threads >= 2 * ACCOUNT_MAX_EXITED_THREADS);
	for (i = 0; i < a.nthreads; i++) {
		calls += a.threads[i].calls;
		oncpu += thread_oncpu_ns(&a.threads[i]);
	}
	/* Nothing is lost in the folding. */
	assert_int_equal(calls, 3 * ACCOUNT_MAX_EXITED_THREADS);
	assert_int_equal(oncpu, 2000ull * 3 * ACCOUNT_MAX_EXITED_THREADS);
	assert_non_null(account_find_thread(&a, 1));
	assert_null(account_find_thread(&a, 100));
	for (i = 0; i < a.nthreads; i++)
		if (a.threads[i].tid == 0)
			assert_true(strcmp(a.threads[i].comm, "worker-") == 0 ||
				    strcmp(a.threads[i].comm, "io-") == 0);
	/* A TID that comes back after its thread was folded is new. */
	{
		struct call_record c = make_call(100, "write", 1, 10, 0, 0);

		account_call(&a, &c);
		assert_int_equal(account_find_thread(&a, 100)->calls, 1);
	}
}

static void nothing_counts_twice_after_the_final_snapshot(void **state)
{
	struct thread_counters zero = { 0 };
	struct thread_record fin = make_thread(40, "w", 5000, 0, THREAD_AT_STOP);
	struct call_record cut = make_call(40, "read", 0, 300, 300, 1);
	struct call_record late = make_call(40, "read", 5, 400, 350, 1);
	struct call_record early = make_call(40, "read", 5, 100, 90, 1);
	struct thread_record died = make_thread(40, "w", 9000, 0, THREAD_EXITED);

	(void)state;
	account_set_base(&a, 40, 40, &zero);
	fin.last_ns = 1000;
	account_thread_record(&a, &fin);
	cut.hdr.flags = CALL_IN_PROGRESS; /* from the snapshot: 700..1000 */
	cut.enter_ns = 700;
	account_call(&a, &cut);
	late.enter_ns = 700; /* the same call ending at 1100, drained later */
	account_call(&a, &late);
	early.enter_ns = 500; /* ended at 600, before the snapshot, drained later */
	account_call(&a, &early);
	assert_int_equal(stats("read")->calls, 1);
	assert_int_equal(stats("read")->partial_calls, 1);
	assert_int_equal(a.late_calls, 1);
	/* Its exit after the snapshot does not move its counters either. */
	account_thread_record(&a, &died);
	assert_int_equal(thread_oncpu_ns(account_find_thread(&a, 40)), 5000);
	assert_true(account_find_thread(&a, 40)->exited);
}

static void busy_syscalls_keep_their_slots(void **state)
{
	struct thread_stats *t;
	long nr;
	int i, found = 0;

	(void)state;
	/* 20 start-up syscalls once each, then the serving ones many times. */
	for (nr = 100; nr < 120; nr++) {
		struct call_record c = make_call(50, "read", 0, 10, 0, 0);

		c.nr = nr;
		account_call(&a, &c);
	}
	for (i = 0; i < 50; i++) {
		struct call_record r = make_call(50, "recvfrom", 0, 10, 0, 0);
		struct call_record w = make_call(50, "sendto", 0, 10, 0, 0);

		account_call(&a, &r);
		account_call(&a, &w);
	}
	t = account_find_thread(&a, 50);
	for (i = 0; i < t->nsyscalls; i++)
		if ((t->syscalls[i].nr == syscall_number("recvfrom") ||
		     t->syscalls[i].nr == syscall_number("sendto")) && t->syscalls[i].calls >= 49)
			found++;
	assert_int_equal(found, 2);
	assert_int_equal(t->syscalls[THREAD_SYSCALL_SLOTS].nr, -1);
}

static void comm_without_nul_is_bounded(void **state)
{
	struct call_record c = make_call(60, "read", 1, 1000, 900, 1);
	char g[BLOCKSCOPE_COMM_LEN];

	(void)state;
	/* Found by the fuzzer: a record's comm may fill all 16 bytes. */
	memset(c.waker_comm, 'x', sizeof(c.waker_comm));
	c.waker_tgid = 7;
	account_call(&a, &c);
	assert_int_equal(account_find_thread(&a, 60)->nwakers, 1);
	assert_int_equal(strlen(account_find_thread(&a, 60)->wakers[0].comm), BLOCKSCOPE_COMM_LEN - 1);
	group_name(c.waker_comm, g, sizeof(g));
	assert_int_equal(strlen(g), BLOCKSCOPE_COMM_LEN - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(classifies_a_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(histogram_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_and_collector_slots_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(aggregated_calls_count, setup, teardown),
		cmocka_unit_test_setup_teardown(folded_repeats_count_as_each_call, setup, teardown),
		cmocka_unit_test_setup_teardown(untimed_calls_estimated_from_timed, setup, teardown),
		cmocka_unit_test_setup_teardown(nothing_estimated_when_all_timed, setup, teardown),
		cmocka_unit_test_setup_teardown(snapshot_then_end_counts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(end_arriving_after_the_next_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(running_totals_across_intervals, setup, teardown),
		cmocka_unit_test_setup_teardown(aggregates_after_the_final_snapshot_are_late, setup,
						teardown),
		cmocka_unit_test_setup_teardown(aggregates_freed_at_thread_death, setup, teardown),
		cmocka_unit_test_setup_teardown(restarted_call_counts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(restart_syscall_completes_it, setup, teardown),
		cmocka_unit_test_setup_teardown(window_cut_calls_kept_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(thread_counters_and_baselines, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_base_reports_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_records_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(many_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(processes_come_and_go, setup, teardown),
		cmocka_unit_test_setup_teardown(reused_pid_keeps_processes_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(dead_threads_fold_into_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(nothing_counts_twice_after_the_final_snapshot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(busy_syscalls_keep_their_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(comm_without_nul_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(producer_past_its_mutex_hands_work, setup, teardown),
		cmocka_unit_test_setup_teardown(cut_wait_past_a_mutex_is_idle, setup, teardown),
	};

	return cmocka_run_group_tests_name("account", tests, NULL, NULL);
}
