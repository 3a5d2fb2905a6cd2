#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char about[] =
"Drives a server with \"REQ <cpu_us> <wait_us>\" requests. Each of C\n"
"connections is its own thread (\"conn-N\"). Closed loop by default: a\n"
"connection sends a request, waits for \"OK\", sends the next. With --rate\n"
"it is open loop: requests are due at fixed times (R/s over all\n"
"connections) and latency counts from the time a request was due, so a\n"
"slow server is not hidden by the client slowing down with it. With\n"
"--warm-up W it runs W seconds first on the same connections and counts\n"
"only the --seconds after (a JIT warms up without new connections\n"
"and threads in the server when the count starts). Prints\n"
"throughput and latency percentiles, then a last line\n"
"\"SUMMARY requests=N errors=N seconds=F rps=F p50_us=F p99_us=F p999_us=F\".";

static struct opts o = {
	.seconds = 10, .connections = 4, .cpu_us = 1000, .wait_us = 1000,
};
static uint64_t deadline;
static uint64_t counted;	/* requests that end before this are not counted */

struct conn {
	pthread_t thread;
	int id;
	long errors;
	double *lat_us;
	size_t n, cap;
};

static void record(struct conn *c, double us)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 4096;
		c->lat_us = realloc(c->lat_us, c->cap * sizeof(*c->lat_us));
		if (!c->lat_us)
			die("out of memory");
	}
	c->lat_us[c->n++] = us;
}

/* One request on @fd (connecting first if needed); false on failure. */
static bool request(int *fd, struct linebuf *lb, const char *req, size_t len)
{
	char line[LINE_SIZE];

	if (*fd < 0) {
		*fd = connect_local(o.port);
		if (*fd < 0)
			return false;
		/* A hung server costs an error, not a hung loadgen. */
		set_recv_timeout(*fd, 5);
		lb->len = 0;
	}
	if (write_all(*fd, req, len) == 0 && read_line(*fd, lb, line) > 0 &&
	    !strcmp(line, "OK"))
		return true;
	close(*fd);
	*fd = -1;
	return false;
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	uint64_t interval = 0, due = 0, t0;
	struct linebuf lb = { 0 };
	char req[LINE_SIZE];
	size_t len;
	int fd = -1;

	len = (size_t)snprintf(req, sizeof(req), "REQ %ld %ld\n", o.cpu_us, o.wait_us);
	if (o.rate > 0) {
		interval = (uint64_t)(1e9 * o.connections / o.rate);
		/* Spread the connections' schedules over one interval. */
		due = now_ns() + interval * (uint64_t)c->id / (uint64_t)o.connections;
	}
	while (!stop_requested) {
		if (interval) {
			if (due >= deadline)
				break;
			sleep_until(due);
			t0 = due;
			due += interval;
		} else {
			t0 = now_ns();
			if (t0 >= deadline)
				break;
		}
		if (request(&fd, &lb, req, len)) {
			uint64_t t1 = now_ns();

			if (t1 >= counted)
				record(c, (double)(t1 - t0) / 1e3);
		} else {
			c->errors++;
			/* Do not hammer a server that refuses us. */
			sleep_until(now_ns() + 100000000);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted @v. */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (size_t)(p / 100 * (double)n + 0.999999);
	return v[rank ? rank - 1 : 0];
}

int main(int argc, char **argv)
{
	struct conn *conns;
	double *all, secs, rps, p50, p99, p999;
	size_t total = 0, k = 0;
	long errors = 0;
	uint64_t start;
	int i;

	parse_opts(argc, argv, OPT_CONNECT | OPT_CONNECTIONS | OPT_CPU_US |
		   OPT_WAIT_US | OPT_RATE | OPT_WARM_UP, about, &o);
	stop_init(0);	/* the deadline below, not a timer, ends the run */
	conns = calloc((size_t)o.connections, sizeof(*conns));
	if (!conns)
		die("out of memory");
	counted = now_ns() + (uint64_t)(o.warm_up * 1e9);
	start = counted;	/* the clock of the summary starts after the warm-up */
	deadline = start + (uint64_t)(o.seconds * 1e9);
	for (i = 0; i < o.connections; i++) {
		conns[i].id = i;
		start_thread(&conns[i].thread, "conn", i, conn_main, &conns[i]);
	}
	for (i = 0; i < o.connections; i++) {
		pthread_join(conns[i].thread, NULL);
		total += conns[i].n;
		errors += conns[i].errors;
	}
	secs = (double)(now_ns() - start) / 1e9;

	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		die("out of memory");
	for (i = 0; i < o.connections; i++) {
		if (conns[i].n)
			memcpy(all + k, conns[i].lat_us, conns[i].n * sizeof(*all));
		k += conns[i].n;
		free(conns[i].lat_us);
	}
	free(conns);
	qsort(all, total, sizeof(*all), cmp_double);
	rps = (double)total / secs;
	p50 = percentile(all, total, 50);
	p99 = percentile(all, total, 99);
	p999 = percentile(all, total, 99.9);
	free(all);

	printf("loadgen: %zu requests, %ld errors in %.2f s: %.1f req/s, latency p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms\n",
	       total, errors, secs, rps, p50 / 1e3, p99 / 1e3, p999 / 1e3);
	printf("SUMMARY requests=%zu errors=%ld seconds=%.3f rps=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f\n",
	       total, errors, secs, rps, p50, p99, p999);
	fflush(stdout);
	if (!total)
		die("no request succeeded (%ld errors): is a server listening on 127.0.0.1:%d?",
		    errors, o.port);
	return 0;
}
