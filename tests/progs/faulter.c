// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * faulter: a thread that sleeps in page faults, not in syscalls. Its pages
 * are registered with userfaultfd; each first touch sleeps in the fault
 * until the main thread fills the page, MS milliseconds later. Inside a
 * fault the thread's saved user registers say "no syscall" (orig_ax -1),
 * which is how --sched-only tells such a sleep apart.
 *
 *   faulter [PAGES [MS]]     (default 20 pages, 50 ms each)
 *
 * Prints "READY pid=PID tid=TID" once the toucher exists, then
 * "DONE faults=N" at the end.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *area;
static long pages = 20, page_size;
static volatile long sum;

static void *toucher(void *arg)
{
	long i;

	(void)arg;
	prctl(PR_SET_NAME, "toucher");
	for (i = 0; i < pages; i++)
		sum += area[i * page_size]; /* sleeps in the fault */
	return NULL;
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	pthread_t t;
	char *page;
	long ms = 50, n = 0;
	int fd;

	if (argc > 1)
		pages = atol(argv[1]);
	if (argc > 2)
		ms = atol(argv[2]);
	page_size = sysconf(_SC_PAGESIZE);
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fd < 0 || ioctl(fd, UFFDIO_API, &api)) {
		perror("faulter: userfaultfd");
		return 1;
	}
	area = mmap(NULL, (size_t)(pages * page_size), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (area == MAP_FAILED || page == MAP_FAILED)
		return 1;
	memset(page, 1, (size_t)page_size);
	reg.range.start = (unsigned long)area;
	reg.range.len = (unsigned long)(pages * page_size);
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(fd, UFFDIO_REGISTER, &reg)) {
		perror("faulter: UFFDIO_REGISTER");
		return 1;
	}
	/* A moment for a tracer to attach first. */
	printf("READY pid=%d\n", getpid());
	fflush(stdout);
	usleep(500000);
	pthread_create(&t, NULL, toucher, NULL);
	while (n < pages) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct uffd_msg msg;
		struct uffdio_copy copy;

		if (poll(&p, 1, 5000) <= 0 || read(fd, &msg, sizeof(msg)) != sizeof(msg))
			break;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		usleep((useconds_t)(ms * 1000));
		copy.dst = msg.arg.pagefault.address & ~(unsigned long)(page_size - 1);
		copy.src = (unsigned long)page;
		copy.len = (unsigned long)page_size;
		copy.mode = 0;
		if (ioctl(fd, UFFDIO_COPY, &copy))
			break;
		n++;
	}
	pthread_join(t, NULL);
	printf("DONE faults=%ld\n", n);
	return n == pages ? 0 : 1;
}
