#include "common.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

static const char about[] =
"Event loop plus worker pool (the Netty / libuv-threadpool design). The\n"
"loop thread (\"loop\") does all the I/O, non-blocking like epoll_server,\n"
"but hands each request's CPU work to --threads workers (\"worker-N\")\n"
"over a job queue, so computing never stalls the other connections. A\n"
"worker puts the finished job on a completion queue and writes an\n"
"eventfd that the loop watches; the loop then makes the backend call\n"
"non-blocking and writes OK when DONE arrives. The loop blocks only in\n"
"epoll_wait: it never waits for a lock, so the job queue is a mutex it\n"
"only try-locks plus a semaphore, and the completion queue is lock-free.\n"
"The workers compute, and wait in futex() when idle.";

enum state { IDLE, COMPUTING, WAITING };

/* One socket of a connection; the epoll event points at it. */
struct sock {
	int fd;
	struct conn *conn;
	struct linebuf in;
};

struct conn {
	struct sock client, backend;
	enum state state;
	long cpu_us, wait_us;
	struct list job;	/* in backlog or jobs while COMPUTING */
	struct conn *next_done;	/* in done once computed */
	bool closed;
	struct list all;	/* in conns, or in closed until freed */
};

/*
 * The job queue: a list under a mutex, and a semaphore counting the jobs.
 * Not a condition variable: glibc's pthread_cond_signal() may wait in
 * futex() for the waiters it woke before to leave (it switches groups of
 * waiters), while sem_post() never waits.
 */
static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct list jobs;
static sem_t jobs_count;
/* Jobs that the loop has not managed to queue yet: see flush(). */
static struct list backlog;
/*
 * The completion queue: a lock-free stack. Workers push with a
 * compare-and-swap; the loop takes the whole stack in one exchange, so it
 * never waits for a worker that was preempted while holding a lock.
 */
static _Atomic(struct conn *) done;
static struct list conns, closed;
static int epfd, efd;

/*
 * The events already returned, or a worker, may still point at a closed
 * connection: it is freed after the batch of events, and only once no
 * worker has it.
 */
static void close_conn(struct conn *c)
{
	close(c->client.fd);
	close(c->backend.fd);
	c->closed = true;
	list_del(&c->all);
	list_add_tail(&c->all, &closed);
}

static void free_closed(bool all)
{
	struct list *l, *next;

	for (l = closed.next; l != &closed; l = next) {
		struct conn *c = container_of(l, struct conn, all);

		next = l->next;
		if (all || c->state != COMPUTING) {
			list_del(&c->all);
			free(c);
		}
	}
}

/* Hands the next buffered request to the workers. -1: close the connection. */
static int serve(struct conn *c)
{
	char line[LINE_SIZE];
	int r;

	if (c->state != IDLE || !(r = linebuf_take(&c->client.in, line)))
		return 0;
	if (r < 0 || !parse_req(line, &c->cpu_us, &c->wait_us))
		return -1;
	c->state = COMPUTING;
	list_add_tail(&c->job, &backlog);
	return 0;
}

/*
 * Moves the backlog to the job queue. A worker may hold its lock, and may
 * even be preempted while it does: rather than sleep in futex() until it
 * lets go, the loop keeps the jobs and tries again after the next round
 * of events. Returns the epoll_wait timeout to use.
 */
static int flush(void)
{
	int n = 0;

	if (list_empty(&backlog))
		return 200;	/* only bounds how late we notice a stop signal */
	if (pthread_mutex_trylock(&jobs_lock))
		return 1;
	while (!list_empty(&backlog)) {
		struct list *item = backlog.next;

		list_del(item);
		list_add_tail(item, &jobs);
		n++;
	}
	pthread_mutex_unlock(&jobs_lock);
	while (n--)
		sem_post(&jobs_count);
	return 200;
}

/* Waits for a job; NULL when woken with none: time to stop. */
static struct conn *next_job(void)
{
	struct list *item = NULL;

	while (sem_wait(&jobs_count) && errno == EINTR)
		;
	pthread_mutex_lock(&jobs_lock);
	if (!list_empty(&jobs)) {
		item = jobs.next;
		list_del(item);
	}
	pthread_mutex_unlock(&jobs_lock);
	return item ? container_of(item, struct conn, job) : NULL;
}

static void *worker_main(void *arg)
{
	const uint64_t one = 1;
	struct conn *c;

	(void)arg;
	while ((c = next_job())) {
		burn_cpu(c->cpu_us);
		c->next_done = atomic_load(&done);
		while (!atomic_compare_exchange_weak(&done, &c->next_done, c))
			;
		/* An eventfd write never blocks short of 2^64 - 2 pending wakeups. */
		(void)!write(efd, &one, sizeof(one));
	}
	return NULL;
}

/* The loop's side of a finished job: on to the backend, or answer. */
static void on_computed(struct conn *c)
{
	char line[LINE_SIZE];

	if (c->closed) {
		c->state = IDLE;	/* now free_closed() may free it */
		return;
	}
	if (c->wait_us) {
		c->state = WAITING;
		if (send_nb(c->backend.fd, line, format_wait(line, c->wait_us)))
			close_conn(c);
		return;
	}
	c->state = IDLE;
	if (send_nb(c->client.fd, "OK\n", 3) || serve(c) < 0)
		close_conn(c);
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
			if (r < 0 || c->state != WAITING || strcmp(line, "DONE") ||
			    send_nb(c->client.fd, "OK\n", 3)) {
				close_conn(c);
				return;
			}
			c->state = IDLE;
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
	struct opts o = { .seconds = 30, .threads = 4 };
	struct epoll_event evs[64];
	int lfd, i, n, timeout = 200;
	pthread_t *workers;
	struct conn *c, *next;
	uint64_t count;

	parse_opts(argc, argv, OPT_LISTEN | OPT_BACKEND | OPT_THREADS, about, &o);
	set_thread_name("loop", -1);
	stop_init(o.seconds);
	list_init(&conns);
	list_init(&closed);
	list_init(&backlog);
	list_init(&jobs);
	sem_init(&jobs_count, 0, 0);
	lfd = listen_local(o.port);
	set_nonblock(lfd);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	workers = calloc((size_t)o.threads, sizeof(*workers));
	if (epfd < 0 || efd < 0 || !workers)
		die("setup: %s", strerror(errno));
	ep_ctl(epfd, EPOLL_CTL_ADD, lfd, EPOLLIN, &lfd);
	ep_ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN, &efd);
	for (i = 0; i < o.threads; i++)
		start_thread(&workers[i], "worker", i, worker_main, NULL);
	announce(lfd);

	while (!stop_requested) {
		n = epoll_wait(epfd, evs, 64, timeout);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &lfd) {
				accept_all(lfd, o.backend_port);
			} else if (evs[i].data.ptr == &efd) {
				/* Reset the counter first: a later write wakes us again. */
				(void)!read(efd, &count, sizeof(count));
				for (c = atomic_exchange(&done, NULL); c; c = next) {
					next = c->next_done;
					on_computed(c);
				}
			} else {
				on_event(evs[i].data.ptr);
			}
		}
		timeout = flush();
		free_closed(false);
	}

	/* One wake-up without a job per worker, after those still queued. */
	for (i = 0; i < o.threads; i++)
		sem_post(&jobs_count);
	for (i = 0; i < o.threads; i++)
		pthread_join(workers[i], NULL);
	while (!list_empty(&conns))
		close_conn(container_of(conns.next, struct conn, all));
	free_closed(true);
	free(workers);
	close(efd);
	close(epfd);
	close(lfd);
	return 0;
}
