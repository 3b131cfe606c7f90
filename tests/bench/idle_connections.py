#!/usr/bin/env python3
"""Memory per idle connection: opens N client connections (each CONNECT + one
SUB + PING, answered by PONG) to a running server and reports the growth of
the resident set of the process that serves them.

  tests/bench/idle_connections.py --port 4222 --pid <frontend or nats-server pid> [--conns 10000]
"""
import argparse
import resource
import socket
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    deadline = time.time() + args.timeout
    base = rss_kib(args.pid)
    socks = []
    for i in range(args.conns):
        s = socket.create_connection(("127.0.0.1", args.port), timeout=10)
        s.sendall(b'CONNECT {"verbose":false,"protocol":1}\r\nSUB idle.%d 1\r\nPING\r\n' % i)
        socks.append(s)
    for s in socks:
        data = b""
        while b"PONG" not in data:
            if time.time() > deadline:
                raise SystemExit("timed out waiting for PONGs")
            data += s.recv(65536)
    # RSS settles once every connection is idle; sample until two readings agree.
    prev = -1
    now = rss_kib(args.pid)
    while now != prev and time.time() < deadline:
        prev = now
        time.sleep(0.2)
        now = rss_kib(args.pid)
    per_conn = (now - base) * 1024 / args.conns
    print(f"conns={args.conns} rss_before_kib={base} rss_after_kib={now} bytes_per_conn={per_conn:.0f}")
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
