// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tracing/reorder.c: the kernel's records back in time order before the account. */
#include <stdio.h>
#include <stdlib.h>
#include "consume.h"
#include "reorder.h"
#include "unit.h"

#define MS 1000000ull

/* What a sink was given, in order: each call record's enter_ns. */
struct seen {
	uint64_t keys[64];
	int n;
};

static int note(void *ctx, const void *data, size_t size)
{
	struct seen *s = ctx;

	assert_true(size >= sizeof(struct record_header));
	if (s->n < 64)
		s->keys[s->n++] = reorder_key(data, size);
	return 0;
}

static struct call_record ended_at(uint32_t tid, uint64_t end_ns)
{
	struct call_record c = make_call(tid, "read", 0, MS, 0, 0);

	c.enter_ns = end_ns - MS;
	return c;
}

static void without_a_lag_records_pass_at_once(void **state)
{
	struct seen s = { .n = 0 };
	struct reorder r;
	struct call_record a = ended_at(1, 50 * MS), b = ended_at(2, 10 * MS);

	(void)state;
	reorder_init(&r, 0, REORDER_MAX_BYTES, note, &s);
	reorder_push(&r, &a, sizeof(a));
	assert_int_equal(s.n, 1);
	reorder_push(&r, &b, sizeof(b));
	assert_int_equal(s.n, 2);
	assert_int_equal(s.keys[0], 50 * MS);
	assert_int_equal(s.keys[1], 10 * MS);
	assert_int_equal(r.n, 0);
	reorder_free(&r);
}

static void records_wait_their_lag_and_leave_in_time_order(void **state)
{
	static const uint64_t ends[] = { 30, 10, 20, 5, 40, 25, 140, 160 };
	struct seen s = { .n = 0 };
	struct reorder r;
	size_t i;

	(void)state;
	reorder_init(&r, 100 * MS, REORDER_MAX_BYTES, note, &s);
	for (i = 0; i < 6; i++) {
		struct call_record c = ended_at((uint32_t)i + 1, ends[i] * MS);

		reorder_push(&r, &c, sizeof(c));
	}
	assert_int_equal(s.n, 0); /* nothing 100 ms older than the newest (40 ms) */
	{
		struct call_record c = ended_at(7, ends[6] * MS);

		reorder_push(&r, &c, sizeof(c)); /* newest 140: those up to 40 ms go */
	}
	assert_int_equal(s.n, 6);
	assert_int_equal(s.keys[0], 5 * MS);
	assert_int_equal(s.keys[1], 10 * MS);
	assert_int_equal(s.keys[2], 20 * MS);
	assert_int_equal(s.keys[3], 25 * MS);
	assert_int_equal(s.keys[4], 30 * MS);
	assert_int_equal(s.keys[5], 40 * MS);
	{
		struct call_record c = ended_at(8, ends[7] * MS);

		reorder_push(&r, &c, sizeof(c));
	}
	assert_int_equal(s.n, 6);
	reorder_flush(&r);
	assert_int_equal(s.n, 8);
	assert_int_equal(s.keys[6], 140 * MS);
	assert_int_equal(s.keys[7], 160 * MS);
	assert_int_equal(r.late, 0);
	assert_int_equal(r.forced, 0);
	assert_int_equal(r.most_held, 7);
	reorder_free(&r);
}

static void a_record_too_late_to_place_is_counted(void **state)
{
	struct seen s = { .n = 0 };
	struct reorder r;
	struct call_record a = ended_at(1, 10 * MS), b = ended_at(2, 500 * MS), c = ended_at(3, 20 * MS);

	(void)state;
	reorder_init(&r, 100 * MS, REORDER_MAX_BYTES, note, &s);
	reorder_push(&r, &a, sizeof(a));
	reorder_push(&r, &b, sizeof(b)); /* 10 ms leaves */
	reorder_push(&r, &c, sizeof(c)); /* older than the newest released? no: 20 > 10 */
	assert_int_equal(r.late, 0);
	reorder_flush(&r);
	c = ended_at(4, 300 * MS); /* 500 ms has left: this one cannot go before it */
	reorder_push(&r, &c, sizeof(c));
	reorder_flush(&r);
	assert_int_equal(r.late, 1);
	assert_int_equal(s.n, 4);
	reorder_free(&r);
}

static void held_bytes_past_the_cap_go_early(void **state)
{
	struct seen s = { .n = 0 };
	struct reorder r;
	int i;

	(void)state;
	reorder_init(&r, 1000 * MS, 3 * sizeof(struct call_record), note, &s);
	for (i = 0; i < 5; i++) {
		struct call_record c = ended_at((uint32_t)i + 1, (uint64_t)(10 + i) * MS);

		reorder_push(&r, &c, sizeof(c));
	}
	assert_int_equal(r.n, 3);
	assert_int_equal(r.forced, 2);
	assert_int_equal(s.keys[0], 10 * MS);
	assert_int_equal(s.keys[1], 11 * MS);
	reorder_flush(&r);
	reorder_free(&r);
}

static void keys_by_record_type(void **state)
{
	struct fork_record f = { .hdr.type = RECORD_FORK, .ts_ns = 7 };
	struct thread_record t = { .hdr.type = RECORD_THREAD, .last_ns = 8 };
	struct call_record c = ended_at(1, 20);
	struct record_header odd = { .type = 999 };

	(void)state;
	assert_int_equal(reorder_key(&f, sizeof(f)), 7);
	assert_int_equal(reorder_key(&t, sizeof(t)), 8);
	c.enter_ns = 10;
	c.duration_ns = 5;
	c.woken_ns = 12;
	assert_int_equal(reorder_key(&c, sizeof(c)), 15); /* its exit */
	c.woken_ns = 30;				  /* --sched-only: the last wakeup */
	assert_int_equal(reorder_key(&c, sizeof(c)), 30);
	assert_int_equal(reorder_key(&c, 8), 0); /* cut short: no time */
	assert_int_equal(reorder_key(&odd, sizeof(odd)), 0);
}

/* A futex wait of waiter (tid 20) that waker (tid 10) ended at woken_ns. */
static struct call_record woken_by_waker(uint64_t woken_ns)
{
	struct call_record c = make_call(20, "futex", 0, 5 * MS, 5 * MS, 1);

	c.hdr.tgid = 1;
	c.enter_ns = woken_ns - 5 * MS;
	c.woken_ns = woken_ns;
	c.args[0] = 0x1000;
	c.args[1] = 128; /* FUTEX_WAIT_PRIVATE */
	c.waker_kind = WAKER_TASK;
	c.waker_tid = 10;
	c.waker_tgid = 1;
	return c;
}

static struct call_record waker_wait(const char *name, uint64_t woken_ns)
{
	struct call_record c = make_call(10, name, 0, MS, MS, 1);

	c.hdr.tgid = 1;
	c.enter_ns = woken_ns - MS;
	c.woken_ns = woken_ns;
	c.waker_kind = WAKER_TIMER;
	return c;
}

/*
 * The waiter's wait as the account judges it when the waker's records come
 * as --sched-only sends them: the waker's sleep (woken at 10 ms) after the
 * waiter's wait it ended (at 12 ms), and before that an epoll_wait of the
 * waker that timed out (at 2 ms: idle).
 */
static enum wait_reason judged(uint64_t lag_ns)
{
	struct call_record idle = waker_wait("epoll_wait", 2 * MS), sleep = waker_wait("nanosleep", 10 * MS);
	struct call_record wait = woken_by_waker(12 * MS), later = waker_wait("nanosleep", 900 * MS);
	struct account a;
	struct reorder r;
	struct thread_stats *t;
	enum wait_reason verdict;

	assert_int_equal(account_init(&a, NULL), 0);
	t = account_thread(&a, 1, 1);
	snprintf(t->comm, sizeof(t->comm), "relay");
	t = account_thread(&a, 10, 1);
	snprintf(t->comm, sizeof(t->comm), "waker");
	t = account_thread(&a, 20, 1);
	snprintf(t->comm, sizeof(t->comm), "waiter");
	reorder_init(&r, lag_ns, REORDER_MAX_BYTES, consume_record, &a);
	reorder_push(&r, &idle, sizeof(idle));
	reorder_push(&r, &wait, sizeof(wait));
	reorder_push(&r, &sleep, sizeof(sleep));
	reorder_push(&r, &later, sizeof(later));
	reorder_flush(&r);
	verdict = (enum wait_reason)account_find_thread(&a, 20)->last_reason;
	reorder_free(&r);
	account_free(&a);
	return verdict;
}

static void a_wait_is_judged_after_its_wakers_earlier_wait(void **state)
{
	(void)state;
	/* In arrival order: the waker's latest known wait is the idle one. */
	assert_int_equal(judged(0), WAIT_HANDED_WORK);
	/* In time order: it had slept (WT), so a result came. */
	assert_int_equal(judged(REORDER_SCHED_ONLY_LAG_NS), WAIT_RESULT);
}

/*
 * With the syscall hooks a waiter's record leaves at its sys_exit, after
 * its wait on a run queue: its waker (a sibling here, so that a waker not
 * known reads as contention) may have waited 20 times more by then. The
 * wait before the wakeup is still known, and the waiter was handed work.
 */
static void a_waiter_late_off_its_run_queue_finds_its_wakers_wait(void **state)
{
	struct call_record idle = waker_wait("epoll_wait", 2 * MS), wait = woken_by_waker(12 * MS);
	struct account a;
	struct thread_stats *t;
	int i;

	(void)state;
	assert_int_equal(account_init(&a, NULL), 0);
	t = account_thread(&a, 1, 1);
	snprintf(t->comm, sizeof(t->comm), "main");
	t = account_thread(&a, 10, 1);
	snprintf(t->comm, sizeof(t->comm), "worker-1");
	t = account_thread(&a, 20, 1);
	snprintf(t->comm, sizeof(t->comm), "worker-2");
	account_record(&a, &idle, sizeof(idle));
	for (i = 0; i < 20; i++) {
		struct call_record later = waker_wait("nanosleep", (13 + (uint64_t)i) * MS);

		account_record(&a, &later, sizeof(later));
	}
	account_record(&a, &wait, sizeof(wait));
	assert_int_equal(account_find_thread(&a, 20)->last_reason, WAIT_HANDED_WORK);
	account_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_a_lag_records_pass_at_once),
		cmocka_unit_test(records_wait_their_lag_and_leave_in_time_order),
		cmocka_unit_test(a_record_too_late_to_place_is_counted),
		cmocka_unit_test(held_bytes_past_the_cap_go_early),
		cmocka_unit_test(keys_by_record_type),
		cmocka_unit_test(a_wait_is_judged_after_its_wakers_earlier_wait),
		cmocka_unit_test(a_waiter_late_off_its_run_queue_finds_its_wakers_wait),
	};

	return cmocka_run_group_tests_name("reorder", tests, NULL, NULL);
}
