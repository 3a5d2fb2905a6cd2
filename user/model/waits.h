/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef WAITS_H
#define WAITS_H

#include <stdbool.h>
#include <stdint.h>
#include "blockscope.h"
#include "classify.h"

/*
 * What a blocked interval waited for, beyond its syscall number: the class
 * that sizing needs (idle: new work; sync: each other; WT: a result) and
 * the reason that gave it, kept for the report, the JSON and -t.
 */
enum wait_reason {
	WAIT_EVENT_LOOP = 0,	  /* idle: epoll_wait, poll, select */
	WAIT_ACCEPT,		  /* idle: a new connection */
	WAIT_SIGNAL_OR_CHILD,	  /* idle: pause, sigsuspend, sigtimedwait, wait4 */
	WAIT_CLIENT_REQUEST,	  /* idle: read of an accepted connection: the client's next request */
	WAIT_INPUT,		  /* idle: read of a terminal */
	WAIT_TIMED_OUT,		  /* idle: a thread wait ended by a timer: nothing came */
	WAIT_HANDED_WORK,	  /* idle: woken by a thread that had just been given work */
	WAIT_GO_PARK,		  /* idle: a Go M parked until the scheduler has a goroutine for it */
	WAIT_BACKEND,		  /* WT: I/O on a connection it opened (a backend, a database) */
	WAIT_PEER_TAKES,	  /* WT: a write waiting for the peer to take the data */
	WAIT_FILE_IO,		  /* WT: file or device I/O */
	WAIT_SLEEP,		  /* WT: nanosleep, clock_nanosleep */
	WAIT_RESULT,		  /* WT: woken by a thread that had waited on I/O: a result came */
	WAIT_FROM_OUTSIDE,	  /* WT: a thread wait ended by another process */
	WAIT_OTHER,		  /* WT: any other syscall (connect, io_uring_enter, ...) */
	WAIT_MUTEX,		  /* sync: a contended glibc (or Go runtime) mutex */
	WAIT_SIBLING,		  /* sync: woken by a thread of its own group that had waited on others */
	WAIT_THREADS_UNKNOWN,	  /* sync: a wait for another thread, whose waker is not known */
	WAIT_SHARED_LOCK,	  /* sync: a futex threads of several groups wait on (a GIL) */
	WAIT_MMAP_LOCK,		  /* sync: mmap, munmap, brk... woken by a sibling: the address-space lock */
	WAIT_CUT_IDLE,		  /* a wait still going on at the stop: as the thread's last in that call */
	WAIT_CUT_WAIT,
	WAIT_CUT_SYNC,
	WAIT_OVERRIDE_IDLE,	  /* --class SYSCALL=idle */
	WAIT_OVERRIDE_WAIT,	  /* --class SYSCALL=wait */
	WAIT_OVERRIDE_SYNC,	  /* --class SYSCALL=sync */
	WAIT_REASON_COUNT,
};

/* What an fd is, as far as its wait is concerned. */
enum fd_kind {
	FD_UNKNOWN = 0,
	FD_SERVER_CONN, /* accepted: TCP whose local port listens, or unix socket of a listener */
	FD_CLIENT_CONN, /* a connection it opened (TCP, UDP, unix with no listener path) */
	FD_IPC,		/* pipe, eventfd, socketpair: between threads or processes */
	FD_FILE,	/* regular file or block device */
	FD_TTY,		/* a terminal */
	FD_OTHER,
};

/* Everything the judgement looks at, gathered by the account for one blocking call. */
struct wait_facts {
	long nr;
	uint64_t args[3];
	enum fd_kind fd; /* of args[0], for the calls that take an fd */
	uint32_t waker_kind; /* enum waker_kind */
	bool waker_unknown;    /* no waker was seen (a task-context wakeup by pid 0, or none) */
	bool waker_in_process; /* a thread of the waiter's own process (or of another traced one) */
	bool waker_same_process; /* a thread of the waiter's own process, strictly */
	bool waker_sibling;    /* ... of its own group (role) */
	bool waker_known;      /* the waker's own last wait before it woke us is known */
	enum wait_class waker_last; /* that wait's class */
	/* A wait still going on when the window closed: no waker yet. */
	bool cut;
	bool cut_known;		    /* the thread's last complete wait in the same call is known */
	enum wait_class cut_like;   /* its class */
	bool go_runtime; /* a Go program: its threads are the scheduler's Ms */
	const struct class_overrides *overrides;
};

enum wait_class wait_reason_class(enum wait_reason r);
/* Short name for JSON ("client-request") and a sentence for the text report. */
const char *wait_reason_name(enum wait_reason r);
const char *wait_reason_text(enum wait_reason r);
/* Whether syscall nr takes an fd as its first argument that says what it waits for. */
bool wait_needs_fd(long nr);
/* The judgement. */
enum wait_reason wait_judge(const struct wait_facts *f);

#endif
