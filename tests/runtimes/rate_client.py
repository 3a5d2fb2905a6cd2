"""An open-loop client for servers of one-line requests, for the loop
suites (tests/runtimes/test_loop_redis.sh): sends REQUEST (a line, e.g.
Redis's inline "PING") at RATE requests a second in all over CONNECTIONS
connections, one at a time per connection, and reads one line back for
each; bounded by --seconds. Prints loadgen's SUMMARY line last:
"SUMMARY requests=N errors=E seconds=S rps=R".
"""
import argparse
import socket
import time

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--rate", type=float, required=True)
p.add_argument("--connections", type=int, default=4)
p.add_argument("--seconds", type=float, required=True)
p.add_argument("--request", default="PING")
args = p.parse_args()

conns = []
for _ in range(args.connections):
    s = socket.create_connection(("127.0.0.1", args.port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conns.append(s)
line = (args.request + "\r\n").encode()
n = errors = 0
start = time.monotonic()
end = start + args.seconds
k = 0
while True:
    due = start + k / args.rate
    now = time.monotonic()
    if due >= end:
        break
    if due > now:
        time.sleep(due - now)
    s = conns[k % len(conns)]
    k += 1
    try:
        s.sendall(line)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(256)
            if not chunk:
                raise ConnectionError("closed")
            reply += chunk
        if reply.startswith(b"-"):
            errors += 1
        else:
            n += 1
    except OSError:
        errors += 1
took = time.monotonic() - start
print("SUMMARY requests=%d errors=%d seconds=%.3f rps=%.1f" % (n, errors, took, n / took), flush=True)
