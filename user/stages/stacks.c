// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --stacks: where blocking calls are made. Each blocking call brings a
 * frame-pointer walk (the kernel's stack map) and a copy of its registers
 * and stack (RECORD_USTACK), unwound with DWARF CFI in unwind.c as it
 * arrives; the better stack of the two is kept, and named at once from the
 * process's image (images.c), so that a process that has exited by the end
 * is named as well as one that lives.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "stacks.h"
#include "symbols.h"
#include "syscalls.h"
#include "util.h"

#define STACKS_BUCKETS 4096
#define PROT_EXEC_BIT 4

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stacks_init(struct stacks *s)
{
	memset(s, 0, sizeof(*s));
	s->map_fd = -1;
	s->ask_jvms = true;
	images_init(&s->images);
	jvm_procs_init(&s->jvms);
	s->nr_execve = syscall_number("execve");
	s->nr_execveat = syscall_number("execveat");
	s->nr_mmap = syscall_number("mmap");
	s->nr_mprotect = syscall_number("mprotect");
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
		free(s->e[i].naming);
		free(s->e[i].pc);
		free(s->e[i].jmethod);
	}
	free(s->e);
	free(s->buckets);
	images_free(&s->images);
	jvm_procs_free(&s->jvms);
	memset(s, 0, sizeof(*s));
	s->map_fd = -1;
}

void stacks_set_map(struct stacks *s, int map_fd)
{
	s->map_fd = map_fd;
}

/* The latest entry for a PID (a PID may be reused by a later process). */
const struct process_stats *stacks_process(const struct account *a, uint32_t tgid)
{
	size_t i;

	for (i = a ? a->nprocesses : 0; i > 0; i--)
		if (a->processes[i - 1].tgid == tgid)
			return &a->processes[i - 1];
	return NULL;
}

/*
 * The image of a process seen for the first time: its maps now, or, if it
 * is gone already, its parent's (a forked child that did not exec runs its
 * parent's code).
 */
static struct image *image_of(struct stacks *s, uint32_t tgid)
{
	struct image *img = images_find(&s->images, tgid);
	const struct process_stats *p;

	if (img)
		return img;
	img = images_read(&s->images, tgid, false);
	if (img)
		return img;
	p = stacks_process(s->acct, tgid);
	if (p && p->parent_tgid)
		return images_inherit(&s->images, tgid, p->parent_tgid);
	return NULL;
}

void stacks_add_ustack(struct stacks *s, const void *data, size_t size)
{
	const struct ustack_record *u = data;
	struct unwind_capture c;
	struct stack_pending *p;
	struct image *img;
	uint64_t t0;
	int i;

	if (unwind_capture_from_record(data, size, &c)) {
		s->ustack_malformed++;
		return;
	}
	s->ustack_records++;
	s->ustack_bytes += c.size;
	/* One waiting copy per thread: a newer one replaces it (its call record was lost). */
	for (i = 0, p = NULL; i < STACKS_PENDING && !p; i++)
		if (s->pending[i].full && s->pending[i].tid == u->hdr.tid)
			p = &s->pending[i];
	if (!p)
		p = &s->pending[s->next_pending++ % STACKS_PENDING];
	p->tid = u->hdr.tid;
	p->nr = (long)u->nr;
	p->enter_ns = u->enter_ns;
	p->full = true;
	t0 = now_ns();
	img = image_of(s, u->hdr.tgid);
	if (img && img->settle) {
		img->settle = false;
		img = images_read(&s->images, u->hdr.tgid, false) ?: img;
	}
	unwind_dwarf(img ? image_dwfl(img) : NULL, img ? &img->unwind : NULL, &c, &p->u);
	/* Now, while the copy is here: a JVM interpreter frame's method is in it. */
	if (img)
		jvm_procs_mark(&s->jvms, img, &c, &p->u);
	s->unwind_ns += now_ns() - t0;
}

static struct unwound *take_pending(struct stacks *s, const struct call_record *c)
{
	int i;

	for (i = 0; i < STACKS_PENDING; i++) {
		struct stack_pending *p = &s->pending[i];

		if (p->full && p->tid == c->hdr.tid) {
			p->full = false;
			/*
			 * The copy comes just before its call record. An interrupted
			 * call and its retry come merged, with the first part's entry
			 * time and the retry's copy: a copy taken before the call began
			 * is an older call's, whose record was lost.
			 */
			if (p->enter_ns >= c->enter_ns) {
				s->ustack_paired++;
				return &p->u;
			}
			s->ustack_unpaired++;
		}
	}
	return NULL;
}

static int read_fp(int map_fd, int32_t id, struct unwound *out)
{
	uint64_t ips[STACK_MAX_DEPTH];
	__u32 key = (__u32)id;

	memset(out, 0, sizeof(*out));
	if (id < 0 || map_fd < 0 || bpf_map_lookup_elem(map_fd, &key, ips))
		return -1;
	unwind_from_fp(ips, STACK_MAX_DEPTH, out);
	return 0;
}

static uint64_t hash_stack(const struct call_record *c, const struct unwound *u, unsigned gen)
{
	uint64_t h = 1469598103934665603ull;
	int i;

#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
	MIX(c->hdr.tgid);
	MIX(c->nr);
	MIX((uint32_t)c->kernel_stack_id);
	MIX(gen);
	MIX(u ? u->method : 0);
	for (i = 0; u && i < u->n; i++)
		MIX(u->pc[i]);
	/* The interpreter's code is every interpreted method's: its method tells sites apart. */
	for (i = 0; u && u->has_jmethod && i < u->n; i++)
		MIX(u->jmethod[i]);
#undef MIX
	return h;
}

static bool same_site(const struct stack_entry *e, const struct call_record *c,
		      const struct unwound *u, unsigned gen, uint64_t h)
{
	int n = u ? u->n : 0;

	return e->hash == h && e->tgid == c->hdr.tgid && e->nr == (long)c->nr &&
	       e->kernel_id == c->kernel_stack_id && e->exec_gen == gen &&
	       e->method == (u ? u->method : UNWIND_NONE) && e->npc == n &&
	       (!n || !memcmp(e->pc, u->pc, (size_t)n * sizeof(*e->pc))) &&
	       !e->jmethod == !(u && u->has_jmethod) &&
	       (!e->jmethod || !memcmp(e->jmethod, u->jmethod, (size_t)n * sizeof(*e->jmethod)));
}

/* Names a new site's user frames from the image its addresses were taken in. */
static void name_user_frames(struct stacks *s, struct stack_entry *e)
{
	struct image *img = images_find(&s->images, e->tgid);
	Dwfl *dwfl = img && img->exec_gen == e->exec_gen ? image_dwfl(img) : NULL;
	char buf[1024];
	int k;

	if (!e->npc)
		return;
	e->user_frames = calloc((size_t)e->npc, sizeof(char *));
	e->naming = calloc((size_t)e->npc, 1);
	if (!e->user_frames || !e->naming)
		return;
	for (k = 0; k < e->npc; k++) {
		e->naming[k] = (uint8_t)symbols_user_frame(dwfl, NULL, e->pc[k], k > 0, buf,
							  sizeof(buf));
		e->user_frames[k] = strdup(buf);
		if (!e->user_frames[k])
			break;
		e->nuser = k + 1;
	}
}

static struct stack_entry *new_site(struct stacks *s, const struct call_record *c,
				    const struct unwound *u, unsigned gen, uint64_t h)
{
	struct stack_entry *e;
	size_t b;

	if (s->n >= STACKS_MAX_ENTRIES)
		return NULL;
	if (!s->buckets) {
		s->buckets = malloc(STACKS_BUCKETS * sizeof(*s->buckets));
		if (!s->buckets)
			return NULL;
		memset(s->buckets, 0xff, STACKS_BUCKETS * sizeof(*s->buckets));
	}
	e = array_room(s->e, s->n, &s->cap, 64, sizeof(*e));
	if (!e)
		return NULL;
	s->e = e;
	e = &s->e[s->n];
	memset(e, 0, sizeof(*e));
	e->tgid = c->hdr.tgid;
	e->tid = c->hdr.tid;
	e->nr = (long)c->nr;
	e->kernel_id = c->kernel_stack_id;
	e->exec_gen = gen;
	e->method = u ? u->method : UNWIND_NONE;
	e->end = u ? u->end : UNWIND_END_UNKNOWN;
	e->hash = h;
	if (u && u->n) {
		e->pc = malloc((size_t)u->n * sizeof(*e->pc));
		if (!e->pc)
			return NULL;
		memcpy(e->pc, u->pc, (size_t)u->n * sizeof(*e->pc));
		e->npc = u->n;
		if (u->has_jmethod) {
			e->jmethod = malloc((size_t)u->n * sizeof(*e->jmethod));
			if (!e->jmethod) {
				free(e->pc);
				return NULL;
			}
			memcpy(e->jmethod, u->jmethod, (size_t)u->n * sizeof(*e->jmethod));
		}
	}
	b = h % STACKS_BUCKETS;
	e->next = s->buckets[b];
	s->buckets[b] = (int)s->n;
	s->n++;
	name_user_frames(s, e);
	return e;
}

/* execve, or code mapped: read the process's maps while it is there to read. */
static void maps_changed(struct stacks *s, const struct call_record *c)
{
	bool failed = c->ret < 0 && c->ret >= -4095;

	if (failed)
		return;
	if (c->nr == s->nr_execve || c->nr == s->nr_execveat) {
		struct image *img = images_read(&s->images, c->hdr.tgid, true);

		if (img && (c->hdr.flags & CALL_SCHED_ONLY))
			img->settle = true;
	}
	else if ((c->nr == s->nr_mmap || c->nr == s->nr_mprotect) && (c->args[2] & PROT_EXEC_BIT))
		images_read(&s->images, c->hdr.tgid, false);
}

void stacks_add(struct stacks *s, const struct call_record *c, const char *comm)
{
	struct unwound fp, *dwarf;
	const struct unwound *u;
	struct stack_entry *e = NULL;
	struct image *img;
	unsigned gen;
	uint64_t h;
	int i;

	if (!c->voluntary) {
		maps_changed(s, c);
		return;
	}
	dwarf = take_pending(s, c);
	/* A new image's first stack is its entry point, where nothing calls. */
	if (dwarf && dwarf->n == 1 && (c->nr == s->nr_execve || c->nr == s->nr_execveat))
		dwarf->end = UNWIND_END_OUTERMOST;
	/* A whole DWARF stack is kept anyway: no need to read the frame-pointer walk. */
	if (dwarf && dwarf->n && dwarf->end == UNWIND_END_OUTERMOST)
		memset(&fp, 0, sizeof(fp));
	else
		read_fp(s->map_fd, c->user_stack_id, &fp);
	u = unwind_choose(dwarf, &fp);
	if (!u && c->kernel_stack_id < 0) {
		s->missing++;
		maps_changed(s, c);
		return;
	}
	/* First sight of the process: its maps now (it may be gone by the end). */
	img = image_of(s, c->hdr.tgid);
	gen = img ? img->exec_gen : 0;
	h = hash_stack(c, u, gen);
	if (s->buckets)
		for (i = s->buckets[h % STACKS_BUCKETS]; i >= 0; i = s->e[i].next)
			if (same_site(&s->e[i], c, u, gen, h)) {
				e = &s->e[i];
				break;
			}
	if (!e)
		e = new_site(s, c, u, gen, h);
	if (!e) {
		s->dropped++;
	} else {
		if (!e->comm[0] && comm && comm[0])
			snprintf(e->comm, sizeof(e->comm), "%s", comm);
		e->count++;
		e->blocked_ns += c->blocked_ns;
		s->by_method[u ? u->method : UNWIND_NONE]++;
		if (u && u->method == UNWIND_DWARF)
			s->cut[u->end]++;
		else if (dwarf)
			s->cut[dwarf->end]++;
	}
	maps_changed(s, c);
}

static int by_blocked_desc(const void *x, const void *y)
{
	const struct stack_entry *a = x, *b = y;

	return a->blocked_ns < b->blocked_ns ? 1 : a->blocked_ns > b->blocked_ns ? -1 : 0;
}

void stacks_print_top(FILE *f, struct stacks *s, int limit)
{
	uint64_t calls = s->by_method[UNWIND_DWARF] + s->by_method[UNWIND_FP];
	size_t i;
	int k;

	free(s->buckets);
	s->buckets = NULL;
	qsort(s->e, s->n, sizeof(*s->e), by_blocked_desc);
	fprintf(f, "\nTOP BLOCKING CALL SITES (user stacks unwound with DWARF CFI from a copy of the "
		   "stack [dwarf], or by frame pointers [fp]; frames as function+offset, with file:line "
		   "where debug info exists)\n");
	for (i = 0; i < s->n && (int)i < limit; i++) {
		const struct stack_entry *e = &s->e[i];
		const char *name = syscall_name(e->nr);
		const char *end = e->method == UNWIND_DWARF ? unwind_end_text(e->end) : "";

		fprintf(f, "  %s[%u] %s: %llu calls, %.2f ms blocked [%s]\n", e->comm, e->tgid,
			name ? name : "?", (unsigned long long)e->count, (double)e->blocked_ns / 1e6,
			unwind_method_name(e->method));
		for (k = 0; k < e->nkernel && k < 8; k++)
			fprintf(f, "      [k] %s\n", e->kernel_frames[k]);
		for (k = 0; k < e->nuser && k < 16; k++)
			fprintf(f, "      %s\n", e->user_frames[k]);
		if (e->nuser > 16)
			fprintf(f, "      ... %d more frames\n", e->nuser - 16);
		if (!e->nuser)
			fprintf(f, "      (no user stack)\n");
		else if (*end)
			fprintf(f, "      (%s)\n", end);
	}
	if (calls)
		fprintf(f, "  user stacks: %llu of %llu blocking calls unwound with dwarf, %llu by frame pointers; "
			   "%llu copies (%.1f KiB each on average), unwound in %.1f us each\n",
			(unsigned long long)s->by_method[UNWIND_DWARF], (unsigned long long)calls,
			(unsigned long long)s->by_method[UNWIND_FP],
			(unsigned long long)s->ustack_records,
			s->ustack_records ? (double)s->ustack_bytes / 1024.0 / (double)s->ustack_records : 0.0,
			s->ustack_records ? (double)s->unwind_ns / 1e3 / (double)s->ustack_records : 0.0);
	for (k = 0; k < UNWIND_END_COUNT; k++)
		if (k != UNWIND_END_OUTERMOST && k != UNWIND_END_UNKNOWN && s->cut[k])
			fprintf(f, "  %llu DWARF stacks %s\n", (unsigned long long)s->cut[k],
				unwind_end_text((enum unwind_end)k) + strlen("cut: "));
	if (s->ustack_records > s->ustack_paired)
		fprintf(f, "  %llu stack copies had no call site (calls cut by the tracing window, or a lost record)\n",
			(unsigned long long)(s->ustack_records - s->ustack_paired));
	if (s->ustack_skipped)
		fprintf(f, "  %llu blocking calls had no stack copy (the ring was half full): "
			   "frame pointers only\n",
			(unsigned long long)s->ustack_skipped);
	if (s->missing)
		fprintf(f, "  %llu blocking calls had no stack (the stack map was full or the walk failed)\n",
			(unsigned long long)s->missing);
	if (s->dropped)
		fprintf(f, "  %llu blocking calls at sites past the first %u were not kept\n",
			(unsigned long long)s->dropped, STACKS_MAX_ENTRIES);
	if (s->jvm_note[0])
		fprintf(f, "  %s\n", s->jvm_note);
	if (s->jvms.named || s->jvms.unreadable)
		fprintf(f, "  %llu interpreted Java frames named from the JVM's memory (its VMStructs), "
			   "%llu left as Interpreter (the method could not be read: class unloaded or JVM gone)\n",
			(unsigned long long)s->jvms.named, (unsigned long long)s->jvms.unreadable);
	if (s->jvms.no_method)
		fprintf(f, "  %llu interpreter frames of stack copies had no method in the copy\n",
			(unsigned long long)s->jvms.no_method);
	if (s->jvms.no_layout)
		fprintf(f, "  %llu JVMs whose VMStructs could not be read: interpreted frames left as Interpreter\n",
			(unsigned long long)s->jvms.no_layout);
	if (s->unresolved_processes)
		fprintf(f, "  %d processes had exited before their maps could be read: addresses shown\n",
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
		folded_frame(f, e->comm[0] ? e->comm : "?");
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

const struct stack_entry *stacks_site_of(const struct stacks *s, uint32_t tgid, uint32_t tid,
					 const char *comm, long nr)
{
	const struct stack_entry *best = NULL, *same_comm = NULL;
	size_t i;

	for (i = 0; s && i < s->n; i++) {
		const struct stack_entry *e = &s->e[i];

		if (e->tgid != tgid || e->nr != nr || !e->nuser)
			continue;
		if (e->tid == tid && (!best || e->blocked_ns > best->blocked_ns))
			best = e;
		if (strncmp(e->comm, comm, BLOCKSCOPE_COMM_LEN) == 0 &&
		    (!same_comm || e->blocked_ns > same_comm->blocked_ns))
			same_comm = e;
	}
	return best ? best : same_comm;
}
