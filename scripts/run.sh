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
exec "$bin" serve
