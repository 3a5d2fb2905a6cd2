#include "common.h"

#include <stdlib.h>
#include <unistd.h>

static const char about[] =
"Thread-per-connection server: the main thread (\"acceptor\") accepts\n"
"connections and starts one thread (\"conn-N\") for each. A connection\n"
"thread has its own backend connection and plain blocking code: read()\n"
"the request, burn its CPU, send WAIT and sleep in read() until DONE,\n"
"write OK. Same profile as mp_server, with threads instead of processes:\n"
"the threads block in read/recv and in the backend call.";

struct conn {
	int fd;
	int backend_port;
};

static void *conn_main(void *arg)
{
	struct conn c = *(struct conn *)arg;
	int bfd;

	free(arg);
	bfd = connect_local(c.backend_port);
	if (bfd >= 0) {
		serve_blocking(c.fd, bfd);
		close(bfd);
	}
	close(c.fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 30 };
	struct conn *c;
	pthread_t t;
	int lfd, cfd, id = 0;

	parse_opts(argc, argv, OPT_LISTEN | OPT_BACKEND, about, &o);
	set_thread_name("acceptor", -1);
	stop_init(o.seconds);
	lfd = listen_local(o.port);
	announce(lfd);

	while (!stop_requested) {
		cfd = accept_client(lfd);
		if (cfd < 0)
			continue;
		c = malloc(sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->fd = cfd;
		c->backend_port = o.backend_port;
		start_thread(&t, "conn", id++, conn_main, c);
		pthread_detach(t);
	}
	/*
	 * Connection threads may sit in a blocking read() for as long as
	 * their client is idle. Returning from main ends them all with the
	 * process, which is all the cleanup they need.
	 */
	close(lfd);
	return 0;
}
