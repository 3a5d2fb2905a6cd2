// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --serve's listening socket: every address given, IPv6's wildcard taking IPv4 too. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "serve_listen.h"

static void describe(const char *host, const char *port, char *out, size_t len)
{
	snprintf(out, len, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: only this host can connect. */
static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

int serve_listen(const char *host, const char *port, const char *scheme, bool *loopback,
		     char *url, size_t urllen, char *err, size_t errlen)
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
			/* A burst of connections waits for accept() instead of losing SYNs. */
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
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
	*loopback = false;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sslen, h, sizeof(h), p, sizeof(p),
			NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
		describe(h, p, where, sizeof(where));
		*loopback = is_loopback(&ss);
	}
	snprintf(url, urllen, "%s://%s/metrics", scheme, where);
	return fd;
}
