// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Process images: each traced process's maps, kept to unwind and name its stacks later. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "images.h"
#include "util.h"

/* A process maps a few hundred regions; a JVM a few thousand. */
#define MAPS_MAX_BYTES (8u << 20)

void images_init(struct images *im)
{
	memset(im, 0, sizeof(*im));
}

static void drop_dwfl(struct image *img)
{
	if (img->dwfl)
		dwfl_end(img->dwfl);
	img->dwfl = NULL;
	memset(&img->unwind, 0, sizeof(img->unwind));
}

void images_free(struct images *im)
{
	size_t i;

	for (i = 0; i < im->n; i++) {
		drop_dwfl(im->v[i]);
		free(im->v[i]->maps);
		free(im->v[i]);
	}
	free(im->v);
	memset(im, 0, sizeof(*im));
}

struct image *images_find(struct images *im, uint32_t tgid)
{
	size_t i;

	for (i = im->n; i > 0; i--)
		if (im->v[i - 1]->tgid == tgid)
			return im->v[i - 1];
	return NULL;
}

static struct image *get(struct images *im, uint32_t tgid)
{
	struct image *img = images_find(im, tgid), **v;

	if (img)
		return img;
	v = array_room(im->v, im->n, &im->cap, 16, sizeof(*v));
	if (!v)
		return NULL;
	im->v = v;
	img = calloc(1, sizeof(*img));
	if (!img)
		return NULL;
	img->tgid = tgid;
	im->v[im->n++] = img;
	return img;
}

/*
 * Only the lines of files: libdwfl reads nothing else, and the heap and
 * anonymous regions change all the time, which would rebuild the session.
 */
static char *file_lines(const char *maps)
{
	char *out = malloc(strlen(maps) + 1), *o = out;
	const char *line = maps;

	if (!out)
		return NULL;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
		const char *path = memchr(line, '/', len);

		if (path) {
			memcpy(o, line, len);
			o += len;
		}
		line += len;
	}
	*o = '\0';
	return out;
}

struct image *images_set(struct images *im, uint32_t tgid, const char *maps, bool exec)
{
	struct image *img = get(im, tgid);
	char *copy = file_lines(maps);

	if (!img || !copy) {
		free(copy);
		return NULL;
	}
	/* The same maps as before: the session built from them still holds. */
	if (img->maps && !exec && !strcmp(img->maps, maps)) {
		free(copy);
		return img;
	}
	free(img->maps);
	img->maps = copy;
	img->gen++;
	if (exec)
		img->exec_gen++;
	return img;
}

static char *read_text(const char *path)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0)
		goto fail;
	for (;;) {
		if (cap - len < 4096) {
			char *nbuf;

			if (cap >= MAPS_MAX_BYTES)
				break; /* the first MAPS_MAX_BYTES: enough to name by */
			nbuf = realloc(buf, cap * 2);
			if (!nbuf)
				goto fail;
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	/* A process gone (or a zombie) has no maps left: nothing to keep. */
	if (!len) {
		free(buf);
		return NULL;
	}
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

struct image *images_read(struct images *im, uint32_t tgid, bool exec)
{
	char path[64], exe[256];
	struct image *img;
	char *maps;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/maps", tgid);
	im->reads++;
	maps = read_text(path);
	if (!maps) {
		im->failed++;
		return NULL;
	}
	img = images_set(im, tgid, maps, exec);
	free(maps);
	if (img) {
		snprintf(path, sizeof(path), "/proc/%u/exe", tgid);
		n = readlink(path, exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = '\0';
			snprintf(img->exe, sizeof(img->exe), "%s", exe);
		}
	}
	return img;
}

struct image *images_inherit(struct images *im, uint32_t tgid, uint32_t from)
{
	struct image *parent = images_find(im, from), *img;
	char *maps, exe[256];

	if (images_find(im, tgid) || !parent || !parent->maps)
		return images_find(im, tgid);
	maps = strdup(parent->maps);
	snprintf(exe, sizeof(exe), "%s", parent->exe);
	img = maps ? images_set(im, tgid, maps, false) : NULL;
	if (img)
		snprintf(img->exe, sizeof(img->exe), "%s", exe);
	free(maps);
	return img;
}

static int open_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
		    void *arg)
{
	Dwarf_Addr bias;

	(void)userdata;
	(void)name;
	(void)start;
	(void)arg;
	dwfl_module_getelf(mod, &bias);
	return DWARF_CB_OK;
}

Dwfl *image_dwfl(struct image *img)
{
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_linux_proc_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
	};
	FILE *f;
	Dwfl *dwfl;
	int rc;

	if (img->dwfl && img->dwfl_gen == img->gen)
		return img->dwfl;
	drop_dwfl(img);
	if (!img->maps || !(dwfl = dwfl_begin(&callbacks)))
		return NULL;
	f = fmemopen(img->maps, strlen(img->maps), "r");
	if (!f) {
		dwfl_end(dwfl);
		return NULL;
	}
	dwfl_report_begin(dwfl);
	rc = dwfl_linux_proc_maps_report(dwfl, f);
	fclose(f);
	if (rc != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0) {
		dwfl_end(dwfl);
		return NULL;
	}
	/* Open every file now, while it is there to be opened. */
	dwfl_getmodules(dwfl, open_elf, NULL, 0);
	img->dwfl = dwfl;
	img->dwfl_gen = img->gen;
	return dwfl;
}
