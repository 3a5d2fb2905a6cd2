#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char about[] =
"Multi-process server, the classic pre-threads Unix design: the parent\n"
"(\"acceptor\") accepts connections and forks one child per connection.\n"
"A child (\"conn-N\") has its own backend connection and plain blocking\n"
"code: read() the request, burn its CPU, send WAIT and sleep in read()\n"
"until DONE, write OK. Children block in read/recv and in the backend\n"
"call; the kernel switches between processes while they wait. On\n"
"SIGTERM or SIGINT the parent kills and reaps every child.";

#define MAX_CHILDREN 1024

static pid_t children[MAX_CHILDREN];
static int nr_children;

static void child_main(int cfd, int lfd, int id, int backend_port,
		       pid_t parent, const sigset_t *old_mask)
{
	int bfd;

	/* Plain default actions: the parent's SIGTERM ends us at once. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	/* Die with the parent even if it is killed without a chance to clean up. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	close(lfd);
	set_thread_name("conn", id);
	bfd = connect_local(backend_port);
	if (bfd >= 0)
		serve_blocking(cfd, bfd);
	/* _exit: the parent's stdio buffers are not ours to flush. */
	_exit(bfd >= 0 ? 0 : 1);
}

/* Forgets the children that have exited, so that none stays a zombie. */
static void reap(int flags)
{
	pid_t pid;
	int i;

	while ((pid = waitpid(-1, NULL, flags)) > 0) {
		for (i = 0; i < nr_children; i++) {
			if (children[i] == pid) {
				children[i] = children[--nr_children];
				break;
			}
		}
	}
}

static void kill_children(void)
{
	uint64_t give_up = now_ns() + 2000000000ull;
	int i;

	for (i = 0; i < nr_children; i++)
		kill(children[i], SIGTERM);
	while (nr_children && now_ns() < give_up) {
		reap(WNOHANG);
		usleep(10000);
	}
	/* A child that ignored SIGTERM for 2 s gets no more choice. */
	for (i = 0; i < nr_children; i++)
		kill(children[i], SIGKILL);
	reap(0);
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 30 };
	sigset_t stop_signals, old_mask;
	pid_t pid, self = getpid();
	int lfd, cfd, id = 0;

	parse_opts(argc, argv, OPT_LISTEN | OPT_BACKEND, about, &o);
	set_thread_name("acceptor", -1);
	stop_init(o.seconds);
	lfd = listen_local(o.port);
	announce(lfd);
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);

	while (!stop_requested) {
		reap(WNOHANG);
		cfd = accept_client(lfd);
		if (cfd < 0)
			continue;
		if (nr_children == MAX_CHILDREN) {
			close(cfd);
			continue;
		}
		/*
		 * Until the child has dropped our handler, a SIGTERM would only
		 * set its copy of the stop flag: hold such signals until then.
		 */
		sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
		pid = fork();
		if (pid == 0)
			child_main(cfd, lfd, id, o.backend_port, self, &old_mask);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		if (pid > 0)
			children[nr_children++] = pid;
		else
			fprintf(stderr, "mp_server: fork: %s\n", strerror(errno));
		close(cfd);
		id++;
	}
	kill_children();
	close(lfd);
	return 0;
}
