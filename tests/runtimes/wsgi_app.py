# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""A WSGI app for gunicorn's sync workers, for make test-runtimes.

GET /?cpu=US&wait=US burns cpu microseconds of CPU time (time.thread_time;
a sync worker is one thread), then sends "WAIT us" to the backend of the
targets/ line protocol (port: environment BACKEND_PORT) over the worker
process's own connection, reads "DONE" and answers "OK".

gunicorn's sync workers are a pool of processes, each serving one request
at a time: the pool a gunicorn user sizes with --workers.
"""
import os
import socket
import time
from urllib.parse import parse_qs

BACKEND_PORT = int(os.environ.get("BACKEND_PORT", "0"))
_backend = None


def burn(us):
    end = time.thread_time() + us / 1e6
    x = 1
    while time.thread_time() < end:
        for _ in range(50):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x


def backend_call(us):
    """One backend connection per worker process, opened on first use."""
    global _backend
    if _backend is None:
        s = socket.create_connection(("127.0.0.1", BACKEND_PORT))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _backend = (s, s.makefile("rb"))
    s, f = _backend
    s.sendall(b"WAIT %d\n" % us)
    if f.readline().strip() != b"DONE":
        _backend = None
        raise IOError("backend")


def app(environ, start_response):
    q = parse_qs(environ.get("QUERY_STRING", ""))
    cpu = int(q.get("cpu", ["0"])[0])
    wait = int(q.get("wait", ["0"])[0])
    burn(cpu)
    if wait > 0:
        backend_call(wait)
    body = b"OK\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
