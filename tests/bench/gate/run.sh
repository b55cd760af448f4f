#!/usr/bin/env bash
# Gate benchmark: verifications per second of door_gate_verify against a raw
# OpenSSL loop (the floor: pre-parsed key, SHA-256 + ECDSA verify only),
# liboauth2, libjwt and node jose, all on the same tokens in one run, each
# pinned to CPU 0 and measured in CPU time (so that other load on a shared
# machine does not tilt the ratios); then the gate on both cores.
# usage: tests/bench/gate/run.sh BUILD_DIR      (a -Dbench=true build)
# env:   BENCH_SECONDS (default 1) per round, BENCH_ROUNDS (default 5)
# Prints "bench: NAME VALUE UNIT" and "ratio: gate_verify vs PEER X" lines.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
NODE="$ROOT/tests/node"
SECS=${BENCH_SECONDS:-1}
ROUNDS=${BENCH_ROUNDS:-5}

die() { printf 'bench-gate: error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 BUILD_DIR"
BENCH="$1/tests/bench/gate/bench_gate"
[ -x "$BENCH" ] || die "$BENCH missing: configure the build with -Dbench=true"
command -v taskset >/dev/null || die "taskset is missing (Debian package util-linux)"
"$NODE" --version >/dev/null || die "pinned Node missing: run ./dev bench or: cd tests && npm ci"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/door-bench-gate.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$BENCH" prepare "$WORK" 1024
taskset -c 0 "$BENCH" measure "$WORK" "$SECS" "$ROUNDS" | tee "$WORK/c.out"
(cd "$HERE" && taskset -c 0 "$NODE" bench_jose.mjs "$WORK" "$SECS" "$ROUNDS") | tee "$WORK/jose.out"
taskset -c 0,1 "$BENCH" both "$WORK" "$((SECS * 2))" | tee "$WORK/both.out"

rate() { awk -v n="$1" '$1 == "bench:" && $2 == n { print $3 }' "$WORK"/*.out; }
gate=$(rate gate_verify)
jose=$(rate jose)
both=$(rate gate_verify_2cores)
both_cpu=$(rate gate_verify_2cores_cpu)
awk -v g="$gate" -v j="$jose" -v b="$both" -v bc="$both_cpu" 'BEGIN {
  printf "ratio: gate_verify vs jose %.3f\n", g / j
  printf "ratio: gate_verify_2cores vs gate_verify %.3f\n", b / g
  printf "ratio: gate_verify_2cores_cpu vs gate_verify %.3f\n", bc / g
}'
