#!/usr/bin/env bash
# The load benchmark (benches/load.rs) against the real PostgreSQL and NATS JetStream,
# in the release profile. BENCH_CALLERS and BENCH_SECONDS tune it; docs/benchmarks.md
# holds the method and the last figures.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/services.sh
ensure_postgres
ensure_nats

export XINGFU_TEST_POSTGRES_URL="${XINGFU_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
export XINGFU_TEST_NATS_URL="${XINGFU_TEST_NATS_URL:-nats://127.0.0.1:4222}"

cargo bench --locked --bench load
