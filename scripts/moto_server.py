"""Sluice's launcher for moto's AWS emulator (tests, `make run`, benchmarks).

    moto_server.py [--host 127.0.0.1] [--port 0] [--ready-file PATH] [--watch-pid PID]

Serves every moto backend on one loopback port (0: the OS picks one). With
INITIAL_NO_AUTH_ACTION_COUNT=3 in the environment (the default here) it then
creates an IAM user with an inline allow-all policy and an access key for it,
so that every later request must carry a valid SigV4 signature by that key.
When ready it writes one JSON object to --ready-file (or stdout):
{"endpoint": "http://127.0.0.1:PORT", "access_key_id": ..., "secret_access_key": ...}.
With --watch-pid it exits when that process is gone, so a crashed test run
leaves no emulator behind.

One correction to moto (5.2.x, server mode): the signature check rebuilds
the canonical URI from werkzeug's decoded request URL, in which an S3 key's
`+ = & %` and non-ASCII characters are no longer percent-encoded, so moto
refuses correct signatures for such keys. We make the check see the request
target exactly as it came off the wire (werkzeug's RAW_URI). Everything
else about the check (key, secret, signed headers, payload hash) is moto's.
"""
import argparse
import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("INITIAL_NO_AUTH_ACTION_COUNT", "3")
# Instance types are checked, as EC2 does (an unknown one is refused).
os.environ.setdefault("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true")

from moto.core import authorization  # noqa: E402  (reads the variable above)
from moto.server import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

_moto_check = authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action


_UNSIGNED_ACTIONS = {("moto.sts.responses", "AssumeRoleWithWebIdentity")}


def _check_against_wire_target(handler, iam_request_cls, resource="*"):
    """moto's check, with `raw_path` and the query of `uri` taken from RAW_URI."""
    if (type(handler).__module__, handler._get_action()) in _UNSIGNED_ACTIONS:
        return None
    environ = getattr(getattr(handler, "request", None), "environ", None) or {}
    wire = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not wire:
        return _moto_check(handler, iam_request_cls, resource)
    sent = urlsplit(wire)
    saved = (handler.uri, getattr(handler, "raw_path", None))
    handler.uri = urlunsplit(urlsplit(handler.uri)._replace(path=sent.path or "/", query=sent.query))
    handler.raw_path = sent.path or "/"
    try:
        return _moto_check(handler, iam_request_cls, resource)
    finally:
        handler.uri, handler.raw_path = saved


authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action = _check_against_wire_target


def _bootstrap(endpoint):
    """Spends the unauthenticated actions on a user that may do anything."""
    import botocore.session

    iam = botocore.session.get_session().create_client(
        "iam", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName="sluice")
    iam.put_user_policy(UserName="sluice", PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="sluice")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _exit_with(pid):
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass
        time.sleep(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file")
    parser.add_argument("--watch-pid", type=int)
    args = parser.parse_args()

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, app, threaded=True)
    endpoint = f"http://{args.host}:{server.port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if args.watch_pid:
        threading.Thread(target=_exit_with, args=(args.watch_pid,), daemon=True).start()

    ready = {"endpoint": endpoint}
    if float(os.environ["INITIAL_NO_AUTH_ACTION_COUNT"]) == 3:
        ready["access_key_id"], ready["secret_access_key"] = _bootstrap(endpoint)
    text = json.dumps(ready)
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as out:
            out.write(text)
        os.rename(args.ready_file + ".tmp", args.ready_file)
    else:
        print(text, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
