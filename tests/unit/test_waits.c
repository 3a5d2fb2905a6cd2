// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What a wait means: by syscall, by fd, and for waits between threads by who ended them. */
#include <stdio.h>
#include <stdlib.h>
#include "unit.h"
#include "waits.h"

#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAIT_BITSET_PRIVATE_REALTIME 393

static struct wait_facts facts(const char *call)
{
	struct wait_facts f;

	memset(&f, 0, sizeof(f));
	f.nr = syscall_number(call);
	return f;
}

/* A futex wait (a condition variable's), woken by a task of the process. */
static struct wait_facts futex_woken(bool sibling, bool known, enum wait_class waker_last)
{
	struct wait_facts f = facts("futex");

	f.args[1] = FUTEX_WAIT_BITSET_PRIVATE_REALTIME;
	f.waker_kind = WAKER_TASK;
	f.waker_in_process = true;
	f.waker_sibling = sibling;
	f.waker_known = known;
	f.waker_last = waker_last;
	return f;
}

/*
 * Apache worker's threads map each file they serve: a munmap waits for the
 * mmap_lock a sibling holds, and the sibling's release wakes it. Contention,
 * not WT; woken by anything else it waited for the system.
 */
static void address_space_lock_is_contention(void **state)
{
	static const char *const calls[] = { "mmap", "munmap", "mprotect", "mremap", "brk",
					     "madvise" };
	struct wait_facts f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		f = facts(calls[i]);
		f.waker_kind = WAKER_TASK;
		f.waker_in_process = f.waker_same_process = true;
		assert_int_equal(wait_judge(&f), WAIT_MMAP_LOCK);
	}
	assert_int_equal(wait_reason_class(WAIT_MMAP_LOCK), CLASS_SYNC);
	assert_string_equal(wait_reason_name(WAIT_MMAP_LOCK), "mmap-lock");
	f = facts("munmap");
	f.waker_kind = WAKER_TASK; /* another traced process: not this address space */
	f.waker_in_process = true;
	assert_int_equal(wait_judge(&f), WAIT_OTHER);
	f.waker_same_process = true; /* no waker seen */
	f.waker_unknown = true;
	assert_int_equal(wait_judge(&f), WAIT_OTHER);
	f = facts("mmap");
	f.waker_kind = WAKER_TIMER; /* an interrupt: the system, not a sibling */
	assert_int_equal(wait_judge(&f), WAIT_OTHER);
	f = facts("mmap"); /* still waiting at the stop, its last one was the lock */
	f.cut = f.cut_known = true;
	f.cut_like = CLASS_SYNC;
	assert_int_equal(wait_judge(&f), WAIT_CUT_SYNC);
	f = facts("connect"); /* other calls woken by a sibling stay WT */
	f.waker_kind = WAKER_TASK;
	f.waker_in_process = f.waker_same_process = true;
	assert_int_equal(wait_judge(&f), WAIT_OTHER);
}

static void by_syscall(void **state)
{
	struct wait_facts f;

	(void)state;
	f = facts("epoll_wait");
	assert_int_equal(wait_judge(&f), WAIT_EVENT_LOOP);
	f = facts("accept4");
	assert_int_equal(wait_judge(&f), WAIT_ACCEPT);
	f = facts("clock_nanosleep");
	assert_int_equal(wait_judge(&f), WAIT_SLEEP);
	assert_int_equal(wait_reason_class(WAIT_SLEEP), CLASS_WAIT);
	f = facts("connect");
	assert_int_equal(wait_judge(&f), WAIT_OTHER);
	assert_int_equal(wait_reason_class(WAIT_OTHER), CLASS_WAIT);
}

static void reads_by_fd(void **state)
{
	struct wait_facts f = facts("recvfrom");

	(void)state;
	assert_true(wait_needs_fd(f.nr));
	assert_false(wait_needs_fd(syscall_number("futex")));
	f.fd = FD_SERVER_CONN; /* the client's next request: idle */
	assert_int_equal(wait_judge(&f), WAIT_CLIENT_REQUEST);
	assert_int_equal(wait_reason_class(WAIT_CLIENT_REQUEST), CLASS_IDLE);
	f.fd = FD_CLIENT_CONN; /* a backend's answer: WT */
	assert_int_equal(wait_judge(&f), WAIT_BACKEND);
	assert_int_equal(wait_reason_class(WAIT_BACKEND), CLASS_WAIT);
	f = facts("read");
	f.fd = FD_FILE;
	assert_int_equal(wait_judge(&f), WAIT_FILE_IO);
	f.fd = FD_TTY;
	assert_int_equal(wait_judge(&f), WAIT_INPUT);
	f.fd = FD_UNKNOWN;
	assert_int_equal(wait_judge(&f), WAIT_OTHER);
	f = facts("sendto");
	f.fd = FD_SERVER_CONN;
	assert_int_equal(wait_judge(&f), WAIT_PEER_TAKES);
}

static void futex_by_who_woke_it(void **state)
{
	struct wait_facts f;

	(void)state;
	/* An idle pool: woken by the thread that was just handed a request. */
	f = futex_woken(false, true, CLASS_IDLE);
	assert_int_equal(wait_judge(&f), WAIT_HANDED_WORK);
	assert_int_equal(wait_reason_class(WAIT_HANDED_WORK), CLASS_IDLE);
	/* A queue's signal passed on by a sibling that was itself just given work. */
	f = futex_woken(true, true, CLASS_IDLE);
	assert_int_equal(wait_judge(&f), WAIT_HANDED_WORK);
	/* A future: woken by a worker whose backend call had just returned. */
	f = futex_woken(false, true, CLASS_WAIT);
	assert_int_equal(wait_judge(&f), WAIT_RESULT);
	assert_int_equal(wait_reason_class(WAIT_RESULT), CLASS_WAIT);
	/* A lock or the GIL passed along among siblings. */
	f = futex_woken(true, true, CLASS_SYNC);
	assert_int_equal(wait_judge(&f), WAIT_SIBLING);
	assert_int_equal(wait_reason_class(WAIT_SIBLING), CLASS_SYNC);
	f = futex_woken(true, false, CLASS_WAIT);
	assert_int_equal(wait_judge(&f), WAIT_SIBLING);
	/* Timed out: nothing came (a keep-alive, parkNanos). */
	f = futex_woken(true, true, CLASS_SYNC);
	f.waker_kind = WAKER_TIMER;
	f.waker_in_process = false;
	assert_int_equal(wait_judge(&f), WAIT_TIMED_OUT);
	assert_int_equal(wait_reason_class(WAIT_TIMED_OUT), CLASS_IDLE);
	/* Another process ended it. */
	f = futex_woken(false, false, CLASS_WAIT);
	f.waker_in_process = false;
	assert_int_equal(wait_judge(&f), WAIT_FROM_OUTSIDE);
	/* Nobody seen: as futex was before, sync. */
	f.waker_unknown = true;
	assert_int_equal(wait_judge(&f), WAIT_THREADS_UNKNOWN);
	assert_int_equal(wait_reason_class(WAIT_THREADS_UNKNOWN), CLASS_SYNC);
}

static void contended_mutex_by_op_and_value(void **state)
{
	struct wait_facts f = futex_woken(false, true, CLASS_IDLE);

	(void)state;
	f.args[1] = FUTEX_WAIT_PRIVATE;
	f.args[2] = 2; /* glibc's lowlevellock: locked, with waiters */
	assert_int_equal(wait_judge(&f), WAIT_MUTEX);
	assert_int_equal(wait_reason_class(WAIT_MUTEX), CLASS_SYNC);
	f.args[2] = 0; /* a plain futex wait (Go's idle Ms): judged by its waker */
	assert_int_equal(wait_judge(&f), WAIT_HANDED_WORK);
}

static void pipes_in_process_like_futexes(void **state)
{
	struct wait_facts f = futex_woken(false, true, CLASS_WAIT);

	(void)state;
	f.nr = syscall_number("read");
	f.fd = FD_IPC;
	assert_int_equal(wait_judge(&f), WAIT_RESULT);
}

/* Go: an M parked on its note is idle whoever woke it; the runtime's mutex is still a mutex. */
static void go_ms_park_for_work(void **state)
{
	struct wait_facts f = futex_woken(true, true, CLASS_WAIT);

	(void)state;
	f.go_runtime = true;
	assert_int_equal(wait_judge(&f), WAIT_GO_PARK);
	assert_int_equal(wait_reason_class(WAIT_GO_PARK), CLASS_IDLE);
	f.args[1] = FUTEX_WAIT_PRIVATE;
	f.args[2] = 2; /* lock2's mutex_sleeping */
	assert_int_equal(wait_judge(&f), WAIT_MUTEX);
	/* The same wait in a C program: a result came from a sibling's I/O. */
	f = futex_woken(false, true, CLASS_WAIT);
	assert_int_equal(wait_judge(&f), WAIT_RESULT);
}

static void cut_waits_like_the_last(void **state)
{
	struct wait_facts f = futex_woken(false, false, CLASS_WAIT);

	(void)state;
	f.waker_unknown = true;
	f.cut = true;
	f.cut_known = true;
	f.cut_like = CLASS_IDLE;
	assert_int_equal(wait_judge(&f), WAIT_CUT_IDLE);
	f.cut_known = false; /* a wait on threads that nothing ended: nothing came */
	assert_int_equal(wait_judge(&f), WAIT_CUT_IDLE);
	f.nr = syscall_number("read");
	f.fd = FD_IPC;
	assert_int_equal(wait_judge(&f), WAIT_CUT_IDLE);
	f.fd = FD_FILE; /* not a wait on threads: by its fd, as ever */
	assert_int_equal(wait_judge(&f), WAIT_FILE_IO);
}

static void overrides_win(void **state)
{
	struct class_overrides ov = { 0 };
	struct wait_facts f = futex_woken(false, true, CLASS_IDLE);
	const char *why;

	(void)state;
	assert_int_equal(class_override_add(&ov, "futex=wait", &why), 0);
	f.overrides = &ov;
	assert_int_equal(wait_judge(&f), WAIT_OVERRIDE_WAIT);
	assert_int_equal(wait_reason_class(WAIT_OVERRIDE_WAIT), CLASS_WAIT);
}

static void every_reason_named(void **state)
{
	int r;

	(void)state;
	for (r = 0; r < WAIT_REASON_COUNT; r++) {
		assert_string_not_equal(wait_reason_name((enum wait_reason)r), "?");
		assert_true(strlen(wait_reason_text((enum wait_reason)r)) > 3);
	}
	assert_string_equal(wait_reason_name(WAIT_REASON_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(by_syscall),
		cmocka_unit_test(reads_by_fd),
		cmocka_unit_test(futex_by_who_woke_it),
		cmocka_unit_test(contended_mutex_by_op_and_value),
		cmocka_unit_test(pipes_in_process_like_futexes),
		cmocka_unit_test(go_ms_park_for_work), cmocka_unit_test(cut_waits_like_the_last),
		cmocka_unit_test(overrides_win),
		cmocka_unit_test(address_space_lock_is_contention),
		cmocka_unit_test(every_reason_named),
	};

	return cmocka_run_group_tests_name("waits", tests, NULL, NULL);
}
