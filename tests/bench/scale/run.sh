#!/usr/bin/env bash
# Scale benchmark: a store holding BENCH_IDENTITIES (1,000,000) accounts,
# each with one identity, on SQLite and on PostgreSQL:
#
#   - identity lookup latency through the store's own code
#     (door__store_identity_find, bench_lookup.c), random subjects, one
#     caller, p50 and p99;
#   - complete logins per second through door-broker on that store (the
#     login benchmark's load generator, tests/bench/login/loadgen.c: begin,
#     door-idp's auto-approve, callback with code exchange, account lookup,
#     session), BENCH_CLIENTS concurrent clients.
#
# The rows are bulk-loaded with SQL into a database door-broker migrated
# (`door-broker accounts list` opens the store, which applies the
# migrations): the sqlite3 program with a recursive CTE, psql with
# generate_series, then ANALYZE.  PostgreSQL is a throwaway cluster from
# tests/pg/cluster.sh (unix socket, fsync off: it measures the broker and
# the queries, not a disk; SQLite keeps its own settings, synchronous=FULL
# for identity and one-time-guard commits, so its logins wait for fsync).
# CPUs: door-broker and its database (the PostgreSQL server) on CPU 0;
# door-idp and the load generator on CPU 1.  Plain HTTP on loopback.
#
# usage: tests/bench/scale/run.sh BUILD_DIR   (a -Dbench=true build)
# env:   BENCH_IDENTITIES (1000000), BENCH_LOOKUPS (20000),
#        BENCH_SECONDS (8) measured per backend, BENCH_WARMUP (2),
#        BENCH_CLIENTS (16), BENCH_USERS (64)
# Prints "bench: NAME VALUE UNIT" lines and
#   ratio: login_postgres vs login_sqlite X   (PostgreSQL logins/s over
#                                              SQLite's)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
N=${BENCH_IDENTITIES:-1000000}
LOOKUPS=${BENCH_LOOKUPS:-20000}
SECS=${BENCH_SECONDS:-8}
WARMUP=${BENCH_WARMUP:-2}
CLIENTS=${BENCH_CLIENTS:-16}
USERS=${BENCH_USERS:-64}

die() { printf 'bench-scale: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'bench-scale: %s\n' "$*" >&2; }

[ $# -eq 1 ] || die "usage: $0 BUILD_DIR"
BUILD=$(cd "$1" && pwd)
IDP=$BUILD/door-idp
BROKER=$BUILD/door-broker
LOOKUP=$BUILD/tests/bench/scale/bench_scale_lookup
CLUSTER=$ROOT/tests/pg/cluster.sh
[ -x "$IDP" ] || die "door-idp not found: $IDP"
[ -x "$BROKER" ] || die "door-broker not found: $BROKER"
[ -x "$LOOKUP" ] || die "bench_scale_lookup not found: $LOOKUP (configure with -Dbench=true)"
command -v sqlite3 >/dev/null || die "sqlite3 is missing (Debian package sqlite3)"
command -v taskset >/dev/null || die "taskset is missing (Debian package util-linux)"
command -v cc >/dev/null || die "cc is missing (Debian package gcc)"
pkg-config --exists libcurl || die "libcurl development files missing (libcurl4-openssl-dev)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (broker and database on CPU 0, door-idp and load on CPU 1)"
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
[ -x "$PSQL" ] || die "psql is missing (Debian package postgresql)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/door-bench-scale.XXXXXX")
PGDIR=$(mktemp -u /tmp/door-pg.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" 2>/dev/null || true; done
  [ ! -d "$PGDIR" ] || "$CLUSTER" stop "$PGDIR" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop() { # pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

json_get() { # file dotted.key
  python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}

secs_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- load generator (the login benchmark's) --------------------------------------
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -o "$WORK/loadgen" \
  "$ROOT/tests/bench/login/loadgen.c" $(pkg-config --cflags --libs libcurl) \
  || die "could not build the load generator"

# ---- door-idp -----------------------------------------------------------------
PORT=$(free_port)
SECRET=bench-scale-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
python3 - "$WORK/scenario.json" "$PORT" "$USERS" "$SECRET" <<'PY'
import json, sys
out, port, users, secret = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
json.dump({
    "description": "tests/bench/scale (generated)",
    "threads": 2,
    "plain_http": True,
    "auto_approve": True,
    "request_log_max": 0,
    "profiles": {"xmarket": {
        "users": [{"id": "u%d" % i, "claims": {"name": "User %d" % i}}
                  for i in range(users)],
        "clients": [{
            "client_id": "bench-rp",
            "client_secret": secret,
            "token_endpoint_auth_method": "client_secret_post",
            "redirect_uris": ["http://127.0.0.1:%s/callback/xmarket" % port],
        }],
    }},
}, open(out, "w"))
PY
taskset -c 1 "$IDP" --scenario "$WORK/scenario.json" --ready-file "$WORK/idp.ready" \
  >"$WORK/idp.log" 2>&1 &
IDP_PID=$!
PIDS+=("$IDP_PID")
for _ in $(seq 1 200); do
  [ -s "$WORK/idp.ready" ] && break
  kill -0 "$IDP_PID" 2>/dev/null || die "door-idp exited: $(tail -n 20 "$WORK/idp.log")"
  sleep 0.05
done
[ -s "$WORK/idp.ready" ] || die "door-idp not ready after 10 s"
ISSUER=$(json_get "$WORK/idp.ready" profiles.xmarket.issuer)

echo "bench: scale_identities $N accounts, one identity each"
echo "bench: scale_config lookups $LOOKUPS (one caller); logins ${CLIENTS} clients, ${WARMUP} s warm-up + ${SECS} s measured per backend, ${USERS} users"
echo "bench: scale_cpus door-broker and its database on CPU 0; door-idp and loadgen on CPU 1"

mkdir -m 700 "$WORK/broker"
printf '%s\n' "$SECRET" >"$WORK/broker/xmarket.secret"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/broker/cookie.key"
chmod 600 "$WORK/broker/xmarket.secret" "$WORK/broker/cookie.key"

write_config() { # STORE_URL
  cat >"$WORK/broker/broker.ini" <<EOF
[broker]
public_url = http://127.0.0.1:$PORT/
listen = 127.0.0.1:$PORT
return_to_allow = http://127.0.0.1:$PORT/
state_dir = $WORK/broker
cookie_key_file = $WORK/broker/cookie.key
threads = $CLIENTS
log_level = warn
allow_insecure_loopback = yes
[store]
url = $1
pool_size = 8
[provider "xmarket"]
type = xmarket
issuer = $ISSUER
client_id = bench-rp
client_secret_file = $WORK/broker/xmarket.secret
token_auth_method = client_secret_post
allowed_algs = ES256
userinfo = yes
EOF
  "$BROKER" --config "$WORK/broker/broker.ini" accounts list --json >/dev/null \
    || die "door-broker could not open (migrate) $1"
}

declare -A RATE

# measure NAME STORE_URL: lookups, then logins through door-broker.
measure() {
  local name=$1 url=$2 out pid ok=0
  out=$(taskset -c 0 "$LOOKUP" "$url" "$ISSUER" "$N" "$LOOKUPS") \
    || die "$name: lookups failed: $out"
  set -- $out
  [ "$1" = lookups ] && [ "$3" = p50_us ] || die "$name: unexpected lookup output: $out"
  echo "bench: lookup_${name}_p50 $4 us"
  echo "bench: lookup_${name}_p99 $6 us"
  taskset -c 0 "$BROKER" --config "$WORK/broker/broker.ini" >"$WORK/broker-$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || die "door-broker ($name) exited: $(tail -n 20 "$WORK/broker-$name.log")"
    if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then ok=1; break; fi
    sleep 0.05
  done
  [ "$ok" = 1 ] || die "door-broker ($name) not answering after 10 s"
  out=$(taskset -c 1 "$WORK/loadgen" "http://127.0.0.1:$PORT" xmarket /account door-session \
          "$CLIENTS" "$WARMUP" "$SECS" "$USERS" "$pid") \
    || die "$name: logins failed under load: $out"
  kill -0 "$pid" 2>/dev/null || die "door-broker ($name) died under load"
  set -- $out
  [ "$1" = logins ] && [ "${15}" = errors ] || die "$name: unexpected loadgen output: $out"
  echo "bench: login_${name}_per_s $6 logins/s"
  echo "bench: login_${name}_p50 $8 ms"
  echo "bench: login_${name}_p99 ${10} ms"
  echo "bench: login_${name}_cpu_per_login ${12} us"
  RATE[$name]=$6
  stop "$pid"
}

# ---- SQLite -------------------------------------------------------------------
DB=$WORK/broker/door.db
write_config "sqlite:$DB"
t0=$(date +%s.%N)
sqlite3 "$DB" <<EOF || die "bulk load into SQLite failed"
PRAGMA foreign_keys = OFF;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
INSERT INTO accounts (id, created_at) SELECT printf('%032x', i), 1700000000 FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
INSERT INTO identities (account_id, provider, issuer, subject, linked_at, last_login_at)
SELECT printf('%032x', i), 'xmarket', '$ISSUER', printf('bench-%07d', i - 1),
       1700000000, 1700000000 FROM c;
COMMIT;
ANALYZE;
EOF
echo "bench: load_sqlite $(secs_since "$t0") s"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM identities')" = "$N" ] || die "SQLite: not $N identities"
measure sqlite "sqlite:$DB"

# ---- PostgreSQL ---------------------------------------------------------------
PGURL=$(taskset -c 0 "$CLUSTER" start "$PGDIR" | tail -n 1) || die "no PostgreSQL cluster"
write_config "$PGURL"
t0=$(date +%s.%N)
"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$PGURL" <<EOF || die "bulk load into PostgreSQL failed"
BEGIN;
INSERT INTO accounts (id, created_at)
  SELECT lpad(to_hex(i), 32, '0'), 1700000000 FROM generate_series(1, $N) AS i;
INSERT INTO identities (account_id, provider, issuer, subject, linked_at, last_login_at)
  SELECT lpad(to_hex(i), 32, '0'), 'xmarket', '$ISSUER', 'bench-' || lpad((i - 1)::text, 7, '0'),
         1700000000, 1700000000 FROM generate_series(1, $N) AS i;
COMMIT;
ANALYZE;
EOF
echo "bench: load_postgres $(secs_since "$t0") s"
[ "$("$PSQL" -X -At -d "$PGURL" -c 'SELECT count(*) FROM identities')" = "$N" ] \
  || die "PostgreSQL: not $N identities"
measure postgres "$PGURL"
stop "$IDP_PID"

echo "ratio: login_postgres vs login_sqlite $(awk -v a="${RATE[postgres]}" -v b="${RATE[sqlite]}" 'BEGIN { printf "%.2f", a / b }')"
