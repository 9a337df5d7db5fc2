#!/usr/bin/env bash
# The ML Data Store through the whole stack, beside its floors, in one run:
#
#   Benchmarks/run-datastore.sh       (what `make bench-datastore` runs)
#
# 1. Builds `sluice` (release) and starts a throwaway PostgreSQL 15 cluster
#    on a Unix socket in a temporary folder, then `sluice serve` on it.
# 2. Ingest: ROUNDS rounds of BATCHES batches of 1,000 predictions each,
#    POSTed to /v1/predictions by CLIENTS connections, beside `psql \copy`
#    of the same rows (as CSV) into a plain table, the floor of what
#    PostgreSQL costs. Reports predictions/s (median over rounds) and the ratio.
# 3. Scoreboard: ROWS predictions (three deployments of one endpoint, the
#    same request ids) and their outcomes, loaded through the API so that
#    the real ingest path builds every rollup, analysed, then
#    GET .../scoreboard over the whole window QUERIES times; reports the
#    median and max latency (and one exact=true query).
#
# Environment (defaults): ROUNDS=3 BATCHES=100 CLIENTS=4 ROWS=10000000 QUERIES=5
# PARTITIONS=0. PARTITIONS=N first fills N past days of partitions (1,000
# requests a day, three answers and an outcome each), as a store that has
# been running that long; ROWS=0 skips the scoreboard part.
# SKIP_BUILD=1 uses the binary already built; SCRATCH_PATH=.build-x builds
# (and looks) there instead of .build; SLUICE_BIN=/path/sluice skips the
# build and runs that binary. Writes
# Benchmarks/results/datastore-<UTC timestamp>.md and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
SCRATCH=()
if [ -n "${SCRATCH_PATH:-}" ]; then SCRATCH=(--scratch-path "$SCRATCH_PATH"); fi
if [ -n "${SLUICE_BIN:-}" ]; then
    BIN="$SLUICE_BIN"
else
    if [ "${SKIP_BUILD:-0}" != 1 ]; then
        swift build -c release "${SCRATCH[@]}" --product sluice
    fi
    BIN="$(swift build -c release "${SCRATCH[@]}" --show-bin-path)/sluice"
fi
mkdir -p Benchmarks/results
OUT="Benchmarks/results/datastore-$(date -u +%Y%m%dT%H%M%SZ).md"
python3 Benchmarks/datastore/bench.py --sluice "$BIN" --migrations "$PWD/migrations" | tee "$OUT"
