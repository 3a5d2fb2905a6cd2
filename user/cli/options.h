/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "classify.h"

#define MAX_TARGET_PIDS 256

struct options {
	pid_t pids[MAX_TARGET_PIDS];
	int npids;
	char **command; /* NULL-terminated argv after "--", or NULL */
	double duration_s; /* 0: until Ctrl-C or every target has exited */
	double interval_s; /* 0: one report at the end */
	double cores;	   /* 0: what the target may use */
	double utilization;
	uint64_t stall_ns; /* --stall: a loop's turn longer than this is a stall (0: default) */
	bool threads;
	bool json;
	bool histogram;
	bool follow;
	unsigned ring_kb; /* ring buffer size; 0: the default */
	bool stream_all; /* every call to user space, none counted in the kernel */
	unsigned time_sample; /* --time-sample: one in K calls timed; 1: every call */
	/*
	 * --sched-only, --syscall-hooks: whether the sys_enter/sys_exit hooks
	 * are attached. sched_only: not all the time (blocking calls are read
	 * at the switch-out); then hooks_on_s of every hooks_period_s seconds
	 * (--serve only; 0: never).
	 */
	bool sched_only;
	bool hooks_given; /* --sched-only or --syscall-hooks was given */
	int hooks_on_s, hooks_period_s;
	bool top; /* live view */
	bool stacks;	      /* --stacks: call sites of blocking calls */
	bool kernel_stacks;   /* and their kernel stacks */
	unsigned stack_copy;  /* --stack-copy: user stack bytes copied per blocking call */
	const char *folded;   /* folded stacks file */
	const char *timeline; /* Perfetto trace-event file */
	const char *svg;      /* timeline picture */
	bool verify; /* print the agreement with the kernel's counters */
	bool children; /* also the targets' existing descendants */
	int npids_given; /* pids[0..npids_given) came from -p; the rest were found */
	const char *names[16]; /* -n COMM: every process so named */
	int nnames;
	bool verbose;
	const char *output; /* report file, or NULL for stdout */
	const char *hold;   /* --hold=FILE: written once attached; the window opens at SIGUSR1 */
	/* --serve=HOST:PORT: /metrics over HTTP, refreshed every second */
	const char *serve; /* as given, or NULL */
	char serve_host[256]; /* "" for every address */
	char serve_port[8];
	int window_s; /* --window: the sizing gauges' sliding window */
	const char *web_config; /* --web-config=FILE: TLS and basic auth for --serve */
	struct webconfig *web;	/* loaded and checked from it, or NULL */
	const char *cgroup; /* --cgroup=PATH: every process of a cgroup v2 */
	struct class_overrides overrides;
};

/*
 * Parses the command line. Returns 0, or exits with status 2 and a one-line
 * message on a usage error (argp's convention), or 0 after --help.
 */
int options_parse(int argc, char **argv, struct options *o);

/* Parses "PID[,PID...]" into o; returns 0 or -1 with a message in err. */
int parse_pid_list(const char *arg, struct options *o, char *err, size_t errlen);

/*
 * Splits "HOST:PORT" ("[IPv6]:PORT", ":PORT" for every address) into host
 * and port; returns 0 or -1 with a message in err.
 */
int parse_listen_address(const char *arg, char *host, size_t hostlen, char *port, size_t portlen,
			 char *err, size_t errlen);

#endif
