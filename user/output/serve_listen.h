/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef SERVE_LISTEN_H
#define SERVE_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Listens on host:port (host "" for every address); *url gets
 * "SCHEME://ADDR:PORT/metrics" with the port bound, *loopback whether only
 * this host can connect. Returns the socket, or -1 with a reason in err.
 */
int serve_listen(const char *host, const char *port, const char *scheme, bool *loopback,
		 char *url, size_t urllen, char *err, size_t errlen);

#endif
