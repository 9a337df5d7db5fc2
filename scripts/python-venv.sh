#!/usr/bin/env bash
# Creates (or refreshes) .sluice/venv with the Python packages the tests use,
# and prints the interpreter's path. A venv keeps us off the system Python,
# which Debian marks externally managed (PEP 668).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.sluice/venv
req=scripts/test-requirements.txt
stamp=$venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
# A venv left half made (no pip: an interrupted or failed creation) is
# made again rather than failing every later run.
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -m pip --version > /dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python3" -m pip install -q --disable-pip-version-check -r "$req" >&2
  echo "$want" > "$stamp"
fi
echo "$PWD/$venv/bin/python3"
