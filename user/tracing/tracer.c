// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Loading and attaching the BPF programs, feeding them the traced set, and
 * running the task iterator. Links are never pinned: they die with the
 * process, so even a SIGKILL leaves nothing behind in the kernel.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tracer.h"
#include "blockscope.skel.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"

static bool libbpf_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	/* Unless asked, our own one-line errors say what went wrong. */
	if (!libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int ring_cb(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;

	return t->on_record(t->ctx, data, size);
}

int tracer_open(struct tracer *t, const struct tracer_config *cfg, record_fn fn, void *ctx,
		char *err, size_t errlen)
{
	const char *btf = getenv("BLOCKSCOPE_BTF_PATH") ?: BTF_PATH;
	struct bpf_program *prog;
	int rc;

	memset(t, 0, sizeof(*t));
	t->on_record = fn;
	t->ctx = ctx;
	libbpf_verbose = cfg->verbose;
	libbpf_set_print(print_libbpf);

	if (geteuid() != 0) {
		snprintf(err, errlen,
			 "must run as root (or with CAP_BPF and CAP_PERFMON) to load BPF programs");
		return -1;
	}
	if (access(btf, R_OK) != 0) {
		snprintf(err, errlen,
			 "kernel BTF not found at %s: a kernel built with CONFIG_DEBUG_INFO_BTF=y is needed",
			 btf);
		return -1;
	}
	t->skel = blockscope_bpf__open();
	if (!t->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	t->skel->rodata->follow_forks = cfg->follow;
	t->skel->rodata->target_cgroup_id = cfg->cgroup_id;
	t->skel->rodata->emit_sched_events = cfg->sched_events;
	t->skel->rodata->collect_stacks = cfg->stacks;
	t->skel->rodata->ustack_bytes = cfg->stacks ? cfg->stack_bytes : 0;
	t->skel->rodata->aggregate_nonblocking = !cfg->stream_all;
	t->skel->rodata->time_sample_mask = cfg->time_sample ? cfg->time_sample - 1 : 0;
	t->skel->rodata->sched_only = cfg->sched_only;
	/* A stack map reserves its memory up front: keep it tiny unless used. */
	if (!cfg->stacks)
		bpf_map__set_max_entries(t->skel->maps.stacks, 1);
	if (cfg->ring_kb) {
		bpf_map__set_max_entries(t->skel->maps.records, cfg->ring_kb * 1024);
		/* A small ring must wake us well before it is full. */
		if (cfg->ring_kb * 1024 / 4 < t->skel->rodata->wakeup_bytes)
			t->skel->rodata->wakeup_bytes = cfg->ring_kb * 1024 / 4;
	}
	/* One sys_enter program: the one that adopts cgroup members only with --cgroup. */
	bpf_program__set_autoload(cfg->cgroup_id ? t->skel->progs.on_sys_enter :
						   t->skel->progs.on_sys_enter_cgroup,
				  false);
	rc = blockscope_bpf__load(t->skel);
	if (rc) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s", strerror(-rc),
			 cfg->verbose ? "" : " (run with -v for the verifier's log)");
		goto fail;
	}
	t->sys_progs[0] = cfg->cgroup_id ? t->skel->progs.on_sys_enter_cgroup :
					   t->skel->progs.on_sys_enter;
	t->sys_progs[1] = t->skel->progs.on_sys_exit;
	bpf_object__for_each_program(prog, t->skel->obj)
	{
		struct bpf_link *link;

		if (prog == t->skel->progs.snapshot || !bpf_program__autoload(prog))
			continue; /* run on demand, or not loaded */
		if (cfg->sched_only && (prog == t->sys_progs[0] || prog == t->sys_progs[1]))
			continue; /* tracer_syscall_hooks() attaches them, if ever */
		if (cfg->sched_only && prog == t->skel->progs.on_wakeup)
			continue; /* on_waking ends the sleeps */
		if (t->nlinks >= TRACER_MAX_LINKS) {
			snprintf(err, errlen, "too many BPF programs for the tracer");
			goto fail;
		}
		link = bpf_program__attach(prog);
		if (!link) {
			rc = -errno;
			snprintf(err, errlen, "cannot attach to tracepoint %s: %s",
				 bpf_program__section_name(prog), strerror(-rc));
			goto fail;
		}
		t->links[t->nlinks++] = link;
	}
	t->hooks_on = !cfg->sched_only;
	t->ring = ring_buffer__new(bpf_map__fd(t->skel->maps.records), ring_cb, t, NULL);
	if (!t->ring) {
		snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	tracer_close(t);
	return -1;
}

int tracer_trace_process(struct tracer *t, pid_t tgid, bool from_birth)
{
	struct traced_process v = { .from_birth = from_birth };
	__u32 key = (__u32)tgid;

	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.traced_tgids), &key, &v, BPF_ANY);
}

int tracer_snapshot(struct tracer *t, enum snapshot_mode mode, char *err, size_t errlen)
{
	struct bpf_link *link;
	char *buf = NULL;
	size_t len = 0, cap = 0, off = 0;
	int fd, rc = 0;
	ssize_t n;

	t->skel->bss->snapshot_mode = mode;
	link = bpf_program__attach_iter(t->skel->progs.snapshot, NULL);
	if (!link) {
		snprintf(err, errlen, "cannot create the task iterator: %s", strerror(errno));
		return -1;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		snprintf(err, errlen, "cannot run the task iterator: %s", strerror(errno));
		bpf_link__destroy(link);
		return -1;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nbuf = realloc(buf, cap ? cap * 2 : 65536);

			if (!nbuf) {
				rc = -1;
				snprintf(err, errlen, "out of memory reading the task iterator");
				goto out;
			}
			buf = nbuf;
			cap = cap ? cap * 2 : 65536;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			snprintf(err, errlen, "reading the task iterator: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* Records are whole: the iterator writes each with one seq_write. */
	while (off + sizeof(struct record_header) <= len) {
		const struct record_header *h = (const void *)(buf + off);
		size_t size = h->type == RECORD_CALL	 ? sizeof(struct call_record) :
			      h->type == RECORD_THREAD ? sizeof(struct thread_record) :
			      h->type == RECORD_AGG	 ? sizeof(struct agg_record) :
							   0;

		if (!size || off + size > len) {
			rc = -1;
			snprintf(err, errlen, "malformed record from the task iterator");
			goto out;
		}
		t->on_record(t->ctx, h, size);
		off += size;
	}
out:
	free(buf);
	close(fd);
	bpf_link__destroy(link);
	return rc;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->ring, timeout_ms);

	return n == -EINTR ? 0 : n;
}

int tracer_drain(struct tracer *t)
{
	return ring_buffer__consume(t->ring);
}

uint64_t tracer_misses(struct tracer *t, enum miss_counter which)
{
	int ncpus = libbpf_num_possible_cpus();
	__u32 key = which;
	uint64_t sum = 0;
	__u64 *values;
	int i;

	if (ncpus <= 0)
		return 0;
	values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.misses), &key, values) == 0)
		for (i = 0; i < ncpus; i++)
			sum += values[i];
	free(values);
	return sum;
}

void tracer_read_misses(struct tracer *t, struct tracer_misses *m)
{
	m->lost = tracer_misses(t, MISS_RINGBUF);
	m->lost_calls = tracer_misses(t, MISS_AGG_CALLS);
	m->storage = tracer_misses(t, MISS_STORAGE);
	m->tgid = tracer_misses(t, MISS_TGID_MAP);
	m->ustack = tracer_misses(t, MISS_USTACK);
	m->owner = tracer_misses(t, MISS_OWNER);
	m->user_return_unseen = t->skel->bss->user_return_unseen;
}

int tracer_stacks_fd(struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.stacks);
}

int tracer_syscall_hooks(struct tracer *t, bool on, char *err, size_t errlen)
{
	struct timespec now;
	int i;

	if (on == t->hooks_on || !t->skel)
		return 0;
	if (!on) {
		for (i = 0; i < 2; i++) {
			bpf_link__destroy(t->sys_links[i]);
			t->sys_links[i] = NULL;
		}
		/* After the detach: a call begun in between is closed at its switch-out. */
		t->skel->bss->syscall_hooks_on = 0;
		t->hooks_on = false;
		return 0;
	}
	/* Before the attach: from the first sys_enter on, the hooks own the calls. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	t->skel->bss->syscall_hooks_since_ns = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;
	t->skel->bss->syscall_hooks_on = 1;
	t->hooks_on = true;
	for (i = 0; i < 2; i++) {
		t->sys_links[i] = bpf_program__attach(t->sys_progs[i]);
		if (!t->sys_links[i]) {
			int e = errno;

			snprintf(err, errlen, "cannot attach to tracepoint %s: %s",
				 bpf_program__section_name(t->sys_progs[i]), strerror(e));
			tracer_syscall_hooks(t, false, err, 0);
			return -1;
		}
	}
	return 0;
}

void tracer_close(struct tracer *t)
{
	int i;

	for (i = 0; i < 2; i++) {
		bpf_link__destroy(t->sys_links[i]);
		t->sys_links[i] = NULL;
	}
	while (t->nlinks > 0)
		bpf_link__destroy(t->links[--t->nlinks]);
	ring_buffer__free(t->ring);
	t->ring = NULL;
	blockscope_bpf__destroy(t->skel);
	t->skel = NULL;
}
