/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef WAKERS_H
#define WAKERS_H

#include <stddef.h>
#include <stdint.h>
#include "account.h"

/* Adds one waker's share into a small table (by tgid and comm); the last slot takes the rest. */
void waker_add(struct waker_stat *table, int *n, int cap, uint32_t tgid, const char *comm,
	       uint64_t wakeups, uint64_t blocked_ns);
/* Who woke the threads of a group (name with digits out) from blocking calls. */
int wakers_of_group(const struct account *a, const char *group, struct waker_stat *out, int cap);
/* "backend[1234]", or "interrupt/idle" for wakeups from pid 0. */
const char *waker_label(const struct waker_stat *w, char *buf, size_t len);

#endif
