// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cgroups: the CPUs a process or a cgroup may use (cpuset, cpu.max, v1 quotas), --cgroup targets. */
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
#include "cgroup.h"
#include "procfs.h"

double parse_cpu_max(const char *text)
{
	char quota[32];
	unsigned long long period;

	if (sscanf(text, "%31s %llu", quota, &period) != 2 || period == 0)
		return 0;
	if (strcmp(quota, "max") == 0)
		return 0;
	return strtod(quota, NULL) / (double)period;
}

double parse_cfs_quota(const char *quota, const char *period)
{
	long long q, p;

	if (sscanf(quota, "%lld", &q) != 1 || sscanf(period, "%lld", &p) != 1 || q <= 0 || p <= 0)
		return 0;
	return (double)q / (double)p;
}

int parse_cpu_set(const char *text, uint64_t *set, int words)
{
	const char *s = text;
	int n = 0;

	if (set)
		memset(set, 0, (size_t)words * sizeof(*set));
	while (*s && *s != '\n') {
		char *end;
		long a, b, cpu;

		if (*s < '0' || *s > '9')
			return -1;
		a = strtol(s, &end, 10);
		b = a;
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return -1;
			b = strtol(s, &end, 10);
		}
		if (b < a || a > 1 << 20 || b > 1 << 20)
			return -1;
		n += (int)(b - a + 1);
		for (cpu = a; set && cpu <= b && cpu < (long)words * 64; cpu++)
			set[cpu / 64] |= 1ull << (cpu % 64);
		s = end;
		if (*s == ',') {
			s++;
			if (!*s || *s == '\n')
				return -1;
		} else if (*s && *s != '\n') {
			return -1;
		}
	}
	return n;
}

int parse_cpu_list(const char *text)
{
	return parse_cpu_set(text, NULL, 0);
}

static int read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok ? 0 : -1;
}

static bool in_comma_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0' || p[n] == '\n'))
			return true;
		p += n;
	}
	return false;
}

/*
 * Where a cgroup hierarchy is mounted, from /proc/self/mountinfo: the
 * cgroup2 one (controller NULL), or the cgroup v1 one that holds controller.
 */
static int cgroup_mount(const char *controller, char *mnt, size_t mntlen, char *root,
			size_t rootlen)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		char r[1024], m[1024], type[64], opts[1024];
		const char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %1023s %1023s", r, m) != 2 ||
		    sscanf(dash + 3, "%63s %*s %1023s", type, opts) != 2)
			continue;
		if (controller ? strcmp(type, "cgroup") || !in_comma_list(opts, controller) :
				 strcmp(type, "cgroup2") != 0)
			continue;
		snprintf(mnt, mntlen, "%s", m);
		snprintf(root, rootlen, "%s", r);
		found = 0;
	}
	fclose(f);
	return found;
}

/*
 * The directory of pid's cgroup in a hierarchy: the cgroup2 one (controller
 * NULL) or the v1 one holding controller.
 */
static int pid_cgroup_dir(pid_t pid, const char *controller, char *dir, size_t len,
			  size_t *mntlen)
{
	char line[4096], mnt[1024], root[1024];
	const char *rel = NULL;
	FILE *f;

	if (cgroup_mount(controller, mnt, sizeof(mnt), root, sizeof(root)))
		return -1;
	f = proc_open(pid, 0, "cgroup");
	if (!f)
		return -1;
	while (!rel && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *path;

		if (!ctl || !(path = strchr(ctl + 1, ':')))
			continue;
		*ctl = '\0';
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (controller ? in_comma_list(ctl + 1, controller) : strcmp(line, "0") == 0 && !ctl[1])
			rel = path;
	}
	fclose(f);
	if (!rel)
		return -1;
	/* A mount of a sub-tree (a container's view) starts at its root. */
	if (strcmp(root, "/") != 0) {
		size_t n = strlen(root);

		if (strncmp(rel, root, n) == 0 && (!rel[n] || rel[n] == '/'))
			rel += n;
		if (!*rel)
			rel = "/";
	}
	*mntlen = strlen(mnt);
	snprintf(dir, len, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
	return 0;
}

static double v2_quota(const char *dir)
{
	char path[4200], text[128];

	snprintf(path, sizeof(path), "%s/cpu.max", dir);
	return read_small(path, text, sizeof(text)) ? 0 : parse_cpu_max(text);
}

static double v1_quota(const char *dir)
{
	char path[4200], quota[64], period[64];

	snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us", dir);
	if (read_small(path, quota, sizeof(quota)))
		return 0;
	snprintf(path, sizeof(path), "%s/cpu.cfs_period_us", dir);
	if (read_small(path, period, sizeof(period)))
		return 0;
	return parse_cfs_quota(quota, period);
}

/* The tightest quota from dir up to the hierarchy's root (mntlen chars of dir). */
static double tightest_quota(char *dir, size_t mntlen, double (*quota_of)(const char *dir))
{
	double best = 0;

	for (;;) {
		double q = quota_of(dir);
		char *slash;

		if (q > 0 && (best == 0 || q < best))
			best = q;
		slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < mntlen)
			break;
		*slash = '\0';
	}
	return best;
}

/*
 * The tightest CPU quota on the way from the process's cgroup to the root:
 * cpu.max in cgroup v2, and cpu.cfs_quota_us where the cpu controller is
 * bound to a cgroup v1 hierarchy (a hybrid host).
 */
static double cgroup_quota(pid_t pid)
{
	const char *ctl[] = { NULL, "cpu" };
	double (*quota_of[])(const char *) = { v2_quota, v1_quota };
	double best = 0;
	char dir[4096];
	size_t mntlen, i;

	for (i = 0; i < 2; i++) {
		double q;

		if (pid_cgroup_dir(pid, ctl[i], dir, sizeof(dir), &mntlen))
			continue;
		q = tightest_quota(dir, mntlen, quota_of[i]);
		if (q > 0 && (best == 0 || q < best))
			best = q;
	}
	return best;
}

int cgroup_target_open(const char *arg, struct cgroup_target *cg, char *err, size_t errlen)
{
	char procs[4200];
	struct statfs fs;
	struct stat st;

	if (!realpath(arg, cg->path)) {
		if (errno == ENOENT || errno == ENOTDIR)
			snprintf(err, errlen, "no such cgroup: %s", arg);
		else
			snprintf(err, errlen, "cannot open cgroup %s: %s", arg, strerror(errno));
		return -1;
	}
	if (stat(cg->path, &st) || statfs(cg->path, &fs)) {
		snprintf(err, errlen, "cannot open cgroup %s: %s", arg, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "not a cgroup v2 directory: %s (not a directory)", arg);
		return -1;
	}
	if (fs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(err, errlen, "not a cgroup v2 directory: %s (%s)", arg,
			 fs.f_type == CGROUP_SUPER_MAGIC ? "a cgroup v1 hierarchy: give its cgroup2 one" :
							   "not on a cgroup2 file system");
		return -1;
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg->path);
	if (access(procs, R_OK)) {
		snprintf(err, errlen, "not a cgroup v2 directory: %s (no cgroup.procs)", arg);
		return -1;
	}
	cg->id = (uint64_t)st.st_ino;
	return 0;
}

int cgroup_for_each_proc(const char *path, void (*fn)(pid_t pid, void *arg), void *arg)
{
	char procs[4200], line[64];
	int n = 0;
	FILE *f;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	f = fopen(procs, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int pid = atoi(line);

		if (pid > 0) {
			fn(pid, arg);
			n++;
		}
	}
	fclose(f);
	return n;
}

uint64_t proc_cgroup_id(pid_t pid)
{
	char dir[4096];
	struct stat st;
	size_t mntlen;

	if (pid_cgroup_dir(pid, NULL, dir, sizeof(dir), &mntlen) || stat(dir, &st))
		return 0;
	return (uint64_t)st.st_ino;
}

double cgroup_usable_cpus(const char *path)
{
	char dir[4096], file[4200], text[4096];
	double quota = 0;
	int cpus = -1;
	bool said = false;

	snprintf(dir, sizeof(dir), "%s", path);
	for (;;) {
		struct statfs fs;
		double q = v2_quota(dir);
		char *slash;

		snprintf(file, sizeof(file), "%s/cpu.max", dir);
		said |= access(file, R_OK) == 0;
		if (q > 0 && (quota == 0 || q < quota))
			quota = q;
		/* The nearest cpuset.cpus.effective: a cgroup without one inherits. */
		snprintf(file, sizeof(file), "%s/cpuset.cpus.effective", dir);
		if (cpus < 0 && read_small(file, text, sizeof(text)) == 0) {
			cpus = parse_cpu_list(text);
			said = true;
		}
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
		if (statfs(dir, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
			break; /* above the hierarchy's root */
	}
	if (!said)
		return 0;
	if (cpus <= 0)
		cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return quota > 0 && quota < cpus ? quota : cpus;
}

double proc_usable_cpus(pid_t pid)
{
	cpu_set_t set;
	double cpus, quota;

	if (sched_getaffinity(pid, sizeof(set), &set))
		return 0;
	cpus = CPU_COUNT(&set);
	quota = cgroup_quota(pid);
	if (quota > 0 && quota < cpus)
		cpus = quota;
	return cpus;
}
