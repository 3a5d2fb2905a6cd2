// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The gate in front of --serve: see serve_gate.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "serve_gate.h"

/* RFC 9110 tchar: what a method is made of. */
static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

enum gate_verdict gate_judge(const unsigned char *b, size_t n, bool tls)
{
	static const char version[] = "HTTP/D.D";
	size_t i = 0, start, v;

	if (tls) /* a TLS record starts with its type: 22, handshake */
		return !n ? GATE_MORE : b[0] == 0x16 ? GATE_PASS : GATE_NOT_TLS;
	/* Empty lines before a request line are allowed (RFC 9112, 2.2). */
	while (i < n && (b[i] == '\r' || b[i] == '\n'))
		i++;
	start = i;
	while (i < n && tchar(b[i]))
		i++;
	if (i == n)
		goto more;
	if (b[i] != ' ' || i == start)
		return GATE_BAD;
	start = ++i;
	while (i < n && b[i] > ' ' && b[i] < 0x7f)
		i++;
	if (i == n)
		goto more;
	if (b[i] != ' ' || i == start)
		return GATE_BAD;
	i++;
	for (v = 0; v < sizeof(version) - 1; v++, i++) {
		if (i == n)
			goto more;
		if (version[v] == 'D' ? b[i] < '0' || b[i] > '9' : b[i] != (unsigned char)version[v])
			return GATE_BAD;
	}
	if (i < n && b[i] == '\r')
		i++;
	if (i == n)
		goto more;
	return b[i] == '\n' ? GATE_PASS : GATE_BAD;
more:
	return n >= GATE_PEEK ? GATE_TOO_LONG : GATE_MORE;
}

struct pending {
	int fd;
	uint64_t deadline_ns;
	struct sockaddr_storage addr;
	socklen_t len;
};

struct gate {
	int lfd, epfd, stopfd;
	bool tls;
	gate_handoff_fn handoff;
	gate_tick_fn tick;
	void *cls;
	pthread_t thread;
	struct pending pending[GATE_PENDING];
	int npending;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			       &((const struct sockaddr_in *)b)->sin_addr, sizeof(struct in_addr));
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
	return true;
}

/* An answer in clear text, then the end: best effort, never blocking. */
static void refuse(int fd, unsigned status)
{
	char msg[256];
	const char *reason = status == 414 ? "URI Too Long" : "Bad Request";
	const char *body = status == 414 ? "request line too long\n" :
			   status == 4000 ? "this port speaks HTTPS\n" : "not an HTTP request\n";
	int len;

	len = snprintf(msg, sizeof(msg),
		       "HTTP/1.1 %u %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		       "Connection: close\r\n\r\n%s",
		       status == 4000 ? 400 : status, reason, strlen(body), body);
	char sink[GATE_PEEK];
	int i;

	if (send(fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0; /* the peer is gone: nothing to say */
	shutdown(fd, SHUT_WR);
	/* What it sent is read away, so that close() ends with a FIN, not a reset. */
	for (i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
}

static void drop(struct gate *g, int i)
{
	epoll_ctl(g->epfd, EPOLL_CTL_DEL, g->pending[i].fd, NULL);
	g->pending[i] = g->pending[--g->npending];
}

/* Closes, answers or hands over pending[i]; false while it stays. */
static bool decide(struct gate *g, int i)
{
	unsigned char buf[GATE_PEEK];
	struct pending p = g->pending[i];
	ssize_t n = recv(p.fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	enum gate_verdict v;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		drop(g, i);
		close(p.fd);
		return true;
	}
	if (n < 0)
		return false;
	v = gate_judge(buf, (size_t)n, g->tls);
	if (v == GATE_MORE)
		return false;
	drop(g, i);
	if (v == GATE_PASS) {
		g->handoff(g->cls, p.fd, (struct sockaddr *)&p.addr, p.len);
		return true;
	}
	refuse(p.fd, v == GATE_TOO_LONG ? 414 : v == GATE_NOT_TLS ? 4000 : 400);
	close(p.fd);
	return true;
}

static void accept_all(struct gate *g)
{
	for (;;) {
		struct pending p = { .len = sizeof(p.addr) };
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
		int i, same = 0;

		p.fd = accept4(g->lfd, (struct sockaddr *)&p.addr, &p.len,
			       SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (p.fd < 0) {
			/* Out of fds: pending connections stay in the backlog; no busy loop. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
			return; /* EAGAIN: all taken */
		}
		for (i = 0; i < g->npending; i++)
			same += same_peer(&p.addr, &g->pending[i].addr);
		if (same >= GATE_PER_PEER || g->npending >= GATE_PENDING) {
			close(p.fd);
			continue;
		}
		p.deadline_ns = mono_ns() + GATE_TIMEOUT_S * 1000000000ull;
		ev.data.u64 = (uint64_t)p.fd;
		if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, p.fd, &ev)) {
			close(p.fd);
			continue;
		}
		g->pending[g->npending++] = p;
		decide(g, g->npending - 1); /* the request may be there already */
	}
}

static void *gate_main(void *arg)
{
	struct gate *g = arg;
	struct epoll_event evs[64];
	uint64_t last_tick = 0;

	for (;;) {
		int n = epoll_wait(g->epfd, evs, 64, 250), e, i;
		uint64_t now;

		for (e = 0; e < n; e++) {
			int fd = (int)evs[e].data.u64;

			if (fd == g->stopfd)
				return NULL;
			if (fd == g->lfd) {
				accept_all(g);
				continue;
			}
			for (i = 0; i < g->npending; i++)
				if (g->pending[i].fd == fd) {
					decide(g, i);
					break;
				}
		}
		now = mono_ns();
		for (i = 0; i < g->npending; i++) {
			if (now >= g->pending[i].deadline_ns) {
				int fd = g->pending[i].fd;

				drop(g, i--);
				close(fd);
			}
		}
		if (now - last_tick >= 250000000ull) {
			last_tick = now;
			g->tick(g->cls);
		}
	}
}

struct gate *gate_start(int lfd, bool tls, gate_handoff_fn handoff, gate_tick_fn tick, void *cls,
			char *err, size_t errlen)
{
	struct gate *g = calloc(1, sizeof(*g));
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t block, old;
	int rc;

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->epfd = g->stopfd = -1;
	g->lfd = lfd;
	g->tls = tls;
	g->handoff = handoff;
	g->tick = tick;
	g->cls = cls;
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	g->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->epfd < 0 || g->stopfd < 0)
		goto fail;
	/* The listening socket must not block accept4 in a loop. */
	if (fcntl(lfd, F_SETFL, O_NONBLOCK))
		goto fail;
	ev.data.u64 = (uint64_t)lfd;
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, lfd, &ev))
		goto fail;
	ev.data.u64 = (uint64_t)g->stopfd;
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->stopfd, &ev))
		goto fail;
	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&g->thread, NULL, gate_main, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		errno = rc;
		goto fail;
	}
	return g;
fail:
	snprintf(err, errlen, "cannot start the HTTP server: %s", strerror(errno));
	if (g->epfd >= 0)
		close(g->epfd);
	if (g->stopfd >= 0)
		close(g->stopfd);
	free(g);
	return NULL;
}

void gate_stop(struct gate *g)
{
	uint64_t one = 1;
	int i;

	if (!g)
		return;
	if (write(g->stopfd, &one, sizeof(one)) != sizeof(one))
		abort(); /* an eventfd takes 1 unless it is near 2^64 */
	pthread_join(g->thread, NULL);
	for (i = 0; i < g->npending; i++)
		close(g->pending[i].fd);
	close(g->epfd);
	close(g->stopfd);
	free(g);
}
