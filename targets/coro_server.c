#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <ucontext.h>
#include <unistd.h>

static const char about[] =
"Coroutine server: one user-space coroutine (ucontext) per connection,\n"
"all on one epoll loop (thread \"loop\"), like goroutines, Python asyncio\n"
"or C++20 coroutines underneath. The handler reads like blocking code:\n"
"co_read_line(), burn_cpu(), co_backend_call(), co_write(). These do\n"
"non-blocking I/O, and on EAGAIN register interest in the socket and\n"
"swapcontext() back to the scheduler, which resumes the coroutine when\n"
"epoll says the socket is ready. No read ever blocks the thread: only\n"
"epoll_wait does.\n"
"--mode block: the seeds' lesson, the other way. Each coroutine makes\n"
"its backend call as a plain blocking client would (the backend socket\n"
"in blocking mode, recv() until DONE): no yield, so the thread, and\n"
"every coroutine on it, waits in recvfrom for the backend. blockscope\n"
"shows the loop blocked in recvfrom (backend); --mode yield (the\n"
"default) is the healthy loop.";

/* The handler's frames plus libc's; generous, as sanitizers need more. */
#define STACK_SIZE (128 * 1024)

struct coro {
	ucontext_t ctx;
	void *stack;
	int client_fd, backend_fd;
	bool finished;
	struct list all;	/* in coros, or in finished until freed */
};

static ucontext_t scheduler;
static struct coro *current;
static struct list coros, finished;
static int epfd;
static bool block_mode; /* --mode block: backend calls block the thread */

/* Parks the running coroutine until @fd is ready for @events. */
static void co_wait(int fd, uint32_t events)
{
	ep_ctl(epfd, EPOLL_CTL_MOD, fd, events | EPOLLONESHOT, current);
	swapcontext(&current->ctx, &scheduler);
}

/* read_line() from common.c, with "wait for epoll" instead of blocking. */
static int co_read_line(int fd, struct linebuf *lb, char *line)
{
	for (;;) {
		int r = linebuf_take(lb, line);
		ssize_t n;

		if (r)
			return r;
		n = linebuf_fill(fd, lb);
		if (n == 0)
			return 0;
		if (n < 0 && errno == EAGAIN)
			co_wait(fd, EPOLLIN);
		else if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int co_write(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EAGAIN) {
			co_wait(fd, EPOLLOUT);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int co_backend_call(int fd, struct linebuf *lb, long wait_us)
{
	char buf[LINE_SIZE];

	if (co_write(fd, buf, format_wait(buf, wait_us)) < 0)
		return -1;
	if (co_read_line(fd, lb, buf) <= 0 || strcmp(buf, "DONE"))
		return -1;
	return 0;
}

/*
 * --mode block: the backend call a sync client makes from async code. It
 * never yields: recv() sleeps in the kernel, and the scheduler with it.
 */
static int blocking_backend_call(int fd, struct linebuf *lb, long wait_us)
{
	char buf[LINE_SIZE];
	ssize_t n;
	int r;

	if (write_all(fd, buf, format_wait(buf, wait_us)) < 0)
		return -1;
	for (;;) {
		r = linebuf_take(lb, buf);
		if (r)
			return r > 0 && !strcmp(buf, "DONE") ? 0 : -1;
		if (lb->len == sizeof(lb->data))
			return -1;
		n = recv(fd, lb->data + lb->len, sizeof(lb->data) - lb->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		lb->len += (size_t)n;
	}
}

/* Compare with serve_blocking() in common.c: the same code, line for line. */
static void handle_connection(void)
{
	struct linebuf in = { 0 }, backend_in = { 0 };
	struct coro *co = current;
	char line[LINE_SIZE];
	long cpu_us, wait_us;

	while (co_read_line(co->client_fd, &in, line) > 0) {
		if (!parse_req(line, &cpu_us, &wait_us))
			break;
		burn_cpu(cpu_us);
		if (wait_us && (block_mode ? blocking_backend_call(co->backend_fd, &backend_in, wait_us) :
					     co_backend_call(co->backend_fd, &backend_in, wait_us)) < 0)
			break;
		if (co_write(co->client_fd, "OK\n", 3) < 0)
			break;
	}
	co->finished = true;
	/* Returning switches to uc_link: the scheduler. */
}

/*
 * Runs @co until it waits or ends. An ended coroutine is freed only after
 * the batch of events, which may hold another one for it.
 */
static void resume(struct coro *co)
{
	if (co->finished)
		return;
	current = co;
	swapcontext(&scheduler, &co->ctx);
	current = NULL;
	if (co->finished) {
		close(co->client_fd);
		close(co->backend_fd);
		list_del(&co->all);
		list_add_tail(&co->all, &finished);
	}
}

static void free_coros(struct list *l)
{
	while (!list_empty(l)) {
		struct coro *co = container_of(l->next, struct coro, all);

		if (!co->finished) {
			close(co->client_fd);
			close(co->backend_fd);
		}
		list_del(&co->all);
		free(co->stack);
		free(co);
	}
}

static void spawn(int cfd, int bfd)
{
	struct coro *co = calloc(1, sizeof(*co));

	if (!co || !(co->stack = malloc(STACK_SIZE)))
		die("out of memory");
	co->client_fd = cfd;
	co->backend_fd = bfd;
	if (block_mode)
		fcntl(bfd, F_SETFL, fcntl(bfd, F_GETFL) & ~O_NONBLOCK);
	getcontext(&co->ctx);
	co->ctx.uc_stack.ss_sp = co->stack;
	co->ctx.uc_stack.ss_size = STACK_SIZE;
	co->ctx.uc_link = &scheduler;
	makecontext(&co->ctx, handle_connection, 0);
	list_add_tail(&co->all, &coros);
	/* Registered but disarmed: co_wait() arms one socket at a time. */
	ep_ctl(epfd, EPOLL_CTL_ADD, cfd, EPOLLONESHOT, co);
	ep_ctl(epfd, EPOLL_CTL_ADD, bfd, EPOLLONESHOT, co);
	resume(co);
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 30, .mode = "yield", .modes = "yield or block" };
	struct epoll_event evs[64];
	int lfd, cfd, bfd, i, n;

	parse_opts(argc, argv, OPT_LISTEN | OPT_BACKEND | OPT_MODE, about, &o);
	if (strcmp(o.mode, "yield") && strcmp(o.mode, "block")) {
		fprintf(stderr, "coro_server: --mode is yield or block\n");
		return 2;
	}
	block_mode = !strcmp(o.mode, "block");
	set_thread_name("loop", -1);
	stop_init(o.seconds);
	list_init(&coros);
	list_init(&finished);
	lfd = listen_local(o.port);
	set_nonblock(lfd);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	ep_ctl(epfd, EPOLL_CTL_ADD, lfd, EPOLLIN, NULL);
	announce(lfd);

	while (!stop_requested) {
		/* The timeout only bounds how late we notice a stop signal. */
		n = epoll_wait(epfd, evs, 64, 200);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr)
				resume(evs[i].data.ptr);
			else
				while ((cfd = accept_with_backend(lfd, o.backend_port, &bfd)) >= 0)
					spawn(cfd, bfd);
		}
		free_coros(&finished);
	}

	free_coros(&coros);
	close(epfd);
	close(lfd);
	return 0;
}
