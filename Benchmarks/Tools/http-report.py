#!/usr/bin/env python3
"""Turns the raw measurements of Benchmarks/run-http.sh into markdown.

    http-report.py RUNS_TSV IDLE_TSV HEADER_FILE

RUNS_TSV columns: block scenario variant round rps p99_ms errors non2xx other_cpu_pct
IDLE_TSV columns: server rss_before_kib hwm_after_kib rss_after_kib fds open failed
Medians are over rounds; ratios are Sluice / Hummingbird (req/s: higher is
better for Sluice; p99: lower is better for Sluice).
"""
import statistics
import sys
from collections import defaultdict

SCENARIOS = {
    "ka64": "keep-alive, 64 connections",
    "ka256": "keep-alive, 256 connections",
    "close16": "`Connection: close`, 16 connections",
}
VARIANTS = {
    "sluice": "Sluice (`--executor eventLoop`, loops = cores)",
    "sluice-global": "Sluice `--executor global`",
    "sluice-loops1": "Sluice `--loops 1`",
    "sluice-middleware": "Sluice `--middleware` (RequestIDMiddleware)",
    "hummingbird": "Hummingbird 2",
}


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                rows.append(line.rstrip("\n").split("\t"))
    return rows


def mib(kib):
    return f"{int(kib) / 1024:.1f} MiB"


def main():
    runs, idle, header = load(sys.argv[1]), load(sys.argv[2]), open(sys.argv[3]).read()
    by = defaultdict(list)
    for block, scenario, variant, _round, rps, p99, errors, non2xx, _other in runs:
        by[(block, scenario, variant)].append((float(rps), float(p99), int(errors), int(non2xx)))

    def median(block, scenario, variant, column):
        return statistics.median(r[column] for r in by[(block, scenario, variant)])

    def summed(block, scenario, variant, column):
        return sum(r[column] for r in by[(block, scenario, variant)])

    others = [int(r[8]) for r in runs]
    out = [header.rstrip()]
    if others:
        out.append(
            f"- CPU used by other processes during the measurements: median {statistics.median(others):.0f} %, "
            f"max {max(others)} % of the machine (per round below)"
        )
    out.append("")
    out += ["### Sluice vs Hummingbird 2 (medians over rounds)", ""]
    out += ["| scenario | Sluice req/s | Hummingbird req/s | req/s ratio | Sluice p99 | Hummingbird p99 | p99 ratio | socket errors S / H |"]
    out += ["|---|---:|---:|---:|---:|---:|---:|---:|"]
    for scenario, title in SCENARIOS.items():
        if ("main", scenario, "sluice") not in by:
            continue
        s_rps, h_rps = median("main", scenario, "sluice", 0), median("main", scenario, "hummingbird", 0)
        s_p99, h_p99 = median("main", scenario, "sluice", 1), median("main", scenario, "hummingbird", 1)
        errs = f"{summed('main', scenario, 'sluice', 2)} / {summed('main', scenario, 'hummingbird', 2)}"
        out.append(
            f"| {title} | {s_rps:,.0f} | {h_rps:,.0f} | **{s_rps / h_rps:.2f}×** | {s_p99:.2f} ms | {h_p99:.2f} ms | **{s_p99 / h_p99:.2f}×** | {errs} |"
        )
    out.append("")

    variants = [v for v in VARIANTS if ("variants", "ka64", v) in by]
    if variants:
        out += ["### Sluice configurations, keep-alive at 64 connections (medians over rounds)", ""]
        out += ["| configuration | req/s | vs default | p99 | vs default |", "|---|---:|---:|---:|---:|"]
        base_rps, base_p99 = median("variants", "ka64", "sluice", 0), median("variants", "ka64", "sluice", 1)
        for variant in variants:
            rps, p99 = median("variants", "ka64", variant, 0), median("variants", "ka64", variant, 1)
            out.append(f"| {VARIANTS[variant]} | {rps:,.0f} | {rps / base_rps:.2f}× | {p99:.2f} ms | {p99 / base_p99:.2f}× |")
        out.append("")

    if idle:
        out += ["### Memory under idle keep-alive connections", ""]
        out += ["| server | RSS at start | connections held | RSS holding them | peak RSS (VmHWM) | under 64 MiB |"]
        out += ["|---|---:|---:|---:|---:|---|"]
        for server, before, hwm, after, _fds, opened, failed in idle:
            held = f"{int(opened):,}" + (f" ({failed} failed)" if int(failed) else "")
            ok = "yes" if int(hwm) < 64 * 1024 else "**no**"
            out.append(f"| {VARIANTS.get(server, server)} | {mib(before)} | {held} | {mib(after)} | {mib(hwm)} | {ok} |")
        out.append("")

    out += ["### Every round", ""]
    out += ["| block | scenario | server | round | req/s | p99 | socket errors | non-2xx | other CPU |", "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for block, scenario, variant, rnd, rps, p99, errors, non2xx, other in runs:
        out.append(f"| {block} | {scenario} | {variant} | {rnd} | {float(rps):,.0f} | {float(p99):.2f} ms | {errors} | {non2xx} | {other} % |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
