// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Which setting a pool's size is, by its group, process and runtime (setting.c). */
#include "unit.h"
#include "setting.h"
#include "runtime_kind.h"

static const char *runtime_of(const char *group, const char *comm, uint8_t runtime)
{
	struct pool_setting p;

	pool_setting_of(group, comm, runtime, &p);
	return p.runtime;
}

static void runtimes_and_pools(void **state)
{
	struct pool_setting p;

	(void)state;
	/* Tomcat's executor: http-nio-8080-exec-1, 15 characters, digits out. */
	assert_string_equal(runtime_of("http-nio--e", "java", RUNTIME_JVM), "tomcat");
	assert_string_equal(runtime_of("http-nio--exec-", "java", RUNTIME_JVM), "tomcat");
	/* Its acceptor and poller are not the executor. */
	assert_string_equal(runtime_of("http-nio-..", "java", RUNTIME_JVM), "jvm");
	pool_setting_of("pool--thread-", "java", RUNTIME_JVM, &p);
	assert_string_equal(p.runtime, "jvm");
	assert_non_null(strstr(p.name, "newFixedThreadPool"));
	pool_setting_of("ForkJoinPool.co", "java", RUNTIME_JVM, &p);
	assert_non_null(strstr(p.name, "ForkJoinPool.common.parallelism"));
	pool_setting_of("gunicorn", "gunicorn", RUNTIME_PYTHON, &p);
	assert_string_equal(p.runtime, "gunicorn");
	assert_string_equal(p.unit, "processes");
	pool_setting_of("node:workers", "node", RUNTIME_NODE, &p);
	assert_non_null(strstr(p.name, "UV_THREADPOOL_SIZE"));
	/* V8's platform workers are not libuv's pool, nor is a native program's "node:workers". */
	assert_string_equal(runtime_of("node:workers", "node", RUNTIME_NATIVE), "native");
	pool_setting_of("go_server Ms", "go_server", RUNTIME_GO, &p);
	assert_non_null(strstr(p.name, "GOMAXPROCS"));
	assert_string_equal(runtime_of("apache", "apache2", RUNTIME_NATIVE), "apache");
	assert_string_equal(runtime_of("nginx", "nginx", RUNTIME_NATIVE), "nginx");
	assert_string_equal(runtime_of("postgres", "postgres", RUNTIME_NATIVE), "postgresql");
	pool_setting_of("worker-", "pool_server", RUNTIME_NATIVE, &p);
	assert_string_equal(p.runtime, "native");
	assert_string_equal(p.name, "the program's own pool");
	assert_string_equal(p.unit, "threads");
}

/* A group of the account: its process's name and runtime say which. */
static void group_of_the_account(void **state)
{
	struct account a;
	struct thread_record r = make_thread(7, "http-nio-80-e", 0, 0, 0);
	struct process_stats *p;
	struct pool_setting s;

	(void)state;
	assert_int_equal(account_init(&a, NULL), 0);
	p = account_process(&a, 7);
	strcpy(p->comm, "java");
	p->runtime = RUNTIME_JVM;
	account_record(&a, &r, sizeof(r));
	group_setting(&a, "http-nio--e", &s);
	assert_string_equal(s.runtime, "tomcat");
	group_setting(&a, "nobody", &s);
	assert_string_equal(s.runtime, "native");
	account_free(&a);
}

/* Words as /proc gives them: NUL-separated, an empty one ending them. */
#define WORDS(s) (s "\0")

#define NO_WORKERS "no --workers on its command line: its config file, or gunicorn's 1"

/* Where the process says what its pool is set to (issue 26, point 4). */
static void where_it_is_set(void **state)
{
	struct pool_setting p;

	(void)state;
	pool_setting_of("node:workers", "node", RUNTIME_NODE, &p);
	pool_setting_source(&p, WORDS("UV_THREADPOOL_SIZE=3"), WORDS("node\0server.js"));
	assert_string_equal(p.source, "UV_THREADPOOL_SIZE=3 in its environment");
	pool_setting_source(&p, WORDS(""), WORDS("node"));
	assert_string_equal(p.source, "UV_THREADPOOL_SIZE not set: libuv's 4");
	pool_setting_of("server Ms", "server", RUNTIME_GO, &p);
	pool_setting_source(&p, WORDS("GOMAXPROCS=2"), WORDS("./server"));
	assert_string_equal(p.source, "GOMAXPROCS=2 in its environment");
	pool_setting_of("gunicorn", "gunicorn", RUNTIME_PYTHON, &p);
	pool_setting_source(&p, WORDS(""),
			    WORDS("/usr/bin/python3\0/usr/bin/gunicorn\0--workers\0004\0app:app"));
	assert_string_equal(p.source, "--workers 4 on its command line");
	pool_setting_source(&p, WORDS(""), WORDS("gunicorn\0-w8\0--threads=2\0app:app"));
	assert_string_equal(p.source, "--workers 8 --threads 2 on its command line");
	pool_setting_source(&p, WORDS(""), WORDS("gunicorn\0--workers=3"));
	assert_string_equal(p.source, "--workers 3 on its command line");
	pool_setting_source(&p, WORDS(""), WORDS("gunicorn\0app:app"));
	assert_string_equal(p.source, NO_WORKERS);
	/* An option's last word with nothing after it says nothing. */
	pool_setting_source(&p, WORDS(""), WORDS("gunicorn\0--workers"));
	assert_string_equal(p.source, NO_WORKERS);
	/* Not read (gone before the report): nothing said. */
	pool_setting_source(&p, NULL, NULL);
	assert_string_equal(p.source, "");
	/* A pool the process does not set by a word: only its thread count. */
	pool_setting_of("pool--thread-", "java", RUNTIME_JVM, &p);
	pool_setting_source(&p, WORDS(""), WORDS("java\0PoolServer"));
	assert_string_equal(p.source, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runtimes_and_pools),
		cmocka_unit_test(group_of_the_account),
		cmocka_unit_test(where_it_is_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
