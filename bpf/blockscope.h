/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Records shared by the BPF programs (bpf/blockscope.bpf.c) and the
 * collector (user/). Every record starts with a struct record_header so the
 * consumer can dispatch on its type. Times are CLOCK_MONOTONIC ns
 * (bpf_ktime_get_ns), counters are the kernel's own task_struct fields.
 */
#ifndef BLOCKSCOPE_H
#define BLOCKSCOPE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BLOCKSCOPE_COMM_LEN 16

enum record_type {
	RECORD_CALL = 1,	/* a syscall ended (or was cut by the window) */
	RECORD_THREAD = 2,	/* a thread's totals: at its death or at stop */
	RECORD_FORK = 3,	/* a traced thread or process was created */
	RECORD_PROCESS_EXIT = 4, /* the last thread of a traced process died */
	RECORD_SCHED = 5,	/* a switch or wakeup, with --timeline only */
	RECORD_AGG = 6,		/* non-blocking calls of one syscall, counted in the kernel */
	RECORD_USTACK = 7,	/* --stacks: a blocking call's user registers and stack */
	RECORD_RENAME = 8,	/* a traced thread took a new name */
};

/* struct call_record.flags */
enum call_flags {
	CALL_BEGAN_BEFORE = 1 << 0, /* entered before tracing started */
	CALL_IN_PROGRESS = 1 << 1,  /* still inside the call when tracing stopped */
	CALL_NO_RETURN = 1 << 2,    /* the thread died inside it (exit, exit_group) */
	/*
	 * Not timed at entry (--time-sample): never switched out, so its
	 * duration is unknown (0 here); counts and return are exact.
	 */
	CALL_UNTIMED = 1 << 3,
	/* Not timed at entry, but it switched out: timed from its first switch-out. */
	CALL_TIMED_FROM_SWITCH = 1 << 4,
	/*
	 * --sched-only: seen by the scheduler hooks alone, from its first
	 * voluntary switch-out to the thread's next switch-out; its syscall and
	 * arguments read from the saved user registers at the sleep. Its
	 * return value and duration are unknown (ret 0; duration_ns is the
	 * span from its first sleep to its last wakeup, a lower bound).
	 */
	CALL_SCHED_ONLY = 1 << 5,
};

/* struct thread_record.flags */
enum thread_flags {
	THREAD_EXITED = 1 << 0,	  /* counters read at its final switch-out */
	THREAD_AT_STOP = 1 << 1,  /* still alive when tracing stopped */
	THREAD_SLEEPING = 1 << 2, /* blocked when the snapshot was taken */
	THREAD_IN_CALL = 1 << 3,  /* inside syscall current_nr then */
};

#define BLOCKSCOPE_CPU_WORDS 4

struct record_header {
	__u32 type;
	__u32 flags;
	__u32 tid;
	__u32 tgid;
};

struct call_record {
	struct record_header hdr;
	__s64 nr;
	__s64 ret;
	__u64 enter_ns;
	__u64 duration_ns;
	__u64 blocked_ns;   /* voluntary switch-out to wakeup, inside the call */
	__u64 runq_ns;	    /* the kernel's run_delay accrued inside the call */
	__u32 voluntary;    /* switch-outs inside the call, by the kernel's rule */
	__u32 involuntary;
	/*
	 * Who woke the thread from its last sleep in the call: sched_waking's
	 * current task when the wakeup came from task context (waker_kind
	 * WAKER_TASK); an interrupt's kind otherwise, with tid and tgid 0 (the
	 * interrupted task is a bystander).
	 */
	__u32 waker_tid;
	__u32 waker_tgid;
	char waker_comm[BLOCKSCOPE_COMM_LEN];
	/* With --stacks, for blocking calls: ids in the stacks map, or -1. */
	__s32 user_stack_id;
	__s32 kernel_stack_id;
	__u16 waker_kind;    /* enum waker_kind */
	__u16 waker_softirq; /* WAKER_SOFTIRQ: the softirq's vector (BS_SOFTIRQ_NET_RX...) */
	/*
	 * WAKER_SOFTIRQ run in task context (not at an interrupt's tail): the
	 * task it ran in is in waker_tid/tgid/comm, and the syscall that task
	 * was in here (-1: none). On loopback the network softirq runs in the
	 * sender's send: the collector names that task when the call is a send.
	 */
	__s32 waker_nr;
	/*
	 * The call's first three arguments (the fd of a read, a futex's
	 * address, op and value), for what its wait means; read at the exit
	 * from the saved user registers, which still hold them.
	 */
	__u64 args[3];
	__u64 woken_ns; /* when its last sleep in the call ended (0: none) */
	/*
	 * How many calls this record stands for (0 is read as 1). --sched-only
	 * folds a thread's repeats of one blocking call (the same syscall,
	 * arguments and waker, one after another) into one record: calls of
	 * them, enter_ns the first's, woken_ns the last's, and duration_ns,
	 * blocked_ns, runq_ns, voluntary and involuntary their sums. A thread
	 * that sleeps 100,000 times a second in the same read then costs the
	 * ring and the collector a record every HELD_MAX_NS, not each time.
	 */
	__u32 calls;
	/*
	 * The file of its first argument, when that is an fd and the call slept:
	 * read from the task's fd table at its first sleep (in both modes), so
	 * the collector knows a FIFO from a file or a socket without asking
	 * /proc, where the fd may be closed by then. fd_mode: the inode's i_mode
	 * (0: not read, or an anonymous inode: eventfd...); fd_ino: its number
	 * (a socket's is the one /proc/PID/fd names); fd_dev: its filesystem's
	 * device, or for a character device the device's own number (i_rdev,
	 * the kernel's encoding: major << 20 | minor).
	 */
	__u32 fd_dev;
	__u64 fd_ino;
	__u16 fd_mode;
	__u16 pad16[3];
};

/*
 * The context a wakeup came from, read from the CPU's preempt count at
 * sched_waking. In a hard or soft interrupt "current" is only the task
 * that was interrupted, so the interrupt itself is named instead.
 */
enum waker_kind {
	WAKER_TASK = 0,	   /* a task, in task context: waker_tid/tgid/comm */
	WAKER_TIMER = 1,   /* a timer expired (hrtimer, timer wheel), in any interrupt */
	WAKER_HARDIRQ = 2, /* a device interrupt other than a timer */
	WAKER_SOFTIRQ = 3, /* a softirq other than a timer: waker_softirq says which */
	WAKER_NMI = 4,
	/* The collector's: the task whose send ran the network softirq (loopback). */
	WAKER_NET_SENDER = 5,
	WAKER_KIND_COUNT,
};

/* The kernel's softirq vectors (include/linux/interrupt.h), as softirq_entry gives them. */
enum blockscope_softirq {
	BS_SOFTIRQ_HI = 0,
	BS_SOFTIRQ_TIMER = 1,
	BS_SOFTIRQ_NET_TX = 2,
	BS_SOFTIRQ_NET_RX = 3,
	BS_SOFTIRQ_BLOCK = 4,
	BS_SOFTIRQ_IRQ_POLL = 5,
	BS_SOFTIRQ_TASKLET = 6,
	BS_SOFTIRQ_SCHED = 7,
	BS_SOFTIRQ_HRTIMER = 8,
	BS_SOFTIRQ_RCU = 9,
	BS_SOFTIRQ_COUNT = 10,
};

struct thread_record {
	struct record_header hdr;
	char comm[BLOCKSCOPE_COMM_LEN];
	__u64 oncpu_ns;	      /* se.sum_exec_runtime, absolute */
	__u64 run_delay_ns;   /* sched_info.run_delay, absolute */
	__u64 nvcsw;	      /* the kernel's own counts, absolute */
	__u64 nivcsw;
	__u64 blocked_ns;     /* tracepoint clock, since tracing began */
	__u64 blocked_outside_ns; /* part of blocked_ns spent outside syscalls */
	__u32 voluntary;      /* switch-outs seen since tracing began */
	__u32 involuntary;
	__u64 first_ns;	      /* when tracing of this thread began */
	__u64 last_ns;	      /* when these counters were read */
	/* The same by tracepoint clock, for --verify: switch-in to switch-out,
	 * and wakeup (or preemption) to switch-in. */
	__u64 tp_oncpu_ns;
	__u64 tp_runq_ns;
	__s64 current_nr; /* with THREAD_IN_CALL: the syscall it is in */
	/* Its CPU affinity (cpus_mask), CPUs 0-255: N for its group is the CPUs it could use. */
	__u64 cpus[BLOCKSCOPE_CPU_WORDS];
	/*
	 * With THREAD_IN_CALL: when that call began (--sched-only: its first
	 * sleep). A wait for work still going on at an interval's end starts
	 * there, so the interval's occupancy knows the thread was idle.
	 */
	__u64 call_enter_ns;
};

/* struct fork_record.hdr.flags */
enum fork_flags {
	FORK_ADOPTED = 1 << 0, /* not born: found in the traced cgroup (--cgroup) */
};

struct fork_record {
	struct record_header hdr; /* tid/tgid: the new (or adopted) task */
	__u32 parent_tid;
	__u32 parent_tgid;
	char comm[BLOCKSCOPE_COMM_LEN];
	__u64 ts_ns;
	/* The kernel's counters at that moment: zero for a newborn. */
	__u64 oncpu_ns;
	__u64 run_delay_ns;
	__u64 nvcsw;
	__u64 nivcsw;
};

/*
 * A traced thread renamed itself or was renamed (prctl PR_SET_NAME,
 * pthread_setname_np, a write to /proc/PID/task/TID/comm). Most runtimes
 * name a thread after it starts, and what a wait means depends on whether
 * its waker does the same job, told by the name, while the trace runs.
 */
struct rename_record {
	struct record_header hdr;
	__u64 ts_ns;
	char comm[BLOCKSCOPE_COMM_LEN];
};

struct process_exit_record {
	struct record_header hdr;
	__s32 exit_code;
	__u32 pad;
	__u64 ts_ns;
};

/* struct sched_record.hdr.flags: what happened. */
enum sched_event {
	SCHED_IN = 1,		/* switched in */
	SCHED_OUT_BLOCKED = 2,	/* switched out voluntarily: asleep */
	SCHED_OUT_PREEMPTED = 3, /* switched out involuntarily: still runnable */
	SCHED_WAKEUP = 4,	/* woken: runnable */
};

/* One scheduling event of a traced thread (--timeline). */
struct sched_record {
	struct record_header hdr;
	__u64 ts_ns;
	__s64 nr;	       /* the syscall it is in, or -1 */
	__u64 oncpu_total_ns;  /* se.sum_exec_runtime at a switch-out */
	__u32 waker_tid;       /* SCHED_WAKEUP: who woke it (0: an interrupt) */
	__u16 waker_kind;      /* SCHED_WAKEUP: enum waker_kind */
	__u16 waker_softirq;   /* with WAKER_SOFTIRQ: its vector */
};

/*
 * Latency histogram slots: slot k holds calls of [2^k, 2^(k+1)) microseconds
 * (slot 0 also below 1 us). Shared so that the kernel's histograms of the
 * calls it aggregates and the collector's of the calls it is sent agree.
 */
#define BLOCKSCOPE_HIST_SLOTS 32

static inline int blockscope_hist_slot(__u64 ns)
{
	__u64 us;
	int slot = 0;

	/* Most non-blocking calls: no 64-bit division on the hot path. */
	if (ns < 2000)
		return 0;
	us = ns / 1000;
	if (us >= 1ULL << 32)
		return BLOCKSCOPE_HIST_SLOTS - 1;
	if (us >= 1ULL << 16) {
		us >>= 16;
		slot += 16;
	}
	if (us >= 1 << 8) {
		us >>= 8;
		slot += 8;
	}
	if (us >= 1 << 4) {
		us >>= 4;
		slot += 4;
	}
	if (us >= 1 << 2) {
		us >>= 2;
		slot += 2;
	}
	if (us >= 2)
		slot += 1;
	return slot;
}

/*
 * Non-blocking calls are not sent one by one: each thread counts them in
 * the kernel, per syscall, in AGG_SLOTS slots, two-way set associative (a
 * syscall may use slot 2s or 2s+1, s = nr % (AGG_SLOTS / 2)), so that two
 * busy syscalls of one set (read and accept4, write and pread64) do not
 * evict each other. A slot's counts go to the collector when another
 * syscall needs the slot,
 * when its thread dies (both as RECORD_AGG with AGG_ENDED), and at every
 * snapshot (without AGG_ENDED: a running total the collector takes the
 * difference of). Each time a slot is emptied its generation goes up, so
 * the collector knows which running total a record continues.
 */
#define AGG_SLOTS 16
/* A slot is emptied before its 32-bit histogram counts could wrap. */
#define AGG_MAX_CALLS (1u << 30)

struct agg_counts {
	__s64 nr;
	__u32 gen;
	__u32 slot; /* its index in the thread's slots */
	__u64 calls; /* 0: the slot is empty */
	__u64 eagain;
	__u64 errors;
	__u64 timed; /* calls timed (--time-sample): total, max and hist are theirs */
	__u64 total_ns;
	__u64 runq_ns;
	__u64 max_ns;
	__u32 hist[BLOCKSCOPE_HIST_SLOTS];
};

/* struct agg_record.hdr.flags */
enum agg_flags {
	AGG_ENDED = 1 << 0, /* the slot's generation is over: nothing more will follow */
};

struct agg_record {
	struct record_header hdr;
	__u64 ts_ns; /* when these counts were read */
	struct agg_counts c;
};

/* The value of the traced_tgids map. */
struct traced_process {
	__u32 from_birth; /* launched by us: its counters start at zero */
	__u32 pad;
};

/* Indexes of the per-CPU counters map (misses that must be reported). */
enum miss_counter {
	MISS_RINGBUF = 0,  /* a record could not be reserved: lost */
	MISS_STORAGE = 1,  /* per-thread state could not be created */
	MISS_TGID_MAP = 2, /* a followed child did not fit the traced map */
	MISS_AGG_CALLS = 3, /* non-blocking calls inside RECORD_AGG records lost */
	MISS_USTACK = 4,    /* stack copies not taken: the ring was half full, or no room */
	MISS_OWNER = 5,	    /* a thread's held calls changed while a snapshot took them */
	MISS_COUNT = 6,
};

/* The iterator's job, set in .bss before it is run. */
enum snapshot_mode {
	SNAPSHOT_BASELINE = 0, /* create state for every traced thread */
	SNAPSHOT_FINAL = 1,    /* write each traced thread's totals and calls in flight */
	SNAPSHOT_INTERVAL = 2, /* write each traced thread's totals only */
};

/*
 * --stacks: what a blocking call's user stack is unwound from in the
 * collector (DWARF CFI, as perf --call-graph dwarf does), taken at its
 * sys_exit and sent just before its RECORD_CALL: the user registers and a
 * copy of the stack from sp up. Registers in DWARF's x86-64 order: rax rdx
 * rcx rbx rsi rdi rbp rsp r8-r15, then rip.
 */
#define USTACK_REGS 17
#define USTACK_REG_SP 7
#define USTACK_REG_IP 16
#define USTACK_MAX_BYTES 16384
#define USTACK_DEFAULT_BYTES 8192

/* struct ustack_record.hdr.flags */
enum ustack_flags {
	USTACK_AT_LIMIT = 1 << 0, /* the copy ended at the size asked for, not at the stack's top */
};

struct ustack_record {
	struct record_header hdr;
	__s64 nr;	  /* its call's syscall */
	__u64 enter_ns;	  /* its call's enter_ns, as its RECORD_CALL will say */
	__u64 regs[USTACK_REGS];
	__u32 size;	  /* bytes in data, copied from regs[USTACK_REG_SP] up */
	__u32 pad;
	__u8 data[USTACK_MAX_BYTES]; /* only size bytes are sent */
};

#define USTACK_HEADER_SIZE __builtin_offsetof(struct ustack_record, data)

#endif /* BLOCKSCOPE_H */
