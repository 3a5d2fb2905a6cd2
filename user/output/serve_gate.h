/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The gate in front of --serve's HTTP server: it accepts every connection,
 * looks at its first bytes without taking them (MSG_PEEK), and hands it to
 * libmicrohttpd only once they can start a request. Garbage gets a 400 at
 * once (libmicrohttpd 0.9.75 waits for more, or closes without a word, on a
 * request line of NULs or without spaces); a peer that holds connections
 * without a request line holds at most GATE_PER_PEER of them, each for
 * GATE_TIMEOUT_S. Its thread also calls a tick every 250 ms.
 */
#ifndef SERVE_GATE_H
#define SERVE_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define GATE_PER_PEER 16
#define GATE_PENDING 256
#define GATE_TIMEOUT_S 5
#define GATE_PEEK 4096 /* a request line longer than this is refused */

enum gate_verdict {
	GATE_MORE,     /* a valid beginning: wait for more */
	GATE_PASS,     /* a whole valid request line, or a TLS handshake record */
	GATE_BAD,      /* not HTTP: 400 */
	GATE_TOO_LONG, /* no end of line in GATE_PEEK bytes: 414 */
	GATE_NOT_TLS,  /* plain text to the TLS port: 400 in clear, as Go's servers do */
};

/* Judges the first n bytes of a connection. */
enum gate_verdict gate_judge(const unsigned char *b, size_t n, bool tls);

/* Takes fd (accepted, blocking or not); returns 0, or -1 after closing it. */
typedef int (*gate_handoff_fn)(void *cls, int fd, const struct sockaddr *addr, socklen_t len);
typedef void (*gate_tick_fn)(void *cls);

struct gate;

/* Runs the gate on the listening socket lfd in a thread of its own (signals blocked there). */
struct gate *gate_start(int lfd, bool tls, gate_handoff_fn handoff, gate_tick_fn tick, void *cls,
			char *err, size_t errlen);
/* Stops its thread and closes pending connections (not lfd). */
void gate_stop(struct gate *g);

#endif
