#!/usr/bin/env bash
# Greps the logs of a whole test run for secrets that the tests planted
# (tests/data/planted-secrets.txt: client secrets, passwords, cookie keys used
# by the scenarios and configs) and for token-shaped strings on lines written
# by doorauth's own logger.  Any hit fails ./dev test.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
list=$root/tests/data/planted-secrets.txt
status=0
for dir in "$@"; do
  [ -d "$dir" ] || continue
  while IFS= read -r s; do
    case "$s" in ''|'#'*) continue ;; esac
    if grep -rlF -- "$s" "$dir" >/dev/null 2>&1; then
      echo "no-secrets-in-logs: planted secret found in $(grep -rlF -- "$s" "$dir" | head -3 | tr '\n' ' ')" >&2
      status=1
    fi
  done <"$list"
  # JWT-shaped values on our own log lines (key=value or JSON with a level).
  if grep -rhE '(level=(debug|info|warn|error)|"level":")' "$dir" 2>/dev/null |
     grep -E 'eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.' >/dev/null; then
    echo "no-secrets-in-logs: a token-shaped value appears on a log line" >&2
    status=1
  fi
done
exit $status
