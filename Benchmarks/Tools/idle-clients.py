#!/usr/bin/env python3
"""Opens N keep-alive connections to a server on loopback, sends one
`GET /healthz` on each and reads the whole response, then holds them all
idle until SIGTERM or the hold time runs out.

    idle-clients.py PORT [COUNT=10000] [HOLD_SECONDS=60]

Prints `ready OPEN FAILED` on stdout once every connection has been answered,
so Benchmarks/run-http.sh can read the server's /proc/PID/status while the
connections sit idle. Loopback only, bounded in count and time. Needs an
open-file limit above COUNT (the script raises `ulimit -n`).
"""
import signal
import socket
import sys
import time

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def read_response(sock):
    """Reads one response framed by Content-Length; False on EOF or error."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            return False
        body += chunk
    return head.startswith(b"HTTP/1.1 200")


def main():
    port = int(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    hold = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sockets, failed = [], 0
    # Connect and request in batches: the kernel backlog (Hummingbird's
    # default is 256) then never overflows while the server accepts.
    batch = 200
    for start in range(0, count, batch):
        opened = []
        for _ in range(min(batch, count - start)):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(REQUEST)
                opened.append(s)
            except OSError:
                failed += 1
        for s in opened:
            try:
                if read_response(s):
                    sockets.append(s)
                else:
                    failed += 1
                    s.close()
            except OSError:
                failed += 1
                s.close()
    print(f"ready {len(sockets)} {failed}", flush=True)
    deadline = time.monotonic() + hold
    while time.monotonic() < deadline:
        time.sleep(0.5)


if __name__ == "__main__":
    main()
