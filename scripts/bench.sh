#!/usr/bin/env bash
# The benchmarks against the real PostgreSQL and NATS JetStream, in the release profile:
# the load benchmark (benches/load.rs; BENCH_CALLERS, BENCH_SECONDS) and the event pipeline
# and footprint benchmark (benches/pipeline.rs; BENCH_RATE, BENCH_BACKLOG) and the scale
# benchmark (benches/scale.rs; BENCH_PROJECTS, BENCH_RECORDS).
# The report (the figures with the machine and the commit they were measured on) goes to
# stdout and to target/bench-report.md (BENCH_REPORT); docs/benchmarks.md holds the method
# and the figures of the last run written up.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/services.sh
ensure_postgres
ensure_nats
ensure_python_packages
prune_stale_streams

export XINGFU_TEST_POSTGRES_URL="${XINGFU_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
export XINGFU_TEST_NATS_URL="${XINGFU_TEST_NATS_URL:-nats://127.0.0.1:4222}"

report="${BENCH_REPORT:-target/bench-report.md}"
mkdir -p "$(dirname "$report")"
{
  echo "# xingfu benchmark report"
  echo
  echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "- PostgreSQL: $(psql "$XINGFU_TEST_POSTGRES_URL/postgres" -Atc 'SHOW server_version' 2>/dev/null || echo unknown); NATS: $(nats-server --version 2>/dev/null || /usr/sbin/nats-server --version 2>/dev/null || echo unknown)"
  echo
} | tee "$report"

# Figures on stdout go to the report; build output stays on stderr, and so do the suite's
# log lines (the test log format prints them on stdout).
figures_only() {
  awk '/^(\033\[[0-9;]*m)?[0-9]{4}-[0-9]{2}-[0-9]{2}T/ { print > "/dev/stderr"; next } { print; fflush() }'
}
cargo bench --locked --bench load | figures_only | tee -a "$report"
cargo bench --locked --bench pipeline | figures_only | tee -a "$report"
BENCH_CALLERS="${BENCH_SCALE_CALLERS:-4}" cargo bench --locked --bench scale | figures_only | tee -a "$report"
echo
echo "report: $report"
