// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The cgroup readers' parsers: CPU lists, v1 quotas; and --serve's address parser. */
#include "unit.h"
#include "options.h"
#include "cgroup.h"
#include "cpustat.h"

static void cpu_lists(void **state)
{
	(void)state;
	assert_int_equal(parse_cpu_list("0-1\n"), 2);
	assert_int_equal(parse_cpu_list("0-3,8,10-11"), 7);
	assert_int_equal(parse_cpu_list("5"), 1);
	assert_int_equal(parse_cpu_list("\n"), 0); /* a cgroup given no CPU yet */
	assert_int_equal(parse_cpu_list(""), 0);
	assert_int_equal(parse_cpu_list("3-1"), -1);
	assert_int_equal(parse_cpu_list("0-"), -1);
	assert_int_equal(parse_cpu_list("0,"), -1);
	assert_int_equal(parse_cpu_list("a"), -1);
	assert_int_equal(parse_cpu_list("1 2"), -1);
}

static void cpu_jiffies(void **state)
{
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	const char *stat = "cpu  300 0 100 1000 10 0 0 0 0 0\n"
			   "cpu0 100 0 50 400 10 0 0 0 0 0\n"
			   "cpu1 200 0 50 600 0 0 0 40 7 0\n"
			   "intr 12345 1 2 3\n"
			   "cpu7 5 0 5 5 0 0 0 0 0 0\n";
	bool use[PROC_MAX_CPUS] = { false };
	uint64_t busy, total;

	(void)state;
	assert_int_equal(parse_cpu_jiffies(stat, NULL, &busy, &total), 0);
	/* The summing "cpu" line is not a CPU; steal is busy; guest is in user already. */
	assert_int_equal(total, 560 + 890 + 15);
	assert_int_equal(busy, 150 + 290 + 10);
	use[1] = true;
	assert_int_equal(parse_cpu_jiffies(stat, use, &busy, &total), 0);
	assert_int_equal(total, 890);
	assert_int_equal(busy, 290);
	use[1] = false;
	use[3] = true; /* not in the file */
	assert_int_equal(parse_cpu_jiffies(stat, use, &busy, &total), -1);
	assert_int_equal(parse_cpu_jiffies("", NULL, &busy, &total), -1);
}

static void cfs_quotas(void **state)
{
	(void)state;
	assert_true(parse_cfs_quota("100000\n", "100000\n") == 1.0);
	assert_true(parse_cfs_quota("150000", "100000") == 1.5);
	assert_true(parse_cfs_quota("-1\n", "100000\n") == 0); /* unlimited */
	assert_true(parse_cfs_quota("x", "100000") == 0);
	assert_true(parse_cfs_quota("100000", "0") == 0);
}

static void listen_addresses(void **state)
{
	char host[64], port[8], err[128];

	(void)state;
	assert_int_equal(parse_listen_address("127.0.0.1:9465", host, sizeof(host), port,
					      sizeof(port), err, sizeof(err)),
			 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "9465");
	assert_int_equal(parse_listen_address(":0", host, sizeof(host), port, sizeof(port), err,
					      sizeof(err)),
			 0);
	assert_string_equal(host, "");
	assert_string_equal(port, "0");
	assert_int_equal(parse_listen_address("[::1]:80", host, sizeof(host), port, sizeof(port),
					      err, sizeof(err)),
			 0);
	assert_string_equal(host, "::1");
	assert_int_equal(parse_listen_address("localhost:65535", host, sizeof(host), port,
					      sizeof(port), err, sizeof(err)),
			 0);
	assert_int_equal(parse_listen_address("9465", host, sizeof(host), port, sizeof(port), err,
					      sizeof(err)),
			 -1);
	assert_int_equal(parse_listen_address("::1:80", host, sizeof(host), port, sizeof(port),
					      err, sizeof(err)),
			 -1);
	assert_int_equal(parse_listen_address("h:65536", host, sizeof(host), port, sizeof(port),
					      err, sizeof(err)),
			 -1);
	assert_int_equal(parse_listen_address("h:-1", host, sizeof(host), port, sizeof(port), err,
					      sizeof(err)),
			 -1);
	assert_int_equal(parse_listen_address("h:", host, sizeof(host), port, sizeof(port), err,
					      sizeof(err)),
			 -1);
	assert_int_equal(parse_listen_address("[::1:80", host, sizeof(host), port, sizeof(port),
					      err, sizeof(err)),
			 -1);
	assert_int_equal(parse_listen_address("h:80x", host, sizeof(host), port, sizeof(port), err,
					      sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "invalid port"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cpu_lists),
		cmocka_unit_test(cpu_jiffies),
		cmocka_unit_test(cfs_quotas),
		cmocka_unit_test(listen_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
