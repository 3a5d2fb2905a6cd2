// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Event loops: which threads are loops, their turns, what blocks them, and that none is sized. */
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"
#include "loops.h"
#include "roles.h"
#include "sizing.h"
#include "syscalls.h"

#define US 1000ULL
#define MS 1000000ULL

static struct account a;
static struct loops l;

/* The fds of these tests: 7 is a backend connection the process opened, 9 a pipe. */
static enum fd_kind fd_kind_stub(void *ctx, uint32_t tgid, int fd, const struct call_record *c)
{
	(void)c;
	(void)ctx;
	(void)tgid;
	return fd == 7 ? FD_CLIENT_CONN : fd == 9 ? FD_IPC : FD_SERVER_CONN;
}

static int setup(void **state)
{
	struct account_observer o = { .on_call = loops_on_call,
				      .on_cut_call = loops_on_cut_call,
				      .ctx = &l };

	(void)state;
	if (account_init(&a, NULL))
		return -1;
	a.fd_kind_of = fd_kind_stub;
	loops_init(&l, 0);
	return account_observe(&a, &o);
}

static int teardown(void **state)
{
	(void)state;
	loops_free(&l);
	account_free(&a);
	return 0;
}

/* A readiness call of tid from at for dur (blocked: it slept all of it), asking about n fds. */
static void wait_call(uint32_t tid, const char *name, uint64_t at, uint64_t dur, bool blocked,
		      uint64_t n)
{
	struct call_record c = make_call(tid, name, 1, dur, blocked ? dur : 0, blocked);

	c.enter_ns = at;
	c.args[0] = 3;
	if (strcmp(name, "poll") == 0 || strcmp(name, "ppoll") == 0)
		c.args[1] = n;
	else
		c.args[2] = n;
	account_call(&a, &c);
}

/* A blocking call of tid on fd, from at for dur. */
static void blocking_call(uint32_t tid, const char *name, int fd, uint64_t at, uint64_t dur)
{
	struct call_record c = make_call(tid, name, 1, dur, dur, 1);

	c.enter_ns = at;
	c.args[0] = (uint64_t)fd;
	account_call(&a, &c);
}

/* Its kernel counters over the window: on CPU, run queue, blocked. */
static struct thread_stats *counters(uint32_t tid, uint64_t oncpu, uint64_t runq,
				     uint64_t blocked)
{
	struct thread_stats *t = account_find_thread(&a, tid);

	assert_non_null(t);
	t->have_base = t->have_end = true;
	t->end.oncpu_ns = oncpu;
	t->end.run_delay_ns = runq;
	t->blocked_ns = blocked;
	return t;
}

static void named(uint32_t tid, const char *comm)
{
	struct thread_stats *t = account_find_thread(&a, tid);

	assert_non_null(t);
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

/* One summary: the loop thread tid's, which must be there. */
static struct loop_summary *summary_of(uint32_t tid, struct loop_summary **all)
{
	int n = loops_summarize(&l, &a, all), i;

	assert_true(n >= 0);
	for (i = 0; i < n; i++)
		if ((*all)[i].t->tid == tid)
			return &(*all)[i];
	fail_msg("no loop summary for %u", tid);
	return NULL;
}

/*
 * Turns run from a wait's return to the next wait: five waits of 1 ms, with
 * 2 ms of work between each, are four turns of 2 ms; one of 30 ms is a
 * stall at the default threshold (10 ms).
 */
static void turns_between_waits(void **state)
{
	uint64_t at = 100 * MS;
	const struct loop_thread *lt;
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		wait_call(10, "epoll_wait", at, 1 * MS, true, 64);
		at += 1 * MS + 2 * MS;
	}
	/* The long turn: 20 ms asleep in a read (1 ms of it to get a CPU back), 10 ms on a CPU. */
	{
		struct call_record c = make_call(10, "read", 1, 21 * MS, 20 * MS, 1);

		c.enter_ns = at + 4 * MS;
		c.runq_ns = 1 * MS;
		c.args[0] = 7;
		account_call(&a, &c);
	}
	at += 28 * MS;
	wait_call(10, "epoll_wait", at, 1 * MS, true, 64);
	lt = loops_find(&l, 10);
	assert_int_equal(lt->stall_blocked_ns, 20 * MS);
	assert_int_equal(lt->stall_runq_ns, 1 * MS);
	assert_non_null(lt);
	assert_int_equal(lt->waits, 6);
	assert_int_equal(lt->turns, 5);
	assert_int_equal(lt->turn_max_ns, 30 * MS);
	assert_int_equal(lt->stalls, 1);
	assert_int_equal(lt->stalled_ns, 30 * MS);
	/* Four of five turns were 2 ms: the median is 2 ms (within a slot, 6%). */
	assert_true(loops_turn_quantile(lt, 0.5) >= 2 * MS * 94 / 100);
	assert_true(loops_turn_quantile(lt, 0.5) <= 2 * MS * 106 / 100);
	assert_int_equal(loops_turn_quantile(lt, 0.99), 30 * MS);
}

/* A loop that always has work never sleeps in its wait: its turns come from the calls that returned at once. */
static void turns_of_a_loop_that_never_sleeps(void **state)
{
	uint64_t at = 0;
	const struct loop_thread *lt;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		wait_call(11, "epoll_pwait", at, 2 * US, false, 1024);
		at += 2 * US + (uint64_t)(i + 1) * US; /* turns of 1 us to 1 ms */
	}
	lt = loops_find(&l, 11);
	assert_int_equal(lt->turns, 999);
	assert_int_equal(lt->stalls, 0);
	/* The quantiles of 1..999 us, each within 7%. */
	assert_true(loops_turn_quantile(lt, 0.5) >= 465 * US &&
		    loops_turn_quantile(lt, 0.5) <= 535 * US);
	assert_true(loops_turn_quantile(lt, 0.99) >= 921 * US &&
		    loops_turn_quantile(lt, 0.99) <= 1060 * US);
	counters(11, 990 * MS, 5 * MS, 0);
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_equal(account_find_thread(&a, 11)->role, ROLE_LOOP);
}

/*
 * The blocking variant: each turn makes one blocking recvfrom on a backend
 * connection. It is blocking on the loop, by syscall and reason, with its
 * share of the loop's time; the loop's own wait is not.
 */
static void blocking_on_the_loop(void **state)
{
	uint64_t at = 0;
	struct loop_summary *all, *s;
	char finding[400];
	int i;

	(void)state;
	/* Before its first wait it was not running a loop: not counted. */
	blocking_call(12, "read", 5, at, 5 * MS);
	at += 6 * MS;
	for (i = 0; i < 100; i++) {
		wait_call(12, "epoll_wait", at, 1 * MS, true, 64);
		at += 1 * MS + 100 * US;
		blocking_call(12, "recvfrom", 7, at, 3 * MS + (uint64_t)i * US);
		at += 3 * MS + (uint64_t)i * US + 100 * US;
	}
	named(12, "python3");
	counters(12, 25 * MS, 5 * MS, 100 * MS + 300 * MS + 4950 * US + 5 * MS);
	roles_assign(&a);
	loops_mark(&l, &a);
	s = summary_of(12, &all);
	assert_int_equal(s->ncalls, 1);
	assert_int_equal(s->calls[0].nr, syscall_number("recvfrom"));
	assert_int_equal(s->calls[0].reason, WAIT_BACKEND);
	assert_int_equal(s->calls[0].calls, 100);
	assert_int_equal(s->calls[0].blocked_ns, 300 * MS + 4950 * US);
	assert_int_equal(s->calls[0].max_ns, 3 * MS + 99 * US);
	assert_int_equal(s->blocked_on_loop_ns, 300 * MS + 4950 * US);
	/* 304.95 ms of 439.95 ms on CPU, on the run queue and blocked. */
	assert_true(s->blocked_share > 0.69 && s->blocked_share < 0.70);
	assert_int_equal(s->lt->turns, 99);
	/* No turn was a stall: nothing in the split, though each turn blocked. */
	assert_int_equal(s->lt->stalls, 0);
	assert_int_equal(s->lt->stall_blocked_ns, 0);
	loops_finding(s, 2, finding, sizeof(finding));
	assert_non_null(strstr(finding, "blocked 69% of its time in recvfrom (backend, 100 calls, max 3.10 ms)"));
	assert_non_null(strstr(finding, "every connection on this loop waits"));
	free(all);
}

/*
 * --sched-only folds alike blocking calls into one record of n calls: all
 * counted, and their largest taken as at least their mean.
 */
static void folded_blocking_calls(void **state)
{
	struct call_record c = make_call(13, "futex", 0, 0, 40 * MS, 4);
	const struct loop_thread *lt;

	(void)state;
	wait_call(13, "epoll_wait", 0, 1 * MS, true, 64);
	c.hdr.flags = CALL_SCHED_ONLY;
	c.calls = 4;
	c.enter_ns = 2 * MS;
	c.args[1] = 0x189; /* FUTEX_WAIT_BITSET_PRIVATE|CLOCK_REALTIME: not a mutex */
	account_call(&a, &c);
	lt = loops_find(&l, 13);
	assert_int_equal(lt->ncalls, 1);
	assert_int_equal(lt->calls[0].calls, 4);
	assert_int_equal(lt->calls[0].blocked_ns, 40 * MS);
	assert_int_equal(lt->calls[0].max_ns, 10 * MS);
}

/*
 * Not loops: a thread that polls one socket (a pool thread with a read
 * timeout, a process per connection), and one whose readiness waits are
 * not how it waits for work (it waits for handed work on a futex).
 */
static void one_source_is_not_a_loop(void **state)
{
	uint64_t at = 0;
	struct thread_stats *t;
	int i;

	(void)state;
	for (i = 0; i < 10; i++, at += 10 * MS)
		wait_call(20, "poll", at, 5 * MS, true, 1);
	for (i = 0; i < 10; i++, at += 10 * MS)
		wait_call(21, "epoll_wait", at, 1 * MS, true, 8);
	t = account_find_thread(&a, 21);
	t->reason_blocked_ns[WAIT_HANDED_WORK] += 500 * MS;
	t->class_blocked_ns[CLASS_IDLE] += 500 * MS;
	/*
	 * Node's loop in Atomics.wait with a timeout (a futex wait that times
	 * out: idle, "nothing came") longer than in its epoll_wait: still a
	 * loop. A timed-out wait is not how it waits for new work.
	 */
	for (i = 0; i < 10; i++, at += 10 * MS)
		wait_call(25, "epoll_wait", at, 1 * MS, true, 1024);
	t = account_find_thread(&a, 25);
	t->reason_blocked_ns[WAIT_TIMED_OUT] += 30 * MS;
	t->class_blocked_ns[CLASS_IDLE] += 30 * MS;
	/* A poll of two fds is a loop. */
	for (i = 0; i < 10; i++, at += 10 * MS)
		wait_call(22, "poll", at, 5 * MS, true, 2);
	/* select's nfds is not a count: a pre-forked worker's listener and pipe. */
	for (i = 0; i < 10; i++, at += 10 * MS)
		wait_call(24, "select", at, 5 * MS, true, 0);
	/* One wait asking about 64 fds is a loop (one held in a single turn makes no more). */
	wait_call(23, "epoll_wait", at, 5 * MS, true, 64);
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_not_equal(account_find_thread(&a, 20)->role, ROLE_LOOP);
	assert_int_not_equal(account_find_thread(&a, 21)->role, ROLE_LOOP);
	assert_int_equal(account_find_thread(&a, 22)->role, ROLE_LOOP);
	assert_int_equal(account_find_thread(&a, 23)->role, ROLE_LOOP);
	assert_int_not_equal(account_find_thread(&a, 24)->role, ROLE_LOOP);
	assert_int_equal(account_find_thread(&a, 25)->role, ROLE_LOOP);
}

/* A Go program's Ms poll the network in epoll_pwait: they are GOMAXPROCS's pool, not loops. */
static void go_threads_are_not_loops(void **state)
{
	uint64_t at = 0;
	int i;

	(void)state;
	for (i = 0; i < 10; i++, at += 10 * MS)
		wait_call(30, "epoll_pwait", at, 5 * MS, true, 128);
	account_process(&a, 30)->runtime = RUNTIME_GO;
	account_find_thread(&a, 30)->process_seq = account_process(&a, 30)->seq;
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_not_equal(account_find_thread(&a, 30)->role, ROLE_LOOP);
}

/*
 * pool_server: an epoll acceptor beside a pool of workers. The acceptor is
 * a loop and has no size; the workers are sized, alone in the total. A loop
 * named like pool threads gets a group of its own.
 */
static void loops_are_never_sized(void **state)
{
	struct sizing total, *groups;
	size_t n, i;
	uint64_t at = 0;
	int k, seen = 0;

	(void)state;
	for (k = 0; k < 50; k++, at += 4 * MS)
		wait_call(40, "epoll_wait", at, 3 * MS, true, 64);
	named(40, "acceptor");
	counters(40, 48 * MS, 40 * MS, 1800 * MS);
	for (k = 41; k <= 44; k++) {
		account_thread(&a, (uint32_t)k, 40);
		named((uint32_t)k, "worker-1");
		blocking_call((uint32_t)k, "read", 7, 0, 300 * MS);
		counters((uint32_t)k, 500 * MS, 10 * MS, 1500 * MS);
	}
	/* A second loop called like the workers. */
	account_thread(&a, 45, 40);
	for (k = 0; k < 50; k++, at += 4 * MS)
		wait_call(45, "epoll_wait", at, 3 * MS, true, 64);
	account_find_thread(&a, 45)->tgid = 40;
	named(45, "worker-9");
	counters(45, 20 * MS, 1 * MS, 1000 * MS);
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_string_equal(account_find_thread(&a, 45)->group, "worker- loop");
	assert_int_equal(sizing_by_group(&a, 2, 1, 0.53, &total, &groups, &n), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(groups[i].group, "acceptor") == 0 ||
		    strcmp(groups[i].group, "worker- loop") == 0) {
			assert_int_equal(groups[i].role, ROLE_LOOP);
			assert_int_equal(groups[i].recommended, 0);
			assert_int_equal(groups[i].nwarnings, 0);
			seen++;
		} else if (strcmp(groups[i].group, "worker-") == 0) {
			assert_int_equal(groups[i].role, ROLE_POOL);
			assert_int_equal(groups[i].split.threads, 4);
			assert_true(groups[i].recommended > 0);
		}
	}
	assert_int_equal(seen, 2);
	/* The total is the pool's alone. */
	assert_int_equal(total.split.threads, 4);
	assert_int_equal(total.split.compute_ns, 2000 * MS);
	free(groups);
}

/* A lone loop: nothing to size, and no warning that there was too little CPU to. */
static void a_lone_loop_leaves_nothing_to_size(void **state)
{
	struct sizing total, *groups;
	struct loop_summary *all, *s;
	char finding[400];
	uint64_t at = 0;
	size_t n;
	int k;

	(void)state;
	for (k = 0; k < 100; k++, at += 2 * MS)
		wait_call(50, "epoll_wait", at, 2 * US, false, 64);
	named(50, "loop");
	counters(50, 198 * MS, 2 * MS, 0);
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_equal(sizing_by_group(&a, 2, 1, 0.6, &total, &groups, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(groups[0].role, ROLE_LOOP);
	assert_int_equal(total.recommended, 0);
	assert_int_equal(total.nwarnings, 0);
	free(groups);
	s = summary_of(50, &all);
	assert_true(s->busy > 0.98);
	loops_finding(s, 2, finding, sizeof(finding));
	assert_string_equal(finding, "99% busy: the loop is the bottleneck; one loop per CPU (N = 2) "
				     "would use the CPUs");
	free(all);
}

/*
 * A loop never idle but on a CPU only 70% of the time, waiting for one the
 * rest (a closed-loop load generator and the backend beside it on 2 CPUs):
 * still the bottleneck, and said with the share it waited for a CPU.
 */
static void a_loop_waiting_for_a_cpu_is_still_the_bottleneck(void **state)
{
	struct loop_summary *all, *s;
	char finding[400];
	uint64_t at = 0;
	int k;

	(void)state;
	for (k = 0; k < 100; k++, at += 2 * MS)
		wait_call(50, "epoll_wait", at, 2 * US, false, 64);
	named(50, "loop");
	counters(50, 140 * MS, 58 * MS, 2 * MS);
	roles_assign(&a);
	loops_mark(&l, &a);
	s = summary_of(50, &all);
	assert_true(s->busy < 0.9);
	loops_finding(s, 2, finding, sizeof(finding));
	assert_string_equal(finding, "never idle (on a CPU 70%, waiting for one 29%): the loop is the "
				     "bottleneck; one loop per CPU (N = 2) would use the CPUs");
	free(all);
}

static void an_idle_loop_is_healthy(void **state)
{
	struct loop_summary *all, *s;
	char finding[400];
	uint64_t at = 0;
	int k;

	(void)state;
	for (k = 0; k < 100; k++, at += 10 * MS)
		wait_call(60, "epoll_wait", at, 9800 * US, true, 64);
	named(60, "loop");
	counters(60, 20 * MS, 1 * MS, 980 * MS);
	account_find_thread(&a, 60)->reason_blocked_ns[WAIT_EVENT_LOOP] = 980 * MS;
	account_find_thread(&a, 60)->class_blocked_ns[CLASS_IDLE] = 980 * MS;
	roles_assign(&a);
	loops_mark(&l, &a);
	s = summary_of(60, &all);
	assert_int_equal(s->blocked_on_loop_ns, 0);
	loops_finding(s, 2, finding, sizeof(finding));
	assert_non_null(strstr(finding, "mostly idle, turns p99 "));
	assert_non_null(strstr(finding, ": healthy"));
	free(all);
	/* A new window forgets what was counted, but the turn under way. */
	loops_reset(&l);
	assert_non_null(loops_find(&l, 60));
	assert_int_equal(loops_find(&l, 60)->turns, 0);
	assert_int_equal(loops_find(&l, 60)->waits, 0);
	assert_true(loops_find(&l, 60)->in_turn);
}

/*
 * Node.js doing its work on the loop: V8's platform workers (unnamed, like
 * the process) hand tasks round and wait on each other, computing little.
 * Beside a loop that computes more, they are its runtime's helpers: no
 * lock-contention warning. The same threads in a process with no loop are
 * warned of, as before.
 */
static void helpers_beside_a_loop_are_not_contention(void **state)
{
	struct sizing total, *groups;
	uint32_t pid, tid;
	size_t n, i;
	int warned[2] = { 0, 0 }, helpers = 0;

	(void)state;
	for (pid = 70; pid <= 80; pid += 10) {
		uint64_t at = 0;
		int k;

		/* The main thread: a busy loop in 70; in 80 it only sleeps. */
		if (pid == 70)
			for (k = 0; k < 100; k++, at += 10 * MS)
				wait_call(pid, "epoll_pwait", at, 1 * US, false, 1024);
		else
			blocking_call(pid, "clock_nanosleep", 0, 0, 900 * MS);
		/* Named apart: one label across processes would be one group. */
		named(pid, pid == 70 ? "node" : "deno");
		counters(pid, 900 * MS, 10 * MS, pid == 70 ? 0 : 900 * MS);
		for (tid = pid + 1; tid <= pid + 4; tid++) {
			struct thread_stats *t = account_thread(&a, tid, pid);

			named(tid, pid == 70 ? "node" : "deno");
			counters(tid, 50 * MS, 1 * MS, 2000 * MS);
			t->reason_blocked_ns[WAIT_SIBLING] = 2000 * MS;
			t->class_blocked_ns[CLASS_SYNC] = 2000 * MS;
			t->first_ns = 1;
			t->last_ns = 2100 * MS;
		}
	}
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_equal(account_find_thread(&a, 70)->role, ROLE_LOOP);
	assert_int_not_equal(account_find_thread(&a, 80)->role, ROLE_LOOP);
	assert_int_equal(sizing_by_group(&a, 2, 1, 0.9, &total, &groups, &n), 0);
	for (i = 0; i < n; i++) {
		if (groups[i].role != ROLE_POOL || groups[i].split.threads != 4)
			continue;
		helpers++;
		assert_int_equal(groups[i].loop_helpers, strncmp(groups[i].group, "node", 4) == 0);
		if (groups[i].loop_helpers)
			warned[0] += groups[i].lock_contention;
		else
			warned[1] += groups[i].lock_contention;
	}
	assert_int_equal(helpers, 2);
	assert_int_equal(warned[0], 0);
	assert_int_equal(warned[1], 1);
	free(groups);
}

/*
 * A coroutine that never yields holds its loop in one turn: one wait in the
 * window, then 2 s blocked and computing until the window closed. The turn
 * still going on is a stall, split as the others.
 */
static void a_turn_still_going_on_is_a_stall(void **state)
{
	struct loop_summary *all, *s;
	struct thread_stats *t;
	char finding[400];
	uint64_t at = 10 * MS;
	int k;

	(void)state;
	wait_call(90, "epoll_wait", 0, 10 * MS, true, 64);
	for (k = 0; k < 400; k++, at += 5 * MS)
		blocking_call(90, "recvfrom", 7, at + 1 * MS, 3 * MS);
	named(90, "loop");
	t = counters(90, 800 * MS, 0, 1200 * MS + 10 * MS);
	t->last_ns = at;
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_equal(t->role, ROLE_LOOP);
	s = summary_of(90, &all);
	assert_int_equal(s->lt->turns, 0);
	assert_int_equal(s->open_turn_ns, 2000 * MS);
	assert_int_equal(s->stalls, 1);
	assert_int_equal(s->stalled_ns, 2000 * MS);
	assert_int_equal(s->stall_blocked_ns, 1200 * MS);
	loops_finding(s, 2, finding, sizeof(finding));
	assert_non_null(strstr(finding, "blocked 60% of its time in recvfrom (backend, 400 calls"));
	free(all);
}

/*
 * An idle loop asleep in its wait at the stop: its last turn ended where
 * that wait began (the wait, cut by the stop, is never a complete call), not
 * at the last snapshot. An idle nginx worker was called stalled 13 ms.
 */
static void back_in_its_wait_at_the_stop_is_no_stall(void **state)
{
	struct loop_summary *all, *s;
	struct thread_stats *t;
	uint64_t at = 0;
	int k;

	(void)state;
	for (k = 0; k < 10; k++, at += 20 * MS)
		wait_call(91, "epoll_wait", at, 19 * MS, true, 64);
	named(91, "nginx");
	t = counters(91, 10 * MS, 0, 190 * MS);
	/* Its last turn: 50 us after the last wait returned, it waits again, until the stop. */
	t->current_nr = syscall_number("epoll_wait");
	t->call_enter_ns = at - 1 * MS + 50 * US;
	t->last_ns = at + 13 * MS;
	roles_assign(&a);
	loops_mark(&l, &a);
	s = summary_of(91, &all);
	assert_int_equal(s->open_turn_ns, 50 * US);
	assert_int_equal(s->stalls, 0);
	free(all);
	/* Not back in its wait (in a read): the turn still goes on at the last snapshot. */
	t->current_nr = syscall_number("read");
	s = summary_of(91, &all);
	assert_int_equal(s->open_turn_ns, 14 * MS);
	assert_int_equal(s->stalls, 1);
	free(all);
}

/*
 * --sched-only sees a turn from one sleep in the wait to the next: a busy
 * nginx worker's back-to-back turns made 12 spans of 30-47 ms "stalled on a
 * CPU". Its finding says what it cannot tell apart, not that it stalled.
 */
static void sleeps_only_does_not_call_busy_turns_stalls(void **state)
{
	struct loop_summary *all, *s;
	char finding[400];
	uint64_t at = 0;
	int k;

	(void)state;
	l.sleeps_only = true;
	for (k = 0; k < 10; k++, at += 40 * MS)
		wait_call(92, "epoll_wait", at, 5 * MS, true, 64);
	named(92, "nginx");
	counters(92, 300 * MS, 50 * MS, 50 * MS);
	roles_assign(&a);
	loops_mark(&l, &a);
	loops_reset(&l);
	assert_true(l.sleeps_only);
	for (k = 0; k < 10; k++, at += 40 * MS)
		wait_call(92, "epoll_wait", at, 5 * MS, true, 64);
	s = summary_of(92, &all);
	/* 9, and the one from the first window's last wait to this one's first. */
	assert_int_equal(s->stalls, 10);
	loops_finding(s, 2, finding, sizeof(finding));
	assert_string_equal(finding, "10 times over the threshold without sleeping in its wait (longest "
				     "35.00 ms), mostly on a CPU: a stall, or busy turns back to back, "
				     "which --sched-only does not tell apart (trace without it to know)");
	free(all);
}

/*
 * Calls cut by the window: an nginx worker that no connection reached sat
 * in epoll_wait(512) from before the start to after the stop: a loop,
 * healthy. Another's first wait began before the start and its last was
 * still going on at the stop: its turns run from the first's return to the
 * last's entry, and no turn is left open.
 */
static void waits_cut_by_the_window_make_a_loop(void **state)
{
	struct call_record c = make_call(93, "epoll_wait", 1, 3000 * MS, 3000 * MS, 1);
	struct loop_summary *all, *s;
	uint64_t at;
	int k;

	(void)state;
	c.hdr.flags |= CALL_BEGAN_BEFORE | CALL_IN_PROGRESS;
	c.args[2] = 512;
	account_call(&a, &c);
	named(93, "nginx");
	counters(93, 0, 0, 3000 * MS);

	c = make_call(94, "epoll_wait", 1, 5 * MS, 5 * MS, 1);
	c.hdr.flags |= CALL_BEGAN_BEFORE;
	c.args[2] = 512;
	account_call(&a, &c);
	for (k = 0, at = 6 * MS; k < 5; k++, at += 10 * MS)
		wait_call(94, "epoll_wait", at, 9 * MS, true, 512);
	c = make_call(94, "epoll_wait", 1, 20 * MS, 20 * MS, 1);
	c.enter_ns = at;
	c.hdr.flags |= CALL_IN_PROGRESS;
	c.args[2] = 512;
	account_call(&a, &c);
	named(94, "nginx");
	account_find_thread(&a, 94)->last_ns = at + 20 * MS;
	counters(94, 6 * MS, 0, 70 * MS);
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_equal(account_find_thread(&a, 93)->role, ROLE_LOOP);
	assert_int_equal(account_find_thread(&a, 94)->role, ROLE_LOOP);
	{
		char finding[400];

		s = summary_of(93, &all);
		loops_finding(s, 2, finding, sizeof(finding));
		assert_string_equal(finding, "asleep in its wait all the window: idle");
		free(all);
	}
	s = summary_of(94, &all);
	/* 5 to 6, 15 to 16, ... 55 to 56 ms: 6 turns of 1 ms. */
	assert_int_equal(s->lt->turns, 6);
	assert_int_equal(s->lt->turn_max_ns, 1 * MS);
	assert_int_equal(s->open_turn_ns, 0);
	assert_int_equal(s->stalls, 0);
	free(all);
}

/* Redis at 90% busy running a slow Lua script 3 times: busy, and the stalls said too. */
static void a_busy_loop_that_stalls_says_both(void **state)
{
	struct loop_summary *all, *s;
	char finding[400];
	uint64_t at = 0;
	int k;

	(void)state;
	for (k = 0; k < 100; k++) {
		wait_call(95, "epoll_wait", at, 2 * US, false, 64);
		at += k % 33 == 32 ? 75 * MS : 1 * MS;
	}
	named(95, "redis-server");
	counters(95, 320 * MS, 10 * MS, 0);
	roles_assign(&a);
	loops_mark(&l, &a);
	s = summary_of(95, &all);
	assert_int_equal(s->stalls, 3);
	loops_finding(s, 2, finding, sizeof(finding));
	assert_string_equal(finding, "97% busy: the loop is the bottleneck; one loop per CPU (N = 2) "
				     "would use the CPUs; it also stalled 3 times on a CPU (longest "
				     "75.00 ms)");
	free(all);
}

/*
 * --interval and --serve: a turn that begins in one window and ends in the
 * next counts in the next (it was lost at the window's reset before).
 */
static void a_turn_across_two_windows_counts_where_it_ends(void **state)
{
	struct loop_summary *all, *s;
	int k;

	(void)state;
	for (k = 0; k < 5; k++)
		wait_call(96, "epoll_wait", (uint64_t)k * 10 * MS, 9 * MS, true, 64);
	/* The last wait returned at 49 ms; the window closes at 50, the next wait is at 51. */
	named(96, "loop");
	counters(96, 5 * MS, 0, 45 * MS);
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_equal(summary_of(96, &all)->lt->turns, 4);
	free(all);
	loops_reset(&l);
	wait_call(96, "epoll_wait", 51 * MS, 9 * MS, true, 64);
	s = summary_of(96, &all);
	assert_int_equal(s->lt->turns, 1);
	assert_int_equal(s->lt->turn_max_ns, 2 * MS);
	free(all);
	/* A thread that did not wait in a window is not carried past it. */
	loops_reset(&l);
	loops_reset(&l);
	assert_int_equal(l.n, 0);
}

/*
 * A loop whose calls in its turns are judged idle for longer than it waits
 * in epoll (Node reading a FIFO its helper thread writes late: a wait
 * between threads, woken by a thread of its own not known yet, judged a
 * handed-over wait): still a loop, blocked in them.
 */
static void idle_judged_calls_on_the_loop_do_not_hide_it(void **state)
{
	struct loop_summary *all, *s;
	uint64_t at = 0;
	int k;

	(void)state;
	for (k = 0; k < 50; k++, at += 10 * MS) {
		struct call_record c = make_call(97, "read", 1, 6 * MS, 6 * MS, 1);

		wait_call(97, "epoll_wait", at, 2 * MS, true, 1024);
		c.enter_ns = at + 3 * MS;
		c.args[0] = 9; /* a pipe (fd_kind_stub) */
		c.waker_tid = 98;
		c.waker_tgid = 97;
		account_call(&a, &c);
	}
	named(97, "node");
	counters(97, 50 * MS, 0, 400 * MS);
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_equal(account_find_thread(&a, 97)->last_reason, WAIT_HANDED_WORK);
	assert_int_equal(account_find_thread(&a, 97)->role, ROLE_LOOP);
	s = summary_of(97, &all);
	assert_int_equal(s->calls[0].blocked_ns, 300 * MS);
	free(all);
}

/*
 * --serve's seconds without syscall hooks, or --interval: a loop found in one
 * window that makes no readiness call in the next (always work: with
 * --sched-only it never sleeps in its wait) stays a loop, never sized; a
 * thread that was not one does not become one.
 */
static void a_loop_stays_one_in_a_window_without_waits(void **state)
{
	uint64_t at = 0;
	int k;

	(void)state;
	for (k = 0; k < 10; k++, at += 10 * MS)
		wait_call(98, "epoll_wait", at, 2 * MS, true, 1024);
	blocking_call(99, "recvfrom", 7, 0, 50 * MS);
	named(98, "node");
	named(99, "worker");
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_equal(account_find_thread(&a, 98)->role, ROLE_LOOP);
	assert_int_not_equal(account_find_thread(&a, 99)->role, ROLE_LOOP);
	loops_reset(&l);
	account_start_interval(&a);
	/* The next window: both only compute (no call at all seen). */
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_equal(account_find_thread(&a, 98)->role, ROLE_LOOP);
	assert_int_not_equal(account_find_thread(&a, 99)->role, ROLE_LOOP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(turns_between_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(turns_of_a_loop_that_never_sleeps, setup, teardown),
		cmocka_unit_test_setup_teardown(blocking_on_the_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(folded_blocking_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(one_source_is_not_a_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(go_threads_are_not_loops, setup, teardown),
		cmocka_unit_test_setup_teardown(loops_are_never_sized, setup, teardown),
		cmocka_unit_test_setup_teardown(a_lone_loop_leaves_nothing_to_size, setup, teardown),
		cmocka_unit_test_setup_teardown(a_loop_waiting_for_a_cpu_is_still_the_bottleneck, setup,
						teardown),
		cmocka_unit_test_setup_teardown(an_idle_loop_is_healthy, setup, teardown),
		cmocka_unit_test_setup_teardown(helpers_beside_a_loop_are_not_contention, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_turn_still_going_on_is_a_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(back_in_its_wait_at_the_stop_is_no_stall, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sleeps_only_does_not_call_busy_turns_stalls, setup,
						teardown),
		cmocka_unit_test_setup_teardown(waits_cut_by_the_window_make_a_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(a_busy_loop_that_stalls_says_both, setup, teardown),
		cmocka_unit_test_setup_teardown(a_turn_across_two_windows_counts_where_it_ends, setup,
						teardown),
		cmocka_unit_test_setup_teardown(idle_judged_calls_on_the_loop_do_not_hide_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_loop_stays_one_in_a_window_without_waits, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
