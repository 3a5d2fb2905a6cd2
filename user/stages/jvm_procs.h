/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef JVM_PROCS_H
#define JVM_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "images.h"
#include "jvm_frames.h"
#include "unwind.h"

/*
 * The traced JVMs whose interpreted frames are named (jvm_frames.c does
 * the naming): which processes have libjvm.so mapped, where their tables
 * and their interpreter are, and the reads of their memory. A Method* is
 * taken from the stack copy as the stack is unwound (the interpreter's code
 * is the same for every method, so the site must tell them apart), and
 * named at once from the JVM's memory, while it most likely lives.
 */

struct jvm_name {
	uint64_t method;
	char *name; /* NULL: could not be read */
};

struct jvm_proc {
	uint32_t tgid;
	unsigned exec_gen, dwfl_gen; /* the image libjvm.so was looked for in */
	bool is_jvm;
	bool layout_read, layout_ok;
	struct jvm_layout layout;
	uint64_t interp_lo, interp_hi; /* 0, 0 until the interpreter is found */
	struct jvm_name *names;	       /* Method*s named so far */
	size_t nnames, capnames;
};

struct jvm_procs {
	struct jvm_proc *v;
	size_t n, cap;
	uint64_t marked;     /* interpreter frames whose Method* was taken from a copy */
	uint64_t no_method;  /* interpreter frames whose Method* slot was not in the copy */
	uint64_t no_layout;  /* JVMs whose tables could not be read */
	uint64_t named;	     /* interpreted frames named at the end */
	uint64_t unreadable; /* interpreted frames left as Interpreter: their Method* unreadable */
};

void jvm_procs_init(struct jvm_procs *j);
void jvm_procs_free(struct jvm_procs *j);

/*
 * After a DWARF unwinding of a copy c of the process of img: for each frame
 * in a JVM's interpreter, sets u->jmethod[k] to the Method* its frame
 * holds (from the copy, at rbp - 24). A process that is not a JVM costs one
 * look at its modules per version of its maps.
 */
void jvm_procs_mark(struct jvm_procs *j, struct image *img, const struct unwind_capture *c,
		    struct unwound *u);

/*
 * The external name of a Method* of process tgid, or NULL: read from the
 * JVM the first time it is asked (jvm_procs_mark asks as it marks), kept
 * for the report.
 */
const char *jvm_procs_name(struct jvm_procs *j, uint32_t tgid, uint64_t method);

#endif
