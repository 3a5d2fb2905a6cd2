/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef ROLES_H
#define ROLES_H

#include <stdbool.h>
#include "account.h"

/*
 * Which job each thread does, named or not: sets every thread's group and
 * role (account.h) before a report. Named threads group by their name
 * without digits. Threads a runtime leaves unnamed (every one called like
 * the process: CPython, Node.js, Go) group by what they do: those that
 * wait on one futex form a pool, the others by the kind of wait they spend
 * most time in; the main thread is "COMM main". Runtime service threads
 * (the JVM's compilers, GC, VM threads) are labelled and not sized.
 */
void roles_assign(struct account *a);

/* The group a thread belongs to (its name without digits until roles_assign ran). */
const char *thread_group(const struct thread_stats *t, char *buf, size_t len);
/* A runtime's service thread, by its name ("C2 CompilerThre", "GC Thread#0"...); NULL if not. */
const char *runtime_service(const char *comm);
const char *role_name(enum thread_role r);
/*
 * A master process's main thread (gunicorn's arbiter, nginx's master, the
 * postmaster): it starts and watches its worker processes.
 */
bool master_process(const struct account *a, const struct thread_stats *t);

#endif
