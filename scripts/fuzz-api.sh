#!/usr/bin/env bash
# Schemathesis against the JSON API, as an integrator's fuzzer would run it: the whole suite
# on the embedded default with the demo programme loaded, every operation of /openapi.json,
# a bounded number of examples. It must find no server error, no answer that breaks the
# document (schema, status, content type), no 405 without `Allow`, and no schema-valid
# request refused but by a rule docs/api.md names as one that stays in code
# (scripts/api-fuzz/check.py reads the run's report against scripts/api-fuzz/exceptions.toml).
#
# Usage: scripts/fuzz-api.sh [XINGFU_BINARY]   (default target/debug/xingfu)
# XINGFU_FUZZ_EXAMPLES (default 5) bounds the examples per operation and phase.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-target/debug/xingfu}"
examples="${XINGFU_FUZZ_EXAMPLES:-5}"
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; wait "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http_port="$(free_port)"
gateway_port="$(free_port)"

XINGFU__DATA_DIR="$work/data" \
XINGFU__HTTP__LISTEN="127.0.0.1:$http_port" \
XINGFU__GATEWAY__LISTEN="127.0.0.1:$gateway_port" \
XINGFU__LOG__FORMAT=json \
XINGFU__LOG__FILTER=info \
XINGFU__GATEWAY__LIMITS__RATE_PER_SECOND=100000 \
XINGFU__GATEWAY__LIMITS__BURST=100000 \
  "$binary" serve --demo >"$work/serve.log" 2>&1 &
server=$!

for _ in $(seq 1 120); do
  if grep -q "loaded the demo programme" "$work/serve.log"; then break; fi
  if grep -q "the demo programme did not load" "$work/serve.log" || ! kill -0 "$server" 2>/dev/null; then
    cat "$work/serve.log" >&2
    echo "fuzz-api: the suite or its demo data did not start" >&2
    exit 1
  fi
  sleep 1
done
grep -q "loaded the demo programme" "$work/serve.log" || { echo "fuzz-api: the demo took too long" >&2; exit 1; }

key="$(cat "$work/data/admin-api-key")"
set +e
schemathesis run "http://127.0.0.1:$http_port/openapi.json" \
  --header "x-api-key: $key" \
  --phases examples,coverage,fuzzing \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method,positive_data_acceptance \
  --max-examples "$examples" \
  --max-time 240 \
  --workers 2 \
  --seed 1 \
  --continue-on-failure \
  --suppress-health-check all \
  --report ndjson --report-ndjson-path "$work/report.ndjson" \
  --no-color >"$work/schemathesis.log" 2>&1
status=$?
set -e
tail -n 25 "$work/schemathesis.log"
# Kept for a look after a failed run.
mkdir -p target && cp "$work/report.ndjson" target/api-fuzz-report.ndjson
python3 scripts/api-fuzz/check.py "$work/report.ndjson" scripts/api-fuzz/exceptions.toml
if grep -q '"level":"ERROR"' "$work/serve.log"; then
  grep '"level":"ERROR"' "$work/serve.log" | head -n 20 >&2
  echo "fuzz-api: the suite logged errors while fuzzed" >&2
  exit 1
fi
echo "fuzz-api: schemathesis exit $status; every failure it reported is accounted for above"
