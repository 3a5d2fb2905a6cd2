#!/usr/bin/env python3
"""Hostile clients for blockscope --serve, bounded in count and time, loopback only.

  serve_hostile.py hold PORT SECONDS N [tls] N connections from 127.0.0.1 that send half a
                                            request line (with tls: half a TLS record) and
                                            stay; any the server closes is opened again,
                                            until SECONDS are up. Prints how many the server
                                            let live over 1 s at once, as this loop saw it
  serve_hostile.py fuzz PORT CASES SEED [--tls CAFILE]
                                            mutated request lines and headers; every answer
                                            must be a closed connection or a valid status line
  serve_hostile.py garbage PORT             10,000 NUL bytes: prints the status and the seconds
"""
import random
import re
import resource
import selectors
import socket
import ssl
import sys
import time

STATUS = re.compile(rb"^HTTP/1\.[01] ([1-5][0-9][0-9]) [^\r\n]*\r\n")


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def hold(port, seconds, n, tls):
    raise_nofile(n + 64)
    sel = selectors.DefaultSelector()
    opened = closed = 0
    live = 0
    long_peak = 0
    end = time.time() + seconds
    half = b"\x16\x03\x01\x00" if tls else b"GET /metr"

    def open_one():
        nonlocal opened, live
        s = socket.socket()
        s.setblocking(False)
        s.bind(("127.0.0.1", 0))
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            return
        sel.register(s, selectors.EVENT_WRITE, ["connecting", time.time()])
        opened += 1
        live += 1

    for _ in range(n):
        open_one()
    while time.time() < end:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            if key.data[0] == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err == 0:
                    try:
                        s.send(half)  # and never the rest
                    except OSError:
                        err = 1
                if err:
                    sel.unregister(s)
                    s.close()
                    live -= 1
                    closed += 1
                    continue
                sel.modify(s, selectors.EVENT_READ, ["held", key.data[1]])
            else:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(s)
                    s.close()
                    live -= 1
                    closed += 1
        now = time.time()
        long_peak = max(long_peak, sum(1 for k in sel.get_map().values()
                                       if k.data[0] == "held" and now - k.data[1] > 1.0))
        while live < n and time.time() < end:
            open_one()
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    print(f"hold: {opened} connections opened, {closed} closed by the server, "
          f"{n} kept open (or reopened) from 127.0.0.1 for {seconds} s; at most {long_peak} "
          f"lived over 1 s at once", flush=True)


def mutations(rng):
    good = (b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n"
            b"User-Agent: fuzz\r\n\r\n")
    methods = [b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"CONNECT",
               b"PRI", b"G\x00T", b"get", b"GETT", b"", b"\xff\xfe", b"GET" * 300]
    kind = rng.randrange(12)
    if kind == 0:  # random bytes
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
    if kind == 1:  # NULs, with or without a line end
        return b"\0" * rng.choice([1, 100, 10000]) + rng.choice([b"", b"\r\n\r\n"])
    if kind == 2:  # a bad or odd method
        return rng.choice(methods) + b" /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    if kind == 3:  # an overlong request line
        return b"GET /" + b"a" * rng.choice([4000, 9000, 70000]) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    if kind == 4:  # an overlong header, or very many
        if rng.random() < 0.5:
            return b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: " + b"b" * rng.choice([5000, 40000]) + b"\r\n\r\n"
        return b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-H: v\r\n" * rng.choice([100, 1000]) + b"\r\n"
    if kind == 5:  # line ends missing or bare
        return rng.choice([good.replace(b"\r\n", b"\n"), good.replace(b"\r\n", b"\r"),
                           good.replace(b"\r\n", b""), good[:-2], good[:-4] + b"\n\n"])
    if kind == 6:  # versions
        v = rng.choice([b"HTTP/1.0", b"HTTP/2.0", b"HTTP/9.9", b"HTTP/1", b"HTTP/1.1.1", b"http/1.1",
                        b"HTTP/a.b", b""])
        return b"GET /metrics " + v + b"\r\nHost: x\r\n\r\n"
    if kind == 7:  # bad header lines
        h = rng.choice([b"NoColon", b": empty-name", b"X Y: space", b"X:\x00nul", b"X: a\rb",
                        b" folded", b"\tfolded", b"Host: a\r\nHost: b", b"Content-Length: -1",
                        b"Content-Length: 99999999999999999999", b"Transfer-Encoding: chunked",
                        b"Expect: 100-continue", b"Authorization: Basic !!!!",
                        b"Authorization: Basic " + b"QQ==" * 3000, b"Authorization: Bearer x",
                        b"Authorization: Basic Og==", b"Authorization: Basic cHJvbQ=="])
        return b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + h + b"\r\n\r\n"
    if kind == 8:  # bit flips in a good request
        b = bytearray(good)
        for _ in range(rng.randrange(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    if kind == 9:  # pieces spliced
        cut = rng.randrange(len(good))
        return good[:cut] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20))) + good[cut:]
    if kind == 10:  # pipelined, some broken
        return good * rng.randrange(2, 5) + rng.choice([b"", b"GARBAGE\r\n\r\n", b"\0\0\0"])
    # odd targets
    t = rng.choice([b"*", b"http://x/metrics", b"/%00", b"/../../etc/passwd", b"/metrics?" + b"x" * 3000,
                    b"/\xff\xfe", b"//", b"/metrics#frag"])
    return b"GET " + t + b" HTTP/1.1\r\nHost: x\r\n\r\n"


def fuzz(port, cases, seed, cafile=None):
    rng = random.Random(seed)
    ctx = None
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
    statuses = {}
    bad = []
    closed = 0
    inflight = 32
    deadline_each = 15.0  # the gate's 5 s and the header timeout's 5 s, and room
    todo = [mutations(rng) for _ in range(cases)]
    t0 = time.time()
    sel = selectors.DefaultSelector()
    i = 0

    def start(idx):
        src = "127.0.%d.%d" % (1 + idx % 7, 10 + idx % 40)  # spread over peers
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(3)
        s.connect(("127.0.0.1", port))
        if ctx:
            s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        try:
            s.sendall(todo[idx])
        except OSError:
            pass
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, [idx, b"", time.time()])

    def judge(idx, buf):
        nonlocal closed
        if not buf:
            closed += 1
            return
        m = STATUS.match(buf)
        if not m:
            bad.append((todo[idx][:60], buf[:80]))
            return
        statuses[m.group(1).decode()] = statuses.get(m.group(1).decode(), 0) + 1

    while i < len(todo) or sel.get_map():
        while i < len(todo) and len(sel.get_map()) < inflight:
            start(i)
            i += 1
        for key, _ in sel.select(timeout=0.5):
            s, st = key.fileobj, key.data
            try:
                data = s.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            except OSError:
                data = b""
            if data:
                st[1] += data
                if b"\r\n\r\n" not in st[1] and len(st[1]) < 65536:
                    continue
            sel.unregister(s)
            s.close()
            judge(st[0], st[1])
        now = time.time()
        for key in list(sel.get_map().values()):
            if now - key.data[2] > deadline_each:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                bad.append((todo[key.data[0]][:60], b"no answer and not closed in %ds" % deadline_each))
    print("fuzz: %d cases in %.1f s: %d closed without an answer, statuses %s" %
          (cases, time.time() - t0, closed, " ".join("%s:%d" % kv for kv in sorted(statuses.items()))),
          flush=True)
    for req, ans in bad[:5]:
        print("  BAD answer %r to %r" % (ans, req), flush=True)
    return 1 if bad else 0


def garbage(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t = time.time()
    s.sendall(b"\0" * 10000)
    buf = b""
    while b"\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    m = STATUS.match(buf)
    print("%s %.3f" % (m.group(1).decode() if m else "none", time.time() - t))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "hold":
        hold(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5:6] == ["tls"])
    elif cmd == "fuzz":
        ca = sys.argv[6] if len(sys.argv) > 6 and sys.argv[5] == "--tls" else None
        sys.exit(fuzz(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), ca))
    elif cmd == "garbage":
        garbage(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
