// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Traced JVMs: their libjvm.so, their interpreter, their memory (jvm_procs.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "jvm_procs.h"
#include "util.h"

void jvm_procs_init(struct jvm_procs *j)
{
	memset(j, 0, sizeof(*j));
}

static void forget_names(struct jvm_proc *p)
{
	size_t i;

	for (i = 0; i < p->nnames; i++)
		free(p->names[i].name);
	free(p->names);
	p->names = NULL;
	p->nnames = p->capnames = 0;
}

void jvm_procs_free(struct jvm_procs *j)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		forget_names(&j->v[i]);
	free(j->v);
	memset(j, 0, sizeof(*j));
}

static struct jvm_proc *find(struct jvm_procs *j, uint32_t tgid)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (j->v[i].tgid == tgid)
			return &j->v[i];
	return NULL;
}

static struct jvm_proc *find_or_add(struct jvm_procs *j, uint32_t tgid)
{
	struct jvm_proc *p = find(j, tgid);

	if (p)
		return p;
	p = array_room(j->v, j->n, &j->cap, 8, sizeof(*p));
	if (!p)
		return NULL;
	j->v = p;
	p = &j->v[j->n++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	return p;
}

/* The JVM's memory, read with process_vm_readv (the collector runs as root or CAP_SYS_PTRACE'd). */
static bool read_process(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct jvm_proc *p = ctx;
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };

	return process_vm_readv((pid_t)p->tgid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

struct find_jvm {
	Dwfl_Module *mod;
};

static int is_libjvm(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
		     void *arg)
{
	struct find_jvm *f = arg;
	const char *base = name ? strrchr(name, '/') : NULL;

	(void)userdata;
	(void)start;
	if (base && !strcmp(base + 1, "libjvm.so")) {
		f->mod = mod;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

/* The exported symbols that lead to the tables, as addresses in the process. */
static bool find_exports(Dwfl_Module *mod, uint64_t exports[JVM_EXPORT_COUNT])
{
	int n = dwfl_module_getsymtab(mod), i, k, left = JVM_EXPORT_COUNT;

	memset(exports, 0, JVM_EXPORT_COUNT * sizeof(*exports));
	for (i = 1; i < n && left; i++) {
		GElf_Addr addr;
		GElf_Sym sym;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);

		if (!name || strncmp(name, "gHotSpotVM", 10) || sym.st_shndx == SHN_UNDEF)
			continue;
		for (k = 0; k < JVM_EXPORT_COUNT; k++)
			if (!exports[k] && !strcmp(name, jvm_export_names[k])) {
				exports[k] = addr;
				left--;
			}
	}
	return left == 0;
}

/* The process as a JVM: its tables read once, its interpreter looked for until found. */
static struct jvm_proc *jvm_of(struct jvm_procs *j, struct image *img)
{
	struct jvm_proc *p = find_or_add(j, img->tgid);
	Dwfl *dwfl = image_dwfl(img);
	struct find_jvm f = { NULL };

	if (!p || !dwfl)
		return NULL;
	if (p->exec_gen != img->exec_gen || p->dwfl_gen != img->dwfl_gen) {
		/* A new look at a new image; an exec means another program. */
		if (p->exec_gen != img->exec_gen) {
			forget_names(p);
			memset(p, 0, sizeof(*p));
			p->tgid = img->tgid;
			p->exec_gen = img->exec_gen;
		}
		p->dwfl_gen = img->dwfl_gen;
		if (!p->is_jvm) {
			dwfl_getmodules(dwfl, is_libjvm, &f, 0);
			p->is_jvm = f.mod != NULL;
		}
		if (p->is_jvm && !p->layout_read) {
			uint64_t exports[JVM_EXPORT_COUNT];
			struct jvm_mem m = { read_process, p };

			if (!f.mod)
				dwfl_getmodules(dwfl, is_libjvm, &f, 0);
			p->layout_read = true;
			p->layout_ok = f.mod && find_exports(f.mod, exports) &&
				       !jvm_layout_read(&m, exports, &p->layout);
			if (!p->layout_ok)
				j->no_layout++;
		}
	}
	if (!p->is_jvm || !p->layout_ok)
		return NULL;
	if (!p->interp_hi) {
		struct jvm_mem m = { read_process, p };

		jvm_interpreter_range(&m, &p->layout, &p->interp_lo, &p->interp_hi);
	}
	return p->interp_hi ? p : NULL;
}

void jvm_procs_mark(struct jvm_procs *j, struct image *img, const struct unwind_capture *c,
		    struct unwound *u)
{
	uint64_t sp = c->regs[USTACK_REG_SP];
	struct jvm_proc *p;
	int k;

	if (u->method != UNWIND_DWARF || !u->n || !(p = jvm_of(j, img)))
		return;
	for (k = 0; k < u->n; k++) {
		/* a caller's pc is a return address: its call is the byte before */
		uint64_t at = k ? u->pc[k] - 1 : u->pc[k];
		uint64_t slot = u->fp[k] + JVM_INTERP_METHOD_FROM_FP;

		if (at < p->interp_lo || at >= p->interp_hi)
			continue;
		if (!u->fp[k] || slot < sp || slot - sp + 8 > c->size) {
			j->no_method++;
			continue;
		}
		memcpy(&u->jmethod[k], c->stack + (slot - sp), 8);
		if (u->jmethod[k]) {
			u->has_jmethod = true;
			j->marked++;
			/*
			 * Named now, while the JVM most likely lives (once per Method*):
			 * one launched with -- has exited by the report.
			 */
			jvm_procs_name(j, p->tgid, u->jmethod[k]);
		}
	}
}

const char *jvm_procs_name(struct jvm_procs *j, uint32_t tgid, uint64_t method)
{
	struct jvm_proc *p = find(j, tgid);
	struct jvm_mem m = { read_process, p };
	struct jvm_name *v;
	char buf[1024];
	size_t i;

	if (!p || !p->layout_ok)
		return NULL;
	for (i = 0; i < p->nnames; i++)
		if (p->names[i].method == method)
			return p->names[i].name;
	v = array_room(p->names, p->nnames, &p->capnames, 64, sizeof(*v));
	if (!v)
		return NULL;
	p->names = v;
	/* NULL too is kept: a Method* that cannot be read now will not be later */
	p->names[p->nnames].method = method;
	p->names[p->nnames].name =
		jvm_method_name(&m, &p->layout, method, buf, sizeof(buf)) ? NULL : strdup(buf);
	return p->names[p->nnames++].name;
}
