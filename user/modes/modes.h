/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef MODES_H
#define MODES_H

#include <stddef.h>
#include "run.h"

/*
 * The ways of running, each from a started run until its stop: 0, or -1
 * with a one-line reason in err. A new mode is one more function here.
 */

/* One report when tracing stops (-d, a signal, or every target gone). */
int mode_once(struct run *r, char *err, size_t errlen);
/* --interval: a report per interval, each of that interval alone. */
int mode_intervals(struct run *r, char *err, size_t errlen);
/* --top: the terminal redrawn each interval until q or a stop. */
int mode_top(struct run *r, char *err, size_t errlen);
/* --serve: /metrics refreshed every second until a signal or -d. */
int mode_serve(struct run *r, char *err, size_t errlen);

#endif
