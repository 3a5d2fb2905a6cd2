/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef RUNTIME_KIND_H
#define RUNTIME_KIND_H

/*
 * Which language runtime a process runs: tracing/runtime_probe.c finds it,
 * model/roles.c reads it (a Go program's threads are its scheduler's).
 */
enum process_runtime {
	RUNTIME_UNPROBED = 0, /* not looked at yet */
	RUNTIME_NATIVE,	      /* none of those below, or gone before it was looked at */
	RUNTIME_GO,	      /* a Go binary: its threads are the scheduler's Ms */
	RUNTIME_JVM,	      /* libjvm.so mapped */
	RUNTIME_NODE,	      /* Node.js (node, libnode.so) */
	RUNTIME_PYTHON,	      /* CPython (libpython, or a python3 executable) */
};

static inline const char *runtime_name(enum process_runtime r)
{
	static const char *const names[] = { "", "native", "go", "jvm", "node", "python" };

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "";
}

#endif
