/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef UNWIND_H
#define UNWIND_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>
#include "blockscope.h"

/*
 * How a user stack unwinds: a stage of its own. A blocking call's stack
 * comes two ways from the kernel: the frame-pointer walk (bpf_get_stackid)
 * and a copy of its registers and stack (RECORD_USTACK), unwound here with
 * DWARF CFI (.eh_frame, .debug_frame) through elfutils' libdwfl, as perf
 * --call-graph dwarf does. unwind_choose() says which of the two to keep.
 */

#define UNWIND_MAX_FRAMES 127

enum unwind_method {
	UNWIND_NONE = 0,
	UNWIND_FP,    /* the kernel's frame-pointer walk */
	UNWIND_DWARF, /* DWARF CFI over the stack copy */
};

/* Where a stack ended. */
enum unwind_end {
	UNWIND_END_OUTERMOST = 0, /* a frame said it is the outermost one: whole */
	UNWIND_END_COPY,	  /* the next frame lies above the copied stack */
	UNWIND_END_NO_CFI,	  /* a frame's code has no CFI and no frame pointer to follow */
	UNWIND_END_DEPTH,	  /* UNWIND_MAX_FRAMES reached */
	UNWIND_END_ERROR,	  /* libdwfl gave up otherwise: why says so */
	UNWIND_END_UNKNOWN,	  /* a frame-pointer walk: the kernel does not say */
	UNWIND_END_COUNT,
};

/* One blocking call's registers and stack, as RECORD_USTACK brings them. */
struct unwind_capture {
	uint32_t tid;
	uint64_t regs[USTACK_REGS];
	const uint8_t *stack; /* a copy of [regs[USTACK_REG_SP], + size) */
	uint32_t size;
	bool at_limit; /* the copy stopped at the size asked for, not at the stack's top */
};

struct unwound {
	uint64_t pc[UNWIND_MAX_FRAMES]; /* innermost first; pc[0] is where the call returns */
	/*
	 * Each frame's rbp as the DWARF unwinding restored it (0: unknown, or a
	 * frame-pointer walk, which gives no registers): a JVM's interpreter
	 * keeps the Method* of its frame below rbp (jvm_procs.c).
	 */
	uint64_t fp[UNWIND_MAX_FRAMES];
	/* An interpreted Java frame's Method*, else 0 (set by jvm_procs_mark()). */
	uint64_t jmethod[UNWIND_MAX_FRAMES];
	bool has_jmethod;
	int n;
	enum unwind_method method;
	enum unwind_end end;
	char why[96]; /* with UNWIND_END_ERROR, libdwfl's words */
};

/* What libdwfl's callbacks read from: one per Dwfl, attached once. */
struct unwind_state {
	bool attached;
	bool failed; /* attaching failed: this image cannot be unwound */
	const struct unwind_capture *cur;
	uint64_t outside; /* the last read that fell outside the copy (0: none) */
	int frames;	  /* frames delivered so far */
};

/*
 * Unwinds a capture with DWARF CFI through dwfl, the process's image (its
 * modules reported and ended). Where a frame has no CFI, libdwfl's x86-64
 * backend follows the frame pointer, as the kernel would. Returns 0, or -1
 * when nothing could be unwound (out->why says why).
 */
int unwind_dwarf(Dwfl *dwfl, struct unwind_state *st, const struct unwind_capture *c,
		 struct unwound *out);

/* The kernel's frame-pointer walk (ips innermost first, 0-terminated or n long) as a stack. */
void unwind_from_fp(const uint64_t *ips, int n, struct unwound *out);

/*
 * Which stack of one call to keep: the DWARF one when it unwound to the
 * outermost frame or at least as deep as the frame-pointer walk (whose
 * bogus frames, from a register used for other things, look deep); the
 * frame-pointer walk when the DWARF one is missing or shallower.
 */
const struct unwound *unwind_choose(const struct unwound *dwarf, const struct unwound *fp);

const char *unwind_method_name(enum unwind_method m);
/* "" for a whole stack, else a few words on where it was cut. */
const char *unwind_end_text(enum unwind_end e);

/* Decodes a RECORD_USTACK; -1 when it is malformed (size and its length disagree). */
int unwind_capture_from_record(const void *data, size_t size, struct unwind_capture *c);

#endif
