#!/usr/bin/env bash
# door-idp benchmark against two certified OpenID peers, in one run:
#   door-idp, oauth2-mock-server and oidc-provider, one at a time, each pinned
#   to CPU 0; wrk pinned to CPU 1 loads each on discovery, JWKS and the token
#   endpoint (client_credentials, every server answering with an ES256-signed
#   JWT access token, checked once before loading).
# usage: tests/bench/idp/run.sh BUILD_DIR|DOOR_IDP_EXECUTABLE
# env:   BENCH_SECONDS (default 8) per endpoint, BENCH_CONNECTIONS (default 32)
# Prints "bench: NAME VALUE UNIT" and "ratio: ours vs peer X" lines.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
NODE="$ROOT/tests/node"
SECS=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNECTIONS:-32}
WARMUP=2

die() { printf 'bench-idp: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'bench-idp: %s\n' "$*" >&2; }

[ $# -eq 1 ] || die "usage: $0 BUILD_DIR|DOOR_IDP_EXECUTABLE"
IDP=$1
[ -d "$IDP" ] && IDP="$IDP/door-idp"
[ -x "$IDP" ] || die "door-idp not found or not executable: $IDP"
IDP=$(cd "$(dirname "$IDP")" && pwd)/$(basename "$IDP")
command -v wrk >/dev/null || die "wrk is missing (Debian package wrk)"
command -v taskset >/dev/null || die "taskset is missing (Debian package util-linux)"
"$NODE" --version >/dev/null || die "pinned Node missing: run ./dev bench or: cd tests && npm ci"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (server on CPU 0, wrk on CPU 1)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/door-bench-idp.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

json_get() { # file dotted.key
  python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}

wait_ready() { # pid file name
  local i
  for i in $(seq 1 200); do
    [ -s "$2" ] && return 0
    kill -0 "$1" 2>/dev/null || die "$3 exited before it was ready (log: $(tail -n 20 "$WORK/$3.log"))"
    sleep 0.05
  done
  die "$3 not ready after 10 s"
}

stop_server() { # pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

peak_rss_mb() { # pid
  awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

cpu_ticks() { # pid -> utime+stime of all its threads, in clock ticks
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
CLK_TCK=$(getconf CLK_TCK)

# wrk output -> "RPS P99_MS CPU_US_PER_REQ"; fails on socket errors or
# non-2xx answers.  CPU time is the server's (all threads), over the run.
run_wrk() { # name pid url [lua]
  local name=$1 pid=$2 url=$3 lua=${4:-} out="$WORK/wrk-$1.txt" args=() t0 t1
  [ -n "$lua" ] && args=(-s "$lua")
  t0=$(cpu_ticks "$pid")
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "${args[@]}" "$url" >"$out" 2>&1 \
    || die "wrk failed on $name: $(cat "$out")"
  t1=$(cpu_ticks "$pid")
  if grep -q 'Non-2xx or 3xx responses' "$out"; then
    die "$name: some answers were not 2xx: $(grep 'Non-2xx' "$out")"
  fi
  if grep -q 'Socket errors' "$out"; then
    note "$name: $(grep 'Socket errors' "$out" | sed 's/^ *//')"
    if grep -Eq 'Socket errors: .*(read|write|timeout) [1-9]' "$out"; then
      die "$name: socket errors under load"
    fi
  fi
  awk -v ticks=$((t1 - t0)) -v hz="$CLK_TCK" '
    / requests in / { reqs = $1 }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "99%" {
      v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
      if (unit == "us") ms = v / 1000; else if (unit == "ms") ms = v;
      else if (unit == "s") ms = v * 1000; else if (unit == "m") ms = v * 60000;
      else ms = -1
    }
    END {
      if (rps == "" || ms == "" || ms < 0 || reqs <= 0) exit 1
      printf "%.0f %.3f %.1f\n", rps, ms, ticks / hz * 1e6 / reqs
    }' "$out" || die "could not read wrk output for $name: $(cat "$out")"
}

declare -A RPS CPU

# bench_server NAME PID DISCOVERY_URL JWKS_URL TOKEN_URL AUTH BODY
bench_server() {
  local name=$1 pid=$2 disc=$3 jwks=$4 tok=$5
  export BENCH_AUTH=$6 BENCH_BODY=$7
  "$NODE" "$HERE/peers/check-token.mjs" "$name" "$tok" "$jwks" \
    || die "$name does not answer the token request with an ES256 JWT"
  # Warm up (JIT, caches, connection setup) on the token endpoint.
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${WARMUP}s" -s "$HERE/post.lua" "$tok" >/dev/null 2>&1 || true
  local ep url lua r rps p99
  for ep in discovery jwks token; do
    case $ep in
      discovery) url=$disc lua= ;;
      jwks) url=$jwks lua= ;;
      token) url=$tok lua=$HERE/post.lua ;;
    esac
    r=$(run_wrk "${name}_$ep" "$pid" "$url" "$lua")
    read -r rps p99 cpu <<<"$r"
    RPS[${name}_$ep]=$rps
    CPU[${name}_$ep]=$cpu
    echo "bench: ${name}_${ep}_rps $rps req/s"
    echo "bench: ${name}_${ep}_p99 $p99 ms"
    echo "bench: ${name}_${ep}_cpu_per_req $cpu us"
  done
  kill -0 "$pid" 2>/dev/null || die "$name died under load"
  echo "bench: ${name}_peak_rss $(peak_rss_mb "$pid") MB"
}

basic() { # id secret
  printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"
}

echo "bench: idp_config ${CONNS} connections, ${SECS} s per endpoint, wrk -t1 on CPU 1, each server on CPU 0"

# ---- door-idp ---------------------------------------------------------------
# The peers speak plain HTTP on loopback, so door-idp is measured over plain
# HTTP too (its --plain-http option).  Profile xmarket: client_credentials
# returns an ES256 JWT access token.
BENCH_ID=bench-client
BENCH_SECRET=bench-secret-0123456789abcdef
BENCH_BODY_FORM="grant_type=client_credentials&scope=api"
IDP_READY="$WORK/idp.ready"
taskset -c 0 "$IDP" --scenario "$HERE/scenario.json" --plain-http --ready-file "$IDP_READY" \
  >"$WORK/idp.log" 2>&1 &
IDP_PID=$!
PIDS+=("$IDP_PID")
wait_ready "$IDP_PID" "$IDP_READY" idp
[ "$(json_get "$IDP_READY" pid)" = "$IDP_PID" ] || die "idp: ready file pid differs from the process started"
echo "bench: idp_transport plain-http (door-idp --plain-http; the peers serve plain HTTP)"
bench_server idp "$IDP_PID" \
  "$(json_get "$IDP_READY" profiles.xmarket.discovery)" \
  "$(json_get "$IDP_READY" profiles.xmarket.jwks_uri)" \
  "$(json_get "$IDP_READY" profiles.xmarket.token_endpoint)" \
  "$(basic "$BENCH_ID" "$BENCH_SECRET")" "$BENCH_BODY_FORM"
stop_server "$IDP_PID"

# ---- peers ------------------------------------------------------------------
for peer in oauth2-mock-server oidc-provider; do
  ready="$WORK/$peer.ready"
  taskset -c 0 "$NODE" "$HERE/peers/$peer.mjs" --ready-file "$ready" >"$WORK/$peer.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_ready "$pid" "$ready" "$peer"
  [ "$(json_get "$ready" pid)" = "$pid" ] || die "$peer: ready file pid differs from the process started"
  base="http://127.0.0.1:$(json_get "$ready" port)"
  echo "bench: ${peer}_transport plain-http"
  bench_server "$peer" "$pid" "$base$(json_get "$ready" discovery)" \
    "$base$(json_get "$ready" jwks)" "$base$(json_get "$ready" token)" \
    "$(basic "$BENCH_ID" "$BENCH_SECRET")" "$BENCH_BODY_FORM"
  stop_server "$pid"
done

# X = ours / peer in requests per second (higher is better); the cpu ratios
# are peer / ours in server CPU time per request (higher is better), which
# other load on the machine disturbs less.
ratio() { # a b
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
for ep in token discovery jwks; do
  for peer in oauth2-mock-server oidc-provider; do
    echo "ratio: idp_$ep vs $peer $(ratio "${RPS[idp_$ep]}" "${RPS[${peer}_$ep]}")"
  done
done
for ep in token discovery jwks; do
  for peer in oauth2-mock-server oidc-provider; do
    echo "ratio: idp_${ep}_cpu vs $peer $(ratio "${CPU[${peer}_$ep]}" "${CPU[idp_$ep]}")"
  done
done
