/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef CLASSIFY_H
#define CLASSIFY_H

#include <stdint.h>
#include <stdbool.h>
#include "blockscope.h"

/*
 * What a thread's blocked time inside a syscall means for pool sizing.
 * WAIT: a unit of work waits (I/O, sleep): counts in WT.
 * IDLE: the thread waits for new work (epoll_wait, accept...): not WT.
 * SYNC: the thread waits for another thread (futex): not WT, and more
 * threads will not help.
 */
enum wait_class {
	CLASS_WAIT = 0,
	CLASS_IDLE = 1,
	CLASS_SYNC = 2,
	CLASS_COUNT = 3,
};

const char *wait_class_name(enum wait_class c);
/* Parses "wait", "io", "idle" or "sync"; -1 if none. */
int wait_class_parse(const char *s);

struct class_overrides {
	int count;
	long nr[64];
	enum wait_class cls[64];
};

/* The class of syscall nr, after the user's overrides. */
enum wait_class syscall_class(long nr, const struct class_overrides *ov);
/* Adds "NAME=CLASS"; returns 0, or -1 with *why set to a message. */
int class_override_add(struct class_overrides *ov, const char *spec, const char **why);

/* Blocking iff the thread switched out voluntarily inside the call. */
static inline bool call_is_blocking(const struct call_record *c)
{
	return c->voluntary > 0;
}

/* How many calls a record stands for: --sched-only folds a thread's repeats (0 is one). */
static inline uint64_t call_count(const struct call_record *c)
{
	return c->calls ? c->calls : 1;
}

/* -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK. */
bool is_restart_return(long ret);
bool is_eagain_return(long ret);
/* A real error return: negative errno, not EAGAIN and not a restart. */
bool is_error_return(long ret);

#endif
