#!/usr/bin/env bash
# Starts `sluice serve` for `make run` and prints how to talk to it.
set -euo pipefail
bin=$1
host=${SLUICE_HOST:-127.0.0.1}
port=${SLUICE_PORT:-8080}
cat <<MSG
Starting sluice serve on http://$host:$port  (Ctrl-C stops it)
  curl -s http://$host:$port/healthz
On the first start it prints "admin token: <token>" (unless SLUICE_ADMIN_TOKEN is set); then
  curl -s -H "Authorization: Bearer <token>" http://$host:$port/v1/tokens
MSG

# With no AWS configured, a local AWS emulator (moto, signatures checked) on
# a free loopback port stands in for AWS; it exits with sluice (--watch-pid:
# exec keeps this shell's pid). A region, keys, a profile, an endpoint, web
# identity or a container endpoint means "use that AWS" and skips it (the
# same list as AWSConfiguration.isRequested(by:)).
if ! compgen -e | grep -qE '^AWS_(REGION|DEFAULT_REGION|PROFILE|ACCESS_KEY_ID|WEB_IDENTITY_TOKEN_FILE|ROLE_ARN|CONTAINER_CREDENTIALS_(RELATIVE|FULL)_URI|ENDPOINT_URL.*)$'; then
  mkdir -p .sluice
  [ -x .sluice/venv/bin/python3 ] || echo "AWS: preparing the Python environment for the local emulator (first run: a few minutes; .sluice/venv.log)"
  if python=$(scripts/python-venv.sh 2>.sluice/venv.log); then
    ready=.sluice/moto-ready.json
    rm -f "$ready"
    "$python" scripts/moto_server.py --ready-file "$ready" --watch-pid $$ > .sluice/moto.log 2>&1 &
    for _ in $(seq 1 300); do [ -s "$ready" ] && break; sleep 0.2; done
    if [ -s "$ready" ]; then
      eval "$("$python" - "$ready" <<'PY'
import json, shlex, sys
r = json.load(open(sys.argv[1]))
for name, value in [("AWS_ENDPOINT_URL", r["endpoint"]), ("AWS_ACCESS_KEY_ID", r["access_key_id"]),
                    ("AWS_SECRET_ACCESS_KEY", r["secret_access_key"]), ("AWS_REGION", "us-east-1"),
                    ("AWS_EC2_METADATA_DISABLED", "true")]:
    print(f"export {name}={shlex.quote(value)}")
PY
)"
      # moto's instances have made-up 10.x addresses that nothing may
      # contact, and moto knows this host image.
      export SLUICE_INSTANCE_HEALTHCHECK=${SLUICE_INSTANCE_HEALTHCHECK:-off} SLUICE_EC2_AMI=${SLUICE_EC2_AMI:-ami-12c6146b}
      echo "AWS: local moto emulator on $AWS_ENDPOINT_URL (log .sluice/moto.log); instance health checks off"
    else
      echo "AWS: moto did not start (see .sluice/moto.log); running without AWS"
    fi
  else
    echo "AWS: no Python venv for moto (see .sluice/venv.log); running without AWS"
  fi
fi
exec "$bin" serve
