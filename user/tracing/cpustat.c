// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* How busy CPUs were: /proc/stat jiffies over the CPUs a target may use. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include "cpustat.h"

int parse_cpu_jiffies(const char *stat_text, const bool *use, uint64_t *busy, uint64_t *total)
{
	const char *line = stat_text;
	int found = 0;

	*busy = *total = 0;
	while (line && *line) {
		unsigned long long v[8] = { 0 };
		int cpu, n;

		/* "cpuN ...", not the "cpu  ..." line that sums them all */
		n = strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9' ? 0 :
		    sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
		/* user nice system idle iowait irq softirq steal */
		if (n >= 5 && cpu >= 0 && cpu < PROC_MAX_CPUS && (!use || use[cpu])) {
			uint64_t all = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];

			*total += all;
			*busy += all - v[3] - v[4];
			found = 1;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return found ? 0 : -1;
}

int proc_cpu_jiffies(pid_t pid, uint64_t *busy, uint64_t *total)
{
	static char text[256 * 1024];
	bool use[PROC_MAX_CPUS];
	cpu_set_t set;
	size_t len;
	FILE *f;
	int i, all = !pid || sched_getaffinity(pid, sizeof(set), &set);

	for (i = 0; i < PROC_MAX_CPUS; i++)
		use[i] = all || (i < CPU_SETSIZE && CPU_ISSET(i, &set));
	f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
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
