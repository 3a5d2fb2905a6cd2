/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TOP_H
#define TOP_H

#include <stdbool.h>
#include <stdio.h>
#include "report.h"

/* Puts the terminal in a mode that reads single keys; false if not a tty. */
bool top_begin(void);
void top_end(void);
/* True once the user pressed q (or Ctrl-D). Never blocks. */
bool top_quit_pressed(void);
/* One screen: per-thread state, shares of the last interval, current syscall. */
void top_draw(FILE *out, const struct report *r, int rows);

#endif
