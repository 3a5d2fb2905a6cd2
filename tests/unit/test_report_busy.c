// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The busy line under a pool's size: which verdict, and the JSON keys (report_busy.c). */
#include <stdlib.h>
#include "unit.h"
#include "report_busy.h"

#define MS 1000000ull

static char *text(const struct sizing *s, const struct occupancy *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	report_busy_text(f, s, o);
	fclose(f);
	return buf;
}

static void pool(struct sizing *s, struct occupancy *o, int threads, double mean, uint32_t p99,
		 uint32_t max, double all)
{
	memset(s, 0, sizeof(*s));
	memset(o, 0, sizeof(*o));
	s->cores = 2;
	s->utilization = 1;
	s->wait_compute_ratio = 3;
	s->recommended = 8;
	o->known = true;
	o->threads = threads;
	o->busy_mean = mean;
	o->busy_p99 = p99;
	o->busy_max = max;
	o->all_busy_share = all;
	o->jobs = o->jobs_whole = 800;
	o->jobs_per_s = 200;
	o->job_ns = (struct job_dist){ 4.0 * MS, 4 * MS, 5 * MS, 6 * MS };
	o->job_ct_ns = (struct job_dist){ 1.0 * MS, 1 * MS, 2 * MS, 2 * MS };
	o->job_wt_ns = (struct job_dist){ 3.0 * MS, 3 * MS, 5 * MS, 6 * MS };
}

static void too_many_threads(void **state)
{
	struct sizing s;
	struct occupancy o;
	char *t;

	(void)state;
	pool(&s, &o, 16, 0.8, 3, 5, 0);
	t = text(&s, &o);
	assert_non_null(strstr(t, "busy: 0.8 on average, p99 3, at most 5 of 16; all 16 busy 0% of "
				  "the time: more threads than the load needs; the CPUs could use 8"));
	assert_non_null(strstr(t, "jobs: 800 (200.0/s)"));
	/* p99 WT 5 ms over a mean CT of 1 ms: 2 x (1 + 5) = 12. */
	assert_non_null(strstr(t, "5.00 for a job that waits as long as the p99: 12 threads"));
	free(t);
}

static void work_queues(void **state)
{
	struct sizing s;
	struct occupancy o;
	char *t;

	(void)state;
	pool(&s, &o, 4, 3.9, 4, 4, 0.97);
	s.recommended = 9;
	o.jobs_whole = 0;
	t = text(&s, &o);
	assert_non_null(strstr(t, "all 4 busy 97% of the time: work queues; the CPUs could use 9"));
	assert_non_null(strstr(t, "jobs: not told apart"));
	free(t);
	pool(&s, &o, 4, 2.1, 4, 4, 0.12);
	t = text(&s, &o);
	assert_non_null(strstr(t, "all 4 busy 12% of the time: at its peaks work queues"));
	free(t);
	o.known = false;
	t = text(&s, &o);
	assert_string_equal(t, "");
	free(t);
}

static void json_keys(void **state)
{
	struct sizing s;
	struct occupancy o;
	json_object *g = json_object_new_object(), *v;

	(void)state;
	pool(&s, &o, 16, 0.8, 3, 5, 0);
	report_busy_json(g, &s, &o);
	assert_true(json_object_object_get_ex(g, "busy_threads", &v));
	assert_true(json_object_get_double(json_object_object_get(v, "mean")) == 0.8);
	assert_int_equal(json_object_get_int(json_object_object_get(v, "p99")), 3);
	assert_int_equal(json_object_get_int(json_object_object_get(v, "max")), 5);
	assert_int_equal(json_object_get_int(json_object_object_get(v, "p50")), 0);
	assert_true(json_object_object_get_ex(g, "all_busy_share", &v));
	assert_int_equal(json_object_get_int64(json_object_object_get(g, "jobs")), 800);
	assert_true(json_object_get_double(json_object_object_get(g, "jobs_per_s")) == 200);
	v = json_object_object_get(g, "job_wt_ns");
	assert_int_equal(json_object_get_int64(json_object_object_get(v, "p99")), 5 * MS);
	assert_non_null(json_object_object_get(g, "job_ct_ns"));
	assert_non_null(json_object_object_get(g, "job_runq_ns"));
	assert_int_equal(json_object_get_int64(json_object_object_get(g, "recommended_threads_p99")), 12);
	json_object_put(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(too_many_threads),
		cmocka_unit_test(work_queues),
		cmocka_unit_test(json_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
