#!/usr/bin/env python3
"""Sign requests with botocore's SigV4 signers, for Sluice's differential test.

Reads a JSON list of requests on stdin (written by
Tests/SluiceAWSTests/BotocoreDifferentialTests.swift) and prints, as JSON, what
botocore makes of each: the canonical request, the Authorization header and
final headers (header signing) or the presigned URL (query signing).

Each request: id, mode ("header" | "presign"), service, region, access_key,
secret_key, token (or null), timestamp (Unix seconds), method, url (scheme,
host, port and the percent-encoded path, no query), params ([[name, value]],
not encoded: botocore encodes them), headers ([[name, value]], repeats
allowed), body_hex, unsigned (use UNSIGNED-PAYLOAD), expires (presign).

The clock is fixed per request by replacing botocore.auth.get_current_datetime,
the hook botocore's own signer tests patch. Exit status 3: botocore missing.
"""

import datetime
import json
import sys
import types

try:
    import botocore
    from botocore import auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as error:  # pragma: no cover - depends on the machine
    print(
        f"botocore is not importable ({error}); `make test` installs it "
        "(python3 -m pip install botocore)",
        file=sys.stderr,
    )
    sys.exit(3)


def fixed_clock(timestamp):
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    moment = moment.replace(tzinfo=None)
    return lambda remove_tzinfo=True: moment


def signer_for(case, credentials):
    s3 = case["service"] == "s3"
    if case["mode"] == "presign":
        cls = auth.S3SigV4QueryAuth if s3 else auth.SigV4QueryAuth
        return cls(credentials, case["service"], case["region"], expires=case["expires"])
    cls = auth.S3SigV4Auth if s3 else auth.SigV4Auth
    return cls(credentials, case["service"], case["region"])


def sign(case):
    credentials = Credentials(case["access_key"], case["secret_key"], case.get("token"))
    auth.get_current_datetime = fixed_clock(case["timestamp"])
    body = bytes.fromhex(case["body_hex"])
    request = AWSRequest(
        method=case["method"],
        url=case["url"],
        data=body or None,
        params=[(name, value) for name, value in case["params"]],
    )
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders appends: repeats are kept
    if case["unsigned"]:
        # The two switches botocore reads: S3's client config, and the
        # request context for every other service.
        request.context["client_config"] = types.SimpleNamespace(s3={"payload_signing_enabled": False})
        request.context["payload_signing_enabled"] = False

    signer = signer_for(case, credentials)
    captured = {}
    canonical_request = signer.canonical_request

    def capture(req):
        captured["canonical_request"] = canonical_request(req)
        return captured["canonical_request"]

    signer.canonical_request = capture
    signer.add_auth(request)

    result = {"id": case["id"], "canonical_request": captured["canonical_request"]}
    if case["mode"] == "presign":
        result["url"] = request.url
    else:
        result["authorization"] = request.headers["Authorization"]
    result["headers"] = [[name, value] for name, value in request.headers.items()]
    return result


def main():
    cases = json.load(sys.stdin)
    json.dump(
        {"botocore_version": botocore.__version__, "results": [sign(case) for case in cases]},
        sys.stdout,
        ensure_ascii=False,
    )


if __name__ == "__main__":
    main()
