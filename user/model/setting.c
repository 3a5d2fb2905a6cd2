// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The setting a pool's size is, by runtime and pool. Names are the
 * runtimes' own: a JVM names a ThreadPoolExecutor's threads pool-N-thread-M
 * and Tomcat its connector's executor http-nio-PORT-exec-N (15 characters
 * of it); gunicorn, Apache, nginx and PostgreSQL run their workers as
 * processes named like the program; libuv's pool and Go's Ms are told by
 * roles.c. Anything else is the program's own pool.
 */
#include <string.h>
#include "roles.h"
#include "runtime_kind.h"
#include "setting.h"

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

void pool_setting_of(const char *group, const char *comm, uint8_t runtime,
		     struct pool_setting *out)
{
	*out = (struct pool_setting){ "native", "the program's own pool", "threads" };
	if ((starts(group, "http-nio-") || starts(group, "http-nio2-") || starts(group, "https-") ||
	     starts(group, "ajp-nio-")) &&
	    (strstr(group, "exec") || ends(group, "-e") || ends(group, "-ex"))) {
		*out = (struct pool_setting){ "tomcat",
					      "Tomcat's maxThreads on the Connector (or on its "
					      "Executor) in server.xml",
					      "threads" };
	} else if (starts(group, "pool--thread-")) {
		*out = (struct pool_setting){ "jvm",
					      "the ThreadPoolExecutor's size "
					      "(Executors.newFixedThreadPool(n), or its "
					      "corePoolSize and maximumPoolSize)",
					      "threads" };
	} else if (starts(group, "ForkJoinPool.co")) {
		*out = (struct pool_setting){ "jvm",
					      "the common pool's parallelism "
					      "(-Djava.util.concurrent.ForkJoinPool.common.parallelism)",
					      "threads" };
	} else if (starts(group, "ForkJoinPool-")) {
		*out = (struct pool_setting){ "jvm", "that ForkJoinPool's parallelism (new ForkJoinPool(n))",
					      "threads" };
	} else if (strcmp(comm, "gunicorn") == 0 || starts(group, "gunicorn")) {
		*out = (struct pool_setting){ "gunicorn",
					      "gunicorn's --workers (processes; --threads for "
					      "threads in each)",
					      "processes" };
	} else if (runtime == RUNTIME_NODE && starts(group, "node:workers")) {
		*out = (struct pool_setting){ "node", "libuv's UV_THREADPOOL_SIZE (environment; default 4)",
					      "threads" };
	} else if (runtime == RUNTIME_GO && ends(group, " Ms")) {
		*out = (struct pool_setting){ "go", "GOMAXPROCS (environment; default: the CPUs)",
					      "threads" };
	} else if (strcmp(comm, "apache2") == 0 || strcmp(comm, "httpd") == 0) {
		*out = (struct pool_setting){ "apache",
					      "Apache's MaxRequestWorkers (and ThreadsPerChild with "
					      "the worker and event MPMs)",
					      "threads" };
	} else if (strcmp(comm, "nginx") == 0) {
		*out = (struct pool_setting){ "nginx", "nginx's worker_processes", "processes" };
	} else if (strcmp(comm, "postgres") == 0) {
		*out = (struct pool_setting){ "postgresql",
					      "PostgreSQL's max_connections (a backend per "
					      "connection: a pooler in front sets it)",
					      "processes" };
	} else if (runtime == RUNTIME_JVM) {
		*out = (struct pool_setting){ "jvm",
					      "the pool whose threads have this name (its "
					      "executor's or framework's size)",
					      "threads" };
	}
}

void group_setting(const struct account *a, const char *group, struct pool_setting *out)
{
	size_t i, j;

	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];
		char buf[GROUP_NAME_LEN];
		const char *comm = "";
		uint8_t runtime = t->runtime;

		if (strcmp(thread_group(t, buf, sizeof(buf)), group) != 0)
			continue;
		for (j = a->nprocesses; j > 0; j--)
			if (a->processes[j - 1].tgid == t->tgid) {
				comm = a->processes[j - 1].comm;
				if (a->processes[j - 1].runtime != RUNTIME_UNPROBED)
					runtime = a->processes[j - 1].runtime;
				break;
			}
		pool_setting_of(group, comm, runtime, out);
		return;
	}
	pool_setting_of(group, "", RUNTIME_UNPROBED, out);
}
