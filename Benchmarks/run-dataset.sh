#!/usr/bin/env bash
# The dataset worker end to end against moto, beside awk and boto3 + csv
# in the same run (what `make bench-dataset` runs):
#
#   Benchmarks/run-dataset.sh
#
# 1. Builds `sluice` (release, SCRATCH, default .build-dataset) and the
#    test venv (boto3, moto); starts moto (signatures checked) on loopback.
# 2. Generates a SIZE_MIB CSV (default 1024, ~10M records of ~107 bytes,
#    5 % of them fund F0001, the one approved) with a streaming generator,
#    uploads it to a staging bucket.
# 3. sluice serve (embedded PostgreSQL in a temporary folder): approved
#    funds, a dataset, a version; polls until it is ready; reports the
#    version's copy_seconds and MB/s, and the server's peak RSS (VmHWM).
# 4. The same filter by `awk -F,` on the local file, and by boto3 +
#    Python's csv module from moto to moto (streamed both ways).
# Prints a Markdown table; writes Benchmarks/results/dataset-<UTC>.md.
set -euo pipefail

SIZE_MIB=${SIZE_MIB:-1024}
SCRATCH=${SCRATCH:-.build-dataset}
PORT=${PORT:-18089}

cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
# The embedded PostgreSQL runs as the postgres user when we are root: it must reach its folder.
chmod 755 "$WORK"
MOTO_PID=
SLUICE_PID=
cleanup() {
    # Only the processes this script started, by their ids.
    [[ -n $SLUICE_PID ]] && kill "$SLUICE_PID" 2>/dev/null && wait "$SLUICE_PID" 2>/dev/null || true
    [[ -n $MOTO_PID ]] && kill "$MOTO_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap '[[ -f $WORK/sluice.log ]] && tail -20 "$WORK/sluice.log" >&2' ERR
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

PYTHON=$(scripts/python-venv.sh)
if [[ -z ${SKIP_BUILD:-} ]]; then
    log "building sluice (release)"
    swift build -c release --product sluice --scratch-path "$SCRATCH" >&2
fi
SLUICE=$ROOT/$SCRATCH/release/sluice

"$PYTHON" scripts/moto_server.py --ready-file "$WORK/ready.json" --watch-pid $$ > "$WORK/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 300); do [[ -s $WORK/ready.json ]] && break; sleep 0.2; done
[[ -s $WORK/ready.json ]] || { cat "$WORK/moto.log" >&2; exit 1; }
ready() { "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/ready.json" "$1"; }
ENDPOINT=$(ready endpoint)
KEY=$(ready access_key_id)
SECRET=$(ready secret_access_key)

log "generating ${SIZE_MIB} MiB of CSV"
"$PYTHON" - "$WORK/trades.csv" "$SIZE_MIB" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2]) << 20
with open(path, 'w', newline='') as out:
    out.write('fund_id,trade_id,price,trade_date,note\n')
    written, i, lines = 0, 0, []
    while written < size:
        fund = 'F0001' if i % 20 == 0 else 'F%04d' % (2 + i % 9)
        line = '%s,%d,%d.%02d,2024-%02d-%02d,%s\n' % (fund, i, i % 100000, i % 100, 1 + i % 12, 1 + i % 28, 'n' * 60)
        lines.append(line)
        written += len(line)
        i += 1
        if len(lines) == 10000:
            out.write(''.join(lines)); lines = []
    out.write(''.join(lines))
PY
BYTES=$(stat -c %s "$WORK/trades.csv")

"$PYTHON" - "$WORK/trades.csv" <<PY
import boto3, sys
s3 = boto3.client("s3", endpoint_url="$ENDPOINT", region_name="us-east-1", aws_access_key_id="$KEY", aws_secret_access_key="$SECRET")
for bucket in ("staging", "rnd", "rnd-python"): s3.create_bucket(Bucket=bucket)
s3.upload_file(sys.argv[1], "staging", "acme/trades/trades.csv")
PY
log "uploaded $BYTES bytes"

# --- sluice ---
mkdir -p "$WORK/sluice"
(cd "$WORK/sluice" && AWS_ENDPOINT_URL=$ENDPOINT AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true SLUICE_MIGRATIONS_DIR=$ROOT/migrations SLUICE_ADMIN_TOKEN=bench-admin-token-0123456789 SLUICE_PORT=$PORT SLUICE_LOG_LEVEL=warning \
    exec "$SLUICE" serve > "$WORK/sluice.log" 2>&1) &
SLUICE_PID=$!
S=http://127.0.0.1:$PORT
A="Authorization: Bearer bench-admin-token-0123456789"
for _ in $(seq 1 600); do curl -sf $S/readyz > /dev/null && break; sleep 0.2; done
curl -sf -X PUT -H "$A" -H 'Content-Type: application/json' $S/v1/clients/acme/approved-funds -d '{"fund_ids":["F0001"]}' > /dev/null
curl -sf -H "$A" -H 'Content-Type: application/json' $S/v1/datasets -d '{"name":"trades","client":"acme",
  "source_uri":"s3://staging/acme/trades/","destination_uri":"s3://rnd/acme/trades/","format":"csv","fund_column":"fund_id"}' > /dev/null
START=$(date +%s.%N)
curl -sf -X POST -H "$A" $S/v1/datasets/trades/versions > /dev/null
while true; do
    STATUS=$(curl -sf -H "$A" $S/v1/datasets/trades/versions/1 | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [[ $STATUS == ready || $STATUS == quarantined || $STATUS == failed ]] && break
    sleep 0.2
done
END=$(date +%s.%N)
RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$SLUICE_PID/status)
VERSION=$(curl -sf -H "$A" $S/v1/datasets/trades/versions/1)
SLUICE_SECONDS=$(echo "$END - $START" | bc)
COPY_SECONDS=$(echo "$VERSION" | "$PYTHON" -c 'import json,sys; print(round(json.load(sys.stdin)["timings"]["copy_seconds"], 2))')
RECORDS_OUT=$(echo "$VERSION" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["records_out"])')
log "sluice: $STATUS in $SLUICE_SECONDS s (copy $COPY_SECONDS s), $RECORDS_OUT records, peak RSS $RSS_KB KiB"

# --- awk on the local file ---
AWK_START=$(date +%s.%N)
awk -F, 'NR == 1 || $1 == "F0001"' "$WORK/trades.csv" > "$WORK/awk.csv"
AWK_SECONDS=$(echo "$(date +%s.%N) - $AWK_START" | bc)
AWK_RECORDS=$(($(wc -l < "$WORK/awk.csv") - 1))

# --- boto3 + csv, moto to moto ---
cat > "$WORK/filter.py" <<PY
import boto3, codecs, csv, io, tempfile, time
s3 = boto3.client("s3", endpoint_url="$ENDPOINT", region_name="us-east-1", aws_access_key_id="$KEY", aws_secret_access_key="$SECRET")
start = time.time()
body = s3.get_object(Bucket="staging", Key="acme/trades/trades.csv")["Body"]
reader = csv.reader(codecs.iterdecode(body.iter_lines(chunk_size=1 << 20, keepends=True), "utf-8"))
kept = 0
with tempfile.SpooledTemporaryFile(max_size=64 << 20, mode="w+b") as spool:
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(next(reader))
    for row in reader:
        if row[0] == "F0001":
            writer.writerow(row)
            kept += 1
    text.flush()
    spool.seek(0)
    s3.upload_fileobj(spool, "rnd-python", "acme/trades/trades.csv")
print(kept, round(time.time() - start, 2))
PY
PY_OUT=$(/usr/bin/time -o "$WORK/py-rss" -f '%M' "$PYTHON" "$WORK/filter.py")
PY_RECORDS=${PY_OUT% *}
PY_SECONDS=${PY_OUT#* }
PY_RSS_KB=$(tail -1 "$WORK/py-rss")

MIB=$(echo "scale=1; $BYTES / 1048576" | bc)
rate() { echo "scale=1; $MIB / $1" | bc; }
mkdir -p Benchmarks/results
REPORT=Benchmarks/results/dataset-$(date -u +%Y%m%dT%H%M%SZ).md
{
    echo "| filter of ${MIB} MiB CSV, 5 % kept | seconds | MiB/s | records kept | peak RSS |"
    echo "|---|---:|---:|---:|---:|"
    echo "| sluice (moto → moto, request to ready) | $SLUICE_SECONDS | $(rate "$SLUICE_SECONDS") | $RECORDS_OUT | $((RSS_KB / 1024)) MiB (server) |"
    echo "| sluice copy pass only (timings.copy_seconds) | $COPY_SECONDS | $(rate "$COPY_SECONDS") | | |"
    echo "| boto3 + csv (moto → moto) | $PY_SECONDS | $(rate "$PY_SECONDS") | $PY_RECORDS | $((PY_RSS_KB / 1024)) MiB |"
    echo "| awk -F, (local file → local file) | $AWK_SECONDS | $(rate "$AWK_SECONDS") | $AWK_RECORDS | |"
} | tee "$REPORT"
