// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Which processes to trace: -p, -n COMM, --children and the members of a --cgroup. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "procfs.h"
#include "targets.h"

static void add_target(struct options *o, pid_t tgid)
{
	int i;

	for (i = 0; i < o->npids; i++)
		if (o->pids[i] == tgid)
			return;
	if (o->npids < MAX_TARGET_PIDS)
		o->pids[o->npids++] = tgid;
}

/* Found by name or in a cgroup: never blockscope itself. */
static void add_other(pid_t pid, void *arg)
{
	if (getpid() != pid)
		add_target(arg, pid);
}

static void add_descendants(pid_t pid, void *arg)
{
	add_target(arg, pid);
	proc_for_each_child(pid, add_descendants, arg);
}

int targets_resolve(struct options *o, char *err, size_t errlen)
{
	pid_t given[MAX_TARGET_PIDS];
	int i, n = o->npids;

	memcpy(given, o->pids, sizeof(given));
	o->npids = 0;
	for (i = 0; i < n; i++) {
		pid_t tgid = proc_tgid_of(given[i]);

		if (tgid < 0) {
			snprintf(err, errlen, "no such process: %d", given[i]);
			return -1;
		}
		add_target(o, tgid);
	}
	o->npids_given = o->npids;
	for (i = 0; i < o->nnames; i++)
		if (proc_for_each_named(o->names[i], add_other, o) <= 0) {
			snprintf(err, errlen, "no process named '%s'", o->names[i]);
			return -1;
		}
	if (o->children) {
		n = o->npids;
		for (i = 0; i < n; i++)
			proc_for_each_child(o->pids[i], add_descendants, o);
	}
	if (o->npids == MAX_TARGET_PIDS)
		fprintf(stderr, "blockscope: warning: tracing only the first %d processes\n",
			MAX_TARGET_PIDS);
	return 0;
}

int targets_add_cgroup(struct options *o, const char *path, char *err, size_t errlen)
{
	int i, before = o->npids;

	if (cgroup_for_each_proc(path, add_other, o) < 0) {
		snprintf(err, errlen, "cannot read %s/cgroup.procs: %s", path, strerror(errno));
		return -1;
	}
	for (i = before; i < o->npids; i++)
		if (proc_tgid_of(o->pids[i]) < 0)
			o->pids[i--] = o->pids[--o->npids]; /* gone already */
	return 0;
}
