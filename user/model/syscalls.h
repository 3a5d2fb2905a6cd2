/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef SYSCALLS_H
#define SYSCALLS_H

/* Highest syscall number we keep a slot for; larger ones share "other". */
#define SYSCALL_MAX_NR 512

struct syscall_name {
	int nr;
	const char *name;
};

/* The name of syscall nr, or NULL if the build's headers do not know it. */
const char *syscall_name(long nr);
/* The number of a syscall by name, or -1. */
long syscall_number(const char *name);

#endif
