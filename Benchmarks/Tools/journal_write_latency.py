#!/usr/bin/env python3
"""How long one journal `write` takes, as the gateway makes them (issue 9).

Appends a 100-byte line RATE times a second (default 3,000: a live and two
stealth records per request at 1,000 req/s) to a segment file opened with
O_APPEND, while another thread seals the segment every 200 ms as
`Journal.sealBlocking` does (fdatasync, close, rename, fsync of the folder)
and the next write opens a new one. Prints the distribution of the write
latencies, open of a new segment included.

    python3 Benchmarks/Tools/journal_write_latency.py FOLDER [SECONDS] [RATE]

The segments go to a new temporary folder inside FOLDER (created if need
be), removed at the end; compare a FOLDER on the journal's file system with
one on tmpfs (/dev/shm/...).
"""
import os
import shutil
import sys
import tempfile
import threading
import time

os.makedirs(sys.argv[1], exist_ok=True)
folder = tempfile.mkdtemp(prefix="journal-", dir=sys.argv[1])
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 3000.0
line = b'{"d":"8a1c2f3e-0000-0000-0000-000000000000","r":"req-000000000000","o":{"label":"cat"},"l":0.25,"s":200}\n'
lock = threading.Lock()
state = {"sequence": 0, "open": None, "stop": False}


def open_segment():
    state["sequence"] += 1
    path = f"{folder}/segment-{state['sequence']:020d}.jsonl.open"
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC), path


def sealer():
    directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    while not state["stop"]:
        time.sleep(0.2)
        with lock:
            segment, state["open"] = state["open"], None
        if segment:
            fd, path = segment
            os.fdatasync(fd)
            os.close(fd)
            os.rename(path, path[: -len(".open")])
            os.fsync(directory)
            os.unlink(path[: -len(".open")])
    os.close(directory)


thread = threading.Thread(target=sealer)
thread.start()
latencies = []
try:
    end = time.monotonic() + seconds
    due = time.monotonic()
    while time.monotonic() < end:
        due += 1 / rate
        while time.monotonic() < due:
            pass
        start = time.perf_counter_ns()
        with lock:
            if state["open"] is None:
                state["open"] = open_segment()
            os.write(state["open"][0], line)
        latencies.append(time.perf_counter_ns() - start)
finally:
    state["stop"] = True
    thread.join()
    shutil.rmtree(folder)
latencies.sort()
n = len(latencies)


def at(q):
    return latencies[min(n - 1, int(n * q))] / 1000


print(
    f"{sys.argv[1]}: {n} writes; p50 {at(0.5):.1f} µs, p99 {at(0.99):.1f} µs, p99.9 {at(0.999):.1f} µs, "
    f"max {latencies[-1] / 1000:.1f} µs; over 100 µs: {sum(1 for x in latencies if x > 100_000)}, "
    f"over 500 µs: {sum(1 for x in latencies if x > 500_000)}"
)
