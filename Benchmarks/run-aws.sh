#!/usr/bin/env bash
# SluiceAWS against boto3, both moving S3 objects to and from one moto
# server on loopback in the same run (what `make bench-aws` runs):
#
#   Benchmarks/run-aws.sh
#
# 1. Builds AWSBench (release) in Benchmarks/.build and the test venv
#    (scripts/python-venv.sh: boto3, moto).
# 2. Starts moto through scripts/moto_server.py (signatures checked, as in
#    the tests) on an OS-picked port.
# 3. For ROUNDS rounds, alternating which client goes first, each client
#    in a fresh bucket: big-put (a SIZE_MIB object streamed up, multipart),
#    big-get (streamed down and discarded), small-put and small-get
#    (OBJECTS objects of 1 KiB, CONCURRENCY requests in flight). Every
#    operation is its own process, so its peak RSS (VmHWM / ru_maxrss) is
#    that operation's alone.
# 4. Prints medians over rounds, the throughput ratio sluice/boto3 and the
#    peak RSS; writes Benchmarks/results/aws-<UTC timestamp>.md (gitignored).
#
# Environment (defaults): ROUNDS=3 SIZE_MIB=256 OBJECTS=2000 CONCURRENCY=16
# SKIP_BUILD=1 uses the AWSBench already built.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
SIZE_MIB=${SIZE_MIB:-256}
OBJECTS=${OBJECTS:-2000}
CONCURRENCY=${CONCURRENCY:-16}

cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
MOTO_PID=
cleanup() {
    # Only the process this script started, by its id.
    [[ -n $MOTO_PID ]] && kill "$MOTO_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

PYTHON=$(scripts/python-venv.sh)
if [[ -z ${SKIP_BUILD:-} ]]; then
    log "building AWSBench (release)"
    swift build -c release --package-path Benchmarks --scratch-path Benchmarks/.build --product AWSBench >&2
fi
BENCH=$ROOT/Benchmarks/.build/release/AWSBench

"$PYTHON" scripts/moto_server.py --ready-file "$WORK/ready.json" --watch-pid $$ > "$WORK/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 300); do [[ -s $WORK/ready.json ]] && break; sleep 0.2; done
[[ -s $WORK/ready.json ]] || { cat "$WORK/moto.log" >&2; exit 1; }
log "moto ready: $(head -c 40 "$WORK/ready.json")..."

make_bucket() {
    "$PYTHON" - "$WORK/ready.json" "$1" <<'PY'
import json, sys, boto3
r = json.load(open(sys.argv[1]))
boto3.client("s3", endpoint_url=r["endpoint"], region_name="us-east-1", aws_access_key_id=r["access_key_id"],
             aws_secret_access_key=r["secret_access_key"]).create_bucket(Bucket=sys.argv[2])
PY
}
drop_bucket() {
    "$PYTHON" - "$WORK/ready.json" "$1" <<'PY'
import json, sys, boto3
r = json.load(open(sys.argv[1]))
b = boto3.resource("s3", endpoint_url=r["endpoint"], region_name="us-east-1", aws_access_key_id=r["access_key_id"],
                   aws_secret_access_key=r["secret_access_key"]).Bucket(sys.argv[2])
b.objects.all().delete(); b.delete()
PY
}

run_client() {  # client bucket
    local client=$1 bucket=$2 op
    for op in big-put big-get small-put small-get; do
        if [[ $client == sluice ]]; then
            "$BENCH" "$WORK/ready.json" "$bucket" "$op" "$SIZE_MIB" "$OBJECTS" "$CONCURRENCY"
        else
            "$PYTHON" Benchmarks/Tools/s3-boto3-bench.py "$WORK/ready.json" "$bucket" "$op" "$SIZE_MIB" "$OBJECTS" "$CONCURRENCY"
        fi
    done
}

RESULTS=$WORK/results.jsonl
: > "$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
    order="sluice boto3"
    (( round % 2 == 0 )) && order="boto3 sluice"
    for client in $order; do
        bucket="bench-$client-$round"
        make_bucket "$bucket"
        log "round $round: $client"
        run_client "$client" "$bucket" | tee -a "$RESULTS" >&2
        drop_bucket "$bucket"
    done
done

mkdir -p Benchmarks/results
OUT=Benchmarks/results/aws-$(date -u +%Y%m%dT%H%M%SZ).md
"$PYTHON" Benchmarks/Tools/aws-report.py "$RESULTS" "$ROUNDS" "$SIZE_MIB" "$OBJECTS" "$CONCURRENCY" "$(git rev-parse --short HEAD)" | tee "$OUT"
