#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char about[] =
"The impatient pizza caller: a client of the backend that sends\n"
"\"WAIT <us>\" and then, instead of sleeping until the answer comes, asks\n"
"again and again with recv(MSG_DONTWAIT) until DONE arrives; then calls\n"
"again. Not one system call blocks, nearly every recv() fails with\n"
"EAGAIN, and the thread stays on the CPU the whole time: non-blocking\n"
"and yet synchronous. Prints how many recv() calls and EAGAINs that took,\n"
"then \"SUMMARY replies=N recv_calls=N eagain=N seconds=F\".";

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 10, .wait_us = 1000 };
	unsigned long replies = 0, calls = 0, eagain = 0;
	char req[LINE_SIZE], reply[LINE_SIZE];
	uint64_t start, deadline, give_up;
	size_t len, got;
	double secs;
	ssize_t n;
	int fd;

	parse_opts(argc, argv, OPT_BACKEND | OPT_WAIT_US, about, &o);
	stop_init(0);	/* the deadline ends the run */
	fd = connect_local(o.backend_port);
	if (fd < 0)
		die("cannot reach the backend on 127.0.0.1:%d: %s",
		    o.backend_port, strerror(errno));
	len = format_wait(req, o.wait_us);
	start = now_ns();
	deadline = start + (uint64_t)(o.seconds * 1e9);
	give_up = deadline + (uint64_t)o.wait_us * 1000 + 5000000000ull;

	while (!stop_requested && now_ns() < deadline) {
		if (send(fd, req, len, MSG_DONTWAIT) != (ssize_t)len)
			die("send: %s", strerror(errno));
		/* "Is it ready yet?" The reply is exactly "DONE\n". */
		for (got = 0; got < 5; got += (size_t)n) {
			calls++;
			n = recv(fd, reply + got, 5 - got, MSG_DONTWAIT);
			if (n < 0 && errno == EAGAIN) {
				eagain++;
				n = 0;
				/* Every loop ends: give up on a backend gone silent. */
				if (!(eagain & 1023) && now_ns() > give_up)
					die("no reply from the backend");
			} else if (n <= 0) {
				die("backend: %s", n ? strerror(errno) : "connection closed");
			}
		}
		if (memcmp(reply, "DONE\n", 5))
			die("unexpected reply from the backend");
		replies++;
	}
	secs = (double)(now_ns() - start) / 1e9;
	close(fd);

	printf("busy_poll: %lu replies in %.2f s; %lu recv() calls, %lu of them EAGAIN (%.2f%%), %.0f per reply\n",
	       replies, secs, calls, eagain, calls ? 100.0 * (double)eagain / (double)calls : 0,
	       replies ? (double)eagain / (double)replies : 0);
	printf("SUMMARY replies=%lu recv_calls=%lu eagain=%lu seconds=%.3f\n",
	       replies, calls, eagain, secs);
	return 0;
}
