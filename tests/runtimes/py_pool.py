#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""A CPython server on the targets/ line protocol, for make test-runtimes.

The common CPython shape: a concurrent.futures.ThreadPoolExecutor behind
thread-per-connection readers. CPython leaves its threads unnamed at the
OS level (every comm is the process's, "python3"), so blockscope must tell
the roles apart by what the threads do.

  main thread   accepts connections, starts a reader thread per connection
  readers       read "REQ cpu wait", submit a task to the pool, wait for
                its future, write "OK"
  pool          ThreadPoolExecutor(THREADS): burns cpu_us of thread CPU
                time (time.thread_time(), holding the GIL), then sends
                "WAIT us" to the backend over its own connection and reads
                "DONE" (the GIL is released while it waits)

Run with "REQ cpu 0" (no backend wait) the pool is CPU-bound under the
GIL: true contention, which blockscope must still warn about.

--roles FILE writes "TID ROLE NS" lines (pool, reader, main) as each thread
starts its work (threading.get_native_id(), time.monotonic_ns()), so that
the suite can check which
group blockscope put each thread in without trusting any name.

Usage: python3 py_pool.py [--port P] [--backend-port P] [--threads N]
       [--seconds S] [--roles FILE]
Prints "py_pool pid=PID port=PORT" first; exits by itself after S seconds.
"""
import argparse
import concurrent.futures
import os
import socket
import threading
import time

backend_port = 0
local = threading.local()
roles_lock = threading.Lock()
roles_file = None


def note_role(role):
    """Appends this thread's TID and role to the roles file, once."""
    if roles_file is None or getattr(local, "noted", False):
        return
    local.noted = True
    with roles_lock:
        # When (CLOCK_MONOTONIC, as the report's start_ns): a pool thread
        # starts at its first job, maybe after a trace's window.
        roles_file.write("%d %s %d\n" % (threading.get_native_id(), role, time.monotonic_ns()))
        roles_file.flush()


def burn(us):
    """Burns us microseconds of this thread's CPU time in pure Python (so
    holding the GIL); time.thread_time() is CLOCK_THREAD_CPUTIME_ID."""
    end = time.thread_time() + us / 1e6
    x = 1
    while time.thread_time() < end:
        for _ in range(50):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x


def backend():
    """This pool thread's own backend connection, opened on first use."""
    b = getattr(local, "backend", None)
    if b is None:
        s = socket.create_connection(("127.0.0.1", backend_port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        b = local.backend = (s, s.makefile("rb"))
    return b


def task(cpu_us, wait_us):
    note_role("pool")
    burn(cpu_us)
    if wait_us > 0:
        s, f = backend()
        s.sendall(b"WAIT %d\n" % wait_us)
        if f.readline().strip() != b"DONE":
            raise IOError("backend")


def serve(conn, pool):
    note_role("reader")
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = conn.makefile("rb")
        for line in f:
            parts = line.split()
            if len(parts) != 3 or parts[0] != b"REQ":
                break
            try:
                pool.submit(task, int(parts[1]), int(parts[2])).result()
                conn.sendall(b"OK\n")
            except OSError:
                break


def main():
    global backend_port, roles_file
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--backend-port", type=int, default=0)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--roles")
    a = ap.parse_args()
    backend_port = a.backend_port
    if a.roles:
        roles_file = open(a.roles, "w")
    note_role("main")
    pool = concurrent.futures.ThreadPoolExecutor(a.threads)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(128)
    print("py_pool pid=%d port=%d" % (os.getpid(), ls.getsockname()[1]), flush=True)
    # Bounded in time: accept wakes at least once a second (a timeout:
    # poll, then accept) and the process ends after --seconds.
    ls.settimeout(1.0)
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            continue
        conn.settimeout(None)
        threading.Thread(target=serve, args=(conn, pool), daemon=True).start()
    os._exit(0)  # readers and pool threads may be mid-request: do not wait


if __name__ == "__main__":
    main()
