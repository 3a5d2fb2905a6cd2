// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Taking records from the kernel until it is time to stop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include "consume.h"
#include "util.h"

/* Records wait in the ring at most this long: wakeups are batched. */
#define POLL_MS 50

int consume_record(void *ctx, const void *data, size_t size)
{
	account_record(ctx, data, size);
	return 0;
}

/* The exit record may have been lost: ask the kernel too. */
static bool pid_gone(pid_t tgid)
{
	return kill(tgid, 0) != 0 && errno == ESRCH;
}

static bool process_gone(const struct account *a, pid_t tgid)
{
	size_t i;

	for (i = 0; i < a->nprocesses; i++)
		if (a->processes[i].tgid == (uint32_t)tgid && a->processes[i].went)
			return true;
	return pid_gone(tgid);
}

static bool targets_exited(struct session *s)
{
	bool alive = false;
	int i;

	if (s->child > 0) {
		pid_t r = waitpid(s->child, &s->child_status, WNOHANG);

		if (r == s->child || (r < 0 && errno == ECHILD)) {
			s->child = -s->child; /* reaped */
			return true;
		}
		return false;
	}
	if (s->child < 0)
		return true;
	/*
	 * A target seen gone leaves the list for good: --interval forgets its
	 * exit record, and kill() would then take an unrelated process that
	 * reused its PID for it. So every target is looked at on every pass.
	 */
	for (i = 0; i < s->ntargets; i++) {
		if (!process_gone(s->acct, s->targets[i]))
			alive = true;
		else
			s->targets[i--] = s->targets[--s->ntargets];
	}
	if (alive)
		return false;
	/* Followed children keep the trace going too, each by its own entry (PIDs are reused). */
	for (i = 0; i < (int)s->acct->nprocesses; i++) {
		const struct process_stats *p = &s->acct->processes[i];

		if (p->followed && !p->went && !pid_gone((pid_t)p->tgid))
			return false;
	}
	return true;
}

static void show_progress(struct session *s, uint64_t now)
{
	if (now - s->last_progress_ns < 1000000000ull)
		return;
	s->last_progress_ns = now;
	fprintf(stderr, "\rblockscope: %.0f of %.0f s, %llu records, %llu threads\033[K",
		(double)(now - s->start_ns) / 1e9, (double)(s->deadline_ns - s->start_ns) / 1e9,
		(unsigned long long)s->acct->records, (unsigned long long)s->acct->nthreads);
}

enum stop_reason consume_until_stop(struct session *s)
{
	for (;;) {
		int timeout = POLL_MS;

		uint64_t now = monotonic_ns();

		if (*s->stop_signal)
			return STOP_SIGNAL;
		if (s->deadline_ns && now >= s->deadline_ns)
			return STOP_DURATION;
		if (s->next_report_ns && now >= s->next_report_ns)
			return STOP_INTERVAL;
		if (s->deadline_ns && s->deadline_ns - now < (uint64_t)POLL_MS * 1000000)
			timeout = (int)((s->deadline_ns - now) / 1000000) + 1;
		if (s->next_report_ns && s->next_report_ns - now < (uint64_t)timeout * 1000000)
			timeout = (int)((s->next_report_ns - now) / 1000000) + 1;
		if (tracer_poll(s->tracer, timeout) < 0)
			return STOP_ERROR;
		/*
		 * Wakeups are batched: the kernel wakes us only once 256 KiB wait,
		 * and a poll that times out reads nothing. Read the rest here, so
		 * that exits and forks are seen within POLL_MS.
		 */
		if (tracer_drain(s->tracer) < 0)
			return STOP_ERROR;
		if (s->quit_pressed && s->quit_pressed())
			return STOP_QUIT;
		if (s->progress && s->deadline_ns)
			show_progress(s, monotonic_ns());
		if (s->until_stopped) {
			/* Only -d or a signal ends it; a launched command is still reaped. */
			if (s->child > 0 && waitpid(s->child, &s->child_status, WNOHANG) == s->child)
				s->child = -s->child;
			continue;
		}
		if (targets_exited(s)) {
			/* A dead thread's last record follows its parent's wakeup. */
			tracer_poll(s->tracer, POLL_MS);
			return STOP_TARGETS_EXITED;
		}
	}
}

const char *consume_stop_text(enum stop_reason r, int signal)
{
	switch (r) {
	case STOP_SIGNAL:
		return signal == SIGTERM ? "stopped by SIGTERM" :
		       signal == SIGHUP	 ? "stopped by SIGHUP" :
					   "stopped by SIGINT";
	case STOP_DURATION:
		return "duration reached";
	case STOP_TARGETS_EXITED:
		return "every target exited";
	case STOP_QUIT:
		return "quit";
	default:
		return "stopped by an error";
	}
}
