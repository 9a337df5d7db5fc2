#!/usr/bin/env python3
"""Turns the raw measurements of Benchmarks/run-api.sh into markdown.

    api-report.py RUNS_TSV HEADER_FILE

RUNS_TSV columns: scenario round rps p50_ms p99_ms socket_errors non2xx
Medians are over rounds; errors and non-2xx are summed over rounds.
"""
import statistics
import sys
from collections import defaultdict

DESCRIPTIONS = {
    "get": "`GET /v1/models/{name}`, as fast as it goes",
    "list": "`GET /v1/models?limit=20`, as fast as it goes",
    "floor": "floor: `SELECT 1` over a raw libpq connection, as fast as it goes",
}


def describe(scenario):
    if scenario in DESCRIPTIONS:
        return DESCRIPTIONS[scenario]
    if "@" in scenario:
        what, rate = scenario.split("@")
        paths = {"get": "`GET /v1/models/{name}`", "list": "`GET /v1/models?limit=20`", "floor": "floor: `SELECT 1`"}
        path = paths.get(what, what)
        return f"{path} at a fixed {rate} req/s"
    if "/pool" in scenario:
        pool = scenario.split("/pool")[1]
        return f"`GET /v1/models/{{name}}`, pool of {pool} for the clients (oversubscribed)"
    return scenario


def main():
    by = defaultdict(list)
    order = []
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            scenario, _round, rps, p50, p99, errors, non2xx = line.rstrip("\n").split("\t")
            if scenario not in by:
                order.append(scenario)
            by[scenario].append((float(rps), float(p50), float(p99), int(errors), int(non2xx)))
    print(open(sys.argv[2]).read())
    print("| scenario | req/s (median) | p50 ms (median) | p99 ms (median) | p99 ms (each round) | socket errors | non-2xx |")
    print("|---|---:|---:|---:|---|---:|---:|")
    for scenario in order:
        rows = by[scenario]
        rps = statistics.median(r[0] for r in rows)
        p50 = statistics.median(r[1] for r in rows)
        p99 = statistics.median(r[2] for r in rows)
        rounds = ", ".join(f"{r[2]:.2f}" for r in rows)
        errors = sum(r[3] for r in rows)
        non2xx = sum(r[4] for r in rows)
        print(f"| {describe(scenario)} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {rounds} | {errors} | {non2xx} |")


if __name__ == "__main__":
    main()
