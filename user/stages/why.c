// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Wiring of call sites and timelines into a trace; the work is in stacks.c and timeline.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "why.h"

/* Enough for minutes of a busy server; past it, events are counted as dropped. */
#define TIMELINE_MAX_EVENTS (4u * 1024 * 1024)

static void on_call(void *ctx, const struct call_record *c, const struct thread_stats *t)
{
	stacks_add(ctx, c, t->comm);
}

static void on_ustack(void *ctx, const void *data, size_t size)
{
	stacks_add_ustack(ctx, data, size);
}

static void on_sched(void *ctx, const struct sched_record *r)
{
	timeline_add(ctx, r);
}

void why_setup(struct why *w, const struct options *o, struct account *a,
	       struct tracer_config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->stacks_on = o->stacks || o->folded;
	w->timeline_on = o->timeline || o->svg;
	stacks_init(&w->stacks);
	w->stacks.acct = a;
	timeline_init(&w->timeline, w->timeline_on ? TIMELINE_MAX_EVENTS : 0);
	if (w->stacks_on) {
		struct account_observer calls = { .on_call = on_call, .on_other = on_ustack,
						  .ctx = &w->stacks };

		cfg->stacks = o->kernel_stacks ? 2 : 1;
		cfg->stack_bytes = o->stack_copy;
		account_observe(a, &calls);
	}
	if (w->timeline_on) {
		struct account_observer sched = { .on_sched = on_sched, .ctx = &w->timeline };

		cfg->sched_events = true;
		account_observe(a, &sched);
	}
}

void why_start(struct why *w, uint64_t t0_ns, struct tracer *t, const pid_t *pids, int npids)
{
	int i;

	w->timeline.start_ns = t0_ns;
	if (!w->stacks_on)
		return;
	stacks_set_map(&w->stacks, tracer_stacks_fd(t));
	/* Each target's maps as tracing begins (a launched command's: before its exec). */
	for (i = 0; i < npids; i++)
		images_read(&w->stacks.images, (uint32_t)pids[i], false);
}

static int write_file(const char *path, int (*fn)(FILE *, void *, const void *), void *x,
		      const void *y, char *err, size_t errlen)
{
	FILE *f = fopen(path, "we");
	int rc;

	if (!f) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	rc = fn(f, x, y);
	if (fclose(f) == EOF || rc) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int folded(FILE *f, void *s, const void *unused)
{
	(void)unused;
	return stacks_write_folded(f, s);
}

static int trace_json(FILE *f, void *tl, const void *a)
{
	return timeline_write_json(f, tl, a);
}

static int picture(FILE *f, void *tl, const void *a)
{
	return timeline_write_svg(f, tl, a);
}

int why_finish(struct why *w, const struct options *o, struct tracer *t, const struct account *a,
	       uint64_t end_ns, char *err, size_t errlen)
{
	if (w->stacks_on) {
		struct tracer_misses m;

		tracer_read_misses(t, &m);
		w->stacks.ustack_skipped = m.ustack;
		stacks_resolve(&w->stacks);
	}
	if (o->folded && write_file(o->folded, folded, &w->stacks, NULL, err, errlen))
		return -1;
	w->timeline.end_ns = end_ns;
	if (o->timeline && write_file(o->timeline, trace_json, &w->timeline, a, err, errlen))
		return -1;
	if (o->svg && write_file(o->svg, picture, &w->timeline, a, err, errlen))
		return -1;
	if (w->timeline.dropped)
		fprintf(stderr, "blockscope: warning: the timeline kept the first %u events and dropped %llu\n",
			TIMELINE_MAX_EVENTS, (unsigned long long)w->timeline.dropped);
	return 0;
}

void why_free(struct why *w)
{
	stacks_free(&w->stacks);
	timeline_free(&w->timeline);
}
