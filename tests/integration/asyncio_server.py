"""An asyncio server of the targets' line protocol (targets/README.md), for
tests/integration/test_loops.sh: "REQ <cpu_us> <wait_us>" burns cpu_us of
CPU, then asks the backend "WAIT <wait_us>" and answers "OK".

--mode await: the backend call awaits an asyncio stream (a healthy loop).
--mode block: it is made with a plain blocking socket, the sync client in
async code: recv() sleeps on the loop's thread (recvfrom), and every
connection waits meanwhile.
--mode sleep: no backend call; time.sleep(wait_us) on the loop instead
(clock_nanosleep on the loop's thread), the other classic mistake.

Prints "asyncio_server pid=PID port=PORT" first; ends after --seconds.
"""
import argparse
import asyncio
import os
import socket
import time


def burn(cpu_us):
    end = time.thread_time() + cpu_us / 1e6
    while time.thread_time() < end:
        pass


async def handle(reader, writer, args):
    backend = None
    try:
        if args.mode == "block":
            backend = socket.create_connection(("127.0.0.1", args.backend_port))
            backend.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        elif args.mode == "await":
            b_reader, b_writer = await asyncio.open_connection("127.0.0.1", args.backend_port)
        while True:
            line = await reader.readline()
            if not line:
                break
            parts = line.split()
            if len(parts) != 3 or parts[0] != b"REQ":
                break
            cpu_us, wait_us = int(parts[1]), int(parts[2])
            burn(cpu_us)
            if wait_us and args.mode == "sleep":
                time.sleep(wait_us / 1e6)
            elif wait_us:
                request = b"WAIT %d\n" % wait_us
                if args.mode == "block":
                    backend.sendall(request)
                    reply = b""
                    while not reply.endswith(b"\n"):
                        chunk = backend.recv(64)
                        if not chunk:
                            return
                        reply += chunk
                else:
                    b_writer.write(request)
                    reply = await b_reader.readline()
                if reply.strip() != b"DONE":
                    break
            writer.write(b"OK\n")
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        if backend is not None:
            backend.close()
        writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--backend-port", type=int, required=True)
    p.add_argument("--mode", choices=["await", "block", "sleep"], default="await")
    p.add_argument("--seconds", type=float, default=30)
    args = p.parse_args()
    server = await asyncio.start_server(lambda r, w: handle(r, w, args), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("asyncio_server pid=%d port=%d" % (os.getpid(), port), flush=True)
    async with server:
        await asyncio.sleep(args.seconds)


asyncio.run(main())
