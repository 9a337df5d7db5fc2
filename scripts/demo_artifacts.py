"""Puts what the README walkthrough registers into the local AWS emulator.

    demo_artifacts.py [READY_FILE]

READY_FILE is the JSON moto_server.py wrote (default: $SLUICE_MOTO_READY or
.sluice/moto-ready.json, which `make run` creates): the endpoint and keys.
Creates the ECR repository models/churn with tags v1 and v2, the S3
object s3://sluice-demo-models/churn/model.tar.gz, and a client's
production extract in the Staging Zone, s3://staging/acme/trades/2026-11.csv
(with an empty R&D bucket, rnd, beside it). Running it again is harmless.
"""
import json
import os
import sys

import boto3

path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SLUICE_MOTO_READY", ".sluice/moto-ready.json")
with open(path) as ready_file:
    ready = json.load(ready_file)
session = boto3.session.Session(
    aws_access_key_id=ready["access_key_id"], aws_secret_access_key=ready["secret_access_key"], region_name="us-east-1")
ecr = session.client("ecr", endpoint_url=ready["endpoint"])
s3 = session.client("s3", endpoint_url=ready["endpoint"])

try:
    ecr.create_repository(repositoryName="models/churn")
except ecr.exceptions.RepositoryAlreadyExistsException:
    pass
for tag in ["v1", "v2"]:
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": "sha256:" + tag * 32},
        "layers": [],
    })
    try:
        ecr.put_image(repositoryName="models/churn", imageManifest=manifest, imageTag=tag)
    except ecr.exceptions.ImageAlreadyExistsException:
        pass
try:
    s3.create_bucket(Bucket="sluice-demo-models")
except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
    pass
s3.put_object(Bucket="sluice-demo-models", Key="churn/model.tar.gz", Body=b"weights")
for bucket in ["staging", "rnd"]:
    try:
        s3.create_bucket(Bucket=bucket)
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass
# Six trades of three funds; acme has approved F0001 and F0002 only.
trades = (
    "trade_id,fund_id,traded_on,amount,note\r\n"
    "1,F0001,2026-11-02,1200.50,plain\r\n"
    "2,F0003,2026-11-02,99.00,not approved\r\n"
    "3,F0002,2026-11-03,310.25,\"quoted, with a comma\"\r\n"
    "4,F0001,2026-11-04,75.10,\"two\r\nlines\"\r\n"
    "5,F0003,2026-11-05,18.00,not approved\r\n"
    "6,F0002,2026-11-05,640.00,\r\n"
)
s3.put_object(Bucket="staging", Key="acme/trades/2026-11.csv", Body=trades.encode())
print("ECR models/churn:v1, models/churn:v2, s3://sluice-demo-models/churn/model.tar.gz"
      " and s3://staging/acme/trades/2026-11.csv are in the emulator")
