// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A blocking call's user stack, unwound from a copy with DWARF CFI (libdwfl). */
#include <stdio.h>
#include <string.h>
#include "unwind.h"

/* x86-64's DWARF number for rbp, the frame pointer. */
#define DWARF_REG_RBP 6

/* The capture being unwound: libdwfl asks for its one thread, its registers, its stack. */
static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwind_state *st = arg;

	(void)dwfl;
	if (*thread_argp || !st->cur)
		return 0;
	*thread_argp = st;
	return (pid_t)st->cur->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct unwind_state *st = arg;

	(void)dwfl;
	if (!st->cur || (pid_t)st->cur->tid != tid)
		return false;
	*thread_argp = st;
	return true;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwind_state *st = arg;
	const struct unwind_capture *c = st->cur;
	uint64_t sp = c->regs[USTACK_REG_SP];

	(void)dwfl;
	/* Only the stack was copied; anything else is unknown now. */
	if (addr < sp || addr - sp > c->size || c->size - (addr - sp) < sizeof(*result)) {
		st->outside = addr;
		return false;
	}
	memcpy(result, c->stack + (addr - sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwind_state *st = arg;
	Dwarf_Word regs[USTACK_REGS];
	int i;

	for (i = 0; i < USTACK_REGS; i++)
		regs[i] = st->cur->regs[i];
	/* x86-64: DWARF 0-15 are the general registers, 16 the return address (rip). */
	return dwfl_thread_state_registers(thread, 0, USTACK_REGS, regs);
}

static const Dwfl_Thread_Callbacks callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

struct walk {
	struct unwound *out;
	struct unwind_state *st;
};

static int on_frame(Dwfl_Frame *frame, void *arg)
{
	struct walk *w = arg;
	struct unwound *out = w->out;
	Dwarf_Addr pc;
	Dwarf_Word fp;
	bool activation;

	if (!dwfl_frame_pc(frame, &pc, &activation)) {
		out->end = UNWIND_END_ERROR;
		snprintf(out->why, sizeof(out->why), "%s", dwfl_errmsg(-1));
		return DWARF_CB_ABORT;
	}
	/* The outermost frame of a thread may return to 0. */
	if (!pc) {
		out->end = UNWIND_END_OUTERMOST;
		return DWARF_CB_ABORT;
	}
	if (out->n >= UNWIND_MAX_FRAMES) {
		out->end = UNWIND_END_DEPTH;
		return DWARF_CB_ABORT;
	}
	/* Kept for the JVM's interpreter frames; a register libdwfl could not restore stays 0. */
	if (dwfl_frame_reg(frame, DWARF_REG_RBP, &fp) != 0)
		fp = 0;
	out->fp[out->n] = fp;
	out->pc[out->n++] = pc;
	w->st->frames = out->n;
	return DWARF_CB_OK;
}

int unwind_dwarf(Dwfl *dwfl, struct unwind_state *st, const struct unwind_capture *c,
		 struct unwound *out)
{
	uint64_t sp = c->regs[USTACK_REG_SP];
	struct walk w = { out, st };
	bool read_failed;
	int rc;

	memset(out, 0, sizeof(*out));
	out->method = UNWIND_DWARF;
	out->end = UNWIND_END_COUNT; /* not known yet */
	if (!dwfl || st->failed) {
		out->end = UNWIND_END_ERROR;
		snprintf(out->why, sizeof(out->why), "no image of the process");
		return -1;
	}
	st->cur = c;
	if (!st->attached) {
		if (!dwfl_attach_state(dwfl, NULL, (pid_t)c->tid, &callbacks, st)) {
			st->failed = true;
			st->cur = NULL;
			out->end = UNWIND_END_ERROR;
			snprintf(out->why, sizeof(out->why), "%s", dwfl_errmsg(-1));
			return -1;
		}
		st->attached = true;
	}
	st->outside = 0;
	st->frames = 0;
	rc = dwfl_getthread_frames(dwfl, (pid_t)c->tid, on_frame, &w);
	st->cur = NULL;
	/*
	 * libdwfl takes a register it could not read as undefined, and an
	 * undefined return address (or CFA) as the end, with no error: a read
	 * that failed, here or a frame or two before, is what ended the stack.
	 */
	read_failed = st->outside != 0;
	if (out->end != UNWIND_END_COUNT) {
		/* on_frame said why it stopped */
	} else if (rc == 0 && !read_failed) {
		/* a frame said its return address is undefined: the outermost */
		out->end = UNWIND_END_OUTERMOST;
	} else if (read_failed && st->outside >= sp + c->size && c->at_limit) {
		/* Above a copy that stopped at its size limit: a bigger copy would go on. */
		out->end = UNWIND_END_COPY;
		snprintf(out->why, sizeof(out->why), "read at sp+%#llx, the copy has %u bytes",
			 (unsigned long long)(st->outside - sp), c->size);
	} else {
		const char *msg = rc ? dwfl_errmsg(-1) : NULL;

		/*
		 * No CFI for the frame, and the frame-pointer guess that libdwfl
		 * falls back on read outside the stack or found nothing.
		 */
		out->end = read_failed || (msg && strstr(msg, "DWARF")) ? UNWIND_END_NO_CFI :
									  UNWIND_END_ERROR;
		if (read_failed)
			snprintf(out->why, sizeof(out->why), "read at sp%+lld, outside the stack copy",
				 (long long)(st->outside - sp));
		else
			snprintf(out->why, sizeof(out->why), "%s", msg ? msg : "unknown");
	}
	return out->n ? 0 : -1;
}

void unwind_from_fp(const uint64_t *ips, int n, struct unwound *out)
{
	memset(out, 0, sizeof(*out));
	out->method = UNWIND_FP;
	out->end = UNWIND_END_UNKNOWN;
	while (out->n < n && out->n < UNWIND_MAX_FRAMES && ips[out->n]) {
		out->pc[out->n] = ips[out->n];
		out->n++;
	}
}

const struct unwound *unwind_choose(const struct unwound *dwarf, const struct unwound *fp)
{
	bool have_dwarf = dwarf && dwarf->method == UNWIND_DWARF && dwarf->n > 0;
	bool have_fp = fp && fp->method == UNWIND_FP && fp->n > 0;

	if (!have_dwarf)
		return have_fp ? fp : NULL;
	if (!have_fp || dwarf->end == UNWIND_END_OUTERMOST || dwarf->n >= fp->n)
		return dwarf;
	return fp;
}

const char *unwind_method_name(enum unwind_method m)
{
	return m == UNWIND_DWARF ? "dwarf" : m == UNWIND_FP ? "fp" : "none";
}

const char *unwind_end_text(enum unwind_end e)
{
	switch (e) {
	case UNWIND_END_OUTERMOST:
		return "";
	case UNWIND_END_COPY:
		return "cut: the caller's frame is above the stack copy (--stack-copy)";
	case UNWIND_END_NO_CFI:
		return "cut: code without CFI or frame pointer";
	case UNWIND_END_DEPTH:
		return "cut: too deep";
	case UNWIND_END_ERROR:
		return "cut: the unwinder stopped";
	case UNWIND_END_UNKNOWN:
	case UNWIND_END_COUNT:
		break;
	}
	return "frame-pointer walk: may stop early or include a bogus frame";
}

int unwind_capture_from_record(const void *data, size_t size, struct unwind_capture *c)
{
	const struct ustack_record *u = data;

	if (size < USTACK_HEADER_SIZE || u->hdr.type != RECORD_USTACK ||
	    u->size > USTACK_MAX_BYTES || size < USTACK_HEADER_SIZE + u->size)
		return -1;
	memset(c, 0, sizeof(*c));
	c->tid = u->hdr.tid;
	memcpy(c->regs, u->regs, sizeof(c->regs));
	c->stack = u->data;
	c->size = u->size;
	c->at_limit = u->hdr.flags & USTACK_AT_LIMIT;
	return 0;
}
