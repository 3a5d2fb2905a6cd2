// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include "unit.h"
#include "classify.h"

static void blocking_iff_voluntary_switch(void **state)
{
	struct call_record c = make_call(1, "read", 1, 1000, 0, 0);

	(void)state;
	assert_false(call_is_blocking(&c));
	c.involuntary = 3; /* preempted: still non-blocking */
	assert_false(call_is_blocking(&c));
	c.voluntary = 1;
	assert_true(call_is_blocking(&c));
}

static void return_values(void **state)
{
	(void)state;
	assert_true(is_eagain_return(-EAGAIN));
	assert_true(is_eagain_return(-EWOULDBLOCK));
	assert_false(is_error_return(-EAGAIN));
	assert_true(is_error_return(-ENOENT));
	assert_false(is_error_return(0));
	assert_false(is_error_return(12345));
	for (long r = -512; r >= -516; r--)
		if (r != -515)
			assert_true(is_restart_return(r));
	assert_false(is_restart_return(-515)); /* ENOIOCTLCMD */
	assert_false(is_error_return(-512));
	/* A high address from mmap is not an error. */
	assert_false(is_error_return((long)0x7f0000000000));
}

static void default_classes(void **state)
{
	static const char *const idle[] = { "epoll_wait", "epoll_pwait", "poll", "ppoll", "select",
					    "pselect6", "accept", "accept4", "pause",
					    "rt_sigsuspend", "rt_sigtimedwait", "wait4", "waitid" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(idle) / sizeof(idle[0]); i++)
		assert_int_equal(syscall_class(syscall_number(idle[i]), NULL), CLASS_IDLE);
	assert_int_equal(syscall_class(syscall_number("futex"), NULL), CLASS_SYNC);
	assert_int_equal(syscall_class(syscall_number("read"), NULL), CLASS_WAIT);
	assert_int_equal(syscall_class(syscall_number("recvfrom"), NULL), CLASS_WAIT);
	assert_int_equal(syscall_class(syscall_number("clock_nanosleep"), NULL), CLASS_WAIT);
	assert_int_equal(syscall_class(9999, NULL), CLASS_WAIT);
}

static void overrides(void **state)
{
	struct class_overrides ov = { 0 };
	const char *why = NULL;

	(void)state;
	assert_int_equal(class_override_add(&ov, "futex=wait", &why), 0);
	assert_int_equal(class_override_add(&ov, "read=idle", &why), 0);
	assert_int_equal(syscall_class(syscall_number("futex"), &ov), CLASS_WAIT);
	assert_int_equal(syscall_class(syscall_number("read"), &ov), CLASS_IDLE);
	assert_int_equal(class_override_add(&ov, "nosuchcall=idle", &why), -1);
	assert_string_equal(why, "unknown syscall");
	assert_int_equal(class_override_add(&ov, "read=sometimes", &why), -1);
	assert_int_equal(class_override_add(&ov, "read", &why), -1);
	assert_int_equal(class_override_add(&ov, "=idle", &why), -1);
	assert_int_equal(ov.count, 2);
}

static void syscall_names(void **state)
{
	(void)state;
	assert_string_equal(syscall_name(0), "read");
	assert_string_equal(syscall_name(1), "write");
	assert_string_equal(syscall_name(232), "epoll_wait");
	assert_int_equal(syscall_number("futex"), 202);
	assert_int_equal(syscall_number("io_uring_enter"), 426);
	assert_null(syscall_name(-1));
	assert_null(syscall_name(100000));
	assert_int_equal(syscall_number("not_a_syscall"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocking_iff_voluntary_switch),
		cmocka_unit_test(return_values),
		cmocka_unit_test(default_classes),
		cmocka_unit_test(overrides),
		cmocka_unit_test(syscall_names),
	};

	return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
