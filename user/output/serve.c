// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --serve: GET /metrics answered from MHD's own thread with the latest page
 * the main loop published. We bind the socket ourselves, so a bad address or
 * a port in use is a one-line error before anything is loaded in the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "serve.h"

#define CONTENT_TYPE_TEXT	 "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

struct serve {
	struct MHD_Daemon *daemon;
	int fd;
	pthread_mutex_t lock; /* guards everything below */
	char *text, *openmetrics;
	size_t len, omlen;
	uint64_t scrapes;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req)
{
	static const char index_page[] = "blockscope: Prometheus metrics at /metrics\n";
	struct serve *s = cls;
	const char *accept;
	enum MHD_Result rc;
	bool om;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET or HEAD\n", 12);
	if (strcmp(url, "/") == 0)
		return reply(conn, MHD_HTTP_OK, "text/plain", index_page, sizeof(index_page) - 1);
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found: try /metrics\n",
			     24);
	/* Prometheus asks for OpenMetrics first; curl and promtool get the text format. */
	accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	om = accept && strstr(accept, "application/openmetrics-text");
	pthread_mutex_lock(&s->lock);
	if (!s->text) {
		rc = reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "not ready\n", 10);
	} else {
		s->scrapes++;
		rc = om ? reply(conn, MHD_HTTP_OK, CONTENT_TYPE_OPENMETRICS, s->openmetrics,
				s->omlen)
			: reply(conn, MHD_HTTP_OK, CONTENT_TYPE_TEXT, s->text, s->len);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void describe(const char *host, const char *port, char *out, size_t len)
{
	snprintf(out, len, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

static int listen_on(const char *host, const char *port, char *url, size_t urllen, char *err,
		     size_t errlen)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char where[300], h[NI_MAXHOST], p[NI_MAXSERV];
	int fd = -1, rc, saved = 0, one = 1, zero = 0, pass;

	describe(host, port, where, sizeof(where));
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot listen on %s: %s", where,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	/* Every address: IPv6's wildcard first, which takes IPv4 too where it can. */
	for (pass = host[0] ? 1 : 0; pass < 2 && fd < 0; pass++) {
		for (ai = res; ai; ai = ai->ai_next) {
			if (pass == 0 && ai->ai_family != AF_INET6)
				continue;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd < 0) {
				saved = errno;
				continue;
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (pass == 0)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
				break;
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", where, strerror(saved));
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sslen, h, sizeof(h), p, sizeof(p),
			NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
		describe(h, p, where, sizeof(where));
	}
	snprintf(url, urllen, "http://%s/metrics", where);
	return fd;
}

struct serve *serve_start(const char *host, const char *port, char *url, size_t urllen, char *err,
			  size_t errlen)
{
	struct serve *s = calloc(1, sizeof(*s));
	sigset_t block, old;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->fd = listen_on(host, port, url, urllen, err, errlen);
	if (s->fd < 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	/* MHD's thread inherits this mask: signals stay with the main loop. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
				     on_request, s, MHD_OPTION_LISTEN_SOCKET, s->fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->daemon) {
		/* Whether MHD closed the socket is not said: leave it; we exit. */
		snprintf(err, errlen, "cannot start the HTTP server on %s", url);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

void serve_publish(struct serve *s, char *text, size_t len, char *openmetrics, size_t omlen)
{
	char *old_text, *old_om;

	pthread_mutex_lock(&s->lock);
	old_text = s->text;
	old_om = s->openmetrics;
	s->text = text;
	s->len = len;
	s->openmetrics = openmetrics;
	s->omlen = omlen;
	pthread_mutex_unlock(&s->lock);
	free(old_text);
	free(old_om);
}

uint64_t serve_scrapes(struct serve *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = s->scrapes;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon); /* joins its thread and closes the socket */
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s->openmetrics);
	free(s);
}
