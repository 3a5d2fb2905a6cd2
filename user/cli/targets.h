/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TARGETS_H
#define TARGETS_H

#include "options.h"

/*
 * Turns -p, -n and --children into a list of distinct TGIDs in o->pids
 * (o->npids_given: how many came from -p). Returns -1 with a one-line
 * reason in err when a PID or a name matches no process.
 */
int targets_resolve(struct options *o, char *err, size_t errlen);
/*
 * --cgroup: adds the processes in path/cgroup.procs now, less blockscope
 * and those already gone. Returns -1 with the reason in err.
 */
int targets_add_cgroup(struct options *o, const char *path, char *err, size_t errlen);

#endif
