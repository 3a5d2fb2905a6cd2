/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef SHARED_LOCKS_H
#define SHARED_LOCKS_H

#include "account.h"

/*
 * After roles_assign: a futex that threads of different groups of one
 * process wait on is a lock they share (CPython's GIL, a global mutex), not
 * a queue between a producer and a pool: its waits are rebooked as sync.
 */
void shared_locks_rebook(struct account *a);

#endif
