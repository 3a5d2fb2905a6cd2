// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Who woke a call: tasks, interrupts, and the sender a loopback softirq ran in. */
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"
#include "wakers.h"

static struct call_record woken_by(uint16_t kind, uint16_t softirq, uint32_t tgid,
				   const char *comm, const char *in_call)
{
	struct call_record c = make_call(10, "read", 1, 5000000, 4000000, 1);

	c.waker_kind = kind;
	c.waker_softirq = softirq;
	c.waker_tgid = tgid;
	c.waker_tid = tgid;
	snprintf(c.waker_comm, sizeof(c.waker_comm), "%s", comm);
	c.waker_nr = in_call ? (int32_t)syscall_number(in_call) : -1;
	return c;
}

static void task_wakers_keep_their_process_and_group(void **state)
{
	struct call_record c = woken_by(WAKER_TASK, 0, 77, "conn-12", NULL);
	struct waker_stat w;
	char label[48];

	(void)state;
	waker_of_call(&c, &w);
	assert_int_equal(w.kind, WAKER_TASK);
	assert_int_equal(w.tgid, 77);
	assert_string_equal(w.comm, "conn-");
	assert_string_equal(waker_label(&w, label, sizeof(label)), "conn-[77]");
	assert_string_equal(waker_kind_name(w.kind), "task");
}

static void interrupts_are_named_never_the_bystander(void **state)
{
	struct {
		uint16_t kind, softirq;
		const char *name, *kind_name;
	} cases[] = {
		{ WAKER_TIMER, 0, "timer", "timer" },
		{ WAKER_HARDIRQ, 0, "hardirq", "hardirq" },
		{ WAKER_NMI, 0, "nmi", "nmi" },
		{ WAKER_SOFTIRQ, BS_SOFTIRQ_NET_RX, "softirq:net", "softirq" },
		{ WAKER_SOFTIRQ, BS_SOFTIRQ_BLOCK, "softirq:block", "softirq" },
		{ WAKER_SOFTIRQ, BS_SOFTIRQ_RCU, "softirq:rcu", "softirq" },
		{ WAKER_SOFTIRQ, BS_SOFTIRQ_TASKLET, "softirq:tasklet", "softirq" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* The kernel side clears the task for these; a stale one must not leak through. */
		struct call_record c = woken_by(cases[i].kind, cases[i].softirq, 0, "", NULL);
		struct waker_stat w;
		char label[48];

		waker_of_call(&c, &w);
		assert_int_equal(w.tgid, 0);
		assert_string_equal(waker_label(&w, label, sizeof(label)), cases[i].name);
		assert_string_equal(waker_kind_name(w.kind), cases[i].kind_name);
	}
}

static void a_send_that_ran_the_network_softirq_is_the_sender(void **state)
{
	struct call_record c = woken_by(WAKER_SOFTIRQ, BS_SOFTIRQ_NET_RX, 55, "backend", "sendto");
	struct waker_stat w;

	(void)state;
	waker_of_call(&c, &w);
	assert_int_equal(w.kind, WAKER_NET_SENDER);
	assert_int_equal(w.tgid, 55);
	assert_string_equal(w.comm, "backend");
	assert_string_equal(waker_kind_name(w.kind), "net-sender");

	/* Not a send: a task that only happened to run the softirq is no sender. */
	c = woken_by(WAKER_SOFTIRQ, BS_SOFTIRQ_NET_RX, 55, "spinner", "getpid");
	waker_of_call(&c, &w);
	assert_int_equal(w.kind, WAKER_SOFTIRQ);
	assert_int_equal(w.tgid, 0);
	assert_string_equal(w.comm, "softirq:net");
	/* In no syscall, or another softirq than the network's. */
	c = woken_by(WAKER_SOFTIRQ, BS_SOFTIRQ_NET_RX, 55, "spinner", NULL);
	waker_of_call(&c, &w);
	assert_int_equal(w.tgid, 0);
	c = woken_by(WAKER_SOFTIRQ, BS_SOFTIRQ_RCU, 55, "writer", "write");
	waker_of_call(&c, &w);
	assert_int_equal(w.tgid, 0);
	assert_string_equal(w.comm, "softirq:rcu");
}

static void an_interrupt_that_ends_a_sleep_is_its_timer(void **state)
{
	struct call_record c = woken_by(WAKER_SOFTIRQ, BS_SOFTIRQ_BLOCK, 0, "", NULL);
	struct waker_stat w;

	(void)state;
	c.nr = syscall_number("clock_nanosleep");
	waker_of_call(&c, &w);
	assert_string_equal(w.comm, "timer");
	assert_int_equal(w.kind, WAKER_TIMER);
	/* Not a sleep: the softirq stays. */
	c.nr = syscall_number("read");
	waker_of_call(&c, &w);
	assert_string_equal(w.comm, "softirq:block");
}

static void a_kind_from_a_bad_record_is_not_trusted(void **state)
{
	struct call_record c = woken_by(200, 0, 9, "x", NULL);
	struct waker_stat w;

	(void)state;
	waker_of_call(&c, &w);
	assert_int_equal(w.tgid, 0);
	assert_string_equal(waker_kind_name(999), "other");
}

static void tables_sum_by_waker_and_keep_the_rest(void **state)
{
	struct waker_stat table[3], who;
	int n = 0, i;

	(void)state;
	for (i = 0; i < 5; i++) {
		struct call_record c = woken_by(i ? WAKER_TASK : WAKER_TIMER, 0, (uint32_t)i,
						"worker-1", NULL);

		waker_of_call(&c, &who);
		waker_add(table, &n, 3, &who, 1, 100);
		waker_add(table, &n, 3, &who, 1, 100);
	}
	assert_int_equal(n, 3);
	assert_string_equal(table[0].comm, "timer");
	assert_int_equal(table[0].wakeups, 2);
	assert_int_equal(table[2].tgid, UINT32_MAX); /* (others): wakers 2, 3 and 4 */
	assert_int_equal(table[2].wakeups, 6);
	assert_int_equal(table[2].blocked_ns, 600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_wakers_keep_their_process_and_group),
		cmocka_unit_test(interrupts_are_named_never_the_bystander),
		cmocka_unit_test(a_send_that_ran_the_network_softirq_is_the_sender),
		cmocka_unit_test(an_interrupt_that_ends_a_sleep_is_its_timer),
		cmocka_unit_test(a_kind_from_a_bad_record_is_not_trusted),
		cmocka_unit_test(tables_sum_by_waker_and_keep_the_rest),
	};

	return cmocka_run_group_tests_name("wakers", tests, NULL, NULL);
}
