// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The busy line and the jobs line under each pool's size, and their JSON keys. */
#include <math.h>
#include "report_busy.h"
#include "util.h"

/* Work queued behind a pool whose every thread was busy at least this share of the time. */
#define BUSY_QUEUES_SHARE 0.5

double busy_p99_ratio(const struct occupancy *o)
{
	if (!o->known || !o->jobs || o->job_ct_ns.mean <= 0)
		return 0;
	return (double)o->job_wt_ns.p99 / o->job_ct_ns.mean;
}

/* N x U x (1 + ratio), rounded up as sizing.c does. */
static long size_for(const struct sizing *s, double ratio)
{
	double n = s->cores * s->utilization * (1 + ratio);

	return n > 0 ? (long)ceil(n - 1e-9) : 0;
}

void report_busy_text(FILE *out, const struct sizing *s, const struct occupancy *o)
{
	char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], b7[32];
	const char *verdict;
	double r99 = busy_p99_ratio(o);

	if (!o->known)
		return;
	if (o->all_busy_share >= BUSY_QUEUES_SHARE)
		verdict = "work queues";
	else if (o->busy_max < (uint32_t)o->threads)
		verdict = "more threads than the load needs";
	else
		verdict = "at its peaks work queues";
	fprintf(out, "    busy: %.1f on average, p99 %u, at most %u of %d; all %d busy %.0f%% of the "
		     "time: %s; the CPUs could use %ld\n",
		o->busy_mean, o->busy_p99, o->busy_max, o->threads, o->threads,
		100 * o->all_busy_share, verdict, s->recommended);
	if (!o->jobs)
		return;
	if (!o->jobs_whole) {
		fprintf(out, "    jobs: not told apart: its threads took each next job without waiting "
			     "for one\n");
		return;
	}
	fprintf(out, "    jobs: %llu (%.1f/s), each %s (p99 %s): CT %s, WT %s, run-queue %s at p50; "
		     "WT p99 %s, run-queue p99 %s\n",
		(unsigned long long)o->jobs, o->jobs_per_s,
		format_ns((uint64_t)o->job_ns.mean, b1, sizeof(b1)),
		format_ns(o->job_ns.p99, b2, sizeof(b2)), format_ns(o->job_ct_ns.p50, b3, sizeof(b3)),
		format_ns(o->job_wt_ns.p50, b4, sizeof(b4)),
		format_ns(o->job_runq_ns.p50, b5, sizeof(b5)),
		format_ns(o->job_wt_ns.p99, b6, sizeof(b6)),
		format_ns(o->job_runq_ns.p99, b7, sizeof(b7)));
	if (r99 > 0 && s->recommended)
		fprintf(out, "    WT/CT %.2f on the mean, %.2f for a job that waits as long as the "
			     "p99: %ld threads would keep the CPUs busy even then\n",
			s->wait_compute_ratio, r99, size_for(s, r99));
	if (o->cut)
		fprintf(out, "    (measured over the first %.1f s: the waits past it were not kept)\n",
			(double)o->window_ns / 1e9);
}

static json_object *dist_json(const struct job_dist *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "mean", json_object_new_double(d->mean));
	json_object_object_add(o, "p50", json_object_new_int64((int64_t)d->p50));
	json_object_object_add(o, "p99", json_object_new_int64((int64_t)d->p99));
	json_object_object_add(o, "max", json_object_new_int64((int64_t)d->max));
	return o;
}

void report_busy_json(json_object *group, const struct sizing *s, const struct occupancy *o)
{
	json_object *b;
	double r99 = busy_p99_ratio(o);

	if (!o->known) {
		json_object_object_add(group, "busy_threads", NULL);
		return;
	}
	b = json_object_new_object();
	json_object_object_add(b, "mean", json_object_new_double(o->busy_mean));
	json_object_object_add(b, "p50", json_object_new_int(o->busy_p50));
	json_object_object_add(b, "p99", json_object_new_int(o->busy_p99));
	json_object_object_add(b, "max", json_object_new_int(o->busy_max));
	json_object_object_add(b, "of", json_object_new_int(o->threads));
	json_object_object_add(group, "busy_threads", b);
	json_object_object_add(group, "all_busy_share", json_object_new_double(o->all_busy_share));
	json_object_object_add(group, "occupancy_window_ns",
			       json_object_new_int64((int64_t)o->window_ns));
	json_object_object_add(group, "occupancy_cut", json_object_new_boolean(o->cut));
	json_object_object_add(group, "jobs", json_object_new_int64((int64_t)o->jobs));
	json_object_object_add(group, "jobs_whole", json_object_new_int64((int64_t)o->jobs_whole));
	json_object_object_add(group, "jobs_per_s", json_object_new_double(o->jobs_per_s));
	json_object_object_add(group, "job_ns", dist_json(&o->job_ns));
	json_object_object_add(group, "job_ct_ns", dist_json(&o->job_ct_ns));
	json_object_object_add(group, "job_wt_ns", dist_json(&o->job_wt_ns));
	json_object_object_add(group, "job_sync_ns", dist_json(&o->job_sync_ns));
	json_object_object_add(group, "job_runq_ns", dist_json(&o->job_runq_ns));
	json_object_object_add(group, "wait_compute_ratio_p99", json_object_new_double(r99));
	json_object_object_add(group, "recommended_threads_p99",
			       json_object_new_int64(r99 > 0 && s->recommended ? size_for(s, r99) : 0));
}

void report_setting_text(FILE *out, const struct sizing *s, const struct pool_setting *p)
{
	fprintf(out, "    setting: %s, now %d %s%s%s%s\n", p->name, s->split.threads, p->unit,
		p->source[0] ? " (" : "", p->source, p->source[0] ? ")" : "");
}

void report_setting_json(json_object *group, const struct sizing *s, const struct pool_setting *p)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "runtime", json_object_new_string(p->runtime));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "current", json_object_new_int(s->split.threads));
	json_object_object_add(o, "unit", json_object_new_string(p->unit));
	if (p->source[0])
		json_object_object_add(o, "source", json_object_new_string(p->source));
	json_object_object_add(group, "setting", o);
}
