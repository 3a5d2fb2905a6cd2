// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The command line, with argp as libbpf-tools use it. */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blockscope.h"
#include "options.h"
#include "webconfig.h"

/* Longer than any sensible trace; catches "-d 1e30" and overflows. */
#define MAX_DURATION_S (366.0 * 24 * 3600)
#define MAX_CORES 65536.0
#define DEFAULT_WINDOW_S 60
/* One call in 16 timed: the clock costs each timed call ~100 ns on a VM (README). */
#define DEFAULT_TIME_SAMPLE 16
#define MAX_WINDOW_S 3600
/* --serve: the syscall hooks on 1 s in every 10, unless --syscall-hooks says otherwise. */
#define SERVE_HOOKS_ON_S 1
#define SERVE_HOOKS_PERIOD_S 10

const char *argp_program_version = "blockscope 0.1";
const char *argp_program_bug_address = "the project's issue tracker";

static const char doc[] =
	"blockscope: which calls of a process block, where its threads' time goes, "
	"and how many threads its pool should have.\n"
	"\n"
	"A syscall is blocking when its thread switched out voluntarily inside it "
	"(the kernel's own rule behind voluntary_ctxt_switches), non-blocking "
	"otherwise. The pool size is N x U x (1 + WT/CT) per thread group, where CT "
	"is on-CPU time and WT the blocked time a unit of work waits (I/O, sleeps, "
	"page faults); waits for new work (epoll_wait, accept...) and for other "
	"threads (futex) are reported apart and left out of WT.\n"
	"\n"
	"EXAMPLES:\n"
	"  blockscope -p 1234 -d 10          trace process 1234 for 10 seconds\n"
	"  blockscope -p 1234,1240 -t        several processes, with a per-thread table\n"
	"  blockscope -j -p $(pidof nginx | tr ' ' ,) -d 5 > nginx.json\n"
	"  blockscope -f -o make.txt -- make -j2   run a command, following its children\n"
	"  blockscope -c 4 -u 0.8 -p 1234    size for 4 CPUs at 80% utilisation\n"
	"  blockscope -n nginx -f -d 10      every nginx process, and any it forks\n"
	"  blockscope -j -i 10 -p 1234       one JSON line every 10 s, for a log\n"
	"  blockscope --top -p 1234          watch it live; q quits\n"
	"  blockscope --stacks --folded=out.folded --svg=out.svg -p 1234 -d 5\n"
	"                                    where it blocks, and a picture of its threads\n"
	"  blockscope --children -p 4321     a master process and its existing workers\n"
	"  blockscope --class=futex=wait -p 1234   count futex waits as work waits\n"
	"  blockscope --cgroup=/sys/fs/cgroup/app   every process of a cgroup v2\n"
	"  blockscope --sched-only -p 1234 -d 10   no syscall hooks: costs other processes nothing\n"
	"  blockscope --serve=:9465 -p 1234  metrics for Prometheus on port 9465\n"
	"  blockscope --serve=:9465 --web-config=web.yml -p 1234   the same over TLS, with passwords\n"
	"\v"
	"Exit status: 0 on success, 1 on a runtime error, 2 on a usage error.";

static const char args_doc[] = "-p PID[,PID...]\n--cgroup=PATH\n-- COMMAND [ARG...]";

enum { OPT_CLASS = 256, OPT_CHILDREN, OPT_VERIFY, OPT_RING, OPT_TOP, OPT_SERVE, OPT_WINDOW,
       OPT_CGROUP, OPT_STACKS, OPT_KSTACKS, OPT_FOLDED, OPT_TIMELINE, OPT_SVG,
       OPT_STREAM_ALL, OPT_TIME_SAMPLE, OPT_WEB_CONFIG, OPT_STACK_COPY, OPT_SCHED_ONLY,
       OPT_HOOKS, OPT_HOLD, OPT_STALL };

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID[,PID...]", 0,
	  "Trace these running processes, every thread, including threads created later", 0 },
	{ "duration", 'd', "SECONDS", 0,
	  "Stop after SECONDS (default: at Ctrl-C, or when every target has exited)", 0 },
	{ "interval", 'i', "SECONDS", 0,
	  "Report every SECONDS what happened in that interval (with -j, one JSON document per line)",
	  0 },
	{ "stacks", OPT_STACKS, NULL, 0,
	  "Record the user stack of each blocking call: the report gains the top blocking call "
	  "sites",
	  0 },
	{ "kernel-stacks", OPT_KSTACKS, NULL, 0, "With --stacks, also where in the kernel it slept", 0 },
	{ "stack-copy", OPT_STACK_COPY, "BYTES", 0,
	  "With --stacks, copy up to BYTES of each blocking call's user stack to unwind it with "
	  "DWARF CFI, so code built without frame pointers unwinds too (default 8192, at most "
	  "16384, a multiple of 64; 0: frame pointers only)",
	  0 },
	{ "folded", OPT_FOLDED, "FILE", 0,
	  "Write folded stacks of blocking calls, weighted by blocked microseconds (flamegraph.pl)",
	  0 },
	{ "timeline", OPT_TIMELINE, "FILE", 0,
	  "Write every thread's on-CPU, runnable and blocked slices as Chrome/Perfetto trace JSON", 0 },
	{ "svg", OPT_SVG, "FILE", 0, "Draw the same timeline as a self-contained SVG picture", 0 },
	{ "top", OPT_TOP, NULL, 0,
	  "Live view in the terminal, like top: per-thread state, shares, current syscall; "
	  "refreshed every second (or -i), q quits",
	  0 },
	{ "threads", 't', NULL, 0, "Add a per-thread table to the text report", 0 },
	{ "json", 'j', NULL, 0, "Print the report as one JSON document on stdout", 0 },
	{ "cores", 'c', "N", 0,
	  "CPUs to size for (default: what the target may use: its CPU affinity and its "
	  "cgroup's cpu.max quota)",
	  0 },
	{ "utilization", 'u', "U", 0, "Target CPU utilisation, 0 < U <= 1 (default 1)", 0 },
	{ "stall", OPT_STALL, "MS", 0,
	  "An event loop's turn longer than this is a stall (default 10)", 0 },
	{ "histogram", 'H', NULL, 0, "Add a log2 latency histogram per syscall", 0 },
	{ "follow", 'f', NULL, 0, "Also trace processes the targets fork after attach", 0 },
	{ "children", OPT_CHILDREN, NULL, 0,
	  "Also trace the targets' existing descendants (a server's workers)", 0 },
	{ "name", 'n', "COMM", 0,
	  "Trace every process whose name (comm) is COMM; may be repeated", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Trace every process of the cgroup v2 directory PATH, including processes that join it "
	  "later; runs until -d or a signal. Sizes for the cgroup's cpu.max and cpuset",
	  0 },
	{ "serve", OPT_SERVE, "HOST:PORT", 0,
	  "Serve Prometheus metrics at http://HOST:PORT/metrics, refreshed every second, until -d "
	  "or a signal (HOST empty: every address; PORT 0: any free port, said on stderr)",
	  0 },
	{ "web-config", OPT_WEB_CONFIG, "FILE", 0,
	  "With --serve: TLS and basic auth from FILE, in the web-config format of Prometheus's "
	  "exporters (tls_server_config: cert_file, key_file; basic_auth_users: bcrypt hashes)",
	  0 },
	{ "window", OPT_WINDOW, "SECONDS", 0,
	  "With --serve: the sliding window of the sizing gauges (default 60)", 0 },
	{ "class", OPT_CLASS, "SYSCALL=CLASS", 0,
	  "Count SYSCALL's blocked time as CLASS: wait (in WT), idle (waiting for work) or "
	  "sync (waiting for other threads); may be repeated",
	  0 },
	{ "output", 'o', "FILE", 0,
	  "Write the report to FILE instead of stdout (which a traced command shares)", 0 },
	{ "hold", OPT_HOLD, "FILE", 0,
	  "Attach, write blockscope's PID to FILE, then hold the window shut until SIGUSR1 (-d "
	  "counts from then): tracers started apart open their windows at one instant "
	  "(kill -USR1 P1 P2)",
	  0 },
	{ "verify", OPT_VERIFY, NULL, 0,
	  "Compare each thread's numbers with the kernel's own schedstat/status counters", 0 },
	{ "ring-size", OPT_RING, "KB", 0,
	  "Ring buffer size in KiB, a power of 2 from 4 (default 4096); records that do not fit "
	  "are counted as lost in every report",
	  0 },
	{ "stream-all", OPT_STREAM_ALL, NULL, 0,
	  "Send every call to user space one by one, instead of counting the non-blocking "
	  "ones in the kernel: the same report at a higher cost, for checking",
	  0 },
	{ "time-sample", OPT_TIME_SAMPLE, "K", 0,
	  "Read the clock for one in K calls of a syscall that has not blocked in its thread (K a "
	  "power of 2, default 16; 1 times every call). Counts, blocking and blocked time stay "
	  "exact; the time of the untimed calls is estimated from the timed ones",
	  0 },
	{ "sched-only", OPT_SCHED_ONLY, NULL, 0,
	  "Attach no syscall hooks, which tax every syscall of every process on the host: "
	  "blocking calls, threads, sizing, wakers and stacks from the scheduler alone; "
	  "non-blocking calls, EAGAIN, errors and call durations are not measured",
	  0 },
	{ "syscall-hooks", OPT_HOOKS, "WHEN", 0,
	  "always (the default, but with --serve), off (--sched-only), or ON/PERIOD: with "
	  "--serve, attached ON seconds in every PERIOD, their counts scaled up (default with "
	  "--serve: 1/10)",
	  0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages", 0 },
	{ 0 },
};

int parse_pid_list(const char *arg, struct options *o, char *err, size_t errlen)
{
	const char *p = arg;

	if (!*arg) {
		snprintf(err, errlen, "empty PID list");
		return -1;
	}
	while (*p) {
		char *end;
		long pid;

		errno = 0;
		pid = strtol(p, &end, 10);
		if (end == p || (*end && *end != ',') || errno || pid <= 0 || pid > INT_MAX ||
		    *p == '-' || *p == '+' || *p == ' ') {
			int len = (int)strcspn(p, ",");

			snprintf(err, errlen, "invalid PID '%.*s' in '%s'", len, p, arg);
			return -1;
		}
		if (o->npids >= MAX_TARGET_PIDS) {
			snprintf(err, errlen, "too many PIDs (at most %d)", MAX_TARGET_PIDS);
			return -1;
		}
		o->pids[o->npids++] = (pid_t)pid;
		p = end;
		if (*p == ',') {
			p++;
			if (!*p) {
				snprintf(err, errlen, "invalid PID list '%s': trailing comma", arg);
				return -1;
			}
		}
	}
	return 0;
}

int parse_listen_address(const char *arg, char *host, size_t hostlen, char *port, size_t portlen,
			 char *err, size_t errlen)
{
	const char *colon = strrchr(arg, ':'), *h = arg, *p;
	size_t hlen;
	char *end;
	long n;

	if (!colon) {
		snprintf(err, errlen, "invalid address '%s': expected HOST:PORT", arg);
		return -1;
	}
	hlen = (size_t)(colon - arg);
	if (hlen && arg[0] == '[') {
		if (arg[hlen - 1] != ']' || hlen < 3) {
			snprintf(err, errlen, "invalid address '%s': expected [IPv6]:PORT", arg);
			return -1;
		}
		h = arg + 1;
		hlen -= 2;
	} else if (memchr(arg, ':', hlen) || memchr(arg, ']', hlen) || memchr(arg, '[', hlen)) {
		snprintf(err, errlen, "invalid address '%s': write an IPv6 address as [ADDR]:PORT",
			 arg);
		return -1;
	}
	if (hlen >= hostlen) {
		snprintf(err, errlen, "invalid address '%s': host name too long", arg);
		return -1;
	}
	p = colon + 1;
	errno = 0;
	n = strtol(p, &end, 10);
	if (!*p || *end || errno || n < 0 || n > 65535 || *p == '-' || *p == '+' || *p == ' ') {
		snprintf(err, errlen, "invalid port '%s' in '%s': expected 0 to 65535", p, arg);
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, portlen, "%ld", n);
	return 0;
}

static int parse_number(const char *arg, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	return end == arg || *end || errno || !isfinite(*out) ? -1 : 0;
}

/* A power of 2 from lo to hi, into *out; -1 if arg is anything else. */
static int parse_power_of_2(const char *arg, unsigned lo, unsigned hi, unsigned *out)
{
	double v;

	if (parse_number(arg, &v) || v < lo || v > hi || v != (double)(unsigned)v ||
	    ((unsigned)v & ((unsigned)v - 1)))
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* --syscall-hooks=always|off|ON/PERIOD into o; -1 if arg is anything else. */
static int parse_hooks(const char *arg, struct options *o)
{
	int on, period, n = 0;

	o->hooks_given = true;
	o->hooks_on_s = o->hooks_period_s = 0;
	o->sched_only = strcmp(arg, "always") != 0;
	if (!o->sched_only || strcmp(arg, "off") == 0)
		return 0;
	if (sscanf(arg, "%d/%d%n", &on, &period, &n) != 2 || arg[n] || !isdigit((unsigned char)*arg) ||
	    on <= 0 || on >= period || period > MAX_WINDOW_S)
		return -1;
	o->hooks_on_s = on;
	o->hooks_period_s = period;
	return 0;
}

/* --web-config's, for the process's life (serve_start uses it, main frees it). */
static struct webconfig web;

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	const char *why;
	char err[768];
	double v;

	switch (key) {
	case 'p':
		if (parse_pid_list(arg, o, err, sizeof(err)))
			argp_error(state, "%s", err);
		break;
	case 'd':
		if (parse_number(arg, &v) || v <= 0 || v > MAX_DURATION_S)
			argp_error(state, "invalid duration '%s': expected seconds, > 0 and at most %.0f",
				   arg, MAX_DURATION_S);
		o->duration_s = v;
		break;
	case 'i':
		if (parse_number(arg, &v) || v < 0.1 || v > MAX_DURATION_S)
			argp_error(state, "invalid interval '%s': expected seconds, at least 0.1", arg);
		o->interval_s = v;
		break;
	case 'c':
		if (parse_number(arg, &v) || v <= 0 || v > MAX_CORES)
			argp_error(state, "invalid core count '%s': expected a number > 0", arg);
		o->cores = v;
		break;
	case 'u':
		if (parse_number(arg, &v) || v <= 0 || v > 1)
			argp_error(state, "invalid utilization '%s': expected 0 < U <= 1", arg);
		o->utilization = v;
		break;
	case OPT_STALL:
		if (parse_number(arg, &v) || v <= 0 || v > 1e6)
			argp_error(state, "invalid --stall '%s': milliseconds, > 0 and at most 1000000",
				   arg);
		o->stall_ns = (uint64_t)(v * 1e6);
		break;
	case 't':
		o->threads = true;
		break;
	case 'j':
		o->json = true;
		break;
	case 'H':
		o->histogram = true;
		break;
	case 'f':
		o->follow = true;
		break;
	case OPT_RING:
		if (parse_power_of_2(arg, 4, 1048576, &o->ring_kb))
			argp_error(state, "invalid ring size '%s': a power of 2 KiB, 4 to 1048576", arg);
		break;
	case OPT_STREAM_ALL:
		o->stream_all = true;
		break;
	case OPT_TIME_SAMPLE:
		if (parse_power_of_2(arg, 1, 65536, &o->time_sample))
			argp_error(state, "invalid --time-sample '%s': a power of 2, 1 to 65536", arg);
		break;
	case OPT_STACKS:
		o->stacks = true;
		break;
	case OPT_SCHED_ONLY:
		o->sched_only = o->hooks_given = true;
		o->hooks_on_s = o->hooks_period_s = 0;
		break;
	case OPT_HOOKS:
		if (parse_hooks(arg, o))
			argp_error(state,
				   "invalid --syscall-hooks '%s': always, off or ON/PERIOD (whole "
				   "seconds, 0 < ON < PERIOD <= 3600)",
				   arg);
		break;
	case OPT_KSTACKS:
		o->stacks = o->kernel_stacks = true;
		break;
	case OPT_STACK_COPY:
		if (parse_number(arg, &v) || v < 0 || v > USTACK_MAX_BYTES || v != (unsigned)v ||
		    (unsigned)v % 64)
			argp_error(state,
				   "invalid --stack-copy '%s': bytes, a multiple of 64 from 0 to %u",
				   arg, USTACK_MAX_BYTES);
		o->stack_copy = (unsigned)v;
		o->stacks = true;
		break;
	case OPT_FOLDED:
	case OPT_TIMELINE:
	case OPT_SVG:
		if (!*arg)
			argp_error(state, "invalid output file: empty name");
		if (key == OPT_FOLDED) {
			o->folded = arg;
			o->stacks = true;
		} else if (key == OPT_TIMELINE) {
			o->timeline = arg;
		} else {
			o->svg = arg;
		}
		break;
	case OPT_TOP:
		o->top = true;
		break;
	case OPT_VERIFY:
		o->verify = true;
		break;
	case OPT_CHILDREN:
		o->children = true;
		break;
	case 'n':
		if (!*arg || strlen(arg) > 15)
			argp_error(state, "invalid process name '%s': 1 to 15 characters", arg);
		if (o->nnames >= (int)(sizeof(o->names) / sizeof(o->names[0])))
			argp_error(state, "too many -n names");
		o->names[o->nnames++] = arg;
		break;
	case 'v':
		o->verbose = true;
		break;
	case 'o':
		if (!*arg)
			argp_error(state, "invalid output file: empty name");
		o->output = arg;
		break;
	case OPT_HOLD:
		if (!*arg)
			argp_error(state, "invalid --hold file: empty name");
		o->hold = arg;
		break;
	case OPT_SERVE:
		if (parse_listen_address(arg, o->serve_host, sizeof(o->serve_host), o->serve_port,
					 sizeof(o->serve_port), err, sizeof(err)))
			argp_error(state, "%s", err);
		o->serve = arg;
		break;
	case OPT_WEB_CONFIG:
		/* Read and checked now: a bad file stops us before anything is loaded. */
		webconfig_free(&web);
		if (webconfig_load(arg, &web, err, sizeof(err)))
			argp_failure(state, 2, 0, "%s", err);
		o->web_config = arg;
		o->web = &web;
		break;
	case OPT_WINDOW:
		if (parse_number(arg, &v) || v < 1 || v > MAX_WINDOW_S || v != (double)(int)v)
			argp_error(state, "invalid window '%s': whole seconds, 1 to %d", arg,
				   MAX_WINDOW_S);
		o->window_s = (int)v;
		break;
	case OPT_CGROUP:
		if (!*arg)
			argp_error(state, "invalid --cgroup: empty path");
		o->cgroup = arg;
		break;
	case OPT_CLASS:
		if (class_override_add(&o->overrides, arg, &why))
			argp_error(state, "invalid --class '%s': %s", arg, why);
		break;
	case ARGP_KEY_ARG:
		/* The first word that is not an option starts the command. */
		o->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (o->top && o->json)
			argp_error(state, "--top is a terminal view: it does not go with --json");
		if (o->top && !o->interval_s)
			o->interval_s = 1;
		if ((o->npids || o->nnames || o->cgroup) && o->command)
			argp_error(state,
				   "give either -p PID / -n NAME / --cgroup PATH or -- COMMAND, not both");
		if (!o->npids && !o->nnames && !o->command && !o->cgroup)
			argp_error(state,
				   "nothing to trace: give -p PID, -n NAME, --cgroup PATH or -- COMMAND");
		/* Every call goes to user space anyway: time each. */
		if (o->stream_all)
			o->time_sample = 1;
		if (o->hooks_period_s && !o->serve)
			argp_error(state, "--syscall-hooks=ON/PERIOD is a duty cycle of --serve: "
					  "give --serve too, or --syscall-hooks=off");
		if (o->sched_only && o->stream_all)
			argp_error(state, "--stream-all sends the syscall hooks' calls: it does not go "
					  "with --sched-only");
		if (o->serve && !o->hooks_given) {
			o->sched_only = true;
			o->hooks_on_s = SERVE_HOOKS_ON_S;
			o->hooks_period_s = SERVE_HOOKS_PERIOD_S;
		}
		if (o->web_config && !o->serve)
			argp_error(state, "--web-config secures --serve: give --serve too");
		if (o->window_s && !o->serve)
			argp_error(state, "--window sizes the gauges of --serve: give --serve too");
		if (o->serve) {
			const char *other = o->json	 ? "--json" :
					    o->top	 ? "--top" :
					    o->interval_s ? "--interval" :
					    o->threads	 ? "--threads" :
					    o->histogram ? "--histogram" :
					    o->verify	 ? "--verify" :
					    o->output	 ? "--output" :
							   NULL;

			if (other)
				argp_error(state,
					   "--serve exports metrics instead of printing a report: it does not go with %s",
					   other);
			if (!o->window_s)
				o->window_s = DEFAULT_WINDOW_S;
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int options_parse(int argc, char **argv, struct options *o)
{
	static const struct argp argp = { opts, parse_opt, args_doc, doc, NULL, NULL, NULL };

	memset(o, 0, sizeof(*o));
	o->utilization = 1.0;
	o->time_sample = DEFAULT_TIME_SAMPLE;
	o->stack_copy = USTACK_DEFAULT_BYTES;
	argp_err_exit_status = 2;
	return argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, o);
}
