/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef ACCOUNT_H
#define ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "blockscope.h"
#include "runtime_kind.h"
#include "classify.h"
#include "syscalls.h"
#include "waits.h"

/* Latency histogram slots: slot k holds calls of [2^k, 2^(k+1)) microseconds. */
#define HIST_SLOTS BLOCKSCOPE_HIST_SLOTS
/* Index of the shared slot for numbers above SYSCALL_MAX_NR. */
#define SYSCALL_OTHER SYSCALL_MAX_NR

struct syscall_stats {
	uint64_t calls; /* complete calls, a restarted call counted once */
	uint64_t blocking;
	uint64_t nonblocking;
	uint64_t eagain;
	uint64_t errors;
	uint64_t restarts; /* times a signal interrupted and restarted it */
	/*
	 * Calls whose duration was measured (--time-sample): total_ns, max_ns
	 * and hist are theirs. Untimed calls never blocked; syscall_time_ns()
	 * adds them at the mean of the timed non-blocking ones.
	 */
	uint64_t timed_calls;
	uint64_t nonblocking_timed_calls;
	uint64_t nonblocking_timed_ns;
	uint64_t total_ns;
	uint64_t blocked_ns;
	uint64_t runq_ns;
	uint64_t max_ns;
	uint64_t hist[HIST_SLOTS];
	/* calls cut by the window: begun before it, or unfinished at its end */
	uint64_t partial_calls;
	uint64_t partial_ns;
	uint64_t partial_blocked_ns;
};

/* The kernel's own per-thread counters, as schedstat and status show them. */
struct thread_counters {
	uint64_t oncpu_ns;
	uint64_t run_delay_ns;
	uint64_t nvcsw;
	uint64_t nivcsw;
};

/* Distinct syscalls kept per thread; the rest share one "other" slot. */
#define THREAD_SYSCALL_SLOTS 16

/* One syscall's share of one thread's calls. */
struct thread_syscall {
	int32_t nr; /* -1: every syscall that did not fit */
	uint32_t score; /* calls, plus what the slot's last owner had: for eviction only */
	uint32_t calls;
	uint32_t blocking;
	uint32_t eagain;
	uint64_t blocked_ns;
};

/* Who woke a thread from its blocking calls, per waking process. */
#define THREAD_WAKER_SLOTS 6

struct waker_stat {
	uint32_t tgid; /* 0: an interrupt (comm names it); UINT32_MAX: the others */
	uint32_t kind; /* enum waker_kind */
	char comm[BLOCKSCOPE_COMM_LEN];
	uint64_t wakeups;
	uint64_t blocked_ns; /* the blocked time those wakeups ended */
};

/*
 * Who ended a blocking call's last sleep, as the report names it (counts
 * left at zero): the waking task's process and group name; or, for a
 * wakeup in an interrupt, tgid 0 and the interrupt's name ("timer",
 * "softirq:net"...), since the task it interrupted was only a bystander.
 * A network softirq run inside a task's send (loopback delivers the packet
 * there) is charged to that task, the sender.
 */
void waker_of_call(const struct call_record *c, struct waker_stat *who);
/* "task", "timer", "hardirq", "softirq", "nmi", "net-sender". */
const char *waker_kind_name(uint32_t kind);
/* Adds one waker's share into a small table (by tgid and comm); the last slot takes the rest. */
void waker_add(struct waker_stat *table, int *n, int cap, const struct waker_stat *who,
	       uint64_t wakeups, uint64_t blocked_ns);

/* A signal-interrupted call waiting to see whether it is restarted. */
struct pending_restart {
	bool active;
	struct call_record call;
};

/*
 * What has been counted of the kernel's aggregated calls: for each slot, the
 * running totals taken from the last two snapshots (a generation that ended
 * in the kernel may still be on its way through the ring when the next
 * snapshot is read), and the newest generation known to have ended.
 */
struct agg_taken {
	bool valid;
	struct agg_counts c;
};

struct agg_seen {
	struct agg_taken taken[AGG_SLOTS][2];
	uint32_t ended_before[AGG_SLOTS]; /* generations below this have ended */
};

/*
 * A thread's recent blocking waits: what a waker had waited for just before
 * it woke another. The waiter's record can come long after its wakeup (it
 * leaves at its sys_exit, after its wait on a run queue), and by then the
 * waker may have waited many times more: an Apache event listener, which
 * waits every ~0.1 ms, pushed the wait before a wakeup out of a ring of 4
 * in 2 of 3 such cases under ab, and the waiter was judged without it (the
 * cautious reading, contention). 64 cover a waiter's few ms on a run queue
 * (a power of two: recent_next wraps at 256). 16 bytes each.
 */
#define THREAD_RECENT_WAITS 64

struct wait_mark {
	uint64_t woken_ns; /* when that wait ended */
	int32_t nr;	   /* in which syscall */
	uint8_t cls;	   /* enum wait_class */
	bool mutex;	   /* a glibc mutex taken on the way (WAIT_MUTEX) */
};

/* The futex objects (64-byte blocks) a thread waited on most: threads that share one form a pool. */
#define THREAD_FUTEX_SLOTS 8

struct futex_home {
	uint64_t uaddr;
	uint64_t score; /* blocked ns, plus what the slot's last owner had: for eviction only */
	uint64_t blocked_ns;
	uint64_t class_ns[CLASS_COUNT]; /* the same, by the class each wait was given */
	/* Waits for a job: ended by a thread handing work over, or none came all trace (a queue). */
	uint64_t for_work_ns;
	uint64_t mutex_ns;		/* waits for it as a glibc mutex (FUTEX_WAIT on 2) */
	/* Waits ended by a thread that waits on the same word too, not as a mutex: a GIL passed round. */
	uint64_t passed_ns;
	/*
	 * The 8 bytes its latest wait other than as a mutex was on: a glibc
	 * condition variable's two futex words (__g_signals) sit in one such
	 * unit, and two objects in one block (a queue's condition and its
	 * neighbour's) do not.
	 */
	uint64_t word;
	bool shared;			/* found shared with another group: booked as sync */
};

/*
 * One blocking wait of a thread in the window, as occupancy.c needs it: a
 * pool thread is busy from the end of a wait for work to the start of the
 * next, and a job's WT, sync and run-queue are the waits in between.
 */
struct wait_span {
	uint64_t start_ns; /* the call's entry (--sched-only: its first sleep) */
	uint64_t end_ns;   /* its last wakeup (a cut call: the window's end) */
	uint64_t blocked_ns, runq_ns;
	uint64_t futex_word; /* a futex wait's 8 bytes: rebooked as sync if found a shared lock */
	uint32_t calls;	     /* repeats folded into the record (--sched-only) */
	uint8_t cls;	     /* enum wait_class */
};

/* A thread's waits of the window, in the order their records came. */
struct wait_spans {
	struct wait_span *v;
	uint32_t n, cap;
	/* Out of room from this time on (0: never): occupancy is measured up to it. */
	uint64_t full_ns;
};

/* Waits kept per thread and for the whole account in one window (past them: full_ns). */
#define THREAD_MAX_SPANS (1u << 16)
#define ACCOUNT_MAX_SPANS (1u << 20)

/* CPUs a thread may run on, as a bit set (CPUs past 1024 are not told apart). */
#define THREAD_CPU_WORDS 16

/* A group's name: a thread name without its digits, or a role given by behaviour. */
#define GROUP_NAME_LEN 40

/* What a group of threads is, for the report and the sizing (see roles.c). */
enum thread_role {
	ROLE_POOL = 0, /* threads doing the work: sized */
	ROLE_MAIN,     /* a process's main thread that only starts, joins or sleeps */
	ROLE_RUNTIME,  /* a runtime's service threads (JVM GC and compilers...): not sized */
	/*
	 * One thread per connection that hands each request to a pool and
	 * waits for its result: as many as there are connections, not sized.
	 */
	ROLE_CONNECTION,
	/*
	 * An event loop: one thread that waits for new work in a readiness
	 * call and serves many sources of work (loops.c). More threads cannot
	 * be added to it: judged by its turns and what blocks it, never sized.
	 */
	ROLE_LOOP,
};

/* The kernel's running totals as last seen in a thread record. */
struct thread_seen {
	uint64_t blocked_ns, blocked_outside_ns, tp_oncpu_ns, tp_runq_ns;
	uint32_t voluntary, involuntary;
};

struct thread_stats {
	uint32_t tid; /* 0 for an aggregate of retired threads */
	uint32_t retired; /* threads folded into this aggregate entry */
	uint32_t tgid;
	/* The seq of its process's entry when it was first seen (0: none then). */
	uint32_t process_seq;
	char comm[BLOCKSCOPE_COMM_LEN];
	bool born;	   /* created while we traced it */
	bool exited;	   /* died while we traced it */
	bool have_base;	   /* base counters known */
	bool have_end;	   /* end counters known */
	bool sleeping_at_stop;
	/* When the final snapshot closed this thread's window (0: not yet). */
	uint64_t final_ns;
	long current_nr; /* the syscall it was in at the last snapshot, or -1 */
	bool base_from_proc; /* else zero at birth */
	bool end_from_proc;  /* else read in BPF at its final switch-out */
	struct thread_counters base;
	struct thread_counters end;
	uint64_t blocked_ns;	     /* voluntary switch-out to wakeup */
	uint64_t blocked_outside_ns; /* of which outside any syscall */
	uint64_t voluntary;	     /* switch-outs, by the kernel's rule */
	uint64_t involuntary;
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t tp_oncpu_ns; /* by tracepoint clock, for --verify */
	uint64_t tp_runq_ns;
	uint64_t calls;
	uint64_t blocking_calls;
	uint64_t eagain_calls;
	uint64_t class_blocked_ns[CLASS_COUNT];
	uint64_t reason_blocked_ns[WAIT_REASON_COUNT]; /* the same time, by why (waits.h) */
	struct wait_mark recent[THREAD_RECENT_WAITS]; /* a ring, newest at recent_next - 1 */
	uint8_t recent_next;
	uint8_t last_reason; /* enum wait_reason of its latest blocking call judged (loops.c) */
	struct futex_home futexes[THREAD_FUTEX_SLOTS];
	/* Its CPU affinity, last read from /proc (at first sight and each report). */
	uint64_t cpus[THREAD_CPU_WORDS];
	bool cpus_known;
	/* Given by roles_assign() before each report: its group and what that group is. */
	char group[GROUP_NAME_LEN];
	uint8_t role; /* enum thread_role */
	bool unnamed; /* one of several threads called like their process (roles.c) */
	uint8_t runtime; /* its process's enum process_runtime when the thread was first seen */
	struct thread_syscall syscalls[THREAD_SYSCALL_SLOTS + 1];
	int nsyscalls;
	struct waker_stat wakers[THREAD_WAKER_SLOTS];
	int nwakers;
	struct pending_restart pending;
	struct thread_seen seen;
	struct agg_seen *agg; /* made at its first RECORD_AGG, freed at its death */
	struct wait_spans spans; /* its blocking waits in the window, for occupancy.c */
	/* At the last snapshot, with current_nr >= 0: when that call began (0: not known). */
	uint64_t call_enter_ns;
};

/* A range of addresses [lo, hi). */
struct addr_range {
	uint64_t lo, hi;
};

/* The static data ranges kept of a process (its images' writable data and bss). */
#define PROCESS_STATIC_RANGES 64

/* Room for a process's pool-setting variables, and for its command line (cut past it). */
#define PROCESS_SETTINGS_LEN 256

struct process_stats {
	uint32_t tgid;
	uint32_t seq; /* which process on that PID: one that reuses it gets a later seq */
	uint32_t parent_tgid;
	char comm[BLOCKSCOPE_COMM_LEN];
	bool came; /* forked while we traced (in this interval) */
	bool followed; /* forked at any time since tracing began: kept across intervals */
	bool went; /* exited while we traced */
	int exit_code;
	uint8_t runtime; /* enum process_runtime (runtime_kind.h), probed before each report */
	/*
	 * Node.js only, read before each report (runtime_probe.c): its images'
	 * static data. roles.c tells libuv's pool, whose queue is a static of
	 * libuv, from V8's platform workers, whose queue is on the heap.
	 */
	struct addr_range statics[PROCESS_STATIC_RANGES];
	uint8_t nstatics;
	/*
	 * What the pool settings of its runtime are set to, where the process
	 * says (runtime_settings(): read with its runtime): the variables of
	 * its environment that size a pool ("UV_THREADPOOL_SIZE=3"), then its
	 * command line, NUL-separated words in both; setting.c reads them.
	 */
	char settings_env[PROCESS_SETTINGS_LEN];
	char settings_cmdline[PROCESS_SETTINGS_LEN];
	bool settings_read;
};

/*
 * A stage that wants the records as the account takes them: each finished
 * call once accounted (with its thread), each scheduling record (--timeline).
 * Either hook may be NULL.
 */
struct account_observer {
	void (*on_call)(void *ctx, const struct call_record *c, const struct thread_stats *t);
	/*
	 * A call cut by the window (CALL_BEGAN_BEFORE, CALL_IN_PROGRESS): not a
	 * complete call, but where a loop's turn begins or ends (loops.c).
	 */
	void (*on_cut_call)(void *ctx, const struct call_record *c, const struct thread_stats *t);
	void (*on_sched)(void *ctx, const struct sched_record *r);
	/* Records the model does not read itself (RECORD_USTACK), with their size. */
	void (*on_other)(void *ctx, const void *data, size_t size);
	void *ctx;
};

#define ACCOUNT_MAX_OBSERVERS 8

/*
 * Past this many dead threads kept one by one, dead threads are folded into
 * one entry per thread group, so a thread-churning target keeps memory flat.
 */
#define ACCOUNT_MAX_EXITED_THREADS 1024

struct account {
	struct class_overrides overrides;
	struct syscall_stats syscalls[SYSCALL_MAX_NR + 1];
	struct thread_stats *threads;
	size_t nthreads, threads_cap;
	/* open addressing: tid -> 1 + index into threads (0 = empty) */
	uint32_t *index;
	size_t index_cap;
	struct process_stats *processes;
	size_t nprocesses, processes_cap;
	uint32_t process_seqs; /* the last seq given */
	size_t nexited; /* exited threads still kept one by one */
	uint64_t retired_threads;
	/* The stages that take records as they are accounted (--stacks, --timeline, ...). */
	struct account_observer observers[ACCOUNT_MAX_OBSERVERS];
	int nobservers;
	/*
	 * What an fd of a traced process is (an accepted connection, one it
	 * opened, a pipe...): the tracing layer answers from /proc; NULL: unknown.
	 */
	enum fd_kind (*fd_kind_of)(void *ctx, uint32_t tgid, int fd, const struct call_record *c);
	void *fd_ctx;
	uint64_t late_calls; /* ended after the final snapshot: not counted twice */
	uint64_t kernel_counted_calls; /* non-blocking calls that came counted, not one by one */
	uint64_t records;
	uint64_t malformed;
	size_t nspans; /* wait spans kept by every thread (ACCOUNT_MAX_SPANS) */
	/* Threads folded into an aggregate (ACCOUNT_MAX_EXITED_THREADS): their waits are gone. */
	uint64_t spans_retired;
};

/* Time in a syscall's complete calls: measured, plus an estimate for the untimed. */
uint64_t syscall_time_ns(const struct syscall_stats *s);
/* Whether syscall_time_ns() holds an estimate. */
bool syscall_time_estimated(const struct syscall_stats *s);

int account_init(struct account *a, const struct class_overrides *ov);
/* Frees what a holds; a zeroed account (never initialised) is fine too. */
void account_free(struct account *a);
/* Adds a stage to the observers; -1 when there are ACCOUNT_MAX_OBSERVERS already. */
int account_observe(struct account *a, const struct account_observer *o);

/* Finds the live entry of tid, or makes one. NULL only when out of memory. */
struct thread_stats *account_thread(struct account *a, uint32_t tid, uint32_t tgid);
struct thread_stats *account_find_thread(const struct account *a, uint32_t tid);
struct process_stats *account_process(struct account *a, uint32_t tgid);

/* Decodes one record from the kernel; -1 if it is malformed. */
int account_record(struct account *a, const void *data, size_t size);

void account_call(struct account *a, const struct call_record *c);
/* Non-blocking calls the kernel counted: an ended generation, or a running total. */
void account_agg(struct account *a, const struct agg_record *r);
void account_thread_record(struct account *a, const struct thread_record *r);
void account_fork(struct account *a, const struct fork_record *r);
void account_process_exit(struct account *a, const struct process_exit_record *r);
/* A thread's new name: its group while the trace runs (roles use the name at the report). */
void account_rename(struct account *a, const struct rename_record *r);

void account_set_base(struct account *a, uint32_t tid, uint32_t tgid,
		      const struct thread_counters *c);
void account_set_end(struct account *a, uint32_t tid, const struct thread_counters *c);
/* Closes what is pending (interrupted calls never restarted). */
void account_finish(struct account *a);
/*
 * Starts a new interval (--interval): the counts go back to zero, each live
 * thread's base becomes its last end, and dead threads and processes that
 * went are forgotten.
 */
void account_start_interval(struct account *a);

/* Per-thread figures, from the kernel's counters where they exist. */
uint64_t thread_oncpu_ns(const struct thread_stats *t);
uint64_t thread_runq_ns(const struct thread_stats *t);
/* Blocked time that a unit of work waits: the WT of the sizing formula. */
uint64_t thread_wait_ns(const struct thread_stats *t);

int hist_slot(uint64_t ns);

/* What a thread does by itself, by blocked time (event loop, backend...); WAIT_REASON_COUNT: none. */
enum wait_reason thread_main_reason(const struct thread_stats *t);
/* The futex address it waited on longest (0: none): a pool's threads share theirs. */
uint64_t thread_home_futex(const struct thread_stats *t);

/* A thread's group: its name with the digits taken out ("worker-12" -> "worker-"). */
void group_name(const char *comm, char *out, size_t len);

/* Per-process sums over its threads. */
struct process_totals {
	int threads;
	uint64_t oncpu_ns, runq_ns, blocked_ns, wait_ns, idle_ns, sync_ns;
	uint64_t calls, blocking_calls, eagain_calls;
};
/* The totals of p's threads: those of its PID, less those of an earlier process on it. */
void process_totals(const struct account *a, const struct process_stats *p,
		    struct process_totals *out);

#endif
