// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --stacks: where blocking calls are made, named with elfutils' libdwfl. */
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "stacks.h"
#include "syscalls.h"

void stacks_init(struct stacks *s)
{
	memset(s, 0, sizeof(*s));
}

static void free_frames(char **f, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(f[i]);
	free(f);
}

void stacks_free(struct stacks *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free_frames(s->e[i].user_frames, s->e[i].nuser);
		free_frames(s->e[i].kernel_frames, s->e[i].nkernel);
	}
	free(s->e);
	memset(s, 0, sizeof(*s));
}

void stacks_add(struct stacks *s, const struct call_record *c, const char *comm)
{
	size_t i;

	if (!c->voluntary)
		return;
	if (c->user_stack_id < 0 && c->kernel_stack_id < 0) {
		s->missing++;
		return;
	}
	for (i = 0; i < s->n; i++) {
		struct stack_entry *e = &s->e[i];

		if (e->tgid == c->hdr.tgid && e->user_id == c->user_stack_id &&
		    e->kernel_id == c->kernel_stack_id && e->nr == c->nr) {
			e->count++;
			e->blocked_ns += c->blocked_ns;
			return;
		}
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct stack_entry *n = realloc(s->e, cap * sizeof(*n));

		if (!n)
			return;
		s->e = n;
		s->cap = cap;
	}
	memset(&s->e[s->n], 0, sizeof(s->e[s->n]));
	s->e[s->n].tgid = c->hdr.tgid;
	s->e[s->n].user_id = c->user_stack_id;
	s->e[s->n].kernel_id = c->kernel_stack_id;
	s->e[s->n].nr = c->nr;
	snprintf(s->e[s->n].comm, sizeof(s->e[s->n].comm), "%s", comm ? comm : "?");
	s->e[s->n].count = 1;
	s->e[s->n].blocked_ns = c->blocked_ns;
	s->n++;
}

/* Kernel symbols, sorted by address, from /proc/kallsyms. */
struct ksym {
	unsigned long long addr;
	char *name;
};

static struct ksym *ksyms;
static size_t nksyms;

static int by_addr(const void *x, const void *y)
{
	const struct ksym *a = x, *b = y;

	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static void load_kallsyms(void)
{
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0;
	FILE *f;

	if (ksyms || !(f = fopen("/proc/kallsyms", "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || !addr)
			continue;
		if (type != 't' && type != 'T' && type != 'W' && type != 'w')
			continue;
		if (nksyms == cap) {
			struct ksym *n = realloc(ksyms, (cap = cap ? cap * 2 : 65536) * sizeof(*n));

			if (!n)
				break;
			ksyms = n;
		}
		ksyms[nksyms].addr = addr;
		ksyms[nksyms++].name = strdup(name);
	}
	fclose(f);
	qsort(ksyms, nksyms, sizeof(*ksyms), by_addr);
}

static char *kernel_name(unsigned long long addr)
{
	size_t lo = 0, hi = nksyms;
	char buf[320];

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (ksyms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (nksyms && ksyms[lo].addr <= addr)
		snprintf(buf, sizeof(buf), "%s", ksyms[lo].name);
	else
		snprintf(buf, sizeof(buf), "0x%llx", addr);
	return strdup(buf);
}

static char *user_name(Dwfl *dwfl, unsigned long long addr, bool return_address)
{
	/* A return address points past the call: look up the call itself. */
	Dwarf_Addr pc = return_address ? addr - 1 : addr;
	Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, pc) : NULL;
	const char *fn = NULL, *file = NULL, *modname = NULL;
	char buf[512];
	GElf_Off off = 0;
	GElf_Sym sym;
	int line = 0;

	if (mod) {
		Dwfl_Line *l;

		fn = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
		modname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		l = dwfl_module_getsrc(mod, pc);
		if (l)
			file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);
	}
	if (fn && file) {
		const char *base = strrchr(file, '/');

		snprintf(buf, sizeof(buf), "%s+0x%llx (%s:%d)", fn, (unsigned long long)off,
			 base ? base + 1 : file, line);
	} else if (fn) {
		snprintf(buf, sizeof(buf), "%s+0x%llx", fn, (unsigned long long)off);
	} else if (modname) {
		const char *base = strrchr(modname, '/');

		snprintf(buf, sizeof(buf), "[%s]+0x%llx", base ? base + 1 : modname, addr);
	} else {
		snprintf(buf, sizeof(buf), "0x%llx", addr);
	}
	return strdup(buf);
}

static int read_frames(int map_fd, int32_t id, unsigned long long *ips)
{
	__u32 key = (__u32)id;
	int n = 0;

	if (id < 0 || bpf_map_lookup_elem(map_fd, &key, ips))
		return 0;
	while (n < STACK_MAX_DEPTH && ips[n])
		n++;
	return n;
}

static Dwfl *open_process(pid_t pid)
{
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_linux_proc_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
	};
	Dwfl *dwfl = dwfl_begin(&callbacks);

	if (!dwfl)
		return NULL;
	if (dwfl_linux_proc_report(dwfl, pid) != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0) {
		dwfl_end(dwfl);
		return NULL;
	}
	return dwfl;
}

int stacks_resolve(struct stacks *s, int map_fd)
{
	unsigned long long ips[STACK_MAX_DEPTH];
	size_t i, j;

	load_kallsyms();
	for (i = 0; i < s->n; i++) {
		struct stack_entry *e = &s->e[i];
		Dwfl *dwfl;
		int n, k;

		if (e->user_frames || e->kernel_frames)
			continue;
		/* One libdwfl session per process, for all its stacks. */
		dwfl = open_process((pid_t)e->tgid);
		if (!dwfl)
			s->unresolved_processes++;
		for (j = i; j < s->n; j++) {
			struct stack_entry *x = &s->e[j];

			if (x->tgid != e->tgid)
				continue;
			n = read_frames(map_fd, x->user_id, ips);
			x->user_frames = calloc((size_t)n + 1, sizeof(char *));
			for (k = 0; x->user_frames && k < n; k++)
				x->user_frames[x->nuser++] = user_name(dwfl, ips[k], k > 0);
			n = read_frames(map_fd, x->kernel_id, ips);
			x->kernel_frames = calloc((size_t)n + 1, sizeof(char *));
			for (k = 0; x->kernel_frames && k < n; k++)
				x->kernel_frames[x->nkernel++] = kernel_name(ips[k]);
		}
		if (dwfl)
			dwfl_end(dwfl);
	}
	return 0;
}

static int by_blocked_desc(const void *x, const void *y)
{
	const struct stack_entry *a = x, *b = y;

	return a->blocked_ns < b->blocked_ns ? 1 : a->blocked_ns > b->blocked_ns ? -1 : 0;
}

void stacks_print_top(FILE *f, struct stacks *s, int limit)
{
	size_t i;
	int k;

	qsort(s->e, s->n, sizeof(*s->e), by_blocked_desc);
	fprintf(f, "\nTOP BLOCKING CALL SITES (user stacks need frame pointers: without them "
		   "they stop early; frames show as function+offset, with file:line where debug info exists)\n");
	for (i = 0; i < s->n && (int)i < limit; i++) {
		const struct stack_entry *e = &s->e[i];
		const char *name = syscall_name(e->nr);

		fprintf(f, "  %s[%u] %s: %llu calls, %.2f ms blocked\n", e->comm, e->tgid,
			name ? name : "?", (unsigned long long)e->count, (double)e->blocked_ns / 1e6);
		for (k = 0; k < e->nkernel && k < 8; k++)
			fprintf(f, "      [k] %s\n", e->kernel_frames[k]);
		for (k = 0; k < e->nuser && k < 12; k++)
			fprintf(f, "      %s\n", e->user_frames[k]);
		if (!e->nuser && e->user_id < 0)
			fprintf(f, "      (no user stack)\n");
	}
	if (s->missing)
		fprintf(f, "  %llu blocking calls had no stack (the stack map was full or the walk failed)\n",
			(unsigned long long)s->missing);
	if (s->unresolved_processes)
		fprintf(f, "  %d processes had exited before their stacks could be named: addresses shown\n",
			s->unresolved_processes);
}

static void folded_frame(FILE *f, const char *frame)
{
	/* ';' separates frames and ' ' the count: keep both out of names. */
	for (; *frame; frame++)
		fputc(*frame == ';' ? ':' : *frame == ' ' ? '_' : *frame, f);
}

int stacks_write_folded(FILE *f, struct stacks *s)
{
	size_t i;
	int k;

	for (i = 0; i < s->n; i++) {
		const struct stack_entry *e = &s->e[i];
		const char *name = syscall_name(e->nr);
		unsigned long long us = e->blocked_ns / 1000;

		if (!us)
			continue;
		folded_frame(f, e->comm);
		for (k = e->nuser - 1; k >= 0; k--) {
			fputc(';', f);
			folded_frame(f, e->user_frames[k]);
		}
		fprintf(f, ";[%s]", name ? name : "syscall");
		for (k = e->nkernel - 1; k >= 0; k--) {
			fputc(';', f);
			folded_frame(f, e->kernel_frames[k]);
		}
		fprintf(f, " %llu\n", us);
	}
	return ferror(f) ? -1 : 0;
}
