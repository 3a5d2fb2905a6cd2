// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What a wait means: idle (waiting for new work), sync (threads waiting on
 * each other) or WT (a unit of work waiting for a result), from the syscall,
 * the fd it waits on, and who ended the wait. Pure: the account gathers the
 * facts, this decides.
 *
 * A wait between threads (futex, or a pipe or eventfd inside the process)
 * says nothing by its syscall: an idle pool, a lock and a future all park on
 * a futex. Who woke it does, and what that waker had itself waited for just
 * before (one step of wPerf's cascaded wake-up edges, OSDI 2018): a thread
 * just handed a request hands work on (idle); one whose backend call just
 * returned delivers a result (WT); one that had itself waited on its
 * siblings passes a lock or the GIL along (sync).
 */
#include <string.h>
#include "syscalls.h"
#include "waits.h"

static const struct {
	const char *name;
	enum wait_class cls;
	const char *text;
} reasons[WAIT_REASON_COUNT] = {
	[WAIT_EVENT_LOOP] = { "event-loop", CLASS_IDLE, "waits for events (epoll, poll, select)" },
	[WAIT_ACCEPT] = { "accept", CLASS_IDLE, "waits for a new connection" },
	[WAIT_SIGNAL_OR_CHILD] = { "signal-or-child", CLASS_IDLE, "waits for a signal or a child" },
	[WAIT_CLIENT_REQUEST] = { "client-request", CLASS_IDLE,
				  "reads an accepted connection: the client's next request" },
	[WAIT_INPUT] = { "input", CLASS_IDLE, "reads a terminal" },
	[WAIT_TIMED_OUT] = { "timed-out", CLASS_IDLE,
			     "a wait for another thread ended by its timeout: nothing came" },
	[WAIT_HANDED_WORK] = { "handed-work", CLASS_IDLE,
			       "woken by a thread that had just been given work: work handed over" },
	[WAIT_GO_PARK] = { "go-park", CLASS_IDLE,
			   "a Go M parked until the scheduler has a goroutine for it (Ms wake one another as work comes)" },
	[WAIT_BACKEND] = { "backend", CLASS_WAIT, "I/O on a connection it opened (a backend)" },
	[WAIT_PEER_TAKES] = { "peer-takes", CLASS_WAIT, "a write waiting for the peer to take data" },
	[WAIT_FILE_IO] = { "file-io", CLASS_WAIT, "file or device I/O" },
	[WAIT_SLEEP] = { "sleep", CLASS_WAIT, "sleeps" },
	[WAIT_RESULT] = { "result", CLASS_WAIT,
			  "woken by a thread that had waited on I/O: a result came" },
	[WAIT_FROM_OUTSIDE] = { "outside", CLASS_WAIT,
				"a wait for another thread ended by another process or a device" },
	[WAIT_OTHER] = { "other", CLASS_WAIT, "other syscalls" },
	[WAIT_MUTEX] = { "mutex", CLASS_SYNC, "a contended mutex (glibc, Go runtime)" },
	[WAIT_SIBLING] = { "sibling", CLASS_SYNC,
			   "woken by a thread of its own group that had waited on others: contention" },
	[WAIT_THREADS_UNKNOWN] = { "unknown-waker", CLASS_SYNC,
				   "waits for another thread; who woke it is not known" },
	[WAIT_SHARED_LOCK] = { "shared-lock", CLASS_SYNC,
			       "a futex that threads of several groups wait on: a lock they share (a GIL)" },
	[WAIT_MMAP_LOCK] = { "mmap-lock", CLASS_SYNC,
			     "maps or unmaps memory and was woken by a thread of its own process: the address-space lock (mmap_lock) its threads share" },
	[WAIT_CUT_IDLE] = { "cut-idle", CLASS_IDLE,
			    "still waiting at the stop: as its last wait in that call; a wait on threads nothing ended is idle" },
	[WAIT_CUT_WAIT] = { "cut-wait", CLASS_WAIT,
			    "still waiting at the stop: as its last wait in that call; a wait on threads nothing ended is idle" },
	[WAIT_CUT_SYNC] = { "cut-sync", CLASS_SYNC,
			    "still waiting at the stop: as its last wait in that call; a wait on threads nothing ended is idle" },
	[WAIT_OVERRIDE_IDLE] = { "override", CLASS_IDLE, "--class" },
	[WAIT_OVERRIDE_WAIT] = { "override", CLASS_WAIT, "--class" },
	[WAIT_OVERRIDE_SYNC] = { "override", CLASS_SYNC, "--class" },
};

enum wait_class wait_reason_class(enum wait_reason r)
{
	return r < WAIT_REASON_COUNT ? reasons[r].cls : CLASS_WAIT;
}

const char *wait_reason_name(enum wait_reason r)
{
	return r < WAIT_REASON_COUNT ? reasons[r].name : "?";
}

const char *wait_reason_text(enum wait_reason r)
{
	return r < WAIT_REASON_COUNT ? reasons[r].text : "?";
}

/* Syscall names, looked up once: the judgement runs for every blocking call. */
enum named_call {
	NC_EPOLL_WAIT, NC_EPOLL_PWAIT, NC_EPOLL_PWAIT2, NC_POLL, NC_PPOLL, NC_SELECT, NC_PSELECT6,
	NC_ACCEPT, NC_ACCEPT4, NC_PAUSE, NC_RT_SIGSUSPEND, NC_RT_SIGTIMEDWAIT, NC_WAIT4, NC_WAITID,
	NC_READ, NC_READV, NC_PREAD64, NC_PREADV, NC_RECVFROM, NC_RECVMSG, NC_RECVMMSG,
	NC_WRITE, NC_WRITEV, NC_PWRITE64, NC_SENDTO, NC_SENDMSG, NC_SENDMMSG, NC_SENDFILE,
	NC_NANOSLEEP, NC_CLOCK_NANOSLEEP, NC_FUTEX, NC_FUTEX_WAITV,
	NC_MMAP, NC_MUNMAP, NC_MPROTECT, NC_MREMAP, NC_BRK, NC_MADVISE, NC_COUNT,
};

static const char *const call_names[NC_COUNT] = {
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select", "pselect6",
	"accept", "accept4", "pause", "rt_sigsuspend", "rt_sigtimedwait", "wait4", "waitid",
	"read", "readv", "pread64", "preadv", "recvfrom", "recvmsg", "recvmmsg",
	"write", "writev", "pwrite64", "sendto", "sendmsg", "sendmmsg", "sendfile",
	"nanosleep", "clock_nanosleep", "futex", "futex_waitv",
	"mmap", "munmap", "mprotect", "mremap", "brk", "madvise",
};

static int named(long nr)
{
	static long numbers[NC_COUNT];
	static bool known;
	int i;

	if (!known) {
		for (i = 0; i < NC_COUNT; i++)
			numbers[i] = syscall_number(call_names[i]);
		known = true;
	}
	for (i = 0; nr >= 0 && i < NC_COUNT; i++)
		if (numbers[i] == nr)
			return i;
	return -1;
}

static bool is_read(int c)
{
	return c >= NC_READ && c <= NC_RECVMMSG;
}

static bool is_write(int c)
{
	return c >= NC_WRITE && c <= NC_SENDFILE;
}

/* Calls that take the process's address-space lock (mmap_lock) for writing, or read it to fault. */
static bool maps_memory(int c)
{
	return c >= NC_MMAP && c <= NC_MADVISE;
}

bool wait_needs_fd(long nr)
{
	int c = named(nr);

	return is_read(c) || is_write(c);
}

/* include/uapi/linux/futex.h */
#define FUTEX_CMD_MASK 0x7f /* without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
#define FUTEX_WAIT 0
#define FUTEX_LOCK_PI 6
#define FUTEX_LOCK_PI2 13
/* The value a contended glibc lowlevellock (and Go's runtime lock) sleeps on. */
#define LOCK_CONTENDED 2

static enum wait_reason from_override(long nr, const struct class_overrides *ov, bool *found)
{
	int i;

	*found = false;
	for (i = 0; ov && i < ov->count; i++)
		if (ov->nr[i] == nr) {
			*found = true;
			return ov->cls[i] == CLASS_IDLE ? WAIT_OVERRIDE_IDLE :
			       ov->cls[i] == CLASS_SYNC ? WAIT_OVERRIDE_SYNC :
							  WAIT_OVERRIDE_WAIT;
		}
	return WAIT_OTHER;
}

/* A futex, or a read of a pipe or eventfd: a wait for another thread or process. */
static bool waits_on_threads(const struct wait_facts *f)
{
	int c = named(f->nr);

	return c == NC_FUTEX || c == NC_FUTEX_WAITV || (is_read(c) && f->fd == FD_IPC);
}

/*
 * A wait with no waker yet, still going on at the stop: as its last wait in
 * that call; else a wait for another thread that nothing ended all window
 * long is idle (nothing came), and any other goes by its syscall.
 */
static enum wait_reason cut_short(const struct wait_facts *f)
{
	enum wait_class like = f->cut_known	 ? f->cut_like :
			       waits_on_threads(f) ? CLASS_IDLE :
						   syscall_class(f->nr, NULL);

	return like == CLASS_IDLE ? WAIT_CUT_IDLE : like == CLASS_SYNC ? WAIT_CUT_SYNC : WAIT_CUT_WAIT;
}

/* A wait for another thread: judged by who ended it and what that one had waited for. */
static enum wait_reason between_threads(const struct wait_facts *f)
{
	if (f->cut)
		return cut_short(f);
	if (f->waker_kind == WAKER_TIMER)
		return WAIT_TIMED_OUT;
	if (f->waker_unknown)
		return WAIT_THREADS_UNKNOWN;
	if (!f->waker_in_process)
		return WAIT_FROM_OUTSIDE;
	if (!f->waker_known)
		/* A sibling whose own waits are not known yet: the cautious reading. */
		return f->waker_sibling ? WAIT_SIBLING : WAIT_HANDED_WORK;
	switch (f->waker_last) {
	case CLASS_IDLE:
		/* It had just been given work (a request, a job): it hands work on. */
		return WAIT_HANDED_WORK;
	case CLASS_SYNC:
		/* It had itself waited on others: a lock or the GIL passed along. */
		return f->waker_sibling ? WAIT_SIBLING : WAIT_RESULT;
	default:
		/* Its I/O had just returned: it delivers a result, or releases what it held. */
		return f->waker_sibling ? WAIT_SIBLING : WAIT_RESULT;
	}
}

enum wait_reason wait_judge(const struct wait_facts *f)
{
	bool overridden;
	enum wait_reason r = from_override(f->nr, f->overrides, &overridden);
	int c = named(f->nr);

	if (overridden)
		return r;
	switch (c) {
	case NC_EPOLL_WAIT:
	case NC_EPOLL_PWAIT:
	case NC_EPOLL_PWAIT2:
	case NC_POLL:
	case NC_PPOLL:
	case NC_SELECT:
	case NC_PSELECT6:
		return WAIT_EVENT_LOOP;
	case NC_ACCEPT:
	case NC_ACCEPT4:
		return WAIT_ACCEPT;
	case NC_PAUSE:
	case NC_RT_SIGSUSPEND:
	case NC_RT_SIGTIMEDWAIT:
	case NC_WAIT4:
	case NC_WAITID:
		return WAIT_SIGNAL_OR_CHILD;
	case NC_NANOSLEEP:
	case NC_CLOCK_NANOSLEEP:
		return WAIT_SLEEP;
	case NC_FUTEX: {
		unsigned cmd = (unsigned)f->args[1] & FUTEX_CMD_MASK;

		if ((cmd == FUTEX_WAIT && (uint32_t)f->args[2] == LOCK_CONTENDED) ||
		    cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2)
			return WAIT_MUTEX;
		/*
		 * In Go every other futex wait is an M parked (notesleep) for want
		 * of a goroutine to run; Ms wake each other as work comes, so who
		 * woke it says nothing of a result or a lock: goroutines block on
		 * channels and locks without their thread.
		 */
		if (f->go_runtime && !f->cut)
			return WAIT_GO_PARK;
		return between_threads(f);
	}
	case NC_FUTEX_WAITV:
		return between_threads(f);
	default:
		break;
	}
	if (is_read(c)) {
		switch (f->fd) {
		case FD_SERVER_CONN:
			return WAIT_CLIENT_REQUEST;
		case FD_CLIENT_CONN:
			return WAIT_BACKEND;
		case FD_IPC:
			return between_threads(f);
		case FD_FILE:
			return WAIT_FILE_IO;
		case FD_TTY:
			return WAIT_INPUT;
		default:
			return WAIT_OTHER;
		}
	}
	if (is_write(c))
		return f->fd == FD_FILE ? WAIT_FILE_IO : WAIT_PEER_TAKES;
	if (maps_memory(c)) {
		/*
		 * These sleep on the process's mmap_lock (an rw-semaphore) when a
		 * sibling holds it, and the sibling's release wakes them: threads
		 * waiting on each other, as on a mutex (Apache worker's threads
		 * mapping each file served). Woken otherwise (reclaim, I/O of a
		 * populated mapping, a timer) the call waited for the system: WT.
		 */
		if (f->cut)
			return cut_short(f);
		if (f->waker_kind == WAKER_TASK && f->waker_same_process && !f->waker_unknown)
			return WAIT_MMAP_LOCK;
	}
	return WAIT_OTHER;
}
