#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t stop_requested;

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- options ---- */

enum {
	KEY_PORT = 256, KEY_BACKEND, KEY_THREADS, KEY_CONNECTIONS, KEY_CPU_US,
	KEY_WAIT_US, KEY_RATE, KEY_MODE, KEY_WARM_UP, KEY_SECONDS, KEY_HELP,
};

static const struct option long_options[] = {
	{ "port",		required_argument, NULL, KEY_PORT },
	{ "backend-port",	required_argument, NULL, KEY_BACKEND },
	{ "threads",		required_argument, NULL, KEY_THREADS },
	{ "connections",	required_argument, NULL, KEY_CONNECTIONS },
	{ "cpu-us",		required_argument, NULL, KEY_CPU_US },
	{ "wait-us",		required_argument, NULL, KEY_WAIT_US },
	{ "rate",		required_argument, NULL, KEY_RATE },
	{ "mode",		required_argument, NULL, KEY_MODE },
	{ "warm-up",		required_argument, NULL, KEY_WARM_UP },
	{ "seconds",		required_argument, NULL, KEY_SECONDS },
	{ "help",		no_argument,	   NULL, KEY_HELP },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f, unsigned int which, const char *about,
		  const struct opts *o)
{
	fprintf(f, "Usage: %s [OPTIONS]\n\n%s\n\nOptions:\n",
		program_invocation_short_name, about);
	if (which & OPT_LISTEN)
		fprintf(f, "  --port P          port to listen on, 127.0.0.1 only; 0 picks a free one (default %d)\n",
			o->port);
	if (which & OPT_CONNECT)
		fprintf(f, "  --port P          port of the server on 127.0.0.1 (required)\n");
	if (which & OPT_BACKEND)
		fprintf(f, "  --backend-port P  port of the backend on 127.0.0.1 (required)\n");
	if (which & OPT_THREADS)
		fprintf(f, "  --threads N       worker threads (default %d)\n", o->threads);
	if (which & OPT_CONNECTIONS)
		fprintf(f, "  --connections C   connections, one thread each (default %d)\n",
			o->connections);
	if (which & OPT_CPU_US)
		fprintf(f, "  --cpu-us US       microseconds of CPU work per request (default %ld)\n",
			o->cpu_us);
	if (which & OPT_WAIT_US)
		fprintf(f, "  --wait-us US      microseconds the backend waits per request (default %ld)\n",
			o->wait_us);
	if (which & OPT_RATE)
		fprintf(f, "  --rate R          open loop: R requests/s in total (default: closed loop)\n");
	if (which & OPT_WARM_UP)
		fprintf(f, "  --warm-up S       run S seconds first, on the same connections, uncounted\n");
	if (which & OPT_MODE)
		fprintf(f, "  --mode M          %s (default %s)\n",
			o->modes ? o->modes : "sync or async", o->mode);
	fprintf(f, "  --seconds S       exit cleanly after S seconds (default %g)\n"
		"  --help            show this help\n", o->seconds);
}

static void bad_value(const char *name, const char *arg)
{
	fprintf(stderr, "%s: invalid --%s '%s' (see --help)\n",
		program_invocation_short_name, name, arg);
	exit(2);
}

static long parse_long(const char *name, const char *arg, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max)
		bad_value(name, arg);
	return v;
}

static double parse_double(const char *name, const char *arg, double min,
			   double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < min || v > max)
		bad_value(name, arg);
	return v;
}

void parse_opts(int argc, char **argv, unsigned int which, const char *about,
		struct opts *o)
{
	/* Which OPT_ flag each KEY_ needs; 0 means always allowed. */
	static const unsigned int needs[] = {
		[KEY_PORT - KEY_PORT] = OPT_LISTEN | OPT_CONNECT,
		[KEY_BACKEND - KEY_PORT] = OPT_BACKEND,
		[KEY_THREADS - KEY_PORT] = OPT_THREADS,
		[KEY_CONNECTIONS - KEY_PORT] = OPT_CONNECTIONS,
		[KEY_CPU_US - KEY_PORT] = OPT_CPU_US,
		[KEY_WAIT_US - KEY_PORT] = OPT_WAIT_US,
		[KEY_RATE - KEY_PORT] = OPT_RATE,
		[KEY_MODE - KEY_PORT] = OPT_MODE,
		[KEY_WARM_UP - KEY_PORT] = OPT_WARM_UP,
	};
	int key;

	while ((key = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		if (key < KEY_PORT || key > KEY_HELP ||
		    (key < KEY_SECONDS && !(needs[key - KEY_PORT] & which))) {
			if (key >= KEY_PORT)
				fprintf(stderr, "%s: unrecognized option '%s'\n",
					program_invocation_short_name,
					argv[optind - 1]);
			usage(stderr, which, about, o);
			exit(2);
		}
		switch (key) {
		case KEY_PORT:
			o->port = parse_long("port", optarg, 0, 65535);
			break;
		case KEY_BACKEND:
			o->backend_port = parse_long("backend-port", optarg, 1, 65535);
			break;
		case KEY_THREADS:
			o->threads = parse_long("threads", optarg, 1, 256);
			break;
		case KEY_CONNECTIONS:
			o->connections = parse_long("connections", optarg, 1, 1000);
			break;
		case KEY_CPU_US:
			o->cpu_us = parse_long("cpu-us", optarg, 0, MAX_US);
			break;
		case KEY_WAIT_US:
			o->wait_us = parse_long("wait-us", optarg, 0, MAX_US);
			break;
		case KEY_RATE:
			o->rate = parse_double("rate", optarg, 0, 1e7);
			break;
		case KEY_MODE:
			o->mode = optarg;
			break;
		case KEY_WARM_UP:
			o->warm_up = parse_double("warm-up", optarg, 0, 86400);
			break;
		case KEY_SECONDS:
			o->seconds = parse_double("seconds", optarg, 0.001, 86400);
			break;
		case KEY_HELP:
			usage(stdout, which, about, o);
			exit(0);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n",
			program_invocation_short_name, argv[optind]);
		exit(2);
	}
	if ((which & OPT_BACKEND) && !o->backend_port) {
		fprintf(stderr, "%s: --backend-port is required\n",
			program_invocation_short_name);
		exit(2);
	}
	if ((which & OPT_CONNECT) && !o->port) {
		fprintf(stderr, "%s: --port is required\n",
			program_invocation_short_name);
		exit(2);
	}
}

/* ---- shutdown ---- */

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void stop_init(double seconds)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct itimerval it = { 0 };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (seconds > 0) {
		it.it_value.tv_sec = (time_t)seconds;
		it.it_value.tv_usec = (suseconds_t)((seconds - (time_t)seconds) * 1e6);
		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = 1;
		setitimer(ITIMER_REAL, &it, NULL);
	}
}

/* ---- threads ---- */

/* Thread names are at most 15 characters: longer ones are cut. */
static void thread_name(char *buf, size_t size, const char *role, int index)
{
	char full[64];

	if (index < 0)
		snprintf(full, sizeof(full), "%s", role);
	else
		snprintf(full, sizeof(full), "%s-%d", role, index);
	snprintf(buf, size, "%.15s", full);
}

void set_thread_name(const char *role, int index)
{
	char name[16];

	thread_name(name, sizeof(name), role, index);
	pthread_setname_np(pthread_self(), name);
}

struct thread_start {
	char name[16];
	void *(*fn)(void *);
	void *arg;
};

static void *thread_trampoline(void *p)
{
	struct thread_start ts = *(struct thread_start *)p;

	free(p);
	pthread_setname_np(pthread_self(), ts.name);
	return ts.fn(ts.arg);
}

void start_thread(pthread_t *t, const char *role, int index,
		  void *(*fn)(void *), void *arg)
{
	struct thread_start *ts = calloc(1, sizeof(*ts));
	sigset_t block, old;
	int err;

	if (!ts)
		die("out of memory");
	thread_name(ts->name, sizeof(ts->name), role, index);
	ts->fn = fn;
	ts->arg = arg;
	/* A new thread inherits the creator's signal mask. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(t, NULL, thread_trampoline, ts);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		die("pthread_create: %s", strerror(err));
}

/* ---- time and work ---- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

void sleep_until(uint64_t t)
{
	/* Slices keep a stop request from waiting for a long sleep. */
	const uint64_t slice = 100000000;

	while (!stop_requested) {
		uint64_t now = now_ns(), until = t;
		struct timespec ts;

		if (now >= t)
			return;
		if (until - now > slice)
			until = now + slice;
		ts.tv_sec = (time_t)(until / 1000000000u);
		ts.tv_nsec = (long)(until % 1000000000u);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

static uint64_t spin(uint64_t x, uint64_t n)
{
	while (n--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Keeps the compiler from folding the loop away. */
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

void burn_cpu(long us)
{
	/*
	 * Thread CPU time, so that time spent preempted does not count.
	 * Reading it is a real system call, not a vDSO one: rather than
	 * asking after every few iterations, each round spins for half the
	 * time left at the rate seen so far, which needs about a dozen calls.
	 */
	uint64_t start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	uint64_t end = start + (uint64_t)us * 1000;
	uint64_t now = start, done = 0, n = 64, x = 88172645463325252ull;

	while (now < end) {
		x = spin(x, n);
		done += n;
		now = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		if (now > start)
			n = (uint64_t)((double)(end - now) / 2 * done / (now - start)) + 1;
		else
			n *= 2;
	}
}

/* ---- sockets ---- */

static struct sockaddr_in local_addr(int port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return a;
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* One small message per turn: Nagle would only add delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int listen_local(int port)
{
	struct sockaddr_in a = local_addr(port);
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind 127.0.0.1:%d: %s", port, strerror(errno));
	if (listen(fd, 512) < 0)
		die("listen: %s", strerror(errno));
	return fd;
}

void announce(int listen_fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(listen_fd, (struct sockaddr *)&a, &len) < 0)
		die("getsockname: %s", strerror(errno));
	printf("%s pid=%d port=%d\n", program_invocation_short_name,
	       (int)getpid(), ntohs(a.sin_port));
	fflush(stdout);
}

int connect_local(int port)
{
	struct sockaddr_in a = local_addr(port);
	int fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	set_nodelay(fd);
	return fd;
}

int accept_client(int listen_fd)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };
	int fd;

	/* A bounded wait: a stop signal landing just before it costs 200 ms. */
	if (poll(&p, 1, 200) <= 0)
		return -1;
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		set_nodelay(fd);
	return fd;
}

int accept_with_backend(int listen_fd, int backend_port, int *bfd)
{
	int fd;

	while ((fd = accept4(listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		set_nodelay(fd);
		/*
		 * Over loopback, connect() completes at once, so a blocking
		 * one keeps the code short without ever making us wait.
		 */
		*bfd = connect_local(backend_port);
		if (*bfd >= 0) {
			set_nonblock(*bfd);
			return fd;
		}
		fprintf(stderr, "%s: cannot reach the backend: %s\n",
			program_invocation_short_name, strerror(errno));
		close(fd);
	}
	return -1;
}

void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void set_recv_timeout(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int send_nb(int fd, const char *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	return n == (ssize_t)len ? 0 : -1;
}

int ep_ctl(int epfd, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(epfd, op, fd, &ev);
}

/* ---- the line protocol ---- */

ssize_t linebuf_fill(int fd, struct linebuf *lb)
{
	ssize_t n;

	if (lb->len == sizeof(lb->data)) {
		errno = EMSGSIZE;
		return -1;
	}
	n = read(fd, lb->data + lb->len, sizeof(lb->data) - lb->len);
	if (n > 0)
		lb->len += (size_t)n;
	return n;
}

int linebuf_drain(int fd, struct linebuf *lb)
{
	for (;;) {
		ssize_t n = linebuf_fill(fd, lb);

		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
	}
}

int linebuf_take(struct linebuf *lb, char *line)
{
	char *nl = memchr(lb->data, '\n', lb->len);
	size_t n;

	if (!nl)
		return lb->len >= LINE_SIZE ? -1 : 0;
	n = (size_t)(nl - lb->data);
	if (n >= LINE_SIZE)
		return -1;
	memcpy(line, lb->data, n);
	line[n] = '\0';
	lb->len -= n + 1;
	memmove(lb->data, nl + 1, lb->len);
	return 1;
}

int read_line(int fd, struct linebuf *lb, char *line)
{
	for (;;) {
		int r = linebuf_take(lb, line);
		ssize_t n;

		if (r)
			return r;
		n = linebuf_fill(fd, lb);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Parses "<word> <n>..." strictly: @count numbers in [0, MAX_US], nothing else. */
static bool parse_numbers(const char *line, const char *word, long *v, int count)
{
	size_t wlen = strlen(word);
	const char *p = line + wlen;
	int i;

	if (strncmp(line, word, wlen))
		return false;
	for (i = 0; i < count; i++) {
		char *end;

		if (*p != ' ' || p[1] < '0' || p[1] > '9')
			return false;
		errno = 0;
		v[i] = strtol(p + 1, &end, 10);
		if (errno || v[i] > MAX_US)
			return false;
		p = end;
	}
	return *p == '\0';
}

bool parse_req(const char *line, long *cpu_us, long *wait_us)
{
	long v[2];

	if (!parse_numbers(line, "REQ", v, 2))
		return false;
	*cpu_us = v[0];
	*wait_us = v[1];
	return true;
}

bool parse_wait(const char *line, long *us)
{
	return parse_numbers(line, "WAIT", us, 1);
}

size_t format_wait(char *buf, long us)
{
	return (size_t)snprintf(buf, LINE_SIZE, "WAIT %ld\n", us);
}

int backend_call(int fd, struct linebuf *lb, long wait_us)
{
	char buf[LINE_SIZE];

	if (write_all(fd, buf, format_wait(buf, wait_us)) < 0)
		return -1;
	if (read_line(fd, lb, buf) <= 0 || strcmp(buf, "DONE"))
		return -1;
	return 0;
}

void serve_blocking(int client_fd, int backend_fd)
{
	struct linebuf in = { 0 }, backend_in = { 0 };
	char line[LINE_SIZE];
	long cpu_us, wait_us;

	set_recv_timeout(backend_fd, 10);
	while (read_line(client_fd, &in, line) > 0) {
		if (!parse_req(line, &cpu_us, &wait_us))
			break;
		burn_cpu(cpu_us);
		if (wait_us && backend_call(backend_fd, &backend_in, wait_us) < 0)
			break;
		if (write_all(client_fd, "OK\n", 3) < 0)
			break;
	}
}

/* ---- the queue ---- */

void queue_init(struct queue *q)
{
	pthread_mutexattr_t attr;

	/*
	 * The lock is held for a few instructions: spinning a little before
	 * sleeping in futex() is cheaper than sleeping at once.
	 */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&q->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_cond_init(&q->nonempty, NULL);
	list_init(&q->items);
	q->closed = false;
}

void queue_push(struct queue *q, struct list *item)
{
	pthread_mutex_lock(&q->lock);
	list_add_tail(item, &q->items);
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}

struct list *queue_pop(struct queue *q)
{
	struct list *item = NULL;

	pthread_mutex_lock(&q->lock);
	while (!q->closed && list_empty(&q->items))
		pthread_cond_wait(&q->nonempty, &q->lock);
	if (!q->closed) {
		item = q->items.next;
		list_del(item);
	}
	pthread_mutex_unlock(&q->lock);
	return item;
}

void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}
