/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --serve: /metrics over HTTP with libmicrohttpd, in MHD's own thread. It
 * serves the latest published text, under a mutex; it renders nothing.
 */
#ifndef SERVE_H
#define SERVE_H

#include <stddef.h>
#include <stdint.h>

struct serve;
struct webconfig;

/*
 * Listens on host:port (host "" for every address; port "0" for any free
 * one) and starts serving, with TLS and basic auth as web says (NULL: plain
 * HTTP, anyone). *url gets "http(s)://ADDR:PORT/metrics" with the port
 * bound. Warns on stderr when the address is not a loopback one and TLS or
 * auth is missing. Returns NULL with a one-line reason in err.
 */
struct serve *serve_start(const char *host, const char *port, struct webconfig *web, char *url,
			  size_t urllen, char *err, size_t errlen);
/*
 * Publishes the next page, in the Prometheus text format and in
 * OpenMetrics (for scrapers that ask for it). Takes both buffers (malloc'd).
 */
void serve_publish(struct serve *s, char *text, size_t len, char *openmetrics, size_t omlen);
/* Scrapes of /metrics answered so far. */
uint64_t serve_scrapes(struct serve *s);
/* Connections shut down for not sending their request head in time. */
uint64_t serve_cut(struct serve *s);
void serve_stop(struct serve *s);

#endif
