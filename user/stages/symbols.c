// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Names of user frames: libdwfl, C++ demangling, perf maps of JIT runtimes. */
#include <stdlib.h>
#include <string.h>
#include "symbols.h"

/* libstdc++'s, with C linkage (cxxabi.h is C++ only). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

const char *symbols_demangle(const char *name, char *out, size_t len)
{
	char *d = NULL;
	int status = -1;

	if (name[0] == '_' && name[1] == 'Z')
		d = __cxa_demangle(name, NULL, NULL, &status);
	snprintf(out, len, "%s", d && !status ? d : name);
	free(d);
	return out;
}

static int by_start(const void *x, const void *y)
{
	const struct perfmap_sym *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int perfmap_parse(struct perfmap *pm, FILE *f)
{
	size_t cap = 0;
	char *line = NULL;
	size_t linecap = 0;
	uint32_t seq = 0;
	ssize_t got;

	memset(pm, 0, sizeof(*pm));
	while ((got = getline(&line, &linecap, f)) > 0) {
		unsigned long long start, size;
		int name_at = 0;
		char *name;

		seq++;
		if (line[got - 1] == '\n')
			line[--got] = '\0';
		if (sscanf(line, "%llx %llx %n", &start, &size, &name_at) != 2 || !name_at ||
		    !line[name_at] || !size || start + size < start) {
			pm->bad_lines++;
			continue;
		}
		if (pm->n == cap) {
			struct perfmap_sym *v = realloc(pm->v, (cap = cap ? cap * 2 : 1024) * sizeof(*v));

			if (!v)
				break;
			pm->v = v;
		}
		name = strdup(line + name_at);
		if (!name)
			break;
		pm->v[pm->n++] = (struct perfmap_sym){ start, size, seq, name };
	}
	free(line);
	qsort(pm->v, pm->n, sizeof(*pm->v), by_start);
	return 0;
}

int perfmap_load(struct perfmap *pm, uint32_t pid)
{
	char path[64];
	FILE *f;

	memset(pm, 0, sizeof(*pm));
	snprintf(path, sizeof(path), "/tmp/perf-%u.map", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	perfmap_parse(pm, f);
	fclose(f);
	return 0;
}

/* A JIT's code blobs rarely nest: a few steps back always find the holder. */
#define PERFMAP_BACK_STEPS 64

const char *perfmap_lookup(const struct perfmap *pm, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi = pm ? pm->n : 0, i;
	const struct perfmap_sym *best = NULL;

	/* the last entry starting at or below addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i > 0 && lo - i < PERFMAP_BACK_STEPS; i--) {
		const struct perfmap_sym *s = &pm->v[i - 1];

		if (addr - s->start < s->size && (!best || s->seq > best->seq))
			best = s;
	}
	if (best && off)
		*off = addr - best->start;
	return best ? best->name : NULL;
}

void perfmap_free(struct perfmap *pm)
{
	size_t i;

	for (i = 0; i < pm->n; i++)
		free(pm->v[i].name);
	free(pm->v);
	memset(pm, 0, sizeof(*pm));
}

enum frame_naming symbols_user_frame(Dwfl *dwfl, const struct perfmap *pm, uint64_t pc,
				     bool return_address, char *buf, size_t len)
{
	/* A return address points past the call: look up the call itself. */
	Dwarf_Addr at = return_address ? pc - 1 : pc;
	Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, at) : NULL;
	const char *fn = NULL, *file = NULL, *modname = NULL, *jit;
	char name[1024];
	GElf_Off off = 0;
	uint64_t joff = 0;
	GElf_Sym sym;
	int line = 0;

	if (mod) {
		Dwfl_Line *l;

		fn = dwfl_module_addrinfo(mod, at, &off, &sym, NULL, NULL, NULL);
		modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		l = dwfl_module_getsrc(mod, at);
		if (l)
			file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);
	}
	if (fn) {
		const char *base = file ? strrchr(file, '/') : NULL;

		symbols_demangle(fn, name, sizeof(name));
		/* clock_nanosleep@GLIBC_2.2.5: the symbol version says nothing of the call site */
		if (name[0] != '@' && strchr(name, '@'))
			*strchr(name, '@') = '\0';
		/* offsets from the frame's own pc, as perf prints them */
		off += return_address;
		if (file)
			snprintf(buf, len, "%s+0x%llx (%s:%d)", name, (unsigned long long)off,
				 base ? base + 1 : file, line);
		else
			snprintf(buf, len, "%s+0x%llx", name, (unsigned long long)off);
		return FRAME_SYMBOL;
	}
	if (!mod && (jit = perfmap_lookup(pm, at, &joff))) {
		snprintf(buf, len, "%s+0x%llx", jit, (unsigned long long)(joff + return_address));
		return FRAME_PERFMAP;
	}
	if (modname) {
		const char *base = strrchr(modname, '/');

		snprintf(buf, len, "[%s]+0x%llx", base ? base + 1 : modname, (unsigned long long)pc);
		return FRAME_MODULE;
	}
	snprintf(buf, len, "0x%llx", (unsigned long long)pc);
	return FRAME_ADDRESS;
}
