// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Who woke a thread from its blocking calls: small tables per thread, summed per group. */
#include <stdio.h>
#include <string.h>
#include "wakers.h"

void waker_add(struct waker_stat *table, int *n, int cap, uint32_t tgid, const char *comm,
	       uint64_t wakeups, uint64_t blocked_ns)
{
	struct waker_stat *w = NULL;
	int i;

	for (i = 0; i < *n; i++)
		if (table[i].tgid == tgid && strncmp(table[i].comm, comm, BLOCKSCOPE_COMM_LEN) == 0)
			w = &table[i];
	if (!w && *n < cap) {
		w = &table[(*n)++];
		w->tgid = tgid;
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

int wakers_of_group(const struct account *a, const char *group, struct waker_stat *out, int cap)
{
	char name[BLOCKSCOPE_COMM_LEN];
	int n = 0, i;
	size_t t;

	for (t = 0; t < a->nthreads; t++) {
		const struct thread_stats *th = &a->threads[t];

		group_name(th->comm, name, sizeof(name));
		if (strcmp(name, group) != 0)
			continue;
		for (i = 0; i < th->nwakers; i++)
			waker_add(out, &n, cap, th->wakers[i].tgid, th->wakers[i].comm,
				  th->wakers[i].wakeups, th->wakers[i].blocked_ns);
	}
	return n;
}

const char *waker_label(const struct waker_stat *w, char *buf, size_t len)
{
	if (w->tgid == 0)
		snprintf(buf, len, "interrupt/idle");
	else if (w->tgid == UINT32_MAX)
		snprintf(buf, len, "(others)");
	else
		snprintf(buf, len, "%s[%u]", w->comm, w->tgid);
	return buf;
}
