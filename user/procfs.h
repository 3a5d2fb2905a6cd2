/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef PROCFS_H
#define PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "account.h"

/* /proc/PID/task/TID/{schedstat,status}: the kernel's own counters. */
int proc_thread_counters(pid_t pid, pid_t tid, struct thread_counters *c);
/* The thread group of a PID or TID; -1 if there is no such task. */
pid_t proc_tgid_of(pid_t pid);
int proc_comm(pid_t pid, pid_t tid, char *out, size_t len);
/* Calls fn for each thread of pid; returns the count, or -1. */
int proc_for_each_thread(pid_t pid, void (*fn)(pid_t pid, pid_t tid, void *arg), void *arg);
/* Calls fn for each process whose parent is pid. */
int proc_for_each_child(pid_t pid, void (*fn)(pid_t child, void *arg), void *arg);

/* Calls fn for each process whose comm is name. */
int proc_for_each_named(const char *name, void (*fn)(pid_t pid, void *arg), void *arg);

/*
 * CPUs a process may use: its affinity mask, capped by its cgroup v2
 * cpu.max quota. Fractional when the quota is. 0 if unknown.
 */
double proc_usable_cpus(pid_t pid);

#define PROC_MAX_CPUS 1024
/*
 * Jiffies of the CPUs in use[] (NULL: every CPU) from /proc/stat's text:
 * *total of all time but guest time, *busy of all but idle and iowait
 * (steal counts as busy: the CPU was not ours to run on). Returns -1 if no
 * such CPU line is found.
 */
int parse_cpu_jiffies(const char *stat_text, const bool *use, uint64_t *busy, uint64_t *total);
/* The same for the CPUs that pid may run on (every CPU if pid is 0 or gone). */
int proc_cpu_jiffies(pid_t pid, uint64_t *busy, uint64_t *total);

/* Where the last window of a target's CPU time ended. */
struct cpu_mark {
	pid_t pid; /* whose CPU affinity says which CPUs; 0: all */
	bool marked;
	uint64_t busy, total; /* jiffies at the mark */
};
/*
 * The jiffies busy and in all on those CPUs since the last mark, which
 * moves to now. Returns -1, with both 0, on the first call or when
 * /proc/stat fails.
 */
int cpu_mark_advance(struct cpu_mark *m, uint64_t *busy, uint64_t *total);
/* Parses the contents of a cgroup v2 cpu.max file; 0 when unlimited. */
double parse_cpu_max(const char *text);
/* The CPUs of a cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us pair; 0 when unlimited. */
double parse_cfs_quota(const char *quota, const char *period);
/* Counts the CPUs of a list such as "0-3,8" (cpuset.cpus.effective); -1 if malformed. */
int parse_cpu_list(const char *text);

/* --cgroup: a cgroup v2 directory to trace. */
struct cgroup_target {
	char path[4096]; /* resolved */
	uint64_t id;	 /* the kernel's cgroup id: the directory's inode number */
};

/*
 * Checks that arg is a cgroup v2 directory (on a cgroup2 file system, with a
 * cgroup.procs) and finds its id. Returns 0, or -1 with a one-line reason.
 */
int cgroup_target_open(const char *arg, struct cgroup_target *cg, char *err, size_t errlen);
/* Calls fn for each process listed in PATH/cgroup.procs; returns the count, or -1. */
int cgroup_for_each_proc(const char *path, void (*fn)(pid_t pid, void *arg), void *arg);
/*
 * CPUs the processes of a cgroup v2 may use: its cpuset.cpus.effective (the
 * online CPUs without one), capped by the tightest cpu.max on its path.
 * 0 when its hierarchy has neither the cpu nor the cpuset controller (a
 * hybrid host whose controllers are bound to cgroup v1): its files say nothing.
 */
double cgroup_usable_cpus(const char *path);
/* The id of the cgroup v2 a process is in (its directory's inode); 0 if unknown. */
uint64_t proc_cgroup_id(pid_t pid);

#endif
