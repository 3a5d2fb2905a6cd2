// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Reading the kernel's own per-process facts out of /proc and cgroupfs. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "procfs.h"

FILE *proc_open(pid_t pid, pid_t tid, const char *name)
{
	char path[96];

	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, name);
	else
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	return fopen(path, "re");
}

int proc_thread_counters(pid_t pid, pid_t tid, struct thread_counters *c)
{
	unsigned long long oncpu, runq, n;
	char line[256];
	int found = 0;
	FILE *f;

	f = proc_open(pid, tid, "schedstat");
	if (!f)
		return -1;
	if (fscanf(f, "%llu %llu", &oncpu, &runq) != 2) {
		fclose(f);
		return -1;
	}
	fclose(f);
	c->oncpu_ns = oncpu;
	c->run_delay_ns = runq;
	f = proc_open(pid, tid, "status");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "voluntary_ctxt_switches: %llu", &n) == 1) {
			c->nvcsw = n;
			found++;
		} else if (sscanf(line, "nonvoluntary_ctxt_switches: %llu", &n) == 1) {
			c->nivcsw = n;
			found++;
		}
	}
	fclose(f);
	return found == 2 ? 0 : -1;
}

/* One number from /proc/PID/status, by its scanf format ("Tgid: %d"); -1 if gone. */
static pid_t status_number(pid_t pid, const char *format)
{
	char line[256];
	FILE *f;
	int n = -1;

	if (pid <= 0)
		return -1;
	f = proc_open(pid, 0, "status");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, format, &n) == 1)
			break;
	fclose(f);
	return n;
}

pid_t proc_tgid_of(pid_t pid)
{
	return status_number(pid, "Tgid: %d");
}

pid_t proc_parent_of(pid_t pid)
{
	return status_number(pid, "PPid: %d");
}

int proc_comm(pid_t pid, pid_t tid, char *out, size_t len)
{
	FILE *f = proc_open(pid, tid, "comm");

	if (!f || !fgets(out, (int)len, f)) {
		if (f)
			fclose(f);
		snprintf(out, len, "?");
		return -1;
	}
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int proc_for_each_thread(pid_t pid, void (*fn)(pid_t pid, pid_t tid, void *arg), void *arg)
{
	char path[64];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		int tid = atoi(d->d_name);

		if (tid > 0) {
			fn(pid, tid, arg);
			n++;
		}
	}
	closedir(dir);
	return n;
}

int proc_for_each_child(pid_t pid, void (*fn)(pid_t child, void *arg), void *arg)
{
	struct dirent *d;
	char path[64];
	int n = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		int child = atoi(d->d_name), ppid = -1;
		char line[256];
		FILE *f;

		if (child <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", child);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "PPid: %d", &ppid) == 1)
				break;
		fclose(f);
		if (ppid == pid) {
			fn(child, arg);
			n++;
		}
	}
	closedir(dir);
	return n;
}

int proc_for_each_named(const char *name, void (*fn)(pid_t pid, void *arg), void *arg)
{
	struct dirent *d;
	char comm[64];
	int n = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		int pid = atoi(d->d_name);

		if (pid > 0 && proc_comm(pid, 0, comm, sizeof(comm)) == 0 && strcmp(comm, name) == 0) {
			fn(pid, arg);
			n++;
		}
	}
	closedir(dir);
	return n;
}
