// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include "unit.h"
#include "timeline.h"

static struct sched_record ev(uint32_t tid, enum sched_event what, uint64_t ts, long nr,
			      uint64_t total)
{
	struct sched_record r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = RECORD_SCHED;
	r.hdr.flags = what;
	r.hdr.tid = tid;
	r.hdr.tgid = tid;
	r.ts_ns = ts;
	r.nr = nr;
	r.oncpu_total_ns = total;
	return r;
}

static void slices_follow_the_kernels_on_cpu(void **state)
{
	struct thread_counters base = { 1000, 0, 0, 0 }, end = { 1290, 0, 0, 0 };
	long rd = syscall_number("read");
	struct sched_record e[] = {
		ev(7, SCHED_IN, 100, -1, 0),	      ev(7, SCHED_OUT_BLOCKED, 200, rd, 1100),
		ev(7, SCHED_WAKEUP, 500, rd, 0),      ev(7, SCHED_IN, 520, -1, 0),
		ev(7, SCHED_OUT_PREEMPTED, 600, -1, 1190), ev(7, SCHED_IN, 700, -1, 0),
		ev(7, SCHED_OUT_BLOCKED, 800, rd, 1290),
	};
	struct { enum slice_state st; uint64_t a, b; } want[] = {
		{ SLICE_RUNNABLE, 50, 100 }, { SLICE_ONCPU, 100, 200 },	 { SLICE_BLOCKED, 200, 500 },
		{ SLICE_RUNNABLE, 500, 510 }, { SLICE_ONCPU, 510, 600 }, { SLICE_RUNNABLE, 600, 700 },
		{ SLICE_ONCPU, 700, 800 },    { SLICE_BLOCKED, 800, 1000 },
	};
	struct account a;
	struct timeline tl;
	struct slice *s;
	size_t n, i;
	uint64_t oncpu = 0;

	(void)state;
	account_init(&a, NULL);
	account_set_base(&a, 7, 7, &base);
	account_set_end(&a, 7, &end);
	timeline_init(&tl, 100);
	tl.start_ns = 50;
	tl.end_ns = 1000;
	/* Out of order, as records from two CPUs may arrive. */
	for (i = sizeof(e) / sizeof(e[0]); i > 0; i--)
		timeline_add(&tl, &e[i - 1]);
	n = timeline_slices(&tl, &a, &s);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++) {
		assert_int_equal(s[i].state, want[i].st);
		assert_int_equal(s[i].start_ns, want[i].a);
		assert_int_equal(s[i].end_ns, want[i].b);
		if (s[i].state == SLICE_ONCPU)
			oncpu += s[i].end_ns - s[i].start_ns;
	}
	assert_int_equal(s[2].nr, rd);
	/* The slices add up to what the report says: the kernel's on-CPU time. */
	assert_int_equal(oncpu, thread_oncpu_ns(account_find_thread(&a, 7)));
	free(s);
	timeline_free(&tl);
	account_free(&a);
}

static void bounded(void **state)
{
	struct timeline tl;
	struct sched_record r = ev(1, SCHED_IN, 1, -1, 0);
	int i;

	(void)state;
	timeline_init(&tl, 10);
	for (i = 0; i < 25; i++)
		timeline_add(&tl, &r);
	assert_int_equal(tl.n, 10);
	assert_int_equal(tl.dropped, 15);
	timeline_free(&tl);
}

static void outputs_parse(void **state)
{
	struct thread_counters base = { 0 }, end = { 100, 0, 0, 0 };
	struct sched_record e[] = { ev(3, SCHED_IN, 10, -1, 0), ev(3, SCHED_OUT_BLOCKED, 110, 0, 100) };
	struct account a;
	struct timeline tl;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	account_init(&a, NULL);
	account_set_base(&a, 3, 3, &base);
	account_set_end(&a, 3, &end);
	strcpy(account_find_thread(&a, 3)->comm, "worker-1");
	timeline_init(&tl, 10);
	tl.start_ns = 0;
	tl.end_ns = 200;
	timeline_add(&tl, &e[0]);
	timeline_add(&tl, &e[1]);
	f = open_memstream(&buf, &len);
	assert_int_equal(timeline_write_json(f, &tl, &a), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"name\":\"on-CPU\",\"cat\":\"oncpu\",\"ph\":\"X\",\"pid\":3,\"tid\":3,\"ts\":0.010,\"dur\":0.100"));
	assert_non_null(strstr(buf, "\"name\":\"blocked: read\""));
	assert_non_null(strstr(buf, "\"args\":{\"name\":\"worker-1\"}"));
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(timeline_write_svg(f, &tl, &a), 0);
	fclose(f);
	assert_non_null(strstr(buf, "<svg"));
	assert_non_null(strstr(buf, "fill=\"#2ca02c\""));
	assert_non_null(strstr(buf, "</svg>"));
	free(buf);
	timeline_free(&tl);
	account_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slices_follow_the_kernels_on_cpu),
		cmocka_unit_test(bounded),
		cmocka_unit_test(outputs_parse),
	};

	return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}
