// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * occupancy.c: busy threads, all-busy share and jobs, from waits fed
 * through the account as the kernel's records would come.
 */
#include <stdlib.h>
#include "unit.h"
#include "occupancy.h"

#define MS 1000000ull
#define T0 (1000 * MS) /* the window opens here: the clock is never 0 */
#define PID 100

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

/* A blocking call of tid from start to end (ns after T0), all of it asleep. */
static void wait_call(uint32_t tid, const char *name, uint64_t start, uint64_t end, uint64_t runq)
{
	struct call_record c = make_call(tid, name, 0, end - start, end - start, 1);

	c.hdr.tgid = PID;
	c.enter_ns = T0 + start;
	c.woken_ns = T0 + end;
	c.runq_ns = runq;
	/* A timer woke it: an epoll_wait is idle and a nanosleep WT whoever wakes them. */
	c.waker_kind = WAKER_TIMER;
	assert_int_equal(account_record(&a, &c, sizeof(c)), 0);
}

/* The snapshot that closes tid's window at end (ns after T0). */
static void thread_window(uint32_t tid, const char *comm, uint64_t end, uint64_t run_delay,
			  uint32_t flags)
{
	struct thread_record r = make_thread(tid, comm, 0, run_delay, flags);

	r.hdr.tgid = PID;
	r.first_ns = T0;
	r.last_ns = T0 + end;
	assert_int_equal(account_record(&a, &r, sizeof(r)), 0);
}

static void occupancy(const char *group, struct occupancy *o)
{
	assert_int_equal(occupancy_of_group(&a, group, o), 0);
	assert_true(o->known);
}

/* Mean busy threads against jobs per second times the mean job: Little's law. */
static void assert_little(const struct occupancy *o)
{
	double l = o->jobs_per_s * o->job_ns.mean / 1e9;

	assert_true(o->busy_mean > 0);
	assert_true(l > o->busy_mean * 0.999999 && l < o->busy_mean * 1.000001);
}

/*
 * Two workers: A busy 10-30 ms (10 ms of it asleep for a backend), B busy
 * 20-40 ms, both waiting for work the rest of 100 ms. Busy counts: 1 for
 * 20 ms, 2 for 10 ms, 0 for 70 ms.
 */
static void two_workers_overlap(void **state)
{
	struct occupancy o;

	(void)state;
	wait_call(1, "epoll_wait", 0, 10 * MS, 2 * MS);
	wait_call(1, "nanosleep", 15 * MS, 25 * MS, 1 * MS);
	wait_call(1, "epoll_wait", 30 * MS, 100 * MS, 0);
	wait_call(2, "epoll_wait", 0, 20 * MS, 0);
	wait_call(2, "epoll_wait", 40 * MS, 100 * MS, 0);
	thread_window(1, "worker-1", 100 * MS, 0, 0);
	thread_window(2, "worker-2", 100 * MS, 0, 0);
	occupancy("worker-", &o);
	assert_int_equal(o.threads, 2);
	assert_int_equal(o.window_ns, 100 * MS);
	assert_true(o.busy_mean > 0.3999 && o.busy_mean < 0.4001);
	assert_int_equal(o.busy_p50, 0);
	assert_int_equal(o.busy_p99, 2);
	assert_int_equal(o.busy_max, 2);
	assert_true(o.all_busy_share > 0.0999 && o.all_busy_share < 0.1001);
	assert_int_equal(o.jobs, 2);
	assert_int_equal(o.jobs_whole, 2);
	assert_true(o.jobs_per_s > 19.999 && o.jobs_per_s < 20.001);
	assert_int_equal(o.job_ns.max, 20 * MS);
	/* A's job: 10 ms WT, 2 ms run-queue after its wakeup and 1 ms inside its sleep, 7 ms CT. */
	assert_int_equal(o.job_wt_ns.max, 10 * MS);
	assert_int_equal(o.job_runq_ns.max, 3 * MS);
	assert_int_equal(o.job_ct_ns.p50, 7 * MS);
	assert_int_equal(o.job_ct_ns.max, 20 * MS);
	assert_little(&o);
}

/*
 * Waits of one class one after another inside a job are kept as one span
 * (the collector's memory: a thread sleeping 3,000 times a second kept
 * every sleep), with the same job figures: A busy 10-40 ms, asleep 3, 4 and
 * 5 ms in three nanosleeps.
 */
static void waits_inside_a_job_are_one_span(void **state)
{
	struct occupancy o;

	(void)state;
	wait_call(1, "epoll_wait", 0, 10 * MS, 0);
	wait_call(1, "nanosleep", 12 * MS, 15 * MS, 1 * MS);
	wait_call(1, "nanosleep", 18 * MS, 22 * MS, 0);
	wait_call(1, "nanosleep", 30 * MS, 35 * MS, 0);
	wait_call(1, "epoll_wait", 40 * MS, 100 * MS, 0);
	thread_window(1, "worker-1", 100 * MS, 0, 0);
	assert_int_equal(account_find_thread(&a, 1)->spans.n, 3);
	occupancy("worker-", &o);
	assert_int_equal(o.jobs, 1);
	assert_int_equal(o.job_ns.max, 30 * MS);
	assert_int_equal(o.job_wt_ns.max, 12 * MS);
	assert_int_equal(o.job_runq_ns.max, 1 * MS);
	assert_int_equal(o.job_ct_ns.max, 17 * MS);
	assert_little(&o);
}

/* A thread preempted while computing: schedstat's run-queue time outside its calls goes to its jobs. */
static void runq_outside_calls_goes_to_the_jobs(void **state)
{
	struct thread_counters zero = { 0 };
	struct job *jobs;
	long n;

	(void)state;
	account_set_base(&a, 1, PID, &zero);
	wait_call(1, "epoll_wait", 0, 10 * MS, 2 * MS);
	wait_call(1, "nanosleep", 15 * MS, 25 * MS, 1 * MS);
	wait_call(1, "epoll_wait", 30 * MS, 100 * MS, 0);
	/* 3 ms seen in its calls, 4 ms more by schedstat. */
	thread_window(1, "worker-1", 100 * MS, 7 * MS, 0);
	n = occupancy_thread_jobs(&a, &a.threads[0], 0, UINT64_MAX, &jobs);
	assert_int_equal(n, 1);
	assert_int_equal(jobs[0].start_ns, T0 + 10 * MS);
	assert_int_equal(jobs[0].end_ns, T0 + 30 * MS);
	assert_int_equal(jobs[0].wt_ns, 10 * MS);
	assert_int_equal(jobs[0].runq_ns, 7 * MS);
	assert_int_equal(jobs[0].ct_ns, 3 * MS);
	free(jobs);
}

/* A pool that never waits for work is busy all the time: all busy 100%, one job each. */
static void saturated_pool_is_all_busy(void **state)
{
	struct occupancy o;
	uint32_t tid;

	(void)state;
	for (tid = 1; tid <= 4; tid++) {
		wait_call(tid, "nanosleep", 10 * MS, 13 * MS, 0);
		thread_window(tid, "worker-1", 50 * MS, 0, 0);
	}
	occupancy("worker-", &o);
	assert_int_equal(o.threads, 4);
	assert_true(o.busy_mean > 3.9999 && o.busy_mean < 4.0001);
	assert_int_equal(o.busy_p50, 4);
	assert_true(o.all_busy_share > 0.9999);
	assert_int_equal(o.jobs, 4);
	assert_int_equal(o.jobs_whole, 0);
	assert_little(&o);
}

/*
 * Random pools checked against a count at each microsecond: mean, p50,
 * p99, max and all-busy share, and Little's law.
 */
static void random_pools_against_brute_force(void **state)
{
	enum { THREADS = 5, TICKS = 20000 };
	static uint8_t busy[THREADS][TICKS];
	unsigned seed;

	(void)state;
	for (seed = 1; seed <= 20; seed++) {
		uint64_t hist[THREADS + 1] = { 0 }, all = 0, sum = 0, cum = 0;
		uint32_t tid, p50 = 0, p99 = 0, max = 0;
		struct occupancy o;
		int k, t;

		account_free(&a);
		assert_int_equal(account_init(&a, NULL), 0);
		srand(seed);
		memset(busy, 1, sizeof(busy));
		for (tid = 1; tid <= THREADS; tid++) {
			uint64_t at = (uint64_t)(rand() % 300);

			while (at < TICKS) {
				uint64_t idle = 1 + (uint64_t)(rand() % 400), end = at + idle;

				if (end > TICKS)
					end = TICKS;
				wait_call(tid, "epoll_wait", at * 1000, end * 1000, 0);
				memset(&busy[tid - 1][at], 0, end - at);
				at = end + 1 + (uint64_t)(rand() % (seed * 40));
			}
			thread_window(tid, "worker-1", TICKS * 1000, 0, 0);
		}
		for (k = 0; k < TICKS; k++) {
			int n = 0;

			for (t = 0; t < THREADS; t++)
				n += busy[t][k];
			hist[n]++;
			sum += (uint64_t)n;
			all += n == THREADS;
			if ((uint32_t)n > max)
				max = (uint32_t)n;
		}
		for (k = 0; k <= THREADS; k++) {
			if (cum < TICKS / 2 && cum + hist[k] >= TICKS / 2)
				p50 = (uint32_t)k;
			if (cum * 100 < TICKS * 99 && (cum + hist[k]) * 100 >= TICKS * 99)
				p99 = (uint32_t)k;
			cum += hist[k];
		}
		occupancy("worker-", &o);
		assert_int_equal(o.window_ns, TICKS * 1000);
		assert_true(o.busy_mean > (double)sum / TICKS - 1e-9 &&
			    o.busy_mean < (double)sum / TICKS + 1e-9);
		assert_int_equal(o.busy_p50, p50);
		assert_int_equal(o.busy_p99, p99);
		assert_int_equal(o.busy_max, max);
		assert_true(o.all_busy_share > (double)all / TICKS - 1e-9 &&
			    o.all_busy_share < (double)all / TICKS + 1e-9);
		assert_little(&o);
	}
}

/*
 * --sched-only folds a thread's repeats of one wait into one record: 3
 * waits of 10 ms in 50 ms are 2 short jobs of 10 ms between them.
 */
static void folded_waits_keep_their_jobs(void **state)
{
	struct call_record c = make_call(1, "epoll_wait", 0, 50 * MS, 30 * MS, 3);
	struct occupancy o;

	(void)state;
	c.hdr.tgid = PID;
	c.hdr.flags = CALL_SCHED_ONLY;
	c.enter_ns = T0;
	c.woken_ns = T0 + 50 * MS;
	c.calls = 3;
	c.waker_kind = WAKER_TIMER;
	assert_int_equal(account_record(&a, &c, sizeof(c)), 0);
	wait_call(1, "epoll_wait", 60 * MS, 100 * MS, 0);
	thread_window(1, "worker-1", 100 * MS, 0, 0);
	occupancy("worker-", &o);
	/* 2 inside the folded record, 1 from 50 to 60 ms. */
	assert_int_equal(o.jobs, 3);
	assert_int_equal(o.jobs_whole, 3);
	assert_true(o.busy_mean > 0.2999 && o.busy_mean < 0.3001);
	assert_int_equal(o.job_ns.max, 10 * MS);
	assert_little(&o);
}

/*
 * An interval that ends while the thread waits for work again: no record
 * of that wait yet, but the snapshot says it sleeps in the call it waited
 * for work in, since when.
 */
static void asleep_for_work_at_the_interval_end(void **state)
{
	struct thread_record r;
	struct occupancy o;

	(void)state;
	wait_call(1, "epoll_wait", 0, 10 * MS, 0);
	r = make_thread(1, "worker-1", 0, 0, THREAD_SLEEPING | THREAD_IN_CALL);
	r.hdr.tgid = PID;
	r.first_ns = T0;
	r.last_ns = T0 + 100 * MS;
	r.current_nr = syscall_number("epoll_wait");
	r.call_enter_ns = T0 + 30 * MS;
	assert_int_equal(account_record(&a, &r, sizeof(r)), 0);
	occupancy("worker-", &o);
	assert_int_equal(o.jobs, 1);
	assert_true(o.busy_mean > 0.1999 && o.busy_mean < 0.2001);

	/* Asleep in a call that waited for a backend: busy to the end. */
	account_free(&a);
	assert_int_equal(account_init(&a, NULL), 0);
	wait_call(1, "epoll_wait", 0, 10 * MS, 0);
	wait_call(1, "nanosleep", 12 * MS, 14 * MS, 0);
	r.current_nr = syscall_number("nanosleep");
	assert_int_equal(account_record(&a, &r, sizeof(r)), 0);
	occupancy("worker-", &o);
	assert_true(o.busy_mean > 0.8999 && o.busy_mean < 0.9001);

	/*
	 * Asleep on a futex all the interval, with no wait of its own before:
	 * a pool thread given no job (nothing ended its wait) is idle.
	 */
	account_free(&a);
	assert_int_equal(account_init(&a, NULL), 0);
	r.current_nr = syscall_number("futex");
	r.call_enter_ns = T0 - 50 * MS;
	assert_int_equal(account_record(&a, &r, sizeof(r)), 0);
	occupancy("worker-", &o);
	assert_true(o.busy_mean < 1e-9);
	assert_int_equal(o.jobs, 0);
}

/* The next interval: the counts start again, and a wait begun before it counts from its start. */
static void a_new_interval_starts_afresh(void **state)
{
	struct occupancy o;

	(void)state;
	wait_call(1, "epoll_wait", 0, 10 * MS, 0);
	thread_window(1, "worker-1", 100 * MS, 0, 0);
	account_start_interval(&a);
	assert_int_equal(a.threads[0].spans.n, 0);
	/* Entered at 90 ms, in the last interval; woken at 150 ms. */
	wait_call(1, "epoll_wait", 90 * MS, 150 * MS, 0);
	thread_window(1, "worker-1", 200 * MS, 0, 0);
	occupancy("worker-", &o);
	assert_int_equal(o.window_ns, 100 * MS);
	assert_int_equal(o.jobs, 1);
	assert_true(o.busy_mean > 0.4999 && o.busy_mean < 0.5001);
}

/* Past the bound, a thread's waits stop being kept: the group is measured up to there. */
static void bounded_waits_cut_the_window(void **state)
{
	struct occupancy o;
	uint64_t i;

	(void)state;
	for (i = 0; i <= THREAD_MAX_SPANS; i++)
		wait_call(1, "epoll_wait", i * 1000, i * 1000 + 500, 0);
	thread_window(1, "worker-1", (THREAD_MAX_SPANS + 100) * 1000ull, 0, 0);
	assert_int_equal(a.threads[0].spans.n, THREAD_MAX_SPANS);
	occupancy("worker-", &o);
	assert_true(o.cut);
	assert_int_equal(o.window_ns, THREAD_MAX_SPANS * 1000ull);
	assert_int_equal(o.jobs, THREAD_MAX_SPANS);
	assert_true(o.busy_mean > 0.4999 && o.busy_mean < 0.5001);
}

/* Threads of another group, and an empty group, are not counted. */
static void groups_apart(void **state)
{
	struct occupancy o;

	(void)state;
	wait_call(1, "epoll_wait", 0, 100 * MS, 0);
	thread_window(1, "worker-1", 100 * MS, 0, 0);
	thread_window(2, "acceptor", 100 * MS, 0, 0);
	occupancy("worker-", &o);
	assert_int_equal(o.threads, 1);
	assert_int_equal(o.jobs, 0);
	assert_true(o.busy_mean == 0);
	occupancy("acceptor", &o);
	assert_true(o.busy_mean > 0.9999);
	assert_int_equal(occupancy_of_group(&a, "nobody", &o), 0);
	assert_false(o.known);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(two_workers_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(waits_inside_a_job_are_one_span, setup, teardown),
		cmocka_unit_test_setup_teardown(runq_outside_calls_goes_to_the_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(saturated_pool_is_all_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(random_pools_against_brute_force, setup, teardown),
		cmocka_unit_test_setup_teardown(folded_waits_keep_their_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(asleep_for_work_at_the_interval_end, setup, teardown),
		cmocka_unit_test_setup_teardown(a_new_interval_starts_afresh, setup, teardown),
		cmocka_unit_test_setup_teardown(bounded_waits_cut_the_window, setup, teardown),
		cmocka_unit_test_setup_teardown(groups_apart, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
