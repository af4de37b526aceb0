#!/usr/bin/env bash
# The production topology's data services on loopback, for tests and local trials:
# PostgreSQL (the app database and the Rasa tracker store) and Redis (Rasa's lock store
# and the rate limiter), each on a free 127.0.0.1 port, with their files under DIR.
#
#   scripts/topology.sh start DIR   start both; writes DIR/topology.env and prints it
#   scripts/topology.sh stop DIR    stop both (leaves DIR for inspection)
#   scripts/topology.sh env DIR     print DIR/topology.env
#   scripts/topology.sh pg-stop DIR / pg-start DIR   take PostgreSQL away and bring it back
#                                   (fault tests: the database becomes unavailable)
#
# Debian's postgres refuses to run as root, so as root both servers run as `nobody`
# (or $TOPOLOGY_USER). Passwords are random per start; nothing listens beyond loopback.
# The app database has an owner (council: migrations) and a runtime role (council_app: the app),
# as deploy/README.md describes; `contact-assistant db upgrade` grants the runtime role.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[[ -n $cmd && -n $dir ]] || { echo "usage: $0 start|stop|env|pg-stop|pg-start DIR" >&2; exit 2; }

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/postgres ]] && { echo "$d"; return; }
  done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return; }
  echo "topology: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
}

as_owner() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u "${TOPOLOGY_USER:-nobody}" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

secret() {
  python3 -c 'import secrets; print(secrets.token_hex(16))'
}

start() {
  local bin pg_port redis_port pg_pw app_pw runtime_pw rasa_pw redis_pw
  bin=$(pg_bin)
  command -v redis-server >/dev/null || { echo "topology: redis-server not found" >&2; exit 1; }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [[ ! -e $dir/pgdata ]] || { echo "topology: $dir/pgdata exists; use a fresh DIR" >&2; exit 1; }
  if [[ $(id -u) == 0 ]]; then
    chown "${TOPOLOGY_USER:-nobody}" "$dir"
    as_owner test -x "$dir" || {
      echo "topology: ${TOPOLOGY_USER:-nobody} cannot reach $dir (a parent directory is private)" >&2
      exit 1
    }
  fi
  chmod 700 "$dir"
  pg_port=$(free_port); redis_port=$(free_port)
  pg_pw=$(secret); app_pw=$(secret); runtime_pw=$(secret); rasa_pw=$(secret); redis_pw=$(secret)

  # --- PostgreSQL: password (SCRAM) over TCP, trust only on the private unix socket ---
  printf '%s\n' "$pg_pw" > "$dir/pgpass.tmp"
  [[ $(id -u) != 0 ]] || chown "${TOPOLOGY_USER:-nobody}" "$dir/pgpass.tmp"
  as_owner "$bin/initdb" -D "$dir/pgdata" -U postgres --pwfile="$dir/pgpass.tmp" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/pgpass.tmp"
  echo "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=200 -c fsync=off" \
    > "$dir/pg.opts"
  pg_start
  as_owner psql -h "$dir" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q <<SQL
CREATE ROLE council LOGIN PASSWORD '$app_pw';
CREATE ROLE council_app LOGIN PASSWORD '$runtime_pw';
CREATE ROLE rasa LOGIN PASSWORD '$rasa_pw';
CREATE DATABASE council OWNER council;
CREATE DATABASE rasa_tracker OWNER rasa;
SQL

  # --- Redis: loopback only, password, no persistence (locks and rate limits only) ---
  printf 'requirepass %s\n' "$redis_pw" > "$dir/redis.conf"
  [[ $(id -u) != 0 ]] || chown "${TOPOLOGY_USER:-nobody}" "$dir/redis.conf"
  chmod 600 "$dir/redis.conf"
  as_owner redis-server "$dir/redis.conf" --port "$redis_port" --bind 127.0.0.1 \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" \
    --save "" --appendonly no
  for _ in $(seq 50); do
    redis-cli -p "$redis_port" --no-auth-warning -a "$redis_pw" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done

  cat > "$dir/topology.env" <<ENV
TOPOLOGY_DIR=$dir
PG_PORT=$pg_port
PG_SUPERUSER_PASSWORD=$pg_pw
DATABASE_URL=postgresql+psycopg2://council_app:$runtime_pw@127.0.0.1:$pg_port/council
DATABASE_OWNER_URL=postgresql+psycopg2://council:$app_pw@127.0.0.1:$pg_port/council
RASA_TRACKER_DB_HOST=127.0.0.1
RASA_TRACKER_DB_PORT=$pg_port
RASA_TRACKER_DB_NAME=rasa_tracker
RASA_TRACKER_DB_USER=rasa
RASA_TRACKER_DB_PASSWORD=$rasa_pw
REDIS_HOST=127.0.0.1
REDIS_PORT=$redis_port
REDIS_PASSWORD=$redis_pw
RASA_LOCK_REDIS_DB=1
RATELIMIT_STORAGE_URI=redis://:$redis_pw@127.0.0.1:$redis_port/2
ENV
  chmod 600 "$dir/topology.env"
  cat "$dir/topology.env"
}

pg_start() {
  as_owner "$(pg_bin)/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -w -t 60 \
    -o "$(cat "$dir/pg.opts")" start >/dev/null
}

pg_stop() {
  as_owner "$(pg_bin)/pg_ctl" -D "$dir/pgdata" -m immediate -w -t 30 stop >/dev/null
}

stop() {
  local bin
  bin=$(pg_bin)
  if [[ -f $dir/pgdata/postmaster.pid ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/pgdata" -m fast -w -t 30 stop >/dev/null || true
  fi
  if [[ -f $dir/redis.pid ]]; then
    kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    rm -f "$dir/redis.pid"
  fi
}

case $cmd in
  start) start ;;
  stop) stop ;;
  env) cat "$dir/topology.env" ;;
  pg-stop) dir=$(cd "$dir" && pwd); pg_stop ;;
  pg-start) dir=$(cd "$dir" && pwd); pg_start ;;
  *) echo "usage: $0 start|stop|env|pg-stop|pg-start DIR" >&2; exit 2 ;;
esac
