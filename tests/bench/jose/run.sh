#!/usr/bin/env bash
# JOSE micro-benchmark: ES256 sign and verify through door__jws_sign /
# door__jws_verify against a raw OpenSSL loop on the same pre-parsed key
# (SHA-256 + ECDSA only), on one CPU.
# usage: tests/bench/jose/run.sh BUILD_DIR   (configured with -Dbench=true)
# env:   BENCH_JOSE_SECONDS (default 0.5) per round, BENCH_JOSE_ROUNDS
#        (default 5); each figure is the best round (CPU time of the thread).
# Prints "bench: NAME VALUE ops/s" and "ratio: ... X" lines.
set -euo pipefail

die() { printf 'bench-jose: error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 BUILD_DIR"
BIN=$1/tests/bench/jose/bench_jose
[ -x "$BIN" ] || die "$BIN missing: configure the build with -Dbench=true"
PIN=()
if command -v taskset >/dev/null 2>&1; then PIN=(taskset -c 0); fi
"${PIN[@]}" "$BIN" --seconds "${BENCH_JOSE_SECONDS:-0.5}" \
  --rounds "${BENCH_JOSE_ROUNDS:-5}"
