#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

static const char about[] =
"A stand-in database for the servers to call. On \"WAIT <us>\" it answers\n"
"\"DONE\" after <us> microseconds. One thread (\"backend\") runs an epoll\n"
"loop over every client; pending answers sit in a min-heap of deadlines\n"
"and a timerfd fires at the earliest one. Nothing sleeps per request, so\n"
"a caller's wait is real socket I/O: blocked in read(), or an idle\n"
"non-blocking socket in its event loop.";

struct conn {
	int fd;
	unsigned int gen;	/* tells a reused fd from the one a deadline was for */
	struct linebuf in;
};

struct deadline {
	uint64_t due;
	int fd;
	unsigned int gen;
};

static struct conn **conns;	/* indexed by fd */
static int max_fds;
static struct deadline *heap;
static size_t heap_len, heap_cap;

static void heap_swap(size_t a, size_t b)
{
	struct deadline t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
}

static void heap_push(struct deadline d)
{
	size_t i = heap_len++;

	if (heap_len > heap_cap) {
		heap_cap = heap_cap ? 2 * heap_cap : 256;
		heap = realloc(heap, heap_cap * sizeof(*heap));
		if (!heap)
			die("out of memory");
	}
	heap[i] = d;
	while (i && heap[(i - 1) / 2].due > heap[i].due) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_pop(void)
{
	size_t i = 0;

	heap[0] = heap[--heap_len];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < heap_len && heap[l].due < heap[min].due)
			min = l;
		if (r < heap_len && heap[r].due < heap[min].due)
			min = r;
		if (min == i)
			break;
		heap_swap(i, min);
		i = min;
	}
}

static void close_conn(struct conn *c)
{
	conns[c->fd] = NULL;
	close(c->fd);
	free(c);
}

static void accept_all(int epfd, int lfd)
{
	static unsigned int next_gen;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = calloc(1, sizeof(*c));

		if (!c || fd >= max_fds) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->gen = ++next_gen;
		conns[fd] = c;
		ep_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN, c);
	}
}

static void read_requests(struct conn *c)
{
	char line[LINE_SIZE];
	ssize_t n;
	long us;
	int r;

	/* Level-triggered: one read per wakeup is enough, epoll comes back. */
	n = linebuf_fill(c->fd, &c->in);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		close_conn(c);
		return;
	}
	while ((r = linebuf_take(&c->in, line)) > 0) {
		if (!parse_wait(line, &us))
			break;
		heap_push((struct deadline){ now_ns() + (uint64_t)us * 1000,
					     c->fd, c->gen });
	}
	if (r)
		close_conn(c);	/* not our protocol */
}

/* Answers every request that is due, then sets the timer for the next. */
static void answer_due(int tfd)
{
	uint64_t now = now_ns();
	struct itimerspec its = { 0 };

	while (heap_len && heap[0].due <= now) {
		struct conn *c = conns[heap[0].fd];

		/* The client may have gone, and its fd been reused since. */
		if (c && c->gen == heap[0].gen && send_nb(c->fd, "DONE\n", 5))
			close_conn(c);
		heap_pop();
	}
	if (heap_len) {
		its.it_value.tv_sec = (time_t)(heap[0].due / 1000000000u);
		its.it_value.tv_nsec = (long)(heap[0].due % 1000000000u);
	}
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 30 };
	struct epoll_event evs[64];
	int lfd, epfd, tfd, i, n;
	uint64_t expirations;

	parse_opts(argc, argv, OPT_LISTEN, about, &o);
	set_thread_name("backend", -1);
	stop_init(o.seconds);
	max_fds = (int)sysconf(_SC_OPEN_MAX);
	conns = calloc((size_t)max_fds, sizeof(*conns));
	lfd = listen_local(o.port);
	set_nonblock(lfd);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	/* CLOCK_MONOTONIC, the clock of now_ns(), so deadlines are absolute. */
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!conns || epfd < 0 || tfd < 0)
		die("setup: %s", strerror(errno));
	ep_ctl(epfd, EPOLL_CTL_ADD, lfd, EPOLLIN, &lfd);
	ep_ctl(epfd, EPOLL_CTL_ADD, tfd, EPOLLIN, &tfd);
	announce(lfd);

	while (!stop_requested) {
		/* The timeout only bounds how late we notice a stop signal. */
		n = epoll_wait(epfd, evs, 64, 200);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &lfd)
				accept_all(epfd, lfd);
			else if (evs[i].data.ptr == &tfd)
				(void)!read(tfd, &expirations, sizeof(expirations));
			else
				read_requests(evs[i].data.ptr);
		}
		answer_due(tfd);
	}

	for (i = 0; i < max_fds; i++)
		if (conns[i])
			close_conn(conns[i]);
	free(conns);
	free(heap);
	return 0;
}
