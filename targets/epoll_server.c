#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static const char about[] =
"Single-threaded event loop server (thread \"loop\"), the nginx/Redis\n"
"design. Every socket is non-blocking, including the backend connection\n"
"opened for each client connection. Reads loop until EAGAIN; a request\n"
"burns its CPU on the loop thread, then sends WAIT and returns to the\n"
"loop; the backend's DONE arrives as just another epoll event, and only\n"
"then is OK written. Only epoll_wait ever blocks; CPU work delays every\n"
"other connection, so one loop serves at most 1 / cpu_us requests/s.";

/* One socket of a connection; the epoll event points at it. */
struct sock {
	int fd;
	struct conn *conn;
	struct linebuf in;
};

struct conn {
	struct sock client, backend;
	bool waiting;		/* for the backend's DONE */
	bool closed;
	struct list all;	/* in conns, or in closed until freed */
};

static int epfd;
static struct list conns, closed;

/*
 * Closing a socket also takes it out of the epoll set, but the events
 * already returned may still point at the connection: it is freed only
 * once the whole batch of events is handled.
 */
static void close_conn(struct conn *c)
{
	close(c->client.fd);
	close(c->backend.fd);
	c->closed = true;
	list_del(&c->all);
	list_add_tail(&c->all, &closed);
}

static void free_closed(void)
{
	while (!list_empty(&closed)) {
		struct conn *c = container_of(closed.next, struct conn, all);

		list_del(&c->all);
		free(c);
	}
}

/*
 * Serves the buffered requests until one has to wait for the backend.
 * Returns -1 if the connection is to be closed.
 */
static int serve(struct conn *c)
{
	char line[LINE_SIZE];
	long cpu_us, wait_us;
	int r;

	while (!c->waiting && (r = linebuf_take(&c->client.in, line)) != 0) {
		if (r < 0 || !parse_req(line, &cpu_us, &wait_us))
			return -1;
		burn_cpu(cpu_us);
		if (wait_us) {
			if (send_nb(c->backend.fd, line, format_wait(line, wait_us)))
				return -1;
			c->waiting = true;
		} else if (send_nb(c->client.fd, "OK\n", 3)) {
			return -1;
		}
	}
	return 0;
}

static void on_event(struct sock *s)
{
	struct conn *c = s->conn;
	char line[LINE_SIZE];
	int r;

	if (c->closed)
		return;
	if (linebuf_drain(s->fd, &s->in) < 0) {
		close_conn(c);
		return;
	}
	if (s == &c->backend) {
		while ((r = linebuf_take(&s->in, line)) != 0) {
			if (r < 0 || !c->waiting || strcmp(line, "DONE") ||
			    send_nb(c->client.fd, "OK\n", 3)) {
				close_conn(c);
				return;
			}
			c->waiting = false;
		}
	}
	if (serve(c) < 0)
		close_conn(c);
}

static void accept_all(int lfd, int backend_port)
{
	struct conn *c;
	int fd, bfd;

	while ((fd = accept_with_backend(lfd, backend_port, &bfd)) >= 0) {
		c = calloc(1, sizeof(*c));
		if (!c)
			die("out of memory");
		c->client.fd = fd;
		c->client.conn = c;
		c->backend.fd = bfd;
		c->backend.conn = c;
		list_add_tail(&c->all, &conns);
		ep_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, &c->client);
		ep_ctl(epfd, EPOLL_CTL_ADD, bfd, EPOLLIN | EPOLLRDHUP | EPOLLET, &c->backend);
	}
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 30 };
	struct epoll_event evs[64];
	int lfd, i, n;

	parse_opts(argc, argv, OPT_LISTEN | OPT_BACKEND, about, &o);
	set_thread_name("loop", -1);
	stop_init(o.seconds);
	list_init(&conns);
	list_init(&closed);
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
				on_event(evs[i].data.ptr);
			else
				accept_all(lfd, o.backend_port);
		}
		free_closed();
	}

	while (!list_empty(&conns))
		close_conn(container_of(conns.next, struct conn, all));
	free_closed();
	close(epfd);
	close(lfd);
	return 0;
}
