/*
 * Shared helpers for the sample workloads: options, shutdown, threads,
 * loopback sockets, the line protocol, CPU burning and a job queue.
 * Keeping them here lets each program show only its concurrency model.
 *
 * Include this header before any system header: it asks glibc for the
 * GNU extensions (pthread_setname_np, accept4, program_invocation_name).
 */
#ifndef TARGETS_COMMON_H
#define TARGETS_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Requests are tiny; a longer line means the peer is not speaking it. */
#define LINE_SIZE	64
/* Enough for many pipelined requests; more than that is treated as abuse. */
#define LINEBUF_SIZE	4096
/* The largest cpu_us or wait_us accepted, so one request cannot hog us. */
#define MAX_US		10000000L

/* ---- options ---- */

enum {
	OPT_LISTEN	= 1 << 0,	/* --port: where a server listens */
	OPT_CONNECT	= 1 << 1,	/* --port: the server loadgen drives */
	OPT_BACKEND	= 1 << 2,	/* --backend-port (required) */
	OPT_THREADS	= 1 << 3,
	OPT_CONNECTIONS	= 1 << 4,
	OPT_CPU_US	= 1 << 5,
	OPT_WAIT_US	= 1 << 6,
	OPT_RATE	= 1 << 7,
	OPT_MODE	= 1 << 8,
	OPT_WARM_UP	= 1 << 9,
};

struct opts {
	double seconds;
	int port;
	int backend_port;
	int threads;
	int connections;
	long cpu_us;
	long wait_us;
	double rate;		/* 0: closed loop */
	double warm_up;		/* seconds before --seconds start counting */
	const char *mode;
	const char *modes;	/* --help's words for --mode (NULL: "sync or async") */
};

/*
 * Fills @o from the command line. The caller sets the defaults in @o
 * first; --seconds and --help are always accepted, the rest only if
 * named in @which. --help prints @about and the options, then exits.
 */
void parse_opts(int argc, char **argv, unsigned int which, const char *about,
		struct opts *o);
/* Prints "name: message" and exits with status 1. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* ---- shutdown ---- */

/* Set by SIGINT, SIGTERM, or SIGALRM when --seconds is over. */
extern volatile sig_atomic_t stop_requested;

/*
 * Installs the stop handlers without SA_RESTART, so that a blocking call
 * in the main thread returns EINTR and the loop around it sees the flag.
 * Arms a timer for @seconds unless it is 0, and ignores SIGPIPE so that a
 * vanished peer is an EPIPE error rather than a dead process.
 */
void stop_init(double seconds);

/* ---- threads ---- */

/*
 * Names the calling thread "@role-@index", or "@role" if @index < 0. The
 * tracer groups threads by name with the digits stripped, so threads of
 * one role must differ only by their number.
 */
void set_thread_name(const char *role, int index);
/*
 * Starts a thread, named as above before it runs any code. The stop
 * signals are blocked in it, so they always interrupt the main thread,
 * which owns the shutdown.
 */
void start_thread(pthread_t *t, const char *role, int index,
		  void *(*fn)(void *), void *arg);

/* ---- time and work ---- */

uint64_t now_ns(void);		/* CLOCK_MONOTONIC */
/* Sleeps until @t (now_ns() clock) in slices, returning early on stop. */
void sleep_until(uint64_t t);
/* Spends @us microseconds on the CPU: thread CPU time, not wall time. */
void burn_cpu(long us);

/* ---- sockets, all on 127.0.0.1 ---- */

int listen_local(int port);	/* exits on failure */
/* Prints the first line "NAME pid=PID port=PORT" that the tests parse. */
void announce(int listen_fd);
/* A connected TCP socket in blocking mode, or -1 with errno set. */
int connect_local(int port);
/* Waits up to 200 ms for a client; -1 on timeout, signal or error. */
int accept_client(int listen_fd);
/*
 * For event loops: accepts a pending client and opens a backend
 * connection of its own, both non-blocking. Returns the client's fd and
 * the backend's in *@bfd, or -1 once no client is pending.
 */
int accept_with_backend(int listen_fd, int backend_port, int *bfd);
void set_nonblock(int fd);
/* Sets a receive timeout so that a hung peer cannot block us for ever. */
void set_recv_timeout(int fd, int seconds);
/* Blocking fds: writes everything. 0 or -1. */
int write_all(int fd, const char *buf, size_t len);
/*
 * Writes a whole message without blocking, or fails. Our messages are a
 * few bytes answered one at a time, so a full socket buffer means the
 * peer stopped reading: such a peer is dropped rather than buffered for.
 */
int send_nb(int fd, const char *buf, size_t len);
int ep_ctl(int epfd, int op, int fd, uint32_t events, void *ptr);

/* ---- the line protocol ---- */

struct linebuf {
	size_t len;
	char data[LINEBUF_SIZE];
};

/*
 * One read() into @lb: >0 bytes read, 0 at end of file, -1 on error with
 * errno (EAGAIN on an empty non-blocking socket, EMSGSIZE if @lb is full).
 */
ssize_t linebuf_fill(int fd, struct linebuf *lb);
/*
 * Non-blocking fds: reads until EAGAIN, as edge-triggered epoll requires
 * (no new event comes for data left unread). 0, or -1 at end of file or
 * on error.
 */
int linebuf_drain(int fd, struct linebuf *lb);
/* Moves one line out of @lb into @line (no '\n'): 1, 0 if none, -1 if too long. */
int linebuf_take(struct linebuf *lb, char *line);
/* Blocking fds: 1 with a line in @line, 0 at end of file, -1 on error. */
int read_line(int fd, struct linebuf *lb, char *line);

/* "REQ <cpu_us> <wait_us>" */
bool parse_req(const char *line, long *cpu_us, long *wait_us);
/* "WAIT <us>" */
bool parse_wait(const char *line, long *us);
/* Formats "WAIT <us>\n" into @buf (LINE_SIZE), returns its length. */
size_t format_wait(char *buf, long us);

/* Blocking: sends WAIT, then sleeps in recv() until DONE. 0 or -1. */
int backend_call(int fd, struct linebuf *lb, long wait_us);
/*
 * The blocking servers' per-connection loop: read a request, burn its
 * CPU, make its backend call, answer OK; until the client hangs up.
 */
void serve_blocking(int client_fd, int backend_fd);

/* ---- an intrusive list and a mutex/condvar queue on it ---- */

struct list {
	struct list *next, *prev;
};

static inline void list_init(struct list *h)
{
	h->next = h->prev = h;
}

static inline bool list_empty(const struct list *h)
{
	return h->next == h;
}

static inline void list_add_tail(struct list *n, struct list *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	struct list items;
	bool closed;
};

void queue_init(struct queue *q);
void queue_push(struct queue *q, struct list *item);
/* Waits for an item; NULL once the queue is closed. */
struct list *queue_pop(struct queue *q);
/* Wakes every waiter; queue_pop returns NULL from now on. */
void queue_close(struct queue *q);

#endif
