/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef CGROUP_H
#define CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * CPUs a process may use: its affinity mask, capped by its cgroup v2
 * cpu.max quota. Fractional when the quota is. 0 if unknown.
 */
double proc_usable_cpus(pid_t pid);

/* Parses the contents of a cgroup v2 cpu.max file; 0 when unlimited. */
double parse_cpu_max(const char *text);
/* The CPUs of a cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us pair; 0 when unlimited. */
double parse_cfs_quota(const char *quota, const char *period);
/* Counts the CPUs of a list such as "0-3,8" (cpuset.cpus.effective); -1 if malformed. */
int parse_cpu_list(const char *text);
/* The same, also setting their bits in set (words of 64 CPUs; those past it are counted only). */
int parse_cpu_set(const char *text, uint64_t *set, int words);

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
