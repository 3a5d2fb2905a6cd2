#include "common.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char about[] =
"One job, two styles. The job is a backend call of --wait-us whose result\n"
"is handed to a callback. --mode sync: the caller thread (\"caller\")\n"
"calls do_job(cb), which sleeps in read() until the backend answers and\n"
"then runs cb; after that the caller does --cpu-us of its other work.\n"
"--mode async: do_job_async(cb) hands the job to a helper thread\n"
"(\"async-worker\") that makes the same blocking call and runs cb there;\n"
"meanwhile the caller does its other work, --cpu-us at a time, and\n"
"between slices checks an atomic flag that cb sets. The caller never\n"
"blocks: the waiting moved to the helper, it did not disappear. Prints\n"
"jobs and slices of other work done, then\n"
"\"SUMMARY mode=M jobs=N failed=N work_slices=N seconds=F\".";

struct job {
	struct list node;	/* in the async worker's queue */
	long wait_us;
	void (*cb)(struct job *j, int status);
};

static int backend_fd;
static struct linebuf backend_in;
static struct queue submitted;
static atomic_bool job_done;
static unsigned long jobs_ok, jobs_failed;

/* Runs on whichever thread did the job: the caller, or the async worker. */
static void on_result(struct job *j, int status)
{
	(void)j;
	if (status)
		jobs_failed++;
	else
		jobs_ok++;
	/* Release: the counts above are visible to whoever sees the flag. */
	atomic_store_explicit(&job_done, true, memory_order_release);
}

static void do_job(struct job *j)
{
	j->cb(j, backend_call(backend_fd, &backend_in, j->wait_us));
}

static void *async_worker_main(void *arg)
{
	struct list *item;

	(void)arg;
	while ((item = queue_pop(&submitted)))
		do_job(container_of(item, struct job, node));
	return NULL;
}

static void do_job_async(struct job *j)
{
	queue_push(&submitted, &j->node);
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 10, .wait_us = 1000, .cpu_us = 200,
			  .mode = "sync" };
	struct job job = { .cb = on_result };
	unsigned long slices = 0;
	uint64_t start, deadline;
	pthread_t worker;
	bool async;
	double secs;

	parse_opts(argc, argv, OPT_BACKEND | OPT_WAIT_US | OPT_CPU_US | OPT_MODE,
		   about, &o);
	if (strcmp(o.mode, "sync") && strcmp(o.mode, "async")) {
		fprintf(stderr, "callbacks: --mode is sync or async\n");
		return 2;
	}
	async = !strcmp(o.mode, "async");
	set_thread_name("caller", -1);
	stop_init(0);	/* the deadline ends the run */
	backend_fd = connect_local(o.backend_port);
	if (backend_fd < 0)
		die("cannot reach the backend on 127.0.0.1:%d: %s",
		    o.backend_port, strerror(errno));
	/* A silent backend fails the job rather than hanging it. */
	set_recv_timeout(backend_fd, 5);
	job.wait_us = o.wait_us;
	queue_init(&submitted);
	if (async)
		start_thread(&worker, "async-worker", -1, async_worker_main, NULL);
	start = now_ns();
	deadline = start + (uint64_t)(o.seconds * 1e9);

	while (!stop_requested && now_ns() < deadline) {
		if (!async) {
			do_job(&job);
			burn_cpu(o.cpu_us);
			slices++;
			continue;
		}
		atomic_store_explicit(&job_done, false, memory_order_relaxed);
		do_job_async(&job);
		do {
			burn_cpu(o.cpu_us);
			slices++;
		} while (!atomic_load_explicit(&job_done, memory_order_acquire));
	}
	secs = (double)(now_ns() - start) / 1e9;
	if (async) {
		queue_close(&submitted);
		pthread_join(worker, NULL);
	}
	close(backend_fd);

	printf("callbacks: mode %s: %lu jobs (%lu failed) in %.2f s, %.1f jobs/s; %lu slices of %ld us of other work\n",
	       o.mode, jobs_ok + jobs_failed, jobs_failed, secs,
	       (double)(jobs_ok + jobs_failed) / secs, slices, o.cpu_us);
	printf("SUMMARY mode=%s jobs=%lu failed=%lu work_slices=%lu seconds=%.3f\n",
	       o.mode, jobs_ok + jobs_failed, jobs_failed, slices, secs);
	return jobs_ok ? 0 : 1;
}
