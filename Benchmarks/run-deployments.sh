#!/usr/bin/env bash
# 1,000 deployments of one replica created at once against moto (EC2, ECR
# and S3, signatures checked): time until every one is `ready`, and the AWS
# calls made per deployment, counted by a proxy between Sluice and moto
# (Benchmarks/deployments/bench.py). Then one more minute of steady state:
# what watching converged deployments costs.
#
#   Benchmarks/run-deployments.sh        (what `make bench-deployments` runs)
#
# Environment (defaults): COUNT=1000 SKIP_BUILD=0 SCRATCH=.build POOL=10
# INTERVAL=30 (SLUICE_RECONCILE_INTERVAL). Writes
# Benchmarks/results/deployments-<UTC timestamp>.json and prints it.
set -euo pipefail
COUNT=${COUNT:-1000}
SCRATCH=${SCRATCH:-.build}
POOL=${POOL:-10}
INTERVAL=${INTERVAL:-30}
TOKEN=bench-admin-token-0123456789abcdef

cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
chmod 755 "$WORK"
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
PGBIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1)
as_pg() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }
SERVER_PID=
MOTO_PID=
PG_STARTED=0
cleanup() {
    [[ -n $SERVER_PID ]] && kill -KILL "$SERVER_PID" 2>/dev/null || true
    [[ -n $MOTO_PID ]] && kill -TERM "$MOTO_PID" 2>/dev/null || true
    ((PG_STARTED)) && as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop > /dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building sluice (release)"
    swift build -c release --product sluice --scratch-path "$SCRATCH" >&2
fi
SLUICE=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/sluice
PYTHON=$(scripts/python-venv.sh)

log "starting PostgreSQL and moto"
mkdir -p "$WORK/pg"
((EUID == 0)) && chown postgres "$WORK/pg"
as_pg "$PGBIN/initdb" -D "$WORK/pg/data" --auth=trust -U postgres -E UTF8 --locale=C --no-sync > /dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
    -o "-k $WORK/pg -p 5432 -c listen_addresses='' -c max_connections=200" start > /dev/null
PG_STARTED=1
as_pg "$PGBIN/createdb" -h "$WORK/pg" -p 5432 -U postgres sluice
"$PYTHON" scripts/moto_server.py --ready-file "$WORK/moto.json" --watch-pid $$ > "$WORK/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 300); do [[ -s $WORK/moto.json ]] && break; sleep 0.2; done
[[ -s $WORK/moto.json ]] || { cat "$WORK/moto.log" >&2; exit 1; }

"$PYTHON" Benchmarks/deployments/bench.py "$WORK/moto.json" "$WORK/api.port" "$WORK/proxy.port" "$COUNT" "$TOKEN" \
    > "$WORK/result.json" &
DRIVER=$!
for _ in $(seq 1 300); do [[ -s $WORK/proxy.port ]] && break; sleep 0.2; done
MOTO=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_key_id"])' "$WORK/moto.json")
SECRET=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret_access_key"])' "$WORK/moto.json")
log "starting sluice serve (workers on, health checks off: moto's addresses are fake)"
SLUICE_PORT=0 SLUICE_DATABASE_URL="postgres:///sluice?host=$WORK/pg&port=5432&user=postgres" \
    SLUICE_DATABASE_POOL_SIZE="$POOL" SLUICE_ADMIN_TOKEN=$TOKEN SLUICE_LOG_LEVEL=warning \
    SLUICE_INSTANCE_HEALTHCHECK=off SLUICE_EC2_AMI=ami-12c6146b SLUICE_RECONCILE_INTERVAL="$INTERVAL" \
    AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$WORK/proxy.port")" AWS_ACCESS_KEY_ID="$MOTO" AWS_SECRET_ACCESS_KEY="$SECRET" \
    AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    "$SLUICE" serve > "$WORK/server.out" 2> "$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 300); do
    PORT=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\).*/\1/p' "$WORK/server.out" | head -n1)
    [[ -n $PORT ]] && break
    sleep 0.1
done
[[ -n ${PORT:-} ]] || { cat "$WORK/server.err" >&2; exit 1; }
echo "$PORT" > "$WORK/api.port"
log "creating $COUNT deployments"
wait "$DRIVER" || { log "driver failed"; tail -20 "$WORK/server.err" >&2; exit 1; }
mkdir -p Benchmarks/results
OUT=Benchmarks/results/deployments-$(date -u +%Y%m%dT%H%M%SZ).json
cp "$WORK/result.json" "$OUT"
cat "$OUT"
log "written to $OUT"
