#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char about[] =
"Fixed thread pool server. The main thread (\"acceptor\") owns an epoll\n"
"set with the listening socket and the idle client connections\n"
"(EPOLLONESHOT). When a client is readable it reads the request and\n"
"queues a job on a mutex/condvar queue. One of --threads workers\n"
"(\"worker-N\") takes it, burns its CPU, makes a blocking backend call on\n"
"its own backend connection, writes OK and re-arms the client in the\n"
"epoll set. A worker is busy for cpu_us + wait_us per request, so N\n"
"workers serve at most N / (cpu_us + wait_us) requests per second: the\n"
"ratio wait/cpu tells how many workers keep a CPU busy.";

/*
 * A connection is either in the epoll set or in the hands of one worker,
 * never both (EPOLLONESHOT), so the job it queues can live inside it.
 * Only the acceptor closes and frees connections; a worker that gives up
 * on one shuts the socket down, so the acceptor sees end-of-file.
 */
struct conn {
	int fd;
	struct linebuf in;
	long cpu_us, wait_us;	/* the queued job */
	struct list job;	/* in the queue */
	struct list all;	/* in the acceptor's list, for the final cleanup */
};

static struct queue jobs;
static int epfd;
static int backend_port;

/* Queues the next buffered request: 1 if queued, 0 if none, -1 if bad. */
static int queue_next(struct conn *c)
{
	char line[LINE_SIZE];
	int r = linebuf_take(&c->in, line);

	if (r <= 0)
		return r;
	if (!parse_req(line, &c->cpu_us, &c->wait_us))
		return -1;
	queue_push(&jobs, &c->job);
	return 1;
}

static void *worker_main(void *arg)
{
	struct linebuf backend_in = { 0 };
	struct list *item;
	int bfd;

	(void)arg;
	bfd = connect_local(backend_port);
	if (bfd < 0)
		die("cannot reach the backend: %s", strerror(errno));
	set_recv_timeout(bfd, 10);
	while ((item = queue_pop(&jobs))) {
		struct conn *c = container_of(item, struct conn, job);

		int r = -1;

		burn_cpu(c->cpu_us);
		if ((!c->wait_us || !backend_call(bfd, &backend_in, c->wait_us)) &&
		    !send_nb(c->fd, "OK\n", 3))
			r = queue_next(c);	/* a pipelined request? */
		if (r > 0)
			continue;	/* queued again: no longer ours to touch */
		if (r < 0)
			shutdown(c->fd, SHUT_RDWR);
		ep_ctl(epfd, EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLONESHOT, c);
	}
	close(bfd);
	return NULL;
}

static void close_conn(struct conn *c)
{
	list_del(&c->all);
	close(c->fd);
	free(c);
}

static void accept_all(int lfd, struct list *conns)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = calloc(1, sizeof(*c));

		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		list_init(&c->job);
		list_add_tail(&c->all, conns);
		ep_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLONESHOT, c);
	}
}

static void client_readable(struct conn *c)
{
	ssize_t n = linebuf_fill(c->fd, &c->in);
	int r;

	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		close_conn(c);
		return;
	}
	r = queue_next(c);
	if (r < 0)
		close_conn(c);
	else if (r == 0)	/* no whole line yet: wait for the rest */
		ep_ctl(epfd, EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLONESHOT, c);
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 30, .threads = 4 };
	struct epoll_event evs[64];
	struct list conns;
	pthread_t *workers;
	int lfd, i, n;

	parse_opts(argc, argv, OPT_LISTEN | OPT_BACKEND | OPT_THREADS, about, &o);
	set_thread_name("acceptor", -1);
	stop_init(o.seconds);
	backend_port = o.backend_port;
	list_init(&conns);
	queue_init(&jobs);
	lfd = listen_local(o.port);
	set_nonblock(lfd);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	workers = calloc((size_t)o.threads, sizeof(*workers));
	if (epfd < 0 || !workers)
		die("setup: %s", strerror(errno));
	ep_ctl(epfd, EPOLL_CTL_ADD, lfd, EPOLLIN, NULL);
	for (i = 0; i < o.threads; i++) {
		start_thread(&workers[i], "worker", i, worker_main, NULL);
	}
	announce(lfd);

	while (!stop_requested) {
		n = epoll_wait(epfd, evs, 64, 200);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr)
				client_readable(evs[i].data.ptr);
			else
				accept_all(lfd, &conns);
		}
	}

	/* Workers finish the job in hand, then see the closed queue. */
	queue_close(&jobs);
	for (i = 0; i < o.threads; i++)
		pthread_join(workers[i], NULL);
	while (!list_empty(&conns))
		close_conn(container_of(conns.next, struct conn, all));
	free(workers);
	close(epfd);
	close(lfd);
	return 0;
}
