/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef RUNTIME_PROBE_H
#define RUNTIME_PROBE_H

#include <sys/types.h>
#include "runtime_kind.h"

/* Probes /proc/PID/exe (a Go binary carries a .go.buildinfo section) and /proc/PID/maps. */
enum process_runtime runtime_probe(pid_t pid);

#endif
