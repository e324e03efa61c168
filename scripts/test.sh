#!/usr/bin/env bash
# Everything CI checks, in the order it checks it: the servers the tests need, then
# formatting, lints and every test against the real PostgreSQL and NATS JetStream.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/services.sh
ensure_postgres
ensure_nats
ensure_deploy_tools
ensure_python_packages
ensure_chromium
ensure_buf
ensure_pgbouncer
prune_stale_streams

export XINGFU_TEST_POSTGRES_URL="${XINGFU_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
export XINGFU_TEST_NATS_URL="${XINGFU_TEST_NATS_URL:-nats://127.0.0.1:4222}"

echo "== buf lint, buf breaking (against the released proto/baseline/xingfu.binpb)"
"$BUF" lint
"$BUF" breaking --against proto/baseline/xingfu.binpb

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== Kubernetes manifests and Dockerfile (deploy/check.py)"
cargo build --locked -p xingfu --quiet
python3 deploy/check.py target/debug/xingfu

echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  # nextest does not run doc tests; they go first so its summary closes the output.
  cargo test --workspace --locked --doc --quiet
  cargo nextest run --workspace --locked --no-fail-fast
  echo "== the services' API tests again, on SQLite files (the embedded default)"
  XINGFU_TEST_BACKEND=sqlite cargo nextest run --workspace --locked --no-fail-fast -E 'binary(api)'
else
  cargo test --workspace --locked --no-fail-fast
  XINGFU_TEST_BACKEND=sqlite cargo test --workspace --locked --no-fail-fast --test api
fi

echo "== the JSON API under Schemathesis (scripts/fuzz-api.sh)"
cargo build --locked -p xingfu --quiet
scripts/fuzz-api.sh target/debug/xingfu
