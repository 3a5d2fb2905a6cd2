// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Who woke a group's threads, for the report: it reads the tables the
 * account keeps per thread (account_wakers.c) once roles.c has named the
 * groups.
 */
#include <stdio.h>
#include <string.h>
#include "roles.h"
#include "wakers.h"

int wakers_of_group(const struct account *a, const char *group, struct waker_stat *out, int cap)
{
	char name[GROUP_NAME_LEN];
	int n = 0, i;
	size_t t;

	for (t = 0; t < a->nthreads; t++) {
		const struct thread_stats *th = &a->threads[t];

		if (strcmp(thread_group(th, name, sizeof(name)), group) != 0)
			continue;
		for (i = 0; i < th->nwakers; i++)
			waker_add(out, &n, cap, &th->wakers[i], th->wakers[i].wakeups,
				  th->wakers[i].blocked_ns);
	}
	return n;
}

const char *waker_label(const struct waker_stat *w, char *buf, size_t len)
{
	if (w->tgid == 0)
		snprintf(buf, len, "%s", w->comm[0] ? w->comm : "kernel");
	else if (w->tgid == UINT32_MAX)
		snprintf(buf, len, "(others)");
	else
		snprintf(buf, len, "%s[%u]", w->comm, w->tgid);
	return buf;
}
