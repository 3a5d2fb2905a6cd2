// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Starting "-- COMMAND" so that it is traced from its first instruction. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "launch.h"

/*
 * Finds the program as execvp would, but here in the tracer, so that the
 * traced child makes one execve instead of one per PATH entry.
 */
static int resolve_program(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) ? -1 : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p;) {
		size_t dirlen = strcspn(p, ":");

		snprintf(out, len, "%.*s%s%s", (int)dirlen, p, dirlen ? "/" : "", name);
		if (access(out, X_OK) == 0)
			return 0;
		p += dirlen;
		if (*p == ':')
			p++;
	}
	errno = ENOENT;
	return -1;
}

int launch_prepare(struct launch *l, char *const argv[], char *err, size_t errlen)
{
	int gate[2], report[2];
	char go;

	l->pid = -1;
	if (resolve_program(argv[0], l->path, sizeof(l->path))) {
		snprintf(err, errlen, "cannot run '%s': %s", argv[0],
			 errno == ENOENT ? "command not found" : strerror(errno));
		return -1;
	}
	if (pipe2(gate, O_CLOEXEC) || pipe2(report, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	l->pid = fork();
	if (l->pid < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (l->pid == 0) {
		int e;

		close(gate[1]);
		close(report[0]);
		/* Do not outlive a tracer that dies before opening the gate. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		if (read(gate[0], &go, 1) != 1 || go != 'g')
			_exit(127);
		prctl(PR_SET_PDEATHSIG, 0);
		execv(l->path, argv);
		e = errno;
		if (write(report[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(gate[0]);
	close(report[1]);
	l->gate_fd = gate[1];
	l->error_fd = report[0];
	return 0;
}

int launch_start(struct launch *l, char *const argv[], char *err, size_t errlen)
{
	int child_errno;
	ssize_t n;

	if (write(l->gate_fd, "g", 1) != 1) {
		snprintf(err, errlen, "cannot start '%s': %s", argv[0], strerror(errno));
		return -1;
	}
	close(l->gate_fd);
	l->gate_fd = -1;
	/* EOF means exec succeeded and closed the close-on-exec pipe. */
	do
		n = read(l->error_fd, &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(l->error_fd);
	l->error_fd = -1;
	if (n == (ssize_t)sizeof(child_errno)) {
		snprintf(err, errlen, "cannot run '%s': %s", argv[0], strerror(child_errno));
		waitpid(l->pid, NULL, 0);
		l->pid = -1;
		return -1;
	}
	return 0;
}

void launch_abort(struct launch *l)
{
	if (l->pid <= 0)
		return;
	kill(l->pid, SIGKILL);
	waitpid(l->pid, NULL, 0);
	l->pid = -1;
}
