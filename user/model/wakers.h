/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef WAKERS_H
#define WAKERS_H

#include <stddef.h>
#include <stdint.h>
#include "account.h"
#include "blockscope.h"

/*
 * Who ended a blocking call's last sleep, as the report names it (counts
 * left at zero): the waking task's process and group name; or, for a
 * wakeup in an interrupt, tgid 0 and the interrupt's name ("timer",
 * "softirq:net"...), since the task it interrupted was only a bystander.
 * A network softirq run inside a task's send (loopback delivers the packet
 * there) is charged to that task, the sender.
 */
void waker_of_call(const struct call_record *c, struct waker_stat *who);
/* "task", "timer", "hardirq", "softirq", "nmi", "net-sender". */
const char *waker_kind_name(uint32_t kind);
/* Adds one waker's share into a small table (by tgid and comm); the last slot takes the rest. */
void waker_add(struct waker_stat *table, int *n, int cap, const struct waker_stat *who,
	       uint64_t wakeups, uint64_t blocked_ns);
/* Who woke the threads of a group (name with digits out) from blocking calls. */
int wakers_of_group(const struct account *a, const char *group, struct waker_stat *out, int cap);
/* "backend[1234]", "timer", "softirq:net", "(others)". */
const char *waker_label(const struct waker_stat *w, char *buf, size_t len);

#endif
