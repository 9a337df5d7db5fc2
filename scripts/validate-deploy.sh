#!/usr/bin/env bash
# Validates deploy/ offline (part of make test): the Terraform parses with
# python-hcl2, is laid out as `terraform fmt` writes it and grants exactly
# the AWS actions Sluice calls; the Kubernetes manifests validate against the
# schemas bundled in kubernetes-validate and keep the rules of
# scripts/validate_deploy.py. --self-test then breaks copies of deploy/ on
# purpose and requires each to fail.
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/python-venv.sh)
exec "$python" scripts/validate_deploy.py --self-test "$@"
