// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The setting a pool's size is, by runtime and pool. Names are the
 * runtimes' own: a JVM names a ThreadPoolExecutor's threads pool-N-thread-M
 * and Tomcat its connector's executor http-nio-PORT-exec-N (15 characters
 * of it); gunicorn, Apache, nginx and PostgreSQL run their workers as
 * processes named like the program; libuv's pool and Go's Ms are told by
 * roles.c. Anything else is the program's own pool.
 */
#include <stdio.h>
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

static void set(struct pool_setting *out, const char *runtime, const char *name, const char *unit)
{
	out->runtime = runtime;
	out->name = name;
	out->unit = unit;
	out->source[0] = '\0';
}

void pool_setting_of(const char *group, const char *comm, uint8_t runtime, struct pool_setting *out)
{
	set(out, "native", "the program's own pool", "threads");
	if ((starts(group, "http-nio-") || starts(group, "http-nio2-") || starts(group, "https-") ||
	     starts(group, "ajp-nio-")) &&
	    (strstr(group, "exec") || ends(group, "-e") || ends(group, "-ex"))) {
		set(out, "tomcat",
		    "Tomcat's maxThreads on the Connector (or on its "
		    "Executor) in server.xml",
		    "threads");
	} else if (starts(group, "pool--thread-")) {
		set(out, "jvm",
		    "the ThreadPoolExecutor's size "
		    "(Executors.newFixedThreadPool(n), or its "
		    "corePoolSize and maximumPoolSize)",
		    "threads");
	} else if (starts(group, "ForkJoinPool.co")) {
		set(out, "jvm",
		    "the common pool's parallelism "
		    "(-Djava.util.concurrent.ForkJoinPool.common.parallelism)",
		    "threads");
	} else if (starts(group, "ForkJoinPool-")) {
		set(out, "jvm", "that ForkJoinPool's parallelism (new ForkJoinPool(n))", "threads");
	} else if (strcmp(comm, "gunicorn") == 0 || starts(group, "gunicorn")) {
		set(out, "gunicorn",
		    "gunicorn's --workers (processes; --threads for "
		    "threads in each)",
		    "processes");
	} else if (runtime == RUNTIME_NODE && starts(group, "node:workers")) {
		set(out, "node", "libuv's UV_THREADPOOL_SIZE (environment; default 4)", "threads");
	} else if (runtime == RUNTIME_GO && ends(group, " Ms")) {
		set(out, "go", "GOMAXPROCS (environment; default: the CPUs)", "threads");
	} else if (strcmp(comm, "apache2") == 0 || strcmp(comm, "httpd") == 0) {
		set(out, "apache",
		    "Apache's MaxRequestWorkers (and ThreadsPerChild with "
		    "the worker and event MPMs)",
		    "threads");
	} else if (strcmp(comm, "nginx") == 0) {
		set(out, "nginx", "nginx's worker_processes", "processes");
	} else if (strcmp(comm, "postgres") == 0) {
		set(out, "postgresql",
		    "PostgreSQL's max_connections (a backend per "
		    "connection: a pooler in front sets it)",
		    "processes");
	} else if (runtime == RUNTIME_JVM) {
		set(out, "jvm",
		    "the pool whose threads have this name (its "
		    "executor's or framework's size)",
		    "threads");
	}
}

/* The value of word "NAME=V" among NUL-separated words, or NULL. */
static const char *env_value(const char *words, const char *name)
{
	size_t n = strlen(name);

	for (; words && *words; words += strlen(words) + 1)
		if (strncmp(words, name, n) == 0 && words[n] == '=')
			return words + n + 1;
	return NULL;
}

/*
 * The value of a command-line option: "--long V", "--long=V", "-s V" or
 * "-sV" among NUL-separated words, or NULL.
 */
static const char *option_value(const char *words, const char *lng, const char *shrt)
{
	size_t nl = strlen(lng);

	for (; words && *words; words += strlen(words) + 1) {
		const char *next = words + strlen(words) + 1;

		if (strcmp(words, lng) == 0 || (shrt && strcmp(words, shrt) == 0))
			return *next ? next : NULL;
		if (strncmp(words, lng, nl) == 0 && words[nl] == '=')
			return words + nl + 1;
		if (shrt && strncmp(words, shrt, strlen(shrt)) == 0 && words[strlen(shrt)])
			return words + strlen(shrt);
	}
	return NULL;
}

void pool_setting_source(struct pool_setting *out, const char *env, const char *cmdline)
{
	const char *v;

	out->source[0] = '\0';
	if (!env && !cmdline)
		return;
	if (strcmp(out->runtime, "node") == 0) {
		v = env_value(env, "UV_THREADPOOL_SIZE");
		if (v)
			snprintf(out->source, sizeof(out->source),
				 "UV_THREADPOOL_SIZE=%s in its environment", v);
		else
			snprintf(out->source, sizeof(out->source),
				 "UV_THREADPOOL_SIZE not set: libuv's 4");
	} else if (strcmp(out->runtime, "go") == 0) {
		v = env_value(env, "GOMAXPROCS");
		if (v)
			snprintf(out->source, sizeof(out->source),
				 "GOMAXPROCS=%s in its environment", v);
		else
			snprintf(out->source, sizeof(out->source),
				 "GOMAXPROCS not set: the CPUs it may use");
	} else if (strcmp(out->runtime, "gunicorn") == 0) {
		const char *t = option_value(cmdline, "--threads", NULL);

		v = option_value(cmdline, "--workers", "-w");
		if (v && t)
			snprintf(out->source, sizeof(out->source),
				 "--workers %.16s --threads %.16s on its command line", v, t);
		else if (v)
			snprintf(out->source, sizeof(out->source),
				 "--workers %.16s on its command line", v);
		else
			snprintf(
			    out->source, sizeof(out->source),
			    "no --workers on its command line: its config file, or gunicorn's 1");
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
		const struct process_stats *p = NULL;

		for (j = a->nprocesses; j > 0 && !p; j--)
			if (a->processes[j - 1].tgid == t->tgid)
				p = &a->processes[j - 1];
		if (p) {
			comm = p->comm;
			if (p->runtime != RUNTIME_UNPROBED)
				runtime = p->runtime;
		}
		pool_setting_of(group, comm, runtime, out);
		if (p && p->settings_read)
			pool_setting_source(out, p->settings_env, p->settings_cmdline);
		return;
	}
	pool_setting_of(group, "", RUNTIME_UNPROBED, out);
}
