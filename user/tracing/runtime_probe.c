// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Which language runtime a process runs. roles.c needs it where threads
 * carry no names: every thread of a Go program is one of the scheduler's
 * Ms, and its monitor (sysmon) sleeps in a loop like no pool does.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "runtime_probe.h"

/* Whether the ELF file at path has a section of that name (Go: .go.buildinfo). */
static bool has_section(const char *path, const char *name)
{
	Elf_Scn *scn = NULL;
	bool found = false;
	size_t strndx;
	Elf *elf;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_getshdrstrndx(elf, &strndx) == 0) {
		while (!found && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr shdr;
			const char *s;

			if (gelf_getshdr(scn, &shdr) && (s = elf_strptr(elf, strndx, shdr.sh_name)))
				found = strcmp(s, name) == 0;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

/* The runtime a mapped file or the executable's name gives away; RUNTIME_NATIVE if none. */
static enum process_runtime by_file(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (strcmp(base, "libjvm.so") == 0)
		return RUNTIME_JVM;
	if (strcmp(base, "node") == 0 || strcmp(base, "nodejs") == 0 ||
	    strncmp(base, "libnode.so", 10) == 0)
		return RUNTIME_NODE;
	if (strncmp(base, "libpython3", 10) == 0 || strncmp(base, "python3", 7) == 0)
		return RUNTIME_PYTHON;
	return RUNTIME_NATIVE;
}

enum process_runtime runtime_probe(pid_t pid)
{
	enum process_runtime r = RUNTIME_NATIVE;
	char path[64], line[512], exe[256];
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (has_section(path, ".go.buildinfo"))
		return RUNTIME_GO;
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		r = by_file(exe);
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	while (f && r == RUNTIME_NATIVE && fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/');

		if (file) {
			file[strcspn(file, "\n")] = '\0';
			r = by_file(file);
		}
	}
	if (f)
		fclose(f);
	return r;
}

/* /proc/PID/FILE's NUL-separated words into buf (len), cut at a word's end; -1 if unreadable. */
static ssize_t read_words(pid_t pid, const char *file, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 2);
	close(fd);
	if (n < 0)
		return -1;
	/* Cut within a word: drop it. Two NULs end the list. */
	while (n > 0 && buf[n - 1] != '\0')
		n--;
	buf[n] = buf[n + 1] = '\0';
	return n;
}

int runtime_settings(pid_t pid, char *env, char *cmdline, size_t len)
{
	static const char *const vars[] = {"UV_THREADPOOL_SIZE=", "GOMAXPROCS="};
	char all[8192];
	size_t used = 0, i;
	ssize_t n;
	const char *w;

	env[0] = env[1] = '\0';
	if (read_words(pid, "cmdline", cmdline, len) < 0)
		cmdline[0] = cmdline[1] = '\0';
	n = read_words(pid, "environ", all, sizeof(all));
	if (n < 0)
		return -1;
	for (w = all; *w; w += strlen(w) + 1)
		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			if (strncmp(w, vars[i], strlen(vars[i])) == 0 &&
			    used + strlen(w) + 2 < len) {
				memcpy(env + used, w, strlen(w) + 1);
				used += strlen(w) + 1;
				env[used] = '\0';
			}
	return 0;
}

int runtime_statics(pid_t pid, struct addr_range *out, int max)
{
	char path[64], line[512];
	bool after_file = false; /* the line before was a writable mapping of a file */
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[8];
		int off = 0;
		const char *name;
		bool file;

		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &lo, &hi, perms, &off) < 3 || !off)
			continue;
		name = line + off;
		file = name[0] == '/';
		if (perms[0] != 'r' || perms[1] != 'w') {
			after_file = false;
			continue;
		}
		/* An image's bss goes on in an anonymous mapping right after its data. */
		if (!file &&
		    !(after_file && n && out[n - 1].hi == lo && (name[0] == '\n' || !name[0]))) {
			after_file = false;
			continue;
		}
		if (n && out[n - 1].hi == lo) {
			out[n - 1].hi = hi;
		} else if (n == max) {
			/* More than we keep: better not know than judge by a part. */
			fclose(f);
			return 0;
		} else {
			out[n].lo = lo;
			out[n++].hi = hi;
		}
		after_file = file;
	}
	fclose(f);
	return n;
}
