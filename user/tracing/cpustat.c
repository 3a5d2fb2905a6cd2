// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* How busy CPUs were: /proc/stat jiffies over the CPUs a target may use. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include "cpustat.h"

/*
 * Calls fn for each "cpuN" line of /proc/stat's text (not the "cpu" line
 * that sums them all) with its jiffies busy and in all; returns how many.
 */
static int each_cpu(const char *stat_text,
		    void (*fn)(void *arg, int cpu, uint64_t busy, uint64_t total), void *arg)
{
	const char *line = stat_text;
	int found = 0;

	while (line && *line) {
		unsigned long long v[8] = { 0 };
		int cpu, n;

		n = strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9' ? 0 :
		    sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
		/* user nice system idle iowait irq softirq steal */
		if (n >= 5 && cpu >= 0 && cpu < PROC_MAX_CPUS) {
			uint64_t all = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];

			fn(arg, cpu, all - v[3] - v[4], all);
			found++;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return found;
}

struct jiffies_sum {
	const bool *use;
	uint64_t busy, total;
	int found;
};

static void add_jiffies(void *arg, int cpu, uint64_t busy, uint64_t total)
{
	struct jiffies_sum *s = arg;

	if (s->use && !s->use[cpu])
		return;
	s->busy += busy;
	s->total += total;
	s->found = 1;
}

int parse_cpu_jiffies(const char *stat_text, const bool *use, uint64_t *busy, uint64_t *total)
{
	struct jiffies_sum s = { .use = use };

	each_cpu(stat_text, add_jiffies, &s);
	*busy = s.busy;
	*total = s.total;
	return s.found ? 0 : -1;
}

static void keep_jiffies(void *arg, int cpu, uint64_t busy, uint64_t total)
{
	struct cpu_sample *s = arg;

	if (cpu < SIZING_MAX_CPUS) {
		s->busy[cpu] = busy;
		s->total[cpu] = total;
	}
}

int parse_cpu_sample(const char *stat_text, struct cpu_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->ok = each_cpu(stat_text, keep_jiffies, s) > 0;
	return s->ok ? 0 : -1;
}

static int read_proc_stat(char *text, size_t len)
{
	FILE *f = fopen("/proc/stat", "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(text, 1, len - 1, f);
	fclose(f);
	text[n] = '\0';
	return 0;
}

void cpu_window_advance(struct cpu_sample *start, struct cpu_window *w)
{
	static char text[256 * 1024];
	static struct cpu_sample now;
	int cpu;

	w->known = false;
	if (read_proc_stat(text, sizeof(text)) || parse_cpu_sample(text, &now))
		return;
	if (start->ok) {
		for (cpu = 0; cpu < SIZING_MAX_CPUS; cpu++) {
			w->busy[cpu] = now.busy[cpu] >= start->busy[cpu] ? now.busy[cpu] - start->busy[cpu] : 0;
			w->total[cpu] = now.total[cpu] >= start->total[cpu] ? now.total[cpu] - start->total[cpu] : 0;
		}
		w->known = true;
	}
	*start = now;
}

int proc_cpu_jiffies(pid_t pid, uint64_t *busy, uint64_t *total)
{
	static char text[256 * 1024];
	bool use[PROC_MAX_CPUS];
	cpu_set_t set;
	int i, all = !pid || sched_getaffinity(pid, sizeof(set), &set);

	for (i = 0; i < PROC_MAX_CPUS; i++)
		use[i] = all || (i < CPU_SETSIZE && CPU_ISSET(i, &set));
	if (read_proc_stat(text, sizeof(text)))
		return -1;
	return parse_cpu_jiffies(text, use, busy, total);
}

int cpu_mark_advance(struct cpu_mark *m, uint64_t *busy, uint64_t *total)
{
	uint64_t b, t;
	bool was = m->marked;

	m->marked = false;
	*busy = *total = 0;
	if (proc_cpu_jiffies(m->pid, &b, &t))
		return -1;
	*busy = was && b >= m->busy ? b - m->busy : 0;
	*total = was && t >= m->total ? t - m->total : 0;
	m->busy = b;
	m->total = t;
	m->marked = true;
	return was ? 0 : -1;
}
