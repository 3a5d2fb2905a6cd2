/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What every cmocka unit test includes, and record builders for them. */
#ifndef UNIT_H
#define UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "account.h"
#include "syscalls.h"

static inline struct call_record make_call(uint32_t tid, const char *name, long ret,
					   uint64_t duration_ns, uint64_t blocked_ns,
					   uint32_t voluntary)
{
	struct call_record c;

	memset(&c, 0, sizeof(c));
	c.hdr.type = RECORD_CALL;
	c.hdr.tid = tid;
	c.hdr.tgid = tid;
	c.nr = syscall_number(name);
	c.ret = ret;
	c.duration_ns = duration_ns;
	c.blocked_ns = blocked_ns;
	c.voluntary = voluntary;
	return c;
}

static inline struct thread_record make_thread(uint32_t tid, const char *comm, uint64_t oncpu,
					       uint64_t run_delay, uint32_t flags)
{
	struct thread_record r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = RECORD_THREAD;
	r.hdr.flags = flags;
	r.hdr.tid = tid;
	r.hdr.tgid = tid;
	strncpy(r.comm, comm, sizeof(r.comm) - 1);
	r.oncpu_ns = oncpu;
	r.run_delay_ns = run_delay;
	return r;
}

/* calls non-blocking calls of name, each of each_ns, as the kernel counts them. */
static inline struct agg_record make_agg(uint32_t tid, const char *name, uint32_t gen,
					 uint64_t calls, uint64_t each_ns, uint64_t eagain,
					 uint32_t flags, uint64_t ts_ns)
{
	struct agg_record r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = RECORD_AGG;
	r.hdr.flags = flags;
	r.hdr.tid = tid;
	r.hdr.tgid = tid;
	r.ts_ns = ts_ns;
	r.c.nr = syscall_number(name);
	r.c.slot = (uint32_t)(r.c.nr % (AGG_SLOTS / 2)) * 2;
	r.c.gen = gen;
	r.c.calls = calls;
	r.c.timed = calls; /* tests of --time-sample set fewer */
	r.c.eagain = eagain;
	r.c.total_ns = calls * each_ns;
	r.c.max_ns = each_ns;
	r.c.hist[blockscope_hist_slot(each_ns)] = (uint32_t)calls;
	return r;
}

#endif
