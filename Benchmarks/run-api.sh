#!/usr/bin/env bash
# The REST API through the whole stack (HTTP, auth, pool, PostgreSQL),
# beside the floor of what the database costs, measured with wrk on loopback.
#
#   Benchmarks/run-api.sh            (what `make bench-api` runs)
#
# 1. Builds `sluice` (release) and Benchmarks' `sluice-db-bench-server`.
# 2. Starts a private PostgreSQL cluster on a Unix socket in a temporary
#    folder (as the embedded default does), then `sluice serve` on it, and
#    creates MODELS models (m000, m001, ...) with the admin token.
# 3. Per round (ROUNDS), each for DURATION s after WARMUP s of the same load,
#    at CONNECTIONS keep-alive connections (`wrk --latency -t2`):
#    - get:       GET /v1/models/{name} (a random model per request), as fast as it goes
#    - list:      GET /v1/models?limit=20, as fast as it goes
#    - get@rate:  GET /v1/models/{name} at a fixed RATE req/s (goal: p99 < 5 ms)
#    - list@rate: GET /v1/models?limit=20 at a fixed RATE req/s
#    - get/pool16: GET /v1/models/{name} with the pool OVERSUB_POOL (4× fewer
#      connections than clients): the point is no errors, no non-2xx
#    - floor:     `SELECT 1` over a raw libpq connection per request
#      (sluice-db-bench-server: SluiceHTTP + PGConnection, no auth, no pool,
#      one connection per client), as fast as it goes
#    - floor@rate: the same at RATE req/s: what the machine itself adds to
#      the p99 of a request that crosses to PostgreSQL and back
#    The first four run against a server with the pool POOL (the default, 10).
#    Every request of get and list authenticates its bearer token (a SHA-256
#    and a lookup in PostgreSQL) before reading the model: two round trips
#    to the database against the floor's one.
#
# Writes Benchmarks/results/api-<UTC timestamp>.md (gitignored) and prints it.
# Loopback only, every load bounded in time; wrk shares the 2 cores with the
# server and PostgreSQL. The server logs at `warning` (no access log line per
# request), with workers off.
#
# Environment (defaults): ROUNDS=3 DURATION=10 WARMUP=2 CONNECTIONS=64
# RATE=1000 POOL=10 OVERSUB_POOL=16 MODELS=200 SKIP_BUILD=0 SCRATCH=.build
# (the product's scratch path). Full run: about 5 minutes after the builds.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-64}
RATE=${RATE:-1000}
POOL=${POOL:-10}
OVERSUB_POOL=${OVERSUB_POOL:-16}
MODELS=${MODELS:-200}
SCRATCH=${SCRATCH:-.build}
THREADS=2
TOKEN=bench-admin-token-0123456789abcdef

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/Benchmarks
WORK=$(mktemp -d)
chmod 755 "$WORK" # the postgres user must reach its cluster
RUNS=$WORK/runs.tsv
: > "$RUNS"

# shellcheck source=Tools/server.sh
source "$BENCH/Tools/server.sh"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v wrk > /dev/null || { log "wrk not found (apt-get install wrk)"; exit 1; }

PGBIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1)
[[ -x $PGBIN/initdb ]] || { log "PostgreSQL server binaries not found (apt-get install postgresql)"; exit 1; }
# PostgreSQL refuses to run as root: run its tools as `postgres` then.
as_pg() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }

SERVER_PID=
PG_STARTED=0
cleanup() {
    # Only the processes this script started, by their ids.
    [[ -n $SERVER_PID ]] && kill -KILL "$SERVER_PID" 2>/dev/null || true
    ((PG_STARTED)) && as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop > /dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building sluice and sluice-db-bench-server (release)"
    swift build -c release --product sluice --scratch-path "$SCRATCH" >&2
    swift build -c release --package-path "$BENCH" --scratch-path "$BENCH/.build" --product sluice-db-bench-server >&2
fi
SLUICE=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/sluice
FLOOR=$(swift build -c release --package-path "$BENCH" --scratch-path "$BENCH/.build" --show-bin-path)/sluice-db-bench-server
BUILT_FROM="commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
git -C "$ROOT" diff --quiet HEAD -- Sources 2>/dev/null || BUILT_FROM="$BUILT_FROM + uncommitted Sources changes"

log "starting PostgreSQL ($PGBIN)"
mkdir -p "$WORK/pg"
((EUID == 0)) && chown postgres "$WORK/pg"
as_pg "$PGBIN/initdb" -D "$WORK/pg/data" --auth=trust -U postgres -E UTF8 --locale=C --no-sync > /dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
    -o "-k $WORK/pg -p 5432 -c listen_addresses='' -c max_connections=200" start > /dev/null
PG_STARTED=1
as_pg "$PGBIN/createdb" -h "$WORK/pg" -p 5432 -U postgres sluice
DATABASE_URL="postgres:///sluice?host=$WORK/pg&port=5432&user=postgres"

# wait_for_port FILE PATTERN: the port from the first line of FILE that
# matches PATTERN (a sed expression printing it); sets SERVER_PORT.
wait_for_port() {
    for _ in $(seq 300); do
        SERVER_PORT=$(sed -n "$2" "$1" | head -n1)
        [[ -n $SERVER_PORT ]] && return
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    log "server did not start"; cat "$WORK/server.err" >&2; exit 1
}

# start_sluice POOL_SIZE: `sluice serve` on a free port.
start_sluice() {
    : > "$WORK/server.out"
    SLUICE_PORT=0 SLUICE_DATABASE_URL="$DATABASE_URL" SLUICE_DATABASE_POOL_SIZE="$1" SLUICE_ADMIN_TOKEN=$TOKEN \
        SLUICE_LOG_LEVEL=warning SLUICE_WORKERS=off SLUICE_MIGRATIONS_DIR="$ROOT/migrations" \
        "$SLUICE" serve > "$WORK/server.out" 2> "$WORK/server.err" &
    SERVER_PID=$!
    wait_for_port "$WORK/server.out" 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\).*/\1/p'
}

start_floor() {
    : > "$WORK/server.out"
    "$FLOOR" --database-url "$DATABASE_URL" --connections "$CONNECTIONS" > "$WORK/server.out" 2> "$WORK/server.err" &
    SERVER_PID=$!
    wait_for_port "$WORK/server.out" '/^[0-9][0-9]*$/p'
}


# load MODE RATE SECONDS: wrk against the running server.
load() {
    MODE=$1 RATE=$2 TOKEN=$TOKEN MODELS=$MODELS CONNECTIONS=$CONNECTIONS \
        wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$3s" -s "$BENCH/Tools/api.lua" "http://127.0.0.1:$SERVER_PORT"
}

# measure SCENARIO MODE RATE ROUND: warm-up, then one measurement.
measure() {
    local scenario=$1 mode=$2 rate=$3 round=$4
    load "$mode" "$rate" "$WARMUP" > /dev/null
    load "$mode" "$rate" "$DURATION" > "$WORK/wrk.out"
    # req/s, p50 and p99 in ms, socket errors summed, non-2xx responses.
    awk -v scenario="$scenario" -v round="$round" '
        function ms(v,   unit) { unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
            return (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : (unit == "m") ? v * 60000 : v }
        /^Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx responses:/ { non2xx = $5 }
        END { printf "%s\t%s\t%s\t%.3f\t%.3f\t%d\t%d\n", scenario, round, rps, p50, p99, errors, non2xx }
    ' "$WORK/wrk.out" | tee -a "$RUNS" | awk -F'\t' '{ printf "  %-11s round %s: %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %s  non-2xx %s\n", $1, $2, $3, $4, $5, $6, $7 }' >&2
}

log "seeding $MODELS models"
start_sluice "$POOL"
for i in $(seq 0 $((MODELS - 1))); do
    printf -v name 'm%03d' "$i"
    curl -sS -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"name\":\"$name\",\"task\":\"regression\"}" "http://127.0.0.1:$SERVER_PORT/v1/models"
done | sort | uniq -c | awk '{ printf "  seeded: %s × %s\n", $1, $2 }' >&2
stop_server

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "$ROUNDS rounds × (${WARMUP} s warm-up + ${DURATION} s) per scenario, $CONNECTIONS connections"
for round in $(seq "$ROUNDS"); do
    start_sluice "$POOL"
    measure get get 0 "$round"
    measure list list 0 "$round"
    measure "get@$RATE" get "$RATE" "$round"
    measure "list@$RATE" list "$RATE" "$round"
    stop_server
    start_sluice "$OVERSUB_POOL"
    measure "get/pool$OVERSUB_POOL" get 0 "$round"
    stop_server
    start_floor
    measure floor floor 0 "$round"
    measure "floor@$RATE" floor "$RATE" "$round"
    stop_server
done

mkdir -p "$BENCH/results"
RESULT=$BENCH/results/api-$(date -u +%Y%m%dT%H%M%SZ).md
{
    echo "## REST API through the whole stack — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
    echo "- $(swift --version 2>&1 | head -n1); $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2); PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }'); $BUILT_FROM"
    echo "- load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- \`Benchmarks/run-api.sh\`: ROUNDS=$ROUNDS, WARMUP=${WARMUP}s, DURATION=${DURATION}s, CONNECTIONS=$CONNECTIONS, RATE=$RATE, POOL=$POOL, OVERSUB_POOL=$OVERSUB_POOL, MODELS=$MODELS; \`wrk --latency -t$THREADS\` on 127.0.0.1"
} > "$WORK/header.md"
python3 "$BENCH/Tools/api-report.py" "$RUNS" "$WORK/header.md" > "$RESULT"
cat "$RESULT"
log "written to ${RESULT#"$ROOT"/}"
