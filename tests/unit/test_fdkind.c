// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What an fd is, from /proc/PID/fd links and the socket tables. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"
#include "fdkind.h"

struct seen {
	unsigned long inode[8];
	enum fd_kind kind[8];
	int n;
};

static void collect(void *ctx, unsigned long inode, enum fd_kind kind)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		s->inode[s->n] = inode;
		s->kind[s->n++] = kind;
	}
}

static enum fd_kind kind_of(const struct seen *s, unsigned long inode)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->inode[i] == inode)
			return s->kind[i];
	return FD_UNKNOWN;
}

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

static void tcp_accepted_or_opened(void **state)
{
	/* A listener on 8080 (0x1F90), the connection it accepted, and one we opened to 5432. */
	const char *text =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0\n"
		"   1: 0100007F:1F90 0100007F:B0C2 01 00000000:00000000 00:00000000 00000000     0        0 101 1 0 20 4 30 10 -1\n"
		"   2: 0100007F:C350 0100007F:1538 01 00000000:00000000 00:00000000 00000000     0        0 102 1 0 20 4 30 10 -1\n";
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(fd_parse_tcp(text, collect, &s), 2);
	assert_int_equal(kind_of(&s, 101), FD_SERVER_CONN);
	assert_int_equal(kind_of(&s, 102), FD_CLIENT_CONN);
	assert_int_equal(kind_of(&s, 100), FD_UNKNOWN); /* the listener itself is not waited on by reads */
	assert_int_equal(fd_parse_tcp("header only\n", collect, &s), 0);
	assert_int_equal(fd_parse_tcp("", collect, &s), 0);
}

static void udp_and_unix(void **state)
{
	const char *udp =
		"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
		"  1: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 200 2 0 0\n"
		"  2: 0100007F:9C40 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 201 2 0 0\n";
	const char *unix_text =
		"Num       RefCount Protocol Flags    Type St Inode Path\n"
		"0000000000000000: 00000002 00000000 00010000 0001 01 300 /run/app.sock\n"
		"0000000000000000: 00000003 00000000 00000000 0001 03 301 /run/app.sock\n"
		"0000000000000000: 00000003 00000000 00000000 0001 03 302\n";
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(fd_parse_udp(udp, collect, &s), 2);
	assert_int_equal(kind_of(&s, 200), FD_SERVER_CONN); /* unconnected: waits for requests */
	assert_int_equal(kind_of(&s, 201), FD_CLIENT_CONN);
	assert_int_equal(fd_parse_unix(unix_text, collect, &s), 3);
	assert_int_equal(kind_of(&s, 300), FD_OTHER);	    /* the listener */
	assert_int_equal(kind_of(&s, 301), FD_SERVER_CONN); /* accepted: its listener's path */
	assert_int_equal(kind_of(&s, 302), FD_IPC);	    /* a client or a socketpair */
}

static void this_process(void **state)
{
	struct fd_kinds k;

	(void)state;
	fd_kinds_init(&k);
	/* stdin of the test may be anything; a closed fd is unknown, never a guess. */
	assert_int_equal(fd_kinds_lookup(&k, getpid(), 987654, 1), FD_UNKNOWN);
	fd_kinds_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(links),
		cmocka_unit_test(tcp_accepted_or_opened),
		cmocka_unit_test(udp_and_unix),
		cmocka_unit_test(this_process),
	};

	return cmocka_run_group_tests_name("fdkind", tests, NULL, NULL);
}
