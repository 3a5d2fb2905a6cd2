// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --serve: GET /metrics answered from MHD's own thread with the latest page
 * the main loop published. We bind the socket ourselves, so a bad address or
 * a port in use is a one-line error before anything is loaded in the kernel.
 *
 * Hostile clients: a gate (serve_gate.c) accepts every connection and hands
 * it to MHD only once its first bytes can start a request (garbage gets a 400
 * at once); then MHD's epoll loop (no FD_SETSIZE ceiling), at most
 * PER_PEER_LIMIT connections from one address and CONNECTION_LIMIT in all, a
 * small per-connection memory pool (a head that does not fit gets a 431 or
 * 414), MHD's idle timeout, and our own header timeout: a connection that has
 * not finished its request head HEADER_TIMEOUT_S after it came in or after
 * its last answer is shut down (MHD's idle timeout alone lets a client
 * trickle a byte at a time forever).
 * TLS and basic auth come from --web-config (webconfig.c).
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include "serve.h"
#include "serve_listen.h"
#include "serve_gate.h"
#include "webconfig.h"

#define CONTENT_TYPE_TEXT	 "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Scrapers are a few Prometheus servers and a person with curl: 16 from one address is plenty. */
#define PER_PEER_LIMIT 16
/* In all; lowered to fit RLIMIT_NOFILE (raised towards this, up to its hard limit). */
#define CONNECTION_LIMIT 1024
#define FDS_SPARE 128 /* BPF objects, /proc files, the listening socket */
/* Accepted (or answered) to a full request head; includes the TLS handshake. */
#define HEADER_TIMEOUT_S 5
/* No byte either way for this long closes a connection (MHD's own timeout). */
#define IDLE_TIMEOUT_S 10
/* Per connection: the request head must fit in half of it. A scrape's is ~300 bytes. */
#define MEMORY_LIMIT 8192

/* One open connection, for the header timeout. */
struct conn {
	struct conn *prev, *next;
	int fd;
	uint64_t since_ns; /* accepted or last answered */
	bool waiting;	   /* for a request head */
	bool cut;
};

struct serve {
	struct MHD_Daemon *daemon;
	int fd;
	struct webconfig *web; /* NULL: plain HTTP, no auth */
	pthread_mutex_t lock; /* guards everything below */
	char *text, *openmetrics;
	size_t len, omlen;
	uint64_t scrapes;
	struct gate *gate; /* accepts, and hands valid beginnings to MHD */
	/* Open MHD connections, for the header timeout; conns_lock guards these. */
	pthread_mutex_t conns_lock;
	struct conn *conns;
	uint64_t cut;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void set_waiting(struct serve *s, struct MHD_Connection *conn, bool waiting)
{
	struct conn *c = conn_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&s->conns_lock);
	c->waiting = waiting;
	c->since_ns = now_ns();
	pthread_mutex_unlock(&s->conns_lock);
}

/*
 * MHD calls this before it closes a connection's socket: while the entry is
 * in the list (under conns_lock), its fd is still that connection's.
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **ctx,
			  enum MHD_ConnectionNotificationCode what)
{
	struct serve *s = cls;
	struct conn *c = *ctx;

	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		c = calloc(1, sizeof(*c));
		if (!c || !ci) {
			free(c);
			*ctx = NULL;
			return; /* not watched: MHD's idle timeout still holds */
		}
		c->fd = ci->connect_fd;
		c->waiting = true;
		c->since_ns = now_ns();
		pthread_mutex_lock(&s->conns_lock);
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		pthread_mutex_unlock(&s->conns_lock);
		*ctx = c;
	} else if (c) {
		pthread_mutex_lock(&s->conns_lock);
		if (c->prev)
			c->prev->next = c->next;
		else
			s->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		pthread_mutex_unlock(&s->conns_lock);
		free(c);
		*ctx = NULL;
	}
}

/* An answer went out (or the request ended): the next head has HEADER_TIMEOUT_S from now. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req,
			 enum MHD_RequestTerminationCode why)
{
	(void)req;
	(void)why;
	set_waiting(cls, conn, true);
}

/* Every 250 ms, from the gate's thread: the header timeout. */
static void sweep(void *arg)
{
	struct serve *s = arg;
	uint64_t now = now_ns();
	struct conn *c;

	pthread_mutex_lock(&s->conns_lock);
	for (c = s->conns; c; c = c->next) {
		if (c->waiting && !c->cut && now - c->since_ns > HEADER_TIMEOUT_S * 1000000000ull) {
			/* MHD sees the end of the stream and closes it itself. */
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
			s->cut++;
		}
	}
	pthread_mutex_unlock(&s->conns_lock);
}

/* From the gate: a connection whose first bytes can start a request. */
static int handoff(void *arg, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct serve *s = arg;

	/* Over the per-peer or total limit, MHD closes it. */
	return MHD_add_connection(s->daemon, fd, addr, len) == MHD_YES ? 0 : -1;
}

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

static bool authorized(struct serve *s, struct MHD_Connection *conn)
{
	char *password = NULL;
	char *user = MHD_basic_auth_get_username_password(conn, &password);
	bool ok = user && password && webconfig_check(s->web, user, password);

	if (password) {
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	return ok;
}

static enum MHD_Result unauthorized(struct MHD_Connection *conn)
{
	static const char body[] = "unauthorized\n";
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	rc = MHD_queue_basic_auth_fail_response(conn, "blockscope", r);
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
	set_waiting(s, conn, false); /* the head is in */
	if (webconfig_auth(s->web) && !authorized(s, conn))
		return unauthorized(conn);
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

/*
 * Room for CONNECTION_LIMIT connections in MHD and GATE_PENDING in the gate:
 * the soft RLIMIT_NOFILE is raised towards it (as far as the hard limit
 * lets), and the limit fits what we got.
 */
static unsigned connection_limit(void)
{
	struct rlimit rl;
	rlim_t spare = FDS_SPARE + GATE_PENDING, want = CONNECTION_LIMIT + spare;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 64;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return CONNECTION_LIMIT;
	/* A hard limit this low is odd: a quarter of it, and the gate meets EMFILE first. */
	if (rl.rlim_cur > spare + 4 * PER_PEER_LIMIT)
		return (unsigned)(rl.rlim_cur - spare);
	return rl.rlim_cur / 4 > PER_PEER_LIMIT ? (unsigned)(rl.rlim_cur / 4) : PER_PEER_LIMIT;
}

/* One line when the page is open to other hosts: who may read it, and whether in clear. */
static void warn_exposed(const char *url, const struct webconfig *web)
{
	bool tls = webconfig_tls(web), auth = webconfig_auth(web);

	if (tls && auth)
		return;
	fprintf(stderr,
		"blockscope: warning: %s is reachable from other hosts %s: %s (see --web-config)\n",
		url, !tls && !auth ? "without TLS or basic auth" : !tls ? "without TLS" : "without basic auth",
		!auth ? "anyone who can connect reads the names of the traced processes and threads"
		      : "passwords and pages cross the network in clear text");
}

struct serve *serve_start(const char *host, const char *port, struct webconfig *web, char *url,
			  size_t urllen, char *err, size_t errlen)
{
	struct serve *s = calloc(1, sizeof(*s));
	struct MHD_OptionItem opts[16];
	/* The gate accepts: MHD gets connections through MHD_add_connection. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET |
			 MHD_USE_ITC;
	sigset_t block, old;
	bool loopback;
	int n = 0;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->web = web;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->conns_lock, NULL);
	s->fd = serve_listen(host, port, webconfig_tls(web) ? "https" : "http", &loopback, url, urllen,
			  err, errlen);
	if (s->fd < 0)
		goto fail;
	if (!loopback)
		warn_exposed(url, web);
#define OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) }
	OPT(MHD_OPTION_CONNECTION_LIMIT, connection_limit(), NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, PER_PEER_LIMIT, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, MEMORY_LIMIT, NULL);
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, s);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, s);
	if (webconfig_tls(web)) {
		flags |= MHD_USE_TLS;
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, web->cert_pem);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, web->key_pem);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, web->priorities);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	/* MHD's thread inherits this mask: signals stay with the main loop. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts,
				     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* GnuTLS has its own copy of the key now. */
	webconfig_forget_key(web);
	if (!s->daemon) {
		snprintf(err, errlen, "cannot start the HTTP server on %s", url);
		close(s->fd);
		goto fail;
	}
	s->gate = gate_start(s->fd, webconfig_tls(web), handoff, sweep, s, err, errlen);
	if (!s->gate) {
		serve_stop(s);
		return NULL;
	}
	return s;
fail:
	pthread_mutex_destroy(&s->conns_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
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

uint64_t serve_cut(struct serve *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->conns_lock);
	n = s->cut;
	pthread_mutex_unlock(&s->conns_lock);
	return n;
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	gate_stop(s->gate); /* first: it hands connections to MHD */
	MHD_stop_daemon(s->daemon); /* joins its thread, closes its connections */
	close(s->fd);
	pthread_mutex_destroy(&s->conns_lock);
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s->openmetrics);
	free(s);
}
