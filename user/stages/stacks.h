/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef STACKS_H
#define STACKS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "account.h"
#include "blockscope.h"
#include "images.h"
#include "jvm_procs.h"
#include "unwind.h"

#define STACK_MAX_DEPTH 127
/* Call sites kept; past this many, blocking calls at new sites are counted as dropped. */
#define STACKS_MAX_ENTRIES 65536
#define STACKS_PENDING 64

/* Blocking calls aggregated by where they were made (--stacks). */
struct stack_entry {
	uint32_t tgid;
	uint32_t tid; /* the first thread seen there */
	long nr;
	int32_t kernel_id; /* id in the kernel's stack map, or -1 */
	unsigned exec_gen; /* which image of the process its addresses are in */
	enum unwind_method method;
	enum unwind_end end;
	uint64_t *pc; /* user frames, innermost first */
	uint64_t *jmethod; /* the Method* of each interpreted Java frame (else 0), or NULL: none */
	int npc;
	uint64_t hash;
	int next; /* the next entry in its hash chain, or -1 */
	char comm[BLOCKSCOPE_COMM_LEN];
	uint64_t count;
	uint64_t blocked_ns;
	/* named when the entry is made, from the image its addresses were taken in */
	char **user_frames; /* innermost first */
	uint8_t *naming;    /* enum frame_naming of each */
	int nuser;
	char **kernel_frames;
	int nkernel;
};

/* A RECORD_USTACK unwound, waiting for its call record (it comes next from its thread). */
struct stack_pending {
	uint32_t tid;
	long nr;
	uint64_t enter_ns;
	bool full;
	struct unwound u;
};

struct stacks {
	struct stack_entry *e;
	size_t n, cap;
	int *buckets; /* hash chains of e, STACKS_BUCKETS heads */
	uint64_t missing; /* blocking calls whose stack could not be taken */
	uint64_t dropped; /* blocking calls at sites past STACKS_MAX_ENTRIES */
	int unresolved_processes; /* gone before their maps could be read: addresses shown */
	uint64_t by_method[3];	  /* blocking calls by enum unwind_method of the stack kept */
	uint64_t cut[UNWIND_END_COUNT]; /* blocking calls whose DWARF stack ended so */
	uint64_t ustack_records, ustack_bytes, ustack_malformed;
	uint64_t ustack_unpaired; /* copies older than the call record of their thread */
	uint64_t ustack_paired;	  /* copies that found their call record */
	uint64_t ustack_skipped; /* copies the kernel did not take (ring half full) */
	uint64_t unwind_ns;	 /* collector time spent unwinding */
	uint64_t perfmap_frames; /* frames named from a runtime's perf map */
	struct jvm_procs jvms;	 /* JVMs: their interpreted frames' methods */
	int map_fd;		 /* the kernel's stack map (frame-pointer walks), or -1 */
	const struct account *acct; /* processes' parents and names; may be NULL */
	struct images images;
	struct stack_pending pending[STACKS_PENDING];
	unsigned next_pending;
	long nr_execve, nr_execveat, nr_mmap, nr_mprotect;
	bool ask_jvms; /* run jcmd PID Compiler.perfmap on JVMs at the end */
	char jvm_note[256]; /* what was asked of which JVMs, for the report */
};

void stacks_init(struct stacks *s);
void stacks_free(struct stacks *s);
/* The kernel's stack map, once the programs are loaded. */
void stacks_set_map(struct stacks *s, int map_fd);
/* A RECORD_USTACK: unwound now, kept for its call record. */
void stacks_add_ustack(struct stacks *s, const void *data, size_t size);
/*
 * Adds one finished call: a blocking call goes to its call site; an
 * execve, or a mmap/mprotect of code, has the process's maps read again.
 */
void stacks_add(struct stacks *s, const struct call_record *c, const char *comm);
/*
 * At the end, while live targets still live: asks JVMs for their perf maps
 * (saying so on stderr), names JIT frames from /tmp/perf-PID.map,
 * interpreted Java frames from the JVM's memory, and the kernel stacks.
 */
int stacks_resolve(struct stacks *s);
/* The account's latest entry for a PID (a PID may be reused), or NULL; a may be NULL. */
const struct process_stats *stacks_process(const struct account *a, uint32_t tgid);
/* "Top blocking call sites", most blocked time first. */
void stacks_print_top(FILE *f, struct stacks *s, int limit);
/*
 * The call site of a thread's blocking calls of syscall nr where they were
 * blocked longest (a loop's blocking call: loops.c), or NULL: an entry of
 * that thread first seen there, else of its process and comm.
 */
const struct stack_entry *stacks_site_of(const struct stacks *s, uint32_t tgid, uint32_t tid,
					 const char *comm, long nr);
/* Folded stacks (comm;outer;...;inner;[syscall];kernel... value), weighted by blocked us. */
int stacks_write_folded(FILE *f, struct stacks *s);

#endif
