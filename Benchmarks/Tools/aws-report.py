"""Markdown report of run-aws.sh: medians per client and operation, the
throughput ratio sluice/boto3 and each client's peak RSS per operation."""
import json
import statistics
import sys

path, rounds, size_mib, objects, concurrency, commit = sys.argv[1:7]
rows = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
ops = ["big-put", "big-get", "small-put", "small-get"]
label = {"big-put": f"PUT {size_mib} MiB (multipart)", "big-get": f"GET {size_mib} MiB (streamed)",
         "small-put": f"PUT {objects} × 1 KiB", "small-get": f"GET {objects} × 1 KiB"}


def median(client, op, key):
    values = [r[key] for r in rows if r["client"] == client and r["op"] == op]
    return statistics.median(values) if values else float("nan")


def rate(client, op):
    seconds = median(client, op, "seconds")
    if op.startswith("big"):
        return (int(size_mib) / seconds), "MiB/s"
    return (int(objects) / seconds), "objects/s"


print(f"S3 against moto, {rounds} rounds, medians (commit {commit}, {concurrency} requests in flight for small objects)\n")
print("| operation | sluice | boto3 | sluice/boto3 | peak RSS sluice | peak RSS boto3 |")
print("|---|---|---|---|---|---|")
for op in ops:
    ours, unit = rate("sluice", op)
    theirs, _ = rate("boto3", op)
    print(f"| {label[op]} | {ours:.1f} {unit} | {theirs:.1f} {unit} | {ours / theirs:.2f}× "
          f"| {median('sluice', op, 'peak_rss_mib'):.1f} MiB | {median('boto3', op, 'peak_rss_mib'):.1f} MiB |")
