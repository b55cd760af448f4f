#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store tests: initdb in a temporary
# directory, a server listening on a unix socket in that directory only
# (plus 127.0.0.1:$DOOR_PG_TCP_PORT when that is set), trust
# authentication for the superuser "door", a database "doorauth".  Never a
# system-wide cluster.  Run as root, the server runs as the unprivileged
# user ${DOOR_PG_USER:-nobody} (PostgreSQL refuses root).
#
#   cluster.sh start DIR   initdb in DIR when it holds no cluster yet, start
#                          the server, print the store URL
#   cluster.sh url DIR     print the store URL
#   cluster.sh halt DIR    stop the server, keep the data (start it again
#                          with start DIR): tests of a lost server
#   cluster.sh stop DIR    stop the server and remove DIR
#   cluster.sh run CMD...  make a DIR under /tmp, start, run CMD with
#                          DOOR_TEST_STORE_URL, DOOR_TEST_PG_DIR and
#                          DOOR_TEST_PG_CLUSTER (this script) in its
#                          environment, stop and remove at exit (also on
#                          INT, TERM, HUP); prints TAP "1..0 # SKIP" when
#                          no PostgreSQL server is installed
# The binaries: $PG_BINDIR, else pg_config --bindir, else the newest
# /usr/lib/postgresql/*/bin.  See tests/pg/README.md.
set -euo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
MARK=.door-pg-cluster
PORT=5432

die() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }

bindir() {
  local d
  for d in "${PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null || true)" \
           $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

# Runs a server-side command as the unprivileged user when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u "${DOOR_PG_USER:-nobody}" -- "$@")
  else
    "$@"
  fi
}

url_of() { # DIR
  printf 'postgresql://door@/doorauth?host=%s&port=%s\n' "$1" "$PORT"
}

start() { # DIR
  local dir=$1 bin fresh=0
  bin=$(bindir) || die "no PostgreSQL server binaries (initdb, pg_ctl): ./dev installs postgresql"
  case "$dir" in /*) ;; *) die "DIR must be an absolute path" ;; esac
  [ "${#dir}" -le 80 ] || die "DIR too long for a unix socket path: $dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir"
    chmod 0700 "$dir"
    : >"$dir/$MARK"
    [ "$(id -u)" -ne 0 ] || chown "${DOOR_PG_USER:-nobody}" "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U door -A trust -E UTF8 \
      --no-locale --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; die "initdb failed in $dir"; }
    {
      echo "listen_addresses = '${DOOR_PG_TCP_PORT:+127.0.0.1}'"
      [ -z "${DOOR_PG_TCP_PORT:-}" ] || echo "port = $DOOR_PG_TCP_PORT"
      echo "unix_socket_directories = '$dir'"
      echo "max_connections = 200"
      echo "shared_buffers = 16MB"
      # Throwaway: speed over durability.
      echo "fsync = off"
      echo "full_page_writes = off"
      echo "log_min_messages = warning"
    } | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
    fresh=1
  fi
  [ -z "${DOOR_PG_TCP_PORT:-}" ] || PORT=$DOOR_PG_TCP_PORT
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
    start >/dev/null 2>&1 ||
    { tail -n 20 "$dir/data/server.log" >&2 2>/dev/null; die "the server did not start in $dir"; }
  if [ "$fresh" -eq 1 ]; then
    "$bin/createdb" -h "$dir" -p "$PORT" -U door doorauth ||
      die "createdb failed in $dir"
  fi
  url_of "$dir"
}

halt() { # DIR
  local bin
  bin=$(bindir) || die "no PostgreSQL server binaries"
  [ -f "$1/data/postmaster.pid" ] || return 0
  as_owner "$bin/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
    as_owner "$bin/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null 2>&1 || true
}

stop() { # DIR
  local dir=$1
  [ -d "$dir" ] || return 0
  [ -f "$dir/$MARK" ] || die "$dir was not made by cluster.sh: not removing it"
  halt "$dir"
  rm -rf -- "$dir"
}

run() { # CMD...
  local dir rc
  [ "$#" -gt 0 ] || die "run needs a command"
  if ! bindir >/dev/null; then
    echo "1..0 # SKIP no PostgreSQL server (./dev installs postgresql)"
    exit 0
  fi
  dir=$(mktemp -d /tmp/door-pg.XXXXXX)
  : >"$dir/$MARK"
  trap 'stop "$dir"' EXIT
  trap 'exit 130' INT TERM HUP
  DOOR_TEST_STORE_URL=$(start "$dir") || { echo "Bail out! no PostgreSQL cluster"; exit 1; }
  export DOOR_TEST_STORE_URL DOOR_TEST_PG_DIR=$dir DOOR_TEST_PG_CLUSTER=$SELF
  rc=0
  "$@" || rc=$?
  exit "$rc"
}

cmd=${1:-}
[ "$#" -gt 0 ] && shift
case "$cmd" in
  start) [ "$#" -eq 1 ] || die "usage: cluster.sh start DIR"; start "$1" ;;
  url) [ "$#" -eq 1 ] || die "usage: cluster.sh url DIR"; url_of "$1" ;;
  halt) [ "$#" -eq 1 ] || die "usage: cluster.sh halt DIR"; halt "$1" ;;
  stop) [ "$#" -eq 1 ] || die "usage: cluster.sh stop DIR"; stop "$1" ;;
  run) run "$@" ;;
  *) die "usage: cluster.sh start|url|halt|stop DIR, or cluster.sh run CMD..." ;;
esac
