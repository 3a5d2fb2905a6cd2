// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Event loops: which threads are loops, their turns, and what blocks them
 * (loops.h, docs/loops.md). Pure: fed the account's finished calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loops.h"
#include "roles.h"
#include "util.h"

/* The readiness calls, and which argument says how many fds a call asks about. */
enum sources_arg { SOURCES_EPOLL, SOURCES_POLL, SOURCES_SELECT };

static const struct {
	const char *name;
	enum sources_arg arg;
} readiness[] = {
	{ "epoll_wait", SOURCES_EPOLL }, { "epoll_pwait", SOURCES_EPOLL },
	{ "epoll_pwait2", SOURCES_EPOLL }, { "poll", SOURCES_POLL },
	{ "ppoll", SOURCES_POLL },	 { "select", SOURCES_SELECT },
	{ "pselect6", SOURCES_SELECT },
};

#define NREADINESS (sizeof(readiness) / sizeof(readiness[0]))

/* Index into readiness[] of syscall nr, or -1. */
static int readiness_index(long nr)
{
	static long nrs[NREADINESS];
	static bool known;
	size_t i;

	if (!known) {
		for (i = 0; i < NREADINESS; i++)
			nrs[i] = syscall_number(readiness[i].name);
		known = true;
	}
	for (i = 0; i < NREADINESS; i++)
		if (nrs[i] >= 0 && nrs[i] == nr)
			return (int)i;
	return -1;
}

bool loops_readiness_call(long nr)
{
	return readiness_index(nr) >= 0;
}

/*
 * How many sources of work a wait asks about: epoll's maxevents, poll's
 * nfds. select's nfds is the highest fd plus one, not a count, and the fd
 * sets are in the process's memory: a select is taken as one source. A
 * pre-forked worker waits so for its listener and a pipe (gunicorn's sync
 * workers) and is a pool; a loop built on select is not found (not yet).
 */
static uint32_t sources_of(const struct call_record *c, int k)
{
	uint64_t v;

	switch (readiness[k].arg) {
	case SOURCES_EPOLL:
		v = c->args[2];
		break;
	case SOURCES_POLL:
		v = c->args[1];
		break;
	default:
		v = c->args[0] ? 1 : 0;
		break;
	}
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void loops_init(struct loops *l, uint64_t stall_ns)
{
	memset(l, 0, sizeof(*l));
	l->stall_ns = stall_ns ? stall_ns : LOOPS_DEFAULT_STALL_NS;
}

void loops_free(struct loops *l)
{
	free(l->t);
	free(l->index);
	free(l->known);
	l->t = NULL;
	l->index = NULL;
	l->known = NULL;
	l->n = l->cap = l->index_cap = 0;
	l->nknown = l->known_cap = 0;
}

static size_t slot_of(uint32_t tid, size_t cap)
{
	return (size_t)(tid * 2654435761u) & (cap - 1);
}

static size_t index_lookup(const struct loops *l, uint32_t tid)
{
	size_t i;

	if (!l->index_cap)
		return SIZE_MAX;
	for (i = slot_of(tid, l->index_cap); l->index[i]; i = (i + 1) & (l->index_cap - 1))
		if (l->t[l->index[i] - 1].tid == tid)
			return l->index[i] - 1;
	return SIZE_MAX;
}

static int index_grow(struct loops *l)
{
	size_t cap = l->index_cap ? 2 * l->index_cap : 64, i, j;
	uint32_t *ix = calloc(cap, sizeof(*ix));

	if (!ix)
		return -1;
	for (i = 0; i < l->n; i++) {
		for (j = slot_of(l->t[i].tid, cap); ix[j]; j = (j + 1) & (cap - 1))
			;
		ix[j] = (uint32_t)(i + 1);
	}
	free(l->index);
	l->index = ix;
	l->index_cap = cap;
	return 0;
}

const struct loop_thread *loops_find(const struct loops *l, uint32_t tid)
{
	size_t i = index_lookup(l, tid);

	return i == SIZE_MAX ? NULL : &l->t[i];
}

/* tid's entry, made at its first readiness call; NULL when out of memory. */
static struct loop_thread *loops_add(struct loops *l, uint32_t tid, uint32_t tgid)
{
	struct loop_thread *lt;
	size_t j;

	lt = array_room(l->t, l->n, &l->cap, 16, sizeof(*lt));
	if (!lt)
		return NULL;
	l->t = lt;
	if (2 * (l->n + 1) > l->index_cap && index_grow(l))
		return NULL;
	lt = &l->t[l->n];
	memset(lt, 0, sizeof(*lt));
	lt->tid = tid;
	lt->tgid = tgid;
	for (j = slot_of(tid, l->index_cap); l->index[j]; j = (j + 1) & (l->index_cap - 1))
		;
	l->index[j] = (uint32_t)(++l->n);
	return lt;
}

void loops_reset(struct loops *l)
{
	size_t i, j, kept = 0;

	/*
	 * A turn under way goes on into the next window (--interval, --serve):
	 * its start is kept, so that it counts where it ends; what was counted
	 * is forgotten. Only for a thread that waited in this window: a dead
	 * thread's last turn is not carried for ever (a loop held in one turn
	 * for a whole window loses it, and shows it as its open turn before).
	 */
	for (i = 0; i < l->n; i++) {
		const struct loop_thread *lt = &l->t[i];

		if (lt->in_turn && lt->waits) {
			struct loop_thread carry = {
				.tid = lt->tid,
				.tgid = lt->tgid,
				.wait_nr = lt->wait_nr,
				.in_turn = true,
				.turn_start_ns = lt->turn_start_ns,
				.turn_blocked_ns = lt->turn_blocked_ns,
				.turn_runq_ns = lt->turn_runq_ns,
			};

			l->t[kept++] = carry;
		}
	}
	l->n = kept;
	if (l->index)
		memset(l->index, 0, l->index_cap * sizeof(*l->index));
	for (i = 0; i < kept; i++) {
		for (j = slot_of(l->t[i].tid, l->index_cap); l->index[j];
		     j = (j + 1) & (l->index_cap - 1))
			;
		l->index[j] = (uint32_t)(i + 1);
	}
}

/* Log-linear: exact below 16 ns, then 16 slots per power of two. */
static int hist_index(uint64_t ns)
{
	int e, k;

	if (ns < LOOPS_HIST_SUB)
		return (int)ns;
	e = 63 - __builtin_clzll(ns);
	k = (e - 3) * LOOPS_HIST_SUB + (int)((ns >> (e - 4)) & (LOOPS_HIST_SUB - 1));
	return k < LOOPS_HIST_SLOTS ? k : LOOPS_HIST_SLOTS - 1;
}

/* The middle of slot k. */
static uint64_t hist_value(int k)
{
	int e;

	if (k < LOOPS_HIST_SUB)
		return (uint64_t)k;
	e = k / LOOPS_HIST_SUB + 3;
	return ((uint64_t)(LOOPS_HIST_SUB + k % LOOPS_HIST_SUB) << (e - 4)) +
	       ((1ull << (e - 4)) >> 1);
}

uint64_t loops_turn_quantile(const struct loop_thread *lt, double q)
{
	uint64_t want, seen = 0, v;
	int k;

	if (!lt->turns)
		return 0;
	want = (uint64_t)(q * (double)lt->turns + 0.999999);
	if (want < 1)
		want = 1;
	for (k = 0; k < LOOPS_HIST_SLOTS; k++) {
		seen += lt->hist[k];
		if (seen >= want) {
			/* In the top slot, the largest turn itself. */
			if (seen == lt->turns)
				return lt->turn_max_ns;
			v = hist_value(k);
			return v > lt->turn_max_ns ? lt->turn_max_ns : v;
		}
	}
	return lt->turn_max_ns;
}

const uint64_t loops_turn_bucket_ns[LOOPS_TURN_BUCKETS] = {
	100000, 500000, 1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
	250000000, 1000000000,
};

static void add_turn(struct loops *l, struct loop_thread *lt, uint64_t ns)
{
	int b;

	lt->turns++;
	lt->hist[hist_index(ns)]++;
	lt->turn_sum_ns += ns;
	for (b = 0; b < LOOPS_TURN_BUCKETS; b++)
		if (ns <= loops_turn_bucket_ns[b]) {
			lt->turn_bucket[b]++;
			break;
		}
	if (ns > lt->turn_max_ns)
		lt->turn_max_ns = ns;
	if (ns > l->stall_ns) {
		lt->stalls++;
		lt->stalled_ns += ns;
		lt->stall_blocked_ns += lt->turn_blocked_ns;
		lt->stall_runq_ns += lt->turn_runq_ns;
	}
}

/*
 * The loop's wait: a turn ends where it begins (its entry; --sched-only:
 * its first sleep) and the next begins where it returns. A wait still going
 * on at the stop or begun before the start never reaches here (the account
 * counts it as cut, not complete).
 */
static void add_wait(struct loops *l, struct loop_thread *lt, const struct call_record *c, int k)
{
	uint32_t sources = sources_of(c, k);

	lt->waits += call_count(c);
	lt->wait_nr = (int32_t)c->nr;
	if (sources > lt->max_sources)
		lt->max_sources = sources;
	if (c->hdr.flags & CALL_UNTIMED) {
		/* Not timed (an old kernel side): where its turns begin and end is not known. */
		lt->in_turn = false;
		lt->turn_blocked_ns = lt->turn_runq_ns = 0;
		return;
	}
	if (lt->in_turn && c->enter_ns >= lt->turn_start_ns)
		add_turn(l, lt, c->enter_ns - lt->turn_start_ns);
	lt->in_turn = true;
	lt->turn_start_ns = c->enter_ns + c->duration_ns;
	lt->turn_blocked_ns = lt->turn_runq_ns = 0;
}

/* A blocking call other than its wait: held every source the loop serves. */
static void add_blocking(struct loop_thread *lt, const struct call_record *c,
			 const struct thread_stats *t)
{
	uint64_t n = call_count(c);
	/* A folded record (--sched-only) holds alike calls: its largest is at least their mean. */
	uint64_t each = c->blocked_ns / n;
	struct loop_call *s = NULL;
	int i;

	for (i = 0; i < lt->ncalls && !s; i++)
		if (lt->calls[i].nr == c->nr && lt->calls[i].reason == t->last_reason)
			s = &lt->calls[i];
	if (!s && lt->ncalls < LOOPS_CALL_SLOTS) {
		s = &lt->calls[lt->ncalls++];
		s->nr = (int32_t)c->nr;
		s->reason = t->last_reason;
	}
	if (!s) {
		s = &lt->calls[LOOPS_CALL_SLOTS];
		s->nr = -1;
		s->reason = WAIT_OTHER;
	}
	s->calls += n;
	s->blocked_ns += c->blocked_ns;
	if (each > s->max_ns)
		s->max_ns = each;
	lt->turn_blocked_ns += c->blocked_ns;
	lt->turn_runq_ns += c->runq_ns;
	if (wait_reason_class((enum wait_reason)t->last_reason) == CLASS_IDLE)
		lt->idle_on_loop_ns += c->blocked_ns;
}

void loops_on_call(void *ctx, const struct call_record *c, const struct thread_stats *t)
{
	struct loops *l = ctx;
	int k = readiness_index(c->nr);
	size_t i = index_lookup(l, c->hdr.tid);
	struct loop_thread *lt = i == SIZE_MAX ? NULL : &l->t[i];

	if (k >= 0) {
		if (!lt)
			lt = loops_add(l, c->hdr.tid, c->hdr.tgid);
		if (lt)
			add_wait(l, lt, c, k);
		return;
	}
	/* Blocking before its first wait is not on the loop: it was not running one yet. */
	if (lt && c->blocked_ns)
		add_blocking(lt, c, t);
}

void loops_on_cut_call(void *ctx, const struct call_record *c, const struct thread_stats *t)
{
	struct loops *l = ctx;
	int k = readiness_index(c->nr);
	size_t i;
	struct loop_thread *lt;
	uint32_t sources;

	(void)t;
	if (k < 0)
		return;
	i = index_lookup(l, c->hdr.tid);
	lt = i == SIZE_MAX ? loops_add(l, c->hdr.tid, c->hdr.tgid) : &l->t[i];
	if (!lt)
		return;
	lt->waits++;
	lt->wait_nr = (int32_t)c->nr;
	sources = sources_of(c, k);
	if (sources > lt->max_sources)
		lt->max_sources = sources;
	if (c->hdr.flags & CALL_IN_PROGRESS) {
		/* Back in its wait at the stop: the turn under way ended where it began. */
		if (lt->in_turn && c->enter_ns >= lt->turn_start_ns)
			add_turn(l, lt, c->enter_ns - lt->turn_start_ns);
		lt->in_turn = false;
		lt->turn_blocked_ns = lt->turn_runq_ns = 0;
	} else {
		/* Began before the window: its return begins the first turn. */
		lt->in_turn = true;
		lt->turn_start_ns = c->enter_ns + c->duration_ns;
		lt->turn_blocked_ns = lt->turn_runq_ns = 0;
	}
}

/* A Go program's threads are its scheduler's Ms, whose netpoller is an epoll: a pool. */
static bool go_thread(const struct account *a, const struct thread_stats *t)
{
	size_t i;

	for (i = a->nprocesses; i > 0; i--)
		if (a->processes[i - 1].tgid == t->tgid && a->processes[i - 1].seq == t->process_seq)
			return a->processes[i - 1].runtime == RUNTIME_GO;
	return false;
}

/*
 * Whether t runs a loop: it waited in a readiness call for more than one
 * source, and that is how it waits for new work (its readiness waits are at
 * least half its idle time: a pool thread that polls one socket with a
 * timeout, or a process per connection that polls one client, is not a
 * loop). A loop that always has work never sleeps in its wait: no idle time
 * at all is a loop too. Waits that ended by their timeout, and calls in its
 * turns judged idle, are left out of the idle time here: they are not how
 * it waits for work (Node's loop in Atomics.wait with a timeout, or reading
 * a FIFO its helper thread writes late, blocked in them longer than it
 * waits in epoll at 70% load, is a loop blocked so). The larger of the two
 * is left out: a timed-out wait in a turn is both.
 */
static bool is_loop(const struct loop_thread *lt, const struct account *a,
		    const struct thread_stats *t)
{
	uint64_t idle = t->class_blocked_ns[CLASS_IDLE], timed_out = t->reason_blocked_ns[WAIT_TIMED_OUT];
	uint64_t not_for_work = lt && lt->idle_on_loop_ns > timed_out ? lt->idle_on_loop_ns : timed_out;

	idle -= not_for_work < idle ? not_for_work : idle;

	if (!lt || lt->waits < LOOPS_MIN_WAITS || lt->max_sources < 2)
		return false;
	if (t->role == ROLE_RUNTIME || t->role == ROLE_CONNECTION || go_thread(a, t) ||
	    master_process(a, t))
		return false;
	return 2 * t->reason_blocked_ns[WAIT_EVENT_LOOP] >= idle;
}

static bool known_loop(const struct loops *l, const struct thread_stats *t)
{
	size_t i;

	for (i = 0; i < l->nknown; i++)
		if (l->known[i].tid == t->tid && l->known[i].tgid == t->tgid)
			return true;
	return false;
}

/* Remembers the loops of this window, forgets threads gone or no longer loops. */
static void remember_loops(struct loops *l, const struct account *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];
		struct loop_known *k;

		if (!t->tid || t->role != ROLE_LOOP || t->exited)
			continue;
		k = array_room(l->known, n, &l->known_cap, 16, sizeof(*k));
		if (!k)
			break;
		l->known = k;
		l->known[n++] = (struct loop_known){ t->tid, t->tgid };
	}
	l->nknown = n;
}

void loops_mark(struct loops *l, struct account *a)
{
	size_t i, j;

	for (i = 0; i < a->nthreads; i++) {
		struct thread_stats *t = &a->threads[i];
		const struct loop_thread *lt = t->tid ? loops_find(l, t->tid) : NULL;

		if (!t->tid)
			continue;
		if (is_loop(lt, a, t))
			t->role = ROLE_LOOP;
		/* A loop of an earlier window that made no readiness call in this one. */
		else if ((!lt || !lt->waits) && known_loop(l, t) && t->role != ROLE_RUNTIME &&
			 t->role != ROLE_CONNECTION && !go_thread(a, t) && !master_process(a, t))
			t->role = ROLE_LOOP;
	}
	remember_loops(l, a);
	/* A loop named like threads that are not loops: a group of its own, or it would be sized. */
	for (i = 0; i < a->nthreads; i++) {
		struct thread_stats *t = &a->threads[i];
		size_t len;

		if (t->role != ROLE_LOOP || !t->group[0])
			continue;
		for (j = 0; j < a->nthreads; j++)
			if (a->threads[j].role != ROLE_LOOP &&
			    strcmp(a->threads[j].group, t->group) == 0)
				break;
		if (j == a->nthreads)
			continue;
		len = strlen(t->group);
		if (len > GROUP_NAME_LEN - 6)
			len = GROUP_NAME_LEN - 6;
		snprintf(t->group + len, GROUP_NAME_LEN - len, " loop");
	}
}

static int by_blocked_desc(const void *x, const void *y)
{
	const struct loop_call *a = x, *b = y;

	if (a->blocked_ns != b->blocked_ns)
		return a->blocked_ns < b->blocked_ns ? 1 : -1;
	return a->nr - b->nr;
}

static int by_thread(const void *x, const void *y)
{
	const struct loop_summary *a = x, *b = y;

	if (a->t->tgid != b->t->tgid)
		return a->t->tgid < b->t->tgid ? -1 : 1;
	return a->t->tid < b->t->tid ? -1 : a->t->tid > b->t->tid;
}

static void summarize(struct loop_summary *s, const struct loops *l,
		      const struct loop_thread *lt, const struct thread_stats *t)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->lt = lt;
	s->t = t;
	s->oncpu_ns = thread_oncpu_ns(t);
	s->runq_ns = thread_runq_ns(t);
	s->traced_ns = s->oncpu_ns + s->runq_ns + t->blocked_ns;
	s->turn_p50_ns = loops_turn_quantile(lt, 0.5);
	s->turn_p99_ns = loops_turn_quantile(lt, 0.99);
	s->stalls = lt->stalls;
	s->sleeps_only = l->sleeps_only;
	s->stalled_ns = lt->stalled_ns;
	s->stall_blocked_ns = lt->stall_blocked_ns;
	s->stall_runq_ns = lt->stall_runq_ns;
	/*
	 * A turn still going on at the stop runs to the thread's last snapshot,
	 * unless it was back in its wait by then (a wait cut by the stop never
	 * reaches add_wait): that turn ended where the wait began (or, not
	 * known, at some point before it). An idle nginx worker asleep in
	 * epoll_wait was called stalled 13 ms, the time since its last turn.
	 */
	if (t->current_nr >= 0 && loops_readiness_call(t->current_nr)) {
		if (lt->in_turn && t->call_enter_ns > lt->turn_start_ns)
			s->open_turn_ns = t->call_enter_ns - lt->turn_start_ns;
	} else if (lt->in_turn && t->last_ns > lt->turn_start_ns) {
		s->open_turn_ns = t->last_ns - lt->turn_start_ns;
	}
	if (s->open_turn_ns > l->stall_ns) {
		s->stalls++;
		s->stalled_ns += s->open_turn_ns;
		s->stall_blocked_ns += lt->turn_blocked_ns;
		s->stall_runq_ns += lt->turn_runq_ns;
	}
	for (i = 0; i < lt->ncalls; i++)
		s->calls[s->ncalls++] = lt->calls[i];
	if (lt->calls[LOOPS_CALL_SLOTS].calls)
		s->calls[s->ncalls++] = lt->calls[LOOPS_CALL_SLOTS];
	qsort(s->calls, (size_t)s->ncalls, sizeof(s->calls[0]), by_blocked_desc);
	for (i = 0; i < s->ncalls; i++)
		s->blocked_on_loop_ns += s->calls[i].blocked_ns;
	s->outside_ns = t->blocked_outside_ns;
	s->blocked_on_loop_ns += s->outside_ns;
	if (s->traced_ns) {
		s->busy = (double)s->oncpu_ns / (double)s->traced_ns;
		s->blocked_share = (double)s->blocked_on_loop_ns / (double)s->traced_ns;
	}
	if (s->busy > 1)
		s->busy = 1;
	if (s->blocked_share > 1)
		s->blocked_share = 1;
}

int loops_summarize(const struct loops *l, const struct account *a, struct loop_summary **out)
{
	size_t i, n = 0;
	struct loop_summary *s = calloc(a->nthreads ? a->nthreads : 1, sizeof(*s));

	*out = s;
	if (!s)
		return -1;
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];
		const struct loop_thread *lt = t->tid ? loops_find(l, t->tid) : NULL;

		if (t->role == ROLE_LOOP && lt)
			summarize(&s[n++], l, lt, t);
	}
	qsort(s, n, sizeof(*s), by_thread);
	return (int)n;
}

void loops_finding(const struct loop_summary *s, double cores, char *buf, size_t len)
{
	char p99[32], max[32];
	double runq_share = s->traced_ns ? (double)s->runq_ns / (double)s->traced_ns : 0;

	format_ns(s->turn_p99_ns, p99, sizeof(p99));
	if (s->blocked_share >= LOOPS_BLOCKED_FINDING && s->ncalls &&
	    s->calls[0].blocked_ns >= s->outside_ns) {
		const struct loop_call *c = &s->calls[0];
		const char *name = c->nr >= 0 ? syscall_name(c->nr) : NULL;

		format_ns(c->max_ns, max, sizeof(max));
		snprintf(buf, len,
			 "blocked %.0f%% of its time in %s (%s, %llu calls, max %s): every connection "
			 "on this loop waits meanwhile; make the call asynchronous or move it off the "
			 "loop (more threads cannot be added to a loop)",
			 100.0 * s->blocked_share, name ? name : "other calls",
			 wait_reason_name((enum wait_reason)c->reason), (unsigned long long)c->calls,
			 max);
	} else if (s->blocked_share >= LOOPS_BLOCKED_FINDING) {
		snprintf(buf, len,
			 "blocked %.0f%% of its time outside syscalls (page faults): every connection "
			 "on this loop waits meanwhile",
			 100.0 * s->blocked_share);
	} else if (s->busy >= LOOPS_BUSY_FINDING) {
		snprintf(buf, len,
			 "%.0f%% busy: the loop is the bottleneck; one loop per CPU (N = %g) would use "
			 "the CPUs",
			 100.0 * s->busy, cores);
	} else if (s->busy + runq_share >= LOOPS_BUSY_FINDING) {
		/*
		 * Never idle, but the CPUs are shared: it waited for one a good
		 * part of the time (a closed-loop load generator and the backend
		 * beside it on 2 CPUs). It is still the bottleneck: it never
		 * waited for work.
		 */
		snprintf(buf, len,
			 "never idle (on a CPU %.0f%%, waiting for one %.0f%%): the loop is the "
			 "bottleneck; one loop per CPU (N = %g) would use the CPUs",
			 100.0 * s->busy, 100.0 * runq_share, cores);
	} else if (s->stalls && s->sleeps_only && s->stall_blocked_ns < s->stalled_ns / 2) {
		format_ns(s->lt->turn_max_ns > s->open_turn_ns ? s->lt->turn_max_ns : s->open_turn_ns,
			  max, sizeof(max));
		snprintf(buf, len,
			 "%llu times over the threshold without sleeping in its wait (longest %s), "
			 "mostly on a CPU: a stall, or busy turns back to back, which --sched-only "
			 "does not tell apart (trace without it to know)",
			 (unsigned long long)s->stalls, max);
	} else if (s->stalls) {
		format_ns(s->lt->turn_max_ns > s->open_turn_ns ? s->lt->turn_max_ns : s->open_turn_ns,
			  max, sizeof(max));
		snprintf(buf, len,
			 "stalled %llu times on a CPU (turns over the threshold, longest %s): every "
			 "connection on this loop waits meanwhile",
			 (unsigned long long)s->stalls, max);
	} else if (!s->lt->turns && !s->open_turn_ns) {
		/* Node's second libuv loop (a helper's), asleep in epoll_pwait from start to stop. */
		snprintf(buf, len, "asleep in its wait all the window: idle");
		return;
	} else {
		snprintf(buf, len, "%s, turns p99 %s: healthy",
			 s->busy < 0.5 ? "mostly idle" : "busy but turning", p99);
		return;
	}
	/*
	 * A busy or blocked loop that also stalled on a CPU (Redis at 90% busy
	 * running a slow Lua script 3 times) says so too: the stalls are a
	 * defect of their own, not the load's. Not with --sched-only, where a
	 * busy loop's turns back to back look the same.
	 */
	if (s->stalls && !s->sleeps_only && s->stall_blocked_ns < s->stalled_ns / 2 &&
	    !strstr(buf, "stalled")) {
		size_t used = strlen(buf);

		format_ns(s->lt->turn_max_ns > s->open_turn_ns ? s->lt->turn_max_ns : s->open_turn_ns,
			  max, sizeof(max));
		snprintf(buf + used, len - used, "; it also stalled %llu times on a CPU (longest %s)",
			 (unsigned long long)s->stalls, max);
	}
}
