// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Kernel side of blockscope. Small on purpose: it keeps per-thread state in
 * task-local storage, decides which switch-outs are voluntary, clocks the
 * blocked time inside each syscall, and streams one record per finished call
 * plus each thread's totals. Everything else happens in user space.
 *
 * The cheap filter is the task storage itself: only threads of traced
 * processes ever get an entry, so an untraced thread costs one pointer test.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "blockscope.h"

#define TASK_RUNNING 0
#define TASK_DEAD 0x80
#define EAGAIN 11
#define MAX_ERRNO 4095
#define MAX_TRACED_PROCESSES 8192
#define SLEPT_NR_WORDS 8

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load. */
const volatile bool follow_forks = false;
/* --timeline: stream every switch and wakeup of traced threads. */
const volatile bool emit_sched_events = false;
/* --stacks: 1 user stacks of blocking calls, 2 also kernel stacks. */
const volatile __u32 collect_stacks = 0;
/*
 * --stacks: bytes of user stack copied at each blocking call, for DWARF
 * unwinding in the collector (0: frame pointers only).
 */
const volatile __u32 ustack_bytes = 0;
/* --cgroup: threads of this cgroup v2 are adopted at their first event. */
const volatile __u64 target_cgroup_id = 0;
/*
 * Count non-blocking calls here instead of sending each: what makes tracing
 * a syscall-heavy target cheap. --stream-all turns it off.
 */
const volatile bool aggregate_nonblocking = true;
/*
 * Time one in (mask + 1) calls of a syscall that has not slept in its thread
 * yet; the others are counted without reading the clock. On a VM the clock
 * is the dearest part of a call's tracing: its first read after a kernel
 * entry misses the TLB (about 100 ns here, against 20 ns for all else the
 * entry hook does). 0 times every call.
 */
const volatile __u64 time_sample_mask = 15;
/* Wake the collector only once this much is waiting in the ring. */
const volatile __u64 wakeup_bytes = 256 * 1024;
/*
 * --sched-only: the syscall hooks are not attached (or only for a duty
 * cycle, with --serve). A blocking call is then seen at its thread's
 * voluntary switch-out: its syscall and arguments are read from the saved
 * user registers, and its record goes at the thread's next switch-out.
 */
const volatile bool sched_only = false;
/*
 * An event loop's wait for new work: epoll_wait, epoll_pwait(2), poll,
 * ppoll, select, pselect6. Each such call goes to the collector by itself
 * and timed (never counted here, never folded with its repeats): a loop's
 * turns run from the return of one to the next, and a loop that always has
 * work never sleeps in them (docs/loops.md). One record per turn of a loop.
 */
static __always_inline bool readiness_call(long nr)
{
#if defined(__TARGET_ARCH_x86)
	return nr == 232 || nr == 281 || nr == 441 || nr == 7 || nr == 271 || nr == 23 ||
	       nr == 270;
#elif defined(__TARGET_ARCH_arm64)
	return nr == 22 || nr == 441 || nr == 73 || nr == 72;
#else
	return false;
#endif
}
/*
 * Whether a thread went back to user space between two of its sleeps, the
 * one thing that tells --sched-only a new call from the same call sleeping
 * again (docs/definitions.md). x86 keeps a trace of it: the scheduler sets
 * TIF_NEED_FPU_LOAD as it saves a user thread's FPU registers at a
 * switch-out, and only the return to user space clears it (loading them
 * back). So at a switch-out the flag is clear iff the thread returned to
 * user space since its previous one. Bit 14 before the generic TIF bits
 * (6.18), 19 since; each layout leaves the other bit unused. Kernel threads
 * and io_uring's workers never have it set (PF_KTHREAD, PF_USER_WORKER and
 * the older PF_IO_WORKER).
 */
#if defined(__TARGET_ARCH_x86)
#define TIF_NEED_FPU_LOAD_BITS ((1UL << 14) | (1UL << 19))
#else
#define TIF_NEED_FPU_LOAD_BITS 0UL
#endif
#define PF_NO_USER_FPU (0x00000010 | 0x00004000 | 0x00200000)
/*
 * Set by the programs if a user thread is ever switched in with the flag
 * clear (a kernel whose bit is elsewhere, another architecture): the rule
 * then falls back to the heuristic below, for every thread.
 */
volatile bool user_return_unseen = false;
#define RETURNS_UNSEEN (TIF_NEED_FPU_LOAD_BITS == 0 || user_return_unseen)
/*
 * The fallback: two sleeps in the same syscall with the same arguments,
 * with less than this on CPU between them and no read or write ended, are
 * taken as one call (futex never: see NR_FUTEX).
 */
#define MERGE_ONCPU_NS 5000
/*
 * futex(2) on this architecture. A futex wait that sleeps again in the
 * same call does so only after a spurious wakeup: woken by FUTEX_WAKE, or
 * by its timeout, it returns (__futex_wait). So a futex's sleeps are never
 * merged: a futex ping-pong is counted call by call.
 */
#if defined(__TARGET_ARCH_x86)
#define NR_FUTEX 202
#elif defined(__TARGET_ARCH_arm64)
#define NR_FUTEX 98
#else
#define NR_FUTEX -2
#endif
/*
 * A thread's repeats of a blocking call are folded (see call_record.calls)
 * for at most this long, or this many: the collector learns of them at
 * most 10 ms late (snapshots, exits and the duty cycle's hooks send them
 * at once), so a waker's latest wait is rarely older than the call it woke.
 */
#define HELD_MAX_NS (10ull * 1000 * 1000)
#define HELD_MAX_CALLS 65536

/* --sched-only with --serve: set by the collector while the syscall hooks are attached. */
__u32 syscall_hooks_on = 0;
/* ... and when they were last attached (CLOCK_MONOTONIC ns). */
__u64 syscall_hooks_since_ns = 0;

/*
 * What each CPU is in the middle of, kept by the interrupt tracepoints: a
 * wakeup in an interrupt is charged to the interrupt, not to the task it
 * happened to interrupt. (The preempt count would say it directly, but its
 * per-CPU address needs CONFIG_KALLSYMS_ALL, which kernels often lack.)
 */
struct irq_context {
	/*
	 * The hrtimer whose callback runs (0: none), checked against its base's
	 * running timer at a wakeup: a missed exit (the kernel skips a program
	 * that would nest in itself) can then never leave a stale "timer".
	 */
	__u64 timer;
	/* When a device interrupt handler or irq_work began (0: none running). */
	__u64 hardirq_ns;
	__u32 softirq;	/* the softirq running, plus 1; 0: none (softirqs do not nest) */
	/*
	 * When an interrupt handler last returned: a softirq that begins right
	 * after runs at that interrupt's tail, in whatever task it interrupted.
	 * Stamped by the last tracepoint of each kind of interrupt before irq_exit.
	 */
	__u64 irq_exit_ns;
	__u32 softirq_after_irq; /* the running softirq began at an interrupt's tail */
};

/*
 * A softirq beginning this soon after a handler returned is taken to run
 * at its tail (irq_exit runs them at once: well under a microsecond, even
 * on a VM). A send that happens to run one this soon after an unrelated
 * interrupt is named softirq:net: the error goes toward the interrupt.
 */
#define IRQ_TAIL_NS 5000
/* Hard interrupt handlers are short: a start older than this is an exit we missed. */
#define HARDIRQ_MAX_NS 1000000

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct irq_context);
} irq_contexts SEC(".maps");

/* switch_clock's offset of this CPU's run-queue clock to CLOCK_MONOTONIC. */
struct switch_clock {
	__s64 offset;	/* CLOCK_MONOTONIC - rq->clock, the least seen (switch_clock) */
	__u64 read_at;	/* rq->clock when CLOCK_MONOTONIC was last read */
};

/*
 * Both clocks tick in ns and NTP slews CLOCK_MONOTONIC by 500 ppm at most:
 * under 0.5 µs apart between reads.
 */
#define CLOCK_RESAMPLE_NS 1000000

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct switch_clock);
} switch_clocks SEC(".maps");

/* Set by the collector before each run of the snapshot iterator. */
__u32 snapshot_mode = SNAPSHOT_BASELINE;

struct thread_state {
	/* the syscall in progress */
	__s64 nr;
	__u64 enter_ns;
	__u64 call_blocked_ns;
	__u64 call_run_delay0;
	__u32 call_voluntary;
	__u32 call_involuntary;
	__u32 call_flags;
	__u8 in_call;
	/* the thread */
	__u8 sleeping;
	__u8 exiting;
	__u8 skip_next_exit; /* a return from a call it never made (clone, our gate) */
	__u8 restart_pending; /* its last call was interrupted: send the retry too */
	/*
	 * The options the hot paths test, copied from .rodata when the state is
	 * made: reading them there costs a TLB miss per syscall (PTI flushes the
	 * TLB at every kernel entry), reading them here costs nothing more.
	 */
	__u8 aggregate;	   /* aggregate_nonblocking */
	__u8 sched_events; /* emit_sched_events */
	__u8 kernel_stacks; /* collect_stacks > 1 */
	__u8 timed;	    /* the call in progress read the clock at entry */
	__u64 time_mask;    /* time_sample_mask */
	__u64 rng;	    /* xorshift state: which calls are timed */
	/* Syscalls (below 512) that have slept in this thread: always timed. */
	__u64 slept_nrs[SLEPT_NR_WORDS];
	/* Syscalls timed at least once in this thread: the first call of each is. */
	__u64 timed_nrs[SLEPT_NR_WORDS];
	__u64 sleep_start_ns;
	__u64 blocked_ns;
	__u64 blocked_outside_ns;
	__u32 voluntary;
	__u32 involuntary;
	__u64 first_ns;
	/* the tracepoints' own clocks, kept to check against the kernel's */
	__u64 oncpu_since_ns;	 /* switched in at; 0 when off CPU */
	__u64 runnable_since_ns; /* woken or preempted at; 0 when not runnable */
	__u64 tp_oncpu_ns;
	__u64 tp_runq_ns;
	/* who woke it last, from sched_waking */
	__u32 waker_tid;
	__u32 waker_tgid;
	char waker_comm[BLOCKSCOPE_COMM_LEN];
	__u16 waker_kind;    /* enum waker_kind */
	__u16 waker_softirq; /* with WAKER_SOFTIRQ */
	__s32 waker_nr;	     /* with WAKER_SOFTIRQ in task context: its task's syscall */
	__s32 kernel_stack_id; /* where its last sleep in the call began */
	__u64 call_woken_ns;   /* when its last sleep in the call ended */
	struct agg_counts agg[AGG_SLOTS];
	__u8 user_stacks; /* collect_stacks: mmap/execve calls go to the collector */
	__u8 sched_only;  /* sched_only */
	/* --sched-only: its last call was woken; its record goes at the next switch-out */
	__u8 call_pending;
	/* --sched-only: it returned to user space since its last sleep (TIF_NEED_FPU_LOAD_BITS) */
	__u8 been_to_user;
	/*
	 * Taken (1) by whoever reads or changes held and the pending call:
	 * the thread's own programs on its CPU, or the snapshot iterator on
	 * another (own()).
	 */
	__u64 owner;
	__s32 user_stack_id;   /* --sched-only: where its call first slept */
	__u64 call_args[3];    /* --sched-only: the call's arguments, read at its first sleep */
	__u64 call_oncpu_mark; /* --sched-only: se.sum_exec_runtime at its last sleep */
	__u64 call_io_mark;    /* --sched-only: read and write calls ended (io_calls) then */
	/* The file of the call's first argument, read at its first sleep (call_record's fd_*). */
	__u64 call_fd_ino;
	__u32 call_fd_dev;
	__u16 call_fd_mode;
	/*
	 * --sched-only: the repeats of the call sent last, folded into one
	 * record (held.calls of them; 0: none held). held_key: held's syscall,
	 * arguments, flags and waker are those of the call sent last, so the
	 * next call like it is folded in rather than sent.
	 */
	__u8 held_key;
	struct call_record held;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TRACED_PROCESSES);
	__type(key, __u32);
	__type(value, struct traced_process);
} traced_tgids SEC(".maps");

/*
 * 4 MiB: over 100 ms of records at 400k calls/s. The collector maps it
 * twice (for wrap-around), so it costs 8 MiB of its RSS; --ring-size sets it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MISS_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} misses SEC(".maps");

/* --stacks: where a stack copy is built; too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ustack_record);
} ustack_scratch SEC(".maps");

static __always_inline void count_misses(__u32 which, __u64 count)
{
	__u64 *n = bpf_map_lookup_elem(&misses, &which);

	if (n)
		*n += count;
}

static __always_inline void count_miss(__u32 which)
{
	count_misses(which, 1);
}

static __always_inline void *reserve(__u64 size)
{
	void *rec = bpf_ringbuf_reserve(&records, size, 0);

	if (!rec)
		count_miss(MISS_RINGBUF);
	return rec;
}

/* Batched wakeups: the collector also polls on a timer, which bounds latency. */
static __always_inline void submit(void *rec)
{
	__u64 flags = bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
			      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(rec, flags);
}

static __always_inline struct thread_state *state_of(struct task_struct *task)
{
	return bpf_task_storage_get(&threads, task, 0, 0);
}

static __always_inline struct thread_state *new_state(struct task_struct *task, __u64 now)
{
	struct thread_state *ts;

	ts = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts) {
		count_miss(MISS_STORAGE);
		return NULL;
	}
	if (!ts->first_ns)
		ts->first_ns = now;
	ts->aggregate = aggregate_nonblocking;
	ts->sched_events = emit_sched_events;
	ts->kernel_stacks = collect_stacks > 1;
	ts->user_stacks = collect_stacks > 0;
	ts->sched_only = sched_only;
	ts->time_mask = time_sample_mask;
	if (!ts->rng)
		ts->rng = bpf_get_prandom_u32() | 1;
	return ts;
}

/*
 * now - then, or 0: --sched-only's switch clock (switch_clock) and the
 * clock read elsewhere may disagree by a fraction of a microsecond.
 */
static __always_inline __u64 since(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
}

static __always_inline void end_sleep(struct thread_state *ts, __u64 now)
{
	__u64 slept = since(now, ts->sleep_start_ns);

	ts->blocked_ns += slept;
	if (ts->in_call) {
		ts->call_blocked_ns += slept;
		ts->call_woken_ns = now;
	} else
		ts->blocked_outside_ns += slept;
	ts->sleeping = 0;
	ts->runnable_since_ns = now;
}

/* The kernel's own counters of a task, as schedstat and status show them. */
static __always_inline void read_counters(struct task_struct *task, __u64 *oncpu_ns,
					  __u64 *run_delay_ns, __u64 *nvcsw, __u64 *nivcsw)
{
	*oncpu_ns = task->se.sum_exec_runtime;
	*run_delay_ns = task->sched_info.run_delay;
	*nvcsw = task->nvcsw;
	*nivcsw = task->nivcsw;
}

/* regs: the task's saved user registers (its syscall's arguments), or NULL. */
static __always_inline void fill_call(struct call_record *rec, struct task_struct *task,
				      struct thread_state *ts, struct pt_regs *regs, __u64 now)
{
	rec->hdr.type = RECORD_CALL;
	rec->hdr.flags = ts->call_flags;
	rec->hdr.tid = task->pid;
	rec->hdr.tgid = task->tgid;
	rec->nr = ts->nr;
	rec->enter_ns = ts->enter_ns;
	/* A call may begin on another CPU just after a snapshot read the clock. */
	rec->duration_ns = since(now, ts->enter_ns);
	if (ts->call_flags & CALL_SCHED_ONLY) {
		/* Seen from its first sleep: to its last wakeup, if it came. */
		if (ts->call_woken_ns > ts->enter_ns)
			rec->duration_ns = ts->call_woken_ns - ts->enter_ns;
	} else if (!regs && !ts->in_call && ts->call_voluntary && ts->call_woken_ns > ts->enter_ns &&
		   ts->enter_ns) {
		/* Entered with the hooks on, its sleep ended without them: to its wakeup. */
		rec->duration_ns = ts->call_woken_ns - ts->enter_ns;
	} else if (!ts->enter_ns) {
		rec->hdr.flags |= CALL_UNTIMED;
		rec->enter_ns = now;
		rec->duration_ns = 0;
	} else if (!ts->timed) {
		rec->hdr.flags |= CALL_TIMED_FROM_SWITCH;
	}
	rec->blocked_ns = ts->call_blocked_ns;
	/* run_delay0 is read at the call's first switch-out: none, no wait. */
	rec->runq_ns = ts->call_voluntary || ts->call_involuntary ?
			       task->sched_info.run_delay - ts->call_run_delay0 :
			       0;
	rec->voluntary = ts->call_voluntary;
	rec->involuntary = ts->call_involuntary;
	rec->user_stack_id = -1;
	rec->kernel_stack_id = -1;
	rec->woken_ns = ts->call_woken_ns;
	rec->calls = 1;
	/* Read at its first sleep: a call that never slept keeps none (or an older call's). */
	rec->fd_ino = ts->call_voluntary ? ts->call_fd_ino : 0;
	rec->fd_dev = ts->call_voluntary ? ts->call_fd_dev : 0;
	rec->fd_mode = ts->call_voluntary ? ts->call_fd_mode : 0;
	rec->pad16[0] = rec->pad16[1] = rec->pad16[2] = 0;
	if (ts->call_flags & CALL_SCHED_ONLY) {
		/* Read at its first sleep: the registers may hold a later call's now. */
		rec->args[0] = ts->call_args[0];
		rec->args[1] = ts->call_args[1];
		rec->args[2] = ts->call_args[2];
		rec->user_stack_id = ts->user_stack_id;
		if (collect_stacks > 1)
			rec->kernel_stack_id = ts->kernel_stack_id;
	} else if (regs) {
		rec->args[0] = PT_REGS_PARM1_SYSCALL(regs);
		rec->args[1] = PT_REGS_PARM2_SYSCALL(regs);
		rec->args[2] = PT_REGS_PARM3_SYSCALL(regs);
	} else if (ts->call_voluntary) {
		/* Entered with the hooks on, sent without them: read at its first sleep. */
		rec->args[0] = ts->call_args[0];
		rec->args[1] = ts->call_args[1];
		rec->args[2] = ts->call_args[2];
	} else {
		rec->args[0] = rec->args[1] = rec->args[2] = 0;
	}
	if (ts->call_voluntary) {
		rec->waker_tid = ts->waker_tid;
		rec->waker_tgid = ts->waker_tgid;
		__builtin_memcpy(rec->waker_comm, ts->waker_comm, sizeof(rec->waker_comm));
		rec->waker_kind = ts->waker_kind;
		rec->waker_softirq = ts->waker_softirq;
		rec->waker_nr = ts->waker_nr;
	} else {
		rec->waker_tid = rec->waker_tgid = 0;
		__builtin_memset(rec->waker_comm, 0, sizeof(rec->waker_comm));
		rec->waker_kind = WAKER_TASK;
		rec->waker_softirq = 0;
		rec->waker_nr = -1;
	}
}

static __always_inline void fill_thread(struct thread_record *rec, struct task_struct *task,
					struct thread_state *ts, __u64 now, __u32 flags)
{
	int i;

	rec->hdr.type = RECORD_THREAD;
	rec->hdr.flags = flags;
	rec->hdr.tid = task->pid;
	rec->hdr.tgid = task->tgid;
	bpf_probe_read_kernel_str(rec->comm, sizeof(rec->comm), task->comm);
	read_counters(task, &rec->oncpu_ns, &rec->run_delay_ns, &rec->nvcsw, &rec->nivcsw);
	rec->blocked_ns = ts->blocked_ns;
	rec->blocked_outside_ns = ts->blocked_outside_ns;
	rec->voluntary = ts->voluntary;
	rec->involuntary = ts->involuntary;
	rec->first_ns = ts->first_ns;
	rec->last_ns = now;
	rec->tp_oncpu_ns = ts->tp_oncpu_ns;
	rec->tp_runq_ns = ts->tp_runq_ns;
	for (i = 0; i < BLOCKSCOPE_CPU_WORDS; i++)
		rec->cpus[i] = task->cpus_mask.bits[i];
	rec->call_enter_ns = ts->in_call ? ts->enter_ns : 0;
}

static __always_inline void start_call(struct task_struct *task, struct thread_state *ts,
				       __s64 nr, __u64 enter_ns, __u32 flags)
{
	ts->in_call = 1;
	ts->nr = nr;
	ts->enter_ns = enter_ns;
	ts->timed = enter_ns != 0;
	ts->call_blocked_ns = 0;
	ts->call_woken_ns = 0;
	ts->call_voluntary = 0;
	ts->call_involuntary = 0;
	ts->call_flags = flags;
	/*
	 * Left for the call's first switch-out: run_delay cannot change before
	 * it, and the syscall's entry is the one moment where touching another
	 * part of the task costs a TLB miss (PTI flushes the TLB at each entry).
	 * The waker and sleep stack are cleared at the first sleep too.
	 */
}

/*
 * held and the pending call are shared by two sides: the thread's own
 * programs (its switches, its exit, the hooks' calls), which fold and send
 * them, and the snapshot iterator, which takes them for the window it
 * closes, on another CPU. Unguarded, a repeat folded while the iterator
 * copies held is lost when the iterator clears it, and a pending call both
 * sides see is sent twice. Each side takes ts->owner first. The side that
 * cannot have it after a few tries leaves them to the other, which has them
 * in hand: the iterator leaves them to the thread until the next snapshot;
 * the thread, whose switch cannot wait, leaves them to the iterator and
 * counts MISS_OWNER (a sleep it then books outside calls).
 */
#define OWN_TRIES 1024

/* A global function: verified once, not at every caller (its loop would be, each time). */
__noinline int own_word(__u64 *owner, int tries)
{
	int i;

	if (!owner)
		return 0;
	/* Read before each exchange: spinning on xchg would keep the line from its holder. */
	for (i = 0; i < tries && i < OWN_TRIES; i++)
		if (!*(volatile __u64 *)owner && !__sync_lock_test_and_set(owner, 1))
			return 1;
	return 0;
}

static __always_inline bool own(struct thread_state *ts, int tries)
{
	return own_word(&ts->owner, tries);
}

static __always_inline void disown(struct thread_state *ts)
{
	__sync_lock_test_and_set(&ts->owner, 0);
}

/* The thread's side: false if the iterator has them (leave them alone). */
static __always_inline bool own_or_count(struct thread_state *ts)
{
	if (own(ts, OWN_TRIES))
		return true;
	count_miss(MISS_OWNER);
	return false;
}

static __always_inline void flush_held(struct thread_state *ts)
{
	if (!ts->held.calls)
		return;
	if (bpf_ringbuf_output(&records, &ts->held, sizeof(ts->held), BPF_RB_NO_WAKEUP))
		count_miss(MISS_RINGBUF);
	ts->held.calls = 0;
}

/* Whether the woken call is the call sent last again: the same syscall, arguments and waker. */
static __always_inline bool same_as_held(struct thread_state *ts)
{
	struct call_record *h = &ts->held;

	return ts->held_key && h->nr == ts->nr && h->hdr.flags == ts->call_flags &&
	       h->args[0] == ts->call_args[0] && h->args[1] == ts->call_args[1] &&
	       h->args[2] == ts->call_args[2] && h->waker_tid == ts->waker_tid &&
	       h->waker_tgid == ts->waker_tgid && h->waker_kind == ts->waker_kind &&
	       h->waker_softirq == ts->waker_softirq && h->waker_nr == ts->waker_nr;
}

/* Folds the woken call into held; sends held once it is old or full. */
static __always_inline void hold_repeat(struct task_struct *task, struct thread_state *ts,
					__u64 now)
{
	struct call_record *h = &ts->held;

	if (!h->calls) {
		fill_call(h, task, ts, NULL, now);
		h->ret = 0;
	} else {
		h->calls++;
		h->duration_ns += since(ts->call_woken_ns, ts->enter_ns);
		h->blocked_ns += ts->call_blocked_ns;
		h->runq_ns += task->sched_info.run_delay - ts->call_run_delay0;
		h->voluntary += ts->call_voluntary;
		h->involuntary += ts->call_involuntary;
		h->woken_ns = ts->call_woken_ns;
	}
	if (h->calls >= HELD_MAX_CALLS || since(now, h->enter_ns) >= HELD_MAX_NS)
		flush_held(ts);
}

/*
 * --sched-only: a call that was woken is sent once its thread switches out
 * again (its run-queue wait after the wakeup is in run_delay by then), or
 * at a snapshot, at its exit, or at its next syscall if the hooks are on.
 * A repeat of the call sent last is folded into held instead (not with
 * --stacks, whose calls each carry their stack).
 */
static __always_inline void emit_pending(struct task_struct *task, struct thread_state *ts,
					 __u64 now)
{
	struct call_record *rec;
	bool foldable = !ts->user_stacks && ts->call_flags == CALL_SCHED_ONLY &&
			!readiness_call(ts->nr);

	ts->call_pending = 0;
	if (foldable && same_as_held(ts)) {
		hold_repeat(task, ts, now);
		return;
	}
	flush_held(ts);
	rec = reserve(sizeof(*rec));
	if (!rec)
		return;
	fill_call(rec, task, ts, NULL, now);
	rec->ret = 0;
	/* The call sent is the key its repeats are matched on (same_as_held). */
	ts->held_key = foldable;
	if (foldable) {
		ts->held = *rec;
		ts->held.calls = 0;
	}
	submit(rec);
}

/*
 * Sends the thread's pending call and held repeats now (the hooks came on,
 * it exits), unless the iterator has them in hand (own_or_count). now: 0
 * reads the clock if a pending call needs it.
 */
static __always_inline void send_pending_and_held(struct task_struct *task,
						  struct thread_state *ts, __u64 now)
{
	if (!(ts->call_pending || ts->held.calls) || !own_or_count(ts))
		return;
	if (ts->call_pending)
		emit_pending(task, ts, now ? now : bpf_ktime_get_ns());
	flush_held(ts);
	disown(ts);
}

/* --sched-only, and the syscall hooks are off: calls are read from the registers. */
static __always_inline bool calls_from_regs(struct thread_state *ts)
{
	return ts->sched_only && !syscall_hooks_on;
}

/* A switch-out inside a call: the first one takes the run-queue baseline. */
static __always_inline void first_switch_in_call(struct task_struct *task,
						 struct thread_state *ts)
{
	if (!ts->call_voluntary && !ts->call_involuntary)
		ts->call_run_delay0 = task->sched_info.run_delay;
}

static __always_inline bool is_restart_return(long ret)
{
	/* -ERESTARTSYS .. -ERESTART_RESTARTBLOCK: the call will be made again. */
	return ret >= -516 && ret <= -512;
}

/* Sends a slot's counts and empties it for its next generation. */
static __always_inline void flush_agg(struct task_struct *task, struct agg_counts *slot,
				      __u64 now)
{
	struct agg_record *rec = reserve(sizeof(*rec));
	__u32 gen = slot->gen + 1;

	if (!now) /* an untimed call needed the slot */
		now = bpf_ktime_get_ns();
	if (rec) {
		rec->hdr.type = RECORD_AGG;
		rec->hdr.flags = AGG_ENDED;
		rec->hdr.tid = task->pid;
		rec->hdr.tgid = task->tgid;
		rec->ts_ns = now;
		__builtin_memcpy(&rec->c, slot, sizeof(*slot));
		submit(rec);
	} else {
		count_misses(MISS_AGG_CALLS, slot->calls);
	}
	__builtin_memset(slot, 0, sizeof(*slot));
	slot->gen = gen;
}

/* The slot of syscall nr: its own, else an empty one, else the less busy one, emptied. */
static __always_inline struct agg_counts *agg_slot(struct task_struct *task,
						   struct thread_state *ts, __s64 nr, __u64 now)
{
	__u32 i = (nr & (AGG_SLOTS / 2 - 1)) * 2;
	struct agg_counts *a = &ts->agg[i & (AGG_SLOTS - 1)];
	struct agg_counts *b = &ts->agg[(i + 1) & (AGG_SLOTS - 1)];
	struct agg_counts *slot;

	if (a->calls && a->nr == nr)
		slot = a;
	else if (b->calls && b->nr == nr)
		slot = b;
	else if (!a->calls)
		slot = a;
	else if (!b->calls)
		slot = b;
	else
		slot = a->calls <= b->calls ? a : b;
	if (slot->calls && (slot->nr != nr || slot->calls >= AGG_MAX_CALLS))
		flush_agg(task, slot, now);
	if (!slot->calls) {
		slot->nr = nr;
		slot->slot = slot == a ? i : i + 1;
	}
	return slot;
}

/*
 * A call that never slept: counted here, in its thread's slot for the
 * syscall. An untimed one reads no clock at all.
 */
static __always_inline void aggregate_call(struct task_struct *task, struct thread_state *ts,
					   long ret)
{
	__u64 now = ts->timed ? bpf_ktime_get_ns() : 0;
	struct agg_counts *slot = agg_slot(task, ts, ts->nr, now);
	__u64 duration = since(now, ts->enter_ns);
	int h;

	slot->calls++;
	if (ret == -EAGAIN)
		slot->eagain++;
	else if (ret < 0 && ret >= -MAX_ERRNO)
		slot->errors++;
	/* Only a preemption inside the call can add to the run-queue wait. */
	if (ts->call_involuntary)
		slot->runq_ns += task->sched_info.run_delay - ts->call_run_delay0;
	if (!ts->timed)
		return;
	slot->timed++;
	slot->total_ns += duration;
	if (duration > slot->max_ns)
		slot->max_ns = duration;
	h = blockscope_hist_slot(duration);
	slot->hist[h & (BLOCKSCOPE_HIST_SLOTS - 1)]++;
}

static __always_inline void emit_fork(struct task_struct *task, struct task_struct *parent,
				      __u32 flags, __u64 now)
{
	struct fork_record *rec = reserve(sizeof(*rec));

	if (!rec)
		return;
	rec->hdr.type = RECORD_FORK;
	rec->hdr.flags = flags;
	rec->hdr.tid = task->pid;
	rec->hdr.tgid = task->tgid;
	rec->parent_tid = parent ? parent->pid : 0;
	rec->parent_tgid = parent ? parent->tgid : 0;
	bpf_probe_read_kernel_str(rec->comm, sizeof(rec->comm), task->comm);
	rec->ts_ns = now;
	read_counters(task, &rec->oncpu_ns, &rec->run_delay_ns, &rec->nvcsw, &rec->nivcsw);
	submit(rec);
}

/*
 * --cgroup: a thread of the traced cgroup that has no state yet (it joined
 * the cgroup after we started, or was not seen) gets it now. Costs the
 * untraced only when a cgroup is traced.
 */
static __always_inline struct thread_state *state_or_adopt(struct task_struct *task)
{
	struct thread_state *ts = state_of(task);
	struct traced_process entry = {};
	__u32 tgid;
	__u64 now;

	if (ts || !target_cgroup_id || bpf_get_current_cgroup_id() != target_cgroup_id)
		return ts;
	now = bpf_ktime_get_ns();
	tgid = task->tgid;
	if (bpf_map_update_elem(&traced_tgids, &tgid, &entry, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&traced_tgids, &tgid)) {
		count_miss(MISS_TGID_MAP);
		return NULL;
	}
	ts = new_state(task, now);
	if (ts)
		emit_fork(task, NULL, FORK_ADOPTED, now);
	return ts;
}

/* Where syscall nr (below SLEPT_NR_WORDS * 64) sits in slept_nrs and timed_nrs. */
static __always_inline __u32 nr_word(__u64 nr)
{
	return (nr >> 6) & (SLEPT_NR_WORDS - 1);
}

static __always_inline __u64 nr_bit(__u64 nr)
{
	return 1ULL << (nr & 63);
}

/*
 * Whether this call reads the clock at entry: always for a syscall that has
 * slept in this thread, for its first call there and for the retry of an
 * interrupted call; else one in time_mask + 1 at random (a counter would
 * alias with a loop's own period).
 */
static __always_inline bool time_this_call(struct thread_state *ts, long nr)
{
	__u32 word = nr_word(nr);
	__u64 bit = nr_bit(nr), x = ts->rng;

	if ((__u64)nr >= SLEPT_NR_WORDS * 64 || ts->restart_pending ||
	    (ts->slept_nrs[word] & bit) || readiness_call(nr))
		return true;
	/* A syscall's first call in the thread, so even a rare one has a time to go by. */
	if (!(ts->timed_nrs[word] & bit)) {
		ts->timed_nrs[word] |= bit;
		return true;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	ts->rng = x;
	return !(x & ts->time_mask);
}

static __always_inline void enter_call(struct task_struct *task, struct thread_state *ts, long nr)
{
	/*
	 * --serve's duty cycle turned the hooks on after a call seen from its
	 * sleep; with the hooks on, each call goes by itself.
	 */
	send_pending_and_held(task, ts, 0);
	start_call(task, ts, nr, time_this_call(ts, nr) ? bpf_ktime_get_ns() : 0, 0);
}

#define USTACK_CHUNK 1024
#define USTACK_PIECE 64

/*
 * Copies the user stack from sp up: in 1 KiB chunks while they read, then
 * in 64-byte pieces inside the chunk that crossed the stack's top (a read
 * fails whole if any of its bytes is unmapped, and faults are not taken here).
 */
static __always_inline __u32 copy_user_stack(struct ustack_record *u, __u64 sp, __u32 want)
{
	__u32 n = 0, i;

	for (i = 0; i < USTACK_MAX_BYTES / USTACK_CHUNK; i++) {
		__u32 off = (i * USTACK_CHUNK) & (USTACK_MAX_BYTES - USTACK_CHUNK);

		if (off + USTACK_CHUNK > want)
			break;
		if (bpf_probe_read_user(&u->data[off], USTACK_CHUNK, (void *)(sp + off)))
			break;
		n = off + USTACK_CHUNK;
	}
	for (i = 0; i < USTACK_CHUNK / USTACK_PIECE; i++) {
		__u32 off = (n + i * USTACK_PIECE) & (USTACK_MAX_BYTES - USTACK_PIECE);

		if (off != n + i * USTACK_PIECE || off + USTACK_PIECE > want)
			break;
		if (bpf_probe_read_user(&u->data[off], USTACK_PIECE, (void *)(sp + off)))
			break;
		n = off + USTACK_PIECE;
	}
	return n;
}

/*
 * A blocking call's user registers and stack (--stacks), sent just before
 * its call record. Skipped, and counted, when the ring is half full: the
 * call records matter more than their stacks.
 */
static __always_inline void send_user_stack(struct task_struct *task, struct thread_state *ts,
					    struct pt_regs *regs, __u64 now)
{
#ifdef __TARGET_ARCH_x86
	__u64 ring = bpf_ringbuf_query(&records, BPF_RB_RING_SIZE);
	struct ustack_record *u;
	__u32 zero = 0, want = ustack_bytes, size;

	if (!want)
		return;
	if (bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA) > ring / 2 ||
	    !(u = bpf_map_lookup_elem(&ustack_scratch, &zero))) {
		count_miss(MISS_USTACK);
		return;
	}
	u->hdr.type = RECORD_USTACK;
	u->hdr.flags = 0;
	u->hdr.tid = task->pid;
	u->hdr.tgid = task->tgid;
	u->nr = ts->nr;
	u->enter_ns = ts->enter_ns ? ts->enter_ns : now;
	u->regs[0] = regs->ax;
	u->regs[1] = regs->dx;
	u->regs[2] = regs->cx;
	u->regs[3] = regs->bx;
	u->regs[4] = regs->si;
	u->regs[5] = regs->di;
	u->regs[6] = regs->bp;
	u->regs[7] = regs->sp;
	u->regs[8] = regs->r8;
	u->regs[9] = regs->r9;
	u->regs[10] = regs->r10;
	u->regs[11] = regs->r11;
	u->regs[12] = regs->r12;
	u->regs[13] = regs->r13;
	u->regs[14] = regs->r14;
	u->regs[15] = regs->r15;
	u->regs[16] = regs->ip;
	if (want > USTACK_MAX_BYTES)
		want = USTACK_MAX_BYTES;
	size = copy_user_stack(u, regs->sp, want);
	if (size + USTACK_CHUNK > want)
		u->hdr.flags |= USTACK_AT_LIMIT;
	u->size = size;
	size &= USTACK_MAX_BYTES * 2 - 1;
	if (size > USTACK_MAX_BYTES)
		return;
	if (bpf_ringbuf_output(&records, u, USTACK_HEADER_SIZE + size, BPF_RB_NO_WAKEUP))
		count_miss(MISS_USTACK);
#endif
}

/*
 * With --stacks, a call that maps code into the process (execve, or mmap
 * and mprotect with PROT_EXEC) goes to the collector at once, waking it:
 * it reads the process's maps while the process lives, so that its stacks
 * can be named after it exits.
 */
static __always_inline bool maps_changed(struct thread_state *ts, struct pt_regs *regs, long ret)
{
#ifdef __TARGET_ARCH_x86
	if (!ts->user_stacks || (ret < 0 && ret >= -MAX_ERRNO))
		return false;
	if (ts->nr == 59 || ts->nr == 322) /* execve, execveat */
		return true;
	if (ts->nr == 9 || ts->nr == 10) /* mmap, mprotect: prot is the third argument */
		return regs->dx & 4; /* PROT_EXEC */
#endif
	return false;
}

/*
 * Every syscall of every process on the machine runs this: an untraced
 * thread costs one storage lookup that finds nothing, and no other memory
 * (not even .rodata: the collector loads on_sys_enter_cgroup instead when
 * it adopts threads by cgroup).
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_state *ts = state_of(task);

	if (!ts)
		return 0;
	enter_call(task, ts, id);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter_cgroup, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_state *ts = state_or_adopt(task);

	if (!ts)
		return 0;
	enter_call(task, ts, id);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_state *ts = state_of(task);
	struct call_record *rec;
	bool maps;
	__u64 now;

	if (!ts)
		return 0;
	if (!ts->in_call) {
		if (ts->call_pending && (__s64)regs->orig_ax == ts->nr) {
			/* The iterator has it in hand and sends it: not this exit too. */
			if (!own_or_count(ts))
				return 0;
			/* --serve's duty cycle: the hooks came during a call seen from its sleep. */
			ts->call_pending = 0;
			ts->in_call = 1;
			disown(ts);
		} else if (ts->skip_next_exit) {
			ts->skip_next_exit = 0;
			return 0;
		}
		/* Entered before we attached: its time so far is since then. */
		start_call(task, ts, regs->orig_ax,
			   ts->first_ns > syscall_hooks_since_ns ? ts->first_ns : syscall_hooks_since_ns,
			   CALL_BEGAN_BEFORE);
	}
	/*
	 * Blocking calls go one by one, with who woke them and where; so do
	 * calls cut by the window and interrupted calls with their retries,
	 * which the collector must see in order to count once.
	 */
	maps = maps_changed(ts, regs, ret);
	if (ts->aggregate && !ts->call_voluntary && !ts->call_flags &&
	    !ts->restart_pending && !is_restart_return(ret) && !maps && !readiness_call(ts->nr)) {
		aggregate_call(task, ts, ret);
		ts->in_call = 0;
		return 0;
	}
	now = bpf_ktime_get_ns();
	ts->restart_pending = is_restart_return(ret);
	/* The user stack at exit is the one that made the call. */
	if (ts->user_stacks && ts->call_voluntary)
		send_user_stack(task, ts, regs, now);
	rec = reserve(sizeof(*rec));
	if (rec) {
		fill_call(rec, task, ts, regs, now);
		rec->ret = ret;
		if (collect_stacks && ts->call_voluntary) {
			rec->user_stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
			if (collect_stacks > 1)
				rec->kernel_stack_id = ts->kernel_stack_id;
		}
		if (maps)
			bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
		else
			submit(rec);
	}
	ts->in_call = 0;
	return 0;
}

static __always_inline void emit_sched(struct task_struct *task, struct thread_state *ts,
				       __u32 event, __u64 now, __u32 waker_tid)
{
	struct sched_record *rec;

	if (!ts->sched_events)
		return;
	rec = reserve(sizeof(*rec));
	if (!rec)
		return;
	rec->hdr.type = RECORD_SCHED;
	rec->hdr.flags = event;
	rec->hdr.tid = task->pid;
	rec->hdr.tgid = task->tgid;
	rec->ts_ns = now;
	rec->nr = ts->in_call ? ts->nr : -1;
	rec->oncpu_total_ns = task->se.sum_exec_runtime;
	rec->waker_tid = waker_tid;
	rec->waker_kind = event == SCHED_WAKEUP ? ts->waker_kind : 0;
	rec->waker_softirq = event == SCHED_WAKEUP ? ts->waker_softirq : 0;
	submit(rec);
}

#define BS_S_IFMT 0170000
#define BS_S_IFCHR 0020000

/*
 * The file behind fd in task's fd table: its inode's number, mode and
 * device (a character device's own number), or zeros. At a call's first
 * sleep only, so a few reads per sleep, never per call; an argument that is
 * not an fd (a futex's address) is out of the table's range at once.
 */
static __always_inline void read_fd_file(struct task_struct *task, struct thread_state *ts,
					 __u64 fd)
{
	struct file **fds = NULL;
	struct file *f = NULL;
	struct inode *inode;
	unsigned int max;
	__u16 mode;

	ts->call_fd_ino = 0;
	ts->call_fd_dev = 0;
	ts->call_fd_mode = 0;
	max = BPF_CORE_READ(task, files, fdt, max_fds);
	if (fd >= max)
		return;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (!fds || bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return;
	inode = BPF_CORE_READ(f, f_inode);
	if (!inode)
		return;
	mode = BPF_CORE_READ(inode, i_mode);
	ts->call_fd_ino = BPF_CORE_READ(inode, i_ino);
	ts->call_fd_mode = mode;
	ts->call_fd_dev = (mode & BS_S_IFMT) == BS_S_IFCHR ? BPF_CORE_READ(inode, i_rdev) :
							     BPF_CORE_READ(inode, i_sb, s_dev);
}

/* prev goes to sleep, by the kernel's rule behind voluntary_ctxt_switches. */
static __always_inline void sleep_begins(void *ctx, struct task_struct *prev,
					 struct thread_state *ts, __u64 now)
{
	ts->voluntary++;
	if (ts->in_call) {
		__u64 nr = ts->nr;

		/* It sleeps: time each of its calls from now on. */
		if (nr < SLEPT_NR_WORDS * 64)
			ts->slept_nrs[nr_word(nr)] |= nr_bit(nr);
		if (!ts->call_voluntary++) {
			struct pt_regs *regs = ts->exiting ? NULL :
					       (struct pt_regs *)bpf_task_pt_regs(prev);

			/* Its first sleep: forget the last call's waker. */
			ts->waker_tid = ts->waker_tgid = 0;
			ts->waker_comm[0] = 0;
			ts->waker_kind = WAKER_TASK;
			ts->kernel_stack_id = -1;
			if (regs) {
				/* What its fd is, while the fd is surely open. */
				read_fd_file(prev, ts, PT_REGS_PARM1_SYSCALL(regs));
				/*
				 * With the hooks on, its arguments too: --serve's duty cycle
				 * may take them off before it returns (fill_call without regs).
				 */
				if (!(ts->call_flags & CALL_SCHED_ONLY)) {
					ts->call_args[0] = PT_REGS_PARM1_SYSCALL(regs);
					ts->call_args[1] = PT_REGS_PARM2_SYSCALL(regs);
					ts->call_args[2] = PT_REGS_PARM3_SYSCALL(regs);
				}
			} else {
				ts->call_fd_ino = ts->call_fd_dev = ts->call_fd_mode = 0;
			}
		}
		/* Where in the kernel it goes to sleep. */
		if (ts->kernel_stacks)
			ts->kernel_stack_id = bpf_get_stackid(ctx, &stacks, 0);
	}
	ts->sleeping = 1;
	ts->sleep_start_ns = now;
	emit_sched(prev, ts, SCHED_OUT_BLOCKED, now, 0);
}

/* prev leaves its CPU still runnable: preempted, or yielding. */
static __always_inline void preempted(struct task_struct *prev, struct thread_state *ts,
				      __u64 now)
{
	ts->involuntary++;
	if (ts->in_call)
		ts->call_involuntary++;
	ts->runnable_since_ns = now;
	emit_sched(prev, ts, SCHED_OUT_PREEMPTED, now, 0);
}

/*
 * The read and write calls the thread has ended (ioac.syscr + syscw, kept
 * by vfs_read and vfs_write as each returns; 0 where the kernel keeps no
 * such counts): a change between two sleeps in the same read says the
 * thread returned to user space in between, however short the time.
 */
static __always_inline __u64 io_calls(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->ioac))
		return 0;
	return task->ioac.syscr + task->ioac.syscw;
}

/*
 * --sched-only: at a switch-out, the call woken last is sent, or continued
 * when the thread sleeps again in the same syscall with the same arguments
 * at once; a voluntary switch-out inside a syscall (the saved registers'
 * orig_ax; -1 in a page fault or an interrupt) begins a call.
 */
static __always_inline void call_from_regs(void *ctx, struct task_struct *prev,
					   struct thread_state *ts, bool sleeps, __u64 now)
{
	struct pt_regs *regs;
	__u64 a0, a1, a2, io;
	bool been_to_user;
	__s64 nr;

	/* A call whose entry the hooks saw before they were detached: it never returns now. */
	if (ts->in_call && !(ts->call_flags & CALL_SCHED_ONLY) && !ts->call_voluntary)
		ts->in_call = 0;
	regs = sleeps && !ts->exiting ? (struct pt_regs *)bpf_task_pt_regs(prev) : NULL;
	if (!regs) {
		if (ts->call_pending)
			emit_pending(prev, ts, now);
		return;
	}
	nr = regs->orig_ax;
	a0 = PT_REGS_PARM1_SYSCALL(regs);
	a1 = PT_REGS_PARM2_SYSCALL(regs);
	a2 = PT_REGS_PARM3_SYSCALL(regs);
	io = io_calls(prev);
	been_to_user = ts->been_to_user;
	/* From here on, whether it returns to user space before its next sleep. */
	ts->been_to_user = 0;
	if (ts->call_pending) {
		bool same = nr == ts->nr && a0 == ts->call_args[0] && a1 == ts->call_args[1] &&
			    a2 == ts->call_args[2];

		if (same && !RETURNS_UNSEEN)
			same = !been_to_user;
		else if (same)
			same = nr != NR_FUTEX && io == ts->call_io_mark &&
			       prev->se.sum_exec_runtime - ts->call_oncpu_mark < MERGE_ONCPU_NS;
		if (same) {
			/* The same call sleeping again: sleep_begins counts it in. */
			ts->call_pending = 0;
			ts->in_call = 1;
			ts->call_oncpu_mark = prev->se.sum_exec_runtime;
			return;
		}
		emit_pending(prev, ts, now);
	}
	if (nr < 0 || ts->in_call)
		return;
	start_call(prev, ts, nr, now, CALL_SCHED_ONLY);
	ts->call_run_delay0 = prev->sched_info.run_delay;
	ts->call_args[0] = a0;
	ts->call_args[1] = a1;
	ts->call_args[2] = a2;
	ts->call_oncpu_mark = prev->se.sum_exec_runtime;
	ts->call_io_mark = io;
	ts->user_stack_id = -1;
	if (ts->user_stacks) {
		/* prev is still current here: its user stack is readable. */
		send_user_stack(prev, ts, regs, now);
		ts->user_stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	}
}

static __always_inline void switch_out(void *ctx, struct task_struct *prev,
				       struct thread_state *ts, bool preempt,
				       unsigned int prev_state, __u64 now)
{
	if (ts->oncpu_since_ns)
		ts->tp_oncpu_ns += since(now, ts->oncpu_since_ns);
	ts->oncpu_since_ns = 0;
	if (calls_from_regs(ts)) {
		/* Clear: it returned to user space since its last switch-out. */
		if (!(prev->thread_info.flags & TIF_NEED_FPU_LOAD_BITS))
			ts->been_to_user = 1;
		if (own_or_count(ts)) {
			call_from_regs(ctx, prev, ts, !preempt && prev_state != TASK_RUNNING, now);
			disown(ts);
		}
	} else if (ts->in_call) {
		first_switch_in_call(prev, ts);
		/* Untimed at entry: from here on it is (see CALL_TIMED_FROM_SWITCH). */
		if (!ts->enter_ns)
			ts->enter_ns = now;
	}
	if (!preempt && prev_state != TASK_RUNNING)
		sleep_begins(ctx, prev, ts, now);
	else
		preempted(prev, ts, now);
}

/* Its last switch-out: the kernel's counters are final now. */
static __always_inline void thread_died(struct task_struct *prev, struct thread_state *ts,
					__u64 now)
{
	struct thread_record *rec;
	int i;

	for (i = 0; i < AGG_SLOTS; i++)
		if (ts->agg[i].calls)
			flush_agg(prev, &ts->agg[i], now);
	if (ts->held.calls && own_or_count(ts)) {
		flush_held(ts);
		disown(ts);
	}
	rec = reserve(sizeof(*rec));
	ts->sleeping = 0;
	if (rec) {
		fill_thread(rec, prev, ts, now, THREAD_EXITED);
		submit(rec);
	}
	bpf_task_storage_delete(&threads, prev);
}

/*
 * How long next has waited on the run queue since it was woken, by the
 * kernel's own clocks: its run queue's clock, just read by __schedule, less
 * when it was queued (sched_info.last_queued, what run_delay will add once
 * it is switched in). 0 when it was not queued or cannot be read.
 */
/* The run queue t is on, or NULL where the kernel does not say (no group scheduling). */
static __always_inline struct rq *run_queue_of(struct task_struct *t)
{
	struct cfs_rq *cfs_rq;

	if (!bpf_core_field_exists(struct cfs_rq, rq))
		return NULL;
	cfs_rq = t->se.cfs_rq;
	return cfs_rq ? cfs_rq->rq : NULL;
}

static __always_inline __u64 queued_since_wakeup(struct task_struct *next)
{
	__u64 queued_at = next->sched_info.last_queued;
	struct rq *rq;

	if (!queued_at || !(rq = run_queue_of(next)))
		return 0;
	return since(rq->clock, queued_at);
}

static __always_inline void switch_in(struct task_struct *next, struct thread_state *ts,
				      __u64 now)
{
	/*
	 * --sched-only: its wakeup (sched_waking) reads no clock; the sleep
	 * ends here, back-dated by the wait on the run queue since. Otherwise
	 * it is back on a CPU without a wakeup (a signal cut the sleep short).
	 */
	if (ts->sleeping) {
		__u64 woken = now, slept = since(now, ts->sleep_start_ns);

		if (ts->sched_only) {
			__u64 queued = queued_since_wakeup(next);

			/* A snapshot may have restarted the sleep after its wakeup. */
			woken = now - (queued < slept ? queued : slept);
		}
		end_sleep(ts, woken);
	}
	if (ts->runnable_since_ns)
		ts->tp_runq_ns += since(now, ts->runnable_since_ns);
	ts->runnable_since_ns = 0;
	ts->oncpu_since_ns = now;
	emit_sched(next, ts, SCHED_IN, now, 0);
	if (!calls_from_regs(ts))
		return;
	/* Switched out with its FPU registers saved, so the flag must be set (see user_return_unseen). */
	if (!(next->thread_info.flags & TIF_NEED_FPU_LOAD_BITS) && !(next->flags & PF_NO_USER_FPU) &&
	    !RETURNS_UNSEEN)
		user_return_unseen = true;
	/* Its sleep is over: whether its call still runs cannot be seen from here. */
	if (ts->in_call && ts->call_voluntary) {
		/*
		 * Unguarded: the iterator only reads call_pending and clears
		 * it, and it is set last, once the call's fields are final.
		 */
		ts->in_call = 0;
		ts->call_pending = 1;
	}
}

/*
 * --sched-only: the time of a switch, from the clock of this CPU's run
 * queue (sched_clock, which __schedule reads) plus this CPU's offset to
 * CLOCK_MONOTONIC, read again each CLOCK_RESAMPLE_NS. A clock read costs
 * about 75 ns here, on a VM: most of what the switch program adds to a
 * context switch. t is prev or next: both on this CPU's run queue.
 *
 * The run queue's clock can be stale: a __schedule that follows a wakeup
 * preemption skips its update (RQCF_ACT_SKIP), up to the time the preempted
 * task took to reach a preemption point. The kernel's own counters use it
 * all the same (run_delay, sum_exec_runtime), and a sleep's end read back
 * from it (queued_since_wakeup) is exact whatever its staleness. But an
 * offset read at such a switch would be too large, and move every time of
 * the CPU for a millisecond: the offset kept is the smallest read (a stale
 * clock only makes it larger), allowed to rise as fast as NTP can slew
 * CLOCK_MONOTONIC against sched_clock (500 ppm).
 */
static __always_inline __u64 switch_clock(struct task_struct *t)
{
	struct switch_clock *c;
	__u32 zero = 0;
	__u64 clock;
	__s64 seen, allowed;
	struct rq *rq;

	if (!sched_only)
		return bpf_ktime_get_ns();
	rq = run_queue_of(t);
	c = bpf_map_lookup_elem(&switch_clocks, &zero);
	if (!rq || !c)
		return bpf_ktime_get_ns();
	clock = rq->clock;
	if (c->read_at && clock >= c->read_at && clock - c->read_at < CLOCK_RESAMPLE_NS)
		return clock + c->offset;
	seen = (__s64)(bpf_ktime_get_ns() - clock);
	allowed = c->offset + (__s64)((clock - c->read_at) >> 11);
	if (!c->read_at || clock < c->read_at || seen < allowed)
		c->offset = seen;
	else
		c->offset = allowed;
	c->read_at = clock;
	return clock + c->offset;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct thread_state *ts = state_of(prev);
	__u64 now = 0;

	/* --cgroup --sched-only: no sys_enter to adopt newcomers at, so here. */
	if (!ts && sched_only && target_cgroup_id)
		ts = state_or_adopt(prev);
	if (ts) {
		now = switch_clock(prev);
		switch_out(ctx, prev, ts, preempt, prev_state, now);
		if (prev_state & TASK_DEAD)
			thread_died(prev, ts, now);
	}
	ts = state_of(next);
	if (ts)
		switch_in(next, ts, now ? now : switch_clock(next));
	return 0;
}

static __always_inline struct irq_context *this_cpu_irq(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&irq_contexts, &zero);
}

static __always_inline int stamp_irq_exit(void)
{
	struct irq_context *c = this_cpu_irq();

	if (c)
		c->irq_exit_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(on_hrtimer_entry, struct hrtimer *timer)
{
	struct irq_context *c = this_cpu_irq();

	if (c)
		c->timer = (__u64)timer;
	return 0;
}

SEC("tp_btf/hrtimer_expire_exit")
int BPF_PROG(on_hrtimer_exit, struct hrtimer *timer)
{
	struct irq_context *c = this_cpu_irq();

	if (c && c->timer == (__u64)timer)
		c->timer = 0;
	return 0;
}

static __always_inline int hardirq_begins(void)
{
	struct irq_context *c = this_cpu_irq();

	if (c)
		c->hardirq_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int hardirq_ends(void)
{
	struct irq_context *c = this_cpu_irq();

	if (c)
		c->hardirq_ns = 0;
	return stamp_irq_exit();
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(on_irq_entry)
{
	return hardirq_begins();
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(on_irq_exit)
{
	return hardirq_ends();
}

/* irq_work runs in a hard interrupt (an IPI or the tick): wakeups deferred from NMI and others. */
SEC("tp_btf/irq_work_entry")
int BPF_PROG(on_irq_work_entry)
{
	return hardirq_begins();
}

SEC("tp_btf/irq_work_exit")
int BPF_PROG(on_irq_work_exit)
{
	return hardirq_ends();
}

#if defined(__TARGET_ARCH_x86)
/*
 * The x86 vectors that are not device interrupts: the local APIC timer (the
 * tick and hrtimers) and the IPIs. Each returns straight into irq_exit,
 * which runs pending softirqs in whatever task was interrupted.
 */
SEC("tp_btf/local_timer_exit")
int BPF_PROG(on_local_timer_exit)
{
	return stamp_irq_exit();
}

SEC("tp_btf/reschedule_exit")
int BPF_PROG(on_reschedule_exit)
{
	return stamp_irq_exit();
}

SEC("tp_btf/call_function_exit")
int BPF_PROG(on_call_function_exit)
{
	return stamp_irq_exit();
}

SEC("tp_btf/call_function_single_exit")
int BPF_PROG(on_call_function_single_exit)
{
	return stamp_irq_exit();
}
#endif

SEC("tp_btf/softirq_entry")
int BPF_PROG(on_softirq_entry, unsigned int vec_nr)
{
	struct irq_context *c = this_cpu_irq();

	if (c) {
		c->softirq = vec_nr + 1;
		c->softirq_after_irq = bpf_ktime_get_ns() - c->irq_exit_ns < IRQ_TAIL_NS;
	}
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(on_softirq_exit)
{
	struct irq_context *c = this_cpu_irq();

	if (c)
		c->softirq = 0;
	return 0;
}

/*
 * The context of a wakeup: a task, or the interrupt it came from. A timer
 * wins over what it interrupted; a device interrupt over the softirq it
 * interrupted.
 */
static __always_inline __u16 wakeup_context(__u16 *softirq, bool *in_task)
{
	struct irq_context *c = this_cpu_irq();
	__u32 vec;

	*softirq = 0;
	*in_task = false;
	if (!c)
		return WAKER_TASK;
	if (c->timer) {
		/* A pointer kept in a map has lost its BTF type: read through it with probes. */
		struct hrtimer *timer = (struct hrtimer *)c->timer;
		struct hrtimer_clock_base *base = BPF_CORE_READ(timer, base);

		if (base && BPF_CORE_READ(base, running) == timer)
			return WAKER_TIMER;
		c->timer = 0; /* its exit was missed */
	}
	if (c->hardirq_ns) {
		if (bpf_ktime_get_ns() - c->hardirq_ns < HARDIRQ_MAX_NS)
			return WAKER_HARDIRQ;
		c->hardirq_ns = 0;
	}
	if (!c->softirq)
		return WAKER_TASK;
	vec = c->softirq - 1;
	if (vec == BS_SOFTIRQ_TIMER || vec == BS_SOFTIRQ_HRTIMER)
		return WAKER_TIMER;
	*softirq = (__u16)vec;
	*in_task = !c->softirq_after_irq;
	return WAKER_SOFTIRQ;
}

/* Who (or which interrupt) wakes p, read in the waker's context. */
static __always_inline void note_waker(struct thread_state *ts)
{
	struct task_struct *current;
	bool in_task;

	ts->waker_kind = wakeup_context(&ts->waker_softirq, &in_task);
	ts->waker_nr = -1;
	current = bpf_get_current_task_btf();
	if (ts->waker_kind == WAKER_SOFTIRQ && in_task && current->mm) {
		/* A softirq run in a user task's own call: keep which call, for the collector. */
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(current);

		ts->waker_nr = regs ? (__s32)regs->orig_ax : -1;
	} else if (ts->waker_kind != WAKER_TASK) {
		/* The interrupted task is a bystander: name the interrupt, not it. */
		ts->waker_tid = ts->waker_tgid = 0;
		ts->waker_comm[0] = 0;
		return;
	}
	/* Read from current itself: two helper calls less on every wakeup. */
	ts->waker_tid = current->pid;
	ts->waker_tgid = current->tgid;
	__builtin_memcpy(ts->waker_comm, current->comm, sizeof(ts->waker_comm));
}

/*
 * sched_waking runs in the waker's context; sched_wakeup may run on the
 * wakee's CPU. --sched-only only names the waker here and leaves
 * sched_wakeup unattached: the sleep's end is read back at the switch-in
 * (queued_since_wakeup), so a wakeup costs one program and no clock read
 * (on a VM the clock is the dearest part of a program: about 90 ns here).
 */
SEC("tp_btf/sched_waking")
int BPF_PROG(on_waking, struct task_struct *p)
{
	struct thread_state *ts = state_of(p);
	__u64 now;

	if (!ts || !ts->sleeping)
		return 0;
	note_waker(ts);
	/* --sched-only: the sleep ends at the switch-in; --timeline still shows the wakeup. */
	if (!ts->sched_only || !ts->sched_events)
		return 0;
	now = bpf_ktime_get_ns();
	emit_sched(p, ts, SCHED_WAKEUP, now, ts->waker_tid);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_wakeup, struct task_struct *p)
{
	struct thread_state *ts = state_of(p);
	__u64 now;

	if (!ts || !ts->sleeping)
		return 0;
	now = bpf_ktime_get_ns();
	end_sleep(ts, now);
	emit_sched(p, ts, SCHED_WAKEUP, now, ts->waker_tid);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(on_wakeup_new, struct task_struct *p)
{
	struct thread_state *ts = state_of(p);

	/* A new thread starts runnable: whatever it does next is its own. */
	if (ts) {
		ts->sleeping = 0;
		ts->runnable_since_ns = bpf_ktime_get_ns();
	}
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = parent->tgid;
	__u32 child_tgid = child->tgid;
	struct traced_process *traced;
	struct thread_state *ts;
	__u64 now;

	traced = bpf_map_lookup_elem(&traced_tgids, &parent_tgid);
	if (!traced)
		return 0;
	if (child_tgid != parent_tgid) {
		struct traced_process child_entry = { .from_birth = 1 };

		if (!follow_forks)
			return 0;
		if (bpf_map_update_elem(&traced_tgids, &child_tgid, &child_entry, BPF_NOEXIST)) {
			count_miss(MISS_TGID_MAP);
			return 0;
		}
	}
	now = bpf_ktime_get_ns();
	ts = new_state(child, now);
	if (!ts)
		return 0;
	/* The child's first event is the return from clone: not a call it made. */
	ts->skip_next_exit = 1;
	emit_fork(child, parent, 0, now);
	return 0;
}

/*
 * --sched-only, the hooks off: an exec is not seen as a call, yet with
 * --stacks the collector must read the new image's maps while it is there.
 * An execve record goes to it at once (not blocking: no call counted for
 * the report, which shows blocking calls only). exec is rare: this costs
 * the untraced nothing to speak of.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p)
{
	struct thread_state *ts = state_of(p);
	struct call_record *rec;
	__u64 now;

	if (!ts || !ts->user_stacks || !calls_from_regs(ts) || ts->in_call)
		return 0;
	if (!own_or_count(ts))
		return 0;
	now = bpf_ktime_get_ns();
	if (ts->call_pending)
		emit_pending(p, ts, now);
	rec = reserve(sizeof(*rec));
	if (!rec) {
		disown(ts);
		return 0;
	}
	start_call(p, ts, 59 /* execve */, now, CALL_SCHED_ONLY);
	ts->call_args[0] = ts->call_args[1] = ts->call_args[2] = 0;
	ts->user_stack_id = -1;
	fill_call(rec, p, ts, NULL, now);
	rec->ret = 0;
	bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
	ts->in_call = 0;
	disown(ts);
	return 0;
}

/* A traced thread's new name, for the collector's judgements while the trace runs. */
SEC("tp_btf/task_rename")
int BPF_PROG(on_rename, struct task_struct *task, const char *comm)
{
	struct rename_record *rec;

	if (!state_of(task))
		return 0;
	rec = reserve(sizeof(*rec));
	if (!rec)
		return 0;
	rec->hdr.type = RECORD_RENAME;
	rec->hdr.flags = 0;
	rec->hdr.tid = task->pid;
	rec->hdr.tgid = task->tgid;
	rec->ts_ns = bpf_ktime_get_ns();
	bpf_probe_read_kernel_str(rec->comm, sizeof(rec->comm), comm);
	submit(rec);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	struct thread_state *ts = state_of(p);
	__u32 tgid = p->tgid;
	__u64 now;

	if (!ts)
		return 0;
	now = bpf_ktime_get_ns();
	send_pending_and_held(p, ts, now);
	if (ts->in_call) {
		/* exit and exit_group never return: close them here. */
		struct call_record *rec = reserve(sizeof(*rec));

		ts->call_flags |= CALL_NO_RETURN;
		if (rec) {
			fill_call(rec, p, ts, NULL, now);
			rec->ret = 0;
			submit(rec);
		}
		ts->in_call = 0;
	}
	ts->exiting = 1;
	if (group_dead) {
		struct process_exit_record *rec = reserve(sizeof(*rec));

		/* Forget the TGID now, so a reused PID is never mixed in. */
		bpf_map_delete_elem(&traced_tgids, &tgid);
		if (rec) {
			rec->hdr.type = RECORD_PROCESS_EXIT;
			rec->hdr.flags = 0;
			rec->hdr.tid = p->pid;
			rec->hdr.tgid = tgid;
			rec->exit_code = p->exit_code;
			rec->pad = 0;
			rec->ts_ns = now;
			submit(rec);
		}
	}
	return 0;
}

/*
 * The iterator's BASELINE: a thread of a traced process gets its state,
 * with a sleep (and the syscall it sleeps in) that began before we looked.
 */
static __always_inline void snapshot_baseline(struct task_struct *task, __u64 now)
{
	__u32 tgid = task->tgid;
	struct traced_process *traced = bpf_map_lookup_elem(&traced_tgids, &tgid);
	struct thread_state *ts;

	if (!traced || state_of(task))
		return; /* untraced, or born after attach: it has its state already */
	ts = new_state(task, now);
	if (!ts)
		return;
	if (traced->from_birth) {
		/* Held at the launcher's gate: what it does before exec is ours. */
		ts->skip_next_exit = 1;
		return;
	}
	if (task->__state == TASK_RUNNING) {
		if (task->on_cpu)
			ts->oncpu_since_ns = now;
		else
			ts->runnable_since_ns = now;
	} else {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
		__s64 nr = regs ? regs->orig_ax : -1;

		ts->sleeping = 1;
		ts->sleep_start_ns = now;
		if (nr >= 0) {
			start_call(task, ts, nr, now,
				   CALL_BEGAN_BEFORE | (ts->sched_only ? CALL_SCHED_ONLY : 0));
			/* Asleep in it already: its run-queue wait starts from here. */
			ts->call_run_delay0 = task->sched_info.run_delay;
			ts->call_voluntary = 1;
			ts->call_args[0] = PT_REGS_PARM1_SYSCALL(regs);
			ts->call_args[1] = PT_REGS_PARM2_SYSCALL(regs);
			ts->call_args[2] = PT_REGS_PARM3_SYSCALL(regs);
			ts->call_oncpu_mark = task->se.sum_exec_runtime;
			ts->call_io_mark = io_calls(task);
			ts->user_stack_id = -1;
		}
	}
}

/* A sleep, a slice or a wait still going on counts up to now, and goes on from now. */
static __always_inline __u32 snapshot_clocks(struct thread_state *ts, __u64 now)
{
	__u32 flags = 0;

	if (ts->sleeping) {
		end_sleep(ts, now);
		ts->runnable_since_ns = 0;
		ts->sleeping = 1;
		ts->sleep_start_ns = now;
		flags |= THREAD_SLEEPING;
	}
	if (ts->oncpu_since_ns) {
		ts->tp_oncpu_ns += since(now, ts->oncpu_since_ns);
		ts->oncpu_since_ns = now;
	}
	if (ts->runnable_since_ns) {
		ts->tp_runq_ns += since(now, ts->runnable_since_ns);
		ts->runnable_since_ns = now;
	}
	return flags;
}

/* Running totals of the aggregated calls, before the thread record closes them. */
static __always_inline void snapshot_aggregates(struct seq_file *seq, struct task_struct *task,
						struct thread_state *ts, __u64 now)
{
	int i;

	for (i = 0; i < AGG_SLOTS; i++) {
		struct {
			struct record_header hdr;
			__u64 ts_ns;
		} head = { { RECORD_AGG, 0, task->pid, task->tgid }, now };

		if (!ts->agg[i].calls)
			continue;
		bpf_seq_write(seq, &head, sizeof(head));
		bpf_seq_write(seq, &ts->agg[i], sizeof(ts->agg[i]));
	}
}

/* What a snapshot takes of a thread's calls under ts->owner, written out after. */
struct snapshot_calls {
	__u32 held;
	__u32 pending;
	struct call_record held_rec;
	struct call_record pending_rec;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct snapshot_calls);
} snapshot_scratch_map SEC(".maps");

static __always_inline struct snapshot_calls *snapshot_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&snapshot_scratch_map, &zero);
}

/*
 * The iterator's INTERVAL and FINAL: a traced thread's totals, and at the
 * FINAL any call still in progress, so nothing in flight is dropped.
 */
static __always_inline void snapshot_totals(struct seq_file *seq, struct task_struct *task,
					    __u64 now)
{
	struct thread_state *ts = state_of(task);
	struct thread_record trec = {};
	struct snapshot_calls *sc;
	__u32 flags;

	if (!ts)
		return;
	flags = snapshot_clocks(ts, now);
	if (snapshot_mode == SNAPSHOT_FINAL)
		flags |= THREAD_AT_STOP;
	sc = snapshot_scratch();
	if (sc && (ts->held.calls || ts->call_pending) && own(ts, OWN_TRIES)) {
		/*
		 * Taken while the thread cannot fold into them (own()), written
		 * after: bpf_seq_write copies into the iterator's buffer.
		 */
		sc->held = ts->held.calls;
		sc->pending = ts->call_pending;
		/* Repeats folded so far (before the call woken last): this window counts them. */
		if (sc->held)
			sc->held_rec = ts->held;
		/* --sched-only: a woken call, sent now so that this window counts it. */
		if (sc->pending)
			fill_call(&sc->pending_rec, task, ts, NULL, now);
		ts->held.calls = 0;
		ts->call_pending = 0;
		disown(ts);
		if (sc->held)
			bpf_seq_write(seq, &sc->held_rec, sizeof(sc->held_rec));
		if (sc->pending)
			bpf_seq_write(seq, &sc->pending_rec, sizeof(sc->pending_rec));
	} else if ((ts->held.calls || ts->call_pending) && snapshot_mode == SNAPSHOT_FINAL) {
		/* The thread kept them past the last snapshot: lost to the report. */
		count_miss(MISS_OWNER);
	}
	/* Between intervals a call in flight is left to finish. */
	if (ts->in_call && snapshot_mode == SNAPSHOT_FINAL) {
		struct call_record crec = {};

		fill_call(&crec, task, ts, (struct pt_regs *)bpf_task_pt_regs(task), now);
		crec.hdr.flags |= CALL_IN_PROGRESS;
		crec.ret = 0;
		bpf_seq_write(seq, &crec, sizeof(crec));
	}
	if (ts->in_call) {
		flags |= THREAD_IN_CALL;
		trec.current_nr = ts->nr;
	}
	snapshot_aggregates(seq, task, ts, now);
	fill_thread(&trec, task, ts, now, flags);
	bpf_seq_write(seq, &trec, sizeof(trec));
}

/* Run by the collector over every task: BASELINE at attach, then INTERVAL or FINAL. */
SEC("iter/task")
int snapshot(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	__u64 now;

	if (!task)
		return 0;
	now = bpf_ktime_get_ns();
	if (snapshot_mode == SNAPSHOT_BASELINE)
		snapshot_baseline(task, now);
	else
		snapshot_totals(ctx->meta->seq, task, now);
	return 0;
}
