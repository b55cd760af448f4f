#!/usr/bin/env bash
# Login benchmark: complete login round trips through door-broker, then
# through a small Node broker on openid-client 6 (node-broker.mjs) doing the
# same work, both against the same door-idp (XMarket profile, auto-approve).
#
# A login: GET /login/xmarket -> 302 to door-idp's authorization endpoint
# (+ login_hint) -> door-idp approves -> 302 to /callback/xmarket -> the
# broker redeems the code (client_secret_post, PKCE S256), checks state,
# nonce, RFC 9207 iss and the ES256 ID token's signature, calls userinfo,
# makes a session -> 302 to return_to with the session cookie.  door-broker
# also keeps the account (SQLite, same identity = same account) and
# enforces the one-time use of each login in the store; the Node broker
# keeps pending logins and sessions in memory.
#
# Transport: plain HTTP on loopback for everything (door-idp --plain-http,
# both brokers http://127.0.0.1), so neither pays for TLS.
# CPUs: the broker under test on CPU 0; door-idp and the load generator
# (loadgen.c, libcurl multi) on CPU 1.  CPU time per login is the broker
# process's own (utime + stime of all its threads, /proc/PID/stat) over the
# measured window, so door-idp and the load generator do not count.
#
# usage: tests/bench/login/run.sh BUILD_DIR
# env:   BENCH_SECONDS (10) measured per broker, BENCH_WARMUP (3),
#        BENCH_CLIENTS (16) concurrent clients, BENCH_USERS (64)
# Prints "bench: NAME VALUE UNIT" lines and
#   ratio: login_cpu vs openid-client X   (Node's CPU per login / ours)
#   ratio: login_rss vs openid-client X   (Node's peak RSS / ours)
#   ratio: login_cpu_memstore vs openid-client X  (door-broker on
#          sqlite::memory:, storage like the Node broker's; informative)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
NODE="$ROOT/tests/node"
SECS=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-3}
CLIENTS=${BENCH_CLIENTS:-16}
USERS=${BENCH_USERS:-64}

die() { printf 'bench-login: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'bench-login: %s\n' "$*" >&2; }

[ $# -eq 1 ] || die "usage: $0 BUILD_DIR"
BUILD=$(cd "$1" && pwd)
IDP=$BUILD/door-idp
BROKER=$BUILD/door-broker
[ -x "$IDP" ] || die "door-idp not found: $IDP"
[ -x "$BROKER" ] || die "door-broker not found: $BROKER"
command -v taskset >/dev/null || die "taskset is missing (Debian package util-linux)"
command -v cc >/dev/null || die "cc is missing (Debian package gcc)"
pkg-config --exists libcurl || die "libcurl development files missing (libcurl4-openssl-dev)"
"$NODE" --version >/dev/null || die "pinned Node missing: run ./dev bench or: cd tests && npm ci"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (broker on CPU 0, door-idp and load on CPU 1)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/door-bench-login.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" 2>/dev/null || true; done
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

# ---- load generator -----------------------------------------------------------
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -o "$WORK/loadgen" \
  "$HERE/loadgen.c" $(pkg-config --cflags --libs libcurl) \
  || die "could not build the load generator"

# ---- door-idp -----------------------------------------------------------------
P_DOOR=$(free_port)
P_NODE=$(free_port)
SECRET=bench-login-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
python3 - "$WORK/scenario.json" "$P_DOOR" "$P_NODE" "$USERS" "$SECRET" <<'PY'
import json, sys
out, p_door, p_node, users, secret = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
json.dump({
    "description": "tests/bench/login (generated)",
    "threads": 2,
    "plain_http": True,
    "auto_approve": True,
    "request_log_max": 0,
    "profiles": {"xmarket": {
        "users": [{"id": "u%d" % i,
                   "claims": {"name": "User %d" % i, "email": "u%d@example.test" % i,
                              "email_verified": True}} for i in range(users)],
        "clients": [{
            "client_id": "bench-rp",
            "client_secret": secret,
            "token_endpoint_auth_method": "client_secret_post",
            "redirect_uris": ["http://127.0.0.1:%s/callback/xmarket" % p_door,
                              "http://127.0.0.1:%s/callback/xmarket" % p_node],
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
TICKETS=$(json_get "$WORK/idp.ready" profiles.xmarket.tickets_endpoint)

echo "bench: login_config ${CLIENTS} clients, ${WARMUP} s warm-up + ${SECS} s measured per broker, ${USERS} users"
echo "bench: login_transport plain-http (door-idp --plain-http, both brokers http://127.0.0.1)"
echo "bench: login_cpus broker on CPU 0; door-idp and loadgen on CPU 1"

declare -A CPU RSS

# run_load NAME PID BASE COOKIE: prints the bench lines, records CPU and RSS.
run_load() {
  local name=$1 pid=$2 base=$3 cookie=$4 out
  out=$(taskset -c 1 "$WORK/loadgen" "$base" xmarket /account "$cookie" "$CLIENTS" \
          "$WARMUP" "$SECS" "$USERS" "$pid") \
    || die "$name: logins failed under load: $out (see the lines above)"
  kill -0 "$pid" 2>/dev/null || die "$name died under load"
  # logins N seconds S rate R p50_ms X p99_ms X cpu_us_per_login X
  # peak_rss_mb X errors N user_us_per_login X
  set -- $out
  [ "$1" = logins ] && [ "${15}" = errors ] && [ "${17}" = user_us_per_login ] \
    || die "$name: unexpected loadgen output: $out"
  echo "bench: ${name}_logins $2 in $4 s"
  echo "bench: ${name}_logins_per_s $6 logins/s"
  echo "bench: ${name}_login_p50 $8 ms"
  echo "bench: ${name}_login_p99 ${10} ms"
  echo "bench: ${name}_cpu_per_login ${12} us"
  echo "bench: ${name}_user_cpu_per_login ${18} us"
  echo "bench: ${name}_peak_rss ${14} MB"
  CPU[$name]=${12}
  RSS[$name]=${14}
}

# ---- door-broker --------------------------------------------------------------
mkdir -m 700 "$WORK/broker"
printf '%s\n' "$SECRET" >"$WORK/broker/xmarket.secret"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/broker/cookie.key"
chmod 600 "$WORK/broker/xmarket.secret" "$WORK/broker/cookie.key"
cat >"$WORK/broker/broker.ini" <<EOF
[broker]
public_url = http://127.0.0.1:$P_DOOR/
listen = 127.0.0.1:$P_DOOR
return_to_allow = http://127.0.0.1:$P_DOOR/
state_dir = $WORK/broker
cookie_key_file = $WORK/broker/cookie.key
threads = $CLIENTS
log_level = warn
allow_insecure_loopback = yes
[store]
url = sqlite:$WORK/broker/door.db
[provider "xmarket"]
type = xmarket
issuer = $ISSUER
client_id = bench-rp
client_secret_file = $WORK/broker/xmarket.secret
token_auth_method = client_secret_post
allowed_algs = ES256
userinfo = yes
tickets_endpoint = $TICKETS
EOF
# bench_broker CONFIG NAME: starts door-broker on CPU 0, waits for /healthz,
# runs the load, stops it.
bench_broker() {
  local config=$1 name=$2 pid ok=0
  taskset -c 0 "$BROKER" --config "$config" >"$WORK/$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || die "$name exited: $(tail -n 20 "$WORK/$name.log")"
    if curl -fsS -o /dev/null "http://127.0.0.1:$P_DOOR/healthz" 2>/dev/null; then ok=1; break; fi
    sleep 0.05
  done
  [ "$ok" = 1 ] || die "$name not answering after 10 s"
  run_load "$name" "$pid" "http://127.0.0.1:$P_DOOR" door-session
  stop "$pid"
}
bench_broker "$WORK/broker/broker.ini" door-broker
# The same broker on an in-memory SQLite store (sqlite::memory:): no file,
# no WAL, no fsync, like the Node broker's in-memory sessions.  Shown for
# what durability costs; the headline ratio is the file-backed one above.
sed 's#^url = sqlite:.*#url = sqlite::memory:#' "$WORK/broker/broker.ini" >"$WORK/broker/broker-mem.ini"
grep -q '^url = sqlite::memory:$' "$WORK/broker/broker-mem.ini" || die "could not make the in-memory config"
bench_broker "$WORK/broker/broker-mem.ini" door-broker-memstore

# ---- the Node broker (openid-client) --------------------------------------------
taskset -c 0 "$NODE" "$HERE/node-broker.mjs" --issuer "$ISSUER" --client-id bench-rp \
  --client-secret "$SECRET" --public-url "http://127.0.0.1:$P_NODE" --port "$P_NODE" \
  --ready-file "$WORK/node.ready" >"$WORK/node.log" 2>&1 &
NB_PID=$!
PIDS+=("$NB_PID")
for _ in $(seq 1 300); do
  [ -s "$WORK/node.ready" ] && break
  kill -0 "$NB_PID" 2>/dev/null || die "node-broker exited: $(tail -n 20 "$WORK/node.log")"
  sleep 0.05
done
[ -s "$WORK/node.ready" ] || die "node-broker not ready after 15 s"
[ "$(json_get "$WORK/node.ready" pid)" = "$NB_PID" ] || die "node-broker: ready file pid differs"
run_load openid-client "$NB_PID" "http://127.0.0.1:$P_NODE" nb-session
stop "$NB_PID"
stop "$IDP_PID"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "ratio: login_cpu vs openid-client $(ratio "${CPU[openid-client]}" "${CPU[door-broker]}")"
echo "ratio: login_rss vs openid-client $(ratio "${RSS[openid-client]}" "${RSS[door-broker]}")"
echo "ratio: login_cpu_memstore vs openid-client $(ratio "${CPU[openid-client]}" "${CPU[door-broker-memstore]}")"
