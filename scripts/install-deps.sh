#!/usr/bin/env bash
# Installs the system packages Sluice needs, only those missing.
#   scripts/install-deps.sh build   — to build and run (make run)
#   scripts/install-deps.sh test    — plus what the tests need (make test)
#   scripts/install-deps.sh bench   — plus the load generator and comparators
#                                     of Benchmarks/ (make bench-*)
# Works as root or, through sudo, as a normal user. The Swift toolchain
# itself (6.2 or newer: the pinned packages need it) is a prerequisite, and
# so is make: see README.md.
set -euo pipefail

profile=${1:-build}
packages=(libpq-dev libssl-dev libcurl4-openssl-dev zlib1g-dev libxml2-dev pkg-config acl postgresql python3 python3-pip python3-venv)
if [ "$profile" = test ]; then
  packages+=(curl)
fi
if [ "$profile" = bench ]; then
  # wrk drives the load; nginx is the gateway benchmark's model server and
  # its proxy + mirror comparator (started on loopback by the script, with
  # its own configuration). On a machine with systemd, Debian also starts
  # its stock nginx service on port 80 when it installs the package; the
  # benchmarks do not use it (`systemctl disable --now nginx`).
  packages+=(curl wrk nginx)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1 && [ ! -x /opt/swift/usr/bin/swift ]; then
  echo "error: no Swift toolchain found (need Swift 6.1+ on PATH or in /opt/swift)" >&2
  exit 1
fi
