// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include "unit.h"
#include "sizing.h"
#include "cgroup.h"

#define MS 1000000ull

static void formula(void **state)
{
	struct time_split split = { .threads = 4, .compute_ns = 1000 * MS, .wait_ns = 3000 * MS };
	struct sizing s;

	(void)state;
	sizing_compute(&s, &split, 2, 1.0);
	assert_int_equal(s.recommended, 8);
	assert_true(s.wait_compute_ratio > 2.999 && s.wait_compute_ratio < 3.001);
	assert_int_equal(s.nwarnings, 0);
	sizing_compute(&s, &split, 2, 0.5);
	assert_int_equal(s.recommended, 4);
	split.wait_ns = 3010 * MS; /* just over: rounds up */
	sizing_compute(&s, &split, 2, 1.0);
	assert_int_equal(s.recommended, 9);
	split.wait_ns = 3002 * MS; /* 8.004: a hundredth of a thread is no thread */
	sizing_compute(&s, &split, 2, 1.0);
	assert_int_equal(s.recommended, 8);
	split.wait_ns = 96 * 1000; /* a stray 96 us wait of a pool that never waits, on one CPU */
	sizing_compute(&s, &split, 1, 1.0);
	assert_int_equal(s.recommended, 1);
	split.wait_ns = 0; /* pure CPU: one thread per core */
	sizing_compute(&s, &split, 4, 1.0);
	assert_int_equal(s.recommended, 4);
	sizing_compute(&s, &split, 1.5, 1.0); /* a cgroup quota of 1.5 CPUs */
	assert_int_equal(s.recommended, 2);
}

static void warnings(void **state)
{
	struct time_split split = { .threads = 4, .compute_ns = 1000 * MS, .wait_ns = 1000 * MS };
	struct sizing s;

	(void)state;
	split.runq_ns = 200 * MS; /* 20% of CT: contended */
	sizing_compute(&s, &split, 2, 1.0);
	assert_int_equal(s.nwarnings, 1);
	assert_true(s.cpus_saturated);
	assert_non_null(strstr(s.warnings[0], "contended"));
	split.runq_ns = 1500 * MS; /* 150% of CT: saturated */
	sizing_compute(&s, &split, 2, 1.0);
	assert_int_equal(s.nwarnings, 1);
	assert_non_null(strstr(s.warnings[0], "saturated, more threads will only queue"));
	/* The same wait on CPUs 20% busy is wakeup latency: no warning. */
	split.runq_ns = 200 * MS;
	split.cpu_busy_known = true;
	split.cpu_busy = 0.2;
	sizing_compute(&s, &split, 2, 1.0);
	assert_int_equal(s.nwarnings, 0);
	assert_false(s.cpus_saturated);
	assert_true(s.runq_on_idle_cpus);
	/* On busy CPUs it is contention again. */
	split.cpu_busy = 0.9;
	sizing_compute(&s, &split, 2, 1.0);
	assert_true(s.cpus_saturated);
	assert_false(s.runq_on_idle_cpus);
	assert_non_null(strstr(s.warnings[0], "contended"));
	split.cpu_busy_known = false;
	split.runq_ns = 50 * MS;
	split.sync_ns = 1500 * MS;
	sizing_compute(&s, &split, 2, 1.0);
	assert_int_equal(s.nwarnings, 1);
	assert_non_null(strstr(s.warnings[0], "lock contention"));
	/* Microseconds of futex against no I/O wait at all is no contention. */
	split.wait_ns = 0;
	split.sync_ns = MS / 100;
	sizing_compute(&s, &split, 2, 1.0);
	assert_false(s.lock_contention);
	assert_int_equal(s.nwarnings, 0);
	split.wait_ns = 1000 * MS;
	split.sync_ns = 0;
	split.compute_ns = 2 * MS;
	sizing_compute(&s, &split, 2, 1.0);
	assert_non_null(strstr(s.warnings[0], "too little"));
	assert_true(s.recommended > 0);
	split.compute_ns = 0;
	sizing_compute(&s, &split, 2, 1.0);
	assert_int_equal(s.recommended, 0);
}

static void group_names(void **state)
{
	char g[GROUP_NAME_LEN];

	(void)state;
	group_name("worker-3", g, sizeof(g));
	assert_string_equal(g, "worker-");
	group_name("worker-12", g, sizeof(g));
	assert_string_equal(g, "worker-");
	group_name("postgres", g, sizeof(g));
	assert_string_equal(g, "postgres");
	group_name("kworker/0:1H", g, sizeof(g));
	assert_string_equal(g, "kworker/:H");
	group_name("1234", g, sizeof(g));
	assert_string_equal(g, "");
	group_name("abcdef", g, 4);
	assert_string_equal(g, "abc");
}

static void add_thread(struct account *a, uint32_t tid, const char *comm, uint64_t oncpu,
		       uint64_t io_wait, uint64_t futex_wait, uint64_t idle_wait)
{
	struct thread_counters zero = { 0 };
	struct thread_record r = make_thread(tid, comm, oncpu, 0, THREAD_AT_STOP);
	struct call_record io = make_call(tid, "recvfrom", 1, io_wait, io_wait, 1);
	struct call_record fx = make_call(tid, "futex", 0, futex_wait, futex_wait, 1);
	struct call_record ep = make_call(tid, "epoll_wait", 1, idle_wait, idle_wait, 1);

	account_set_base(a, tid, tid, &zero);
	account_thread_record(a, &r);
	account_call(a, &io);
	account_call(a, &fx);
	account_call(a, &ep);
}

static void groups_from_account(void **state)
{
	struct account a;
	struct sizing total, *groups;
	size_t n;

	(void)state;
	account_init(&a, NULL);
	add_thread(&a, 1, "acceptor", 20 * MS, 0, 0, 900 * MS);
	add_thread(&a, 2, "worker-0", 250 * MS, 750 * MS, 10 * MS, 0);
	add_thread(&a, 3, "worker-1", 250 * MS, 750 * MS, 10 * MS, 0);
	add_thread(&a, 4, "worker-12", 250 * MS, 750 * MS, 10 * MS, 0);
	assert_int_equal(sizing_by_group(&a, 2, 1.0, -1, &total, &groups, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(groups[0].group, "worker-"); /* most CT first */
	assert_int_equal(groups[0].split.threads, 3);
	assert_int_equal(groups[0].split.compute_ns, 750 * MS);
	assert_int_equal(groups[0].split.wait_ns, 2250 * MS);
	assert_int_equal(groups[0].split.sync_ns, 30 * MS);
	assert_int_equal(groups[0].recommended, 8);
	assert_string_equal(groups[1].group, "acceptor");
	assert_int_equal(groups[1].split.idle_ns, 900 * MS);
	assert_int_equal(groups[1].split.wait_ns, 0);
	assert_int_equal(total.split.threads, 4);
	assert_int_equal(total.split.compute_ns, 770 * MS);
	free(groups);
	account_free(&a);
}

/* A pool given almost no jobs (Node's V8 platform workers): folded, not sized, not in the total. */
static void idle_pool_not_sized(void **state)
{
	struct account a;
	struct sizing total, *groups;
	size_t n, i;
	uint32_t tid;

	(void)state;
	account_init(&a, NULL);
	for (tid = 2; tid <= 3; tid++)
		add_thread(&a, tid, "worker-", 250 * MS, 750 * MS, 0, 0);
	for (tid = 10; tid <= 13; tid++) {
		struct thread_stats *t;

		/* 5 ms on CPU in 3 s, waiting for work, a few hand-offs between its threads. */
		add_thread(&a, tid, "platform-", 5 * MS, 0, 150 * MS, 2800 * MS);
		t = account_find_thread(&a, tid);
		t->first_ns = 1000 * MS;
		t->last_ns = 4000 * MS;
	}
	assert_int_equal(sizing_by_group(&a, 2, 1.0, -1, &total, &groups, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n && strcmp(groups[i].group, "platform-") != 0; i++)
		;
	assert_true(i < n);
	assert_false(groups[i].did_work);
	assert_int_equal(groups[i].recommended, 0);
	assert_int_equal(groups[i].nwarnings, 0);
	assert_int_equal(groups[i].split.compute_ns, 20 * MS);
	assert_int_equal(total.split.threads, 2);
	assert_int_equal(total.split.sync_ns, 0);
	assert_int_equal(total.nwarnings, 0);
	free(groups);
	account_free(&a);
}

/* A big pool that computes little but waits on its backends all along (keep-alive): sized. */
static void waiting_pool_sized(void **state)
{
	struct account a;
	struct sizing total, *groups;
	size_t n;
	uint32_t tid;

	(void)state;
	account_init(&a, NULL);
	for (tid = 10; tid < 60; tid++) {
		struct thread_stats *t;

		add_thread(&a, tid, "httpd-", 5 * MS, 2900 * MS, 0, 50 * MS);
		t = account_find_thread(&a, tid);
		t->first_ns = 1000 * MS;
		t->last_ns = 4000 * MS;
	}
	assert_int_equal(sizing_by_group(&a, 1, 1.0, -1, &total, &groups, &n), 0);
	assert_int_equal(n, 1);
	assert_true(groups[0].did_work);
	assert_int_equal(groups[0].recommended, 581);
	assert_int_equal(total.split.threads, 50);
	free(groups);
	account_free(&a);
}

static void cpu_max(void **state)
{
	(void)state;
	assert_true(parse_cpu_max("max 100000\n") == 0);
	assert_true(parse_cpu_max("100000 100000\n") == 1.0);
	assert_true(parse_cpu_max("150000 100000\n") == 1.5);
	assert_true(parse_cpu_max("garbage") == 0);
	assert_true(parse_cpu_max("5 0") == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formula),   cmocka_unit_test(warnings),
		cmocka_unit_test(group_names), cmocka_unit_test(groups_from_account),
		cmocka_unit_test(idle_pool_not_sized), cmocka_unit_test(waiting_pool_sized),
		cmocka_unit_test(cpu_max),
	};

	return cmocka_run_group_tests_name("sizing", tests, NULL, NULL);
}
