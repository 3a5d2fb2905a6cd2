/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef IMAGES_H
#define IMAGES_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "unwind.h"

/*
 * What each traced process had mapped, kept so that its stacks can be
 * unwound and named after it has gone: /proc/PID/maps read at first sight,
 * after each execve and after each mmap/mprotect of code (--stacks sends
 * those calls at once), and a libdwfl session built from the latest text.
 * libdwfl opens each ELF file when the session is built.
 */
struct image {
	uint32_t tgid;
	char *maps;	  /* the latest /proc/PID/maps text */
	unsigned gen;	  /* maps read so far */
	unsigned exec_gen; /* execs seen: addresses before one mean other code */
	Dwfl *dwfl;	  /* built from maps at dwfl_gen; NULL until asked for */
	unsigned dwfl_gen;
	struct unwind_state unwind;
	char exe[256]; /* /proc/PID/exe at the latest read ("" if unknown) */
	/*
	 * --sched-only: read at its exec, before the loader mapped the
	 * libraries, and no mmap is seen after: read again at its first stack.
	 */
	bool settle;
};

struct images {
	struct image **v; /* each its own allocation: libdwfl holds &unwind */
	size_t n, cap;
	uint64_t reads;	 /* maps read */
	uint64_t failed; /* reads that found the process gone */
};

void images_init(struct images *im);
void images_free(struct images *im);
struct image *images_find(struct images *im, uint32_t tgid);
/*
 * Reads /proc/PID/maps (and exe) of tgid into its image; exec: it has just
 * exec'd. Returns the image, or NULL when the process is gone (its last
 * image, if any, stays).
 */
struct image *images_read(struct images *im, uint32_t tgid, bool exec);
/* Gives a process with no image of its own a copy of another's (a forked child's parent). */
struct image *images_inherit(struct images *im, uint32_t tgid, uint32_t from);
/* Sets an image from maps text (what images_read does after reading the file). */
struct image *images_set(struct images *im, uint32_t tgid, const char *maps, bool exec);
/* The image's libdwfl session for its latest maps, built if needed; NULL on failure. */
Dwfl *image_dwfl(struct image *img);

#endif
