// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * blockscope: which calls of a process block, where its threads' time goes,
 * and how many threads its pool should have. main() only chooses: it runs
 * the steps of user/modes/run.c and hands the started run to one mode.
 *
 *   cli/      options and targets       tracing/  BPF, records, /proc
 *   modes/    the steps and the modes   model/    account, classify, size
 *   stages/   call sites, timelines     output/   report, JSON, top, metrics
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include "modes.h"
#include "options.h"
#include "run.h"
#include "webconfig.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must cut the poll short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The mode the options ask for. */
static int (*choose_mode(const struct options *o))(struct run *, char *, size_t)
{
	if (o->serve)
		return mode_serve;
	if (o->top)
		return mode_top;
	if (o->interval_s > 0)
		return mode_intervals;
	return mode_once;
}

int main(int argc, char **argv)
{
	struct options o;
	struct run run = { 0 };
	char err[512];
	int rc = 1;

	/* 1. Parse: argp exits with status 2 and one line on a usage error. */
	options_parse(argc, argv, &o);
	/* 2. Check what needs no kernel: report file, cgroup, targets, address. */
	if (run_prepare(&run, &o, &stop_signal, err, sizeof(err)))
		goto fail;
	/* 3. Load and attach the BPF programs. */
	if (run_attach(&run, err, sizeof(err)))
		goto fail;
	install_signals();
	/* 4. Trace the targets from their baseline; N for the sizing. */
	if (run_start(&run, err, sizeof(err)))
		goto fail;
	/* 5. Run the mode until a stop; it writes the reports. */
	if (choose_mode(&o)(&run, err, sizeof(err)))
		goto fail;
	rc = 0;
fail:
	if (rc)
		fprintf(stderr, "blockscope: %s\n", err);
	/* 6. Clean up, whatever step was reached. */
	if (run_close(&run, err, sizeof(err)) && rc == 0) {
		fprintf(stderr, "blockscope: %s\n", err);
		rc = 1;
	}
	webconfig_free(o.web);
	return rc;
}
