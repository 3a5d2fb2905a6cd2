// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Thread roles: the groups a person would recognise, named or not. Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "roles.h"

/* The JVM's own threads (HotSpot 17 names, cut to 15 characters by the kernel). */
static const struct {
	const char *prefix;
	const char *runtime;
} services[] = {
	{ "C1 CompilerThre", "JVM" }, { "C2 CompilerThre", "JVM" }, { "VM Thread", "JVM" },
	{ "VM Periodic Tas", "JVM" }, { "GC Thread#", "JVM" },	    { "G1 Main Marker", "JVM" },
	{ "G1 Conc#", "JVM" },	      { "G1 Refine#", "JVM" },	    { "G1 Service", "JVM" },
	{ "G1 Young RemSet", "JVM" }, { "Reference Handl", "JVM" }, { "Finalizer", "JVM" },
	{ "Signal Dispatch", "JVM" }, { "Service Thread", "JVM" },  { "Monitor Deflati", "JVM" },
	{ "Common-Cleaner", "JVM" },  { "Notification Th", "JVM" }, { "Attach Listener", "JVM" },
	{ "Sweeper thread", "JVM" },  { "VM JFR", "JVM" },	    { "JFR ", "JVM" },
	{ "process reaper", "JVM" },  { "Catalina-utilit", "Tomcat" }, { "ContainerBackgr", "Tomcat" },
};

const char *runtime_service(const char *comm)
{
	size_t i;

	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (strncmp(comm, services[i].prefix, strlen(services[i].prefix)) == 0)
			return services[i].runtime;
	return NULL;
}

const char *role_name(enum thread_role r)
{
	switch (r) {
	case ROLE_MAIN:
		return "main";
	case ROLE_RUNTIME:
		return "runtime";
	case ROLE_CONNECTION:
		return "connection";
	default:
		return "pool";
	}
}

/*
 * Thread-per-connection readers that hand requests to a pool: the group's
 * own waits are mostly for its clients' next requests, and its WT is mostly
 * results from other threads of its process. Its size is the number of
 * connections; its waiting is the pool's work, sized there.
 */
static void mark_connection_groups(struct account *a)
{
	size_t i, j;

	for (i = 0; i < a->nthreads; i++) {
		struct thread_stats *t = &a->threads[i];
		uint64_t request = 0, result = 0, wait = 0, own_max = 0;
		enum wait_reason r;

		if (t->role != ROLE_POOL || !t->group[0])
			continue;
		/* Once per group: at its first thread. */
		for (j = 0; j < i; j++)
			if (a->threads[j].tgid == t->tgid && strcmp(a->threads[j].group, t->group) == 0)
				break;
		if (j < i)
			continue;
		for (j = i; j < a->nthreads; j++) {
			const struct thread_stats *o = &a->threads[j];

			if (o->tgid != t->tgid || strcmp(o->group, t->group) != 0)
				continue;
			request += o->reason_blocked_ns[WAIT_CLIENT_REQUEST];
			result += o->reason_blocked_ns[WAIT_RESULT];
			wait += o->class_blocked_ns[CLASS_WAIT];
			for (r = 0; r < WAIT_REASON_COUNT; r++)
				if (r != WAIT_CLIENT_REQUEST && wait_reason_class(r) != CLASS_SYNC &&
				    r != WAIT_RESULT && r != WAIT_HANDED_WORK && o->reason_blocked_ns[r] > own_max)
					own_max = o->reason_blocked_ns[r];
		}
		if (!request || request < own_max || 2 * result < wait)
			continue;
		for (j = i; j < a->nthreads; j++)
			if (a->threads[j].tgid == t->tgid && strcmp(a->threads[j].group, t->group) == 0 &&
			    a->threads[j].role == ROLE_POOL)
				a->threads[j].role = ROLE_CONNECTION;
	}
}

const char *thread_group(const struct thread_stats *t, char *buf, size_t len)
{
	if (t->group[0])
		return t->group;
	group_name(t->comm, buf, len);
	return buf;
}

/* Unnamed threads of one process, clustered by the futex they wait on, or their main wait. */
struct cluster {
	uint32_t tgid;
	uint32_t process_seq;
	uint64_t futex;		 /* shared home futex, or 0 */
	enum wait_reason reason; /* WAIT_REASON_COUNT: none */
	uint64_t oncpu_ns;
	int threads;
	char label[GROUP_NAME_LEN];
};

static bool same_process(const struct thread_stats *x, const struct thread_stats *y)
{
	return x->tgid == y->tgid && x->process_seq == y->process_seq;
}

static bool waits_on(const struct thread_stats *t, uint64_t futex)
{
	int i;

	for (i = 0; i < THREAD_FUTEX_SLOTS; i++)
		if (t->futexes[i].uaddr == futex && t->futexes[i].blocked_ns)
			return true;
	return false;
}

/* The name of t's process: its main thread's, or the one the process entry took. */
static const char *process_name(const struct account *a, const struct thread_stats *t)
{
	const struct thread_stats *m = account_find_thread(a, t->tgid);
	size_t i;

	if (m && same_process(m, t))
		return m->comm;
	for (i = a->nprocesses; i > 0; i--)
		if (a->processes[i - 1].tgid == t->tgid)
			return a->processes[i - 1].comm;
	return NULL;
}

/*
 * Whether t is one of several threads that carry their process's name: the
 * runtime left them unnamed (CPython, Node.js, Go), so the name says nothing
 * of their job. Threads named alike by the program ("load", "worker-3") are
 * named.
 */
static bool unnamed(const struct account *a, const struct thread_stats *t)
{
	const char *process = process_name(a, t);
	size_t i;
	int same = 0;

	if (!process || strncmp(process, t->comm, BLOCKSCOPE_COMM_LEN) != 0)
		return false;
	for (i = 0; i < a->nthreads && same < 2; i++) {
		const struct thread_stats *o = &a->threads[i];

		if (o->tid && same_process(o, t) && strncmp(o->comm, t->comm, BLOCKSCOPE_COMM_LEN) == 0)
			same++;
	}
	return same > 1;
}

static bool futex_shared(const struct account *a, const struct thread_stats *t, uint64_t futex);

/* The futex t waited on longest among those another unnamed thread of its process waits on too. */
static uint64_t pool_futex(const struct account *a, const struct thread_stats *t)
{
	uint64_t best = 0, ns = 0;
	int i;

	for (i = 0; i < THREAD_FUTEX_SLOTS; i++)
		if (t->futexes[i].blocked_ns > ns && futex_shared(a, t, t->futexes[i].uaddr)) {
			ns = t->futexes[i].blocked_ns;
			best = t->futexes[i].uaddr;
		}
	return best;
}

static bool futex_shared(const struct account *a, const struct thread_stats *t, uint64_t futex)
{
	size_t i;

	for (i = 0; futex && i < a->nthreads; i++) {
		const struct thread_stats *o = &a->threads[i];

		if (o != t && o->tid != o->tgid && same_process(o, t) &&
		    strncmp(o->comm, t->comm, BLOCKSCOPE_COMM_LEN) == 0 && waits_on(o, futex))
			return true;
	}
	return false;
}

/* No wait of its own (an event loop, a client, a backend, a file): it starts, joins or sleeps. */
static bool only_waits_on_others(const struct thread_stats *t)
{
	enum wait_reason r = thread_main_reason(t);

	return r == WAIT_REASON_COUNT || r == WAIT_SLEEP || r == WAIT_SIGNAL_OR_CHILD;
}

static int by_oncpu_desc(const void *x, const void *y)
{
	const struct cluster *a = x, *b = y;

	return a->oncpu_ns == b->oncpu_ns ? 0 : a->oncpu_ns < b->oncpu_ns ? 1 : -1;
}

/* The clusters of unnamed threads, labelled COMM:REASON (#2... when two share a label). */
static void name_clusters(struct cluster *c, size_t n)
{
	size_t i, j;

	qsort(c, n, sizeof(*c), by_oncpu_desc);
	for (i = 0; i < n; i++) {
		char base[BLOCKSCOPE_COMM_LEN];
		int same = 1;

		snprintf(base, sizeof(base), "%.15s", c[i].label);
		snprintf(c[i].label, sizeof(c[i].label), "%.15s:%.18s", base,
			 c[i].reason < WAIT_REASON_COUNT ? wait_reason_name(c[i].reason) : "workers");
		/* Two pools of one process that do the same: told apart; across processes: one group. */
		for (j = 0; j < i; j++)
			if (c[j].tgid == c[i].tgid && c[j].process_seq == c[i].process_seq &&
			    strncmp(c[j].label, c[i].label, strlen(c[i].label)) == 0)
				same++;
		if (same > 1) {
			size_t len = strlen(c[i].label);

			snprintf(c[i].label + len, sizeof(c[i].label) - len, "#%d", same);
		}
	}
}

static struct cluster *cluster_of(struct cluster *c, size_t n, const struct thread_stats *t,
				  uint64_t futex, enum wait_reason reason)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].tgid == t->tgid && c[i].process_seq == t->process_seq &&
		    (futex ? c[i].futex == futex : !c[i].futex && c[i].reason == reason))
			return &c[i];
	return NULL;
}

void roles_assign(struct account *a)
{
	struct cluster *c = calloc(a->nthreads ? a->nthreads : 1, sizeof(*c));
	size_t i, n = 0;

	for (i = 0; i < a->nthreads; i++) {
		struct thread_stats *t = &a->threads[i];
		uint64_t futex;
		enum wait_reason reason;
		struct cluster *k;

		t->role = ROLE_POOL;
		group_name(t->comm, t->group, sizeof(t->group));
		if (runtime_service(t->comm)) {
			t->role = ROLE_RUNTIME;
			continue;
		}
		if (t->tid && t->tid == t->tgid && only_waits_on_others(t) && !unnamed(a, t)) {
			/* A named main thread that only starts, joins or sleeps: never a pool. */
			t->role = ROLE_MAIN;
			continue;
		}
		if (!t->tid || !unnamed(a, t))
			continue;
		if (t->tid == t->tgid) {
			/* It cannot be multiplied: never a pool, whatever it does. */
			t->role = ROLE_MAIN;
			snprintf(t->group, sizeof(t->group), "%.15s main", t->comm);
			continue;
		}
		if (!c)
			continue; /* out of memory: the name alone */
		futex = pool_futex(a, t);
		reason = thread_main_reason(t);
		k = cluster_of(c, n, t, futex, reason);
		if (!k) {
			k = &c[n++];
			k->tgid = t->tgid;
			k->process_seq = t->process_seq;
			k->futex = futex;
			k->reason = reason;
			snprintf(k->label, sizeof(k->label), "%.15s", t->comm);
		}
		/* The pool's label goes by what most of its time went to. */
		if (futex && reason != WAIT_REASON_COUNT && k->reason == WAIT_REASON_COUNT)
			k->reason = reason;
		k->threads++;
		k->oncpu_ns += thread_oncpu_ns(t);
	}
	if (!c)
		return;
	{
		struct cluster *named_c = malloc((n ? n : 1) * sizeof(*named_c));

		if (named_c) {
			memcpy(named_c, c, n * sizeof(*c));
			name_clusters(named_c, n);
			for (i = 0; i < a->nthreads; i++) {
				struct thread_stats *t = &a->threads[i];
				uint64_t futex;
				const struct cluster *k;
				size_t j;

				if (t->role != ROLE_POOL || !t->tid || t->tid == t->tgid || !unnamed(a, t))
					continue;
				futex = pool_futex(a, t);
				k = cluster_of(c, n, t, futex, thread_main_reason(t));
				for (j = 0; k && j < n; j++)
					if (named_c[j].tgid == k->tgid && named_c[j].futex == k->futex &&
					    (k->futex || named_c[j].reason == k->reason))
						snprintf(t->group, sizeof(t->group), "%s", named_c[j].label);
			}
			free(named_c);
		}
	}
	free(c);
	account_shared_locks(a);
	mark_connection_groups(a);
}
