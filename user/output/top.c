// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --top: a live view, refreshed every interval, like top(1). */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "syscalls.h"
#include "top.h"

static struct termios saved;
static bool active;

bool top_begin(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved))
		return false;
	raw = saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw))
		return false;
	active = true;
	fputs("\033[?25l", stdout); /* hide the cursor */
	return true;
}

void top_end(void)
{
	if (!active)
		return;
	tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	fputs("\033[?25h\n", stdout);
	fflush(stdout);
	active = false;
}

bool top_quit_pressed(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;

	while (poll(&p, 1, 0) == 1) {
		if (read(STDIN_FILENO, &c, 1) != 1)
			return true; /* stdin closed */
		if (c == 'q' || c == 'Q' || c == 4)
			return true;
	}
	return false;
}

static const struct thread_stats *sort_threads;

static int by_activity(const void *x, const void *y)
{
	const struct thread_stats *a = &sort_threads[*(const size_t *)x];
	const struct thread_stats *b = &sort_threads[*(const size_t *)y];
	uint64_t ta = thread_oncpu_ns(a) + a->blocked_ns, tb = thread_oncpu_ns(b) + b->blocked_ns;

	if (thread_oncpu_ns(a) != thread_oncpu_ns(b))
		return thread_oncpu_ns(a) < thread_oncpu_ns(b) ? 1 : -1;
	if (ta != tb)
		return ta < tb ? 1 : -1;
	return a->tid < b->tid ? -1 : 1;
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* One line: the loops, each with its on-CPU and blocked shares and what blocked it most. */
static void top_loops(FILE *out, const struct report *r)
{
	struct loop_summary *s = NULL;
	int n = r->loops ? loops_summarize(r->loops, r->acct, &s) : 0, i;

	fprintf(out, "\nloops: %s", n > 0 ? "" : "none");
	for (i = 0; i < n && i < 3; i++) {
		const char *top = s[i].ncalls && s[i].calls[0].nr >= 0 ?
			syscall_name(s[i].calls[0].nr) : NULL;

		fprintf(out, "%s[%u] busy %.0f%% blocked %.0f%%%s%s%s stalls %llu  ", s[i].t->comm,
			s[i].t->tid, 100 * s[i].busy, 100 * s[i].blocked_share, top ? " (" : "",
			top ? top : "", top ? ")" : "", (unsigned long long)s[i].stalls);
	}
	fputc('\n', out);
	free(s);
}

void top_draw(FILE *out, const struct report *r, int rows)
{
	const struct account *a = r->acct;
	size_t *order, n = 0, i;
	uint64_t window = r->duration_ns;
	int shown = 0;

	order = calloc(a->nthreads ? a->nthreads : 1, sizeof(*order));
	if (!order)
		return;
	for (i = 0; i < a->nthreads; i++)
		if (a->threads[i].tid)
			order[n++] = i;
	sort_threads = a->threads;
	qsort(order, n, sizeof(*order), by_activity);

	fputs("\033[H\033[2J", out); /* home, clear */
	fprintf(out, "blockscope --top: %zu threads, %zu processes; every %.1f s; %llu records, "
		     "%llu lost; q quits\n",
		n, a->nprocesses, (double)window / 1e9, (unsigned long long)a->records,
		(unsigned long long)r->lost);
	fprintf(out, "sizing: ");
	for (i = 0; i < r->ngroups && i < 4; i++)
		if (r->groups[i].recommended)
			fprintf(out, "%s %d threads -> %ld (WT/CT %.2f)  ", r->groups[i].group,
				r->groups[i].split.threads, r->groups[i].recommended,
				r->groups[i].wait_compute_ratio);
	top_loops(out, r);
	fprintf(out, "\n%8s %-16s %-5s %6s %6s %6s %8s %6s %6s  %s\n", "TID", "COMM", "STATE",
		"%CPU", "%BLK", "%RUNQ", "CALLS/s", "%BLKC", "EAGAIN", "IN SYSCALL");
	for (i = 0; i < n && shown < rows - 6; i++, shown++) {
		const struct thread_stats *t = &a->threads[order[i]];
		const char *state = t->exited ? "gone" : t->sleeping_at_stop ? "S" : "R";
		const char *name = t->current_nr >= 0 ? syscall_name(t->current_nr) : NULL;

		fprintf(out, "%8u %-16s %-5s %6.1f %6.1f %6.1f %8.0f %6.1f %6llu  %s\n", t->tid,
			t->comm, state, share(thread_oncpu_ns(t), window),
			share(t->blocked_ns, window), share(thread_runq_ns(t), window),
			window ? (double)t->calls * 1e9 / (double)window : 0,
			share(t->blocking_calls, t->calls), (unsigned long long)t->eagain_calls,
			t->current_nr >= 0 ? (name ? name : "?") : "-");
	}
	fflush(out);
	free(order);
}
