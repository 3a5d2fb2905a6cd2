/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef LAUNCH_H
#define LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

/*
 * A command started held at a gate: forked, but waiting until we have put it
 * in the traced set, so that tracing sees its first instruction.
 */
#include <limits.h>

struct launch {
	pid_t pid;
	char path[PATH_MAX];
	int gate_fd;  /* write end: closing it lets the child exec */
	int error_fd; /* read end: the child's errno if exec failed */
};

int launch_prepare(struct launch *l, char *const argv[], char *err, size_t errlen);
/* Opens the gate; returns -1 with the reason if the command could not start. */
int launch_start(struct launch *l, char *const argv[], char *err, size_t errlen);
/* Kills a child that was prepared but not started, and reaps it. */
void launch_abort(struct launch *l);

#endif
