// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --stacks at the end of the trace: JIT frames named from the runtimes'
 * perf maps (a live JVM asked for one with jcmd), kernel frames from
 * /proc/kallsyms, and names for threads that never sent theirs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "stacks.h"
#include "symbols.h"

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
	if (nksyms && ksyms[lo].addr <= addr && ksyms[lo].name)
		snprintf(buf, sizeof(buf), "%s", ksyms[lo].name);
	else
		snprintf(buf, sizeof(buf), "0x%llx", addr);
	return strdup(buf);
}

static void name_kernel_frames(struct stacks *s, struct stack_entry *e)
{
	uint64_t ips[STACK_MAX_DEPTH];
	__u32 key = (__u32)e->kernel_id;
	int n = 0, k;

	if (e->kernel_frames || e->kernel_id < 0 || s->map_fd < 0 ||
	    bpf_map_lookup_elem(s->map_fd, &key, ips))
		return;
	load_kallsyms(); /* once, and only with --kernel-stacks */
	while (n < STACK_MAX_DEPTH && ips[n])
		n++;
	e->kernel_frames = calloc((size_t)n + 1, sizeof(char *));
	for (k = 0; e->kernel_frames && k < n; k++)
		e->kernel_frames[e->nkernel++] = kernel_name(ips[k]);
}

static bool is_jvm(const struct image *img)
{
	const char *base = strrchr(img->exe, '/');

	return base && !strcmp(base + 1, "java");
}

/*
 * Asks a live JVM to write /tmp/perf-PID.map: the jcmd next to its java,
 * run as the JVM's user (HotSpot's attach listener checks), for at most 20 s.
 */
static bool ask_jvm(struct image *img)
{
	char jcmd[300], pid[16], proc[32];
	struct stat st;
	pid_t child;
	int status, i;
	const char *slash = strrchr(img->exe, '/');

	if (!slash)
		return false;
	snprintf(jcmd, sizeof(jcmd), "%.*s/jcmd", (int)(slash - img->exe), img->exe);
	snprintf(pid, sizeof(pid), "%u", img->tgid);
	snprintf(proc, sizeof(proc), "/proc/%u", img->tgid);
	if (access(jcmd, X_OK) || stat(proc, &st))
		return false;
	child = fork();
	if (child < 0)
		return false;
	if (child == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		if ((st.st_gid && setgid(st.st_gid)) || (st.st_uid && setuid(st.st_uid)))
			_exit(126);
		execl(jcmd, "jcmd", pid, "Compiler.perfmap", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 2000; i++) {
		pid_t r = waitpid(child, &status, WNOHANG);

		if (r == child)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (r < 0 && errno != EINTR)
			return false;
		usleep(10000);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	return false;
}

/* JIT frames (no file behind them) named from the runtime's perf map. */
static void name_jit_frames(struct stacks *s)
{
	struct perfmap pm;
	uint32_t tgid = 0;
	size_t i, j;
	char buf[1024];
	int k;

	for (i = 0; i < s->n; i++) {
		struct stack_entry *e = &s->e[i];
		bool any = false;

		for (k = 0; k < e->nuser && !any; k++)
			any = e->naming[k] == FRAME_ADDRESS;
		if (!any || e->tgid == tgid)
			continue;
		/* One read of each process's map, for all its sites. */
		tgid = e->tgid;
		if (perfmap_load(&pm, tgid))
			continue;
		for (j = i; j < s->n; j++) {
			struct stack_entry *x = &s->e[j];

			if (x->tgid != tgid)
				continue;
			for (k = 0; k < x->nuser; k++) {
				if (x->naming[k] != FRAME_ADDRESS ||
				    symbols_user_frame(NULL, &pm, x->pc[k], k > 0, buf, sizeof(buf)) !=
					    FRAME_PERFMAP)
					continue;
				free(x->user_frames[k]);
				x->user_frames[k] = strdup(buf);
				x->naming[k] = FRAME_PERFMAP;
				s->perfmap_frames++;
				if (!x->user_frames[k]) {
					x->user_frames[k] = strdup("?");
					if (!x->user_frames[k])
						x->nuser = k;
				}
			}
		}
		perfmap_free(&pm);
	}
}

/*
 * Interpreted Java frames named by the Method* their frame held, read from
 * the JVM now: "void Blocker.sleepInJava(int) (interpreted)", the name the
 * perf map gives the method once it is compiled. A JVM gone, or a method
 * whose class was unloaded, leaves the frame as the perf map named it.
 */
static void name_interpreted_frames(struct stacks *s)
{
	char buf[1100];
	size_t i;
	int k;

	for (i = 0; i < s->n; i++) {
		struct stack_entry *e = &s->e[i];

		for (k = 0; e->jmethod && k < e->nuser; k++) {
			const char *name;
			char *n;

			if (!e->jmethod[k])
				continue;
			name = jvm_procs_name(&s->jvms, e->tgid, e->jmethod[k]);
			if (!name) {
				s->jvms.unreadable++;
				continue;
			}
			snprintf(buf, sizeof(buf), "%s (interpreted)", name);
			n = strdup(buf);
			if (!n)
				continue;
			free(e->user_frames[k]);
			e->user_frames[k] = n;
			e->naming[k] = FRAME_JAVA_INTERPRETED;
			s->jvms.named++;
		}
	}
}

static int by_tgid(const void *x, const void *y)
{
	const struct stack_entry *a = x, *b = y;

	return a->tgid < b->tgid ? -1 : a->tgid > b->tgid;
}

int stacks_resolve(struct stacks *s)
{
	char asked[160] = "";
	size_t i, len = 0;
	int k;

	/* Hash chains are not needed past this point: the order may change. */
	free(s->buckets);
	s->buckets = NULL;
	qsort(s->e, s->n, sizeof(*s->e), by_tgid);
	for (i = 0; s->ask_jvms && i < s->images.n; i++) {
		struct image *img = s->images.v[i];
		bool used = false;
		size_t j;

		for (j = 0; j < s->n && !used; j++)
			used = s->e[j].tgid == img->tgid;
		if (!used || !is_jvm(img) || kill((pid_t)img->tgid, 0))
			continue;
		fprintf(stderr, "blockscope: asking the JVM %u for its perf map to name JIT frames "
				"(jcmd %u Compiler.perfmap)\n",
			img->tgid, img->tgid);
		if (ask_jvm(img) && len < sizeof(asked) - 16)
			len += (size_t)snprintf(asked + len, sizeof(asked) - len, "%s%u", len ? ", " : "",
						img->tgid);
	}
	if (len)
		snprintf(s->jvm_note, sizeof(s->jvm_note),
			 "JIT frames of JVM %s named from the perf map blockscope asked for (jcmd PID Compiler.perfmap)",
			 asked);
	name_jit_frames(s);
	name_interpreted_frames(s);
	for (i = 0; i < s->n; i++) {
		struct stack_entry *e = &s->e[i];
		struct image *img = images_find(&s->images, e->tgid);

		name_kernel_frames(s, e);
		if (e->npc && !img) {
			bool named = false;

			for (k = 0; k < e->nuser && !named; k++)
				named = e->naming[k] != FRAME_ADDRESS;
			if (!named && (i == 0 || s->e[i - 1].tgid != e->tgid))
				s->unresolved_processes++;
		}
		/* A thread that never sent its totals has no name yet: take its process's. */
		if (!e->comm[0]) {
			const struct process_stats *p = stacks_process(s->acct, e->tgid);

			if (p && p->comm[0])
				snprintf(e->comm, sizeof(e->comm), "%s", p->comm);
		}
	}
	return 0;
}

