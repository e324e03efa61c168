#!/usr/bin/env bash
# The benchmarks against the real PostgreSQL and NATS JetStream, in the release profile:
# the load benchmark (benches/load.rs; BENCH_CALLERS, BENCH_SECONDS) and the event pipeline
# and footprint benchmark (benches/pipeline.rs; BENCH_RATE, BENCH_BACKLOG) and the scale
# benchmark (benches/scale.rs; BENCH_PROJECTS, BENCH_RECORDS).
# docs/benchmarks.md holds the method and the last figures.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/services.sh
ensure_postgres
ensure_nats

export XINGFU_TEST_POSTGRES_URL="${XINGFU_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
export XINGFU_TEST_NATS_URL="${XINGFU_TEST_NATS_URL:-nats://127.0.0.1:4222}"

cargo bench --locked --bench load
cargo bench --locked --bench pipeline
BENCH_CALLERS="${BENCH_SCALE_CALLERS:-4}" cargo bench --locked --bench scale
