// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Thread roles: the groups a person would recognise, named or not. Pure. */
#define _GNU_SOURCE /* qsort_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "roles.h"
#include "shared_locks.h"
#include "util.h"

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

/* What follows a Tomcat connector's protocol in its threads' names, or NULL. */
static const char *tomcat_protocol_end(const char *comm)
{
	static const char *const protocols[] = { "http-nio-", "http-nio2-", "ajp-nio-", "ajp-nio2-" };
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (strncmp(comm, protocols[i], strlen(protocols[i])) == 0)
			return comm + strlen(protocols[i]);
	return NULL;
}

/*
 * Tomcat's connector threads: "http-nio-8080-Acceptor" and "-Poller" (cut
 * to "http-nio-8080-A", "-P"), one or two a connector whatever the load,
 * beside its pool "http-nio-8080-exec-N". A connector bound to an address
 * ("http-nio-127.0.0.1-8080-...") cuts every name to "http-nio-127.0.":
 * tomcat_cut_connector() tells those apart by what they do.
 */
static bool tomcat_connector(const char *comm)
{
	const char *p = tomcat_protocol_end(comm);

	if (!p || *p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return p[0] == '-' && (p[1] == 'A' || p[1] == 'P');
}

/*
 * A connector thread whose name, cut by the kernel, is its pool's too
 * ("http-nio-127.0."): the Acceptor waits in accept for connections, the
 * Poller in epoll for their events; the exec pool waits on its queue and
 * for its own work's I/O. "Acceptor" or "Poller", or NULL for the pool.
 */
static const char *tomcat_cut_connector(const struct thread_stats *t)
{
	const char *p = tomcat_protocol_end(t->comm);

	if (!p || tomcat_connector(t->comm))
		return NULL;
	switch (thread_main_reason(t)) {
	case WAIT_ACCEPT:
		return "Acceptor";
	case WAIT_EVENT_LOOP:
		return "Poller";
	default:
		return NULL;
	}
}

const char *runtime_service(const char *comm)
{
	size_t i;

	if (tomcat_connector(comm))
		return "Tomcat";
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
	case ROLE_LOOP:
		return "loop";
	default:
		return "pool";
	}
}

/*
 * Thread-per-connection readers that hand requests to a pool: the group's
 * own waits are mostly for its clients' next requests, and its WT is mostly
 * results from other threads of its process. Its size is the number of
 * connections; its waiting is the pool's work, sized there. Waits on other
 * threads (results, locks, their timeouts) are not its own.
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
				    r != WAIT_RESULT && r != WAIT_HANDED_WORK && r != WAIT_TIMED_OUT &&
				    o->reason_blocked_ns[r] > own_max)
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
	bool platform;		 /* V8's platform workers (node_platform_queue) */
	enum wait_reason reason; /* WAIT_REASON_COUNT: none */
	uint64_t oncpu_ns;
	int threads;
	char label[GROUP_NAME_LEN];
};

static bool same_process(const struct thread_stats *x, const struct thread_stats *y)
{
	return x->tgid == y->tgid && x->process_seq == y->process_seq;
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

/* Threads by process, then name (indices into the threads array). */
static int by_process_comm(const void *x, const void *y, void *threads)
{
	const struct thread_stats *a = (const struct thread_stats *)threads + *(const size_t *)x;
	const struct thread_stats *b = (const struct thread_stats *)threads + *(const size_t *)y;

	if (a->tgid != b->tgid)
		return a->tgid < b->tgid ? -1 : 1;
	if (a->process_seq != b->process_seq)
		return a->process_seq < b->process_seq ? -1 : 1;
	return strncmp(a->comm, b->comm, BLOCKSCOPE_COMM_LEN);
}

/*
 * Marks the threads that are one of several carrying their process's name:
 * the runtime left them unnamed (CPython, Node.js, Go), so the name says
 * nothing of their job. Threads named alike by the program ("load",
 * "worker-3") are named. Sorted once: a process of thousands of threads
 * costs n log n, not n squared.
 */
static void mark_unnamed(struct account *a)
{
	size_t *order = malloc((a->nthreads ? a->nthreads : 1) * sizeof(*order));
	size_t i, j, n = 0;

	for (i = 0; i < a->nthreads; i++)
		a->threads[i].unnamed = false;
	if (!order)
		return;
	for (i = 0; i < a->nthreads; i++)
		if (a->threads[i].tid)
			order[n++] = i;
	qsort_r(order, n, sizeof(*order), by_process_comm, a->threads);
	for (i = 0; i < n; i = j) {
		const struct thread_stats *t = &a->threads[order[i]];
		const char *process = process_name(a, t);

		for (j = i + 1; j < n && by_process_comm(&order[i], &order[j], a->threads) == 0; j++)
			;
		if (j - i > 1 && process && strncmp(process, t->comm, BLOCKSCOPE_COMM_LEN) == 0)
			while (i < j)
				a->threads[order[i++]].unnamed = true;
	}
	free(order);
}

/* Who waits on which futex object: the non-main threads of each process, sorted. */
struct futex_waiter {
	uint32_t tgid, process_seq;
	uint64_t uaddr;
	const struct thread_stats *t;
};

struct futex_index {
	struct futex_waiter *w;
	size_t n;
};

static int by_object(const void *x, const void *y)
{
	const struct futex_waiter *a = x, *b = y;

	if (a->tgid != b->tgid)
		return a->tgid < b->tgid ? -1 : 1;
	if (a->process_seq != b->process_seq)
		return a->process_seq < b->process_seq ? -1 : 1;
	if (a->uaddr != b->uaddr)
		return a->uaddr < b->uaddr ? -1 : 1;
	return 0;
}

static void futex_index_build(struct futex_index *ix, const struct account *a)
{
	size_t i;
	int k;

	ix->n = 0;
	ix->w = malloc((a->nthreads * THREAD_FUTEX_SLOTS + 1) * sizeof(*ix->w));
	for (i = 0; ix->w && i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];

		if (!t->tid || t->tid == t->tgid)
			continue;
		for (k = 0; k < THREAD_FUTEX_SLOTS; k++)
			if (t->futexes[k].blocked_ns)
				ix->w[ix->n++] = (struct futex_waiter){ t->tgid, t->process_seq,
									t->futexes[k].uaddr, t };
	}
	if (ix->w)
		qsort(ix->w, ix->n, sizeof(*ix->w), by_object);
}

/* Whether another non-main thread of t's process, named as t, waits on the futex object. */
static bool futex_shared(const struct futex_index *ix, const struct thread_stats *t,
			 uint64_t futex)
{
	struct futex_waiter key = { t->tgid, t->process_seq, futex, NULL };
	size_t i;

	if (!futex || !ix->w)
		return false;
	for (i = sorted_first(&key, ix->w, ix->n, sizeof(*ix->w), by_object);
	     i < ix->n && by_object(&ix->w[i], &key) == 0; i++)
		if (ix->w[i].t != t && strncmp(ix->w[i].t->comm, t->comm, BLOCKSCOPE_COMM_LEN) == 0)
			return true;
	return false;
}

/*
 * The futex t waits on for work: another unnamed thread of its process waits
 * on it too, t's waits there ended with a job handed over (the waker had
 * just been given work) or lasted all trace (a pool given no job), and
 * mostly not by a thread that waits there too. A pool's queue is one: its
 * producer does not wait on it. The GIL is not, though a thread that just
 * read a request hands it on: its holders all wait on it by turns, and
 * CPython's connection readers would join their pool over it. At least a
 * quarter of t's blocked time, or a future's lock that a busy pool thread
 * once waited on would make the pool one with its readers. The most such
 * time wins; 0 if none: t is then clustered by its main wait.
 */
static uint64_t pool_futex(const struct futex_index *ix, const struct thread_stats *t)
{
	uint64_t best = 0, for_work = 0, blocked = 0;
	int i;

	for (i = 0; i < CLASS_COUNT; i++)
		blocked += t->class_blocked_ns[i];
	for (i = 0; i < THREAD_FUTEX_SLOTS; i++) {
		const struct futex_home *f = &t->futexes[i];

		if (f->for_work_ns > for_work && 2 * f->passed_ns < f->blocked_ns &&
		    4 * f->for_work_ns >= blocked && futex_shared(ix, t, f->uaddr)) {
			for_work = f->for_work_ns;
			best = f->uaddr;
		}
	}
	return best;
}

/* No wait of its own (an event loop, a client, a backend, a file): it starts, joins or sleeps. */
static bool only_waits_on_others(const struct thread_stats *t)
{
	enum wait_reason r = thread_main_reason(t);

	return r == WAIT_REASON_COUNT || r == WAIT_SLEEP || r == WAIT_SIGNAL_OR_CHILD;
}

/*
 * A master process (gunicorn's arbiter, the parent of nginx's or Apache's
 * workers, PostgreSQL's postmaster): the parent of traced processes named
 * as it is, waiting only for events, signals or its children. It starts and
 * watches the pool; it is not one of it.
 */
bool master_process(const struct account *a, const struct thread_stats *t)
{
	enum wait_reason r = thread_main_reason(t);
	size_t i;

	if (!t->tid || t->tid != t->tgid ||
	    (r != WAIT_REASON_COUNT && wait_reason_class(r) != CLASS_IDLE))
		return false;
	for (i = 0; i < a->nprocesses; i++) {
		const struct process_stats *p = &a->processes[i];
		const struct thread_stats *m = account_find_thread(a, p->tgid);
		const char *comm = m && m->tgid == p->tgid ? m->comm : p->comm;

		if (p->parent_tgid == t->tgid && p->tgid != t->tgid &&
		    strncmp(comm, t->comm, BLOCKSCOPE_COMM_LEN) == 0)
			return true;
	}
	return false;
}

/* t's process entry, or NULL. */
static const struct process_stats *process_of(const struct account *a, const struct thread_stats *t)
{
	size_t i;

	for (i = a->nprocesses; i > 0; i--)
		if (a->processes[i - 1].tgid == t->tgid && a->processes[i - 1].seq == t->process_seq)
			return &a->processes[i - 1];
	return NULL;
}

/*
 * Go's monitor thread (sysmon): in a Go program every thread is one of the
 * scheduler's Ms, and the one that sleeps in a loop (usleep, 20 us to 10 ms)
 * watches the others. GOMAXPROCS sizes the Ms that run goroutines; sysmon
 * is the runtime's own.
 */
static bool go_program(const struct account *a, const struct thread_stats *t)
{
	const struct process_stats *p = process_of(a, t);

	return t->tid && p && p->runtime == RUNTIME_GO;
}

static bool go_sysmon(const struct account *a, const struct thread_stats *t)
{
	return go_program(a, t) && t->tid != t->tgid && thread_main_reason(t) == WAIT_SLEEP;
}

/* Whether addr lies in the static data of p's images (as probed; false if not probed). */
static bool in_statics(const struct process_stats *p, uint64_t addr)
{
	int i;

	for (i = 0; i < p->nstatics; i++)
		if (addr >= p->statics[i].lo && addr < p->statics[i].hi)
			return true;
	return false;
}

/*
 * V8's platform workers in a Node.js process: as unnamed as libuv's pool,
 * and like it waiting on one condition variable for tasks. libuv's is a
 * static of libuv (threadpool.c's cond, in the image's data or bss); V8's
 * is a member of node's WorkerThreadsTaskRunner, on the heap. So a pool
 * whose queue (the futex) is not in any image's static data is V8's: the
 * runtime's threads, labelled apart and not sized. Only where the images'
 * ranges were read (nstatics): else nothing is assumed.
 */
static bool node_platform_queue(const struct account *a, const struct thread_stats *t,
				 uint64_t futex)
{
	const struct process_stats *p = process_of(a, t);

	return futex && p && p->runtime == RUNTIME_NODE && p->nstatics && !in_statics(p, futex);
}

/* Clusters by their threads' on-CPU time, most first (indices into the clusters). */
static int by_oncpu_desc(const void *x, const void *y, void *clusters)
{
	const struct cluster *a = (const struct cluster *)clusters + *(const size_t *)x;
	const struct cluster *b = (const struct cluster *)clusters + *(const size_t *)y;

	return a->oncpu_ns == b->oncpu_ns ? 0 : a->oncpu_ns < b->oncpu_ns ? 1 : -1;
}

/*
 * The clusters of unnamed threads, labelled COMM:REASON, the busiest first
 * (#2... when two of one process share a label; across processes the same
 * label is one group).
 */
static void name_clusters(struct cluster *c, size_t n)
{
	size_t *order = malloc((n ? n : 1) * sizeof(*order));
	size_t i, j;

	for (i = 0; order && i < n; i++)
		order[i] = i;
	if (order)
		qsort_r(order, n, sizeof(*order), by_oncpu_desc, c);
	for (i = 0; i < n; i++) {
		struct cluster *k = &c[order ? order[i] : i];
		char base[BLOCKSCOPE_COMM_LEN];
		int same = 1;

		snprintf(base, sizeof(base), "%.15s", k->label);
		snprintf(k->label, sizeof(k->label), "%.15s:%.18s", base,
			 k->platform			  ? "v8-platform" :
			 k->reason < WAIT_REASON_COUNT ? wait_reason_name(k->reason) :
							 "workers");
		for (j = 0; j < i; j++) {
			const struct cluster *o = &c[order ? order[j] : j];

			if (o->tgid == k->tgid && o->process_seq == k->process_seq &&
			    strncmp(o->label, k->label, strlen(k->label)) == 0)
				same++;
		}
		if (same > 1) {
			size_t len = strlen(k->label);

			snprintf(k->label + len, sizeof(k->label) - len, "#%d", same);
		}
	}
	free(order);
}

/* Whether t is one of the threads roles_assign clusters: unnamed, not its process's main thread. */
static bool clustered(const struct account *a, const struct thread_stats *t)
{
	return t->role == ROLE_POOL && t->tid && t->tid != t->tgid && t->unnamed &&
	       !go_program(a, t);
}

/*
 * A V8 platform worker given no task in the window (none of its waits
 * ended with one handed over) still waits on its queue: the futex it spent
 * at least half its blocked time on, shared with its siblings, on the heap
 * of a Node.js process. 0 if none.
 */
static uint64_t platform_futex(const struct futex_index *ix, const struct account *a,
			       const struct thread_stats *t)
{
	const struct futex_home *best = NULL;
	uint64_t blocked = 0;
	int i;

	for (i = 0; i < CLASS_COUNT; i++)
		blocked += t->class_blocked_ns[i];
	for (i = 0; i < THREAD_FUTEX_SLOTS; i++)
		if (t->futexes[i].blocked_ns && (!best || t->futexes[i].blocked_ns > best->blocked_ns))
			best = &t->futexes[i];
	if (!best || 2 * best->blocked_ns < blocked || !node_platform_queue(a, t, best->uaddr) ||
	    !futex_shared(ix, t, best->uaddr))
		return 0;
	return best->uaddr;
}

/*
 * The pool queue (a cluster's futex, of t's process) t spent at least half
 * its blocked time on; 0 if none.
 */
static uint64_t queue_it_sits_on(const struct account *a, const struct cluster *c,
				 const struct thread_stats *t)
{
	uint64_t blocked = 0;
	size_t j;
	int i, k;

	for (i = 0; i < CLASS_COUNT; i++)
		blocked += t->class_blocked_ns[i];
	for (k = 0; k < THREAD_FUTEX_SLOTS; k++) {
		const struct futex_home *f = &t->futexes[k];

		if (!f->uaddr || 2 * f->blocked_ns < blocked)
			continue;
		for (j = 0; j < a->nthreads; j++)
			if (c[j].futex == f->uaddr && same_process(&a->threads[j], t))
				return f->uaddr;
	}
	return 0;
}

/*
 * The unnamed threads of each process, into clusters: by the job queue
 * they wait on (pool_futex), else by their main wait. A thread that never
 * had to wait on its pool's queue (under heavy load there is always a job)
 * goes with the pool whose threads wait as it does, not alone.
 */
static size_t make_clusters(struct account *a, struct cluster *c, size_t *of)
{
	struct futex_index ix;
	size_t i, j, n = 0;

	futex_index_build(&ix, a);
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];

		c[i].futex = clustered(a, t) ? pool_futex(&ix, t) : 0;
		if (clustered(a, t) && !c[i].futex)
			c[i].futex = platform_futex(&ix, a, t);
		c[i].reason = thread_main_reason(t);
	}
	free(ix.w);
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];

		/* (With no main wait either, such a thread only computes and takes locks.) */
		if (!clustered(a, t) || c[i].futex)
			continue;
		/*
		 * One given no job in the window still sat on its pool's queue:
		 * a futex that is some cluster's queue, where it spent at least
		 * half its blocked time (its waits there cut by the window's
		 * ends, or ended otherwise than by a job).
		 */
		c[i].futex = queue_it_sits_on(a, c, t);
		if (c[i].futex)
			continue;
		for (j = 0; j < a->nthreads; j++)
			if (c[j].futex && c[j].reason == c[i].reason && same_process(&a->threads[j], t)) {
				c[i].futex = c[j].futex;
				break;
			}
	}
	/* Now each thread's key is in c[i]; the clusters go to the front, in place. */
	{
		struct cluster *keys = malloc((a->nthreads ? a->nthreads : 1) * sizeof(*keys));

		if (!keys)
			return 0;
		memcpy(keys, c, a->nthreads * sizeof(*c));
		for (i = 0; i < a->nthreads; i++) {
			const struct thread_stats *t = &a->threads[i];
			struct cluster *k = NULL;

			of[i] = SIZE_MAX;
			if (!clustered(a, t))
				continue;
			for (j = 0; j < n && !k; j++)
				if (c[j].tgid == t->tgid && c[j].process_seq == t->process_seq &&
				    (keys[i].futex ? c[j].futex == keys[i].futex
						   : !c[j].futex && c[j].reason == keys[i].reason))
					k = &c[j];
			if (!k) {
				k = &c[n++];
				memset(k, 0, sizeof(*k));
				k->tgid = t->tgid;
				k->process_seq = t->process_seq;
				k->futex = keys[i].futex;
				k->platform = node_platform_queue(a, t, keys[i].futex);
				k->reason = keys[i].reason;
				snprintf(k->label, sizeof(k->label), "%.15s", t->comm);
			}
			/* A pool's label goes by what its first thread with a main wait spent most on. */
			if (k->reason == WAIT_REASON_COUNT)
				k->reason = keys[i].reason;
			k->threads++;
			k->oncpu_ns += thread_oncpu_ns(t);
			of[i] = (size_t)(k - c);
		}
		free(keys);
	}
	return n;
}

void roles_assign(struct account *a)
{
	struct cluster *c = calloc(a->nthreads ? a->nthreads : 1, sizeof(*c));
	size_t *of = calloc(a->nthreads ? a->nthreads : 1, sizeof(*of));
	size_t i, n;

	mark_unnamed(a);
	for (i = 0; i < a->nthreads; i++) {
		struct thread_stats *t = &a->threads[i];

		t->role = ROLE_POOL;
		group_name(t->comm, t->group, sizeof(t->group));
		if (runtime_service(t->comm)) {
			t->role = ROLE_RUNTIME;
		} else if (tomcat_cut_connector(t)) {
			t->role = ROLE_RUNTIME;
			snprintf(t->group, sizeof(t->group), "%.15s %s", t->comm,
				 tomcat_cut_connector(t));
		} else if (go_sysmon(a, t)) {
			t->role = ROLE_RUNTIME;
			snprintf(t->group, sizeof(t->group), "%.15s sysmon", t->comm);
		} else if (go_program(a, t)) {
			/*
			 * The others, the main thread too, are interchangeable Ms that
			 * run goroutines: one pool, whose size is GOMAXPROCS.
			 */
			snprintf(t->group, sizeof(t->group), "%.15s Ms", t->comm);
		} else if (master_process(a, t)) {
			t->role = ROLE_MAIN;
			snprintf(t->group, sizeof(t->group), "%.15s master", t->comm);
		} else if (t->tid && t->tid == t->tgid && only_waits_on_others(t) && !t->unnamed) {
			/* A named main thread that only starts, joins or sleeps: never a pool. */
			t->role = ROLE_MAIN;
		} else if (t->tid && t->tid == t->tgid && t->unnamed) {
			/* It cannot be multiplied: never a pool, whatever it does. */
			t->role = ROLE_MAIN;
			snprintf(t->group, sizeof(t->group), "%.15s main", t->comm);
		}
	}
	if (c && of) {
		n = make_clusters(a, c, of);
		name_clusters(c, n);
		for (i = 0; i < a->nthreads; i++)
			if (of[i] < n) {
				snprintf(a->threads[i].group, sizeof(a->threads[i].group), "%s",
					 c[of[i]].label);
				if (c[of[i]].platform)
					a->threads[i].role = ROLE_RUNTIME;
			}
	}
	free(of);
	free(c);
	shared_locks_rebook(a);
	mark_connection_groups(a);
}
