// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The JSON contract and the text report, on a fixed account. */
#include <stdlib.h>
#include <json-c/json.h>
#include "unit.h"
#include "report.h"
#include "roles.h"

#define MS 1000000ull

static char *render(const struct report *r, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (json)
		assert_int_equal(report_json(f, r), 0);
	else
		report_text(f, r);
	fclose(f);
	return buf;
}

static void fill(struct account *a, struct report *r, struct options *o)
{
	struct thread_counters zero = { 0 };
	struct thread_record t = make_thread(42, "worker-1", 100 * MS, 5 * MS, THREAD_AT_STOP);
	struct call_record c1 = make_call(42, "recvfrom", 10, 300 * MS, 290 * MS, 3);
	struct call_record c2 = make_call(42, "recvfrom", -11, 1000, 0, 0);
	struct process_stats *p;

	account_init(a, NULL);
	p = account_process(a, 42);
	strcpy(p->comm, "pool_server");
	account_set_base(a, 42, 42, &zero);
	t.voluntary = 3;
	t.involuntary = 1;
	t.blocked_ns = 290 * MS;
	account_thread_record(a, &t);
	account_call(a, &c1);
	account_call(a, &c2);
	memset(o, 0, sizeof(*o));
	o->utilization = 1;
	memset(r, 0, sizeof(*r));
	r->acct = a;
	r->opts = o;
	r->duration_ns = 1000 * MS;
	r->start_ns = 7 * MS;
	r->cores = 2;
	r->cores_source = "--cores";
	r->stop_reason = "duration reached";
	r->lost = 7;
	r->cpu_busy = 0.25;
	assert_int_equal(sizing_by_group(a, 2, 1, r->cpu_busy, &r->total, &r->groups, &r->ngroups),
			 0);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static void json_contract(void **state)
{
	struct account a;
	struct report r;
	struct options o;
	char *text;
	json_object *root, *sc, *th, *sz, *g;

	(void)state;
	fill(&a, &r, &o);
	text = render(&r, true);
	root = json_tokener_parse(text);
	assert_non_null(root);
	assert_int_equal(json_object_get_int64(get(root, "duration_ns")), 1000 * MS);
	assert_int_equal(json_object_get_int64(get(root, "start_ns")), 7 * MS);
	assert_int_equal(json_object_get_int(get(get(root, "events"), "lost")), 7);
	assert_string_equal(json_object_get_string(get(json_object_array_get_idx(get(root, "targets"), 0), "comm")),
			    "pool_server");
	sc = json_object_array_get_idx(get(root, "syscalls"), 0);
	assert_string_equal(json_object_get_string(get(sc, "name")), "recvfrom");
	assert_int_equal(json_object_get_int(get(sc, "nr")), 45);
	assert_int_equal(json_object_get_int(get(sc, "calls")), 2);
	assert_int_equal(json_object_get_int(get(sc, "blocking")), 1);
	assert_int_equal(json_object_get_int(get(sc, "nonblocking")), 1);
	assert_int_equal(json_object_get_int(get(sc, "eagain")), 1);
	assert_int_equal(json_object_get_int(get(sc, "errors")), 0);
	assert_int_equal(json_object_get_int64(get(sc, "blocked_ns")), 290 * MS);
	assert_int_equal(json_object_get_int64(get(sc, "max_ns")), 300 * MS);
	get(sc, "total_ns");
	get(sc, "runq_ns");
	th = json_object_array_get_idx(get(root, "threads"), 0);
	assert_int_equal(json_object_get_int(get(th, "tid")), 42);
	assert_int_equal(json_object_get_int(get(th, "pid")), 42);
	assert_string_equal(json_object_get_string(get(th, "comm")), "worker-1");
	assert_int_equal(json_object_get_int64(get(th, "oncpu_ns")), 100 * MS);
	assert_int_equal(json_object_get_int64(get(th, "runq_ns")), 5 * MS);
	assert_int_equal(json_object_get_int64(get(th, "blocked_ns")), 290 * MS);
	assert_int_equal(json_object_get_int(get(th, "voluntary_switches")), 3);
	assert_int_equal(json_object_get_int(get(th, "involuntary_switches")), 1);
	sz = get(root, "sizing");
	assert_true(json_object_get_double(get(sz, "cores")) == 2.0);
	assert_true(json_object_get_double(get(sz, "utilization")) == 1.0);
	assert_int_equal(json_object_get_int64(get(sz, "compute_ns")), 100 * MS);
	assert_int_equal(json_object_get_int64(get(sz, "wait_ns")), 290 * MS);
	get(sz, "idle_wait_ns");
	get(sz, "sync_wait_ns");
	get(sz, "runq_ns");
	assert_true(json_object_get_double(get(sz, "wait_compute_ratio")) > 2.89);
	assert_int_equal(json_object_get_int(get(sz, "recommended_threads")), 8); /* ceil(2 x 3.9) */
	assert_int_equal(json_object_array_length(get(sz, "warnings")), 0);
	assert_true(json_object_get_double(get(sz, "cpu_busy")) == 0.25);
	assert_false(json_object_get_boolean(get(sz, "runq_on_idle_cpus")));
	g = json_object_array_get_idx(get(sz, "groups"), 0);
	assert_string_equal(json_object_get_string(get(g, "group")), "worker-");
	assert_int_equal(json_object_get_int(get(g, "threads")), 1);
	assert_int_equal(json_object_get_int(get(g, "recommended_threads")), 8);
	json_object_put(root);
	free(text);
	free(r.groups);
	account_free(&a);
}

static void text_report(void **state)
{
	struct account a;
	struct report r;
	struct options o;
	char *text;

	(void)state;
	fill(&a, &r, &o);
	o.threads = true;
	text = render(&r, false);
	assert_non_null(strstr(text, "pool_server[42]"));
	assert_non_null(strstr(text, "7 lost"));
	assert_non_null(strstr(text, "WARNING: incomplete data: 7 records lost"));
	assert_non_null(strstr(text, "per-syscall counts and times below are low"));
	assert_non_null(strstr(text, "recvfrom"));
	assert_non_null(strstr(text, "50.0%"));
	assert_non_null(strstr(text, "THREADS"));
	assert_non_null(strstr(text, "worker-: 2 x 1.00 x (1 + 2.90) = 7.80 -> 8 threads"));
	free(text);
	free(r.groups);
	account_free(&a);
}

/*
 * loops[]: the fields issue 25 names, for a loop that blocked on a backend
 * between its waits; its group has the role "loop" and no
 * recommended_threads; the text report has its section, led by the finding.
 */
static void loops_contract(void **state)
{
	static const char *const keys[] = { "tid", "pid", "comm", "group", "wait_syscall", "turns",
		"turn_p50_ns", "turn_p99_ns", "turn_max_ns", "busy", "blocked_on_loop_ns",
		"blocked_on_loop_share", "stalls", "stalled_ns", "stall_threshold_ns",
		"stall_blocked_ns", "stall_runq_ns", "stall_oncpu_ns", "blocking_calls" };
	static const char *const call_keys[] = { "syscall", "reason", "calls", "blocked_ns",
		"max_ns" };
	struct account_observer obs;
	struct thread_counters zero = { 0 };
	struct thread_record t = make_thread(7, "loop", 100 * MS, 5 * MS, THREAD_AT_STOP);
	struct account a;
	struct loops l;
	struct report r;
	struct options o;
	json_object *root, *lp, *g, *c;
	uint64_t at = 0;
	char *text;
	size_t i;
	int k;

	(void)state;
	account_init(&a, NULL);
	loops_init(&l, 0);
	obs = (struct account_observer){ .on_call = loops_on_call, .ctx = &l };
	account_observe(&a, &obs);
	account_set_base(&a, 7, 7, &zero);
	t.blocked_ns = 600 * MS;
	account_thread_record(&a, &t);
	for (k = 0; k < 20; k++) {
		struct call_record w = make_call(7, "epoll_wait", 1, 10 * MS, 10 * MS, 1);
		struct call_record b = make_call(7, "recvfrom", 10, 20 * MS, 20 * MS, 1);

		w.enter_ns = at;
		w.args[2] = 64;
		account_call(&a, &w);
		b.enter_ns = at += 11 * MS;
		account_call(&a, &b);
		at += 25 * MS;
	}
	memset(&o, 0, sizeof(o));
	o.utilization = 1;
	memset(&r, 0, sizeof(r));
	r.acct = &a;
	r.opts = &o;
	r.loops = &l;
	r.duration_ns = 1000 * MS;
	r.cores = 2;
	r.cores_source = "--cores";
	r.stop_reason = "duration reached";
	r.cpu_busy = 0.25;
	roles_assign(&a);
	loops_mark(&l, &a);
	assert_int_equal(sizing_by_group(&a, 2, 1, r.cpu_busy, &r.total, &r.groups, &r.ngroups), 0);
	text = render(&r, true);
	root = json_tokener_parse(text);
	assert_non_null(root);
	assert_int_equal(json_object_array_length(get(root, "loops")), 1);
	lp = json_object_array_get_idx(get(root, "loops"), 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		get(lp, keys[i]);
	assert_string_equal(json_object_get_string(get(lp, "wait_syscall")), "epoll_wait");
	assert_int_equal(json_object_get_int64(get(lp, "turns")), 19);
	assert_int_equal(json_object_get_int64(get(lp, "blocked_on_loop_ns")), 400 * MS);
	assert_int_equal(json_object_get_int64(get(lp, "stalls")), 19);
	assert_int_equal(json_object_get_int64(get(lp, "stall_threshold_ns")), 10 * MS);
	/* Each 26 ms stall: 20 ms blocked in recvfrom, the rest on a CPU. */
	assert_int_equal(json_object_get_int64(get(lp, "stall_blocked_ns")), 19 * 20 * MS);
	assert_int_equal(json_object_get_int64(get(lp, "stall_oncpu_ns")), 19 * 6 * MS);
	c = json_object_array_get_idx(get(lp, "blocking_calls"), 0);
	for (i = 0; i < sizeof(call_keys) / sizeof(call_keys[0]); i++)
		get(c, call_keys[i]);
	assert_string_equal(json_object_get_string(get(c, "syscall")), "recvfrom");
	assert_int_equal(json_object_get_int64(get(c, "calls")), 20);
	g = json_object_array_get_idx(get(get(root, "sizing"), "groups"), 0);
	assert_string_equal(json_object_get_string(get(g, "role")), "loop");
	assert_false(json_object_object_get_ex(g, "recommended_threads", NULL));
	json_object_put(root);
	free(text);
	text = render(&r, false);
	assert_non_null(strstr(text, "\nEVENT LOOPS ("));
	assert_non_null(strstr(text, "\nloop[7] (pid 7, group loop, waits in epoll_wait): blocked "));
	assert_non_null(strstr(text, "(no pool that did work: nothing to size)"));
	free(text);
	free(r.groups);
	loops_free(&l);
	account_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_contract),
		cmocka_unit_test(text_report),
		cmocka_unit_test(loops_contract),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
