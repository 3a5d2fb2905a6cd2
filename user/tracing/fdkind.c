// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What an fd is: an accepted connection, one the process opened, a pipe, a file. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fdkind.h"

#define TCP_LISTEN 0x0A
#define UNIX_ACCEPTCON 0x10000 /* __SO_ACCEPTCON: a listening unix socket */
#define MAX_LISTEN_PORTS 4096

void fd_kinds_init(struct fd_kinds *k)
{
	memset(k, 0, sizeof(*k));
}

void fd_kinds_free(struct fd_kinds *k)
{
	free(k->sockets);
	memset(k, 0, sizeof(*k));
}

enum fd_kind fd_link_kind(const char *link, unsigned long *inode)
{
	*inode = 0;
	if (sscanf(link, "socket:[%lu]", inode) == 1)
		return FD_OTHER;
	if (strncmp(link, "pipe:", 5) == 0 || strcmp(link, "anon_inode:[eventfd]") == 0)
		return FD_IPC;
	if (strncmp(link, "/dev/pts/", 9) == 0 || strncmp(link, "/dev/tty", 8) == 0 ||
	    strcmp(link, "/dev/console") == 0)
		return FD_TTY;
	if (link[0] == '/')
		return FD_FILE;
	return FD_OTHER;
}

/* Splits "hexaddr:PORT"; returns the port, or -1. */
static long port_of(const char *addr)
{
	const char *colon = strrchr(addr, ':');

	return colon ? strtol(colon + 1, NULL, 16) : -1;
}

/* Calls fn for each line of text after the header. */
static void each_line(const char *text, void (*fn)(const char *line, void *arg), void *arg)
{
	const char *line = strchr(text, '\n');

	while (line && *++line) {
		fn(line, arg);
		line = strchr(line, '\n');
	}
}

struct tcp_scan {
	bool pass_two;
	long listening[MAX_LISTEN_PORTS];
	int nlistening;
	fd_socket_fn add;
	void *ctx;
	int sockets;
};

static void tcp_line(const char *line, void *arg)
{
	struct tcp_scan *s = arg;
	char local[72], remote[72];
	unsigned state;
	unsigned long inode;
	long port;
	int i;

	if (sscanf(line, " %*d: %71s %71s %x %*s %*s %*s %*s %*s %lu", local, remote, &state,
		   &inode) != 4)
		return;
	port = port_of(local);
	if (!s->pass_two) {
		if (state == TCP_LISTEN && s->nlistening < MAX_LISTEN_PORTS)
			s->listening[s->nlistening++] = port;
		return;
	}
	if (state == TCP_LISTEN || !inode)
		return;
	for (i = 0; i < s->nlistening; i++)
		if (s->listening[i] == port)
			break;
	s->add(s->ctx, inode, i < s->nlistening ? FD_SERVER_CONN : FD_CLIENT_CONN);
	s->sockets++;
}

int fd_parse_tcp(const char *text, fd_socket_fn add, void *ctx)
{
	struct tcp_scan *s = calloc(1, sizeof(*s));
	int n;

	if (!s)
		return -1;
	s->add = add;
	s->ctx = ctx;
	each_line(text, tcp_line, s);
	s->pass_two = true;
	each_line(text, tcp_line, s);
	n = s->sockets;
	free(s);
	return n;
}

struct plain_scan {
	fd_socket_fn add;
	void *ctx;
	int sockets;
};

static void udp_line(const char *line, void *arg)
{
	struct plain_scan *s = arg;
	char local[72], remote[72];
	unsigned long inode;

	if (sscanf(line, " %*d: %71s %71s %*x %*s %*s %*s %*s %*s %lu", local, remote, &inode) != 3 ||
	    !inode)
		return;
	/* Unconnected (remote port 0): it waits for whoever sends the next request. */
	s->add(s->ctx, inode, port_of(remote) == 0 ? FD_SERVER_CONN : FD_CLIENT_CONN);
	s->sockets++;
}

int fd_parse_udp(const char *text, fd_socket_fn add, void *ctx)
{
	struct plain_scan s = { add, ctx, 0 };

	each_line(text, udp_line, &s);
	return s.sockets;
}

static void unix_line(const char *line, void *arg)
{
	struct plain_scan *s = arg;
	unsigned long flags, inode;
	char path[8] = "";
	int n;

	/* "Num RefCount Protocol Flags Type St Inode Path" */
	n = sscanf(line, "%*s %*x %*x %lx %*x %*x %lu %7s", &flags, &inode, path);
	if (n < 2 || !inode)
		return;
	if (flags & UNIX_ACCEPTCON)
		s->add(s->ctx, inode, FD_OTHER); /* the listener itself */
	else
		/* An accepted socket shows its listener's path; a client's has none. */
		s->add(s->ctx, inode, n == 3 && path[0] ? FD_SERVER_CONN : FD_IPC);
	s->sockets++;
}

int fd_parse_unix(const char *text, fd_socket_fn add, void *ctx)
{
	struct plain_scan s = { add, ctx, 0 };

	each_line(text, unix_line, &s);
	return s.sockets;
}

static size_t slot(unsigned long inode, size_t cap)
{
	return (size_t)((inode * 2654435761u) & (cap - 1));
}

static void put(void *ctx, unsigned long inode, enum fd_kind kind)
{
	struct fd_kinds *k = ctx;
	size_t s;

	if ((k->n + 1) * 2 > k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 1024, i;
		struct fd_socket *grown = calloc(cap, sizeof(*grown));

		if (!grown)
			return;
		for (i = 0; i < k->cap; i++)
			if (k->sockets[i].inode) {
				s = slot(k->sockets[i].inode, cap);
				while (grown[s].inode)
					s = (s + 1) & (cap - 1);
				grown[s] = k->sockets[i];
			}
		free(k->sockets);
		k->sockets = grown;
		k->cap = cap;
	}
	s = slot(inode, k->cap);
	while (k->sockets[s].inode && k->sockets[s].inode != inode)
		s = (s + 1) & (k->cap - 1);
	if (!k->sockets[s].inode)
		k->n++;
	k->sockets[s].inode = inode;
	k->sockets[s].kind = kind;
}

static const struct fd_socket *find(const struct fd_kinds *k, unsigned long inode)
{
	size_t s;

	if (!k->cap)
		return NULL;
	for (s = slot(inode, k->cap); k->sockets[s].inode; s = (s + 1) & (k->cap - 1))
		if (k->sockets[s].inode == inode)
			return &k->sockets[s];
	return NULL;
}

static char *read_text(const char *path)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	FILE *f = fopen(path, "re");
	size_t n;

	if (!buf || !f) {
		free(buf);
		if (f)
			fclose(f);
		return NULL;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			char *grown = realloc(buf, cap * 2);

			if (!grown)
				break;
			buf = grown;
			cap *= 2;
		}
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Rereads the socket tables of tgid's network namespace. */
static void refresh(struct fd_kinds *k, pid_t tgid, uint64_t now_ns)
{
	static const struct {
		const char *file;
		int (*parse)(const char *, fd_socket_fn, void *);
	} tables[] = { { "tcp", fd_parse_tcp },	  { "tcp6", fd_parse_tcp }, { "udp", fd_parse_udp },
		       { "udp6", fd_parse_udp }, { "unix", fd_parse_unix } };
	char path[64];
	size_t i;

	k->n = 0;
	if (k->sockets)
		memset(k->sockets, 0, k->cap * sizeof(*k->sockets));
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char *text;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", tgid, tables[i].file);
		text = read_text(path);
		if (text)
			tables[i].parse(text, put, k);
		free(text);
	}
	k->table_pid = tgid;
	k->table_ns = now_ns;
}

enum fd_kind fd_kinds_lookup(struct fd_kinds *k, pid_t tgid, int fd, uint64_t now_ns)
{
	char path[64], link[256];
	const struct fd_socket *s;
	unsigned long inode;
	enum fd_kind kind;
	ssize_t n;

	k->lookups++;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", tgid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0) {
		k->unknown++;
		return FD_UNKNOWN; /* closed since, or the process is gone */
	}
	link[n] = '\0';
	kind = fd_link_kind(link, &inode);
	if (!inode)
		return kind;
	s = find(k, inode);
	if (!s && now_ns - k->table_ns >= FDKIND_REFRESH_NS) {
		refresh(k, tgid, now_ns);
		s = find(k, inode);
	}
	if (!s)
		k->unknown++;
	return s ? s->kind : FD_UNKNOWN;
}
