"""boto3's side of `make bench-aws`: the same operations as AWSBench.

    s3-boto3-bench.py <ready.json> <bucket> big-put|big-get|small-put|small-get [size-MiB] [objects] [concurrency]

big-put: upload_fileobj of a generated stream (boto3's managed transfer:
multipart, 8 MiB parts, its default 10 threads); big-get: download_fileobj
into a sink that discards (ranged GETs on 10 threads); small-*: `objects`
1 KiB put_object/get_object calls on `concurrency` threads (one client,
botocore clients are thread-safe). Prints one JSON line like AWSBench.
"""
import io
import json
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config


class Generated(io.RawIOBase):
    """`size` bytes of a repeating 1 MiB pattern, read in any chunks."""

    def __init__(self, size):
        self.remaining = size
        self.pattern = bytes((i * 31) & 0xFF for i in range(1 << 20))

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.remaining, len(self.pattern))
        buffer[:count] = self.pattern[:count]
        self.remaining -= count
        return count


class Sink(io.RawIOBase):
    def __init__(self):
        self.total = 0

    def writable(self):
        return True

    def write(self, data):
        self.total += len(data)
        return len(data)


def main():
    ready_path, bucket, op = sys.argv[1:4]
    size_mib = int(sys.argv[4]) if len(sys.argv) > 4 else 256
    objects = int(sys.argv[5]) if len(sys.argv) > 5 else 2000
    concurrency = int(sys.argv[6]) if len(sys.argv) > 6 else 16
    ready = json.load(open(ready_path))
    s3 = boto3.client(
        "s3", endpoint_url=ready["endpoint"], region_name="us-east-1",
        aws_access_key_id=ready["access_key_id"], aws_secret_access_key=ready["secret_access_key"],
        config=botocore.config.Config(max_pool_connections=max(10, concurrency), s3={"addressing_style": "path"}))
    small = b"a" * 1024
    start = time.monotonic()
    if op == "big-put":
        s3.upload_fileobj(io.BufferedReader(Generated(size_mib << 20), 1 << 20), bucket, "big/object")
        moved, count = size_mib << 20, 1
    elif op == "big-get":
        sink = Sink()
        s3.download_fileobj(bucket, "big/object", sink)
        moved, count = sink.total, 1
    elif op in ("small-put", "small-get"):
        keys = ["small/%05d" % i for i in range(objects)]
        if op == "small-put":
            def one(key):
                s3.put_object(Bucket=bucket, Key=key, Body=small)
                return len(small)
        else:
            def one(key):
                return len(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        with ThreadPoolExecutor(concurrency) as pool:
            moved = sum(pool.map(one, keys))
        count = objects
    else:
        sys.exit("unknown operation " + op)
    seconds = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"client": "boto3", "op": op, "bytes": moved, "objects": count,
                      "seconds": seconds, "peak_rss_mib": peak}))


if __name__ == "__main__":
    main()
