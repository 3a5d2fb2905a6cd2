/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef PROCFS_H
#define PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "account.h"

/* Opens /proc/PID/task/TID/NAME (tid > 0) or /proc/PID/NAME for reading; NULL if gone. */
FILE *proc_open(pid_t pid, pid_t tid, const char *name);
/* /proc/PID/task/TID/{schedstat,status}: the kernel's own counters. */
int proc_thread_counters(pid_t pid, pid_t tid, struct thread_counters *c);
/* The thread group of a PID or TID; -1 if there is no such task. */
pid_t proc_tgid_of(pid_t pid);
/* Its parent process (PPid), or -1. */
pid_t proc_parent_of(pid_t pid);
int proc_comm(pid_t pid, pid_t tid, char *out, size_t len);
/* Calls fn for each thread of pid; returns the count, or -1. */
int proc_for_each_thread(pid_t pid, void (*fn)(pid_t pid, pid_t tid, void *arg), void *arg);
/* Calls fn for each process whose parent is pid. */
int proc_for_each_child(pid_t pid, void (*fn)(pid_t child, void *arg), void *arg);

/* Calls fn for each process whose comm is name. */
int proc_for_each_named(const char *name, void (*fn)(pid_t pid, void *arg), void *arg);

#endif
