// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Thread roles: the groups a person would recognise, from names or from what the threads do. */
#include <stdio.h>
#include "unit.h"
#include "roles.h"

#define MS    1000000ULL
#define QUEUE 0x7f0000001000ULL /* a pool's job queue (a condition variable) */
#define GIL   0x7f0000002000ULL /* a lock every thread passes around */

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

static struct thread_stats *thread(uint32_t tid, uint32_t tgid, const char *comm)
{
	struct thread_stats *t = account_thread(&a, tid, tgid);

	assert_non_null(t);
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	return t;
}

static void waits(struct thread_stats *t, enum wait_reason r, uint64_t ns)
{
	t->reason_blocked_ns[r] += ns;
	t->class_blocked_ns[wait_reason_class(r)] += ns;
}

/*
 * Time on a futex object, booked as the class its waits were given; passed:
 * ended by threads that wait there too (a lock handed round).
 */
static void on_futex_by(struct thread_stats *t, uint64_t uaddr, enum wait_reason r, uint64_t ns,
			bool passed)
{
	int i;

	for (i = 0; i < THREAD_FUTEX_SLOTS; i++)
		if (!t->futexes[i].uaddr || t->futexes[i].uaddr == (uaddr & ~63ULL))
			break;
	assert_true(i < THREAD_FUTEX_SLOTS);
	t->futexes[i].uaddr = uaddr & ~63ULL;
	t->futexes[i].score += ns;
	t->futexes[i].blocked_ns += ns;
	t->futexes[i].class_ns[wait_reason_class(r)] += ns;
	if (r == WAIT_HANDED_WORK)
		t->futexes[i].for_work_ns += ns;
	if (passed)
		t->futexes[i].passed_ns += ns;
	if (r != WAIT_MUTEX)
		t->futexes[i].word = uaddr & ~7ULL;
	waits(t, r, ns);
}

static void on_futex(struct thread_stats *t, uint64_t uaddr, enum wait_reason r, uint64_t ns)
{
	on_futex_by(t, uaddr, r, ns, false);
}

/*
 * The GIL: passed between every thread by turns. A thread that just read a
 * request and lets the GIL go looks like one handing work over.
 */
static void on_gil(struct thread_stats *t)
{
	on_futex_by(t, GIL, WAIT_SIBLING, 300 * MS, true);
	on_futex_by(t, GIL, WAIT_HANDED_WORK, 20 * MS, true);
}

/* CPython's ThreadPoolExecutor behind reader threads: every thread is "python3". */
/* idlers: how many of the pool had to wait for a job on its queue. */
static void cpython(int idlers)
{
	struct thread_stats *t;
	uint32_t tid;

	t = thread(100, 100, "python3");
	waits(t, WAIT_ACCEPT, 3000 * MS);
	for (tid = 101; tid <= 104; tid++) { /* the pool */
		t = thread(tid, 100, "python3");
		waits(t, WAIT_BACKEND, 1500 * MS);
		if ((int)tid - 101 < idlers)
			on_futex(t, QUEUE, WAIT_HANDED_WORK, 800 * MS);
		on_gil(t);
	}
	for (tid = 105; tid <= 110; tid++) { /* one reader per connection */
		t = thread(tid, 100, "python3");
		waits(t, WAIT_CLIENT_REQUEST, 1000 * MS);
		/* A future's lock: freed and taken again by another reader. */
		on_futex(t, 0x7f0000100000ULL + (tid % 2) * 64, WAIT_RESULT, 900 * MS);
		/* Some of those waits ended as a thread that had just read a request let go of it. */
		on_futex(t, 0x7f0000100000ULL + (tid % 2) * 64, WAIT_HANDED_WORK, 200 * MS);
		on_gil(t);
	}
	roles_assign(&a);
}

static const char *group_of(uint32_t tid)
{
	return account_find_thread(&a, tid)->group;
}

static int role_of(uint32_t tid)
{
	return account_find_thread(&a, tid)->role;
}

static void readers_apart_from_pool_over_the_gil(void **state)
{
	(void)state;
	cpython(4);
	assert_string_equal(group_of(100), "python3 main");
	assert_int_equal(role_of(100), ROLE_MAIN);
	assert_string_equal(group_of(101), group_of(104));
	assert_int_equal(role_of(101), ROLE_POOL);
	assert_string_equal(group_of(105), group_of(110));
	assert_string_not_equal(group_of(101), group_of(105));
	assert_string_equal(group_of(101), "python3:backend");
}

/* Heavy load: the pool never waits for a job, only the GIL joins it to the readers. */
static void busy_pool_apart_from_readers(void **state)
{
	(void)state;
	/* A pool thread once waited on a future's lock, as a reader released it. */
	on_futex(thread(101, 100, "python3"), 0x7f0000100000ULL + 64, WAIT_HANDED_WORK, 10 * MS);
	cpython(0);
	assert_string_equal(group_of(101), group_of(104));
	assert_string_equal(group_of(105), group_of(110));
	assert_string_not_equal(group_of(101), group_of(105));
}

/* The GIL, waited on by the pool and the readers alike: their waits on it are sync. */
static void gil_shared_by_groups_is_sync(void **state)
{
	const struct thread_stats *pool, *reader;

	(void)state;
	cpython(4);
	pool = account_find_thread(&a, 101);
	reader = account_find_thread(&a, 105);
	assert_int_equal(pool->reason_blocked_ns[WAIT_SHARED_LOCK], 20 * MS);
	assert_int_equal(reader->reason_blocked_ns[WAIT_SHARED_LOCK], 20 * MS);
	assert_int_equal(pool->reason_blocked_ns[WAIT_HANDED_WORK], 800 * MS);
}

/*
 * Node.js: V8's workers wait for tasks on a queue whose 64 bytes hold a word
 * the main thread waits on too. Not the same word: not a shared lock.
 */
static void queue_beside_a_main_thread_word_is_not_shared(void **state)
{
	struct thread_stats *t;
	uint32_t tid;

	(void)state;
	t = thread(600, 600, "node");
	waits(t, WAIT_EVENT_LOOP, 2000 * MS);
	on_futex(t, QUEUE + 8, WAIT_HANDED_WORK, 50 * MS);
	for (tid = 601; tid <= 604; tid++) {
		t = thread(tid, 600, "node");
		on_futex(t, QUEUE + 40, WAIT_CUT_IDLE, 3000 * MS);
	}
	roles_assign(&a);
	t = account_find_thread(&a, 601);
	assert_int_equal(t->class_blocked_ns[CLASS_SYNC], 0);
	assert_int_equal(t->class_blocked_ns[CLASS_IDLE], 3000 * MS);
	assert_string_equal(group_of(601), group_of(604));
	assert_string_not_equal(group_of(600), group_of(601));
	/* The same word: a lock the groups pass round. */
	on_futex(account_find_thread(&a, 600), QUEUE + 40, WAIT_HANDED_WORK, 50 * MS);
	roles_assign(&a);
	assert_int_equal(account_find_thread(&a, 601)->class_blocked_ns[CLASS_SYNC], 3000 * MS);
}

/* Heavy load: two of the pool found a job waiting each time, two had to wait on the queue. */
static void pool_whole_when_some_never_wait(void **state)
{
	(void)state;
	cpython(2);
	assert_string_equal(group_of(101), group_of(102));
	assert_string_equal(group_of(101), group_of(103));
	assert_string_equal(group_of(101), group_of(104));
	assert_string_not_equal(group_of(101), group_of(105));
}

/*
 * A pool thread given (almost) no job in the window: it sat on the pool's
 * queue all along, its one wait cut by the window's ends, and made no
 * backend call. It is still the pool's, by the queue it waits on (it was a
 * group of its own, and the queue's futex, now shared between two groups,
 * made every idle wait of the pool "shared-lock": contention, once in CI).
 */
static void pool_thread_given_no_job_waits_on_its_queue(void **state)
{
	struct thread_stats *t;

	(void)state;
	cpython(4);
	/* Rebuilt with 104 given no job: its whole window on the queue, cut. */
	memset(account_find_thread(&a, 104)->futexes, 0, sizeof(t->futexes));
	t = account_find_thread(&a, 104);
	memset(t->reason_blocked_ns, 0, sizeof(t->reason_blocked_ns));
	memset(t->class_blocked_ns, 0, sizeof(t->class_blocked_ns));
	on_futex(t, QUEUE, WAIT_CUT_IDLE, 2900 * MS);
	on_futex_by(t, GIL, WAIT_SIBLING, 5 * MS, true);
	roles_assign(&a);
	assert_string_equal(group_of(104), group_of(101));
	assert_string_not_equal(group_of(104), group_of(105));
}

/* Two pools that both wait for work are told apart by their queues, not merged by their reason. */
static void two_queues_two_pools(void **state)
{
	struct thread_stats *t;
	uint32_t tid;

	(void)state;
	thread(200, 200, "node");
	for (tid = 201; tid <= 206; tid++) {
		t = thread(tid, 200, "node");
		on_futex(t, tid <= 203 ? QUEUE : QUEUE + 4096, WAIT_HANDED_WORK, 900 * MS);
	}
	roles_assign(&a);
	assert_string_equal(group_of(201), group_of(203));
	assert_string_equal(group_of(204), group_of(206));
	assert_string_not_equal(group_of(201), group_of(204));
}

static void named_threads_and_runtime_services(void **state)
{
	struct thread_stats *t;

	(void)state;
	t = thread(300, 300, "java");
	waits(t, WAIT_SIGNAL_OR_CHILD, 3000 * MS); /* joins its threads */
	t = thread(301, 300, "pool-1-thread-1");
	waits(t, WAIT_BACKEND, 1000 * MS);
	t = thread(302, 300, "pool-1-thread-2");
	waits(t, WAIT_BACKEND, 1000 * MS);
	thread(303, 300, "C2 CompilerThre");
	thread(304, 300, "GC Thread#0");
	roles_assign(&a);
	assert_int_equal(role_of(300), ROLE_MAIN);
	assert_string_equal(group_of(301), "pool--thread-");
	assert_string_equal(group_of(302), "pool--thread-");
	assert_int_equal(role_of(301), ROLE_POOL);
	assert_int_equal(role_of(303), ROLE_RUNTIME);
	assert_int_equal(role_of(304), ROLE_RUNTIME);
	assert_string_equal(runtime_service("G1 Conc#0"), "JVM");
	assert_null(runtime_service("worker-3"));
	/* Tomcat's connector: its acceptor and poller are Tomcat's, its exec pool is a pool. */
	assert_string_equal(runtime_service("http-nio-8080-A"), "Tomcat");
	assert_string_equal(runtime_service("http-nio-8080-P"), "Tomcat");
	assert_null(runtime_service("http-nio-8080-e"));
	assert_null(runtime_service("http-nio-127.0."));
	assert_null(runtime_service("http-nio-"));
}

/* gunicorn: an arbiter and its worker processes, all "gunicorn". */
static void master_apart_from_its_workers(void **state)
{
	struct thread_stats *t;
	uint32_t pid;

	(void)state;
	t = thread(400, 400, "gunicorn");
	waits(t, WAIT_EVENT_LOOP, 3000 * MS);
	account_process(&a, 400);
	for (pid = 401; pid <= 404; pid++) {
		account_process(&a, pid)->parent_tgid = 400;
		t = thread(pid, pid, "gunicorn");
		waits(t, WAIT_EVENT_LOOP, 1000 * MS); /* light load: a worker idles too */
		waits(t, WAIT_BACKEND, 900 * MS);
	}
	/* Another server of the same name, not its child. */
	account_process(&a, 500)->parent_tgid = 1;
	t = thread(500, 500, "gunicorn");
	waits(t, WAIT_EVENT_LOOP, 3000 * MS);
	roles_assign(&a);
	assert_int_equal(role_of(400), ROLE_MAIN);
	assert_string_equal(group_of(400), "gunicorn master");
	assert_int_equal(role_of(401), ROLE_POOL);
	assert_string_equal(group_of(401), "gunicorn");
	assert_string_equal(group_of(404), "gunicorn");
	assert_int_equal(role_of(500), ROLE_POOL);
}

/* Go: the scheduler's Ms wait in the netpoller or parked; sysmon sleeps in a loop. */
static void go_sysmon_is_the_runtimes(void **state)
{
	struct thread_stats *t;
	uint32_t pid, tid;

	(void)state;
	for (pid = 700; pid <= 710; pid += 10) {
		account_process(&a, pid)->runtime = pid == 700 ? RUNTIME_GO : RUNTIME_NATIVE;
		t = thread(pid, pid, "server");
		waits(t, WAIT_EVENT_LOOP, 1000 * MS);
		for (tid = pid + 1; tid <= pid + 2; tid++)
			waits(thread(tid, pid, "server"), WAIT_EVENT_LOOP, 2000 * MS);
		waits(thread(pid + 3, pid, "server"), WAIT_SLEEP, 2900 * MS);
	}
	roles_assign(&a);
	assert_int_equal(role_of(703), ROLE_RUNTIME);
	assert_string_equal(group_of(703), "server sysmon");
	/* The other Ms, the main thread too, are one pool. */
	assert_int_equal(role_of(701), ROLE_POOL);
	assert_string_equal(group_of(700), "server Ms");
	assert_string_equal(group_of(702), "server Ms");
	assert_int_equal(role_of(713), ROLE_POOL); /* a C program's sleeper is its own */
	assert_int_equal(role_of(710), ROLE_MAIN);
}

/*
 * Tomcat with a connector bound to an address: its Acceptor, its Poller and
 * its exec pool are all cut to "http-nio-127.0.". What they do tells them
 * apart: the Acceptor waits in accept, the Poller in epoll, the pool on its
 * queue and its backend.
 */
static void tomcat_bound_connector_by_waits(void **state)
{
	struct thread_stats *t;
	uint32_t tid;

	(void)state;
	t = thread(600, 600, "java");
	waits(t, WAIT_SIGNAL_OR_CHILD, 3000 * MS);
	waits(thread(601, 600, "http-nio-127.0."), WAIT_ACCEPT, 2900 * MS);
	t = thread(602, 600, "http-nio-127.0.");
	waits(t, WAIT_EVENT_LOOP, 2500 * MS);
	on_futex(t, 0x7f0000300000ULL, WAIT_THREADS_UNKNOWN, 100 * MS);
	for (tid = 603; tid <= 606; tid++) {
		t = thread(tid, 600, "http-nio-127.0.");
		on_futex(t, QUEUE, WAIT_HANDED_WORK, tid == 603 ? 1500 * MS : 200 * MS);
		waits(t, WAIT_BACKEND, 900 * MS);
	}
	roles_assign(&a);
	assert_int_equal(role_of(601), ROLE_RUNTIME);
	assert_string_equal(group_of(601), "http-nio-127.0. Acceptor");
	assert_int_equal(role_of(602), ROLE_RUNTIME);
	assert_string_equal(group_of(602), "http-nio-127.0. Poller");
	for (tid = 603; tid <= 606; tid++) {
		assert_int_equal(role_of(tid), ROLE_POOL);
		assert_string_equal(group_of(tid), group_of(603));
	}
	assert_string_not_equal(group_of(603), group_of(601));
	assert_string_not_equal(group_of(603), group_of(602));
}

/*
 * Node.js: every thread is "node". libuv's pool waits on its queue's
 * condition variable, a static of libuv (in the image's data); V8's
 * platform workers wait on theirs, a member of an object on the heap
 * (addresses as seen on node 20). Two pools by their futexes; what tells
 * them apart is where that futex lives: V8's are the runtime's threads.
 */
static void node_v8_platform_apart_from_libuv_pool(void **state)
{
	const uint64_t uv_queue = 0x566f9c8ULL, v8_queue = 0x21bd3850ULL;
	struct process_stats *p;
	struct thread_stats *t;
	uint32_t tid;

	(void)state;
	p = account_process(&a, 800);
	p->runtime = RUNTIME_NODE;
	p->statics[0] = (struct addr_range){ 0x563e000ULL, 0x5689000ULL }; /* node's data and bss */
	p->nstatics = 1;
	t = thread(800, 800, "node");
	waits(t, WAIT_EVENT_LOOP, 2000 * MS);
	for (tid = 801; tid <= 804; tid++) /* V8's platform workers, given a few tasks (not 804) */
		on_futex(thread(tid, 800, "node"), v8_queue,
			 tid == 804 ? WAIT_THREADS_UNKNOWN : WAIT_HANDED_WORK, 2900 * MS);
	for (tid = 805; tid <= 807; tid++) { /* libuv's pool */
		t = thread(tid, 800, "node");
		on_futex(t, uv_queue, WAIT_HANDED_WORK, 1000 * MS);
		t->base.oncpu_ns = 0;
		t->end.oncpu_ns = 1500 * MS;
	}
	roles_assign(&a);
	for (tid = 801; tid <= 804; tid++) {
		assert_string_equal(group_of(tid), "node:v8-platform");
		assert_int_equal(role_of(tid), ROLE_RUNTIME);
	}
	for (tid = 805; tid <= 807; tid++) {
		assert_string_equal(group_of(tid), "node:workers");
		assert_int_equal(role_of(tid), ROLE_POOL);
	}
	/* Without the image's ranges (not probed), nothing is assumed: two pools, as before. */
	p->nstatics = 0;
	roles_assign(&a);
	assert_int_equal(role_of(801), ROLE_POOL);
	assert_int_equal(role_of(805), ROLE_POOL);
	assert_string_not_equal(group_of(801), group_of(805));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(readers_apart_from_pool_over_the_gil, setup, teardown),
		cmocka_unit_test_setup_teardown(busy_pool_apart_from_readers, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_whole_when_some_never_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(gil_shared_by_groups_is_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_beside_a_main_thread_word_is_not_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(two_queues_two_pools, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_thread_given_no_job_waits_on_its_queue, setup,
						teardown),
		cmocka_unit_test_setup_teardown(named_threads_and_runtime_services, setup, teardown),
		cmocka_unit_test_setup_teardown(master_apart_from_its_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(go_sysmon_is_the_runtimes, setup, teardown),
		cmocka_unit_test_setup_teardown(tomcat_bound_connector_by_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(node_v8_platform_apart_from_libuv_pool, setup, teardown),
	};

	return cmocka_run_group_tests_name("roles", tests, NULL, NULL);
}
