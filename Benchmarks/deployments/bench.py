"""1,000 deployments created at once against moto: time to all `ready`
and AWS calls per deployment (Benchmarks/run-deployments.sh runs this).

A counting proxy sits between Sluice and moto: it forwards every request
byte for byte (the Host header too, so SigV4 still verifies) and counts
it by service and action.
"""
import collections
import concurrent.futures
import http.client
import http.server
import json
import sys
import threading
import time
import urllib.parse
import urllib.request

import boto3

ready_file, api_port_file, proxy_port_file, count, token = sys.argv[1:6]
count = int(count)
moto = json.load(open(ready_file))
upstream = urllib.parse.urlparse(moto["endpoint"])
calls = collections.Counter()
lock = threading.Lock()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.headers.get("X-Amz-Target")
        if target:
            action = "ecr:" + target.split(".")[-1]
        elif body.startswith(b"Action="):
            action = "ec2:" + urllib.parse.parse_qs(body.decode())["Action"][0]
        else:
            action = "s3:" + self.command
        with lock:
            calls[action] += 1
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in ("connection", "transfer-encoding"):
                conn.putheader(name, value)
        conn.endheaders(body)
        answer = conn.getresponse()
        data = answer.read()
        self.send_response_only(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
threading.Thread(target=server.serve_forever, daemon=True).start()
open(proxy_port_file, "w").write(str(server.server_address[1]))

# The image and artifact, straight into moto.
session = dict(endpoint_url=moto["endpoint"], region_name="us-east-1",
               aws_access_key_id=moto["access_key_id"], aws_secret_access_key=moto["secret_access_key"])
ecr = boto3.client("ecr", **session)
s3 = boto3.client("s3", **session)
ecr.create_repository(repositoryName="models/bench")
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                                  "digest": "sha256:" + "4" * 64}, "layers": []})
ecr.put_image(repositoryName="models/bench", imageManifest=manifest, imageTag="v1")
s3.create_bucket(Bucket="rnd-bench")
s3.put_object(Bucket="rnd-bench", Key="bench/model.mar", Body=b"weights")

for _ in range(600):
    try:
        api_port = int(open(api_port_file).read().strip())
        break
    except (OSError, ValueError):
        time.sleep(0.1)
base = f"http://127.0.0.1:{api_port}"


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read() or b"{}")


call("POST", "/v1/models", {"name": "bench", "task": "classification"})
call("POST", "/v1/models/bench/versions", {"artifact_uri": "s3://rnd-bench/bench/model.mar", "image": "models/bench:v1"})
with lock:
    calls.clear()  # only what the deployments cost

started = time.monotonic()


def create(index):
    return call("POST", "/v1/deployments", {
        "name": f"bench-{index:04d}", "region": "us-east-1", "endpoint": f"bench-{index:04d}", "model": "bench",
        "version": 1, "mode": "stealth", "replicas": 1, "instance_type": "t3.micro"})["id"]


with concurrent.futures.ThreadPoolExecutor(16) as pool:
    ids = list(pool.map(create, range(count)))
created = time.monotonic() - started


def phases():
    seen = collections.Counter()
    token_ = None
    while True:
        page = call("GET", "/v1/deployments?limit=200" + (f"&page_token={token_}" if token_ else ""))
        for item in page["items"]:
            seen[item["status"]["phase"]] += 1
        token_ = page.get("next_page_token")
        if not token_:
            return seen


while True:
    seen = phases()
    if seen["ready"] == count:
        break
    if time.monotonic() - started > 1800:
        print(f"timed out: {dict(seen)}", file=sys.stderr)
        sys.exit(1)
    time.sleep(1)
elapsed = time.monotonic() - started
# Steady state: what watching converged deployments costs per minute.
with lock:
    at_ready = dict(calls)
time.sleep(60)
with lock:
    after_minute = dict(calls)
steady = {k: after_minute.get(k, 0) - at_ready.get(k, 0) for k in after_minute if after_minute.get(k, 0) != at_ready.get(k, 0)}
ec2 = boto3.client("ec2", **session)
running = sum(len(r["Instances"]) for page in ec2.get_paginator("describe_instances").paginate(
    Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}]) for r in page["Reservations"])
print(json.dumps({
    "deployments": count, "create_seconds": round(created, 1), "all_ready_seconds": round(elapsed, 1),
    "instances_running": running, "aws_calls_to_ready": at_ready,
    "aws_calls_per_deployment_to_ready": round(sum(at_ready.values()) / count, 2),
    "aws_calls_in_the_next_minute": steady,
}, indent=2))
