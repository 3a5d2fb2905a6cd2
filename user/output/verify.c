// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --verify: blockscope's per-thread numbers beside the kernel's own. */
#include <string.h>
#include "util.h"
#include "verify.h"

static bool within(int64_t diff, uint64_t ref, double share)
{
	uint64_t d = (uint64_t)(diff < 0 ? -diff : diff);

	return d <= VERIFY_FLOOR_NS || (double)d <= share * (double)ref;
}

void verify_thread(const struct thread_stats *t, struct verify_result *v)
{
	memset(v, 0, sizeof(*v));
	v->checkable = t->have_base && t->have_end;
	if (!v->checkable)
		return;
	v->kernel_oncpu_ns = sub_clamped(t->end.oncpu_ns, t->base.oncpu_ns);
	v->kernel_runq_ns = sub_clamped(t->end.run_delay_ns, t->base.run_delay_ns);
	v->kernel_voluntary = sub_clamped(t->end.nvcsw, t->base.nvcsw);
	v->kernel_involuntary = sub_clamped(t->end.nivcsw, t->base.nivcsw);
	v->oncpu_diff_ns = (int64_t)thread_oncpu_ns(t) - (int64_t)v->kernel_oncpu_ns;
	v->runq_diff_ns = (int64_t)thread_runq_ns(t) - (int64_t)v->kernel_runq_ns;
	v->tp_oncpu_diff_ns = (int64_t)t->tp_oncpu_ns - (int64_t)v->kernel_oncpu_ns;
	v->tp_runq_diff_ns = (int64_t)t->tp_runq_ns - (int64_t)v->kernel_runq_ns;
	v->voluntary_diff = (int64_t)t->voluntary - (int64_t)v->kernel_voluntary;
	v->involuntary_diff = (int64_t)t->involuntary - (int64_t)v->kernel_involuntary;
	v->ok = within(v->oncpu_diff_ns, v->kernel_oncpu_ns, VERIFY_ONCPU_SHARE) &&
		within(v->runq_diff_ns, v->kernel_runq_ns, VERIFY_RUNQ_SHARE) &&
		v->voluntary_diff <= VERIFY_SWITCHES && v->voluntary_diff >= -VERIFY_SWITCHES &&
		v->involuntary_diff <= VERIFY_SWITCHES && v->involuntary_diff >= -VERIFY_SWITCHES;
}

int verify_print(FILE *out, const struct account *a)
{
	char b[6][32];
	int bad = 0, checked = 0;
	size_t i;

	fprintf(out, "\nAGREEMENT WITH THE KERNEL (--verify): reported minus the kernel's own counters\n"
		     "(schedstat/status at window open and close; zero at birth; read in BPF at a thread's final switch-out)\n");
	fprintf(out, "%8s %-16s %11s %10s %10s %11s %10s %10s %9s %9s  %s\n", "tid", "comm",
		"kernel CPU", "reported", "tp-clock", "kernel runq", "reported", "tp-clock",
		"vol ours-k", "invol o-k", "verdict");
	for (i = 0; i < a->nthreads; i++) {
		const struct thread_stats *t = &a->threads[i];
		struct verify_result v;

		verify_thread(t, &v);
		if (!v.checkable) {
			fprintf(out, "%8u %-16s %s\n", t->tid, t->comm,
				"   n/a: the kernel's counters were not readable at one end");
			continue;
		}
		checked++;
		if (!v.ok)
			bad++;
		fprintf(out, "%8u %-16s %11s %10s %10s %11s %10s %10s %+9lld %+9lld  %s\n", t->tid,
			t->comm, format_ns(v.kernel_oncpu_ns, b[0], sizeof(b[0])),
			signed_ns(v.oncpu_diff_ns, b[1], sizeof(b[1])),
			signed_ns(v.tp_oncpu_diff_ns, b[2], sizeof(b[2])),
			format_ns(v.kernel_runq_ns, b[3], sizeof(b[3])),
			signed_ns(v.runq_diff_ns, b[4], sizeof(b[4])),
			signed_ns(v.tp_runq_diff_ns, b[5], sizeof(b[5])), (long long)v.voluntary_diff,
			(long long)v.involuntary_diff, v.ok ? "ok" : "OFF TARGET");
	}
	fprintf(out, "%d threads checked, %d off target (on-CPU 1%% or 1 ms, run-queue 3%% or 1 ms, "
		     "switches +-%d). The tp-clock columns show the tracepoint clocks' own account.\n",
		checked, bad, VERIFY_SWITCHES);
	return bad;
}
