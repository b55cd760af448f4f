#!/usr/bin/env bash
# door-idp benchmark against two certified OpenID peers, in one run:
#   door-idp, oauth2-mock-server and oidc-provider all run at once, each
#   pinned to CPU 0; wrk pinned to CPU 1 loads one server at a time on
#   discovery, JWKS and the token endpoint (client_credentials, every server
#   answering with an ES256-signed JWT access token, checked once before
#   loading).
# Fairness on a shared machine: other load on the CPUs changes from second to
#   second, so every endpoint is measured in BENCH_ROUNDS rounds; in each
#   round every server gets one wrk run, the order rotating from round to
#   round, so the three servers see the same conditions.  Figures are the
#   median over the rounds (with _min/_max lines); a ratio is the median of
#   the per-round ratios (servers measured seconds apart), with its range.
#   Every server and every wrk run starts in its own session (setsid): with
#   the kernel's autogroup scheduling the processes of one session share one
#   CPU share, and a server would otherwise split its share with wrk in
#   proportions that depend on its own thread count (Node runs ~10 threads).
#   wrk waits 10 s before counting a request as timed out (its default, 2 s,
#   failed the run when a loaded machine held a slow peer's answer longer).
# usage: tests/bench/idp/run.sh BUILD_DIR|DOOR_IDP_EXECUTABLE
# env:   BENCH_SECONDS (default 5) per run, BENCH_ROUNDS (default 3),
#        BENCH_CONNECTIONS (default 32)
# Prints "bench: NAME VALUE UNIT" and "ratio: ours vs peer X" lines.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
NODE="$ROOT/tests/node"
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
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
command -v setsid >/dev/null || die "setsid is missing (Debian package util-linux)"
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
  setsid -w taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --timeout 10s --latency "${args[@]}" "$url" >"$out" 2>&1 \
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

SERVERS=(idp oauth2-mock-server oidc-provider)
declare -A PID URL_discovery URL_jwks URL_token
declare -A RPS P99 CPU # NAME_EP -> space-separated values, one per round

basic() { # id secret
  printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"
}

echo "bench: idp_config ${CONNS} connections, ${SECS} s per run, ${ROUNDS} rounds, wrk -t1 on CPU 1, each server on CPU 0"

# Every token request: HTTP Basic for the bench client, this form.
BENCH_ID=bench-client
BENCH_SECRET=bench-secret-0123456789abcdef
export BENCH_AUTH BENCH_BODY
BENCH_AUTH=$(basic "$BENCH_ID" "$BENCH_SECRET")
BENCH_BODY="grant_type=client_credentials&scope=api"

# ---- door-idp ---------------------------------------------------------------
# The peers speak plain HTTP on loopback, so door-idp is measured over plain
# HTTP too (its --plain-http option).  Profile xmarket: client_credentials
# returns an ES256 JWT access token.
IDP_READY="$WORK/idp.ready"
setsid taskset -c 0 "$IDP" --scenario "$HERE/scenario.json" --plain-http --ready-file "$IDP_READY" \
  >"$WORK/idp.log" 2>&1 &
PID[idp]=$!
PIDS+=("${PID[idp]}")
wait_ready "${PID[idp]}" "$IDP_READY" idp
[ "$(json_get "$IDP_READY" pid)" = "${PID[idp]}" ] || die "idp: ready file pid differs from the process started"
echo "bench: idp_transport plain-http (door-idp --plain-http; the peers serve plain HTTP)"
URL_discovery[idp]=$(json_get "$IDP_READY" profiles.xmarket.discovery)
URL_jwks[idp]=$(json_get "$IDP_READY" profiles.xmarket.jwks_uri)
URL_token[idp]=$(json_get "$IDP_READY" profiles.xmarket.token_endpoint)

# ---- peers ------------------------------------------------------------------
for peer in oauth2-mock-server oidc-provider; do
  ready="$WORK/$peer.ready"
  setsid taskset -c 0 "$NODE" "$HERE/peers/$peer.mjs" --ready-file "$ready" >"$WORK/$peer.log" 2>&1 &
  PID[$peer]=$!
  PIDS+=("${PID[$peer]}")
  wait_ready "${PID[$peer]}" "$ready" "$peer"
  [ "$(json_get "$ready" pid)" = "${PID[$peer]}" ] || die "$peer: ready file pid differs from the process started"
  base="http://127.0.0.1:$(json_get "$ready" port)"
  echo "bench: ${peer}_transport plain-http"
  URL_discovery[$peer]=$base$(json_get "$ready" discovery)
  URL_jwks[$peer]=$base$(json_get "$ready" jwks)
  URL_token[$peer]=$base$(json_get "$ready" token)
done

# ---- check, warm up, measure ------------------------------------------------
for s in "${SERVERS[@]}"; do
  "$NODE" "$HERE/peers/check-token.mjs" "$s" "${URL_token[$s]}" "${URL_jwks[$s]}" \
    || die "$s does not answer the token request with an ES256 JWT"
  # Warm up (JIT, caches, connection setup) on the token endpoint.
  setsid -w taskset -c 1 wrk -t1 -c"$CONNS" -d"${WARMUP}s" -s "$HERE/post.lua" "${URL_token[$s]}" \
    >/dev/null 2>&1 || true
done

# median / min / max of space-separated numbers
pick() { # which values...
  local which=$1; shift
  printf '%s\n' "$@" | sort -g | awk -v w="$which" '
    { v[NR] = $1 }
    END {
      if (w == "min") print v[1]; else if (w == "max") print v[NR];
      else if (NR % 2) print v[(NR + 1) / 2];
      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
    }'
}
num() { awk -v x="$1" -v d="$2" 'BEGIN { printf "%.*f", d, x }'; }

for ep in discovery jwks token; do
  lua=
  [ "$ep" = token ] && lua=$HERE/post.lua
  for round in $(seq 1 "$ROUNDS"); do
    # rotate the order: round 1 idp first, round 2 the next server first, ...
    for k in 0 1 2; do
      s=${SERVERS[$(((k + round - 1) % 3))]}
      url_var="URL_$ep[$s]"
      r=$(run_wrk "${s}_$ep" "${PID[$s]}" "${!url_var}" "$lua")
      read -r rps p99 cpu <<<"$r"
      RPS[${s}_$ep]+="$rps "
      P99[${s}_$ep]+="$p99 "
      CPU[${s}_$ep]+="$cpu "
    done
  done
  for s in "${SERVERS[@]}"; do
    kill -0 "${PID[$s]}" 2>/dev/null || die "$s died under load"
    # shellcheck disable=SC2086
    {
      echo "bench: ${s}_${ep}_rps $(num "$(pick med ${RPS[${s}_$ep]})" 0) req/s"
      echo "bench: ${s}_${ep}_rps_min $(pick min ${RPS[${s}_$ep]}) req/s"
      echo "bench: ${s}_${ep}_rps_max $(pick max ${RPS[${s}_$ep]}) req/s"
      echo "bench: ${s}_${ep}_p99 $(num "$(pick med ${P99[${s}_$ep]})" 3) ms"
      echo "bench: ${s}_${ep}_cpu_per_req $(num "$(pick med ${CPU[${s}_$ep]})" 1) us"
    }
  done
done
for s in "${SERVERS[@]}"; do
  echo "bench: ${s}_peak_rss $(peak_rss_mb "${PID[$s]}") MB"
done

# Per-round ratios (servers measured in the same round, seconds apart).
# X = ours / peer in requests per second (higher is better); the cpu ratios
# are peer / ours in server CPU time per request (higher is better), which
# other load on the machine disturbs less.
round_ratios() { # ours_values peer_values invert(0|1)
  local -a a b
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  local i
  for i in "${!a[@]}"; do
    if [ "$3" = 1 ]; then
      awk -v x="${b[$i]}" -v y="${a[$i]}" 'BEGIN { printf "%.3f\n", x / y }'
    else
      awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN { printf "%.3f\n", x / y }'
    fi
  done
}
for kind in rps cpu; do
  for ep in token discovery jwks; do
    for peer in oauth2-mock-server oidc-provider; do
      if [ "$kind" = rps ]; then
        mapfile -t rr < <(round_ratios "${RPS[idp_$ep]}" "${RPS[${peer}_$ep]}" 0)
        name="idp_$ep"
      else
        mapfile -t rr < <(round_ratios "${CPU[idp_$ep]}" "${CPU[${peer}_$ep]}" 1)
        name="idp_${ep}_cpu"
      fi
      echo "ratio: $name vs $peer $(num "$(pick med "${rr[@]}")" 2)"
      echo "bench: ratio_${name}_vs_${peer}_min $(num "$(pick min "${rr[@]}")" 2) x"
      echo "bench: ratio_${name}_vs_${peer}_max $(num "$(pick max "${rr[@]}")" 2) x"
    done
  done
done
