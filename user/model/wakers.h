/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef WAKERS_H
#define WAKERS_H

#include <stddef.h>
#include <stdint.h>
#include "account.h"
#include "blockscope.h"

/* Who woke the threads of a group (name with digits out) from blocking calls. */
int wakers_of_group(const struct account *a, const char *group, struct waker_stat *out, int cap);
/* "backend[1234]", "timer", "softirq:net", "(others)". */
const char *waker_label(const struct waker_stat *w, char *buf, size_t len);

#endif
