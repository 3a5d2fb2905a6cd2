/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef RUNTIME_PROBE_H
#define RUNTIME_PROBE_H

#include <sys/types.h>
#include "account.h"
#include "runtime_kind.h"

/* Probes /proc/PID/exe (a Go binary carries a .go.buildinfo section) and /proc/PID/maps. */
enum process_runtime runtime_probe(pid_t pid);
/*
 * The static data of pid's images: its writable mappings of files, each
 * with the anonymous mapping right after it (its bss), into out. Returns
 * how many ranges, or 0 if unknown (gone, or more than max).
 */
int runtime_statics(pid_t pid, struct addr_range *out, int max);
/*
 * Where a pool's size is set, as pid was started: its environment's
 * variables that size one (UV_THREADPOOL_SIZE, GOMAXPROCS) into env, and its
 * command line into cmdline, each as NUL-separated words (cut at len, an
 * empty string ending them). Returns 0, or -1 if pid cannot be read.
 */
int runtime_settings(pid_t pid, char *env, char *cmdline, size_t len);

#endif
