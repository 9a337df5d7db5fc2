#!/usr/bin/env bash
# SluiceHTTP against Hummingbird 2, both serving GET /healthz → {"status":"ok"}
# (application/json), measured with wrk on loopback in one run.
#
#   Benchmarks/run-http.sh            (what `make bench-http` runs)
#
# 1. Builds both bench servers (release) in Benchmarks/.build.
# 2. For each scenario — keep-alive at 64 and 256 connections, and
#    `Connection: close` at 16 — runs both servers back to back, ROUNDS times,
#    alternating which goes first. Each measurement starts a fresh server,
#    warms it with wrk for WARMUP s, then measures for DURATION s
#    (`wrk --latency -t2`); the report gives medians over rounds.
# 3. Sluice configurations at 64 keep-alive connections, back to back with
#    the default: `--executor global`, `--loops 1`, `--middleware`.
# 4. Idle connections: IDLE_CONNECTIONS keep-alive clients each get one
#    response and are then held idle; the server's VmRSS/VmHWM come from
#    /proc/PID/status before and while they are held.
#
# Writes Benchmarks/results/http-<UTC timestamp>.md (gitignored) and prints it.
# Nothing is pinned; wrk shares the 2 cores with the server, as it would
# on any 2-core host. Loopback only; every load is bounded in time.
#
# Environment (defaults): ROUNDS=3 DURATION=10 WARMUP=2 IDLE_CONNECTIONS=10000
# QUIET_WAIT=0 (seconds to wait for other load to pass before each
# measurement; each round also records the CPU others used during it).
# SCENARIOS="ka64 ka256 close16" and PARTS="main variants idle" pick a subset.
# SKIP_BUILD=1 uses the binaries already built. Full run: about 8 minutes
# after the build (the first release build of Hummingbird takes ~6 more).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
SCENARIOS=${SCENARIOS:-ka64 ka256 close16}
PARTS=${PARTS:-main variants idle}
THREADS=2

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/Benchmarks
WORK=$(mktemp -d)
RUNS=$WORK/runs.tsv
IDLE=$WORK/idle.tsv
: > "$RUNS"
: > "$IDLE"

SERVER_PID=
CLIENT_PID=
cleanup() {
    # Only the processes this script started, by their ids.
    [[ -n $CLIENT_PID ]] && kill "$CLIENT_PID" 2>/dev/null || true
    [[ -n $SERVER_PID ]] && kill -KILL "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=Tools/server.sh
source "$BENCH/Tools/server.sh"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# 10,000 idle clients need 10,000 descriptors in the client and the server.
ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < IDLE_CONNECTIONS + 100)); then
    log "warning: open-file limit $(ulimit -n) is below $IDLE_CONNECTIONS idle connections"
fi

command -v wrk > /dev/null || { log "wrk not found (apt-get install wrk)"; exit 1; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building bench servers (release)"
    swift build -c release --package-path "$BENCH" --scratch-path "$BENCH/.build" >&2
fi
BIN=$(swift build -c release --package-path "$BENCH" --scratch-path "$BENCH/.build" --show-bin-path)
# What was built: the commit, and whether Sources differed from it.
BUILT_FROM="commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
git -C "$ROOT" diff --quiet HEAD -- Sources 2>/dev/null || BUILT_FROM="$BUILT_FROM + uncommitted Sources changes"

# start_server VARIANT: starts a fresh server on an ephemeral port and waits
# for the port it prints; sets SERVER_PID and SERVER_PORT.
start_server() {
    local out=$WORK/server.out
    : > "$out"
    case $1 in
        sluice) "$BIN/sluice-http-bench-server" --port 0 > "$out" 2> "$WORK/server.err" & ;;
        sluice-global) "$BIN/sluice-http-bench-server" --port 0 --executor global > "$out" 2> "$WORK/server.err" & ;;
        sluice-loops1) "$BIN/sluice-http-bench-server" --port 0 --loops 1 > "$out" 2> "$WORK/server.err" & ;;
        sluice-middleware) "$BIN/sluice-http-bench-server" --port 0 --middleware > "$out" 2> "$WORK/server.err" & ;;
        hummingbird) "$BIN/hummingbird-bench-server" --port 0 > "$out" 2> "$WORK/server.err" & ;;
        *) log "unknown variant $1"; exit 1 ;;
    esac
    SERVER_PID=$!
    for _ in $(seq 300); do
        [[ -s $out ]] && break
        sleep 0.1
    done
    SERVER_PORT=$(head -n1 "$out")
    if ! [[ $SERVER_PORT =~ ^[0-9]+$ ]]; then
        log "$1 did not start"; cat "$WORK/server.err" >&2; exit 1
    fi
}


CLK_TCK=$(getconf CLK_TCK)

# cpu_busy: busy jiffies of the whole machine (user nice system irq softirq steal).
cpu_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# process_cpu PID: user + system jiffies of a process (its name has no spaces).
process_cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# wait_for_quiet: with QUIET_WAIT=N, waits up to N s for a second in which
# other processes keep the machine under 15 % busy before a measurement.
wait_for_quiet() {
    local waited=0 before after
    while ((waited < ${QUIET_WAIT:-0})); do
        before=$(cpu_busy)
        sleep 1
        after=$(cpu_busy)
        (((after - before) * 100 < 15 * $(nproc) * CLK_TCK)) && return
        waited=$((waited + 1))
    done
    ((${QUIET_WAIT:-0} == 0)) || log "  machine still busy after ${QUIET_WAIT} s; measuring anyway"
}

# measure BLOCK SCENARIO VARIANT ROUND: one fresh server, warm-up, measurement.
measure() {
    local block=$1 scenario=$2 variant=$3 round=$4 connections header=()
    case $scenario in
        ka64) connections=64 ;;
        ka256) connections=256 ;;
        close16) connections=16; header=(-H 'Connection: close') ;;
    esac
    wait_for_quiet
    start_server "$variant"
    local url=http://127.0.0.1:$SERVER_PORT/healthz
    wrk -t"$THREADS" -c"$connections" -d"${WARMUP}s" "${header[@]}" "$url" > /dev/null
    # CPU used by anything but this server and wrk while measuring: the
    # machine is shared, and this says how much a round was disturbed.
    local busy0 server0 busy1 server1 wrk_cpu other
    busy0=$(cpu_busy)
    server0=$(process_cpu "$SERVER_PID")
    local TIMEFORMAT='%U %S'
    { time wrk --latency -t"$THREADS" -c"$connections" -d"${DURATION}s" "${header[@]}" "$url" > "$WORK/wrk.out"; } 2> "$WORK/wrk.time"
    busy1=$(cpu_busy)
    server1=$(process_cpu "$SERVER_PID")
    stop_server
    wrk_cpu=$(awk -v hz="$CLK_TCK" '{ print ($1 + $2) * hz }' "$WORK/wrk.time")
    other=$(awk -v b="$((busy1 - busy0))" -v s="$((server1 - server0))" -v w="$wrk_cpu" -v n="$(nproc)" -v d="$DURATION" -v hz="$CLK_TCK" \
        'BEGIN { o = (b - s - w) / (n * hz * d) * 100; printf "%.0f", (o < 0 ? 0 : o) }')
    # Requests/sec, the 99% latency in ms, socket errors summed, non-2xx.
    awk -v block="$block" -v scenario="$scenario" -v variant="$variant" -v round="$round" -v other="$other" '
        /^Requests\/sec:/ { rps = $2 }
        /^ +99%/ {
            v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
            p99 = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : (unit == "m") ? v * 60000 : v
        }
        /Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx responses:/ { non2xx = $5 }
        END { printf "%s\t%s\t%s\t%s\t%s\t%.3f\t%d\t%d\t%d\n", block, scenario, variant, round, rps, p99, errors, non2xx, other }
    ' "$WORK/wrk.out" | tee -a "$RUNS" | awk -F'\t' '{ printf "  %-8s %-18s round %s: %10.0f req/s  p99 %7.2f ms  errors %s  other CPU %s%%\n", $2, $3, $4, $5, $6, $7, $9 }' >&2
}

# rss_kib PID FIELD: VmRSS or VmHWM in KiB.
rss_kib() { awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"; }

# idle VARIANT: RSS before and while holding IDLE_CONNECTIONS idle keep-alive clients.
idle() {
    start_server "$1"
    sleep 1
    local before
    before=$(rss_kib "$SERVER_PID" VmRSS)
    python3 "$BENCH/Tools/idle-clients.py" "$SERVER_PORT" "$IDLE_CONNECTIONS" 120 > "$WORK/client.out" &
    CLIENT_PID=$!
    for _ in $(seq 1200); do
        grep -q '^ready' "$WORK/client.out" && break
        kill -0 "$CLIENT_PID" 2>/dev/null || break
        sleep 0.1
    done
    local opened failed
    read -r _ opened failed < <(grep '^ready' "$WORK/client.out" || echo "ready 0 $IDLE_CONNECTIONS")
    sleep 2 # let the server settle with every connection idle
    local hwm after fds
    hwm=$(rss_kib "$SERVER_PID" VmHWM)
    after=$(rss_kib "$SERVER_PID" VmRSS)
    fds=$(find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
    kill "$CLIENT_PID" 2>/dev/null || true
    wait "$CLIENT_PID" 2>/dev/null || true
    CLIENT_PID=
    stop_server
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$before" "$hwm" "$after" "$fds" "$opened" "$failed" >> "$IDLE"
    log "  idle $1: $opened connections held, RSS $((before / 1024)) → $((after / 1024)) MiB, peak $((hwm / 1024)) MiB"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ " $PARTS " == *" main "* ]]; then
    log "Sluice vs Hummingbird: $ROUNDS rounds × (${WARMUP} s warm-up + ${DURATION} s) per server and scenario"
    for scenario in $SCENARIOS; do
        for round in $(seq "$ROUNDS"); do
            if ((round % 2)); then order=(sluice hummingbird); else order=(hummingbird sluice); fi
            for variant in "${order[@]}"; do measure main "$scenario" "$variant" "$round"; done
        done
    done
fi

if [[ " $PARTS " == *" variants "* ]]; then
    log "Sluice configurations at 64 keep-alive connections"
    variants=(sluice sluice-global sluice-loops1 sluice-middleware)
    for round in $(seq "$ROUNDS"); do
        # Rotate the order each round so no configuration always goes first.
        for i in "${!variants[@]}"; do
            measure variants ka64 "${variants[$(((i + round - 1) % ${#variants[@]}))]}" "$round"
        done
    done
fi

if [[ " $PARTS " == *" idle "* ]]; then
    log "idle keep-alive connections: $IDLE_CONNECTIONS"
    idle sluice
    idle hummingbird
fi

mkdir -p "$BENCH/results"
RESULT=$BENCH/results/http-$(date -u +%Y%m%dT%H%M%SZ).md
{
    echo "## HTTP server vs Hummingbird 2 — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
    echo "- $(swift --version 2>&1 | head -n1); $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2); $BUILT_FROM"
    echo "- load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg) — anything else running on the machine shows here"
    echo "- \`Benchmarks/run-http.sh\`: ROUNDS=$ROUNDS, WARMUP=${WARMUP}s, DURATION=${DURATION}s, \`wrk --latency -t$THREADS\` on 127.0.0.1, a fresh server per measurement, nothing pinned"
} > "$WORK/header.md"
python3 "$BENCH/Tools/http-report.py" "$RUNS" "$IDLE" "$WORK/header.md" > "$RESULT"
cat "$RESULT"
log "written to ${RESULT#"$ROOT"/}"
