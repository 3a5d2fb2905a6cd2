// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Who woke a thread from its blocking calls, as the account records it: a
 * small table per thread, by waking process and group name. The report's
 * side (a group's wakers, their labels) is wakers.c, which reads these.
 */
#include <stdio.h>
#include <string.h>
#include "account.h"
#include "syscalls.h"

static const char *softirq_name(unsigned vec)
{
	switch (vec) {
	case BS_SOFTIRQ_NET_RX:
	case BS_SOFTIRQ_NET_TX:
		return "softirq:net";
	case BS_SOFTIRQ_BLOCK:
	case BS_SOFTIRQ_IRQ_POLL:
		return "softirq:block";
	case BS_SOFTIRQ_RCU:
		return "softirq:rcu";
	case BS_SOFTIRQ_TASKLET:
	case BS_SOFTIRQ_HI:
		return "softirq:tasklet";
	case BS_SOFTIRQ_SCHED:
		return "softirq:sched";
	default:
		return "softirq";
	}
}

/* The syscalls that send on a socket, and so run loopback's receive softirq. */
static bool sends(long nr)
{
	static const char *const names[] = { "write",	"writev",   "sendto", "sendmsg",
					     "sendmmsg", "sendfile", "splice", "shutdown",
					     "close",	"connect" };
	static long numbers[sizeof(names) / sizeof(names[0])];
	static bool known;
	size_t i;

	if (!known) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			numbers[i] = syscall_number(names[i]);
		known = true;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (nr >= 0 && numbers[i] == nr)
			return true;
	return false;
}

static bool is_sleep(long nr)
{
	static long nanosleep_nr = -2, clock_nanosleep_nr = -2;

	if (nanosleep_nr == -2) {
		nanosleep_nr = syscall_number("nanosleep");
		clock_nanosleep_nr = syscall_number("clock_nanosleep");
	}
	return nr >= 0 && (nr == nanosleep_nr || nr == clock_nanosleep_nr);
}

void waker_of_call(const struct call_record *c, struct waker_stat *who)
{
	memset(who, 0, sizeof(*who));
	who->kind = c->waker_kind < WAKER_KIND_COUNT ? c->waker_kind : WAKER_HARDIRQ;
	/*
	 * A sleep ends by its own timer or by a signal, and a signal comes from
	 * a task: an interrupt that ends one is its timer, whichever context
	 * the kernel side could make out (a timer that fires while a softirq
	 * runs is, rarely, seen as that softirq).
	 */
	if ((who->kind == WAKER_SOFTIRQ || who->kind == WAKER_HARDIRQ) && is_sleep(c->nr))
		who->kind = WAKER_TIMER;
	if (who->kind == WAKER_SOFTIRQ && c->waker_tgid &&
	    (c->waker_softirq == BS_SOFTIRQ_NET_RX || c->waker_softirq == BS_SOFTIRQ_NET_TX) &&
	    sends(c->waker_nr))
		who->kind = WAKER_NET_SENDER;
	if (who->kind == WAKER_TASK || who->kind == WAKER_NET_SENDER) {
		who->tgid = c->waker_tgid;
		/* By role, not by thread: "conn-3" and "conn-9" of one process are one waker. */
		group_name(c->waker_comm, who->comm, sizeof(who->comm));
		return;
	}
	snprintf(who->comm, sizeof(who->comm), "%s",
		 who->kind == WAKER_TIMER   ? "timer" :
		 who->kind == WAKER_HARDIRQ ? "hardirq" :
		 who->kind == WAKER_NMI	    ? "nmi" :
					      softirq_name(c->waker_softirq));
}

const char *waker_kind_name(uint32_t kind)
{
	static const char *const names[WAKER_KIND_COUNT] = {
		[WAKER_TASK] = "task",	     [WAKER_TIMER] = "timer", [WAKER_HARDIRQ] = "hardirq",
		[WAKER_SOFTIRQ] = "softirq", [WAKER_NMI] = "nmi",     [WAKER_NET_SENDER] = "net-sender",
	};

	return kind < WAKER_KIND_COUNT ? names[kind] : "other";
}

void waker_add(struct waker_stat *table, int *n, int cap, const struct waker_stat *who,
	       uint64_t wakeups, uint64_t blocked_ns)
{
	uint32_t tgid = who->tgid;
	const char *comm = who->comm;
	struct waker_stat *w = NULL;
	int i;

	for (i = 0; i < *n; i++)
		if (table[i].tgid == tgid && strncmp(table[i].comm, comm, BLOCKSCOPE_COMM_LEN) == 0)
			w = &table[i];
	if (!w && *n < cap) {
		w = &table[(*n)++];
		w->tgid = tgid;
		w->kind = who->kind;
		memcpy(w->comm, comm, BLOCKSCOPE_COMM_LEN);
		w->comm[BLOCKSCOPE_COMM_LEN - 1] = '\0';
		w->wakeups = w->blocked_ns = 0;
	} else if (!w) {
		/* Full: the last slot becomes "(others)", keeping what it had. */
		w = &table[cap - 1];
		w->tgid = UINT32_MAX;
		strcpy(w->comm, "(others)");
	}
	w->wakeups += wakeups;
	w->blocked_ns += blocked_ns;
}
