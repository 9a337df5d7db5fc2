#!/usr/bin/env bash
# The gateway's overhead (issue 9): wrk at CONNECTIONS keep-alive connections
# POSTing a small JSON body, in one run, against
#   direct     the model server itself (nginx answering TorchServe's shape)
#   gw-0       `sluice gateway`, endpoint with no stealth deployment
#   gw-2       `sluice gateway`, endpoint with two stealth deployments
#              (default acknowledgement: the record written to the journal)
#   gw-2-fsync the same with SLUICE_GATEWAY_DURABLE_ACK=fsync
#   gw-2-mem   the same with SLUICE_GATEWAY_DURABLE_ACK=off
#   gw-2-nodb  gw-2 with the database stopped (SIGSTOP) while it is measured:
#              the gateway journals every result and uploads nothing, so it
#              is measured without the ML Data Store's PostgreSQL sharing the
#              2 cores (the backlog is uploaded, and waited for, afterwards)
#   nginx-2    nginx `proxy_pass` + two `mirror`s to the same two shadows
# first as fast as wrk can (throughput; latency there is queueing for the
# 2 cores), then at a fixed RATE req/s over the same CONNECTIONS (latency:
# what each hop adds when nobody queues), for direct, gw-2, gw-2-fsync,
# gw-2-nodb and nginx-2.
# The model servers are one nginx (`return 200` with a fixed JSON body) on
# three ports: live, shadow-a, shadow-b. The gateway's database is the
# embedded cluster of a `sluice serve` started in a temporary folder.
#
#   make bench-gateway   or   Benchmarks/run-gateway.sh
#   (needs wrk, nginx, postgresql: `make bench-deps`; builds the release binary)
#
# Environment (defaults): DURATION=10 WARMUP=2 ROUNDS=2 CONNECTIONS=64 RATE=1000
# SATURATED=1 (0: only the fixed-rate rows, for a latency question)
# DB_NICE (the embedded database's nice value: 10 stands in for the ML Data
# Store's own server; unset, it competes with the gateway on equal terms)
# JOURNAL_ROOT (the gateways' journal folders; a temporary folder)
# COMPARE_BIN (another build, e.g. of the previous commit: adds cmp-gw-0,
# cmp-gw-2 and cmp-gw-2@RATE rows, a gateway from that binary on the same
# database and model servers, each measured next to its counterpart, in
# alternating order from round to round)
# COMPARE_ENV (NAME=value words for the COMPARE_BIN gateway, e.g.
# SLUICE_GATEWAY_HTTP_CLIENT=libcurl; alone, it compares SLUICE_BIN with
# itself under those settings)
# SLUICE_BIN (the release binary; built with `swift build -c release
# --product sluice` unless given). Prints a Markdown table of medians, with
# the CPU time the proxy (gateway process, or nginx-2's worker) spent per
# request, from /proc/PID/stat (utime + stime) over the measured seconds,
# and for the gateway with two stealth deployments the share of stealth
# copies it sent (from its /metrics; the others were dropped when a
# deployment's SLUICE_GATEWAY_STEALTH_CONCURRENCY calls were in flight).
set -euo pipefail
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-64}
RATE=${RATE:-1000}
SATURATED=${SATURATED:-1}
[[ $SATURATED =~ ^[01]$ && $RATE =~ ^(0|[1-9][0-9]*)$ ]] || { echo "SATURATED must be 0 or 1, RATE a number" >&2; exit 1; }
[[ -z ${DB_NICE:-} || $DB_NICE =~ ^-?[0-9]+$ ]] || { echo "DB_NICE must be a number" >&2; exit 1; }
((SATURATED || RATE > 0)) || { echo "SATURATED=0 with RATE=0 measures nothing" >&2; exit 1; }
cd "$(dirname "$0")/.."
ROOT=$PWD
if [[ -z ${SLUICE_BIN:-} ]]; then
    swift build -c release --product sluice >&2
    SLUICE_BIN=$(swift build -c release --show-bin-path)/sluice
fi
WORK=$(mktemp -d)
chmod 755 "$WORK"
# Where the gateways' journals go (JOURNAL_ROOT=/dev/shm/x: a tmpfs, to
# tell the file system's share of the latency).
JOURNAL_ROOT=${JOURNAL_ROOT:-$WORK}
PIDS=()
cleanup() {
    # Only the processes this script started, by their ids.
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# Debian puts nginx in /usr/sbin, which a normal user's PATH may lack.
PATH=$PATH:/usr/sbin
for tool in wrk nginx curl psql; do
    command -v "$tool" > /dev/null || { log "$tool not found (make bench-deps installs it)"; exit 1; }
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

LIVE=$(free_port); SA=$(free_port); SB=$(free_port); MIRROR=$(free_port); API=$(free_port)
ANSWER='{"label":"cat","probabilities":{"cat":0.9,"dog":0.1}}'

# Model servers and the nginx mirror comparator, one worker each.
model_conf() {
    cat <<NGINX
worker_processes 1;
pid $WORK/$1.pid;
error_log $WORK/$1.error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/$1-body; proxy_temp_path $WORK/$1-proxy;
    fastcgi_temp_path $WORK/$1-fcgi; uwsgi_temp_path $WORK/$1-uwsgi; scgi_temp_path $WORK/$1-scgi;
    keepalive_requests 1000000;
$2
}
NGINX
}
MODELS=""
for port in $LIVE $SA $SB; do
    MODELS+="    server { listen 127.0.0.1:$port; default_type application/json;
        location = /ping { return 200 '{\"status\":\"Healthy\"}'; }
        location / { client_body_buffer_size 64k; return 200 '$ANSWER'; } }
"
done
model_conf models "$MODELS" > "$WORK/models.conf"
model_conf mirror "    upstream live { server 127.0.0.1:$LIVE; keepalive 128; }
    upstream sa { server 127.0.0.1:$SA; keepalive 128; }
    upstream sb { server 127.0.0.1:$SB; keepalive 128; }
    server { listen 127.0.0.1:$MIRROR;
        proxy_http_version 1.1; proxy_set_header Connection \"\";
        location /predict/ { mirror /shadow-a; mirror /shadow-b; proxy_pass http://live/predictions/fraud; }
        location = /shadow-a { internal; proxy_pass http://sa/predictions/fraud; }
        location = /shadow-b { internal; proxy_pass http://sb/predictions/fraud; } }" > "$WORK/mirror.conf"
nginx -c "$WORK/models.conf" -g 'daemon off;' & PIDS+=($!)
nginx -c "$WORK/mirror.conf" -g 'daemon off;' & PIDS+=($!)
MIRROR_MASTER=$!

# The control plane on its embedded database, and the deployments.
TOKEN=bench-admin-token-0123456789
mkdir -p "$WORK/app" && cd "$WORK/app"
SLUICE_ADMIN_TOKEN=$TOKEN SLUICE_PORT=$API SLUICE_LOG_LEVEL=warning SLUICE_MIGRATIONS_DIR=$ROOT/migrations \
    "$SLUICE_BIN" serve > "$WORK/serve.out" 2> "$WORK/serve.err" & PIDS+=($!)
for _ in $(seq 1 300); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
PSQL=(psql -h "$WORK/app/.sluice/postgres" -p 5432 -U sluice -d sluice -v ON_ERROR_STOP=1 -Atq)
"${PSQL[@]}" -c "INSERT INTO models (name, task) VALUES ('fraud', 'classification');
    INSERT INTO model_versions (model_id, version, artifact_uri, image, image_digest, created_by)
    SELECT id, 1, 's3://rnd/m.tar.gz', 'models/m:v1', 'sha256:00', 'bench' FROM models WHERE name = 'fraud';"
deploy() { # name endpoint mode port
    curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        "http://127.0.0.1:$API/v1/deployments" -d "{\"name\":\"$1\",\"region\":\"eu-west-1\",\"endpoint\":\"$2\",\"model\":\"fraud\",
        \"version\":1,\"mode\":\"$3\",\"target\":{\"type\":\"external\",\"urls\":[\"http://127.0.0.1:$4\"]}}"
}
# The embedded cluster's postmaster (from its pid file, whoever runs it)
# and its children; nothing when it is not running.
db_pids() {
    local master
    master=$(head -1 "$WORK/app/.sluice/postgres/data/postmaster.pid" 2>/dev/null || true)
    if [[ $master =~ ^[0-9]+$ ]] && kill -0 "$master" 2>/dev/null; then
        echo "$master" $(pgrep -P "$master" || true)
    fi
    return 0
}
# DB_NICE=N runs the database at that nice value (its new backends inherit
# it): an experiment on how much its share of the 2 cores weighs on the
# gateway's tail; unset, it runs as started.
if [[ -n ${DB_NICE:-} ]]; then
    # The postmaster must take it (its new backends inherit it); a child
    # may have exited meanwhile.
    DB_LIST=$(db_pids)
    [[ -n $DB_LIST ]] || { log "no database processes found; cannot apply DB_NICE"; exit 1; }
    renice -n "$DB_NICE" -p "${DB_LIST%% *}" > /dev/null || { log "renice of the database failed"; exit 1; }
    for pid in ${DB_LIST#* }; do renice -n "$DB_NICE" -p "$pid" > /dev/null 2>&1 || true; done
fi
deploy solo bench0 live "$LIVE"
deploy live bench2 live "$LIVE"
deploy shadow-a bench2 stealth "$SA"
deploy shadow-b bench2 stealth "$SB"

start_gateway() { # name port [env...]
    local name=$1 port=$2; shift 2
    env SLUICE_GATEWAY_PORT="$port" SLUICE_LOG_LEVEL=warning SLUICE_GATEWAY_JOURNAL="$JOURNAL_ROOT/journal-$name" "$@" \
        "$SLUICE_BIN" gateway > "$WORK/$name.out" 2> "$WORK/$name.err" & PIDS+=($!)
    for _ in $(seq 1 100); do grep -q listening "$WORK/$name.out" 2>/dev/null && break; sleep 0.1; done
}
GW=$(free_port); GWF=$(free_port); GWM=$(free_port)
start_gateway default "$GW"
GW_PID=${PIDS[-1]}
start_gateway fsync "$GWF" SLUICE_GATEWAY_DURABLE_ACK=fsync
GWF_PID=${PIDS[-1]}
start_gateway memory "$GWM" SLUICE_GATEWAY_DURABLE_ACK=off
GWM_PID=${PIDS[-1]}
[[ -n ${COMPARE_ENV:-} && -z ${COMPARE_BIN:-} ]] && COMPARE_BIN=$SLUICE_BIN
if [[ -n ${COMPARE_BIN:-} ]]; then
    GWC=$(free_port)
    SLUICE_BIN_MEASURED=$SLUICE_BIN
    SLUICE_BIN=$COMPARE_BIN
    # shellcheck disable=SC2086 # COMPARE_ENV is a list of NAME=value words
    start_gateway compare "$GWC" ${COMPARE_ENV:-}
    SLUICE_BIN=$SLUICE_BIN_MEASURED
    GWC_PID=${PIDS[-1]}
fi
# Measures the gateway (label) and, when there is one, the COMPARE_BIN
# gateway (cmp-label) on the same endpoint, one right after the other. The
# order alternates between rounds: whichever goes second inherits the
# first one's backlog (uploads still running), and run 15, which always
# measured this build first, could not tell its change from that order.
measure_pair() { # label rate endpoint round
    local ours=(measure "$1" "$2" "http://127.0.0.1:$GW/predict/eu-west-1/$3" "$GW_PID")
    if [[ -z ${COMPARE_BIN:-} ]]; then "${ours[@]}"; return; fi
    local theirs=(measure "cmp-$1" "$2" "http://127.0.0.1:$GWC/predict/eu-west-1/$3" "$GWC_PID")
    if (($4 % 2)); then "${ours[@]}"; "${theirs[@]}"; else "${theirs[@]}"; "${ours[@]}"; fi
}
sleep 1
# nginx-2's work is done by its one worker, a child of the master.
MIRROR_WORKER=$(pgrep -P "$MIRROR_MASTER" | head -1)
# CPU clock ticks (utime + stime) of the given processes.
ticks() { local total=0 pid; for pid in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$total"; }
HZ=$(getconf CLK_TCK)

# POST of a small JSON body; with RATE > 0 each connection waits a random
# 0.5-1.5 × CONNECTIONS × 1000 / RATE ms before each request, so together
# they send about RATE requests/s (wrk's latency starts when a request is written).
LUA=$ROOT/Benchmarks/Tools/api.lua
RESULTS=$WORK/results.tsv
: > "$RESULTS"
# The stealth copies a gateway has sent so far (all deployments), from its
# /metrics; "-" for anything but the endpoint with two stealth deployments.
shadows_sent() { # url
    [[ $1 == */predict/eu-west-1/bench2 ]] || { echo -; return; }
    local text
    text=$(curl -sf "${1%%/predict/*}/metrics") || { echo -; return; }
    awk '/^sluice_gateway_stealth_sent_total/ {s += $NF} END {print s + 0}' <<< "$text"
}
measure() { # label rate url [pid of the proxy...]
    local label=$1 rate=$2 url=$3; shift 3
    MODE=predict RATE=$rate CONNECTIONS=$CONNECTIONS wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$LUA" "$url" > /dev/null
    local out before=0 after=0 sent_before sent_after db_before db_after
    (($# > 0)) && before=$(ticks "$@")
    sent_before=$(shadows_sent "$url")
    db_before=$(db_ticks)
    out=$(MODE=predict RATE=$rate CONNECTIONS=$CONNECTIONS wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$LUA" "$url")
    db_after=$(db_ticks)
    (($# > 0)) && after=$(ticks "$@")
    sent_after=$(shadows_sent "$url")
    local rps p50 p99 errors requests cpu=-
    rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
    p50=$(awk '$1 == "50%" {print $2}' <<< "$out")
    p99=$(awk '$1 == "99%" {print $2}' <<< "$out")
    requests=$(awk '/requests in/ {print $1}' <<< "$out")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' <<< "$out" | tr '\n' ' ')
    if (($# > 0)) && ((requests > 0)); then
        cpu=$(python3 -c "print(f'{($after - $before) / $HZ * 1e6 / $requests:.0f}')")
    fi
    # Stealth copies sent per request, of the 2 an endpoint with two stealth
    # deployments asks for (the rest were dropped: sampled out, oversize or
    # queue full).
    local shadows=-
    if [[ $sent_before != - && $sent_after != - ]] && ((requests > 0)); then
        shadows=$(python3 -c "print(f'{($sent_after - $sent_before) / (2 * $requests) * 100:.0f}')")
    fi
    # The database's CPU over the measured seconds, in cores.
    local db
    db=$(python3 -c '
import sys
before = dict(pair.split(":") for pair in sys.argv[1].split())
after = dict(pair.split(":") for pair in sys.argv[2].split())
# The postmaster counts its exited children, so totals difference right.
ticks = sum(map(int, after.values())) - sum(map(int, before.values()))
print(f"{ticks / int(sys.argv[3]) / float(sys.argv[4]):.2f}" if before and after else "-")' "$db_before" "$db_after" "$HZ" "$DURATION")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rps" "$p50" "$p99" "$errors" "$cpu" "$shadows" "$db" >> "$RESULTS"
    log "$label: $rps req/s p50 $p50 p99 $p99 cpu/req ${cpu} us shadows sent ${shadows} % database ${db} cores $errors"
}
# The embedded cluster's postmaster and its backends (SIGSTOP/SIGCONT).
stored() { "${PSQL[@]}" -c "SELECT count(*) FROM predictions"; }
# pid:ticks of every database process (its backends and autovacuum workers
# come and go, so they are matched by pid; the postmaster's count includes
# its children that have exited). Nothing when the database is not found.
db_ticks() {
    local pid ticks master=1
    for pid in $(db_pids); do
        if ((master)); then
            ticks=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null) || ticks=
            master=0
        else
            ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || ticks=
        fi
        if [[ -n $ticks ]]; then echo "$pid:$ticks"; fi
    done | tr '\n' ' '
    return 0
}
# Resumes the database and waits until the gateways' backlog is stored
# (the count stops moving for 2 s), so the next target does not share the
# cores with the catch-up.
resume_db() {
    local pids; pids=$(db_pids)
    # A backend may have exited since it was listed.
    [[ -z $pids ]] || kill -CONT $pids 2>/dev/null || true
    local last=-1 now
    for _ in $(seq 1 120); do
        now=$(stored); [[ $now == "$last" ]] && break
        last=$now; sleep 2
    done
}
measure_nodb() { # label rate
    local pids; pids=$(db_pids)
    [[ -n $pids ]] || { log "no database processes found; skipping $1"; return; }
    kill -STOP $pids 2>/dev/null || true
    measure "$1" "$2" "http://127.0.0.1:$GW/predict/eu-west-1/bench2" "$GW_PID"
    resume_db
}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$ROUNDS"); do
    log "round $round"
    if ((SATURATED)); then
        measure direct 0 "http://127.0.0.1:$LIVE/predictions/fraud"
        measure_pair gw-0 0 bench0 "$round"
        measure_pair gw-2 0 bench2 "$round"
        measure gw-2-fsync 0 "http://127.0.0.1:$GWF/predict/eu-west-1/bench2" "$GWF_PID"
        measure gw-2-mem 0 "http://127.0.0.1:$GWM/predict/eu-west-1/bench2" "$GWM_PID"
        resume_db
        measure_nodb gw-2-nodb 0
        measure nginx-2 0 "http://127.0.0.1:$MIRROR/predict/" "$MIRROR_WORKER"
    fi
    if ((RATE > 0)); then
        measure "direct@$RATE" "$RATE" "http://127.0.0.1:$LIVE/predictions/fraud"
        measure_pair "gw-2@$RATE" "$RATE" bench2 "$round"
        measure "gw-2-fsync@$RATE" "$RATE" "http://127.0.0.1:$GWF/predict/eu-west-1/bench2" "$GWF_PID"
        measure "gw-2-mem@$RATE" "$RATE" "http://127.0.0.1:$GWM/predict/eu-west-1/bench2" "$GWM_PID"
        measure_nodb "gw-2-nodb@$RATE" "$RATE"
        measure "nginx-2@$RATE" "$RATE" "http://127.0.0.1:$MIRROR/predict/" "$MIRROR_WORKER"
    fi
done
STORED=$("${PSQL[@]}" -c "SELECT count(*) FROM predictions" || echo "?")
echo "load average (1/5/15 min) before: $LOAD_BEFORE, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| target | req/s (median) | p50 | p99 (median; each round) | proxy CPU per request | shadows sent | database CPU | errors |"
echo "|---|---|---|---|---|---|---|---|"
LABELS=()
((SATURATED)) && LABELS+=(direct gw-0 gw-2 gw-2-fsync gw-2-mem gw-2-nodb nginx-2)
((RATE > 0)) && LABELS+=("direct@$RATE" "gw-2@$RATE" "gw-2-fsync@$RATE" "gw-2-mem@$RATE" "gw-2-nodb@$RATE" "nginx-2@$RATE")
[[ -n ${COMPARE_BIN:-} ]] && ((SATURATED)) && LABELS+=(cmp-gw-0 cmp-gw-2)
[[ -n ${COMPARE_BIN:-} ]] && ((RATE > 0)) && LABELS+=("cmp-gw-2@$RATE")
for label in "${LABELS[@]}"; do
    awk -F'\t' -v l="$label" '$1 == l' "$RESULTS" | python3 -c '
import sys, statistics
rows = [line.rstrip("\n").split("\t") for line in sys.stdin]
def ms(v):
    return float(v[:-2]) if v.endswith("ms") else float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-1]) * 1000
rps = statistics.median(float(r[1]) for r in rows)
p50 = statistics.median(ms(r[2]) for r in rows)
p99 = statistics.median(ms(r[3]) for r in rows)
errors = "; ".join(sorted({r[4].strip() for r in rows if r[4].strip()})) or "none"
cpus = [float(r[5]) for r in rows if r[5] != "-"]
cpu = f"{statistics.median(cpus):.0f} µs" if cpus else ""
each = ", ".join(f"{ms(r[3]):.2f}" for r in rows)
sent = [float(r[6]) for r in rows if r[6] != "-"]
shadows = f"{statistics.median(sent):.0f} %" if sent else ""
dbs = [float(r[7]) for r in rows if r[7] != "-"]
db = f"{statistics.median(dbs):.2f} cores" if dbs else ""
print(f"| {rows[0][0]} | {rps:,.0f} | {p50:.2f} ms | {p99:.2f} ms ({each}) | {cpu} | {shadows} | {db} | {errors} |")'
done
echo
echo "predictions stored while the run lasted: $STORED (rounds: $ROUNDS)"
