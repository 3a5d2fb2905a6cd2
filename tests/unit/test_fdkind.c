// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What an fd is, from /proc/PID/fd links and the socket tables. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <sys/syscall.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "unit.h"
#include "fdkind.h"

static void links(void **state)
{
	unsigned long ino;

	(void)state;
	assert_int_equal(fd_link_kind("socket:[4242]", &ino), FD_OTHER);
	assert_int_equal(ino, 4242);
	assert_int_equal(fd_link_kind("pipe:[17]", &ino), FD_IPC);
	assert_int_equal(ino, 0);
	assert_int_equal(fd_link_kind("anon_inode:[eventfd]", &ino), FD_IPC);
	assert_int_equal(fd_link_kind("anon_inode:[eventpoll]", &ino), FD_OTHER);
	assert_int_equal(fd_link_kind("/dev/pts/3", &ino), FD_TTY);
	assert_int_equal(fd_link_kind("/var/lib/db/file", &ino), FD_FILE);
}

static void sockets_by_what_they_say(void **state)
{
	const uint16_t listening[] = { 8080, 5432 };
	struct fd_socket_facts f = { .domain = AF_INET, .type = SOCK_STREAM, .connected = true };

	(void)state;
	f.local_port = 8080; /* a listener's port: accepted */
	assert_int_equal(fd_socket_kind(&f, listening, 2), FD_SERVER_CONN);
	f.local_port = 45000; /* an ephemeral port: one it opened */
	assert_int_equal(fd_socket_kind(&f, listening, 2), FD_CLIENT_CONN);
	f.connected = false; /* a listener, or not yet connected */
	assert_int_equal(fd_socket_kind(&f, listening, 2), FD_OTHER);
	f.type = SOCK_DGRAM; /* unconnected UDP waits for requests */
	assert_int_equal(fd_socket_kind(&f, listening, 2), FD_SERVER_CONN);
	f.connected = true;
	assert_int_equal(fd_socket_kind(&f, listening, 2), FD_CLIENT_CONN);
	f.domain = AF_UNIX;
	f.named = true; /* accepted: bound to its listener's path */
	assert_int_equal(fd_socket_kind(&f, NULL, 0), FD_SERVER_CONN);
	f.named = false; /* a client, or a socketpair */
	assert_int_equal(fd_socket_kind(&f, NULL, 0), FD_IPC);
}

/* Makes l listen on a free loopback port and connects c to it. */
static void connect_on_loopback(int l, int c)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
}

/* The live path on this very process: a listener, the connection it accepted, the one we opened. */
static void live_sockets(void **state)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s, p[2];
	struct fd_kinds k;

	(void)state;
	/* Valgrind (3.19) does not know pidfd_getfd: nothing to check there. */
	if (syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == ENOSYS) {
		close(l);
		close(c);
		skip();
	}
	connect_on_loopback(l, c);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	assert_int_equal(pipe(p), 0);
	fd_kinds_init(&k);
	assert_int_equal(fd_kinds_lookup(&k, getpid(), s, NULL, 1), FD_SERVER_CONN);
	assert_int_equal(fd_kinds_lookup(&k, getpid(), c, NULL, 1), FD_CLIENT_CONN);
	assert_int_equal(fd_kinds_lookup(&k, getpid(), p[0], NULL, 1), FD_IPC);
	/* Asked again, from the cache by inode: the same answers. */
	assert_int_equal(fd_kinds_lookup(&k, getpid(), s, NULL, 2), FD_SERVER_CONN);
	assert_int_equal(fd_kinds_lookup(&k, getpid(), c, NULL, 2), FD_CLIENT_CONN);
	fd_kinds_free(&k);
	close(s);
	close(c);
	close(l);
	close(p[0]);
	close(p[1]);
}

static void this_process(void **state)
{
	struct fd_kinds k;

	(void)state;
	fd_kinds_init(&k);
	/* stdin of the test may be anything; a closed fd is unknown, never a guess. */
	assert_int_equal(fd_kinds_lookup(&k, getpid(), 987654, NULL, 1), FD_UNKNOWN);
	fd_kinds_free(&k);
}

/* What the kernel side read of the file (issue 27, item 2): its mode says most of it. */
static void kinds_by_mode(void **state)
{
	(void)state;
	assert_int_equal(fd_mode_kind(S_IFIFO | 0600, 0), FD_IPC);
	assert_int_equal(fd_mode_kind(S_IFREG | 0644, 0x800001), FD_FILE);
	assert_int_equal(fd_mode_kind(S_IFBLK | 0660, 0), FD_FILE);
	assert_int_equal(fd_mode_kind(S_IFCHR | 0620, 136u << 20 | 3), FD_TTY); /* /dev/pts/3 */
	assert_int_equal(fd_mode_kind(S_IFCHR | 0666, 5u << 20 | 0), FD_TTY);	/* /dev/tty */
	assert_int_equal(fd_mode_kind(S_IFCHR | 0666, 1u << 20 | 3), FD_OTHER); /* /dev/null */
	assert_int_equal(fd_mode_kind(S_IFSOCK | 0777, 0), FD_UNKNOWN);	/* to be asked */
	assert_int_equal(fd_mode_kind(0600, 0), FD_UNKNOWN);			/* eventfd: /proc */
}

/*
 * With the file the kernel side read, /proc is not read: a FIFO of a
 * process that has gone is still a FIFO (a Node loop's readFileSync closed
 * it before the collector asked, and its wait was "other"), and a socket is
 * asked once, then known by its inode after its fd is closed.
 */
static void kinds_from_the_kernel_side(void **state)
{
	struct fd_file fifo = { .ino = 4242, .mode = S_IFIFO | 0600 };
	struct fd_file sock = { .mode = S_IFSOCK | 0777 };
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	struct fd_kinds k;
	struct stat st;

	(void)state;
	fd_kinds_init(&k);
	assert_int_equal(fd_kinds_lookup(&k, 999999999, 3, &fifo, 1), FD_IPC);
	assert_int_equal(k.proc_reads, 0);
	if (syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == ENOSYS) {
		fd_kinds_free(&k);
		close(l);
		close(c);
		skip();
	}
	connect_on_loopback(l, c);
	assert_int_equal(fstat(c, &st), 0);
	sock.ino = st.st_ino;
	assert_int_equal(fd_kinds_lookup(&k, getpid(), c, &sock, 1), FD_CLIENT_CONN);
	close(c);
	assert_int_equal(fd_kinds_lookup(&k, getpid(), c, &sock, 2), FD_CLIENT_CONN);
	assert_int_equal(k.proc_reads, 0);
	/* Without the kernel side's file (a call that did not sleep): /proc, as before. */
	assert_int_equal(fd_kinds_lookup(&k, getpid(), c, NULL, 3), FD_UNKNOWN);
	assert_int_equal(k.proc_reads, 1);
	fd_kinds_free(&k);
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(links),
		cmocka_unit_test(sockets_by_what_they_say),
		cmocka_unit_test(live_sockets),
		cmocka_unit_test(this_process),
		cmocka_unit_test(kinds_by_mode),
		cmocka_unit_test(kinds_from_the_kernel_side),
	};

	return cmocka_run_group_tests_name("fdkind", tests, NULL, NULL);
}
