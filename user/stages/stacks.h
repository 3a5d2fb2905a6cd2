/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef STACKS_H
#define STACKS_H

#include <stdint.h>
#include <stdio.h>
#include "blockscope.h"

#define STACK_MAX_DEPTH 127

/* Blocking calls aggregated by where they were made (--stacks). */
struct stack_entry {
	uint32_t tgid;
	int32_t user_id, kernel_id; /* ids in the kernel's stack map, or -1 */
	long nr;
	char comm[BLOCKSCOPE_COMM_LEN];
	uint64_t count;
	uint64_t blocked_ns;
	/* filled by stacks_resolve */
	char **user_frames; /* innermost first */
	int nuser;
	char **kernel_frames;
	int nkernel;
};

struct stacks {
	struct stack_entry *e;
	size_t n, cap;
	uint64_t missing;	  /* blocking calls whose stack could not be taken */
	int unresolved_processes; /* gone before their stacks could be read */
};

void stacks_init(struct stacks *s);
void stacks_free(struct stacks *s);
/* Adds one finished call; only blocking calls with a stack count. */
void stacks_add(struct stacks *s, const struct call_record *c, const char *comm);
/*
 * Reads each stack from the kernel's map (fd) and names its frames with
 * elfutils (function+offset, file:line with debug info) for user stacks
 * and /proc/kallsyms for kernel stacks. The processes must still be alive.
 */
int stacks_resolve(struct stacks *s, int map_fd);
/* "Top blocking call sites", most blocked time first. */
void stacks_print_top(FILE *f, struct stacks *s, int limit);
/* Folded stacks (comm;outer;...;inner;[syscall];kernel... value), weighted by blocked us. */
int stacks_write_folded(FILE *f, struct stacks *s);

#endif
