/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef SYMBOLS_H
#define SYMBOLS_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Naming user frames: ELF symbols and DWARF lines through libdwfl, C++
 * names demangled (libstdc++'s __cxa_demangle), and code a runtime
 * compiled at run time (a JIT) from the /tmp/perf-PID.map it writes
 * (Node --perf-basic-prof, the JVM's jcmd PID Compiler.perfmap).
 */

struct perfmap_sym {
	uint64_t start, size;
	uint32_t seq; /* line number: a later line for the same code wins */
	char *name;
};

struct perfmap {
	struct perfmap_sym *v;
	size_t n;
	uint64_t bad_lines;
};

/* Reads "START SIZE name" lines (hex, 0x optional); bad lines are counted, not fatal. */
int perfmap_parse(struct perfmap *pm, FILE *f);
/* /tmp/perf-PID.map; -1 when there is none. */
int perfmap_load(struct perfmap *pm, uint32_t pid);
/* The symbol whose [start, start + size) holds addr, or NULL; *off its offset. */
const char *perfmap_lookup(const struct perfmap *pm, uint64_t addr, uint64_t *off);
void perfmap_free(struct perfmap *pm);

/* A C++ (Itanium ABI) name demangled into out; other names are copied as they are. */
const char *symbols_demangle(const char *name, char *out, size_t len);

/* How a frame was named. */
enum frame_naming {
	FRAME_SYMBOL,  /* function+offset from the ELF file (with file:line where DWARF has it) */
	FRAME_MODULE,  /* [file]+offset: in a file, no symbol */
	FRAME_PERFMAP, /* from the runtime's perf map */
	FRAME_JAVA_INTERPRETED, /* a JVM interpreter frame, named by its Method* (jvm_procs.c) */
	FRAME_ADDRESS, /* a bare address */
};

/*
 * Names the frame at pc into buf; return_address: pc is where a call
 * returns (a caller's frame), so the call itself, pc - 1, is looked up.
 * dwfl and pm may be NULL.
 */
enum frame_naming symbols_user_frame(Dwfl *dwfl, const struct perfmap *pm, uint64_t pc,
				     bool return_address, char *buf, size_t len);

#endif
